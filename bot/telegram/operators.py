"""The operators' forum group: the queue commands, a ticket's buttons, replies to the person."""

from __future__ import annotations

import datetime as dt
import html
import logging
import time
from dataclasses import dataclass, field

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, Filter
from aiogram.types import CallbackQuery, Message, User

from bot.core import callbacks as cb
from bot.core import render as core_render
from bot.core.i18n import format_wait
from bot.knowledge import KnowledgeStore
from bot.services.queue import CLOSE_CATEGORIES, SPECIALIST_QUEUES, Queue, aware
from bot.services.tickets import TicketView
from bot.telegram import topics
from bot.telegram.relay import Relay, kind_of
from db.models import utcnow
from nlu.languages import USER_LANGS

log = logging.getLogger(__name__)

_TAKEN_BY = "Taken by: {operator}"  # extracted where topics.header uses it
MEMBER_STATUSES = {"creator", "administrator", "member"}
MEMBERSHIP_TTL = 300.0  # seconds a membership answer is trusted

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
    "migrate_to_chat_id",
    "migrate_from_chat_id",
}


def canned(key: str, _) -> str | None:  # type: ignore[no-untyped-def]
    """Prepared texts for `/reply KEY`, in the person's language (user catalog)."""
    texts = {
        "hello": _("Hello! I am an operator of the hotline. How can I help you?"),
        "wait": _("Thank you, I am checking this. Please wait a little."),
        "docs": _(
            "Please do not send photos or numbers of your documents. Describe the "
            "situation in words."
        ),
        "bye": _("If you have more questions, write here at any time. Take care!"),
    }
    return texts.get(key)


CANNED_KEYS = ("hello", "wait", "docs", "bye")


@dataclass
class Operators:
    """Who may act: members of the operators' group and configured administrators."""

    bot: Bot
    relay: Relay
    queue: Queue
    store: KnowledgeStore
    tz: dt.tzinfo = dt.UTC
    admin_ids: frozenset[int] = frozenset()
    _members: dict[int, tuple[bool, float]] = field(default_factory=dict)

    async def allowed(self, user: User) -> bool:
        if user.id in self.admin_ids:
            return True
        known = self._members.get(user.id)
        if known is not None and time.monotonic() - known[1] < MEMBERSHIP_TTL:
            return known[0]
        try:
            member = await self.relay.in_group(lambda chat: self.bot.get_chat_member(chat, user.id))
            ok = member.status in MEMBER_STATUSES or getattr(member, "is_member", False)
        except Exception:  # unknown to Telegram: not a member
            ok = False
        self._members[user.id] = (ok, time.monotonic())
        if ok:
            await self.queue.operator(user.id, user.first_name)
        return ok

    async def refuse(self, user: User, what: str, ticket_id: int | None = None) -> None:
        log.warning("refused %s by a non-member", what)
        await self.queue.event(ticket_id, "refused", user.id, what)

    async def name(self, operator_id: int | None) -> str | None:
        if operator_id is None:
            return None
        return (await self.queue.operator(operator_id)).name or str(operator_id)


class InOperatorGroup(Filter):
    async def __call__(self, event: Message | CallbackQuery, relay: Relay) -> bool:
        message = event.message if isinstance(event, CallbackQuery) else event
        return message is not None and message.chat.id == relay.group_id


def operator_text(relay: Relay):  # type: ignore[no-untyped-def]
    return relay.catalogs.operator(relay.operator_lang)


def _line(ticket: TicketView, relay: Relay, now: dt.datetime) -> str:
    waited = now - (aware(ticket.waiting_since) or now)
    flag = "🆘 " if ticket.urgent else ""
    queue = f" · {topics.queue_name(ticket.queue, operator_text(relay))}" if ticket.queue else ""
    return (
        f"{flag}#{ticket.id} · {ticket.lang} · {html.escape(ticket.subject or '—')}{queue}"
        f" · {format_wait(relay.operator_lang, waited.total_seconds())}"
    )


# -- commands in the group -------------------------------------------------------------------
async def cmd_queue(message: Message, command: CommandObject, operators: Operators) -> None:
    relay, _o = operators.relay, operator_text(operators.relay)
    waiting = await operators.queue.waiting()
    if not waiting:
        await message.reply(_o("Nobody is waiting."))
        return
    now = utcnow()
    lines = [_o("<b>Waiting: {count}</b>").format(count=len(waiting))]
    lines += [_line(t, relay, now) for t in waiting[:50]]
    await message.reply("\n".join(lines), parse_mode="HTML")


async def cmd_next(message: Message, command: CommandObject, operators: Operators) -> None:
    assert message.from_user is not None
    _o = operator_text(operators.relay)
    claim = await operators.queue.next_for(message.from_user.id)
    if claim.ticket is None:
        await message.reply(_o("Nobody is waiting."))
        return
    await _announce_taken(operators, claim.ticket, message.from_user.id)
    await message.reply(
        _o("You took ticket #{number}: answer in its topic.").format(number=claim.ticket.id)
    )


async def cmd_mine(message: Message, command: CommandObject, operators: Operators) -> None:
    assert message.from_user is not None
    _o = operator_text(operators.relay)
    mine = await operators.queue.mine(message.from_user.id)
    if not mine:
        await message.reply(_o("You have no tickets."))
        return
    now = utcnow()
    await message.reply("\n".join(_line(t, operators.relay, now) for t in mine), parse_mode="HTML")


