"""The dashboard's charts: one Vega-Lite spec per dataset, built with Vega-Altair and drawn by the
shared bundle (``pappus.core.charts``); the same spec renders to SVG or PNG for reports later.
Headings arrive already translated (the dataset's column headings)."""

from __future__ import annotations

from typing import Any

import altair as alt

from pappus.analytics.selectors import Dataset

Spec = dict[str, Any]
FONT = "Noto Sans CJK SC, DejaVu Sans, sans-serif"
PALETTE = ["#2f6f4f", "#c77d2e", "#3f6fb0", "#9b4f96", "#b3261e", "#6b7a2a"]


def _finish(chart: Any) -> Spec:
    spec: Spec = chart.properties(width="container", height=220).configure(font=FONT).to_dict()
    return spec


def _long(dataset: Dataset, index: str, series: list[str]) -> list[dict[str, Any]]:
    """Wide rows to one row per (index, series) for a coloured chart; unknown values are left out."""
    headings = {name: str(heading) for name, heading in dataset.columns}
    return [
        {"x": row[index], "series": headings[name], "value": row[name]}
        for row in dataset.rows
        for name in series
        if row.get(name) is not None
    ]


def chart_for(dataset: Dataset) -> Spec:
    headings = {name: str(heading) for name, heading in dataset.columns}
    colour = alt.Color("series:N", title=None, scale=alt.Scale(range=PALETTE), legend=alt.Legend(orient="bottom"))
    if dataset.key == "followers":
        values = [{"x": row["day"], "series": row["network"], "value": row["followers"]} for row in dataset.rows]
        chart = (
            alt.Chart(alt.InlineData(values=values))
            .mark_line(point=True)
            .encode(
                x=alt.X("x:T", title=headings["day"]),
                y=alt.Y("value:Q", title=headings["followers"], scale=alt.Scale(zero=False)),
                color=colour,
            )
        )
        return _finish(chart)
    if dataset.key in {"engagement", "sentiment"}:
        series = (
            ["reactions", "comments", "shares", "saves"]
            if dataset.key == "engagement"
            else ["positive", "neutral", "negative"]
        )
        chart = (
            alt.Chart(alt.InlineData(values=_long(dataset, "day", series)))
            .mark_bar()
            .encode(
                x=alt.X("x:T", title=headings["day"]),
                y=alt.Y("value:Q", title=None, stack=True),
                color=colour,
            )
        )
        return _finish(chart)
    if dataset.key in {"landing_pages", "audience"}:
        if dataset.key == "landing_pages":
            values = [{"x": row["page"], "value": row["sessions"]} for row in dataset.rows[:15]]
            measure = headings["sessions"]
        else:
            values = [{"x": f"{row['kind']}: {row['value']}", "value": row["share"]} for row in dataset.rows]
            measure = headings["share"]
        chart = (
            alt.Chart(alt.InlineData(values=values))
            .mark_bar(color=PALETTE[2])
            .encode(y=alt.Y("x:N", title=None, sort=None), x=alt.X("value:Q", title=measure))
        )
        return _finish(chart)
    if dataset.key == "share_of_voice":
        values = [{"x": row["topic"], "value": row["mentions"]} for row in dataset.rows]
        measure = headings["mentions"]
    else:
        values = [
            {"x": row["group"], "value": row["engagements"]} for row in dataset.rows if row["engagements"] is not None
        ]
        measure = headings["engagements"]
    chart = (
        alt.Chart(alt.InlineData(values=values))
        .mark_bar(color=PALETTE[0])
        .encode(
            y=alt.Y("x:N", title=None, sort="-x"),
            x=alt.X("value:Q", title=measure),
        )
    )
    return _finish(chart)
