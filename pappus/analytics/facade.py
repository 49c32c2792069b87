"""What other apps may ask of analytics: a metric's value over a range of days (the workspace's, in its
time zone), for the workspace, some regions, or the posts of some campaigns (strategy records its
KPIs' actual values from here), followers per network (strategy's measured audience profile), and a
campaign's posts' figures per day and network with the traffic through their tracked links
(strategy's dashboards per campaign and program).

Plain frozen dataclasses; no model instances leave the app. Every call is scoped to one workspace.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from django.db import connection
from django.db.models import F, Max, Window
from django.db.models.functions import RowNumber, TruncDate

from pappus.analytics import kpis
from pappus.analytics.models import POST_METRICS, PostSnapshot
from pappus.analytics.rollups import day_start, zone_of
from pappus.publishing import facade as publishing_facade
from pappus.traffic import facade as traffic_facade

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
        found = snapshots.filter(pk__in=_last_snapshots_before(post_ids, before)).values("variant_id", *POST_METRICS)
        return {row["variant_id"]: row for row in found}

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
            zone = zone_of(workspace_id)
            totals = _counter_totals(
                workspace_id,
                post_ids,
                start=day_start(first_day, zone),
                end=day_start(last_day + datetime.timedelta(days=1), zone),
            )
            value = _post_metric(metric, totals)
        return MetricValue(metric, value, first_day, last_day, "campaigns", len(post_ids))
    scope = kpis.Scope.of_workspace(
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
    scope = kpis.Scope.of_workspace(
        workspace_id, day, day, region_ids=tuple(region_ids) if region_ids is not None else None
    )
    totals: dict[str, int] = {}
    for (network, _account), count in kpis.followers_at(scope, day).items():
        totals[network] = totals.get(network, 0) + count
    return dict(sorted(totals.items(), key=lambda item: (-item[1], item[0])))


# --- a campaign's (or a program's) posts over a range of days -----------------------------------

CAMPAIGN_COUNTERS = ("impressions", "reach", "reactions", "comments", "shares", "saves", "video_views", "link_clicks")


@dataclass(frozen=True)
class PostFigures:
    """What the networks counted for some posts over the days: the growth of each counter (None
    when no snapshot reported it). ``engagements`` = reactions + comments + shares + saves;
    ``clicks`` = link clicks the networks report."""

    impressions: int | None
    reach: int | None
    engagements: int | None
    clicks: int | None
    video_views: int | None

    @property
    def engagement_rate(self) -> float | None:
        """Engagements / impressions x 100 (None without impressions)."""
        if self.engagements is None or not self.impressions:
            return None
        return self.engagements / self.impressions * 100


@dataclass(frozen=True)
class CampaignDay:
    """The growth of the campaign's posts' counters on one day (the workspace's)."""

    day: datetime.date
    figures: PostFigures


@dataclass(frozen=True)
class CampaignFigures:
    """A campaign's (or several campaigns') posts from ``first_day`` to ``last_day`` (the workspace's days).

    ``posts``: posts linked to the campaigns (publishing's ``campaign_id``); ``variants``: their
    variants with snapshots. ``totals`` equal :func:`metric_value`'s post metrics over the same days.
    ``landing_pages``: visits through the tracked links of those posts (the traffic pixel; imported
    web analytics do not say which post a session came from), with ``sessions`` and
    ``conversions`` their sums."""

    first_day: datetime.date
    last_day: datetime.date
    posts: int
    variants: int
    totals: PostFigures
    by_network: tuple[tuple[str, PostFigures], ...]
    daily: tuple[CampaignDay, ...]
    landing_pages: tuple[traffic_facade.LandingPageFigures, ...]

    @property
    def sessions(self) -> int:
        return sum(page.referral_sessions for page in self.landing_pages)

    @property
    def conversions(self) -> int:
        return sum(page.referral_conversions for page in self.landing_pages)

    @property
    def conversion_rate(self) -> float | None:
        """Conversions / sessions x 100 of the visits through the posts' tracked links."""
        return self.conversions / self.sessions * 100 if self.sessions else None


def _figures(values: dict[str, int | None]) -> PostFigures:
    return PostFigures(
        impressions=values["impressions"],
        reach=values["reach"],
        engagements=kpis.engagements_of(values),
        clicks=values["link_clicks"],
        video_views=values["video_views"],
    )


def _growth(
    rows: dict[int, dict[str, int | None]], before: dict[int, dict[str, int | None]], variants: Sequence[int]
) -> dict[str, int | None]:
    """Per counter, the sum over ``variants`` of (counter in ``rows`` - counter in ``before``);
    None for a counter that no variant of ``rows`` reported."""
    found: dict[str, int | None] = {}
    for name in CAMPAIGN_COUNTERS:
        reported = [rows[variant][name] for variant in variants if variant in rows and rows[variant][name] is not None]
        if not reported:
            found[name] = None
            continue
        earlier = sum(int(before[variant][name] or 0) for variant in variants if variant in rows and variant in before)
        found[name] = int(sum(v or 0 for v in reported)) - earlier
    return found


_POSTS_PER_PROBE = 5000  # post ids per statement: far under SQLite's 32,766 parameters


def _last_snapshots_before(post_ids: Sequence[int], moment: datetime.datetime) -> list[int]:
    """The ids of each variant's last snapshot before ``moment``, for every variant of the posts.

    Found by index probes, never by reading every earlier snapshot: the posts' variants one after
    the other on the (post, variant) index (a recursive query: the smallest variant id of a post,
    then the next larger one, ...), then each variant's last hour before ``moment`` on the unique
    (variant, hour) index. The same SQL on SQLite and PostgreSQL; the caller scopes the rows read
    by these ids to the workspace."""
    table = connection.ops.quote_name(PostSnapshot._meta.db_table)
    when = connection.ops.adapt_datetimefield_value(moment)
    found: list[int] = []
    for offset in range(0, len(post_ids), _POSTS_PER_PROBE):
        chunk = [int(post_id) for post_id in post_ids[offset : offset + _POSTS_PER_PROBE]]
        sql = (
            f"WITH RECURSIVE posts (id) AS (VALUES {', '.join(['(%s)'] * len(chunk))}), "  # noqa: S608 - placeholders only
            "pairs (post_id, variant_id) AS ("
            f"SELECT posts.id, (SELECT MIN(s.variant_id) FROM {table} s WHERE s.post_id = posts.id) FROM posts "
            "UNION ALL "
            f"SELECT pairs.post_id, (SELECT MIN(s.variant_id) FROM {table} s "
            "WHERE s.post_id = pairs.post_id AND s.variant_id > pairs.variant_id) "
            "FROM pairs WHERE pairs.variant_id IS NOT NULL) "
            f"SELECT (SELECT s.id FROM {table} s WHERE s.variant_id = pairs.variant_id AND s.hour < %s "
            "ORDER BY s.hour DESC LIMIT 1) FROM pairs WHERE pairs.variant_id IS NOT NULL"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*chunk, when])
            found.extend(int(row[0]) for row in cursor.fetchall() if row[0] is not None)
    return found


