"""A bare aiogram echo bot: the baseline that benchmarks/e2e_throughput.py compares Komek with."""

import asyncio
import os

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import Message


async def main() -> None:
    session = AiohttpSession(api=TelegramAPIServer.from_base(os.environ["KOMEK_API_BASE"]))
    bot = Bot("1:ECHO", session=session)
    dispatcher = Dispatcher()

    @dispatcher.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "?")

    await dispatcher.start_polling(bot, polling_timeout=10)


if __name__ == "__main__":
    asyncio.run(main())
