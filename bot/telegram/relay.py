"""Escalation: a topic per ticket in the operators' group, messages copied both ways."""

from __future__ import annotations

import html
import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.core.i18n import Catalogs
from bot.services.tickets import Tickets, TicketView
from bot.services.users import Users
from nlu.gaps import mask
from nlu.languages import NATIVE_NAMES

log = logging.getLogger(__name__)

CLOSE = "close"  # callback data in the group: close:<ticket id>
BLUE, RED = 0x6FB9F0, 0xFB6F5F  # forum topic icon colours Telegram accepts


def _thread_gone(exc: TelegramBadRequest) -> bool:
    text = exc.message.lower()
    return "thread not found" in text or "topic_deleted" in text or "topic deleted" in text


def kind_of(message: Message) -> str:
    return str(message.content_type).rsplit(".", 1)[-1].lower()


class Relay:
    def __init__(
        self,
        bot: Bot,
        tickets: Tickets,
        users: Users,
        catalogs: Catalogs,
        group_id: int,
        operator_lang: str = "ru",
    ):
        self.bot = bot
        self.tickets = tickets
        self.users = users
        self.catalogs = catalogs
        self.group_id = group_id
        self.operator_lang = operator_lang

    # -- tickets ---------------------------------------------------------------------------
    async def open(self, user_id: int, lang: str, subject: str | None, urgent: bool) -> TicketView:
        ticket, created = await self.tickets.open(user_id, lang, subject, urgent)
        if created or ticket.thread_id is None:
            ticket = await self._make_topic(ticket)
        log.info("ticket %s %s (urgent=%s)", ticket.id, "opened" if created else "kept", urgent)
        return ticket

    async def _make_topic(self, ticket: TicketView) -> TicketView:
        _o = self.catalogs.operator(self.operator_lang)
        name = f"#{ticket.id} · {ticket.lang} · {ticket.subject or '—'}"
        if ticket.urgent:
            name = "🆘 " + name
        topic = await self.bot.create_forum_topic(
            self.group_id, name[:128], icon_color=RED if ticket.urgent else BLUE
        )
        await self.tickets.set_topic(ticket.id, self.group_id, topic.message_thread_id)
        header = "\n".join(
            [
                _o("<b>Ticket #{number}</b>").format(number=ticket.id)
                + (" · " + _o("URGENT") if ticket.urgent else ""),
                _o("Language: {language}").format(
                    language=NATIVE_NAMES.get(ticket.lang, ticket.lang)
                ),
                _o("Subject: {subject}").format(subject=html.escape(ticket.subject or "—")),
                _o("Write in this topic to answer the person; they see you as «operator».")
                + " "
                + _o("Messages starting with // stay here."),
            ]
        )
        close = InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text=_o("✅ Close"), callback_data=f"{CLOSE}:{ticket.id}")]
            ]
        )
        await self.bot.send_message(
            self.group_id,
            header,
            parse_mode="HTML",
            message_thread_id=topic.message_thread_id,
            reply_markup=close,
        )
        refreshed = await self.tickets.get(ticket.id)
        assert refreshed is not None
        return refreshed

    # -- user -> operators -----------------------------------------------------------------
    async def to_group(self, ticket: TicketView, message: Message) -> None:
        await self.copy_to_group(
            ticket, message.message_id, kind_of(message), message.text or message.caption
        )

    async def copy_to_group(
        self, ticket: TicketView, message_id: int, kind: str, text: str | None
    ) -> None:
        if ticket.thread_id is None:  # topic creation failed earlier: try again now
            ticket = await self._make_topic(ticket)
        try:
            copied = await self.bot.copy_message(
                self.group_id, ticket.user_id, message_id, message_thread_id=ticket.thread_id
            )
        except TelegramBadRequest as exc:
            if not _thread_gone(exc):
                raise
            log.warning("topic of ticket %s was deleted: recreating it", ticket.id)
            ticket = await self._make_topic(ticket)
            assert ticket.thread_id is not None
            copied = await self.bot.copy_message(
                self.group_id, ticket.user_id, message_id, message_thread_id=ticket.thread_id
            )
        await self.tickets.record(
            ticket,
            direction="in",
            kind=kind,
            text=mask(text) if text else None,
            sender_id=ticket.user_id,
            user_message_id=message_id,
            group_message_id=copied.message_id,
        )

    # -- operators -> user -----------------------------------------------------------------
    async def to_user(self, ticket: TicketView, message: Message) -> bool:
        """Copy an operator's message to the user; False when the user cannot be reached."""
        text = message.text or message.caption
        operator = message.from_user.id if message.from_user else None
        if text and text.startswith("//"):
            await self.tickets.record(
                ticket,
                direction="note",
                kind=kind_of(message),
                text=mask(text),
                sender_id=operator,
                user_message_id=None,
                group_message_id=message.message_id,
            )
            return True
        try:
            copied = await self.bot.copy_message(ticket.user_id, self.group_id, message.message_id)
        except TelegramForbiddenError:
            await self.user_unreachable(ticket)
            return False
        await self.tickets.record(
            ticket,
            direction="out",
            kind=kind_of(message),
            text=mask(text) if text else None,
            sender_id=operator,
            user_message_id=copied.message_id,
            group_message_id=message.message_id,
        )
        return True

    async def user_unreachable(self, ticket: TicketView) -> None:
        """The user blocked the bot: close the ticket and tell the operators."""
        log.info("user of ticket %s blocked the bot", ticket.id)
        await self.users.mark_blocked(ticket.user_id)
        await self.tickets.close(ticket.id, "user_blocked")
        _o = self.catalogs.operator(self.operator_lang)
        if ticket.thread_id is not None:
            await self.bot.send_message(
                self.group_id,
                _o("The person blocked the bot: messages cannot reach them. Ticket closed."),
                message_thread_id=ticket.thread_id,
            )

    async def close(self, ticket: TicketView, operator_id: int | None) -> bool:
        if not await self.tickets.close(ticket.id, "resolved"):
            return False
        log.info("ticket %s closed by operator %s", ticket.id, operator_id)
        _ = self.catalogs.user(ticket.lang)
        try:
            await self.bot.send_message(
                ticket.user_id,
                _(
                    "The operator has closed this conversation. Write /menu for the topics, "
                    "or write again to talk to a person."
                ),
            )
        except TelegramForbiddenError:
            await self.users.mark_blocked(ticket.user_id)
        if ticket.thread_id is not None:
            try:
                await self.bot.close_forum_topic(self.group_id, ticket.thread_id)
            except TelegramBadRequest as exc:
                log.warning("could not close topic of ticket %s: %s", ticket.id, exc.message)
        return True
