"""Two bot processes on PostgreSQL (and Redis): one polls at a time, both handle and send;
each person's replies stay in order and nothing is handled twice; kill the poller and the
other takes over within its lease."""

from __future__ import annotations

import asyncio
import itertools
import os

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine

from db.models import Lease
from tests.e2e.bot_process import BotProcess

PEOPLE = 20
QUESTIONS = ["сколько стоит патент", "где сделать ИИН", "что делать если потерял паспорт"]


async def _poller_pid(url: str) -> int | None:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            holder = await conn.scalar(select(Lease.holder).where(Lease.name == "poller"))
    finally:
        await engine.dispose()
    return int(holder.split(":")[1]) if holder else None


async def _ask_everyone(client, people: list[int], question: str) -> list[int]:
    """Everyone asks at once, and is answered; the ids of the questions."""
    sent = await asyncio.gather(*(client.user_sends_text(p, question) for p in people))
    for person, message in zip(people, sent, strict=True):
        await client.wait_for_messages(person, 1, after_id=message["message_id"], timeout=90)
    return [m["message_id"] for m in sent]


@pytest.mark.timeout(400)
async def test_two_processes_share_the_work_and_survive_the_pollers_death(
    sandbox, database_url, tmp_path
):
    if not database_url.startswith("postgresql"):
        pytest.skip("several processes need PostgreSQL (one process per SQLite file)")
    redis = os.environ.get("KOMEK_TEST_REDIS_URL")
    if not redis:
        if os.environ.get("CI"):
            pytest.fail("CI must set KOMEK_TEST_REDIS_URL (.ci/run starts Redis)")
        pytest.skip("Redis tests run in CI (set KOMEK_TEST_REDIS_URL to run here)")
    client = sandbox.client
    bots = [
        BotProcess(
            sandbox.base_url,
            client.operator_chat_id,
            database_url,
            tmp_path / f"bot{i}.log",
            send_limits="false",
            redis_url=redis,
        )
        for i in range(2)
    ]
    people = [81000 + i for i in range(PEOPLE)]
    for person in people:
        await client.create_user(person, language_code="ru")
    for bot in bots:
        await bot.start()
    try:
        asked = [await _ask_everyone(client, people, "/start")]
        assert all(b.process and b.process.returncode is None for b in bots), "both run"
        pids = {bot.process.pid: bot for bot in bots if bot.process}
        poller = await _poller_pid(database_url)
        assert poller in pids, f"the lease holder {poller} is not one of {list(pids)}"
        asked.append(await _ask_everyone(client, people, QUESTIONS[0]))

        await pids[poller].kill()  # SIGKILL: its lease runs out, the other takes over
        asked.append(await _ask_everyone(client, people, QUESTIONS[1]))
        survivor = await _poller_pid(database_url)
        assert survivor in pids and survivor != poller
        asked.append(await _ask_everyone(client, people, QUESTIONS[2]))

        repeated = 0
        for i, person in enumerate(people):  # each message answered before the next one
            replies = [r["message_id"] for r in await client.messages(person, from_bot=True)]
            bounds = [a[i] for a in asked] + [10**9]
            per_question = [
                sum(low < r < high for r in replies) for low, high in itertools.pairwise(bounds)
            ]
            assert all(n >= 1 for n in per_question), per_question
            repeated += sum(per_question) - len(per_question)
        print(f"\nrepeated after the kill: {repeated} (the sender's 16 in flight at most)")
        assert repeated <= 16
    finally:
        for bot in bots:
            await bot.stop()
