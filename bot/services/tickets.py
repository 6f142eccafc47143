"""Tickets: opening, the topic they live in, their messages and relayed ids, closing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from db import repositories as repo
from db.models import MessageLink, Ticket, utcnow


@dataclass(frozen=True)
class TicketView:
    id: int
    user_id: int
    status: str
    urgent: bool
    lang: str
    subject: str | None
    group_chat_id: int | None
    thread_id: int | None


def _view(ticket: Ticket) -> TicketView:
    return TicketView(
        ticket.id,
        ticket.user_id,
        ticket.status,
        ticket.urgent,
        ticket.lang,
        ticket.subject,
        ticket.group_chat_id,
        ticket.thread_id,
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
            if ticket is None:
                ticket = await repo.open_ticket_of(session, user_id)
                assert ticket is not None
                if urgent and not ticket.urgent:
                    ticket.urgent = True
            await session.flush()
            return _view(ticket), created

    async def get(self, ticket_id: int) -> TicketView | None:
        async with self._sessions.begin() as session:
            ticket = await session.get(Ticket, ticket_id)
            return _view(ticket) if ticket else None

    async def open_of(self, user_id: int) -> TicketView | None:
        async with self._sessions.begin() as session:
            ticket = await repo.open_ticket_of(session, user_id)
            return _view(ticket) if ticket else None

    async def by_topic(self, chat_id: int, thread_id: int) -> TicketView | None:
        async with self._sessions.begin() as session:
            ticket = await repo.ticket_by_topic(session, chat_id, thread_id)
            return _view(ticket) if ticket else None

    async def set_topic(self, ticket_id: int, chat_id: int, thread_id: int) -> None:
        async with self._sessions.begin() as session:
            ticket = await session.get(Ticket, ticket_id)
            if ticket is not None:
                ticket.group_chat_id, ticket.thread_id = chat_id, thread_id

    async def record(
        self,
        ticket: TicketView,
        *,
        direction: str,
        kind: str,
        text: str | None,
        sender_id: int | None,
        user_message_id: int | None,
        group_message_id: int | None,
    ) -> None:
        """Store one message of the conversation and, when relayed, its ids on both sides."""
        async with self._sessions.begin() as session:
            await repo.add_message(
                session,
                ticket_id=ticket.id,
                direction=direction,
                kind=kind,
                text=text,
                sender_id=sender_id,
                user_message_id=user_message_id,
                relayed=group_message_id is not None and user_message_id is not None,
            )
            if direction == "out" and ticket.status == "waiting":
                db_ticket = await session.get(Ticket, ticket.id)
                if db_ticket is not None and db_ticket.first_response_at is None:
                    db_ticket.first_response_at = utcnow()
            if user_message_id is not None and group_message_id is not None:
                assert ticket.group_chat_id is not None
                await repo.add_link(
                    session,
                    ticket_id=ticket.id,
                    user_chat_id=ticket.user_id,
                    user_message_id=user_message_id,
                    group_chat_id=ticket.group_chat_id,
                    group_message_id=group_message_id,
                    direction="to_group" if direction == "in" else "to_user",
                )

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

    async def close(self, ticket_id: int, resolution: str = "resolved") -> bool:
        async with self._sessions.begin() as session:
            return await repo.close_ticket(session, ticket_id, resolution)
