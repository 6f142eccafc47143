"""What people do: users and operators send messages, press buttons, manage topics."""

from __future__ import annotations

import base64
import copy
import time
from typing import Any

from bot.markup import detect_entities
from bot.sandbox.errors import ApiError
from bot.sandbox.media import MEDIA_KINDS, content_for
from bot.sandbox.methods_chat import TOPIC_COLORS, create_topic, delete_topic, member_to_api
from bot.sandbox.models import Chat, Member, StoredMessage, Topic, User
from bot.sandbox.state import ADMIN_RIGHTS, World

ACTIVE = ("creator", "administrator", "member")
PERSON_KINDS = frozenset({"text", "location", "contact", *MEDIA_KINDS, *("poll", "dice", "story")})


class ControlError(ApiError):
    """A refused control action (the person could not do that in Telegram)."""

    def __init__(self, description: str, status: int = 400) -> None:
        super().__init__(status, description)


def person(world: World, user_id: int) -> User:
    user = world.users.get(user_id)
    if user is None:
        raise ControlError(f"user {user_id} does not exist; create it first", 404)
    return user


def chat_of(world: World, user: User, chat_id: int | None, member: bool = True) -> Chat:
    """The chat where ``user`` acts: their private chat or a group they are a member of
    (``member=False``: or not, as when Telegram delivers something late)."""
    chat = world.chats.get(chat_id if chat_id is not None else user.id)
    if chat is None:
        raise ControlError(f"chat {chat_id} does not exist", 404)
    if chat.user is not None:
        if chat.id != user.id:
            raise ControlError("a user can only write in their own chat with the bot")
        return chat
    if chat.migrated_to is not None:
        raise ControlError(f"chat was migrated to {chat.migrated_to}")
    status = chat.members[user.id].status if user.id in chat.members else "left"
    if member and status not in ACTIVE:
        raise ControlError(f"user {user.id} is not a member of chat {chat.id}")
    return chat


def _text_content(key: str, text: str) -> dict[str, Any]:
    content: dict[str, Any] = {key: text}
    entities = detect_entities(text)
    if entities:
        content["entities" if key == "text" else "caption_entities"] = entities
    return content


def _uncopyable(kind: str, user: User) -> dict:
    if kind == "dice":
        return {"dice": {"emoji": "🎲", "value": 4}}
    if kind == "story":
        return {"story": {"chat": {"id": user.id, "type": "private", "first_name": "S"}, "id": 1}}
    options = [{"persistent_id": k, "text": k, "voter_count": 0} for k in ("a", "b")]
    poll = {"id": "1", "question": "?", "options": options, "total_voter_count": 0}
    poll |= {"is_closed": False, "is_anonymous": True, "type": "regular"}
    poll |= {"allows_multiple_answers": False, "allows_revoting": False, "members_only": False}
    return {"poll": poll}


def build_content(world: World, user: User, kind: str, text: str | None, **extra: Any) -> dict:
    if kind not in PERSON_KINDS:
        raise ControlError(f"unknown kind {kind!r}; use one of {sorted(PERSON_KINDS)}")
    if kind == "text":
        if not text:
            raise ControlError("text is empty")
        return _text_content("text", text)
    if kind == "location":
        lat, lon = extra.get("latitude", 43.238949), extra.get("longitude", 76.889709)
        return {"location": {"latitude": float(lat), "longitude": float(lon)}}
    if kind == "contact":
        contact = {
            "phone_number": str(extra.get("phone_number") or "+77001234567"),
            "first_name": str(extra.get("first_name") or user.first_name),
            "user_id": int(extra.get("contact_user_id") or user.id),
        }
        return {"contact": contact}
    if kind in ("poll", "dice", "story"):  # the Bot API cannot copy these
        return _uncopyable(kind, user)
    if extra.get("data_base64"):
        data = base64.b64decode(extra["data_base64"])
        stored = world.files.add(kind, data, extra.get("file_name"), extra.get("mime_type"))
    else:
        stored = world.files.generate(kind, extra.get("file_name"))
    content = content_for(world, kind, stored, **extra)
    if text and kind not in ("sticker", "video_note"):
        content.update(_text_content("caption", text))
    return content


