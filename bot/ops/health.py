"""/healthz, /readyz and /metrics: on the webhook port in webhook mode, else on a small
server of their own (KOMEK_HEALTH_HOST, KOMEK_HEALTH_PORT).

- /healthz: the process is up and its loop answers (200).
- /readyz: 200 when the database answers, the content is loaded and the Bot API answered
  within the last READY_AFTER seconds; 503 otherwise, with what failed.
- /metrics: the Prometheus text format (bot/ops/metrics.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from aiogram import Bot
from aiogram.client.session.middlewares.base import BaseRequestMiddleware
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramRetryAfter
from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.core.vocabulary import TicketStatus
from bot.ops import metrics
from bot.services.outbox import Outbox
from db.database import Sessions
from db.models import Ticket

log = logging.getLogger(__name__)

READY_AFTER = 180.0  # seconds without an answer from the Bot API before /readyz says so
PROBE_EVERY = 60.0  # with no other call for this long, getMe asks whether Telegram answers
CHECK_TIMEOUT = 5.0


class TelegramWatch(BaseRequestMiddleware):
    """Every Bot API call: when Telegram last answered (an error answer counts, a network
    failure does not), and the 429s with the wait they asked for."""

    def __init__(self) -> None:
        self.answered_at: float | None = None

    async def __call__(self, make_request, bot, method):  # type: ignore[no-untyped-def]
        try:
            response = await make_request(bot, method)
        except TelegramNetworkError:
            raise
        except TelegramRetryAfter as exc:
            self.answered_at = time.monotonic()
            name = getattr(method, "__api_method__", type(method).__name__)
            metrics.RETRY_AFTER.labels(name).inc()
            metrics.RETRY_AFTER_SECONDS.inc(exc.retry_after)
            raise
        except TelegramAPIError:
            self.answered_at = time.monotonic()
            raise
        self.answered_at = time.monotonic()
        return response

    def silent_for(self) -> float | None:
        return None if self.answered_at is None else time.monotonic() - self.answered_at


class Health:
    """What /readyz checks, and the gauges /metrics reads from the database."""

    def __init__(
        self,
        database_url: str,
        engine: AsyncEngine,
        sessions: Sessions,
        outbox: Outbox,
        content_version: Callable[[], str | None],
        telegram: TelegramWatch,
    ):
        url = make_url(database_url)
        self._sqlite = Path(url.database) if url.get_backend_name() == "sqlite" else None
        self._engine, self._sessions, self._outbox = engine, sessions, outbox
        self._content_version = content_version
        self.telegram = telegram

    async def checks(self) -> dict[str, str]:
        found = {"database": await self._database(), "content": "ok", "telegram": "ok"}
        if not self._content_version():
            found["content"] = "not loaded"
        silent = self.telegram.silent_for()
        if silent is None:
            found["telegram"] = "no answer yet"
        elif silent > READY_AFTER:
            found["telegram"] = f"no answer for {silent:.0f}s"
        return found

    async def _database(self) -> str:
        try:
            if self._sqlite is not None:  # beside the pool's one connection, which may be busy
                await asyncio.wait_for(asyncio.to_thread(_sqlite_answers, self._sqlite), 5.0)
            else:
                async with asyncio.timeout(CHECK_TIMEOUT), self._engine.connect() as conn:
                    await conn.execute(text("SELECT 1"))
        except Exception as exc:  # what failed, by name: never a stored value
            return f"unreachable ({type(exc).__name__})"
        return "ok"

    async def refresh_gauges(self) -> None:
        count, age = await self._outbox.depth()
        metrics.OUTBOX_PENDING.set(count)
        metrics.OUTBOX_AGE.set(age)
        async with self._sessions.apart() as session:
            rows = await session.execute(
                select(Ticket.lang, Ticket.urgent, func.count())
                .where(Ticket.status == TicketStatus.WAITING)
                .group_by(Ticket.lang, Ticket.urgent)
            )
            metrics.TICKETS_WAITING.clear()
            for lang, urgent, n in rows:
                metrics.TICKETS_WAITING.labels(lang, "yes" if urgent else "no").set(n)


def _sqlite_answers(path: Path) -> None:
    """The file is there and answers (mode=rw: a removed file is not made again)."""
    conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=CHECK_TIMEOUT)
    try:
        conn.execute("SELECT count(*) FROM alembic_version").fetchone()
    finally:
        conn.close()


def add_routes(app: web.Application, health: Health) -> None:
    async def healthz(_request: web.Request) -> web.Response:
        return web.json_response({"status": "ok"})

    async def readyz(_request: web.Request) -> web.Response:
        checks = await health.checks()
        ready = all(v == "ok" for v in checks.values())
        metrics.READY.set(1 if ready else 0)
        return web.json_response({"ready": ready, **checks}, status=200 if ready else 503)

    async def scrape(_request: web.Request) -> web.Response:
        try:
            await health.refresh_gauges()
        except Exception as exc:  # the counters are still worth reading
            log.warning("metrics: stored numbers not read (%s)", type(exc).__name__)
        body = generate_latest()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", scrape)


async def serve_health(health: Health, host: str, port: int) -> web.AppRunner | None:
    """The health server of its own (polling mode); a port taken is told, not fatal."""
    app = web.Application()
    add_routes(app, health)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as exc:
        log.error("health and metrics not served on %s:%s: %s", host, port, exc.strerror)
        await runner.cleanup()
        return None
    log.info("health and metrics on http://%s:%s/ (healthz, readyz, metrics)", host, port)
    return runner


async def probe_telegram(bot: Bot, watch: TelegramWatch, stopping: asyncio.Event) -> None:
    """When nothing else called the Bot API for a while (webhook mode at night), getMe."""
    while not stopping.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), PROBE_EVERY / 2)
        silent = watch.silent_for()
        if stopping.is_set() or (silent is not None and silent < PROBE_EVERY):
            continue
        with contextlib.suppress(TelegramAPIError, OSError, TimeoutError):
            await bot.get_me()
