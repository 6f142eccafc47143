"""The inbox: every update Telegram sends is stored before Telegram is told it arrived, and
handled from here, one at a time per person, in order, resumed after a crash.

A worker claims the oldest pending update of a person whose earlier updates are all done
(`claim`); the handling and `done` happen in one unit of work, so an update is either handled
with all its effects or not at all. A claim is a lease: if its process dies, another worker
(or the same process after a restart) takes the update again once the lease has run out.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, delete, exists, func, select, update
from sqlalchemy.orm import aliased

from db.database import Sessions
from db.models import InboxUpdate, utcnow
from db.repositories import _insert

log = logging.getLogger(__name__)

KEEP_DONE = dt.timedelta(days=7)  # Telegram resends an update for 24 hours at most
MAX_ATTEMPTS = 3  # then the update is given to a person (see the worker's fallback)


def actor_of(update: dict[str, Any]) -> int:
    """Whose updates these are: the person or operator who acted, else the chat. A change of
    membership is the member's, so that what they do next is handled after it."""
    for key, body in update.items():
        if key == "update_id" or not isinstance(body, dict):
            continue
        member = body.get("new_chat_member")
        person = (member.get("user") if isinstance(member, dict) else None) or (
            body.get("from") or body.get("user")
        )
        if isinstance(person, dict) and isinstance(person.get("id"), int):
            return person["id"]
        chat = body.get("chat")
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return chat["id"]
    return 0


@dataclass(frozen=True)
class Claimed:
    update_id: int
    raw: dict[str, Any]
    attempts: int


def _backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(2**attempts, 60))


@functools.cache
def _claimable(limit: int, postgres: bool):  # type: ignore[no-untyped-def]
    """The claiming query, built once (building it is most of its cost)."""
    now = bindparam("now", type_=InboxUpdate.received_at.type)
    earlier = aliased(InboxUpdate)
    query = (
        select(InboxUpdate.update_id)
        .where(
            InboxUpdate.state == "new",
            (InboxUpdate.claimed_until.is_(None)) | (InboxUpdate.claimed_until < now),
            (InboxUpdate.not_before.is_(None)) | (InboxUpdate.not_before <= now),
            ~exists().where(
                and_(
                    earlier.actor == InboxUpdate.actor,
                    earlier.state == "new",
                    earlier.update_id < InboxUpdate.update_id,
                )
            ),
        )
        .order_by(InboxUpdate.update_id)
        .limit(limit)
    )
    return query.with_for_update(skip_locked=True) if postgres else query


