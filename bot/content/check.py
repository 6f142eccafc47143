"""`komek content check`: everything that can be wrong in content/ and locales/, with lines."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from babel.messages.pofile import PoFileError, read_po

from bot.content.loader import read_content
from bot.content.model import CONTACT_REF, Content
from bot.content.problems import ERROR, WARNING, Problem
from bot.content.yamlfile import YamlFile, read_yaml
from bot.markup import HtmlParseError, parse_html
from nlu.languages import LOCALES, OPERATOR_DOMAIN, OPERATOR_LOCALES, USER_DOMAIN, USER_LANGS
from nlu.normalize import fold
from nlu.offtopic import offtopic_examples
from nlu.urgent import UrgentPhrases

UNREADABLE = ("YAML syntax error", "YAML error", "not UTF-8", "file is missing", "expected a")
MAX_MESSAGE = 4096
MAX_TITLE = 64  # a button's text; Telegram cuts longer ones
# What a translation must keep as it is: {placeholders}, %s and /commands.
PLACEHOLDER_FIELD = re.compile(r"\{[^{}]*\}|%\(?\w*\)?[sdfr]|(?<![\w/<])/\w+")


def check(content_dir: Path, locales_dir: Path, today: dt.date | None = None) -> list[Problem]:
    """Every problem of content and catalogs, errors and warnings, sorted by file and line."""
    _content, problems = check_content(content_dir, today)
    return sorted(set(problems + check_catalogs(locales_dir)))


def check_content(
    content_dir: Path, today: dt.date | None = None
) -> tuple[Content | None, list[Problem]]:
    """The content, if it can be read, and every problem in it."""
    docs: dict[str, YamlFile | None] = {}
    content, problems = read_content(content_dir, docs)
    if content is not None:
        lines = _Lines(content_dir, docs)
        # A file that cannot be read is one error, not one per text it would have held.
        unreadable = {p.file for p in problems if p.message.startswith(UNREADABLE)}
        langs = [lang for lang in USER_LANGS if f"content/faq/{lang}.yaml" not in unreadable]
        if "content/faq/uz.yaml" in unreadable:
            langs = [lang for lang in langs if lang != "uz-Cyrl"]
        problems += _translations(content, lines, langs)
        problems += _answers(content, lines)
        problems += _duplicates(content, lines)
        problems += _urgent_phrases(content, lines)
        problems += _contacts(content, lines, langs)
        problems += _reviews(content, lines, today or dt.date.today())
    return content, sorted(set(problems))


class _Lines:
    """Finds the line of an entry's field in faq/<lang>.yaml and entries.yaml for messages."""

    def __init__(self, root: Path, docs: dict[str, YamlFile | None]):
        self._docs = docs  # the files the content was read from, parsed once
        self.root = root

    def doc(self, relpath: str) -> YamlFile | None:
        if relpath not in self._docs:
            self._docs[relpath] = read_yaml(self.root / relpath, f"content/{relpath}")[0]
        return self._docs[relpath]

    def lang(self, lang: str, entry_id: str | None = None, key: str | None = None) -> Problem:
        relpath = f"faq/{lang}.yaml"
        doc = self.doc(relpath)
        line = 0
        if doc is not None and isinstance(doc.data, dict):
            entries = doc.data.get("entries")
            entries = entries if isinstance(entries, dict) else {}
            node = entries.get(entry_id) if entry_id else None
            if isinstance(node, dict) and key in node:
                line = doc.line(node, key)
            elif entry_id and entry_id in entries:
                line = doc.line(entries, entry_id)
            elif doc.data.get("entries") is not None:
                line = doc.line(doc.data, "entries")
        return Problem(f"content/{relpath}", line, ERROR, "")

    def meta(self, relpath: str, item_id: str, key: str | None = None) -> Problem:
        doc = self.doc(relpath)
        line = 0
        if doc is not None and isinstance(doc.data, dict):
            items = next(iter(doc.data.values()), None)
            for item in items if isinstance(items, list) else []:
                if isinstance(item, dict) and item.get("id") == item_id:
                    line = doc.line(item, key if key in item else "id")
        return Problem(f"content/{relpath}", line, ERROR, "")


def _at(where: Problem, message: str, severity: str = ERROR) -> Problem:
    return Problem(where.file, where.line, severity, message)


def _source_file(content: Content, entry_id: str, lang: str) -> str:
    text = content.entries[entry_id].texts.get(lang)
    return "uz" if text is not None and text.origin == "transliterated" else lang