class _Running:
    """The sums over variants of each counter's latest value (None counted as 0), and how many
    variants report it: a day's growth is the change of a sum, None while no variant reports it."""

    def __init__(self, latest: dict[int, dict[str, int | None]]) -> None:
        self.sums = dict.fromkeys(CAMPAIGN_COUNTERS, 0)
        self.reporting = dict.fromkeys(CAMPAIGN_COUNTERS, 0)
        for values in latest.values():
            self.add(values, 1)

    def add(self, values: dict[str, int | None], sign: int) -> None:
        for name in CAMPAIGN_COUNTERS:
            value = values[name]
            if value is not None:
                self.sums[name] += sign * int(value)
                self.reporting[name] += sign


def campaign_figures(
    workspace_id: int, campaign_ids: Sequence[int], *, first_day: datetime.date, last_day: datetime.date
) -> CampaignFigures:
    """The posts of the campaigns over the days: the counters' growth in all, per network and per
    day, and the visits and conversions through their tracked links.

    Reads each variant's last snapshot before the first day (by index probes, see
    :func:`_last_snapshots_before`) and its last snapshot of every day of the range (one read of
    the range's snapshots, ranked per variant and day by the database), never every earlier row."""
    post_ids = publishing_facade.post_ids_of_campaigns(workspace_id, campaign_ids)
    days = [first_day + datetime.timedelta(days=offset) for offset in range((last_day - first_day).days + 1)]
    empty = PostFigures(None, None, None, None, None)
    if not post_ids:
        return CampaignFigures(first_day, last_day, 0, 0, empty, (), tuple(CampaignDay(day, empty) for day in days), ())
    zone = zone_of(workspace_id)
    start, end = day_start(first_day, zone), day_start(last_day + datetime.timedelta(days=1), zone)
    snapshots = PostSnapshot.objects.for_workspace(workspace_id)
    fields = ("variant_id", "network", "hour", *CAMPAIGN_COUNTERS)

    network_of: dict[int, str] = {}
    baseline: dict[int, dict[str, int | None]] = {}
    for row in snapshots.filter(pk__in=_last_snapshots_before(post_ids, start)).values(*fields):
        network_of[row["variant_id"]] = row["network"]
        baseline[row["variant_id"]] = {name: row[name] for name in CAMPAIGN_COUNTERS}
    # Each variant's last snapshot of each day of the range (the workspace's days).
    local = TruncDate("hour", tzinfo=zone)
    daily_last = (
        snapshots.filter(post_id__in=list(post_ids), hour__gte=start, hour__lt=end)
        .annotate(rank=Window(RowNumber(), partition_by=[F("variant_id"), local], order_by=F("hour").desc()))
        .filter(rank=1)
        .values(*fields)
    )
    on_day: dict[datetime.date, dict[int, dict[str, int | None]]] = {}
    for row in daily_last:
        network_of[row["variant_id"]] = row["network"]
        day = row["hour"].astimezone(zone).date()
        on_day.setdefault(day, {})[row["variant_id"]] = {name: row[name] for name in CAMPAIGN_COUNTERS}
    variants = sorted(network_of)
    # Each day's counters carried forward: a variant's value at the end of a day is its last known
    # one, so a day's growth is the change of the sums over variants (a variant first seen that day
    # counts in full; a counter no variant reports yet is None).
    current = dict(baseline)
    running = _Running(current)
    series = []
    for day in days:
        sums_before = dict(running.sums)
        for variant, values in on_day.get(day, {}).items():
            if variant in current:
                running.add(current[variant], -1)
            running.add(values, 1)
            current[variant] = values
        growth = {
            name: running.sums[name] - sums_before[name] if running.reporting[name] else None
            for name in CAMPAIGN_COUNTERS
        }
        series.append(CampaignDay(day, _figures(growth)))
    at_end = current
    totals = _figures(_growth(at_end, baseline, variants))
    networks = sorted({network_of[variant] for variant in variants if variant in at_end})
    by_network = tuple(
        (
            network,
            _figures(_growth(at_end, baseline, [variant for variant in variants if network_of[variant] == network])),
        )
        for network in networks
    )
    pages = traffic_facade.landing_pages(
        workspace_id, first_day=first_day, last_day=last_day, campaign_post_ids=post_ids, time_zone=zone
    )
    return CampaignFigures(
        first_day, last_day, len(post_ids), len(variants), totals, by_network, tuple(series), tuple(pages)
    )


