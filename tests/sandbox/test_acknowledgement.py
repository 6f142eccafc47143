"""getUpdates acknowledgement: only a higher offset confirms, never the handing out.

The rules are telegram-bot-api's (``Client::do_get_updates`` over TDLib's ``TQueue``); see
bot/sandbox/updates.py.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

from aiogram import Bot

from bot.sandbox import Sandbox, SandboxClient
from tests.sandbox.conftest import TOKEN, USER


async def until(check: Callable[[], Awaitable[Any]], what: str, timeout: float = 5.0) -> Any:
    """Poll ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = await check()
        if result:
            return result
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


async def raw_request(
    sandbox: Sandbox, path: str
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Send ``GET path`` on a bare TCP connection, so that a test can drop it at will."""
    address = urlsplit(sandbox.base_url)
    reader, writer = await asyncio.open_connection(address.hostname, address.port)
    head = f"GET {path} HTTP/1.1\r\nHost: {address.netloc}\r\nConnection: close\r\n\r\n"
    writer.write(head.encode())
    await writer.drain()
    return reader, writer


async def read_json(reader: asyncio.StreamReader) -> Any:
    raw = await reader.read()  # Connection: close, so the body ends at EOF
    return json.loads(raw.partition(b"\r\n\r\n")[2])


async def drop(writer: asyncio.StreamWriter) -> None:
    writer.close()
    await writer.wait_closed()


def get_updates_path(**query: Any) -> str:
    args = "&".join(f"{key}={value}" for key, value in query.items())
    return f"/bot{TOKEN}/getUpdates" + (f"?{args}" if args else "")


async def texts_sent(people: SandboxClient, *texts: str) -> list[int]:
    """The person writes each text; returns the update ids the bot will see."""
    for text in texts:
        await people.user_sends_text(USER, text)
    return [u["update_id"] for u in await people.pending_updates()][-len(texts) :]


async def test_higher_offset_forgets_earlier_updates_for_good(bot: Bot, people: SandboxClient):
    first, second, third = await texts_sent(people, "bir", "ikki", "uch")
    assert [u.update_id for u in await bot.get_updates(offset=second)] == [second, third]
    # "first" was confirmed: neither a lower offset nor no offset brings it back.
    assert [u.update_id for u in await bot.get_updates(offset=first)] == [second, third]
    assert [u.update_id for u in await bot.get_updates()] == [second, third]
    assert await bot.get_updates(offset=third + 1) == []
    assert await bot.get_updates(offset=first) == []
    assert await people.pending_updates() == []


async def test_lower_or_no_offset_returns_unconfirmed_updates_again(
    bot: Bot, people: SandboxClient
):
    ids = await texts_sent(people, "bir", "ikki")
    for _ in range(3):  # handing updates out confirms nothing, however often
        assert [u.update_id for u in await bot.get_updates()] == ids
        assert [u.update_id for u in await bot.get_updates(offset=ids[0])] == ids
        assert [u.update_id for u in await bot.get_updates(offset=0)] == ids
        assert [u.update_id for u in await bot.get_updates(offset=ids[0] - 100)] == ids
    assert [u["update_id"] for u in await people.pending_updates()] == ids


async def test_limit_hands_out_the_oldest_and_confirms_nothing(bot: Bot, people: SandboxClient):
    ids = await texts_sent(people, "bir", "ikki", "uch")
    assert [u.update_id for u in await bot.get_updates(limit=2)] == ids[:2]
    assert [u.update_id for u in await bot.get_updates(limit=2)] == ids[:2]
    assert [u.update_id for u in await bot.get_updates(offset=ids[1] + 1)] == ids[2:]


async def test_negative_offset_keeps_only_the_newest(bot: Bot, people: SandboxClient):
    ids = await texts_sent(people, "bir", "ikki", "uch")
    assert [u.update_id for u in await bot.get_updates(offset=-2)] == ids[1:]
    assert [u.update_id for u in await bot.get_updates()] == ids[1:]  # the oldest is gone


async def test_offset_far_in_the_future_is_ignored(bot: Bot, people: SandboxClient):
    """telegram-bot-api ignores an offset more than 10 beyond the next update id."""
    ids = await texts_sent(people, "bir", "ikki")
    next_id = ids[-1] + 1
    assert [u.update_id for u in await bot.get_updates(offset=next_id + 11)] == ids
    # Slightly ahead is accepted: everything below it is forgotten, even updates that
    # are created later with those ids.
    assert await bot.get_updates(offset=next_id + 10) == []
    await people.user_sends_text(USER, "uch")
    assert await bot.get_updates(offset=next_id + 10) == []
    assert await people.pending_updates() == []


async def test_update_answered_to_a_connection_closed_right_after_is_returned_again(
    bot: Bot, people: SandboxClient, sandbox: Sandbox
):
    [update_id] = await texts_sent(people, "salom")
    reader, writer = await raw_request(sandbox, get_updates_path())
    answer = await read_json(reader)
    await drop(writer)  # the client read the answer and died before confirming it
    assert [u["update_id"] for u in answer["result"]] == [update_id]
    [again] = await bot.get_updates()
    assert again.update_id == update_id and again.message.text == "salom"


async def test_update_handed_to_a_long_poll_whose_client_died_is_returned_again(
    bot: Bot, people: SandboxClient, sandbox: Sandbox
):
    [old] = await texts_sent(people, "bir")
    _, writer = await raw_request(sandbox, get_updates_path(offset=old + 1, timeout=30))
    await until(lambda: _polling(people), "the long-poll to start")
    await drop(writer)  # the client dies in the middle of the long-poll
    await people.user_sends_text(USER, "ikki")

    async def handed_out() -> list[dict]:
        calls = await people.calls("getUpdates")
        return [c for c in calls if c["ok"] and c["result"] and c["params"].get("timeout")]

    [dead_call] = await until(handed_out, "the dead long-poll to answer")
    [new] = [u["update_id"] for u in dead_call["result"]]
    # The answer went nowhere and confirmed nothing: the next call gets the update again,
    # with no offset or with the dead request's own offset.
    assert [u.message.text for u in await bot.get_updates()] == ["ikki"]
    assert [u.update_id for u in await bot.get_updates(offset=old + 1)] == [new]
    # The dead request's offset counted, as in Telegram: it is applied on arrival.
    assert [u["update_id"] for u in await people.pending_updates()] == [new]


async def test_new_poll_ends_a_dead_long_poll_without_losing_updates(
    bot: Bot, people: SandboxClient, sandbox: Sandbox
):
    _, writer = await raw_request(sandbox, get_updates_path(timeout=30))
    await until(lambda: _polling(people), "the long-poll to start")
    await drop(writer)
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await until(lambda: _conflicts(people), "the dead long-poll to be terminated")
    await people.user_sends_text(USER, "salom")
    [update] = await asyncio.wait_for(poll, 10)
    assert update.message.text == "salom"
    assert [u["update_id"] for u in await people.pending_updates()] == [update.update_id]


async def test_call_whose_client_went_away_still_takes_effect(
    people: SandboxClient, sandbox: Sandbox
):
    """Telegram sends a message even if nobody reads the answer; the call log says so."""
    await people.slow_down("sendMessage", 1.0, times=1)
    _, writer = await raw_request(
        sandbox, f"/bot{TOKEN}/sendMessage?chat_id={USER}&text=yetib%20keldi"
    )

    async def delay_taken() -> bool:
        return not (await people.request("GET", "/faults"))["delays"]

    await until(delay_taken, "the call to start")
    await drop(writer)
    [message] = await people.wait_for_messages(USER, timeout=10)
    assert message["text"] == "yetib keldi"
    [call] = await people.calls("sendMessage")
    assert call["ok"] and call["client_gone"] is True
    assert [entry["method"] for entry in await people.send_log(USER)] == ["sendMessage"]


async def _polling(client: SandboxClient) -> bool:
    return (await client.state())["polling"] > 0


async def _conflicts(client: SandboxClient) -> list[dict]:
    calls = await client.calls("getUpdates")
    return [c for c in calls if not c["ok"] and c["error"]["error_code"] == 409]
