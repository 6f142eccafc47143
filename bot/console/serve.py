"""Starting the console inside a bot process, and the demo's month of tickets."""

from __future__ import annotations

import contextlib
import datetime as dt
import random

from aiohttp import web
from sqlalchemy import func, select

from bot.console import ConsoleLinks, base_url
from bot.console.app import DEMO_MARK, Console, start_console
from bot.core.vocabulary import TicketStatus
from db.database import Sessions
from db.models import QuestionOutcome, Setting, Ticket, Unanswered, utcnow


async def serve_console(komek) -> web.AppRunner | None:  # type: ignore[no-untyped-def]
    """The console of this process, when KOMEK_CONSOLE_PORT is set; `/console` links too."""
    settings = komek.settings
    if not settings.console_port:
        return None
    team = komek.dispatcher["operators"]
    admins = frozenset(settings.admin_ids)

    async def member(user_id: int) -> bool:
        return user_id in admins or await team.is_member(user_id)

    username = None
    if settings.bot_token is not None:  # the Login Widget needs the bot's username
        with contextlib.suppress(Exception):
            username = (await komek.bot.get_me()).username
    console = Console(
        settings,
        komek.sessions,
        komek.store,
        komek.helpdesk.catalogs,
        member,
        komek.helpdesk.group.id,
        username,
    )
    komek.dispatcher["console"] = ConsoleLinks(komek.sessions, base_url(settings))
    return await start_console(console, settings.console_host, settings.console_port)


async def seed_demo(sessions: Sessions, days: int = 30, seed: int = 12) -> bool:
    """A believable month of tickets and unanswered questions for `komek demo`, once, into an
    empty database; marked as demo data (a `settings` row the dashboard shows as a banner)."""
    async with sessions.begin() as session:
        if await session.scalar(select(func.count()).select_from(Ticket)):
            return False
        session.add(Setting(key=DEMO_MARK, value=f"seeded {utcnow():%Y-%m-%d}"))
        rng, now = random.Random(seed), utcnow()
        langs = ["ru"] * 5 + ["uz"] * 4 + ["kk"] * 2 + ["tg"] * 2 + ["ky", "uz-Cyrl"]
        subjects = ["work", "stay", "documents", "health", "education", "safety", "help"]
        outcomes = ["answered"] * 6 + ["referred"] * 2 + ["no_reply", "not_our_work"]
        for day in range(days):
            for _n in range(rng.randint(8, 22)):
                local_hour = rng.choice([9, 10, 10, 11, 11, 12, 13, 14, 15, 16, 17, 19, 21, 23])
                created = (
                    now
                    - dt.timedelta(days=day, hours=rng.randint(0, 23))
                    + dt.timedelta(minutes=rng.randint(0, 59))
                )
                created = created.replace(hour=(local_hour - 5) % 24)
                if created > now:
                    continue
                waited = dt.timedelta(minutes=rng.choice([2, 4, 6, 9, 12, 15, 25, 40, 90]))
                open_now = day == 0 and rng.random() < 0.3
                session.add(
                    Ticket(
                        lang=rng.choice(langs),
                        subject=rng.choice(subjects),
                        urgent=rng.random() < 0.06,
                        status=TicketStatus.WAITING if open_now else TicketStatus.CLOSED,
                        resolution=None if open_now else rng.choice(outcomes),
                        created_at=created,
                        waiting_since=created,
                        first_response_at=None if open_now else created + waited,
                        closed_at=None if open_now else created + 3 * waited,
                        rating=rng.choice([None, None, 5, 5, 5, 4, 4, 3, 2, 1])
                        if not open_now
                        else None,
                    )
                )
            local_day = (now + dt.timedelta(hours=5) - dt.timedelta(days=day)).date()
            for lang in ("ru", "uz", "kk", "tg"):
                for outcome, most in OUTCOME_MOST:
                    n = rng.randint(0, most)
                    session.add(QuestionOutcome(day=local_day, lang=lang, outcome=outcome, count=n))
            for _n in range(rng.randint(2, 8)):
                nearest, text = rng.choice(DEMO_QUESTIONS)
                session.add(
                    Unanswered(
                        text=text,
                        lang="ru",
                        outcome=rng.choice(["clarify", "none", "none"]),
                        nearest=nearest,
                        created_at=now - dt.timedelta(days=day, minutes=rng.randint(0, 600)),
                    )
                )
    return True


OUTCOME_MOST = (("answer", 40), ("clarify", 12), ("none", 8), ("urgent", 2), ("person", 6))
DEMO_QUESTIONS = (  # (nearest entry, masked question), each marked as demo data
    ("work_permit_cost", "демо: сколько стоит разрешение в месяц если работаю у частника"),
    ("work_permit", "демо: можно ли работать на двух работах с одним разрешением"),
    ("registration", "демо: где продлить регистрацию если хозяин квартиры против"),
    ("kindergarten", "демо: ребенка не берут в садик без прописки"),
    ("health_insurance", "демо: куда идти к врачу если нет полиса"),
)


DEMO_COORDINATOR = 7000001  # the demo's coordinator, a member of the sandbox's group


async def demo_console(komek, sandbox_client) -> str:  # type: ignore[no-untyped-def]
    """Fill the demo's console (once) and say where it is, with a sign-in link."""
    from bot.console.auth import mint_link

    await sandbox_client.add_operator(DEMO_COORDINATOR, "Coordinator (demo)")
    await seed_demo(komek.sessions)
    url = base_url(komek.settings)
    token = await mint_link(komek.sessions, DEMO_COORDINATOR)
    return (
        f"Komek console (demo data): {url}/ - sign in as the demo coordinator with "
        f"{url}/login/link/{token} (once, within 10 minutes; /console in the group gives "
        "an operator a new one)"
    )
