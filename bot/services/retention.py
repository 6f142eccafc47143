"""Data is kept only as long as its purpose needs: closed conversations are purged on a timer."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

from bot.services.inbox import Inbox
from bot.services.outbox import prune_outbox
from db import repositories as repo
from db.database import Sessions
from db.models import utcnow

log = logging.getLogger(__name__)
UPDATE_IDS_KEPT = dt.timedelta(days=7)


async def purge(sessions: Sessions, retention_days: int) -> int:
    async with sessions.begin() as session:
        removed = await repo.purge_closed_messages(
            session, utcnow() - dt.timedelta(days=retention_days)
        )
    await Inbox(sessions).prune()
    await prune_outbox(sessions, utcnow() - UPDATE_IDS_KEPT)
    if removed:
        log.info(
            "purged %d message(s) of conversations closed over %d days ago", removed, retention_days
        )
    return removed


async def purge_forever(sessions: Sessions, retention_days: int, every: float = 3600) -> None:
    while True:
        try:
            await purge(sessions, retention_days)
        except Exception:  # the next round tries again
            log.exception("purge failed")
        await asyncio.sleep(every)
