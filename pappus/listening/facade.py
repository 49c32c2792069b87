"""What other apps (crisis, analytics) may ask listening: counts over time, from the hourly rollups.

Frozen dataclasses only; no model leaves this module. Every call is scoped to one workspace.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import TruncDate, TruncHour

from pappus.listening.models import Mention, MentionRollup, MentionTopic, Topic
from pappus.listening.rollups import ALL_MENTIONS, hour_of


@dataclass(frozen=True, slots=True)
class SeriesPoint:
    """Mentions in the hour starting at ``start`` (UTC)."""

    start: datetime.datetime
    count: int


@dataclass(frozen=True, slots=True)
class MentionSeries:
    """An hourly (or daily) series, every bucket present (zero when nothing was said)."""

    workspace_id: int
    topic_id: int | None
    bucket: Literal["hour", "day"]
    points: tuple[SeriesPoint, ...]

    @property
    def total(self) -> int:
        return sum(point.count for point in self.points)


@dataclass(frozen=True, slots=True)
class TopicInfo:
    id: int
    name: str
    kind: str
    is_active: bool


def topics(workspace_id: int) -> tuple[TopicInfo, ...]:
    """The workspace's topics, to choose a series from."""
    return tuple(
        TopicInfo(row.pk, row.name, row.kind, row.is_active)
        for row in Topic.objects.for_workspace(workspace_id).order_by("name")
    )


def mention_series(
    workspace_id: int,
    *,
    since: datetime.datetime,
    until: datetime.datetime,
    topic_id: int | None = None,
    sentiments: Sequence[str] = (),
    source_ids: Sequence[int] = (),
    languages: Sequence[str] = (),
    region_ids: Sequence[int] = (),
    bucket: Literal["hour", "day"] = "hour",
) -> MentionSeries:
    """Mentions per hour (or day) from ``since`` to ``until`` (UTC), optionally of one topic and
    some sentiments, sources, languages or regions; read from the rollups, never from mentions."""
    start, end = hour_of(since), hour_of(until)
    rows = MentionRollup.objects.for_workspace(workspace_id).filter(
        topic_id=ALL_MENTIONS if topic_id is None else topic_id, hour__gte=start, hour__lt=end
    )
    if sentiments:
        rows = rows.filter(sentiment__in=sentiments)
    if source_ids:
        rows = rows.filter(source_id__in=source_ids)
    if languages:
        rows = rows.filter(language__in=languages)
    if region_ids:
        rows = rows.filter(region_id__in=region_ids)
    counts: dict[datetime.datetime, int] = {}
    for hour, number in rows.values_list("hour").annotate(number=Sum("count")).values_list("hour", "number"):
        key = hour.astimezone(datetime.UTC)
        if bucket == "day":
            key = key.replace(hour=0)
        counts[key] = counts.get(key, 0) + int(number)
    step = datetime.timedelta(days=1) if bucket == "day" else datetime.timedelta(hours=1)
    cursor = start.replace(hour=0) if bucket == "day" else start
    points = []
    while cursor < end:
        points.append(SeriesPoint(cursor, counts.get(cursor, 0)))
        cursor += step
    return MentionSeries(workspace_id, topic_id, bucket, tuple(points))


@dataclass(frozen=True, slots=True)
class DayCount:
    """Mentions of one topic (None: all mentions) with one sentiment ("" = not analysed) on one UTC day."""

    topic_id: int | None
    day: datetime.date
    sentiment: str
    count: int


def mention_counts_by_day(
    workspace_id: int,
    *,
    since: datetime.datetime,
    until: datetime.datetime,
    topic_ids: Sequence[int | None] = (None,),
    region_ids: Sequence[int] = (),
    time_zone: datetime.tzinfo = datetime.UTC,
) -> tuple[DayCount, ...]:
    """Mentions per topic, day (in ``time_zone``; hours are whole, so zones offset by a half hour
    count each hour on the day it starts) and sentiment from ``since`` to ``until``, summed in one
    query over the hourly rollups (for analytics, which asks for several topics and sentiments at
    once). Days without mentions are absent."""
    wanted = [ALL_MENTIONS if topic_id is None else topic_id for topic_id in topic_ids]
    rows = MentionRollup.objects.for_workspace(workspace_id).filter(
        topic_id__in=wanted, hour__gte=hour_of(since), hour__lt=hour_of(until)
    )
    if region_ids:
        rows = rows.filter(region_id__in=region_ids)
    grouped = (
        rows.annotate(day=TruncDate("hour", tzinfo=time_zone))
        .values_list("topic_id", "day", "sentiment")
        .annotate(number=Sum("count"))
        .order_by()
        .values_list("topic_id", "day", "sentiment", "number")
    )
    return tuple(
        DayCount(None if topic_id == ALL_MENTIONS else topic_id, day, sentiment, int(number))
        for topic_id, day, sentiment, number in grouped
    )


