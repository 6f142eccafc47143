"""The helpdesk's rules for tickets, with no Telegram library in sight: opening and reopening,
the urgent notice, relaying a person's messages into their topic and an operator's to the
person, `//` notes, who may answer, closing, a person who blocked the bot, erasure.

Everything here runs inside the unit of work of the update that caused it: state changes are
written with the outbox rows of the messages they cause, and committed together.
"""

from __future__ import annotations

import datetime as dt
import html
import logging
from dataclasses import dataclass

from babel.dates import format_datetime

from bot.core import callbacks as cb
from bot.core import render as core_render
from bot.core.hours import OfficeHours
from bot.core.i18n import Catalogs, babel_locale, format_number, format_wait
from bot.core.messages import Button
from bot.core.vocabulary import Direction, TicketStatus
from bot.services import topics
from bot.services.outbox import URGENT, Group, Outbox, markup, person_lane, topic_lane
from bot.services.queue import Queue
from bot.services.team import Team
from bot.services.tickets import Tickets, TicketView
from bot.services.users import Users
from db.models import utcnow
from nlu.gaps import mask

log = logging.getLogger(__name__)

NOTE_PREFIX = "//"
# Messages the Bot API cannot copy (copyMessage): described in the topic instead.
UNCOPYABLE = frozenset({"poll", "dice", "story", "giveaway", "giveaway_winners", "invoice"})


@dataclass(frozen=True)
class Relayed:
    """A message to pass on: its id in the chat it came from, what it is, its text."""

    message_id: int
    kind: str
    text: str | None = None
    media_group: str | None = None
    reply_to: int | None = None  # the message it answers, in the same chat


