"""What a bot process loads: only what its configuration uses (the memory of a small server)."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import ROOT
from db.database import alembic_config, newest_revisions

# Only building the classifier needs SciPy and scikit-learn (a cached one scores with NumPy);
# only the console needs Jinja2 and its web application (`/console` links need only
# `bot.console` itself); only KOMEK_REDIS_URL needs the Redis client.
OPTIONAL = ("scipy", "sklearn", "jinja2", "bot.console.", "redis")


def test_the_bot_without_console_loads_no_console_scipy_or_scikit_learn() -> None:
    code = (
        "import sys\n"
        "import bot.app\n"
        f"print(sorted({{m for m in sys.modules if m.startswith({OPTIONAL!r})}}))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_a_start_loads_alembic_only_when_the_database_has_a_migration_to_apply(
    tmp_path: Path,
) -> None:
    code = (
        "import asyncio, sys\n"
        "from bot.config import load_settings\n"
        "from bot.keys import open_database\n"
        f"settings = load_settings(database_url='sqlite+aiosqlite:///{tmp_path}/k.sqlite3',"
        f" key_file='{tmp_path}/komek.key')\n"
        "async def start():\n"
        "    await (await open_database(settings)).dispose()\n"
        "asyncio.run(start())\n"
        "print('alembic' in sys.modules)\n"
    )

    def start() -> str:
        result = subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    assert start() == "True"  # a new database: migrated
    assert start() == "False"  # at the newest revision: nothing to migrate


def test_the_newest_revision_read_from_the_migrations_files_is_alembics_head() -> None:
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    assert newest_revisions() == frozenset(heads)


def test_garbage_is_collected_again_once_started_even_after_a_failed_start() -> None:
    """Start-up runs without the collector (`bot.__main__._starting`); a bot left without
    it would keep every reference cycle it makes for as long as it runs."""
    from bot.__main__ import _starting

    try:
        with pytest.raises(RuntimeError), _starting():
            assert not gc.isenabled()
            raise RuntimeError("the database is unreachable")
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()
