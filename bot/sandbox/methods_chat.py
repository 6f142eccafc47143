"""Bot API: identity, chats, members, forum topics, commands and files."""

from __future__ import annotations

import json
import re
from typing import Any

from bot.sandbox.errors import bad_request
from bot.sandbox.models import Chat, Member, Topic
from bot.sandbox.params import Params
from bot.sandbox.registry import method, require_chat_id
from bot.sandbox.state import ADMIN_RIGHTS, World

TOPIC_COLORS = (7322096, 16766590, 13338331, 9367192, 16749490, 16478047)
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")


@method("getMe")
async def get_me(world: World, p: Params) -> dict[str, Any]:
    return {
        **world.bot.to_api(),
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
        "can_connect_to_business": False,
        "has_main_web_app": False,
    }


@method("logOut", "close")
async def log_out(world: World, p: Params) -> bool:
    return True


@method("setMyDescription", "setMyShortDescription", "setMyName", "setChatMenuButton")
async def set_bot_profile(world: World, p: Params) -> bool:
    return True


@method("getChat")
async def get_chat(world: World, p: Params) -> dict[str, Any]:
    chat = world.chat(require_chat_id(p))
    info = {
        **chat.to_api(),
        "accent_color_id": abs(chat.id) % 7,
        "max_reaction_count": 11,
        "accepted_gift_types": {
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    }
    if chat.user is None:
        info["permissions"] = {"can_send_messages": True, "can_manage_topics": False}
    return info


def member_to_api(world: World, user_id: int, member: Member | None) -> dict[str, Any]:
    user = world.bot if user_id == world.bot.id else world.users[user_id]
    status = member.status if member else "left"
    data: dict[str, Any] = {"status": status, "user": user.to_api()}
    if status == "creator":
        data["is_anonymous"] = False
    elif status == "administrator":
        data.update({key: False for key in ADMIN_RIGHTS})
        data.update(member.rights if member else {})
    elif status == "kicked":
        data["until_date"] = 0
    return data


@method("getChatMember")
async def get_chat_member(world: World, p: Params) -> dict[str, Any]:
    chat = world.chat(require_chat_id(p))
    user_id = p.get_int("user_id")
    if user_id is None or (user_id not in world.users and user_id != world.bot.id):
        raise bad_request("PARTICIPANT_ID_INVALID")
    if chat.user is not None:
        member = Member(user_id, "member") if user_id in (chat.id, world.bot.id) else None
        return member_to_api(world, user_id, member)
    return member_to_api(world, user_id, chat.members.get(user_id))


@method("getChatAdministrators")
async def get_chat_administrators(world: World, p: Params) -> list[dict[str, Any]]:
    chat = world.chat(require_chat_id(p))
    if chat.user is not None:
        raise bad_request("there are no administrators in the private chat")
    admins = [m for m in chat.members.values() if m.status in ("creator", "administrator")]
    return [member_to_api(world, m.user_id, m) for m in admins]


@method("getChatMemberCount")
async def get_chat_member_count(world: World, p: Params) -> int:
    chat = world.chat(require_chat_id(p))
    if chat.user is not None:
        return 2
    return sum(m.status in ("creator", "administrator", "member") for m in chat.members.values())


# -- forum topics ----------------------------------------------------------------------------
def _forum(world: World, p: Params) -> Chat:
    chat = world.writable_chat(require_chat_id(p))
    if not chat.is_forum:
        raise bad_request("the chat is not a forum")
    return chat


def _can_manage(world: World, chat: Chat) -> bool:
    member = world.bot_member(chat)
    return member.status == "creator" or bool(member.rights.get("can_manage_topics"))


# Texts of TDLib's ForumTopicManager (the Bot API lower-cases their first letter).
NO_RIGHTS_TO_CREATE = "not enough rights to create a topic"
NO_RIGHTS_TO_EDIT = "not enough rights to edit the topic"
NO_RIGHTS_TO_CLOSE = "not enough rights to close or open the topic"


def _topic(
    world: World,
    chat: Chat,
    p: Params,
    rights_error: str | None = "not enough rights to manage the topic",
) -> Topic:
    """The topic named by ``message_thread_id``; without can_manage_topics the bot may only
    touch its own topics (else ``rights_error``; None: no rights needed)."""
    topic = chat.topics.get(p.get_int("message_thread_id") or 0)
    if topic is None or topic.deleted:
        raise bad_request("TOPIC_ID_INVALID")
    if rights_error and topic.creator_id != world.bot.id and not _can_manage(world, chat):
        raise bad_request(rights_error)
    return topic


@method("createForumTopic")
async def create_forum_topic(world: World, p: Params) -> dict[str, Any]:
    chat = _forum(world, p)
    if not _can_manage(world, chat):
        raise bad_request(NO_RIGHTS_TO_CREATE)
    name = (p.get_str("name") or "").strip()
    if not name:
        raise bad_request("TOPIC_TITLE_EMPTY")
    if len(name) > 128:
        raise bad_request("TOPIC_TITLE_TOO_LONG")
    color = p.get_int("icon_color", TOPIC_COLORS[0])
    if color not in TOPIC_COLORS:
        raise bad_request("TOPIC_COLOR_INVALID")
    topic = create_topic(world, chat, name, color, world.bot.id, p.get_str("icon_custom_emoji_id"))
    return topic.to_api()


def create_topic(
    world: World, chat: Chat, name: str, color: int, creator_id: int, emoji: str | None = None
) -> Topic:
    """Create a topic and its ``forum_topic_created`` service message (whose id is the topic's)."""
    topic = Topic(chat.next_message_id, name, color, creator_id, icon_custom_emoji_id=emoji)
    chat.topics[topic.thread_id] = topic
    created: dict[str, Any] = {"name": name, "icon_color": color}
    if emoji:
        created["icon_custom_emoji_id"] = emoji
    sender = world.bot if creator_id == world.bot.id else world.users[creator_id]
    world.add_message(chat, sender, {"forum_topic_created": created}, thread_id=topic.thread_id)
    return topic


@method("editForumTopic")
async def edit_forum_topic(world: World, p: Params) -> bool:
    chat = _forum(world, p)
    topic = _topic(world, chat, p, NO_RIGHTS_TO_EDIT)
    edited: dict[str, Any] = {}
    name = p.get_str("name")
    if name is not None and name.strip() and name != topic.name:
        topic.name = edited["name"] = name.strip()[:128]
    emoji = p.get_str("icon_custom_emoji_id")
    if emoji is not None and emoji != (topic.icon_custom_emoji_id or ""):
        topic.icon_custom_emoji_id = emoji or None
        edited["icon_custom_emoji_id"] = emoji
    if not edited:
        raise bad_request("TOPIC_NOT_MODIFIED")
    world.add_message(chat, world.bot, {"forum_topic_edited": edited}, thread_id=topic.thread_id)
    return True


async def _set_closed(world: World, p: Params, closed: bool) -> bool:
    chat = _forum(world, p)
    topic = _topic(world, chat, p, NO_RIGHTS_TO_CLOSE)
    if topic.closed == closed:
        raise bad_request("TOPIC_NOT_MODIFIED")
    topic.closed = closed
    key = "forum_topic_closed" if closed else "forum_topic_reopened"
    world.add_message(chat, world.bot, {key: {}}, thread_id=topic.thread_id)
    return True


@method("closeForumTopic")
async def close_forum_topic(world: World, p: Params) -> bool:
    return await _set_closed(world, p, True)


@method("reopenForumTopic")
async def reopen_forum_topic(world: World, p: Params) -> bool:
    return await _set_closed(world, p, False)


def delete_topic(chat: Chat, topic: Topic) -> None:
    """Delete a topic with all its messages, as Telegram does."""
    topic.deleted = True
    for stored in chat.messages.values():
        if stored.thread_id == topic.thread_id:
            stored.deleted = True


@method("deleteForumTopic")
async def delete_forum_topic(world: World, p: Params) -> bool:
    chat = _forum(world, p)
    topic = _topic(world, chat, p, rights_error=None)
    if not world.bot_member(chat).rights.get("can_delete_messages"):
        raise bad_request("CHAT_ADMIN_REQUIRED")
    delete_topic(chat, topic)
    return True


@method("unpinAllForumTopicMessages")
async def unpin_all_forum_topic_messages(world: World, p: Params) -> bool:
    _topic(world, _forum(world, p), p)
    return True


# -- commands and files ---------------------------------------------------------------------
def _commands_key(p: Params) -> str:
    scope = p.get_json("scope") or {"type": "default"}
    return json.dumps([scope, p.get_str("language_code") or ""], sort_keys=True)


@method("setMyCommands")
async def set_my_commands(world: World, p: Params) -> bool:
    commands = p.get_json("commands")
    if not isinstance(commands, list) or len(commands) > 100:
        raise bad_request("can't parse commands JSON object")
    for item in commands:
        if not isinstance(item, dict) or not _COMMAND_RE.fullmatch(str(item.get("command"))):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(str(item.get("description") or "")) <= 256:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
    world.commands[_commands_key(p)] = [
        {"command": c["command"], "description": c["description"]} for c in commands
    ]
    return True


@method("deleteMyCommands")
async def delete_my_commands(world: World, p: Params) -> bool:
    world.commands.pop(_commands_key(p), None)
    return True


@method("getMyCommands")
async def get_my_commands(world: World, p: Params) -> list[dict[str, str]]:
    return world.commands.get(_commands_key(p), [])


@method("getFile")
async def get_file(world: World, p: Params) -> dict[str, Any]:
    stored = world.files.get(p.get_str("file_id") or "")
    if stored is None:
        raise bad_request("invalid file_id")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.file_size,
        "file_path": stored.file_path,
    }