class Helpdesk:
    def __init__(
        self,
        tickets: Tickets,
        users: Users,
        queue: Queue,
        team: Team,
        outbox: Outbox,
        catalogs: Catalogs,
        hours: OfficeHours,
        operator_lang: str = "ru",
        reopen_days: int = 3,
        flood_per_minute: int = 0,
        brake_waiting: int = 0,
    ):
        self.tickets = tickets
        self.users = users
        self.queue = queue
        self.team = team
        self.outbox = outbox
        self.catalogs = catalogs
        self.hours = hours
        self.operator_lang = operator_lang
        self.reopen_within = dt.timedelta(days=reopen_days)
        self.flood_per_minute = flood_per_minute  # 0: no limit
        self.brake_waiting = brake_waiting  # 0: no brake

    @property
    def group(self) -> Group:
        return self.outbox.group

    @property
    def _o(self):  # type: ignore[no-untyped-def]
        return self.catalogs.operator(self.operator_lang)

    async def notify(self, text: str, urgent: bool = False, html: bool = True) -> None:
        """A message for everyone on duty, in the group's General topic."""
        await self.outbox.to_general(text, priority=URGENT if urgent else 0, html=html)

    # -- a person asks for a human ----------------------------------------------------------
    async def open(
        self,
        user_id: int,
        lang: str,
        subject: str | None,
        urgent: bool,
        identity: str | None = None,
        first: Relayed | None = None,
    ) -> TicketView:
        """The person's ticket: reopened if closed lately, else the open one or a new one;
        their message copied into its topic, and their place in the queue sent to them.
        `identity` (e.g. @username) is shown to operators only where configuration allows."""
        existing = await self.tickets.open_of(user_id)
        reopened = None
        if existing is None:
            reopened = await self.queue.reopen_recent(user_id, self.reopen_within)
        ticket, created = await self.tickets.open(user_id, lang, subject, urgent)
        priority = URGENT if ticket.urgent else 0
        if ticket.thread_id is None or ticket.group_chat_id != self.group.id:
            await self.outbox.topic(ticket.id, identity=identity, priority=priority)
        elif reopened is not None:
            await self.outbox.group_call(
                "reopenForumTopic", {"message_thread_id": ticket.thread_id}, ticket_id=ticket.id
            )
            await self.outbox.to_topic(
                ticket.id, self._o("The person wrote again: ticket reopened.")
            )
        earlier = existing or reopened
        if urgent and (created or (earlier is not None and not earlier.urgent)):
            await self.notify(topics.urgent_notice(ticket, self._o), urgent=True)
        if first is not None:
            await self.from_person(ticket, first)
        told = await self.waiting(ticket)
        if created and not ticket.urgent and await self._braking():
            _ = self.catalogs.user(lang)
            await self.outbox.send(
                user_id,
                told.text
                + "\n\n"
                + _(
                    "Many people are waiting for an operator now, so it may take longer. "
                    "Your place is kept. Meanwhile, the answers to common questions may help."
                ),
                buttons=((Button(_("Topics"), cb.MENU),),),
            )
        else:
            await self.outbox.send(user_id, told.text, priority=priority)
        log.info("ticket %s %s (urgent=%s)", ticket.id, "opened" if created else "kept", urgent)
        return ticket

    async def _braking(self) -> bool:
        """The global brake: more tickets wait than the threshold (urgent ones never brake)."""
        return self.brake_waiting > 0 and len(await self.queue.waiting()) > self.brake_waiting

    async def waiting(self, ticket: TicketView) -> core_render.Reply:
        lang = ticket.lang
        _ = self.catalogs.user(lang)
        place, wait = await self.queue.position(ticket.id)
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

    async def from_person(self, ticket: TicketView, message: Relayed) -> None:
        """A person's message into their ticket's topic: stored now, copied when it can be.
        What Telegram cannot copy (a poll, a dice, a story) is described there instead, and
        the person is told that the operator cannot see it."""
        if message.kind in UNCOPYABLE:
            await self.tickets.record(
                ticket,
                direction=Direction.IN,
                kind=message.kind[:16],
                text=None,
                sender_id=ticket.user_id,
                user_message_id=message.message_id,
            )
            await self.outbox.to_topic(ticket.id, self._uncopyable(message.kind), html=False)
            _ = self.catalogs.user(ticket.lang)
            await self.outbox.send(
                ticket.user_id,
                _(
                    "The operator cannot see this kind of message. Please write it in words, "
                    "or send a photo."
                ),
            )
            return
        record = await self.tickets.record(
            ticket,
            direction=Direction.IN,
            kind=message.kind,
            text=mask(message.text) if message.text else None,
            sender_id=ticket.user_id,
            user_message_id=message.message_id,
        )
        if await self._held(ticket, record):
            return
        answers = None  # a reply to an operator's message is a reply to it in the topic too
        if message.reply_to is not None:
            answers = await self.tickets.linked_group_message(ticket.user_id, message.reply_to)
        await self.outbox.copy_to_topic(
            ticket.id,
            ticket.user_id,
            message.message_id,
            record_id=record,
            media_group=message.media_group,
            priority=URGENT if ticket.urgent else 0,
            reply_to=answers,
        )

    async def _held(self, ticket: TicketView, record: int) -> bool:
        """Flood control: past `flood_per_minute` messages a minute, a person's messages are
        kept (stored, not copied into the topic). When holding starts, the person is told
        once and the topic gets one line with a button that shows what was kept."""
        if self.flood_per_minute <= 0:
            return False
        since = utcnow() - dt.timedelta(minutes=1)
        if await self.tickets.recent_from_person(ticket.id, since) <= self.flood_per_minute:
            return False
        if await self.tickets.holding(ticket.id, from_message=record) is not None:
            return True  # already holding: told before
        log.info("ticket %s: flood control holds the person's messages", ticket.id)
        _ = self.catalogs.user(ticket.lang)
        await self.outbox.send(
            ticket.user_id,
            _(
                "You are writing very fast. Everything you send is kept and the operator "
                "will read it, but it is no longer shown to them one message at a time. "
                "Please wait for the answer."
            ),
        )
        await self.outbox.to_topic(
            ticket.id,
            self._o(
                "➕ The person is writing very fast: their next messages are kept, not copied "
                "here. They are all in the ticket's history."
            ),
            buttons=((Button(self._o("Show the kept messages"), f"{topics.HELD}:{ticket.id}"),),),
            html=False,
        )
        return True

    async def show_held(self, ticket: TicketView) -> int:
        """The messages flood control kept, into the topic as text; returns how many."""
        held = await self.tickets.release_held(ticket.id)
        if held:
            title = self._o("Kept messages from the person: {count}").format(count=len(held))
            for part in topics.summary(held, self._o, title=title):
                await self.outbox.to_topic(ticket.id, part, html=False)
        return len(held)

    def _uncopyable(self, kind: str) -> str:
        _o = self._o
        said = {
            "poll": _o("The person sent a poll; it cannot be shown here."),
            "dice": _o("The person sent a dice; it cannot be shown here."),
            "story": _o("The person sent a story; it cannot be shown here."),
        }
        return said.get(kind) or _o(
            "The person sent a message of a kind that cannot be shown here ({kind})."
        ).format(kind=kind)

    # -- operators answer -------------------------------------------------------------------
    async def from_operator(self, ticket: TicketView, operator_id: int, message: Relayed) -> None:
        """An operator's message in the topic: a `//` note stays; anything else goes to the
        person (the caller checked that this operator may answer)."""
        if message.text and message.text.startswith(NOTE_PREFIX):
            await self.tickets.record(
                ticket,
                direction=Direction.NOTE,
                kind=message.kind,
                text=mask(message.text),
                sender_id=operator_id,
                user_message_id=None,
            )
            return
        record = await self.tickets.record(
            ticket,
            direction=Direction.OUT,
            kind=message.kind,
            text=mask(message.text or "") or None,
            sender_id=operator_id,
            user_message_id=None,
        )
        answers = None  # a reply to the person's message is a reply to it in their chat too
        if message.reply_to is not None:
            answers = await self.tickets.linked_user_message(self.group.id, message.reply_to)
        await self.outbox.copy_to_person(
            ticket.user_id,
            message.message_id,
            record_id=record,
            media_group=message.media_group,
            reply_to=answers,
        )
        await self.queue.operator_replied(ticket.id)

    async def edited(
        self,
        ticket: TicketView,
        by_person: bool,
        message_id: int,
        text: str,
        caption: bool,
        entities: list[dict] | None = None,
    ) -> bool:
        """A message relayed from the person's chat (or from the topic) was edited there: its
        copy on the other side is edited the same way, and the ticket's history says the new
        text. False when it was never relayed (a question the bot answered itself, a `//`
        note)."""
        if by_person:
            copy = await self.tickets.linked_group_message(ticket.user_id, message_id)
            chat, lane = self.group.id, topic_lane(ticket.id)
        else:
            copy = await self.tickets.linked_user_message(self.group.id, message_id)
            chat, lane = ticket.user_id, person_lane(ticket.user_id)
        if copy is None:
            return False
        await self.outbox.relay_edit(
            chat, copy, text, caption=caption, lane=lane, entities=entities
        )
        # The history keeps what the message says now (its id in the person's chat finds it).
        await self.tickets.revise(
            ticket.id,
            message_id if by_person else copy,
            Direction.IN if by_person else Direction.OUT,
            mask(text),
        )
        return True

    async def send_text(self, ticket: TicketView, text: str, operator_id: int) -> None:
        """A prepared text (canned reply or content answer) sent on an operator's behalf."""
        record = await self.tickets.record(
            ticket,
            direction=Direction.OUT,
            kind="text",
            text=mask(text),
            sender_id=operator_id,
            user_message_id=None,
        )
        await self.outbox.send(ticket.user_id, text, record_id=record)
        await self.queue.operator_replied(ticket.id)

    async def may_answer(self, ticket: TicketView, operator_id: int, reply_to: int) -> bool:
        """Only the assignee answers a taken ticket; a waiting one is taken by whoever answers."""
        if ticket.status == TicketStatus.WAITING:
            claim = await self.queue.take(ticket.id, operator_id)
            if claim.ok:
                await self.refresh_header(ticket.id)
                return True
            ticket = claim.ticket or ticket
        if ticket.assignee_id == operator_id:
            return True
        holder = await self.team.name(ticket.assignee_id)
        await self.outbox.to_topic(
            ticket.id,
            self._o(
                "Not sent: {operator} has taken this ticket. Write // for a note to colleagues."
            ).format(operator=holder or "—"),
            reply_to=reply_to,
            html=False,
        )
        return False

    async def announce_taken(self, ticket: TicketView, operator_id: int) -> None:
        name = await self.team.name(operator_id)
        await self.outbox.to_topic(
            ticket.id, self._o("Taken by: {operator}").format(operator=name), html=False
        )
        await self.refresh_header(ticket.id)

    # -- the topic --------------------------------------------------------------------------
    async def header(self, ticket_id: int, identity: str | None = None):  # type: ignore[no-untyped-def]
        """The text and buttons of a ticket's header message (None: no such ticket)."""
        ticket = await self.tickets.get(ticket_id)
        if ticket is None:
            return None
        operator = await self.team.name(ticket.assignee_id)
        return (
            ticket,
            topics.header(ticket, operator, self._o, identity),
            topics.header_buttons(ticket, self._o),
        )

    async def refresh_header(self, ticket_id: int, message_id: int | None = None) -> None:
        """The header shows who has the ticket now (no buttons once it is closed)."""
        made = await self.header(ticket_id)
        if made is None:
            return
        ticket, text, buttons = made
        message_id = message_id or await self.tickets.header_of(ticket_id)
        if not message_id:  # not sent yet: the topic job sends the current header
            return
        keyboard = None if ticket.status == TicketStatus.CLOSED else markup(buttons)
        if not await self.tickets.header_changed(ticket_id, text, keyboard):
            return
        await self.outbox.group_call(
            "editMessageText",
            {
                "message_id": message_id,
                "text": text,
                "parse_mode": "HTML",
                "reply_markup": keyboard,
            },
            ticket_id=ticket_id,
        )

    async def set_header_buttons(  # type: ignore[no-untyped-def]
        self, ticket_id: int, buttons, message_id: int | None = None
    ) -> None:
        message_id = message_id or await self.tickets.header_of(ticket_id)
        made = await self.header(ticket_id)
        if not message_id or made is None:
            return
        if await self.tickets.header_changed(ticket_id, made[1], markup(buttons)):
            await self.outbox.group_call(
                "editMessageReplyMarkup",
                {"message_id": message_id, "reply_markup": markup(buttons)},
                ticket_id=ticket_id,
            )

    async def summary(self, ticket_id: int) -> list[str]:
        return topics.summary(await self.tickets.history(ticket_id), self._o)

    async def topic_gone(self, ticket_id: int) -> None:
        """The topic was deleted: it is made again, with the conversation so far."""
        log.warning("topic of ticket %s was deleted: recreating it", ticket_id)
        await self.tickets.clear_topic(ticket_id)
        await self.outbox.topic(ticket_id, recreated=True)

    # -- endings ----------------------------------------------------------------------------
    async def close(self, ticket: TicketView, operator_id: int | None, category: str) -> bool:
        if not await self.queue.close(ticket.id, operator_id, category):
            return False
        log.info("ticket %s closed (%s)", ticket.id, category)
        _ = self.catalogs.user(ticket.lang)
        await self.outbox.send(
            ticket.user_id,
            _(
                "The operator has closed this conversation. Write /menu for the topics, "
                "or write again to talk to a person."
            ),
        )
        await self.outbox.send(
            ticket.user_id,
            _("How much did we help you? 1 is not at all, 5 is a lot."),
            buttons=topics.rating_buttons(ticket.id),
        )
        await self._closed_in_topic(ticket, category)
        return True

    async def _closed_in_topic(self, ticket: TicketView, category: str) -> None:
        await self.outbox.to_topic(
            ticket.id,
            self._o("Ticket closed: {category}.").format(
                category=topics.category_name(category, self._o)
            ),
            html=False,
        )
        await self.refresh_header(ticket.id)
        fresh = await self.tickets.get(ticket.id)
        if fresh is not None and fresh.thread_id is not None:
            await self.outbox.group_call(
                "closeForumTopic", {"message_thread_id": fresh.thread_id}, ticket_id=ticket.id
            )

    async def person_unreachable(self, user_id: int) -> None:
        """The person blocked the bot: close their ticket and tell the operators."""
        await self.users.mark_blocked(user_id)
        ticket = await self.tickets.open_of(user_id)
        if ticket is None:
            return
        log.info("user of ticket %s blocked the bot", ticket.id)
        if await self.queue.close(ticket.id, None, "user_blocked"):
            await self.outbox.to_topic(
                ticket.id,
                self._o("The person blocked the bot: messages cannot reach them. Ticket closed."),
                html=False,
            )
            await self.refresh_header(ticket.id)

    async def forget(self, user_id: int) -> None:
        """The person asked to delete their data: all of it goes, their topics too."""
        for chat, thread in await self.users.erase(user_id):
            await self.outbox.delete_topic(chat, thread)

    async def group_migrated(self, new_id: int) -> None:
        if new_id == self.group.id:
            return
        log.warning("operators' group migrated: now %s", new_id)
        old, self.group.id = self.group.id, new_id
        await self.tickets.move_group(old, new_id)
        await self.outbox.move_group(old, new_id)
        await self.group.remember()

    async def undeliverable(self, where: str, method: str, description: str) -> None:
        """A message Telegram refused for good: the operators are told, never a silent drop."""
        await self.notify(
            self._o("⚠️ A message could not be delivered ({where}, {method}): {error}").format(
                where=html.escape(where), method=method, error=html.escape(description)
            )
        )
