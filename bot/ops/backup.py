"""`komek db backup PATH` and `komek db restore PATH`.

- SQLite: SQLite's online backup API, a consistent copy while the bot runs; restoring copies
  it back over the database file (stop the bot first).
- PostgreSQL: `pg_dump --format=custom` and `pg_restore` (the client tools of the server's
  major version or newer must be installed); restoring empties the schema first.

Restore refuses a database that already holds people or tickets unless `replace` is given,
and then migrates what it restored to this version's schema, so that an older backup opens
in a newer Komek. The encryption key is not in the backup: keep it apart (docs/deploy.md).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import create_async_engine


class BackupError(Exception):
    """Said in one line by the command."""


def _pg(url: URL) -> tuple[list[str], dict[str, str]]:
    args = ["--host", url.host or "127.0.0.1", "--port", str(url.port or 5432)]
    if url.username:
        args += ["--username", url.username]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password  # never on the command line (ps shows it)
    return args, env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (apt-get install postgresql-client)")
    return found


def backup(database_url: str, path: Path) -> str:
    url = make_url(database_url)
    path.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        source = Path(url.database or "")
        if not source.exists():
            raise BackupError(f"no database at {source}")
        temp = path.with_name(path.name + ".part")
        with sqlite3.connect(source) as src, sqlite3.connect(temp) as dst:
            src.backup(dst)
        dst.close()
        os.replace(temp, path)
        os.chmod(path, 0o600)
        return f"SQLite backup written to {path}"
    args, env = _pg(url)
    _run([_tool("pg_dump"), *args, "--format=custom", "--no-owner", "--no-privileges",
          "--file", str(path), url.database or ""], env)  # fmt: skip
    os.chmod(path, 0o600)
    return f"PostgreSQL backup (pg_dump custom format) written to {path}"


async def holds_conversations(database_url: str) -> bool:
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            tables = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
            for table in ("users", "tickets"):
                if table in tables:
                    found = await conn.execute(text(f"SELECT 1 FROM {table} LIMIT 1"))
                    if found.first() is not None:
                        return True
            return False
    finally:
        await engine.dispose()


def restore(database_url: str, path: Path, *, replace: bool = False) -> str:
    """Put the backup in place (then the caller migrates it: `komek db upgrade`)."""
    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    url = make_url(database_url)
    sqlite = url.get_backend_name() == "sqlite"
    missing = sqlite and not Path(url.database or "").exists()
    if not missing and not replace and asyncio.run(holds_conversations(database_url)):
        raise BackupError(
            "the database already holds conversations: stop the bot and add --replace "
            "to overwrite it"
        )
    if sqlite:
        target = Path(url.database or "")
        target.parent.mkdir(parents=True, exist_ok=True)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
        with sqlite3.connect(path) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        dst.close()
        return f"restored {path} into {target}"
    asyncio.run(_empty_schema(database_url))  # a newer, empty one made by `komek run` too
    args, env = _pg(url)
    _run([_tool("pg_restore"), *args, "--no-owner", "--no-privileges", "--exit-on-error",
          "--dbname", url.database or "", str(path)], env)  # fmt: skip
    return f"restored {path} into the PostgreSQL database {url.database}"


async def _empty_schema(database_url: str) -> None:
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


def _run(command: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        last = (result.stderr.strip().splitlines() or ["failed"])[-1]
        raise BackupError(f"{Path(command[0]).name}: {last}")
