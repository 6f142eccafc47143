"""Language identification accuracy on FLORES-200 devtest (external data, measured only).

Reads ../shared/eval/langid_flores200_devtest.tsv (relative to the repository root); skips with
a message when it is absent. Scores whole sentences and their first 3 to 8 words, per language,
without a prior. There is no Uzbek Cyrillic in the file: `uz-Cyrl` is measured on the uz_Latn
sentences transliterated to Cyrillic by `nlu.translit.latn_to_cyrl`.

    .venv/bin/python benchmarks/nlu_langid.py [--prior]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlu.langid import identify  # noqa: E402
from nlu.translit import latn_to_cyrl  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval" / "langid_flores200_devtest.tsv"
LABELS = {"kk": "kk", "ky": "ky", "tg": "tg", "uz_Latn": "uz", "ru": "ru"}


def load() -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    with EVAL.open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
            lang = LABELS[row["label"]]
            rows.append((lang, row["text"]))
            if lang == "uz":
                rows.append(("uz-Cyrl", latn_to_cyrl(row["text"])))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--prior", action="store_true", help="also score with the true language given as the prior"
    )
    args = parser.parse_args()
    if not EVAL.exists():
        print(f"skipped: {EVAL} is absent (external eval data, not in the repository)")
        return 0
    rows = load()
    modes = [False, True] if args.prior else [False]
    for with_prior in modes:
        correct: dict[str, Counter] = defaultdict(Counter)
        total: dict[str, Counter] = defaultdict(Counter)
        confusions: Counter = Counter()
        start = time.perf_counter()
        calls = 0
        for lang, text in rows:
            words = text.split()
            variants = [("sentence", text)]
            variants += [(f"{k}w", " ".join(words[:k])) for k in range(3, 9) if len(words) >= k]
            for kind, sample in variants:
                guess = identify(sample, prior=lang if with_prior else None)
                calls += 1
                group = "sentence" if kind == "sentence" else "3-8w"
                for key in (kind, group) if kind != "sentence" else (kind,):
                    total[lang][key] += 1
                    correct[lang][key] += guess.lang == lang
                if guess.lang != lang:
                    confusions[(lang, guess.lang, group)] += 1
        elapsed = time.perf_counter() - start
        print(f"\n## prior = {'the true language' if with_prior else 'none'}")
        kinds = ["sentence", "3-8w", *[f"{k}w" for k in range(3, 9)]]
        print("| lang | " + " | ".join(kinds) + " |")
        print("|---" * (len(kinds) + 1) + "|")
        for lang in ["kk", "ky", "tg", "uz", "uz-Cyrl", "ru"]:
            cells = [f"{100 * correct[lang][k] / max(1, total[lang][k]):.1f}" for k in kinds]
            print(f"| {lang} | " + " | ".join(cells) + " |")
        print(f"\n{calls} calls, {1000 * elapsed / calls:.2f} ms per call")
        print("most frequent confusions (true -> guessed, sample):")
        for (true, guess, group), count in confusions.most_common(8):
            print(f"  {true} -> {guess} ({group}): {count}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
