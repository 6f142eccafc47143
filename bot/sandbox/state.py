"""The in-memory world: bot identity, users, chats, topics, messages, files and updates."""

from __future__ import annotations

import copy
import time
from typing import Any

from bot.sandbox.errors import CHAT_NOT_FOUND, THREAD_NOT_FOUND, bad_request, forbidden, migrated
from bot.sandbox.faults import FaultRegistry
from bot.sandbox.files import FileStore
from bot.sandbox.models import Chat, Member, StoredMessage, User, WebhookConfig
from bot.sandbox.updates import Notifier, UpdateQueue

OPERATOR_CHAT_ID = -1001000000001
GENERAL_THREAD_ID = 1
ADMIN_RIGHTS = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_promote_members": False,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
    "can_send_welcome_messages": False,
    "can_pin_messages": True,
    "can_manage_topics": True,
}


def brief(message: dict[str, Any]) -> dict[str, Any]:
    """A message as nested in ``reply_to_message`` (one level only)."""
    return {k: v for k, v in message.items() if k != "reply_to_message"}


class World:
    """Everything the sandbox knows. All mutations happen on one event loop, synchronously."""

    def __init__(
        self, bot_id: int = 100000, bot_username: str = "komek_bot", bot_first_name: str = "Komek"
    ) -> None:
        self.bot = User(bot_id, bot_first_name, username=bot_username, is_bot=True)
        self.files = FileStore()
        self.updates = UpdateQueue()
        self.faults = FaultRegistry()
        self.changes = Notifier()
        self.webhook = WebhookConfig()
        self.commands: dict[str, list[dict[str, Any]]] = {}
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.calls: list[dict[str, Any]] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.callbacks: dict[str, dict[str, Any]] = {}
        self.operator_chat_id = OPERATOR_CHAT_ID
        self._callback_counter = 0
        self._group_counter = 0
        self.reset()

    # -- lifecycle --------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget people, chats, files, pending updates, calls and faults.

        The bot identity, webhook, commands and the update_id counter survive, so a running
        bot keeps working across resets.
        """
        self.users.clear()
        self.chats.clear()
        self.calls.clear()
        self.callback_answers.clear()
        self.callbacks.clear()
        self.files.clear()
        self.faults.clear()
        self.updates.drop_all()
        self.operator_chat_id = OPERATOR_CHAT_ID
        self.add_group(OPERATOR_CHAT_ID, "Komek operators", is_forum=True)
        self.touch()

    def touch(self) -> None:
        self.changes.changed()

    # -- people and chats -------------------------------------------------------------------
    def add_user(self, user_id: int, first_name: str = "Test", **fields: Any) -> User:
        user = self.users.get(user_id)
        if user is None:
            user = User(user_id, first_name)
            self.users[user_id] = user
            self.chats[user_id] = Chat(user_id, "private", user=user)
        user.first_name = first_name or user.first_name
        for key, value in fields.items():
            if value is not None and hasattr(user, key):
                setattr(user, key, value)
        self.touch()
        return user

    def add_group(
        self,
        chat_id: int | None,
        title: str,
        *,
        is_forum: bool = True,
        chat_type: str = "supergroup",
        bot_status: str = "administrator",
        bot_rights: dict[str, bool] | None = None,
        username: str | None = None,
    ) -> Chat:
        if chat_id is None:
            self._group_counter += 1
            chat_id = -1002000000000 - self._group_counter
        chat = Chat(chat_id, chat_type, title=title, is_forum=is_forum, username=username)
        chat.next_message_id = 2  # message 1 is the "group created" service message
        rights = dict(ADMIN_RIGHTS) if bot_status == "administrator" else {}
        rights.update(bot_rights or {})
        chat.members[self.bot.id] = Member(self.bot.id, bot_status, rights)
        self.chats[chat_id] = chat
        self.touch()
        return chat

    def user(self, user_id: int) -> User:
        if user_id == self.bot.id:
            return self.bot
        if user_id not in self.users:
            raise bad_request("user not found")
        return self.users[user_id]

    def chat(self, chat_id: int | str | None) -> Chat:
        """Resolve a chat id or ``@username`` or raise ``chat not found``."""
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        if isinstance(chat_id, str):
            name = chat_id.lstrip("@").lower()
            for chat in self.chats.values():
                uname = chat.username or (chat.user.username if chat.user else None)
                if uname and uname.lower() == name:
                    return chat
            raise bad_request(CHAT_NOT_FOUND)
        chat = self.chats.get(chat_id)
        if chat is None:
            raise bad_request(CHAT_NOT_FOUND)
        return chat

    def bot_member(self, chat: Chat) -> Member:
        return chat.members.get(self.bot.id) or Member(self.bot.id, "left")

    def writable_chat(self, chat_id: int | str | None) -> Chat:
        """A chat the bot may act in, or the error Telegram gives for it."""
        chat = self.chat(chat_id)
        if chat.migrated_to is not None:
            raise migrated(chat.migrated_to)
        if chat.user is not None:
            if chat.user.blocked:
                raise forbidden("bot was blocked by the user")
            if not chat.user.started:
                raise forbidden("bot can't initiate conversation with a user")
        else:
            status = self.bot_member(chat).status
            kind = "supergroup chat" if chat.type == "supergroup" else "group chat"
            if status == "kicked":
                raise forbidden(f"bot was kicked from the {kind}")
            if status == "left":
                raise forbidden(f"bot is not a member of the {kind}")
        return chat

    def thread_for_send(self, chat: Chat, thread_id: int | None, sender_id: int) -> int | None:
        """Validate ``message_thread_id``; ``None`` means the General topic / no thread."""
        if not thread_id or not chat.is_forum or thread_id == GENERAL_THREAD_ID:
            return None
        topic = chat.topics.get(thread_id)
        if topic is None or topic.deleted:
            raise bad_request(THREAD_NOT_FOUND)
        if topic.closed:
            member = chat.members.get(sender_id)
            if member is None or not (
                member.status == "creator" or member.rights.get("can_manage_topics")
            ):
                raise bad_request("TOPIC_CLOSED")
        return thread_id

    # -- messages ---------------------------------------------------------------------------
    def add_message(
        self,
        chat: Chat,
        sender: User,
        content: dict[str, Any],
        *,
        thread_id: int | None = None,
        reply_to: StoredMessage | None = None,
        reply_markup: dict[str, Any] | None = None,
    ) -> StoredMessage:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        data: dict[str, Any] = {"message_id": message_id}
        if thread_id:
            data["message_thread_id"] = thread_id
            if chat.is_forum:
                data["is_topic_message"] = True
        data["from"] = sender.to_api()
        data["chat"] = chat.to_api()
        data["date"] = int(time.time())
        if reply_to is None and thread_id and chat.is_forum and thread_id != message_id:
            reply_to = chat.messages.get(thread_id)  # the forum_topic_created message
        if reply_to is not None:
            data["reply_to_message"] = brief(reply_to.data)
        data.update(copy.deepcopy(content))
        stored = StoredMessage(data, sender.id)
        if reply_markup and "inline_keyboard" in reply_markup:
            data["reply_markup"] = reply_markup
        elif reply_markup:
            stored.keyboard = reply_markup
        chat.messages[message_id] = stored
        self.touch()
        return stored

    def messages(
        self,
        chat_id: int,
        *,
        thread_id: int | None = None,
        after_id: int = 0,
        from_bot: bool | None = None,
        include_deleted: bool = False,
    ) -> list[dict[str, Any]]:
        """Messages of a chat; ``thread_id=1`` selects the General topic."""
        chat = self.chats.get(chat_id)
        if chat is None:
            return []
        out = []
        # Message ids are contiguous per chat, so "after" needs no scan of older messages.
        ids = range(after_id + 1, chat.next_message_id) if after_id > 0 else list(chat.messages)
        for message_id in ids:
            stored = chat.messages.get(message_id)
            if stored is None or (stored.deleted and not include_deleted):
                continue
            if from_bot is not None and (stored.sender_id == self.bot.id) != from_bot:
                continue
            if thread_id == GENERAL_THREAD_ID and stored.thread_id is not None:
                continue
            if thread_id not in (None, GENERAL_THREAD_ID) and stored.thread_id != thread_id:
                continue
            out.append(stored.to_control())
        return out

    def next_callback_id(self) -> str:
        self._callback_counter += 1
        return str(4_000_000_000_000_000_000 + self._callback_counter)
