"""The sending budget at Telegram's own limits, as the bot runs by default (the end-to-end
limits test shortens the group's minute to keep its run short)."""

from __future__ import annotations

import asyncio
import time

import pytest

from bot.telegram.budget import PER_GROUP, Budget

GROUP = -1001234567890
PERSON = 5001


async def test_an_album_goes_with_the_limits_on():
    """An album counts each part, more than a chat's one a second: it must still go (it
    waited forever once, as the tests ran with the limits off)."""
    budget = Budget()
    await asyncio.wait_for(budget.spend(PERSON, cost=3), 30)
    await asyncio.wait_for(budget.spend(GROUP, cost=10), 30)


async def test_the_twentieth_message_to_a_group_in_a_minute_waits_for_the_minute():
    budget = Budget()
    await budget.spend(GROUP, cost=19)  # an album's worth: the group's 19 (20 less a margin)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(budget.spend(GROUP), 3)
    stats = await budget._limiter.get_window_stats(PER_GROUP, "send", str(GROUP))
    assert stats.remaining == 0
    assert stats.reset_time - time.time() > 50  # free again only when the minute is over
    await asyncio.wait_for(budget.spend(PERSON), 30)  # other chats are not held up


async def test_the_limits_off_let_everything_go():
    budget = Budget(enabled=False)
    for _ in range(100):
        await budget.spend(GROUP)
