"""What the coordinator sees of the bot's own work and of the queue: the questions' outcomes
counted as people talk to the real bot, and the queue over time from seeded tickets."""

from __future__ import annotations

import datetime as dt

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.console.app import make_app
from bot.knowledge import KnowledgeStore
from bot.sandbox.server import run_sandbox
from db.models import QuestionOutcome, Ticket, TicketEvent
from tests.console.conftest import COORDINATOR, bot_settings, make_console, sign_in
from tests.console.test_console import END, PERIOD, START, at, sections
from tests.e2e.harness import Running, button_data, new_person
from tests.e2e.test_escalation import OPERATOR
from tests.e2e.test_operators import operator_command

DAY = dt.timedelta(days=1)


async def test_the_bots_own_answers_are_counted_as_people_ask(tmp_path, knowledge):
    async with run_sandbox(port=0) as sandbox:
        settings = bot_settings(tmp_path, sandbox)
        running = Running(settings, KnowledgeStore(settings.content_dir, knowledge))
        komek = await running.start()
        try:
            person = await new_person(sandbox.client, 5101)
            [picker] = await person.says("/start")
            notice = await person.press(picker, "lang:ru")
            await person.press(notice, "ok:1")  # a language, consent, a menu: not questions
            await person.says("сколько стоит разрешение на работу в месяц")  # answered
            [lost] = await person.says("какая погода будет завтра в астане")  # not understood
            await person.press(lost, "h:-", new_messages=1)  # passed to a person
            await person.says("и ещё вопрос")  # to the open ticket: not a question to the bot

            console = await make_console(settings, komek.sessions, komek.store)
            today = dt.datetime.now(console.tz).date()
            async with TestClient(TestServer(make_app(console))) as client:
                await sign_in(client, console, COORDINATOR)
                page = await client.get(f"/export.csv?start={today}&end={today}")
                got = sections(await page.text())
        finally:
            await running.stop()
    assert got["bot_share"] == [
        ["outcome", "questions", "percent"],
        ["bot_answered", "1", "33.3"],
        ["clarified", "0", "0.0"],
        ["not_understood", "1", "33.3"],
        ["urgent_help", "0", "0.0"],
        ["passed_to_person", "1", "33.3"],
    ]
    assert got["bot_share_by_lang"] == [
        [
            "language",
            "bot_answered",
            "clarified",
            "not_understood",
            "urgent_help",
            "passed_to_person",
        ],
        ["ru", "1", "0", "1", "0", "1"],
    ]


async def test_this_helped_and_talk_to_a_person_under_an_answer_are_counted(tmp_path, knowledge):
    """Pressed by a person in Telegram, read by the coordinator (dashboard, export, content
    status) and by an operator (/stats)."""
    async with run_sandbox(port=0) as sandbox:
        settings = bot_settings(tmp_path, sandbox)
        running = Running(settings, KnowledgeStore(settings.content_dir, knowledge))
        komek = await running.start()
        try:
            await sandbox.client.add_operator(OPERATOR)
            person = await new_person(sandbox.client, 5102)
            [picker] = await person.says("/start")
            notice = await person.press(picker, "lang:ru")
            await person.press(notice, "ok:1")
            [answer] = await person.says("сколько стоит разрешение на работу в месяц")
            [helped] = [d for d in button_data(answer) if d.startswith("y:")]
            entry = helped[2:]
            await sandbox.client.user_presses(person.id, answer["message_id"], helped)
            await sandbox.client.user_presses(person.id, answer["message_id"], helped)
            await person.press(answer, f"h:{entry}", new_messages=1)  # a ticket: handled in order
            stats = await operator_command(sandbox.client, OPERATOR, "/stats")

            console = await make_console(settings, komek.sessions, komek.store)
            today = dt.datetime.now(console.tz).date()
            async with TestClient(TestServer(make_app(console))) as client:
                await sign_in(client, console, COORDINATOR)
                got = sections(
                    await (await client.get(f"/export.csv?start={today}&end={today}")).text()
                )
                dashboard = await (await client.get(f"/?start={today}&end={today}")).text()
                content = await (await client.get("/content")).text()
        finally:
            await running.stop()
    assert got["helpful"] == [
        ["entry", "language", "helped", "not_helped"],
        [entry, "ru", "2", "1"],
    ]
    row = f'<tr><th scope="row">{entry}</th><td>ru</td><td>2</td><td>1</td></tr>'
    for page in (dashboard, content):
        table = page.split('id="helpful"')[1].split("</table>")[0]
        assert "Answers people found helpful" in table and "👍 This helped" in table
        assert row in table
    text = stats["text"]
    assert "Answers that helped (👍): 2; a person asked for after one (🙋): 1" in text
    assert f"• {entry} (ru): 👍 2 · 🙋 1" in text


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
async def test_the_outcomes_of_the_period_by_language(client, console):
    async with console.sessions.begin() as session:
        for day, lang, outcome, count in (
            (START, "ru", "answer", 5),
            (START, "ru", "clarify", 2),
            (START + DAY, "kk", "answer", 1),
            (END, "ru", "none", 1),
            (END, "kk", "urgent", 1),
            (END, "uz", "person", 1),
            (START - DAY, "ru", "answer", 100),  # before the period
            (END + DAY, "uz", "none", 100),  # after it
        ):
            session.add(QuestionOutcome(day=day, lang=lang, outcome=outcome, count=count))
    await sign_in(client, console, COORDINATOR)
    page = await client.get(f"/export.csv?{PERIOD}")
    got = sections(await page.text())
    assert got["bot_share"][1:] == [
        ["bot_answered", "6", "54.5"],
        ["clarified", "2", "18.2"],
        ["not_understood", "1", "9.1"],
        ["urgent_help", "1", "9.1"],
        ["passed_to_person", "1", "9.1"],
    ]
    assert got["bot_share_by_lang"][1:] == [
        ["kk", "1", "0", "0", "1", "0"],
        ["ru", "5", "2", "1", "0", "0"],
        ["uz", "0", "0", "0", "0", "1"],
    ]
    html = await (await client.get(f"/?{PERIOD}")).text()
    assert 'data-figure="bot_share"' in html and 'data-figure="bot_share_by_lang"' in html
    assert "Answered by the bot" in html and "54.5" in html


