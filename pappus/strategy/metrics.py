"""The numbers of the strategy, as pure functions (no database): forecasts, effectiveness and
efficiency, funnels, plan versus actual, and the rule-based diagnosis of an off-track KPI.

Definitions (docs/strategy.md has them with examples):

- **result** of a KPI = (actual - baseline), sign-flipped for a lower-is-better KPI, so that a
  positive result is always progress. The **planned result** is (target - baseline), flipped alike.
- **effectiveness** = result / planned result (1.0 = the plan exactly).
- **efficiency** = result / cost (result per unit of money spent); none without spend.
- **plan to date**: the plan runs in a straight line from the baseline on ``starts_on`` to the
  target on ``deadline``; **pace** = result so far / planned result by the date of the latest value.
- **status**: ``achieved`` once the planned result is reached; after the deadline without it,
  ``off_track``; otherwise ``on_track`` at pace ≥ 90 %, ``at_risk`` at 70-90 %, ``off_track`` below
  70 %; ``no_data`` without measurements.
- **forecast** at a date: least squares line through the dated measurements, with a 95 %
  prediction interval (Student's t, n - 2 degrees of freedom) from three points on. With two
  points the line goes through both and there is no interval; with one point the forecast is that
  value (no trend yet, no interval); with none there is no forecast.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

ON_TRACK_PACE = 0.9
AT_RISK_PACE = 0.7
# A latest value older than this many days makes the status doubtful.
STALE_AFTER_DAYS = 14
# Spend this far (share of the budget) ahead of or behind the share of time elapsed is worth a word.
BUDGET_PACE_TOLERANCE = 0.2

FUNNEL_STAGES = ("reach", "engagement", "clicks", "leads", "customers")

# The metrics a KPI can track; analytics will supply their values under these keys.
METRIC_KEYS = {
    "reach": gettext_lazy("Reach"),
    "impressions": gettext_lazy("Impressions"),
    "engagement": gettext_lazy("Engagements"),
    "engagement_rate": gettext_lazy("Engagement rate"),
    "clicks": gettext_lazy("Clicks"),
    "leads": gettext_lazy("Leads"),
    "customers": gettext_lazy("Customers"),
    "followers": gettext_lazy("Followers"),
    "mentions": gettext_lazy("Mentions"),
    "share_of_voice": gettext_lazy("Share of voice"),
    "sentiment": gettext_lazy("Net sentiment"),
    "revenue": gettext_lazy("Revenue"),
    "cost_per_lead": gettext_lazy("Cost per lead"),
    "response_time": gettext_lazy("Response time"),
}

# Student's t, two-sided 95 % (the 0.975 quantile) for 1-30 degrees of freedom.
_T_975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)  # fmt: skip


def t_quantile_975(degrees_of_freedom: int) -> float:
    """The 0.975 quantile of Student's t; beyond 30 the next smaller tabulated df (conservative)."""
    if degrees_of_freedom < 1:
        raise ValueError("degrees of freedom must be at least 1")
    if degrees_of_freedom <= 30:
        return _T_975[degrees_of_freedom - 1]
    for limit, value in ((40, 2.042), (60, 2.021), (120, 2.000)):
        if degrees_of_freedom < limit:
            return value
    return 1.980 if degrees_of_freedom < 1000 else 1.960


@dataclass(frozen=True)
class Point:
    """One measured value on one date."""

    on: datetime.date
    value: float


class ForecastMethod(StrEnum):
    NONE = "none"  # no measurements
    FLAT = "flat"  # one measurement: no trend yet
    LINE = "line"  # two measurements: a line, no interval
    LINE_WITH_INTERVAL = "line_with_interval"  # three or more


@dataclass(frozen=True)
class Forecast:
    """The value expected on ``on``; ``low``/``high`` bound a 95 % prediction interval when known."""

    on: datetime.date
    value: float | None
    low: float | None
    high: float | None
    slope_per_day: float | None
    points: int
    method: ForecastMethod


