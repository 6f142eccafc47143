"""The outbox: every Bot API call the bot makes is a row, written in the same transaction as
the change that caused it, and delivered by the sender (bot/telegram/sender.py).

Rows of one lane are delivered in order: a person's chat is one lane, each ticket's topic
another, the operators' General topic a third. A row for a ticket's topic waits until the
topic exists and its header was sent; the topic itself is made by a `topic` job.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, delete, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from bot.core.messages import Keyboard
from bot.core.vocabulary import Direction
from db.database import Sessions
from db.models import InboxUpdate, MessageLink, OutboxMessage, Ticket, TicketMessage, utcnow

URGENT, NORMAL = 10, 0
TOPIC_JOB = "komekTopic"  # not a Bot API method: create the topic, then send its header
cause: ContextVar[int | None] = ContextVar("komek_cause", default=None)  # the update handled


@dataclass
class Group:
    """The operators' group; its id changes when Telegram migrates it to a supergroup."""

    id: int

    async def remember(self) -> None:
        """Write the new id down (the composition root knows where)."""


def markup(buttons: Keyboard | None) -> dict[str, Any] | None:
    if not buttons:
        return None
    return {
        "inline_keyboard": [
            [{"text": b.text, "callback_data": b.data} for b in row] for row in buttons
        ]
    }


def message(
    chat_id: int,
    text: str,
    *,
    html: bool = True,
    buttons: Keyboard | None = None,
    reply_to: int | None = None,
    **more: Any,
) -> dict[str, Any]:
    """The parameters of a sendMessage (or editMessageText, with `message_id` in `more`)."""
    return {
        "chat_id": chat_id,
        "text": text,
        "parse_mode": "HTML" if html else None,
        "reply_markup": markup(buttons),
        "reply_parameters": _reply(reply_to),
        **more,
    }


def _reply(message_id: int | None) -> dict[str, Any] | None:
    """Sent as a reply to `message_id`; still sent if that message is gone."""
    return {"message_id": message_id, "allow_sending_without_reply": True} if message_id else None


def person_lane(chat_id: int) -> str:
    return f"c{chat_id}"


def unaddressed(lane: str) -> dict[str, Any]:
    """A row to a person, once sent or given up, no longer says whom it was for."""
    return {"chat_id": 0, "lane": "c"} if lane.startswith("c") else {}


def _given_up(lane: str, error: str) -> dict[str, Any]:
    """A call that will not be made: its text and its addressee go, the reason stays."""
    return {
        "state": "failed",
        "claimed_by": None,
        "payload": "{}",
        "error": error[:200],
        "sent_at": utcnow(),
        **unaddressed(lane),
    }


def topic_lane(ticket_id: int) -> str:
    return f"t{ticket_id}"


def general_lane(chat_id: int) -> str:
    return f"g{chat_id}"


@dataclass(frozen=True)
class Row:
    """A row claimed for sending."""

    id: int
    lane: str
    chat_id: int
    ticket_id: int | None
    method: str
    payload: dict[str, Any]
    priority: int
    attempts: int
    media_group: str | None
    record_id: int | None
    fallback: str | None
    created_at: dt.datetime
    update_id: int | None = None  # the update that caused it


def _row(o: OutboxMessage) -> Row:
    return Row(
        o.id,
        o.lane,
        o.chat_id,
        o.ticket_id,
        o.method,
        json.loads(o.payload),
        o.priority,
        o.attempts,
        o.media_group,
        o.record_id,
        o.fallback,
        o.created_at,
        o.update_id,
    )


