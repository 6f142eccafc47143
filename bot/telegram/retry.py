"""Bot API calls that Telegram throttles (429) are waited out and retried, never dropped."""

from __future__ import annotations

import asyncio
import logging

from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.exceptions import TelegramRetryAfter

log = logging.getLogger(__name__)


class RetryAfterMiddleware(BaseRequestMiddleware):
    def __init__(self, attempts: int = 5, max_wait: float = 60.0):
        self.attempts = attempts
        self.max_wait = max_wait

    async def __call__(self, make_request, bot, method):  # type: ignore[no-untyped-def]
        for attempt in range(1, self.attempts + 1):
            try:
                return await make_request(bot, method)
            except TelegramRetryAfter as exc:
                if attempt == self.attempts:
                    raise
                wait = min(float(exc.retry_after), self.max_wait)
                log.warning(
                    "429 on %s: waiting %.1fs (attempt %d)",
                    type(method).__name__,
                    wait,
                    attempt,
                )
                await asyncio.sleep(wait)
        raise AssertionError("unreachable")
