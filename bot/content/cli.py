"""`komek content ...`: the editors' commands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bot.config import Settings
from bot.content import coverage
from bot.content.check import check, summary
from bot.content.loader import read_content


def main(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "check":
        return _check(settings)
    if args.action == "coverage":
        content, _problems = read_content(settings.content_dir)
        if content is None:
            print("content cannot be read: run `komek content check`", file=sys.stderr)
            return 1
        print(coverage.as_markdown(content) if args.markdown else coverage.as_text(content))
        return 0
    if args.action in ("export-po", "import-po"):
        from bot.content import translation

        return translation.main(args.action, settings.content_dir, Path(args.dir))
    if args.action == "gaps":
        from bot.services.gaps import print_gaps

        return print_gaps(settings)
    return 2


def _check(settings: Settings) -> int:
    problems = check(settings.content_dir, settings.locales_dir)
    for problem in problems:
        print(problem)
    errors, warnings = summary(problems)
    verdict = "FAILED" if errors else "passed"
    print(f"content check {verdict}: {errors} error(s), {warnings} warning(s)")
    return 1 if errors else 0
