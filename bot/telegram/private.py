"""Private chats with migrants: every message and button goes through the engine."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import CallbackQuery, Message

from bot.core.engine import Engine
from bot.core.messages import (
    Decision,
    DeleteData,
    Feedback,
    Inbound,
    OpenTicket,
    RelayToTicket,
    SetConsent,
    SetLanguage,
    Unanswered,
)
from bot.services.users import Users
from bot.telegram import render
from bot.telegram.relay import Relay, kind_of

log = logging.getLogger(__name__)

# Outcomes that replace the message their button was on instead of adding a new one.
NAVIGATION = {"menu", "topic", "picker", "language", "consent", "stale_button", "delete_ask"}


def inbound_of(message: Message) -> Inbound:
    text = message.text or message.caption
    command = None
    if message.text and message.text.startswith("/"):
        word = message.text[1:].split(maxsplit=1)[0] if len(message.text) > 1 else ""
        command = word.split("@", 1)[0].lower()
        text = None
    media = None if message.text is not None else kind_of(message)
    return Inbound(
        user_id=message.chat.id,
        message_id=message.message_id,
        text=text,
        command=command,
        media=media,
    )


async def on_message(
    message: Message,
    bot: Bot,
    engine: Engine,
    users: Users,
    relay: Relay,
    gaps: object | None = None,
) -> None:
    user = await users.view(message.chat.id)
    decision = engine.handle(inbound_of(message), user)
    log.info("message %s: %s", message.message_id, decision.outcome)
    await execute(decision, bot, message.chat.id, users, relay, message=message, gaps=gaps)


async def on_button(
    query: CallbackQuery,
    bot: Bot,
    engine: Engine,
    users: Users,
    relay: Relay,
    gaps: object | None = None,
) -> None:
    user = await users.view(query.from_user.id)
    decision = engine.handle(Inbound(user_id=query.from_user.id, callback=query.data), user)
    log.info("button: %s", decision.outcome)
    await query.answer(decision.notice)
    source = query.message if isinstance(query.message, Message) else None
    edit = source if decision.outcome in NAVIGATION and len(decision.replies) == 1 else None
    await execute(decision, bot, query.from_user.id, users, relay, edit=edit, gaps=gaps)


def make_router() -> Router:
    router = Router(name="private")
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.register(on_message)
    router.callback_query.register(on_button)
    return router


async def execute(
    decision: Decision,
    bot: Bot,
    chat_id: int,
    users: Users,
    relay: Relay,
    *,
    message: Message | None = None,
    edit: Message | None = None,
    gaps: object | None = None,
) -> None:
    """Carry out the engine's decision: store what changed, answer, hand over to a person."""
    for action in decision.actions:
        if isinstance(action, SetLanguage | SetConsent | DeleteData):
            await users.apply(chat_id, action)
        elif isinstance(action, Feedback):
            log.info("feedback on %s: helpful=%s", action.entry_id, action.helpful)
        elif isinstance(action, Unanswered) and gaps is not None:
            await gaps.record(action)  # type: ignore[attr-defined]
    try:
        for i, reply in enumerate(decision.replies):
            if i == 0 and edit is not None:
                try:
                    await render.edit(bot, edit, reply)
                    continue
                except TelegramBadRequest:  # too old to edit, or unchanged: send it anew
                    pass
            await render.send(bot, chat_id, reply)
    except TelegramForbiddenError:
        await users.mark_blocked(chat_id)
        ticket = await relay.tickets.open_of(chat_id)
        if ticket is not None:
            await relay.user_unreachable(ticket)
        return
    for action in decision.actions:
        if isinstance(action, OpenTicket):
            ticket = await relay.open(chat_id, action.lang, action.subject, action.urgent)
            if action.message_id is not None:
                source = message if message and message.message_id == action.message_id else None
                await relay.copy_to_group(
                    ticket,
                    action.message_id,
                    kind_of(source) if source else "message",
                    (source.text or source.caption) if source else None,
                )
        elif isinstance(action, RelayToTicket) and message is not None:
            ticket = await relay.tickets.open_of(chat_id)
            if ticket is not None:
                await relay.to_group(ticket, message)
