"""Language identification per language and typing, and how often the bot would switch away.

Two sources, measured only (never trained or tuned on):
- FLORES-200 devtest, ../shared/eval/langid_flores200_devtest.tsv (long news sentences; skipped
  with a message when absent), as written ("normal") and typed plainly ("plain": special
  letters as their Russian look-alikes, Kazakh і as Latin i, Uzbek o‘ g‘ without or with a
  straight apostrophe, as `scripts/make_plain_heldout.py` types them); each sentence whole and
  its first 3 to 8 words ("short": 3 + the sentence's number mod 6). There is no Uzbek
  Cyrillic in the file: `uz-Cyrl` is the uz_Latn sentences through `nlu.translit`.
- chat messages written for the project's held-out sets: tests/data/nlu_heldout (normal),
  nlu_heldout_plain (plain), langid_latin (Latin-typed ru, kk, ky, tg, uz).

Each text is identified with no prior and with its language as the person's choice; with the
choice, "switched" is the share of texts that the bot would answer in another language
(`nlu.langid.switch_language`).

    .venv/bin/python benchmarks/nlu_langid.py [--quick]
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
import tracemalloc
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlu import langid  # noqa: E402
from nlu.translit import latn_to_cyrl  # noqa: E402
from scripts.make_plain_heldout import plain  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval" / "langid_flores200_devtest.tsv"
LABELS = {"kk": "kk", "ky": "ky", "tg": "tg", "uz_Latn": "uz", "ru": "ru"}
CHAT = {
    "normal": ROOT / "tests" / "data" / "nlu_heldout",
    "plain": ROOT / "tests" / "data" / "nlu_heldout_plain",
    "latin": ROOT / "tests" / "data" / "langid_latin",
}
ORDER = ("kk", "ky", "tg", "uz", "uz-Cyrl", "ru")


def flores(every: int) -> list[tuple[str, str, str, str, str]]:
    """(source, lang, variant, length, text) of the FLORES sentences."""
    rows = []
    with EVAL.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        for number, row in enumerate(reader):
            if number % every:
                continue
            lang, text = LABELS[row["label"]], row["text"]
            versions = [(lang, text)] + ([("uz-Cyrl", latn_to_cyrl(text))] if lang == "uz" else [])
            for variant_lang, sentence in versions:
                for variant in ("normal", "plain"):
                    typed = (
                        sentence if variant == "normal" else plain(sentence, variant_lang, number)
                    )
                    short = " ".join(typed.split()[: 3 + number % 6])
                    rows.append(("flores", variant_lang, variant, "whole", typed))
                    rows.append(("flores", variant_lang, variant, "short", short))
    return rows


def chat() -> list[tuple[str, str, str, str, str]]:
    rows = []
    for variant, folder in CHAT.items():
        for path in sorted(folder.glob("*.tsv")):
            with path.open(encoding="utf-8", newline="") as f:
                for row in csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                    rows.append(("chat", path.stem, variant, "whole", row["text"]))
    return rows


def model_memory() -> tuple[float, float, float]:
    """MB of the loaded models' arrays (ours mapped from its file), MB allocated loading
    them, and MiB of ours."""
    tracemalloc.start()
    langid._Detectors._ident = langid._Detectors._model = None
    langid.load_models()
    allocated = tracemalloc.get_traced_memory()[0] / 1e6
    tracemalloc.stop()
    ident = langid._Detectors._ident
    # py3langid's weights and its automaton (a memoryview of the cached array), and our model
    arrays = ident.nb_ptc.nbytes + ident.nb_pc.nbytes
    tables = sum(view.nbytes for view in (ident.tk_nextmove, ident._rowbase, ident.tk_output))
    model = langid._Detectors._model
    ours = sum(a.nbytes for a in (model._terms, model._idf, model._log_probs))
    return (arrays + tables + ours) / 1e6, allocated, ours / 2**20


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every 5th FLORES sentence")
    args = parser.parse_args()
    rows = chat()
    if EVAL.exists():
        rows += flores(5 if args.quick else 1)
    else:
        print(f"note: {EVAL} is absent (external eval data): chat messages only")
    pickled, allocated, ours = model_memory()
    counts: dict[tuple, Counter] = defaultdict(Counter)
    confusions: Counter = Counter()
    start = time.perf_counter()
    for source, lang, variant, length, text in rows:
        cell = counts[(source, variant, lang)]
        free = langid.identify(text)
        chosen = langid.identify(text, prior=lang)
        switched = langid.switch_language(text, lang, chosen.lang, chosen.confidence)
        cell[f"{length} n"] += 1
        cell[f"{length} none"] += free.lang == lang
        cell[f"{length} chosen"] += chosen.lang == lang
        cell["n"] += 1
        cell["switched"] += switched is not None
        if free.lang != lang:
            confusions[(source, variant, length, lang, free.lang)] += 1
    per_call = 1000 * (time.perf_counter() - start) / (2 * len(rows))

    print(
        "| source | typed | lang | short, no prior | whole, no prior | short, chosen |"
        " whole, chosen | switched away |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for source, variant, lang in sorted(
        counts, key=lambda k: (k[0], list(CHAT).index(k[1]), ORDER.index(k[2]))
    ):
        cell = counts[(source, variant, lang)]

        def pct(key: str, length: str, cell: Counter = cell) -> str:
            n = cell[f"{length} n"]
            return f"{100 * cell[f'{length} {key}'] / n:.1f}" if n else "-"

        switched = f"{100 * cell['switched'] / cell['n']:.1f}% of {cell['n']}"
        print(
            f"| {source} | {variant} | {lang} | {pct('none', 'short')} | {pct('none', 'whole')}"
            f" | {pct('chosen', 'short')} | {pct('chosen', 'whole')} | {switched} |"
        )
    print(
        f"\n{2 * len(rows)} calls, {per_call:.2f} ms per call;"
        f" models: {pickled:.1f} MB of arrays (ours {ours:.1f} MiB),"
        f" {allocated:.1f} MB allocated while loading"
    )
    print("most frequent confusions with no prior (source, typed, length, true -> guessed):")
    for (source, variant, length, true, guess), n in confusions.most_common(12):
        print(f"  {source} {variant} {length}: {true} -> {guess}: {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
