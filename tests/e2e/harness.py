"""Driving the real bot through the sandbox: people who chat, and operators who answer."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.app import Komek
from bot.config import Settings
from bot.knowledge import KnowledgeStore
from bot.sandbox.client import SandboxClient


async def eventually(check: Callable[[], Awaitable[Any]], timeout: float = 10.0) -> Any:
    """Poll `check` until it returns something truthy; fail with what it last returned."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(0.05)
    raise AssertionError(f"condition not met within {timeout}s; last value: {last!r}")


def buttons(message: dict) -> list[dict]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def button_data(message: dict) -> list[str]:
    return [b.get("callback_data", "") for b in buttons(message)]


class Person:
    """A migrant on a phone: writes, presses buttons, reads the bot's replies."""

    def __init__(self, client: SandboxClient, user_id: int):
        self.client = client
        self.id = user_id

    async def says(self, text: str, replies: int = 1) -> list[dict]:
        sent = await self.client.user_sends_text(self.id, text)
        return await self.client.wait_for_messages(self.id, replies, after_id=sent["message_id"])

    async def sends(self, kind: str, replies: int = 1, **extra: Any) -> list[dict]:
        sent = await self.client.user_sends_media(self.id, kind, **extra)
        if replies == 0:
            return [sent]
        return await self.client.wait_for_messages(self.id, replies, after_id=sent["message_id"])

    async def bot_messages(self) -> list[dict]:
        return await self.client.messages(self.id, from_bot=True)

    async def last(self) -> dict:
        return (await self.bot_messages())[-1]

    async def press(self, message: dict, data: str, new_messages: int = 0) -> dict:
        """Press the button with this callback data; return the message that answers it:
        the same message edited in place, or the first of `new_messages` new ones."""
        assert data in button_data(message), f"no button {data!r} in {button_data(message)}"
        before = (await self.last())["message_id"]
        old = (message.get("text"), message.get("reply_markup"))
        await self.client.user_presses(self.id, message["message_id"], data)
        if new_messages:
            found = await self.client.wait_for_messages(self.id, new_messages, after_id=before)
            return found[0]

        async def edited() -> dict | None:
            for m in await self.bot_messages():
                if m["message_id"] == message["message_id"] and (
                    (m.get("text"), m.get("reply_markup")) != old
                ):
                    return m
            return None

        return await eventually(edited)


async def new_person(client: SandboxClient, user_id: int, language_code: str = "ru") -> Person:
    await client.create_user(user_id, language_code=language_code)
    return Person(client, user_id)


class Running:
    """A bot process that can be stopped and started again on the same database."""

    def __init__(self, settings: Settings, store: KnowledgeStore):
        self.settings = settings
        self.store = store
        self.komek: Komek | None = None
        self._task: asyncio.Task | None = None

    async def start(self) -> Komek:
        self.komek = await Komek.create(self.settings, store=self.store)
        self._task = asyncio.create_task(self.komek.run(polling_timeout=1))
        return self.komek

    async def stop(self) -> None:
        """A graceful stop, as on SIGTERM."""
        if self.komek is not None:
            self.komek.stop()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self.komek is not None:
            await self.komek.close()
        self.komek, self._task = None, None
