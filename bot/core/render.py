"""Building the replies the user sees from content and interface strings."""

from __future__ import annotations

import html

from bot.content.model import CONTACT_REF, Contact, Content, Entry
from bot.core import callbacks as cb
from bot.core.i18n import Gettext
from bot.core.messages import Button, Keyboard, Reply
from nlu.languages import NATIVE_NAMES, USER_LANGS

EMERGENCY_CONTACTS = ("emergency_112", "police_102", "ambulance_103", "hotline_111")


def language_picker(gettexts: dict[str, Gettext]) -> Reply:
    """The picker speaks every language at once: the user has not chosen one yet."""
    names = [Button(NATIVE_NAMES[lang], cb.encode(cb.LANG, lang)) for lang in USER_LANGS]
    rows = tuple(tuple(names[i : i + 2]) for i in range(0, len(names), 2))
    asks: list[str] = []
    for lang in USER_LANGS:
        ask = gettexts[lang]("Choose your language")
        if ask not in asks:
            asks.append(ask)
    return Reply(" / ".join(asks), rows)


def choose_language_marker(_: Gettext) -> str:
    return _("Choose your language")  # extracted for the catalogs; used by language_picker


def privacy_notice(_: Gettext, days: int, identity_shown: bool = False) -> Reply:
    """What is kept and for how long, as docs/privacy.md says it in full; what operators
    see follows KOMEK_SHOW_USER_IDENTITY."""
    seen = (
        _("Operators see your Telegram username, never your phone number.")
        if identity_shown
        else _("Operators see no phone number or username.")
    )
    text = _(
        "<b>Before we start</b>\n"
        "We keep your Telegram id, your language and, if you talk to an operator, your "
        "messages to them. {operators_see} {days} days after your last conversation with us, "
        "all of it is deleted; only figures without your id stay (language, topic, dates, "
        "your rating). Questions the bot could not answer are kept for editors for up to 180 "
        "days. /delete removes everything about you at any time.\n"
        "Never send photos or numbers of your passport or other documents."
    ).format(operators_see=seen, days=days)
    return Reply(
        text,
        (
            (Button(_("✅ I agree"), cb.encode(cb.CONSENT, "1")),),
            (Button(_("Continue without saving"), cb.encode(cb.CONSENT, "0")),),
        ),
    )


def main_menu(content: Content, lang: str, _: Gettext, intro: str | None = None) -> Reply:
    buttons = [
        Button(f"{t.icon} {t.titles.get(lang) or t.id}".strip(), cb.encode(cb.TOPIC, t.id))
        for t in content.topics
    ]
    rows = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
    rows.append((Button(_("🙋 Talk to a person"), cb.encode(cb.HUMAN, "-")),))
    text = intro or _("Choose a topic, or write your question in your own words.")
    return Reply(text, tuple(rows))


def topic_questions(content: Content, topic_id: str, lang: str, _: Gettext) -> Reply:
    topic = content.topic(topic_id)
    title = topic.titles.get(lang, topic_id) if topic else topic_id
    rows = [
        (Button(_title(entry, lang), cb.question(entry.id, lang)),)
        for entry in content.entries_of(topic_id)
    ]
    rows.append((Button(_("⬅️ Menu"), cb.MENU),))
    return Reply(f"<b>{html.escape(title)}</b>", tuple(rows))


def answer(content: Content, entry: Entry, lang: str, _: Gettext) -> Reply:
    text = entry.texts.get(lang)
    if text is None:  # content check reports it; never leave the user without a reply
        return Reply(
            _("Sorry, this answer is not available in your language yet."), _after(entry, _)
        )
    body = expand_contacts(content, text.answer, lang, _)
    return Reply(f"<b>{html.escape(text.title)}</b>\n\n{body}", _after(entry, _, content, lang))


def _after(entry: Entry, _: Gettext, content: Content | None = None, lang: str = "") -> Keyboard:
    rows: list[tuple[Button, ...]] = [
        (
            Button(_("👍 This helped"), cb.encode(cb.HELPED, entry.id)),
            Button(_("🙋 Talk to a person"), cb.encode(cb.HUMAN, entry.id)),
        )
    ]
    if content is not None:
        for rel in entry.related[:3]:
            related = content.entries.get(rel)
            if related is not None and lang in related.texts:
                rows.append((Button("➡️ " + _title(related, lang), cb.question(rel, lang)),))
    rows.append((Button(_("⬅️ Menu"), cb.MENU),))
    return tuple(rows)


def _title(entry: Entry, lang: str) -> str:
    text = entry.texts.get(lang)
    return text.title if text and text.title else entry.id


def contact_line(contact: Contact, lang: str, _: Gettext) -> str:
    name = html.escape(contact.names.get(lang) or contact.id)
    if contact.is_placeholder:
        return f"• <b>{name}</b>: " + _("number being checked, ask an operator")
    parts = [p for p in (contact.phone, contact.web) if p]
    if contact.hours:
        parts.append(contact.hours)
    return f"• <b>{name}</b>: " + html.escape(", ".join(parts))


def expand_contacts(content: Content, text: str, lang: str, _: Gettext) -> str:
    def replace(match) -> str:  # type: ignore[no-untyped-def]
        contact = content.contacts.get(match.group(1))
        return contact_line(contact, lang, _) if contact else ""

    return CONTACT_REF.sub(replace, text)


def emergency(content: Content, lang: str, _: Gettext) -> Reply:
    lines = [
        contact_line(content.contacts[c], lang, _)
        for c in EMERGENCY_CONTACTS
        if c in content.contacts
    ]
    text = (
        _("<b>You are not alone. A person from the hotline is being connected now.</b>")
        + "\n\n"
        + _("If you are in danger right now, call:")
        + "\n"
        + "\n".join(lines)
        + "\n\n"
        + _(
            "You can also talk to us here. Help from the NGO does not go through the police. "
            "Your consulate can help too."
        )
    )
    return Reply(text, ((Button(_("⬅️ Menu"), cb.MENU),),))


def waiting(_: Gettext, place: str | None, wait: str | None, opens: str | None) -> Reply:
    """Honest waiting: place in the queue, expected wait, and when people are at work."""
    lines = []
    if opens is not None:
        lines.append(
            _("Our operators are not at work now. A person will answer from {time}.").format(
                time=opens
            )
        )
    if place is not None:
        lines.append(_("You are number {place} in the queue.").format(place=place))
        if wait is not None and opens is None:
            lines.append(_("Expected wait: about {time}.").format(time=wait))
        elif opens is None:
            lines.append(_("We cannot yet say how long the wait will be."))
    lines.append(_("Your messages here reach the operators; you do not need to write twice."))
    return Reply("\n".join(lines))
