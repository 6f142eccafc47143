"""The keys that encrypt what people wrote in the database: loaded from KOMEK_ENCRYPTION_KEY
or the key file (made at the first start), checked against the database before anything is
read or migrated, and rotated by `komek keys rotate`.

The database keeps a check value (a token of a known text) so that a wrong or missing key
is told at start, in one line, instead of failing on the first stored message.
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings, SettingsError
from db.crypto import Keys, KeysError, encrypted_columns, keys_of, recode, use_keys
from db.database import at_newest, make_engine, upgrade
from db.models import Base, Setting
from db.repositories import live_processes

log = logging.getLogger(__name__)

CHECK_KEY, CHECK_TEXT = "encryption_check", "komek"


def _write_key_file(path: Path, text: str, *, replace: bool) -> bool:
    """Write the file whole or not at all, mode 0600. Without `replace`, an existing file is
    kept (another process made it first) and False returned."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{path.name}.{os.getpid()}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as file:
            file.write(text)
            file.flush()
            os.fsync(file.fileno())
        if replace:
            os.replace(temp, path)
            return True
        try:
            os.link(temp, path)
        except FileExistsError:
            return False
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def load_keys(settings: Settings) -> tuple[Keys, str, bool]:
    """The keys, where they come from (for messages), and whether the key file was just made."""
    made = False
    if settings.encryption_key is not None:
        where = "KOMEK_ENCRYPTION_KEY"
        text = settings.encryption_key.get_secret_value()
    else:
        path = settings.key_file
        where = f"the key file {path}"
        if not path.exists():
            made = _write_key_file(path, Keys.generate() + "\n", replace=False)
        if made:
            log.warning(
                "no encryption key was configured: made one in %s. Back it up apart from the "
                "database: without it, what people wrote cannot be read.",
                path,
            )
        try:
            text = path.read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{where} cannot be read: {exc}") from None
        if path.stat().st_mode & 0o077:
            log.warning("the key file %s can be read by other users: chmod 600 it", path)
    try:
        return Keys.parse(text), where, made
    except KeysError as exc:
        raise SettingsError(f"{where} holds no usable key: {exc}") from None


async def _check(engine: AsyncEngine, keys: Keys, where: str, *, write: bool) -> None:
    """The keys open this database (a database without a check value gets one if `write`)."""
    async with engine.begin() as connection:
        if not await connection.run_sync(lambda c: sa.inspect(c).has_table("settings")):
            return
        if write:  # insert-or-nothing: processes starting at once write one check value
            insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
            await connection.execute(
                insert(Setting)
                .values(key=CHECK_KEY, value=keys.encrypt(CHECK_TEXT))
                .on_conflict_do_nothing(index_elements=["key"])
            )
        token = await connection.scalar(sa.select(Setting.value).where(Setting.key == CHECK_KEY))
    if token is None:
        return
    try:
        keys.decrypt(token)
    except KeysError:
        raise SettingsError(
            f"the encryption key in {where} does not open this database: configure the key "
            "it was written with (KOMEK_ENCRYPTION_KEY or KOMEK_KEY_FILE, from your backup)"
        ) from None


async def open_database(settings: Settings) -> AsyncEngine:
    """The engine of the configured database with its keys, checked, and migrated (Alembic is
    loaded only when there is a migration to apply)."""
    keys, where, made = load_keys(settings)
    engine = make_engine(settings.database_url, keys)
    try:
        try:
            await _check(engine, keys, where, write=False)  # before migrations touch values
        except SettingsError:
            if made:  # it opens nothing: the next start must not take it for the real one
                settings.key_file.unlink()
                raise SettingsError(
                    f"no key file at {settings.key_file}, and this database is encrypted: "
                    "put back the key file from your backup (or set KOMEK_ENCRYPTION_KEY)"
                ) from None
            raise
        if not await at_newest(engine):
            await upgrade(settings.database_url, keys=keys)
        await _check(engine, keys, where, write=True)
    except BaseException:
        await engine.dispose()
        raise
    return engine


async def rotate(settings: Settings) -> str:
    """Encrypt every stored value with a new key and retire the old one; returns what the
    administrator is told. The bot must be stopped (its processes hold the old key)."""
    engine = await open_database(settings)
    try:
        async with engine.begin() as connection:
            alive = await connection.scalar(live_processes())
        if alive:
            raise SettingsError(
                "a bot process is running (or stopped less than 20 s ago): stop every bot "
                "process, then rotate the key"
            )
        path = settings.key_file
        if settings.encryption_key is None:
            new = Keys.generate()
            # Old keys stay in the file until every value is re-encrypted: a crash midway
            # leaves everything readable.
            _write_key_file(path, f"{new}\n{path.read_text(encoding='ascii')}", replace=True)
            keys = Keys.parse(path.read_text(encoding="ascii"))
            use_keys(engine.dialect, keys)
        else:
            keys = keys_of(engine.dialect)
            if keys.count < 2:
                raise SettingsError(
                    "the key is set in KOMEK_ENCRYPTION_KEY: put a new key in front of it, "
                    "separated by a space (`komek keys new` prints one), then rotate again"
                )

        def reencrypt(connection: sa.Connection) -> int:
            columns = encrypted_columns(Base.metadata)
            count = sum(recode(connection, *column, keys.rotate) for column in columns)
            connection.execute(
                sa.update(Setting)
                .where(Setting.key == CHECK_KEY)
                .values(value=keys.encrypt(CHECK_TEXT))
            )
            return count

        async with engine.begin() as connection:
            count = await connection.run_sync(reencrypt)
    finally:
        await engine.dispose()
    if settings.encryption_key is None:
        _write_key_file(path, f"{new}\n", replace=True)
        retired = f"{path} now holds only the new key"
    else:
        retired = "now keep only the first key in KOMEK_ENCRYPTION_KEY"
    return (
        f"{count} stored value(s) encrypted with the new key; {retired}. Back the new key up "
        "apart from the database. Backups made before now open only with the old key: keep "
        "it with them, or destroy both."
    )
