"""Tickets: opening, the topic they live in, their messages and relayed ids, closing."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.core.vocabulary import Direction, EventKind
from db import repositories as repo
from db.events import log_event
from db.models import MessageLink, Setting, Ticket, TicketMessage


@dataclass(frozen=True)
class TicketView:
    id: int
    user_id: int | None  # None: the person was detached (the ticket is closed)
    status: str  # a TicketStatus
    urgent: bool
    lang: str
    subject: str | None
    group_chat_id: int | None
    thread_id: int | None
    assignee_id: int | None = None
    queue: str | None = None
    waiting_since: dt.datetime | None = None
    topic_error: str | None = None


@dataclass(frozen=True)
class HistoryLine:
    at: dt.datetime
    direction: str  # a Direction
    kind: str
    text: str | None


def view_of(ticket: Ticket) -> TicketView:
    return TicketView(
        ticket.id,
        ticket.user_id,
        ticket.status,
        ticket.urgent,
        ticket.lang,
        ticket.subject,
        ticket.group_chat_id,
        ticket.thread_id,
        ticket.assignee_id,
        ticket.queue,
        ticket.waiting_since,
        ticket.topic_error,
    )


class Tickets:
    def __init__(self, sessions: async_sessionmaker):
        self._sessions = sessions

    async def open(
        self, user_id: int, lang: str, subject: str | None, urgent: bool
    ) -> tuple[TicketView, bool]:
        """The user's open ticket and whether it was created now."""
        async with self._sessions.begin() as session:
            await repo.get_or_create_user(session, user_id)
            ticket = await repo.create_ticket(session, user_id, lang, subject, urgent)
            created = ticket is not None
            if ticket is not None:
                await session.flush()
                await log_event(
                    session,
                    ticket.id,
                    EventKind.OPENED,
                    None,
                    ("urgent " if urgent else "") + (subject or ""),
                )
            else:
                ticket = await repo.open_ticket_of(session, user_id)
                assert ticket is not None
                if urgent and not ticket.urgent:
                    ticket.urgent = True
                    await log_event(session, ticket.id, EventKind.URGENT, None, subject)
            await session.flush()
            return view_of(ticket), created

    async def get(self, ticket_id: int) -> TicketView | None:
        async with self._sessions.begin() as session:
            ticket = await session.get(Ticket, ticket_id)
            return view_of(ticket) if ticket else None

    async def open_of(self, user_id: int) -> TicketView | None:
        async with self._sessions.begin() as session:
            ticket = await repo.open_ticket_of(session, user_id)
            return view_of(ticket) if ticket else None

    async def by_topic(self, chat_id: int, thread_id: int) -> TicketView | None:
        async with self._sessions.begin() as session:
            ticket = await repo.ticket_by_topic(session, chat_id, thread_id)
            return view_of(ticket) if ticket else None

    async def set_topic(self, ticket_id: int, chat_id: int, thread_id: int) -> None:
        """The topic was made; it is ready for messages once its header is sent."""
        async with self._sessions.begin() as session:
            ticket = await session.get(Ticket, ticket_id)
            if ticket is not None:
                ticket.group_chat_id, ticket.thread_id = chat_id, thread_id
                ticket.header_message_id = None

    async def topic_ready(self, ticket_id: int, header_message_id: int) -> None:
        async with self._sessions.begin() as session:
            ticket = await session.get(Ticket, ticket_id)
            if ticket is not None:
                ticket.header_message_id, ticket.topic_error = header_message_id, None

    async def topic_failed(self, ticket_id: int, error: str) -> None:
        async with self._sessions.begin() as session:
            ticket = await session.get(Ticket, ticket_id)
            if ticket is not None:
                ticket.topic_error = error[:200]

    async def clear_topic(self, ticket_id: int) -> None:
        async with self._sessions.begin() as session:
            ticket = await session.get(Ticket, ticket_id)
            if ticket is not None:
                ticket.thread_id, ticket.header_message_id = None, None

    async def header_changed(self, ticket_id: int, text: str, markup: Any) -> bool:
        """Whether the header would show something new; if so, what it shows is written down
        (Telegram refuses an edit that changes nothing, and it costs the group's budget)."""
        digest = hashlib.sha256(json.dumps([text, markup], sort_keys=True).encode()).hexdigest()
        async with self._sessions.begin() as session:
            known = await session.get(Setting, f"header:{ticket_id}")
            if known is not None and known.value == digest:
                return False
            if known is None:
                session.add(Setting(key=f"header:{ticket_id}", value=digest))
            else:
                known.value = digest
            return True

    async def recent_from_person(self, ticket_id: int, since: dt.datetime) -> int:
        """How many messages the person wrote in this ticket since `since`."""
        async with self._sessions.begin() as session:
            return await session.scalar(
                select(func.count()).where(
                    TicketMessage.ticket_id == ticket_id,
                    TicketMessage.direction == Direction.IN,
                    TicketMessage.created_at >= since,
                )
            )

    async def holding(self, ticket_id: int, from_message: int | None = None) -> int | None:
        """The first of the person's messages kept back from the topic (flood control), if
        any; with `from_message`, holding starts there."""
        async with self._sessions.begin() as session:
            held = await session.get(Setting, f"held:{ticket_id}")
            if held is None and from_message is not None:
                session.add(Setting(key=f"held:{ticket_id}", value=str(from_message)))
                return None
            return int(held.value) if held is not None else None

    async def release_held(self, ticket_id: int) -> list[HistoryLine]:
        """The messages kept back, oldest first; they are no longer held."""
        async with self._sessions.begin() as session:
            held = await session.get(Setting, f"held:{ticket_id}")
            if held is None:
                return []
            await session.delete(held)
            rows = list(
                await session.scalars(
                    select(TicketMessage)
                    .where(
                        TicketMessage.ticket_id == ticket_id,
                        TicketMessage.direction == Direction.IN,
                        TicketMessage.id >= int(held.value),
                        TicketMessage.relayed.is_(False),
                    )
                    .order_by(TicketMessage.id)
                )
            )
            for row in rows:
                row.relayed = True
            return [HistoryLine(m.created_at, m.direction, m.kind, m.text) for m in rows]

    async def header_of(self, ticket_id: int) -> int | None:
        async with self._sessions.begin() as session:
            return await session.scalar(
                select(Ticket.header_message_id).where(Ticket.id == ticket_id)
            )

    async def record(
        self,
        ticket: TicketView,
        *,
        direction: Direction,
        kind: str,
        text: str | None,
        sender_id: int | None,
        user_message_id: int | None,
    ) -> int:
        """Store one message of the conversation; its id links it once it is relayed."""
        async with self._sessions.begin() as session:
            message = await repo.add_message(
                session,
                ticket_id=ticket.id,
                direction=direction,
                kind=kind,
                text=text,
                sender_id=sender_id,
                user_message_id=user_message_id,
                relayed=False,
            )
            return message.id

    async def linked_user_message(self, group_chat_id: int, group_message_id: int) -> int | None:
        async with self._sessions.begin() as session:
            return await session.scalar(
                select(MessageLink.user_message_id).where(
                    MessageLink.group_chat_id == group_chat_id,
                    MessageLink.group_message_id == group_message_id,
                )
            )

    async def linked_group_message(self, user_id: int, user_message_id: int) -> int | None:
        async with self._sessions.begin() as session:
            return await session.scalar(
                select(MessageLink.group_message_id).where(
                    MessageLink.user_chat_id == user_id,
                    MessageLink.user_message_id == user_message_id,
                )
            )

    async def revise(
        self, ticket_id: int, user_message_id: int, direction: Direction, text: str
    ) -> None:
        """A relayed message was edited: its stored text (masked) becomes the new one."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(TicketMessage)
                .where(
                    TicketMessage.ticket_id == ticket_id,
                    TicketMessage.user_message_id == user_message_id,
                    TicketMessage.direction == direction,
                )
                .values(text=text)
            )

    async def history(self, ticket_id: int) -> list[HistoryLine]:
        async with self._sessions.begin() as session:
            rows = await session.scalars(
                select(TicketMessage)
                .where(TicketMessage.ticket_id == ticket_id)
                .order_by(TicketMessage.id)
            )
            return [HistoryLine(m.created_at, m.direction, m.kind, m.text) for m in rows]

    async def move_group(self, old_chat_id: int, new_chat_id: int) -> None:
        """The operators' group became a supergroup with a new id: its topics are gone."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(Ticket)
                .where(Ticket.group_chat_id == old_chat_id)
                .values(group_chat_id=new_chat_id, thread_id=None, header_message_id=None)
            )