@dataclass(frozen=True, slots=True)
class MentionAuthor:
    """A stored mention's author and what the mention was, for the community's member identities.

    ``kind`` is "reply" (it answers another post), "share" (a repost of a stored mention), "ugc" (it
    carries the author's own photos or video) or "mention"."""

    mention_id: int
    network: str
    handle: str
    name: str
    profile_url: str
    url: str
    title: str
    sentiment: str
    kind: str
    published_at: datetime.datetime | None
    stored_at: datetime.datetime


def mention_authors(workspace_id: int, *, after_id: int = 0, limit: int = 1000) -> tuple[MentionAuthor, ...]:
    """Mentions with an author and an id above ``after_id``, oldest first, at most ``limit`` (resumable batches)."""
    rows = (
        Mention.objects.for_workspace(workspace_id)
        .filter(pk__gt=after_id)
        .exclude(author_handle="")
        .order_by("pk")
        .values_list(
            "pk",
            "network",
            "author_handle",
            "author_name",
            "author_url",
            "url",
            "title",
            "text",
            "sentiment",
            "parent_external_id",
            "duplicate_of_id",
            "media",
            "published_at",
            "created_at",
        )[:limit]
    )
    authors = []
    for row in rows:
        pk, network, handle, name, profile, url, title, text, sentiment = row[:9]
        parent, repost_of, media, published, stored = row[9:]
        kind = "reply" if parent else "share" if repost_of else "ugc" if media else "mention"
        authors.append(
            MentionAuthor(
                pk, network, handle, name, profile, url, (title or text)[:200], sentiment, kind, published, stored
            )
        )
    return tuple(authors)


@dataclass(frozen=True, slots=True)
class LanguageCount:
    """Mentions in one language ("" = not detected) within a period."""

    language: str
    count: int


def mention_counts_by_language(
    workspace_id: int,
    *,
    since: datetime.datetime,
    until: datetime.datetime,
    topic_ids: Sequence[int | None] = (None,),
    region_ids: Sequence[int] = (),
) -> tuple[LanguageCount, ...]:
    """Mentions of the given topics (None: all mentions) per language from ``since`` to ``until``,
    most first, summed in one query over the hourly rollups (strategy's measured audience profile)."""
    wanted = [ALL_MENTIONS if topic_id is None else topic_id for topic_id in topic_ids]
    rows = MentionRollup.objects.for_workspace(workspace_id).filter(
        topic_id__in=wanted, hour__gte=hour_of(since), hour__lt=hour_of(until)
    )
    if region_ids:
        rows = rows.filter(region_id__in=region_ids)
    grouped = rows.values_list("language").annotate(number=Sum("count")).order_by().values_list("language", "number")
    counted = [LanguageCount(language, int(number)) for language, number in grouped]
    return tuple(sorted(counted, key=lambda row: (-row.count, row.language)))


@dataclass(frozen=True, slots=True)
class CountryCounts:
    """Mentions per country (ISO code, most first; mentions without a country left out) within a
    period. ``sampled``: more mentions than the search's count limit matched, so these were counted
    among the newest of them only (as the search page's facets are)."""

    counts: tuple[tuple[str, int], ...]
    sampled: bool


def mention_counts_by_country(
    workspace_id: int, *, since: datetime.datetime, until: datetime.datetime, size: int = 10
) -> CountryCounts:
    """The ``size`` most frequent countries of the mentions published from ``since`` to ``until``.
    The rollups do not keep countries, so this reads the mentions (the country index), at most the
    newest 10,000 of them."""
    from pappus.listening import search  # the search's facet counting, with its sampling

    rows, sampled = search._mention_counts(  # the same counting as the search page's country facet
        workspace_id,
        search.MentionSearch(since=since, until=until),
        "country",
        size,
        search.SampleCache(size=search.COUNT_LIMIT),
    )
    return CountryCounts(tuple((str(country), int(count)) for country, count in rows), sampled)


