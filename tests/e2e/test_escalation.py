"""Talking to a person: a topic per ticket, messages copied both ways, closing."""

from __future__ import annotations

import asyncio

import pytest

from bot.config import ROOT
from bot.core.i18n import Catalogs
from bot.knowledge import KnowledgeStore
from tests.e2e.harness import Person, button_data, eventually
from tests.e2e.test_conversation import start

OPERATOR = 9001


async def open_ticket(person: Person, client) -> tuple[dict, dict]:
    """The person asks for a human; returns the ticket's topic and its header message."""
    menu = await start(person, "ru")
    reply = await person.press(menu, "h:-", new_messages=1)
    assert "оператор" in reply["text"]
    [topic] = await eventually(client.topics)
    [header] = await eventually(lambda: _headers(client, topic["message_thread_id"]))
    await eventually(lambda: _told_how_long(person))  # the last thing the bot does here
    return topic, header


CATALOGS = Catalogs(ROOT / "locales")
TOLD = "Your messages here reach the operators; you do not need to write twice."


async def _told_how_long(person: Person, lang: str = "ru") -> bool:
    """The waiting notice, the last thing the bot sends when a ticket opens, has arrived."""
    told = CATALOGS.user(lang)(TOLD)
    return any(told in (m.get("text") or "") for m in await person.bot_messages())


async def _headers(client, thread: int) -> list[dict]:
    """The bot's first message in a ticket's topic: the one with the Close button."""
    found = await client.messages(client.operator_chat_id, thread_id=thread, from_bot=True)
    return [m for m in found if any(d.startswith("cl:") for d in button_data(m))]


async def test_escalation_relays_both_ways_and_closes(bot, person, client):
    await client.add_operator(OPERATOR)
    topic, header = await open_ticket(person, client)
    thread = topic["message_thread_id"]
    assert topic["name"].startswith("#1 · ru")
    assert button_data(header) == ["take:1", "rel:1", "cl:1", "tr:1"]

    # The user's photo and text arrive in the topic; the bot does not answer them itself.
    photo = await person.sends("photo", replies=0, caption="вот договор")
    text = await client.user_sends_text(person.id, "мне не платят зарплату уже 2 месяца")
    copied = await client.wait_for_messages(
        client.operator_chat_id, 2, thread_id=thread, after_id=header["message_id"]
    )
    assert "photo" in copied[0] and copied[0]["caption"] == "вот договор"
    assert copied[1]["text"] == "мне не платят зарплату уже 2 месяца"
    assert await client.messages(person.id, from_bot=True, after_id=text["message_id"]) == []
    assert photo[0]["message_id"] < text["message_id"]

    # The operator's reply reaches the user; an internal note does not.
    await client.operator_sends_text(OPERATOR, "// проверить договор у юриста", thread_id=thread)
    answer = await client.operator_sends_text(
        OPERATOR, "Здравствуйте! Чем помочь?", thread_id=thread
    )
    [delivered] = await client.wait_for_messages(person.id, 1, after_id=text["message_id"])
    assert delivered["text"] == "Здравствуйте! Чем помочь?"
    assert "проверить договор" not in str(await client.messages(person.id))
    assert answer["message_id"] > header["message_id"]

    # Operator media reaches the user too.
    await client.operator_sends_media(OPERATOR, "document", thread_id=thread, caption="образец")
    [doc] = await client.wait_for_messages(person.id, 1, after_id=delivered["message_id"])
    assert "document" in doc and doc["caption"] == "образец"

    # Closing (with a category) tells the user, asks for a rating and closes the topic.
    await client.operator_presses(OPERATOR, header["message_id"], "cl:1")
    await eventually(lambda: _has_button(client, header["message_id"], "cla:1-answered"))
    await client.operator_presses(OPERATOR, header["message_id"], "cla:1-answered")
    told, rating = await client.wait_for_messages(person.id, 2, after_id=doc["message_id"])
    assert "завершил" in told["text"]
    assert button_data(rating) == [f"r:1-{n}" for n in range(1, 6)]
    [closed] = await eventually(
        lambda: _topics_where(client, lambda t: t.get("is_closed") or t.get("closed"))
    )
    assert closed["message_thread_id"] == thread

    # After closing the bot answers by itself again.
    [auto] = await person.says("сколько стоит патент")
    assert "h:" in "".join(button_data(auto))


