"""Fault injection: make calls of a method fail, or answer slowly.

A fault fails the matching calls (``method``, ``"*"`` for any, optionally one ``chat_id``)
until the first of its limits is reached: ``times`` failed calls (None: no count), or
``for_seconds`` after it was added (None: no time limit). With neither it lasts until the
faults are cleared. ``probability`` below 1 makes each matching call fail only with that
probability, drawn from the fault's own ``random.Random(seed)``: the same seed and the same
sequence of calls give the same failures.
"""

from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from bot.sandbox.errors import ApiError

DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected fault",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


@dataclass
class Fault:
    """``method`` is lower-cased; ``"*"`` matches every method."""

    method: str
    error_code: int
    description: str = ""
    retry_after: int | None = None
    migrate_to_chat_id: int | None = None
    chat_id: int | str | None = None
    times: int | None = 1
    probability: float = 1.0
    seed: int = 0
    for_seconds: float | None = None
    failed: int = field(default=0, init=False)  # calls failed so far
    passed: int = field(default=0, init=False)  # matching calls let through by probability
    _random: random.Random = field(init=False, repr=False, compare=False)
    _expires: float | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.times is not None and self.times < 1:
            raise ValueError("times must be at least 1 (or None: no count)")
        if not 0.0 < self.probability <= 1.0:
            raise ValueError("probability must be in (0, 1]")
        if self.for_seconds is not None and self.for_seconds <= 0:
            raise ValueError("for_seconds must be positive")
        self._random = random.Random(self.seed)
        self._expires = (
            None if self.for_seconds is None else time.monotonic() + float(self.for_seconds)
        )

    def matches(self, method: str, chat_id: Any) -> bool:
        if self.method not in ("*", method):
            return False
        return self.chat_id is None or str(self.chat_id) == str(chat_id)

    def expired(self, now: float | None = None) -> bool:
        if self.times is not None and self.times <= 0:
            return True
        if self._expires is None:
            return False
        return (time.monotonic() if now is None else now) >= self._expires

    def fires(self) -> bool:
        """Decide for one matching call; counts it."""
        if self.probability < 1.0 and self._random.random() >= self.probability:
            self.passed += 1
            return False
        self.failed += 1
        if self.times is not None:
            self.times -= 1
        return True

    def to_error(self) -> ApiError:
        description = self.description
        parameters: dict[str, Any] = {}
        if self.error_code == 429:
            retry = self.retry_after if self.retry_after is not None else 1
            parameters["retry_after"] = retry
            description = description or f"Too Many Requests: retry after {retry}"
        elif self.retry_after is not None:
            parameters["retry_after"] = self.retry_after
        if self.migrate_to_chat_id is not None:
            parameters["migrate_to_chat_id"] = self.migrate_to_chat_id
        description = description or DEFAULT_DESCRIPTIONS.get(self.error_code, "Error")
        return ApiError(self.error_code, description, parameters or None)

    def to_json(self) -> dict[str, Any]:
        """The fault as the control API lists it: ``times`` is what is left; ``expires_in``
        the seconds left of ``for_seconds`` (None: no time limit)."""
        data = {f.name: getattr(self, f.name) for f in fields(self) if f.name[0] != "_"}
        left = None if self._expires is None else max(0.0, self._expires - time.monotonic())
        data["expires_in"] = None if left is None else round(left, 3)
        return data


@dataclass
class Delay:
    method: str
    seconds: float
    times: int | None = None  # None: until cleared


class FaultRegistry:
    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.delays: list[Delay] = []

    def add(self, fault: Fault) -> None:
        fault.method = fault.method.lower()
        self.faults.append(fault)

    def add_delay(self, delay: Delay) -> None:
        delay.method = delay.method.lower()
        self.delays.append(delay)

    def prune(self) -> None:
        """Forget faults whose count ran out or whose time is up."""
        now = time.monotonic()
        self.faults = [f for f in self.faults if not f.expired(now)]

    def take(self, method: str, chat_id: Any) -> ApiError | None:
        """The error of the first matching live fault (first added first) that fires."""
        self.prune()
        for fault in self.faults:
            if fault.matches(method, chat_id) and fault.fires():
                error = fault.to_error()
                self.prune()
                return error
        return None

    def take_delay(self, method: str) -> float:
        for delay in self.delays:
            if delay.method in ("*", method):
                if delay.times is not None:
                    delay.times -= 1
                    if delay.times <= 0:
                        self.delays.remove(delay)
                return delay.seconds
        return 0.0

    def clear(self) -> None:
        self.faults.clear()
        self.delays.clear()

    def to_json(self) -> dict[str, Any]:
        self.prune()
        return {
            "faults": [f.to_json() for f in self.faults],
            "delays": [asdict(d) for d in self.delays],
        }
