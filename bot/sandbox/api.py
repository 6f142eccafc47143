"""The Bot API endpoint: ``/bot{token}/{method}`` and ``/file/bot{token}/{path}``."""

from __future__ import annotations

import asyncio
import copy
import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

# Importing the method modules registers their handlers.
from bot.sandbox import methods_chat, methods_edit, methods_send, methods_updates  # noqa: F401
from bot.sandbox.errors import NOT_FOUND, ApiError
from bot.sandbox.params import Params, read_request
from bot.sandbox.registry import lookup
from bot.sandbox.sendlog import sent_to
from bot.sandbox.state import World

log = logging.getLogger("bot.sandbox.api")
WORLD_KEY = web.AppKey("world", World)
CALL_LOG_LIMIT = 20_000


def _record(
    world: World,
    method: str,
    params: Params,
    body: dict[str, Any],
    started: float,
    client_gone: bool = False,
) -> None:
    finished = time.time()
    entry: dict[str, Any] = {
        "method": method,
        "params": params.loggable(),
        "ok": body["ok"],
        "time": started,
        "duration": round(finished - started, 4),
    }
    if body["ok"]:
        entry["result"] = copy.deepcopy(body["result"])
        target = sent_to(world, method, entry["params"], entry["result"])
        if target is not None:
            entry["sent"] = {"at": started, **target}  # Telegram counts what it receives
    else:
        entry["error"] = {k: v for k, v in body.items() if k != "ok"}
    if client_gone:
        entry["client_gone"] = True
    world.calls.append(entry)
    if len(world.calls) > CALL_LOG_LIMIT:
        del world.calls[: len(world.calls) - CALL_LOG_LIMIT]


async def call_method(
    world: World, name: str, params: Params, client_gone: Callable[[], bool] | None = None
) -> tuple[str, dict[str, Any]]:
    """Run one Bot API call with faults, delays and the call log; return (method, body).

    ``client_gone`` tells whether the caller's connection closed before the answer was
    ready: the call still takes effect (as in Telegram) and its log entry says so.
    """
    started = time.time()
    entry = lookup(name)
    canonical = entry[0] if entry else name
    try:
        if entry is None:
            raise NOT_FOUND
        delay = world.faults.take_delay(name.lower())
        if delay > 0:
            await asyncio.sleep(delay)
        fault = world.faults.take(name.lower(), params.raw.get("chat_id"))
        if fault is not None:
            raise fault
        body: dict[str, Any] = {"ok": True, "result": await entry[1](world, params)}
    except ApiError as exc:
        body = exc.to_json()
    except Exception:  # a sandbox bug: answer like a failing Telegram, keep serving
        log.exception("bot api %s crashed", canonical)
        body = ApiError(500, "Internal Server Error: sandbox failure").to_json()
    gone = client_gone is not None and client_gone()
    _record(world, canonical, params, body, started, gone)
    world.touch()
    if body["ok"]:
        log.debug("bot api %s ok chat=%s", canonical, params.raw.get("chat_id"))
    else:
        log.info("bot api %s failed: %s", canonical, body["error_code"])
    return canonical, body


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


async def handle_method(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    try:
        params = await read_request(request)
    except ApiError as exc:
        return web.json_response(exc.to_json(), status=exc.error_code)
    _, body = await call_method(
        world, request.match_info["method"], params, lambda: _client_gone(request)
    )
    return web.json_response(body, status=200 if body["ok"] else body["error_code"])


async def handle_file(request: web.Request) -> web.Response:
    world = request.app[WORLD_KEY]
    stored = world.files.by_path.get(request.match_info["path"])
    if stored is None:
        return web.json_response(NOT_FOUND.to_json(), status=404)
    return web.Response(
        body=stored.data, content_type=stored.mime_type or "application/octet-stream"
    )


def setup_routes(app: web.Application) -> None:
    app.router.add_route("*", "/bot{token}/{method}", handle_method)
    app.router.add_get("/file/bot{token}/{path:.+}", handle_file)
