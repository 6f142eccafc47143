"""The operators' forum group: the queue commands, a ticket's buttons, replies to the person."""

from __future__ import annotations

import html
import logging

from aiogram import F, Router
from aiogram.filters import Command, CommandObject
from aiogram.types import CallbackQuery, ChatMemberUpdated, Message

from bot.core import callbacks as cb
from bot.core.vocabulary import TicketStatus
from bot.services import topics
from bot.services.helpdesk import NOTE_PREFIX, Helpdesk
from bot.services.queue import CLOSE_CATEGORIES, SPECIALIST_QUEUES
from bot.telegram import operator_commands as commands
from bot.telegram.private import edit_of, relayed
from bot.telegram.render import answer_quietly, kind_of
from bot.telegram.team import SERVICE, InOperatorGroup, Operators, in_group, operator_text

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
        await operators.reply(message, _o("Only the hotline's operators can do this."))
        return
    if ticket.status == TicketStatus.CLOSED:
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


async def on_topic_edit(message: Message, operators: Operators) -> None:
    """An operator edited a message they wrote in a ticket's topic: the person's copy is
    edited too (a `//` note was never copied, so nothing changes for the person)."""
    if message.from_user is None or message.from_user.is_bot:
        return
    edit = edit_of(message)
    helpdesk = operators.helpdesk
    ticket = await helpdesk.tickets.by_topic(message.chat.id, message.message_thread_id or 0)
    if edit is None or ticket is None or ticket.status == TicketStatus.CLOSED:
        return
    if not await operators.allowed(message.from_user):
        return
    text, caption, entities = edit
    if text.startswith(NOTE_PREFIX):
        return
    await helpdesk.edited(ticket, False, message.message_id, text, caption, entities)


async def on_group_migrated(message: Message, helpdesk: Helpdesk) -> None:
    if message.migrate_to_chat_id:
        await helpdesk.group_migrated(message.migrate_to_chat_id)


async def on_other_group_message(message: Message) -> None:
    """The general topic and service messages: nothing to relay."""


async def on_member_changed(change: ChatMemberUpdated, operators: Operators) -> None:
    """Someone joined or left the group: their access follows at once. Tickets of an operator
    who left go back to the queue."""
    user = change.new_chat_member.user
    joined = in_group(change.new_chat_member)
    if user.is_bot or joined == in_group(change.old_chat_member):
        return
    returned = await operators.member_changed(user, joined, change.from_user.id)
    if not returned:
        return
    helpdesk, _o = operators.helpdesk, operator_text(operators.helpdesk)
    for ticket in returned:
        await helpdesk.outbox.to_topic(
            ticket.id, _o("Back in the queue: the operator who had it left the group."), html=False
        )
        await helpdesk.refresh_header(ticket.id)
    await helpdesk.notify(
        _o("{operator} left the group. Back in the queue: {tickets}").format(
            operator=html.escape(await operators.name(user.id) or str(user.id)),
            tickets=", ".join(f"#{t.id}" for t in returned),
        )
    )


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
    if call.kind == topics.HELD:
        shown = await helpdesk.show_held(ticket)
        await answer_quietly(
            query, _o("Shown: {count}").format(count=shown) if shown else _o("Nothing is kept.")
        )
        return
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
        await answer_quietly(query)
        await _transfer_list(operators, ticket.id, actor, message)
        return
    elif call.kind == topics.TRANSFER_TO and arg.startswith(("op", "q")):
        if arg.startswith("op") and arg[2:].isdigit():
            colleague = int(arg[2:])
            on_team = await operators.on_team(colleague)
            if not (on_team and await operators.is_member(colleague)):
                # an id outside the team may be a person's: it is not written down
                what = f"transfer to {colleague}" if on_team else "transfer outside the team"
                await operators.refuse(query.from_user, what, ticket.id)
                await answer_quietly(
                    query,
                    _o("Not transferred: {id} is not an operator in this group.").format(
                        id=colleague
                    ),
                    show_alert=True,
                )
                await _transfer_list(operators, ticket.id, actor, message)
                return
            done = await operators.queue.transfer(ticket.id, actor, to_operator=colleague)
            target = await operators.name(colleague)
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


async def _transfer_list(
    operators: Operators, ticket_id: int, actor: int, message: Message
) -> None:
    """The colleagues to transfer to: operators still in the group, and the specialist queues."""
    helpdesk, gone = operators.helpdesk, await operators.queue.gone()
    colleagues = [
        (op.id, op.name or str(op.id))
        for op in await helpdesk.team.operators()
        if op.id != actor and op.id not in gone
    ]
    buttons = topics.transfer_buttons(ticket_id, colleagues[:20], operator_text(helpdesk))
    await _buttons(helpdesk, ticket_id, message, buttons)


async def _buttons(helpdesk: Helpdesk, ticket_id: int, message: Message, buttons) -> None:  # type: ignore[no-untyped-def]
    await helpdesk.set_header_buttons(ticket_id, buttons, message.message_id)


def make_router() -> Router:
    router = Router(name="operators")
    router.message.filter(InOperatorGroup())
    router.callback_query.filter(InOperatorGroup())
    router.chat_member.filter(InOperatorGroup())
    router.edited_message.filter(InOperatorGroup())
    router.edited_message.register(on_topic_edit, F.message_thread_id, F.is_topic_message)
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
    router.message.register(commands.cmd_audit, Command("audit"))
    router.message.register(commands.cmd_console, Command("console"))
    router.chat_member.register(on_member_changed)
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
