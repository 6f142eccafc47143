"""Plain data records of the sandbox world: users, members, topics, messages, chats."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class User:
    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    is_bot: bool = False
    blocked: bool = False  # the user blocked the bot
    started: bool = True  # the user has talked to the bot, so it may write to them

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": self.is_bot, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        return data


@dataclass
class Member:
    user_id: int
    status: str  # creator, administrator, member, left, kicked
    rights: dict[str, bool] = field(default_factory=dict)


@dataclass
class Topic:
    thread_id: int
    name: str
    icon_color: int
    creator_id: int
    icon_custom_emoji_id: str | None = None
    closed: bool = False
    deleted: bool = False

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_thread_id": self.thread_id,
            "name": self.name,
            "icon_color": self.icon_color,
        }
        if self.icon_custom_emoji_id:
            data["icon_custom_emoji_id"] = self.icon_custom_emoji_id
        return data

    def to_control(self) -> dict[str, Any]:
        extra = {"closed": self.closed, "deleted": self.deleted, "creator_id": self.creator_id}
        return {**self.to_api(), **extra}


@dataclass
class StoredMessage:
    data: dict[str, Any]
    sender_id: int
    deleted: bool = False
    keyboard: dict[str, Any] | None = None  # a reply keyboard / remove / force_reply markup

    @property
    def id(self) -> int:
        return int(self.data["message_id"])

    @property
    def thread_id(self) -> int | None:
        return self.data.get("message_thread_id")

    def to_control(self) -> dict[str, Any]:
        """The Bot API message plus sandbox-only ``_reply_keyboard`` / ``_deleted`` keys."""
        extra: dict[str, Any] = {}
        if self.keyboard:
            extra["_reply_keyboard"] = self.keyboard
        if self.deleted:
            extra["_deleted"] = True
        return {**self.data, **extra} if extra else self.data


@dataclass
class Chat:
    id: int
    type: str  # private, group, supergroup
    title: str | None = None
    username: str | None = None
    user: User | None = None  # the other party of a private chat
    is_forum: bool = False
    members: dict[int, Member] = field(default_factory=dict)
    topics: dict[int, Topic] = field(default_factory=dict)
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    next_message_id: int = 1
    migrated_to: int | None = None

    def to_api(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.user is not None:
            for key in ("first_name", "last_name", "username"):
                if getattr(self.user, key):
                    data[key] = getattr(self.user, key)
            return data
        data["title"] = self.title or ""
        if self.username:
            data["username"] = self.username
        if self.is_forum:
            data["is_forum"] = True
        return data

    def message(self, message_id: int | None) -> StoredMessage | None:
        stored = self.messages.get(message_id or 0)
        return None if stored is None or stored.deleted else stored

    def visible(self) -> list[StoredMessage]:
        return [m for m in self.messages.values() if not m.deleted]


@dataclass
class WebhookConfig:
    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    allowed_updates: list[str] | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None
