"""Control API: what people do (send, press, manage topics, block, migrate)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.sandbox import people
from bot.sandbox.api import WORLD_KEY
from bot.sandbox.control import body_of, guarded, opt_int

routes = web.RouteTableDef()
_WHERE = ("chat_id", "thread_id", "reply_to_message_id")
_RESERVED = frozenset({"from_id", "kind", "text", "caption", "kinds", "force", *_WHERE})


def _where(data: dict[str, Any]) -> dict[str, Any]:
    return {key: opt_int(data, key) for key in _WHERE if opt_int(data, key) is not None}


@routes.post("/control/send")
@guarded
async def send(request: web.Request) -> Any:
    """``{"from_id", "kind": "text"|"photo"|..., "text" or "caption", "chat_id"?,
    "thread_id"?, "reply_to_message_id"?, ...media options}`` -> the Message."""
    data = await body_of(request)
    kind = data.get("kind") or "text"
    text = data.get("text") if kind == "text" else data.get("caption")
    extra = {k: v for k, v in data.items() if k not in _RESERVED}
    stored = people.person_sends(
        request.app[WORLD_KEY],
        int(data["from_id"]),
        kind,
        text,
        force=bool(data.get("force")),
        **_where(data),
        **extra,
    )
    return stored.data


@routes.post("/control/edit")
@guarded
async def edit(request: web.Request) -> Any:
    """``{"from_id", "message_id", "text", "chat_id"?}`` -> the edited Message."""
    data = await body_of(request)
    stored = people.person_edits(
        request.app[WORLD_KEY],
        int(data["from_id"]),
        int(data["message_id"]),
        str(data["text"]),
        chat_id=opt_int(data, "chat_id"),
    )
    return stored.data


@routes.post("/control/album")
@guarded
async def album(request: web.Request) -> Any:
    data = await body_of(request)
    where = _where(data)
    where.pop("reply_to_message_id", None)
    sent = people.person_sends_album(
        request.app[WORLD_KEY],
        int(data["from_id"]),
        list(data["kinds"]),
        data.get("caption"),
        **where,
    )
    return [m.data for m in sent]


@routes.post("/control/press")
@guarded
async def press(request: web.Request) -> Any:
    """``{"from_id", "message_id", "data", "chat_id"?, "force"?}`` -> the callback_query update."""
    data = await body_of(request)
    return people.person_presses(
        request.app[WORLD_KEY],
        int(data["from_id"]),
        int(data["message_id"]),
        str(data["data"]),
        chat_id=opt_int(data, "chat_id"),
        force=bool(data.get("force")),
    )


@routes.post("/control/users/{user_id}/block")
@guarded
async def block(request: web.Request) -> Any:
    data = await body_of(request)
    blocked = bool(data.get("blocked", True))
    people.block_user(request.app[WORLD_KEY], int(request.match_info["user_id"]), blocked)
    return {"blocked": blocked}


@routes.post("/control/groups/{chat_id}/members")
@guarded
async def add_member(request: web.Request) -> Any:
    data = await body_of(request)
    world = request.app[WORLD_KEY]
    member = people.add_member(
        world,
        int(request.match_info["chat_id"]),
        int(data["user_id"]),
        data.get("first_name") or "Operator",
        data.get("status") or "member",
    )
    return {"user": world.users[member.user_id].to_api(), "status": member.status}


@routes.post("/control/groups/{chat_id}/migrate")
@guarded
async def migrate(request: web.Request) -> Any:
    new = people.migrate_group(request.app[WORLD_KEY], int(request.match_info["chat_id"]))
    return {"new_chat_id": new.id}


@routes.post("/control/chats/{chat_id}/topics")
@guarded
async def create_topic(request: web.Request) -> Any:
    data = await body_of(request)
    topic = people.person_creates_topic(
        request.app[WORLD_KEY],
        int(request.match_info["chat_id"]),
        int(data["from_id"]),
        str(data.get("name") or "Topic"),
    )
    return topic.to_control()


@routes.post("/control/chats/{chat_id}/topics/{thread_id}/{action}")
@guarded
async def topic_action(request: web.Request) -> Any:
    """``action`` is ``delete``, ``close`` or ``reopen``; ``{"from_id"?}`` names the person."""
    data = await body_of(request)
    topic = people.person_topic_action(
        request.app[WORLD_KEY],
        int(request.match_info["chat_id"]),
        int(request.match_info["thread_id"]),
        request.match_info["action"],
        opt_int(data, "from_id") or 0,
    )
    return topic.to_control()
