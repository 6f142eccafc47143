"""The console over HTTP: sign-in, roles, CSRF, the export's numbers, unanswered questions."""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import time

import pytest
from ruamel.yaml import YAML

from bot.config import ROOT
from bot.console import auth
from bot.content.check import check_content
from bot.content.problems import ERROR
from bot.core.vocabulary import EventKind
from db.models import AnswerFeedback, QuestionOutcome, Ticket, TicketEvent, Unanswered
from tests.console.conftest import COORDINATOR, EDITOR, OPERATOR, STRANGER, sign_in

UTC = dt.UTC


# A Sunday two to three weeks ago (unanswered questions older than 180 days are pruned).
_today = dt.date.today()
SUNDAY = _today - dt.timedelta(days=14 + (_today.weekday() + 1) % 7)
START, END = SUNDAY, SUNDAY + dt.timedelta(days=2)
PERIOD = f"start={START}&end={END}"


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """`day` 0 is the Sunday; the time in UTC (local time is 5 hours later)."""
    when = dt.datetime.combine(SUNDAY + dt.timedelta(days=day), dt.time(hour, minute), UTC)
    return when


async def seed(console) -> None:
    """Four tickets, the outcomes of questions, what people said of two answers and three
    unanswered questions around Sunday to Tuesday (Asia/Almaty, +5)."""
    async with console.sessions.begin() as session:
        session.add_all(
            [
                # Sunday 09:00 local: outside office hours (mon-fri)
                Ticket(
                    lang="ru",
                    subject="work",
                    status="closed",
                    resolution="answered",
                    created_at=at(0, 4),
                    first_response_at=at(0, 4, 10),
                    rating=5,
                ),
                # Monday 10:30 local, urgent, referred
                Ticket(
                    lang="kk",
                    subject="stay",
                    status="closed",
                    resolution="referred",
                    urgent=True,
                    created_at=at(1, 5, 30),
                    first_response_at=at(1, 6),
                    rating=3,
                ),
                # Monday 20:00 UTC is Tuesday 01:00 local: still waiting, urgent
                Ticket(
                    lang="ru",
                    subject="work",
                    status="waiting",
                    urgent=True,
                    created_at=at(1, 20),
                    waiting_since=at(1, 20),
                ),
                # Saturday 23:00 local: before the period
                Ticket(
                    lang="uz",
                    subject="health",
                    status="closed",
                    resolution="answered",
                    created_at=at(-1, 18),
                    first_response_at=at(-1, 19),
                ),
            ]
        )
        for day, lang, outcome, count in (
            (START, "ru", "answer", 14),
            (START, "ru", "clarify", 3),
            (START, "kk", "answer", 6),
            (END, "ru", "none", 2),
            (END, "kk", "urgent", 1),
            (END, "ru", "person", 3),
        ):
            session.add(QuestionOutcome(day=day, lang=lang, outcome=outcome, count=count))
        for day, entry, lang, helped, not_helped in (
            (START, "work_permit", "ru", 3, 1),
            (END, "work_permit", "ru", 1, 0),
            (END, "work_permit_cost", "kk", 0, 2),
            (END + dt.timedelta(days=1), "work_permit", "ru", 9, 9),  # after the period
        ):
            session.add(
                AnswerFeedback(
                    day=day, entry=entry, lang=lang, helped=helped, not_helped=not_helped
                )
            )
        for outcome, created in (("clarify", at(0, 6)), ("clarify", at(1, 6)), ("none", at(2, 6))):
            session.add(
                Unanswered(
                    text="как [n] работать",
                    lang="ru",
                    outcome=outcome,
                    nearest="work_permit labour_contract",
                    created_at=created,
                )
            )


def sections(text: str) -> dict[str, list[list[str]]]:
    found: dict[str, list[list[str]]] = {}
    current: list[list[str]] = []
    for row in csv.reader(io.StringIO(text)):
        if row and row[0].startswith("# "):
            current = found.setdefault(row[0][2:], [])
        elif row:
            current.append(row)
    return found


async def events(console, kind: EventKind) -> list[TicketEvent]:
    from sqlalchemy import select

    async with console.sessions.begin() as session:
        return list(await session.scalars(select(TicketEvent).where(TicketEvent.kind == kind)))


async def test_a_one_time_link_signs_in_once_and_is_recorded(client, console):
    await seed(console)
    token = await auth.mint_link(console.sessions, COORDINATOR)
    done = await client.post("/login/link", data={"token": token}, allow_redirects=False)
    assert done.status == 302 and done.headers["Location"] == "/"
    page = await client.get("/")
    assert page.status == 200
    body = await page.text()
    assert "Tickets per day by language" in body and "chart.umd.min.js" in body
    [signed] = await events(console, EventKind.CONSOLE_SIGNIN)
    assert signed.actor_id == COORDINATOR and signed.ticket_id is None
    client.session.cookie_jar.clear()
    again = await client.post("/login/link", data={"token": token}, allow_redirects=False)
    assert again.status == 401 and "already used or has expired" in await again.text()