async def _has_button(client, message_id: int, data: str) -> bool:
    for message in await client.messages(client.operator_chat_id):
        if message["message_id"] == message_id:
            return data in button_data(message)
    return False


async def _all_handled(komek) -> bool:
    return await komek.inbox.pending() == 0 and (await komek.helpdesk.outbox.depth())[0] == 0


async def _topics_where(client, predicate):
    return [t for t in await client.topics() if predicate(t)]


async def test_two_urgent_messages_from_a_new_user_make_one_ticket_and_one_topic(
    bot, person, client
):
    # No /start, no language chosen: the very first two messages arrive together.
    first, second = "хозяин забрал мой паспорт", "не отдает паспорт и угрожает"
    await asyncio.gather(
        client.user_sends_text(person.id, first), client.user_sends_text(person.id, second)
    )
    [topic] = await eventually(client.topics)
    assert topic["name"].startswith("🆘")

    async def relayed() -> list[str]:
        found = await client.messages(client.operator_chat_id, thread_id=topic["message_thread_id"])
        texts = [m.get("text") for m in found if m.get("text") in (first, second)]
        return texts if len(texts) == 2 else []

    assert await eventually(relayed) == [first, second]
    await eventually(lambda: _all_handled(bot.komek))  # a second topic would be asked for by now
    assert len(await client.topics()) == 1


async def test_media_without_a_ticket_can_be_sent_to_a_person(bot, person, client):
    await start(person, "ru")
    [reply] = await person.sends("voice")
    [data] = [d for d in button_data(reply) if d.startswith("hm:")]
    await person.press(reply, data, new_messages=1)
    [topic] = await eventually(client.topics)

    async def voices() -> list[dict]:
        found = await client.messages(client.operator_chat_id, thread_id=topic["message_thread_id"])
        return [m for m in found if "voice" in m]

    [voice] = await eventually(voices)
    assert voice["voice"]["file_id"]


