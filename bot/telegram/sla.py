"""Service levels: tickets waiting too long are announced again; taken tickets with no reply
for too long go back to the queue."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable

from bot.core.i18n import format_wait
from bot.services.helpdesk import Helpdesk
from bot.services.queue import Queue
from db.database import Sessions

log = logging.getLogger(__name__)


async def check_once(
    helpdesk: Helpdesk, queue: Queue, waiting: dt.timedelta, silent: dt.timedelta
) -> tuple[int, int]:
    """One round, inside a unit of work: the tickets marked and their notices written
    together."""
    _o = helpdesk.catalogs.operator(helpdesk.operator_lang)
    announce, returned = await queue.overdue(waiting, silent)
    now = dt.datetime.now(dt.UTC)
    for ticket in announce:
        since = ticket.waiting_since or now
        await helpdesk.notify(
            _o("⏰ Ticket #{number} ({language}) has been waiting {time}.").format(
                number=ticket.id,
                language=ticket.lang,
                time=format_wait(helpdesk.operator_lang, (now - since).total_seconds()),
            ),
            urgent=ticket.urgent,
        )
    for ticket in returned:
        text = _o(
            "↩️ Ticket #{number} is back in the queue: no reply to the person for {time}."
        ).format(number=ticket.id, time=format_wait(helpdesk.operator_lang, silent.total_seconds()))
        await helpdesk.notify(text)
        await helpdesk.outbox.to_topic(ticket.id, text)
        await helpdesk.refresh_header(ticket.id)
    return len(announce), len(returned)


async def check(
    sessions: Sessions,
    helpdesk: Helpdesk,
    queue: Queue,
    waiting: dt.timedelta,
    silent: dt.timedelta,
    wrote: Callable[[], None] = lambda: None,
) -> tuple[int, int]:
    """One round in a unit of work of its own; `wrote` wakes the sender."""
    async with sessions.unit():
        counts = await check_once(helpdesk, queue, waiting, silent)
    wrote()
    return counts


async def watch(
    sessions: Sessions,
    helpdesk: Helpdesk,
    queue: Queue,
    waiting: dt.timedelta,
    silent: dt.timedelta,
    wrote: Callable[[], None],
    every: float = 30.0,
) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await check(sessions, helpdesk, queue, waiting, silent, wrote)
        except Exception:  # the next round tries again
            log.exception("service-level check failed")
