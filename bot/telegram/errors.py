"""When handling an update fails on our side: log it without text, keep what the person sent."""

from __future__ import annotations

import logging

from aiogram import Bot, Router
from aiogram.types import ErrorEvent

from bot.services.users import Users
from bot.telegram.relay import Relay, kind_of

log = logging.getLogger(__name__)


async def on_error(event: ErrorEvent, bot: Bot, relay: Relay, users: Users) -> bool:
    update = event.update
    log.error(
        "update %s failed: %s",
        update.update_id,
        type(event.exception).__name__,
        exc_info=event.exception,
    )
    message = update.message
    if message is None or message.chat.type != "private":
        return True
    # The person's message must reach a human even though the bot failed on it.
    try:
        view = await users.view(message.chat.id)
        lang = view.lang or "ru"
        ticket = await relay.open(message.chat.id, lang, "error", urgent=False)
        await relay.copy_to_group(
            ticket, [message.message_id], [kind_of(message)], [message.text or message.caption]
        )
        _ = relay.catalogs.user(lang)
        await bot.send_message(
            message.chat.id,
            _(
                "Sorry, something went wrong on our side. Your message is not lost: "
                "it was passed to a person, who will answer here."
            ),
        )
    except Exception as exc:  # the fallback itself failed: the log line above stays
        log.error("update %s: fallback failed: %s", update.update_id, type(exc).__name__)
    return True


def make_router() -> Router:
    router = Router(name="errors")
    router.errors.register(on_error)
    return router