async def test_two_bot_processes_share_the_work_and_open_one_topic(settings, knowledge, client):
    """Two processes on one database (and Redis for the sending budget): one polls, both
    handle and send; one person's two urgent messages at once still make one topic."""
    import os

    from tests.e2e.harness import Running

    url = os.environ.get("KOMEK_TEST_REDIS_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("CI must set KOMEK_TEST_REDIS_URL (.ci/run starts Redis)")
        pytest.skip("Redis tests run in CI (set KOMEK_TEST_REDIS_URL to run here)")
    shared = settings.model_copy(update={"redis_url": url})
    first = Running(shared, KnowledgeStore(shared.content_dir, knowledge))
    second = Running(shared, KnowledgeStore(shared.content_dir, knowledge))
    await first.start()
    await second.start()
    try:
        await client.create_user(5601)
        sent = [
            await client.user_sends_text(5601, text)
            for text in ("хозяин забрал паспорт", "не отдают паспорт уже месяц")
        ]
        [topic] = await eventually(client.topics)
        thread = topic["message_thread_id"]

        async def both_copied() -> bool:
            found = await client.messages(client.operator_chat_id, thread_id=thread)
            return {m.get("text") for m in sent} <= {m.get("text") for m in found}

        assert await eventually(both_copied)
        assert len(await client.topics()) == 1
    finally:
        await first.stop()
        await second.stop()


async def test_delete_my_data_removes_the_conversation_everywhere(bot, person, client):
    topic, _header = await open_ticket(person, client)
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
    assert topic


async def test_replies_stay_threaded_both_ways(bot, person, client):
    """An operator who answers a particular message of the person's, in the topic, is seen
    answering that message in the person's chat; and the other way round."""
    await client.add_operator(OPERATOR)
    topic, header = await open_ticket(person, client)
    thread = topic["message_thread_id"]
    group = client.operator_chat_id
    first = await client.user_sends_text(person.id, "у меня вопрос про договор")
    second = await client.user_sends_text(person.id, "и ещё про трудовой договор")
    copies = await client.wait_for_messages(
        group, 2, thread_id=thread, after_id=header["message_id"]
    )
    assert [c["text"] for c in copies] == [
        "у меня вопрос про договор",
        "и ещё про трудовой договор",
    ]

    # The operator answers the first message, then writes in the topic without replying.
    await client.operator_sends_text(
        OPERATOR,
        "Какой договор?",
        thread_id=thread,
        reply_to_message_id=copies[0]["message_id"],
    )
    [answer] = await client.wait_for_messages(person.id, 1, after_id=second["message_id"])
    assert answer["text"] == "Какой договор?"
    assert answer["reply_to_message"]["message_id"] == first["message_id"]
    await client.operator_sends_text(OPERATOR, "Мы поможем.", thread_id=thread)
    [plain] = await client.wait_for_messages(person.id, 1, after_id=answer["message_id"])
    assert "reply_to_message" not in plain  # not a reply to anything in the person's chat

    # The person answers the operator's question: in the topic it answers the question.
    await client.user_sends_text(person.id, "трудовой", reply_to_message_id=answer["message_id"])
    question = await client.messages(group, thread_id=thread)
    asked = next(m for m in question if m.get("text") == "Какой договор?")
    [copied] = await client.wait_for_messages(
        group, 1, thread_id=thread, after_id=max(m["message_id"] for m in question), from_bot=True
    )
    assert copied["text"] == "трудовой"
    assert copied["reply_to_message"]["message_id"] == asked["message_id"]


async def test_edits_are_relayed_both_ways(bot, person, client):
    """A person who corrects a message sent into their ticket, and an operator who corrects
    a reply, see the copy on the other side corrected too; a `//` note stays private."""
    await client.add_operator(OPERATOR)
    topic, header = await open_ticket(person, client)
    thread = topic["message_thread_id"]
    group = client.operator_chat_id
    written = await client.user_sends_text(person.id, "я работаю на строке")
    [copy] = await client.wait_for_messages(
        group, 1, thread_id=thread, after_id=header["message_id"]
    )
    await client.user_edits(person.id, written["message_id"], "я работаю на стройке")

    async def corrected(chat: int, message_id: int, text: str, **where) -> bool:  # type: ignore[no-untyped-def]
        found = await client.messages(chat, **where)
        return any(m["message_id"] == message_id and m.get("text") == text for m in found)

    assert await eventually(
        lambda: corrected(group, copy["message_id"], "я работаю на стройке", thread_id=thread)
    )

    note = await client.operator_sends_text(OPERATOR, "// позвонить юристу", thread_id=thread)
    reply = await client.operator_sends_text(OPERATOR, "Сколько вам должны?", thread_id=thread)
    [delivered] = await client.wait_for_messages(person.id, 1, after_id=written["message_id"])
    assert delivered["text"] == "Сколько вам должны?"
    await client.user_edits(OPERATOR, reply["message_id"], "Сколько месяцев вам не платят?", group)
    await client.user_edits(OPERATOR, note["message_id"], "// позвонить юристу завтра", group)
    assert await eventually(
        lambda: corrected(person.id, delivered["message_id"], "Сколько месяцев вам не платят?")
    )
    await eventually(lambda: _nothing_left(bot.komek))
    mine = await client.messages(person.id, from_bot=True, after_id=written["message_id"])
    assert [m["text"] for m in mine] == ["Сколько месяцев вам не платят?"]  # no note, no copy
    # The ticket's history (the console's, `/history`) says what the messages say now.
    [ticket_id] = {int(topic["name"].removeprefix("🆘 ").split(" ")[0].lstrip("#"))}
    texts = [line.text for line in await bot.komek.helpdesk.tickets.history(ticket_id)]
    assert "я работаю на стройке" in texts and "Сколько месяцев вам не платят?" in texts
    assert "я работаю на строке" not in texts and "Сколько вам должны?" not in texts


async def _nothing_left(komek) -> bool:  # type: ignore[no-untyped-def]
    return await komek.inbox.pending() == 0 and (await komek.helpdesk.outbox.depth())[0] == 0
