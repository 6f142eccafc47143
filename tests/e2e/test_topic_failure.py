"""Telegram refuses to create topics (the bot lost its right to manage them): people are still
served, operators see every ticket in General, the administrator is told once, and once the
right is back each ticket gets its topic with everything in it, in order."""

from __future__ import annotations

import asyncio
import re

import pytest

from tests.e2e.harness import eventually, new_person
from tests.e2e.test_conversation import start
from tests.e2e.test_escalation import CATALOGS, _told_how_long

ADMIN = 7001
RETRY = 3.0  # seconds between attempts at a refused topic (the bot's default is 15)
NO_RIGHTS = "Bad Request: not enough rights to create a topic"
_o = CATALOGS.operator("ru")
ADMIN_NOTICE = _o(
    "⚠️ I cannot create topics in this group. Telegram says: «{error}». Tickets are "
    "shown here in General until this is fixed. Please turn on Topics in the group's "
    "settings and make the bot an administrator with the right to manage topics."
).format(error=NO_RIGHTS)


def _start_of(msgid: str) -> str:
    """The translated text up to its number, as Telegram shows it (markup gone)."""
    return re.sub("<[^>]+>", "", _o(msgid)).split("{number}")[0]


URGENT_2 = (  # bot.services.topics.urgent_notice for ticket #2
    _start_of(
        "🆘 <b>Urgent ticket #{number}</b> ({language}, {subject}): the person got the "
        "emergency numbers. Please take it now."
    )
    + "2"
)
HEADER = _start_of("<b>Ticket #{number}</b>")  # bot.services.topics.header


@pytest.fixture
def settings(settings):
    # A stop waits up to stop_seconds for rows that wait for a topic; 2 s keeps teardown short.
    return settings.model_copy(update={"admin_ids": [ADMIN], "stop_seconds": 2})


def _what(message: dict) -> str | None:
    return message.get("text") or message.get("caption")


async def _general(client) -> list[dict]:
    """The operators' General topic (thread 1: messages with no message_thread_id)."""
    return await client.messages(client.operator_chat_id, thread_id=1)


async def _refused_topics(client) -> int:
    """createForumTopic calls Telegram refused so far (the sandbox's call log)."""
    return len([c for c in await client.calls("createForumTopic") if not c["ok"]])


async def test_without_the_right_to_make_topics_tickets_are_shown_in_general(bot, client):
    bot.komek.sender.topic_retry = RETRY
    await client.create_user(ADMIN, "Admin")
    await client.inject_fault(
        "createForumTopic", error_code=400, description=NO_RIGHTS, until_cleared=True
    )
    group = client.operator_chat_id

    # A person asks for a human: they still get their place in the queue.
    person = await new_person(client, 5001)
    menu = await start(person, "ru")
    reply = await person.press(menu, "h:-", new_messages=1)
    assert "оператор" in reply["text"]
    await eventually(lambda: _told_how_long(person))
    place = CATALOGS.user("ru")("You are number {place} in the queue.").format(place=1)
    assert any(place in (m.get("text") or "") for m in await person.bot_messages())

    written = [f"сообщение номер {n}" for n in range(1, 6)]
    for text in written:
        await client.user_sends_text(person.id, text)
    await client.user_sends_media(person.id, "photo", caption="фото договора")
    written.append("фото договора")

    # Operators see all six in General meanwhile (the photo as a photo).
    async def mirrored() -> list[dict]:
        found = [m for m in await _general(client) if _what(m) in written]
        return found if len(found) == len(written) else []

    shown = await eventually(mirrored)
    assert all(m.get("message_thread_id") is None for m in shown)
    assert [_what(m) for m in shown] == written
    assert "photo" in shown[-1]

    # Someone in danger during the fault reaches General at once: the urgent notice and their
    # message are there without waiting for a topic (the fault lasts until it is cleared).
    other = await new_person(client, 5002)
    danger = "хозяин забрал паспорт"
    await client.user_sends_text(other.id, danger)

    async def urgent_in_general() -> list[str] | None:
        texts = [_what(m) or "" for m in await _general(client)]
        if any(t.startswith(URGENT_2) for t in texts) and any(t == danger for t in texts):
            return texts
        return None

    assert await eventually(urgent_in_general)
    await client.wait_for_messages(other.id, 1)  # and the person got their answer

    # Two tickets, several refused attempts: the administrator is told once, in General
    # and in a private message.
    await eventually(lambda: _at_least(_refused_topics(client), 3), timeout=RETRY * 10)
    notices = [m for m in await _general(client) if _what(m) == ADMIN_NOTICE]
    assert len(notices) == 1
    private = await client.messages(ADMIN, from_bot=True)
    assert [_what(m) for m in private] == [ADMIN_NOTICE]
    assert await client.topics(group) == []

    # The right is back: each ticket gets a topic, with all six messages in the order sent.
    await client.clear_faults()
    topics = await eventually(lambda: _topics(client, 2), timeout=RETRY * 10)
    [mine] = [t for t in topics if t["name"].startswith("#1")]
    thread = mine["message_thread_id"]

    async def in_topic() -> list[dict]:
        found = await client.messages(group, thread_id=thread)
        found = [m for m in found if _what(m) in written]
        return found if len(found) >= len(written) else []

    delivered = await eventually(in_topic)
    assert [_what(m) for m in delivered] == written
    assert "photo" in delivered[-1]

    [urgent] = [t for t in topics if t["name"].startswith("🆘")]

    async def danger_in_topic() -> bool:
        found = await client.messages(group, thread_id=urgent["message_thread_id"])
        return any(_what(m) == danger for m in found)

    assert await eventually(danger_in_topic)
    assert len([m for m in await _general(client) if _what(m) == ADMIN_NOTICE]) == 1
    assert len(await client.messages(ADMIN, from_bot=True)) == 1


async def _at_least(count, minimum: int) -> bool:
    return await count >= minimum


async def _topics(client, count: int) -> list[dict]:
    found = [t for t in await client.topics() if not t.get("deleted")]
    return found if len(found) >= count else []


async def test_tickets_opened_at_once_without_topics_tell_the_administrator_once(bot, client):
    await client.create_user(ADMIN, "Admin")
    await client.inject_fault(
        "createForumTopic", error_code=400, description=NO_RIGHTS, until_cleared=True
    )
    people = [await new_person(client, 5201 + i) for i in range(4)]
    menus = await asyncio.gather(*(start(p, "ru") for p in people))
    await client.slow_down("createForumTopic", 1.0)  # the four attempts are in flight together
    await asyncio.gather(
        *(p.press(m, "h:-", new_messages=1) for p, m in zip(people, menus, strict=True))
    )

    async def headers_in_general() -> list[str]:  # the notice may come before or after them
        found = [_what(m) or "" for m in await _general(client)]
        headers = [t for t in found if t.startswith(HEADER)]
        return found if len(headers) >= len(people) and ADMIN_NOTICE in found else []

    general = await eventually(headers_in_general)
    assert general.count(ADMIN_NOTICE) == 1

    async def told_privately() -> list[str]:
        return [_what(m) for m in await client.messages(ADMIN, from_bot=True)]

    assert await eventually(told_privately) == [ADMIN_NOTICE]
