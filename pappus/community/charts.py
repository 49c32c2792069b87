"""The community's charts as Vega-Lite specs built with Vega-Altair (drawn by the shared bundle,
``static/vendor/pappus-charts.js``): tone over time, retention cohorts, moves between stages. Labels
arrive translated; the data are aggregates only (no member is named)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
from django.utils.translation import gettext as _

from pappus.community.health import Cohort, ToneWeek

Spec = dict[str, Any]
FONT = "Noto Sans CJK SC, DejaVu Sans, sans-serif"
TONE_COLOURS = ["#2f6f4f", "#9aa4ae", "#b3261e"]
PALETTE = ["#2f6f4f", "#c77d2e", "#3f6fb0", "#9b4f96", "#b3261e", "#6b7a2a"]


def chart_labels() -> dict[str, str]:
    return {
        "positive": _("Positive"),
        "neutral": _("Neutral"),
        "negative": _("Negative"),
        "week": _("Week"),
        "activities": _("Activities"),
        "after": _("Months after joining"),
        "cohort": _("Joined in (members)"),
        "share": _("Active"),
        "members": _("Members"),
    }


def _finish(chart: Any, height: int = 220) -> Spec:
    spec: Spec = chart.properties(width="container", height=height).configure(font=FONT).to_dict()
    return spec


def tone_chart(weeks: Sequence[ToneWeek], labels: Mapping[str, str]) -> Spec:
    """Activities with a sentiment per week, stacked positive / neutral / negative."""
    order = [labels["positive"], labels["neutral"], labels["negative"]]
    values = [
        {"week": week.week.isoformat(), "tone": labels[name], "activities": getattr(week, name)}
        for week in weeks
        for name in ("positive", "neutral", "negative")
    ]
    chart = (
        alt.Chart(alt.InlineData(values=values))
        .mark_bar()
        .encode(
            x=alt.X("week:T", title=labels["week"]),
            y=alt.Y("activities:Q", title=labels["activities"], stack=True),
            color=alt.Color(
                "tone:N",
                title=None,
                scale=alt.Scale(domain=order, range=TONE_COLOURS),
                legend=alt.Legend(orient="bottom"),
            ),
        )
    )
    return _finish(chart)


def cohort_chart(cohorts: Sequence[Cohort], labels: Mapping[str, str]) -> Spec:
    """A heat map: cohort month down, months after across, the share of the cohort active."""
    values = [
        {
            "cohort": f"{cohort.month:%Y-%m} ({cohort.size})",
            "after": index + 1,
            "share": share,
        }
        for cohort in cohorts
        for index, share in enumerate(cohort.retained)
        if share is not None and cohort.size
    ]
    base = alt.Chart(alt.InlineData(values=values)).encode(
        x=alt.X("after:O", title=labels["after"]),
        y=alt.Y("cohort:N", title=labels["cohort"], sort=None),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("share:Q", title=labels["share"], scale=alt.Scale(scheme="greens", domain=[0, 1]))
    )
    text = base.mark_text(baseline="middle").encode(text=alt.Text("share:Q", format=".0%"))
    return _finish(cells + text)


def movement_chart(rows: Sequence[tuple[str, str, str, int]], labels: Mapping[str, str]) -> Spec:
    """Moves between stages per week: (week, from, to, members), one coloured bar part per move."""
    values = [
        {"week": week, "move": f"{labels.get(first, first)} → {labels.get(second, second)}", "members": number}
        for week, first, second, number in rows
    ]
    chart = (
        alt.Chart(alt.InlineData(values=values))
        .mark_bar()
        .encode(
            x=alt.X("week:T", title=labels["week"]),
            y=alt.Y("members:Q", title=labels["members"], stack=True),
            color=alt.Color("move:N", title=None, scale=alt.Scale(range=PALETTE), legend=alt.Legend(orient="bottom")),
        )
    )
    return _finish(chart)


def score_labels() -> dict[str, str]:
    return {
        "reach": _("Reach"),
        "engagement": _("Engagement"),
        "relevance": _("Relevance"),
        "sentiment": _("Sentiment towards the brand"),
        "audience": _("Audience overlap"),
        "score": _("Score"),
    }


def score_chart(leaders: Sequence[Any], labels: Mapping[str, str]) -> Spec:
    """The top leaders' scores as stacked bars of their weighted parts (before any bot-signal cut)."""
    values = [
        {
            "leader": f"{leader.network}: {leader.handle}",
            "part": labels.get(part["part"], part["part"]),
            "points": round(part["value"] * part["weight"], 4),
        }
        for leader in leaders
        for part in leader.score_parts
    ]
    chart = (
        alt.Chart(alt.InlineData(values=values))
        .mark_bar()
        .encode(
            y=alt.Y("leader:N", title=None, sort=None),
            x=alt.X("points:Q", title=labels["score"], stack=True),
            color=alt.Color("part:N", title=None, scale=alt.Scale(range=PALETTE), legend=alt.Legend(orient="bottom")),
        )
    )
    return _finish(chart, height=max(120, 22 * len(leaders)))
