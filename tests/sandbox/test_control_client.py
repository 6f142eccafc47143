"""The control API and its Python client."""

from __future__ import annotations

import asyncio

import pytest
from aiogram import Bot
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.sandbox import Sandbox, SandboxClient, SandboxError
from bot.sandbox.media import MEDIA_KINDS
from tests.sandbox.conftest import OPERATOR, USER


async def test_run_sandbox_reports_real_port(sandbox: Sandbox):
    assert sandbox.base_url.startswith("http://127.0.0.1:")
    assert not sandbox.base_url.endswith(":0")
    assert sandbox.state.operator_chat_id == -1001000000001


async def test_create_user_and_text_update(client: SandboxClient, sandbox: Sandbox):
    user = await client.create_user(USER, "Aziz", language_code="uz", username="aziz")
    assert user["language_code"] == "uz" and user["username"] == "aziz"
    message = await client.user_sends_text(USER, "/start")
    assert message["chat"] == {
        "id": USER,
        "type": "private",
        "first_name": "Aziz",
        "username": "aziz",
    }
    assert message["from"]["id"] == USER and message["entities"][0]["type"] == "bot_command"
    [update] = await client.pending_updates()
    assert update["message"]["message_id"] == message["message_id"]
    assert sandbox.state.users[USER].first_name == "Aziz"


@pytest.mark.parametrize("kind", [*MEDIA_KINDS, "location", "contact"])
async def test_user_sends_every_media_kind(people: SandboxClient, kind: str):
    caption = "izoh" if kind not in ("sticker", "video_note", "location", "contact") else None
    message = await people.user_sends_media(USER, kind, caption=caption)
    assert kind in message
    if caption:
        assert message["caption"] == "izoh"


async def test_user_media_with_given_bytes_is_downloadable(bot: Bot, people: SandboxClient):
    message = await people.user_sends_media(
        USER, "document", data_base64="aGVsbG8=", file_name="hello.txt", mime_type="text/plain"
    )
    assert message["document"]["file_name"] == "hello.txt"
    file = await bot.get_file(message["document"]["file_id"])
    assert (await bot.download_file(file.file_path)).getvalue() == b"hello"


async def test_album(people: SandboxClient):
    album = await people.user_sends_album(USER, ["photo", "photo", "video"], caption="hujjatlar")
    assert len({m["media_group_id"] for m in album}) == 1
    assert album[0]["caption"] == "hujjatlar" and "caption" not in album[1]
    with pytest.raises(SandboxError, match="from 2 to 10"):
        await people.user_sends_album(USER, ["photo"])


async def test_press_checks_the_button_exists(bot: Bot, people: SandboxClient):
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Ha", callback_data="yes")]]
    )
    sent = await bot.send_message(USER, "?", reply_markup=markup)
    update = await people.user_presses(USER, sent.message_id, "yes")
    query = update["callback_query"]
    assert query["data"] == "yes" and query["from"]["id"] == USER
    assert query["message"]["message_id"] == sent.message_id
    with pytest.raises(SandboxError, match="no inline button"):
        await people.user_presses(USER, sent.message_id, "no")
    with pytest.raises(SandboxError, match="not found"):
        await people.user_presses(USER, 999, "yes")


async def test_operator_in_topic_and_general(bot: Bot, people: SandboxClient):
    group = people.operator_chat_id
    topic = await bot.create_forum_topic(group, "Aziz")
    thread = topic.message_thread_id
    in_topic = await people.operator_sends_text(OPERATOR, "javob", thread_id=thread)
    assert in_topic["message_thread_id"] == thread and in_topic["is_topic_message"] is True
    assert in_topic["reply_to_message"]["forum_topic_created"]["name"] == "Aziz"
    general = await people.operator_sends_text(OPERATOR, "hammaga")
    assert "message_thread_id" not in general
    assert [m["text"] for m in await people.messages(group, thread_id=1)] == ["hammaga"]
    topic_texts = [m.get("text") for m in await people.messages(group, thread_id=thread)]
    assert topic_texts == [None, "javob"]
    media = await people.operator_sends_media(OPERATOR, "voice", thread_id=thread)
    assert media["voice"]["duration"] > 0
    markup = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Olish", callback_data="take:1")]]
    )
    card = await bot.send_message(
        group, "Yangi murojaat", message_thread_id=thread, reply_markup=markup
    )
    update = await people.operator_presses(OPERATOR, card.message_id, "take:1")
    assert update["callback_query"]["message"]["chat"]["id"] == group
    with pytest.raises(SandboxError, match="not a member"):
        await people.operator_sends_text(USER, "begona")


async def test_closed_topic_refuses_plain_members(bot: Bot, people: SandboxClient):
    group = people.operator_chat_id
    topic = await bot.create_forum_topic(group, "Yopiq")
    await people.close_topic(topic.message_thread_id, by=OPERATOR)
    [listed] = await people.topics()
    assert listed["closed"] is True
    with pytest.raises(SandboxError, match="TOPIC_CLOSED"):
        await people.operator_sends_text(OPERATOR, "x", thread_id=topic.message_thread_id)
    assert await bot.send_message(group, "admin", message_thread_id=topic.message_thread_id)
    await people.reopen_topic(topic.message_thread_id, by=OPERATOR)
    assert await people.operator_sends_text(OPERATOR, "x", thread_id=topic.message_thread_id)


async def test_wait_for_messages(bot: Bot, people: SandboxClient):
    async def later() -> None:
        await asyncio.sleep(0.2)
        await bot.send_message(USER, "birinchi")
        await bot.send_message(USER, "ikkinchi")

    task = asyncio.create_task(later())
    found = await people.wait_for_messages(USER, 2, timeout=5)
    await task
    assert [m["text"] for m in found] == ["birinchi", "ikkinchi"]
    after = await people.wait_for_messages(USER, after_id=found[0]["message_id"], timeout=1)
    assert [m["text"] for m in after] == ["ikkinchi"]
    with pytest.raises(TimeoutError) as info:
        await people.wait_for_messages(USER, 3, timeout=0.3)
    assert "ikkinchi" in str(info.value) and "1 matched" not in str(info.value)


async def test_calls_log_and_reset(bot: Bot, people: SandboxClient, sandbox: Sandbox):
    await bot.send_message(USER, "x")
    with pytest.raises(Exception):  # noqa: B017 - any aiogram error
        await bot.send_message(USER, "")
    calls = await people.calls("sendMessage")
    assert [c["ok"] for c in calls] == [True, False]
    assert calls[0]["params"]["chat_id"] == USER and calls[0]["result"]["text"] == "x"
    info = await people.reset()
    assert info["users"] == [] and info["operator_chat_id"] == -1001000000001
    assert await people.calls() == [] and sandbox.state.chats.keys() == {-1001000000001}
    with pytest.raises(SandboxError, match="does not exist"):
        await people.user_sends_text(USER, "x")


async def test_groups_and_operators(client: SandboxClient):
    group = await client.create_group("Second desk", chat_id=-1005, operator_group=True)
    assert group["is_forum"] is True
    assert (await client.state())["operator_chat_id"] == -1005
    await client.add_operator(1, "Ops", status="administrator")
    [desk] = [g for g in (await client.state())["groups"] if g["id"] == -1005]
    assert {m["status"] for m in desk["members"]} == {"administrator"}
    with pytest.raises(SandboxError, match="already exists"):
        await client.create_group("dup", chat_id=-1005)
