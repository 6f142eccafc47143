"""Telegram misbehaving for a while (5xx, 429, buttons answered too late): people notice
nothing but a delay; nothing is lost, nothing comes twice, nobody is told "sorry"."""

from __future__ import annotations

import asyncio

from tests.e2e.harness import Person, eventually, new_person
from tests.e2e.test_conversation import start
from tests.e2e.test_escalation import CATALOGS, open_ticket

SORRY = CATALOGS.user("ru")(
    "Sorry, something went wrong on our side. Your message is not lost: "
    "it was passed to a person, who will answer here."
)
QUESTIONS = {
    "сколько стоит патент": "work_permit_cost",
    "где сделать ИИН": "iin",
    "что делать если потерял паспорт": "lost_passport",
}
TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


async def _all_handled(komek) -> bool:
    """Nothing stored is left to handle, nothing is left to send."""
    return await komek.inbox.pending() == 0 and (await komek.helpdesk.outbox.depth())[0] == 0


async def _refused(client, method: str) -> int:
    """Calls of `method` the sandbox failed (the call log keeps them after a fault ends)."""
    return len([c for c in await client.calls(method) if not c["ok"]])


async def _never_sorry(person: Person) -> bool:
    return not any(SORRY in (m.get("text") or "") for m in await person.bot_messages())


async def test_a_burst_of_502s_delays_answers_but_each_comes_once(bot, client, knowledge):
    people = [await new_person(client, 5101 + i) for i in range(5)]
    await asyncio.gather(*(start(p, "ru") for p in people))
    asked = [list(QUESTIONS)[i % len(QUESTIONS)] for i in range(len(people))]

    await client.inject_fault("*", error_code=502, for_seconds=4)  # getUpdates too
    sent = [
        await client.user_sends_text(p.id, question)
        for p, question in zip(people, asked, strict=True)
    ]
    assert (await client.faults())["faults"], "the fault ended before the questions went"

    async def answered() -> list[list[dict]]:
        replies = [
            await client.messages(p.id, from_bot=True, after_id=s["message_id"])
            for p, s in zip(people, sent, strict=True)
        ]
        return replies if all(replies) else []

    await eventually(answered, timeout=60)
    await eventually(lambda: _all_handled(bot.komek), timeout=30)
    for person, question, message in zip(people, asked, sent, strict=True):
        replies = await client.messages(person.id, from_bot=True, after_id=message["message_id"])
        [reply] = replies  # exactly one answer
        title = knowledge.content.entries[QUESTIONS[question]].texts["ru"].title
        assert title in reply["text"]
        assert await _never_sorry(person)
    assert await client.topics() == []  # no ticket was opened for an error of ours
    assert await _refused(client, "getUpdates") + await _refused(client, "sendMessage") > 0


async def test_429s_on_copying_delay_a_tickets_messages_but_lose_none(bot, person, client):
    topic, header = await open_ticket(person, client)
    thread = topic["message_thread_id"]
    await client.inject_fault("copyMessage", error_code=429, retry_after=1, times=4)

    written = [f"сообщение {n} оператору" for n in range(1, 11)]
    first = None
    for text in written:
        sent = await client.user_sends_text(person.id, text)
        first = first or sent["message_id"]

    async def in_topic() -> list[str]:
        found = await client.messages(
            client.operator_chat_id, thread_id=thread, after_id=header["message_id"]
        )
        texts = [m.get("text") for m in found if m.get("text") in written]
        return texts if len(texts) >= len(written) else []

    assert await eventually(in_topic, timeout=30) == written  # in order, each once
    await eventually(lambda: _all_handled(bot.komek))
    assert await in_topic() == written
    assert await _refused(client, "copyMessage") == 4
    # The person is told nothing meanwhile: no "sorry", no "something went wrong".
    assert await client.messages(person.id, from_bot=True, after_id=first) == []
    assert await _never_sorry(person)


async def test_buttons_work_when_their_answer_is_refused_as_too_old(bot, person, client):
    await client.inject_fault(
        "answerCallbackQuery", error_code=400, description=TOO_OLD, until_cleared=True
    )
    # "Talk to a person" opens the ticket: a topic with its header, the waiting notice.
    topic, _header = await open_ticket(person, client)
    assert topic["name"].startswith("#1")

    # Deleting one's data works too.
    [question] = await person.says("/delete")
    answer = await person.press(question, "del:yes", new_messages=1)
    assert "/start" in answer["text"]

    async def topic_gone() -> bool:
        return not [t for t in await client.topics() if not t.get("deleted")]

    assert await eventually(topic_gone)
    async with bot.komek.sessions.begin() as session:
        from db.models import Ticket, User

        assert await session.get(User, person.id) is None
        assert (await session.get(Ticket, 1)).user_id is None  # kept for statistics only
    assert await _refused(client, "answerCallbackQuery") >= 4  # language, consent, human, yes
    assert await client.callback_answers() == []  # Telegram refused every one of them
    await client.clear_faults()
