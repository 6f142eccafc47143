"""`komek db copy`: a conversation on SQLite, copied into PostgreSQL: every row equal, and the
bot on PostgreSQL serves the same person in the same ticket's topic, with fresh ids for new
rows. PostgreSQL only: skipped without KOMEK_TEST_POSTGRES_URL (except in CI)."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.keys import load_keys, open_database
from bot.knowledge import KnowledgeStore
from db.database import make_engine, upgrade
from db.models import Base, Lease, User
from tests.e2e.harness import Running, eventually, new_person
from tests.e2e.test_backup import komek, wipe
from tests.e2e.test_conversation import topic_button
from tests.e2e.test_escalation import OPERATOR, open_ticket

POSTGRES = os.environ.get("KOMEK_TEST_POSTGRES_URL")


@pytest.fixture
def database_url(tmp_path) -> str:
    """The source: SQLite, as an NGO starts."""
    return f"sqlite+aiosqlite:///{tmp_path / 'komek.sqlite3'}"


@pytest.fixture
async def target() -> str:
    if not POSTGRES:
        if os.environ.get("CI"):
            pytest.fail("CI must set KOMEK_TEST_POSTGRES_URL (.ci/run starts PostgreSQL)")
        pytest.skip("PostgreSQL tests run in CI (set KOMEK_TEST_POSTGRES_URL to run here)")
    await wipe(POSTGRES)
    return POSTGRES


async def every_object(url: str, settings) -> dict[str, list[dict]]:
    """Every row of every table, read through the ORM (encrypted values decrypted)."""
    engine = make_engine(url, load_keys(settings)[0])
    try:
        async with AsyncSession(engine) as session:
            found = {}
            for mapper in Base.registry.mappers:
                table = mapper.local_table
                rows = await session.scalars(
                    select(mapper.class_).order_by(*table.primary_key.columns)
                )
                found[table.name] = [
                    {a.key: utc(getattr(row, a.key)) for a in mapper.column_attrs} for row in rows
                ]
            return found
    finally:
        await engine.dispose()


def utc(value: object) -> object:
    if isinstance(value, dt.datetime) and value.tzinfo is None:  # SQLite keeps no zone
        return value.replace(tzinfo=dt.UTC)
    return value


async def stopped_long_ago(url: str) -> None:
    """The heartbeat of a stopped bot counts as alive for 20 s: let them pass."""
    engine = make_engine(url)
    async with engine.begin() as conn:
        past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=21)
        await conn.execute(update(Lease).values(until=past))
    await engine.dispose()


async def test_a_conversation_on_sqlite_goes_on_in_postgresql(
    target, settings, knowledge, client, person, monkeypatch, capsys
):
    source = settings.database_url
    store = KnowledgeStore(settings.content_dir, knowledge)
    running = Running(settings, store)
    await running.start()
    try:
        await client.add_operator(OPERATOR)
        topic, header = await open_ticket(person, client)
        thread = topic["message_thread_id"]
        text = await client.user_sends_text(person.id, "мне не платят зарплату")
        await client.wait_for_messages(
            client.operator_chat_id, 1, thread_id=thread, after_id=header["message_id"]
        )
        sent = await client.operator_sends_text(OPERATOR, "Здравствуйте!", thread_id=thread)
        [reply] = await client.wait_for_messages(person.id, 1, after_id=text["message_id"])
        assert reply["text"] == "Здравствуйте!"

        # Not while the bot runs on the source.
        assert await komek(monkeypatch, source, "db", "copy", target) == 1
        assert "stop every bot process" in capsys.readouterr().err
    finally:
        await running.stop()
    await stopped_long_ago(source)

    before = await every_object(source, settings)
    assert before["tickets"] and before["ticket_messages"] and before["outbox"]
    assert await komek(monkeypatch, source, "db", "copy", target) == 0
    assert "KOMEK_DATABASE_URL" in capsys.readouterr().out
    assert await every_object(target, settings) == before

    # A second copy finds the conversations there and refuses.
    assert await komek(monkeypatch, source, "db", "copy", target) == 1
    assert "already holds conversations" in capsys.readouterr().err

    running = Running(settings.model_copy(update={"database_url": target}), store)
    await running.start()
    try:
        [menu] = await person.says("/menu")  # their language is remembered: no picker
        assert knowledge.content.topic("work").titles["ru"] in topic_button(menu, "work")

        later = await client.operator_sends_text(OPERATOR, "Мы ещё здесь", thread_id=thread)
        assert later["message_id"] > sent["message_id"]
        [delivered] = await client.wait_for_messages(person.id, 1, after_id=menu["message_id"])
        assert delivered["text"] == "Мы ещё здесь"  # the existing ticket's topic still relays

        other = await new_person(client, 5002)
        [picker] = await other.says("/start")
        notice = await other.press(picker, "lang:ru")
        menu = await other.press(notice, "ok:1")
        await other.press(menu, "h:-", new_messages=1)
        topics = await eventually(lambda: _two(client))
        assert topics[1]["name"].startswith("#2 · ru")  # a fresh id: the sequences were set
    finally:
        await running.stop()


async def _two(client) -> list[dict] | None:
    topics = await client.topics()
    return topics if len(topics) == 2 else None


async def test_a_source_behind_this_version_is_refused(target, settings, monkeypatch, capsys):
    await upgrade(settings.database_url, "0004")
    assert await komek(monkeypatch, settings.database_url, "db", "copy", target) == 1
    assert "run `komek db upgrade` first" in capsys.readouterr().err


async def test_a_target_with_conversations_is_refused(target, settings, monkeypatch, capsys):
    await (await open_database(settings)).dispose()  # the source: empty, current
    on_target = settings.model_copy(update={"database_url": target})
    engine = await open_database(on_target)
    async with AsyncSession(engine) as session, session.begin():
        session.add(User(id=1))
    await engine.dispose()
    assert await komek(monkeypatch, settings.database_url, "db", "copy", target) == 1
    err = capsys.readouterr().err
    assert "already holds conversations: copy only into an empty database" in err
