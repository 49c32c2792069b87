"""Budget reallocation: response curves fitted from daily history, and the split that maximises a KPI.

Pure numpy; no Django. Plain dataclasses in, dataclasses out, so the service layer can feed it rows
from any source and store what comes back.

Response curve (per campaign or channel, daily spend ``x`` → expected daily result of one KPI):

- ``exponential``: ``a * (1 - exp(-x / b))``: saturates at ``a``; ``b`` is the spend at which 63 % of
  the ceiling is reached.
- ``logarithmic``: ``a * log(1 + x / b)``: diminishing returns without a ceiling.

Both are concave, pass through zero, and have two parameters. They are fitted by least squares with
the scale ``a`` solved exactly for every ``b`` on a log grid (a profile fit, refined by a parabola
through the best grid point and its neighbours), which is fast, needs no starting values and cannot
diverge. ``family="auto"`` fits both and keeps, per channel, the one with the smaller residual sum of
squares (same number of parameters, so the comparison is fair). Which default is best was measured
with ``bench/ads.py`` on tuning seeds; see docs/ads-allocation.md.

Uncertainty: a Poisson bootstrap over days (every day gets a Poisson(1) weight, each replicate is
refitted), so a curve carries ``bootstrap`` replicates of ``(a, b)``; the expected gain's interval is
the spread of the gain over those replicates. A channel with fewer than ``min_days`` days of positive
spend, or whose spend hardly varied, gets no curve (status says why) and keeps its current spend in a
proposal: nothing is invented for it.

Allocation: maximise ``sum_i f_i(x_i)`` subject to ``sum_i x_i = budget`` and
``minimum_i <= x_i <= maximum_i``. For concave ``f_i`` the optimum equalises the marginal return
``f_i'(x_i) = lambda`` wherever a channel is not at a limit; the multiplier is found by bisection on
``log lambda`` and every ``x_i(lambda)`` has a closed form, so the answer is exact to rounding.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

Family = Literal["exponential", "logarithmic"]
FamilyChoice = Literal["exponential", "logarithmic", "auto"]
CurveStatus = Literal["fitted", "too_little_history", "no_spend_variation"]
FloatArray = npt.NDArray[np.float64]

FAMILIES: tuple[Family, ...] = ("exponential", "logarithmic")
GRID_LOW, GRID_HIGH, GRID_POINTS = -2.0, 1.5, 64  # b from 1 % to 30x the median positive spend (log10 steps)
MIN_SPEND_VARIATION = 0.05  # coefficient of variation of positive daily spend below which b is not identified


class AllocationError(ValueError):
    """Input that cannot be fitted or allocated; the message names the channel and the field."""


@dataclass(frozen=True)
class ChannelHistory:
    """Daily spend and the chosen KPI's daily result for one campaign or channel (same length, oldest first)."""

    key: str
    spend: Sequence[float]
    results: Sequence[float]


@dataclass(frozen=True)
class ResponseCurve:
    """A fitted response curve, or the reason there is none (``status`` other than ``fitted``)."""

    key: str
    status: CurveStatus
    family: Family | None
    scale: float  # a
    shape: float  # b, in spend units per day
    samples: tuple[tuple[float, float], ...]  # bootstrap replicates of (a, b)
    days: int  # days of history
    spend_days: int  # days with positive spend
    max_observed_spend: float
    mean_recent_spend: float  # mean daily spend over the last 28 days of the history
    residual_sd: float
    saturation_identified: bool  # False when b sits at the edge of the grid: the shape is a guess
    note: str = ""
    sample_families: tuple[Family, ...] = ()  # each replicate's family when it varies (family="auto")

    @property
    def fitted(self) -> bool:
        return self.status == "fitted"

    def expected(self, spend: npt.ArrayLike) -> FloatArray:
        """Expected daily result at the given daily spend (point estimate)."""
        if self.family is None:
            raise AllocationError(f"channel {self.key!r}: no response curve ({self.status})")
        return _value(self.family, self.scale, self.shape, np.asarray(spend, dtype=np.float64))

    def marginal(self, spend: npt.ArrayLike) -> FloatArray:
        """Extra result per extra unit of spend at the given daily spend."""
        if self.family is None:
            raise AllocationError(f"channel {self.key!r}: no response curve ({self.status})")
        return _derivative(self.family, self.scale, self.shape, np.asarray(spend, dtype=np.float64))


