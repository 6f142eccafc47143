"""Service levels: tickets waiting too long are announced again; taken tickets with no reply
for too long go back to the queue."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from bot.core.i18n import format_wait
from bot.services.queue import Queue, aware
from bot.telegram.relay import Relay
from db.models import utcnow

log = logging.getLogger(__name__)


async def check_once(
    relay: Relay, queue: Queue, waiting: dt.timedelta, silent: dt.timedelta
) -> tuple[int, int]:
    _o = relay.catalogs.operator(relay.operator_lang)
    announce, returned = await queue.overdue(waiting, silent)
    now = utcnow()
    for ticket in announce:
        since = aware(ticket.waiting_since) or now
        await relay.notify(
            _o("⏰ Ticket #{number} ({language}) has been waiting {time}.").format(
                number=ticket.id,
                language=ticket.lang,
                time=format_wait(relay.operator_lang, (now - since).total_seconds()),
            )
        )
    for ticket in returned:
        text = _o(
            "↩️ Ticket #{number} is back in the queue: no reply to the person for {time}."
        ).format(number=ticket.id, time=format_wait(relay.operator_lang, silent.total_seconds()))
        await relay.notify(text)
        if ticket.thread_id is not None:
            await relay.bot.send_message(relay.group_id, text, message_thread_id=ticket.thread_id)
    return len(announce), len(returned)


async def watch(
    relay: Relay, queue: Queue, waiting: dt.timedelta, silent: dt.timedelta, every: float = 30.0
) -> None:
    while True:
        await asyncio.sleep(every)
        try:
            await check_once(relay, queue, waiting, silent)
        except Exception:  # the next round tries again
            log.exception("service-level check failed")
