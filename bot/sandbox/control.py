"""Control API (``/control/...``): set up the world, inspect it and inject faults.

Every response is ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": "...",
"error_code": N}`` with HTTP status N. Actions of people live in :mod:`control_actions`.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot.sandbox.api import WORLD_KEY
from bot.sandbox.errors import ApiError
from bot.sandbox.faults import Delay, Fault
from bot.sandbox.models import Chat, User
from bot.sandbox.sendlog import send_log
from bot.sandbox.state import GENERAL_THREAD_ID, World

routes = web.RouteTableDef()
RouteHandler = Callable[[web.Request], Awaitable[web.Response]]
MAX_WAIT = 120.0


def ok(result: Any = True) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def guarded(handler: Callable[[web.Request], Awaitable[Any]]) -> RouteHandler:
    """Wrap a handler returning a result; turn errors into the control error envelope."""

    @functools.wraps(handler)
    async def wrapper(request: web.Request) -> web.Response:
        world = request.app[WORLD_KEY]
        try:
            result = await handler(request)
        except ApiError as exc:
            body = {"ok": False, "error": exc.description, "error_code": exc.error_code}
            return web.json_response(body, status=exc.error_code)
        except (KeyError, ValueError, TypeError) as exc:
            body = {"ok": False, "error": f"bad control request: {exc!r}", "error_code": 400}
            return web.json_response(body, status=400)
        if request.method != "GET":
            world.touch()
        return result if isinstance(result, web.StreamResponse) else ok(result)

    return wrapper


async def body_of(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    data = await request.json()
    if not isinstance(data, dict):
        raise ValueError("the body must be a JSON object")
    return data


def opt_int(query: Any, name: str) -> int | None:
    value = query.get(name)
    return None if value in (None, "", "null") else int(value)


def opt_bool(query: Any, name: str) -> bool | None:
    value = query.get(name)
    if value in (None, "", "null"):
        return None
    return str(value).lower() in ("1", "true", "yes")


ACTIVE_STATUSES = frozenset({"creator", "administrator", "member"})


def is_active_member(chat: Chat | None, user_id: int) -> bool:
    member = chat.members.get(user_id) if chat is not None else None
    return member is not None and member.status in ACTIVE_STATUSES


def user_info(world: World, user: User) -> dict[str, Any]:
    """A person plus what the page needs to tell migrants from operators.

    ``is_operator``: an active member of the operator group. ``private_messages``,
    ``last_message_id`` and ``last_message_date`` describe their private chat with the bot.
    """
    chat = world.chats.get(user.id)
    visible = chat.visible() if chat is not None and chat.user is not None else []
    last = visible[-1].data if visible else None
    return {
        **user.to_api(),
        "blocked": user.blocked,
        "started": user.started,
        "is_operator": is_active_member(world.chats.get(world.operator_chat_id), user.id),
        "private_messages": len(visible),
        "last_message_id": last["message_id"] if last else None,
        "last_message_date": last["date"] if last else None,
    }


def migrants(world: World) -> list[User]:
    """People who talk to the bot privately: everyone but the bot and the operators."""
    operators = world.chats.get(world.operator_chat_id)
    return [
        u for u in world.users.values() if not u.is_bot and not is_active_member(operators, u.id)
    ]


def default_migrant(world: World) -> int | None:
    """The migrant whose private chat has the newest message (the newest person if none has)."""
    best: tuple[int, int] | None = None
    chosen: int | None = None
    for index, user in enumerate(migrants(world)):
        chat = world.chats.get(user.id)
        visible = chat.visible() if chat is not None else []
        key = (int(visible[-1].data.get("date") or 0) if visible else -1, index)
        if best is None or key > best:
            best, chosen = key, user.id
    return chosen


def operators_of(world: World, chat: Chat) -> list[int]:
    """Active human members of a group, in the order they joined."""
    return [
        m.user_id
        for m in chat.members.values()
        if m.status in ACTIVE_STATUSES and m.user_id in world.users
    ]


def chat_info(world: World, chat: Chat) -> dict[str, Any]:
    members = [
        {"user": (world.users.get(m.user_id) or world.bot).to_api(), "status": m.status}
        for m in chat.members.values()
        if m.user_id in world.users or m.user_id == world.bot.id
    ]
    return {
        **chat.to_api(),
        "members": members,
        "migrated_to": chat.migrated_to,
        "message_count": len(chat.visible()),
        "topics": [t.to_control() for t in chat.topics.values()],
    }


def world_info(world: World) -> dict[str, Any]:
    hook = world.webhook
    return {
        "bot": world.bot.to_api(),
        "operator_chat_id": world.operator_chat_id,
        "users": [user_info(world, u) for u in world.users.values()],
        "default_user_id": default_migrant(world),
        "groups": [chat_info(world, c) for c in world.chats.values() if c.user is None],
        "webhook": {"url": hook.url, "last_error_message": hook.last_error_message},
        "pending_updates": len(world.updates.items),
        "polling": world.updates.waiting,
        "version": world.changes.version,
    }


@routes.get("/control/state")
@guarded
async def get_state(request: web.Request) -> Any:
    return world_info(request.app[WORLD_KEY])


def _pick_group(world: World, wanted: int | None) -> Chat | None:
    groups = [c for c in world.chats.values() if c.user is None and c.migrated_to is None]
    for chat_id in (wanted, world.operator_chat_id):
        chat = next((c for c in groups if c.id == chat_id), None)
        if chat is not None:
            return chat
    return groups[0] if groups else None


def page_view(
    world: World,
    user_id: int | None = None,
    chat_id: int | None = None,
    thread_id: int | None = None,
    operator_id: int | None = None,
) -> dict[str, Any]:
    """Everything the page shows, read at one instant, with the selection resolved.

    A wanted migrant, group, topic or operator that does not exist (any more) falls back to
    the default: the migrant with the newest private message, the operator group, General
    (thread 1) and the group's first operator.
    """
    info = world_info(world)
    if user_id not in {u.id for u in migrants(world)}:
        user_id = info["default_user_id"]
    group = _pick_group(world, chat_id)
    topic = group.topics.get(thread_id or 0) if group is not None else None
    thread = topic.thread_id if topic is not None else GENERAL_THREAD_ID
    operators = operators_of(world, group) if group is not None else []
    if operator_id not in operators:
        operator_id = operators[0] if operators else None
    private = world.messages(user_id) if user_id is not None else []
    deleted = topic is not None and topic.deleted
    messages = (
        world.messages(group.id, thread_id=thread, include_deleted=deleted)
        if group is not None
        else []
    )
    return {
        "state": info,
        "user_id": user_id,
        "private": private,
        "chat_id": group.id if group is not None else None,
        "thread_id": thread,
        "operator_id": operator_id,
        "group": messages,
    }


@routes.get("/control/view")
@guarded
async def get_view(request: web.Request) -> Any:
    """What the web page renders, in one request: ``user_id, chat_id, thread_id, operator_id``
    name the wanted selection; the answer has the state, the resolved selection and messages."""
    query = request.query
    return page_view(
        request.app[WORLD_KEY],
        user_id=opt_int(query, "user_id"),
        chat_id=opt_int(query, "chat_id"),
        thread_id=opt_int(query, "thread_id"),
        operator_id=opt_int(query, "operator_id"),
    )


@routes.post("/control/reset")
@guarded
async def reset(request: web.Request) -> Any:
    world = request.app[WORLD_KEY]
    world.reset()
    return world_info(world)


@routes.get("/control/users")
@guarded
async def list_users(request: web.Request) -> Any:
    world = request.app[WORLD_KEY]
    return [user_info(world, u) for u in world.users.values()]


@routes.post("/control/users")
@guarded
async def create_user(request: web.Request) -> Any:
    data = await body_of(request)
    fields = {k: data.get(k) for k in ("last_name", "username", "language_code", "started")}
    world = request.app[WORLD_KEY]
    user = world.add_user(int(data["user_id"]), data.get("first_name") or "Test", **fields)
    return user_info(world, user)


@routes.post("/control/groups")
@guarded
async def create_group(request: web.Request) -> Any:
    data = await body_of(request)
    world = request.app[WORLD_KEY]
    chat_id = opt_int(data, "chat_id")
    if chat_id is not None and chat_id in world.chats:
        raise ApiError(409, f"chat {chat_id} already exists")
    chat = world.add_group(
        chat_id,
        data.get("title") or "Group",
        is_forum=bool(data.get("is_forum", True)),
        chat_type=data.get("type") or "supergroup",
        bot_status=data.get("bot_status") or "administrator",
        bot_rights=data.get("bot_rights"),
        username=data.get("username"),
    )
    if data.get("operator_group"):
        world.operator_chat_id = chat.id
    return chat_info(world, chat)


@routes.get("/control/chats")
@guarded
async def list_chats(request: web.Request) -> Any:
    world = request.app[WORLD_KEY]
    return [chat_info(world, c) for c in world.chats.values()]


@routes.get("/control/chats/{chat_id}/messages")
@guarded
async def chat_messages(request: web.Request) -> Any:
    """Messages of a chat; with ``count`` and ``wait`` it long-polls until enough exist."""
    world = request.app[WORLD_KEY]
    query = request.query
    chat_id = int(request.match_info["chat_id"])
    filters: dict[str, Any] = {
        "thread_id": opt_int(query, "thread_id"),
        "after_id": opt_int(query, "after_id") or 0,
        "from_bot": opt_bool(query, "from_bot"),
        "include_deleted": bool(opt_bool(query, "include_deleted")),
    }
    count = opt_int(query, "count") or 0
    wait = min(float(query.get("wait") or 0), MAX_WAIT)
    if count and wait > 0:
        await world.changes.wait_for(
            lambda: world.updates.closing or len(world.messages(chat_id, **filters)) >= count,
            wait,
        )
    return world.messages(chat_id, **filters)


@routes.get("/control/chats/{chat_id}/topics")
@guarded
async def chat_topics(request: web.Request) -> Any:
    chat = request.app[WORLD_KEY].chats.get(int(request.match_info["chat_id"]))
    if chat is None:
        raise ApiError(404, "chat not found")
    return [t.to_control() for t in chat.topics.values()]


@routes.get("/control/calls")
@guarded
async def list_calls(request: web.Request) -> Any:
    calls = request.app[WORLD_KEY].calls
    name = (request.query.get("method") or "").lower()
    since = opt_int(request.query, "since") or 0
    return [c for c in calls[since:] if not name or c["method"].lower() == name]


@routes.get("/control/send_log")
@guarded
async def get_send_log(request: web.Request) -> Any:
    """Successful calls that put something in a chat: ``at`` (time.time()), ``chat_id``,
    ``thread_id``, ``method``, ``messages``; ``chat_id`` and ``since`` (a time) filter."""
    since = request.query.get("since")
    return send_log(
        request.app[WORLD_KEY].calls,
        chat_id=opt_int(request.query, "chat_id"),
        since=None if since in (None, "", "null") else float(since),
    )


@routes.get("/control/callback_answers")
@guarded
async def list_callback_answers(request: web.Request) -> Any:
    """All answerCallbackQuery calls; ``callback_query_id`` (with ``wait``: long-poll until the
    bot answered it) picks one query's answers."""
    world = request.app[WORLD_KEY]
    wanted = request.query.get("callback_query_id")
    if not wanted:
        return world.callback_answers

    def answers() -> list[dict[str, Any]]:
        return [a for a in world.callback_answers if a["callback_query_id"] == wanted]

    wait = min(float(request.query.get("wait") or 0), MAX_WAIT)
    if wait > 0:
        await world.changes.wait_for(lambda: world.updates.closing or answers(), wait)
    return answers()