def forecast_at(points: Sequence[Point], on: datetime.date) -> Forecast:
    """Least squares line through ``points`` (x = days), read at ``on`` (see the module docstring)."""
    ordered = sorted(points, key=lambda point: point.on)
    count = len(ordered)
    if count == 0:
        return Forecast(on, None, None, None, None, 0, ForecastMethod.NONE)
    if count == 1:
        return Forecast(on, ordered[0].value, None, None, None, 1, ForecastMethod.FLAT)
    origin = ordered[0].on
    xs = [float((point.on - origin).days) for point in ordered]
    ys = [point.value for point in ordered]
    x_mean = sum(xs) / count
    y_mean = sum(ys) / count
    sxx = sum((x - x_mean) ** 2 for x in xs)
    if sxx == 0:  # all on one date: no time axis to fit
        return Forecast(on, y_mean, None, None, None, count, ForecastMethod.FLAT)
    slope = sum((x - x_mean) * (y - y_mean) for x, y in zip(xs, ys, strict=True)) / sxx
    intercept = y_mean - slope * x_mean
    x0 = float((on - origin).days)
    value = intercept + slope * x0
    if count == 2:
        return Forecast(on, value, None, None, slope, 2, ForecastMethod.LINE)
    residuals = sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, ys, strict=True))
    standard_error = math.sqrt(residuals / (count - 2))
    half_width = t_quantile_975(count - 2) * standard_error * math.sqrt(1 + 1 / count + (x0 - x_mean) ** 2 / sxx)
    return Forecast(on, value, value - half_width, value + half_width, slope, count, ForecastMethod.LINE_WITH_INTERVAL)


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``, or None when either is missing or the denominator is zero."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def effectiveness(result: float | None, plan: float | None) -> float | None:
    """Result / plan: 1.0 means exactly as planned; None without a plan."""
    return ratio(result, plan)


def efficiency(result: float | None, cost: float | None) -> float | None:
    """Result / cost: what each unit of money bought; None when nothing was spent."""
    return ratio(result, cost)


# --- funnels -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunnelStep:
    """A funnel stage's count, its conversion from the stage before and from the first stage."""

    stage: str
    value: float | None
    conversion: float | None  # value / previous stage's value
    overall: float | None  # value / first stage's value


def funnel(counts: Sequence[tuple[str, float | None]]) -> list[FunnelStep]:
    """Conversion between consecutive stages (reach → engagement → clicks → leads → customers).

    A stage without a value has no conversion, and neither has the stage after it.
    """
    steps = []
    first = counts[0][1] if counts else None
    previous: float | None = None
    for index, (stage, value) in enumerate(counts):
        conversion = ratio(value, previous) if index > 0 else None
        steps.append(FunnelStep(stage, value, conversion, ratio(value, first) if index > 0 else None))
        previous = value
    return steps


# --- plan versus actual ------------------------------------------------------------------------


class Status(StrEnum):
    NO_DATA = "no_data"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    OFF_TRACK = "off_track"
    ACHIEVED = "achieved"


STATUS_LABELS = {
    Status.NO_DATA: gettext_lazy("No data"),
    Status.ON_TRACK: gettext_lazy("On track"),
    Status.AT_RISK: gettext_lazy("At risk"),
    Status.OFF_TRACK: gettext_lazy("Off track"),
    Status.ACHIEVED: gettext_lazy("Achieved"),
}


@dataclass(frozen=True)
class KpiPlan:
    """What a KPI should reach: from ``baseline`` on ``starts_on`` to ``target`` by ``deadline``."""

    baseline: float
    target: float
    starts_on: datetime.date
    deadline: datetime.date
    lower_is_better: bool = False

    @property
    def sign(self) -> int:
        return -1 if self.lower_is_better else 1

    @property
    def planned_result(self) -> float:
        return (self.target - self.baseline) * self.sign

    def result(self, value: float) -> float:
        return (value - self.baseline) * self.sign

    def elapsed_share(self, on: datetime.date) -> float:
        """How much of the KPI's time has passed on ``on``, 0-1."""
        total = (self.deadline - self.starts_on).days
        if total <= 0:
            return 1.0
        return min(max((on - self.starts_on).days / total, 0.0), 1.0)

    def planned_value(self, on: datetime.date) -> float:
        """The value the plan expects on ``on`` (a straight line from baseline to target)."""
        return self.baseline + (self.target - self.baseline) * self.elapsed_share(on)


