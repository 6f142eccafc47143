"""A process killed and started again takes the poll and its claims back at once when the
killed one ran on this machine, instead of waiting for the leases to run out (the bot did
not answer for up to 30 s after a crash)."""

from __future__ import annotations

import datetime as dt
import os
import socket
import subprocess
import sys

import pytest
from sqlalchemy import select

from bot.services.outbox import Group, Outbox
from bot.telegram.intake import HOST, PROCESS, Heartbeat, PollerLease, gone, worker_name
from db.crypto import Keys
from db.database import make_engine, make_sessions, upgrade
from db.models import Lease, OutboxMessage, utcnow


def _ended_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


DEAD = f"{HOST}:{_ended_pid()}:0badcafe"
ALIVE = f"{HOST}:{os.getppid()}:0badcafe"  # the process that started this one
ELSEWHERE = f"another-machine:{_ended_pid()}:0badcafe"
# A machine (or container) of the same host name: another kernel or pid namespace.
SAME_NAME = f"{socket.gethostname()[:20]}~00000000:{_ended_pid()}:0badcafe"


def test_only_an_ended_process_of_this_machine_is_gone():
    assert gone(DEAD) and gone(f"{DEAD}/poller")
    assert not gone(ALIVE)
    assert not gone(ELSEWHERE)  # its pid says nothing here: its leases run out instead
    assert not gone(SAME_NAME)
    assert not gone(PROCESS) and not gone(worker_name("poller"))  # this process


@pytest.fixture
async def sessions(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'komek.sqlite3'}"
    await upgrade(url)
    engine = make_engine(url, Keys([Keys.generate()]))
    yield make_sessions(engine)
    await engine.dispose()


async def _poller_held_by(sessions, holder: str) -> None:
    async with sessions.apart() as session:
        session.add(Lease(name="poller", holder=holder, until=utcnow() + dt.timedelta(seconds=30)))


@pytest.mark.parametrize(
    ("holder", "taken"),
    [(DEAD, True), (ALIVE, False), (ELSEWHERE, False)],
    ids=["ended here", "alive here", "elsewhere"],  # pids differ between test processes
)
async def test_the_poll_of_a_killed_process_is_taken_at_once(sessions, holder, taken):
    await _poller_held_by(sessions, f"{holder}/poller")
    lease = PollerLease(sessions, worker_name("poller"), dt.timedelta(seconds=30))
    assert await lease.hold() is taken
    expected = lease.holder if taken else f"{holder}/poller"
    assert await lease.holder_now() == expected


async def test_messages_claimed_by_a_killed_process_are_handed_back_at_once(sessions):
    async with sessions.apart() as session:  # its heartbeat still has 20 s to run
        session.add(Lease(name="p:dead", holder=DEAD, until=utcnow() + dt.timedelta(seconds=20)))
    outbox = Outbox(sessions, Group(-1001234567890))
    async with sessions.unit():
        await outbox.send(5001, "ответ")
    [row] = await outbox.claim(f"{DEAD}/sender", dt.timedelta(seconds=120))
    assert await Heartbeat(sessions).sweep() == 1
    async with sessions.apart() as session:
        claimed = await session.scalar(
            select(OutboxMessage.claimed_by).where(OutboxMessage.id == row.id)
        )
    assert claimed is None