@routes.get("/control/updates")
@guarded
async def pending_updates(request: web.Request) -> Any:
    return request.app[WORLD_KEY].updates.items


@routes.get("/control/faults")
@guarded
async def list_faults(request: web.Request) -> Any:
    return request.app[WORLD_KEY].faults.to_json()


@routes.post("/control/faults")
@guarded
async def add_fault(request: web.Request) -> Any:
    """Add a fault. It ends after ``times`` failed calls or ``for_seconds``, whichever comes
    first. Without ``times`` it fails one call, or, with ``for_seconds``, ``until_cleared``
    or a ``probability`` below 1, every matching call until its time is up or it is cleared.
    """
    data = await body_of(request)
    probability = float(data.get("probability") if data.get("probability") is not None else 1)
    for_seconds = data.get("for_seconds")
    times = opt_int(data, "times")
    if data.get("until_cleared"):
        if times is not None:
            raise ValueError("times and until_cleared exclude each other")
    elif times is None and for_seconds is None and probability >= 1:
        times = 1
    fault = Fault(
        method=str(data["method"]),
        error_code=int(data["error_code"]),
        description=data.get("description") or "",
        retry_after=opt_int(data, "retry_after"),
        migrate_to_chat_id=opt_int(data, "migrate_to_chat_id"),
        chat_id=data.get("chat_id"),
        times=times,
        probability=probability,
        seed=opt_int(data, "seed") or 0,
        for_seconds=None if for_seconds is None else float(for_seconds),
    )
    request.app[WORLD_KEY].faults.add(fault)
    return request.app[WORLD_KEY].faults.to_json()


