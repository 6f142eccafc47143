"""Fixtures: a sandbox Telegram on 127.0.0.1 and the real bot polling it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import create_async_engine

from bot.config import load_settings
from bot.knowledge import KnowledgeStore
from bot.sandbox.server import run_sandbox
from tests.e2e.harness import Running, new_person

POSTGRES = os.environ.get("KOMEK_TEST_POSTGRES_URL")


async def _fresh_postgres(url: str) -> None:
    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.exec_driver_sql("DROP SCHEMA public CASCADE")
        await conn.exec_driver_sql("CREATE SCHEMA public")
    await engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'komek.sqlite3'}"
    if not POSTGRES:
        if os.environ.get("CI"):
            pytest.fail("CI must set KOMEK_TEST_POSTGRES_URL (.ci/run starts PostgreSQL)")
        pytest.skip("PostgreSQL tests run in CI (set KOMEK_TEST_POSTGRES_URL to run here)")
    await _fresh_postgres(POSTGRES)
    return POSTGRES


@pytest.fixture
async def sandbox():
    async with run_sandbox(port=0) as running:
        await running.client.state()
        yield running


@pytest.fixture
def settings(sandbox, database_url, tmp_path):
    return load_settings(
        database_url=database_url,
        api_base=sandbox.base_url,
        operator_chat_id=sandbox.client.operator_chat_id,
        bot_token=None,
        send_limits=False,  # the limits have tests of their own (test_limits.py)
        health_port=0,  # test_metrics.py serves it on a port of its own
    )


@pytest.fixture
async def bot(settings, knowledge):
    running = Running(settings, KnowledgeStore(settings.content_dir, knowledge))
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
def client(sandbox):
    return sandbox.client


@pytest.fixture
async def person(client):
    return await new_person(client, 5001)
