"""What became of the questions: each of the bot's decisions on one counted by day, language
and outcome (no text, no person), what people said of the answers counted by day, entry and
language, and the questions the bot could not answer confidently kept masked for editors
(`content gaps`)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.messages import Decision, Feedback
from bot.core.messages import Unanswered as UnansweredAction
from db.models import AnswerFeedback, QuestionOutcome, Unanswered, utcnow
from nlu.gaps import mask

KEEP = dt.timedelta(days=180)
# The engine's outcomes counted, as the dashboard names them; other decisions (menus,
# buttons, messages to an open ticket) are not questions to the bot.
COUNTED = {
    "answer": "answer",  # a written question answered from the content
    "question": "answer",  # a question picked from a list
    "clarify": "clarify",
    "clarify_urgent": "clarify",
    "none": "none",
    "urgent": "urgent",
    "escalate": "person",
}


async def helpful(
    session: AsyncSession, start: dt.date, end: dt.date
) -> list[tuple[str, str, int, int]]:
    """(entry, language, helped, did not help) from `start` to `end` (local days, both
    included), the most said first."""
    helped, not_helped = func.sum(AnswerFeedback.helped), func.sum(AnswerFeedback.not_helped)
    rows = await session.execute(
        select(AnswerFeedback.entry, AnswerFeedback.lang, helped, not_helped)
        .where(AnswerFeedback.day.between(start, end))
        .group_by(AnswerFeedback.entry, AnswerFeedback.lang)
        .order_by((helped + not_helped).desc(), AnswerFeedback.entry, AnswerFeedback.lang)
    )
    return [(entry, lang, int(h), int(n)) for entry, lang, h, n in rows]


class Gaps:
    def __init__(self, sessions: async_sessionmaker, timezone: str = "Asia/Almaty"):
        self._sessions = sessions
        self._tz = ZoneInfo(timezone)  # whose days the outcomes are counted in

    async def count(self, decision: Decision) -> None:
        """One more of the decision's outcome today, in the update's unit of work."""
        outcome = COUNTED.get(decision.outcome.split("+")[0])  # "none+switch_offer": none
        if outcome is None:
            return
        async with self._sessions.begin() as session:
            dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
            row = dialect.insert(QuestionOutcome).values(
                day=dt.datetime.now(self._tz).date(),
                lang=decision.lang or "-",
                outcome=outcome,
                count=1,
            )
            await session.execute(
                row.on_conflict_do_update(
                    index_elements=["day", "lang", "outcome"],
                    set_={"count": QuestionOutcome.count + 1},
                )
            )

    async def feedback(self, said: Feedback, lang: str) -> None:
        """One more "this helped" (or "talk to a person" under the answer) for the entry in
        this language today, in the update's unit of work."""
        column = "helped" if said.helpful else "not_helped"
        async with self._sessions.begin() as session:
            dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
            row = dialect.insert(AnswerFeedback).values(
                day=dt.datetime.now(self._tz).date(),
                entry=said.entry_id[:64],
                lang=lang,
                helped=int(said.helpful),
                not_helped=int(not said.helpful),
            )
            await session.execute(
                row.on_conflict_do_update(
                    index_elements=["day", "entry", "lang"],
                    set_={column: getattr(AnswerFeedback, column) + 1},
                )
            )

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
