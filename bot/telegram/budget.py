"""Telegram's sending limits, kept before Telegram has to enforce them with 429s.

About one message a second in a chat, twenty a minute in a group, thirty a second in all
(core.telegram.org/bots/faq, "My bot is hitting limits"). The budgets are moving windows of
the `limits` library: in this process's memory, or in Redis when several processes share the
work, so that together they stay within them. The total is also paced (one message every
1/28 s in this process): a moving window alone lets 28 go at once, and a few such bursts,
bunched further by a busy moment, exceed 30 a second where Telegram counts them.
"""

from __future__ import annotations

import asyncio
import time

from limits import RateLimitItem, RateLimitItemPerMinute, RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter

PER_CHAT = RateLimitItemPerSecond(1)
PER_GROUP = RateLimitItemPerMinute(19)  # 20 by the FAQ, less one for network jitter
TOTAL = RateLimitItemPerSecond(28)  # 30 by the FAQ, with the same margin
PACE = 1.0 / TOTAL.amount  # seconds between two messages of this process
CATCH_UP = 2 * PACE


class Budget:
    def __init__(
        self,
        enabled: bool = True,
        redis_url: str | None = None,
        per_group: RateLimitItem = PER_GROUP,
    ):
        self.enabled = enabled
        self.per_group = per_group  # a shorter window in tests, the same count a window
        storage: Storage = (
            RedisStorage(
                redis_url.replace("redis", "async+redis", 1),
                implementation="redispy",
                key_prefix="komek",
            )
            if redis_url
            else MemoryStorage()
        )
        self._limiter = MovingWindowRateLimiter(storage)
        self._turn = asyncio.Lock()  # test-then-take must not interleave in this process
        self._next = 0.0  # monotonic time the next message may go (the pace)

    def _items(self, chat_id: int) -> list[tuple[RateLimitItem, str]]:
        items = [(TOTAL, "all"), (PER_CHAT, str(chat_id))]
        if chat_id < 0:  # groups and supergroups have negative ids
            items.append((self.per_group, str(chat_id)))
        return items

    async def spend(self, chat_id: int, cost: int = 1) -> None:
        """Wait until `cost` more messages to `chat_id` (an album counts each part) fit every
        budget, then take them. A budget smaller than the cost (an album of 3 in a chat's one
        a second) is filled by it, not waited for forever: Telegram takes an album at once."""
        if not self.enabled:
            return
        items = [(item, key, min(cost, item.amount)) for item, key in self._items(chat_id)]
        while True:
            async with self._turn:
                full = [
                    (item, key)
                    for item, key, part in items
                    if not await self._limiter.test(item, "send", key, cost=part)
                ]
                if not full:
                    for item, key, part in items:
                        await self._limiter.hit(item, "send", key, cost=part)
                    now = time.monotonic()
                    wait = self._next - now
                    # A moment of delay may be made up (two messages' worth), never more.
                    self._next = max(self._next, now - CATCH_UP) + PACE * cost
                    if wait > 0:  # in turn, so that the pace holds for everyone waiting
                        await asyncio.sleep(wait)
                    return
                resets = []
                for item, key in full:
                    stats = await self._limiter.get_window_stats(item, "send", key)
                    resets.append(stats.reset_time - time.time())
            await asyncio.sleep(min(max(min(resets), 0.02), 1.0))