@dataclass(frozen=True)
class ChannelLimits:
    """Minimum and maximum spend of one channel over the whole period being allocated."""

    minimum: float = 0.0
    maximum: float = math.inf


@dataclass(frozen=True)
class CurvePoint:
    spend: float  # daily
    result: float  # expected daily result, point estimate
    low: float  # lower and upper end of the interval over the bootstrap replicates
    high: float


@dataclass(frozen=True)
class ChannelProposal:
    key: str
    current: float  # spend over the period in the current split (scaled to the budget)
    proposed: float
    expected_current: float  # expected result over the period
    expected_proposed: float
    marginal_current: float  # extra result per extra unit of daily spend
    marginal_proposed: float
    held: bool  # no usable curve: kept at its current spend
    beyond_history: bool  # proposed daily spend above the highest daily spend ever observed
    note: str = ""

    @property
    def change(self) -> float:
        return self.proposed - self.current


@dataclass(frozen=True)
class Proposal:
    budget: float
    days: int
    interval: float  # e.g. 0.9 for a 90 % interval
    channels: tuple[ChannelProposal, ...]
    expected_current: float
    expected_proposed: float
    expected_gain: float  # expected_proposed - expected_current (point estimate)
    gain_low: float
    gain_high: float
    charts: Mapping[str, tuple[CurvePoint, ...]] = field(default_factory=dict)

    @property
    def relative_gain(self) -> float:
        return self.expected_gain / self.expected_current if self.expected_current > 0 else math.nan


# Curve algebra, vectorised over channels (arrays of a, b and x broadcast together).


def _value(family: Family, a: npt.ArrayLike, b: npt.ArrayLike, x: FloatArray) -> FloatArray:
    a_, b_ = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if family == "exponential":
        return np.asarray(a_ * -np.expm1(-x / b_), dtype=np.float64)
    return np.asarray(a_ * np.log1p(x / b_), dtype=np.float64)


def _derivative(family: Family, a: npt.ArrayLike, b: npt.ArrayLike, x: FloatArray) -> FloatArray:
    a_, b_ = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if family == "exponential":
        return np.asarray(a_ / b_ * np.exp(-x / b_), dtype=np.float64)
    return np.asarray(a_ / (b_ + x), dtype=np.float64)


def _basis(family: Family, spend: FloatArray, shape: FloatArray) -> FloatArray:
    """g(x; b) with f = a * g: spend (..., T) against shapes (..., G) → (..., G, T)."""
    ratio = spend[..., None, :] / shape[..., :, None]
    if family == "exponential":
        return np.asarray(-np.expm1(-ratio), dtype=np.float64)
    return np.asarray(np.log1p(ratio), dtype=np.float64)


@dataclass
class _Fit:
    scale: FloatArray  # (C, K)
    shape: FloatArray  # (C, K)
    sse: FloatArray  # (C, K)
    at_edge: FloatArray  # (C,) bool as float


def _grid_basis(family: Family, spend: FloatArray, ref: FloatArray) -> FloatArray:
    """g(x; b) for every channel's days and every b on its grid: (C, G, T)."""
    exponents = np.linspace(GRID_LOW, GRID_HIGH, GRID_POINTS)
    return _basis(family, spend, ref[:, None] * 10.0 ** exponents[None, :])