class Inbox:
    def __init__(self, sessions: Sessions, lease: dt.timedelta = dt.timedelta(seconds=60)):
        self._sessions = sessions
        self.lease = lease

    async def store(self, updates: list[dict[str, Any]]) -> int:
        """Store a batch in one short transaction; an update id seen before is ignored.
        Returns how many were new."""
        if not updates:
            return 0
        now = utcnow()
        rows = [
            {
                "update_id": int(u["update_id"]),
                "actor": actor_of(u),
                "raw": json.dumps(u, ensure_ascii=False),
                "state": "new",
                "attempts": 0,
                "received_at": now,
            }
            for u in updates
        ]
        async with self._sessions.apart() as session:
            insert = _insert(session)
            result = await session.execute(
                insert(InboxUpdate)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["update_id"])
            )
            return max(result.rowcount or 0, 0)

    async def claim(self, worker: str, limit: int = 1) -> list[Claimed]:
        """The oldest updates that are each the next of their person's, not claimed by a live
        worker (so at most one per person), oldest first."""
        now = utcnow()
        free = (InboxUpdate.claimed_until.is_(None)) | (InboxUpdate.claimed_until < now)
        async with self._sessions.apart() as session:
            query = _claimable(limit, session.bind.dialect.name == "postgresql")
            candidates = list(await session.scalars(query, {"now": now}))
            if not candidates:
                return []
            await session.execute(
                update(InboxUpdate)
                .where(InboxUpdate.update_id.in_(candidates), InboxUpdate.state == "new", free)
                .values(claimed_by=worker, claimed_until=now + self.lease)
            )
            rows = await session.scalars(
                select(InboxUpdate)
                .where(InboxUpdate.update_id.in_(candidates), InboxUpdate.claimed_by == worker)
                .order_by(InboxUpdate.update_id)
            )
            return [
                Claimed(r.update_id, json.loads(r.raw), r.attempts)
                for r in rows
                if r.raw is not None
            ]

    async def done(self, update_ids: list[int], worker: str) -> bool:
        """Mark the updates handled, inside the unit of work that handled them. False when a
        claim was lost meanwhile (another worker took it over): then the unit must roll back."""
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(InboxUpdate)
                .where(
                    InboxUpdate.update_id.in_(update_ids),
                    InboxUpdate.state == "new",
                    InboxUpdate.claimed_by == worker,
                )
                .values(state="done", raw=None, done_at=utcnow(), claimed_by=None)
            )
            return result.rowcount == len(set(update_ids))

    async def failed(self, update_id: int, worker: str, error: str) -> int:
        """An attempt failed on our side: try again later. Returns the attempts so far."""
        async with self._sessions.apart() as session:
            row = await session.get(InboxUpdate, update_id)
            if row is None or row.claimed_by != worker or row.state != "new":
                return 0
            row.attempts += 1
            row.claimed_by, row.claimed_until = None, None
            row.not_before = utcnow() + _backoff(row.attempts)
            log.warning("update %s failed (attempt %d): %s", update_id, row.attempts, error)
            return row.attempts

    async def give_up(self, update_id: int) -> None:
        async with self._sessions.begin() as session:
            await session.execute(
                update(InboxUpdate)
                .where(InboxUpdate.update_id == update_id)
                .values(state="failed", raw=None, done_at=utcnow(), claimed_by=None)
            )

    async def release_all(self) -> int:
        """Forget every claim (one process on SQLite: claims of a previous run are stale)."""
        async with self._sessions.apart() as session:
            result = await session.execute(
                update(InboxUpdate)
                .where(InboxUpdate.state == "new", InboxUpdate.claimed_by.is_not(None))
                .values(claimed_by=None, claimed_until=None)
            )
            return result.rowcount or 0

    async def unclaim(self, update_ids: list[int], worker: str) -> None:
        async with self._sessions.apart() as session:
            await session.execute(
                update(InboxUpdate)
                .where(InboxUpdate.update_id.in_(update_ids), InboxUpdate.claimed_by == worker)
                .values(claimed_by=None, claimed_until=None)
            )

    async def release(self, worker: str) -> None:
        """At a graceful stop: what this worker claimed and did not finish goes back."""
        async with self._sessions.apart() as session:
            await session.execute(
                update(InboxUpdate)
                .where(InboxUpdate.state == "new", InboxUpdate.claimed_by == worker)
                .values(claimed_by=None, claimed_until=None)
            )

    async def last_update_id(self) -> int:
        """The highest update id stored (0: none)."""
        async with self._sessions.apart() as session:
            return await session.scalar(select(func.max(InboxUpdate.update_id))) or 0

    async def pending(self) -> int:
        async with self._sessions.apart() as session:
            return (
                await session.scalar(
                    select(func.count()).select_from(InboxUpdate).where(InboxUpdate.state == "new")
                )
                or 0
            )

    async def prune(self, before: dt.datetime | None = None) -> None:
        """Handled updates done before `before` (by default: KEEP_DONE ago) are forgotten."""
        before = before or utcnow() - KEEP_DONE
        async with self._sessions.apart() as session:
            await session.execute(
                delete(InboxUpdate).where(InboxUpdate.state != "new", InboxUpdate.done_at < before)
            )
