"""aiogram's answer models (`Response[T]`) are kept for the methods the bot calls, so that
replies do not wait for pydantic to build them again, and only for those (each holds about
1.2 MiB)."""

from __future__ import annotations

import gc
import weakref

from aiogram import Bot
from aiogram.methods import GetChatMember, SendMessage
from aiogram.methods.base import Response, TelegramMethod

from bot.telegram.sender import Sender, _response_model


def _kept(method: type[TelegramMethod]) -> bool:
    model = weakref.ref(Response[method.__returning__])  # type: ignore[name-defined]
    gc.collect()
    return model() is not None


async def test_the_answer_model_of_a_method_is_kept_once_the_bot_calls_it() -> None:
    _response_model.cache_clear()  # what other tests' bots called
    bot = Bot("1:TEST")
    Sender(bot, None, None, None, None, "worker")  # type: ignore[arg-type]

    async def telegram(bot: Bot, method: TelegramMethod) -> str:
        return "answered"

    call = bot.session.middleware.wrap_middlewares(telegram)
    assert await call(bot, SendMessage(chat_id=1, text="hi")) == "answered"
    assert _kept(SendMessage)
    assert not _kept(GetChatMember)  # never called
    await bot.session.close()
