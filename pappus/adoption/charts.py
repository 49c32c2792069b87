"""The adoption pages' charts: Vega-Lite specs built with Vega-Altair, drawn by the shared bundle
(``pappus.core.charts``). Labels arrive translated."""

from __future__ import annotations

import datetime
import functools
import json
from collections.abc import Sequence
from typing import Any

import altair as alt

Spec = dict[str, Any]
FONT = "Noto Sans CJK SC, DejaVu Sans, sans-serif"
PALETTE = ["#2f6f4f", "#c77d2e", "#3f6fb0", "#9b4f96", "#b3261e", "#6b7a2a", "#4f8f8f", "#8a6d3b", "#5c5c8a"]


def _finish(chart: Any, height: int = 220) -> Spec:
    spec: Spec = chart.properties(width="container", height=height).configure(font=FONT).to_dict(validate=False)
    return spec


def weekly_usage(points: Sequence[tuple[datetime.date, str, int]], *, week: str, feature: str, uses: str) -> Spec:
    values = [{"week": day.isoformat(), "feature": name, "uses": count} for day, name, count in points]
    return _finish(
        alt.Chart(alt.InlineData(values=values))
        .mark_bar()
        .encode(
            x=alt.X("week:T", title=week),
            y=alt.Y("uses:Q", title=uses, stack=True),
            color=alt.Color(
                "feature:N", title=feature, scale=alt.Scale(range=PALETTE), legend=alt.Legend(orient="bottom")
            ),
            tooltip=["week:T", "feature:N", "uses:Q"],
        )
    )


def feature_adoption(rows: Sequence[tuple[str, float, float]], *, share: str, window_7: str, window_30: str) -> Spec:
    values = [
        {"feature": name, "window": window, "share": value}
        for name, share_7, share_30 in rows
        for window, value in ((window_7, share_7), (window_30, share_30))
    ]
    return _finish(
        alt.Chart(alt.InlineData(values=values))
        .mark_bar()
        .encode(
            y=alt.Y("feature:N", title=None, sort=None),
            yOffset=alt.YOffset("window:N"),
            x=alt.X("share:Q", title=share, scale=alt.Scale(domain=[0, 100])),
            color=alt.Color("window:N", title=None, scale=alt.Scale(range=PALETTE), legend=alt.Legend(orient="bottom")),
            tooltip=["feature:N", "window:N", "share:Q"],
        ),
        height=320,
    )


@functools.lru_cache(maxsize=32)
def _kpi_trend_frame(week: str, value: str) -> str:
    """The trend chart's spec without its data, as JSON: building it with Altair costs about 18 ms of CPU, and
    the scorecard pages draw it on every request (labels differ only by language)."""
    return json.dumps(
        _finish(
            alt.Chart(alt.InlineData(values=[]))
            .mark_line(point=True)
            .encode(
                x=alt.X("week:T", title=week),
                y=alt.Y("value:Q", title=value),
                color=alt.Color(
                    "kpi:N", title=None, scale=alt.Scale(range=PALETTE), legend=alt.Legend(orient="bottom")
                ),
                tooltip=["week:T", "kpi:N", "value:Q"],
            )
        )
    )


def kpi_trend(points: Sequence[tuple[datetime.date, str, float | None]], *, week: str, value: str) -> Spec:
    values = [
        {"week": day.isoformat(), "kpi": name, "value": number} for day, name, number in points if number is not None
    ]
    spec: Spec = json.loads(_kpi_trend_frame(week, value))
    spec.pop("datasets", None)
    spec["data"] = {"values": values}
    return spec


def outcomes_by_month(points: Sequence[tuple[str, str, int]], *, month: str, reason: str, conversations: str) -> Spec:
    values = [{"month": name, "reason": why, "count": count} for name, why, count in points]
    return _finish(
        alt.Chart(alt.InlineData(values=values))
        .mark_bar()
        .encode(
            x=alt.X("month:O", title=month),
            y=alt.Y("count:Q", title=conversations, stack=True),
            color=alt.Color(
                "reason:N", title=reason, scale=alt.Scale(range=PALETTE), legend=alt.Legend(orient="bottom")
            ),
            tooltip=["month:O", "reason:N", "count:Q"],
        )
    )
