"""/readyz's checks: the database (PostgreSQL stopped), the content, the Bot API's answers."""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from sqlalchemy.engine import make_url

from bot.ops.health import READY_AFTER, Health, TelegramWatch
from db.database import make_engine, make_sessions

POSTGRES = os.environ.get("KOMEK_TEST_POSTGRES_URL")


class Proxy:
    """A TCP hop in front of PostgreSQL: stopping it is, for the bot, the server stopping."""

    def __init__(self, host: str, port: int):
        self.target = (host, port)
        self.writers: list[asyncio.StreamWriter] = []

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return self.server.sockets[0].getsockname()[1]

    async def _client(self, reader, writer) -> None:  # type: ignore[no-untyped-def]
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.writers += [writer, up_writer]
        await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))

    async def stop(self) -> None:
        self.server.close()
        for writer in self.writers:
            writer.close()
        await self.server.wait_closed()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


def health_of(url: str, watch: TelegramWatch | None = None, version: str | None = "1") -> Health:
    engine = make_engine(url)
    return Health(url, engine, make_sessions(engine), None, lambda: version, watch or _fresh())  # type: ignore[arg-type]


def _fresh() -> TelegramWatch:
    watch = TelegramWatch()
    watch.answered_at = time.monotonic()
    return watch


async def test_postgresql_stopped_makes_the_database_unready():
    if not POSTGRES:
        if os.environ.get("CI"):
            pytest.fail("CI must set KOMEK_TEST_POSTGRES_URL")
        pytest.skip("set KOMEK_TEST_POSTGRES_URL to run the PostgreSQL case")
    real = make_url(POSTGRES)
    proxy = Proxy(real.host or "127.0.0.1", real.port or 5432)
    port = await proxy.start()
    url = real.set(port=port).render_as_string(hide_password=False)
    health = health_of(url)
    try:
        assert (await health.checks())["database"] == "ok"
        await proxy.stop()
        checks = await health.checks()
        assert checks["database"].startswith("unreachable"), checks
        assert checks["content"] == "ok" and checks["telegram"] == "ok"
    finally:
        await health._engine.dispose()


async def test_no_content_or_a_silent_bot_api_is_unready(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'none.sqlite3'}"
    checks = await health_of(url, version=None).checks()
    assert checks["content"] == "not loaded"
    assert checks["database"].startswith("unreachable")  # the file was never made
    assert not (tmp_path / "none.sqlite3").exists()  # and the check does not make it
    silent = TelegramWatch()
    assert (await health_of(url, silent).checks())["telegram"] == "no answer yet"
    silent.answered_at = time.monotonic() - READY_AFTER - 5
    assert (await health_of(url, silent).checks())["telegram"].startswith("no answer for")
