"""What a ticket looks like in the operators' group: its topic, header, buttons, summary."""

from __future__ import annotations

import html
from collections.abc import Callable

from bot.core import callbacks as cb
from bot.core.messages import Button, Keyboard
from bot.core.vocabulary import Direction
from bot.services.queue import CLOSE_CATEGORIES, SPECIALIST_QUEUES
from bot.services.tickets import HistoryLine, TicketView
from nlu.languages import NATIVE_NAMES

Gettext = Callable[[str], str]
BLUE, RED = 0x6FB9F0, 0xFB6F5F  # forum topic icon colours Telegram accepts

# Callback data of the group's buttons: <action>:<ticket id>[-<argument>]
TAKE, RELEASE, CLOSE, CLOSE_AS, TRANSFER, TRANSFER_TO = "take", "rel", "cl", "cla", "tr", "trto"
HELD = "held"  # held:<ticket>: show the messages flood control kept back


def topic_name(ticket: TicketView) -> str:
    name = f"#{ticket.id} · {ticket.lang} · {ticket.subject or '—'}"
    return ("🆘 " + name if ticket.urgent else name)[:128]


def colour(ticket: TicketView) -> int:
    return RED if ticket.urgent else BLUE


def _button(text: str, data: str) -> Button:
    return Button(text, cb.encode(*data.split(":", 1)))


def header(
    ticket: TicketView, operator: str | None, _o: Gettext, identity: str | None = None
) -> str:
    lines = [
        _o("<b>Ticket #{number}</b>").format(number=ticket.id)
        + (" · 🆘 " + _o("URGENT") if ticket.urgent else ""),
        _o("Language: {language}").format(
            language=f"{NATIVE_NAMES.get(ticket.lang, ticket.lang)} ({ticket.lang})"
        ),
        _o("Subject: {subject}").format(subject=html.escape(ticket.subject or "—")),
    ]
    if identity:
        lines.append(_o("Telegram: {identity}").format(identity=html.escape(identity)))
    if ticket.queue:
        lines.append(_o("Specialist queue: {queue}").format(queue=queue_name(ticket.queue, _o)))
    if operator:
        lines.append(_o("Taken by: {operator}").format(operator=html.escape(operator)))
    else:
        lines.append(_o("Waiting for an operator."))
    lines.append(
        _o("Write in this topic to answer the person; they see you as «operator».")
        + " "
        + _o("Messages starting with // stay here.")
    )
    return "\n".join(lines)


def header_buttons(ticket: TicketView, _o: Gettext) -> Keyboard:
    first = [
        _button(_o("🙋 Take"), f"{TAKE}:{ticket.id}"),
        _button(_o("↩️ Release"), f"{RELEASE}:{ticket.id}"),
    ]
    second = [
        _button(_o("✅ Close"), f"{CLOSE}:{ticket.id}"),
        _button(_o("➡️ Transfer"), f"{TRANSFER}:{ticket.id}"),
    ]
    return (tuple(first), tuple(second))


def category_name(category: str, _o: Gettext) -> str:
    names = {
        "answered": _o("answered"),
        "referred": _o("referred elsewhere"),
        "no_reply": _o("no reply from the person"),
        "not_our_work": _o("not our work"),
        "spam": _o("spam"),
        "user_blocked": _o("the person blocked the bot"),
    }
    return names.get(category, category)


def queue_name(queue: str, _o: Gettext) -> str:
    names = {"lawyer": _o("lawyer"), "social": _o("social worker"), "medical": _o("medical")}
    return names.get(queue, queue)


def close_buttons(ticket_id: int, _o: Gettext) -> Keyboard:
    return tuple(
        (_button(category_name(c, _o), f"{CLOSE_AS}:{ticket_id}-{c}"),) for c in CLOSE_CATEGORIES
    )


def transfer_buttons(ticket_id: int, colleagues: list[tuple[int, str]], _o: Gettext) -> Keyboard:
    people = [
        (_button("👤 " + name, f"{TRANSFER_TO}:{ticket_id}-op{operator_id}"),)
        for operator_id, name in colleagues
    ]
    queues = [
        (_button("🏷 " + queue_name(q, _o), f"{TRANSFER_TO}:{ticket_id}-q{q}"),)
        for q in SPECIALIST_QUEUES
    ]
    return tuple(people + queues)


def rating_buttons(ticket_id: int) -> Keyboard:
    return (tuple(Button(str(n), cb.encode(cb.RATE, f"{ticket_id}-{n}")) for n in range(1, 6)),)


def urgent_notice(ticket: TicketView, _o: Gettext) -> str:
    return _o(
        "🆘 <b>Urgent ticket #{number}</b> ({language}, {subject}): the person got the "
        "emergency numbers. Please take it now."
    ).format(number=ticket.id, language=ticket.lang, subject=html.escape(ticket.subject or "—"))


def summary(
    history: list[HistoryLine], _o: Gettext, limit: int = 3500, title: str | None = None
) -> list[str]:
    """The conversation so far, for a topic that had to be created again (or `title`)."""
    who = {Direction.IN: _o("person"), Direction.OUT: _o("operator"), Direction.NOTE: _o("note")}
    lines = [title or _o("The topic was deleted and created again. The conversation so far:")]
    for item in history:
        body = item.text if item.text else f"[{item.kind}]"
        lines.append(f"{item.at:%d.%m %H:%M} {who.get(item.direction, item.direction)}: {body}")
    parts, current = [], ""
    for line in lines:
        if len(current) + len(line) + 1 > limit:
            parts.append(current)
            current = ""
        current += line + "\n"
    return [*parts, current] if current else parts
