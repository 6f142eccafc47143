"""Write tests/data/nlu_heldout_plain/{lang}.tsv: the held-out messages typed plainly.

People without a Kazakh, Kyrgyz, Tajik or Uzbek keyboard type the special letters as their
plain Russian look-alikes (қ as к, ү as у, ҷ as ч), Kazakh і as Latin i, and Uzbek Latin
o‘ g‘ with a plain ' or no apostrophe at all. This script rewrites every line of
tests/data/nlu_heldout/{lang}.tsv that way and keeps only the lines that change.

    .venv/bin/python scripts/make_plain_heldout.py
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "tests" / "data" / "nlu_heldout"
TARGET = ROOT / "tests" / "data" / "nlu_heldout_plain"

_CYRILLIC = {
    "kk": "әа ғг қк ңн өо ұу үу һх іi",  # і typed as Latin i
    "ky": "ңн өо үу",
    "tg": "ғг ӣи қк ӯу ҳх ҷч",
    "uz-Cyrl": "ўу қк ғг ҳх",
    "ru": "ёе",
}
_APOSTROPHES = re.compile(r"['`‘’ʻʼ´]")


def plain(text: str, lang: str, line_no: int) -> str:
    if lang == "uz":
        # Alternate between the two plain habits: a straight ' and no apostrophe at all.
        return _APOSTROPHES.sub("'" if line_no % 2 else "", text)
    pairs = _CYRILLIC.get(lang, "").split()
    table = {p[0]: p[1] for p in pairs}
    table.update({p[0].upper(): p[1].upper() for p in pairs})
    return text.translate(str.maketrans(table))


def main() -> int:
    if not SOURCE.is_dir():
        print(f"error: {SOURCE} not found", file=sys.stderr)
        return 2
    TARGET.mkdir(parents=True, exist_ok=True)
    for path in sorted(SOURCE.glob("*.tsv")):
        lang = path.stem
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE))
        header, body = rows[0], rows[1:]
        text_col = header.index("text")
        changed = []
        for line_no, row in enumerate(body, start=2):
            if len(row) <= text_col:
                continue
            new = plain(row[text_col], lang, line_no)
            if new != row[text_col]:
                changed.append([*row[:text_col], new, *row[text_col + 1 :]])
        out = TARGET / path.name
        with out.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(
                f, delimiter="\t", quoting=csv.QUOTE_NONE, lineterminator="\n", escapechar=None
            )
            writer.writerow(header)
            writer.writerows(changed)
        print(f"{out.relative_to(ROOT)}: {len(changed)} of {len(body)} lines typed plainly")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
