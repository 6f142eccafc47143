"""Updates in: stored in the inbox before Telegram is told they arrived, then handled from
there, each in one unit of work.

- Polling: the offset that confirms a batch is sent only after the batch is stored. Only the
  process that holds the poller lease polls; every process handles and sends.
- Webhook: Telegram gets its 200 only after the update is stored.
- Workers take stored updates in order per person; on start-up they resume what was stored
  and not finished. An update that fails on our side is tried again; after the last attempt
  the person's message is handed to a human, so that nothing they sent is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hashlib
import logging
import os
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError, TelegramConflictError, TelegramRetryAfter
from aiogram.methods import GetUpdates
from aiogram.types import Update
from aiohttp import web
from pydantic import ValidationError
from sqlalchemy import delete, select, update

from bot.ops import logs, metrics
from bot.services.inbox import MAX_ATTEMPTS, Claimed, Inbox, actor_of
from bot.services.outbox import cause
from db.database import Sessions
from db.models import InboxUpdate, Lease, OutboxMessage, utcnow
from db.repositories import _insert

log = logging.getLogger(__name__)


def _pid_space() -> str:
    """Which processes `os.kill(pid, 0)` can see: the host name, with a digest of the
    kernel's boot and the pid namespace (two machines, or two containers, that share a host
    name are still told apart)."""
    parts = [socket.gethostname()]
    with contextlib.suppress(OSError):
        parts.append(Path("/proc/sys/kernel/random/boot_id").read_text().strip())
    with contextlib.suppress(OSError):
        parts.append(os.readlink("/proc/self/ns/pid"))
    return f"{parts[0][:20]}~{hashlib.sha1(chr(10).join(parts).encode()).hexdigest()[:8]}"


HOST = _pid_space()
PROCESS = f"{HOST}:{os.getpid()}:{secrets.token_hex(4)}"


def gone(process: str) -> bool:
    """`process` (a PROCESS, or a worker name made from one) surely ended: it ran in this
    machine's pid space and its pid is free. A process killed with SIGKILL and started again
    (systemd, the one process of SQLite) takes its work and the poll back at once instead of
    waiting for leases to run out. Another machine's, or a reused pid: not known, not gone."""
    host, _, rest = process.partition(":")
    pid = rest.split(":", 1)[0]
    if host != HOST or not pid.isdigit() or int(pid) == os.getpid():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, someone else's
        return False
    return False


def worker_name(role: str) -> str:
    """Who claims work: this process (see Heartbeat) and the part of it that claims."""
    return f"{PROCESS}/{role}"[:64]