class Outbox:
    def __init__(self, sessions: Sessions, group: Group):
        self._sessions = sessions
        self.group = group

    # -- writing (inside a unit of work) ----------------------------------------------------
    async def call(
        self,
        method: str,
        payload: dict[str, Any],
        *,
        chat_id: int,
        lane: str,
        ticket_id: int | None = None,
        priority: int = NORMAL,
        media_group: str | None = None,
        record_id: int | None = None,
        fallback: str | None = None,
        delay: float = 0.0,
    ) -> None:
        now = utcnow()
        async with self._sessions.begin() as session:  # a plain INSERT: no ORM flush
            await session.execute(
                insert(OutboxMessage).values(
                    lane=lane,
                    chat_id=chat_id,
                    ticket_id=ticket_id,
                    method=method,
                    payload=json.dumps(
                        {k: v for k, v in payload.items() if v is not None}, ensure_ascii=False
                    ),
                    priority=priority,
                    state="pending",
                    attempts=0,
                    not_before=now + dt.timedelta(seconds=delay) if delay else None,
                    update_id=cause.get(),
                    media_group=media_group,
                    record_id=record_id,
                    fallback=fallback,
                    mirrored=False,
                    created_at=now,
                )
            )

    async def send(
        self,
        chat_id: int,
        text: str,
        *,
        buttons: Keyboard | None = None,
        html: bool = True,
        priority: int = NORMAL,
        record_id: int | None = None,
    ) -> None:
        """A message to a person's private chat."""
        await self.call(
            "sendMessage",
            message(chat_id, text, html=html, buttons=buttons),
            chat_id=chat_id,
            lane=person_lane(chat_id),
            priority=priority,
            record_id=record_id,
        )

    async def edit(
        self, chat_id: int, message_id: int, text: str, buttons: Keyboard | None = None
    ) -> None:
        """Replace a message of the bot's in a person's chat; sent anew if it cannot be."""
        await self.call(
            "editMessageText",
            message(chat_id, text, buttons=buttons, message_id=message_id),
            chat_id=chat_id,
            lane=person_lane(chat_id),
            fallback="send",
        )

    async def relay_edit(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        *,
        caption: bool,
        lane: str,
        entities: list[dict[str, Any]] | None = None,
    ) -> None:
        """A relayed message was edited where it was written: its copy is edited too."""
        key = "caption" if caption else "text"
        await self.call(
            "editMessageCaption" if caption else "editMessageText",
            {
                "chat_id": chat_id,
                "message_id": message_id,
                key: text,
                f"{key}_entities" if caption else "entities": entities or None,
            },
            chat_id=chat_id,
            lane=lane,
        )

    async def to_topic(
        self,
        ticket_id: int,
        text: str,
        *,
        buttons: Keyboard | None = None,
        html: bool = True,
        priority: int = NORMAL,
        reply_to: int | None = None,
    ) -> None:
        """A message in a ticket's topic (its thread is looked up when it is sent)."""
        await self.call(
            "sendMessage",
            message(self.group.id, text, html=html, buttons=buttons, reply_to=reply_to),
            chat_id=self.group.id,
            lane=topic_lane(ticket_id),
            ticket_id=ticket_id,
            priority=priority,
        )

    async def to_general(
        self,
        text: str,
        *,
        html: bool = True,
        priority: int = NORMAL,
        reply_to: int | None = None,
        buttons: Keyboard | None = None,
    ) -> None:
        """A message for everyone on duty, in the group's General topic."""
        await self.call(
            "sendMessage",
            message(self.group.id, text, html=html, buttons=buttons, reply_to=reply_to),
            chat_id=self.group.id,
            lane=general_lane(self.group.id),
            priority=priority,
        )

    async def delete_topic(self, chat_id: int, thread_id: int) -> None:
        await self.call(
            "deleteForumTopic",
            {"chat_id": chat_id, "message_thread_id": thread_id},
            chat_id=chat_id,
            lane=general_lane(chat_id),
        )

    async def group_call(
        self, method: str, payload: dict[str, Any], *, ticket_id: int | None = None
    ) -> None:
        """Another call on the operators' group (edit a header, close a topic): in the
        ticket's lane when it concerns a ticket, so that it keeps its place."""
        await self.call(
            method,
            {"chat_id": self.group.id, **payload},
            chat_id=self.group.id,
            lane=topic_lane(ticket_id) if ticket_id is not None else general_lane(self.group.id),
            ticket_id=ticket_id,
        )

    async def copy_to_topic(
        self,
        ticket_id: int,
        from_chat: int,
        message_id: int,
        *,
        record_id: int | None,
        media_group: str | None = None,
        priority: int = NORMAL,
        reply_to: int | None = None,
    ) -> None:
        await self.call(
            "copyMessage",
            {
                "chat_id": self.group.id,
                "from_chat_id": from_chat,
                "message_id": message_id,
                "reply_parameters": _reply(reply_to),
            },
            chat_id=self.group.id,
            lane=topic_lane(ticket_id),
            ticket_id=ticket_id,
            priority=priority,
            media_group=media_group,
            record_id=record_id,
            delay=ALBUM_WAIT if media_group else 0.0,
        )

    async def copy_to_person(
        self,
        chat_id: int,
        message_id: int,
        *,
        record_id: int | None,
        media_group: str | None = None,
        reply_to: int | None = None,
    ) -> None:
        await self.call(
            "copyMessage",
            {
                "chat_id": chat_id,
                "from_chat_id": self.group.id,
                "message_id": message_id,
                "reply_parameters": _reply(reply_to),
            },
            chat_id=chat_id,
            lane=person_lane(chat_id),
            media_group=media_group,
            record_id=record_id,
            delay=ALBUM_WAIT if media_group else 0.0,
        )

    async def topic(
        self,
        ticket_id: int,
        *,
        recreated: bool = False,
        identity: str | None = None,
        priority: int = NORMAL,
    ) -> None:
        """Make the ticket's topic (and send its header) unless such a job is pending."""
        async with self._sessions.begin() as session:
            pending = await session.scalar(
                select(OutboxMessage.id).where(
                    OutboxMessage.lane == f"k{ticket_id}", OutboxMessage.state == "pending"
                )
            )
        if pending is None:
            await self.call(
                TOPIC_JOB,
                {"recreated": recreated, "identity": identity},
                chat_id=self.group.id,
                lane=f"k{ticket_id}",
                ticket_id=ticket_id,
                priority=priority,
            )

    # -- the sender's side -------------------------------------------------------------------
    async def claim(self, worker: str, lease: dt.timedelta, limit: int = 50) -> list[Row]:
        """Rows ready to go: the first pending of their lane, topic ready where one is needed,
        urgent first."""
        now = utcnow()
        async with self._sessions.apart() as session:
            query = _claimable(limit, session.bind.dialect.name == "postgresql")
            ids = list(await session.scalars(query, {"now": now}))
            if not ids:
                return []
            free = or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now)
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.state == "pending", free)
                .values(claimed_by=worker, claimed_until=now + lease)
            )
            rows = await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.id.in_(ids), OutboxMessage.claimed_by == worker)
                .order_by(OutboxMessage.priority.desc(), OutboxMessage.id)
            )
            return [_row(o) for o in rows]

    async def album_parts(self, row: Row, worker: str, lease: dt.timedelta) -> list[Row]:
        """The pending parts of the album `row` starts, claimed with it, in message order."""
        now = utcnow()
        async with self._sessions.apart() as session:
            await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.lane == row.lane,
                    OutboxMessage.media_group == row.media_group,
                    OutboxMessage.state == "pending",
                    OutboxMessage.method == row.method,
                )
                .values(claimed_by=worker, claimed_until=now + lease)
            )
            rows = await session.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.lane == row.lane,
                    OutboxMessage.media_group == row.media_group,
                    OutboxMessage.state == "pending",
                    OutboxMessage.claimed_by == worker,
                )
                .order_by(OutboxMessage.id)
            )
            parts = [_row(o) for o in rows]
        return sorted(parts, key=lambda r: r.payload.get("message_id", 0))[:10]

    async def sent(self, rows: list[Row], results: list[int | None]) -> list[float]:
        """Telegram answered: mark the rows sent and link relayed messages, at once. Returns,
        for each row to a person caused by an update, the seconds since that update came."""
        [waited] = await self.sent_together([(rows, results)])
        return waited

    async def sent_together(
        self, answered: list[tuple[list[Row], list[int | None]]]
    ) -> list[list[float]]:
        """`sent` for several calls Telegram answered, in one transaction."""
        now = utcnow()
        pairs = [
            (row, result)
            for rows, results in answered
            for row, result in zip(rows, results, strict=False)
        ]
        async with self._sessions.apart() as session:
            await session.execute(
                update(OutboxMessage),
                [
                    {
                        "id": row.id,
                        "state": "sent",
                        "sent_at": now,
                        "claimed_by": None,
                        "payload": "{}",  # what people wrote is not kept here once it went
                        "result": str(result) if result is not None else None,
                        "lane": row.lane,
                        "chat_id": row.chat_id,
                        **unaddressed(row.lane),
                    }
                    for row, result in pairs
                ],
            )
            for row, result in pairs:
                if row.record_id is not None and result is not None:
                    await _link(session, row, result, self.group.id)
            causes = {r.update_id for r, _ in pairs if r.update_id is not None and r.chat_id > 0}
            came = {}
            if causes:
                came = dict(
                    (
                        await session.execute(
                            select(InboxUpdate.update_id, InboxUpdate.received_at).where(
                                InboxUpdate.update_id.in_(causes)
                            )
                        )
                    ).all()
                )
        return [
            [
                (now - _utc(came[r.update_id])).total_seconds()
                for r in rows
                if r.chat_id > 0 and r.update_id in came
            ]
            for rows, _results in answered
        ]

    async def retry(self, row: Row, after: float, error: str, count: bool = True) -> None:
        async with self._sessions.apart() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(
                    claimed_by=None,
                    claimed_until=None,
                    not_before=utcnow() + dt.timedelta(seconds=after),
                    attempts=OutboxMessage.attempts + (1 if count else 0),
                    error=error[:200],
                )
            )

    async def failed(self, row: Row, error: str) -> None:
        async with self._sessions.apart() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(**_given_up(row.lane, error))
            )

    async def release(self, worker: str) -> None:
        async with self._sessions.apart() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.state == "pending", OutboxMessage.claimed_by == worker)
                .values(claimed_by=None, claimed_until=None)
            )

    async def release_all(self) -> None:
        async with self._sessions.apart() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.state == "pending", OutboxMessage.claimed_by.is_not(None))
                .values(claimed_by=None, claimed_until=None)
            )

    async def drop_pending_to(self, chat_id: int, error: str) -> int:
        """The person blocked the bot: what was still to go to them cannot arrive."""
        async with self._sessions.apart() as session:
            result = await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.state == "pending",
                    OutboxMessage.lane == person_lane(chat_id),
                )
                .values(**_given_up(person_lane(chat_id), error))
            )
            return result.rowcount or 0

    async def move_group(self, old: int, new: int) -> None:
        """The group migrated: pending rows follow it."""
        async with self._sessions.begin() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.state == "pending", OutboxMessage.chat_id == old)
                .values(chat_id=new, lane=func.replace(OutboxMessage.lane, f"g{old}", f"g{new}"))
            )
            rows = await session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.state == "pending", OutboxMessage.chat_id == new
                )
            )
            for row in rows:
                payload = json.loads(row.payload)
                if payload.get("chat_id") == old:
                    payload["chat_id"] = new
                if payload.get("from_chat_id") == old:
                    payload["from_chat_id"] = new
                row.payload = json.dumps(payload, ensure_ascii=False)

    async def depth(self) -> tuple[int, float]:
        """Pending rows and the age in seconds of the oldest."""
        async with self._sessions.apart() as session:
            count, oldest = (
                await session.execute(
                    select(func.count(), func.min(OutboxMessage.created_at)).where(
                        OutboxMessage.state == "pending"
                    )
                )
            ).one()
        if not count or oldest is None:
            return 0, 0.0
        oldest = oldest if oldest.tzinfo else oldest.replace(tzinfo=dt.UTC)
        return count, (utcnow() - oldest).total_seconds()

    async def next_due(self) -> float | None:
        """Seconds until the earliest delayed pending row is due (None: nothing delayed)."""
        async with self._sessions.apart() as session:
            moment = await session.scalar(
                select(func.min(OutboxMessage.not_before)).where(
                    OutboxMessage.state == "pending", OutboxMessage.not_before.is_not(None)
                )
            )
        if moment is None:
            return None
        moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
        return max((moment - utcnow()).total_seconds(), 0.0)

    # -- topics that cannot be made ----------------------------------------------------------
    async def tickets_without_topic(self) -> list[int]:
        """Tickets with messages waiting for a topic that is neither there nor being made."""
        async with self._sessions.apart() as session:
            waiting = set(
                await session.scalars(
                    select(OutboxMessage.ticket_id)
                    .join(Ticket, Ticket.id == OutboxMessage.ticket_id)
                    .where(
                        OutboxMessage.state == "pending",
                        OutboxMessage.method != TOPIC_JOB,
                        or_(Ticket.thread_id.is_(None), Ticket.header_message_id.is_(None)),
                    )
                )
            )
            if not waiting:
                return []
            making = set(
                await session.scalars(
                    select(OutboxMessage.ticket_id).where(
                        OutboxMessage.method == TOPIC_JOB, OutboxMessage.state == "pending"
                    )
                )
            )
            return sorted(t for t in waiting - making if t is not None)

    async def unmirrored(self) -> list[Row]:
        """Rows waiting for a topic that cannot be made now, not yet shown in General."""
        async with self._sessions.apart() as session:
            rows = await session.scalars(
                select(OutboxMessage)
                .join(Ticket, Ticket.id == OutboxMessage.ticket_id)
                .where(
                    OutboxMessage.state == "pending",
                    OutboxMessage.method != TOPIC_JOB,
                    OutboxMessage.mirrored.is_(False),
                    Ticket.topic_error.is_not(None),
                    Ticket.header_message_id.is_(None),
                )
                .order_by(OutboxMessage.priority.desc(), OutboxMessage.id)
                .limit(100)
            )
            return [_row(o) for o in rows]

    async def mirror(self, row: Row, method: str | None, payload: dict[str, Any]) -> None:
        """Show a row of a ticket's topic in General too (the original stays for the topic);
        with no method, the row is only marked as seen."""
        async with self._sessions.apart() as session:
            original = await session.get(OutboxMessage, row.id)
            if original is None or original.mirrored:
                return
            original.mirrored = True
            if method is None:
                return
            session.add(
                OutboxMessage(
                    lane=general_lane(self.group.id),
                    chat_id=self.group.id,
                    ticket_id=None,
                    method=method,
                    payload=json.dumps(payload, ensure_ascii=False),
                    priority=row.priority,
                    state="pending",
                    attempts=0,
                    update_id=original.update_id,
                    mirrored=False,
                    created_at=utcnow(),
                )
            )


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)  # SQLite keeps no offset