async def logged(session, ticket: Ticket, *events: tuple[str, dt.datetime, str | None]) -> None:
    """A seeded ticket and its event log, as bot/services/queue.py writes it."""
    session.add(ticket)
    await session.flush()
    for kind, when, detail in events:
        session.add(TicketEvent(ticket_id=ticket.id, kind=kind, at=when, detail=detail))


async def seed_queue(console) -> None:
    """Around Sunday to Tuesday (local time is UTC + 5)."""
    # Monday 14:10 local, taken 14:20, released 15:30, taken again 17:10, closed 18:00:
    # waiting at 16:00 and 17:00 (not at 15:00: it was taken then)
    released = Ticket(
        lang="ru",
        status="closed",
        created_at=at(1, 9, 10),
        taken_at=at(1, 12, 10),
        closed_at=at(1, 13),
    )
    # Sunday 10:05 local, taken 10:10, closed 10:30, reopened Tuesday 09:10 and waiting
    # since: waiting at every hour mark from Tuesday 10:00
    reopened = Ticket(lang="kk", status="waiting", created_at=at(0, 5, 5), taken_at=at(0, 5, 10))
    # Tuesday 13:05 local, taken 13:06, returned (no reply) 13:40, taken 13:55, transferred
    # to the lawyers' queue 14:50, taken by a lawyer 16:20: waiting at 15:00 and 16:00
    transferred = Ticket(lang="ru", status="taken", created_at=at(2, 8, 5), taken_at=at(2, 11, 20))
    # The Wednesday before: released, taken again and closed; left out of the period's counts
    earlier = Ticket(
        lang="ru", status="closed", created_at=at(-4, 5), taken_at=at(-4, 7), closed_at=at(-4, 8)
    )
    # Monday 19:05 local, taken 19:20, handed to a colleague 21:10: never waiting at a mark
    handed = Ticket(lang="ru", status="taken", created_at=at(1, 14, 5), taken_at=at(1, 16, 10))
    # Monday 22:05 local, taken 22:10, released 22:30, and its person erased their data at
    # Tuesday 01:20 (closed with no event): waiting at 23:00, 00:00 and 01:00
    erased = Ticket(
        status="closed",
        resolution="deleted",
        lang="ru",
        created_at=at(1, 17, 5),
        taken_at=at(1, 17, 10),
        closed_at=at(1, 20, 20),
    )
    async with console.sessions.begin() as session:
        session.add_all(
            [
                # Saturday 22:00 local, taken Sunday 08:15: waiting at Sunday 00:00 to 08:00
                Ticket(lang="ru", status="closed", created_at=at(-1, 17), taken_at=at(0, 3, 15)),
                # Monday 10:20 local, taken 12:40: waiting at 11:00 and 12:00
                Ticket(lang="ru", status="taken", created_at=at(1, 5, 20), taken_at=at(1, 7, 40)),
                # Monday 11:05 local, answered 13:30 (seeded without a take): waiting at 12:00
                # and 13:00
                Ticket(
                    lang="kk",
                    status="closed",
                    created_at=at(1, 6, 5),
                    first_response_at=at(1, 8, 30),
                    closed_at=at(1, 9),
                ),
                # Monday 11:50 local, closed 11:55: never waiting at an hour mark
                Ticket(lang="uz", status="closed", created_at=at(1, 6, 50), closed_at=at(1, 6, 55)),
                # Tuesday 23:30 local, still waiting: after the period's last hour mark
                Ticket(lang="ru", status="waiting", created_at=at(2, 18, 30)),
            ]
        )
        await logged(
            session,
            released,
            ("opened", at(1, 9, 10), None),
            ("taken", at(1, 9, 20), None),
            ("released", at(1, 10, 30), None),
            ("taken", at(1, 12, 10), None),
            ("closed", at(1, 13), "answered"),
        )
        await logged(
            session,
            reopened,
            ("opened", at(0, 5, 5), None),
            ("taken", at(0, 5, 10), None),
            ("closed", at(0, 5, 30), "answered"),
            ("rated", at(0, 5, 31), "5"),
            ("reopened", at(2, 4, 10), None),
            ("announced", at(2, 4, 30), None),
        )
        await logged(
            session,
            transferred,
            ("opened", at(2, 8, 5), None),
            ("taken", at(2, 8, 6), None),
            ("returned", at(2, 8, 40), "no reply"),
            ("taken", at(2, 8, 55), None),
            ("transferred", at(2, 9, 50), "queue lawyer"),
            ("taken", at(2, 11, 20), None),
        )
        await logged(
            session,
            earlier,
            ("opened", at(-4, 5), None),
            ("taken", at(-4, 5, 30), None),
            ("released", at(-4, 6), None),
            ("taken", at(-4, 7), None),
            ("closed", at(-4, 8), "answered"),
        )
        await logged(
            session,
            handed,
            ("opened", at(1, 14, 5), None),
            ("taken", at(1, 14, 20), None),
            ("transferred", at(1, 16, 10), "operator 9002"),
        )
        await logged(
            session,
            erased,
            ("opened", at(1, 17, 5), None),
            ("taken", at(1, 17, 10), None),
            ("released", at(1, 17, 30), None),
        )


