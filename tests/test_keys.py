"""The encryption key: made at the first start, checked at every start, and the migration
that encrypts what older versions stored in plain text."""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import subprocess
import sys

import pytest
from alembic import command

from bot.config import ROOT, load_settings
from bot.keys import open_database
from db.crypto import Keys
from db.database import alembic_config, upgrade_sync

PLAIN = {
    "ticket_messages": "меня зовут Зульфия",
    "unanswered": "где мой паспорт",
    "inbox": '{"update_id": 1, "message": {"text": "помогите"}}',
    "outbox": '{"chat_id": 5, "text": "ответ оператора"}',
}


def _settings(tmp_path, **extra):
    url = f"sqlite+aiosqlite:///{tmp_path / 'komek.sqlite3'}"
    return load_settings(database_url=url, key_file=tmp_path / "komek.key", **extra)


def _open(settings) -> None:
    async def go() -> None:
        await (await open_database(settings)).dispose()

    asyncio.run(go())


def _values(path) -> dict[str, str]:
    with sqlite3.connect(path) as db:
        return {
            "ticket_messages": db.execute("SELECT text FROM ticket_messages").fetchone()[0],
            "unanswered": db.execute("SELECT text FROM unanswered").fetchone()[0],
            "inbox": db.execute("SELECT raw FROM inbox").fetchone()[0],
            "outbox": db.execute("SELECT payload FROM outbox").fetchone()[0],
        }


def test_first_start_makes_a_private_key_file_and_says_where(tmp_path, caplog):
    settings = _settings(tmp_path)
    with caplog.at_level(logging.WARNING, logger="bot.keys"):
        _open(settings)
    key = settings.key_file.read_text().strip()
    Keys.parse(key)  # a usable key
    assert settings.key_file.stat().st_mode & 0o777 == 0o600
    said = caplog.text
    assert str(settings.key_file) in said and "apart from the database" in said
    assert key not in said
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.keys"):
        _open(settings)  # the second start uses it and says nothing
    assert settings.key_file.read_text().strip() == key and caplog.text == ""


def test_the_migration_encrypts_plain_rows_and_its_downgrade_decrypts_them(tmp_path):
    settings = _settings(tmp_path)
    path = tmp_path / "komek.sqlite3"
    upgrade_sync(settings.database_url, "0003")
    with sqlite3.connect(path) as db:  # what a version before encryption stored
        db.execute("INSERT INTO users (id, blocked, created_at, last_seen_at) VALUES (5, 0, 0, 0)")
        db.execute(
            "INSERT INTO tickets (id, user_id, status, urgent, lang, created_at, waiting_since)"
            " VALUES (1, 5, 'waiting', 0, 'ru', 0, 0)"
        )
        db.execute(
            "INSERT INTO ticket_messages (ticket_id, direction, kind, text, relayed, created_at)"
            " VALUES (1, 'in', 'text', ?, 0, 0)",
            (PLAIN["ticket_messages"],),
        )
        db.execute(
            "INSERT INTO unanswered (text, lang, outcome, nearest, created_at)"
            " VALUES (?, 'ru', 'none', '', 0)",
            (PLAIN["unanswered"],),
        )
        db.execute(
            "INSERT INTO inbox (update_id, actor, raw, state, attempts, received_at)"
            " VALUES (1, 5, ?, 'new', 0, 0)",
            (PLAIN["inbox"],),
        )
        db.execute(
            "INSERT INTO outbox (lane, chat_id, method, payload, priority, state, attempts,"
            " mirrored, created_at) VALUES ('u5', 5, 'sendMessage', ?, 0, 'pending', 0, 0, 0)",
            (PLAIN["outbox"],),
        )

    _open(settings)  # the first start of the new version migrates
    keys = Keys.parse(settings.key_file.read_text())
    stored = _values(path)
    for table, plain in PLAIN.items():
        assert plain not in stored[table]
        assert keys.decrypt(stored[table]) == plain

    command.downgrade(alembic_config(settings.database_url, keys), "0003")
    assert _values(path) == PLAIN


def _komek(tmp_path, *args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        **{k: v for k, v in os.environ.items() if k != "KOMEK_ENCRYPTION_KEY"},
        "KOMEK_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'komek.sqlite3'}",
        "KOMEK_BOT_TOKEN": "123:not-a-token",
        "KOMEK_OPERATOR_CHAT_ID": "-1001",
        "KOMEK_API_BASE": "http://127.0.0.1:9",  # never reached: the key is checked first
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"KOMEK_ENCRYPTION_KEY": Keys.generate()}, "does not open this database"),
        ({"KOMEK_KEY_FILE": "elsewhere.key"}, "no key file at"),
        ({"KOMEK_ENCRYPTION_KEY": "not-a-key"}, "holds no usable key"),
    ],
    ids=["wrong key", "missing key file", "malformed key"],
)
def test_a_wrong_or_missing_key_stops_the_start_with_one_line(tmp_path, env, said):
    _open(_settings(tmp_path))  # a database encrypted with the key in tmp_path/komek.key
    if "KOMEK_KEY_FILE" in env:
        env = {"KOMEK_KEY_FILE": str(tmp_path / env["KOMEK_KEY_FILE"])}
    result = _komek(tmp_path, "run", **env)
    assert result.returncode == 2
    assert said in result.stderr and "Traceback" not in result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("komek:")]
    assert not (tmp_path / "elsewhere.key").exists()  # a key that opens nothing is not kept
