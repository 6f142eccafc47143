"""Webhook delivery: POST each pending update to the bot's URL, in order, retrying on errors."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

from aiohttp import ClientError, ClientResponse, ClientSession, ClientTimeout, MultipartReader

from bot.sandbox.api import call_method
from bot.sandbox.params import Params, read_multipart
from bot.sandbox.state import World

log = logging.getLogger("bot.sandbox.webhook")
RETRY_DELAYS = (0.1, 0.25, 0.5, 1.0, 2.0)


class WebhookDeliverer:
    """A background task that runs while the server runs and a webhook is set."""

    def __init__(self, world: World, request_timeout: float = 10.0) -> None:
        self.world = world
        self.request_timeout = request_timeout
        self._task: asyncio.Task[None] | None = None
        self._session: ClientSession | None = None

    async def start(self) -> None:
        self._session = ClientSession()
        self._task = asyncio.create_task(self._run(), name="sandbox-webhook")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._session is not None:
            await self._session.close()

    def _next(self) -> list[dict[str, Any]] | bool:
        """The next update to deliver, or ``True`` when shutting down."""
        world = self.world
        if world.updates.closing:
            return True
        if not world.webhook.url:
            return []
        return world.updates.deliverable(1)

    async def _run(self) -> None:
        failures = 0
        while not self.world.updates.closing:
            pending = await self.world.updates.notifier.wait_for(self._next, 30.0)
            if not isinstance(pending, list) or not pending:
                continue
            update = pending[0]
            if await self._post(update):
                failures = 0
                self.world.updates.confirm(update["update_id"] + 1)
                self.world.touch()
            else:
                failures += 1
                await asyncio.sleep(RETRY_DELAYS[min(failures, len(RETRY_DELAYS)) - 1])

    async def _post(self, update: dict[str, Any]) -> bool:
        assert self._session is not None
        hook = self.world.webhook
        headers = {}
        if hook.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = hook.secret_token
        try:
            async with self._session.post(
                hook.url,
                json=update,
                headers=headers,
                timeout=ClientTimeout(total=self.request_timeout),
            ) as resp:
                if 200 <= resp.status < 300:
                    await self._run_reply(resp)
                    return True
                error = f"Wrong response from the webhook: {resp.status} {resp.reason}"
        except (ClientError, TimeoutError) as exc:
            error = f"Connection failed: {type(exc).__name__}"
        hook.last_error_date = int(time.time())
        hook.last_error_message = error
        log.info("webhook delivery of update %s failed", update["update_id"])
        return False

    async def _run_reply(self, resp: ClientResponse) -> None:
        """Execute a Bot API method returned in the webhook response, as Telegram does."""
        raw: dict[str, Any] = {}
        files: dict[str, Any] = {}
        try:
            if resp.content_type == "application/json":
                body = await resp.json()
                raw = body if isinstance(body, dict) else {}
            elif resp.content_type.startswith("multipart/"):
                raw, files = await read_multipart(MultipartReader(resp.headers, resp.content))
        except (ValueError, ClientError):
            return
        name = raw.pop("method", None)
        if isinstance(name, str) and name:
            await call_method(self.world, name, Params(raw, files))
