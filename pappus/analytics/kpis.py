# ruff: noqa: RUF001 - formulas are written with the real minus, times and division signs
"""The KPIs, each defined once here with the formula shown beside its value.

Every KPI is computed for a :class:`Scope` (a workspace, a range of whole days in its time zone, optionally some
regions and networks) from the daily rollups of this app and the facades of listening, inbox and
publishing; never from raw rows of another app. ``evaluate`` gives each value with the previous
period's (the same number of days just before) for comparison.
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any, Literal, cast
from zoneinfo import ZoneInfo

from django.db.models import Max, QuerySet, Sum
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pappus.analytics.models import DailyAccountRollup, DailyPostRollup
from pappus.analytics.rollups import day_start, zone_of
from pappus.core.timezones import zone_named
from pappus.inbox import facade as inbox_facade
from pappus.listening import facade as listening_facade
from pappus.publishing import facade as publishing_facade
from pappus.traffic import facade as traffic_facade

Unit = Literal["count", "percent", "hours"]
_shared: ContextVar[dict[tuple[Any, ...], Any] | None] = ContextVar("analytics_shared_reads", default=None)


@contextmanager
def shared_reads() -> Iterator[None]:
    """Within the block, each read below runs once per scope and arguments (a page asks several KPIs
    and charts for the same totals). Outside it every call reads afresh."""
    token = _shared.set({})
    try:
        yield
    finally:
        _shared.reset(token)


def _shared_read[Result](function: Callable[..., Result]) -> Callable[..., Result]:
    @functools.wraps(function)
    def read(*arguments: Any) -> Result:
        cache = _shared.get()
        if cache is None:
            return function(*arguments)
        key = (function.__name__, *arguments)
        if key not in cache:
            cache[key] = function(*arguments)
        return cast(Result, cache[key])

    return read


ENGAGEMENT_METRICS = ("reactions", "comments", "shares", "saves")


@dataclass(frozen=True)
class Scope:
    """What a dashboard looks at: days ``first_day`` … ``last_day`` (inclusive) of one workspace, in
    ``time_zone`` (the workspace's, as its rollups are; ``of_workspace`` reads it).

    ``region_ids`` None means every region and rows without one; a tuple limits to those regions
    (the dashboard passes a region with its spokes). ``networks`` empty means every network.
    """

    workspace_id: int
    first_day: datetime.date
    last_day: datetime.date
    region_ids: tuple[int, ...] | None = None
    networks: tuple[str, ...] = ()
    time_zone: str = "UTC"  # the workspace's: its days run from local midnight to local midnight

    @classmethod
    def of_workspace(cls, workspace_id: int, first_day: datetime.date, last_day: datetime.date, **rest: Any) -> Scope:
        """A scope in the workspace's own days (its time zone, as the rollups are)."""
        return cls(workspace_id, first_day, last_day, time_zone=str(zone_of(workspace_id)), **rest)

    @property
    def zone(self) -> ZoneInfo:
        return zone_named(self.time_zone)

    @property
    def start(self) -> datetime.datetime:
        return day_start(self.first_day, self.zone)

    @property
    def end(self) -> datetime.datetime:
        return day_start(self.last_day + datetime.timedelta(days=1), self.zone)

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1

    def previous(self) -> Scope:
        """The same number of days just before this period."""
        last = self.first_day - datetime.timedelta(days=1)
        return replace(self, first_day=last - datetime.timedelta(days=self.days - 1), last_day=last)

    def day_list(self) -> list[datetime.date]:
        return [self.first_day + datetime.timedelta(days=offset) for offset in range(self.days)]


def _filtered(rows: QuerySet[Any], scope: Scope) -> QuerySet[Any]:
    if scope.region_ids is not None:
        rows = rows.filter(region_id__in=scope.region_ids)
    if scope.networks:
        rows = rows.filter(network__in=scope.networks)
    return rows


def post_rollups(scope: Scope) -> QuerySet[DailyPostRollup]:
    rows = DailyPostRollup.objects.for_workspace(scope.workspace_id).filter(
        day__gte=scope.first_day, day__lte=scope.last_day
    )
    return _filtered(rows, scope)


def account_rollups(scope: Scope) -> QuerySet[DailyAccountRollup]:
    return _filtered(DailyAccountRollup.objects.for_workspace(scope.workspace_id), scope)


# --- the numbers behind the KPIs ------------------------------------------------------------------


@_shared_read
def followers_at(scope: Scope, day: datetime.date) -> dict[tuple[str, int], int]:
    """Each account's followers at the end of ``day`` (its last rollup on or before it)."""
    rows = account_rollups(scope).filter(day__lte=day, followers__isnull=False)
    latest = rows.values("network", "account_id").annotate(last=Max("day")).order_by()
    pairs = {(row["network"], row["account_id"]): row["last"] for row in latest}
    if not pairs:
        return {}
    # Usually every account's last day is the same day: one indexed read of those days, matched here.
    found = rows.filter(day__in=set(pairs.values())).values_list("network", "account_id", "day", "followers")
    return {
        (network, account_id): int(followers or 0)
        for network, account_id, day, followers in found
        if pairs.get((network, account_id)) == day
    }


def audience_growth(scope: Scope) -> float | None:
    end = followers_at(scope, scope.last_day)
    if not end:
        return None
    before = followers_at(scope, scope.first_day - datetime.timedelta(days=1))
    firsts: dict[tuple[str, int], int] = {}
    missing = [key for key in end if key not in before]
    if missing:
        in_range = (
            account_rollups(scope)
            .filter(day__gte=scope.first_day, day__lte=scope.last_day, followers__isnull=False)
            .order_by("day")
            .values_list("network", "account_id", "followers")
        )
        for network, account_id, followers in in_range:
            firsts.setdefault((network, account_id), int(followers or 0))
    return float(sum(value - before.get(key, firsts.get(key, value)) for key, value in end.items()))


def followers(scope: Scope) -> float | None:
    end = followers_at(scope, scope.last_day)
    return float(sum(end.values())) if end else None


@_shared_read
def post_totals(scope: Scope) -> dict[str, int | None]:
    fields = ("posts_published", "impressions", "reach", "video_views", "link_clicks", *ENGAGEMENT_METRICS)
    found = post_rollups(scope).aggregate(**{name: Sum(name) for name in fields})
    return {name: (int(value) if value is not None else None) for name, value in found.items()}


def engagements_of(values: dict[str, Any]) -> int | None:
    reported = [values[name] for name in ENGAGEMENT_METRICS if values.get(name) is not None]
    return int(sum(reported)) if reported else None


def engagements(scope: Scope) -> float | None:
    value = engagements_of(post_totals(scope))
    return float(value) if value is not None else None


def engagement_rate(scope: Scope) -> float | None:
    totals = post_totals(scope)
    engaged, impressions = engagements_of(totals), totals["impressions"]
    if engaged is None or not impressions:
        return None
    return engaged / impressions * 100


def reach(scope: Scope) -> float | None:
    value = post_totals(scope)["reach"]
    return float(value) if value is not None else None


@_shared_read
def sentiment_counts(scope: Scope) -> dict[str, list[int]]:
    """Mentions per day by sentiment (positive, neutral, negative), from listening's rollups."""
    days = {day: index for index, day in enumerate(scope.day_list())}
    counts = {sentiment: [0] * len(days) for sentiment in ("positive", "neutral", "negative")}
    for row in listening_facade.mention_counts_by_day(
        scope.workspace_id,
        since=scope.start,
        until=scope.end,
        region_ids=scope.region_ids or (),
        time_zone=scope.zone,
    ):
        if row.sentiment in counts and row.day in days:
            counts[row.sentiment][days[row.day]] += row.count
    return counts


def negative_feedback_rate(scope: Scope) -> float | None:
    counts = sentiment_counts(scope)
    analysed = sum(sum(values) for values in counts.values())
    return sum(counts["negative"]) / analysed * 100 if analysed else None


def net_sentiment(scope: Scope) -> float | None:
    counts = sentiment_counts(scope)
    analysed = sum(sum(values) for values in counts.values())
    return (sum(counts["positive"]) - sum(counts["negative"])) / analysed * 100 if analysed else None


@_shared_read
def topic_mentions(scope: Scope) -> list[tuple[listening_facade.TopicInfo, int]]:
    """Mentions of each brand and competitor topic in the period."""
    chosen = [topic for topic in listening_facade.topics(scope.workspace_id) if topic.kind in {"brand", "competitor"}]
    if not chosen:
        return []
    totals: dict[int | None, int] = {}
    for row in listening_facade.mention_counts_by_day(
        scope.workspace_id,
        since=scope.start,
        until=scope.end,
        topic_ids=[topic.id for topic in chosen],
        region_ids=scope.region_ids or (),
        time_zone=scope.zone,
    ):
        totals[row.topic_id] = totals.get(row.topic_id, 0) + row.count
    return [(topic, totals.get(topic.id, 0)) for topic in chosen]


def share_of_voice(scope: Scope) -> float | None:
    counted = topic_mentions(scope)
    brand = sum(count for topic, count in counted if topic.kind == "brand")
    total = sum(count for _topic, count in counted)
    return brand / total * 100 if total and any(topic.kind == "brand" for topic, _ in counted) else None


def _hours(seconds: float | None) -> float | None:
    return seconds / 3600 if seconds is not None else None


@_shared_read
def _response_times(scope: Scope) -> Any:
    # The medians only: PostgreSQL computes them, so a year of conversations is not read row by row.
    return inbox_facade.median_response_times(
        scope.workspace_id, since=scope.start, until=scope.end, region_ids=scope.region_ids, networks=scope.networks
    )


def first_response_hours(scope: Scope) -> float | None:
    return _hours(_response_times(scope).first_response_seconds)


def resolution_hours(scope: Scope) -> float | None:
    return _hours(_response_times(scope).resolution_seconds)


def publishing_reliability(scope: Scope) -> float | None:
    counts = publishing_facade.delivery_counts(
        scope.workspace_id, since=scope.start, until=scope.end, region_ids=scope.region_ids, networks=scope.networks
    )
    return counts.published / counts.finished * 100 if counts.finished else None


def content_coverage(scope: Scope) -> float | None:
    """Reach over followers at the end of the period, in percent: how much of the audience the posts reached."""
    gained, audience = reach(scope), followers(scope)
    return gained / audience * 100 if gained is not None and audience else None


@_shared_read
def landing_pages(scope: Scope) -> list[traffic_facade.LandingPageFigures] | None:
    """Landing pages' visits (pixel and imported web analytics); None for a region (landing pages
    belong to the whole workspace, so a region's view has none)."""
    if scope.region_ids is not None:
        return None
    return traffic_facade.landing_pages(
        scope.workspace_id,
        first_day=scope.first_day,
        last_day=scope.last_day,
        networks=scope.networks,
        time_zone=scope.zone,
    )


def _traffic_total(scope: Scope, name: str) -> int | None:
    pages = landing_pages(scope)
    return sum(getattr(page, name) for page in pages) if pages else None


def referral_sessions(scope: Scope) -> float | None:
    value = _traffic_total(scope, "referral_sessions")
    return float(value) if value is not None else None


def conversions(scope: Scope) -> float | None:
    value = _traffic_total(scope, "conversions")
    return float(value) if value is not None else None


def bounce_rate(scope: Scope) -> float | None:
    sessions, bounces = _traffic_total(scope, "sessions"), _traffic_total(scope, "bounces")
    return bounces / sessions * 100 if sessions and bounces is not None else None


# --- the definitions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kpi:
    key: str
    label: str | Promise
    formula: str | Promise
    unit: Unit
    compute: Callable[[Scope], float | None]
    higher_is_better: bool = True
    filtered_by_network: bool = True
    filtered_by_region: bool = True  # False: a region's view shows — (the figure is the workspace's)


KPIS: tuple[Kpi, ...] = (
    Kpi(
        "audience_growth",
        _("Audience growth"),
        _("Followers at the end of the period − followers at the end of the day before it, summed over accounts"),
        "count",
        audience_growth,
    ),
    Kpi("followers", _("Followers"), _("Followers of all accounts at the end of the period"), "count", followers),
    Kpi(
        "engagements",
        _("Engagements"),
        _("Reactions + comments + shares + saves gained by posts in the period"),
        "count",
        engagements,
    ),
    Kpi(
        "engagement_rate",
        _("Engagement rate"),
        _("Engagements ÷ impressions gained in the period × 100 (posts on networks that report impressions)"),
        "percent",
        engagement_rate,
    ),
    Kpi("reach", _("Reach"), _("Reach gained by posts in the period, as the networks report it"), "count", reach),
    Kpi(
        "content_coverage",
        _("Content coverage"),
        _("Reach gained in the period ÷ followers at the end of the period × 100"),
        "percent",
        content_coverage,
    ),
    Kpi(
        "referral_sessions",
        _("Referral traffic"),
        _("Sessions on landing pages that came through a tracked link (Pappus pixel)"),
        "count",
        referral_sessions,
        filtered_by_region=False,
    ),
    Kpi(
        "conversions",
        _("Conversions"),
        _("Conversions on landing pages (pixel, or imported web analytics for the days and pages it covers)"),
        "count",
        conversions,
        filtered_by_region=False,
    ),
    Kpi(
        "bounce_rate",
        _("Bounce rate"),
        _("Sessions with one page view and no conversion ÷ sessions on landing pages × 100"),
        "percent",
        bounce_rate,
        higher_is_better=False,
        filtered_by_region=False,
    ),
    Kpi(
        "negative_feedback_rate",
        _("Negative feedback rate"),
        _("Negative mentions ÷ mentions with a sentiment × 100 (listening)"),
        "percent",
        negative_feedback_rate,
        higher_is_better=False,
        filtered_by_network=False,
    ),
    Kpi(
        "net_sentiment",
        _("Net sentiment"),
        _("(Positive − negative mentions) ÷ mentions with a sentiment × 100 (listening)"),
        "percent",
        net_sentiment,
        filtered_by_network=False,
    ),
    Kpi(
        "share_of_voice",
        _("Share of voice"),
        _("Mentions of brand topics ÷ mentions of brand and competitor topics × 100 (listening)"),
        "percent",
        share_of_voice,
        filtered_by_network=False,
    ),
    Kpi(
        "first_response_hours",
        _("First response time"),
        _("Median hours from a conversation's start to its first answer, for conversations answered in the period"),
        "hours",
        first_response_hours,
        higher_is_better=False,
    ),
    Kpi(
        "resolution_hours",
        _("Resolution time"),
        _("Median hours from a conversation's start to its closing, for conversations closed in the period"),
        "hours",
        resolution_hours,
        higher_is_better=False,
    ),
    Kpi(
        "publishing_reliability",
        _("Publishing reliability"),
        _("Variants published ÷ variants published, failed or unknown × 100, of posts planned in the period"),
        "percent",
        publishing_reliability,
    ),
)
KPI_BY_KEY = {kpi.key: kpi for kpi in KPIS}


@dataclass(frozen=True)
class KpiValue:
    kpi: Kpi
    value: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        """The difference to the previous period (percentage points for percentages)."""
        if self.value is None or self.previous is None:
            return None
        return self.value - self.previous

    @property
    def improved(self) -> bool | None:
        change = self.change
        if change is None or change == 0:
            return None
        return (change > 0) == self.kpi.higher_is_better


def evaluate(scope: Scope, keys: Iterable[str] | None = None) -> list[KpiValue]:
    """Each KPI's value for the scope and for the previous period."""
    chosen = [KPI_BY_KEY[key] for key in keys] if keys is not None else list(KPIS)
    before = scope.previous()
    return [KpiValue(kpi, kpi.compute(scope), kpi.compute(before)) for kpi in chosen]
