"""A Bot API in the test's own process: aiogram's `MockedSession` pattern.

The real Komek (dispatcher, services, outbox, sender) runs with this session in place of
aiohttp's: there is no HTTP and no emulator, every call the bot makes is kept as the aiogram
method object it built (`requests`), and each is answered the way Telegram answers it. A
method it does not know fails the test, so a handler that starts calling something new is
noticed here.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
from collections.abc import AsyncGenerator
from typing import Any

from aiogram import Bot
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import TelegramBadRequest
from aiogram.methods import TelegramMethod
from aiogram.types import Chat, ChatMemberMember, ForumTopic, Message, MessageId, Update, User

BOT = User(id=100000, is_bot=True, first_name="Komek", username="komek_bot")
TRUE_METHODS = {
    "deleteWebhook",
    "setMyCommands",
    "answerCallbackQuery",
    "deleteMessage",
    "editForumTopic",
    "closeForumTopic",
    "reopenForumTopic",
    "sendChatAction",
    "setMessageReaction",
    "pinChatMessage",
}


class FakeTelegram(BaseSession):
    def __init__(self, group_id: int) -> None:
        super().__init__()
        self.group_id = group_id
        self.requests: list[TelegramMethod] = []
        self.messages: list[Message] = []  # what the bot sent or edited, as Telegram answered
        self.copies: dict[tuple[int, int], int] = {}  # (to chat, copied message id) -> new id
        self.refuse: dict[str, str] = {}  # method -> the description of a 400 it answers
        self._updates: asyncio.Queue[dict] = asyncio.Queue()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)

    # What people and operators do.
    def person_writes(self, user_id: int, text: str, **extra: Any) -> int:
        return self._message(user_id, user_id, text, **extra)

    def operator_writes(self, user_id: int, thread_id: int, text: str, **extra: Any) -> int:
        chat = {"id": self.group_id, "type": "supergroup", "title": "Hotline", "is_forum": True}
        extra = {"message_thread_id": thread_id, "is_topic_message": True, **extra}
        return self._message(user_id, chat, text, **extra)

    def presses(self, user_id: int, data: str, on: Message) -> None:
        query = {
            "id": f"q{next(self._update_ids)}",
            "from": _user(user_id),
            "chat_instance": "fake",
            "data": data,
            "message": on.model_dump(mode="json", exclude_none=True),
        }
        self._updates.put_nowait({"update_id": next(self._update_ids), "callback_query": query})

    def _message(self, user_id: int, chat: int | dict, text: str, **extra: Any) -> int:
        message_id = next(self._message_ids)
        if isinstance(chat, int):
            chat = {"id": chat, "type": "private", "first_name": "A"}
        message = {
            "message_id": message_id,
            "date": int(dt.datetime.now(dt.UTC).timestamp()),
            "chat": chat,
            "from": _user(user_id),
            "text": text,
            **extra,
        }
        self._updates.put_nowait({"update_id": next(self._update_ids), "message": message})
        return message_id

    # What the bot did.
    def sent(self, chat_id: int, method: str | None = None) -> list[TelegramMethod]:
        return [
            r
            for r in self.requests
            if getattr(r, "chat_id", None) == chat_id
            and (method is None or r.__api_method__ == method)
        ]

    def last_message(self, chat_id: int) -> Message:
        return [m for m in self.messages if m.chat.id == chat_id][-1]

    def called(self, method: str) -> list[TelegramMethod]:
        return [r for r in self.requests if r.__api_method__ == method]

    # The session.
    async def make_request(self, bot: Bot, method: TelegramMethod, timeout: int | None = None):
        name = method.__api_method__
        if name == "getUpdates":
            return await self._get_updates(bot, method.timeout or 0)
        self.requests.append(method)
        if name in self.refuse:
            raise TelegramBadRequest(method=method, message=f"Bad Request: {self.refuse[name]}")
        if name in TRUE_METHODS:
            return True
        if name == "getMe":
            return BOT
        if name == "getChatMember":
            return ChatMemberMember(user=_user_object(method.user_id))
        if name == "createForumTopic":
            return ForumTopic(
                message_thread_id=next(self._message_ids), name=method.name, icon_color=7322096
            )
        if name == "copyMessage":
            return MessageId(message_id=self._copy(method.chat_id, method.message_id))
        if name == "copyMessages":
            return [MessageId(message_id=self._copy(method.chat_id, i)) for i in method.message_ids]
        if name.startswith("send") or name.startswith("edit"):
            message = self._bot_message(method)
            self.messages.append(message)
            return message
        raise AssertionError(f"the fake Telegram does not know {name}: teach it (tests/inprocess)")

    async def _get_updates(self, bot: Bot, timeout: int) -> list[Update]:
        try:
            first = await asyncio.wait_for(self._updates.get(), timeout or 0.01)
        except TimeoutError:
            return []
        updates = [first]
        while not self._updates.empty():
            updates.append(self._updates.get_nowait())
        return [Update.model_validate(u, context={"bot": bot}) for u in updates]

    def _copy(self, chat_id: int, message_id: int) -> int:
        self.copies[chat_id, message_id] = copy = next(self._message_ids)
        return copy

    def _bot_message(self, method: TelegramMethod) -> Message:
        chat_id = method.chat_id
        chat = (
            Chat(id=chat_id, type="private")
            if chat_id > 0
            else Chat(id=chat_id, type="supergroup", is_forum=True)
        )
        return Message(
            message_id=getattr(method, "message_id", None) or next(self._message_ids),
            date=dt.datetime.now(dt.UTC),
            chat=chat,
            from_user=BOT,
            message_thread_id=getattr(method, "message_thread_id", None),
            text=getattr(method, "text", None),
            reply_markup=getattr(method, "reply_markup", None),
        )

    async def close(self) -> None:
        pass

    async def stream_content(self, url: str, *args: Any, **kwargs: Any) -> AsyncGenerator[bytes]:
        raise AssertionError("the fake Telegram serves no files")
        yield b""


def _user(user_id: int) -> dict:
    return {"id": user_id, "is_bot": False, "first_name": "A", "language_code": "ru"}


def _user_object(user_id: int) -> User:
    return User(id=user_id, is_bot=False, first_name="A")
