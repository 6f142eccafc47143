"""Registry of Bot API method handlers (method names are case-insensitive)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bot.sandbox.errors import bad_request
from bot.sandbox.params import Params
from bot.sandbox.state import World

Handler = Callable[[World, Params], Awaitable[Any]]
METHODS: dict[str, tuple[str, Handler]] = {}


def method(*names: str) -> Callable[[Handler], Handler]:
    """Register a coroutine ``handler(world, params)`` under one or more method names."""

    def register(handler: Handler) -> Handler:
        for name in names:
            METHODS[name.lower()] = (name, handler)
        return handler

    return register


def lookup(name: str) -> tuple[str, Handler] | None:
    return METHODS.get(name.lower())


def require_chat_id(p: Params, name: str = "chat_id") -> int | str:
    chat_id = p.chat_id(name)
    if chat_id is None:
        raise bad_request(f"{name} is empty")
    return chat_id