# --- for adoption: regions compared per audience, and analysts' reports delivered on time -----------


@dataclass(frozen=True)
class PostAudience:
    """A post's engagements (reactions + comments + shares + saves) and impressions by its variants' latest
    snapshots, and the followers of the accounts its variants went out on (None: no counter reported)."""

    post_id: int
    engagements: int | None
    impressions: int | None
    followers: int


def post_audience(workspace_id: int, post_ids: Sequence[int], *, day: datetime.date) -> dict[int, PostAudience]:
    """Each of ``post_ids``' figures up to the end of ``day`` and its accounts' followers on that day (adoption
    compares regions' posts per 1,000 followers); posts without snapshots are absent."""
    snapshots = PostSnapshot.objects.for_workspace(workspace_id).filter(
        post_id__in=list(post_ids), hour__lt=day_start(day + datetime.timedelta(days=1), zone_of(workspace_id))
    )
    last = dict(snapshots.values("variant_id").annotate(last=Max("hour")).order_by().values_list("variant_id", "last"))
    if not last:
        return {}
    followers = kpis.followers_at(kpis.Scope.of_workspace(workspace_id, day, day), day)
    totals: dict[int, dict[str, Any]] = {}
    for row in snapshots.filter(variant_id__in=list(last), hour__in=set(last.values())).values(
        "variant_id", "post_id", "network", "account_id", "hour", *POST_METRICS
    ):
        if last.get(row["variant_id"]) != row["hour"]:
            continue
        entry = totals.setdefault(row["post_id"], {"accounts": set(), **dict.fromkeys(POST_METRICS)})
        entry["accounts"].add((row["network"], row["account_id"]))
        for name in POST_METRICS:
            if row[name] is not None:
                entry[name] = (entry[name] or 0) + int(row[name])
    return {
        post_id: PostAudience(
            post_id=post_id,
            engagements=kpis.engagements_of(entry),
            impressions=entry["impressions"],
            followers=sum(followers.get(account, 0) for account in entry["accounts"]),
        )
        for post_id, entry in totals.items()
    }


@dataclass(frozen=True)
class ScheduledReportDelivery:
    """A scheduled report of a period: when it was delivered (its last generation or delivery attempt), or
    None when it was not (failed, still being made, or no recipient)."""

    schedule_id: int
    last_day: datetime.date
    delivered_at: datetime.datetime | None


def scheduled_report_deliveries(
    workspace_id: int, *, first_day: datetime.date, last_day: datetime.date
) -> tuple[ScheduledReportDelivery, ...]:
    """Scheduled reports whose period ends in ``first_day`` … ``last_day`` (adoption's reports-on-time KPI)."""
    from pappus.analytics.models import Report, ReportStatus

    rows = (
        Report.objects.for_workspace(workspace_id)
        .filter(schedule__isnull=False, last_day__gte=first_day, last_day__lte=last_day)
        .order_by("last_day", "pk")
        .values_list("schedule_id", "last_day", "status", "generated_at", "attempted_at")
    )
    return tuple(
        ScheduledReportDelivery(
            schedule_id=int(schedule_id),
            last_day=period_end,
            delivered_at=max(moment for moment in (generated_at, attempted_at) if moment is not None)
            if status == ReportStatus.DELIVERED and (generated_at or attempted_at)
            else None,
        )
        for schedule_id, period_end, status, generated_at, attempted_at in rows
    )
