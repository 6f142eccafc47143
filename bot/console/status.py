"""The content's state (coverage, reviews due, the last reload and its problems) and the
queue as it is now (read-only)."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from bot.content import coverage
from bot.content.check import check
from bot.content.problems import Problem
from bot.core.vocabulary import TicketStatus
from bot.knowledge import KnowledgeStore
from db.database import Sessions
from db.models import Operator, Ticket, utcnow
from nlu.languages import USER_LANGS


@dataclass(frozen=True)
class ContentReport:
    version: str
    loaded_at: dt.datetime
    totals: dict[str, dict[str, int]]  # language -> state -> entries
    to_review: list[tuple[str, str, str]]  # (entry, language, state)
    overdue: list[tuple[str, dt.date]]  # entries past their review date
    problems: list[Problem]  # errors and warnings of the files as they are now
    refused: tuple[dt.datetime, list[Problem]] | None  # the last change that was refused


_checked: dict[tuple, list[Problem]] = {}


async def content_status(store: KnowledgeStore, locales_dir: Path) -> ContentReport:
    content = store.current().content
    today = dt.date.today()
    key = (store.content_dir, content.version, store.loaded_at, today)
    if key not in _checked:  # checking takes a second or two: once per loaded version
        _checked.clear()
        _checked[key] = await asyncio.to_thread(check, store.content_dir, locales_dir)
    states = (coverage.REVIEW, coverage.TRANSLIT)
    to_review = [
        (entry_id, lang, state)
        for entry_id in content.entries
        for lang in USER_LANGS
        if (state := coverage.cell(content, entry_id, lang)) in states
    ]
    overdue = sorted(
        (e.id, e.review_by)
        for e in content.entries.values()
        if e.review_by is not None and e.review_by < today
    )
    return ContentReport(
        content.version,
        store.loaded_at,
        coverage.totals(content),
        to_review,
        [(entry, due) for entry, due in overdue],
        _checked[key],
        store.refused,
    )


@dataclass(frozen=True)
class QueueRow:
    number: int
    status: str
    urgent: bool
    lang: str
    subject: str | None
    queue: str | None
    waiting_seconds: float
    assignee: str | None
    link: str | None  # opens the ticket's topic in Telegram


def topic_link(group_id: int | None, thread_id: int | None) -> str | None:
    """t.me/c/<group id without -100>/<topic>: opens the topic for members of the group."""
    if group_id is None or thread_id is None:
        return None
    internal = str(group_id).removeprefix("-100")
    return f"https://t.me/c/{internal}/{thread_id}"


async def queue(sessions: Sessions, group_id: int) -> list[QueueRow]:
    """Waiting and taken tickets, urgent first, then the longest waiting."""
    async with sessions.begin() as session:
        rows = await session.execute(
            select(
                Ticket.id,
                Ticket.status,
                Ticket.urgent,
                Ticket.lang,
                Ticket.subject,
                Ticket.queue,
                Ticket.waiting_since,
                Ticket.group_chat_id,
                Ticket.thread_id,
                Operator.name,
            )
            .outerjoin(Operator, Operator.id == Ticket.assignee_id)
            .where(Ticket.status != TicketStatus.CLOSED)
            .order_by(Ticket.urgent.desc(), Ticket.waiting_since.asc(), Ticket.id.asc())
            .limit(500)
        )
        now = utcnow()
        return [
            QueueRow(
                r.id,
                r.status,
                r.urgent,
                r.lang,
                r.subject,
                r.queue,
                (now - (r.waiting_since or now)).total_seconds(),
                r.name if r.status == TicketStatus.TAKEN else None,
                topic_link(r.group_chat_id or group_id, r.thread_id),
            )
            for r in rows
        ]
