"""The alert chart: the rule's series in the week before the alert, what the detector expected,
and the alert's hour marked. A Vega-Lite spec built with Vega-Altair, drawn in the browser by the
shared bundle (``pappus.core.charts``). Labels arrive already translated."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt

Spec = dict[str, Any]
FONT = "Noto Sans CJK SC, DejaVu Sans, sans-serif"


def alert_chart(series: Sequence[Mapping[str, Any]], *, alert_hour: str, labels: Mapping[str, str]) -> Spec:
    rows = [{"hour": row["hour"], "series": labels["value"], "value": row["value"]} for row in series] + [
        {"hour": row["hour"], "series": labels["expected"], "value": row["expected"]}
        for row in series
        if row.get("expected") is not None
    ]
    colour = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=[labels["value"], labels["expected"]], range=["#2f6f4f", "#9aa4ae"]),
        legend=alt.Legend(orient="bottom"),
    )
    lines = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("hour:T", title=labels["hour"]),
            y=alt.Y("value:Q", title=labels["axis"]),
            color=colour,
        )
    )
    marker = (
        alt.Chart(alt.InlineData(values=[{"hour": alert_hour}]))
        .mark_rule(color="#b3261e", strokeWidth=2)
        .encode(x="hour:T")
    )
    spec: Spec = alt.layer(lines, marker).properties(width="container", height=240).configure(font=FONT).to_dict()
    return spec
