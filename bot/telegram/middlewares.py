"""Update-level middlewares: at-most-once handling and one update per user at a time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, Update
from sqlalchemy.ext.asyncio import async_sessionmaker

from db import repositories as repo

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)
Handler = Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]]


class DeduplicateUpdates(BaseMiddleware):
    """Telegram delivers at least once; an update id already handled is skipped."""

    def __init__(self, sessions: async_sessionmaker):
        self._sessions = sessions

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        async with self._sessions.begin() as session:
            fresh = await repo.claim_update(session, event.update_id)
        if not fresh:
            log.info("update %s seen before: skipped", event.update_id)
            return None
        return await handler(event, data)


def _actor(update: Update) -> int | None:
    for item in (update.message, update.callback_query, update.edited_message):
        if item is not None and item.from_user is not None:
            return item.from_user.id
    return None


class OnePerUser(BaseMiddleware):
    """A person's updates are handled one after the other, in the order they arrived.

    Two first messages at once must not race to open two tickets or two topics. In one
    process an asyncio lock per person does it; several processes share a Redis lock.
    """

    def __init__(self, redis: Redis | None = None, timeout: float = 60.0) -> None:
        self._redis = redis
        self._timeout = timeout
        self._locks: dict[int, asyncio.Lock] = {}
        self._users: dict[int, int] = {}

    async def __call__(self, handler: Handler, event: TelegramObject, data: dict[str, Any]) -> Any:
        assert isinstance(event, Update)
        actor = _actor(event)
        if actor is None:
            return await handler(event, data)
        lock = self._locks.setdefault(actor, asyncio.Lock())
        self._users[actor] = self._users.get(actor, 0) + 1
        try:
            async with lock:
                if self._redis is None:
                    return await handler(event, data)
                shared = self._redis.lock(
                    f"komek:person:{actor}",
                    timeout=self._timeout,
                    blocking_timeout=self._timeout,
                )
                async with shared:
                    return await handler(event, data)
        finally:
            self._users[actor] -= 1
            if self._users[actor] == 0:
                del self._users[actor], self._locks[actor]
