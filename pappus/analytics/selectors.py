"""Reads for the dashboard: the numbers behind each chart (also offered as CSV), and recent
collection problems. Every read is scoped by a :class:`~pappus.analytics.kpis.Scope`."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Sum
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pappus.analytics import kpis
from pappus.analytics.models import CollectionAttempt, CollectionStatus
from pappus.connectors import facade as connector_facade
from pappus.core.models import Membership, Region
from pappus.listening import facade as listening_facade
from pappus.traffic import facade as traffic_facade


@dataclass(frozen=True)
class Dataset:
    """The numbers of one chart: columns (field, heading) and rows of plain values."""

    key: str
    title: str | Promise
    columns: tuple[tuple[str, str | Promise], ...]
    rows: list[dict[str, Any]] = field(default_factory=list)

    def table(self) -> list[list[Any]]:
        return [[row[name] for name, _heading in self.columns] for row in self.rows]


def followers_by_day(scope: kpis.Scope) -> Dataset:
    """Followers per network at the end of each day; an account missing a day keeps its last count."""
    current = dict(kpis.followers_at(scope, scope.first_day - datetime.timedelta(days=1)))
    by_day: dict[datetime.date, list[tuple[str, int, int]]] = defaultdict(list)
    rows_in_range = (
        kpis.account_rollups(scope)
        .filter(day__gte=scope.first_day, day__lte=scope.last_day, followers__isnull=False)
        .values_list("day", "network", "account_id", "followers")
    )
    for day, network, account_id, count in rows_in_range:
        by_day[day].append((network, account_id, int(count or 0)))
    rows: list[dict[str, Any]] = []
    for day in scope.day_list():
        for network, account_id, count in by_day.get(day, ()):
            current[(network, account_id)] = count
        totals: dict[str, int] = defaultdict(int)
        for (network, _account), count in current.items():
            totals[network] += count
        rows.extend(
            {"day": day.isoformat(), "network": network, "followers": totals[network]} for network in sorted(totals)
        )
    return Dataset(
        "followers",
        _("Followers by day"),
        (("day", _("Day")), ("network", _("Network")), ("followers", _("Followers"))),
        rows,
    )


def engagement_by_day(scope: kpis.Scope) -> Dataset:
    sums = {name: Sum(name) for name in ("impressions", *kpis.ENGAGEMENT_METRICS)}
    found: dict[datetime.date, dict[str, Any]] = {
        row["day"]: dict(row) for row in kpis.post_rollups(scope).values("day").annotate(**sums).order_by("day")
    }
    rows = []
    for day in scope.day_list():
        row: dict[str, Any] = found.get(day, {})
        rows.append(
            {"day": day.isoformat(), **{name: row.get(name) for name in ("impressions", *kpis.ENGAGEMENT_METRICS)}}
        )
    return Dataset(
        "engagement",
        _("Engagement by day"),
        (
            ("day", _("Day")),
            ("reactions", _("Reactions")),
            ("comments", _("Comments")),
            ("shares", _("Shares")),
            ("saves", _("Saves")),
            ("impressions", _("Impressions")),
        ),
        rows,
    )


def _engagement_by(  # noqa: PLR0917 - private, called twice with every argument
    scope: kpis.Scope, group: str, key: str, title: str | Promise, heading: str | Promise, label: Callable[[str], str]
) -> Dataset:
    sums = {name: Sum(name) for name in ("posts_published", "impressions", *kpis.ENGAGEMENT_METRICS)}
    rows = []
    for row in kpis.post_rollups(scope).values(group).annotate(**sums).order_by(group):
        engaged = kpis.engagements_of(row)
        impressions = row["impressions"]
        rate = round(engaged / impressions * 100, 2) if engaged is not None and impressions else None
        rows.append(
            {
                "group": label(row[group]),
                "posts": int(row["posts_published"] or 0),
                "engagements": engaged,
                "impressions": impressions,
                "engagement_rate": rate,
            }
        )
    return Dataset(
        key,
        title,
        (
            ("group", heading),
            ("posts", _("Posts published")),
            ("engagements", _("Engagements")),
            ("impressions", _("Impressions")),
            ("engagement_rate", _("Engagement rate (%)")),
        ),
        rows,
    )


def engagement_by_content_type(scope: kpis.Scope, labels: dict[str, str]) -> Dataset:
    return _engagement_by(
        scope,
        "content_type",
        "content_types",
        _("Engagement by content type"),
        _("Content type"),
        lambda value: labels.get(value, value) or str(_("(none)")),
    )


def engagement_by_pillar(scope: kpis.Scope) -> Dataset:
    return _engagement_by(
        scope, "pillar", "pillars", _("Engagement by pillar"), _("Pillar"), lambda value: value or str(_("(none)"))
    )


def sentiment_by_day(scope: kpis.Scope) -> Dataset:
    counts = kpis.sentiment_counts(scope)
    rows = [
        {
            "day": day.isoformat(),
            "positive": counts["positive"][index],
            "neutral": counts["neutral"][index],
            "negative": counts["negative"][index],
        }
        for index, day in enumerate(scope.day_list())
    ]
    return Dataset(
        "sentiment",
        _("Sentiment of mentions by day"),
        (("day", _("Day")), ("positive", _("Positive")), ("neutral", _("Neutral")), ("negative", _("Negative"))),
        rows,
    )


def share_of_voice_by_topic(scope: kpis.Scope) -> Dataset:
    counted = kpis.topic_mentions(scope)
    total = sum(count for _topic, count in counted)
    rows = [
        {
            "topic": topic.name,
            "kind": topic.kind,
            "mentions": count,
            "share": round(count / total * 100, 2) if total else None,
        }
        for topic, count in counted
    ]
    return Dataset(
        "share_of_voice",
        _("Share of voice by topic"),
        (("topic", _("Topic")), ("kind", _("Kind")), ("mentions", _("Mentions")), ("share", _("Share (%)"))),
        rows,
    )


def landing_pages(scope: kpis.Scope) -> Dataset:
    """Referral traffic, conversions and bounce rate by landing page (none for a region's view)."""
    rows = [
        {
            "page": page.landing_url,
            "sessions": page.sessions,
            "referral_sessions": page.referral_sessions,
            "conversions": page.conversions,
            "referral_conversions": page.referral_conversions,
            "bounce_rate": round(page.bounces / page.sessions * 100, 2) if page.sessions else None,
            "source": {"pixel": _("Pixel"), "import": _("Import"), "both": _("Pixel and import")}[page.source],
        }
        for page in kpis.landing_pages(scope) or ()
    ]
    return Dataset(
        "landing_pages",
        _("Landing pages"),
        (
            ("page", _("Landing page")),
            ("sessions", _("Sessions")),
            ("referral_sessions", _("From tracked links")),
            ("conversions", _("Conversions")),
            ("referral_conversions", _("Conversions from tracked links")),
            ("bounce_rate", _("Bounce rate (%)")),
            ("source", _("Source")),
        ),
        rows,
    )


def audience_profile(scope: kpis.Scope) -> Dataset:
    """Who the audience is, as far as Pappus sees it: the languages of mentions (listening), and the
    browser languages and countries of landing-page visitors (pixel; the workspace's only)."""
    groups: list[tuple[str, list[tuple[str, int]]]] = [
        (
            str(_("Language of mentions")),
            [
                (row.language or str(_("(unknown)")), row.count)
                for row in listening_facade.mention_counts_by_language(
                    scope.workspace_id, since=scope.start, until=scope.end, region_ids=scope.region_ids or ()
                )
            ],
        )
    ]
    if scope.region_ids is None:
        visitors = traffic_facade.visitor_profile(
            scope.workspace_id, first_day=scope.first_day, last_day=scope.last_day, time_zone=scope.zone
        )
        unknown = str(_("(unknown)"))
        groups.append(
            (str(_("Language of visitors")), [(value or unknown, count) for value, count in visitors.languages])
        )
        groups.append(
            (str(_("Country of visitors")), [(value or unknown, count) for value, count in visitors.countries])
        )
    rows: list[dict[str, Any]] = []
    for kind, counted in groups:
        total = sum(count for _value, count in counted)
        rows.extend(
            {"kind": kind, "value": value, "count": count, "share": round(count / total * 100, 2) if total else None}
            for value, count in counted
        )
    return Dataset(
        "audience",
        _("Audience profile"),
        (("kind", _("Measure")), ("value", _("Value")), ("count", _("Count")), ("share", _("Share (%)"))),
        rows,
    )


DATASET_TITLES: dict[str, str | Promise] = {
    "followers": _("Followers by day"),
    "engagement": _("Engagement by day"),
    "content_types": _("Engagement by content type"),
    "pillars": _("Engagement by pillar"),
    "sentiment": _("Sentiment of mentions by day"),
    "share_of_voice": _("Share of voice by topic"),
    "landing_pages": _("Landing pages"),
    "audience": _("Audience profile"),
}
DATASET_KEYS = (
    "followers",
    "engagement",
    "content_types",
    "pillars",
    "sentiment",
    "share_of_voice",
    "landing_pages",
    "audience",
)


def dataset(key: str, scope: kpis.Scope, *, content_type_labels: dict[str, str]) -> Dataset:
    """One chart's numbers by key (KeyError for an unknown key)."""
    builders: dict[str, Callable[[], Dataset]] = {
        "followers": lambda: followers_by_day(scope),
        "engagement": lambda: engagement_by_day(scope),
        "content_types": lambda: engagement_by_content_type(scope, content_type_labels),
        "pillars": lambda: engagement_by_pillar(scope),
        "sentiment": lambda: sentiment_by_day(scope),
        "share_of_voice": lambda: share_of_voice_by_topic(scope),
        "landing_pages": lambda: landing_pages(scope),
        "audience": lambda: audience_profile(scope),
    }
    return builders[key]()


@dataclass(frozen=True)
class CollectionProblem:
    account: str
    status: str
    error: str
    hour: datetime.datetime


def collection_problems(workspace_id: int, *, since: datetime.datetime) -> list[CollectionProblem]:
    """Each account's latest collection since ``since`` when it did not finish (failed or partial)."""
    latest: dict[int, CollectionAttempt] = {}
    for attempt in CollectionAttempt.objects.for_workspace(workspace_id).filter(hour__gte=since).order_by("hour"):
        latest[attempt.account_id] = attempt
    handles = {
        account.id: f"{account.network_label} {account.handle}"
        for account in connector_facade.target_accounts(workspace_id)
    }
    return [
        CollectionProblem(
            handles.get(attempt.account_id, f"#{attempt.account_id}"),
            attempt.get_status_display(),
            attempt.error,
            attempt.hour,
        )
        for attempt in latest.values()
        if attempt.status != CollectionStatus.COLLECTED
    ]


# --- regions --------------------------------------------------------------------------------------


def region_tree(workspace_id: int) -> tuple[list[Region], dict[int, list[int]]]:
    regions = list(Region.objects.for_workspace(workspace_id).order_by("name"))
    children: dict[int, list[int]] = defaultdict(list)
    for region in regions:
        if region.parent_id is not None:
            children[region.parent_id].append(region.pk)
    return regions, children


def with_spokes(region_ids: list[int], children: dict[int, list[int]]) -> set[int]:
    found: set[int] = set()
    pending = list(region_ids)
    while pending:
        current = pending.pop()
        if current not in found:
            found.add(current)
            pending.extend(children.get(current, ()))
    return found


def visible_regions(membership: Membership) -> tuple[list[Region], set[int] | None]:
    """The regions a member may filter by, and the ids they are limited to (None: the whole workspace)."""
    regions, children = region_tree(membership.workspace_id)
    limited = list(membership.regions.values_list("pk", flat=True))
    if not limited:
        return regions, None
    allowed = with_spokes(limited, children)
    return [region for region in regions if region.pk in allowed], allowed