def _profile_fit(
    family: Family, spend: FloatArray, results: FloatArray, weights: FloatArray, *, ref: FloatArray, basis: FloatArray
) -> _Fit:
    """Least-squares fit of a * g(x; b) for C channels x K weightings: spend/results (C, T), weights (C, K, T)."""
    exponents = np.linspace(GRID_LOW, GRID_HIGH, GRID_POINTS)
    weighted_y = weights * results[:, None, :]  # (C, K, T)
    cross = weighted_y @ basis.transpose(0, 2, 1)  # (C, K, G): sum w y g
    square = weights @ (basis * basis).transpose(0, 2, 1)  # (C, K, G): sum w g^2
    total = np.einsum("ckt,ct->ck", weighted_y, results)  # sum w y^2
    positive = np.maximum(cross, 0.0)  # a >= 0: a negative best scale means a = 0
    safe = np.where(square > 0, square, 1.0)
    sse = total[:, :, None] - np.where(square > 0, positive * positive / safe, 0.0)
    best = np.argmin(sse, axis=2)  # (C, K)
    # Parabola through the best grid point and its neighbours, in log b (skipped at the edges).
    inner = np.clip(best, 1, GRID_POINTS - 2)
    take = np.take_along_axis
    left = take(sse, (inner - 1)[..., None], axis=2)[..., 0]
    middle = take(sse, inner[..., None], axis=2)[..., 0]
    right = take(sse, (inner + 1)[..., None], axis=2)[..., 0]
    curvature = left - 2 * middle + right
    step = np.where(curvature > 0, 0.5 * (left - right) / np.where(curvature > 0, curvature, 1.0), 0.0)
    step = np.clip(step, -0.5, 0.5)
    spacing = exponents[1] - exponents[0]
    exponent = np.where(best == inner, exponents[inner] + step * spacing, exponents[best])
    shape = ref[:, None] * 10.0**exponent  # (C, K)
    # The scale at the refined shape: exact for the first weighting (the point estimate), interpolated along
    # the same parabola for the bootstrap replicates (their spread is what matters there, and this is 10x cheaper).
    scales = np.where(square > 0, positive / safe, 0.0)
    a_left = take(scales, (inner - 1)[..., None], axis=2)[..., 0]
    a_middle = take(scales, inner[..., None], axis=2)[..., 0]
    a_right = take(scales, (inner + 1)[..., None], axis=2)[..., 0]
    interpolated = a_middle + 0.5 * step * (a_right - a_left) + 0.5 * step * step * (a_left - 2 * a_middle + a_right)
    scale = np.maximum(np.where(best == inner, interpolated, take(scales, best[..., None], axis=2)[..., 0]), 0.0)
    refined_sse = take(sse, best[..., None], axis=2)[..., 0]
    first = _basis(family, spend, shape[:, :1])[:, 0, :]  # (C, T)
    numerator = np.einsum("ct,ct->c", weighted_y[:, 0, :], first)
    denominator = np.einsum("ct,ct->c", weights[:, 0, :], first * first)
    scale[:, 0] = np.where(
        denominator > 0, np.maximum(numerator, 0.0) / np.where(denominator > 0, denominator, 1.0), 0.0
    )
    residual = results - scale[:, :1] * first
    refined_sse[:, 0] = np.einsum("ct,ct->c", weights[:, 0, :], residual * residual)
    at_edge = (best[:, 0] == 0) | (best[:, 0] == GRID_POINTS - 1)
    return _Fit(scale=scale, shape=shape, sse=refined_sse, at_edge=at_edge.astype(np.float64))


