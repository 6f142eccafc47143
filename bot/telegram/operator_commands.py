"""The operators' commands: /queue /next /mine /stats /langs /roles /reply, /audit and
/console."""

from __future__ import annotations

import datetime as dt
import html
import logging

from aiogram.filters import CommandObject
from aiogram.types import Message

from bot.console import ConsoleLinks
from bot.core import render as core_render
from bot.core.i18n import format_wait
from bot.core.vocabulary import EventKind, TicketStatus
from bot.services.outbox import message as outbox_message
from bot.services.outbox import person_lane
from bot.services.queue import SPECIALIST_QUEUES
from bot.telegram.team import CANNED_KEYS, Operators, canned, line_of, operator_text
from nlu.languages import USER_LANGS

log = logging.getLogger(__name__)
STATS_ANSWERS = 5  # /stats: the answers people said most of today


async def cmd_queue(message: Message, command: CommandObject, operators: Operators) -> None:
    helpdesk, _o = operators.helpdesk, operator_text(operators.helpdesk)
    waiting = await operators.queue.waiting()
    if not waiting:
        await operators.reply(message, _o("Nobody is waiting."))
        return
    now = dt.datetime.now(dt.UTC)
    lines = [_o("<b>Waiting: {count}</b>").format(count=len(waiting))]
    lines += [line_of(t, helpdesk, now) for t in waiting[:50]]
    await operators.reply(message, "\n".join(lines), html=True)


async def cmd_next(message: Message, command: CommandObject, operators: Operators) -> None:
    assert message.from_user is not None
    _o = operator_text(operators.helpdesk)
    claim = await operators.queue.next_for(message.from_user.id)
    if claim.ticket is None:
        await operators.reply(message, _o("Nobody is waiting."))
        return
    await operators.helpdesk.announce_taken(claim.ticket, message.from_user.id)
    await operators.reply(
        message,
        _o("You took ticket #{number}: answer in its topic.").format(number=claim.ticket.id),
    )


async def cmd_mine(message: Message, command: CommandObject, operators: Operators) -> None:
    assert message.from_user is not None
    _o = operator_text(operators.helpdesk)
    mine = await operators.queue.mine(message.from_user.id)
    if not mine:
        await operators.reply(message, _o("You have no tickets."))
        return
    now = dt.datetime.now(dt.UTC)
    await operators.reply(
        message, "\n".join(line_of(t, operators.helpdesk, now) for t in mine), html=True
    )


async def cmd_stats(message: Message, command: CommandObject, operators: Operators) -> None:
    helpdesk, _o = operators.helpdesk, operator_text(operators.helpdesk)
    today = dt.datetime.now(dt.UTC).astimezone(operators.tz)
    stats = await operators.queue.stats(today.replace(hour=0, minute=0, second=0, microsecond=0))
    median = (
        format_wait(helpdesk.operator_lang, stats.median_first_response)
        if stats.median_first_response is not None
        else "—"
    )
    rating = f"{stats.mean_rating:.1f} ({stats.ratings})" if stats.mean_rating else "—"
    await operators.reply(
        message,
        "\n".join(
            [
                _o("<b>Today</b>"),
                _o("Opened: {n}").format(n=stats.opened),
                _o("Closed: {n}").format(n=stats.closed),
                _o("Waiting now: {n}").format(n=stats.waiting),
                _o("Being answered now: {n}").format(n=stats.taken),
                _o("Median first response: {time}").format(time=median),
                _o("Satisfaction (1-5): {rating}").format(rating=rating),
                _o(
                    "Answers that helped (👍): {helped}; a person asked for after one (🙋): {n}"
                ).format(
                    helped=sum(a[2] for a in stats.answers),
                    n=sum(a[3] for a in stats.answers),
                ),
                *(
                    f"• {html.escape(entry)} ({lang}): 👍 {helped} · 🙋 {not_helped}"
                    for entry, lang, helped, not_helped in stats.answers[:STATS_ANSWERS]
                ),
            ]
        ),
        html=True,
    )


async def cmd_langs(message: Message, command: CommandObject, operators: Operators) -> None:
    assert message.from_user is not None
    _o = operator_text(operators.helpdesk)
    wanted = (command.args or "").split()
    unknown = [w for w in wanted if w not in USER_LANGS]
    if not wanted or unknown:
        await operators.reply(
            message,
            _o("Write the languages you read, e.g. /langs ru uz uz-Cyrl. Known: {langs}").format(
                langs=" ".join(USER_LANGS)
            ),
        )
        return
    await operators.helpdesk.team.set_operator(message.from_user.id, langs=wanted)
    await operators.reply(message, _o("Your languages: {langs}").format(langs=" ".join(wanted)))


