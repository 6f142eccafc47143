"""/metrics after a scripted conversation, and /readyz when the database goes away."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from pathlib import Path

import aiohttp
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url

from bot.knowledge import KnowledgeStore
from tests.e2e.harness import Running, eventually
from tests.e2e.test_escalation import open_ticket


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def get(port: int, path: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http:
        async with http.get(f"http://127.0.0.1:{port}{path}") as response:
            return response.status, await response.text()


async def scrape(port: int) -> dict[tuple[str, frozenset], float]:
    status, body = await get(port, "/metrics")
    assert status == 200
    found: dict[tuple[str, frozenset], float] = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            found[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return found


def moved(before: dict, after: dict, name: str, **labels: str) -> float:
    key = (name, frozenset(labels.items()))
    return after.get(key, 0.0) - before.get(key, 0.0)


async def started(settings, knowledge, **update) -> tuple[Running, int]:
    port = free_port()
    running = Running(
        settings.model_copy(update={"health_port": port, **update}),
        KnowledgeStore(settings.content_dir, knowledge),
    )
    await running.start()
    await eventually(lambda: _answers(port))
    return running, port


async def _answers(port: int) -> bool:
    with contextlib.suppress(OSError):
        return (await get(port, "/healthz"))[0] == 200
    return False


async def test_metrics_count_a_scripted_conversation(settings, knowledge, client, person):
    running, port = await started(settings, knowledge)
    try:
        before = await scrape(port)
        since = time.time()
        # The first message to the person meets one 429 (retry after 1 s), then goes.
        await client.inject_fault("sendMessage", error_code=429, retry_after=1, chat_id=person.id)
        await open_ticket(person, client)  # /start, language, consent, "a person, please"
        await person.says("Мне нужна помощь с документами", replies=0)
        after = await eventually(lambda: _settled(port, before))
    finally:
        await running.stop()

    assert moved(before, after, "komek_updates_total", kind="message") == 2
    assert moved(before, after, "komek_updates_total", kind="callback_query") == 3
    for outcome in ("language", "consent", "escalate", "relay"):
        assert moved(before, after, "komek_nlu_outcomes_total", outcome=outcome) == 1, outcome
    assert moved(before, after, "komek_telegram_429_total", method="sendMessage") == 1
    assert moved(before, after, "komek_telegram_retry_after_seconds_total") == 1
    assert moved(before, after, "komek_replies_total", method="sendMessage", result="retry_after")
    assert after[("komek_tickets_waiting", frozenset({("lang", "ru"), ("urgent", "no")}))] == 1
    assert after[("komek_outbox_pending", frozenset())] == 0
    # Every message the person got was caused by one of their updates, and timed.
    to_person = await client.send_log(person.id, since=since)
    assert len(to_person) >= 4
    timed = moved(before, after, "komek_reply_seconds_count")
    assert timed == len(to_person)
    ok = sum(
        moved(before, after, "komek_replies_total", method=m, result="ok")
        for m in {s["method"] for s in to_person}
    )
    assert ok >= len(to_person)
    assert moved(before, after, "komek_reply_seconds_bucket", le="+Inf") == timed
    assert moved(before, after, "komek_reply_seconds_sum") >= 1.0  # the 429's second at least


async def _settled(port: int, before: dict) -> dict | None:
    """The last message was handled (relayed to the ticket) and the outbox is empty."""
    now = await scrape(port)
    relayed = moved(before, now, "komek_nlu_outcomes_total", outcome="relay")
    return now if relayed and now.get(("komek_outbox_pending", frozenset())) == 0 else None


async def test_readyz_turns_unready_when_the_database_file_is_removed(
    settings, knowledge, database_url
):
    if make_url(database_url).get_backend_name() != "sqlite":
        return  # PostgreSQL: tests/ops/test_readiness.py stops the server's connection
    running, port = await started(settings, knowledge)
    try:
        status, body = await eventually(lambda: _ready(port))
        assert '"database": "ok"' in body
        path = Path(make_url(database_url).database)
        await asyncio.to_thread(_remove, path)
        status, body = await get(port, "/readyz")
        assert status == 503 and '"ready": false' in body and "unreachable" in body
        assert (await get(port, "/healthz"))[0] == 200  # the process itself is up
    finally:
        running.komek.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(running.stop(), 30)


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


async def _ready(port: int) -> tuple[int, str] | None:
    status, body = await get(port, "/readyz")
    return (status, body) if status == 200 else None
