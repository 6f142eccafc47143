"""The operators' forum group: replies in a ticket's topic go to the person; Close closes."""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message

from bot.telegram.relay import CLOSE, Relay

log = logging.getLogger(__name__)


class InOperatorGroup(Filter):
    async def __call__(self, event: Message | CallbackQuery, relay: Relay) -> bool:
        message = event.message if isinstance(event, CallbackQuery) else event
        return message is not None and message.chat.id == relay.group_id


SERVICE = {
    "forum_topic_created",
    "forum_topic_edited",
    "forum_topic_closed",
    "forum_topic_reopened",
    "new_chat_members",
    "left_chat_member",
    "pinned_message",
    "general_forum_topic_hidden",
    "general_forum_topic_unhidden",
}


async def on_topic_message(message: Message, relay: Relay) -> None:
    if message.from_user is None or message.from_user.is_bot:
        return
    if str(message.content_type).rsplit(".", 1)[-1].lower() in SERVICE:
        return
    assert message.message_thread_id is not None
    ticket = await relay.tickets.by_topic(message.chat.id, message.message_thread_id)
    if ticket is None:
        return
    _o = relay.catalogs.operator(relay.operator_lang)
    if ticket.status == "closed":
        await message.reply(_o("This ticket is closed; the person does not see this message."))
        return
    if not await relay.to_user(ticket, message):
        log.info("reply in ticket %s not delivered: user unreachable", ticket.id)


async def on_other_group_message(message: Message) -> None:
    """The general topic and service messages: nothing to relay."""


async def on_close(query: CallbackQuery, relay: Relay) -> None:
    _o = relay.catalogs.operator(relay.operator_lang)
    arg = (query.data or "").partition(":")[2]
    ticket = await relay.tickets.get(int(arg)) if arg.isdigit() else None
    message = query.message if isinstance(query.message, Message) else None
    if ticket is None or message is None or ticket.thread_id != message.message_thread_id:
        await query.answer(_o("This button is no longer valid."), show_alert=True)
        return
    closed = await relay.close(ticket, query.from_user.id)
    await query.answer(_o("Ticket closed.") if closed else _o("This ticket was already closed."))
    if closed:
        await message.answer(_o("Ticket closed by an operator."))


async def on_other_button(query: CallbackQuery) -> None:
    await query.answer()


def make_router() -> Router:
    router = Router(name="operators")
    router.message.filter(InOperatorGroup())
    router.callback_query.filter(InOperatorGroup())
    router.message.register(on_topic_message, F.message_thread_id, F.is_topic_message)
    router.message.register(on_other_group_message)
    router.callback_query.register(on_close, F.data.startswith(f"{CLOSE}:"))
    router.callback_query.register(on_other_button)
    return router