async def cmd_roles(message: Message, command: CommandObject, operators: Operators) -> None:
    assert message.from_user is not None
    _o = operator_text(operators.helpdesk)
    wanted = (command.args or "").split()
    if any(w not in SPECIALIST_QUEUES for w in wanted):
        await operators.reply(
            message, _o("Roles: {roles}").format(roles=" ".join(SPECIALIST_QUEUES))
        )
        return
    await operators.helpdesk.team.set_operator(message.from_user.id, roles=wanted)
    await operators.reply(message, _o("Your roles: {roles}").format(roles=" ".join(wanted) or "—"))


async def cmd_reply(message: Message, command: CommandObject, operators: Operators) -> None:
    """/reply KEY in a ticket's topic: a prepared text or a content answer, in the person's
    language."""
    assert message.from_user is not None
    helpdesk, _o = operators.helpdesk, operator_text(operators.helpdesk)
    thread = message.message_thread_id if message.is_topic_message else None
    ticket = await helpdesk.tickets.by_topic(message.chat.id, thread) if thread else None
    if ticket is None or ticket.status == TicketStatus.CLOSED:
        await operators.reply(message, _o("/reply works in the topic of an open ticket."))
        return
    if not await helpdesk.may_answer(ticket, message.from_user.id, message.message_id):
        return
    key = (command.args or "").strip()
    _ = helpdesk.catalogs.user(ticket.lang)
    knowledge = operators.store.current()
    entry = knowledge.content.entries.get(key)
    if entry is not None and entry.is_faq and ticket.lang in entry.texts:
        text = core_render.answer(knowledge.content, entry, ticket.lang, _).text
    else:
        text = canned(key, _)
    if text is None:
        await operators.reply(
            message,
            _o("Unknown key. Prepared texts: {canned}. Or a content id, e.g. work_permit.").format(
                canned=", ".join(CANNED_KEYS)
            ),
        )
        return
    await helpdesk.send_text(ticket, text, message.from_user.id)
    await operators.reply(message, _o("Sent to the person:") + "\n" + text, html=True)


async def cmd_audit(message: Message, command: CommandObject, operators: Operators) -> None:
    """/audit (administrators only): the latest refusals, joins and departures, console
    sign-ins and exports, newest first."""
    _o = operator_text(operators.helpdesk)
    user = message.from_user
    if user is None or not await operators.is_administrator(user):
        if user is not None:
            await operators.refuse(user, "/audit")
        await operators.reply(message, _o("Only administrators can see the audit log."))
        return
    events = await operators.queue.audit()
    if not events:
        await operators.reply(message, _o("Nothing in the audit log yet."))
        return
    said = {
        EventKind.MEMBER_JOINED: _o("joined the group"),
        EventKind.MEMBER_LEFT: _o("left the group"),
        EventKind.CONSOLE_SIGNIN: _o("signed in to the console"),
        EventKind.CONSOLE_EXPORT: _o("exported the console's figures"),
    }
    lines = [_o("<b>Refusals, changes of membership, console sign-ins and exports</b>")]
    for event in events:
        when = event.at.astimezone(operators.tz).strftime("%d.%m %H:%M")
        who = await operators.name(event.actor_id) or "—"
        what = said.get(event.kind) or _o("refused: {what}").format(what=event.detail or "—")
        if event.kind in said and event.detail:
            what += f" ({event.detail})"
        where = f" · #{event.ticket_id}" if event.ticket_id else ""
        lines.append(f"{when} · {html.escape(who)} ({event.actor_id}) · {html.escape(what)}{where}")
    await operators.reply(message, "\n".join(lines), html=True)


async def cmd_console(
    message: Message,
    command: CommandObject,
    operators: Operators,
    console: ConsoleLinks | None = None,
) -> None:
    """/console: a one-time sign-in link to the web console, sent in a private chat."""
    _o = operator_text(operators.helpdesk)
    user = message.from_user
    if user is None or not await operators.allowed(user):
        if user is not None:
            await operators.refuse(user, "/console")
        await operators.reply(message, _o("Only the hotline's operators can do this."))
        return
    if console is None:
        await operators.reply(message, _o("The web console is off (KOMEK_CONSOLE_PORT)."))
        return
    link = await console.link(user.id)
    text = _o("Your sign-in link to the console (it works once, within 10 minutes):")
    await operators.helpdesk.outbox.call(
        "sendMessage",
        outbox_message(
            user.id, f"{text}\n{link}", html=False, link_preview_options={"is_disabled": True}
        ),
        chat_id=user.id,
        lane=person_lane(user.id),
    )
    await operators.reply(
        message,
        _o(
            "I sent you a sign-in link in a private chat with the bot. Nothing came? Open a "
            "chat with the bot, press Start, and write /console here again."
        ),
    )
