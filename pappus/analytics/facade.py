"""What other apps may ask of analytics: a metric's value over a range of UTC days, for the
workspace, some regions, or the posts of some campaigns (strategy records its KPIs' actual values
from here), and followers per network (strategy's measured audience profile).

Plain frozen dataclasses; no model instances leave the app. Every call is scoped to one workspace.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from django.db.models import Max

from pappus.analytics import kpis
from pappus.analytics.models import POST_METRICS, PostSnapshot
from pappus.analytics.rollups import day_start
from pappus.publishing import facade as publishing_facade

# Strategy's metric keys that analytics measures, and how.
POST_METRIC_KEYS = ("reach", "impressions", "engagement", "engagement_rate", "clicks")
WORKSPACE_METRIC_KEYS = ("followers", "mentions", "share_of_voice", "sentiment", "response_time")
METRIC_KEYS = (*POST_METRIC_KEYS, *WORKSPACE_METRIC_KEYS)


@dataclass(frozen=True)
class MetricValue:
    """A metric over ``first_day`` … ``last_day`` (UTC, inclusive); ``value`` None: no data.

    ``measured_over`` says what the value covers: the posts of the given campaigns ("campaigns"),
    the given regions ("regions") or the whole workspace ("workspace"). Post metrics (reach,
    impressions, engagement, engagement rate, clicks) are always measured over campaigns' posts;
    the others cannot be tied to a campaign and are measured over the regions or the workspace.
    """

    metric: str
    value: float | None
    first_day: datetime.date
    last_day: datetime.date
    measured_over: Literal["campaigns", "regions", "workspace"]
    posts: int = 0


def _counter_totals(
    workspace_id: int, post_ids: Sequence[int], *, start: datetime.datetime, end: datetime.datetime
) -> dict[str, int | None]:
    """Per metric, the sum over the posts' variants of (last counter before ``end`` - last counter
    before ``start``); None for a metric no snapshot reported."""
    snapshots = PostSnapshot.objects.for_workspace(workspace_id).filter(post_id__in=list(post_ids))

    def latest(before: datetime.datetime) -> dict[int, dict[str, Any]]:
        last = dict(
            snapshots.filter(hour__lt=before)
            .values("variant_id")
            .annotate(last=Max("hour"))
            .order_by()
            .values_list("variant_id", "last")
        )
        if not last:
            return {}
        found = snapshots.filter(variant_id__in=list(last), hour__in=set(last.values())).values(
            "variant_id", "hour", *POST_METRICS
        )
        return {row["variant_id"]: row for row in found if last.get(row["variant_id"]) == row["hour"]}

    at_end, at_start = latest(end), latest(start)
    totals: dict[str, int | None] = {}
    for name in POST_METRICS:
        reported = [row[name] for row in at_end.values() if row[name] is not None]
        if not reported:
            totals[name] = None
            continue
        before = sum(int(row[name] or 0) for variant, row in at_start.items() if variant in at_end)
        totals[name] = int(sum(reported)) - before
    return totals


def _post_metric(metric: str, totals: dict[str, int | None]) -> float | None:
    if metric == "reach":
        return float(totals["reach"]) if totals["reach"] is not None else None
    if metric == "impressions":
        return float(totals["impressions"]) if totals["impressions"] is not None else None
    if metric == "clicks":
        return float(totals["link_clicks"]) if totals["link_clicks"] is not None else None
    engaged = kpis.engagements_of(totals)
    if metric == "engagement":
        return float(engaged) if engaged is not None else None
    impressions = totals["impressions"]
    return engaged / impressions * 100 if engaged is not None and impressions else None


def _brand_mentions(scope: kpis.Scope) -> float | None:
    counted = [count for topic, count in kpis.topic_mentions(scope) if topic.kind == "brand"]
    return float(sum(counted)) if counted else None


def metric_value(
    workspace_id: int,
    metric: str,
    *,
    first_day: datetime.date,
    last_day: datetime.date,
    campaign_ids: Sequence[int] = (),
    region_ids: Sequence[int] | None = None,
) -> MetricValue:
    """``metric`` (one of :data:`METRIC_KEYS`) over the days, measured as :class:`MetricValue` says.

    Post metrics: the growth of the counters of the campaigns' posts over the days (None without
    campaigns, linked posts or snapshots). Followers: all accounts at the end of ``last_day``;
    mentions: mentions of brand topics; share of voice, net sentiment (as a percentage) and
    first response time (median hours) as the dashboard defines them (``analytics.kpis``).
    """
    if metric not in METRIC_KEYS:
        raise ValueError(f"analytics does not measure {metric!r}")
    if metric in POST_METRIC_KEYS:
        post_ids = publishing_facade.post_ids_of_campaigns(workspace_id, campaign_ids)
        value = None
        if post_ids:
            totals = _counter_totals(
                workspace_id,
                post_ids,
                start=day_start(first_day),
                end=day_start(last_day + datetime.timedelta(days=1)),
            )
            value = _post_metric(metric, totals)
        return MetricValue(metric, value, first_day, last_day, "campaigns", len(post_ids))
    scope = kpis.Scope(
        workspace_id, first_day, last_day, region_ids=tuple(region_ids) if region_ids is not None else None
    )
    compute = {
        "followers": kpis.followers,
        "mentions": _brand_mentions,
        "share_of_voice": kpis.share_of_voice,
        "sentiment": kpis.net_sentiment,
        "response_time": kpis.first_response_hours,
    }[metric]
    with kpis.shared_reads():
        value = compute(scope)
    return MetricValue(metric, value, first_day, last_day, "regions" if region_ids is not None else "workspace")


def followers_by_network(
    workspace_id: int, *, day: datetime.date, region_ids: Sequence[int] | None = None
) -> dict[str, int]:
    """Followers of the workspace's accounts at the end of ``day``, summed per network."""
    scope = kpis.Scope(workspace_id, day, day, region_ids=tuple(region_ids) if region_ids is not None else None)
    totals: dict[str, int] = {}
    for (network, _account), count in kpis.followers_at(scope, day).items():
        totals[network] = totals.get(network, 0) + count
    return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))
