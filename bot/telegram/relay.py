"""Escalation: a topic per ticket in the operators' group, messages copied both ways."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError, TelegramMigrateToChat
from aiogram.types import Message

from bot.core.i18n import Catalogs
from bot.services.queue import Queue
from bot.services.team import Team
from bot.services.tickets import Tickets, TicketView
from bot.services.users import Users
from bot.telegram import topics
from nlu.gaps import mask

log = logging.getLogger(__name__)
T = TypeVar("T")
ALBUM_WAIT = 1.0  # seconds to collect the parts of an album before copying it at once


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
        queue: Queue,
        team: Team,
        catalogs: Catalogs,
        group_id: int,
        operator_lang: str = "ru",
        reopen_days: int = 3,
    ):
        self.bot = bot
        self.tickets = tickets
        self.users = users
        self.queue = queue
        self.team = team
        self.catalogs = catalogs
        self.group_id = group_id
        self.operator_lang = operator_lang
        self.reopen_within = dt.timedelta(days=reopen_days)
        self._albums: dict[tuple[int, str], list[Message]] = {}
        self._pending: set[asyncio.Task] = set()
        self.on_group_migrated: Callable[[int], Awaitable[None]] | None = None

    @property
    def _o(self):  # type: ignore[no-untyped-def]
        return self.catalogs.operator(self.operator_lang)

    async def in_group(self, call: Callable[[int], Awaitable[T]]) -> T:
        """Call the Bot API on the operators' group, following a migration to a supergroup."""
        try:
            return await call(self.group_id)
        except TelegramMigrateToChat as exc:
            await self.group_migrated(exc.migrate_to_chat_id)
            return await call(self.group_id)

    async def group_migrated(self, new_id: int) -> None:
        if new_id == self.group_id:
            return
        log.warning("operators' group migrated: now %s", new_id)
        old, self.group_id = self.group_id, new_id
        await self.tickets.move_group(old, new_id)
        if self.on_group_migrated is not None:
            await self.on_group_migrated(new_id)

    async def notify(self, text: str) -> None:
        """A message for everyone on duty, in the group's general topic."""
        await self.in_group(lambda chat: self.bot.send_message(chat, text, parse_mode="HTML"))

    # -- tickets ---------------------------------------------------------------------------
    async def open(
        self,
        user_id: int,
        lang: str,
        subject: str | None,
        urgent: bool,
        identity: str | None = None,
    ) -> TicketView:
        """The user's ticket: reopened if closed lately, else the open one or a new one.
        `identity` (e.g. @username) is shown to operators only where configuration allows."""
        existing = await self.tickets.open_of(user_id)
        reopened = None
        if existing is None:
            reopened = await self.queue.reopen_recent(user_id, self.reopen_within)
        ticket, created = await self.tickets.open(user_id, lang, subject, urgent)
        if ticket.thread_id is None or ticket.group_chat_id != self.group_id:
            ticket = await self.make_topic(ticket, identity=identity)
        elif reopened is not None:
            await self._reopen_topic(ticket)
        earlier = existing or reopened
        if urgent and (created or (earlier is not None and not earlier.urgent)):
            await self.notify(topics.urgent_notice(ticket, self._o))
        log.info("ticket %s %s (urgent=%s)", ticket.id, "opened" if created else "kept", urgent)
        return ticket

    async def _reopen_topic(self, ticket: TicketView) -> None:
        assert ticket.thread_id is not None
        try:
            await self.in_group(lambda chat: self.bot.reopen_forum_topic(chat, ticket.thread_id))
        except TelegramBadRequest as exc:
            if _thread_gone(exc):
                await self.make_topic(ticket, recreated=True)
                return
            log.info("topic of ticket %s not reopened: %s", ticket.id, exc.message)
        await self.in_group(
            lambda chat: self.bot.send_message(
                chat,
                self._o("The person wrote again: ticket reopened."),
                message_thread_id=ticket.thread_id,
            )
        )

    async def make_topic(
        self, ticket: TicketView, recreated: bool = False, identity: str | None = None
    ) -> TicketView:
        _o = self._o
        topic = await self.in_group(
            lambda chat: self.bot.create_forum_topic(
                chat, topics.topic_name(ticket), icon_color=topics.colour(ticket)
            )
        )
        thread = topic.message_thread_id
        await self.tickets.set_topic(ticket.id, self.group_id, thread)
        refreshed = await self.tickets.get(ticket.id)
        assert refreshed is not None
        operator = await self.team.name(refreshed.assignee_id)
        await self.bot.send_message(
            self.group_id,
            topics.header(refreshed, operator, _o, identity),
            parse_mode="HTML",
            message_thread_id=thread,
            reply_markup=topics.header_buttons(refreshed, _o),
        )
        if recreated:
            log.warning("topic of ticket %s was deleted: recreated", ticket.id)
            history = await self.tickets.history(ticket.id)
            for part in topics.summary(history, _o):
                await self.bot.send_message(self.group_id, part, message_thread_id=thread)
        return refreshed

    # -- user -> operators -----------------------------------------------------------------
    async def to_group(self, ticket: TicketView, message: Message) -> None:
        if message.media_group_id:
            self._collect(message, lambda parts: self._album_to_group(ticket, parts))
            return
        await self.copy_to_group(
            ticket, [message.message_id], [kind_of(message)], [message.text or message.caption]
        )

    async def _album_to_group(self, ticket: TicketView, parts: list[Message]) -> None:
        await self.copy_to_group(
            ticket,
            [m.message_id for m in parts],
            [kind_of(m) for m in parts],
            [m.caption for m in parts],
        )

    async def copy_to_group(
        self,
        ticket: TicketView,
        message_ids: list[int],
        kinds: list[str],
        texts: list[str | None],
    ) -> None:
        if ticket.thread_id is None or ticket.group_chat_id != self.group_id:
            ticket = await self.make_topic(ticket)
        try:
            copied = await self._copy(ticket, message_ids)
        except TelegramBadRequest as exc:
            if not _thread_gone(exc):
                raise
            ticket = await self.make_topic(ticket, recreated=True)
            copied = await self._copy(ticket, message_ids)
        for source, target, kind, text in zip(message_ids, copied, kinds, texts, strict=False):
            await self.tickets.record(
                ticket,
                direction="in",
                kind=kind,
                text=mask(text) if text else None,
                sender_id=ticket.user_id,
                user_message_id=source,
                group_message_id=target,
            )

    async def _copy(self, ticket: TicketView, message_ids: list[int]) -> list[int]:
        thread = ticket.thread_id
        if len(message_ids) == 1:
            copied = await self.in_group(
                lambda chat: self.bot.copy_message(
                    chat, ticket.user_id, message_ids[0], message_thread_id=thread
                )
            )
            return [copied.message_id]
        many = await self.in_group(
            lambda chat: self.bot.copy_messages(
                chat, ticket.user_id, message_ids, message_thread_id=thread
            )
        )
        return [m.message_id for m in many]

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
        if message.media_group_id:
            self._collect(message, lambda parts: self._album_to_user(ticket, parts))
            return True
        return await self._send_to_user(ticket, [message])

    async def _album_to_user(self, ticket: TicketView, parts: list[Message]) -> None:
        await self._send_to_user(ticket, parts)

    async def _send_to_user(self, ticket: TicketView, messages: list[Message]) -> bool:
        ids = [m.message_id for m in messages]
        try:
            if len(ids) == 1:
                copied = [
                    (await self.bot.copy_message(ticket.user_id, self.group_id, ids[0])).message_id
                ]
            else:
                many = await self.bot.copy_messages(ticket.user_id, self.group_id, ids)
                copied = [m.message_id for m in many]
        except TelegramForbiddenError:
            await self.user_unreachable(ticket)
            return False
        for message, target in zip(messages, copied, strict=False):
            await self.tickets.record(
                ticket,
                direction="out",
                kind=kind_of(message),
                text=mask(message.text or message.caption or "") or None,
                sender_id=message.from_user.id if message.from_user else None,
                user_message_id=target,
                group_message_id=message.message_id,
            )
        await self.queue.operator_replied(ticket.id)
        return True

    async def send_text_to_user(self, ticket: TicketView, text: str, operator_id: int) -> bool:
        """A prepared text (canned reply or content answer) sent on an operator's behalf."""
        try:
            sent = await self.bot.send_message(ticket.user_id, text, parse_mode="HTML")
        except TelegramForbiddenError:
            await self.user_unreachable(ticket)
            return False
        await self.tickets.record(
            ticket,
            direction="out",
            kind="text",
            text=mask(text),
            sender_id=operator_id,
            user_message_id=sent.message_id,
            group_message_id=None,
        )
        await self.queue.operator_replied(ticket.id)
        return True

    def _collect(self, message: Message, flush: Callable[[list[Message]], Awaitable[None]]) -> None:
        key = (message.chat.id, str(message.media_group_id))
        parts = self._albums.setdefault(key, [])
        parts.append(message)
        if len(parts) > 1:
            return

        async def later() -> None:
            await asyncio.sleep(ALBUM_WAIT)
            collected = sorted(self._albums.pop(key, []), key=lambda m: m.message_id)
            try:
                await flush(collected)
            except Exception:  # the log says which; the parts stay in the user's chat
                log.exception("album of %d part(s) not relayed", len(collected))

        task = asyncio.create_task(later())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def drain(self) -> None:
        """Wait for albums still being collected (at shutdown)."""
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)

    # -- ending ----------------------------------------------------------------------------
    async def forget(self, user_id: int) -> None:
        """The person asked to delete their data: their topics go from the group too."""
        for chat, thread in await self.tickets.topics_of(user_id):
            try:
                await self.bot.delete_forum_topic(chat, thread)
            except TelegramBadRequest as exc:  # deleted by a person already
                log.info("topic %s not deleted: %s", thread, exc.message)

    async def user_unreachable(self, ticket: TicketView) -> None:
        """The user blocked the bot: close the ticket and tell the operators."""
        log.info("user of ticket %s blocked the bot", ticket.id)
        await self.users.mark_blocked(ticket.user_id)
        await self.queue.close(ticket.id, None, "user_blocked")
        if ticket.thread_id is not None:
            await self.in_group(
                lambda chat: self.bot.send_message(
                    chat,
                    self._o(
                        "The person blocked the bot: messages cannot reach them. Ticket closed."
                    ),
                    message_thread_id=ticket.thread_id,
                )
            )

    async def close(self, ticket: TicketView, operator_id: int | None, category: str) -> bool:
        if not await self.queue.close(ticket.id, operator_id, category):
            return False
        log.info("ticket %s closed (%s)", ticket.id, category)
        _ = self.catalogs.user(ticket.lang)
        try:
            await self.bot.send_message(
                ticket.user_id,
                _(
                    "The operator has closed this conversation. Write /menu for the topics, "
                    "or write again to talk to a person."
                ),
            )
            await self.bot.send_message(
                ticket.user_id,
                _("How much did we help you? 1 is not at all, 5 is a lot."),
                reply_markup=topics.rating_buttons(ticket.id),
            )
        except TelegramForbiddenError:
            await self.users.mark_blocked(ticket.user_id)
        if ticket.thread_id is not None:
            await self.bot.send_message(
                self.group_id,
                self._o("Ticket closed: {category}.").format(
                    category=topics.category_name(category, self._o)
                ),
                message_thread_id=ticket.thread_id,
            )
            try:
                await self.bot.close_forum_topic(self.group_id, ticket.thread_id)
            except TelegramBadRequest as exc:
                log.warning("could not close topic of ticket %s: %s", ticket.id, exc.message)
        return True
