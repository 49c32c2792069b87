"""The strategy's charts as Vega-Lite specs built with Vega-Altair: a KPI's actuals against its
plan with the forecast, a campaign's funnel, and budgets. The same spec is drawn in the browser
and rendered to SVG for the PDF (``pappus.core.charts``). Labels arrive already translated."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

import altair as alt

from pappus.strategy import metrics

Spec = dict[str, Any]
FONT = "Noto Sans CJK SC, DejaVu Sans, sans-serif"
PALETTE = {"actual": "#2f6f4f", "plan": "#9aa4ae", "forecast": "#c26a1b"}


def _config(chart: alt.TopLevelMixin, *, width: int | str, height: int) -> Spec:
    spec: Spec = chart.properties(width=width, height=height).configure(font=FONT).to_dict()
    return spec


def kpi_chart(
    *,
    plan: metrics.KpiPlan,
    points: Sequence[metrics.Point],
    forecast: metrics.Forecast,
    labels: dict[str, str],
    width: int | str = "container",
) -> Spec:
    """Recorded values (line and dots), the planned straight line, and the forecast to the deadline
    with its 95 % interval when there is one. ``labels``: actual, plan, forecast, date, value."""
    rows: list[dict[str, Any]] = [
        {"date": point.on.isoformat(), "value": point.value, "series": labels["actual"]} for point in points
    ]
    rows += [
        {"date": plan.starts_on.isoformat(), "value": plan.baseline, "series": labels["plan"]},
        {"date": plan.deadline.isoformat(), "value": plan.target, "series": labels["plan"]},
    ]
    if forecast.value is not None and points:
        last = max(points, key=lambda point: point.on)
        rows += [
            {"date": last.on.isoformat(), "value": last.value, "series": labels["forecast"]},
            {
                "date": forecast.on.isoformat(),
                "value": forecast.value,
                "low": forecast.low,
                "high": forecast.high,
                "series": labels["forecast"],
            },
        ]
    colour = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(
            domain=[labels["actual"], labels["plan"], labels["forecast"]],
            range=[PALETTE["actual"], PALETTE["plan"], PALETTE["forecast"]],
        ),
        legend=alt.Legend(orient="bottom"),
    )
    base = alt.Chart(alt.InlineData(values=rows)).encode(
        x=alt.X("date:T", title=labels["date"]),
        y=alt.Y("value:Q", title=labels["value"]),
        color=colour,
        strokeDash=alt.condition(alt.datum.series == labels["actual"], alt.value([1, 0]), alt.value([5, 4])),
    )
    layers = [base.mark_line(point=True)]
    if forecast.low is not None:
        layers.append(
            alt.Chart(alt.InlineData(values=[r for r in rows if "low" in r]))
            .mark_rule(color=PALETTE["forecast"], strokeWidth=2)
            .encode(x="date:T", y="low:Q", y2="high:Q")
        )
    return _config(alt.layer(*layers), width=width, height=220)


def funnel_chart(
    steps: Sequence[metrics.FunnelStep], *, stage_labels: dict[str, str], width: int | str = "container"
) -> Spec:
    """Horizontal bars per funnel stage with the conversion from the stage before as text."""
    rows = [
        {
            "stage": stage_labels.get(step.stage, step.stage),
            "order": index,
            "value": step.value or 0,
            "label": (
                f"{step.value:,.0f}" + (f"  ({step.conversion * 100:.1f} %)" if step.conversion is not None else "")
                if step.value is not None
                else "—"
            ),
        }
        for index, step in enumerate(steps)
    ]
    base = alt.Chart(alt.InlineData(values=rows)).encode(
        y=alt.Y("stage:N", sort=alt.EncodingSortField("order"), title=None),
        x=alt.X("value:Q", title=None, scale=alt.Scale(type="symlog")),
    )
    bars = base.mark_bar(color=PALETTE["actual"])
    text = base.mark_text(align="left", dx=4, color="#1d2733").encode(text="label:N")
    return _config(alt.layer(bars, text), width=width, height=34 * max(len(rows), 1))


def budget_chart(
    rows: Sequence[tuple[str, float, float, float]], *, labels: dict[str, str], width: int | str = "container"
) -> Spec:
    """Planned, committed and spent per campaign. ``rows``: (campaign, planned, committed, spent)."""
    data = [
        {"campaign": name, "kind": labels[kind], "amount": amount}
        for name, planned, committed, spent in rows
        for kind, amount in (("planned", planned), ("committed", committed), ("spent", spent))
    ]
    chart = (
        alt.Chart(alt.InlineData(values=data))
        .mark_bar()
        .encode(
            y=alt.Y("campaign:N", title=None),
            yOffset=alt.YOffset("kind:N", sort=[labels["planned"], labels["committed"], labels["spent"]]),
            x=alt.X("amount:Q", title=labels["amount"]),
            color=alt.Color(
                "kind:N",
                title=None,
                sort=[labels["planned"], labels["committed"], labels["spent"]],
                scale=alt.Scale(range=["#9aa4ae", "#c26a1b", "#2f6f4f"]),
                legend=alt.Legend(orient="bottom"),
            ),
        )
    )
    return _config(chart, width=width, height=max(60, 48 * len(rows)))


def today() -> datetime.date:
    return datetime.date.today()  # noqa: DTZ011 - callers pass the workspace's date when it matters


def share_of_voice_chart(
    daily: Sequence[tuple[datetime.date, str, int]], *, labels: dict[str, str], width: int | str = "container"
) -> Spec:
    """Mentions per day of the brand and each competitor, stacked to 100 %: each band is a party's
    share of voice that day. ``labels``: date, share."""
    data = [{"date": day.isoformat(), "party": party, "mentions": mentions} for day, party, mentions in daily]
    chart = (
        alt.Chart(alt.InlineData(values=data))
        .mark_area()
        .encode(
            x=alt.X("date:T", title=labels["date"]),
            y=alt.Y("mentions:Q", stack="normalize", title=labels["share"], axis=alt.Axis(format="%")),
            color=alt.Color("party:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=["date:T", "party:N", "mentions:Q"],
        )
    )
    return _config(chart, width=width, height=200)


def mentions_chart(
    daily: Sequence[tuple[datetime.date, str, int]], *, labels: dict[str, str], width: int | str = "container"
) -> Spec:
    """Mentions per day stacked by sentiment. ``daily``: (day, sentiment key, mentions);
    ``labels``: date, mentions, and one per sentiment key ("positive", "neutral", "negative", "")."""
    order = [labels[key] for key in ("positive", "neutral", "negative", "")]
    data = [
        {"date": day.isoformat(), "sentiment": labels[sentiment], "mentions": mentions}
        for day, sentiment, mentions in daily
    ]
    chart = (
        alt.Chart(alt.InlineData(values=data))
        .mark_bar()
        .encode(
            x=alt.X("date:T", title=labels["date"]),
            y=alt.Y("mentions:Q", stack="zero", title=labels["mentions"]),
            color=alt.Color(
                "sentiment:N",
                title=None,
                sort=order,
                scale=alt.Scale(domain=order, range=["#2f6f4f", "#9aa4ae", "#b23b3b", "#d9dde1"]),
                legend=alt.Legend(orient="bottom"),
            ),
            tooltip=["date:T", "sentiment:N", "mentions:Q"],
        )
    )
    return _config(chart, width=width, height=200)


def daily_chart(
    rows: Sequence[tuple[datetime.date, str, float | None]], *, labels: dict[str, str], width: int | str = "container"
) -> Spec:
    """One line per measure over the days. ``rows``: (day, measure, value); ``labels``: date, value."""
    data = [
        {"date": day.isoformat(), "measure": measure, "value": value}
        for day, measure, value in rows
        if value is not None
    ]
    chart = (
        alt.Chart(alt.InlineData(values=data))
        .mark_line(point=True)
        .encode(
            x=alt.X("date:T", title=labels["date"]),
            y=alt.Y("value:Q", title=labels["value"]),
            color=alt.Color("measure:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=["date:T", "measure:N", "value:Q"],
        )
    )
    return _config(chart, width=width, height=220)


def grouped_bars_chart(
    rows: Sequence[tuple[str, str, float | None]], *, labels: dict[str, str], width: int | str = "container"
) -> Spec:
    """Bars per group (a network, a campaign), one per measure. ``rows``: (group, measure, value);
    ``labels``: value."""
    data = [{"group": group, "measure": measure, "value": value} for group, measure, value in rows if value is not None]
    groups = list(dict.fromkeys(group for group, _measure, _value in rows))
    chart = (
        alt.Chart(alt.InlineData(values=data))
        .mark_bar()
        .encode(
            y=alt.Y("group:N", title=None, sort=groups),
            yOffset=alt.YOffset("measure:N"),
            x=alt.X("value:Q", title=labels["value"]),
            color=alt.Color("measure:N", title=None, legend=alt.Legend(orient="bottom")),
            tooltip=["group:N", "measure:N", "value:Q"],
        )
    )
    return _config(chart, width=width, height=max(80, 54 * len(groups)))
