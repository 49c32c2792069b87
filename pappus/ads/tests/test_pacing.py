"""Pacing of flights: plan to date against actual, the end-of-flight forecast, statuses and their thresholds."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pappus.ads.pacing import Flight, PacingError, PacingThresholds, pace

START = datetime.date(2026, 11, 1)
TEN_DAYS = Flight(start=START, end=datetime.date(2026, 11, 10), budget=1000.0)


def test_spending_to_plan_is_on_pace_and_lands_on_budget():
    report = pace(TEN_DAYS, [100.0] * 5)
    assert report.status == "on_pace"
    assert report.as_of == datetime.date(2026, 11, 5)
    assert (report.days_elapsed, report.days_left) == (5, 5)
    assert report.planned_to_date == pytest.approx(500.0)
    assert report.actual_to_date == pytest.approx(500.0)
    assert report.pace == pytest.approx(1.0)
    assert report.forecast_spend == pytest.approx(1000.0)
    # Every day exactly on plan: no spread, so the interval is the point.
    assert report.forecast_spend_low == pytest.approx(1000.0)
    assert report.forecast_spend_high == pytest.approx(1000.0)
    assert report.daily_to_finish_on_budget == pytest.approx(100.0)


def test_spending_30_percent_above_plan_is_over_pacing_and_forecasts_the_overspend():
    report = pace(TEN_DAYS, [130.0] * 5)
    assert report.status == "over_pacing"
    assert report.forecast_spend == pytest.approx(1300.0)
    assert report.daily_to_finish_on_budget == pytest.approx(70.0)


def test_under_pacing_depends_on_the_threshold():
    assert pace(TEN_DAYS, [80.0] * 5).status == "under_pacing"
    assert pace(TEN_DAYS, [80.0] * 5, thresholds=PacingThresholds(under=0.25)).status == "on_pace"
    assert pace(TEN_DAYS, [105.0] * 5).status == "on_pace"
    assert pace(TEN_DAYS, [105.0] * 5, thresholds=PacingThresholds(over=0.03)).status == "over_pacing"


def test_the_forecast_basis_judges_the_recent_pace():
    # Behind to date (300 of 500) but spending at twice the plan lately: on track by the forecast.
    spend = [20.0, 20.0, 20.0, 120.0, 120.0]
    assert pace(TEN_DAYS, spend).status == "under_pacing"
    by_forecast = pace(TEN_DAYS, spend, recent_days=2, thresholds=PacingThresholds(basis="forecast", over=0.3))
    assert by_forecast.forecast_spend == pytest.approx(300.0 + 1.2 * 500.0)
    assert by_forecast.status == "on_pace"


def test_custom_weights_shape_the_plan():
    weekend_heavy = Flight(start=START, end=datetime.date(2026, 11, 4), budget=600.0, weights=[1, 1, 2, 2])
    assert weekend_heavy.planned_daily() == pytest.approx((100.0, 100.0, 200.0, 200.0))
    report = pace(weekend_heavy, [100.0, 100.0])
    assert report.planned_to_date == pytest.approx(200.0)
    assert report.status == "on_pace"
    assert report.forecast_spend == pytest.approx(600.0)
    assert report.daily_to_finish_on_budget == pytest.approx(200.0)


def test_before_the_first_day_the_plan_is_the_forecast():
    report = pace(TEN_DAYS, [])
    assert report.status == "not_started"
    assert report.as_of is None
    assert report.forecast_spend == pytest.approx(1000.0)
    assert report.planned_to_date == 0.0


def test_an_ended_flight_forecasts_what_was_spent():
    report = pace(TEN_DAYS, [90.0] * 10, results=[9.0] * 10)
    assert report.ended
    assert report.forecast_spend == report.forecast_spend_low == report.forecast_spend_high == pytest.approx(900.0)
    assert report.forecast_results == pytest.approx(90.0)
    assert report.status == "on_pace"  # 10 % under is within the default threshold


def test_results_are_forecast_from_the_recent_rate_with_an_interval():
    generator = np.random.default_rng(4)
    spend = (100.0 * np.exp(generator.normal(0, 0.2, 6))).tolist()
    results = [generator.poisson(0.05 * s) for s in spend]
    report = pace(TEN_DAYS, spend, results=[float(r) for r in results])
    assert report.results_to_date == pytest.approx(sum(results))
    rate = sum(results) / sum(spend)
    assert report.forecast_results == pytest.approx(sum(results) + rate * (report.forecast_spend - sum(spend)))
    assert report.forecast_results is not None
    assert report.forecast_results_low is not None
    assert report.forecast_results_high is not None
    assert report.forecast_results_low < report.forecast_results < report.forecast_results_high
    assert report.forecast_spend_low < report.forecast_spend < report.forecast_spend_high
    assert report.forecast_spend_low >= report.actual_to_date


def test_no_results_given_means_no_results_forecast():
    report = pace(TEN_DAYS, [100.0] * 3)
    assert report.forecast_results is None
    assert report.results_to_date is None


@pytest.mark.parametrize(
    ("flight", "spend", "results", "message"),
    [
        (TEN_DAYS, [1.0] * 11, None, "spend: expected at most one amount per day of the flight"),
        (TEN_DAYS, [-1.0], None, "spend: daily amounts must be finite"),
        (TEN_DAYS, [1.0, 2.0], [1.0], "results: expected 2 daily values"),
        (Flight(START, datetime.date(2026, 10, 1), 10.0), [], None, "end: 2026-10-01 is before start"),
        (Flight(START, START, 10.0, weights=[1.0, 1.0]), [], None, r"weights: expected one weight per day"),
        (Flight(START, START, 10.0, weights=[0.0]), [], None, "weights: must be zero or more"),
        (Flight(START, START, -5.0), [], None, "budget"),
    ],
)
def test_bad_input_names_the_field(flight, spend, results, message):
    with pytest.raises(PacingError, match=message):
        pace(flight, spend, results=results)


def test_thresholds_must_make_sense():
    with pytest.raises(PacingError, match="thresholds"):
        PacingThresholds(under=1.5)
    with pytest.raises(PacingError, match="thresholds"):
        PacingThresholds(over=0.0)


@settings(max_examples=200)
@given(
    st.integers(1, 60),
    st.floats(0.0, 1e6),
    st.lists(st.floats(0.0, 1e4), max_size=60),
    st.one_of(st.none(), st.lists(st.floats(0.0, 10.0), min_size=60, max_size=60)),
)
def test_plan_sums_to_the_budget_and_the_forecast_interval_is_ordered(days, budget, spend, weights):
    end = START + datetime.timedelta(days=days - 1)
    if weights is not None:
        weights = weights[:days]
        if sum(weights) <= 0:
            weights = None
    flight = Flight(start=START, end=end, budget=budget, weights=weights)
    assert sum(flight.planned_daily()) == pytest.approx(budget, rel=1e-9, abs=1e-6)
    report = pace(flight, spend[:days])
    assert report.actual_to_date <= report.forecast_spend_low + 1e-6
    assert report.forecast_spend_low <= report.forecast_spend + 1e-6
    assert report.forecast_spend <= report.forecast_spend_high + 1e-6
    assert report.status in {"not_started", "on_pace", "over_pacing", "under_pacing"}
