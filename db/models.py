"""The database schema: users, tickets and their messages, relayed ids, the inbox of
updates and the outbox of Bot API calls. What people write is stored encrypted
(`EncryptedText`, see db/crypto.py)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.core.vocabulary import TicketStatus
from db.crypto import EncryptedText


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A moment, written in UTC and read back aware in UTC: on SQLite too, which keeps no
    offset (PostgreSQL's timestamptz does)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: object) -> dt.datetime | None:
        return value.astimezone(dt.UTC) if value is not None and value.tzinfo else value

    def process_result_value(
        self, value: dt.datetime | None, dialect: object
    ) -> dt.datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=dt.UTC)


class Base(DeclarativeBase):
    type_annotation_map = {dt.datetime: UTCDateTime()}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    lang: Mapped[str | None] = mapped_column(String(8))  # a USER_LANGS variant, e.g. uz-Cyrl
    consent_at: Mapped[dt.datetime | None]
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        # At most one open ticket per user: two first messages at once cannot make two.
        Index(
            "one_open_ticket_per_user",
            "user_id",
            unique=True,
            sqlite_where=text("status != 'closed'"),
            postgresql_where=text("status != 'closed'"),
        ),
        Index("tickets_by_topic", "group_chat_id", "thread_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # None once the person is detached (/delete, or the retention): the figures stay
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default=TicketStatus.WAITING)  # TicketStatus
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    queue: Mapped[str | None] = mapped_column(String(32))  # a specialist group, e.g. lawyer
    lang: Mapped[str] = mapped_column(String(8))
    subject: Mapped[str | None] = mapped_column(String(64))  # content topic or intent id
    group_chat_id: Mapped[int | None] = mapped_column(BigInteger)
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    header_message_id: Mapped[int | None] = mapped_column(BigInteger)  # topic ready when set
    topic_error: Mapped[str | None] = mapped_column(String(200))  # why no topic could be made
    assignee_id: Mapped[int | None] = mapped_column(BigInteger)
    resolution: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    waiting_since: Mapped[dt.datetime] = mapped_column(default=utcnow)  # queue order
    taken_at: Mapped[dt.datetime | None]
    first_response_at: Mapped[dt.datetime | None]
    last_operator_reply_at: Mapped[dt.datetime | None]
    announced_at: Mapped[dt.datetime | None]  # last "still waiting" announcement
    closed_at: Mapped[dt.datetime | None]
    rating: Mapped[int | None] = mapped_column(Integer)  # 1-5, from the user after closing


class TicketEvent(Base):
    """Append-only log of everything that happened to a ticket: who, what, when."""

    __tablename__ = "ticket_events"
    # The console's queue over time: the tickets moved back to the queue or transferred, and
    # their logs in order
    __table_args__ = (
        Index("ticket_events_by_kind", "kind", "ticket_id"),
        Index("tickets_log", "ticket_id", "at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)  # an operator; None: user/system
    kind: Mapped[str] = mapped_column(String(32))  # an EventKind
    detail: Mapped[str | None] = mapped_column(String(200))


class Operator(Base):
    """An operator's preferences: the languages they read, their specialist roles."""

    __tablename__ = "operators"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(64), default="")
    langs: Mapped[str] = mapped_column(String(64), default="")  # space-separated variants
    roles: Mapped[str] = mapped_column(String(64), default="")  # lawyer social medical


class Unanswered(Base):
    """A question the bot could not answer confidently: masked, for editors."""

    __tablename__ = "unanswered"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(EncryptedText)
    user_id: Mapped[int | None] = mapped_column(BigInteger)  # who asked, until detached
    lang: Mapped[str] = mapped_column(String(8))
    outcome: Mapped[str] = mapped_column(String(16))
    nearest: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class QuestionOutcome(Base):
    """How the bot's decisions on questions ended (answer, clarify, none, urgent, person),
    counted per local day (KOMEK_TIMEZONE) and language: numbers only, no text, no person."""

    __tablename__ = "question_outcomes"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    lang: Mapped[str] = mapped_column(String(8), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(16), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)


