"""Charts of the ads pages: Vega-Lite specs built with Vega-Altair, drawn by the shared bundle."""

from __future__ import annotations

import datetime
from typing import Any

import altair as alt

Spec = dict[str, Any]
FONT = "Noto Sans CJK SC, DejaVu Sans, sans-serif"
PALETTE = ["#2f6f4f", "#c77d2e", "#3f6fb0", "#9b4f96", "#b3261e", "#6b7a2a"]


def daily_spend(values: list[dict[str, object]], *, day_title: str, spend_title: str) -> Spec:
    """Stacked bars of spend per day and network (days without a rate are left out)."""
    chart = (
        alt.Chart(alt.InlineData(values=[value for value in values if value.get("spend") is not None]))
        .mark_bar()
        .encode(
            x=alt.X("day:T", title=day_title),
            y=alt.Y("spend:Q", title=spend_title, stack=True),
            color=alt.Color(
                "network:N", title=None, scale=alt.Scale(range=PALETTE), legend=alt.Legend(orient="bottom")
            ),
            tooltip=["day:T", "network:N", alt.Tooltip("spend:Q", format=",.2f")],
        )
    )
    spec: Spec = chart.properties(width="container", height=220).configure(font=FONT).to_dict()
    return spec


def response_curves(
    points: list[dict[str, object]], marks: list[dict[str, object]], *, spend_title: str, result_title: str
) -> Spec:
    """Each campaign's expected daily result against daily spend, with its interval as a band, and the
    current and proposed daily spend marked on it."""
    colour = alt.Color("campaign:N", title=None, scale=alt.Scale(range=PALETTE), legend=alt.Legend(orient="bottom"))
    base = alt.Chart(alt.InlineData(values=points))
    band = base.mark_area(opacity=0.15).encode(
        x=alt.X("spend:Q", title=spend_title), y="low:Q", y2="high:Q", color=colour
    )
    line = base.mark_line().encode(x="spend:Q", y=alt.Y("result:Q", title=result_title), color=colour)
    dots = (
        alt.Chart(alt.InlineData(values=marks))
        .mark_point(filled=True, size=70)
        .encode(
            x="spend:Q",
            y="result:Q",
            color=colour,
            shape=alt.Shape("which:N", title=None),
            tooltip=["campaign:N", "which:N", alt.Tooltip("spend:Q", format=",.2f")],
        )
    )
    spec: Spec = (band + line + dots).properties(width="container", height=260).configure(font=FONT).to_dict()
    return spec


def pacing(
    planned: list[float],
    actual: list[float],
    start: str,
    *,
    day_title: str,
    spend_title: str,
    plan_label: str,
    actual_label: str,
) -> Spec:
    """Cumulative planned spend over the flight and cumulative actual spend to date."""
    first = datetime.date.fromisoformat(start)
    values: list[dict[str, object]] = []
    for label, series in ((plan_label, planned), (actual_label, actual)):
        total = 0.0
        for index, amount in enumerate(series):
            total += amount
            values.append(
                {"day": (first + datetime.timedelta(days=index)).isoformat(), "series": label, "spend": round(total, 2)}
            )
    chart = (
        alt.Chart(alt.InlineData(values=values))
        .mark_line()
        .encode(
            x=alt.X("day:T", title=day_title),
            y=alt.Y("spend:Q", title=spend_title),
            color=alt.Color("series:N", title=None, scale=alt.Scale(range=PALETTE), legend=alt.Legend(orient="bottom")),
            strokeDash=alt.StrokeDash("series:N", legend=None),
        )
    )
    spec: Spec = chart.properties(width="container", height=220).configure(font=FONT).to_dict()
    return spec
