"""The dashboard's figures for a period, aggregated in SQL (SQLite and PostgreSQL).

Every figure is a small table of numbers (no message text, no Telegram ids): the dashboard
draws it as a chart with the table under it, and the export writes the same tables. Days
and hours are local to `KOMEK_TIMEZONE`: PostgreSQL converts each timestamp with its time
zone rules; SQLite, which has none, shifts by the zone's offset at the start of the period
(exact for Asia/Almaty and every zone without daylight saving time).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import (
    DateTime,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.hours import OfficeHours
from bot.core.vocabulary import EventKind, TicketStatus
from bot.services.gaps import helpful
from db.database import Sessions
from db.models import QuestionOutcome, Ticket, TicketEvent

NO_TOPIC = "-"
# How the bot's decisions on questions ended (bot/services/gaps.py), as the figures name them.
OUTCOMES = {
    "answer": "bot_answered",
    "clarify": "clarified",
    "none": "not_understood",
    "urgent": "urgent_help",
    "person": "passed_to_person",
}
HOURLY_DAYS = 7  # the queue over time: at each hour up to a week, each day's most beyond


@dataclass(frozen=True)
class Period:
    """From `start` to `end`, both days included, in the time zone `tz`."""

    start: dt.date
    end: dt.date
    tz: ZoneInfo

    @property
    def since(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time(0), self.tz).astimezone(dt.UTC)

    @property
    def until(self) -> dt.datetime:
        after = self.end + dt.timedelta(days=1)
        return dt.datetime.combine(after, dt.time(0), self.tz).astimezone(dt.UTC)

    @property
    def days(self) -> list[dt.date]:
        count = (self.end - self.start).days + 1
        return [self.start + dt.timedelta(days=n) for n in range(count)]

    @classmethod
    def last_days(cls, tz: ZoneInfo, days: int = 30, today: dt.date | None = None) -> Period:
        today = today or dt.datetime.now(tz).date()
        return cls(today - dt.timedelta(days=days - 1), today, tz)


@dataclass(frozen=True)
class Figure:
    """One figure: its key, the chart to draw, the columns and the rows of numbers."""

    key: str
    chart: str  # bar | stacked | line | doughnut | numbers
    columns: tuple[str, ...]
    rows: tuple[tuple, ...]
    notes: dict[str, str] = field(default_factory=dict)


class _Sql:
    """The few expressions that differ between SQLite and PostgreSQL."""

    def __init__(self, session: AsyncSession, period: Period):
        self.postgres = session.bind.dialect.name == "postgresql"
        self.tz = period.tz.key
        offset = period.since.astimezone(period.tz).utcoffset() or dt.timedelta(0)
        self.shift = f"{int(offset.total_seconds() // 60):+d} minutes"

    def day(self, column):  # type: ignore[no-untyped-def]
        if self.postgres:
            return func.to_char(func.timezone(self.tz, column), "YYYY-MM-DD")
        return func.date(column, self.shift)

    def weekday_hour(self, column):  # type: ignore[no-untyped-def]
        """The local weekday (0 is Sunday) and hour as one text, "1 09", read once."""
        if self.postgres:
            local = func.timezone(self.tz, column)
            day, hour = (cast(func.extract(f, local), Integer) for f in ("dow", "hour"))
            return func.concat(day, " ", hour)
        return func.strftime("%w %H", column, self.shift)

    def hour_mark(self, column):  # type: ignore[no-untyped-def]
        """The local hour as text, "2026-12-01 09:00"."""
        if self.postgres:
            return func.to_char(func.timezone(self.tz, column), "YYYY-MM-DD HH24:00")
        return func.strftime("%Y-%m-%d %H:00", column, self.shift)

    def earliest(self, *columns):  # type: ignore[no-untyped-def]
        """The earliest of the times that are set; NULL when none is."""
        when = DateTime(timezone=True)
        if self.postgres:
            return func.least(*columns, type_=when)
        never = literal_column("'9999'")  # SQLite's min() of several is NULL if one is NULL
        return func.nullif(func.min(*(func.coalesce(c, never) for c in columns)), never, type_=when)

    def seconds(self, later, earlier):  # type: ignore[no-untyped-def]
        if self.postgres:
            return func.extract("epoch", later - earlier)
        return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _in(period: Period, column):  # type: ignore[no-untyped-def]
    return and_(column >= period.since, column < period.until)


def _pivot(
    key: str, rows: list, days: list[dt.date], notes: dict[str, str] | None = None
) -> Figure:
    """(day, series, count) rows as one row a day with a column a series."""
    series = sorted({s for _d, s, _n in rows})
    counts = {(d, s): n for d, s, n in rows}
    table = tuple(
        (day.isoformat(), *(counts.get((day.isoformat(), s), 0) for s in series)) for day in days
    )
    return Figure(key, "stacked", ("day", *series), table, notes or {})


async def per_day(session: AsyncSession, period: Period) -> list[Figure]:
    """Tickets opened each day by language, and by topic (counted in one pass)."""
    sql = _Sql(session, period)
    day, subject = sql.day(Ticket.created_at), func.coalesce(Ticket.subject, NO_TOPIC)
    rows = await session.execute(
        select(day, Ticket.lang, subject, func.count())
        .where(_in(period, Ticket.created_at))
        .group_by(day, Ticket.lang, subject)
    )
    by_lang: dict[tuple[str, str], int] = {}
    by_subject: dict[tuple[str, str], int] = {}
    for d, lang, topic, n in rows:
        by_lang[(d, lang)] = by_lang.get((d, lang), 0) + n
        by_subject[(d, topic)] = by_subject.get((d, topic), 0) + n
    return [
        _pivot(key, [(d, s, n) for (d, s), n in counts.items()], period.days)
        for key, counts in (("tickets_by_lang", by_lang), ("tickets_by_subject", by_subject))
    ]


async def first_reply(session: AsyncSession, period: Period) -> Figure:
    """Median and 90th percentile of the time to the first operator reply (nearest rank)."""
    sql = _Sql(session, period)
    answered = (_in(period, Ticket.created_at), Ticket.first_response_at.is_not(None))
    count = await session.scalar(select(func.count()).select_from(Ticket).where(*answered)) or 0
    wanted = {percent: (count * percent + 99) // 100 for percent in (50, 90)}  # ceil(n * p)
    waited = sql.seconds(Ticket.first_response_at, Ticket.created_at).label("secs")
    ranked = select(waited, func.row_number().over(order_by=waited).label("rn"))
    ranked = ranked.where(*answered).subquery()
    rows = await session.execute(
        select(ranked.c.rn, ranked.c.secs).where(ranked.c.rn.in_(set(wanted.values())))
    )
    secs = dict(tuple(r) for r in rows)
    median, p90 = (secs.get(wanted[p]) for p in (50, 90))
    minutes = [None if v is None else round(float(v) / 60, 1) for v in (median, p90)]
    return Figure(
        "first_reply",
        "bar",
        ("measure", "minutes"),
        (("median", minutes[0]), ("p90", minutes[1]), ("answered_tickets", count)),
    )


OPEN = (TicketStatus.WAITING, TicketStatus.TAKEN)


async def now(session: AsyncSession) -> Figure:
    rows = await session.execute(
        select(Ticket.status, func.count()).where(Ticket.status.in_(OPEN)).group_by(Ticket.status)
    )
    counts = dict(tuple(r) for r in rows)
    return Figure(
        "now", "numbers", ("status", "tickets"), tuple((s, counts.get(s, 0)) for s in OPEN)
    )


async def urgent(session: AsyncSession, period: Period) -> Figure:
    outcome = func.coalesce(Ticket.resolution, Ticket.status)
    rows = await session.execute(
        select(outcome, func.count())
        .where(_in(period, Ticket.created_at), Ticket.urgent.is_(True))
        .group_by(outcome)
        .order_by(func.count().desc(), outcome)
    )
    return Figure("urgent", "doughnut", ("outcome", "tickets"), tuple(tuple(r) for r in rows))


async def ratings(session: AsyncSession, period: Period) -> Figure:
    rows = await session.execute(
        select(Ticket.rating, func.count())
        .where(_in(period, Ticket.created_at), Ticket.rating.between(1, 5))
        .group_by(Ticket.rating)
    )
    counts = dict(tuple(r) for r in rows)
    return Figure(
        "ratings", "bar", ("rating", "tickets"), tuple((n, counts.get(n, 0)) for n in range(1, 6))
    )


async def bot_share(session: AsyncSession, period: Period) -> list[Figure]:
    """What became of the questions: the bot's decisions on them counted by outcome (with
    each outcome's share in percent), and by language."""
    rows = await session.execute(
        select(QuestionOutcome.lang, QuestionOutcome.outcome, func.sum(QuestionOutcome.count))
        .where(QuestionOutcome.day.between(period.start, period.end))
        .group_by(QuestionOutcome.lang, QuestionOutcome.outcome)
    )
    counts = {(lang, outcome): int(n) for lang, outcome, n in rows}
    total = sum(counts.values())
    each = {o: sum(n for (_l, o2), n in counts.items() if o2 == o) for o in OUTCOMES}
    langs = sorted({lang for lang, _o in counts})
    return [
        Figure(
            "bot_share",
            "doughnut",
            ("outcome", "questions", "percent"),
            tuple(
                (name, each[o], round(100 * each[o] / total, 1) if total else None)
                for o, name in OUTCOMES.items()
            ),
        ),
        Figure(
            "bot_share_by_lang",
            "stacked",
            ("language", *OUTCOMES.values()),
            tuple((lang, *(counts.get((lang, o), 0) for o in OUTCOMES)) for lang in langs),
        ),
    ]