def _translations(content: Content, lines: _Lines, langs: list[str]) -> list[Problem]:
    problems = []
    for entry in content.entries.values():
        for lang in langs:
            text = entry.texts.get(lang)
            file_lang = (
                "uz" if lang == "uz-Cyrl" and (text is None or text.origin != "written") else lang
            )
            where = lines.lang(file_lang, entry.id)
            if text is None:
                problems.append(_at(where, f"'{entry.id}' has no {lang} text: translate it here"))
                continue
            if entry.is_faq and not text.title:
                problems.append(_at(where, f"'{entry.id}' needs a 'title:' in {lang}"))
            if entry.is_faq and not text.answer:
                problems.append(_at(where, f"'{entry.id}' needs an 'answer:' in {lang}"))
            if len(text.examples) < 10:
                problems.append(
                    _at(
                        lines.lang(file_lang, entry.id, "examples"),
                        f"'{entry.id}' has {len(text.examples)} example question(s) in {lang}; "
                        "add at least 10, as people really write",
                        WARNING,
                    )
                )
            if len(text.title) > MAX_TITLE:
                problems.append(
                    _at(
                        lines.lang(file_lang, entry.id, "title"),
                        f"title is {len(text.title)} characters; a button shows {MAX_TITLE}",
                    )
                )
    for topic in content.topics:
        for lang in langs:
            if not topic.titles.get(lang):
                problems.append(
                    _at(lines.lang(lang), f"topic '{topic.id}' has no title under 'topics:'")
                )
    return problems


def _answers(content: Content, lines: _Lines) -> list[Problem]:
    problems = []
    for entry in content.entries.values():
        for lang, text in entry.texts.items():
            if not text.answer:
                continue
            where = lines.lang(_source_file(content, entry.id, lang), entry.id, "answer")
            for ref in CONTACT_REF.findall(text.answer):
                if ref not in content.contacts:
                    problems.append(_at(where, f"{{contact:{ref}}} names an unknown contact"))
            expanded = CONTACT_REF.sub("x" * 80, text.answer)  # a contact line's usual length
            if len(expanded) + len(text.title) + 2 > MAX_MESSAGE:
                problems.append(
                    _at(
                        where,
                        f"answer ({lang}) is over Telegram's {MAX_MESSAGE} characters: shorten",
                    )
                )
            try:
                parse_html(CONTACT_REF.sub("", text.answer))
            except HtmlParseError as exc:
                problems.append(
                    _at(
                        where,
                        f"answer ({lang}) has broken Telegram HTML: {exc}. Allowed: <b>, <i>, "
                        "<u>, <s>, <a href>, <code>; write & as &amp; and < as &lt;",
                    )
                )
    return problems


def _duplicates(content: Content, lines: _Lines) -> list[Problem]:
    problems = []
    seen: dict[str, str] = {}
    offtopic = {fold(e.text) for e in offtopic_examples()}
    for example in content.examples():
        key = " ".join(fold(example.text).split())
        owner = seen.setdefault(key, example.intent)
        if key not in offtopic and owner == example.intent:
            continue
        where = lines.lang(
            _source_file(content, example.intent, example.lang), example.intent, "examples"
        )
        if key in offtopic:
            problems.append(
                _at(
                    where,
                    f"example '{example.text}' ({example.lang}) is also one of the messages the "
                    "bot is taught not to answer (nlu/offtopic.yaml): reword it, or ask a "
                    "developer to remove it there",
                    WARNING,
                )
            )
        if owner != example.intent:
            problems.append(
                _at(
                    where,
                    f"example '{example.text}' ({example.lang}) is also under '{owner}': "
                    "keep it under one id only",
                )
            )
    return problems


def _urgent_phrases(content: Content, lines: _Lines) -> list[Problem]:
    """A phrase that also matches a message the bot must not answer would call a person for
    every such message (Uzbek Cyrillic phrases are derived from the Latin ones)."""
    problems = []
    every = UrgentPhrases.from_mapping(content.urgent_phrases)
    offtopic = [e.text for e in offtopic_examples() if every.find(e.text)]  # few, or none
    for lang, phrases in content.urgent_phrases.items():
        if not offtopic or lang == "uz-Cyrl":
            continue
        doc = lines.doc(f"faq/{lang}.yaml")
        node = doc.data.get("urgent_phrases") if doc and isinstance(doc.data, dict) else None
        for i, phrase in enumerate(phrases):
            hit = next((t for t in offtopic if UrgentPhrases([phrase]).find(t)), None)
            if hit is None:
                continue
            line = doc.line(node, i) if doc is not None and node is not None else 0
            message = (
                f"urgent phrase '{phrase}' also matches '{hit}', a message the bot is taught "
                "not to answer (nlu/offtopic.yaml): every such message would call a person; "
                "make the phrase more specific"
            )
            problems.append(Problem(f"content/faq/{lang}.yaml", line, WARNING, message))
    return problems


