"""Charts of the ads pages: Vega-Lite specs built with Vega-Altair, drawn by the shared bundle."""

from __future__ import annotations

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
