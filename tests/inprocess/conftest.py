"""The real bot in the test's process, with `FakeTelegram` as its Bot API session."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import pytest
from aiogram import Bot

from bot.app import SANDBOX_TOKEN, Komek
from bot.config import load_settings
from bot.knowledge import KnowledgeStore
from tests.inprocess.fake_telegram import FakeTelegram

GROUP = -1001234567890


@pytest.fixture
def telegram() -> FakeTelegram:
    return FakeTelegram(GROUP)


@pytest.fixture
def settings(tmp_path: Path):
    return load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'komek.sqlite3'}",
        api_base="http://telegram.invalid",  # never called: the session is the fake
        operator_chat_id=GROUP,
        bot_token=None,
        send_limits=False,
        health_port=0,
        key_file=tmp_path / "komek.key",
    )


@pytest.fixture
async def komek(settings, knowledge, telegram):
    komek = await Komek.create(
        settings,
        bot=Bot(SANDBOX_TOKEN, session=telegram),
        store=KnowledgeStore(settings.content_dir, knowledge),
    )
    task = asyncio.create_task(komek.run(polling_timeout=1))
    yield komek
    komek.stop()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    await komek.close()