async def test_no_session_or_a_used_or_expired_link_gets_the_sign_in_page_and_no_data(
    client, console
):
    await seed(console)
    for path in ("/", "/export.csv", "/gaps", "/gaps/snippet.yaml?entry=work_permit&lang=ru"):
        page = await client.get(path, allow_redirects=False)
        body = await page.text()
        assert page.status == 401 and "/console" in body, path  # the sign-in page
        assert "work_permit" not in body and "ru," not in body
    old = await auth.mint_link(console.sessions, COORDINATOR, now=time.time() - 3600)
    page = await client.post("/login/link", data={"token": old}, allow_redirects=False)
    assert page.status == 401 and "COOKIE" not in page.cookies
    assert (await client.get("/", allow_redirects=False)).status == 401
    forged = auth.session_cookie(b"not the secret", COORDINATOR)
    client.session.cookie_jar.update_cookies({"komek_console": forged})
    assert (await client.get("/", allow_redirects=False)).status == 401


async def test_someone_outside_the_group_is_refused(client, console):
    token = await auth.mint_link(console.sessions, STRANGER)
    page = await client.post("/login/link", data={"token": token}, allow_redirects=False)
    assert page.status == 401


async def test_an_editor_cannot_open_the_coordinators_export(client, console):
    await sign_in(client, console, EDITOR)
    for path in ("/export.csv", "/export.xlsx"):
        page = await client.get(path)
        assert page.status == 403 and "text/html" in page.headers["Content-Type"]
    assert (await client.get("/", allow_redirects=False)).headers["Location"] == "/gaps"
    assert (await client.get("/gaps")).status == 200
    assert (await client.get("/content")).status == 200
    assert await events(console, EventKind.CONSOLE_EXPORT) == []


async def test_an_operator_sees_the_queue_only(client, console):
    await seed(console)
    await sign_in(client, console, OPERATOR)
    page = await client.get("/queue")
    body = await page.text()
    assert page.status == 200 and "🆘" in body and "https://t.me/c/" not in body  # no topic yet
    assert (await client.get("/gaps")).status == 403


