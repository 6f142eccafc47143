"""bot.sandbox.rates: counting messages in sliding windows against Telegram's limits."""

from __future__ import annotations

import pytest

from bot.sandbox.rates import Violation, check_limits, max_in_window

PERSON, OTHER, GROUP = 5001, 5002, -1001000000001


def sends(chat_id: int, times: list[float], messages: int = 1) -> list[dict]:
    return [{"at": t, "chat_id": chat_id, "messages": messages} for t in times]


def every(step: float, count: int, start: float = 1000.0) -> list[float]:
    return [start + i * step for i in range(count)]


def test_max_in_window_counts_half_open_windows():
    assert max_in_window([], 1.0) == 0
    assert max_in_window([5.0], 1.0) == 1
    assert max_in_window([0.0, 0.5, 0.99, 1.0], 1.0) == 3  # 1.0 starts the next window
    assert max_in_window([3.0, 0.0, 2.5, 0.2, 2.9], 1.0) == 3  # order does not matter
    assert max_in_window([1.0, 1.0, 1.0], 0.001) == 3
    assert max_in_window(every(1.0, 10), 1.0) == 1
    assert max_in_window(every(1.0, 10), 3.0) == 3
    with pytest.raises(ValueError):
        max_in_window([1.0], 0)


def test_one_message_per_second_in_a_chat_is_fine_for_ever():
    assert check_limits(sends(PERSON, every(1.0, 600))) == []


def test_a_short_burst_in_a_chat_is_tolerated_but_not_a_longer_one():
    assert check_limits(sends(PERSON, [1000.0] * 4)) == []  # floor(1 * 3 / 1) + 1
    [violation] = check_limits(sends(PERSON, [1000.0] * 5))
    assert violation == Violation("per_chat", PERSON, 5, 4, 3.0, 1000.0)
    assert str(violation) == "per_chat: chat 5001 got 5 messages in 3 s (limit 4) from t=1000.000"


def test_a_sustained_rate_above_one_per_second_is_a_violation():
    assert check_limits(sends(PERSON, every(0.76, 100))) == []  # 4 in any 3 s
    [violation] = check_limits(sends(PERSON, every(0.7, 100)))  # 5 in some 3 s
    assert violation.rule == "per_chat" and violation.count == 5


def test_chats_are_counted_separately():
    log = sends(PERSON, every(1.0, 30)) + sends(OTHER, every(1.0, 30))
    assert check_limits(log) == []


def test_a_group_gets_at_most_twenty_messages_a_minute():
    assert check_limits(sends(GROUP, every(3.0, 60))) == []  # exactly 20 in any minute
    [violation] = check_limits(sends(GROUP, every(2.9, 60)))
    assert (violation.rule, violation.chat_id, violation.count) == ("per_group", GROUP, 21)
    assert (violation.limit, violation.window) == (20, 60.0)
    assert check_limits(sends(PERSON, every(2.9, 60))) == []  # private chats: no such rule


def test_all_chats_together_get_about_thirty_messages_a_second():
    thirty = [{"at": 1000.0 + i / 100, "chat_id": PERSON + i} for i in range(30)]
    assert check_limits(thirty) == []
    thirty_one = [*thirty, {"at": 1000.5, "chat_id": GROUP}]
    [violation] = check_limits(thirty_one)
    assert (violation.rule, violation.chat_id, violation.count) == ("total", None, 31)


def test_an_album_counts_each_of_its_messages():
    assert check_limits(sends(PERSON, [1000.0], messages=4)) == []
    [violation] = check_limits(sends(PERSON, [1000.0, 1000.5], messages=3))
    assert violation.count == 6


def test_rules_can_be_changed_or_left_out():
    burst = sends(PERSON, [1000.0] * 5)
    assert check_limits(burst, per_chat=None) == []
    assert check_limits(burst, burst=2) == []
    assert check_limits(sends(PERSON, every(0.7, 100)), chat_window=1.0) == []  # 1 + 1 a second
    group = sends(GROUP, every(2.9, 60))
    assert check_limits(group, per_group=None) == []
    assert check_limits(group, per_group=(25, 60.0)) == []
    [violation] = check_limits(sends(PERSON, [1000.0] * 3), per_chat=None, total=(2, 1.0))
    assert violation.rule == "total"
    with pytest.raises(ValueError):
        check_limits([], total=(30, 0.0))


def test_several_violations_are_all_reported():
    log = sends(PERSON, [1000.0] * 5) + sends(GROUP, every(0.1, 25, start=2000.0))
    rules = sorted((v.rule, v.chat_id) for v in check_limits(log))
    assert rules == [("per_chat", GROUP), ("per_chat", PERSON), ("per_group", GROUP)]
