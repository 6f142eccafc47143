"""The sender: delivers the outbox to Telegram within its limits, in order per lane.

What Telegram answers decides what happens to a row:
- 429: wait `retry_after`, then send again; 5xx and network errors: again with backoff;
- 403 from a person: they blocked the bot: their ticket is closed and the operators told;
- a deleted topic: the topic is made again, with the conversation so far, then resent;
- a topic that cannot be made (missing right, not a forum): the ticket's messages are shown
  in General, the administrator is told once, and the topic is tried again;
- any other 400: recorded, and the operators told; never a silent drop.
A row is marked sent right after Telegram answers, so a crash repeats at most the message
that was in flight.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import random
import time
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import NextRequestMiddlewareType
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import CopyMessages, CreateForumTopic, SendMessage
from aiogram.methods.base import Response, TelegramMethod
from aiogram.types import ForumTopic, Message, MessageId

from bot.core.vocabulary import TicketStatus
from bot.ops import metrics
from bot.services import topics
from bot.services.helpdesk import Helpdesk
from bot.services.outbox import TOPIC_JOB, Outbox, Row, markup
from bot.telegram.budget import Budget
from bot.telegram.intake import wait_for_either
from bot.telegram.render import keyboard
from db.database import Sessions
from db.models import Setting
from db.repositories import _insert

log = logging.getLogger(__name__)

TOPIC_RETRY = 15.0  # seconds between attempts to make a topic Telegram refused
MAX_ATTEMPTS = 40  # network and server errors: about a day of backoff, then given up
TOPIC_PROBLEM = "topic_problem_told"


def _methods() -> dict[str, type[TelegramMethod]]:
    found: dict[str, type[TelegramMethod]] = {}
    stack = list(TelegramMethod.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        name = getattr(cls, "__api_method__", None)
        if isinstance(name, str):
            found[name] = cls
    return found


METHODS = _methods()


@functools.cache
def _response_model(method: type[TelegramMethod]) -> type[Response]:
    """aiogram parses each answer with the generic model `Response[T]`; pydantic keeps such a
    model only while something refers to it, and building one again takes tens of
    milliseconds (15 % of the bot's profile under load). Each is held here from its first
    use: about 1.2 MiB for those holding a whole `Message` validator, so only the methods the
    process calls cost memory."""
    return Response[method.__returning__]  # type: ignore[name-defined]


async def _hold_response_model(
    make_request: NextRequestMiddlewareType, bot: Bot, method: TelegramMethod
) -> Response:
    """Put on the bot's session by the `Sender`, it sees every method the bot calls: the
    sender's and the others (getUpdates, answerCallbackQuery...)."""
    _response_model(type(method))
    return await make_request(bot, method)


def thread_gone(exc: TelegramBadRequest) -> bool:
    text = exc.message.lower()
    return "thread not found" in text or "topic_deleted" in text or "topic deleted" in text


def _not_modified(exc: TelegramBadRequest) -> bool:
    return "message is not modified" in exc.message.lower()


def _result_ids(result: Any) -> list[int | None]:
    if isinstance(result, Message | MessageId):
        return [result.message_id]
    if isinstance(result, list):
        return [getattr(r, "message_id", None) for r in result]
    return [None]


def _backoff(attempts: int) -> float:
    return min(2.0 ** max(attempts, 0), 300.0) * (0.75 + random.random() / 2)


class Marks:
    """Rows Telegram accepted, marked sent together: a call answered while a mark is being
    written waits for the next one, which carries every call answered meanwhile (one
    transaction for many, instead of one each). Each caller returns only once its rows are
    marked, so a lane's next row still waits for it."""

    def __init__(self, outbox: Outbox):
        self._outbox = outbox
        self._waiting: list[tuple[list[Row], list[int | None], asyncio.Future]] = []
        self._writing = asyncio.Lock()

    async def sent(self, rows: list[Row], results: list[int | None]) -> list[float]:
        mine: asyncio.Future = asyncio.get_running_loop().create_future()
        self._waiting.append((rows, results, mine))
        async with self._writing:
            if not mine.done():
                batch, self._waiting = self._waiting, []
                try:
                    waited = await self._outbox.sent_together([(r, res) for r, res, _ in batch])
                except BaseException as exc:  # cancelled too: nobody is left waiting
                    failure = exc if isinstance(exc, Exception) else RuntimeError("interrupted")
                    for _rows, _results, future in batch:
                        if future is not mine:
                            future.set_exception(failure)
                    raise
                else:
                    for (_rows, _results, future), seconds in zip(batch, waited, strict=True):
                        future.set_result(seconds)
        return await mine


class Sender:
    def __init__(
        self,
        bot: Bot,
        outbox: Outbox,
        helpdesk: Helpdesk,
        sessions: Sessions,
        budget: Budget,
        worker: str,
        admin_ids: frozenset[int] = frozenset(),
        concurrency: int = 16,
        lease: dt.timedelta = dt.timedelta(seconds=120),
    ):
        self.bot = bot
        self.outbox = outbox
        self.helpdesk = helpdesk
        self.sessions = sessions
        self.budget = budget
        self.worker = worker
        self.admin_ids = admin_ids
        self.lease = lease
        self.wake = asyncio.Event()
        self._slots = asyncio.Semaphore(concurrency)
        self._concurrency = concurrency
        self._inflight: set[asyncio.Task] = set()
        self._last_check = 0.0
        self._marks = Marks(outbox)
        self.topic_retry = TOPIC_RETRY
        if _hold_response_model not in bot.session.middleware:
            bot.session.middleware(_hold_response_model)

    # -- the loop ---------------------------------------------------------------------------
    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                busy = await self.round()
            except Exception:  # the database may be away for a moment: try again
                log.exception("sender round failed")
                busy = False
            if not busy:
                await self._idle(stopping)
        await self.finish()

    async def _idle(self, stopping: asyncio.Event) -> None:
        due = await self.outbox.next_due()
        wait = 0.5 if due is None else min(max(due, 0.01), 0.5)
        await wait_for_either(self.wake, stopping, wait)

    async def round(self) -> bool:
        """Claim what is ready and start sending it; True when something was started."""
        if time.monotonic() - self._last_check > 1.0:
            self._last_check = time.monotonic()
            await self._topics_needed()
            await self._mirror()
        free = self._concurrency - len(self._inflight)
        if free <= 0:
            await asyncio.wait(self._inflight, return_when="FIRST_COMPLETED")
            return True
        rows = await self.outbox.claim(self.worker, self.lease, limit=free)
        for row in rows:
            task = asyncio.create_task(self._guarded(row))
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)
        if rows:
            await asyncio.sleep(0)
        return bool(rows)

    async def finish(self) -> None:
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)

    async def flush(self, deadline: float) -> bool:
        """Send what can be sent until nothing is left or `deadline` (monotonic) passes.
        Rows that wait for a topic Telegram refuses, or for a retry beyond the deadline, are
        left for the next start."""
        while time.monotonic() < deadline:
            count, _age = await self.outbox.depth()
            if count == 0:
                await self.finish()
                return True
            if not await self.round():
                if not self._inflight:
                    due = await self.outbox.next_due()
                    if due is not None and time.monotonic() + due >= deadline:
                        return False  # what is left waits for a retry after the deadline
                # Nothing claimable this moment (a mark or a topic still being written, a
                # lane's earlier row): look again until the deadline.
                await asyncio.sleep(0.05)
        return False

    async def _guarded(self, row: Row) -> None:
        async with self._slots:
            try:
                await self.deliver(row)
            except Exception as exc:  # our bug: the row is retried, the loop goes on
                log.exception("outbox row %s (%s) failed", row.id, row.method)
                if row.attempts + 1 >= MAX_ATTEMPTS:
                    await self.outbox.failed(row, type(exc).__name__)
                else:
                    await self.outbox.retry(row, _backoff(row.attempts), type(exc).__name__)
        self.wake.set()

    # -- one row ----------------------------------------------------------------------------
    async def deliver(self, row: Row) -> None:
        name = row.method
        try:
            if row.method == TOPIC_JOB:
                name = "createForumTopic"
                await self._make_topic(row)
                return
            rows, method = await self._prepare(row)
            if method is None:
                await self.outbox.sent(rows, [None] * len(rows))
                return
            name = method.__api_method__
            await self.budget.spend(row.chat_id, cost=len(rows))
            result = await self.bot(method)
            ids = _result_ids(result)
            waited = await self._marks.sent(
                rows, ids if len(ids) == len(rows) else [ids[0]] * len(rows)
            )
            metrics.REPLIES.labels(name, "ok").inc()
            for seconds in waited:
                metrics.REPLY_SECONDS.observe(seconds)
        except TelegramRetryAfter as exc:
            metrics.REPLIES.labels(name, "retry_after").inc()
            log.warning("429 on %s: retrying after %ss", row.method, exc.retry_after)
            await self.outbox.retry(row, float(exc.retry_after), "429", count=False)
        except TelegramMigrateToChat as exc:
            metrics.REPLIES.labels(name, "migrated").inc()
            await self._in_unit(self.helpdesk.group_migrated(exc.migrate_to_chat_id))
            await self.outbox.retry(row, 0.0, "group migrated", count=False)
        except TelegramForbiddenError as exc:
            metrics.REPLIES.labels(name, "blocked").inc()
            await self._forbidden(row, exc)
        except TelegramBadRequest as exc:
            metrics.REPLIES.labels(name, "refused").inc()
            await self._bad_request(row, exc)
        except (TelegramServerError, TelegramNetworkError, TimeoutError, OSError) as exc:
            metrics.REPLIES.labels(name, "error").inc()
            await self._again(row, type(exc).__name__)
        except TelegramAPIError as exc:  # 401, 404, 409...: nothing we did; try again later
            metrics.REPLIES.labels(name, "error").inc()
            await self._again(row, f"{type(exc).__name__}: {exc.message}")

    async def _again(self, row: Row, error: str) -> None:
        if row.attempts + 1 >= MAX_ATTEMPTS:
            await self.outbox.failed(row, error)
            await self._in_unit(
                self.helpdesk.undeliverable(_where(row), row.method, f"gave up: {error}")
            )
            return
        wait = _backoff(row.attempts)
        log.warning("%s on %s: retrying in %.1fs", error, row.method, wait)
        await self.outbox.retry(row, wait, error)

    async def _prepare(self, row: Row) -> tuple[list[Row], TelegramMethod | None]:
        """The Bot API call for a row (an album: for all its parts): the thread of its
        ticket filled in, the group's current id used."""
        payload = dict(row.payload)
        rows = [row]
        if row.ticket_id is not None:
            ticket = await self.helpdesk.tickets.get(row.ticket_id)
            if ticket is None or ticket.thread_id is None:
                return rows, None  # the ticket was erased: nothing to deliver
            payload["message_thread_id"] = ticket.thread_id
        if row.media_group and row.method == "copyMessage":
            rows = await self.outbox.album_parts(row, self.worker, self.lease) or [row]
            if len(rows) > 1:
                payload.pop("message_id", None)
                payload.pop("reply_parameters", None)  # an album goes as it is
                payload["message_ids"] = [r.payload["message_id"] for r in rows]
                return rows, CopyMessages.model_validate(payload)
        cls = METHODS.get(row.method)
        if cls is None:
            raise ValueError(f"unknown method {row.method}")
        return rows, cls.model_validate(payload)

    # -- answers that need more than a retry --------------------------------------------------
    async def _forbidden(self, row: Row, exc: TelegramForbiddenError) -> None:
        await self.outbox.failed(row, exc.message)
        if row.chat_id > 0:
            dropped = await self.outbox.drop_pending_to(row.chat_id, "blocked")
            log.info("a person blocked the bot: %d message(s) not delivered", dropped + 1)
            await self._in_unit(self.helpdesk.person_unreachable(row.chat_id))
        else:
            log.error("the operators' group refuses the bot: %s", exc.message)

    async def _bad_request(self, row: Row, exc: TelegramBadRequest) -> None:
        if row.ticket_id is not None and thread_gone(exc):
            await self._in_unit(self.helpdesk.topic_gone(row.ticket_id))
            await self.outbox.retry(row, 0.0, "topic deleted", count=False)
            return
        if _not_modified(exc):
            await self.outbox.sent([row], [None])
            return
        if row.fallback == "send":  # an old message cannot be edited: send it anew
            payload = {k: v for k, v in row.payload.items() if k != "message_id"}
            try:
                await self.budget.spend(row.chat_id)
                sent = await self.bot(SendMessage.model_validate(payload))
            except TelegramAPIError as again:
                log.warning("edit fallback failed: %s", type(again).__name__)
                await self.outbox.retry(row, _backoff(row.attempts), "edit fallback failed")
                return
            await self.outbox.sent([row], [sent.message_id])
            return
        log.error("Telegram refused %s (%s): %s", row.method, _where(row), exc.message)
        await self.outbox.failed(row, exc.message)
        await self._in_unit(self.helpdesk.undeliverable(_where(row), row.method, exc.message))

    # -- topics -----------------------------------------------------------------------------
    async def _make_topic(self, row: Row) -> None:
        """Make the ticket's topic if it has none, then send its header (and, for a topic made
        again, the conversation so far); its messages go out once the header is there."""
        assert row.ticket_id is not None
        group = self.helpdesk.group.id
        made = await self.helpdesk.header(row.ticket_id, row.payload.get("identity"))
        if made is None:
            await self.outbox.sent([row], [None])
            return
        ticket, text, buttons = made
        try:
            thread = ticket.thread_id if ticket.group_chat_id == group else None
            if thread is None:
                await self.budget.spend(group)
                topic: ForumTopic = await self.bot(
                    CreateForumTopic(
                        chat_id=group,
                        name=topics.topic_name(ticket),
                        icon_color=topics.colour(ticket),
                    )
                )
                thread = topic.message_thread_id
                await self.helpdesk.tickets.set_topic(ticket.id, group, thread)
            await self.budget.spend(group)
            header = await self.bot.send_message(
                group,
                text,
                parse_mode="HTML",
                message_thread_id=thread,
                reply_markup=keyboard(buttons if ticket.status != TicketStatus.CLOSED else None),
            )
            if row.payload.get("recreated"):
                for part in await self.helpdesk.summary(ticket.id):
                    await self.budget.spend(group)
                    await self.bot.send_message(group, part, message_thread_id=thread)
            await self.helpdesk.tickets.topic_ready(ticket.id, header.message_id)
            await self.helpdesk.tickets.header_changed(
                ticket.id, text, markup(buttons if ticket.status != TicketStatus.CLOSED else None)
            )
            await self.outbox.sent([row], [thread])
            await self._topics_work_again()
        except TelegramBadRequest as exc:
            if ticket.thread_id is not None and thread_gone(exc):
                await self.helpdesk.tickets.clear_topic(ticket.id)
                await self.outbox.retry(row, 0.0, "topic deleted", count=False)
                return
            await self._topic_refused(row, exc.message, ticket.topic_error is None, text)

    async def _topic_refused(self, row: Row, error: str, first: bool, header: str) -> None:
        """Telegram will not make the topic: the ticket is shown in General meanwhile, the
        administrator is told once, and the topic is tried again every `topic_retry` seconds."""
        assert row.ticket_id is not None
        log.error("cannot create a topic for ticket %s: %s", row.ticket_id, error)
        await self.outbox.retry(row, self.topic_retry, error)
        async with self.sessions.unit() as session:
            await self.helpdesk.tickets.topic_failed(row.ticket_id, error)
            if first:
                await self.outbox.to_general(header, priority=row.priority)
            insert = _insert(session)  # two refusals at once: one of them tells
            first_refusal = await session.execute(
                insert(Setting)
                .values(key=TOPIC_PROBLEM, value=error[:200])
                .on_conflict_do_nothing(index_elements=["key"])
            )
            if first_refusal.rowcount == 1:
                await self._tell_admins(error)

    async def _tell_admins(self, error: str) -> None:
        _o = self.helpdesk.catalogs.operator(self.helpdesk.operator_lang)
        text = _o(
            "⚠️ I cannot create topics in this group. Telegram says: «{error}». Tickets are "
            "shown here in General until this is fixed. Please turn on Topics in the group's "
            "settings and make the bot an administrator with the right to manage topics."
        ).format(error=error)
        await self.outbox.to_general(text, html=False, priority=20)
        for admin in self.admin_ids:
            await self.outbox.send(admin, text, html=False, priority=20)

    async def _topics_work_again(self) -> None:
        async with self.sessions.unit() as session:
            told = await session.get(Setting, TOPIC_PROBLEM)
            if told is not None:
                await session.delete(told)
                _o = self.helpdesk.catalogs.operator(self.helpdesk.operator_lang)
                await self.outbox.to_general(
                    _o("✅ Topics work again: waiting tickets now get their topics."), html=False
                )

    async def _topics_needed(self) -> None:
        """Messages wait for a topic nobody is making (a group migrated, a lost job)."""
        for ticket_id in await self.outbox.tickets_without_topic():
            async with self.sessions.unit():
                await self.outbox.topic(ticket_id, recreated=True)

    async def _mirror(self) -> None:
        """What waits for a topic that cannot be made is shown in General meanwhile."""
        _o = self.helpdesk.catalogs.operator(self.helpdesk.operator_lang)
        for row in await self.outbox.unmirrored():
            payload = {
                k: v
                for k, v in row.payload.items()
                if k not in ("message_thread_id", "reply_markup", "reply_parameters")
            }
            payload["chat_id"] = self.helpdesk.group.id
            if row.method in ("copyMessage", "copyMessages"):
                await self.outbox.mirror(row, row.method, payload)
            elif row.method == "sendMessage":
                payload["text"] = (
                    _o("Ticket #{number}").format(number=row.ticket_id) + "\n" + payload["text"]
                )[:4096]
                payload.pop("parse_mode", None)
                await self.outbox.mirror(row, "sendMessage", payload)
            else:  # edits and topic calls wait for the topic
                await self.outbox.mirror(row, None, {})

    async def _in_unit(self, work) -> None:  # type: ignore[no-untyped-def]
        async with self.sessions.unit():
            await work


def _where(row: Row) -> str:
    if row.ticket_id is not None:
        return f"ticket #{row.ticket_id}"
    return "operators' group" if row.chat_id < 0 else "a person's chat"
