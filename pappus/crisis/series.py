"""The one adapter between crisis and listening: a rule's hourly series from listening's facade.

Only :mod:`pappus.listening.facade` is used (``mention_series``, zero-filled hours from the
rollups). Volume is all mentions of the rule's topic (and region); negative share is the
negative mentions' series over the same total.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from urllib.parse import urlencode

from pappus.listening import facade

HOUR = datetime.timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class RuleSeries:
    """Hourly points: ``values`` are mentions (volume) or negative mentions (share, of ``totals``)."""

    hours: tuple[datetime.datetime, ...]
    values: tuple[float, ...]
    totals: tuple[float, ...] | None


def rule_series(
    workspace_id: int,
    *,
    topic_id: int | None,
    region_id: int | None,
    negative_share: bool,
    since: datetime.datetime,
    until: datetime.datetime,
) -> RuleSeries:
    regions = (region_id,) if region_id else ()
    total = facade.mention_series(workspace_id, since=since, until=until, topic_id=topic_id, region_ids=regions)
    hours = tuple(point.start for point in total.points)
    totals = tuple(float(point.count) for point in total.points)
    if not negative_share:
        return RuleSeries(hours, totals, None)
    negative = facade.mention_series(
        workspace_id, since=since, until=until, topic_id=topic_id, region_ids=regions, sentiments=("negative",)
    )
    return RuleSeries(hours, tuple(float(point.count) for point in negative.points), totals)


def mentions_filter(
    *, topic_id: int | None, region_id: int | None, negative_share: bool, start: datetime.datetime
) -> dict[str, object]:
    """The listening search (the mentions page's query parameters) that lists an alert's mentions.

    The mentions page filters by day, so the filter covers the alert's day; ``region`` is kept for
    the record (the page has no region filter yet)."""
    query: dict[str, object] = {"date_from": start.date().isoformat(), "date_to": start.date().isoformat()}
    if topic_id:
        query["topic"] = [topic_id]
    if negative_share:
        query["sentiment"] = ["negative"]
    if region_id:
        query["region"] = region_id
    return query


QUERY_ORDER = ("date_from", "date_to", "topic", "sentiment")


def mentions_query_string(query: dict[str, object]) -> str:
    """The mentions page's query string, in a fixed order (PostgreSQL's JSON does not keep one)."""
    return urlencode([(key, query[key]) for key in QUERY_ORDER if key in query], doseq=True)
