"""Development figures of language identification on short text: where choices are made.

The targets are measured on FLORES-200 devtest (`benchmarks/nlu_langid.py`), which must never
steer a choice. This script gives figures to choose on instead, from the training text
itself: every fifth line of `var/langid-corpus/<lang>.txt` (by a stable hash; the text that
`scripts/langid_corpus.py --ud` writes outside git) is held out, the language model is
trained on the other lines, and the held-out lines are identified with no prior, cut to
their first 3-8 words ("short") and whole, as written and typed plainly
(`scripts/make_plain_heldout.py`'s habits); Uzbek lines are also read in Cyrillic
(`nlu.translit`). With `--external DIR`, text kept outside the repository is added as more
development text (never trained on): `tg` lines of ParsText (merchantrayyan/ParsText, Tajik
blogs and news, no licence for redistribution), Kazakh sentences of KazNERD's test split
(IS2AI/KazNERD) and Uzbek news and fiction of UD_Uzbek-UT (also read in Cyrillic), read
from a folder of bare snapshots such as /work/.mirror. The held-out Kazakh, Kyrgyz, Tajik
and Russian lines are also typed in Latin letters (`nlu.langmodel.typed_latin`). The chat
messages of the development sets (`benchmarks/data/nlu_dev2`, `nlu_dev3_urgent`) are also
identified with their language as the person's choice, with how often the bot would switch
away (`nlu.langid.switch_language`), as written and typed plainly.

    .venv/bin/python benchmarks/nlu_langid_dev.py [--external /work/.mirror] [--every 1]
"""

from __future__ import annotations

import argparse
import csv
import random
import subprocess
import sys
import zlib
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlu import langid  # noqa: E402
from nlu.langmodel import LangModel, corpus, typed_latin  # noqa: E402
from nlu.translit import latn_to_cyrl  # noqa: E402
from scripts.make_plain_heldout import plain  # noqa: E402

ORDER = ("kk", "ky", "tg", "uz", "uz-Cyrl", "ru", "other")
FOLDS = 5


def held_out(line: str) -> bool:
    return zlib.crc32(line.encode("utf-8")) % FOLDS == 0


