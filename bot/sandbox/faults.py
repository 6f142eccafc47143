"""Fault injection: make the next N calls of a method fail, or answer slowly."""

from __future__ import annotations

from dataclasses import asdict, dataclass
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
    times: int = 1

    def matches(self, method: str, chat_id: Any) -> bool:
        if self.method not in ("*", method):
            return False
        return self.chat_id is None or str(self.chat_id) == str(chat_id)

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

    def take(self, method: str, chat_id: Any) -> ApiError | None:
        """Consume one matching fault (first added first) and return its error."""
        for fault in self.faults:
            if fault.matches(method, chat_id):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault.to_error()
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
        return {
            "faults": [asdict(f) for f in self.faults],
            "delays": [asdict(d) for d in self.delays],
        }
