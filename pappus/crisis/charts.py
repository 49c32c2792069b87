"""The alert chart: the rule's series in the week before the alert, what the detector expected,
and the alert's hour marked. A Vega-Lite spec built with Vega-Altair, drawn in the browser by the
shared bundle (``pappus.core.charts``) and rendered as PNG for the alert e-mail.

Times are shown in a given time zone (the reader's on the page, the workspace's in e-mails): each
hour is converted to that zone's wall-clock time and the x axis uses a UTC scale over those wall
times, so the browser's (or the renderer's) own time zone never shifts them. The axis title names
the zone."""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Mapping, Sequence
from typing import Any

import altair as alt
from django.utils.translation import gettext as _

from pappus.core import charts as core_charts

Spec = dict[str, Any]
FONT = "Noto Sans CJK SC, DejaVu Sans, sans-serif"


def wall_time(moment: str, zone: datetime.tzinfo) -> str:
    """An ISO instant as the wall-clock time in ``zone``, written as if it were UTC (for a UTC scale)."""
    instant = datetime.datetime.fromisoformat(moment)
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=datetime.UTC)
    local = instant.astimezone(zone).replace(tzinfo=None)
    return local.isoformat(timespec="minutes") + "Z"


def zone_of(name: str | datetime.tzinfo) -> datetime.tzinfo:
    if isinstance(name, datetime.tzinfo):
        return name
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return datetime.UTC


def zone_name(zone: datetime.tzinfo) -> str:
    return str(getattr(zone, "key", None) or zone.tzname(None) or "UTC")


def alert_chart(
    series: Sequence[Mapping[str, Any]],
    *,
    alert_hour: str,
    labels: Mapping[str, str],
    time_zone: str | datetime.tzinfo = "UTC",
) -> Spec:
    zone = zone_of(time_zone)
    rows = [{"hour": wall_time(row["hour"], zone), "series": labels["value"], "value": row["value"]} for row in series]
    rows += [
        {"hour": wall_time(row["hour"], zone), "series": labels["expected"], "value": row["expected"]}
        for row in series
        if row.get("expected") is not None
    ]
    colour = alt.Color(
        "series:N",
        title=None,
        scale=alt.Scale(domain=[labels["value"], labels["expected"]], range=["#2f6f4f", "#9aa4ae"]),
        legend=alt.Legend(orient="bottom"),
    )
    x_scale = alt.Scale(type="utc")
    lines = (
        alt.Chart(alt.InlineData(values=rows))
        .mark_line(interpolate="step-after")
        .encode(
            x=alt.X("hour:T", title=labels["hour"], scale=x_scale, axis=alt.Axis(format="%a %d %H:%M")),
            y=alt.Y("value:Q", title=labels["axis"]),
            color=colour,
        )
    )
    marker = (
        alt.Chart(alt.InlineData(values=[{"hour": wall_time(alert_hour, zone)}]))
        .mark_rule(color="#b3261e", strokeWidth=2)
        .encode(x=alt.X("hour:T", scale=x_scale))
    )
    spec: Spec = alt.layer(lines, marker).properties(width="container", height=240).configure(font=FONT).to_dict()
    return spec


def alert_labels(*, negative_share: bool, time_zone: str | datetime.tzinfo) -> dict[str, str]:
    """The chart's labels in the active language; the x axis names the time zone it shows."""
    return {
        "value": _("Negative share") if negative_share else _("Mentions per hour"),
        "expected": _("Expected"),
        "hour": _("Hour (%(zone)s)") % {"zone": zone_name(zone_of(time_zone))},
        "axis": _("Share") if negative_share else _("Mentions"),
    }


def alert_png(
    series: Sequence[Mapping[str, Any]], *, alert_hour: str, negative_share: bool, time_zone: str | datetime.tzinfo
) -> bytes:
    """The chart as PNG for the e-mail: a fixed width (e-mail clients have no container to fill)."""
    spec = alert_chart(
        series,
        alert_hour=alert_hour,
        labels=alert_labels(negative_share=negative_share, time_zone=time_zone),
        time_zone=time_zone,
    )
    spec["width"] = 640
    return core_charts.to_png(spec, scale=1.5)
