"""The operators' queue through the sandbox: claiming, routing, protection lane, failures."""

from __future__ import annotations

import asyncio
import datetime as dt

from aiogram.types import Update
from sqlalchemy import select

from bot.telegram import sla
from db.models import Ticket, TicketEvent
from tests.e2e.harness import Person, button_data, eventually, new_person
from tests.e2e.test_conversation import start
from tests.e2e.test_escalation import OPERATOR, _headers, _told_how_long, open_ticket

COLLEAGUE = 9002


async def general(client, after_id: int = 0) -> list[dict]:
    """Bot messages in the group's general topic."""
    found = await client.messages(client.operator_chat_id, after_id=after_id, from_bot=True)
    return [m for m in found if not m.get("is_topic_message")]


async def operator_command(client, operator: int, text: str) -> dict:
    """An operator's command in the general topic, and the bot's answer there."""
    sent = await client.operator_sends_text(operator, text)
    replies = await eventually(lambda: general(client, after_id=sent["message_id"]))
    return replies[0]


async def ticket_row(bot, ticket_id: int = 1) -> Ticket:
    async with bot.komek.sessions.begin() as session:
        return await session.get(Ticket, ticket_id)


async def events(bot, ticket_id: int = 1) -> list[tuple[str, int | None]]:
    async with bot.komek.sessions.begin() as session:
        rows = await session.scalars(
            select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
        )
        return [(e.kind, e.actor_id) for e in rows]


async def test_fifty_operators_pressing_take_at_once_give_one_owner(bot, person, client):
    operators = list(range(7000, 7050))
    for operator in operators:
        await client.add_operator(operator, first_name=f"Op{operator}")
    _topic, header = await open_ticket(person, client)
    await asyncio.gather(
        *(client.operator_presses(op, header["message_id"], "take:1") for op in operators)
    )
    answers = await eventually(lambda: _answers_at_least(client, 50))
    won = [a for a in answers if "Вы взяли" in (a.get("text") or "")]
    lost = [a for a in answers if "Уже взято" in (a.get("text") or "")]
    assert len(won) == 1 and len(lost) == 49
    row = await ticket_row(bot)
    assert row.status == "taken" and row.assignee_id in operators
    assert [k for k, _ in await events(bot)].count("taken") == 1
    assert f"Op{row.assignee_id}" in lost[0]["text"]  # the others see who has it


async def _answers_at_least(client, count):
    answers = await client.callback_answers()
    return answers if len(answers) >= count + 3 else None  # + language, consent, person


async def test_urgent_kyrgyz_without_special_letters_gets_contacts_and_a_priority_ticket(
    bot, client
):
    person = await new_person(client, 5101)
    menu = await start(person, "ky")
    assert menu
    replies = await person.says("кожоюн паспортумду алып алды, бербей жатат", 1)
    first = replies[0]["text"]
    assert "112" in first and "102" in first  # emergency numbers in the very first reply
    [topic] = await eventually(client.topics)
    assert topic["name"].startswith("🆘 #1 · ky")
    row = await ticket_row(bot)
    assert row.urgent and row.subject == "passport_taken"
    notice = await eventually(lambda: general(client))
    assert any("Срочное обращение №1" in m["text"] for m in notice)


async def test_only_the_assignee_reaches_the_person_and_notes_never_do(bot, person, client):
    await client.add_operator(OPERATOR, first_name="Aida")
    await client.add_operator(COLLEAGUE, first_name="Bolat")
    topic, _header = await open_ticket(person, client)
    thread = topic["message_thread_id"]
    last = (await person.last())["message_id"]
    # The first operator to write takes a waiting ticket.
    await client.operator_sends_text(OPERATOR, "Здравствуйте, я оператор.", thread_id=thread)
    [hello] = await client.wait_for_messages(person.id, 1, after_id=last)
    assert hello["text"] == "Здравствуйте, я оператор."
    # A colleague's message is not relayed, and they are told why.
    sent = await client.operator_sends_text(COLLEAGUE, "Я тоже могу помочь", thread_id=thread)
    [refusal] = await client.wait_for_messages(
        client.operator_chat_id, 1, thread_id=thread, after_id=sent["message_id"]
    )
    assert "Aida" in refusal["text"]
    await client.operator_sends_text(COLLEAGUE, "// проверь договор", thread_id=thread)
    # The colleague's next message is handled after the note (one person's updates keep
    # their order): once its refusal is there, the note has been handled too.
    again = await client.operator_sends_text(COLLEAGUE, "Можно я?", thread_id=thread)
    await client.wait_for_messages(
        client.operator_chat_id, 1, thread_id=thread, after_id=again["message_id"]
    )
    texts = [m.get("text") for m in await client.messages(person.id)]
    assert texts[-1] == "Здравствуйте, я оператор."  # nothing from the colleague after it
    assert "Я тоже могу помочь" not in texts and "// проверь договор" not in texts


