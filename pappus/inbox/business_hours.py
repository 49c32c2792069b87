"""Business-hours arithmetic for SLA clocks: pure functions over aware datetimes.

A calendar is a time zone, opening periods per weekday (local wall-clock times) and holidays
(local dates, closed all day). All arithmetic happens in UTC, so a clock running across a
daylight-saving change counts the hours that really passed. A calendar with no opening periods
at all is open around the clock (a team that promises 24/7 answers).
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

UTC = datetime.UTC
ONE_DAY = datetime.timedelta(days=1)
ZERO = datetime.timedelta(0)
# No real calendar is closed for ten years; past this the calendar is taken as broken.
MAXIMUM_DAYS_SCANNED = 3660

WEEKDAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Period = tuple[datetime.time, datetime.time]


@dataclass(frozen=True)
class BusinessCalendar:
    """Opening hours of a team: ``hours[0]`` are Monday's periods; ``closes`` of 00:00 means midnight."""

    time_zone: str = "UTC"
    hours: Mapping[int, tuple[Period, ...]] = field(default_factory=dict)
    holidays: frozenset[datetime.date] = frozenset()

    def __post_init__(self) -> None:
        zoneinfo.ZoneInfo(self.time_zone)  # fails early on an unknown zone
        for weekday, periods in self.hours.items():
            if weekday not in range(7):
                raise ValueError(f"weekday {weekday} is not 0 (Monday) … 6 (Sunday)")
            for opens, closes in periods:
                if closes != datetime.time(0) and closes <= opens:
                    raise ValueError(f"a period closes ({closes}) before it opens ({opens})")

    @property
    def is_always_open(self) -> bool:
        return not any(self.hours.values())

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


def parse_time(value: str) -> datetime.time:
    """``"09:00"`` → 09:00; ``"24:00"`` is midnight at the end of the day (stored as 00:00)."""
    if value.strip() == "24:00":
        return datetime.time(0)
    return datetime.time.fromisoformat(value.strip())


def calendar_from_settings(
    time_zone: str, weekly: Mapping[str, Sequence[Sequence[str]]], holidays: Iterable[str] = ()
) -> BusinessCalendar:
    """A calendar from stored settings: ``{"mon": [["09:00", "17:00"]], …}`` and ISO holiday dates."""
    hours: dict[int, tuple[Period, ...]] = {}
    for key, periods in weekly.items():
        if key not in WEEKDAY_KEYS:
            raise ValueError(f"unknown weekday {key!r}; expected one of {', '.join(WEEKDAY_KEYS)}")
        hours[WEEKDAY_KEYS.index(key)] = tuple((parse_time(opens), parse_time(closes)) for opens, closes in periods)
    return BusinessCalendar(
        time_zone=time_zone, hours=hours, holidays=frozenset(datetime.date.fromisoformat(day) for day in holidays)
    )


def _periods_of_day(
    calendar: BusinessCalendar, day: datetime.date
) -> Iterator[tuple[datetime.datetime, datetime.datetime]]:
    """The day's opening periods as UTC instants (none on a holiday)."""
    if day in calendar.holidays:
        return
    zone = calendar.zone
    for opens, closes in sorted(calendar.hours.get(day.weekday(), ())):
        start = datetime.datetime.combine(day, opens, tzinfo=zone).astimezone(UTC)
        end_day = day + ONE_DAY if closes == datetime.time(0) else day
        end = datetime.datetime.combine(end_day, closes, tzinfo=zone).astimezone(UTC)
        yield start, end


def _require_aware(moment: datetime.datetime) -> datetime.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("business-hours arithmetic needs aware datetimes")
    return moment.astimezone(UTC)


def add_business_time(
    calendar: BusinessCalendar, start: datetime.datetime, duration: datetime.timedelta
) -> datetime.datetime:
    """The instant (UTC) when ``duration`` of opening hours have passed since ``start``.

    A clock started outside opening hours begins at the next opening; a zero duration returns
    ``start`` itself.
    """
    start = _require_aware(start)
    if duration <= ZERO:
        return start
    if calendar.is_always_open:
        return start + duration
    remaining = duration
    day = start.astimezone(calendar.zone).date()
    for _ in range(MAXIMUM_DAYS_SCANNED):
        for opens, closes in _periods_of_day(calendar, day):
            if closes <= start:
                continue
            begin = max(opens, start)
            available = closes - begin
            if remaining <= available:
                return begin + remaining
            remaining -= available
        day += ONE_DAY
    raise ValueError("the calendar has no opening hours in the next ten years")


def business_time_between(
    calendar: BusinessCalendar, start: datetime.datetime, end: datetime.datetime
) -> datetime.timedelta:
    """How much opening time lies between ``start`` and ``end`` (zero when ``end`` is not later)."""
    start, end = _require_aware(start), _require_aware(end)
    if end <= start:
        return ZERO
    if calendar.is_always_open:
        return end - start
    zone = calendar.zone
    total = ZERO
    day = start.astimezone(zone).date()
    last_day = end.astimezone(zone).date()
    while day <= last_day:
        for opens, closes in _periods_of_day(calendar, day):
            overlap = min(closes, end) - max(opens, start)
            if overlap > ZERO:
                total += overlap
        day += ONE_DAY
    return total