@functools.cache
def _claimable(limit: int, postgres: bool):  # type: ignore[no-untyped-def]
    """The claiming query, built once per limit (building it is most of its cost)."""
    now = bindparam("now", type_=OutboxMessage.created_at.type)
    earlier = aliased(OutboxMessage)
    query = (
        select(OutboxMessage.id)
        .outerjoin(Ticket, Ticket.id == OutboxMessage.ticket_id)
        .where(
            OutboxMessage.state == "pending",
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until < now),
            or_(OutboxMessage.not_before.is_(None), OutboxMessage.not_before <= now),
            or_(
                OutboxMessage.ticket_id.is_(None),
                OutboxMessage.method == TOPIC_JOB,
                and_(Ticket.thread_id.is_not(None), Ticket.header_message_id.is_not(None)),
            ),
            ~exists().where(
                and_(
                    earlier.lane == OutboxMessage.lane,
                    earlier.state == "pending",
                    earlier.id < OutboxMessage.id,
                )
            ),
        )
        .order_by(OutboxMessage.priority.desc(), OutboxMessage.id)
        .limit(limit)
    )
    return query.with_for_update(of=OutboxMessage, skip_locked=True) if postgres else query


async def prune_outbox(sessions: Sessions, before: dt.datetime) -> None:
    """Rows sent or given up long ago (their text was cleared when they went)."""
    async with sessions.apart() as session:
        await session.execute(
            delete(OutboxMessage).where(
                OutboxMessage.state != "pending", OutboxMessage.sent_at < before
            )
        )


ALBUM_WAIT = 1.0  # seconds the parts of an album are collected before they go as one


async def _link(session, row: Row, result: int, group_id: int) -> None:  # type: ignore[no-untyped-def]
    """A relayed message: its ids in the person's chat and in the topic, for threading."""
    message = await session.get(TicketMessage, row.record_id)
    if message is None:
        return
    source = row.payload.get("message_id")
    message.relayed = True
    if message.direction == Direction.IN:
        user_side, group_side = message.user_message_id or source, result
    else:
        user_side, group_side = result, source
        message.user_message_id = result
    if user_side is None or group_side is None:
        return
    ticket = await session.get(Ticket, message.ticket_id)
    if ticket is None or ticket.user_id is None:
        return
    try:
        async with session.begin_nested():  # sent twice after a crash: linked once
            session.add(
                MessageLink(
                    ticket_id=ticket.id,
                    user_chat_id=ticket.user_id,
                    user_message_id=user_side,
                    group_chat_id=group_id,
                    group_message_id=group_side,
                    direction="to_group" if message.direction == Direction.IN else "to_user",
                )
            )
    except IntegrityError:
        pass
