"""SLA clocks in business hours: exact instants across nights, weekends, holidays, time zones and DST."""

import datetime

import pytest

from pappus.inbox.business_hours import (
    BusinessCalendar,
    add_business_time,
    business_time_between,
    calendar_from_settings,
)

UTC = datetime.UTC
HOUR = datetime.timedelta(hours=1)
MINUTE = datetime.timedelta(minutes=1)
WEEKDAYS = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def oslo() -> BusinessCalendar:
    # 2026-03-02 is a Monday. Oslo is UTC+1 in winter, UTC+2 from 2026-03-29 02:00 local.
    return calendar_from_settings("Europe/Oslo", WEEKDAYS, ["2026-03-04"])


def test_within_the_same_day(oslo: BusinessCalendar) -> None:
    # Monday 10:00 Oslo (09:00 UTC) + 1 h → 11:00 Oslo.
    assert add_business_time(oslo, utc(2026, 3, 2, 9, 0), HOUR) == utc(2026, 3, 2, 10, 0)


def test_a_message_at_night_starts_the_clock_at_opening(oslo: BusinessCalendar) -> None:
    # Monday 22:00 Oslo → Tuesday 09:00 Oslo + 30 min = 09:30 Oslo = 08:30 UTC.
    assert add_business_time(oslo, utc(2026, 3, 2, 21, 0), 30 * MINUTE) == utc(2026, 3, 3, 8, 30)


def test_the_clock_carries_over_to_the_next_working_day(oslo: BusinessCalendar) -> None:
    # Tuesday 16:00 Oslo + 2 h: 1 h on Tuesday; Wednesday is a holiday; Thursday 09:00 + 1 h = 10:00 Oslo.
    assert add_business_time(oslo, utc(2026, 3, 3, 15, 0), 2 * HOUR) == utc(2026, 3, 5, 9, 0)


def test_a_weekend_is_skipped(oslo: BusinessCalendar) -> None:
    # Friday 16:30 Oslo + 1 h: 30 min Friday, 30 min from Monday 09:00 → Monday 09:30 Oslo = 08:30 UTC.
    assert add_business_time(oslo, utc(2026, 3, 6, 15, 30), HOUR) == utc(2026, 3, 9, 8, 30)
    # Saturday noon + 8 h = all of Monday → Monday 17:00 Oslo exactly.
    assert add_business_time(oslo, utc(2026, 3, 7, 11, 0), 8 * HOUR) == utc(2026, 3, 9, 16, 0)


def test_across_the_change_to_summer_time(oslo: BusinessCalendar) -> None:
    # Friday 2026-03-27 16:00 Oslo (UTC+1) + 2 h → Monday 2026-03-30 10:00 Oslo, now UTC+2 = 08:00 UTC.
    assert add_business_time(oslo, utc(2026, 3, 27, 15, 0), 2 * HOUR) == utc(2026, 3, 30, 8, 0)


def test_the_same_instant_in_another_team_time_zone() -> None:
    shanghai = calendar_from_settings("Asia/Shanghai", WEEKDAYS)
    # Monday 09:00 UTC is 17:00 in Shanghai: closed, so Tuesday 09:00 Shanghai (01:00 UTC) + 1 h.
    assert add_business_time(shanghai, utc(2026, 3, 2, 9, 0), HOUR) == utc(2026, 3, 3, 2, 0)


def test_several_periods_a_day_and_a_lunch_break() -> None:
    split = calendar_from_settings("UTC", {"mon": [["13:00", "17:00"], ["08:00", "12:00"]]})
    # Monday 11:00 + 2 h: 1 h before lunch, 1 h after → 14:00.
    assert add_business_time(split, utc(2026, 3, 2, 11, 0), 2 * HOUR) == utc(2026, 3, 2, 14, 0)
    # Only Mondays are open: 9 h from Monday 08:00 → next Monday 09:00.
    assert add_business_time(split, utc(2026, 3, 2, 8, 0), 9 * HOUR) == utc(2026, 3, 9, 9, 0)


def test_until_midnight() -> None:
    late = calendar_from_settings("UTC", {"mon": [["20:00", "24:00"]], "tue": [["00:00", "02:00"]]})
    assert add_business_time(late, utc(2026, 3, 2, 23, 0), 2 * HOUR) == utc(2026, 3, 3, 1, 0)


def test_a_team_without_hours_answers_around_the_clock() -> None:
    always = BusinessCalendar()
    assert add_business_time(always, utc(2026, 3, 7, 23, 0), 2 * HOUR) == utc(2026, 3, 8, 1, 0)
    assert business_time_between(always, utc(2026, 3, 7, 23, 0), utc(2026, 3, 8, 1, 0)) == 2 * HOUR


def test_business_time_between_is_the_inverse(oslo: BusinessCalendar) -> None:
    start = utc(2026, 3, 3, 15, 0)
    assert business_time_between(oslo, start, utc(2026, 3, 5, 9, 0)) == 2 * HOUR
    assert business_time_between(oslo, utc(2026, 3, 6, 15, 30), utc(2026, 3, 9, 8, 30)) == HOUR
    # A whole week (Mon 00:00 to next Mon 00:00 Oslo) with one holiday: 4 days of 8 h.
    assert business_time_between(oslo, utc(2026, 3, 1, 23, 0), utc(2026, 3, 8, 23, 0)) == 32 * HOUR
    assert business_time_between(oslo, utc(2026, 3, 5, 9, 0), start) == datetime.timedelta(0)


def test_zero_duration_and_naive_datetimes(oslo: BusinessCalendar) -> None:
    start = utc(2026, 3, 7, 11, 0)
    assert add_business_time(oslo, start, datetime.timedelta(0)) == start
    with pytest.raises(ValueError, match="aware"):
        add_business_time(oslo, datetime.datetime(2026, 3, 2, 9, 0), HOUR)  # noqa: DTZ001 - the point of the test


def test_bad_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown weekday"):
        calendar_from_settings("UTC", {"monday": [["09:00", "17:00"]]})
    with pytest.raises(ValueError, match="closes"):
        calendar_from_settings("UTC", {"mon": [["17:00", "09:00"]]})
    closed = BusinessCalendar(hours={0: ()}, holidays=frozenset())
    assert closed.is_always_open
