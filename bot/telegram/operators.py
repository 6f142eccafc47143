"""The operators' forum group: the queue commands, a ticket's buttons, replies to the person."""

from __future__ import annotations

import html
import logging

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.core import callbacks as cb
from bot.services.queue import CLOSE_CATEGORIES, SPECIALIST_QUEUES
from bot.telegram import operator_commands as commands
from bot.telegram import topics
from bot.telegram.relay import Relay, kind_of
from bot.telegram.team import (
    SERVICE,
    InOperatorGroup,
    Operators,
    may_answer,
    operator_text,
)

log = logging.getLogger(__name__)


async def on_topic_message(message: Message, operators: Operators) -> None:
    if message.from_user is None or message.from_user.is_bot:
        return
    if kind_of(message) in SERVICE or message.message_thread_id is None:
        return
    relay, _o = operators.relay, operator_text(operators.relay)
    ticket = await relay.tickets.by_topic(message.chat.id, message.message_thread_id)
    if ticket is None:
        return
    if not await operators.allowed(message.from_user):
        await operators.refuse(message.from_user, "message", ticket.id)
        return
    if ticket.status == "closed":
        await message.reply(_o("This ticket is closed; the person does not see this message."))
        return
    text = message.text or message.caption or ""
    if not text.startswith("//") and not await may_answer(
        operators, ticket, message.from_user.id, message
    ):
        return
    fresh = await relay.tickets.get(ticket.id)
    if not await relay.to_user(fresh or ticket, message):
        log.info("reply in ticket %s not delivered: user unreachable", ticket.id)


async def on_group_migrated(message: Message, relay: Relay) -> None:
    if message.migrate_to_chat_id:
        await relay.group_migrated(message.migrate_to_chat_id)


async def on_other_group_message(message: Message) -> None:
    """The general topic and service messages: nothing to relay."""


# -- buttons ---------------------------------------------------------------------------------
async def on_button(query: CallbackQuery, operators: Operators) -> None:
    relay, _o = operators.relay, operator_text(operators.relay)
    call = cb.decode(query.data)
    message = query.message if isinstance(query.message, Message) else None
    number, _sep, arg = (call.arg if call else "").partition("-")
    ticket = await relay.tickets.get(int(number)) if number.isdigit() else None
    if (
        call is None
        or ticket is None
        or message is None
        or (ticket.thread_id != message.message_thread_id)
    ):
        await query.answer(_o("This button is no longer valid."), show_alert=True)
        return
    if not await operators.allowed(query.from_user):
        await operators.refuse(query.from_user, f"button {call.kind}", ticket.id)
        await query.answer(_o("Only the hotline's operators can do this."), show_alert=True)
        return
    actor = query.from_user.id
    if call.kind == topics.TAKE:
        claim = await operators.queue.take(ticket.id, actor)
        holder = await operators.name(claim.assignee_id)
        if claim.ok:
            await query.answer(_o("You took ticket #{number}.").format(number=ticket.id))
        else:
            await query.answer(
                _o("Already taken by {operator}.").format(operator=holder or "—"), show_alert=True
            )
            return
    elif call.kind == topics.RELEASE:
        if not await operators.queue.release(ticket.id, actor):
            await query.answer(_o("Only the operator who took it can release it."), show_alert=True)
            return
        await query.answer(_o("Back in the queue."))
    elif call.kind == topics.CLOSE:
        await query.answer()
        await message.edit_reply_markup(reply_markup=topics.close_buttons(ticket.id, _o))
        return
    elif call.kind == topics.CLOSE_AS and arg in CLOSE_CATEGORIES:
        closed = await relay.close(ticket, actor, arg)
        await query.answer(
            _o("Ticket closed.") if closed else _o("This ticket was already closed.")
        )
    elif call.kind == topics.TRANSFER:
        colleagues = [
            (op.id, op.name or str(op.id))
            for op in await operators.relay.team.operators()
            if op.id != actor
        ]
        await query.answer()
        await message.edit_reply_markup(
            reply_markup=topics.transfer_buttons(ticket.id, colleagues[:20], _o)
        )
        return
    elif call.kind == topics.TRANSFER_TO and arg.startswith(("op", "q")):
        if arg.startswith("op") and arg[2:].isdigit():
            done = await operators.queue.transfer(ticket.id, actor, to_operator=int(arg[2:]))
            target = await operators.name(int(arg[2:]))
        elif arg[1:] in SPECIALIST_QUEUES:
            done = await operators.queue.transfer(ticket.id, actor, to_queue=arg[1:])
            target = topics.queue_name(arg[1:], _o)
        else:
            done, target = False, None
        if not done:
            await query.answer(_o("This button is no longer valid."), show_alert=True)
            return
        await query.answer(_o("Transferred to {target}.").format(target=target))
        await relay.notify(
            _o("Ticket #{number} was transferred to {target}.").format(
                number=ticket.id, target=html.escape(target or "")
            )
        )
    else:
        await query.answer(_o("This button is no longer valid."), show_alert=True)
        return
    await _refresh_header(operators, ticket.id, message)


async def _refresh_header(operators: Operators, ticket_id: int, message: Message) -> None:
    relay, _o = operators.relay, operator_text(operators.relay)
    ticket = await relay.tickets.get(ticket_id)
    if ticket is None or ticket.status == "closed":
        await message.edit_reply_markup(reply_markup=None)
        return
    name = await operators.name(ticket.assignee_id)
    await message.edit_text(
        topics.header(ticket, name, _o),
        parse_mode="HTML",
        reply_markup=topics.header_buttons(ticket, _o),
    )


def make_router() -> Router:
    router = Router(name="operators")
    router.message.filter(InOperatorGroup())
    router.callback_query.filter(InOperatorGroup())
    router.message.register(on_group_migrated, F.migrate_to_chat_id)
    group_commands = {
        "queue": commands.cmd_queue,
        "next": commands.cmd_next,
        "mine": commands.cmd_mine,
        "stats": commands.cmd_stats,
        "langs": commands.cmd_langs,
        "roles": commands.cmd_roles,
        "reply": commands.cmd_reply,
    }
    for name, handler in group_commands.items():
        router.message.register(_guarded(handler, name), Command(name))
    router.message.register(on_topic_message, F.message_thread_id, F.is_topic_message)
    router.message.register(on_other_group_message)
    router.callback_query.register(on_button)
    return router


def _guarded(handler, name: str):  # type: ignore[no-untyped-def]
    """Commands only for operators; others are refused and recorded."""

    async def guarded(message: Message, command: CommandObject, operators: Operators) -> None:
        if message.from_user is None or not await operators.allowed(message.from_user):
            if message.from_user is not None:
                await operators.refuse(message.from_user, f"/{name}")
            _o = operator_text(operators.relay)
            await message.reply(_o("Only the hotline's operators can do this."))
            return
        await handler(message, command, operators)

    return guarded
