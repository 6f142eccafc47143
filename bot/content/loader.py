"""Load `content/` into a validated `Content`, collecting every problem with its line."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from pathlib import Path
from typing import Any

from bot.content.model import Contact, Content, Entry, EntryText, Source, Topic
from bot.content.problems import ERROR, Problem
from bot.content.yamlfile import YamlFile, read_yaml
from nlu.languages import USER_LANGS
from nlu.translit import latn_to_cyrl_markup

ID = re.compile(r"^[a-z][a-z0-9_]*$")
DERIVED = {"uz-Cyrl": "uz"}  # variant -> the variant it is transliterated from when missing


def read_content(
    root: Path, docs: dict[str, YamlFile | None] | None = None
) -> tuple[Content | None, list[Problem]]:
    """Load what can be loaded; return it with every problem found (errors and warnings).
    The files parsed are put in `docs` by their path under `root`, for a caller who needs
    their lines too (parsing them takes most of a check's time)."""
    reader = _Reader(root, {} if docs is None else docs)
    return reader.read(), sorted(set(reader.problems))


class _Reader:
    def __init__(self, root: Path, docs: dict[str, YamlFile | None]):
        self.root = root
        self.docs = docs
        self.problems: list[Problem] = []

    def _open(self, relpath: str) -> YamlFile | None:
        path = self.root / relpath
        doc, problems = read_yaml(path, f"content/{relpath}")
        self.docs[relpath] = doc
        self.problems += problems
        if doc is not None and not isinstance(doc.data, dict):
            self.problems.append(Problem(doc.label, 1, ERROR, "expected a mapping at the top"))
            return None
        return doc

    def _list(self, doc: YamlFile, key: str) -> list[Any]:
        value = doc.data.get(key)
        if not isinstance(value, list):
            self.problems.append(doc.problem(doc.data, None, f"expected a list under '{key}:'"))
            return []
        return value

    def read(self) -> Content | None:
        topics_doc = self._open("topics.yaml")
        contacts_doc = self._open("contacts.yaml")
        entries_doc = self._open("entries.yaml")
        lang_docs = {lang: self._open_lang(lang) for lang in USER_LANGS}
        if not (topics_doc and contacts_doc and entries_doc):
            return None
        topic_ids = self._topic_ids(topics_doc)
        contacts = self._contacts(contacts_doc)
        entries = self._entries(entries_doc, set(topic_ids), set(contacts))
        texts = {
            lang: self._texts(doc, entries, contacts) for lang, doc in lang_docs.items() if doc
        }
        for variant, base in DERIVED.items():
            texts[variant] = _derive(texts.get(variant), texts.get(base))
        topics = tuple(
            Topic(tid, icon, {lang: t["topics"].get(tid, "") for lang, t in texts.items()})
            for tid, icon in topic_ids.items()
        )
        contact_objs = {
            cid: Contact(names={lang: t["contacts"].get(cid, "") for lang, t in texts.items()}, **c)
            for cid, c in contacts.items()
        }
        full_entries = {
            eid: Entry(
                **meta,
                texts={lang: t["entries"][eid] for lang, t in texts.items() if eid in t["entries"]},
            )
            for eid, meta in entries.items()
        }
        phrases = {lang: tuple(t["urgent_phrases"]) for lang, t in texts.items()}
        return Content(topics, full_entries, contact_objs, phrases, version=self._version())

    def _version(self) -> str:
        digest = hashlib.sha256()
        for path in sorted(self.root.rglob("*.yaml")):
            digest.update(path.read_bytes())
        return digest.hexdigest()[:12]

    def _open_lang(self, lang: str) -> YamlFile | None:
        relpath = f"faq/{lang}.yaml"
        if lang in DERIVED and not (self.root / relpath).exists():
            return None
        return self._open(relpath)

    def _topic_ids(self, doc: YamlFile) -> dict[str, str]:
        topics: dict[str, str] = {}
        for i, item in enumerate(self._list(doc, "topics")):
            if not isinstance(item, dict) or not ID.match(str(item.get("id", ""))):
                self.problems.append(doc.problem(doc.data["topics"], i, "a topic needs an 'id:'"))
                continue
            topics[item["id"]] = str(item.get("icon", ""))
        return topics

    def _contacts(self, doc: YamlFile) -> dict[str, dict[str, Any]]:
        contacts: dict[str, dict[str, Any]] = {}
        allowed = {"id", "phone", "web", "city", "hours", "verified", "source"}
        for i, item in enumerate(self._list(doc, "contacts")):
            if not isinstance(item, dict) or not ID.match(str(item.get("id", ""))):
                self.problems.append(
                    doc.problem(doc.data["contacts"], i, "a contact needs an 'id:'")
                )
                continue
            self._unknown_keys(doc, item, allowed)
            if not isinstance(item.get("verified"), bool):
                self.problems.append(doc.problem(item, "id", "write 'verified: true' or 'false'"))
            if not item.get("phone") and not item.get("web"):
                self.problems.append(
                    doc.problem(item, "id", "a contact needs a 'phone:' or 'web:'")
                )
            if item["id"] in contacts:
                self.problems.append(doc.problem(item, "id", f"contact '{item['id']}' twice"))
            contacts[item["id"]] = {
                "id": item["id"],
                "phone": _opt_str(item.get("phone")),
                "web": _opt_str(item.get("web")),
                "city": _opt_str(item.get("city")),
                "hours": _opt_str(item.get("hours")),
                "verified": bool(item.get("verified")),
                "source": str(item.get("source", "")),
            }
        return contacts

    def _entries(self, doc: YamlFile, topics: set[str], contacts: set[str]) -> dict[str, dict]:
        allowed = {"id", "kind", "topic", "urgent", "related", "contacts", "sources"}
        allowed |= {"reviewed", "review_by", "note"}
        raw = self._list(doc, "entries")
        ids = {str(item.get("id")) for item in raw if isinstance(item, dict)}
        entries: dict[str, dict] = {}
        for i, item in enumerate(raw):
            if not isinstance(item, dict) or not ID.match(str(item.get("id", ""))):
                self.problems.append(
                    doc.problem(raw, i, "an entry needs an 'id:' of small letters, digits and _")
                )
                continue
            self._unknown_keys(doc, item, allowed)
            eid, kind = item["id"], str(item.get("kind", "faq"))
            if eid in entries:
                self.problems.append(doc.problem(item, "id", f"entry '{eid}' is defined twice"))
            if kind not in ("faq", "action"):
                self.problems.append(doc.problem(item, "kind", "kind must be 'faq' or 'action'"))
            meta = {
                "id": eid,
                "kind": kind,
                "topic": _opt_str(item.get("topic")),
                "urgent": bool(item.get("urgent", False)),
                "related": self._names(doc, item, "related"),
                "contacts": self._names(doc, item, "contacts"),
                "sources": self._sources(doc, item),
                "reviewed": self._date(doc, item, "reviewed", kind == "faq"),
                "review_by": self._date(doc, item, "review_by", kind == "faq"),
                "note": str(item.get("note", "")),
            }
            if kind == "faq" and meta["topic"] not in topics:
                self.problems.append(
                    doc.problem(
                        item,
                        "topic" if "topic" in item else "id",
                        f"unknown topic '{meta['topic']}'; use one of: {', '.join(sorted(topics))}",
                    )
                )
            for ref in meta["related"]:
                if ref not in ids:
                    self.problems.append(
                        doc.problem(item, "related", f"'related' names unknown entry '{ref}'")
                    )
            for ref in meta["contacts"]:
                if ref not in contacts:
                    self.problems.append(
                        doc.problem(
                            item, "contacts", f"unknown contact '{ref}'; add it to contacts.yaml"
                        )
                    )
            entries[eid] = meta
        return entries

    def _sources(self, doc: YamlFile, item: dict) -> tuple[Source, ...]:
        sources = item.get("sources") or []
        if not isinstance(sources, list):
            self.problems.append(doc.problem(item, "sources", "'sources:' must be a list"))
            sources = []
        if item.get("kind", "faq") == "faq" and not sources:
            self.problems.append(doc.problem(item, "id", "an answer needs at least one source"))
        result = []
        for source in sources:
            if not isinstance(source, dict) or not source.get("title"):
                self.problems.append(doc.problem(item, "sources", "each source needs a 'title:'"))
                continue
            result.append(Source(str(source["title"]), _opt_str(source.get("url"))))
        return tuple(result)

    def _names(self, doc: YamlFile, item: dict, key: str) -> tuple[str, ...]:
        """A list of ids (`related:`, `contacts:`)."""
        value = item.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
            self.problems.append(doc.problem(item, key, f"'{key}:' must be a list of ids"))
            return ()
        return tuple(str(v) for v in value)

    def _section(self, doc: YamlFile, key: str, kind: type) -> Any:
        """A top-level part of faq/<lang>.yaml, empty (and a problem) when of the wrong kind."""
        value = doc.data.get(key)
        if value is not None and not isinstance(value, kind):
            what = "a mapping" if kind is dict else "a list"
            self.problems.append(doc.problem(doc.data, key, f"'{key}:' must be {what}"))
            value = None
        return value or kind()

    def _date(self, doc: YamlFile, item: dict, key: str, required: bool) -> dt.date | None:
        value = item.get(key)
        if value is None:
            if required:
                self.problems.append(doc.problem(item, "id", f"missing '{key}:' (YYYY-MM-DD)"))
            return None
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(str(value))
        except ValueError:
            self.problems.append(
                doc.problem(item, key, f"'{key}: {value}' is not a date; write YYYY-MM-DD")
            )
            return None

    def _texts(self, doc: YamlFile, entries: dict[str, dict], contacts: dict) -> dict:
        data = doc.data
        self._unknown_keys(
            doc,
            data,
            {"language", "needs_review", "topics", "contacts", "urgent_phrases", "entries"},
        )
        default_review = bool(data.get("needs_review", True))
        result: dict[str, Any] = {
            "topics": {str(k): str(v) for k, v in self._section(doc, "topics", dict).items()},
            "contacts": {str(k): str(v) for k, v in self._section(doc, "contacts", dict).items()},
            "urgent_phrases": [str(p) for p in self._section(doc, "urgent_phrases", list)],
            "entries": {},
        }
        for cid in result["contacts"]:
            if cid not in contacts:
                self.problems.append(doc.problem(data["contacts"], cid, f"unknown contact '{cid}'"))
        raw_entries = data.get("entries") or {}
        if not isinstance(raw_entries, dict):
            self.problems.append(doc.problem(data, "entries", "'entries:' must be a mapping by id"))
            return result
        for eid, item in raw_entries.items():
            if eid not in entries:
                self.problems.append(
                    doc.problem(
                        raw_entries, eid, f"'{eid}' is not in entries.yaml; add it there first"
                    )
                )
                continue
            if not isinstance(item, dict):
                self.problems.append(
                    doc.problem(raw_entries, eid, "expected title/answer/examples")
                )
                continue
            self._unknown_keys(doc, item, {"title", "answer", "examples", "needs_review"})
            examples = item.get("examples") or []
            if not isinstance(examples, list):
                self.problems.append(doc.problem(item, "examples", "'examples:' must be a list"))
                examples = []
            result["entries"][eid] = EntryText(
                title=str(item.get("title") or ""),
                answer=str(item.get("answer") or "").strip(),
                examples=tuple(str(e).strip() for e in examples if str(e).strip()),
                needs_review=bool(item.get("needs_review", default_review)),
            )
        return result

    def _unknown_keys(self, doc: YamlFile, item: dict, allowed: set[str]) -> None:
        for key in item:
            if key not in allowed:
                self.problems.append(
                    doc.problem(
                        item, key, f"unknown field '{key}'; allowed: {', '.join(sorted(allowed))}"
                    )
                )


def _opt_str(value: Any) -> str | None:
    return None if value is None else str(value)


def _derive(own: dict | None, base: dict | None) -> dict:
    """Fill a script variant from its base variant through the transliterator."""
    own = own or {"topics": {}, "contacts": {}, "urgent_phrases": [], "entries": {}}
    if base is None:
        return own
    result = {
        key: dict(value) if isinstance(value, dict) else list(value) for key, value in own.items()
    }
    for section in ("topics", "contacts"):
        for key, value in base[section].items():
            result[section].setdefault(key, latn_to_cyrl_markup(value))
    if not result["urgent_phrases"]:
        result["urgent_phrases"] = [latn_to_cyrl_markup(p) for p in base["urgent_phrases"]]
    for eid, text in base["entries"].items():
        if eid not in result["entries"]:
            result["entries"][eid] = EntryText(
                title=latn_to_cyrl_markup(text.title),
                answer=latn_to_cyrl_markup(text.answer),
                examples=tuple(latn_to_cyrl_markup(e) for e in text.examples),
                needs_review=text.needs_review,
                origin="transliterated",
            )
    return result
