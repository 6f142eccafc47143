"""The operators' queue: taking, releasing, closing, transferring tickets, with an event log.

Claims are atomic: a conditional UPDATE (`... WHERE status = 'waiting'`) lets exactly one of
several operators who press Take at once win; `/next` picks its candidate with
`SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite has no row locks: there the
conditional update alone decides, and a lost race moves on to the next candidate).
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.vocabulary import EventKind, TicketStatus
from bot.services.gaps import helpful
from bot.services.tickets import TicketView, view_of
from db.events import log_event
from db.models import Operator, Ticket, TicketEvent, utcnow

SPECIALIST_QUEUES = ("lawyer", "social", "medical")
CLOSE_CATEGORIES = ("answered", "referred", "no_reply", "not_our_work", "spam")
MEMBERSHIP = (EventKind.MEMBER_JOINED, EventKind.MEMBER_LEFT)  # of the operators' group
AUDITED = (EventKind.REFUSED, *MEMBERSHIP, EventKind.CONSOLE_SIGNIN, EventKind.CONSOLE_EXPORT)


@dataclass(frozen=True)
class Claim:
    ok: bool
    ticket: TicketView | None
    assignee_id: int | None  # who has it now


@dataclass(frozen=True)
class Stats:
    opened: int
    closed: int
    waiting: int
    taken: int
    median_first_response: float | None  # seconds
    ratings: int
    mean_rating: float | None
    answers: tuple[tuple[str, str, int, int], ...] = ()  # (entry, lang, helped, did not help)


async def _claim(
    session: AsyncSession, ticket_id: int, operator_id: int, detail: str | None = None
) -> bool:
    """Take a waiting ticket; exactly one of several simultaneous claims succeeds."""
    result = await session.execute(
        update(Ticket)
        .where(Ticket.id == ticket_id, Ticket.status == TicketStatus.WAITING)
        .values(
            status=TicketStatus.TAKEN,
            assignee_id=operator_id,
            taken_at=utcnow(),
            last_operator_reply_at=None,
        )
    )
    if result.rowcount == 1:
        await log_event(session, ticket_id, EventKind.TAKEN, operator_id, detail)
    return result.rowcount == 1


def _queue_order():  # type: ignore[no-untyped-def]
    return (Ticket.urgent.desc(), Ticket.waiting_since.asc(), Ticket.id.asc())


class Queue:
    def __init__(self, sessions: async_sessionmaker):
        self._sessions = sessions

    async def event(
        self,
        ticket_id: int | None,
        kind: str,
        actor_id: int | None = None,
        detail: str | None = None,
    ) -> None:
        async with self._sessions.begin() as session:
            await log_event(session, ticket_id, kind, actor_id, detail)

    async def events(self, ticket_id: int) -> list[TicketEvent]:
        async with self._sessions.begin() as session:
            rows = await session.scalars(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket_id)
                .order_by(TicketEvent.id)
            )
            return list(rows)

    async def audit(self, limit: int = 20) -> list[TicketEvent]:
        """The latest refusals, changes of membership, console sign-ins and exports, newest
        first."""
        async with self._sessions.begin() as session:
            rows = await session.scalars(
                select(TicketEvent)
                .where(TicketEvent.kind.in_(AUDITED))
                .order_by(TicketEvent.id.desc())
                .limit(limit)
            )
            return list(rows)

    # -- membership of the operators' group ---------------------------------------------------
    def _membership(self):  # type: ignore[no-untyped-def]
        return select(TicketEvent.actor_id, TicketEvent.kind, TicketEvent.at).where(
            TicketEvent.ticket_id.is_(None), TicketEvent.kind.in_(MEMBERSHIP)
        )

    async def membership(self, operator_id: int) -> tuple[bool, dt.datetime] | None:
        """The last change of this operator's membership Telegram told us of: (is a member,
        when), or None."""
        async with self._sessions.begin() as session:
            row = (
                await session.execute(
                    self._membership()
                    .where(TicketEvent.actor_id == operator_id)
                    .order_by(TicketEvent.id.desc())
                    .limit(1)
                )
            ).first()
            return (row.kind == EventKind.MEMBER_JOINED, row.at) if row else None

    async def gone(self) -> set[int]:
        """Operators whose last change of membership was leaving the group."""
        async with self._sessions.begin() as session:
            last = {a: k for a, k, _at in await session.execute(self._membership())}
            return {actor for actor, kind in last.items() if kind == EventKind.MEMBER_LEFT}

    async def membership_changed(
        self, operator_id: int, joined: bool, by: int | None = None
    ) -> list[TicketView]:
        """Record a join or a departure; whoever left gives their tickets back to the queue.
        Returns those tickets."""
        async with self._sessions.begin() as session:
            detail = f"by {by}" if by not in (None, operator_id) else None
            kind = EventKind.MEMBER_JOINED if joined else EventKind.MEMBER_LEFT
            await log_event(session, None, kind, operator_id, detail)
            if joined:
                return []
            taken = await session.scalars(
                select(Ticket)
                .where(Ticket.status == TicketStatus.TAKEN, Ticket.assignee_id == operator_id)
                .order_by(Ticket.id)
                .with_for_update()
            )
            returned = []
            for t in taken:
                await log_event(session, t.id, EventKind.RETURNED, operator_id, "left the group")
                t.status, t.assignee_id = TicketStatus.WAITING, None
                t.waiting_since, t.announced_at = utcnow(), None
                returned.append(view_of(t))
            return returned

    # -- claiming ---------------------------------------------------------------------------
    async def take(self, ticket_id: int, operator_id: int) -> Claim:
        async with self._sessions.begin() as session:
            ok = await _claim(session, ticket_id, operator_id)
            ticket = await session.get(Ticket, ticket_id, populate_existing=True)
            return Claim(
                ok, view_of(ticket) if ticket else None, ticket.assignee_id if ticket else None
            )

    async def next_for(self, operator_id: int) -> Claim:
        """Take the most urgent, oldest waiting ticket, preferring the operator's languages
        and specialist roles."""
        async with self._sessions.begin() as session:
            operator = await session.get(Operator, operator_id)
            langs = operator.langs.split() if operator else []
            roles = operator.roles.split() if operator else []
            readable = case((Ticket.lang.in_(langs), 0), else_=1) if langs else None
            mine = case((Ticket.queue.in_(roles), 0), (Ticket.queue.is_(None), 1), else_=2)
            order = [mine] + ([readable] if readable is not None else []) + list(_queue_order())
            tried: list[int] = []
            while True:
                query = (
                    select(Ticket.id).where(Ticket.status == TicketStatus.WAITING).order_by(*order)
                )
                if tried:
                    query = query.where(Ticket.id.not_in(tried))
                candidate = await session.scalar(query.limit(1).with_for_update(skip_locked=True))
                if candidate is None:
                    return Claim(False, None, None)
                if await _claim(session, candidate, operator_id, "next"):
                    ticket = await session.get(Ticket, candidate, populate_existing=True)
                    assert ticket is not None
                    return Claim(True, view_of(ticket), operator_id)
                tried.append(candidate)

    async def release(
        self, ticket_id: int, operator_id: int, kind: EventKind = EventKind.RELEASED
    ) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(Ticket)
                .where(
                    Ticket.id == ticket_id,
                    Ticket.status == TicketStatus.TAKEN,
                    Ticket.assignee_id == operator_id,
                )
                .values(
                    status=TicketStatus.WAITING,
                    assignee_id=None,
                    waiting_since=utcnow(),
                    announced_at=None,
                )
            )
            if result.rowcount == 1:
                await log_event(session, ticket_id, kind, operator_id)
            return result.rowcount == 1

    async def transfer(
        self,
        ticket_id: int,
        operator_id: int,
        *,
        to_operator: int | None = None,
        to_queue: str | None = None,
    ) -> bool:
        async with self._sessions.begin() as session:
            ticket = await session.get(Ticket, ticket_id, with_for_update=True)
            if ticket is None or ticket.status == TicketStatus.CLOSED:
                return False
            if to_operator is not None:
                ticket.status, ticket.assignee_id = TicketStatus.TAKEN, to_operator
                ticket.taken_at = utcnow()
                detail = f"operator {to_operator}"
            else:
                ticket.status, ticket.assignee_id = TicketStatus.WAITING, None
                ticket.queue, ticket.waiting_since, ticket.announced_at = to_queue, utcnow(), None
                detail = f"queue {to_queue}"
            await log_event(session, ticket_id, EventKind.TRANSFERRED, operator_id, detail)
            return True

    async def close(self, ticket_id: int, actor_id: int | None, category: str) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(Ticket)
                .where(Ticket.id == ticket_id, Ticket.status != TicketStatus.CLOSED)
                .values(status=TicketStatus.CLOSED, resolution=category, closed_at=utcnow())
            )
            if result.rowcount == 1:
                await log_event(session, ticket_id, EventKind.CLOSED, actor_id, category)
            return result.rowcount == 1

    async def reopen_recent(self, user_id: int, within: dt.timedelta) -> TicketView | None:
        """The user's ticket closed within `within`, opened again (same topic, same history)."""
        async with self._sessions.begin() as session:
            ticket = await session.scalar(
                select(Ticket)
                .where(
                    Ticket.user_id == user_id,
                    Ticket.status == TicketStatus.CLOSED,
                    Ticket.resolution != "user_blocked",
                )
                .order_by(Ticket.closed_at.desc())
                .limit(1)
            )
            closed_at = ticket.closed_at if ticket else None
            if ticket is None or closed_at is None or utcnow() - closed_at > within:
                return None
            ticket.status, ticket.assignee_id, ticket.closed_at = TicketStatus.WAITING, None, None
            ticket.resolution, ticket.rating = None, None
            ticket.waiting_since, ticket.announced_at = utcnow(), None
            await log_event(session, ticket.id, EventKind.REOPENED)
            await session.flush()
            return view_of(ticket)

    async def operator_replied(self, ticket_id: int) -> None:
        async with self._sessions.begin() as session:
            now = utcnow()
            await session.execute(
                update(Ticket)
                .where(Ticket.id == ticket_id)
                .values(
                    last_operator_reply_at=now,
                    first_response_at=func.coalesce(Ticket.first_response_at, now),
                )
            )

    async def rate(self, ticket_id: int, user_id: int, rating: int) -> bool:
        async with self._sessions.begin() as session:
            result = await session.execute(
                update(Ticket)
                .where(
                    Ticket.id == ticket_id,
                    Ticket.user_id == user_id,
                    Ticket.status == TicketStatus.CLOSED,
                    Ticket.rating.is_(None),
                )
                .values(rating=rating)
            )
            if result.rowcount == 1:
                await log_event(session, ticket_id, EventKind.RATED, None, str(rating))
            return result.rowcount == 1

    # -- reading ----------------------------------------------------------------------------
    async def waiting(self) -> list[TicketView]:
        async with self._sessions.begin() as session:
            rows = await session.scalars(
                select(Ticket)
                .where(Ticket.status == TicketStatus.WAITING)
                .order_by(*_queue_order())
            )
            return [view_of(t) for t in rows]

    async def mine(self, operator_id: int) -> list[TicketView]:
        async with self._sessions.begin() as session:
            rows = await session.scalars(
                select(Ticket)
                .where(Ticket.status == TicketStatus.TAKEN, Ticket.assignee_id == operator_id)
                .order_by(Ticket.id)
            )
            return [view_of(t) for t in rows]

    async def position(self, ticket_id: int) -> tuple[int, float | None]:
        """Place in the queue (1 = next) and the expected wait in seconds, if known."""
        async with self._sessions.begin() as session:
            ticket = await session.get(Ticket, ticket_id)
            if ticket is None or ticket.status != TicketStatus.WAITING:
                return 0, None
            earlier = (Ticket.waiting_since < ticket.waiting_since) | and_(
                Ticket.waiting_since == ticket.waiting_since, Ticket.id < ticket.id
            )
            same_priority = and_(Ticket.urgent.is_(ticket.urgent), earlier)
            ahead_of_me = (
                same_priority if ticket.urgent else (Ticket.urgent.is_(True)) | same_priority
            )
            ahead = await session.scalar(
                select(func.count())
                .select_from(Ticket)
                .where(Ticket.status == TicketStatus.WAITING, Ticket.id != ticket.id, ahead_of_me)
            )
            recent = await session.execute(
                select(Ticket.created_at, Ticket.first_response_at)
                .where(Ticket.first_response_at.is_not(None))
                .order_by(Ticket.id.desc())
                .limit(20)
            )
            waits = [(r - c).total_seconds() for c, r in recent]
            place = (ahead or 0) + 1
            return place, statistics.median(waits) * place if waits else None

    async def stats(self, since: dt.datetime) -> Stats:
        """Since `since`, a local midnight (its day is the feedback's first day)."""
        day = since.date()
        async with self._sessions.begin() as session:

            def count(*where):  # type: ignore[no-untyped-def]
                return session.scalar(select(func.count()).select_from(Ticket).where(*where))

            opened = await count(Ticket.created_at >= since)
            closed = await count(Ticket.closed_at >= since)
            waiting = await count(Ticket.status == TicketStatus.WAITING)
            taken = await count(Ticket.status == TicketStatus.TAKEN)
            rows = await session.execute(
                select(Ticket.created_at, Ticket.first_response_at).where(
                    Ticket.first_response_at >= since
                )
            )
            firsts = [(r - c).total_seconds() for c, r in rows]
            ratings = list(
                await session.scalars(
                    select(Ticket.rating).where(
                        Ticket.closed_at >= since, Ticket.rating.is_not(None)
                    )
                )
            )
            return Stats(
                opened or 0,
                closed or 0,
                waiting or 0,
                taken or 0,
                statistics.median(firsts) if firsts else None,
                len(ratings),
                statistics.mean(ratings) if ratings else None,
                tuple(await helpful(session, day, dt.date.max)),
            )

    async def overdue(
        self, waiting_after: dt.timedelta, silent_after: dt.timedelta
    ) -> tuple[list[TicketView], list[TicketView]]:
        """Tickets to announce again (waiting too long) and to put back in the queue (taken,
        but no operator reply for too long)."""
        now = utcnow()
        async with self._sessions.begin() as session:
            waiting = await session.scalars(
                select(Ticket)
                .where(Ticket.status == TicketStatus.WAITING)
                .order_by(*_queue_order())
            )
            announce = []
            for t in waiting:
                last = t.announced_at or t.waiting_since
                if last is not None and now - last >= waiting_after:
                    t.announced_at = now
                    await log_event(session, t.id, EventKind.ANNOUNCED)
                    announce.append(view_of(t))
            taken = await session.scalars(select(Ticket).where(Ticket.status == TicketStatus.TAKEN))
            silent = []
            for t in taken:
                last = t.last_operator_reply_at or t.taken_at
                if last is not None and now - last >= silent_after:
                    await log_event(session, t.id, EventKind.RETURNED, t.assignee_id, "no reply")
                    t.status, t.assignee_id = TicketStatus.WAITING, None
                    t.waiting_since, t.announced_at = now, None
                    silent.append(view_of(t))
            return announce, silent