def _contacts(content: Content, lines: _Lines, langs: list[str]) -> list[Problem]:
    problems = []
    for contact in content.contacts.values():
        where = lines.meta("contacts.yaml", contact.id, "phone")
        if contact.is_placeholder:
            problems.append(
                _at(
                    where,
                    f"contact '{contact.id}' has a placeholder phone: fill in a verified "
                    "number (users are told to ask an operator until then)",
                    WARNING,
                )
            )
        elif not contact.verified:
            problems.append(
                _at(
                    where,
                    f"contact '{contact.id}' is not verified: check it and set 'verified: true'",
                    WARNING,
                )
            )
        for lang in langs:
            if not contact.names.get(lang):
                problems.append(
                    _at(lines.lang(lang), f"contact '{contact.id}' has no name under 'contacts:'")
                )
    return problems


def _reviews(content: Content, lines: _Lines, today: dt.date) -> list[Problem]:
    problems = []
    for entry in content.entries.values():
        if entry.review_by is not None and entry.review_by < today:
            problems.append(
                _at(
                    lines.meta("entries.yaml", entry.id, "review_by"),
                    f"'{entry.id}' was due for review on {entry.review_by}: check its facts "
                    "against the sources, then update 'reviewed' and 'review_by'",
                    WARNING,
                )
            )
    return problems


def check_catalogs(locales_dir: Path) -> list[Problem]:
    """Missing catalogs, untranslated strings, and placeholders that differ from the source."""
    problems = []
    wanted = [(USER_DOMAIN, loc) for loc in sorted(set(LOCALES.values()))]
    wanted += [(OPERATOR_DOMAIN, loc) for loc in sorted(OPERATOR_LOCALES.values()) if loc != "en"]
    for domain, locale in wanted:
        path = locales_dir / locale / "LC_MESSAGES" / f"{domain}.po"
        label = f"locales/{locale}/LC_MESSAGES/{domain}.po"
        if not path.exists():
            problems.append(Problem(label, 0, ERROR, "catalog is missing: run komek i18n update"))
            continue
        try:
            with path.open("rb") as fh:
                catalog = read_po(fh, locale=locale, abort_invalid=True)
        except (PoFileError, ValueError) as exc:
            problems.append(Problem(label, 0, ERROR, f"not a valid PO file: {exc}"))
            continue
        unreviewed = sum(
            1 for m in catalog if m.id and any("needs-review" in c for c in m.user_comments)
        )
        if unreviewed:
            problems.append(
                Problem(
                    label,
                    0,
                    WARNING,
                    f"{unreviewed} string(s) await review by a native speaker: check them, then "
                    "delete their '# needs-review' comment",
                )
            )
        for message in catalog:
            if not message.id:
                continue
            line = message.lineno
            if not message.string:
                problems.append(Problem(label, line, ERROR, f"not translated: {message.id!r}"))
            elif message.fuzzy:
                problems.append(
                    Problem(
                        label,
                        line,
                        ERROR,
                        f"marked fuzzy (the source changed): check it, then remove 'fuzzy': "
                        f"{message.id!r}",
                    )
                )
            elif sorted(PLACEHOLDER_FIELD.findall(message.id)) != sorted(
                PLACEHOLDER_FIELD.findall(message.string)
            ):
                problems.append(
                    Problem(
                        label,
                        line,
                        ERROR,
                        f"placeholders differ from the source: keep "
                        f"{', '.join(PLACEHOLDER_FIELD.findall(message.id)) or 'none'} exactly",
                    )
                )
            else:
                try:
                    parse_html(message.string)
                except HtmlParseError as exc:
                    problems.append(Problem(label, line, ERROR, f"broken Telegram HTML: {exc}"))
    return problems


def summary(problems: list[Problem]) -> tuple[int, int]:
    errors = sum(1 for p in problems if p.severity == ERROR)
    return errors, sum(1 for p in problems if p.severity == WARNING)