async def cmd_stats(message: Message, command: CommandObject, operators: Operators) -> None:
    relay, _o = operators.relay, operator_text(operators.relay)
    today = utcnow().astimezone(operators.tz)
    stats = await operators.queue.stats(today.replace(hour=0, minute=0, second=0, microsecond=0))
    median = (
        format_wait(relay.operator_lang, stats.median_first_response)
        if stats.median_first_response is not None
        else "—"
    )
    rating = f"{stats.mean_rating:.1f} ({stats.ratings})" if stats.mean_rating else "—"
    await message.reply(
        "\n".join(
            [
                _o("<b>Today</b>"),
                _o("Opened: {n}").format(n=stats.opened),
                _o("Closed: {n}").format(n=stats.closed),
                _o("Waiting now: {n}").format(n=stats.waiting),
                _o("Being answered now: {n}").format(n=stats.taken),
                _o("Median first response: {time}").format(time=median),
                _o("Satisfaction (1-5): {rating}").format(rating=rating),
            ]
        ),
        parse_mode="HTML",
    )


async def cmd_langs(message: Message, command: CommandObject, operators: Operators) -> None:
    assert message.from_user is not None
    _o = operator_text(operators.relay)
    wanted = (command.args or "").split()
    unknown = [w for w in wanted if w not in USER_LANGS]
    if not wanted or unknown:
        await message.reply(
            _o("Write the languages you read, e.g. /langs ru uz uz-Cyrl. Known: {langs}").format(
                langs=" ".join(USER_LANGS)
            )
        )
        return
    await operators.queue.set_operator(message.from_user.id, langs=wanted)
    await message.reply(_o("Your languages: {langs}").format(langs=" ".join(wanted)))


async def cmd_roles(message: Message, command: CommandObject, operators: Operators) -> None:
    assert message.from_user is not None
    _o = operator_text(operators.relay)
    wanted = (command.args or "").split()
    if any(w not in SPECIALIST_QUEUES for w in wanted):
        await message.reply(_o("Roles: {roles}").format(roles=" ".join(SPECIALIST_QUEUES)))
        return
    await operators.queue.set_operator(message.from_user.id, roles=wanted)
    await message.reply(_o("Your roles: {roles}").format(roles=" ".join(wanted) or "—"))


async def cmd_reply(message: Message, command: CommandObject, operators: Operators) -> None:
    """/reply KEY in a ticket's topic: a prepared text or a content answer, in the person's
    language."""
    assert message.from_user is not None and message.message_thread_id is not None
    relay, _o = operators.relay, operator_text(operators.relay)
    ticket = await relay.tickets.by_topic(message.chat.id, message.message_thread_id)
    if ticket is None or ticket.status == "closed":
        await message.reply(_o("/reply works in the topic of an open ticket."))
        return
    if not await _may_answer(operators, ticket, message.from_user.id, message):
        return
    key = (command.args or "").strip()
    _ = relay.catalogs.user(ticket.lang)
    knowledge = operators.store.current()
    entry = knowledge.content.entries.get(key)
    if entry is not None and entry.is_faq and ticket.lang in entry.texts:
        text = core_render.answer(knowledge.content, entry, ticket.lang, _).text
    else:
        text = canned(key, _)
    if text is None:
        await message.reply(
            _o("Unknown key. Prepared texts: {canned}. Or a content id, e.g. work_permit.").format(
                canned=", ".join(CANNED_KEYS)
            )
        )
        return
    if await relay.send_text_to_user(ticket, text, message.from_user.id):
        await message.reply(_o("Sent to the person:") + "\n" + text, parse_mode="HTML")


# -- messages in a ticket's topic ------------------------------------------------------------
async def _may_answer(
    operators: Operators, ticket: TicketView, operator_id: int, message: Message
) -> bool:
    """Only the assignee answers a taken ticket; a waiting one is taken by whoever answers."""
    _o = operator_text(operators.relay)
    if ticket.status == "waiting":
        claim = await operators.queue.take(ticket.id, operator_id)
        if claim.ok:
            assert claim.ticket is not None
            await _announce_taken(operators, claim.ticket, operator_id, quiet=True)
            return True
        ticket = claim.ticket or ticket
    if ticket.assignee_id == operator_id:
        return True
    holder = await operators.name(ticket.assignee_id)
    await message.reply(
        _o("Not sent: {operator} has taken this ticket. Write // for a note to colleagues.").format(
            operator=holder or "—"
        )
    )
    return False


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
    if not text.startswith("//") and not await _may_answer(
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


async def _announce_taken(
    operators: Operators, ticket: TicketView, operator_id: int, quiet: bool = False
) -> None:
    relay = operators.relay
    name = await operators.name(operator_id)
    if ticket.thread_id is not None and not quiet:
        await relay.bot.send_message(
            relay.group_id,
            operator_text(relay)(_TAKEN_BY).format(operator=name),
            message_thread_id=ticket.thread_id,
        )


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
            for op in await operators.queue.operators()
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
        "queue": cmd_queue,
        "next": cmd_next,
        "mine": cmd_mine,
        "stats": cmd_stats,
        "langs": cmd_langs,
        "roles": cmd_roles,
        "reply": cmd_reply,
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
