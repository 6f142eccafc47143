"""Receiving updates: getUpdates offsets and long-poll, webhooks, a real aiogram Dispatcher."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.exceptions import TelegramConflictError
from aiogram.filters import CommandStart
from aiogram.methods import SendMessage
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

from bot.sandbox import SandboxClient
from tests.sandbox.conftest import USER


async def test_get_updates_offset_confirms(bot: Bot, people: SandboxClient):
    for text in ("bir", "ikki", "uch"):
        await people.user_sends_text(USER, text)
    updates = await bot.get_updates(offset=0)
    assert [u.message.text for u in updates] == ["bir", "ikki", "uch"]
    assert [u.update_id for u in updates] == sorted(u.update_id for u in updates)
    again = await bot.get_updates(offset=updates[0].update_id + 1)
    assert [u.message.text for u in again] == ["ikki", "uch"]
    assert await bot.get_updates(offset=updates[-1].update_id + 1) == []
    assert await bot.get_updates() == []  # confirmed updates are gone for good
    await people.user_sends_text(USER, "tort")
    newest = await bot.get_updates(offset=-1)
    assert [u.message.text for u in newest] == ["tort"]
    limited = await people.user_sends_text(USER, "besh")
    assert len(await bot.get_updates(limit=1)) == 1 and limited["text"] == "besh"


async def test_long_poll_wakes_up_on_new_update(bot: Bot, people: SandboxClient):
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.3)
    assert not poll.done()
    await people.user_sends_text(USER, "salom")
    # Woken by the update, long before its 10 s timeout.
    updates = await asyncio.wait_for(poll, 5)
    assert [u.message.text for u in updates] == ["salom"]


async def test_long_poll_times_out_empty(bot: Bot, people: SandboxClient):
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == []
    assert time.monotonic() - started >= 0.9  # it waited, as a long poll does


async def test_second_poller_terminates_the_first(bot: Bot, people: SandboxClient):
    first = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    second = asyncio.create_task(bot.get_updates(timeout=1))
    with pytest.raises(TelegramConflictError, match="terminated by other getUpdates request"):
        await asyncio.wait_for(first, 3)
    assert await second == []


async def test_allowed_updates_filter(bot: Bot, people: SandboxClient):
    assert await bot.get_updates(allowed_updates=["message"]) == []
    await people.block_user(USER)
    await people.user_sends_text(USER, "qaytdim")  # writing again restarts the bot
    updates = await bot.get_updates()  # the previous setting stays
    assert [u.message.text for u in updates] == ["qaytdim"]  # my_chat_member never created
    assert await bot.get_updates(offset=updates[-1].update_id + 1, allowed_updates=[]) == []
    await people.block_user(USER)  # [] is the default filter again: my_chat_member is in
    [update] = await bot.get_updates()
    assert update.my_chat_member.new_chat_member.status == "kicked"
    assert update.my_chat_member.from_user.id == USER


async def test_allowed_updates_do_not_drop_pending_updates(bot: Bot, people: SandboxClient):
    """As Telegram says: the filter "doesn't affect updates created before the call"."""
    await people.block_user(USER)  # my_chat_member, created under the default filter
    await people.user_sends_text(USER, "qaytdim")
    updates = await bot.get_updates(allowed_updates=["message"])
    assert [u.event_type for u in updates] == ["my_chat_member", "my_chat_member", "message"]
    await people.block_user(USER)  # created after the call: filtered out
    assert await bot.get_updates(offset=updates[-1].update_id + 1) == []


@contextlib.asynccontextmanager
async def http_server(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


async def test_webhook_delivery_with_secret_and_retries(bot: Bot, people: SandboxClient):
    received: list[tuple[str | None, dict]] = []
    failures = {"left": 2}

    async def hook(request: web.Request) -> web.Response:
        if failures["left"]:
            failures["left"] -= 1
            return web.Response(status=500)
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/hook", hook)
    async with http_server(app) as url:
        assert await bot.set_webhook(f"{url}/hook", secret_token="s3cret")
        with pytest.raises(TelegramConflictError, match="webhook is active"):
            await bot.get_updates()
        await people.user_sends_text(USER, "birinchi")
        await people.user_sends_text(USER, "ikkinchi")
        for _ in range(100):
            if len(received) == 2:
                break
            await asyncio.sleep(0.05)
        assert [body["message"]["text"] for _, body in received] == ["birinchi", "ikkinchi"]
        assert {secret for secret, _ in received} == {"s3cret"}
        info = await bot.get_webhook_info()
        assert info.url == f"{url}/hook" and info.pending_update_count == 0
        assert "500" in (info.last_error_message or "")
        assert await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""
    await people.user_sends_text(USER, "polling")
    assert [u.message.text for u in await bot.get_updates()] == ["polling"]


async def test_aiogram_webhook_handler_and_reply_in_response(bot: Bot, people: SandboxClient):
    dp = Dispatcher()

    @dp.message(CommandStart())
    async def start(message: Message) -> SendMessage:
        return message.answer(f"Assalomu alaykum, {message.from_user.first_name}!")

    app = web.Application()
    SimpleRequestHandler(dp, bot, secret_token="tok", handle_in_background=False).register(
        app, path="/tg"
    )
    async with http_server(app) as url:
        await bot.set_webhook(f"{url}/tg", secret_token="tok")
        before = await people.user_sends_text(USER, "/start")
        [reply] = await people.wait_for_messages(USER, after_id=before["message_id"], timeout=5)
        assert reply["text"] == "Assalomu alaykum, Aziz!"
        await bot.delete_webhook()


async def test_real_dispatcher_polling_end_to_end(bot: Bot, people: SandboxClient):
    dp = Dispatcher()
    menu = InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text="Ish haqi", callback_data="topic:salary")]]
    )

    @dp.message(CommandStart())
    async def start(message: Message) -> None:
        await message.answer("Mavzuni tanlang:", reply_markup=menu)

    @dp.callback_query(F.data.startswith("topic:"))
    async def chosen(query: CallbackQuery) -> None:
        await query.answer("OK")
        await query.message.edit_text(f"Tanlandi: {query.data}")

    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=10))
    try:
        await people.user_sends_text(USER, "/start")
        [menu_message] = await people.wait_for_messages(USER, timeout=5)
        assert menu_message["text"] == "Mavzuni tanlang:"
        await people.user_presses(USER, menu_message["message_id"], "topic:salary")
        for _ in range(100):
            [current] = await people.messages(USER, from_bot=True)
            if current["text"].startswith("Tanlandi"):
                break
            await asyncio.sleep(0.05)
        assert current["text"] == "Tanlandi: topic:salary"
        assert "reply_markup" not in current
        [answer] = await people.callback_answers()
        assert answer["text"] == "OK"
        # Every update was handled exactly once.
        assert len(await people.messages(USER, from_bot=True)) == 1
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(polling, 5)


async def test_many_concurrent_users_with_a_polling_bot(bot: Bot, client: SandboxClient):
    dp = Dispatcher()

    @dp.message(F.text)
    async def echo(message: Message) -> None:
        await message.answer(f"echo {message.text}")

    users = list(range(9000, 9040))
    await asyncio.gather(*(client.create_user(u, f"U{u}") for u in users))
    polling = asyncio.create_task(dp.start_polling(bot, handle_signals=False, polling_timeout=10))
    try:
        await asyncio.gather(*(client.user_sends_text(u, f"hi {u}") for u in users))
        replies = await asyncio.gather(*(client.wait_for_messages(u, timeout=10) for u in users))
        assert [r[0]["text"] for r in replies] == [f"echo hi {u}" for u in users]
    finally:
        await dp.stop_polling()
        await asyncio.wait_for(polling, 5)
    updates = [c for c in await client.calls("getUpdates") if c["ok"]]
    delivered = [u["update_id"] for c in updates for u in c["result"]]
    assert len(delivered) == len(set(delivered)) == len(users)


async def test_joining_leaving_and_removal_send_chat_member_when_asked(
    bot: Bot, people: SandboxClient
):
    assert await bot.get_updates(allowed_updates=["message"]) == []
    await people.add_operator(7101, first_name="Aida")  # not asked for: never created
    assert await bot.get_updates(allowed_updates=["chat_member", "message"]) == []
    await people.add_operator(7102, first_name="Gulnar", status="administrator")
    await people.add_operator(7101, first_name="Aida", status="kicked")
    await people.add_operator(7101, first_name="Aida", status="kicked")  # no change: nothing
    joined, kicked = [u.chat_member for u in await bot.get_updates()]
    assert (joined.old_chat_member.status, joined.new_chat_member.status) == (
        "left",
        "administrator",
    )
    assert joined.from_user.id == joined.new_chat_member.user.id == 7102
    assert (kicked.old_chat_member.status, kicked.new_chat_member.status) == ("member", "kicked")
    assert kicked.new_chat_member.user.id == 7101 and kicked.from_user.id == 7102
    assert kicked.chat.id == people.operator_chat_id