def person_sends(
    world: World,
    user_id: int,
    kind: str = "text",
    text: str | None = None,
    *,
    chat_id: int | None = None,
    thread_id: int | None = None,
    reply_to_message_id: int | None = None,
    media_group_id: str | None = None,
    force: bool = False,
    **extra: Any,
) -> StoredMessage:
    """A person posts a message; the bot gets a ``message`` update. ``force``: even from
    someone who is no longer a member (a message Telegram delivers after their removal)."""
    user = person(world, user_id)
    chat = chat_of(world, user, chat_id, member=not force)
    content = build_content(world, user, kind, text, **extra)
    thread = world.thread_for_send(chat, thread_id, user.id) if chat.user is None else None
    reply_to = chat.message(reply_to_message_id) if reply_to_message_id else None
    if reply_to_message_id and reply_to is None:
        raise ControlError(f"message {reply_to_message_id} not found in chat {chat.id}")
    if media_group_id:
        content["media_group_id"] = media_group_id
    if chat.user is not None:
        block_user(world, user.id, False)  # writing to the bot (re)starts it
        user.started = True
    stored = world.add_message(chat, user, content, thread_id=thread, reply_to=reply_to)
    world.updates.push("message", copy.deepcopy(stored.data))
    return stored


def person_edits(
    world: World, user_id: int, message_id: int, text: str, *, chat_id: int | None = None
) -> StoredMessage:
    """A person edits the text (or a media message's caption) of a message of theirs; the
    bot gets an ``edited_message`` update."""
    user = person(world, user_id)
    chat = chat_of(world, user, chat_id)
    stored = chat.message(message_id)
    if stored is None or stored.sender_id != user.id:
        raise ControlError(f"message {message_id} of user {user_id} not found in chat {chat.id}")
    key = "text" if "text" in stored.data else "caption"
    for old in (key, "entities" if key == "text" else "caption_entities"):
        stored.data.pop(old, None)
    stored.data.update(_text_content(key, text))
    stored.data["edit_date"] = int(time.time())
    world.updates.push("edited_message", copy.deepcopy(stored.data))
    return stored


def person_sends_album(
    world: World,
    user_id: int,
    kinds: list[str],
    caption: str | None = None,
    **where: Any,
) -> list[StoredMessage]:
    if not 2 <= len(kinds) <= 10:
        raise ControlError("an album has from 2 to 10 items")
    group_id = f"{int(time.time() * 1000)}{world.updates.next_id}"
    return [
        person_sends(
            world, user_id, kind, caption if i == 0 else None, media_group_id=group_id, **where
        )
        for i, kind in enumerate(kinds)
    ]


def _has_button(message: dict[str, Any], data: str) -> bool:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return any(button.get("callback_data") == data for row in rows for button in row)