def fit_curves(
    histories: Sequence[ChannelHistory],
    *,
    family: FamilyChoice = "auto",
    bootstrap: int = 100,
    min_days: int = 14,
    seed: int = 0,
) -> list[ResponseCurve]:
    """Fit one response curve per history (see the module docstring); the order of ``histories`` is kept."""
    if family not in ("exponential", "logarithmic", "auto"):
        raise AllocationError(f"family: expected exponential, logarithmic or auto, got {family!r}")
    if bootstrap < 0:
        raise AllocationError(f"bootstrap: must be zero or more, got {bootstrap}")
    keys = [history.key for history in histories]
    if len(set(keys)) != len(keys):
        raise AllocationError("histories: every channel key must appear once")
    curves: dict[int, ResponseCurve] = {}
    usable: list[int] = []
    arrays: list[tuple[FloatArray, FloatArray]] = []
    for index, history in enumerate(histories):
        spend = np.asarray(history.spend, dtype=np.float64)
        results = np.asarray(history.results, dtype=np.float64)
        if spend.ndim != 1 or results.ndim != 1 or len(spend) != len(results):
            raise AllocationError(
                f"channel {history.key!r}: spend and results must be flat lists of the same length "
                f"(got {spend.shape} and {results.shape})"
            )
        if not (np.all(np.isfinite(spend)) and np.all(np.isfinite(results))):
            raise AllocationError(f"channel {history.key!r}: spend and results must be finite numbers")
        if np.any(spend < 0) or np.any(results < 0):
            raise AllocationError(f"channel {history.key!r}: spend and results cannot be negative")
        positive = spend[spend > 0]
        recent = float(spend[-28:].mean()) if len(spend) else 0.0
        status: CurveStatus | None = None
        note = ""
        if len(positive) < min_days:
            status, note = "too_little_history", f"{len(positive)} days with spend; at least {min_days} needed"
        elif float(positive.std() / positive.mean()) < MIN_SPEND_VARIATION:
            status, note = "no_spend_variation", "daily spend hardly varied, so the response to more or less is unknown"
        if status is not None:
            curves[index] = ResponseCurve(
                key=history.key,
                status=status,
                family=None,
                scale=math.nan,
                shape=math.nan,
                samples=(),
                days=len(spend),
                spend_days=len(positive),
                max_observed_spend=float(spend.max()) if len(spend) else 0.0,
                mean_recent_spend=recent,
                residual_sd=math.nan,
                saturation_identified=False,
                note=note,
            )
            continue
        usable.append(index)
        arrays.append((spend, results))
    if usable:
        _fit_usable(histories, usable, arrays, curves, family=family, bootstrap=bootstrap, seed=seed)
    return [curves[index] for index in range(len(histories))]


def _fit_usable(
    histories: Sequence[ChannelHistory],
    usable: list[int],
    arrays: list[tuple[FloatArray, FloatArray]],
    curves: dict[int, ResponseCurve],
    *,
    family: FamilyChoice,
    bootstrap: int,
    seed: int,
) -> None:
    # Histories are aligned on their last day (the most recent days are the same calendar days), so one
    # bootstrap draw reweights the same dates in every channel: shocks common to all channels stay together.
    length = max(len(spend) for spend, _ in arrays)
    count = len(arrays)
    spend = np.zeros((count, length))
    results = np.zeros((count, length))
    present = np.zeros((count, length))
    for row, (channel_spend, channel_results) in enumerate(arrays):
        start = length - len(channel_spend)
        spend[row, start:] = channel_spend
        results[row, start:] = channel_results
        present[row, start:] = 1.0
    reference = np.array([float(np.median(s[s > 0])) for s, _ in arrays])
    generator = np.random.default_rng(seed)
    day_weights = generator.poisson(1.0, size=(bootstrap, length)).astype(np.float64)
    weights = np.concatenate([np.ones((1, length)), day_weights])[None, :, :] * present[:, None, :]  # (C, 1 + B, T)
    names: tuple[Family, ...] = FAMILIES if family == "auto" else (family,)
    fits = [
        _profile_fit(name, spend, results, weights, ref=reference, basis=_grid_basis(name, spend, reference))
        for name in names
    ]
    # Per channel and per replicate, the family with the smaller residual sum of squares: the replicates
    # then carry the doubt about the family too, not only about its parameters.
    choice = (
        np.argmin(np.stack([fit.sse for fit in fits]), axis=0) if len(fits) > 1 else np.zeros(weights.shape[:2], int)
    )
    scale = np.choose(choice, [fit.scale for fit in fits])
    shape = np.choose(choice, [fit.shape for fit in fits])
    for row, index in enumerate(usable):
        name = names[int(choice[row, 0])]
        fit = fits[int(choice[row, 0])]
        days = int(present[row].sum())
        channel_spend = spend[row, length - days :]
        sd = math.sqrt(float(fit.sse[row, 0]) / max(days - 2, 1))
        samples = tuple(zip(scale[row, 1:].tolist(), shape[row, 1:].tolist(), strict=True))
        sample_families = tuple(names[k] for k in choice[row, 1:].tolist()) if len(names) > 1 else ()
        edge = bool(fit.at_edge[row])
        curves[index] = ResponseCurve(
            key=histories[index].key,
            status="fitted",
            family=name,
            scale=float(scale[row, 0]),
            shape=float(shape[row, 0]),
            samples=samples,
            sample_families=sample_families,
            days=days,
            spend_days=int((channel_spend > 0).sum()),
            max_observed_spend=float(channel_spend.max()),
            mean_recent_spend=float(channel_spend[-28:].mean()),
            residual_sd=sd,
            saturation_identified=not edge,
            note="the history does not show where returns diminish; the curve's shape is a guess" if edge else "",
        )


