"""The update queue (getUpdates / webhook source) and a change notifier for long-polls."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from bot.sandbox.errors import ApiError

# Update types delivered when allowed_updates is empty or was never given.
DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
POLL_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)


class Notifier:
    """Wakes every waiter on each change; waiters re-check their own condition."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.version = 0

    def changed(self) -> None:
        self.version += 1
        event, self._event = self._event, asyncio.Event()
        event.set()

    async def wait_for(self, predicate: Callable[[], Any], seconds: float) -> Any:
        """Wait until ``predicate()`` is truthy or ``seconds`` pass; return its last value."""
        deadline = time.monotonic() + max(seconds, 0.0)
        while True:
            event = self._event
            result = predicate()
            remaining = deadline - time.monotonic()
            if result or remaining <= 0:
                return result
            try:
                async with asyncio.timeout(remaining):
                    await event.wait()
            except TimeoutError:
                return predicate()


def update_type(update: dict[str, Any]) -> str:
    return next(key for key in update if key != "update_id")


class UpdateQueue:
    """Pending updates with increasing ``update_id`` (never reset, even by a world reset)."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self.next_id = 1
        self.allowed: list[str] = []
        self.notifier = Notifier()
        self.closing = False
        self._poll_generation = 0

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        update = {"update_id": self.next_id, kind: payload}
        self.next_id += 1
        self.items.append(update)
        self.notifier.changed()
        return update

    def is_allowed(self, update: dict[str, Any], allowed: list[str] | None = None) -> bool:
        allowed = self.allowed if allowed is None else allowed
        kind = update_type(update)
        return kind in allowed if allowed else kind not in DEFAULT_EXCLUDED

    def confirm(self, offset: int) -> None:
        """Forget updates with ``update_id < offset``; a negative offset keeps the last -N."""
        if offset < 0:
            self.items = self.items[offset:]
        elif offset > 0:
            self.items = [u for u in self.items if u["update_id"] >= offset]

    def drop_all(self) -> None:
        self.items.clear()
        self.notifier.changed()

    def deliverable(self, limit: int = 100, allowed: list[str] | None = None) -> list[dict]:
        """Pending allowed updates; not-allowed ones at the head are discarded."""
        result = []
        for update in list(self.items):
            if not self.is_allowed(update, allowed):
                self.items.remove(update)
                continue
            result.append(update)
            if len(result) >= limit:
                break
        return result

    async def get_updates(
        self,
        offset: int | None,
        limit: int,
        poll_seconds: float,
        allowed: list[str] | None,
        webhook_active: Callable[[], bool],
    ) -> list[dict[str, Any]]:
        """getUpdates semantics, including long-poll and the "other request" conflict."""
        if allowed is not None:
            self.allowed = allowed
        if offset is not None:
            self.confirm(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        self.notifier.changed()  # lets an older long-poll notice it was superseded

        def ready() -> Any:
            if generation != self._poll_generation or webhook_active() or self.closing:
                return True
            return self.deliverable(limit)

        await self.notifier.wait_for(ready, poll_seconds)
        if generation != self._poll_generation:
            raise ApiError(409, POLL_CONFLICT)
        if webhook_active():
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        return self.deliverable(limit)
