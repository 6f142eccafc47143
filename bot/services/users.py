"""Users: what the engine needs to know of them, and the changes it asks for."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.core.messages import SetConsent, SetLanguage, UserView
from bot.services import retention
from db import repositories as repo
from db.models import utcnow

SEEN_PRECISION = dt.timedelta(hours=1)


class Users:
    def __init__(self, sessions: async_sessionmaker):
        self._sessions = sessions

    async def view(self, user_id: int) -> UserView:
        async with self._sessions.begin() as session:
            user = await repo.get_or_create_user(session, user_id)
            now = utcnow()
            if now - user.last_seen_at > SEEN_PRECISION:  # no write for every message
                user.last_seen_at = now
            if user.blocked:
                user.blocked = False  # they wrote to us, so they have not blocked the bot
            ticket = await repo.open_ticket_of(session, user_id)
            return UserView(
                user_id=user_id,
                lang=user.lang,
                consented=user.consent_at is not None,
                open_ticket=ticket.id if ticket else None,
            )

    async def apply(self, user_id: int, action: SetLanguage | SetConsent) -> None:
        async with self._sessions.begin() as session:
            user = await repo.get_or_create_user(session, user_id)
            if isinstance(action, SetLanguage):
                user.lang = action.lang
            elif isinstance(action, SetConsent):
                user.consent_at = utcnow() if action.accepted else None

    async def erase(self, user_id: int) -> list[tuple[int, int]]:
        """Everything about the person, gone; returns their topics (group id, thread id)."""
        async with self._sessions.begin() as session:
            return await retention.erase(session, user_id)

    async def mark_blocked(self, user_id: int) -> None:
        async with self._sessions.begin() as session:
            user = await repo.get_or_create_user(session, user_id)
            user.blocked = True