# Allocation.


def _inverse_derivative(family: Family, a: FloatArray, b: FloatArray, level: float) -> FloatArray:
    """The daily spend x >= 0 at which f'(x) = level (0 where even the first unit earns less)."""
    if family == "exponential":
        with np.errstate(divide="ignore"):
            ratio = np.where(a > 0, a / (b * level), 0.0)
        return np.asarray(np.where(ratio > 1, b * np.log(np.where(ratio > 1, ratio, 1.0)), 0.0), dtype=np.float64)
    return np.asarray(np.maximum(a / level - b, 0.0), dtype=np.float64)


def maximise(
    families: Sequence[Family],
    scales: npt.ArrayLike,
    shapes: npt.ArrayLike,
    *,
    total: float,
    lower: npt.ArrayLike,
    upper: npt.ArrayLike,
) -> FloatArray:
    """Daily spends maximising sum f_i(x_i) with sum x_i = total and lower <= x <= upper (all daily).

    Exact for these concave curves: bisection on the Lagrange multiplier (the common marginal return).
    """
    a = np.asarray(scales, dtype=np.float64)
    b = np.asarray(shapes, dtype=np.float64)
    low = np.asarray(lower, dtype=np.float64)
    high = np.asarray(upper, dtype=np.float64)
    if len(a) == 0:
        return np.zeros(0)
    if float(low.sum()) > total * (1 + 1e-12) + 1e-12 or float(high.sum()) < total * (1 - 1e-12) - 1e-12:
        raise AllocationError(
            f"budget: {total:.2f} a day cannot be split within the limits "
            f"(minimums add up to {low.sum():.2f}, maximums to {high.sum():.2f})"
        )
    masks = {name: np.array([f == name for f in families]) for name in FAMILIES}

    def spend_at(level: float) -> FloatArray:
        x = np.zeros_like(a)
        for name, mask in masks.items():
            if mask.any():
                x[mask] = _inverse_derivative(name, a[mask], b[mask], level)
        return np.clip(x, low, high)

    slopes = np.concatenate(
        [_derivative(name, a[mask], b[mask], np.zeros(int(mask.sum()))) for name, mask in masks.items() if mask.any()]
    )
    top = float(np.max(slopes)) if len(slopes) else 0.0
    if top <= 0:
        x = low.copy()
    else:
        log_high = math.log(top) + 1.0  # every channel at its minimum
        log_low = math.log(top) - 80.0  # every channel far out on its curve (or at its maximum)
        for _ in range(200):
            middle = 0.5 * (log_low + log_high)
            if float(spend_at(math.exp(middle)).sum()) > total:
                log_low = middle
            else:
                log_high = middle
        x = spend_at(math.exp(log_high))
    return _settle(x, low, high, total)


def _settle(x: FloatArray, low: FloatArray, high: FloatArray, total: float) -> FloatArray:
    """Put what the bisection (or flat curves) left unspent, or overspent, where the limits allow, evenly."""
    x = x.copy()
    for _ in range(len(x) + 1):
        rest = total - float(x.sum())
        if abs(rest) <= 1e-12 * max(total, 1.0):
            break
        room = (high - x) if rest > 0 else (x - low)
        open_ = room > 1e-15
        if not open_.any():
            break
        share = min(abs(rest) / int(open_.sum()), float(room[open_].min()))
        x[open_] += share if rest > 0 else -share
    return x