class Heartbeat:
    """Each process says every few seconds that it is alive. Work claimed by a process
    that stopped saying so (killed, machine gone) is handed back at once, instead of waiting
    for each claim's lease to run out."""

    def __init__(self, sessions: Sessions, every: float = 5.0, ttl: float = 20.0):
        self._sessions = sessions
        self.every, self.ttl = every, dt.timedelta(seconds=ttl)
        self._name = "p:" + hashlib.sha1(PROCESS.encode()).hexdigest()[:24]

    async def beat(self) -> None:
        now = utcnow()
        async with self._sessions.apart() as session:
            insert = _insert(session)
            await session.execute(
                insert(Lease)
                .values(name=self._name, holder=PROCESS, until=now + self.ttl)
                .on_conflict_do_update(index_elements=["name"], set_={"until": now + self.ttl})
            )

    async def sweep(self) -> int:
        """Give back what dead processes had claimed; returns how many claims."""
        now = utcnow()
        released = 0
        async with self._sessions.apart() as session:
            live = {
                holder
                for holder in await session.scalars(
                    select(Lease.holder).where(Lease.name.like("p:%"), Lease.until >= now)
                )
                if not gone(holder)
            }
            await session.execute(
                delete(Lease).where(
                    Lease.name.like("p:%"), Lease.until < now - dt.timedelta(days=1)
                )
            )
            for table, open_state in ((InboxUpdate, "new"), (OutboxMessage, "pending")):
                claimers = set(
                    await session.scalars(
                        select(table.claimed_by)
                        .where(table.state == open_state, table.claimed_by.is_not(None))
                        .distinct()
                    )
                )
                dead = [c for c in claimers if c.split("/", 1)[0] not in live]
                if dead:
                    result = await session.execute(
                        update(table)
                        .where(table.state == open_state, table.claimed_by.in_(dead))
                        .values(claimed_by=None, claimed_until=None)
                    )
                    released += result.rowcount or 0
        if released:
            log.warning("%d claim(s) of a stopped process handed back", released)
        return released

    async def end(self) -> None:
        """This process stopped: it no longer counts as running (`komek db copy` and
        `komek keys rotate` need no wait after a graceful stop)."""
        async with self._sessions.apart() as session:
            await session.execute(delete(Lease).where(Lease.name == self._name))

    async def run(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                await self.beat()
                await self.sweep()
            except Exception:  # the database is away for a moment: the next beat tries
                log.exception("heartbeat failed")
            await _sleep(stopping, self.every)


class LostClaim(Exception):
    """Another worker took the update over (our lease ran out): our work is rolled back."""


class PollerLease:
    """Only one process polls Telegram at a time (two would end each other's polls with
    409 Conflict). The lease is a row renewed on every poll; a dead holder's runs out, or
    is taken at once when it is `gone`."""

    def __init__(self, sessions: Sessions, holder: str, ttl: dt.timedelta):
        self._sessions = sessions
        self.holder = holder
        self.ttl = ttl
        self._held_until = 0.0  # monotonic: till when the lease surely is ours

    async def keep(self, seconds: float) -> bool:
        """Ours for at least `seconds` more: renewed only when less is left, so that a busy
        poller writes the lease every few seconds instead of before every call."""
        if time.monotonic() + seconds < self._held_until:
            return True
        started = time.monotonic()
        held = await self.hold()
        self._held_until = started + self.ttl.total_seconds() - 1.0 if held else 0.0
        return held

    async def hold(self) -> bool:
        now = utcnow()
        async with self._sessions.apart() as session:
            insert = _insert(session)
            await session.execute(
                insert(Lease)
                .values(name="poller", holder=self.holder, until=now + self.ttl)
                .on_conflict_do_nothing(index_elements=["name"])
            )
            holder = await session.scalar(select(Lease.holder).where(Lease.name == "poller"))
            free = (Lease.holder == self.holder) | (Lease.until < now)
            if holder is not None and gone(holder):  # its holder was killed on this machine
                free = free | (Lease.holder == holder)
            result = await session.execute(
                update(Lease)
                .where(Lease.name == "poller", free)
                .values(holder=self.holder, until=now + self.ttl)
            )
            return result.rowcount == 1

    async def let_go(self) -> None:
        self._held_until = 0.0
        async with self._sessions.apart() as session:
            await session.execute(
                update(Lease)
                .where(Lease.name == "poller", Lease.holder == self.holder)
                .values(until=utcnow() - dt.timedelta(seconds=1))
            )

    async def holder_now(self) -> str | None:
        async with self._sessions.apart() as session:
            return await session.scalar(select(Lease.holder).where(Lease.name == "poller"))


Fallback = Callable[[Update], Awaitable[None]]
BATCH = 30  # updates a worker claims at once (each the next of a different person)


class Intake:
    def __init__(
        self,
        bot: Bot,
        dispatcher: Dispatcher,
        inbox: Inbox,
        sessions: Sessions,
        fallback: Fallback,
        on_done: Callable[[], None],
        workers: int = 1,
    ):
        self.bot = bot
        self.dispatcher = dispatcher
        self.inbox = inbox
        self.sessions = sessions
        self.fallback = fallback
        self.on_done = on_done
        self.workers = workers
        self.name = worker_name("worker")
        self.wake = asyncio.Event()

    # -- in ---------------------------------------------------------------------------------
    async def store(self, updates: list[dict[str, Any]]) -> None:
        await self.inbox.store(updates)
        for one in updates:
            metrics.UPDATES.labels(update_kind(one)).inc()
        self.wake.set()

    async def poll(
        self,
        stopping: asyncio.Event,
        lease: PollerLease,
        timeout: int,
        allowed_updates: list[str],
    ) -> None:
        offset: int | None = None
        failures = 0
        while not stopping.is_set():
            try:
                if not await lease.keep(timeout + 15.0):  # the call below may take timeout + 10
                    offset = None  # another process polls; take over if its lease runs out
                    await _sleep(stopping, min(lease.ttl.total_seconds() / 3, 5.0))
                    continue
                call = GetUpdates(offset=offset, timeout=timeout, allowed_updates=allowed_updates)
                updates = await self.bot(call, request_timeout=timeout + 10)
                if updates:
                    raw = [
                        u.model_dump(mode="json", by_alias=True, exclude_none=True) for u in updates
                    ]
                    await self.store(raw)  # only then may the next call confirm them
                    offset = max(u.update_id for u in updates) + 1
                failures = 0
            except asyncio.CancelledError:
                raise
            except TelegramConflictError:
                log.warning("another getUpdates or a webhook is active: waiting")
                await _sleep(stopping, 5.0)
            except TelegramRetryAfter as exc:
                await _sleep(stopping, float(exc.retry_after))
            except (TelegramAPIError, OSError, TimeoutError) as exc:
                failures += 1
                wait = min(2.0**failures, 30.0)
                log.warning("getUpdates failed (%s): again in %.0fs", type(exc).__name__, wait)
                await _sleep(stopping, wait)
            except Exception:  # the database is away for a moment: nothing confirmed
                failures += 1
                log.exception("storing updates failed")
                await _sleep(stopping, min(2.0**failures, 30.0))

    def webhook_handler(self, secret: str | None):  # type: ignore[no-untyped-def]
        async def handle(request: web.Request) -> web.Response:
            if secret and request.headers.get("X-Telegram-Bot-Api-Secret-Token") != secret:
                return web.Response(status=401)
            try:
                body = await request.json()
            except ValueError:
                return web.Response(status=400)
            if not isinstance(body, dict) or not isinstance(body.get("update_id"), int):
                return web.Response(status=400)
            await self.store([body])  # a failure answers 500: Telegram sends it again
            return web.Response(status=200)

        return handle

    # -- handling ---------------------------------------------------------------------------
    async def work(self, stopping: asyncio.Event) -> None:
        """Run `workers` workers until `stopping`; each finishes the update it has."""
        await asyncio.gather(*(self._worker(stopping) for _ in range(self.workers)))
        await self.inbox.release(self.name)

    async def _worker(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                claimed = await self.inbox.claim(self.name, BATCH)
            except Exception:
                log.exception("claiming updates failed")
                await _sleep(stopping, 1.0)
                continue
            if not claimed:
                await wait_for_either(self.wake, stopping, 0.5)
                continue
            if stopping.is_set():  # they go back at once, for the next start
                await self.inbox.unclaim([c.update_id for c in claimed], self.name)
                continue
            if len(claimed) == 1 or not await self.handle_together(claimed):
                for index, one in enumerate(claimed):
                    if stopping.is_set():
                        await self.inbox.unclaim([c.update_id for c in claimed[index:]], self.name)
                        break
                    await self.handle(one)

    def _read(self, claimed: Claimed) -> Update | None:
        try:
            return Update.model_validate(claimed.raw, context={"bot": self.bot})
        except ValidationError:  # its text would show what was written: never logged
            return None

    async def _feed(self, claimed: Claimed, update_: Update) -> None:
        """Handle one update inside the current unit of work (marking it done is the
        caller's, in the same unit)."""
        token = cause.set(claimed.update_id)
        try:
            await self.dispatcher.feed_update(self.bot, update_)
        finally:
            cause.reset(token)

    async def _done(self, claimed: list[Claimed]) -> None:
        if not await self.inbox.done([c.update_id for c in claimed], self.name):
            raise LostClaim(claimed[0].update_id)

    async def handle_together(self, claimed: list[Claimed]) -> bool:
        """Several people's next updates in ONE unit of work (one commit instead of one per
        update: the commit and the wait for SQLite's one writer are most of an update's cost
        under load). All or nothing: when any of them fails, nothing is kept and False tells
        the caller to handle them one by one, so that one bad update costs only itself."""
        read = [(one, self._read(one)) for one in claimed]
        if any(update_ is None for _one, update_ in read):
            return False
        started = time.monotonic()
        told: list[dict[str, Any]] = []
        try:
            async with self.sessions.unit():
                for one, update_ in read:
                    person = logs.pseudonym(actor_of(one.raw))
                    with logs.about(update_id=one.update_id, person=person) as fields:
                        await self._feed(one, update_)  # type: ignore[arg-type]
                        told.append(fields)
                await self._done(claimed)
        except Exception as exc:
            log.info("%d updates handled one by one instead: %s", len(read), type(exc).__name__)
            return False
        elapsed = round((time.monotonic() - started) * 1000, 1)
        for (one, _update), fields in zip(read, told, strict=True):
            fields.setdefault("outcome", update_kind(one.raw))
            with logs.about(**fields, duration_ms=elapsed, batch=len(read)):
                log.info("update %s handled: %s", one.update_id, fields["outcome"])
        self.on_done()
        return True

    async def handle(self, claimed: Claimed) -> None:
        person = logs.pseudonym(actor_of(claimed.raw))
        started = time.monotonic()
        with logs.about(update_id=claimed.update_id, person=person) as fields:
            update_ = self._read(claimed)
            if update_ is None:
                fields["outcome"] = "unreadable"
                log.warning("update %s cannot be read: skipped", claimed.update_id)
                await self.inbox.give_up(claimed.update_id)  # trying again cannot help
                return
            try:
                async with self.sessions.unit():
                    await self._feed(claimed, update_)
                    await self._done([claimed])
                fields["duration_ms"] = round((time.monotonic() - started) * 1000, 1)
                fields.setdefault("outcome", update_kind(claimed.raw))
                log.info(
                    "update %s handled: %s in %.0f ms",
                    claimed.update_id,
                    fields["outcome"],
                    fields["duration_ms"],
                )
                self.on_done()
            except LostClaim:
                log.warning("update %s was taken over by another worker", claimed.update_id)
            except Exception as exc:
                fields["outcome"] = "failed"
                log.error(
                    "update %s failed: %s", claimed.update_id, type(exc).__name__, exc_info=exc
                )
                attempts = await self.inbox.failed(claimed.update_id, self.name, type(exc).__name__)
                if attempts >= MAX_ATTEMPTS:
                    await self._give_up(claimed)

    async def _give_up(self, claimed: Claimed) -> None:
        """The last attempt failed: what the person sent goes to a human."""
        try:
            update_ = Update.model_validate(claimed.raw, context={"bot": self.bot})
            async with self.sessions.unit():
                await self.inbox.give_up(claimed.update_id)
                await self.fallback(update_)
            self.on_done()
        except Exception as exc:
            log.error("update %s: fallback failed: %s", claimed.update_id, type(exc).__name__)
            with contextlib.suppress(Exception):
                await self.inbox.give_up(claimed.update_id)


def update_kind(update: dict[str, Any]) -> str:
    """message, callback_query, chat_member...: the update's one field besides its id."""
    return next((k for k in update if k != "update_id"), "empty")


async def _sleep(stopping: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)


async def wait_for_either(wake: asyncio.Event, stopping: asyncio.Event, seconds: float) -> None:
    """Until `wake` is set (then cleared for the next wait), `stopping` is, or time is up."""
    waiters = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stopping.wait())]
    await asyncio.wait(waiters, timeout=seconds, return_when="FIRST_COMPLETED")
    for waiter in waiters:
        waiter.cancel()
    wake.clear()