# How the event log moves a ticket in and out of the queue (bot/services/queue.py): back to
# it when released, returned (no reply, or its operator left the group), transferred to a
# queue or reopened; out of it when taken, transferred to an operator or closed.
BACK_IN_QUEUE = (EventKind.RELEASED, EventKind.RETURNED, EventKind.REOPENED)
MOVES = (*BACK_IN_QUEUE, EventKind.TAKEN, EventKind.TRANSFERRED, EventKind.CLOSED)
FOLLOWED = (*BACK_IN_QUEUE, EventKind.TRANSFERRED)  # tickets whose waits the log must tell
WAITING = literal_column(f"'{TicketStatus.WAITING}'")  # the states, as SQL literals
TAKEN = literal_column(f"'{TicketStatus.TAKEN}'")
CLOSED = literal_column(f"'{TicketStatus.CLOSED}'")


def _waiting_changes(sql: _Sql, period: Period):  # type: ignore[no-untyped-def]
    """Every time a ticket entered the queue (+1) or left it (-1). Each ticket enters at its
    creation. One never put back in the queue nor transferred (most) was taken once at most:
    it leaves at the first of being taken, answered or closed. The others follow their event
    log move by move (a move that repeats the state before it changes nothing); one closed
    without an event (its person erased) while waiting leaves at its closing. Tickets closed
    before the period are left out: their waits are over."""
    e = TicketEvent
    back = or_(
        e.kind.in_(BACK_IN_QUEUE), and_(e.kind == EventKind.TRANSFERRED, e.detail.like("queue %"))
    )
    state = case((back, WAITING), (e.kind == EventKind.CLOSED, CLOSED), else_=TAKEN)
    seen = and_(
        Ticket.created_at < period.until,
        or_(Ticket.closed_at.is_(None), Ticket.closed_at >= period.since),
    )
    followed = select(e.ticket_id).where(e.kind.in_(FOLLOWED), e.ticket_id.is_not(None))
    followed_seen = select(Ticket.id).where(seen, Ticket.id.in_(followed))
    left = sql.earliest(Ticket.taken_at, Ticket.first_response_at, Ticket.closed_at)
    moves = (
        select(
            e.at.label("at"),
            state.label("state"),
            func.lag(state).over(partition_by=e.ticket_id, order_by=(e.at, e.id)).label("before"),
        )
        .where(e.kind.in_(MOVES), e.ticket_id.in_(followed_seen))
        .subquery()
    )
    waits = case((moves.c.state == TicketStatus.WAITING, 1), else_=0)
    waited = case((func.coalesce(moves.c.before, WAITING) == TicketStatus.WAITING, 1), else_=0)
    change = (waits - waited).label("change")
    last = (
        select(state)
        .where(e.ticket_id == Ticket.id, e.kind.in_(MOVES))
        .order_by(e.at.desc(), e.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return union_all(
        select(Ticket.created_at.label("at"), literal(1).label("change")).where(seen),
        select(left, literal(-1)).where(seen, left.is_not(None), Ticket.id.not_in(followed)),
        select(moves.c.at, change).where(change != 0),
        select(Ticket.closed_at, literal(-1)).where(
            seen,
            Ticket.id.in_(followed),
            Ticket.closed_at.is_not(None),
            last == TicketStatus.WAITING,
        ),
    ).subquery()


async def answers(session: AsyncSession, period: Period) -> Figure:
    """What people said of the FAQ answers, by entry and language: "This helped" pressed
    under an answer, or "Talk to a person" pressed under it."""
    rows = await helpful(session, period.start, period.end)
    return Figure("helpful", "numbers", ("entry", "language", "helped", "not_helped"), tuple(rows))


async def queue_over_time(session: AsyncSession, period: Period) -> Figure:
    """Tickets waiting at each hour mark of the period (over HOURLY_DAYS days: each day's
    most at an hour mark), counting every time a ticket waited: from its creation, and again
    after it was released, returned, transferred to a queue or reopened, until it was taken
    (or transferred to an operator) or closed."""
    sql = _Sql(session, period)
    changes = _waiting_changes(sql, period)
    hour = sql.hour_mark(changes.c.at)
    rows = await session.execute(
        select(hour, func.sum(changes.c.change)).group_by(hour).order_by(hour)
    )
    changed = [(str(h), int(n)) for h, n in rows]  # the hours before the period first
    marks, i, waiting = [], 0, 0
    for day in period.days:  # at most 24 × 400 marks
        for h in range(24):
            mark = f"{day.isoformat()} {h:02d}:00"
            while i < len(changed) and changed[i][0] < mark:
                waiting += changed[i][1]
                i += 1
            marks.append((mark, waiting))
    if len(period.days) <= HOURLY_DAYS:
        return Figure("queue", "line", ("hour", "waiting"), tuple(marks))
    most: dict[str, int] = {}
    for mark, n in marks:
        most[mark[:10]] = max(most.get(mark[:10], 0), n)
    return Figure("queue", "line", ("day", "most_waiting"), tuple(most.items()))


async def hours(session: AsyncSession, period: Period, office: OfficeHours) -> Figure:
    """Tickets opened in each local hour, within and outside office hours (by weekday)."""
    sql = _Sql(session, period)
    when = sql.weekday_hour(Ticket.created_at)
    rows = await session.execute(
        select(when, func.count()).where(_in(period, Ticket.created_at)).group_by(when)
    )
    inside, outside = [0] * 24, [0] * 24
    for weekday_hour, count in rows:  # at most 7 × 24 buckets
        sunday_first, h = (int(part) for part in weekday_hour.split())
        shifts = office.shifts.get((sunday_first + 6) % 7, ())
        middle = dt.time(h, 30)
        (inside if any(a <= middle < b for a, b in shifts) else outside)[h] += count
    return Figure(
        "hours",
        "stacked",
        ("hour", "office_hours", "outside_office_hours"),
        tuple((f"{h:02d}:00", inside[h], outside[h]) for h in range(24)),
    )


async def dashboard(sessions: Sessions, period: Period, office: OfficeHours) -> list[Figure]:
    async with sessions.begin() as session:
        return [
            await now(session),
            *await per_day(session, period),
            await first_reply(session, period),
            await urgent(session, period),
            await ratings(session, period),
            *await bot_share(session, period),
            await answers(session, period),
            await hours(session, period, office),
            await queue_over_time(session, period),
        ]
