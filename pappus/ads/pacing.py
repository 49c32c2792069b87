"""Pacing of a flight: planned spend to date against actual, an end-of-flight forecast with an interval, a status.

Pure Python, numpy and scipy; no Django. Plain dataclasses in, dataclasses out.

The plan spreads the flight's budget over its days, evenly or by custom weights (one per day). The
forecast assumes the recent pace carries on: over the last ``recent_days`` days, the ratio of actual to
planned spend (a ratio estimator, sum of actual / sum of planned) is applied to the plan of the days
left. Its interval (Student's t, the window's days - 1 degrees of freedom) adds the uncertainty of
that level (the day-to-day spread of the daily ratio over the window, divided by the window's length)
to the day-to-day spread itself over the days left. Results (conversions, revenue, clicks) are
forecast the same way, from the recent results per unit of spend times the forecast spend, the rate's
standard error and the days' scatter added.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats

PacingStatus = Literal["not_started", "on_pace", "over_pacing", "under_pacing"]
PacingBasis = Literal["to_date", "forecast"]
NOTHING = 1e-9  # a planned amount below this (a billionth of a currency unit) is no plan at all


class PacingError(ValueError):
    """Input that cannot be paced; the message names the field."""


@dataclass(frozen=True)
class Flight:
    """A flight from ``start`` to ``end`` (both included) with a budget spread by ``weights`` (even when None)."""

    start: datetime.date
    end: datetime.date
    budget: float
    weights: Sequence[float] | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def planned_daily(self) -> tuple[float, ...]:
        """The planned spend of every day of the flight (sums to the budget)."""
        if self.end < self.start:
            raise PacingError(f"end: {self.end} is before start {self.start}")
        if not (math.isfinite(self.budget) and self.budget >= 0):
            raise PacingError(f"budget: must be a finite amount of zero or more, got {self.budget}")
        if self.weights is None:
            return tuple(self.budget / self.days for _ in range(self.days))
        weights = np.asarray(self.weights, dtype=np.float64)
        if weights.ndim != 1 or len(weights) != self.days:
            raise PacingError(f"weights: expected one weight per day of the flight ({self.days}), got {weights.size}")
        if not np.all(np.isfinite(weights)) or np.any(weights < 0) or float(weights.sum()) <= 0:
            raise PacingError("weights: must be zero or more, finite, and not all zero")
        return tuple((self.budget * weights / weights.sum()).tolist())


@dataclass(frozen=True)
class PacingThresholds:
    """How far from the plan counts as over- or under-pacing, as a share of the plan."""

    over: float = 0.10  # actual above plan by more than 10 % → over_pacing
    under: float = 0.10  # actual below plan by more than 10 % → under_pacing
    basis: PacingBasis = "to_date"  # compare spend to date with plan to date, or forecast with budget

    def __post_init__(self) -> None:
        if not self.over > 0 or not 0 < self.under < 1:
            raise PacingError(f"thresholds: need over > 0 and 0 < under < 1, got {self.over} and {self.under}")
        if self.basis not in ("to_date", "forecast"):
            raise PacingError(f"thresholds: basis must be to_date or forecast, got {self.basis!r}")


@dataclass(frozen=True)
class PacingReport:
    status: PacingStatus
    as_of: datetime.date | None  # the last day with actual spend (None before the first)
    days_elapsed: int
    days_left: int
    planned_daily: tuple[float, ...]  # the whole flight's plan, for a chart
    planned_to_date: float
    actual_to_date: float
    pace: float  # actual_to_date / planned_to_date (nan when nothing was planned yet)
    forecast_spend: float  # end of flight
    forecast_spend_low: float
    forecast_spend_high: float
    results_to_date: float | None
    forecast_results: float | None
    forecast_results_low: float | None
    forecast_results_high: float | None
    daily_to_finish_on_budget: float  # tomorrow's spend that, kept on plan's shape, ends the flight on budget
    interval: float

    @property
    def ended(self) -> bool:
        return self.days_left == 0


def pace(
    flight: Flight,
    spend: Sequence[float],
    *,
    results: Sequence[float] | None = None,
    thresholds: PacingThresholds | None = None,
    recent_days: int = 7,
    interval: float = 0.9,
) -> PacingReport:
    """Pace ``flight`` given the actual daily ``spend`` from its first day on (and, optionally, daily results)."""
    thresholds = thresholds or PacingThresholds()
    planned = np.asarray(flight.planned_daily(), dtype=np.float64)
    actual = np.asarray(spend, dtype=np.float64)
    if actual.ndim != 1 or len(actual) > flight.days:
        raise PacingError(
            f"spend: expected at most one amount per day of the flight ({flight.days}), got {actual.size}"
        )
    if not np.all(np.isfinite(actual)) or np.any(actual < 0):
        raise PacingError("spend: daily amounts must be finite and zero or more")
    result_values = None
    if results is not None:
        result_values = np.asarray(results, dtype=np.float64)
        if result_values.shape != actual.shape:
            raise PacingError(f"results: expected {len(actual)} daily values like spend, got {result_values.size}")
        if not np.all(np.isfinite(result_values)) or np.any(result_values < 0):
            raise PacingError("results: daily values must be finite and zero or more")
    if recent_days < 1:
        raise PacingError(f"recent_days: must be at least 1, got {recent_days}")
    if not 0 < interval < 1:
        raise PacingError(f"interval: must be between 0 and 1, got {interval}")

    elapsed = len(actual)
    left = flight.days - elapsed
    planned_to_date = float(planned[:elapsed].sum())
    actual_to_date = float(actual.sum())
    window = slice(max(0, elapsed - recent_days), elapsed)
    # Student's t: the spread is estimated from the window's few days, so a normal quantile would be too narrow.
    z = float(stats.t.ppf(0.5 + interval / 2, df=max(len(actual[window]) - 1, 1)))
    spend_forecast = _forecast_spend(planned, actual, window)
    forecast_rest, rest_sd = spend_forecast.rest, math.sqrt(spend_forecast.variance)
    forecast_spend = actual_to_date + forecast_rest

    results_to_date = forecast_results = results_low = results_high = None
    if result_values is not None:
        results_to_date = float(result_values.sum())
        rest_results, sd = _forecast_results(planned[elapsed:], actual[window], result_values[window], spend_forecast)
        forecast_results = results_to_date + rest_results
        results_low = results_to_date + max(0.0, rest_results - z * sd)
        results_high = results_to_date + rest_results + z * sd

    remaining_plan = planned[elapsed:]
    remaining_budget = max(0.0, flight.budget - actual_to_date)
    if left and float(remaining_plan.sum()) > 0:
        daily_to_finish = remaining_budget * float(remaining_plan[0]) / float(remaining_plan.sum())
    else:
        daily_to_finish = remaining_budget / left if left else 0.0

    if thresholds.basis == "to_date":
        status = _status(elapsed, actual_to_date, planned_to_date, thresholds)
    else:
        status = _status(elapsed, forecast_spend, flight.budget, thresholds)
    return PacingReport(
        status=status,
        as_of=flight.start + datetime.timedelta(days=elapsed - 1) if elapsed else None,
        days_elapsed=elapsed,
        days_left=left,
        planned_daily=tuple(planned.tolist()),
        planned_to_date=planned_to_date,
        actual_to_date=actual_to_date,
        pace=actual_to_date / planned_to_date if planned_to_date > NOTHING else math.nan,
        forecast_spend=forecast_spend,
        forecast_spend_low=actual_to_date + max(0.0, forecast_rest - z * rest_sd),
        forecast_spend_high=forecast_spend + z * rest_sd,
        results_to_date=results_to_date,
        forecast_results=forecast_results,
        forecast_results_low=results_low,
        forecast_results_high=results_high,
        daily_to_finish_on_budget=daily_to_finish,
        interval=interval,
    )


@dataclass(frozen=True)
class _SpendForecast:
    level: float  # recent actual / planned
    rest: float  # forecast spend of the days left
    variance: float  # of ``rest``


def _forecast_spend(planned: np.ndarray, actual: np.ndarray, window: slice) -> _SpendForecast:
    elapsed = len(actual)
    remaining_plan = planned[elapsed:]
    recent_actual, recent_planned = actual[window], planned[window]
    if elapsed == 0:
        level, level_sd = 1.0, 0.0  # nothing spent yet: the plan is the forecast
    elif float(recent_planned.sum()) > NOTHING:
        level = float(recent_actual.sum() / recent_planned.sum())
        daily = recent_actual[recent_planned > NOTHING] / recent_planned[recent_planned > NOTHING]
        # One day says nothing about the spread; assume days vary by half the level until there are two.
        level_sd = float(daily.std(ddof=1)) if len(daily) > 1 else 0.5 * max(level, 1.0)
    elif float(planned[:elapsed].sum()) > NOTHING:
        level, level_sd = float(actual.sum() / planned[:elapsed].sum()), 0.5
    else:
        level, level_sd = 1.0, 0.5
    count = max(len(recent_actual), 1)
    rest = float(remaining_plan.sum())
    variance = level_sd**2 / count * rest**2 + level_sd**2 * float((remaining_plan**2).sum())
    return _SpendForecast(level=level, rest=level * rest, variance=variance)


def _forecast_results(
    remaining_plan: np.ndarray, recent_spend: np.ndarray, recent_results: np.ndarray, spend: _SpendForecast
) -> tuple[float, float]:
    """Results of the days left and their standard deviation, from the recent results per unit of spend."""
    total_spend = float(recent_spend.sum())
    if total_spend <= 0:  # no recent spend to learn a rate from: no more results expected
        return 0.0, 0.0
    rate = float(recent_results.sum()) / total_spend
    mean_spend = total_spend / len(recent_spend)
    residual = recent_results - rate * recent_spend
    scatter = float((residual**2).sum() / max(len(residual) - 1, 1))  # per-day variance of results
    rate_variance = scatter / (len(residual) * mean_spend**2)
    daily_rest = spend.level * remaining_plan
    variance = (
        rate**2 * spend.variance
        + spend.rest**2 * rate_variance
        + scatter * float(((daily_rest / mean_spend) ** 2).sum())
    )
    return rate * spend.rest, math.sqrt(variance)


def _status(elapsed: int, observed: float, expected: float, thresholds: PacingThresholds) -> PacingStatus:
    if elapsed == 0:
        return "not_started"
    if expected <= NOTHING:
        return "over_pacing" if observed > NOTHING else "on_pace"
    if observed > expected * (1 + thresholds.over):
        return "over_pacing"
    if observed < expected * (1 - thresholds.under):
        return "under_pacing"
    return "on_pace"