async def test_release_transfer_and_queue_commands(bot, client):
    await client.add_operator(OPERATOR, first_name="Aida")
    await client.add_operator(COLLEAGUE, first_name="Bolat")
    ru, uz = await new_person(client, 5201), await new_person(client, 5202)
    await open_ticket(ru, client)
    menu = await start(uz, "uz")
    await uz.press(menu, "h:-", new_messages=1)
    await eventually(lambda: _n_topics(client, 2))

    queue = await operator_command(client, OPERATOR, "/queue")
    assert "#1 · ru" in queue["text"] and "#2 · uz" in queue["text"]

    # Routing by language: an operator who reads Uzbek gets the Uzbek ticket first.
    reply = await operator_command(client, COLLEAGUE, "/langs uz")
    assert "uz" in reply["text"]
    took = await operator_command(client, COLLEAGUE, "/next")
    assert "№2" in took["text"]
    mine = await operator_command(client, COLLEAGUE, "/mine")
    assert "#2 · uz" in mine["text"]

    # Release puts it back; transfer to the lawyers' queue shows in /queue.
    [header2] = await _headers(client, (await _topic_of(client, 2))["message_thread_id"])
    await client.operator_presses(COLLEAGUE, header2["message_id"], "rel:2")
    await eventually(lambda: _status(bot, 2, "waiting"))
    await client.operator_presses(OPERATOR, header2["message_id"], "tr:2")
    await eventually(lambda: _has(client, header2["message_id"], "trto:2-qlawyer"))
    await client.operator_presses(OPERATOR, header2["message_id"], "trto:2-qlawyer")
    await eventually(lambda: _queue_is(bot, 2, "lawyer"))
    queue = await operator_command(client, OPERATOR, "/queue")
    assert "юрист" in queue["text"]
    kinds = [k for k, _ in await events(bot, 2)]
    assert kinds == ["opened", "taken", "released", "transferred"]


async def _n_topics(client, n):
    topics = await client.topics()
    return topics if len(topics) >= n else None


async def _topic_of(client, number):
    return next(t for t in await client.topics() if t["name"].startswith(f"#{number} "))


async def _status(bot, number, status):
    return (await ticket_row(bot, number)).status == status


async def _queue_is(bot, number, queue):
    return (await ticket_row(bot, number)).queue == queue


async def _has(client, message_id, data):
    for message in await client.messages(client.operator_chat_id):
        if message["message_id"] == message_id:
            return data in button_data(message)
    return False


async def test_outsiders_are_refused_and_recorded(bot, person, client):
    _topic, header = await open_ticket(person, client)
    # Telegram delivers a press from someone who is no member (removed a moment ago, say):
    # the sandbox will not let a non-member press, so the update is fed to the bot directly.
    stranger = {"id": 6666, "is_bot": False, "first_name": "Stranger"}
    raw = {
        "update_id": 888001,
        "callback_query": {
            "id": "forged-1",
            "from": stranger,
            "chat_instance": "1",
            "data": "take:1",
            "message": {**header, "chat": {"id": client.operator_chat_id, "type": "supergroup"}},
        },
    }
    komek = bot.komek
    await komek.dispatcher.feed_update(komek.bot, Update.model_validate(raw))
    assert ("refused", 6666) in await events(bot)
    assert (await ticket_row(bot)).status == "waiting"


async def test_deleted_topic_is_recreated_with_the_history(bot, person, client):
    topic, _header = await open_ticket(person, client)
    await client.user_sends_text(person.id, "у меня вопрос про патент")
    await eventually(lambda: _texts_in(client, topic["message_thread_id"], "про патент"))
    await client.delete_topic(topic["message_thread_id"])
    await client.user_sends_text(person.id, "вы здесь?")
    new = await eventually(lambda: _other_topic(client, topic["message_thread_id"]))
    found = await eventually(lambda: _texts_in(client, new["message_thread_id"], "вы здесь?"))
    assert found
    history = await client.messages(client.operator_chat_id, thread_id=new["message_thread_id"])
    assert any("у меня вопрос про патент" in (m.get("text") or "") for m in history)


async def _texts_in(client, thread, needle):
    found = await client.messages(client.operator_chat_id, thread_id=thread)
    return [m for m in found if needle in (m.get("text") or "")]


