"""`komek db backup` and `komek db restore`: every row back, onto an empty database of the
current schema, and the bot serves from it (SQLite here, PostgreSQL in CI too)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.__main__ import main
from bot.keys import open_database
from bot.knowledge import KnowledgeStore
from db.models import Base
from tests.e2e.harness import Running, eventually
from tests.e2e.test_escalation import open_ticket


async def every_row(url: str) -> dict[str, list[tuple]]:
    """Every stored value as it is on disk (encrypted values as their tokens)."""
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            found = {}
            for table in Base.metadata.sorted_tables:
                order = ", ".join(c.name for c in table.primary_key.columns or table.columns)
                rows = await conn.execute(text(f"SELECT * FROM {table.name} ORDER BY {order}"))
                found[table.name] = [tuple(r) for r in rows]
            return found
    finally:
        await engine.dispose()


async def wipe(url: str) -> None:
    if make_url(url).get_backend_name() == "sqlite":
        for suffix in ("", "-wal", "-shm"):
            await asyncio.to_thread(Path(f"{make_url(url).database}{suffix}").unlink, True)
        return
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


async def komek(monkeypatch, url: str, *args: str) -> int:
    monkeypatch.setenv("KOMEK_DATABASE_URL", url)
    return await asyncio.to_thread(main, list(args))


async def test_backup_and_restore_bring_every_row_back_and_the_bot_serves(
    settings, knowledge, client, person, tmp_path, monkeypatch, capsys
):
    url = settings.database_url
    running = Running(settings, KnowledgeStore(settings.content_dir, knowledge))
    await running.start()
    topic, _header = await open_ticket(person, client)
    await running.stop()
    before = await every_row(url)
    assert before["tickets"] and before["users"] and before["outbox"]

    dump = tmp_path / "backups" / "komek.backup"
    assert await komek(monkeypatch, url, "db", "backup", str(dump)) == 0
    assert dump.stat().st_mode & 0o777 == 0o600

    await wipe(url)  # the disk is lost; a new server starts with an empty, current schema
    await (await open_database(settings)).dispose()
    assert await komek(monkeypatch, url, "db", "restore", str(dump)) == 0
    assert await every_row(url) == before

    # A second restore over the data is refused unless asked for.
    assert await komek(monkeypatch, url, "db", "restore", str(dump)) == 1
    assert "--replace" in capsys.readouterr().err
    assert await komek(monkeypatch, url, "db", "restore", str(dump), "--replace") == 0

    await running.start()
    try:
        await client.user_sends_text(person.id, "Я ещё здесь")
        thread = topic["message_thread_id"]

        async def relayed():
            found = await client.messages(client.operator_chat_id, thread_id=thread)
            return [m for m in found if m.get("text") == "Я ещё здесь"]

        assert await eventually(relayed)  # into the ticket's topic that was restored
    finally:
        await running.stop()


async def test_restore_of_a_missing_file_says_so(settings, tmp_path, monkeypatch, capsys):
    code = await komek(monkeypatch, settings.database_url, "db", "restore", str(tmp_path / "x"))
    assert code == 1 and "no backup at" in capsys.readouterr().err
