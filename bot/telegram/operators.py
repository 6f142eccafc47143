"""The operators' forum group: the queue commands, a ticket's buttons, replies to the person."""

from __future__ import annotations

import html
import logging

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, Message

from bot.core import callbacks as cb
from bot.services import topics
from bot.services.helpdesk import NOTE_PREFIX, Helpdesk
from bot.services.queue import CLOSE_CATEGORIES, SPECIALIST_QUEUES
from bot.telegram import operator_commands as commands
from bot.telegram.private import relayed
from bot.telegram.render import answer_quietly, kind_of
from bot.telegram.team import SERVICE, InOperatorGroup, Operators, operator_text

log = logging.getLogger(__name__)


async def on_topic_message(message: Message, operators: Operators) -> None:
    if message.from_user is None or message.from_user.is_bot:
        return
    if kind_of(message) in SERVICE or message.message_thread_id is None:
        return
    helpdesk, _o = operators.helpdesk, operator_text(operators.helpdesk)
    ticket = await helpdesk.tickets.by_topic(message.chat.id, message.message_thread_id)
    if ticket is None:
        return
    if not await operators.allowed(message.from_user):
        await operators.refuse(message.from_user, "message", ticket.id)
        return
    if ticket.status == "closed":
        await operators.reply(
            message, _o("This ticket is closed; the person does not see this message.")
        )
        return
    text = message.text or message.caption or ""
    operator = message.from_user.id
    if not text.startswith(NOTE_PREFIX) and not await helpdesk.may_answer(
        ticket, operator, message.message_id
    ):
        return
    fresh = await helpdesk.tickets.get(ticket.id)
    await helpdesk.from_operator(fresh or ticket, operator, relayed(message))


async def on_group_migrated(message: Message, helpdesk: Helpdesk) -> None:
    if message.migrate_to_chat_id:
        await helpdesk.group_migrated(message.migrate_to_chat_id)


async def on_other_group_message(message: Message) -> None:
    """The general topic and service messages: nothing to relay."""


# -- buttons ---------------------------------------------------------------------------------
async def on_button(query: CallbackQuery, operators: Operators) -> None:
    helpdesk, _o = operators.helpdesk, operator_text(operators.helpdesk)
    call = cb.decode(query.data)
    message = query.message if isinstance(query.message, Message) else None
    number, _sep, arg = (call.arg if call else "").partition("-")
    ticket = await helpdesk.tickets.get(int(number)) if number.isdigit() else None
    if (
        call is None
        or ticket is None
        or message is None
        or (ticket.thread_id != message.message_thread_id)
    ):
        await answer_quietly(query, _o("This button is no longer valid."), show_alert=True)
        return
    if not await operators.allowed(query.from_user):
        await operators.refuse(query.from_user, f"button {call.kind}", ticket.id)
        await answer_quietly(query, _o("Only the hotline's operators can do this."), True)
        return
    actor = query.from_user.id
    if call.kind == topics.TAKE:
        claim = await operators.queue.take(ticket.id, actor)
        if not claim.ok:
            holder = await operators.name(claim.assignee_id)
            await answer_quietly(
                query, _o("Already taken by {operator}.").format(operator=holder or "—"), True
            )
            return
        await answer_quietly(query, _o("You took ticket #{number}.").format(number=ticket.id))
    elif call.kind == topics.RELEASE:
        if not await operators.queue.release(ticket.id, actor):
            await answer_quietly(
                query, _o("Only the operator who took it can release it."), show_alert=True
            )
            return
        await answer_quietly(query, _o("Back in the queue."))
    elif call.kind == topics.CLOSE:
        await answer_quietly(query)
        await _buttons(helpdesk, ticket.id, message, topics.close_buttons(ticket.id, _o))
        return
    elif call.kind == topics.CLOSE_AS and arg in CLOSE_CATEGORIES:
        closed = await helpdesk.close(ticket, actor, arg)
        await answer_quietly(
            query, _o("Ticket closed.") if closed else _o("This ticket was already closed.")
        )
    elif call.kind == topics.TRANSFER:
        colleagues = [
            (op.id, op.name or str(op.id))
            for op in await helpdesk.team.operators()
            if op.id != actor
        ]
        await answer_quietly(query)
        await _buttons(
            helpdesk, ticket.id, message, topics.transfer_buttons(ticket.id, colleagues[:20], _o)
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
            await answer_quietly(query, _o("This button is no longer valid."), show_alert=True)
            return
        await answer_quietly(query, _o("Transferred to {target}.").format(target=target))
        await helpdesk.notify(
            _o("Ticket #{number} was transferred to {target}.").format(
                number=ticket.id, target=html.escape(target or "")
            )
        )
    else:
        await answer_quietly(query, _o("This button is no longer valid."), show_alert=True)
        return
    await helpdesk.refresh_header(ticket.id, message.message_id)


async def _buttons(helpdesk: Helpdesk, ticket_id: int, message: Message, buttons) -> None:  # type: ignore[no-untyped-def]
    await helpdesk.set_header_buttons(ticket_id, buttons, message.message_id)


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
            _o = operator_text(operators.helpdesk)
            await operators.reply(message, _o("Only the hotline's operators can do this."))
            return
        await handler(message, command, operators)

    return guarded
