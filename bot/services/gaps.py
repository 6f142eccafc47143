"""Questions the bot could not answer confidently, kept masked for editors (`content gaps`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.core.messages import Unanswered as UnansweredAction
from db.models import Unanswered, utcnow
from nlu.gaps import mask

KEEP = dt.timedelta(days=180)


class Gaps:
    def __init__(self, sessions: async_sessionmaker):
        self._sessions = sessions

    async def record(self, gap: UnansweredAction, user_id: int | None = None) -> None:
        async with self._sessions.begin() as session:
            session.add(
                Unanswered(
                    text=mask(gap.text)[:500],
                    user_id=user_id,
                    lang=gap.lang,
                    outcome=gap.outcome,
                    nearest=" ".join(gap.nearest)[:200],
                )
            )

    async def texts(self, since: dt.datetime | None = None) -> list[str]:
        async with self._sessions.begin() as session:
            query = select(Unanswered.text)
            if since is not None:
                query = query.where(Unanswered.created_at >= since)
            return list(await session.scalars(query))

    async def prune(self, now: dt.datetime | None = None) -> None:
        """Questions older than KEEP go (the purge calls it every hour; any caller may)."""
        before = (now or utcnow()) - KEEP
        async with self._sessions.begin() as session:
            await session.execute(delete(Unanswered).where(Unanswered.created_at < before))