@dataclass(frozen=True)
class KpiEvaluation:
    """Plan versus actual for one KPI on one day."""

    status: Status
    actual: float | None
    actual_on: datetime.date | None
    planned_to_date: float | None
    pace: float | None
    result: float | None
    effectiveness: float | None
    efficiency: float | None
    forecast: Forecast
    forecast_effectiveness: float | None


def evaluate_kpi(
    plan: KpiPlan, points: Sequence[Point], *, as_of: datetime.date, cost: float | None = None
) -> KpiEvaluation:
    """Status, pace, effectiveness, efficiency (when ``cost`` is given) and the deadline forecast."""
    forecast = forecast_at(points, plan.deadline)
    forecast_effectiveness = (
        effectiveness(plan.result(forecast.value), plan.planned_result) if forecast.value is not None else None
    )
    if not points:
        return KpiEvaluation(Status.NO_DATA, None, None, None, None, None, None, None, forecast, None)
    latest = max(points, key=lambda point: point.on)
    result = plan.result(latest.value)
    planned_to_date = plan.planned_value(latest.on)
    planned_result_to_date = plan.result(planned_to_date)
    pace = ratio(result, planned_result_to_date)
    if plan.planned_result > 0 and result >= plan.planned_result:
        status = Status.ACHIEVED
    elif as_of > plan.deadline:
        status = Status.OFF_TRACK
    elif pace is None:  # nothing was planned by that date yet: only a step backwards is a worry
        status = Status.ON_TRACK if result >= 0 else Status.AT_RISK
    elif pace >= ON_TRACK_PACE:
        status = Status.ON_TRACK
    elif pace >= AT_RISK_PACE:
        status = Status.AT_RISK
    else:
        status = Status.OFF_TRACK
    return KpiEvaluation(
        status=status,
        actual=latest.value,
        actual_on=latest.on,
        planned_to_date=planned_to_date,
        pace=pace,
        result=result,
        effectiveness=effectiveness(result, plan.planned_result),
        efficiency=efficiency(result, cost) if cost else None,
        forecast=forecast,
        forecast_effectiveness=forecast_effectiveness,
    )


# --- what the data suggests --------------------------------------------------------------------


@dataclass(frozen=True)
class BudgetContext:
    """A campaign's money and dates, to compare spend with the time elapsed."""

    planned: float
    spent: float
    starts_on: datetime.date
    ends_on: datetime.date

    def spent_share(self) -> float | None:
        return ratio(self.spent, self.planned)

    def elapsed_share(self, on: datetime.date) -> float:
        total = (self.ends_on - self.starts_on).days
        if total <= 0:
            return 1.0
        return min(max((on - self.starts_on).days / total, 0.0), 1.0)


@dataclass(frozen=True)
class Diagnosis:
    """The likely cause of a KPI off its plan and a correction to consider; ``rule`` names the rule."""

    rule: str
    cause: str
    correction: str


_STAGE_CORRECTIONS = {
    "engagement": gettext_lazy(
        "Content reaches people but few react: test formats and topics closer to what the audience wants."
    ),
    "clicks": gettext_lazy("People react but few click: make the call to action clearer and the link easier to find."),
    "leads": gettext_lazy("Visitors arrive but few sign up: check the landing page, its speed and the form."),
    "customers": gettext_lazy("Leads do not become customers: check the hand-over to sales and the offer."),
}


def _percent(value: float) -> str:
    return f"{value * 100:.0f}"


