"""The detector's contract: online, scores in [0, 1], spikes alert at once, quiet weeks stay quiet."""

from __future__ import annotations

import datetime

import pytest

from pappus.crisis.detector import Detector, _binomial_z, infer_interval, score_series
from pappus.crisis.synthetic import HOUR, START, generate


def _alerts(points: list) -> list[int]:  # type: ignore[type-arg]
    return [index for index, point in enumerate(points) if point.alert]


def test_appending_future_points_never_changes_past_scores() -> None:
    scenario = generate("online", seed=3, level=30.0, weeks=3, events=(("spike", 15, 5.0, 6.0),))
    whole = score_series(scenario.timestamps, scenario.values)
    for cut in (30, 200, 361, 444):
        prefix = score_series(scenario.timestamps[:cut], scenario.values[:cut], interval=HOUR)
        assert prefix == whole[:cut]


def test_share_scores_are_online_too() -> None:
    scenario = generate("share", seed=4, level=30.0, weeks=2, events=(("share", 10, 0.5, 6.0),))
    assert scenario.totals is not None
    whole = score_series(scenario.timestamps, scenario.values, totals=scenario.totals, kind="share")
    prefix = score_series(
        scenario.timestamps[:250], scenario.values[:250], totals=scenario.totals[:250], kind="share", interval=HOUR
    )
    assert prefix == whole[:250]


@pytest.mark.parametrize("kind", ["count", "value"])
def test_scores_are_between_zero_and_one(kind: str) -> None:
    scenario = generate("range", seed=5, level=300.0, weeks=3, events=(("spike", 10, 10.0, 3.0),))
    values = [value * -2.5 + 7 for value in scenario.values] if kind == "value" else scenario.values
    points = score_series(scenario.timestamps, values, kind=kind, direction="both")  # type: ignore[arg-type]
    assert all(0.0 <= point.score <= 1.0 for point in points)
    assert max(point.score for point in points) > 0.99


def test_a_clear_spike_alerts_within_two_points() -> None:
    scenario = generate("spike", seed=11, level=30.0, weeks=3, events=(("spike", 16.5, 5.0, 6.0),))
    points = score_series(scenario.timestamps, scenario.values)
    start = scenario.timestamps.index(scenario.events[0].start)
    alerts = _alerts(points)
    assert alerts, "no alert at all"
    after = [index for index in alerts if index >= start]
    assert after[0] - start <= 2
    # One event, one alert: nothing more in the day after it began.
    assert [index for index in alerts if start <= index < start + 24] == [after[0]]


QUIET = ((3.0, 21), (30.0, 22), (300.0, 23))


def test_seasonal_series_stay_quiet_for_weeks_at_a_low_sensitivity() -> None:
    # Three quiet series (3, 30, 300 mentions an hour, daily and weekly rhythm), four weeks each
    # after the first two (which teach the weekly rhythm): not one alert at sensitivity 0.3.
    alerts = []
    for level, seed in QUIET:
        scenario = generate("quiet", seed=seed, level=level, weeks=6)
        points = score_series(scenario.timestamps, scenario.values, sensitivity=0.3)
        alerts += [index for index in _alerts(points) if index >= 14 * 24]
    assert alerts == []


def test_seasonal_series_at_the_default_sensitivity_alert_at_most_once_in_twelve_weeks() -> None:
    # The bench measures about 0.1 false alarms a week at the default; these twelve weeks have one.
    alerts = []
    for level, seed in QUIET:
        scenario = generate("quiet", seed=seed, level=level, weeks=6)
        points = score_series(scenario.timestamps, scenario.values)
        alerts += [(level, index) for index in _alerts(points) if index >= 14 * 24]
    assert alerts == [(30.0, 495)]


def test_cooldown_gives_one_alert_per_event() -> None:
    timestamps = [START + index * HOUR for index in range(24 * 10)]
    values = [20.0] * len(timestamps)
    for index in range(24 * 6, 24 * 6 + 10):
        values[index] = 200.0  # ten hours of a crisis
    points = score_series(timestamps, values, cooldown=datetime.timedelta(hours=2))
    assert _alerts(points) == [24 * 6]


def test_sensitivity_moves_the_alert_threshold() -> None:
    timestamps = [START + index * HOUR for index in range(24 * 6)]
    values = [20.0 + (index % 3) for index in range(len(timestamps))]
    values[24 * 5] = 45.0
    calm = score_series(timestamps, values, sensitivity=0.1)
    eager = score_series(timestamps, values, sensitivity=0.9)
    assert calm[24 * 5].score == eager[24 * 5].score
    assert not calm[24 * 5].alert
    assert eager[24 * 5].alert


def test_warm_up_scores_zero() -> None:
    timestamps = [START + index * HOUR for index in range(30)]
    values = [0.0] * 10 + [500.0] * 20
    points = score_series(timestamps, values)
    assert [point.score for point in points[:24]] == [0.0] * 24


def test_irregular_sampling_and_gaps_infer_the_interval() -> None:
    moments = [START + datetime.timedelta(minutes=15 * index) for index in range(100) if index % 7 != 3]
    assert infer_interval(moments) == datetime.timedelta(minutes=15)


def test_binomial_z_is_symmetric_around_the_mean() -> None:
    assert _binomial_z(50, 100, 0.5) == pytest.approx(0.0, abs=1e-9)
    assert _binomial_z(70, 100, 0.5) == pytest.approx(-_binomial_z(30, 100, 0.5), rel=1e-6)
    assert _binomial_z(70, 100, 0.5) > 3.5


def test_invalid_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="sensitivity"):
        Detector(interval=HOUR, sensitivity=1.5)
    with pytest.raises(ValueError, match="timestamps must increase"):
        score_series([START, START - HOUR], [1.0, 2.0])
    with pytest.raises(ValueError, match="totals"):
        score_series([START], [1.0], kind="share")