def person_presses(
    world: World,
    user_id: int,
    message_id: int,
    data: str,
    *,
    chat_id: int | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """A person presses an inline button; the bot gets a ``callback_query`` update.
    ``force``: any data, and from a non-member too (a forged press, a public group)."""
    user = person(world, user_id)
    chat = chat_of(world, user, chat_id, member=not force)
    stored = chat.message(message_id)
    if stored is None:
        raise ControlError(f"message {message_id} not found in chat {chat.id}", 404)
    if not force and not _has_button(stored.data, data):
        raise ControlError(f"message {message_id} has no inline button with this callback_data")
    query_id = world.next_callback_id()
    world.callbacks[query_id] = {
        "id": query_id,
        "from_id": user.id,
        "chat_id": chat.id,
        "message_id": message_id,
        "data": data,
        "answered": False,
    }
    payload = {
        "id": query_id,
        "from": user.to_api(),
        "message": copy.deepcopy(stored.data),
        "chat_instance": str(abs(chat.id) * 7919 % 10**19),
        "data": data,
    }
    return world.updates.push("callback_query", payload)


def add_member(
    world: World, chat_id: int, user_id: int, first_name: str = "Operator", status: str = "member"
) -> Member:
    chat = world.chats.get(chat_id)
    if chat is None or chat.user is not None:
        raise ControlError(f"group {chat_id} does not exist", 404)
    if status not in (*ACTIVE, "left", "kicked"):
        raise ControlError(f"unknown member status {status!r}")
    if user_id not in world.users:
        world.add_user(user_id, first_name)
    rights = dict(ADMIN_RIGHTS) if status == "administrator" else {}
    old = chat.members.get(user_id)
    chat.members[user_id] = Member(user_id, status, rights)
    _member_changed(world, chat, old, chat.members[user_id])
    world.touch()
    return chat.members[user_id]


def _member_changed(world: World, chat: Chat, old: Member | None, new: Member) -> None:
    """The bot, if it administers the group, gets a ``chat_member`` update (when
    ``allowed_updates`` asks for it, as in Telegram). A kick is done by an administrator."""
    bot = chat.members.get(world.bot.id)
    if (old.status if old else "left") == new.status or bot is None:
        return
    if bot.status not in ("creator", "administrator"):
        return
    by = new.user_id
    if new.status == "kicked":
        admins = [
            m.user_id for m in chat.members.values() if m.status in ("creator", "administrator")
        ]
        by = next((a for a in admins if a != world.bot.id), by)
    payload = {
        "chat": chat.to_api(),
        "from": world.users[by].to_api(),
        "date": int(time.time()),
        "old_chat_member": member_to_api(world, new.user_id, old),
        "new_chat_member": member_to_api(world, new.user_id, new),
    }
    world.updates.push("chat_member", payload)


def block_user(world: World, user_id: int, blocked: bool = True) -> None:
    """The user blocks (or unblocks) the bot; the bot gets a ``my_chat_member`` update."""
    user = person(world, user_id)
    if user.blocked == blocked:
        return
    user.blocked = blocked
    statuses = ("member", "kicked") if blocked else ("kicked", "member")
    old, new = ({"status": s, "user": world.bot.to_api()} for s in statuses)
    for member in (old, new):
        if member["status"] == "kicked":
            member["until_date"] = 0
    payload = {
        "chat": world.chats[user.id].to_api(),
        "from": user.to_api(),
        "date": int(time.time()),
        "old_chat_member": old,
        "new_chat_member": new,
    }
    world.updates.push("my_chat_member", payload)


def group_topic(world: World, chat_id: int, thread_id: int) -> tuple[Chat, Topic]:
    chat = world.chats.get(chat_id)
    topic = chat.topics.get(thread_id) if chat else None
    if chat is None or topic is None or topic.deleted:
        raise ControlError(f"topic {thread_id} not found in chat {chat_id}", 404)
    return chat, topic


def person_topic_action(world: World, chat_id: int, thread_id: int, action: str, by: int) -> Topic:
    """A person deletes, closes or reopens a topic (close/reopen post a service message)."""
    chat, topic = group_topic(world, chat_id, thread_id)
    if action == "delete":
        delete_topic(chat, topic)
        world.touch()
        return topic
    if action not in ("close", "reopen"):
        raise ControlError(f"unknown topic action {action!r}")
    user = person(world, by) if by else None
    topic.closed = action == "close"
    key = "forum_topic_closed" if topic.closed else "forum_topic_reopened"
    stored = world.add_message(chat, user or world.bot, {key: {}}, thread_id=thread_id)
    if user is not None:
        world.updates.push("message", copy.deepcopy(stored.data))
    return topic


def person_creates_topic(world: World, chat_id: int, user_id: int, name: str) -> Topic:
    user = person(world, user_id)
    chat = chat_of(world, user, chat_id)
    if not chat.is_forum:
        raise ControlError("the chat is not a forum")
    topic = create_topic(world, chat, name, TOPIC_COLORS[0], user.id)
    world.updates.push("message", copy.deepcopy(chat.messages[topic.thread_id].data))
    return topic


def migrate_group(world: World, chat_id: int) -> Chat:
    """Upgrade a group: the old id stops working and answers with ``migrate_to_chat_id``."""
    old = world.chats.get(chat_id)
    if old is None or old.user is not None or old.migrated_to is not None:
        raise ControlError(f"group {chat_id} cannot be migrated", 404)
    new_id = old.id - 1
    while new_id in world.chats:
        new_id -= 1
    new = copy.deepcopy(old)
    new.id, new.type = new_id, "supergroup"
    for stored in new.messages.values():
        stored.data["chat"] = new.to_api()
    world.chats[new_id] = new
    old.migrated_to = new_id
    sender = next((world.users[m] for m in old.members if m in world.users), world.bot)
    gone = world.add_message(old, sender, {"migrate_to_chat_id": new_id})
    came = world.add_message(new, sender, {"migrate_from_chat_id": old.id})
    for stored in (gone, came):
        world.updates.push("message", copy.deepcopy(stored.data))
    if world.operator_chat_id == old.id:
        world.operator_chat_id = new_id
    return new
