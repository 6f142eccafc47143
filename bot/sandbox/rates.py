"""Check a send log against Telegram's flood limits (pure functions, no I/O).

Telegram documents its limits only roughly (Bots FAQ, "My bot is hitting limits, how do I
avoid this?"): in a single chat, avoid more than one message per second ("we may allow short
bursts that go over this limit, but eventually you'll begin receiving 429 errors"); no more
than 20 messages per minute to the same group; about 30 messages per second in total. Those
sentences become these rules, each checked on every sliding window ``[t, t + window)``:

``per_chat`` ``(N, T)`` = ``(1, 1.0)``
    sustained: every chat (private or group) gets at most ``floor(N * W / T) + burst``
    messages in any window of ``W = max(chat_window, T)`` seconds. With the defaults
    (``chat_window`` 3 s, ``burst`` 1) that is at most 4 messages in any 3 seconds: a short
    burst is fine, a steady rate above about 1.33 per second is not.
``per_group`` ``(N, T)`` = ``(20, 60.0)``
    hard: a group (negative chat id), all its topics together, gets at most N messages in
    any window of T seconds.
``total`` ``(N, T)`` = ``(30, 1.0)``
    hard: all chats together get at most N messages in any window of T seconds.

Each entry of the log counts ``messages`` times (1 when absent): an album of 3 is 3
messages. Edits and topic operations count like messages; filter the log first to leave
them out. Pass ``None`` for a rule to skip it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

Rule = tuple[int, float]


def max_in_window(times: Iterable[float], window: float) -> int:
    """The largest number of ``times`` inside one window ``[t, t + window)``."""
    if window <= 0:
        raise ValueError("window must be positive")
    return _densest(sorted(times), window)[0]


def _densest(ordered: list[float], window: float) -> tuple[int, float | None]:
    """(count, start) of the densest window over sorted times; windows start at a time."""
    best, start, left = 0, None, 0
    for right, t in enumerate(ordered):
        while ordered[left] <= t - window:
            left += 1
        if right - left + 1 > best:
            best, start = right - left + 1, ordered[left]
    return best, start


@dataclass(frozen=True)
class Violation:
    """One rule broken: ``count`` messages in ``window`` seconds from ``start``, over ``limit``.

    ``chat_id`` is None for the ``total`` rule. One violation is reported per rule and chat:
    its densest window.
    """

    rule: str
    chat_id: Any
    count: int
    limit: int
    window: float
    start: float

    def __str__(self) -> str:
        where = "all chats" if self.chat_id is None else f"chat {self.chat_id}"
        return (
            f"{self.rule}: {where} got {self.count} messages in {self.window:g} s "
            f"(limit {self.limit}) from t={self.start:.3f}"
        )


def _times(entries: Iterable[Mapping[str, Any]]) -> list[float]:
    out: list[float] = []
    for entry in entries:
        out.extend([float(entry["at"])] * int(entry.get("messages") or 1))
    return sorted(out)


def _check(rule: str, chat_id: Any, times: list[float], limit: int, window: float) -> list:
    count, start = _densest(times, window)
    if count <= limit or start is None:
        return []
    return [Violation(rule, chat_id, count, limit, window, start)]


def _is_group(chat_id: Any) -> bool:
    try:
        return int(chat_id) < 0
    except (TypeError, ValueError):
        return str(chat_id).startswith("@")  # a public group or channel by username


def check_limits(
    log: Iterable[Mapping[str, Any]],
    per_chat: Rule | None = (1, 1.0),
    per_group: Rule | None = (20, 60.0),
    total: Rule | None = (30, 1.0),
    burst: int = 1,
    chat_window: float = 3.0,
) -> list[Violation]:
    """Violations of the limits (see the module docstring) by a send log; [] when none.

    ``log`` holds ``{"at", "chat_id", "messages"?}`` mappings, as :func:`send_log` and
    ``SandboxClient.send_log`` return them.
    """
    windows = [chat_window] + [rule[1] for rule in (per_chat, per_group, total) if rule]
    if min(windows) <= 0:
        raise ValueError("windows and periods must be positive")
    entries = list(log)
    by_chat: dict[Any, list[Mapping[str, Any]]] = defaultdict(list)
    for entry in entries:
        by_chat[entry.get("chat_id")].append(entry)
    found: list[Violation] = []
    for chat_id, chat_entries in by_chat.items():
        times = _times(chat_entries)
        if per_chat is not None:
            count, period = per_chat
            window = max(chat_window, period)
            limit = math.floor(count * window / period + 1e-9) + burst
            found += _check("per_chat", chat_id, times, limit, window)
        if per_group is not None and _is_group(chat_id):
            found += _check("per_group", chat_id, times, per_group[0], per_group[1])
    if total is not None:
        found += _check("total", None, _times(entries), total[0], total[1])
    return found
