"""Office hours of the hotline (time zone Asia/Almaty): split shifts and public holidays.

Public holidays are given as dates (`bot.config.public_holidays` takes them from the
`holidays` package); the administrator adds days off and days the hotline works although
they are public holidays."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")


class HoursError(ValueError):
    pass


def _days(spec: str) -> list[int]:
    if "-" in spec:
        first, last = spec.split("-", 1)
        if first not in DAYS or last not in DAYS:
            raise HoursError(f"unknown day in '{spec}': use {', '.join(DAYS)}")
        return list(range(DAYS.index(first), DAYS.index(last) + 1))
    days = []
    for day in spec.split(","):
        if day not in DAYS:
            raise HoursError(f"unknown day '{day}': use {', '.join(DAYS)}")
        days.append(DAYS.index(day))
    return days


@dataclass(frozen=True)
class OfficeHours:
    """e.g. "mon-fri 09:00-13:00 14:00-18:00; sat 10:00-14:00" plus holiday dates."""

    shifts: dict[int, tuple[tuple[dt.time, dt.time], ...]]
    holidays: frozenset[dt.date]
    tz: ZoneInfo
    public: frozenset[dt.date] = frozenset()  # a country's public holidays
    open_days: frozenset[dt.date] = frozenset()  # worked although public holidays

    @classmethod
    def parse(
        cls,
        spec: str,
        holidays: list[dt.date] | tuple[dt.date, ...] = (),
        tz: str = "Asia/Almaty",
        public: frozenset[dt.date] = frozenset(),
        open_days: list[dt.date] | tuple[dt.date, ...] = (),
    ) -> OfficeHours:
        calendar = (frozenset(holidays), ZoneInfo(tz), public, frozenset(open_days))
        shifts: dict[int, list[tuple[dt.time, dt.time]]] = {}
        if spec.strip() in ("", "always", "24/7"):
            whole = (dt.time(0, 0), dt.time(23, 59, 59))
            return cls({d: (whole,) for d in range(7)}, *calendar)
        for part in spec.lower().split(";"):
            words = part.split()
            if not words:
                continue
            if len(words) < 2:
                raise HoursError(f"'{part.strip()}' needs days and times, e.g. mon-fri 09:00-18:00")
            for span in words[1:]:
                match = _SPAN.match(span)
                if not match:
                    raise HoursError(f"'{span}' is not a time span like 09:00-18:00")
                h1, m1, h2, m2 = map(int, match.groups())
                start, end = dt.time(h1, m1), dt.time(h2, m2)
                if end <= start:
                    raise HoursError(f"'{span}' ends before it starts")
                for day in _days(words[0]):
                    shifts.setdefault(day, []).append((start, end))
        return cls({d: tuple(sorted(s)) for d, s in shifts.items()}, *calendar)

    def day_off(self, day: dt.date) -> bool:
        if day in self.holidays:
            return True
        return day in self.public and day not in self.open_days

    def is_open(self, now: dt.datetime) -> bool:
        local = now.astimezone(self.tz)
        if self.day_off(local.date()):
            return False
        return any(a <= local.time() < b for a, b in self.shifts.get(local.weekday(), ()))

    def next_open(self, now: dt.datetime) -> dt.datetime | None:
        """When a person will be there next (now if open); None if never."""
        if self.is_open(now):
            return now
        local = now.astimezone(self.tz)
        for offset in range(0, 15):
            day = local.date() + dt.timedelta(days=offset)
            if self.day_off(day):
                continue
            for start, _end in self.shifts.get(day.weekday(), ()):
                moment = dt.datetime.combine(day, start, self.tz)
                if moment > local:
                    return moment
        return None
