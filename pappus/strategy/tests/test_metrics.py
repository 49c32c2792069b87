"""The strategy's numbers on fixtures, with exact expected values."""

from __future__ import annotations

import datetime
import math
from collections.abc import Sequence

import pytest

from pappus.strategy import metrics
from pappus.strategy.metrics import BudgetContext, ForecastMethod, KpiPlan, Point, Status

JAN_1 = datetime.date(2026, 1, 1)


def day(offset: int) -> datetime.date:
    return JAN_1 + datetime.timedelta(days=offset)


# --- forecast ----------------------------------------------------------------------------------


def test_forecast_of_three_points_is_the_least_squares_line_with_a_95_percent_interval():
    points = [Point(day(0), 10), Point(day(7), 14), Point(day(14), 17)]

    forecast = metrics.forecast_at(points, day(59))

    # x̄ = 7, Sxx = 98, Sxy = 49: slope 0.5 a day, intercept 61/6; at day 59: 61/6 + 29.5 = 119/3.
    assert forecast.method == ForecastMethod.LINE_WITH_INTERVAL
    assert forecast.points == 3
    assert forecast.slope_per_day == pytest.approx(0.5, abs=1e-12)
    assert forecast.value == pytest.approx(119 / 3, abs=1e-12)
    # Residual sum of squares 1/6 over 1 degree of freedom; t(0.975, 1) = 12.706.
    half_width = 12.706 * math.sqrt(1 / 6) * math.sqrt(1 + 1 / 3 + (59 - 7) ** 2 / 98)
    assert half_width == pytest.approx(27.8979, abs=1e-4)
    assert forecast.low == pytest.approx(119 / 3 - half_width, abs=1e-12)
    assert forecast.high == pytest.approx(119 / 3 + half_width, abs=1e-12)


def test_points_on_a_straight_line_forecast_exactly_with_an_interval_of_zero_width():
    points = [Point(day(7 * week), 100 + 70 * week) for week in range(4)]  # +10 a day

    forecast = metrics.forecast_at(points, day(70))

    assert forecast.value == pytest.approx(800, abs=1e-9)
    assert forecast.low == pytest.approx(800, abs=1e-9)
    assert forecast.high == pytest.approx(800, abs=1e-9)
    assert forecast.slope_per_day == pytest.approx(10, abs=1e-12)


def test_two_points_give_a_line_through_both_and_no_interval():
    forecast = metrics.forecast_at([Point(day(10), 300), Point(day(0), 200)], day(30))

    assert forecast.method == ForecastMethod.LINE
    assert forecast.value == pytest.approx(500, abs=1e-12)
    assert (forecast.low, forecast.high) == (None, None)


def test_one_point_is_its_own_forecast_without_trend_and_none_gives_no_forecast():
    one = metrics.forecast_at([Point(day(3), 42)], day(30))
    none = metrics.forecast_at([], day(30))

    assert (one.method, one.value, one.low, one.high, one.slope_per_day) == (ForecastMethod.FLAT, 42, None, None, None)
    assert (none.method, none.value, none.points) == (ForecastMethod.NONE, None, 0)


def test_t_quantiles_come_from_the_table_and_stay_conservative_beyond_it():
    assert metrics.t_quantile_975(1) == 12.706
    assert metrics.t_quantile_975(10) == 2.228
    assert metrics.t_quantile_975(30) == 2.042
    assert metrics.t_quantile_975(35) == 2.042
    assert metrics.t_quantile_975(5000) == 1.960
    with pytest.raises(ValueError, match="at least 1"):
        metrics.t_quantile_975(0)


# --- effectiveness, efficiency, funnel ---------------------------------------------------------


def test_effectiveness_and_efficiency_are_plain_ratios_and_none_without_a_denominator():
    assert metrics.effectiveness(450, 1000) == 0.45
    assert metrics.efficiency(450, 900) == 0.5
    assert metrics.effectiveness(450, 0) is None
    assert metrics.efficiency(450, 0) is None
    assert metrics.efficiency(None, 10) is None


def test_funnel_conversion_between_stages_and_from_the_top():
    steps = metrics.funnel(
        [("reach", 200_000), ("engagement", 8_000), ("clicks", 1_200), ("leads", 96), ("customers", 12)]
    )

    assert [step.conversion for step in steps] == [None, 0.04, 0.15, 0.08, 0.125]
    assert [step.overall for step in steps] == [None, 0.04, 0.006, 0.00048, 0.00006]


def test_a_stage_without_a_value_breaks_the_conversions_on_both_sides():
    steps = metrics.funnel([("reach", 1000), ("engagement", None), ("clicks", 50)])

    assert [step.conversion for step in steps] == [None, None, None]
    assert steps[2].overall == 0.05


# --- plan versus actual ------------------------------------------------------------------------

PLAN = KpiPlan(baseline=1000, target=2000, starts_on=JAN_1, deadline=day(100))


@pytest.mark.parametrize(
    ("value", "status", "pace"),
    [
        (1450, Status.ON_TRACK, 0.9),  # the on-track threshold itself
        (1449, Status.AT_RISK, 0.898),
        (1350, Status.AT_RISK, 0.7),  # the at-risk threshold itself
        (1349, Status.OFF_TRACK, 0.698),
        (2000, Status.ACHIEVED, 2.0),
    ],
)
def test_status_from_the_pace_against_the_straight_line_plan(value, status, pace):
    evaluation = metrics.evaluate_kpi(PLAN, [Point(day(50), value)], as_of=day(52))

    assert evaluation.planned_to_date == 1500
    assert evaluation.status == status
    assert evaluation.pace == pytest.approx(pace, abs=1e-12)


