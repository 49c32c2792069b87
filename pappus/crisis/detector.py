"""The crisis detector: an online anomaly score in [0, 1] per point of one time series, and the alerts it raises.

Pure Python, no Django, deterministic. A point's score uses only that point and the points before
it, so appending future points never changes a past score (the ``online`` contract of
``../shared/design/ARCHITECTURE.md``), and the same function serves the periodic job, the pages and
``pappus crisis score INPUT.csv OUTPUT.csv`` on public benchmarks.

The method (chosen by measurement on the synthetic scenarios of :mod:`pappus.crisis.synthetic`,
see ``docs/crisis.md`` and ``bench/crisis.py``), per point:

1. **Transform.** Counts go through Anscombe's transform ``2·sqrt(x + 3/8)``, under which Poisson
   noise has unit variance at every level; shares are scored as a binomial count of ``negatives``
   out of ``total``; other values are used as they are.
2. **Expected value.** A robust level (the median of the last day of points, at least
   :data:`MIN_LEVEL_POINTS`) plus a seasonal offset per hour of day (median over the last week of
   the same hour's differences to the level, once three days are seen) and per hour of week (over
   the last four weeks, once three weeks are seen). Medians ignore a spike; missing points and
   irregular sampling need no filling, since seasonal slots come from the timestamps.
3. **Surprise.** The residual is divided by a robust scale: 1.4826 x the median absolute residual
   of the last two days (winsorized), floored by the noise the kind allows (1 for counts, the
   binomial variance for shares). Three views of that z-score are combined by taking the largest:
   the point itself, the last three points together (a burst), and a one-sided CUSUM (slow ramps).
4. **Score.** ``1 / (1 + exp(-(z - Z_CENTER) / Z_WIDTH))``, zero during a warm-up. An alert is
   raised when the score reaches ``1 - sensitivity``; the next alert needs both the cool-down
   elapsed and the score fallen back below half the threshold (one event, one alert). A shift
   that persists is taken as the new normal: the level restarts from the recent points.
"""

from __future__ import annotations

import bisect
import datetime
import itertools
import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from statistics import NormalDist, median
from typing import Final, Literal

type Kind = Literal["count", "share", "value"]
type Direction = Literal["up", "both"]

KINDS: Final = ("count", "share", "value")
DIRECTIONS: Final = ("up", "both")

DEFAULT_SENSITIVITY: Final = 0.5
DEFAULT_COOLDOWN: Final = datetime.timedelta(hours=6)

# z-score → score: the logistic's centre and width (tuned on synthetic data only, bench/crisis.py).
Z_CENTER: Final = 4.0
Z_WIDTH: Final = 0.6
# The CUSUM drift allowance k and the sum h that counts as Z_CENTER.
CUSUM_DRIFT: Final = 0.75
CUSUM_LIMIT: Final = 10.0
# How far a residual may count in the scale and burst estimates (in scales).
WINSOR: Final = 4.0
LEARNING_DAMPING: Final = 0.75
MIN_LEVEL_POINTS: Final = 8
MAX_LEVEL_POINTS: Final = 1440
DAY: Final = datetime.timedelta(days=1)
WEEK: Final = datetime.timedelta(days=7)
DAILY_HISTORY_DAYS: Final = 7
WEEKLY_HISTORY_WEEKS: Final = 4
DAILY_AFTER: Final = datetime.timedelta(days=3)
WEEKLY_AFTER: Final = datetime.timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Point:
    """The detector's answer for one input point.

    ``score`` is in [0, 1] (0.5 is a z-score of :data:`Z_CENTER` robust standard deviations);
    ``alert`` is True on the point where an alert is raised; ``expected`` is the value the detector
    expected there, in the input's units (a share for shares), or None during the warm-up.
    """

    score: float
    alert: bool
    expected: float | None = None