@dataclass(frozen=True, slots=True)
class AuthorStats:
    """One author's stored mentions in a period, for the community's opinion leaders.

    ``sentiment_by_kind`` counts the author's mentions per topic kind ("brand", "product",
    "competitor", "campaign") and sentiment ("positive", "neutral", "negative", "" unrated);
    ``languages`` and ``countries`` count mentions per code; ``duplicates`` are near-duplicates of
    another stored mention; ``busiest_hour`` is the most mentions the author posted within one hour."""

    network: str
    handle: str
    name: str
    profile_url: str
    mentions: int
    followers: int | None
    engagement: int
    reach: int
    duplicates: int
    busiest_hour: int
    sentiment_by_kind: dict[str, dict[str, int]]
    languages: dict[str, int]
    countries: dict[str, int]


def author_stats(
    workspace_id: int, *, since: datetime.datetime, min_mentions: int = 2, limit: int = 500
) -> tuple[AuthorStats, ...]:
    """Authors with at least ``min_mentions`` mentions published since ``since``, most engagement
    first, at most ``limit``; each with the figures of ``AuthorStats``."""
    rows = Mention.objects.for_workspace(workspace_id).filter(published_at__gte=since).exclude(author_handle="")
    top = list(
        rows.values("network", "author_handle")
        .annotate(
            mentions=Count("pk"),
            followers=Max("author_followers"),
            engagement=Sum("engagement"),
            reach=Sum("reach_estimate"),
            duplicates=Count("pk", filter=Q(duplicate_of__isnull=False)),
            name=Max("author_name"),
            profile=Max("author_url"),
        )
        .filter(mentions__gte=min_mentions)
        .order_by("-engagement", "network", "author_handle")[:limit]
    )
    if not top:
        return ()
    handles = {row["author_handle"] for row in top}
    scoped = rows.filter(author_handle__in=handles)
    sentiments: dict[tuple[str, str], dict[str, dict[str, int]]] = {}
    for network, handle, kind, sentiment, number in (
        MentionTopic.objects.for_workspace(workspace_id)
        .filter(mention__in=scoped)
        .values_list("mention__network", "mention__author_handle", "topic__kind", "mention__sentiment")
        .annotate(number=Count("pk"))
        .order_by()
    ):
        sentiments.setdefault((network, handle), {}).setdefault(kind, {})[sentiment] = number
    languages: dict[tuple[str, str], dict[str, int]] = {}
    countries: dict[tuple[str, str], dict[str, int]] = {}
    for network, handle, language, country, number in (
        scoped.values_list("network", "author_handle", "language", "country").annotate(number=Count("pk")).order_by()
    ):
        if language:
            bucket = languages.setdefault((network, handle), {})
            bucket[language] = bucket.get(language, 0) + number
        if country:
            bucket = countries.setdefault((network, handle), {})
            bucket[country] = bucket.get(country, 0) + number
    busiest: dict[tuple[str, str], int] = {}
    for network, handle, number in (
        scoped.annotate(hour=TruncHour("published_at"))
        .values_list("network", "author_handle", "hour")
        .annotate(number=Count("pk"))
        .values_list("network", "author_handle", "number")
        .order_by()
    ):
        busiest[(network, handle)] = max(busiest.get((network, handle), 0), number)
    return tuple(
        AuthorStats(
            network=row["network"],
            handle=row["author_handle"],
            name=row["name"] or "",
            profile_url=row["profile"] or "",
            mentions=row["mentions"],
            followers=row["followers"],
            engagement=int(row["engagement"] or 0),
            reach=int(row["reach"] or 0),
            duplicates=row["duplicates"],
            busiest_hour=busiest.get((row["network"], row["author_handle"]), 0),
            sentiment_by_kind=sentiments.get((row["network"], row["author_handle"]), {}),
            languages=languages.get((row["network"], row["author_handle"]), {}),
            countries=countries.get((row["network"], row["author_handle"]), {}),
        )
        for row in top
    )