async def _other_topic(client, old_thread):
    live = [
        t
        for t in await client.topics()
        if t["message_thread_id"] != old_thread and not t.get("deleted")
    ]
    return live[0] if live else None


async def test_canned_reply_and_content_answer_in_the_users_language(bot, client, knowledge):
    await client.add_operator(OPERATOR)
    person = await new_person(client, 5301)
    menu = await start(person, "kk")
    await person.press(menu, "h:-", new_messages=1)
    [topic] = await eventually(client.topics)
    thread = topic["message_thread_id"]
    await eventually(lambda: _told_how_long(person, "kk"))
    last = (await person.last())["message_id"]
    await client.operator_sends_text(OPERATOR, "/reply iin", thread_id=thread)
    [answer] = await client.wait_for_messages(person.id, 1, after_id=last)
    assert knowledge.content.entries["iin"].texts["kk"].title in answer["text"]
    await client.operator_sends_text(OPERATOR, "/reply hello", thread_id=thread)
    [hello] = await client.wait_for_messages(person.id, 1, after_id=answer["message_id"])
    assert hello["text"] and hello["text"] != "Hello! I am an operator of the hotline."


async def test_rating_is_stored_and_shown_in_stats(bot, person, client):
    await client.add_operator(OPERATOR)
    topic, header = await open_ticket(person, client)
    await client.operator_sends_text(OPERATOR, "Добрый день", thread_id=topic["message_thread_id"])
    await client.operator_presses(OPERATOR, header["message_id"], "cl:1")
    await eventually(lambda: _has(client, header["message_id"], "cla:1-answered"))
    await client.operator_presses(OPERATOR, header["message_id"], "cla:1-answered")
    rating = await eventually(lambda: _with_button(person, "r:1-5"))
    await person.press(rating, "r:1-5", new_messages=1)
    await eventually(lambda: _rated(bot))
    stats = await operator_command(client, OPERATOR, "/stats")
    assert "5.0 (1)" in stats["text"]
    assert "Закрыто: 1" in stats["text"]


async def _with_button(person: Person, data: str):
    for message in reversed(await person.bot_messages()):
        if data in button_data(message):
            return message
    return None


async def _rated(bot):
    return (await ticket_row(bot)).rating == 5


async def _in_general(client, text: str) -> bool:
    return any(text in (m.get("text") or "") for m in await general(client))


async def test_service_levels_announce_and_return_tickets(bot, person, client):
    await client.add_operator(OPERATOR)
    topic, header = await open_ticket(person, client)
    komek = bot.komek
    announced, returned = await sla.check(
        komek.sessions, komek.helpdesk, komek.queue, dt.timedelta(0), dt.timedelta(hours=1)
    )
    assert (announced, returned) == (1, 0)
    assert await eventually(lambda: _in_general(client, "ждёт"))
    await client.operator_presses(OPERATOR, header["message_id"], "take:1")
    await eventually(lambda: _status(bot, 1, "taken"))
    announced, returned = await sla.check(
        komek.sessions, komek.helpdesk, komek.queue, dt.timedelta(hours=1), dt.timedelta(0)
    )
    assert (announced, returned) == (0, 1)
    assert (await ticket_row(bot)).status == "waiting"
    assert topic


async def test_reopened_when_the_person_asks_again_within_days(bot, person, client):
    await client.add_operator(OPERATOR)
    topic, header = await open_ticket(person, client)
    await client.operator_presses(OPERATOR, header["message_id"], "cl:1")
    await eventually(lambda: _has(client, header["message_id"], "cla:1-answered"))
    await client.operator_presses(OPERATOR, header["message_id"], "cla:1-answered")
    await eventually(lambda: _status(bot, 1, "closed"))
    await eventually(lambda: _asked_for_rating(person))
    [menu] = await person.says("/menu")
    await person.press(menu, "h:-", new_messages=1)
    await eventually(lambda: _status(bot, 1, "waiting"))
    assert len(await client.topics()) == 1
    assert [k for k, _ in await events(bot)][-1] == "reopened"
    assert topic


async def _asked_for_rating(person) -> bool:
    return any("r:1-5" in button_data(m) for m in await person.bot_messages())


async def test_waiting_person_is_told_their_place_and_office_hours(settings, knowledge, client):
    from bot.knowledge import KnowledgeStore
    from tests.e2e.harness import Running

    closed = settings.model_copy(update={"office_hours": "sun 00:00-00:01"})
    running = Running(closed, KnowledgeStore(closed.content_dir, knowledge))
    await running.start()
    try:
        first, second = await new_person(client, 5401), await new_person(client, 5402)
        for person in (first, second):
            menu = await start(person, "ru")
            await person.press(menu, "h:-", new_messages=1)
        told = await eventually(lambda: _place_message(second))
        assert "номер 2 в очереди" in told
        assert "не работают" in told
    finally:
        await running.stop()


