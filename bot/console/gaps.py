"""Unanswered questions for editors: groups by nearest entry and language, handled marks,
and YAML snippets of examples. The text is the masked text the bot stored (decrypted by the
ORM); questions older than 180 days are pruned (`Gaps.prune`) before any is shown."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from dataclasses import dataclass

from ruamel.yaml import YAML
from sqlalchemy import func, select

from bot.content.model import Content
from bot.services.gaps import Gaps
from db.database import Sessions
from db.models import Setting, Unanswered, utcnow
from nlu.normalize import fold

HANDLED_PREFIX = "gap_handled:"
MAX_SNIPPET = 20  # examples in one snippet


@dataclass(frozen=True)
class GapGroup:
    entry: str  # the nearest entry's id ("" when the bot had none)
    lang: str
    count: int
    first_seen: dt.datetime
    last_seen: dt.datetime
    handled_at: dt.datetime | None

    @property
    def handled(self) -> bool:
        """Handled, and nothing new asked since."""
        return self.handled_at is not None and self.last_seen <= self.handled_at


def _first_word(session, column):  # type: ignore[no-untyped-def]
    """The first of the space-separated nearest ids."""
    if session.bind.dialect.name == "postgresql":
        return func.split_part(column, " ", 1)
    cut = func.instr(column + " ", " ")
    return func.substr(column, 1, cut - 1)


def _key(entry: str, lang: str) -> str:
    key = f"{HANDLED_PREFIX}{lang}:{entry}"
    if len(key) <= 64:
        return key
    return HANDLED_PREFIX + hashlib.sha256(key.encode()).hexdigest()[:48]


async def groups(sessions: Sessions) -> list[GapGroup]:
    """Every group, largest first, after removing questions past the 180-day limit."""
    await Gaps(sessions).prune()
    async with sessions.begin() as session:
        entry = _first_word(session, Unanswered.nearest).label("entry")
        rows = (
            await session.execute(
                select(
                    entry,
                    Unanswered.lang,
                    func.count(),
                    func.min(Unanswered.created_at),
                    func.max(Unanswered.created_at),
                )
                .group_by(entry, Unanswered.lang)
                .order_by(func.count().desc(), entry, Unanswered.lang)
            )
        ).all()
        marks = await session.scalars(select(Setting).where(Setting.key.startswith(HANDLED_PREFIX)))
        handled = {m.key: dt.datetime.fromisoformat(m.value) for m in marks}
    return [
        GapGroup(
            e or "",
            lang,
            count,
            first or utcnow(),
            last or utcnow(),
            handled.get(_key(e or "", lang)),
        )
        for e, lang, count, first, last in rows
    ]


async def mark_handled(sessions: Sessions, entry: str, lang: str) -> None:
    async with sessions.begin() as session:
        key = _key(entry, lang)
        row = await session.get(Setting, key)
        if row is None:
            session.add(Setting(key=key, value=utcnow().isoformat()))
        else:
            row.value = utcnow().isoformat()


async def texts(sessions: Sessions, entry: str, lang: str) -> list[str]:
    """The group's masked questions, newest first."""
    async with sessions.begin() as session:
        first = _first_word(session, Unanswered.nearest)
        rows = await session.scalars(
            select(Unanswered.text)
            .where(first == entry, Unanswered.lang == lang)
            .order_by(Unanswered.created_at.desc())
        )
        return list(rows)


def faq_file(lang: str) -> str:
    """The file a variant's examples go into (Uzbek Cyrillic is made from uz.yaml)."""
    return f"content/faq/{'uz' if lang == 'uz-Cyrl' else lang}.yaml"


def snippet(content: Content, entry: str, lang: str, questions: list[str]) -> str:
    """A YAML snippet of new examples for `entry`: each question once, none the content has."""
    known = {" ".join(fold(e.text).split()) for e in content.examples()}
    fresh: list[str] = []
    for text in questions:
        key = " ".join(fold(text).split())
        if key and key not in known:
            known.add(key)
            fresh.append(" ".join(text.split()))
    yaml = YAML()
    yaml.width = 4096
    out = io.StringIO()
    yaml.dump({"entries": {entry: {"examples": fresh[:MAX_SNIPPET]}}}, out)
    head = (
        f"# {faq_file(lang)}: new examples for '{entry}' from unanswered questions (masked).\n"
        f"# Add the lines under 'examples:' of '{entry}'; drop any that do not fit.\n"
    )
    return head + out.getvalue()
