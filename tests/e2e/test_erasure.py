"""Erasure: after /delete, and after the retention purge, no table holds the person's
Telegram id, a word they wrote or a file id they sent. Every table of the metadata is read
through the engine (so encrypted values are read decrypted): a new table cannot escape. The
SQLite file and its write-ahead log, after a checkpoint, hold not even the id as text. What
stays for statistics (language, subject, times, rating) stays, with no person."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url

from bot.services import retention
from db.models import Base, OutboxMessage, Setting, Ticket, Unanswered, utcnow
from tests.e2e.harness import eventually, new_person
from tests.e2e.test_conversation import start
from tests.e2e.test_escalation import _headers
from tests.e2e.test_operators import OPERATOR, _has, _rated, _with_button

PERSON = 7_390_512_846  # a Telegram id no other number in the database resembles
MARKER = "Зульфиябектурсун"  # words that masking leaves alone
GAP_MARKER = "Qwertyzulfiyabek"
RAW_ID = PERSON.to_bytes(6, "big")  # how SQLite stores the integer in a record


async def _found(bot, needles: list[str]) -> set[str]:
    """table.column of every value, in every table, that contains one of the needles."""
    found = set()
    async with bot.komek.db.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for row in (await connection.execute(select(table))).mappings():
                for column, value in row.items():
                    if value is not None and any(n in str(value) for n in needles):
                        found.add(f"{table.name}.{column}")
    return found


async def _unaddressed(bot) -> bool:
    """Nothing left to send: every row to the person went, and forgot whom it was for."""
    async with bot.komek.sessions.begin() as session:
        return not list(
            await session.scalars(select(OutboxMessage.id).where(OutboxMessage.state == "pending"))
        )


async def _file_bytes(bot, database_url: str) -> bytes | None:
    """The SQLite file and its WAL after the bot's own checkpoint (None on PostgreSQL)."""
    parsed = make_url(database_url)
    if parsed.get_backend_name() != "sqlite":
        return None
    await bot.komek.sessions.checkpoint()
    files = [Path(parsed.database), Path(f"{parsed.database}-wal")]
    return b"".join(f.read_bytes() for f in files if f.exists())


async def _a_person_with_everything(bot, client, database_url: str) -> tuple[dict, dict, list[str]]:
    """A person who asked a question the bot could not answer, then talked to an operator,
    sent a photo and got an answer. Returns the topic, its header, and every needle."""
    await client.add_operator(OPERATOR)
    person = await new_person(client, PERSON)
    menu = await start(person, "ru")
    await person.says(f"{GAP_MARKER} xyzzy plugh")
    await person.press(menu, "h:-", new_messages=1)
    [topic] = await eventually(client.topics)
    thread = topic["message_thread_id"]
    [header] = await eventually(lambda: _headers(client, thread))
    await client.user_sends_text(PERSON, f"меня зовут {MARKER}, у меня нет патента")
    photo = await client.user_sends_media(PERSON, "photo", caption=f"паспорт {MARKER}")
    await client.operator_sends_text(OPERATOR, "Здравствуйте, мы поможем", thread_id=thread)
    await eventually(lambda: _copied(client, thread, 3))  # header, text, photo
    await eventually(lambda: _answered(person))
    files = [p[k] for p in photo["photo"] for k in ("file_id", "file_unique_id")]
    needles = [str(PERSON), MARKER, GAP_MARKER, *files]
    stored = await _found(bot, needles)
    # the scan sees them all before: the person, their words (decrypted), their file ids
    assert {"users.id", "tickets.user_id", "ticket_messages.text", "unanswered.text"} <= stored
    assert "inbox.actor" in stored
    stored_bytes = await _file_bytes(bot, database_url)
    assert stored_bytes is None or RAW_ID in stored_bytes
    return topic, header, needles


async def _copied(client, thread: int, count: int) -> bool:
    return len(await client.messages(client.operator_chat_id, thread_id=thread)) >= count + 1


async def _answered(person) -> bool:
    return any("мы поможем" in (m.get("text") or "") for m in await person.bot_messages())


async def _topic_gone(client) -> bool:
    return not [t for t in await client.topics() if not t.get("deleted")]


async def _ticket(bot) -> Ticket:
    async with bot.komek.sessions.begin() as session:
        return await session.get(Ticket, 1)


async def test_delete_leaves_nothing_of_the_person_in_any_table(bot, client, database_url):
    _topic, _header, needles = await _a_person_with_everything(bot, client, database_url)
    person = await new_person(client, PERSON)
    [question] = await person.says("/delete")
    answer = await person.press(question, "del:yes", new_messages=1)
    assert "/start" in answer["text"]
    await eventually(lambda: _topic_gone(client))
    await eventually(lambda: _unaddressed(bot))

    assert await _found(bot, needles) == set()
    ticket = await _ticket(bot)  # the figures stay, with no person
    assert ticket.user_id is None and ticket.status == "closed" and ticket.lang == "ru"
    assert ticket.created_at is not None and ticket.first_response_at is not None
    stored = await _file_bytes(bot, database_url)
    if stored is not None:
        assert b"ticket_messages" in stored
        assert str(PERSON).encode() not in stored and RAW_ID not in stored


async def test_retention_purge_leaves_nothing_of_the_person_in_any_table(
    bot, client, database_url, settings
):
    topic, header, needles = await _a_person_with_everything(bot, client, database_url)
    await client.operator_presses(OPERATOR, header["message_id"], "cl:1")
    await eventually(lambda: _has(client, header["message_id"], "cla:1-answered"))
    await client.operator_presses(OPERATOR, header["message_id"], "cla:1-answered")
    person = await new_person(client, PERSON)
    rating = await eventually(lambda: _with_button(person, "r:1-5"))
    await person.press(rating, "r:1-5", new_messages=1)
    await eventually(lambda: _rated(bot))
    await eventually(lambda: _unaddressed(bot))
    komek, days = bot.komek, settings.retention_days

    async def remembered() -> set[str]:  # what header edits and flood control keep of it
        async with komek.sessions.begin() as session:
            keys = await session.scalars(select(Setting.key).where(Setting.key.like("%:1")))
            return {k for k in keys if k.startswith(("header:", "held:"))}

    assert "header:1" in await remembered()
    # past the retention: the conversation and the person go, and their topic
    later = utcnow() + dt.timedelta(days=days + 10)
    assert await retention.purge(komek.sessions, komek.helpdesk.outbox, days, now=later) >= 3
    assert await remembered() == set()
    await eventually(lambda: _topic_gone(client))
    await eventually(lambda: _unaddressed(bot))
    assert await _found(bot, needles) == {"unanswered.text"}  # masked, for editors, no id
    async with komek.sessions.begin() as session:
        assert list(await session.scalars(select(Unanswered.user_id))) == [None]
    ticket = await _ticket(bot)
    assert (ticket.user_id, ticket.rating, ticket.lang, ticket.status) == (None, 5, "ru", "closed")
    assert ticket.closed_at is not None and ticket.thread_id is None

    # past the 180 days of unanswered questions: nothing at all; the purge can run again
    much_later = utcnow() + dt.timedelta(days=181)
    for _ in range(2):
        await retention.purge(komek.sessions, komek.helpdesk.outbox, days, now=much_later)
    assert await _found(bot, needles) == set()
    assert (await _ticket(bot)).rating == 5
    stored = await _file_bytes(bot, database_url)
    if stored is not None:
        assert b"ticket_messages" in stored
        assert str(PERSON).encode() not in stored and RAW_ID not in stored
    assert topic
