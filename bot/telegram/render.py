"""Turning the engine's replies into Telegram messages and inline keyboards."""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.core.messages import Keyboard, Reply


def keyboard(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=b.text, callback_data=b.data) for b in row]
            for row in buttons
        ]
    )


async def send(bot: Bot, chat_id: int, reply: Reply) -> Message:
    return await bot.send_message(
        chat_id, reply.text, parse_mode="HTML", reply_markup=keyboard(reply.buttons)
    )


async def edit(bot: Bot, message: Message, reply: Reply) -> None:
    await bot.edit_message_text(
        reply.text,
        chat_id=message.chat.id,
        message_id=message.message_id,
        parse_mode="HTML",
        reply_markup=keyboard(reply.buttons),
    )
