"""Office hours in Asia/Almaty: split shifts, Saturdays, public holidays."""

import datetime as dt

import pytest

from bot.config import public_holidays
from bot.core.hours import HoursError, OfficeHours

ALMATY = dt.timezone(dt.timedelta(hours=5))
HOURS = OfficeHours.parse(
    "mon-fri 09:00-13:00 14:00-18:00; sat 10:00-14:00", [dt.date(2026, 12, 16)]
)


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=ALMATY)


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (at(23, 9), True),  # Monday morning
        (at(23, 13, 30), False),  # lunch break between the shifts
        (at(23, 17, 59), True),
        (at(23, 18), False),
        (at(28, 11), True),  # Saturday
        (at(29, 11), False),  # Sunday
        (at(16, 10, month=12), False),  # Independence Day holiday, a Wednesday
    ],
)
def test_is_open(moment, is_open):
    assert HOURS.is_open(moment) is is_open


def test_next_open_skips_breaks_weekends_and_holidays():
    assert HOURS.next_open(at(23, 13, 30)) == at(23, 14)
    assert HOURS.next_open(at(28, 15)) == at(30, 9)  # Saturday afternoon -> Monday
    assert HOURS.next_open(at(15, 19, month=12)) == at(17, 9, month=12)
    assert HOURS.next_open(at(23, 10)) == at(23, 10)  # open now


def test_utc_input_is_read_in_almaty_time():
    assert HOURS.is_open(dt.datetime(2026, 11, 23, 4, 0, tzinfo=dt.UTC))  # 09:00 in Almaty


@pytest.mark.parametrize("spec", ["mon-fri 9-18", "monday 09:00-18:00", "mon 18:00-09:00", "mon"])
def test_mistakes_in_the_setting_are_explained(spec):
    with pytest.raises(HoursError):
        OfficeHours.parse(spec)


def test_always_open():
    assert OfficeHours.parse("always").is_open(at(29, 3))


KZ = OfficeHours.parse(
    "mon-fri 09:00-18:00",
    [dt.date(2026, 12, 31)],
    public=public_holidays("KZ"),  # from the holidays package
    open_days=[dt.date(2026, 3, 9)],
)


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (at(23, 10, month=3), False),  # Nauryz, a Monday: Kazakhstan's public holiday
        (at(16, 10, month=12), False),  # Independence Day, nobody configured it
        (at(31, 10, month=12), False),  # a day the NGO added
        (at(9, 10, month=3), True),  # a public holiday the NGO works all the same
        (at(17, 10, month=12), True),  # an ordinary Thursday
    ],
)
def test_public_holidays_of_the_country_with_the_ngos_own_days(moment, is_open):
    assert KZ.is_open(moment) is is_open


def test_next_open_after_nauryz():
    assert KZ.next_open(at(20, 19, month=3)) == at(26, 9, month=3)  # 21-25 March off