async def test_a_forged_csrf_token_is_refused(client, console):
    await seed(console)
    await sign_in(client, console, EDITOR)
    form = {"entry": "work_permit", "lang": "ru"}
    for csrf in ("forged", ""):
        page = await client.post("/gaps/handled", data={**form, "csrf": csrf})
        assert page.status == 403
    listing = await client.get("/gaps")
    assert "Mark handled" in await listing.text()


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
async def test_the_csv_numbers_match_the_seeded_tickets(client, console):
    await seed(console)
    await sign_in(client, console, COORDINATOR)
    page = await client.get(f"/export.csv?{PERIOD}")
    assert page.status == 200 and page.headers["Content-Type"].startswith("text/csv")
    got = sections(await page.text())
    assert got["tickets_by_lang"] == [
        ["day", "kk", "ru"],
        [str(START), "0", "1"],
        [str(START + dt.timedelta(days=1)), "1", "0"],
        [str(END), "0", "1"],
    ]
    assert got["tickets_by_subject"][0] == ["day", "stay", "work"]
    assert got["first_reply"] == [
        ["measure", "minutes"],
        ["median", "10.0"],
        ["p90", "30.0"],
        ["answered_tickets", "2"],
    ]
    assert got["now"] == [["status", "tickets"], ["waiting", "1"], ["taken", "0"]]
    assert sorted(got["urgent"][1:]) == [["referred", "1"], ["waiting", "1"]]
    assert got["ratings"][1:] == [["1", "0"], ["2", "0"], ["3", "1"], ["4", "0"], ["5", "1"]]
    hours = {row[0]: row[1:] for row in got["hours"][1:]}
    assert hours["09:00"] == ["0", "1"] and hours["10:00"] == ["1", "0"]
    assert hours["01:00"] == ["0", "1"] and sum(int(a) + int(b) for a, b in hours.values()) == 3
    text = await page.text()
    assert "как" not in text and str(COORDINATOR) not in text
    [exported] = await events(console, EventKind.CONSOLE_EXPORT)
    assert exported.actor_id == COORDINATOR and exported.detail == f"csv {START}..{END}"
    xlsx = await client.get(f"/export.xlsx?{PERIOD}")
    assert xlsx.status == 200 and (await xlsx.read())[:2] == b"PK"


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
async def test_marking_a_gap_group_handled(client, console):
    await seed(console)
    await sign_in(client, console, EDITOR)
    page = await client.get("/gaps")
    body = await page.text()
    assert "work_permit" in body and "<td>3</td>" in body
    csrf = body.split('name="csrf" value="')[1].split('"')[0]
    done = await client.post(
        "/gaps/handled", data={"csrf": csrf, "entry": "work_permit", "lang": "ru"}
    )
    assert done.status == 200
    after = await done.text()
    assert "Mark handled" not in after and "Show handled groups (1)" in after
    shown = await client.get("/gaps?handled=1")
    assert "work_permit" in await shown.text()


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
async def test_questions_past_180_days_are_pruned(client, console):
    async with console.sessions.begin() as session:
        session.add(
            Unanswered(
                text="old",
                lang="ru",
                outcome="none",
                nearest="visa",
                created_at=dt.datetime.now(UTC) - dt.timedelta(days=181),
            )
        )
    await sign_in(client, console, EDITOR)
    assert ">visa<" not in await (await client.get("/gaps")).text()
    from sqlalchemy import func, select

    async with console.sessions.begin() as session:
        assert await session.scalar(select(func.count()).select_from(Unanswered)) == 0


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
async def test_the_yaml_snippet_passes_the_content_check(client, console, tmp_path):
    async with console.sessions.begin() as session:
        for text in (
            "можно ли работать без бумаги у частника [n] месяцев",
            "можно ли работать без бумаги у частника [n] месяцев",
            "где делать разрешение если я из самарканда",
        ):
            session.add(Unanswered(text=text, lang="ru", outcome="none", nearest="work_permit"))
    await sign_in(client, console, EDITOR)
    page = await client.get("/gaps/snippet.yaml?entry=work_permit&lang=ru")
    assert page.status == 200
    snippet = YAML(typ="safe").load(await page.text())
    examples = snippet["entries"]["work_permit"]["examples"]
    assert len(examples) == 2  # each once
    copy = tmp_path / "content"
    shutil.copytree(ROOT / "content", copy)
    yaml = YAML()
    faq = copy / "faq" / "ru.yaml"
    doc = yaml.load(faq.read_text(encoding="utf-8"))
    doc["entries"]["work_permit"]["examples"].extend(examples)
    with faq.open("w", encoding="utf-8") as out:
        yaml.dump(doc, out)
    content, problems = check_content(copy)
    assert content is not None and [p for p in problems if p.severity == ERROR] == []
    assert set(examples) <= set(content.entries["work_permit"].texts["ru"].examples)


def test_the_login_widget_is_checked_against_the_bot_token():
    import hashlib
    import hmac

    token = "123456:ABC"
    data = {"id": "101", "first_name": "Ainur", "auth_date": str(int(time.time()))}
    check = "\n".join(f"{k}={v}" for k, v in sorted(data.items()))
    good = hmac.new(hashlib.sha256(token.encode()).digest(), check.encode(), "sha256")
    assert auth.widget_valid({**data, "hash": good.hexdigest()}, token) == 101
    assert auth.widget_valid({**data, "hash": good.hexdigest()}, "654321:XYZ") is None
    assert auth.widget_valid({**data, "id": "102", "hash": good.hexdigest()}, token) is None
    old = {**data, "hash": good.hexdigest()}
    assert auth.widget_valid(old, token, now=time.time() + 2 * 86400) is None


async def test_the_pages_speak_russian_and_kazakh(client, console):
    await sign_in(client, console, COORDINATOR)
    ru = await (await client.get("/?lang=ru")).text()
    assert "Обращения по дням и языкам" in ru and 'lang="ru"' in ru
    kk = await (await client.get("/gaps?lang=kk")).text()
    assert "Жауапсыз сұрақтар" in kk
    assert 'lang="kk"' in await (await client.get("/queue")).text()  # the choice is kept


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
async def test_moments_are_kept_in_utc_whatever_zone_they_come_in(console):
    """SQLite keeps no offset: a moment in Almaty's time is stored as its UTC time, read
    back aware in UTC, and compared as the same moment in a query."""
    from sqlalchemy import func, select

    almaty = dt.timezone(dt.timedelta(hours=5))
    five_utc = dt.datetime(2026, 3, 2, 5, 0, tzinfo=UTC)
    async with console.sessions.begin() as session:
        session.add(Ticket(lang="ru", created_at=dt.datetime(2026, 3, 2, 10, 0, tzinfo=almaty)))
    async with console.sessions.begin() as session:
        ticket = await session.scalar(select(Ticket))
        assert ticket.created_at == five_utc and ticket.created_at.tzinfo is UTC
        before_seven_almaty = Ticket.created_at < dt.datetime(2026, 3, 2, 7, 0, tzinfo=almaty)
        assert await session.scalar(select(func.count()).where(before_seven_almaty)) == 0
