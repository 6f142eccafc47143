"""The send log: every successful call that put something in a chat, with chat, thread, time."""

from __future__ import annotations

import time

import pytest
from aiogram import Bot
from aiogram.exceptions import TelegramForbiddenError
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
)

from bot.sandbox import SandboxClient
from bot.sandbox.rates import check_limits
from tests.sandbox.conftest import OPERATOR, USER

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def brief(log: list[dict]) -> list[tuple]:
    return [(e["method"], e["chat_id"], e["thread_id"], e["messages"]) for e in log]


async def test_every_kind_of_send_is_logged_with_chat_thread_and_time(
    bot: Bot, people: SandboxClient
):
    group = people.operator_chat_id
    started = time.time()
    await bot.get_me()
    await bot.send_chat_action(USER, "typing")  # shows nothing in the chat: not logged
    hello = await bot.send_message(USER, "salom")
    await bot.send_photo(USER, BufferedInputFile(PNG, "a.png"), caption="rasm")
    topic = await bot.create_forum_topic(group, "Ticket")
    thread = topic.message_thread_id
    await bot.send_message(group, "yangi murojaat", message_thread_id=thread)
    incoming = await people.user_sends_text(USER, "savol")
    await bot.copy_message(group, USER, incoming["message_id"], message_thread_id=thread)
    await bot.copy_messages(group, USER, [incoming["message_id"]], message_thread_id=1)
    await bot.forward_message(group, USER, incoming["message_id"], message_thread_id=thread)
    album = [InputMediaPhoto(media=BufferedInputFile(PNG, f"{i}.png")) for i in range(3)]
    await bot.send_media_group(USER, album)
    await bot.edit_message_text("salom!", chat_id=USER, message_id=hello.message_id)
    keyboard = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="OK", callback_data="ok")]]
    )
    await bot.edit_message_reply_markup(
        chat_id=USER, message_id=hello.message_id, reply_markup=keyboard
    )
    await bot.edit_forum_topic(group, thread, name="Ticket ✅")
    await bot.close_forum_topic(group, thread)
    await bot.reopen_forum_topic(group, thread)
    await bot.delete_forum_topic(group, thread)
    await people.block_user(USER)
    with pytest.raises(TelegramForbiddenError):
        await bot.send_message(USER, "failed calls are not logged")
    finished = time.time()

    log = await people.send_log()
    assert brief(log) == [
        ("sendMessage", USER, None, 1),
        ("sendPhoto", USER, None, 1),
        ("createForumTopic", group, thread, 1),
        ("sendMessage", group, thread, 1),
        ("copyMessage", group, thread, 1),
        ("copyMessages", group, None, 1),  # thread 1 is General: no thread
        ("forwardMessage", group, thread, 1),
        ("sendMediaGroup", USER, None, 3),
        ("editMessageText", USER, None, 1),
        ("editMessageReplyMarkup", USER, None, 1),
        ("editForumTopic", group, thread, 1),
        ("closeForumTopic", group, thread, 1),
        ("reopenForumTopic", group, thread, 1),
        ("deleteForumTopic", group, thread, 1),
    ]
    times = [e["at"] for e in log]
    assert times == sorted(times)
    assert started <= times[0] and times[-1] <= finished
    # The log is a view over the call log: each entry is a call's "sent" record.
    sent = [c["sent"] for c in await people.calls() if "sent" in c]
    assert [s["at"] for s in sent] == times


async def test_send_log_filters_by_chat_and_time(bot: Bot, people: SandboxClient):
    group = people.operator_chat_id
    await bot.send_message(USER, "bir")
    await bot.send_message(group, "ikki")
    [first, second] = await people.send_log()
    assert brief(await people.send_log(USER)) == [("sendMessage", USER, None, 1)]
    assert brief(await people.send_log(group)) == [("sendMessage", group, None, 1)]
    assert await people.send_log(since=second["at"]) == [second]
    assert await people.send_log(since=first["at"]) == [first, second]
    await people.reset()
    assert await people.send_log() == []


async def test_chat_given_by_username_is_logged_by_id(bot: Bot, client: SandboxClient):
    group = await client.create_group("Public", username="komek_public", is_forum=False)
    await bot.send_message("@komek_public", "salom")
    [entry] = await client.send_log()
    assert entry["chat_id"] == group["id"]


async def test_what_people_send_and_reading_calls_are_not_logged(bot: Bot, people: SandboxClient):
    await people.user_sends_text(USER, "salom")
    await people.operator_sends_text(OPERATOR, "hello")
    await bot.get_updates()
    assert await people.send_log() == []


async def test_a_burst_from_the_bot_shows_up_as_a_per_chat_violation(
    bot: Bot, people: SandboxClient
):
    for i in range(6):
        await bot.send_message(USER, f"xabar {i}")
    [violation] = check_limits(await people.send_log())
    assert (violation.rule, violation.chat_id, violation.count) == ("per_chat", USER, 6)
