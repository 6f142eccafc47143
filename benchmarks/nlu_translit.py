"""Uzbek transliteration on published Cyrillic/Latin text pairs (external data, measured only).

Reads ../shared/eval/uz_cyrl_latn_pairs.tsv (relative to the repository root); skips with a
message when it is absent. Prints the exact-line match rate of `cyrl_to_latn` and
`latn_to_cyrl`, the rate after unifying apostrophes and case (what matching cares about),
the rate of `fold` keys that agree between the two scripts, and the fraction of lines on
which the default classifier gives the same intent (and outcome) for both scripts.

    .venv/bin/python benchmarks/nlu_translit.py [--limit N]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlu.normalize import fold, normalize  # noqa: E402
from nlu.translit import cyrl_to_latn, latn_to_cyrl  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval" / "uz_cyrl_latn_pairs.tsv"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="classify only the first N lines")
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    args = parser.parse_args()
    if not EVAL.exists():
        print(f"skipped: {EVAL} is absent (external eval data, not in the repository)")
        return 0
    with EVAL.open(encoding="utf-8", newline="") as f:
        pairs = [
            (r["uz_cyrl"], r["uz_latn"])
            for r in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        ]
    n = len(pairs)
    c2l = sum(cyrl_to_latn(c) == latn for c, latn in pairs)
    l2c = sum(latn_to_cyrl(latn) == c for c, latn in pairs)
    c2l_norm = sum(normalize(cyrl_to_latn(c)) == normalize(latn) for c, latn in pairs)
    l2c_norm = sum(normalize(latn_to_cyrl(latn)) == normalize(c) for c, latn in pairs)
    keys = sum(fold(c) == fold(latn) for c, latn in pairs)
    print(f"{n} line pairs")
    print(f"Cyrillic -> Latin, exact lines:          {100 * c2l / n:.1f}%")
    print(f"Latin -> Cyrillic, exact lines:          {100 * l2c / n:.1f}%")
    print(f"Cyrillic -> Latin, normalised lines:     {100 * c2l_norm / n:.1f}%")
    print(f"Latin -> Cyrillic, normalised lines:     {100 * l2c_norm / n:.1f}%")
    print(f"same matching key (fold) for both:       {100 * keys / n:.1f}%")

    from bot.content.loader import read_content
    from nlu.classifier import Classifier

    content, _ = read_content(args.content)
    if content is None:
        print("skipped the classifier part: the content does not load")
        return 0
    classifier = Classifier.build(content.examples(), content.urgent_ids, content.urgent_phrases)
    sample = pairs[: args.limit] if args.limit else pairs
    same_intent = same_outcome = 0
    start = time.perf_counter()
    for cyrl, latn in sample:
        a, b = classifier.classify(cyrl, "uz-Cyrl"), classifier.classify(latn, "uz")
        same_intent += a.intent == b.intent
        same_outcome += a.intent == b.intent and a.outcome == b.outcome
    elapsed = time.perf_counter() - start
    m = len(sample)
    print(f"classifier, same intent for both scripts:  {100 * same_intent / m:.1f}% of {m}")
    print(f"classifier, same intent and outcome:       {100 * same_outcome / m:.1f}%")
    print(f"({1000 * elapsed / (2 * m):.2f} ms per message; the lines are literary text, so")
    print(" most get none: the point is that both scripts get the same result)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
