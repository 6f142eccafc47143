"""Telegram shapes: inline keyboards from the engine's buttons, the kind of a message, and
answering button presses."""

from __future__ import annotations

import logging

from aiogram.exceptions import TelegramAPIError
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.core.messages import Keyboard

log = logging.getLogger(__name__)


def keyboard(buttons: Keyboard) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton(text=b.text, callback_data=b.data) for b in row]
            for row in buttons
        ]
    )


def kind_of(message: Message) -> str:
    return str(message.content_type).rsplit(".", 1)[-1].lower()


async def answer_quietly(
    query: CallbackQuery, text: str | None = None, show_alert: bool = False
) -> None:
    """Answering a button press only stops its spinner: when Telegram refuses (the press is
    too old after a backlog, a 429), the action the button asked for goes on all the same."""
    try:
        await query.answer(text, show_alert=show_alert)
    except TelegramAPIError as exc:
        log.info("button press not answered: %s", type(exc).__name__)
