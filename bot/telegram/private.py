"""Private chats with migrants: every message and button goes through the engine."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.types import CallbackQuery, Message
from babel.dates import format_datetime

from bot.core import render as core_render
from bot.core.engine import CLASSIFY_CHARS, Engine, Knowledge
from bot.core.hours import OfficeHours
from bot.core.i18n import babel_locale, format_number, format_wait
from bot.core.messages import (
    Decision,
    DeleteData,
    Feedback,
    Inbound,
    OpenTicket,
    Rate,
    RelayToTicket,
    SetConsent,
    SetLanguage,
    Unanswered,
)
from bot.services.gaps import Gaps
from bot.services.tickets import TicketView
from bot.services.users import Users
from bot.telegram import render
from bot.telegram.relay import Relay, kind_of
from db.models import utcnow
from nlu.classifier import Classification
from nlu.rasa import RasaClassifier, RasaUnavailable

log = logging.getLogger(__name__)

# Outcomes that replace the message their button was on instead of adding a new one.
NAVIGATION = {"menu", "topic", "picker", "language", "consent", "stale_button", "delete_ask"}


def inbound_of(message: Message) -> Inbound:
    text = message.text or message.caption
    command = None
    if message.text and message.text.startswith("/"):
        word = message.text[1:].split(maxsplit=1)[0] if len(message.text) > 1 else ""
        command = word.split("@", 1)[0].lower()
        text = None
    media = None if message.text is not None else kind_of(message)
    return Inbound(
        user_id=message.chat.id,
        message_id=message.message_id,
        text=text,
        command=command,
        media=media,
    )


class Understanding:
    """Asks a Rasa server for the intent when one is configured. None means: the engine's
    built-in classifier decides (always so without Rasa, and whenever Rasa is unreachable)."""

    def __init__(
        self, knowledge: Callable[[], Knowledge], rasa_url: str | None, token: str | None = None
    ):
        self._knowledge = knowledge
        self._url = rasa_url
        self._token = token
        self._rasa: RasaClassifier | None = None
        self._version = ""

    async def __call__(self, text: str, lang: str | None) -> Classification | None:
        if not self._url:
            return None
        content = self._knowledge().content
        if self._rasa is None or self._version != content.version:
            self._rasa = RasaClassifier(
                self._url, content.urgent_ids, content.urgent_phrases, token=self._token
            )
            self._version = content.version
        try:
            return await self._rasa.classify(text[:CLASSIFY_CHARS], lang)
        except RasaUnavailable as exc:
            log.warning("Rasa unavailable, using the built-in classifier: %s", type(exc).__name__)
            return None


@dataclass
class Conversation:
    """Carries out the engine's decisions: stores what changed, answers, hands over."""

    bot: Bot
    users: Users
    relay: Relay
    gaps: Gaps
    hours: OfficeHours
    show_identity: bool = False
    understanding: Understanding | None = None

    async def execute(
        self,
        decision: Decision,
        chat_id: int,
        *,
        message: Message | None = None,
        edit: Message | None = None,
        username: str | None = None,
    ) -> None:
        for action in decision.actions:
            if isinstance(action, DeleteData):
                await self.relay.forget(chat_id)
            if isinstance(action, SetLanguage | SetConsent | DeleteData):
                await self.users.apply(chat_id, action)
            elif isinstance(action, Feedback):
                log.info("feedback on %s: helpful=%s", action.entry_id, action.helpful)
            elif isinstance(action, Rate):
                await self.relay.queue.rate(action.ticket_id, chat_id, action.rating)
            elif isinstance(action, Unanswered):
                await self.gaps.record(action)
        if not await self._reply(decision, chat_id, edit):
            return
        for action in decision.actions:
            if isinstance(action, OpenTicket):
                identity = f"@{username}" if self.show_identity and username else None
                await self._open(action, chat_id, message, identity)
            elif isinstance(action, RelayToTicket) and message is not None:
                ticket = await self.relay.tickets.open_of(chat_id)
                if ticket is not None:
                    await self.relay.to_group(ticket, message)

    async def _reply(self, decision: Decision, chat_id: int, edit: Message | None) -> bool:
        try:
            for i, reply in enumerate(decision.replies):
                if i == 0 and edit is not None:
                    try:
                        await render.edit(self.bot, edit, reply)
                        continue
                    except TelegramBadRequest:  # too old to edit, or unchanged: send anew
                        pass
                await render.send(self.bot, chat_id, reply)
        except TelegramForbiddenError:
            await self.users.mark_blocked(chat_id)
            ticket = await self.relay.tickets.open_of(chat_id)
            if ticket is not None:
                await self.relay.user_unreachable(ticket)
            return False
        return True

    async def _open(
        self, action: OpenTicket, chat_id: int, message: Message | None, identity: str | None
    ) -> None:
        ticket = await self.relay.open(
            chat_id, action.lang, action.subject, action.urgent, identity
        )
        if action.message_id is not None:
            source = message if message and message.message_id == action.message_id else None
            await self.relay.copy_to_group(
                ticket,
                [action.message_id],
                [kind_of(source) if source else "message"],
                [(source.text or source.caption) if source else None],
            )
        await render.send(self.bot, chat_id, await self._waiting(ticket))

    async def _waiting(self, ticket: TicketView) -> core_render.Reply:
        lang = ticket.lang
        _ = self.relay.catalogs.user(lang)
        place, wait = await self.relay.queue.position(ticket.id)
        now = utcnow()
        opens = None
        if not self.hours.is_open(now):
            moment = self.hours.next_open(now)
            opens = (
                format_datetime(
                    moment, "EEEE HH:mm", tzinfo=self.hours.tz, locale=babel_locale(lang)
                )
                if moment
                else _("the next working day")
            )
        return core_render.waiting(
            _,
            format_number(lang, place) if place > 0 else None,
            format_wait(lang, wait) if wait is not None else None,
            opens,
        )


async def on_message(message: Message, engine: Engine, conversation: Conversation) -> None:
    user = await conversation.users.view(message.chat.id)
    inbound = inbound_of(message)
    if inbound.text and conversation.understanding is not None:
        understood = await conversation.understanding(inbound.text, user.lang)
        inbound = replace(inbound, understood=understood)
    decision = engine.handle(inbound, user)
    log.info("message %s: %s", message.message_id, decision.outcome)
    username = message.from_user.username if message.from_user else None
    await conversation.execute(decision, message.chat.id, message=message, username=username)


async def on_button(query: CallbackQuery, engine: Engine, conversation: Conversation) -> None:
    user = await conversation.users.view(query.from_user.id)
    decision = engine.handle(Inbound(user_id=query.from_user.id, callback=query.data), user)
    log.info("button: %s", decision.outcome)
    await query.answer(decision.notice)
    source = query.message if isinstance(query.message, Message) else None
    edit = source if decision.outcome in NAVIGATION and len(decision.replies) == 1 else None
    await conversation.execute(
        decision, query.from_user.id, edit=edit, username=query.from_user.username
    )


def make_router() -> Router:
    router = Router(name="private")
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.message.register(on_message)
    router.callback_query.register(on_button)
    return router