def split_within(weights: npt.ArrayLike, total: float, lower: npt.ArrayLike, upper: npt.ArrayLike) -> FloatArray:
    """Split ``total`` in proportion to ``weights`` as far as the limits allow: clip(c * w, lower, upper), sum = total.

    Used for the current split, and by the benchmark for its baselines (equal, proportional).
    """
    w = np.asarray(weights, dtype=np.float64)
    low = np.asarray(lower, dtype=np.float64)
    high = np.asarray(upper, dtype=np.float64)
    if float(low.sum()) > total + 1e-9 * max(total, 1.0) or float(high.sum()) < total - 1e-9 * max(total, 1.0):
        raise AllocationError(f"budget: {total:.2f} cannot be split within the limits")
    if float(w.sum()) <= 0:
        w = np.ones_like(w)
    low_c, high_c = 0.0, 1.0
    while float(np.clip(high_c * w, low, high).sum()) < total and high_c < 1e300:
        high_c *= 2.0
    for _ in range(200):
        middle = 0.5 * (low_c + high_c)
        if float(np.clip(middle * w, low, high).sum()) < total:
            low_c = middle
        else:
            high_c = middle
    return _settle(np.clip(high_c * w, low, high), low, high, total)


def _replicate_values(curve: ResponseCurve, x: npt.ArrayLike) -> FloatArray:
    """Every bootstrap replicate's value at daily spend x: (replicates, *x.shape)."""
    if not curve.samples or curve.family is None:
        return np.zeros(0)
    samples = np.asarray(curve.samples, dtype=np.float64)
    spend = np.asarray(x, dtype=np.float64)[None, ...]
    extra = (1,) * (spend.ndim - 1)
    a, b = samples[:, 0].reshape(-1, *extra), samples[:, 1].reshape(-1, *extra)
    families = curve.sample_families or (curve.family,) * len(samples)
    exponential = np.array([name == "exponential" for name in families]).reshape(-1, *extra)
    return np.asarray(
        np.where(exponential, _value("exponential", a, b, spend), _value("logarithmic", a, b, spend)),
        dtype=np.float64,
    )


