"""The update queue (getUpdates / webhook source) and a change notifier for long-polls.

Acknowledgement follows telegram-bot-api (``Client::do_get_updates`` over TDLib's ``TQueue``):

* an update is confirmed only by a later ``getUpdates`` whose ``offset`` is higher than its
  ``update_id`` (or by a successful webhook delivery); handing it out confirms nothing, so an
  update answered to a connection that died is returned again by the next call;
* the offset is applied when the request arrives, before any long-poll wait, and again when
  the wait ends (updates created meanwhile with a lower id are forgotten too);
* no offset, ``0`` or an offset below the oldest pending update returns every pending update;
  a negative offset ``-N`` forgets all but the newest N; an offset more than 10 beyond the
  next ``update_id`` is ignored ("Specified from_id is in the future"): nothing is forgotten;
* ``allowed_updates`` filters updates when they are created, so updates already pending are
  still delivered after the filter changes ("this parameter doesn't affect updates created
  before the call to getUpdates").
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from bot.sandbox.errors import ApiError

# Update types delivered when allowed_updates is empty or was never given.
DEFAULT_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
# telegram-bot-api ignores an offset beyond the queue's tail by more than this.
FUTURE_OFFSET_SLACK = 10
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
        self.waiting = 0  # getUpdates requests now in a long-poll wait
        self._poll_generation = 0

    def push(self, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
        """Queue an update, unless the current ``allowed_updates`` excludes its type.

        A filtered update gets no ``update_id`` (as in Telegram, it is never created); the
        returned dict then has only the ``kind`` key.
        """
        if not self.is_allowed({kind: payload}):
            return {kind: payload}
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
        """Forget updates with ``update_id < offset``; a negative offset keeps the last -N.

        An offset in the future (beyond the next ``update_id`` by more than
        :data:`FUTURE_OFFSET_SLACK`) confirms nothing, as in telegram-bot-api.
        """
        if offset < 0:
            self.items = self.items[offset:]
        elif 0 < offset <= self.next_id + FUTURE_OFFSET_SLACK:
            self.items = [u for u in self.items if u["update_id"] >= offset]

    def drop_all(self) -> None:
        self.items.clear()
        self.notifier.changed()

    def deliverable(self, limit: int = 100) -> list[dict[str, Any]]:
        """The oldest pending updates, at most ``limit``; nothing is confirmed."""
        return self.items[:limit]

    async def get_updates(
        self,
        offset: int | None,
        limit: int,
        poll_seconds: float,
        allowed: list[str] | None,
        webhook_active: Callable[[], bool],
    ) -> list[dict[str, Any]]:
        """getUpdates semantics, including long-poll and the "other request" conflict.

        Only ``offset`` confirms: what this call returns stays pending until a later call
        confirms it, whether or not the caller ever reads the answer.
        """
        if allowed is not None:
            self.allowed = allowed
        offset = offset or 0
        if offset < 0:
            self.confirm(offset)  # resolved once: keep the newest -offset updates
        self._poll_generation += 1
        generation = self._poll_generation
        self.notifier.changed()  # lets an older long-poll notice it was superseded

        def ready() -> Any:
            if generation != self._poll_generation or webhook_active() or self.closing:
                return True
            if offset > 0:
                self.confirm(offset)  # telegram-bot-api re-applies the offset on wake-up
            return self.deliverable(limit)

        self.waiting += 1
        try:
            await self.notifier.wait_for(ready, poll_seconds)
        finally:
            self.waiting -= 1
        if generation != self._poll_generation:
            raise ApiError(409, POLL_CONFLICT)
        if webhook_active():
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        if offset > 0:
            self.confirm(offset)
        return self.deliverable(limit)
