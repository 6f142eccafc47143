"""Who is on the team: membership of the operators' group, and how operator text is
localised."""

from __future__ import annotations

import asyncio
import datetime as dt
import html
import logging
from dataclasses import dataclass, field

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest
from aiogram.filters import Filter
from aiogram.types import CallbackQuery, ChatMember, ChatMemberUpdated, Message, User

from bot.core.i18n import format_wait
from bot.core.vocabulary import EventKind
from bot.knowledge import KnowledgeStore
from bot.services import topics
from bot.services.helpdesk import Helpdesk
from bot.services.outbox import general_lane
from bot.services.outbox import message as outbox_message
from bot.services.queue import Queue
from bot.services.tickets import TicketView

log = logging.getLogger(__name__)

MEMBER_STATUSES = {"creator", "administrator", "member"}
MEMBERSHIP_TTL = 300.0  # seconds a member's answer is trusted (joins and leaves: at once)

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


def in_group(member: ChatMember) -> bool:
    """A member of the group (a restricted one too, while still in it)."""
    return member.status in MEMBER_STATUSES or bool(getattr(member, "is_member", False))


class MembershipUnknown(Exception):
    """Telegram could not say whether someone is in the group: the update is tried again."""


@dataclass
class Operators:
    """Who may act: members of the operators' group and configured administrators.

    Telegram tells the bot at once when someone joins or leaves the group (`chat_member`
    updates, recorded in the event log, so that every process knows). Between those, a
    member's answer from `getChatMember` is trusted for `MEMBERSHIP_TTL`; an answer that
    failed is retried and never trusted as a decision."""

    bot: Bot
    helpdesk: Helpdesk
    queue: Queue
    store: KnowledgeStore
    tz: dt.tzinfo = dt.UTC
    admin_ids: frozenset[int] = frozenset()
    retry_delays: tuple[float, ...] = (0.2, 0.5)
    _members: dict[int, tuple[bool, dt.datetime]] = field(default_factory=dict)

    async def allowed(self, user: User) -> bool:
        if user.id in self.admin_ids:
            return True
        ok = await self.is_member(user.id)
        if ok:
            await self.helpdesk.team.operator(user.id, user.first_name)
        return ok

    async def is_member(self, user_id: int) -> bool:
        """In the group now: the newest of what Telegram told us, else asked again."""
        told = [k for k in (self._members.get(user_id), await self.queue.membership(user_id)) if k]
        if told:
            ok, at = max(told, key=lambda known: known[1])
            if (dt.datetime.now(dt.UTC) - at).total_seconds() < MEMBERSHIP_TTL:
                return ok
        member = await self._member(user_id)
        ok = member is not None and in_group(member)
        self._members[user_id] = (ok, dt.datetime.now(dt.UTC))
        return ok

    async def is_administrator(self, user: User) -> bool:
        """A configured administrator, or an administrator of the group (asked each time)."""
        if user.id in self.admin_ids:
            return True
        member = await self._member(user.id)
        return member is not None and member.status in ("creator", "administrator")

    async def _member(self, user_id: int) -> ChatMember | None:
        """What Telegram says of this id in the group (None: an id it does not know); raises
        MembershipUnknown when it could not answer after a few tries."""
        for delay in (*self.retry_delays, None):
            try:
                return await self.bot.get_chat_member(self.helpdesk.group.id, user_id)
            except TelegramBadRequest:
                return None
            except (TelegramAPIError, OSError, TimeoutError) as exc:
                log.warning("membership check failed (%s)", type(exc).__name__)
                if delay is None:
                    raise MembershipUnknown from exc
                await asyncio.sleep(delay)
        raise MembershipUnknown

    async def member_changed(self, user: User, joined: bool, by: int | None) -> list[TicketView]:
        """Telegram said that `user` joined or left the group: believed at once, everywhere."""
        self._members[user.id] = (joined, dt.datetime.now(dt.UTC))
        if joined:
            await self.helpdesk.team.operator(user.id, user.first_name)
        return await self.queue.membership_changed(user.id, joined, by)

    async def on_team(self, operator_id: int) -> bool:
        """Known as an operator (has been a member of the group)."""
        return any(op.id == operator_id for op in await self.helpdesk.team.operators())

    async def refuse(self, user: User, what: str, ticket_id: int | None = None) -> None:
        log.warning("refused: %s (ticket %s)", what.partition(" to ")[0], ticket_id)
        await self.queue.event(ticket_id, EventKind.REFUSED, user.id, what)

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
    async def __call__(
        self, event: Message | CallbackQuery | ChatMemberUpdated, helpdesk: Helpdesk
    ) -> bool:
        where = event.message if isinstance(event, CallbackQuery) else event
        return where is not None and where.chat.id == helpdesk.group.id


def operator_text(helpdesk: Helpdesk):  # type: ignore[no-untyped-def]
    return helpdesk.catalogs.operator(helpdesk.operator_lang)


def line_of(ticket: TicketView, helpdesk: Helpdesk, now: dt.datetime) -> str:
    waited = now - (ticket.waiting_since or now)
    flag = "🆘 " if ticket.urgent else ""
    queue = f" · {topics.queue_name(ticket.queue, operator_text(helpdesk))}" if ticket.queue else ""
    return (
        f"{flag}#{ticket.id} · {ticket.lang} · {html.escape(ticket.subject or '—')}{queue}"
        f" · {format_wait(helpdesk.operator_lang, waited.total_seconds())}"
    )
