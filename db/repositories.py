"""Queries over the models. Each takes a session and never commits: services do."""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.vocabulary import TicketStatus
from db.models import Lease, Ticket, TicketMessage, User, utcnow


def _insert(session: AsyncSession):  # type: ignore[no-untyped-def]
    """INSERT with ON CONFLICT support for the session's database."""
    if session.bind.dialect.name == "postgresql":
        return postgresql_insert
    return sqlite_insert


def live_processes() -> Select:
    """How many bot processes said in the last 20 s that they are alive (their heartbeat,
    bot/telegram/intake.py): none, and the database may be worked on with the bot stopped."""
    alive = (Lease.name.like("p:%"), Lease.until >= utcnow())
    return select(func.count()).select_from(Lease).where(*alive)


async def get_or_create_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        try:
            async with session.begin_nested():
                user = User(id=user_id)
                session.add(user)
        except IntegrityError:  # created at the same moment by another process
            user = await session.get(User, user_id)
            assert user is not None
    return user


async def open_ticket_of(session: AsyncSession, user_id: int) -> Ticket | None:
    return await session.scalar(
        select(Ticket).where(Ticket.user_id == user_id, Ticket.status != TicketStatus.CLOSED)
    )


async def ticket_by_topic(session: AsyncSession, chat_id: int, thread_id: int) -> Ticket | None:
    return await session.scalar(
        select(Ticket)
        .where(Ticket.group_chat_id == chat_id, Ticket.thread_id == thread_id)
        .order_by(Ticket.id.desc())
    )


async def create_ticket(
    session: AsyncSession, user_id: int, lang: str, subject: str | None, urgent: bool
) -> Ticket | None:
    """A new open ticket, or None when the user has one already (unique index)."""
    try:
        async with session.begin_nested():
            ticket = Ticket(user_id=user_id, lang=lang, subject=subject, urgent=urgent)
            session.add(ticket)
        return ticket
    except IntegrityError:
        return None


async def add_message(session: AsyncSession, **fields: object) -> TicketMessage:
    message = TicketMessage(**fields)
    session.add(message)
    await session.flush()
    return message