def test_evaluation_holds_result_effectiveness_efficiency_and_forecast():
    points = [Point(day(0), 1000), Point(day(25), 1200), Point(day(50), 1400)]

    evaluation = metrics.evaluate_kpi(PLAN, points, as_of=day(52), cost=800)

    assert evaluation.actual == 1400
    assert evaluation.result == 400
    assert evaluation.effectiveness == 0.4
    assert evaluation.efficiency == 0.5  # 400 more per 800 spent
    assert evaluation.status == Status.AT_RISK  # pace 400 / 500 = 0.8
    assert evaluation.forecast.value == pytest.approx(1800, abs=1e-9)  # +8 a day to day 100
    assert evaluation.forecast_effectiveness == pytest.approx(0.8, abs=1e-12)


def test_a_lower_is_better_kpi_counts_going_down_as_progress():
    plan = KpiPlan(baseline=24, target=4, starts_on=JAN_1, deadline=day(40), lower_is_better=True)

    evaluation = metrics.evaluate_kpi(plan, [Point(day(20), 13)], as_of=day(20))

    assert evaluation.planned_to_date == 14
    assert evaluation.result == 11
    assert evaluation.pace == 1.1
    assert evaluation.effectiveness == 0.55
    assert evaluation.status == Status.ON_TRACK


def test_no_measurements_means_no_data_and_a_missed_deadline_is_off_track():
    assert metrics.evaluate_kpi(PLAN, [], as_of=day(10)).status == Status.NO_DATA
    assert metrics.evaluate_kpi(PLAN, [Point(day(99), 1990)], as_of=day(101)).status == Status.OFF_TRACK


# --- what the data suggests --------------------------------------------------------------------


def diagnosis_of(
    points: list[Point],
    *,
    as_of: datetime.date,
    budget: BudgetContext | None = None,
    funnel_steps: Sequence[metrics.FunnelStep] = (),
) -> metrics.Diagnosis:
    evaluation = metrics.evaluate_kpi(PLAN, points, as_of=as_of)
    found = metrics.diagnose(PLAN, evaluation, as_of=as_of, budget=budget, funnel_steps=funnel_steps)
    assert found is not None
    return found


def test_an_on_track_kpi_needs_no_diagnosis():
    evaluation = metrics.evaluate_kpi(PLAN, [Point(day(50), 1500)], as_of=day(50))
    assert metrics.diagnose(PLAN, evaluation, as_of=day(50)) is None


def test_no_data_and_stale_data_are_said_first():
    assert diagnosis_of([], as_of=day(10)).rule == "no_data"
    stale = diagnosis_of([Point(day(20), 1000)], as_of=day(50))
    assert stale.rule == "stale"
    assert stale.cause == "The latest value is from 2026-01-21, 30 days ago: the status may be out of date."


def test_a_trend_away_from_the_target_is_named_with_its_weekly_change():
    found = diagnosis_of([Point(day(36), 1300), Point(day(43), 1290), Point(day(50), 1280)], as_of=day(50))

    assert found.rule == "wrong_direction"
    assert found.cause == "The trend of the recorded values moves away from the target (-10.00 per week)."


def test_underspent_and_overspent_budgets():
    points = [Point(day(43), 1250), Point(day(50), 1300)]
    under = BudgetContext(planned=10_000, spent=1_000, starts_on=JAN_1, ends_on=day(100))
    over = BudgetContext(planned=10_000, spent=9_000, starts_on=JAN_1, ends_on=day(100))

    found_under = diagnosis_of(points, as_of=day(50), budget=under)
    found_over = diagnosis_of(points, as_of=day(50), budget=over)

    assert found_under.rule == "underspend"
    assert found_under.cause == (
        "Only 10% of the budget is spent with 50% of the campaign's time gone: paid delivery is likely behind plan."
    )
    assert found_over.rule == "overspend"
    assert found_over.cause == (
        "90% of the budget is spent but only 30% of the planned result is reached: "
        "results are costing more than planned."
    )


def test_the_weakest_funnel_step_is_pointed_at_with_a_correction_for_that_step():
    steps = metrics.funnel([("reach", 100_000), ("engagement", 5_000), ("clicks", 900), ("leads", 9)])

    found = diagnosis_of([Point(day(43), 1250), Point(day(50), 1300)], as_of=day(50), funnel_steps=steps)

    assert found.rule == "funnel"
    assert found.cause == "The largest drop in the funnel is from Clicks to Leads (1.0% go on)."
    assert found.correction == "Visitors arrive but few sign up: check the landing page, its speed and the form."


def test_without_a_pointer_in_the_data_the_diagnosis_says_so():
    found = diagnosis_of([Point(day(43), 1250), Point(day(50), 1300)], as_of=day(50))

    assert found.rule == "slow_pace"
    assert found.cause == "Progress is 60% of what was planned by now; the recorded data points at no single cause."


def test_weeks_start_on_monday():
    assert metrics.week_starting(datetime.date(2026, 1, 1)) == datetime.date(2025, 12, 29)
    assert metrics.week_starting(datetime.date(2025, 12, 29)) == datetime.date(2025, 12, 29)
