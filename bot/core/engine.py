"""The conversation engine: one inbound event and what we know of the user -> a decision."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from bot.content.model import Content
from bot.core import callbacks as cb
from bot.core import render
from bot.core.i18n import Catalogs
from bot.core.messages import (
    Button,
    Decision,
    DeleteData,
    Feedback,
    Inbound,
    OpenTicket,
    Rate,
    RelayToTicket,
    Reply,
    SetConsent,
    SetLanguage,
    Unanswered,
    UserView,
)
from nlu.langid import switch_language
from nlu.languages import NATIVE_NAMES, USER_LANGS

# The longest part of a message the classifier reads: the question is at the start.
CLASSIFY_CHARS = 1000


class Classifier(Protocol):
    def classify(self, text: str, prior_lang: str | None = None) -> Any: ...


@dataclass(frozen=True)
class Knowledge:
    """The content and the classifier built from it: swapped together on reload."""

    content: Content
    classifier: Classifier


class Engine:
    def __init__(
        self,
        knowledge: Callable[[], Knowledge],
        catalogs: Catalogs,
        retention_days: int = 90,
        identity_shown: bool = False,
    ):
        self._knowledge = knowledge
        self._catalogs = catalogs
        # told in the privacy notice: how long we keep, and what operators see
        self._notice = (retention_days, identity_shown)

    def handle(self, event: Inbound, user: UserView) -> Decision:
        knowledge = self._knowledge()
        if event.callback is not None:
            return self._button(event, user, knowledge)
        if event.command is not None:
            return self._command(event, user, knowledge)
        if user.open_ticket is not None:
            return self._relay(event, user, knowledge)
        if event.text:
            return self._text(event, user, knowledge)
        return self._media(event, user)

    # -- commands and buttons ---------------------------------------------------------------
    def _command(self, event: Inbound, user: UserView, k: Knowledge) -> Decision:
        lang = user.lang or "ru"
        _ = self._catalogs.user(lang)
        command = event.command
        if command == "language" or user.lang is None:
            return self._say(self._picker(), lang, "picker")
        if command in ("start", "menu", "help"):
            if command == "start" and not user.consented:
                return self._say(render.privacy_notice(_, *self._notice), lang, "notice")
            return self._say(render.main_menu(k.content, lang, _), lang, "menu")
        if command == "delete":
            return self._say(self._delete_question(lang), lang, "delete_ask")
        if command == "privacy":
            return self._say(render.privacy_notice(_, *self._notice), lang, "notice")
        return self._say(
            render.main_menu(k.content, lang, _, _("I do not know this command.")),
            lang,
            "unknown_command",
        )

    def _button(self, event: Inbound, user: UserView, k: Knowledge) -> Decision:
        call = cb.decode(event.callback)
        lang = user.lang or "ru"
        _ = self._catalogs.user(lang)
        content = k.content
        if call is None:
            return self._stale(k, lang)
        if call.kind in (cb.LANG, cb.SWITCH) and call.arg in USER_LANGS:
            new = call.arg
            __ = self._catalogs.user(new)
            if user.consented:
                reply = render.main_menu(content, new, __)
            else:
                reply = render.privacy_notice(__, *self._notice)
            return Decision((reply,), (SetLanguage(new),), lang=new, outcome="language")
        if user.lang is None:  # any other button before a language was chosen
            return self._say(self._picker(), lang, "picker")
        if call.kind == cb.CONSENT and call.arg in ("0", "1"):
            accepted = call.arg == "1"
            intro = (
                _("Thank you.")
                if accepted
                else _(
                    "Fine: the questions you ask the bot are not kept. What you write to an "
                    "operator is kept as the notice says; /delete removes it at any time."
                )
            )
            reply = render.main_menu(
                content,
                lang,
                _,
                intro + " " + _("Choose a topic, or write your question in your own words."),
            )
            return Decision((reply,), (SetConsent(accepted),), lang=lang, outcome="consent")
        if call.kind == cb.MENU:
            return self._say(render.main_menu(content, lang, _), lang, "menu")
        if call.kind == cb.TOPIC and content.topic(call.arg):
            return self._say(render.topic_questions(content, call.arg, lang, _), lang, "topic")
        if call.kind == cb.QUESTION:
            shown, entry_id = cb.question_arg(call.arg)
            entry = content.entries.get(entry_id)
            if entry is not None and entry.is_faq:
                if shown in USER_LANGS and shown in entry.texts:
                    lang = shown
                return self._answer(k, entry.id, lang, user, "question")
        entry = content.entries.get(call.arg)
        if call.kind == cb.HELPED and entry is not None:
            return Decision(
                actions=(Feedback(entry.id, True),),
                notice=_("Thank you!"),
                lang=lang,
                outcome="helped",
            )
        if call.kind == cb.HUMAN and (call.arg == "-" or entry is not None):
            decision = self._escalate(user, lang, subject=entry.id if entry else None)
            if entry is None:
                return decision
            # pressed under an answer: the answer did not help (enough)
            return replace(decision, actions=(*decision.actions, Feedback(entry.id, False)))
        if call.kind == cb.HUMAN_MEDIA and call.arg.isdigit():
            return self._escalate(user, lang, message_id=int(call.arg))
        if call.kind == cb.RATE and re.fullmatch(r"\d{1,9}-[1-5]", call.arg):
            ticket, rating = call.arg.split("-")
            return Decision(
                (Reply(_("Thank you for your rating!")),),
                (Rate(int(ticket), int(rating)),),
                notice=_("Thank you!"),
                lang=lang,
                outcome="rated",
            )
        if call.kind == cb.DELETE and call.arg == "ask":
            return self._say(self._delete_question(lang), lang, "delete_ask")
        if call.kind == cb.DELETE and call.arg == "yes":
            reply = Reply(_("Everything we kept about you is deleted. /start begins again."))
            return Decision((reply,), (DeleteData(),), lang=lang, outcome="deleted")
        if call.kind == cb.DELETE and call.arg == "no":
            return self._say(render.main_menu(content, lang, _), lang, "menu")
        return self._stale(k, lang)

    def _stale(self, k: Knowledge, lang: str) -> Decision:
        _ = self._catalogs.user(lang)
        notice = _("This button is no longer valid.")
        reply = render.main_menu(k.content, lang, _)
        return Decision((reply,), notice=notice, lang=lang, outcome="stale_button")

    def _delete_question(self, lang: str) -> Reply:
        _ = self._catalogs.user(lang)
        return Reply(
            _("Delete everything we keep about you, including open conversations?"),
            (
                (
                    Button(_("Yes, delete"), cb.encode(cb.DELETE, "yes")),
                    Button(_("No"), cb.encode(cb.DELETE, "no")),
                ),
            ),
        )

    # -- free text -------------------------------------------------------------------------
    def _text(self, event: Inbound, user: UserView, k: Knowledge) -> Decision:
        text = (event.text or "")[:CLASSIFY_CHARS]
        result = self._understand(event, user, k)
        detected = result.lang if result.lang in USER_LANGS else None
        switch_to = None
        if user.lang is not None:
            switch_to = switch_language(text, user.lang, result.lang, result.lang_confidence)
        if result.urgent:  # the protection lane comes before anything else, even consent
            lang = switch_to or user.lang or detected or "ru"
            return self._urgent(k, lang, result.intent, event.message_id, answer_too=True)
        if user.lang is None:
            _ = self._catalogs.user(detected or "ru")
            return self._say(self._picker(), detected or "ru", "picker")
        lang = switch_to or user.lang
        _ = self._catalogs.user(lang)
        intent = result.intent
        if result.outcome == "answer" and intent in ("greeting", "thanks"):
            intro = _("Hello!") if intent == "greeting" else _("You are welcome!")
            reply = render.main_menu(
                k.content,
                lang,
                _,
                intro + " " + _("Choose a topic, or write your question in your own words."),
            )
            return self._with_switch(Decision((reply,), lang=lang, outcome=intent), switch_to)
        if result.outcome == "answer" and intent == "talk_to_human":
            return self._escalate(user, lang, message_id=event.message_id)
        if result.outcome == "answer" and intent == "change_language":
            return self._say(self._picker(), lang, "picker")
        entry = k.content.entries.get(intent or "")
        if result.outcome == "answer" and entry is not None and entry.is_faq:
            return self._with_switch(self._answer(k, entry.id, lang, user, "answer"), switch_to)
        clarified = tuple(result.choices) if result.outcome == "clarify" else ()
        nearest = clarified or tuple(i for i, _s in result.ranking[:3])
        # A question the bot could not answer is kept for editors only with consent.
        gaps = (Unanswered(text, lang, result.outcome, nearest),) if user.consented else ()
        offered = tuple(
            (Button(e.texts[lang].title, cb.question(e.id, lang)),)
            for e in (k.content.entries.get(i) for i in result.choices)
            if e is not None and e.is_faq and lang in e.texts
        )
        person = (Button(_("🙋 Talk to a person"), cb.encode(cb.HUMAN, "-")),)
        danger = k.content.entries.get(result.choices[0]) if result.choices else None
        if result.outcome == "clarify" and result.maybe_urgent and danger and danger.urgent:
            # Perhaps danger, not clearly: the emergency lane one press away, first.
            yes = Button(_("🆘 Yes, this is an emergency"), cb.question(danger.id, lang))
            rest = tuple(row for row in offered if row[0].data != yes.data)
            reply = Reply(_("Is this an emergency?"), ((yes,), *rest, person))
            decision = Decision((reply,), gaps, lang=lang, outcome="clarify_urgent")
            return self._with_switch(decision, switch_to)
        if result.outcome == "clarify" and offered:
            reply = Reply(_("Did you mean one of these?"), (*offered, person))
            decision = Decision((reply,), gaps, lang=lang, outcome="clarify")
            return self._with_switch(decision, switch_to)
        reply = render.main_menu(
            k.content,
            lang,
            _,
            _("I did not find an answer to that. Choose a topic, or talk to a person."),
        )
        # The safety net: an urgent entry that scored a little is offered first.
        reply = Reply(reply.text, (*offered, *reply.buttons))
        return self._with_switch(Decision((reply,), gaps, lang=lang, outcome="none"), switch_to)

    def _with_switch(self, decision: Decision, switch_to: str | None) -> Decision:
        if switch_to is None:
            return decision
        _ = self._catalogs.user(switch_to)
        offer = Reply(
            _("Shall I keep speaking {language}?").format(language=NATIVE_NAMES[switch_to]),
            ((Button(NATIVE_NAMES[switch_to], cb.encode(cb.SWITCH, switch_to)),),),
        )
        return Decision(
            (*decision.replies, offer),
            decision.actions,
            decision.notice,
            decision.lang,
            decision.outcome + "+switch_offer",
        )

    @staticmethod
    def _understand(event: Inbound, user: UserView, k: Knowledge) -> Any:
        """The classification made elsewhere (a Rasa server), else the built-in one."""
        if event.understood is not None:
            return event.understood
        return k.classifier.classify((event.text or "")[:CLASSIFY_CHARS], prior_lang=user.lang)

    def _relay(self, event: Inbound, user: UserView, k: Knowledge) -> Decision:
        """A person is already talking to the team: no auto-answers, but danger still
        raises the ticket's priority and brings the emergency numbers at once."""
        relay = Decision(actions=(RelayToTicket(),), lang=user.lang, outcome="relay")
        if not event.text:
            return relay
        result = self._understand(event, user, k)
        if not result.urgent:
            return relay
        lang = user.lang or "ru"
        _ = self._catalogs.user(lang)
        return Decision(
            (render.emergency(k.content, lang, _),),
            (RelayToTicket(), OpenTicket(lang, subject=result.intent, urgent=True)),
            lang=lang,
            outcome="relay+urgent",
        )

    def _media(self, event: Inbound, user: UserView) -> Decision:
        lang = user.lang or "ru"
        _ = self._catalogs.user(lang)
        if user.lang is None:
            return self._say(self._picker(), lang, "picker")
        buttons: list[tuple[Button, ...]] = []
        if event.message_id is not None:
            data = cb.encode(cb.HUMAN_MEDIA, str(event.message_id))
            buttons.append((Button(_("🙋 Send it to a person"), data),))
        buttons.append((Button(_("⬅️ Menu"), cb.MENU),))
        reply = Reply(
            _("I can only read text. Write your question, or send this to a person."),
            tuple(buttons),
        )
        return Decision((reply,), lang=lang, outcome="media")

    # -- answers and people ----------------------------------------------------------------
    def _answer(self, k: Knowledge, entry_id: str, lang: str, user: UserView, why: str) -> Decision:
        entry = k.content.entries[entry_id]
        _ = self._catalogs.user(lang)
        if entry.urgent:
            return self._urgent(k, lang, entry_id, None, answer_too=True)
        return self._say(render.answer(k.content, entry, lang, _), lang, why, entry_id)

    def _urgent(
        self,
        k: Knowledge,
        lang: str,
        intent: str | None,
        message_id: int | None,
        answer_too: bool = False,
    ) -> Decision:
        _ = self._catalogs.user(lang)
        replies = [render.emergency(k.content, lang, _)]
        entry = k.content.entries.get(intent or "")
        if answer_too and entry is not None and lang in entry.texts:
            replies.append(render.answer(k.content, entry, lang, _))
        action = OpenTicket(lang, subject=intent, urgent=True, message_id=message_id)
        return Decision(tuple(replies), (action,), lang=lang, outcome="urgent")

    def _escalate(
        self, user: UserView, lang: str, subject: str | None = None, message_id: int | None = None
    ) -> Decision:
        _ = self._catalogs.user(lang)
        if user.open_ticket is not None:
            reply = Reply(_("You are already talking to our team. Write here: they read it."))
            return Decision((reply,), lang=lang, outcome="already_open")
        reply = Reply(
            _(
                "I am passing your conversation to a person. Write your question here; "
                "an operator will answer in this chat."
            )
        )
        action = OpenTicket(lang, subject=subject, message_id=message_id)
        return Decision((reply,), (action,), lang=lang, outcome="escalate")

    def _picker(self) -> Reply:
        return render.language_picker({lang: self._catalogs.user(lang) for lang in USER_LANGS})

    @staticmethod
    def _say(reply: Reply, lang: str, outcome: str, entry: str | None = None) -> Decision:
        return Decision((reply,), lang=lang, outcome=outcome, extra={"entry": entry})