class AnswerFeedback(Base):
    """What people said of an FAQ answer, counted per local day (KOMEK_TIMEZONE), entry and
    language: "👍 This helped" pressed under it, or "🙋 Talk to a person" pressed under it
    (it did not help enough). Numbers only, no text, no person."""

    __tablename__ = "answer_feedback"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    entry: Mapped[str] = mapped_column(String(64), primary_key=True)
    lang: Mapped[str] = mapped_column(String(8), primary_key=True)
    helped: Mapped[int] = mapped_column(Integer, default=0)
    not_helped: Mapped[int] = mapped_column(Integer, default=0)


class Setting(Base):
    """Values the bot learns while running, e.g. the operators' group id after a migration."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))


class TicketMessage(Base):
    """One message of a ticket's conversation, for the history operators see."""

    __tablename__ = "ticket_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    direction: Mapped[str] = mapped_column(String(8))  # a Direction: in, out or note
    kind: Mapped[str] = mapped_column(String(16))  # text, photo, voice, ...
    text: Mapped[str | None] = mapped_column(EncryptedText)  # masked; purged after closing
    sender_id: Mapped[int | None] = mapped_column(BigInteger)
    relayed: Mapped[bool] = mapped_column(Boolean, default=False)
    user_message_id: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class MessageLink(Base):
    """A relayed message: its id in the user's chat and in the operators' group."""

    __tablename__ = "message_links"
    __table_args__ = (
        UniqueConstraint("user_chat_id", "user_message_id", name="link_user_side"),
        UniqueConstraint("group_chat_id", "group_message_id", name="link_group_side"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    user_chat_id: Mapped[int] = mapped_column(BigInteger)
    user_message_id: Mapped[int] = mapped_column(BigInteger)
    group_chat_id: Mapped[int] = mapped_column(BigInteger)
    group_message_id: Mapped[int] = mapped_column(BigInteger)
    direction: Mapped[str] = mapped_column(String(8))  # to_group | to_user
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class InboxUpdate(Base):
    """An update from Telegram, stored before Telegram is told it arrived.

    Updates of one actor (the person or operator who caused them) are handled one at a time,
    in update id order. `raw` is cleared once the update is handled: the row stays only so
    that a second delivery of the same update id is recognised.
    """

    __tablename__ = "inbox"
    __table_args__ = (Index("inbox_pending", "state", "actor", "update_id"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    actor: Mapped[int] = mapped_column(BigInteger)  # 0: no person (e.g. a group service update)
    raw: Mapped[str | None] = mapped_column(EncryptedText)  # the update's JSON
    state: Mapped[str] = mapped_column(String(8), default="new")  # new | done | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[dt.datetime | None]  # a failed attempt is retried after this
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[dt.datetime | None]
    received_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    done_at: Mapped[dt.datetime | None]


class OutboxMessage(Base):
    """A Bot API call to make: written in the same transaction as the change that caused it.

    Rows of one lane (a chat, or one ticket's topic) are sent in id order. A row with a
    `ticket_id` goes into that ticket's topic, whose thread is looked up when it is sent.
    """

    __tablename__ = "outbox"
    __table_args__ = (Index("outbox_pending", "state", "lane", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    lane: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[int] = mapped_column(BigInteger)
    ticket_id: Mapped[int | None] = mapped_column(Integer, index=True)
    method: Mapped[str] = mapped_column(String(32))
    payload: Mapped[str] = mapped_column(EncryptedText)  # JSON of the method's parameters
    priority: Mapped[int] = mapped_column(Integer, default=0)  # higher first (urgent: 10)
    state: Mapped[str] = mapped_column(String(8), default="pending")  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[dt.datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[dt.datetime | None]
    update_id: Mapped[int | None] = mapped_column(BigInteger)  # the update that caused it
    media_group: Mapped[str | None] = mapped_column(String(64))  # album parts go out at once
    record_id: Mapped[int | None] = mapped_column(Integer)  # TicketMessage to link when sent
    fallback: Mapped[str | None] = mapped_column(String(16))  # edit: "send" anew if it fails
    mirrored: Mapped[bool] = mapped_column(Boolean, default=False)  # shown in General already
    result: Mapped[str | None] = mapped_column(String(200))  # message id(s) Telegram gave
    error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[dt.datetime | None]


class Lease(Base):
    """A job only one process may do at a time (polling Telegram): who holds it, until when."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    holder: Mapped[str] = mapped_column(String(64))
    until: Mapped[dt.datetime]
