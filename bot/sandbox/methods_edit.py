"""Bot API: editing, deleting, copying and forwarding messages."""

from __future__ import annotations

import time
from typing import Any

from bot.sandbox.errors import bad_request
from bot.sandbox.markup import caption, message_text, reply_markup
from bot.sandbox.media import MEDIA_KINDS
from bot.sandbox.methods_send import deliver
from bot.sandbox.models import Chat, StoredMessage
from bot.sandbox.params import Params
from bot.sandbox.registry import method, require_chat_id
from bot.sandbox.state import World

NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly the "
    "same as a current content and reply markup of the message"
)
COPYABLE = (
    "text",
    "entities",
    "link_preview_options",
    "caption",
    "caption_entities",
    "show_caption_above_media",
    "has_media_spoiler",
    *MEDIA_KINDS,
    "location",
    "contact",
    "venue",
)
MEDIA_KEYS = frozenset({"photo", "voice", "audio", "document", "video", "animation"})


def _editable(world: World, p: Params) -> tuple[Chat, StoredMessage]:
    if p.has("inline_message_id"):
        raise bad_request("MESSAGE_ID_INVALID")  # inline mode is not modelled
    chat = world.writable_chat(require_chat_id(p))
    message_id = p.get_int("message_id")
    if not message_id:
        raise bad_request("message identifier is not specified")
    stored = chat.message(message_id)
    if stored is None:
        raise bad_request("message to edit not found")
    if stored.sender_id != world.bot.id:
        raise bad_request("message can't be edited")
    return chat, stored


def _apply_edit(stored: StoredMessage, changes: dict[str, Any], drop: tuple[str, ...]) -> None:
    data = stored.data
    before = {k: data.get(k) for k in (*changes, *drop, "reply_markup")}
    after = {**{k: None for k in drop}, **changes}
    after = {k: (after[k] if k in after else data.get(k)) for k in before}
    if {k: v for k, v in before.items() if v} == {k: v for k, v in after.items() if v}:
        raise bad_request(NOT_MODIFIED)
    for key, value in after.items():
        if value:
            data[key] = value
        else:
            data.pop(key, None)
    data["edit_date"] = int(time.time())


def _inline_only(p: Params) -> dict[str, Any] | None:
    markup = reply_markup(p)
    if markup is not None and "inline_keyboard" not in markup:
        raise bad_request("inline keyboard expected")
    return markup


@method("editMessageText")
async def edit_message_text(world: World, p: Params) -> dict[str, Any]:
    _, stored = _editable(world, p)
    if "text" not in stored.data:
        raise bad_request("there is no text in the message to edit")
    content = message_text(world, p)
    changes = {**content, "reply_markup": _inline_only(p)}
    _apply_edit(stored, changes, ("entities", "link_preview_options"))
    return stored.data


@method("editMessageCaption")
async def edit_message_caption(world: World, p: Params) -> dict[str, Any]:
    _, stored = _editable(world, p)
    if not MEDIA_KEYS & stored.data.keys():
        raise bad_request("there is no caption in the message to edit")
    changes = {**caption(world, p), "reply_markup": _inline_only(p)}
    _apply_edit(stored, changes, ("caption", "caption_entities"))
    return stored.data


@method("editMessageReplyMarkup")
async def edit_message_reply_markup(world: World, p: Params) -> dict[str, Any]:
    _, stored = _editable(world, p)
    _apply_edit(stored, {"reply_markup": _inline_only(p)}, ())
    return stored.data


def _deletable(world: World, chat: Chat, stored: StoredMessage | None) -> StoredMessage:
    if stored is None:
        raise bad_request("message to delete not found")
    if chat.user is None and stored.sender_id != world.bot.id:
        rights = world.bot_member(chat).rights
        if not rights.get("can_delete_messages"):
            raise bad_request("message can't be deleted")
    return stored


@method("deleteMessage")
async def delete_message(world: World, p: Params) -> bool:
    chat = world.chat(require_chat_id(p))
    _deletable(world, chat, chat.message(p.get_int("message_id"))).deleted = True
    return True


@method("deleteMessages")
async def delete_messages(world: World, p: Params) -> bool:
    chat = world.chat(require_chat_id(p))
    ids = p.get_json("message_ids")
    if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
        raise bad_request("message identifiers are not specified")
    for message_id in ids:
        stored = chat.message(int(message_id))
        if stored is not None:
            _deletable(world, chat, stored).deleted = True
    return True


def _source(world: World, p: Params, message_id: int | None) -> StoredMessage:
    chat = world.chat(require_chat_id(p, "from_chat_id"))
    stored = chat.message(message_id)
    if stored is None:
        raise bad_request("message to copy not found")
    return stored


def copyable(data: dict[str, Any]) -> dict[str, Any]:
    content = {k: data[k] for k in COPYABLE if k in data}
    if not content:
        raise bad_request("message can't be copied")
    return content


def _copy_one(world: World, p: Params, stored: StoredMessage) -> StoredMessage:
    content = copyable(stored.data)
    if MEDIA_KEYS & content.keys():
        if p.has("caption") or p.get_bool("remove_caption"):
            content.pop("caption", None)
            content.pop("caption_entities", None)
            content.update(caption(world, p))
        if p.get_bool("show_caption_above_media"):
            content["show_caption_above_media"] = True
    return deliver(world, p, content, reply_markup(p))


@method("copyMessage")
async def copy_message(world: World, p: Params) -> dict[str, int]:
    require_chat_id(p)
    stored = _source(world, p, p.get_int("message_id"))
    return {"message_id": _copy_one(world, p, stored).id}


def _many(world: World, p: Params) -> list[StoredMessage]:
    ids = p.get_json("message_ids")
    if not isinstance(ids, list) or not 1 <= len(ids) <= 100:
        raise bad_request("message identifiers are not specified")
    if [int(i) for i in ids] != sorted({int(i) for i in ids}):
        raise bad_request("message identifiers must be in a strictly increasing order")
    chat = world.chat(require_chat_id(p, "from_chat_id"))
    found = [chat.message(int(i)) for i in ids]
    return [m for m in found if m is not None]


def _regroup(new: StoredMessage, old: StoredMessage, groups: dict[str, str]) -> None:
    group = old.data.get("media_group_id")
    if group:
        new.data["media_group_id"] = groups.setdefault(group, f"{group}{new.id}")


@method("copyMessages")
async def copy_messages(world: World, p: Params) -> list[dict[str, int]]:
    require_chat_id(p)
    out, groups = [], {}
    for stored in _many(world, p):
        new = _copy_one(world, p, stored)
        _regroup(new, stored, groups)
        out.append({"message_id": new.id})
    return out


def _forward_one(world: World, p: Params, stored: StoredMessage) -> StoredMessage:
    content = copyable(stored.data)
    source = stored.data["chat"]
    if source["type"] == "channel":
        origin = {"type": "channel", "chat": source, "message_id": stored.id}
    else:
        origin = {"type": "user", "sender_user": stored.data["from"]}
    content["forward_origin"] = {**origin, "date": stored.data["date"]}
    return deliver(world, p, content)


@method("forwardMessage")
async def forward_message(world: World, p: Params) -> dict[str, Any]:
    require_chat_id(p)
    stored = _source(world, p, p.get_int("message_id"))
    return _forward_one(world, p, stored).data


@method("forwardMessages")
async def forward_messages(world: World, p: Params) -> list[dict[str, int]]:
    require_chat_id(p)
    out, groups = [], {}
    for stored in _many(world, p):
        new = _forward_one(world, p, stored)
        _regroup(new, stored, groups)
        out.append({"message_id": new.id})
    return out
