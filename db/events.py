"""The append-only ticket event log: who did what, when."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.vocabulary import EventKind
from db.models import TicketEvent


async def log_event(
    session: AsyncSession,
    ticket_id: int | None,
    kind: EventKind,
    actor_id: int | None = None,
    detail: str | None = None,
) -> None:
    session.add(
        TicketEvent(
            ticket_id=ticket_id,
            kind=kind,
            actor_id=actor_id,
            detail=detail[:200] if detail else None,
        )
    )
