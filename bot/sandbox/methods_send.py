"""Bot API: sending messages (text, media, albums, location, contact, chat actions)."""

from __future__ import annotations

import secrets
from typing import Any

from bot.sandbox.errors import bad_request
from bot.sandbox.markup import caption, message_text, reply_markup
from bot.sandbox.media import (
    CAPTIONLESS,
    MEDIA_KINDS,
    content_for,
    content_from_params,
    store_input,
)
from bot.sandbox.models import Chat, StoredMessage
from bot.sandbox.params import Params
from bot.sandbox.registry import Handler, method, require_chat_id
from bot.sandbox.state import World

CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
ALBUM_KINDS = frozenset({"photo", "video", "document", "audio"})


def replied_message(chat: Chat, p: Params) -> StoredMessage | None:
    """The message to reply to from ``reply_parameters`` or ``reply_to_message_id``."""
    params = p.get_json("reply_parameters") or {}
    if not isinstance(params, dict):
        raise bad_request("can't parse reply parameters JSON object")
    message_id = params.get("message_id") or p.get_int("reply_to_message_id")
    if not message_id:
        return None
    if params.get("chat_id") not in (None, chat.id, str(chat.id)):
        return None  # replies to other chats are shown as external replies; not modelled
    stored = chat.message(int(message_id))
    allow = params.get("allow_sending_without_reply") or p.get_bool("allow_sending_without_reply")
    if stored is None and not allow:
        raise bad_request("message to be replied not found")
    return stored


def deliver(
    world: World,
    p: Params,
    content: dict[str, Any],
    markup: dict[str, Any] | None = None,
    chat: Chat | None = None,
) -> StoredMessage:
    """Post a message from the bot into ``chat_id`` (and topic) after all checks."""
    chat = chat or world.writable_chat(require_chat_id(p))
    thread = world.thread_for_send(chat, p.get_int("message_thread_id"), world.bot.id)
    reply_to = replied_message(chat, p)
    if p.get_bool("protect_content"):
        content = {**content, "has_protected_content": True}
    return world.add_message(
        chat, world.bot, content, thread_id=thread, reply_to=reply_to, reply_markup=markup
    )


@method("sendMessage")
async def send_message(world: World, p: Params) -> dict[str, Any]:
    require_chat_id(p)
    content = message_text(world, p)
    return deliver(world, p, content, reply_markup(p)).data


def _media_sender(kind: str) -> Handler:
    async def send_media(world: World, p: Params) -> dict[str, Any]:
        chat = world.writable_chat(require_chat_id(p))
        text = {} if kind in CAPTIONLESS else caption(world, p)
        markup = reply_markup(p)
        content = content_from_params(world, kind, p)
        return deliver(world, p, {**content, **text}, markup, chat).data

    send_media.__name__ = f"send_{kind}"
    return send_media


for _kind in MEDIA_KINDS:
    method("send" + _kind.replace("_", " ").title().replace(" ", ""))(_media_sender(_kind))


@method("sendLocation")
async def send_location(world: World, p: Params) -> dict[str, Any]:
    chat = world.writable_chat(require_chat_id(p))
    lat, lon = p.get_float("latitude"), p.get_float("longitude")
    if lat is None or not -90 <= lat <= 90:
        raise bad_request("wrong latitude specified")
    if lon is None or not -180 <= lon <= 180:
        raise bad_request("wrong longitude specified")
    location: dict[str, Any] = {"latitude": lat, "longitude": lon}
    for key in ("horizontal_accuracy", "live_period", "heading", "proximity_alert_radius"):
        if p.has(key):
            location[key] = p.get_float(key)
    return deliver(world, p, {"location": location}, reply_markup(p), chat).data


@method("sendContact")
async def send_contact(world: World, p: Params) -> dict[str, Any]:
    chat = world.writable_chat(require_chat_id(p))
    phone, first = p.get_str("phone_number"), p.get_str("first_name")
    if not phone:
        raise bad_request("phone number is empty")
    if not first:
        raise bad_request("first name is empty")
    contact: dict[str, Any] = {"phone_number": phone, "first_name": first}
    for key in ("last_name", "vcard"):
        if p.get_str(key):
            contact[key] = p.get_str(key)
    return deliver(world, p, {"contact": contact}, reply_markup(p), chat).data


def _album_item(world: World, p: Params, item: Any) -> dict[str, Any]:
    if not isinstance(item, dict) or item.get("type") not in ALBUM_KINDS:
        raise bad_request("can't parse InputMedia: media type is not supported")
    media = item.get("media")
    value = p.resolve_attach(media) if isinstance(media, str) else None
    stored = store_input(world, value, item["type"])
    content = content_for(world, item["type"], stored, **item)
    if item.get("caption"):
        sub = Params({k: item.get(k) for k in ("parse_mode", "caption_entities")})
        sub.raw.setdefault("parse_mode", p.get_str("parse_mode"))
        content.update(caption(world, sub, str(item["caption"])))
    if item.get("has_spoiler"):
        content["has_media_spoiler"] = True
    return content


@method("sendMediaGroup")
async def send_media_group(world: World, p: Params) -> list[dict[str, Any]]:
    chat = world.writable_chat(require_chat_id(p))
    items = p.get_json("media", "can't parse media JSON object")
    if not isinstance(items, list) or not 2 <= len(items) <= 10:
        raise bad_request("wrong number of media specified: must be from 2 to 10")
    kinds = {item.get("type") for item in items if isinstance(item, dict)}
    if len(kinds) > 1 and not kinds <= {"photo", "video"}:
        raise bad_request("documents and audio can't be mixed with other media types")
    contents = [_album_item(world, p, item) for item in items]
    group_id = str(13_000_000_000_000_000 + secrets.randbelow(10**15))
    thread = world.thread_for_send(chat, p.get_int("message_thread_id"), world.bot.id)
    reply_to = replied_message(chat, p)
    sent = []
    for content in contents:
        content["media_group_id"] = group_id
        stored = world.add_message(chat, world.bot, content, thread_id=thread, reply_to=reply_to)
        sent.append(stored.data)
    return sent


@method("sendChatAction")
async def send_chat_action(world: World, p: Params) -> bool:
    chat = world.writable_chat(require_chat_id(p))
    if p.get_str("action") not in CHAT_ACTIONS:
        raise bad_request("wrong parameter action in request")
    world.thread_for_send(chat, p.get_int("message_thread_id"), world.bot.id)
    return True
