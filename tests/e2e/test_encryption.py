"""Encryption at rest: what a person wrote is in no byte of the database file or of a
PostgreSQL dump, yet operators still get it in Telegram, also replayed into a recreated
topic; the key can be rotated while everything stays readable."""

from __future__ import annotations

import sqlite3
import subprocess

import pytest
from pydantic import SecretStr
from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.config import SettingsError
from bot.keys import open_database, rotate
from db.models import TicketMessage, Unanswered
from tests.e2e.harness import eventually
from tests.e2e.test_conversation import start
from tests.e2e.test_escalation import open_ticket
from tests.e2e.test_operators import _other_topic, _texts_in

# Words that masking leaves alone, in both scripts a person may write in.
MARKER = "Зульфиябектурсун"
GAP_MARKER = "Qwertyzulfiyabek"


@pytest.fixture
def settings(settings, tmp_path):
    return settings.model_copy(update={"key_file": tmp_path / "komek.key"})


def _database_bytes(url: str) -> bytes:
    """Every byte the database keeps: the SQLite file after a checkpoint of its WAL, or a
    pg_dump of the PostgreSQL database."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        with sqlite3.connect(parsed.database) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        files = [parsed.database, f"{parsed.database}-wal"]
        return b"".join(open(f, "rb").read() for f in files if _exists(f))
    dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    return subprocess.run(["pg_dump", "--dbname", dsn], capture_output=True, check=True).stdout


def _exists(path: str) -> bool:
    try:
        open(path, "rb").close()
        return True
    except FileNotFoundError:
        return False


async def _stored(bot, column) -> list[str]:
    async with bot.komek.sessions.begin() as session:
        return [t for t in await session.scalars(select(column)) if t]


async def test_what_a_person_wrote_is_absent_from_the_database_and_relayed_again(
    bot, person, client, database_url
):
    menu = await start(person, "ru")
    await person.says(f"{GAP_MARKER} xyzzy plugh")  # no answer for this: kept for editors
    assert any(GAP_MARKER in t for t in await eventually(lambda: _stored(bot, Unanswered.text)))
    await person.press(menu, "h:-", new_messages=1)
    [topic] = await eventually(client.topics)
    await client.user_sends_text(person.id, f"меня зовут {MARKER}, у меня нет патента")
    old = topic["message_thread_id"]
    await eventually(lambda: _texts_in(client, old, MARKER))  # operators read it as written

    await client.delete_topic(old)
    await client.user_sends_text(person.id, "вы здесь?")
    new = await eventually(lambda: _other_topic(client, old))
    await eventually(lambda: _texts_in(client, new["message_thread_id"], "вы здесь?"))
    # the history replayed into the new topic comes from the encrypted ticket messages
    assert await _texts_in(client, new["message_thread_id"], MARKER)
    assert any(MARKER in t for t in await _stored(bot, TicketMessage.text))

    await bot.stop()
    stored = _database_bytes(database_url)
    assert b"ticket_messages" in stored and len(stored) > 10_000  # it is the database
    for marker in (MARKER, GAP_MARKER):
        assert marker.encode() not in stored
        assert marker.encode("utf-16-le") not in stored
    assert "патента".encode() not in stored


async def test_key_rotation_keeps_everything_readable_and_retires_the_old_key(
    bot, person, client, settings
):
    await open_ticket(person, client)
    await client.user_sends_text(person.id, f"я {MARKER}")
    await eventually(lambda: _stored(bot, TicketMessage.text))
    old_key = settings.key_file.read_text().strip()
    with pytest.raises(SettingsError, match="is running"):  # never under a running bot
        await rotate(settings)
    await bot.stop()  # a graceful stop says at once that the process is gone
    told = await rotate(settings)
    assert "encrypted with the new key" in told and old_key not in told
    new_key = settings.key_file.read_text().strip()
    assert new_key != old_key and len(new_key.split()) == 1
    assert settings.key_file.stat().st_mode & 0o777 == 0o600

    await bot.start()  # the new key alone reads what was stored
    history = await bot.komek.helpdesk.tickets.history(1)
    assert any(MARKER in (line.text or "") for line in history)
    await client.user_sends_text(person.id, "ещё вопрос")
    await eventually(lambda: _ticket_texts(bot, "ещё вопрос"))
    await bot.stop()

    retired = settings.model_copy(update={"encryption_key": SecretStr(old_key)})
    with pytest.raises(SettingsError, match="does not open this database"):
        await open_database(retired)


async def _ticket_texts(bot, needle: str) -> bool:
    return any(needle in t for t in await _stored(bot, TicketMessage.text))
