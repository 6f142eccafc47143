"""Questions the bot could not answer confidently, kept masked for editors (`content gaps`)."""

from __future__ import annotations

import asyncio
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


def print_gaps(settings) -> int:  # type: ignore[no-untyped-def]
    """Print the stored unanswered questions, grouped by similarity, with the nearest ids."""
    from bot.keys import open_database
    from bot.knowledge import load_knowledge
    from db.database import make_sessions
    from nlu.gaps import group_gaps

    async def read() -> list[str]:
        engine = await open_database(settings)
        try:
            return await Gaps(make_sessions(engine)).texts()
        finally:
            await engine.dispose()

    texts = asyncio.run(read())
    if not texts:
        print("no unanswered questions stored yet")
        return 0
    classifier = load_knowledge(settings.content_dir).classifier
    groups = group_gaps(texts, classifier)
    print(f"{len(texts)} unanswered question(s) in {len(groups)} group(s), largest first\n")
    for group in groups:
        nearest = ", ".join(f"{i} ({c:.2f})" for i, c in group.nearest)
        print(f"{group.count} × nearest: {nearest or '-'}")
        for example in group.examples:
            print(f"    {example}")
    return 0
