"""`komek db copy TARGET_URL`: every row of the configured database (SQLite, as an NGO
starts) into an empty PostgreSQL database, to grow past one server.

- Every table of db/models.py, parents before children, with its primary keys; then each
  PostgreSQL sequence is set past the largest id, so that new rows do not collide.
- Encrypted values are copied as stored (Fernet tokens): the same key opens the copy.
- Refused when the source is not at this version's newest revision, when a bot process
  runs on either database, or when the target holds conversations or is at another
  revision. A target with no tables at all is migrated first.
- One transaction on the target: a copy that fails leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from bot.ops.backup import BackupError, holds_conversations
from db.crypto import EncryptedText
from db.database import alembic_config, upgrade_sync
from db.models import Base
from db.repositories import live_processes

BATCH = 1000  # rows read and written at a time


def copy(source_url: str, target_url: str) -> str:
    """Copy; returns what the administrator is told next (BackupError: why not)."""
    if make_url(target_url).get_backend_name() != "postgresql":
        raise BackupError("the copy goes into PostgreSQL: give a postgresql+asyncpg:// URL")
    source = make_url(source_url)
    if source.get_backend_name() == "sqlite" and not Path(source.database or "").is_file():
        raise BackupError(f"no database at {source.database}")
    return asyncio.run(_copy(source_url, target_url))


async def _copy(source_url: str, target_url: str) -> str:
    head = ScriptDirectory.from_config(alembic_config(source_url)).get_current_head()
    source, target = create_async_engine(source_url), create_async_engine(target_url)
    try:
        async with source.connect() as conn:
            revision = await _revision(conn)
            if revision != head:
                raise BackupError(
                    f"the database is at revision {revision or 'none'}, this Komek's newest is "
                    f"{head}: run `komek db upgrade` first"
                )
            if await conn.scalar(live_processes()):
                raise BackupError(
                    "a bot process is running on this database (or stopped less than 20 s "
                    "ago): stop every bot process, then copy"
                )
        async with target.connect() as conn:
            revision = await _revision(conn)
            blank = not await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
        if blank:
            await asyncio.to_thread(upgrade_sync, target_url)  # no values: no keys needed
        elif revision != head:
            raise BackupError(
                f"the target is at revision {revision or 'none'}, not {head}: give an empty "
                "database, or one that this version of Komek migrated"
            )
        if await holds_conversations(target_url):
            raise BackupError(
                "the target already holds conversations: copy only into an empty database"
            )
        async with source.connect() as src, target.begin() as dst:
            if await dst.scalar(live_processes()):
                raise BackupError("a bot process is running on the target: stop it, then copy")
            rows = await _rows(src, dst)
    finally:
        await source.dispose()
        await target.dispose()
    return (
        f"{rows} rows of {len(Base.metadata.sorted_tables)} tables copied: set "
        "KOMEK_DATABASE_URL to the target (keep the same key) and start the bot"
    )


async def _revision(conn: AsyncConnection) -> str | None:
    if not await conn.run_sync(lambda c: sa.inspect(c).has_table("alembic_version")):
        return None
    return await conn.scalar(sa.text("SELECT version_num FROM alembic_version"))


def _as_stored(table: sa.Table) -> sa.TableClause:
    """The table with its encrypted columns as plain text: tokens are read and written as
    they are, never decrypted."""
    return sa.table(
        table.name,
        *(
            sa.column(c.name, sa.Text() if isinstance(c.type, EncryptedText) else c.type)
            for c in table.columns
        ),
    )


def _utc(value: object) -> object:
    """SQLite keeps times without their zone; Komek writes them in UTC."""
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


async def _rows(src: AsyncConnection, dst: AsyncConnection) -> int:
    tables = Base.metadata.sorted_tables  # parents before children
    for table in reversed(tables):  # e.g. the key check value that the migration wrote
        await dst.execute(_as_stored(table).delete())
    copied = 0
    for table in tables:
        plain = _as_stored(table)
        order = [plain.c[c.name] for c in table.primary_key.columns]
        result = await src.stream(sa.select(plain).order_by(*order))
        async for batch in result.mappings().partitions(BATCH):
            values = [{k: _utc(v) for k, v in row.items()} for row in batch]
            await dst.execute(plain.insert(), values)
            copied += len(values)
        for column in (c for c in table.primary_key.columns if isinstance(c.type, sa.Integer)):
            await dst.execute(
                sa.text(
                    f"SELECT setval(seq, COALESCE((SELECT MAX({column.name}) FROM {table.name}),"
                    " 0) + 1, false) FROM pg_get_serial_sequence(:t, :c) AS seq"
                    " WHERE seq IS NOT NULL"
                ),
                {"t": table.name, "c": column.name},
            )
    return copied
