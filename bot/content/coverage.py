"""`komek content coverage`: entries × languages, what is missing or awaits review."""

from __future__ import annotations

from bot.content.model import Content
from nlu.languages import USER_LANGS

OK, REVIEW, TRANSLIT, MISSING = "ok", "review", "translit", "MISSING"


def cell(content: Content, entry_id: str, lang: str) -> str:
    entry = content.entries[entry_id]
    text = entry.texts.get(lang)
    if text is None or (entry.is_faq and not (text.answer and text.title)):
        return MISSING
    if text.origin == "transliterated":
        return TRANSLIT
    return REVIEW if text.needs_review else OK


def table(content: Content) -> list[list[str]]:
    rows = [["id", *USER_LANGS]]
    for entry in content.entries.values():
        rows.append([entry.id, *(cell(content, entry.id, lang) for lang in USER_LANGS)])
    return rows


def totals(content: Content) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {lang: {} for lang in USER_LANGS}
    for entry_id in content.entries:
        for lang in USER_LANGS:
            state = cell(content, entry_id, lang)
            counts[lang][state] = counts[lang].get(state, 0) + 1
    return counts


def as_text(content: Content) -> str:
    rows = table(content)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n\n" + _legend(content)


def as_markdown(content: Content) -> str:
    rows = table(content)
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * len(rows[0])]
    lines += ["| " + " | ".join(r) + " |" for r in rows[1:]]
    return "# Content coverage\n\n" + "\n".join(lines) + "\n\n" + _legend(content)


def _legend(content: Content) -> str:
    parts = []
    for lang, counts in totals(content).items():
        parts.append(f"{lang}: " + ", ".join(f"{n} {s}" for s, n in sorted(counts.items())))
    return (
        "ok = reviewed by a native speaker; review = written, awaiting native review; "
        "translit = produced from Uzbek Latin by the transliterator; MISSING = not written.\n"
        + "\n".join(parts)
    )