async def _place_message(person):
    for message in await person.bot_messages():
        if "в очереди" in (message.get("text") or ""):
            return message["text"]
    return None


async def test_throttling_is_waited_out_and_nothing_is_lost(bot, person, client):
    await start(person, "ru")
    await client.inject_fault("sendMessage", error_code=429, retry_after=1, chat_id=person.id)
    [reply] = await person.says("/menu")
    assert "t:work" in button_data(reply)
    failed = [c for c in await client.calls("sendMessage") if c.get("error")]
    assert failed and "429" in str(failed[-1]["error"])


async def test_group_migration_is_followed(bot, person, client):
    await client.add_operator(OPERATOR)
    new_id = await client.migrate_group()
    menu = await start(person, "ru")
    await person.press(menu, "h:-", new_messages=1)
    [topic] = await eventually(lambda: client.topics(new_id))
    assert topic["name"].startswith("#1")
    assert bot.komek.helpdesk.group.id == new_id


async def test_media_and_albums_both_ways(bot, person, client):
    """With Telegram's sending limits kept, as the bot runs by default: an album costs a chat
    more than its one a second, and it once waited for that forever."""
    bot.komek.sender.budget.enabled = True
    await client.add_operator(OPERATOR)
    topic, _header = await open_ticket(person, client)
    thread = topic["message_thread_id"]
    for kind in ("video_note", "location", "contact", "sticker", "document", "video"):
        await client.user_sends_media(person.id, kind)
    await client.user_sends_album(person.id, ["photo", "photo", "video"], caption="альбом")

    async def copied() -> list[dict]:
        found = await client.messages(client.operator_chat_id, thread_id=thread)
        kinds = [
            k
            for m in found
            for k in ("video_note", "location", "contact", "sticker", "document", "video", "photo")
            if k in m
        ]
        return found if len(kinds) >= 9 else []

    found = await eventually(copied, timeout=40)  # a message a second into the group
    album = [m for m in found if m.get("media_group_id")]
    assert len(album) == 3 and len({m["media_group_id"] for m in album}) == 1

    last = (await person.last())["message_id"]
    await client.operator_sends_media(OPERATOR, "voice", thread_id=thread)
    await client.request(
        "POST",
        "/album",
        {
            "from_id": OPERATOR,
            "kinds": ["photo", "photo"],
            "chat_id": client.operator_chat_id,
            "thread_id": thread,
        },
    )
    got = await client.wait_for_messages(person.id, 3, after_id=last, timeout=40)
    assert "voice" in got[0]
    assert len({m.get("media_group_id") for m in got[1:]}) == 1


async def test_operators_see_no_username_unless_configured(settings, knowledge, client):
    from bot.knowledge import KnowledgeStore
    from tests.e2e.harness import Running

    for show, user_id in ((False, 5501), (True, 5502)):
        configured = settings.model_copy(update={"show_user_identity": show})
        running = Running(configured, KnowledgeStore(configured.content_dir, knowledge))
        await running.start()
        try:
            await client.create_user(user_id, username=f"secret_name_{user_id}")
            person = Person(client, user_id)
            menu = await start(person, "ru")
            await person.press(menu, "h:-", new_messages=1)
            topic = await eventually(lambda uid=user_id: _topic_of_user(client, uid))
            [header] = await eventually(lambda t=topic: _headers(client, t["message_thread_id"]))
            assert (f"@secret_name_{user_id}" in header["text"]) is show
        finally:
            await running.stop()


async def _topic_of_user(client, user_id: int):
    """Each run opens one ticket: the newest topic belongs to the latest person."""
    topics = await client.topics()
    return topics[-1] if len(topics) == user_id - 5500 else None


async def test_danger_mentioned_in_an_open_ticket_raises_its_priority(bot, person, client):
    topic, _header = await open_ticket(person, client)
    last = (await person.last())["message_id"]
    await client.user_sends_text(person.id, "хозяин забрал паспорт и не выпускает")
    [contacts] = await client.wait_for_messages(person.id, 1, after_id=last)
    assert "112" in contacts["text"]
    await eventually(lambda: _is_urgent(bot))
    assert await eventually(lambda: _texts_in(client, topic["message_thread_id"], "забрал"))
    assert any("Срочное обращение №1" in m["text"] for m in await general(client))


async def _is_urgent(bot):
    return (await ticket_row(bot)).urgent
