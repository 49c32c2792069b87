"""Seeded synthetic mention series with labelled events, to choose and check the detector.

Only this data was used to tune :mod:`pappus.crisis.detector` (no public test set was looked at).
Each scenario is an hourly (or finer) series of mention counts with a daily and a weekly rhythm,
Poisson or over-dispersed (gamma-mixed) noise, and optionally a trend, missing points, irregular
sampling, and events: sudden spikes of several sizes, slow ramps, level shifts, and rises of the
negative share. A scenario knows its events' windows, so ``bench/crisis.py`` measures detection
delay, recall and false alarms, and the tests can say "a clear spike alerts within N points".
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np

from pappus.crisis.detector import Kind

START: Final = datetime.datetime(2026, 1, 5, tzinfo=datetime.UTC)  # a Monday
HOUR: Final = datetime.timedelta(hours=1)

type EventKind = Literal["spike", "ramp", "shift", "share"]


@dataclass(frozen=True, slots=True)
class Event:
    """A labelled event: it starts at ``start`` and counts as found by an alert before ``end``."""

    kind: EventKind
    start: datetime.datetime
    end: datetime.datetime
    size: float


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    kind: Kind
    interval: datetime.timedelta
    timestamps: tuple[datetime.datetime, ...]
    values: tuple[float, ...]
    totals: tuple[float, ...] | None
    events: tuple[Event, ...]

    @property
    def weeks(self) -> float:
        if len(self.timestamps) < 2:
            return 0.0
        return (self.timestamps[-1] - self.timestamps[0]) / datetime.timedelta(days=7)


def rhythm(moment: datetime.datetime, daily: float = 0.6, weekend: float = 0.7) -> float:
    """The usual shape of mention volume: a peak in the afternoon, quiet nights, calmer weekends."""
    hour = moment.hour + moment.minute / 60
    day_shape = 1.0 + daily * math.sin((hour - 8.0) / 24.0 * 2 * math.pi)
    return day_shape * (weekend if moment.weekday() >= 5 else 1.0)


def _noise(rng: np.random.Generator, rate: float, dispersion: float | None) -> float:
    if dispersion is not None and rate > 0:
        rate = float(rng.gamma(dispersion, rate / dispersion))
    return float(rng.poisson(max(rate, 0.0)))


def _event_multiplier(event: Event, moment: datetime.datetime, duration: datetime.timedelta) -> float:
    """How much an event multiplies the rate at ``moment`` (1 outside it)."""
    if moment < event.start:
        return 1.0
    elapsed = (moment - event.start) / duration
    if event.kind == "spike":
        # A sudden jump that fades over its duration.
        return 1.0 + (event.size - 1.0) * math.exp(-2.0 * elapsed) if elapsed <= 1.5 else 1.0
    if event.kind == "ramp":
        # A slow rise over ``duration``, a plateau as long, then back.
        if elapsed <= 1.0:
            return 1.0 + (event.size - 1.0) * elapsed
        return event.size if elapsed <= 2.0 else 1.0
    if event.kind == "shift":
        return event.size
    return 1.0


def generate(
    name: str,
    *,
    seed: int,
    level: float,
    weeks: int = 8,
    interval: datetime.timedelta = HOUR,
    events: tuple[tuple[EventKind, float, float, float], ...] = (),
    dispersion: float | None = None,
    trend: float = 0.0,
    missing: float = 0.0,
    jitter: float = 0.0,
    negative_share: float = 0.12,
    as_share: bool = False,
) -> Scenario:
    """One series. ``events`` are (kind, day it starts, size, duration in hours): a spike's size is
    the peak multiple of the usual volume, a ramp's the multiple it rises to, a shift's the new
    level's multiple, a share event's the negative share it rises to. ``trend`` is the growth over
    the whole series (0.5 = +50 %); ``missing`` the fraction of points dropped; ``jitter`` moves
    each timestamp by up to that fraction of the interval."""
    rng = np.random.default_rng(seed)
    points = int(weeks * 7 * datetime.timedelta(days=1) / interval)
    labelled = []
    for kind, day, size, hours in events:
        start = START + datetime.timedelta(days=day)
        start -= datetime.timedelta(seconds=(start - START).total_seconds() % interval.total_seconds())
        duration = datetime.timedelta(hours=hours)
        # Found if alerted while it lasts (a ramp: while rising or on its plateau), at least 6 hours.
        window = max(duration * (2 if kind == "ramp" else 1), datetime.timedelta(hours=6))
        labelled.append((Event(kind, start, start + window, size), duration))
    timestamps: list[datetime.datetime] = []
    values: list[float] = []
    totals: list[float] = []
    per_hour = interval / HOUR
    share_kind = as_share or any(event.kind == "share" for event, _ in labelled)
    for index in range(points):
        moment = START + index * interval
        rate = level * per_hour * rhythm(moment) * (1.0 + trend * index / points)
        share = negative_share
        for event, duration in labelled:
            if event.kind == "share":
                if event.start <= moment < event.start + duration:
                    share = event.size
            else:
                rate *= _event_multiplier(event, moment, duration)
        total = _noise(rng, rate, dispersion)
        negatives = float(rng.binomial(int(total), share)) if total else 0.0
        offset = float(rng.uniform(-jitter, jitter)) * interval if jitter else datetime.timedelta(0)
        if missing and rng.random() < missing:
            continue
        timestamps.append(moment + offset)
        if share_kind:
            values.append(negatives)
            totals.append(total)
        else:
            values.append(total)
    return Scenario(
        name=name,
        kind="share" if share_kind else "count",
        interval=interval,
        timestamps=tuple(timestamps),
        values=tuple(values),
        totals=tuple(totals) if share_kind else None,
        events=tuple(event for event, _ in labelled),
    )


def scenarios(*, seed: int = 7, repeats: int = 3) -> list[Scenario]:
    """The bench's scenarios: ``repeats`` seeded variants of each family (8 weeks each, hourly
    unless said). Events start from day 12, after the detector has seen a week and a half."""
    families: list[Scenario] = []
    rng = np.random.default_rng(seed)
    for repeat in range(repeats):

        def next_seed() -> int:
            return int(rng.integers(0, 2**31))

        def day(low: float = 12.0, high: float = 52.0) -> float:
            return round(float(rng.uniform(low, high)), 2)

        tag = f"#{repeat + 1}"
        for level in (3.0, 30.0, 300.0):
            families.append(generate(f"quiet rate={level:g} {tag}", seed=next_seed(), level=level))
            families.append(
                generate(f"quiet over-dispersed rate={level:g} {tag}", seed=next_seed(), level=level, dispersion=8.0)
            )
            families.append(
                generate(f"quiet trend +80% rate={level:g} {tag}", seed=next_seed(), level=level, trend=0.8)
            )
            for size in (2.0, 3.0, 5.0, 10.0):
                families.append(  # noqa: PERF401 - seeds drawn in order
                    generate(
                        f"spike x{size:g} rate={level:g} {tag}",
                        seed=next_seed(),
                        level=level,
                        events=(("spike", day(12, 30), size, 6.0), ("spike", day(33, 52), size, 4.0)),
                    )
                )
            for size in (2.0, 4.0):
                families.append(  # noqa: PERF401 - seeds drawn in order
                    generate(
                        f"ramp x{size:g} over 24 h rate={level:g} {tag}",
                        seed=next_seed(),
                        level=level,
                        events=(("ramp", day(), size, 24.0),),
                    )
                )
            families.append(
                generate(
                    f"level shift x2 rate={level:g} {tag}",
                    seed=next_seed(),
                    level=level,
                    events=(("shift", day(), 2.0, 6.0),),
                )
            )
            for share in (0.3, 0.5):
                families.append(  # noqa: PERF401 - seeds drawn in order
                    generate(
                        f"negative share 0.12→{share:g} rate={level:g} {tag}",
                        seed=next_seed(),
                        level=level,
                        events=(("share", day(12, 30), share, 6.0), ("share", day(33, 52), share, 6.0)),
                    )
                )
        families.append(
            generate(
                f"spike x3, 10% missing, over-dispersed rate=30 {tag}",
                seed=next_seed(),
                level=30.0,
                dispersion=8.0,
                missing=0.1,
                events=(("spike", day(12, 30), 3.0, 6.0), ("spike", day(33, 52), 3.0, 6.0)),
            )
        )
        families.append(
            generate(
                f"spike x3, 15-min irregular sampling, 5% missing rate=30 {tag}",
                seed=next_seed(),
                level=30.0,
                interval=datetime.timedelta(minutes=15),
                jitter=0.3,
                missing=0.05,
                events=(("spike", day(12, 30), 3.0, 4.0), ("ramp", day(33, 52), 3.0, 12.0)),
            )
        )
        families.append(generate(f"quiet share rate=30 {tag}", seed=next_seed(), level=30.0, as_share=True))
    return families