def propose(
    curves: Sequence[ResponseCurve],
    *,
    budget: float,
    current: Mapping[str, float],
    limits: Mapping[str, ChannelLimits] | None = None,
    days: int = 1,
    interval: float = 0.9,
    chart_points: int = 40,
) -> Proposal:
    """The split of ``budget`` (spent over ``days`` days) across ``curves`` maximising the expected result.

    ``current`` is each channel's spend in the current split (any scale: it is rescaled to the budget, so the
    gain is the gain of moving money, not of spending more); ``limits`` are per channel, for the whole period.
    Channels without a fitted curve keep their (rescaled) current spend, clamped to their limits.
    """
    if days < 1:
        raise AllocationError(f"days: must be at least 1, got {days}")
    if not (budget >= 0 and math.isfinite(budget)):
        raise AllocationError(f"budget: must be a finite amount of zero or more, got {budget}")
    if not 0 < interval < 1:
        raise AllocationError(f"interval: must be between 0 and 1, got {interval}")
    if not curves:
        raise AllocationError("curves: at least one channel is needed")
    limits = limits or {}
    keys = [curve.key for curve in curves]
    for key in list(current) + list(limits):
        if key not in keys:
            raise AllocationError(f"channel {key!r}: not among the curves")
    lower = np.array([limits.get(key, ChannelLimits()).minimum for key in keys], dtype=np.float64)
    upper = np.array([limits.get(key, ChannelLimits()).maximum for key in keys], dtype=np.float64)
    for key, low, high in zip(keys, lower, upper, strict=True):
        if not (0 <= low <= high) or math.isnan(high):
            raise AllocationError(f"channel {key!r}: limits must satisfy 0 <= minimum <= maximum (got {low}, {high})")
    weights = np.array([float(current.get(key, 0.0)) for key in keys])
    if np.any(weights < 0) or not np.all(np.isfinite(weights)):
        raise AllocationError("current: spends must be finite and zero or more")
    current_split = split_within(weights, budget, lower, upper)

    fitted = np.array([curve.fitted for curve in curves])
    held_total = float(current_split[~fitted].sum())
    proposed = current_split.copy()
    if fitted.any():
        rows = np.flatnonzero(fitted)
        families: list[Family] = [curve.family for curve in curves if curve.family is not None]
        fitted_curves = [curve for curve in curves if curve.fitted]
        daily = maximise(
            families,
            [curve.scale for curve in fitted_curves],
            [curve.shape for curve in fitted_curves],
            total=(budget - held_total) / days,
            lower=lower[rows] / days,
            upper=upper[rows] / days,
        )
        proposed[rows] = daily * days

    channels: list[ChannelProposal] = []
    gains = np.zeros(max((len(curve.samples) for curve in curves), default=0))
    charts: dict[str, tuple[CurvePoint, ...]] = {}
    tail = (1 - interval) / 2
    for index, curve in enumerate(curves):
        channel, replicate_gain = _channel(curve, float(current_split[index]), float(proposed[index]), days)
        channels.append(channel)
        gains[: len(replicate_gain)] += replicate_gain
        if curve.fitted and chart_points > 1:
            top = max(curve.max_observed_spend, channel.proposed / days, channel.current / days) * 1.5
            charts[curve.key] = _chart(curve, top, chart_points, tail)
    expected_current = sum(channel.expected_current for channel in channels if not channel.held)
    expected_proposed = sum(channel.expected_proposed for channel in channels if not channel.held)
    gain = expected_proposed - expected_current
    if len(gains):
        gain_low, gain_high = (float(v) for v in np.quantile(gains, [tail, 1 - tail]))
    else:
        gain_low = gain_high = gain
    return Proposal(
        budget=budget,
        days=days,
        interval=interval,
        channels=tuple(channels),
        expected_current=expected_current,
        expected_proposed=expected_proposed,
        expected_gain=gain,
        gain_low=gain_low,
        gain_high=gain_high,
        charts=charts,
    )


def _channel(curve: ResponseCurve, now: float, then: float, days: int) -> tuple[ChannelProposal, FloatArray]:
    """One channel's line of a proposal, and its gain under every bootstrap replicate."""
    if not curve.fitted:
        held = ChannelProposal(
            key=curve.key,
            current=now,
            proposed=then,
            expected_current=math.nan,
            expected_proposed=math.nan,
            marginal_current=math.nan,
            marginal_proposed=math.nan,
            held=True,
            beyond_history=False,
            note=curve.note,
        )
        return held, np.zeros(0)
    replicate_gain = (_replicate_values(curve, then / days) - _replicate_values(curve, now / days)) * days
    line = ChannelProposal(
        key=curve.key,
        current=now,
        proposed=then,
        expected_current=float(curve.expected(now / days)) * days,
        expected_proposed=float(curve.expected(then / days)) * days,
        marginal_current=float(curve.marginal(now / days)),
        marginal_proposed=float(curve.marginal(then / days)),
        held=False,
        beyond_history=then / days > curve.max_observed_spend * 1.0001,
        note=curve.note,
    )
    return line, replicate_gain


def _chart(curve: ResponseCurve, top: float, points: int, tail: float) -> tuple[CurvePoint, ...]:
    spend = np.linspace(0.0, top, points)
    middle = curve.expected(spend)
    if curve.samples:
        values = _replicate_values(curve, spend)
        low, high = np.quantile(values, [tail, 1 - tail], axis=0)
    else:
        low = high = middle
    return tuple(
        CurvePoint(spend=float(s), result=float(m), low=float(lo), high=float(hi))
        for s, m, lo, hi in zip(spend, middle, low, high, strict=True)
    )