def diagnose(
    plan: KpiPlan,
    evaluation: KpiEvaluation,
    *,
    as_of: datetime.date,
    budget: BudgetContext | None = None,
    funnel_steps: Sequence[FunnelStep] = (),
) -> Diagnosis | None:
    """The first rule that fits an at-risk or off-track KPI (None when it is on track).

    Rules, in order: no data; the latest value is stale; the deadline has passed; the trend runs
    away from the target; budget underspent; budget overspent; the weakest funnel step; otherwise
    slow progress with no single cause. These are suggestions from the recorded numbers, not
    certainties, and the wording says so.
    """
    if evaluation.status in {Status.ON_TRACK, Status.ACHIEVED}:
        return None
    if evaluation.status == Status.NO_DATA or evaluation.actual_on is None:
        return Diagnosis(
            "no_data",
            _("No value has been recorded yet, so progress cannot be judged."),
            _("Record the current value (on the campaign page or through the API) so the KPI can be tracked."),
        )
    age = (as_of - evaluation.actual_on).days
    if age > STALE_AFTER_DAYS:
        return Diagnosis(
            "stale",
            _("The latest value is from %(date)s, %(days)d days ago: the status may be out of date.")
            % {"date": evaluation.actual_on.isoformat(), "days": age},
            _("Record this week's value before deciding on changes."),
        )
    if as_of > plan.deadline:
        return Diagnosis(
            "deadline_passed",
            _("The deadline has passed with %(share)s%% of the planned result reached.")
            % {"share": _percent(evaluation.effectiveness or 0.0)},
            _(
                "Record the KPI as missed and the lesson in the weekly review; if the goal still matters, "
                "set a new deadline in a program revision with its reason."
            ),
        )
    slope = evaluation.forecast.slope_per_day
    if slope is not None and slope * plan.sign <= 0:
        return Diagnosis(
            "wrong_direction",
            _("The trend of the recorded values moves away from the target (%(change)+.2f per week).")
            % {"change": slope * 7},
            _(
                "Look at what changed in the weeks of the decline (content, targeting, a network's reach) "
                "and reverse it; the forecast will not reach the target on this trend."
            ),
        )
    if budget is not None and budget.planned > 0:
        spent_share = budget.spent_share() or 0.0
        elapsed = budget.elapsed_share(as_of)
        if elapsed >= BUDGET_PACE_TOLERANCE and spent_share < elapsed - BUDGET_PACE_TOLERANCE:
            return Diagnosis(
                "underspend",
                _(
                    "Only %(spent)s%% of the budget is spent with %(elapsed)s%% of the campaign's time gone: "
                    "paid delivery is likely behind plan."
                )
                % {"spent": _percent(spent_share), "elapsed": _percent(elapsed)},
                _("Check that ads are approved and running, and pace spend to the plan."),
            )
        if spent_share > elapsed + BUDGET_PACE_TOLERANCE:
            return Diagnosis(
                "overspend",
                _(
                    "%(spent)s%% of the budget is spent but only %(result)s%% of the planned result is reached: "
                    "results are costing more than planned."
                )
                % {"spent": _percent(spent_share), "result": _percent(evaluation.effectiveness or 0.0)},
                _(
                    "Move budget to the networks and formats with the lowest cost per result, "
                    "or lower the target in a revision with its reason."
                ),
            )
    measured = [step for step in funnel_steps if step.conversion is not None]
    if measured:
        weakest = min(measured, key=lambda step: step.conversion or 0.0)
        index = [step.stage for step in funnel_steps].index(weakest.stage)
        previous = funnel_steps[index - 1].stage
        return Diagnosis(
            "funnel",
            _("The largest drop in the funnel is from %(from)s to %(to)s (%(share)s%% go on).")
            % {
                "from": METRIC_KEYS.get(previous, previous),
                "to": METRIC_KEYS.get(weakest.stage, weakest.stage),
                "share": f"{(weakest.conversion or 0.0) * 100:.1f}",
            },
            str(_STAGE_CORRECTIONS.get(weakest.stage, _("Work on the weakest step of the funnel first."))),
        )
    return Diagnosis(
        "slow_pace",
        _("Progress is %(pace)s%% of what was planned by now; the recorded data points at no single cause.")
        % {"pace": _percent(evaluation.pace or 0.0)},
        _("Discuss it in the weekly review: adjust the content mix or frequency, or revise the target with a reason."),
    )


def week_starting(day: datetime.date) -> datetime.date:
    """The Monday of ``day``'s week."""
    return day - datetime.timedelta(days=day.weekday())
