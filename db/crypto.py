"""Encryption at rest of what people write: columns of type `EncryptedText` hold Fernet
tokens (AES-128-CBC with an HMAC), never the text itself.

The keys belong to the engine (`make_engine(url, keys)`): the first key encrypts, every key
decrypts, so that a new key can be put in front while the old one still reads (rotation).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.types import Text, TypeDecorator


class KeysError(Exception):
    """The keys are malformed, missing, or do not open what is stored."""


class Keys:
    """One or more Fernet keys; the first encrypts."""

    def __init__(self, keys: list[str]):
        if not keys:
            raise KeysError("no key given")
        try:
            self._multi = MultiFernet([Fernet(key) for key in keys])
        except ValueError:
            raise KeysError("a key is not a Fernet key (32 bytes in url-safe base64)") from None
        self.count = len(keys)

    @classmethod
    def parse(cls, text: str) -> Keys:
        """Keys separated by spaces, commas or lines."""
        return cls(text.replace(",", " ").split())

    @staticmethod
    def generate() -> str:
        return Fernet.generate_key().decode("ascii")

    def encrypt(self, text: str) -> str:
        return self._multi.encrypt(text.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        try:
            return self._multi.decrypt(token.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeEncodeError):
            raise KeysError("a stored value cannot be decrypted with the configured keys") from None

    def rotate(self, token: str) -> str:
        """The same value, encrypted with the first key."""
        try:
            return self._multi.rotate(token.encode("ascii")).decode("ascii")
        except (InvalidToken, UnicodeEncodeError):
            raise KeysError("a stored value cannot be decrypted with the configured keys") from None


def use_keys(dialect: Dialect, keys: Keys | None) -> None:
    dialect.komek_keys = keys  # type: ignore[attr-defined]


def keys_of(dialect: Dialect) -> Keys:
    keys = getattr(dialect, "komek_keys", None)
    if keys is None:
        raise KeysError("this database engine was made without encryption keys")
    return keys


class EncryptedText(TypeDecorator):
    """Text stored encrypted with the engine's keys; read back as the text."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keys_of(dialect).encrypt(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else keys_of(dialect).decrypt(value)


def recode(connection: Connection, table: str, key: str, column: str, change: Callable) -> int:
    """Rewrite every non-null value of `table.column` as `change(value)`, read and written as
    plain text (for migrations and key rotation). Returns how many values changed."""
    plain = sa.table(table, sa.column(key), sa.column(column, Text))
    rows = connection.execute(
        sa.select(plain.c[key], plain.c[column]).where(plain.c[column].is_not(None))
    ).all()
    if rows:
        connection.execute(
            plain.update()
            .where(plain.c[key] == sa.bindparam("_key"))
            .values({column: sa.bindparam("_value")}),
            [{"_key": k, "_value": change(v)} for k, v in rows],
        )
    return len(rows)


def encrypted_columns(metadata: sa.MetaData) -> list[tuple[str, str, str]]:
    """(table, primary key, column) of every encrypted column."""
    found = []
    for table in metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedText):
                (key,) = table.primary_key.columns
                found.append((table.name, key.name, column.name))
    return found
