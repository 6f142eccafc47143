"""What is kept about a person, and for how long (docs/privacy.md).

`erase` runs when a person asks to delete their data; `purge` runs every hour and erases
what is past the retention. Neither leaves the person's Telegram id or words in any table:
their tickets stay for statistics (language, subject, urgency, times, rating), detached."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.vocabulary import TicketStatus
from bot.services.gaps import Gaps
from bot.services.inbox import KEEP_DONE, Inbox
from bot.services.outbox import Outbox, cause, prune_outbox
from db.database import Sessions
from db.models import (
    InboxUpdate,
    MessageLink,
    OutboxMessage,
    Setting,
    Ticket,
    TicketEvent,
    TicketMessage,
    Unanswered,
    User,
    utcnow,
)

log = logging.getLogger(__name__)
UPDATE_IDS_KEPT = dt.timedelta(days=7)


async def detach(session: AsyncSession, ticket_ids: list[int]) -> int:
    """Keep these tickets' figures without their person: their messages, relayed ids and
    unsent calls go, an open one is closed. Returns how many messages went."""
    if not ticket_ids:
        return 0
    which = Ticket.id.in_(ticket_ids)
    removed = await session.execute(
        delete(TicketMessage).where(TicketMessage.ticket_id.in_(ticket_ids))
    )
    await session.execute(delete(MessageLink).where(MessageLink.ticket_id.in_(ticket_ids)))
    # What flood control and the header edits remember of a ticket (held:<id>, header:<id>)
    keys = [f"{kind}:{ticket}" for kind in ("held", "header") for ticket in ticket_ids]
    await session.execute(delete(Setting).where(Setting.key.in_(keys)))
    await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.ticket_id.in_(ticket_ids), OutboxMessage.state == "pending"
        )
    )
    await session.execute(
        update(Ticket)
        .where(which)
        .values(
            user_id=None,
            thread_id=None,
            header_message_id=None,
            status=TicketStatus.CLOSED,
            closed_at=func.coalesce(Ticket.closed_at, utcnow()),
            resolution=func.coalesce(Ticket.resolution, "deleted"),
        )
    )
    return removed.rowcount or 0


async def topics_of(session: AsyncSession, ticket_ids: list[int]) -> list[tuple[int, int]]:
    rows = await session.execute(
        select(Ticket.group_chat_id, Ticket.thread_id).where(
            Ticket.id.in_(ticket_ids), Ticket.thread_id.is_not(None)
        )
    )
    return [(chat, thread) for chat, thread in rows if chat is not None]


async def erase(session: AsyncSession, user_id: int) -> list[tuple[int, int]]:
    """Everything stored about a person, gone (they asked to delete their data). Returns the
    topics of their tickets, for the caller to delete from the group."""
    tickets = list(await session.scalars(select(Ticket.id).where(Ticket.user_id == user_id)))
    topics = await topics_of(session, tickets)
    await detach(session, tickets)
    await session.execute(delete(Unanswered).where(Unanswered.user_id == user_id))
    # Update ids stay (a second delivery is recognised), without whose they were.
    await session.execute(
        update(InboxUpdate)
        .where(
            InboxUpdate.actor == user_id,
            or_(InboxUpdate.state != "new", InboxUpdate.update_id == cause.get()),
        )
        .values(actor=0, raw=None)
    )
    await session.execute(
        delete(OutboxMessage).where(
            OutboxMessage.chat_id == user_id, OutboxMessage.state != "pending"
        )
    )
    # The audit log names whoever was refused, and whom a refused transfer was for.
    await session.execute(
        update(TicketEvent).where(TicketEvent.actor_id == user_id).values(actor_id=None)
    )
    await session.execute(
        update(TicketEvent).where(TicketEvent.detail.contains(str(user_id))).values(detail=None)
    )
    await session.execute(delete(User).where(User.id == user_id))
    return topics


async def purge(
    sessions: Sessions, outbox: Outbox, retention_days: int, now: dt.datetime | None = None
) -> int:
    """Conversations that ended over `retention_days` ago lose their messages, topic and
    person; people not seen for as long, with no conversation left, are erased. Returns
    how many messages went."""
    now = now or utcnow()
    before = now - dt.timedelta(days=retention_days)
    async with sessions.unit() as session:
        ended = list(
            await session.scalars(
                select(Ticket.id).where(
                    Ticket.status == TicketStatus.CLOSED,
                    Ticket.closed_at < before,
                    Ticket.user_id.is_not(None),
                )
            )
        )
        for chat, thread in await topics_of(session, ended):
            await outbox.delete_topic(chat, thread)
        removed = await detach(session, ended)
        gone = (User.last_seen_at < before) & ~exists().where(Ticket.user_id == User.id)
        await session.execute(
            update(Unanswered)
            .where(
                Unanswered.user_id.is_not(None),
                (Unanswered.created_at < before)
                | Unanswered.user_id.in_(select(User.id).where(gone)),
            )
            .values(user_id=None)
        )
        people = await session.execute(delete(User).where(gone))
    await Inbox(sessions).prune(min(now - KEEP_DONE, before))
    await prune_outbox(sessions, min(now - UPDATE_IDS_KEPT, before))
    await Gaps(sessions).prune(now)
    await sessions.checkpoint()
    if removed or people.rowcount:
        log.info(
            "purged %d message(s) of %d conversation(s) and %d person(s) over %d days",
            removed,
            len(ended),
            people.rowcount or 0,
            retention_days,
        )
    return removed


async def purge_forever(
    sessions: Sessions, outbox: Outbox, retention_days: int, every: float = 3600
) -> None:
    while True:
        try:
            await purge(sessions, outbox, retention_days)
        except Exception:  # the next round tries again
            log.exception("purge failed")
        await asyncio.sleep(every)
