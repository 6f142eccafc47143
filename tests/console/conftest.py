"""A console over a fresh database (SQLite, or PostgreSQL when KOMEK_TEST_POSTGRES_URL is
set and the test asks for it), with the seed content, and a test client."""

from __future__ import annotations

import os

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.config import ROOT, load_settings
from bot.console.app import Console, make_app
from bot.console.auth import console_secret, mint_link
from bot.core.i18n import Catalogs
from bot.keys import open_database
from bot.knowledge import KnowledgeStore
from db.database import make_sessions

GROUP = -1001234567890
COORDINATOR, EDITOR, OPERATOR, STRANGER = 101, 202, 303, 404


POSTGRES = os.environ.get("KOMEK_TEST_POSTGRES_URL")


def bot_settings(tmp_path, sandbox, coordinator: int = COORDINATOR):  # type: ignore[no-untyped-def]
    """Settings of a whole bot on the sandbox, on SQLite, with a coordinator of the console."""
    return load_settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'komek.sqlite3'}",
        key_file=tmp_path / "komek.key",
        api_base=sandbox.base_url,
        operator_chat_id=sandbox.client.operator_chat_id,
        bot_token=None,
        send_limits=False,
        health_port=0,
        operator_lang="en",
        console_coordinators=[coordinator],
    )


@pytest.fixture(params=["sqlite"])
async def database_url(request, tmp_path) -> str:
    """SQLite; a test marked `parametrize("database_url", ["sqlite", "postgres"],
    indirect=True)` runs on an emptied PostgreSQL database too."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'console.sqlite3'}"
    if not POSTGRES:
        if os.environ.get("CI"):
            pytest.fail("CI must set KOMEK_TEST_POSTGRES_URL (.ci/run starts PostgreSQL)")
        pytest.skip("PostgreSQL tests run in CI (set KOMEK_TEST_POSTGRES_URL to run here)")
    from tests.e2e.conftest import _fresh_postgres

    await _fresh_postgres(POSTGRES)
    return POSTGRES


@pytest.fixture
async def console(tmp_path, knowledge, database_url):
    settings = load_settings(
        database_url=database_url,
        key_file=tmp_path / "komek.key",
        operator_chat_id=GROUP,
        console_port=8082,
        console_coordinators=[COORDINATOR],
        console_editors=[EDITOR],
        operator_lang="en",
    )
    engine = await open_database(settings)
    sessions = make_sessions(engine)
    yield await make_console(settings, sessions, KnowledgeStore(ROOT / "content", knowledge))
    await engine.dispose()


async def make_console(settings, sessions, store) -> Console:  # type: ignore[no-untyped-def]
    """A console over these sessions, for which everyone but STRANGER is in the group."""

    async def member(user_id: int) -> bool:
        return user_id != STRANGER

    console = Console(
        settings, sessions, store, Catalogs(settings.locales_dir), member, settings.operator_chat_id
    )
    console.secret = await console_secret(sessions)
    return console


@pytest.fixture
async def client(console):
    async with TestClient(TestServer(make_app(console))) as client:
        yield client


async def sign_in(client: TestClient, console: Console, user_id: int) -> None:
    token = await mint_link(console.sessions, user_id)
    page = await client.get(f"/login/link/{token}")
    assert page.status == 200 and token in await page.text()
    done = await client.post("/login/link", data={"token": token}, allow_redirects=False)
    assert done.status == 302, await done.text()