@pytest.mark.parametrize("database_url", ["sqlite", "postgres"], indirect=True)
async def test_the_queue_over_time_counts_every_wait(client, console):
    await seed_queue(console)
    await sign_in(client, console, COORDINATOR)
    got = sections(await (await client.get(f"/export.csv?{PERIOD}")).text())
    assert got["queue"][0] == ["hour", "waiting"] and len(got["queue"]) == 1 + 3 * 24
    waiting = {hour: int(n) for hour, n in got["queue"][1:] if n != "0"}
    sunday, monday, tuesday = str(START), str(START + DAY), str(END)
    assert waiting == {
        **{f"{sunday} {h:02d}:00": 1 for h in range(9)},
        f"{monday} 11:00": 1,
        f"{monday} 12:00": 2,
        f"{monday} 13:00": 1,
        f"{monday} 16:00": 1,  # released at 15:30
        f"{monday} 17:00": 1,
        f"{monday} 23:00": 1,  # released at 22:30, its person erased at 01:20
        f"{tuesday} 00:00": 1,
        f"{tuesday} 01:00": 1,
        **{f"{tuesday} {h:02d}:00": 1 for h in range(10, 24)},  # reopened at 09:10
        f"{tuesday} 15:00": 2,  # transferred to the lawyers' queue at 14:50
        f"{tuesday} 16:00": 2,
    }
    # What the coordinator reads under the chart: the hour and how many waited.
    html = await (await client.get(f"/?{PERIOD}")).text()
    table = html.split('id="queue"')[1].split("</table>")[0]
    assert "Queue over time" in table
    assert f'<th scope="row">{monday} 16:00</th><td>1</td>' in table
    assert f'<th scope="row">{monday} 15:00</th><td>0</td>' in table
    assert f'<th scope="row">{tuesday} 16:00</th><td>2</td>' in table
    # Beyond a week, each day's most at an hour mark.
    week = f"start={START - 5 * DAY}&end={END}"
    got = sections(await (await client.get(f"/export.csv?{week}")).text())
    assert got["queue"][0] == ["day", "most_waiting"]
    most = {day: int(n) for day, n in got["queue"][1:]}
    assert len(most) == 8 and sum(most.values()) == 7
    assert most[str(START - 4 * DAY)] == 1  # the Wednesday's ticket, released at 11:00
    assert most[str(START - DAY)] == 1 and most[sunday] == 1
    assert most[monday] == 2 and most[tuesday] == 2
