"""The console's dashboard for a month of 10,000 tickets on SQLite: how long it takes to
render (the figures aggregated in SQL, the page from its template), against the same page
over an empty database measured in the same run.

The request goes through the console's web application (aiohttp's test client, a signed-in
coordinator), so the time includes the session check, every figure's queries and the
template. The tickets are spread over 30 days with the demo's mix (languages, topics, urgent,
open ones), each with its event log as the queue writes it (opened, taken, closed, rated; one
in ten released once and taken again), with the question outcomes of every day and language
and what people said of a few answers.

    .venv/bin/python benchmarks/console_dashboard.py [--tickets 10000] [--runs 20]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from aiohttp.test_utils import TestClient, TestServer  # noqa: E402

from bot.config import load_settings  # noqa: E402
from bot.console.app import Console, make_app  # noqa: E402
from bot.console.auth import console_secret, mint_link  # noqa: E402
from bot.core.i18n import Catalogs  # noqa: E402
from bot.keys import open_database  # noqa: E402
from bot.knowledge import KnowledgeStore, load_knowledge  # noqa: E402
from db.database import make_sessions  # noqa: E402
from db.models import AnswerFeedback, QuestionOutcome, Ticket, TicketEvent, utcnow  # noqa: E402

COORDINATOR = 1
DAYS = 30
LANGS = ["ru"] * 5 + ["uz"] * 4 + ["kk"] * 2 + ["tg"] * 2 + ["ky", "uz-Cyrl"]
SUBJECTS = ["work", "stay", "documents", "health", "education", "safety", "help"]


def tickets(count: int, now: dt.datetime, rng: random.Random) -> tuple[list[dict], list[dict]]:
    """The tickets' rows, and their events'."""
    rows, events = [], []
    for n in range(count):
        created = now - dt.timedelta(seconds=rng.randint(0, DAYS * 86400 - 1))
        waited = dt.timedelta(minutes=rng.choice([2, 4, 6, 9, 12, 15, 25, 40, 90]))
        open_now = rng.random() < 0.01
        rows.append(
            {
                "lang": rng.choice(LANGS),
                "subject": rng.choice(SUBJECTS),
                "urgent": rng.random() < 0.06,
                "status": "waiting" if open_now else "closed",
                "resolution": None if open_now else rng.choice(["answered", "referred"]),
                "created_at": created,
                "waiting_since": created,
                "taken_at": None if open_now else created + waited / 2,
                "first_response_at": None if open_now else created + waited,
                "closed_at": None if open_now else created + 3 * waited,
                "rating": None if open_now else rng.choice([None, 5, 4, 3, 2, 1]),
            }
        )
        ticket, row = n + 1, rows[-1]
        log = [("opened", created, None)]
        if not open_now:
            if rng.random() < 0.1:  # released before the answer, and taken again
                log += [
                    ("taken", created + waited / 4, None),
                    ("released", created + waited / 3, None),
                ]
            log += [("taken", row["taken_at"], None), ("closed", row["closed_at"], "answered")]
            if row["rating"]:
                log.append(("rated", row["closed_at"], str(row["rating"])))
        events += [{"ticket_id": ticket, "kind": k, "at": at, "detail": d} for k, at, d in log]
    return rows, events


async def seed(sessions, count: int) -> None:  # type: ignore[no-untyped-def]
    rng, now = random.Random(12), utcnow()
    async with sessions.begin() as session:
        rows, events = tickets(count, now, rng)
        await session.execute(Ticket.__table__.insert(), rows)
        await session.execute(TicketEvent.__table__.insert(), events)
        await session.execute(
            AnswerFeedback.__table__.insert(),
            [
                {
                    "day": (now - dt.timedelta(days=d)).date(),
                    "entry": e,
                    "lang": "ru",
                    "helped": rng.randint(0, 30),
                    "not_helped": rng.randint(0, 10),
                }
                for d in range(DAYS)
                for e in ("work_permit", "work_permit_cost", "registration")
            ],
        )
        outcomes = ["answer", "clarify", "none", "urgent", "person"]
        await session.execute(
            QuestionOutcome.__table__.insert(),
            [
                {
                    "day": (now - dt.timedelta(days=d)).date(),
                    "lang": lang,
                    "outcome": o,
                    "count": rng.randint(0, 200),
                }
                for d in range(DAYS)
                for lang in set(LANGS)
                for o in outcomes
            ],
        )


async def measure(folder: Path, name: str, count: int, runs: int, knowledge) -> list[float]:  # type: ignore[no-untyped-def]
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{folder / name}.sqlite3",
        key_file=folder / "komek.key",
        operator_chat_id=-1001234567890,
        console_port=8082,
        console_coordinators=[COORDINATOR],
        operator_lang="en",
    )
    engine = await open_database(settings)
    sessions = make_sessions(engine)
    if count:
        await seed(sessions, count)

    async def member(user_id: int) -> bool:
        return True

    console = Console(
        settings,
        sessions,
        KnowledgeStore(ROOT / "content", knowledge),
        Catalogs(settings.locales_dir),
        member,
        settings.operator_chat_id,
    )
    console.secret = await console_secret(sessions)
    today = dt.datetime.now(console.tz).date()
    period = f"start={today - dt.timedelta(days=DAYS - 1)}&end={today}"
    times = []
    async with TestClient(TestServer(make_app(console))) as client:
        token = await mint_link(sessions, COORDINATOR)
        signed = await client.post("/login/link", data={"token": token}, allow_redirects=False)
        assert signed.status == 302
        for n in range(runs + 2):  # two to warm up
            began = time.perf_counter()
            page = await client.get(f"/?{period}")
            body = await page.text()
            took = time.perf_counter() - began
            assert page.status == 200 and 'data-figure="queue"' in body
            if n >= 2:
                times.append(took * 1000)
    await engine.dispose()
    return times


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    knowledge = load_knowledge(ROOT / "content")
    with tempfile.TemporaryDirectory() as tmp:
        empty = await measure(Path(tmp), "empty", 0, args.runs, knowledge)
        full = await measure(Path(tmp), "month", args.tickets, args.runs, knowledge)
    p50e, p50f = statistics.median(empty), statistics.median(full)
    print(f"dashboard, {DAYS} days, SQLite, {args.runs} requests each after 2 to warm up")
    print(f"  empty database:   median {p50e:6.1f} ms  max {max(empty):6.1f} ms")
    print(f"  {args.tickets:,} tickets: median {p50f:6.1f} ms  max {max(full):6.1f} ms")
    print(f"  ratio {p50f / p50e:.1f}x the empty database; target < 300 ms")


if __name__ == "__main__":
    asyncio.run(main())
