"""The `komek` command line: demo, run, db, keys, content, i18n."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence

from bot.config import ROOT, Settings, SettingsError, load_settings, require_live

log = logging.getLogger("komek")


def _logging(settings: Settings) -> None:
    from bot.ops import errors, logs

    logs.configure(settings.log_level, settings.log_format)
    if settings.sentry_dsn is not None:
        errors.start_sentry(settings.sentry_dsn.get_secret_value())


def _on_signals(komek) -> None:  # type: ignore[no-untyped-def]
    """SIGTERM or SIGINT: a graceful stop; a second one: exit at once (nothing is lost either
    way: what is not done stays stored)."""
    loop = asyncio.get_running_loop()
    received: list[int] = []

    def handle(signum: int) -> None:
        received.append(signum)
        if len(received) > 1:
            log.warning("second signal: exiting at once")
            os._exit(128 + signum)
        log.info("signal %s: stopping gracefully", signal.Signals(signum).name)
        komek.stop()

    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, handle, signum)


@contextlib.contextmanager
def _starting():  # type: ignore[no-untyped-def]
    """Start-up makes some 300,000 objects that live as long as the process, and little
    garbage: collecting meanwhile only costs time (a tenth of the imports). Afterwards they
    are left out of later collections (`gc.freeze`), which then have less to walk."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


async def _demo(settings: Settings, host: str, port: int) -> None:
    with _starting():
        from bot.app import Komek
        from bot.console.serve import DEMO_COORDINATOR, demo_console
        from bot.sandbox.server import run_sandbox

    async with run_sandbox(host=host, port=port) as sandbox:
        update = {
            "api_base": sandbox.base_url,
            "operator_chat_id": sandbox.client.operator_chat_id,
            "bot_token": None,
            "console_port": settings.console_port or port + 1,
            "console_coordinators": [*settings.console_coordinators, DEMO_COORDINATOR],
        }
        if "database_url" not in settings.model_fields_set:  # never the real bot's database
            # The sandbox's world (people, chats, topics, update ids) is new at each start, so
            # the demo's database is too: one kept from an earlier run holds update ids the
            # new sandbox hands out again (taken for handled ones) and topics that are gone.
            path = ROOT / "var" / "demo.sqlite3"
            for stale in (
                path,
                path.with_name(path.name + "-wal"),
                path.with_name(path.name + "-shm"),
            ):
                stale.unlink(missing_ok=True)
            update["database_url"] = f"sqlite+aiosqlite:///{path}"
        demo = settings.model_copy(update=update)
        with _starting():
            komek = await Komek.create(demo)
        # A database given with KOMEK_DATABASE_URL is kept: the sandbox numbers its updates
        # after the ones stored there (Telegram never hands out an update id twice).
        sandbox.state.updates.next_id = max(
            sandbox.state.updates.next_id, await komek.inbox.last_update_id() + 1
        )
        _on_signals(komek)
        print(f"Komek demo: open {sandbox.base_url}/ in a browser (Ctrl-C stops it)", flush=True)
        print(await demo_console(komek, sandbox.client), flush=True)
        try:
            await komek.run()
        finally:
            await komek.close()


async def _run(settings: Settings) -> None:
    require_live(settings)
    with _starting():
        from bot.app import Komek

        komek = await Komek.create(settings)
    _on_signals(komek)
    try:
        await komek.run()
    finally:
        await komek.close()


def _content(args: argparse.Namespace, settings: Settings) -> int:
    from bot.content import coverage, translation
    from bot.content.check import check, summary
    from bot.content.loader import read_content

    if args.action == "check":
        problems = check(settings.content_dir, settings.locales_dir)
        for problem in problems:
            print(problem)
        errors, warnings = summary(problems)
        verdict = "FAILED" if errors else "passed"
        print(f"content check {verdict}: {errors} error(s), {warnings} warning(s)")
        return 1 if errors else 0
    if args.action == "coverage":
        content, _problems = read_content(settings.content_dir)
        if content is None:
            print("content cannot be read: run `komek content check`", file=sys.stderr)
            return 1
        print(coverage.as_markdown(content) if args.markdown else coverage.as_text(content))
        return 0
    if args.action in ("export-po", "import-po"):
        from pathlib import Path

        return translation.main(args.action, settings.content_dir, Path(args.dir))
    return _gaps(settings)


