"""Engine and session factory, and applying the migrations.

Alembic (11 MiB of memory) is imported only to migrate: a start whose database is at the
newest revision, as it is at every start but the first after an upgrade, never loads it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from db.crypto import Keys, use_keys

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"

# What people write passes through SQL parameters: never into logs or error messages.
# (aiosqlite logs every call with its parameters at DEBUG; SQLAlchemy's engine logs hide them.)
logging.getLogger("aiosqlite").setLevel(logging.WARNING)


def make_engine(url: str, keys: Keys | None = None) -> AsyncEngine:
    """An engine whose encrypted columns use `keys` (without them, reading or writing one
    raises KeysError)."""
    engine = _engine(url)
    use_keys(engine.dialect, keys)
    return engine


def _engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # One connection, handed out in turn: SQLite has one writer anyway, and waiting in
        # this queue is fair and prompt where SQLite's own busy handler sleeps up to 100 ms.
        engine = create_async_engine(
            url,
            connect_args={"timeout": 30},
            hide_parameters=True,
            pool_size=1,
            max_overflow=0,
            pool_timeout=120,
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")  # WAL stays consistent, fewer fsyncs
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.execute("PRAGMA secure_delete=ON")  # what is deleted is overwritten
            cursor.close()
            # SQLAlchemy's recipe: the driver opens no transactions of its own...
            dbapi_conn.isolation_level = None

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(conn):  # type: ignore[no-untyped-def]
            # ...and each one takes the write lock at once: a transaction that read first and
            # wrote later could otherwise fail with SQLITE_BUSY instead of waiting its turn.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_async_engine(url, pool_pre_ping=True, hide_parameters=True)


_unit: ContextVar[AsyncSession | None] = ContextVar("komek_unit_of_work", default=None)


class Sessions:
    """Transactions for the services. Inside `unit()`, every `begin()` joins the unit's one
    transaction: all that an update changes, and every message it sends, is committed at once
    or not at all."""

    def __init__(self, maker: async_sessionmaker):
        self._maker = maker

    @contextlib.asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncSession]:
        current = _unit.get()
        if current is not None:
            yield current
            return
        async with self._maker.begin() as session:
            yield session

    @contextlib.asynccontextmanager
    async def unit(self) -> AsyncIterator[AsyncSession]:
        if _unit.get() is not None:
            raise RuntimeError("a unit of work is already open")
        async with self._maker.begin() as session:
            token = _unit.set(session)
            try:
                yield session
            finally:
                _unit.reset(token)

    @contextlib.asynccontextmanager
    async def apart(self) -> AsyncIterator[AsyncSession]:
        """A transaction of its own, even inside a unit of work (e.g. claiming work)."""
        token = _unit.set(None)
        try:
            async with self._maker.begin() as session:
                yield session
        finally:
            _unit.reset(token)

    async def checkpoint(self) -> None:
        """SQLite: the write-ahead log is copied into the database file and emptied, so that
        what was deleted is in neither (PostgreSQL: nothing to do)."""
        engine = self._maker.kw["bind"]
        if engine.dialect.name != "sqlite":
            return
        async with engine.connect() as connection:
            raw = await connection.get_raw_connection()
            await raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def make_sessions(engine: AsyncEngine) -> Sessions:
    return Sessions(async_sessionmaker(engine, expire_on_commit=False))


def alembic_config(url: str, keys: Keys | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url)
    config.attributes["configure_logger"] = False
    config.attributes["keys"] = keys  # migrations that encrypt or decrypt stored values
    return config


def upgrade_sync(url: str, revision: str = "head", keys: Keys | None = None) -> None:
    from alembic import command

    if make_url(url).get_backend_name() == "sqlite":
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url, keys), revision)


def downgrade_sync(url: str, revision: str = "-1", keys: Keys | None = None) -> None:
    """Undo migrations down to `revision` (`-1`: the last one), for going back a version."""
    from alembic import command

    command.downgrade(alembic_config(url, keys), revision)


async def upgrade(url: str, revision: str = "head", keys: Keys | None = None) -> None:
    """Apply migrations up to `revision` (run in a thread: Alembic's env drives its own loop)."""
    await asyncio.to_thread(upgrade_sync, url, revision, keys)


def newest_revisions() -> frozenset[str]:
    """The heads of the migrations (one, unless they branch), read from their files as
    Alembic reads them: the revisions that are no migration's `down_revision`."""
    found: dict[str, set[str]] = {"revision": set(), "down_revision": set()}
    assignment = re.compile(r"^(revision|down_revision)\b[^=\n]*=(.*)$", re.MULTILINE)
    for path in (MIGRATIONS / "versions").glob("*.py"):
        for name, value in assignment.findall(path.read_text(encoding="utf-8")):
            found[name].update(re.findall(r"[\"'](\w+)[\"']", value))
    return frozenset(found["revision"] - found["down_revision"])


async def at_newest(engine: AsyncEngine) -> bool:
    """Whether the database's schema is at the newest revision: nothing to migrate."""
    async with engine.connect() as connection:
        if not await connection.run_sync(lambda c: sa.inspect(c).has_table("alembic_version")):
            return False
        stored = await connection.scalars(sa.text("SELECT version_num FROM alembic_version"))
        return frozenset(stored) == newest_revisions()