def infer_interval(timestamps: Sequence[datetime.datetime]) -> datetime.timedelta:
    """The sampling interval: the median of the positive gaps between consecutive timestamps."""
    gaps = sorted((later - earlier).total_seconds() for earlier, later in itertools.pairwise(timestamps))
    positive = [gap for gap in gaps if gap > 0]
    if not positive:
        return datetime.timedelta(hours=1)
    return datetime.timedelta(seconds=median(positive))


class _SortedWindow:
    """The last ``size`` values, kept sorted too, for medians in O(size) per update."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.order: deque[float] = deque()
        self.sorted: list[float] = []
        self.total = 0.0

    def add(self, value: float) -> None:
        self.order.append(value)
        bisect.insort(self.sorted, value)
        self.total += value
        if len(self.order) > self.size:
            old = self.order.popleft()
            del self.sorted[bisect.bisect_left(self.sorted, old)]
            self.total -= old

    def clear(self) -> None:
        self.order.clear()
        self.sorted.clear()
        self.total = 0.0

    def __len__(self) -> int:
        return len(self.order)

    def median(self) -> float:
        values, count = self.sorted, len(self.sorted)
        middle = count // 2
        return values[middle] if count % 2 else (values[middle - 1] + values[middle]) / 2

    def mean(self) -> float:
        return self.total / len(self.order)


@dataclass(slots=True)
class _Seasonal:
    """Medians of past differences to the level, per slot (hour of day or of week)."""

    slot_seconds: float
    period_seconds: float
    depth: int
    history: dict[int, deque[float]] = field(default_factory=dict)

    def slot(self, moment: datetime.datetime) -> int:
        seconds = moment.timestamp() % self.period_seconds
        return int(seconds // self.slot_seconds)

    def offset(self, moment: datetime.datetime) -> float:
        values = self.history.get(self.slot(moment))
        return median(values) if values else 0.0

    def add(self, moment: datetime.datetime, difference: float) -> None:
        key = self.slot(moment)
        values = self.history.get(key)
        if values is None:
            values = self.history[key] = deque(maxlen=self.depth)
        values.append(difference)


class Detector:
    """The online detector as an object: feed points in time order with :meth:`update`.

    :func:`score_series` is this over a whole series. ``interval`` sizes the windows (a day of
    points for the level, two for the scale); give the series' sampling interval.
    """

    def __init__(
        self,
        *,
        interval: datetime.timedelta,
        kind: Kind = "count",
        sensitivity: float = DEFAULT_SENSITIVITY,
        cooldown: datetime.timedelta = DEFAULT_COOLDOWN,
        direction: Direction = "up",
        warmup: int | None = None,
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, not {direction!r}")
        if not 0.0 < sensitivity < 1.0:
            raise ValueError(f"sensitivity must be between 0 and 1 (exclusive), not {sensitivity}")
        seconds = max(interval.total_seconds(), 1.0)
        per_day = DAY.total_seconds() / seconds
        self.kind: Kind = kind
        self.direction: Direction = direction
        self.threshold = 1.0 - sensitivity
        self.cooldown = cooldown
        self.level_points = int(min(MAX_LEVEL_POINTS, max(MIN_LEVEL_POINTS, round(per_day), 7)))
        self.scale_points = 2 * self.level_points
        self.warmup = warmup if warmup is not None else max(MIN_LEVEL_POINTS, min(self.level_points, 288))
        # A shift that lasts this many points on one side is a new normal.
        self.persist_points = max(3, min(72, self.level_points // 4))
        self.level = _SortedWindow(self.level_points)
        self.recent = _SortedWindow(self.persist_points)
        self.absolute_residuals = _SortedWindow(self.scale_points)
        slot_seconds = max(seconds, 3600.0)
        samples_per_day_slot = max(1, round(slot_seconds / seconds))
        self.daily: _Seasonal | None = None
        self.weekly: _Seasonal | None = None
        if seconds <= 6 * 3600:
            self.daily = _Seasonal(slot_seconds, DAY.total_seconds(), samples_per_day_slot * DAILY_HISTORY_DAYS)
        if seconds <= DAY.total_seconds():
            self.weekly = _Seasonal(
                min(slot_seconds, DAY.total_seconds()),
                WEEK.total_seconds(),
                samples_per_day_slot * WEEKLY_HISTORY_WEEKS,
            )
        self.first: datetime.datetime | None = None
        self.daily_since: datetime.datetime | None = None
        self.weekly_since: datetime.datetime | None = None
        self.seen = 0
        self.cusum = 0.0
        self.burst: deque[float] = deque(maxlen=3)
        self.same_side = 0
        self.last_alert: datetime.datetime | None = None
        self.armed = True
        # Shares: pooled negatives and totals of the last level window.
        self.share_counts: deque[tuple[float, float]] = deque(maxlen=self.level_points)
        self.share_negatives = 0.0
        self.share_totals = 0.0

    # -- one point ------------------------------------------------------------------------

    def update(self, moment: datetime.datetime, value: float, total: float | None = None) -> Point:
        """Score the point ``value`` at ``moment`` (for shares: ``value`` negatives of ``total``)."""
        if self.first is None:
            self.first = moment
        if self.kind == "share":
            z, expected = self._share_z(value, total)
        else:
            z, expected = self._value_z(moment, value)
        self.seen += 1
        learning = self.kind != "share" and self.daily is not None and not self._daily_on(moment)
        combined = self._combine(z, learning=learning)
        in_warmup = self.seen <= self.warmup or expected is None
        score = 0.0 if in_warmup else 1.0 / (1.0 + math.exp(-(combined - Z_CENTER) / Z_WIDTH))
        return Point(score=round(score, 6), alert=self._alert(moment, score), expected=expected)

    def _transform(self, value: float) -> float:
        if self.kind == "count":
            return 2.0 * math.sqrt(max(value, 0.0) + 0.375)
        return value

    def _untransform(self, value: float) -> float:
        if self.kind == "count":
            return max(0.0, (value / 2.0) ** 2 - 0.375)
        return value

    def _scale(self, level: float) -> float:
        if len(self.absolute_residuals) >= 3:
            robust = 1.4826 * self.absolute_residuals.median()
            mean_based = 1.2533 * self.absolute_residuals.mean() * 0.5
            scale = max(robust, mean_based)
        else:
            scale = 0.0
        if self.kind == "count":
            return max(scale, 1.0)
        # Values: a flat series still gets a scale (1% of its level, or a tiny absolute floor).
        return max(scale, 0.01 * abs(level) * 0.1, 1e-9)

    def _value_z(self, moment: datetime.datetime, raw: float) -> tuple[float, float | None]:
        value = self._transform(raw)
        if len(self.level) == 0:
            self._learn(moment, value, level=value, seasonal=0.0, residual=0.0, scale=1.0)
            return 0.0, None
        level = self.level.median()
        seasonal = self._seasonal_offset(moment)
        predicted = level + seasonal
        scale = self._scale(level)
        residual = value - predicted
        z = residual / scale
        self._learn(moment, value, level=level, seasonal=seasonal, residual=residual, scale=scale)
        return z, self._untransform(predicted)

    def _daily_on(self, moment: datetime.datetime) -> bool:
        return self.daily_since is not None and moment - self.daily_since >= DAILY_AFTER

    def _weekly_on(self, moment: datetime.datetime) -> bool:
        return self.weekly_since is not None and moment - self.weekly_since >= WEEKLY_AFTER

    def _seasonal_offset(self, moment: datetime.datetime) -> float:
        offset = 0.0
        if self.daily is not None and self._daily_on(moment):
            offset += self.daily.offset(moment)
        if self.weekly is not None and self._weekly_on(moment):
            offset += self.weekly.offset(moment)
        return offset

    def _learn(
        self, moment: datetime.datetime, value: float, *, level: float, seasonal: float, residual: float, scale: float
    ) -> None:
        """Take the point into the windows (after it was scored, so its own score never saw it).

        The daily profile learns only once the level has a full window behind it, and the weekly
        one only once the daily profile is in use (it learns what the daily one leaves), so neither
        starts from a half-made level.
        """
        difference = value - level
        level_ready = len(self.level) >= self.level_points
        if self.daily is not None and level_ready:
            if self.daily_since is None:
                self.daily_since = moment
            daily_on = self._daily_on(moment)
            daily_offset = self.daily.offset(moment) if daily_on else 0.0
            self.daily.add(moment, difference)
            if self.weekly is not None and daily_on:
                if self.weekly_since is None:
                    self.weekly_since = moment
                self.weekly.add(moment, difference - daily_offset)
        elif self.daily is None and self.weekly is not None and level_ready:
            if self.weekly_since is None:
                self.weekly_since = moment
            self.weekly.add(moment, difference)
        self.absolute_residuals.add(min(abs(residual), WINSOR * scale))
        # Persistence: this many points in a row far on one side restart the level from them.
        self.recent.add(value)
        side = 1 if residual > 3 * scale else -1 if residual < -3 * scale else 0
        self.same_side = self.same_side + side if side and (self.same_side * side) >= 0 else side
        self.level.add(value)
        if abs(self.same_side) >= self.persist_points:
            kept = list(self.recent.order)
            self.level.clear()
            for item in kept:
                self.level.add(item)
            self.same_side = 0
            self.cusum = 0.0

    def _share_z(self, negatives: float, total: float | None) -> tuple[float, float | None]:
        if total is None:
            raise ValueError("a share needs its denominator (total)")
        negatives, total = max(negatives, 0.0), max(total, 0.0)
        negatives = min(negatives, total)
        if self.share_totals <= 0:
            z, expected = 0.0, None
        else:
            share = (self.share_negatives + 0.5) / (self.share_totals + 1.0)
            variance = total * share * (1.0 - share)
            scale_factor = 1.0
            if len(self.absolute_residuals) >= 3:
                scale_factor = max(1.0, 1.4826 * self.absolute_residuals.median())
            z = _binomial_z(negatives, total, share) / scale_factor if variance > 0 else 0.0
            expected = share
            self.absolute_residuals.add(min(abs(z * scale_factor), WINSOR * scale_factor))
            # Winsorize what enters the pool, so one bad hour does not become the baseline.
            negatives = min(negatives, total * share + WINSOR * scale_factor * math.sqrt(variance))
        if len(self.share_counts) == self.share_counts.maxlen:
            old_negatives, old_total = self.share_counts[0]
            self.share_negatives -= old_negatives
            self.share_totals -= old_total
        self.share_counts.append((negatives, total))
        self.share_negatives += negatives
        self.share_totals += total
        return z, expected

    # -- combining and alerting -------------------------------------------------------------

    def _combine(self, z: float, *, learning: bool) -> float:
        """The largest of the point's z, the last three points' together, and the CUSUM's.

        While the daily profile is still being learned, the day's own rhythm looks like a run of
        rises: only the point's own z counts then, damped.
        """
        signed = abs(z) if self.direction == "both" else z
        capped = max(-WINSOR, min(WINSOR, signed))
        self.burst.append(capped)
        burst = sum(self.burst) / math.sqrt(len(self.burst)) if len(self.burst) == self.burst.maxlen else 0.0
        self.cusum = max(0.0, self.cusum + capped - CUSUM_DRIFT)
        if learning:
            self.cusum = 0.0
            return signed * LEARNING_DAMPING
        ramp = Z_CENTER * self.cusum / CUSUM_LIMIT
        return max(signed, burst, ramp)

    def _alert(self, moment: datetime.datetime, score: float) -> bool:
        if not self.armed and score < self.threshold / 2:
            self.armed = True
        if score < self.threshold or not self.armed:
            return False
        if self.last_alert is not None and moment - self.last_alert < self.cooldown:
            return False
        self.last_alert = moment
        self.armed = False
        self.cusum = 0.0
        return True


_NORMAL = NormalDist()


def _binomial_z(successes: float, trials: float, probability: float) -> float:
    """The z-score of ``successes`` out of ``trials`` under a binomial(``probability``): the normal
    quantile of the mid-p upper tail, exact (small counts have heavy tails) up to 5,000 trials."""
    n, k = round(trials), round(successes)
    if n <= 0:
        return 0.0
    if n > 5000:
        return (successes - trials * probability) / math.sqrt(trials * probability * (1.0 - probability))
    log_p, log_q = math.log(probability), math.log1p(-probability)

    def log_pmf(i: int) -> float:
        return math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1) + i * log_p + (n - i) * log_q

    def tail_from(start: int, step: int) -> float:
        total, i = 0.0, start
        while 0 <= i <= n:
            term = math.exp(log_pmf(i))
            total += term
            if term < 1e-16 * max(total, 1e-300) and (i - n * probability) * step > 0:
                break
            i += step
        return total

    mean = n * probability
    if k >= mean:
        upper = tail_from(k + 1, 1) + 0.5 * math.exp(log_pmf(k))
    else:
        upper = 1.0 - tail_from(k - 1, -1) - 0.5 * math.exp(log_pmf(k))
    upper = min(max(upper, 1e-15), 1.0 - 1e-15)
    return _NORMAL.inv_cdf(1.0 - upper)


def score_series(
    timestamps: Sequence[datetime.datetime],
    values: Sequence[float],
    *,
    totals: Sequence[float] | None = None,
    kind: Kind = "count",
    sensitivity: float = DEFAULT_SENSITIVITY,
    cooldown: datetime.timedelta = DEFAULT_COOLDOWN,
    direction: Direction = "up",
    interval: datetime.timedelta | None = None,
) -> list[Point]:
    """Score every point of one series, online; return one :class:`Point` per input point.

    - ``timestamps``: in increasing order (aware or naive; naive are read as UTC); any interval,
      gaps allowed. ``interval`` defaults to the median gap (:func:`infer_interval`).
    - ``values``: counts (``kind="count"``, e.g. mentions per hour), plain numbers
      (``kind="value"``), or for ``kind="share"`` the numerator (negative mentions) with its
      denominator in ``totals`` (all mentions) — the share is ``values[i] / totals[i]``.
    - ``sensitivity`` in (0, 1): an alert is raised at a score of ``1 - sensitivity`` or more.
    - ``cooldown``: the least time between two alerts; an event also has to calm down (score
      below half the threshold) before it can alert again, so one event is one alert.
    - ``direction``: ``"up"`` scores only rises (crises); ``"both"`` also drops.
    """
    if len(timestamps) != len(values):
        raise ValueError("timestamps and values differ in length")
    if kind == "share" and (totals is None or len(totals) != len(values)):
        raise ValueError("a share series needs totals, one per value")
    moments = [moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC) for moment in timestamps]
    for earlier, later in itertools.pairwise(moments):
        if later < earlier:
            raise ValueError(f"timestamps must increase: {later.isoformat()} comes after {earlier.isoformat()}")
    detector = Detector(
        interval=interval or infer_interval(moments),
        kind=kind,
        sensitivity=sensitivity,
        cooldown=cooldown,
        direction=direction,
    )
    if kind == "share":
        assert totals is not None  # noqa: S101 - checked above
        return [
            detector.update(moment, float(value), float(total))
            for moment, value, total in zip(moments, values, totals, strict=True)
        ]
    return [detector.update(moment, float(value)) for moment, value in zip(moments, values, strict=True)]
