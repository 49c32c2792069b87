"""Measuring the detector on labelled series: detection delay, recall, false alarms, a NAB-style score.

Pure functions over :class:`pappus.crisis.synthetic.Scenario` (or any timestamps, alerts and
labelled windows); ``bench/crisis.py`` prints them.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from pappus.crisis.detector import DEFAULT_COOLDOWN, DEFAULT_SENSITIVITY, Point, score_series
from pappus.crisis.synthetic import Event, Scenario

# An alert up to this long after an event's window is a repeat of that event, not a false alarm.
AFTERMATH = datetime.timedelta(hours=24)
# NAB's standard profile: a found window earns up to 1, a missed one costs 1, a false alarm 0.11.
NAB_TRUE_POSITIVE = 1.0
NAB_FALSE_NEGATIVE = 1.0
NAB_FALSE_POSITIVE = 0.11


@dataclass(slots=True)
class Detection:
    event: Event
    scenario: str
    found: bool
    delay_points: int | None = None
    delay_minutes: float | None = None


@dataclass(slots=True)
class Outcome:
    """What the detector did on one scenario."""

    scenario: Scenario
    points: list[Point]
    detections: list[Detection] = field(default_factory=list)
    false_alarms: int = 0
    repeat_alerts: int = 0
    nab_raw: float = 0.0
    nab_null: float = 0.0
    nab_perfect: float = 0.0


def scaled_sigmoid(relative_position: float) -> float:
    """NAB's reward for a detection at ``relative_position`` (-1 = window start, 0 = its end)."""
    return 2.0 / (1.0 + math.exp(5.0 * relative_position)) - 1.0


def evaluate(
    scenario: Scenario,
    *,
    sensitivity: float = DEFAULT_SENSITIVITY,
    cooldown: datetime.timedelta = DEFAULT_COOLDOWN,
) -> Outcome:
    points = score_series(
        scenario.timestamps,
        scenario.values,
        totals=scenario.totals,
        kind=scenario.kind,
        sensitivity=sensitivity,
        cooldown=cooldown,
        interval=scenario.interval,
    )
    return judge(scenario, points)


def judge(scenario: Scenario, points: Sequence[Point]) -> Outcome:
    """Match alerts to the scenario's event windows."""
    outcome = Outcome(scenario, list(points))
    timestamps = scenario.timestamps
    alerts = [index for index, point in enumerate(points) if point.alert]
    claimed: set[int] = set()
    for event in scenario.events:
        start_index = next((i for i, moment in enumerate(timestamps) if moment >= event.start), len(timestamps))
        inside = [i for i in alerts if event.start <= timestamps[i] < event.end]
        # NAB window: a tenth of the window before the start counts too (early detection earns most).
        length = event.end - event.start
        nab_start = event.start - length / 10
        early = [i for i in alerts if nab_start <= timestamps[i] < event.end]
        outcome.nab_null -= NAB_FALSE_NEGATIVE
        outcome.nab_perfect += NAB_TRUE_POSITIVE * scaled_sigmoid(-1.0)
        if early:
            position = (timestamps[early[0]] - event.end) / (event.end - nab_start)
            outcome.nab_raw += NAB_TRUE_POSITIVE * scaled_sigmoid(position)
        else:
            outcome.nab_raw -= NAB_FALSE_NEGATIVE
        if inside:
            first = inside[0]
            outcome.detections.append(
                Detection(
                    event,
                    scenario.name,
                    found=True,
                    delay_points=first - start_index,
                    delay_minutes=(timestamps[first] - event.start).total_seconds() / 60,
                )
            )
        else:
            outcome.detections.append(Detection(event, scenario.name, found=False))
        aftermath = [i for i in alerts if nab_start <= timestamps[i] < event.end + AFTERMATH]
        outcome.repeat_alerts += max(0, len(aftermath) - 1)
        claimed.update(aftermath)
    outcome.false_alarms = sum(1 for i in alerts if i not in claimed)
    outcome.nab_raw -= NAB_FALSE_POSITIVE * outcome.false_alarms
    return outcome


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """The nearest-rank percentile (``fraction`` in [0, 1]); None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True, slots=True)
class Summary:
    events: int
    found: int
    recall: float
    delay_points_median: float | None
    delay_points_p90: float | None
    delay_minutes_median: float | None
    delay_minutes_p90: float | None
    false_alarms: int
    weeks: float
    false_alarms_per_week: float
    repeat_alerts: int
    nab_score: float


def summarize(outcomes: Sequence[Outcome]) -> Summary:
    detections = [detection for outcome in outcomes for detection in outcome.detections]
    found = [detection for detection in detections if detection.found]
    points = [float(detection.delay_points or 0) for detection in found]
    minutes = [float(detection.delay_minutes or 0.0) for detection in found]
    weeks = sum(outcome.scenario.weeks for outcome in outcomes)
    false_alarms = sum(outcome.false_alarms for outcome in outcomes)
    raw = sum(outcome.nab_raw for outcome in outcomes)
    null = sum(outcome.nab_null for outcome in outcomes)
    perfect = sum(outcome.nab_perfect for outcome in outcomes)
    nab = 100.0 * (raw - null) / (perfect - null) if perfect != null else 0.0
    return Summary(
        events=len(detections),
        found=len(found),
        recall=len(found) / len(detections) if detections else 0.0,
        delay_points_median=percentile(points, 0.5),
        delay_points_p90=percentile(points, 0.9),
        delay_minutes_median=percentile(minutes, 0.5),
        delay_minutes_p90=percentile(minutes, 0.9),
        false_alarms=false_alarms,
        weeks=weeks,
        false_alarms_per_week=false_alarms / weeks if weeks else 0.0,
        repeat_alerts=sum(outcome.repeat_alerts for outcome in outcomes),
        nab_score=nab,
    )