def _gaps(settings: Settings) -> int:
    """Print the stored unanswered questions, grouped by similarity, with the nearest ids."""
    from bot.keys import open_database
    from bot.knowledge import load_knowledge
    from bot.services.gaps import Gaps
    from db.database import make_sessions
    from nlu.gaps import group_gaps

    async def read() -> list[str]:
        engine = await open_database(settings)
        try:
            return await Gaps(make_sessions(engine)).texts()
        finally:
            await engine.dispose()

    texts = asyncio.run(read())
    if not texts:
        print("no unanswered questions stored yet")
        return 0
    classifier = load_knowledge(settings.content_dir).classifier
    groups = group_gaps(texts, classifier)
    print(f"{len(texts)} unanswered question(s) in {len(groups)} group(s), largest first\n")
    for group in groups:
        nearest = ", ".join(f"{i} ({c:.2f})" for i, c in group.nearest)
        print(f"{group.count} × nearest: {nearest or '-'}")
        for example in group.examples:
            print(f"    {example}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="komek", description="Komek hotline bot")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="the bot against a local sandbox Telegram, no token needed")
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--port", type=int, default=8081)
    sub.add_parser("run", help="the bot against Telegram (needs KOMEK_BOT_TOKEN)")
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade", "downgrade", "backup", "restore", "copy"])
    db.add_argument(
        "target",
        nargs="?",
        help="backup/restore: a file; downgrade: a revision; copy: a PostgreSQL database's URL",
    )
    db.add_argument("--replace", action="store_true", help="restore over existing data")
    keys = sub.add_parser("keys", help="the keys that encrypt what people wrote")
    keys.add_argument("action", choices=["rotate", "new"])
    content = sub.add_parser("content", help="check and report on content/ and locales/")
    content.add_argument("action", choices=["check", "coverage", "export-po", "import-po", "gaps"])
    content.add_argument("--markdown", action="store_true", help="coverage as Markdown")
    content.add_argument("--dir", default="po", help="folder for export-po / import-po")
    i18n = sub.add_parser("i18n", help="interface translations (pybabel workflow)")
    i18n.add_argument("action", choices=["extract", "update", "compile"])
    args = parser.parse_args(argv)

    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"komek: {exc}", file=sys.stderr)
        return 2
    _logging(settings)
    actions: dict[str, Callable[[], int | None]] = {
        "demo": lambda: asyncio.run(_demo(settings, args.host, args.port)),
        "run": lambda: asyncio.run(_run(settings)),
        "db": lambda: _db(args, settings),
        "keys": lambda: _keys(args.action, settings),
        "content": lambda: _content(args, settings),
        "i18n": lambda: _i18n(args.action, settings),
    }
    try:
        with contextlib.suppress(KeyboardInterrupt):
            return actions[args.command]() or 0
    except SettingsError as exc:
        print(f"komek: {exc}", file=sys.stderr)
        return 2
    return 0


def _db(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    from bot.keys import load_keys, open_database
    from bot.ops import backup

    async def migrate() -> None:
        await (await open_database(settings)).dispose()

    try:
        if args.action == "backup" or args.action == "restore":
            if not args.target:
                raise backup.BackupError(f"komek db {args.action} needs a file: PATH")
            if args.action == "backup":
                print(backup.backup(settings.database_url, Path(args.target)))
                return 0
            print(backup.restore(settings.database_url, Path(args.target), replace=args.replace))
        if args.action == "copy":
            from bot.ops import dbcopy

            if not args.target:
                raise backup.BackupError("komek db copy needs the target database: URL")
            print(dbcopy.copy(settings.database_url, args.target))
            return 0
        if args.action == "downgrade":
            from db.database import downgrade_sync

            revision = args.target or "-1"
            downgrade_sync(settings.database_url, revision, load_keys(settings)[0])
            print(f"database downgraded to {revision}: start the older Komek now")
            return 0
    except backup.BackupError as exc:
        print(f"komek: {exc}", file=sys.stderr)
        return 1
    asyncio.run(migrate())
    print("database is up to date")
    return 0


def _keys(action: str, settings: Settings) -> int:
    from bot import keys

    if action == "new":  # a key to put in front of KOMEK_ENCRYPTION_KEY before rotating
        print(keys.Keys.generate())
        return 0
    print(asyncio.run(keys.rotate(settings)))
    return 0


def _i18n(action: str, settings: Settings) -> int:
    from bot.i18n_tools import run

    return run(action, settings.locales_dir)


if __name__ == "__main__":
    sys.exit(main())
