"""Translators' round trip: content <-> one gettext PO file per language (Poedit, Weblate).

The source language is Russian. Each text is one PO message whose context is its place
(`entry.work_permit.answer`, `topic.work`, `contact.police_102`), so ids stay stable.
Exporting again keeps the translation of a text whose Russian source changed but marks it
fuzzy, with the previous source shown, until a translator has checked it; import skips
fuzzy and empty messages.
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib
from ruamel.yaml.scalarstring import LiteralScalarString

from bot.content.loader import DERIVED, read_content
from bot.content.model import Content
from bot.content.yamlfile import read_yaml, write_yaml
from nlu.languages import USER_LANGS

SOURCE = "ru"


def _texts(content: Content, lang: str) -> dict[str, str]:
    """Every translatable text of one language by its context."""
    texts: dict[str, str] = {}
    for topic in content.topics:
        texts[f"topic.{topic.id}"] = topic.titles.get(lang, "")
    for contact in content.contacts.values():
        texts[f"contact.{contact.id}"] = contact.names.get(lang, "")
    for entry in content.entries.values():
        text = entry.texts.get(lang)
        if entry.is_faq:
            texts[f"entry.{entry.id}.title"] = text.title if text else ""
            texts[f"entry.{entry.id}.answer"] = text.answer if text else ""
    return texts


def export(content_dir: Path, out_dir: Path) -> dict[str, int]:
    content, _problems = read_content(content_dir)
    if content is None:
        raise SystemExit("content cannot be read: run `komek content check`")
    out_dir.mkdir(parents=True, exist_ok=True)
    source = _texts(content, SOURCE)
    fuzzy_counts = {}
    for lang in USER_LANGS:
        if lang == SOURCE or (lang in DERIVED and not (content_dir / f"faq/{lang}.yaml").exists()):
            continue
        path = out_dir / f"{lang}.po"
        old = {e.msgctxt: e for e in polib.pofile(str(path))} if path.exists() else {}
        target = _texts(content, lang)
        po = polib.POFile(wrapwidth=100)
        po.metadata = {
            "Project-Id-Version": "Komek content",
            "Language": lang,
            "Content-Type": "text/plain; charset=UTF-8",
            "Content-Transfer-Encoding": "8bit",
        }
        fuzzy = 0
        for context, msgid in source.items():
            if not msgid:
                continue
            entry = polib.POEntry(msgctxt=context, msgid=msgid, msgstr=target.get(context, ""))
            previous = old.get(context)
            if previous is not None and previous.msgid != msgid and entry.msgstr:
                entry.flags.append("fuzzy")
                entry.previous_msgid = previous.msgid
                fuzzy += 1
            elif previous is not None and "fuzzy" in previous.flags:
                entry.flags.append("fuzzy")
                entry.previous_msgid = previous.previous_msgid
                fuzzy += 1
            po.append(entry)
        po.save(str(path))
        fuzzy_counts[lang] = fuzzy
    return fuzzy_counts


def import_po(content_dir: Path, in_dir: Path) -> dict[str, tuple[int, int]]:
    """Write translated, non-fuzzy messages back into faq/<lang>.yaml."""
    results = {}
    for path in sorted(in_dir.glob("*.po")):
        lang = path.stem
        if lang not in USER_LANGS or lang == SOURCE:
            continue
        doc, problems = read_yaml(content_dir / f"faq/{lang}.yaml", f"content/faq/{lang}.yaml")
        if doc is None:
            raise SystemExit(str(problems[0]))
        data = doc.data
        written = skipped = 0
        for message in polib.pofile(str(path)):
            if not message.msgstr or "fuzzy" in message.flags or message.obsolete:
                skipped += 1
                continue
            kind, _, rest = (message.msgctxt or "").partition(".")
            if kind in ("topic", "contact"):
                data.setdefault(f"{kind}s", {})[rest] = message.msgstr
            elif kind == "entry":
                entry_id, _, field = rest.rpartition(".")
                entry = data.setdefault("entries", {}).setdefault(entry_id, {})
                value = message.msgstr
                entry[field] = LiteralScalarString(value + "\n") if field == "answer" else value
            else:
                skipped += 1
                continue
            written += 1
        write_yaml(doc.path, data)
        results[lang] = (written, skipped)
    return results


def main(action: str, content_dir: Path, po_dir: Path) -> int:
    if action == "export-po":
        for lang, fuzzy in export(content_dir, po_dir).items():
            print(f"{po_dir / (lang + '.po')}: written ({fuzzy} fuzzy: source changed)")
        return 0
    results = import_po(content_dir, po_dir)
    if not results:
        print(f"no <lang>.po files in {po_dir}", file=sys.stderr)
        return 1
    for lang, (written, skipped) in results.items():
        print(f"content/faq/{lang}.yaml: {written} text(s) imported, {skipped} fuzzy or empty")
    print("now run: komek content check")
    return 0
