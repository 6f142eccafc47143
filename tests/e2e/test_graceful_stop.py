"""SIGTERM under load (as systemd or Docker stop the bot): the process finishes what it has,
sends what is pending, exits 0 in time; after the restart every question is answered once."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from bot.sandbox.client import SandboxClient
from db.repositories import live_processes
from tests.e2e.bot_process import BotProcess
from tests.e2e.harness import eventually
from tests.e2e.test_faults import QUESTIONS

PEOPLE = 30
STOP_SECONDS = 5
START_UP = 60.0  # a fresh process: settings, migrations, content and classifier


async def _new(client: SandboxClient, chat: int, after: int) -> dict:
    [found] = await client.wait_for_messages(chat, 1, after_id=after, timeout=START_UP)
    return found


async def _edited(client: SandboxClient, chat: int, message: dict) -> dict:
    old = (message.get("text"), message.get("reply_markup"))
    for _ in range(int(START_UP / 0.1)):
        for m in await client.messages(chat, from_bot=True):
            if m["message_id"] == message["message_id"]:
                if (m.get("text"), m.get("reply_markup")) != old:
                    return m
        await asyncio.sleep(0.1)
    raise AssertionError(f"message {message['message_id']} in chat {chat} was never edited")


async def _ready(client: SandboxClient, uid: int) -> None:
    """First contact: language and consent, up to the menu."""
    sent = await client.user_sends_text(uid, "/start")
    picker = await _new(client, uid, sent["message_id"])
    await client.user_presses(uid, picker["message_id"], "lang:ru")
    notice = await _edited(client, uid, picker)
    await client.user_presses(uid, notice["message_id"], "ok:1")
    await _edited(client, uid, notice)


async def _asks(client: SandboxClient, uid: int, questions: list[str]) -> int:
    """Writes the questions one after another, like a person in a hurry; the first one's id."""
    first = None
    for question in questions:
        sent = await client.user_sends_text(uid, question)
        first = first or sent["message_id"]
        await asyncio.sleep(0.3)
    assert first is not None
    return first


@pytest.mark.timeout(180)  # two start-ups of a real process (a cold NLU cache is built once)
async def test_sigterm_under_load_exits_0_and_every_question_is_answered_once(
    sandbox, tmp_path, knowledge
):
    client = sandbox.client
    bot = BotProcess(
        sandbox.base_url,
        client.operator_chat_id,
        f"sqlite+aiosqlite:///{tmp_path / 'komek.sqlite3'}",
        tmp_path / "bot.log",
        send_limits="false",
        stop_seconds=STOP_SECONDS,
    )
    ids = [72000 + i for i in range(PEOPLE)]
    for uid in ids:
        await client.create_user(uid, language_code="ru")
    questions = list(QUESTIONS) * 2
    await bot.start()
    try:
        await asyncio.gather(*(_ready(client, uid) for uid in ids))

        # Everyone writes; once a sixth of the questions are answered the bot is told to
        # stop: some questions are answered, some stored and being handled, some not yet
        # taken from Telegram, and people go on writing while it stops and is down.
        await client.slow_down("sendMessage", 0.2)  # Telegram is slow today: replies queue up
        marks = {uid: (await client.messages(uid))[-1]["message_id"] for uid in ids}
        asking = asyncio.gather(*(_asks(client, uid, questions) for uid in ids))

        async def answered(after: dict[int, int]) -> int:
            count = 0
            for uid in ids:
                count += len(await client.messages(uid, from_bot=True, after_id=after[uid]))
            return count

        total = PEOPLE * len(questions)
        await eventually(lambda: _at_least(answered(marks), total // 6), timeout=START_UP)
        at_signal = await answered(marks)
        code = await bot.terminate(timeout=STOP_SECONDS + 5)
        log = (tmp_path / "bot.log").read_text()
        assert code == 0, log[-3000:]
        assert "stopped with messages still to send" not in log  # everything handled went
        early = await answered(marks)
        firsts = dict(zip(ids, await asking, strict=True))
        await bot.start()
        for uid in ids:
            await client.wait_for_messages(
                uid, len(questions), after_id=firsts[uid], timeout=START_UP
            )
        # Stop again, gracefully: whatever was to be sent has been sent, and the process no
        # longer counts as running (komek db copy and keys rotate can go at once).
        assert await bot.terminate(timeout=STOP_SECONDS + 5) == 0
        assert await _running(tmp_path / "komek.sqlite3") == 0

        titles = [knowledge.content.entries[QUESTIONS[q]].texts["ru"].title for q in questions]
        for uid in ids:
            replies = await client.messages(uid, from_bot=True, after_id=firsts[uid])
            got = [next((t for t in titles if t in (r.get("text") or "")), None) for r in replies]
            assert got == titles, f"person {uid}: {got}"  # each once, in order, none lost
        print(f"\nanswered at the SIGTERM: {at_signal}, at its exit: {early}, of {total}")
    finally:
        await bot.stop()


async def _running(path) -> int:  # type: ignore[no-untyped-def]
    engine = create_async_engine(f"sqlite+aiosqlite:///{path}")
    try:
        async with engine.connect() as connection:
            return (await connection.execute(live_processes())).scalar_one()
    finally:
        await engine.dispose()


async def _at_least(count, minimum: int) -> bool:
    return await count >= minimum
