"""Response curves and budget allocation: exact optima, limits, conservation, monotonicity, fitting."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pappus.ads.allocation import (
    AllocationError,
    ChannelHistory,
    ChannelLimits,
    fit_curves,
    maximise,
    propose,
    split_within,
)


def exponential(a: float, b: float, x: np.ndarray) -> np.ndarray:
    return a * (1 - np.exp(-x / b))


def history(key: str, a: float, b: float, *, days: int = 120, seed: int = 1, kind: str = "exponential"):
    generator = np.random.default_rng(seed)
    spend = np.round(generator.uniform(0.2 * b, 3 * b, days), 2)
    spend[generator.random(days) < 0.1] = 0.0  # paused days
    mean = exponential(a, b, spend) if kind == "exponential" else a * np.log1p(spend / b)
    results = generator.poisson(mean).astype(float)
    return ChannelHistory(key, spend.tolist(), results.tolist())


def test_two_exponential_channels_get_the_known_optimum():
    # a1/b1 exp(-x1/b1) = a2/b2 exp(-x2/b2), x1 + x2 = 300 gives x1 = (ln(a1 b2 / (a2 b1)) + 300/b2) / (1/b1 + 1/b2).
    x = maximise(
        ["exponential", "exponential"], [100.0, 50.0], [100.0, 200.0], total=300.0, lower=[0, 0], upper=[1e9, 1e9]
    )
    expected_first = (math.log(4.0) + 1.5) / (1 / 100 + 1 / 200)
    assert x[0] == pytest.approx(expected_first, rel=1e-9)
    assert x[1] == pytest.approx(300.0 - expected_first, rel=1e-9)


def test_two_logarithmic_channels_get_the_known_optimum():
    # a1 / (b1 + x1) = a2 / (b2 + x2): with a = (2, 1), b = (10, 10), total 100 → 2 (20 + 100 - x1)... x1 = 70, x2 = 30.
    x = maximise(["logarithmic", "logarithmic"], [2.0, 1.0], [10.0, 10.0], total=100.0, lower=[0, 0], upper=[1e9, 1e9])
    assert x.tolist() == pytest.approx([70.0, 30.0], rel=1e-9)


def test_mixed_families_equalise_marginal_returns():
    x = maximise(
        ["exponential", "logarithmic"], [100.0, 5.0], [100.0, 20.0], total=150.0, lower=[0, 0], upper=[1e9, 1e9]
    )
    assert x.sum() == pytest.approx(150.0)
    assert 100 / 100 * math.exp(-x[0] / 100) == pytest.approx(5.0 / (20.0 + x[1]), rel=1e-9)


def test_limits_bind_and_the_rest_goes_where_it_earns_most():
    x = maximise(
        ["exponential", "exponential"], [100.0, 50.0], [100.0, 200.0], total=300.0, lower=[0, 150], upper=[120, 1e9]
    )
    assert x.tolist() == pytest.approx([120.0, 180.0])


def test_an_impossible_budget_names_the_limits():
    with pytest.raises(AllocationError, match=r"minimums add up to 200\.00"):
        maximise(["exponential"] * 2, [1.0, 1.0], [1.0, 1.0], total=100.0, lower=[100, 100], upper=[500, 500])
    with pytest.raises(AllocationError, match=r"maximums to 50\.00"):
        maximise(["exponential"] * 2, [1.0, 1.0], [1.0, 1.0], total=100.0, lower=[0, 0], upper=[25, 25])


channel = st.tuples(
    st.sampled_from(["exponential", "logarithmic"]),
    st.floats(0.0, 1000.0),  # a (zero: a channel that earns nothing)
    st.floats(1.0, 1000.0),  # b
    st.floats(0.0, 200.0),  # minimum
    st.floats(0.0, 2000.0),  # room above the minimum
)


@settings(max_examples=200)
@given(st.lists(channel, min_size=1, max_size=8), st.floats(0.0, 1.0))
def test_allocation_conserves_the_total_keeps_the_limits_and_equalises_marginals(channels, share):
    families = [c[0] for c in channels]
    a = np.array([c[1] for c in channels])
    b = np.array([c[2] for c in channels])
    low = np.array([c[3] for c in channels])
    high = low + np.array([c[4] for c in channels])
    total = float(low.sum() + share * (high - low).sum())
    x = maximise(families, a, b, total=total, lower=low, upper=high)
    assert x.sum() == pytest.approx(total, rel=1e-9, abs=1e-9)
    assert np.all(x >= low - 1e-9)
    assert np.all(x <= high + 1e-9)
    # Optimality (KKT): no unit can move from one channel to another and earn more.
    marginal = np.array(
        [
            a[i] / b[i] * math.exp(-x[i] / b[i]) if families[i] == "exponential" else a[i] / (b[i] + x[i])
            for i in range(len(x))
        ]
    )
    can_take = x < high - 1e-6
    can_give = x > low + 1e-6
    if can_take.any() and can_give.any():
        assert marginal[can_take].max() <= marginal[can_give].min() * (1 + 1e-6) + 1e-9


@settings(max_examples=100)
@given(st.lists(channel, min_size=1, max_size=6), st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_every_channel_gets_more_or_the_same_when_the_budget_grows(channels, first, second):
    families = [c[0] for c in channels]
    a = np.array([c[1] for c in channels]) + 1.0
    b = np.array([c[2] for c in channels])
    low = np.array([c[3] for c in channels])
    high = low + np.array([c[4] for c in channels])
    small, large = sorted((first, second))
    room = float((high - low).sum())
    x_small = maximise(families, a, b, total=float(low.sum()) + small * room, lower=low, upper=high)
    x_large = maximise(families, a, b, total=float(low.sum()) + large * room, lower=low, upper=high)
    assert np.all(x_large >= x_small - 1e-6 * (1 + x_small))


def test_split_within_is_proportional_until_a_limit_binds():
    assert split_within([1, 1, 2], 400.0, [0, 0, 0], [1e9, 1e9, 1e9]).tolist() == pytest.approx([100, 100, 200])
    assert split_within([1, 1, 2], 400.0, [0, 0, 0], [1e9, 1e9, 150]).tolist() == pytest.approx([125, 125, 150])
    assert split_within([0, 0], 10.0, [0, 0], [1e9, 1e9]).tolist() == pytest.approx([5, 5])


def test_a_curve_is_recovered_from_noisy_history_with_an_interval_around_the_truth():
    [curve] = fit_curves([history("meta", 80.0, 300.0)], family="exponential", seed=3)
    assert curve.status == "fitted"
    assert curve.family == "exponential"
    assert curve.scale == pytest.approx(80.0, rel=0.1)
    assert curve.shape == pytest.approx(300.0, rel=0.15)
    assert curve.saturation_identified
    assert len(curve.samples) == 100
    shapes = np.array([b for _, b in curve.samples])
    low, high = np.quantile(shapes, [0.05, 0.95])
    assert low < 300.0 < high
    assert curve.spend_days < curve.days  # the paused days were kept, and counted apart
    assert curve.expected(300.0) == pytest.approx(exponential(curve.scale, curve.shape, np.array(300.0)))


def test_auto_picks_the_family_the_history_came_from():
    curves = fit_curves(
        [history("saturating", 100.0, 200.0, days=365), history("logarithmic", 20.0, 50.0, days=365, kind="log")],
        seed=5,
    )
    assert [curve.family for curve in curves] == ["exponential", "logarithmic"]
    # Each bootstrap replicate picks its own family, so the interval carries the doubt about the family too.
    assert len(curves[0].sample_families) == len(curves[0].samples) == 100
    assert curves[0].sample_families.count("exponential") > 50


def test_too_little_history_or_flat_spend_gives_no_curve_and_says_why():
    short = ChannelHistory("vk", [100.0] * 5 + [0.0] * 30, [5.0] * 5 + [0.0] * 30)
    flat = ChannelHistory("x", [250.0] * 60, [10.0, 12.0] * 30)
    curves = fit_curves([short, flat, history("meta", 80.0, 300.0)])
    assert [curve.status for curve in curves] == ["too_little_history", "no_spend_variation", "fitted"]
    assert curves[0].note == "5 days with spend; at least 14 needed"
    assert curves[0].family is None
    with pytest.raises(AllocationError, match="'vk': no response curve"):
        curves[0].expected(10.0)


@pytest.mark.parametrize(
    ("spend", "results", "message"),
    [
        ([1.0, 2.0], [1.0], "same length"),
        ([1.0, -2.0], [1.0, 1.0], "cannot be negative"),
        ([1.0, math.nan], [1.0, 1.0], "finite"),
    ],
)
def test_bad_history_names_the_channel(spend, results, message):
    with pytest.raises(AllocationError, match=f"channel 'meta'.*{message}"):
        fit_curves([ChannelHistory("meta", spend, results)])


def test_duplicate_channels_are_refused():
    with pytest.raises(AllocationError, match="once"):
        fit_curves([history("meta", 1.0, 1.0), history("meta", 1.0, 1.0)])


def test_a_proposal_moves_money_to_the_better_channel_and_shows_its_gain():
    curves = fit_curves(
        [history("meta", 120.0, 300.0, seed=1), history("vk", 40.0, 300.0, seed=2)], family="exponential"
    )
    proposal = propose(
        curves,
        budget=30 * 600.0,
        current={"meta": 300.0, "vk": 300.0},  # any scale: rescaled to the budget
        limits={"vk": ChannelLimits(minimum=30 * 100.0)},
        days=30,
    )
    meta, vk = proposal.channels
    assert meta.current == pytest.approx(9000.0)
    assert vk.current == pytest.approx(9000.0)
    assert meta.proposed + vk.proposed == pytest.approx(18000.0)
    assert meta.proposed > meta.current
    assert vk.proposed >= 3000.0 - 1e-6
    assert meta.marginal_proposed == pytest.approx(vk.marginal_proposed, rel=1e-6)  # interior optimum
    assert proposal.expected_gain > 0
    assert proposal.gain_low <= proposal.expected_gain <= proposal.gain_high
    assert proposal.gain_low > 0  # the better channel is clearly better
    assert proposal.expected_gain == pytest.approx(proposal.expected_proposed - proposal.expected_current)
    assert len(proposal.charts["meta"]) == 40
    assert all(point.low <= point.high for point in proposal.charts["meta"])
    assert proposal.charts["meta"][0].spend == 0.0


def test_a_channel_without_a_curve_keeps_its_spend():
    short = ChannelHistory("tiktok", [50.0] * 3, [1.0] * 3)
    curves = fit_curves([history("meta", 120.0, 300.0), history("vk", 40.0, 300.0), short])
    proposal = propose(curves, budget=900.0, current={"meta": 300.0, "vk": 300.0, "tiktok": 300.0})
    tiktok = proposal.channels[2]
    assert tiktok.held
    assert tiktok.proposed == tiktok.current == pytest.approx(300.0)
    assert "at least 14 needed" in tiktok.note
    assert sum(channel.proposed for channel in proposal.channels) == pytest.approx(900.0)


def test_proposal_input_errors_name_the_field():
    curves = fit_curves([history("meta", 120.0, 300.0)])
    with pytest.raises(AllocationError, match="channel 'vk': not among the curves"):
        propose(curves, budget=100.0, current={"vk": 1.0})
    with pytest.raises(AllocationError, match="days"):
        propose(curves, budget=100.0, current={}, days=0)
    with pytest.raises(AllocationError, match="channel 'meta': limits"):
        propose(curves, budget=100.0, current={}, limits={"meta": ChannelLimits(10.0, 5.0)})
    with pytest.raises(AllocationError, match="budget"):
        propose(curves, budget=-1.0, current={})


@settings(max_examples=60)
@given(
    st.lists(
        st.tuples(st.floats(0.0, 1e5), st.floats(0.0, 1e4)),
        min_size=0,
        max_size=120,
    ),
    st.sampled_from(["exponential", "logarithmic", "auto"]),
)
def test_any_history_gives_a_finite_curve_or_a_reason(days, family):
    spend = [s for s, _ in days]
    results = [r for _, r in days]
    [curve] = fit_curves([ChannelHistory("meta", spend, results)], family=family, bootstrap=20)
    if curve.fitted:
        assert math.isfinite(curve.scale)
        assert curve.scale >= 0
        assert math.isfinite(curve.shape)
        assert curve.shape > 0
        assert all(math.isfinite(a) and a >= 0 and b > 0 for a, b in curve.samples)
        proposal = propose([curve], budget=1000.0, current={"meta": 1.0}, days=10)
        assert proposal.channels[0].proposed == pytest.approx(1000.0)
        assert proposal.gain_low <= proposal.gain_high
    else:
        assert curve.note
