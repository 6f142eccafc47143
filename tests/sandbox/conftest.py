"""Fixtures: a running sandbox and a real aiogram Bot pointed at it."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.sandbox import Sandbox, SandboxClient, run_sandbox

TOKEN = "123456:SANDBOX-test-token"
USER = 5001
OPERATOR = 7001


@pytest_asyncio.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with run_sandbox() as running:
        yield running


@pytest_asyncio.fixture
async def client(sandbox: Sandbox) -> SandboxClient:
    return sandbox.client


def make_bot(base_url: str) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(base_url))
    return Bot(TOKEN, session=session)


@pytest_asyncio.fixture
async def bot(sandbox: Sandbox) -> AsyncIterator[Bot]:
    tg = make_bot(sandbox.base_url)
    try:
        yield tg
    finally:
        await tg.session.close()


@pytest_asyncio.fixture
async def people(client: SandboxClient) -> SandboxClient:
    """The client, with user USER (who has started the bot) and operator OPERATOR."""
    await client.create_user(USER, "Aziz", language_code="uz")
    await client.add_operator(OPERATOR, "Dana")
    return client
