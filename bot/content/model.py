"""Validated, immutable content: what the bot can say, loaded from `content/`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

PLACEHOLDER = "PLACEHOLDER"
CONTACT_REF = re.compile(r"\{contact:([a-z0-9_]+)\}")


@dataclass(frozen=True)
class Source:
    title: str
    url: str | None = None


@dataclass(frozen=True)
class Contact:
    id: str
    phone: str | None
    web: str | None
    city: str | None
    hours: str | None
    verified: bool
    source: str
    names: dict[str, str]

    @property
    def is_placeholder(self) -> bool:
        return self.phone is not None and PLACEHOLDER in self.phone


@dataclass(frozen=True)
class Topic:
    id: str
    icon: str
    titles: dict[str, str]


@dataclass(frozen=True)
class EntryText:
    """One entry in one language."""

    title: str
    answer: str
    examples: tuple[str, ...]
    needs_review: bool
    # "transliterated" when produced from another variant by the transliterator.
    origin: str = "written"


@dataclass(frozen=True)
class Entry:
    id: str
    kind: str  # "faq" or "action"
    topic: str | None
    urgent: bool
    related: tuple[str, ...]
    contacts: tuple[str, ...]
    sources: tuple[Source, ...]
    reviewed: dt.date | None
    review_by: dt.date | None
    note: str
    texts: dict[str, EntryText] = field(default_factory=dict)

    @property
    def is_faq(self) -> bool:
        return self.kind == "faq"


@dataclass(frozen=True)
class Example:
    intent: str
    lang: str
    text: str


@dataclass(frozen=True)
class Content:
    topics: tuple[Topic, ...]
    entries: dict[str, Entry]
    contacts: dict[str, Contact]
    urgent_phrases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    version: str = ""

    def topic(self, topic_id: str) -> Topic | None:
        return next((t for t in self.topics if t.id == topic_id), None)

    def entries_of(self, topic_id: str) -> list[Entry]:
        return [e for e in self.entries.values() if e.topic == topic_id and e.is_faq]

    @property
    def urgent_ids(self) -> frozenset[str]:
        return frozenset(e.id for e in self.entries.values() if e.urgent)

    def examples(self) -> Iterator[Example]:
        """Every example question of every entry in every language."""
        for entry in self.entries.values():
            for lang, text in entry.texts.items():
                for example in text.examples:
                    yield Example(entry.id, lang, example)
