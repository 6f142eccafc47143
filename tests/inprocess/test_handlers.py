"""The handlers and services in one process, with Telegram faked at the session (no HTTP, no
emulator): what the bot asks of Telegram, as aiogram method objects."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.e2e.harness import eventually
from tests.inprocess.conftest import GROUP
from tests.inprocess.fake_telegram import FakeTelegram

PERSON = 5001
OPERATOR = 9001


def _data(message) -> list[str]:
    markup = message.reply_markup
    return [b.callback_data for row in markup.inline_keyboard for b in row] if markup else []


async def soon(check: Callable[[], Any]) -> Any:
    """What `check` returns once it is truthy (the bot works in tasks of its own)."""

    async def poll() -> Any:
        return check()

    return await eventually(poll)


async def _replies(telegram: FakeTelegram, chat_id: int, count: int) -> list:
    """The bot's messages to the chat, once there are `count` of them."""
    return await soon(lambda: _at_least(telegram, chat_id, count))


def _at_least(telegram: FakeTelegram, chat_id: int, count: int) -> list:
    found = [m for m in telegram.messages if m.chat.id == chat_id]
    return found if len(found) >= count else []


async def _menu(telegram: FakeTelegram, lang: str = "ru"):
    telegram.person_writes(PERSON, "/start")
    [picker] = await _replies(telegram, PERSON, 1)
    assert f"lang:{lang}" in _data(picker)
    telegram.presses(PERSON, f"lang:{lang}", on=picker)
    notice = (await _replies(telegram, PERSON, 2))[-1]
    telegram.presses(PERSON, "ok:1", on=notice)
    return (await _replies(telegram, PERSON, 3))[-1]


async def test_a_question_is_answered_in_the_persons_language(komek, telegram, knowledge):
    menu = await _menu(telegram, "ru")
    assert any(d.startswith("h:") for d in _data(menu))  # "talk to a person" is on the menu
    telegram.person_writes(PERSON, "сколько стоит патент")
    answer = (await _replies(telegram, PERSON, 4))[-1]
    title = knowledge.content.entries["work_permit_cost"].texts["ru"].title
    assert answer.text.startswith(f"<b>{title}</b>")
    sent = telegram.sent(PERSON, "sendMessage")[-1]
    assert sent.parse_mode == "HTML"  # the answers' bold and links are Telegram HTML
    assert all(q.callback_query_id for q in telegram.called("answerCallbackQuery"))


async def test_a_button_whose_query_is_too_old_still_does_what_it_says(komek, telegram):
    telegram.refuse["answerCallbackQuery"] = "query is too old and response timeout expired"
    menu = await _menu(telegram, "ru")  # the picker and the notice were pressed all the same
    telegram.presses(PERSON, "h:-", on=menu)
    await soon(lambda: telegram.called("createForumTopic"))


async def test_talking_to_a_person_threads_replies_both_ways(komek, telegram):
    menu = await _menu(telegram, "ru")
    telegram.presses(PERSON, "h:-", on=menu)
    [topic] = await soon(lambda: telegram.called("createForumTopic"))
    assert topic.chat_id == GROUP and topic.name.startswith("#1 · ru")
    thread = await soon(lambda: _thread(telegram))

    asked = telegram.person_writes(PERSON, "мне не платят зарплату")
    [copied] = await soon(lambda: _copies(telegram, asked))
    assert (copied.chat_id, copied.message_thread_id) == (GROUP, thread)

    # The operator answers with Telegram's "reply" on the copy in the topic: the person gets
    # the answer as a reply to what they wrote.
    copy_id = telegram.copies[GROUP, asked]
    reply_to = {"message_id": copy_id, "date": 0, "chat": {"id": GROUP, "type": "supergroup"}}
    answered = telegram.operator_writes(
        OPERATOR, thread, "Здравствуйте! Сколько месяцев?", reply_to_message=reply_to
    )
    [relayed] = await soon(lambda: telegram.sent(PERSON, "copyMessage"))
    assert relayed.reply_parameters is not None
    assert relayed.reply_parameters.message_id == asked

    # The person replies to that answer in their chat: in the topic, their message is a reply
    # to the operator's.
    reply_to = {
        "message_id": telegram.copies[PERSON, answered],
        "date": 0,
        "chat": {"id": PERSON, "type": "private"},
    }
    again = telegram.person_writes(PERSON, "три месяца", reply_to_message=reply_to)
    [copied] = await soon(lambda: _copies(telegram, again))
    assert copied.reply_parameters is not None
    assert copied.reply_parameters.message_id == answered


async def test_without_the_right_to_make_topics_the_ticket_is_shown_in_general(komek, telegram):
    telegram.refuse["createForumTopic"] = "not enough rights to create a topic"
    menu = await _menu(telegram, "ru")
    telegram.presses(PERSON, "h:-", on=menu)
    # The ticket, and the administrator's notice of what is missing.
    await soon(lambda: [m for m in _in_general(telegram) if "Обращение №1" in m.text])
    await soon(
        lambda: [
            m
            for m in _in_general(telegram)
            if "«Bad Request: not enough rights to create a topic»" in m.text
        ]
    )
    asked = telegram.person_writes(PERSON, "мне не платят зарплату")
    [copied] = await soon(lambda: _copies(telegram, asked))
    assert copied.message_thread_id is None  # in General, not in a topic that does not exist


def _thread(telegram: FakeTelegram) -> int | None:
    threads = [m.message_thread_id for m in telegram.messages if m.chat.id == GROUP]
    return next((t for t in threads if t), None)


def _copies(telegram: FakeTelegram, message_id: int) -> list:
    return [r for r in telegram.sent(GROUP, "copyMessage") if r.message_id == message_id]


def _in_general(telegram: FakeTelegram) -> list:
    return [m for m in telegram.messages if m.chat.id == GROUP and not m.message_thread_id]


async def test_the_bot_keeps_no_aiogram_state_per_person(komek, telegram):
    """Everything about a person is in the database: aiogram's FSM storage, unused, kept a
    record for each person and chat the bot ever saw (memory that grew without bound)."""
    await _menu(telegram, "ru")
    assert not komek.dispatcher.storage.storage