def _git_show(mirror: Path, repo: str, path: str) -> str:
    return subprocess.run(
        ["git", "--git-dir", str(mirror / repo / "repo"), "show", f"HEAD:{path}"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def external(mirror: Path) -> dict[str, list[str]]:
    """Development text outside the repository (never trained on)."""
    out: dict[str, list[str]] = {}
    tajik = []
    for source in ("bbc", "dr", "jj"):
        text = _git_show(mirror, "merchantrayyan+ParsText", f"data/aligned/txt/{source}.txt")
        tajik += [s for s in text.splitlines() if any("\u0400" <= ch <= "\u04ff" for ch in s)]
    out["tg"] = tajik
    sentences, words = [], []
    for line in _git_show(mirror, "IS2AI+KazNERD", "KazNERD/IOB2_test.txt").splitlines():
        if line.strip():
            words.append(line.split()[0])
        elif words:
            sentences.append(" ".join(words))
            words = []
    out["kk"] = sentences[::10]
    treebank = _git_show(mirror, "UniversalDependencies+UD_Uzbek-UT", "uz_ut-ud-test.conllu")
    out["uz"] = [
        line[len("# text = ") :] for line in treebank.splitlines() if line.startswith("# text = ")
    ]
    return out


def chat() -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for folder in ("nlu_dev2", "nlu_dev3_urgent"):
        for path in sorted((ROOT / "benchmarks" / "data" / folder).glob("*.tsv")):
            with path.open(encoding="utf-8", newline="") as f:
                reader = csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
                out[path.stem] += [row["text"] for row in reader]
    return out


def texts(dev: dict[str, list[str]], every: int) -> list[tuple[str, str, str, str, str]]:
    """(source, lang, typing, length, text)"""
    rows = []
    rng = random.Random(7)
    for lang in ("kk", "ky", "tg", "ru"):
        for number, line in enumerate(dev["cv"][lang][::every]):
            if len(line.split()) >= 3 and any("\u0400" <= ch <= "\u04ff" for ch in line):
                short = " ".join(line.split()[: 3 + number % 6])
                rows.append(("cv", lang, "latin", "short", typed_latin(short, rng)))
    for source, lines_by_lang in dev.items():
        for lang, lines in lines_by_lang.items():
            for number, line in enumerate(lines[::every]):
                if len(line.split()) < 3 and source != "chat":
                    continue
                cyrillic = any("\u0400" <= ch <= "\u04ff" for ch in line)
                # the Uzbek off-topic lines are of both scripts
                line_lang = "uz-Cyrl" if lang == "uz" and cyrillic else lang
                versions = [(line_lang, line)]
                if line_lang == "uz":
                    versions.append(("uz-Cyrl", latn_to_cyrl(line)))
                for variant_lang, sentence in versions:
                    for typing in ("normal", "plain"):
                        typed = (
                            sentence
                            if typing == "normal"
                            else plain(sentence, variant_lang, number)
                        )
                        if typing == "plain" and typed == sentence:
                            continue
                        if source != "chat":
                            short = " ".join(typed.split()[: 3 + number % 6])
                            rows.append((source, variant_lang, typing, "short", short))
                        rows.append((source, variant_lang, typing, "whole", typed))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--external", type=Path, help="folder of bare snapshots (/work/.mirror)")
    parser.add_argument("--every", type=int, default=1, help="use every n-th held-out line")
    args = parser.parse_args()
    lines = corpus()
    train = {lang: [s for s in ls if not held_out(s)] for lang, ls in lines.items()}
    dev = {"cv": {lang: [s for s in ls if held_out(s)] for lang, ls in lines.items()}}
    if args.external:
        dev["external"] = external(args.external)
    dev["chat"] = chat()
    langid._Detectors.load()
    langid._Detectors._model = LangModel.train(train)
    counts: dict[tuple, Counter] = defaultdict(Counter)
    confusions: Counter = Counter()
    for source, lang, typing, length, text in texts(dev, args.every):
        guess = langid.identify(text).lang
        cell = counts[(source, typing, length, lang)]
        cell["n"] += 1
        cell["ok"] += guess == lang
        if guess != lang and length == "short":
            confusions[(source, typing, lang, guess)] += 1
        if source == "chat":
            chosen = langid.identify(text, prior=lang)
            switched = langid.switch_language(text, lang, chosen.lang, chosen.confidence)
            chat_cell = counts[("chat, chosen", typing, length, lang)]
            chat_cell["n"] += 1
            chat_cell["ok"] += chosen.lang == lang
            switch_cell = counts[("chat, switched away", typing, length, lang)]
            switch_cell["n"] += 1
            switch_cell["ok"] += switched is not None
    print("| source | typed | length | " + " | ".join(ORDER) + " |")
    print("|---" * (3 + len(ORDER)) + "|")
    for source in [*dev, "chat, chosen", "chat, switched away"]:
        for typing in ("normal", "plain", "latin"):
            for length in ("short", "whole"):
                cells = []
                for lang in ORDER:
                    cell = counts.get((source, typing, length, lang))
                    cells.append(f"{100 * cell['ok'] / cell['n']:.1f}" if cell else "-")
                if any(cell != "-" for cell in cells):
                    print(f"| {source} | {typing} | {length} | " + " | ".join(cells) + " |")
    short = [c for k, c in counts.items() if k[2] == "short" and k[0] != "chat"]
    mean = sum(100 * c["ok"] / c["n"] for c in short) / len(short)
    worst = min(100 * c["ok"] / c["n"] for c in short)
    print(f"\nshort: mean of cells {mean:.2f}, worst cell {worst:.1f}")
    print("most frequent short confusions (source, typed, true -> guessed):")
    for (source, typing, true, guess), n in confusions.most_common(14):
        print(f"  {source} {typing}: {true} -> {guess}: {n}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
