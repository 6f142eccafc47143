"""The sandbox aiohttp application and helpers to run it."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources

from aiohttp import web

from bot.sandbox import control, control_actions
from bot.sandbox.api import WORLD_KEY, setup_routes
from bot.sandbox.client import SandboxClient
from bot.sandbox.state import World
from bot.sandbox.webhook import WebhookDeliverer

log = logging.getLogger("bot.sandbox")
DELIVERER_KEY = web.AppKey("webhook_deliverer", WebhookDeliverer)
MAX_BODY = 60 * 1024 * 1024


def index_html() -> str:
    return resources.files("bot.sandbox").joinpath("static/index.html").read_text("utf-8")


async def _index(request: web.Request) -> web.Response:
    return web.Response(text=index_html(), content_type="text/html", charset="utf-8")


async def _start_webhooks(app: web.Application) -> None:
    deliverer = WebhookDeliverer(app[WORLD_KEY])
    app[DELIVERER_KEY] = deliverer
    await deliverer.start()


async def _wake_waiters(app: web.Application) -> None:
    """On shutdown, end every long-poll at once instead of waiting for its timeout."""
    world = app[WORLD_KEY]
    world.updates.closing = True
    world.updates.notifier.changed()
    world.touch()


async def _stop_webhooks(app: web.Application) -> None:
    await app[DELIVERER_KEY].stop()


def create_app(world: World | None = None) -> web.Application:
    """The sandbox application: Bot API, file downloads, control API and the web page."""
    app = web.Application(client_max_size=MAX_BODY)
    app[WORLD_KEY] = world or World()
    setup_routes(app)
    app.add_routes(control.routes)
    app.add_routes(control_actions.routes)
    app.router.add_get("/", _index)
    app.on_startup.append(_start_webhooks)
    app.on_shutdown.append(_wake_waiters)
    app.on_cleanup.append(_stop_webhooks)
    return app


@dataclass
class Sandbox:
    """A running sandbox: its URL, a control client and the in-memory world."""

    base_url: str
    client: SandboxClient
    state: World
    app: web.Application


@asynccontextmanager
async def run_sandbox(
    host: str = "127.0.0.1", port: int = 0, world: World | None = None
) -> AsyncIterator[Sandbox]:
    """Run the sandbox in the current event loop; ``port=0`` picks a free port."""
    app = create_app(world)
    runner = web.AppRunner(app, shutdown_timeout=2.0, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    real_port = runner.addresses[0][1]
    base_url = f"http://{host}:{real_port}"
    client = SandboxClient(base_url)
    log.info("sandbox listening on %s", base_url)
    try:
        yield Sandbox(base_url, client, app[WORLD_KEY], app)
    finally:
        await client.close()
        await runner.cleanup()