@routes.delete("/control/faults")
@guarded
async def clear_faults(request: web.Request) -> Any:
    request.app[WORLD_KEY].faults.clear()
    return True


@routes.post("/control/delays")
@guarded
async def add_delay(request: web.Request) -> Any:
    data = await body_of(request)
    delay = Delay(str(data["method"]), float(data["seconds"]), opt_int(data, "times"))
    request.app[WORLD_KEY].faults.add_delay(delay)
    return request.app[WORLD_KEY].faults.to_json()


@routes.get("/control/poll")
@guarded
async def poll(request: web.Request) -> Any:
    """Long-poll until anything in the world changes; returns the new ``version``."""
    world = request.app[WORLD_KEY]
    version = opt_int(request.query, "version")
    wait = min(float(request.query.get("wait") or 25), MAX_WAIT)
    await world.changes.wait_for(
        lambda: world.updates.closing or world.changes.version != version, wait
    )
    return {"version": world.changes.version}


@routes.get("/control/files/{file_id}")
@guarded
async def get_file_bytes(request: web.Request) -> Any:
    stored = request.app[WORLD_KEY].files.get(request.match_info["file_id"])
    if stored is None:
        raise ApiError(404, "file not found")
    mime = stored.mime_type or "application/octet-stream"
    return web.Response(body=stored.data, content_type=mime)
