"""Private chats with migrants: every message and button goes through the engine."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace

from aiogram import F, Router
from aiogram.types import CallbackQuery, Message, Update

from bot.core.engine import CLASSIFY_CHARS, Engine, Knowledge
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
from bot.ops import logs, metrics
from bot.services.gaps import Gaps
from bot.services.helpdesk import Helpdesk, Relayed
from bot.services.outbox import URGENT
from bot.services.users import Users
from bot.telegram import render
from bot.telegram.render import kind_of
from nlu.classifier import Classification
from nlu.rasa import RasaClassifier, RasaUnavailable

log = logging.getLogger(__name__)

# Outcomes that replace the message their button was on instead of adding a new one.
NAVIGATION = {"menu", "topic", "picker", "language", "consent", "stale_button", "delete_ask"}


def inbound_of(message: Message) -> Inbound:
    text = message.text or message.caption
    command = None
    if message.text and message.text.startswith("/"):
        words = message.text[1:].split(maxsplit=1)  # "/ " and "/" have none
        command = (words[0] if words else "").split("@", 1)[0].lower()
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


def relayed(message: Message) -> Relayed:
    answered = message.reply_to_message
    if answered is not None and answered.message_id == message.message_thread_id:
        answered = None  # in a topic, every message "answers" the topic's first message
    return Relayed(
        message.message_id,
        kind_of(message),
        message.text or message.caption,
        str(message.media_group_id) if message.media_group_id else None,
        answered.message_id if answered is not None else None,
    )


@dataclass
class Conversation:
    """Carries out the engine's decisions: what changed is stored, replies go to the outbox,
    and tickets are opened by the helpdesk: all in the update's one unit of work."""

    users: Users
    helpdesk: Helpdesk
    gaps: Gaps
    show_identity: bool = False
    understanding: Understanding | None = None

    async def execute(
        self,
        decision: Decision,
        chat_id: int,
        *,
        message: Message | None = None,
        edit: int | None = None,
        username: str | None = None,
    ) -> None:
        outbox = self.helpdesk.outbox
        await self.gaps.count(decision)
        for action in decision.actions:
            if isinstance(action, DeleteData):
                await self.helpdesk.forget(chat_id)
            elif isinstance(action, SetLanguage | SetConsent):
                await self.users.apply(chat_id, action)
            elif isinstance(action, Feedback):
                await self.gaps.feedback(action, decision.lang or "-")
            elif isinstance(action, Rate):
                await self.helpdesk.queue.rate(action.ticket_id, chat_id, action.rating)
            elif isinstance(action, Unanswered):
                await self.gaps.record(action, chat_id)
        urgent = any(isinstance(a, OpenTicket) and a.urgent for a in decision.actions)
        for i, reply in enumerate(decision.replies):
            if i == 0 and edit is not None:
                await outbox.edit(chat_id, edit, reply.text, reply.buttons)
            else:
                await outbox.send(
                    chat_id, reply.text, buttons=reply.buttons, priority=URGENT if urgent else 0
                )
        for action in decision.actions:
            if isinstance(action, OpenTicket):
                identity = f"@{username}" if self.show_identity and username else None
                first = None
                if action.message_id is not None:
                    if message is not None and message.message_id == action.message_id:
                        first = relayed(message)
                    else:
                        first = Relayed(action.message_id, "message")
                await self.helpdesk.open(
                    chat_id, action.lang, action.subject, action.urgent, identity, first
                )
            elif isinstance(action, RelayToTicket) and message is not None:
                ticket = await self.helpdesk.tickets.open_of(chat_id)
                if ticket is not None:
                    await self.helpdesk.from_person(ticket, relayed(message))


def _decided(outcome: str) -> None:
    """The engine's outcome: counted, and told in the update's log line."""
    metrics.OUTCOMES.labels(outcome).inc()
    logs.note(outcome=outcome)


async def on_message(message: Message, engine: Engine, conversation: Conversation) -> None:
    user = await conversation.users.view(message.chat.id)
    inbound = inbound_of(message)
    if inbound.text and conversation.understanding is not None:
        understood = await conversation.understanding(inbound.text, user.lang)
        inbound = replace(inbound, understood=understood)
    decision = engine.handle(inbound, user)
    _decided(decision.outcome)
    username = message.from_user.username if message.from_user else None
    await conversation.execute(decision, message.chat.id, message=message, username=username)


async def on_button(query: CallbackQuery, engine: Engine, conversation: Conversation) -> None:
    user = await conversation.users.view(query.from_user.id)
    decision = engine.handle(Inbound(user_id=query.from_user.id, callback=query.data), user)
    _decided(decision.outcome)
    await render.answer_quietly(query, decision.notice)
    source = query.message if isinstance(query.message, Message) else None
    edit = (
        source.message_id
        if source is not None and decision.outcome in NAVIGATION and len(decision.replies) == 1
        else None
    )
    await conversation.execute(
        decision, query.from_user.id, edit=edit, username=query.from_user.username
    )


def edit_of(message: Message) -> tuple[str, bool, list[dict] | None] | None:
    """The new text of an edited message, whether it is a caption, and its formatting."""
    if message.text is not None:
        entities = message.entities
        text, caption = message.text, False
    elif message.caption is not None:
        entities = message.caption_entities
        text, caption = message.caption, True
    else:
        return None
    formatting = [e.model_dump(mode="json", exclude_none=True) for e in entities or []]
    return text, caption, formatting or None


async def on_edited(message: Message, conversation: Conversation) -> None:
    """A person edited a message: if it went to their ticket's topic, the copy there is
    edited too (questions the bot answered itself are not asked again)."""
    edit = edit_of(message)
    ticket = await conversation.helpdesk.tickets.open_of(message.chat.id)
    if edit is None or ticket is None:
        return
    text, caption, entities = edit
    await conversation.helpdesk.edited(ticket, True, message.message_id, text, caption, entities)


def make_fallback(users: Users, helpdesk: Helpdesk):  # type: ignore[no-untyped-def]
    """After the last failed attempt at an update: the person's message reaches a human
    even though the bot failed on it, and the person is told so."""

    async def fallback(update: Update) -> None:
        message = update.message
        if message is None or message.chat.type != "private":
            return
        view = await users.view(message.chat.id)
        lang = view.lang or "ru"
        await helpdesk.open(message.chat.id, lang, "error", urgent=False, first=relayed(message))
        _ = helpdesk.catalogs.user(lang)
        await helpdesk.outbox.send(
            message.chat.id,
            _(
                "Sorry, something went wrong on our side. Your message is not lost: "
                "it was passed to a person, who will answer here."
            ),
        )

    return fallback


def make_router() -> Router:
    router = Router(name="private")
    router.message.filter(F.chat.type == "private")
    router.callback_query.filter(F.message.chat.type == "private")
    router.edited_message.filter(F.chat.type == "private")
    router.message.register(on_message)
    router.edited_message.register(on_edited)
    router.callback_query.register(on_button)
    return router
