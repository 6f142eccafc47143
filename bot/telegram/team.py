"""Who is on the team: membership of the operators' group, and how operator text is
localised."""

from __future__ import annotations

import datetime as dt
import html
import logging
import time
from dataclasses import dataclass, field

from aiogram import Bot
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, Message, User

from bot.core.i18n import format_wait
from bot.knowledge import KnowledgeStore
from bot.services import topics
from bot.services.helpdesk import Helpdesk
from bot.services.outbox import general_lane
from bot.services.outbox import message as outbox_message
from bot.services.queue import Queue, aware
from bot.services.tickets import TicketView

log = logging.getLogger(__name__)

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
    helpdesk: Helpdesk
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
            member = await self.bot.get_chat_member(self.helpdesk.group.id, user.id)
            ok = member.status in MEMBER_STATUSES or getattr(member, "is_member", False)
        except Exception:  # unknown to Telegram: not a member
            ok = False
        self._members[user.id] = (ok, time.monotonic())
        if ok:
            await self.helpdesk.team.operator(user.id, user.first_name)
        return ok

    async def refuse(self, user: User, what: str, ticket_id: int | None = None) -> None:
        log.warning("refused %s by a non-member", what)
        await self.queue.event(ticket_id, "refused", user.id, what)

    async def name(self, operator_id: int | None) -> str | None:
        return await self.helpdesk.team.name(operator_id)

    async def reply(self, message: Message, text: str, html: bool = False) -> None:
        """Answer an operator's message where it was written (General or a topic)."""
        chat = message.chat.id
        await self.helpdesk.outbox.call(
            "sendMessage",
            outbox_message(
                chat,
                text,
                html=html,
                reply_to=message.message_id,
                message_thread_id=message.message_thread_id if message.is_topic_message else None,
            ),
            chat_id=chat,
            lane=general_lane(chat),
        )


class InOperatorGroup(Filter):
    async def __call__(self, event: Message | CallbackQuery, helpdesk: Helpdesk) -> bool:
        message = event.message if isinstance(event, CallbackQuery) else event
        return message is not None and message.chat.id == helpdesk.group.id


def operator_text(helpdesk: Helpdesk):  # type: ignore[no-untyped-def]
    return helpdesk.catalogs.operator(helpdesk.operator_lang)


def line_of(ticket: TicketView, helpdesk: Helpdesk, now: dt.datetime) -> str:
    waited = now - (aware(ticket.waiting_since) or now)
    flag = "🆘 " if ticket.urgent else ""
    queue = f" · {topics.queue_name(ticket.queue, operator_text(helpdesk))}" if ticket.queue else ""
    return (
        f"{flag}#{ticket.id} · {ticket.lang} · {html.escape(ticket.subject or '—')}{queue}"
        f" · {format_wait(helpdesk.operator_lang, waited.total_seconds())}"
    )
