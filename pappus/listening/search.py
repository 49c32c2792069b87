"""Searching mentions: full text, filters, facets and order, behind one selector for both databases.

:func:`search_mentions` returns a queryset (scoped to the workspace) for the page, the count and
the CSV export; :func:`search_facets` counts the values of each filter among the mentions that
match every *other* filter, so a person sees what choosing another value would give.
The full-text part is described in :mod:`pappus.listening.fulltext`.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Self

from django.db import connection
from django.db.models import BooleanField, Count, DateTimeField, ExpressionWrapper, F, Q, QuerySet, Sum, Value
from django.db.models.expressions import RawSQL

from pappus.core.models import Workspace, WorkspaceQuerySet
from pappus.listening import fulltext
from pappus.listening.models import Mention, MentionRollup, MentionTopic, Sentiment, Source, Topic
from pappus.listening.rollups import ALL_MENTIONS

type Sort = Literal["newest", "oldest", "engagement"]
SORTS: Final[dict[str, tuple[str, ...]]] = {
    "newest": ("-published_at", "-id"),
    "oldest": ("published_at", "id"),
    "engagement": ("-engagement", "-id"),
}
FACETS: Final = ("topic", "sentiment", "language", "source", "country", "author")
FACET_SIZE: Final = 10
# Beyond this many matches a search's count says "more than COUNT_LIMIT" instead of counting every
# match (an exact count of a broad word over a million mentions takes seconds).
COUNT_LIMIT: Final = 10_000
# Facets that must be counted from the mentions (words, country, author) count every match when
# there are at most this many, else the newest this many (a sample, named in Facets.sampled).
FACET_SAMPLE: Final = 2_000


@dataclass(frozen=True, slots=True)
class MentionSearch:
    """What a person asked for: words and filters (empty means any), and an order."""

    text: str = ""
    topic_ids: Sequence[int] = ()
    sentiments: Sequence[str] = ()
    languages: Sequence[str] = ()
    source_ids: Sequence[int] = ()
    countries: Sequence[str] = ()
    authors: Sequence[str] = ()
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None
    sort: Sort = "newest"

    def without(self, facet: str) -> MentionSearch:
        """The same search with one facet's filter dropped."""
        names = {
            "topic": "topic_ids",
            "sentiment": "sentiments",
            "language": "languages",
            "source": "source_ids",
            "country": "countries",
            "author": "authors",
        }
        values = {name: getattr(self, name) for name in self.__slots__}
        values[names[facet]] = ()
        return MentionSearch(**values)


@dataclass(frozen=True, slots=True)
class FacetValue:
    value: str
    label: str
    count: int


@dataclass(frozen=True, slots=True)
class Facets:
    """Up to :data:`FACET_SIZE` values per facet, most frequent first. ``sampled`` names the facets
    counted among the newest :data:`FACET_SAMPLE` matches only (more mentions matched)."""

    values: dict[str, list[FacetValue]] = field(default_factory=dict)
    sampled: frozenset[str] = frozenset()


def _fulltext_sqlite(mentions: QuerySet[Mention], terms: list[fulltext.Term]) -> QuerySet[Mention]:
    match = "SELECT rowid FROM listening_mention_fts WHERE listening_mention_fts MATCH %s"
    required: list[str] = []
    for term in terms:
        options = [term, *term.alternatives]
        phrases = [fulltext.fts_phrase(option) for option in options]
        if all(phrase is not None for phrase in phrases):
            expression = " OR ".join(phrase for phrase in phrases if phrase)
            if term.negated:
                mentions = mentions.exclude(pk__in=RawSQL(match, [expression]))  # noqa: S611 - bound parameter
            else:
                required.append(f"({expression})")
            continue
        condition = Q()
        for option in options:
            body = fulltext.like_pattern(option).strip("%")
            condition |= Q(search_text__contains=body)
        mentions = mentions.exclude(condition) if term.negated else mentions.filter(condition)
    if required:
        mentions = mentions.filter(pk__in=RawSQL(match, [" AND ".join(required)]))  # noqa: S611 - bound
    return mentions


def _fulltext_postgresql(mentions: QuerySet[Mention], terms: list[fulltext.Term]) -> QuerySet[Mention]:
    # search_vector: the stored to_tsvector('simple', search_text) with its GIN index (migration
    # 0010); not a model field, so named here.
    condition = RawSQL(
        "search_vector @@ to_tsquery('simple'::regconfig, %s)",
        [fulltext.to_tsquery(terms)],
        output_field=BooleanField(),
    )
    return mentions.alias(matches_text=condition).filter(matches_text=True)


def _filtered(workspace: Workspace | int, search: MentionSearch) -> QuerySet[Mention]:
    mentions: QuerySet[Mention] = Mention.objects.for_workspace(workspace)
    terms = fulltext.parse_search(search.text)
    if terms:
        if connection.vendor == "postgresql":
            mentions = _fulltext_postgresql(mentions, terms)
        else:
            mentions = _fulltext_sqlite(mentions, terms)
    if search.topic_ids:
        matched = MentionTopic.objects.for_workspace(workspace).filter(topic_id__in=search.topic_ids)
        mentions = mentions.filter(pk__in=matched.values("mention_id"))
    if search.sentiments:
        mentions = mentions.filter(sentiment__in=search.sentiments)
    if search.languages:
        mentions = mentions.filter(language__in=search.languages)
    if search.source_ids:
        mentions = mentions.filter(source_id__in=search.source_ids)
    if search.countries:
        mentions = mentions.filter(country__in=[country.upper() for country in search.countries])
    if search.authors:
        mentions = mentions.filter(author_handle__in=[author.removeprefix("@") for author in search.authors])
    if search.since is not None:
        mentions = mentions.filter(published_at__gte=search.since)
    if search.until is not None:
        mentions = mentions.filter(published_at__lt=search.until)
    return mentions


class SearchResults(WorkspaceQuerySet[Mention]):
    """The query set :func:`search_mentions` returns: its ``count()`` comes from the hourly rollups
    when they count the same mentions (:func:`countable_from_rollups`), a few rows per hour
    instead of every matching mention. A query set made from it (filtered further, sliced)
    counts its mentions as usual."""

    _rollup_search: tuple[int, MentionSearch] | None = None

    def _clone(self) -> Self:
        clone: Self = super()._clone()  # type: ignore[misc]  # Django's copy hook; not in the stubs
        clone._rollup_search = None
        return clone

    def count(self) -> int:
        """Exact from the rollups when they count the same mentions; otherwise counted up to
        :data:`COUNT_LIMIT` + 1 (see :func:`count_is_capped`)."""
        if self._result_cache is not None or self.query.is_sliced:
            return super().count()
        if self._rollup_search is not None:
            return rollup_count(*self._rollup_search)
        return capped_count(self)


def capped_count(mentions: QuerySet[Mention]) -> int:
    """How many mentions match, counting no further than :data:`COUNT_LIMIT` + 1."""
    return QuerySet.count(mentions.order_by()[: COUNT_LIMIT + 1])


def count_is_capped(count: int) -> bool:
    """Whether a search's count stopped at the limit: the search finds more than :data:`COUNT_LIMIT`."""
    return count > COUNT_LIMIT


def search_mentions(workspace: Workspace | int, search: MentionSearch) -> SearchResults:
    """The mentions of ``workspace`` that match ``search``, in its order, with their source."""
    found = _filtered(workspace, search).select_related("source").order_by(*SORTS.get(search.sort, SORTS["newest"]))
    results = SearchResults(model=Mention, query=found.query.chain(), using=found.db)
    if countable_from_rollups(search):
        results._rollup_search = (workspace if isinstance(workspace, int) else workspace.pk, search)
    return results


def rollup_count(workspace: Workspace | int, search: MentionSearch) -> int:
    """How many mentions ``search`` finds, summed from the rollups (see :func:`countable_from_rollups`)."""
    rows = _rollup_rows(workspace, search, topic_id=search.topic_ids[0] if search.topic_ids else ALL_MENTIONS)
    return int(rows.aggregate(total=Sum("count"))["total"] or 0)


# The facets the hourly rollups can count (their dimensions), with the rollup's column.
ROLLUP_FACETS: Final = {"topic": "topic_id", "sentiment": "sentiment", "language": "language", "source": "source_id"}


def _on_the_hour(moment: datetime.datetime | None) -> bool:
    """No bound, or an aware time on a whole UTC hour (the rollups' unit)."""
    if moment is None:
        return True
    if moment.utcoffset() is None:
        return False
    utc = moment.astimezone(datetime.UTC)
    return utc.minute == utc.second == utc.microsecond == 0


def countable_from_rollups(search: MentionSearch) -> bool:
    """Whether the hourly rollups count exactly the mentions that ``search`` finds.

    They can when the search has no words, no country or author filter (not rollup
    dimensions), at most one topic (a mention matched by two topics is in two rollup rows)
    and a time range on whole UTC hours.
    """
    return (
        not fulltext.parse_search(search.text)
        and not search.countries
        and not search.authors
        and len(search.topic_ids) <= 1
        and _on_the_hour(search.since)
        and _on_the_hour(search.until)
    )


def _rollup_counts(workspace: Workspace | int, search: MentionSearch, facet: str, size: int) -> list[tuple[Any, int]]:
    """The ``size`` most frequent values of ``facet`` counted from the rollups (see countable_from_rollups)."""
    column = ROLLUP_FACETS[facet]
    if facet == "topic":
        rows = _rollup_rows(workspace, search, topic_id=None)
    else:
        rows = _rollup_rows(workspace, search, topic_id=search.topic_ids[0] if search.topic_ids else ALL_MENTIONS)
        if column != "source_id":
            rows = rows.exclude(**{column: ""})
    return list(rows.values_list(column).annotate(count=Sum("count")).order_by("-count", column)[:size])


def _rollup_rows(
    workspace: Workspace | int, search: MentionSearch, *, topic_id: int | None
) -> WorkspaceQuerySet[MentionRollup]:
    """The rollup rows under the filters of ``search``: of one topic (0: every mention) or, with
    ``topic_id`` None, of every existing topic (each matched mention and topic pair counted once)."""
    rows = MentionRollup.objects.for_workspace(workspace)
    if topic_id is None:
        # Rows of deleted topics stay until the next reprocess.
        rows = rows.exclude(topic_id=ALL_MENTIONS).filter(
            topic_id__in=Topic.objects.for_workspace(workspace).values("pk")
        )
    else:
        rows = rows.filter(topic_id=topic_id)
    if search.sentiments:
        rows = rows.filter(sentiment__in=search.sentiments)
    if search.languages:
        rows = rows.filter(language__in=search.languages)
    # Mentions of a deleted source are gone; its rollup rows may still be there.
    sources = Source.objects.for_workspace(workspace)
    rows = rows.filter(source_id__in=sources.filter(pk__in=search.source_ids) if search.source_ids else sources)
    if search.since is not None:
        rows = rows.filter(hour__gte=search.since)
    if search.until is not None:
        rows = rows.filter(hour__lt=search.until)
    return rows


# The columns of the facets counted from the mentions (topic has a table of its own).
MENTION_FACET_COLUMNS: Final = {
    "sentiment": "sentiment",
    "language": "language",
    "source": "source_id",
    "country": "country",
    "author": "author_handle",
}


@dataclass(frozen=True, slots=True)
class _Sample:
    """A search's matches read for counting: ids and each facet column, in that order. ``sampled``:
    more matched, and these are the newest of them only."""

    rows: list[tuple[Any, ...]]
    sampled: bool

    @property
    def ids(self) -> list[int]:
        return [row[0] for row in self.rows]


# Hours of rollup totals read per query while looking for a window's start.
_HOURS_PAGE: Final = 240
# Windows tried before the whole range is read.
_MOST_WINDOWS: Final = 6
# Mention ids per query when the topic matches of a sample are counted.
_IDS_PER_QUERY: Final = 500


class _Windows:
    """Mentions per hour of published time (all of the workspace's, from the rollups), newest hour
    first, read a page at a time as far as needed: where a window of the newest N mentions starts."""

    def __init__(self, workspace: Workspace | int, search: MentionSearch) -> None:
        rows = MentionRollup.objects.for_workspace(workspace).filter(topic_id=ALL_MENTIONS)
        if search.since is not None:
            rows = rows.filter(hour__gte=search.since - datetime.timedelta(hours=1))
        if search.until is not None:
            rows = rows.filter(hour__lt=search.until)
        self._rows = rows
        self._hours: list[tuple[datetime.datetime, int]] = []
        self._exhausted = False
        self._since = search.since
        self._total: int | None = None

    def _more(self) -> bool:
        if self._exhausted:
            return False
        rows = self._rows if not self._hours else self._rows.filter(hour__lt=self._hours[-1][0])
        page = [
            (hour, int(total))
            for hour, total in rows.values_list("hour").annotate(total=Sum("count")).order_by("-hour")[:_HOURS_PAGE]
        ]
        self._hours.extend(page)
        self._exhausted = len(page) < _HOURS_PAGE
        return bool(page)

    def total(self) -> int:
        """Mentions in the whole range (every hour's total)."""
        if self._total is None:
            self._total = int(self._rows.aggregate(total=Sum("count"))["total"] or 0)
        return self._total

    def start(self, mentions: int) -> datetime.datetime | None:
        """The start of the newest hours that hold at least ``mentions``; None when that is the
        whole time range (every hour, or back to the search's own start)."""
        total, position = 0, 0
        while True:
            while position < len(self._hours):
                hour, count = self._hours[position]
                total += count
                position += 1
                if total >= mentions:
                    oldest = position == len(self._hours) and not self._more()
                    if oldest or (self._since is not None and hour <= self._since):
                        return None
                    return hour
            if not self._more():
                return None


class SampleCache:
    """What one :func:`search_facets` call reads once and shares between its facets: each distinct
    search's matches and the rollups' hourly totals. ``size``: how many of the newest matches a
    sampled facet counts."""

    def __init__(self, size: int | None = None) -> None:
        self.size = FACET_SAMPLE if size is None else size
        self.matches: dict[str, _Sample] = {}
        self.windows: _Windows | None = None


def _newest_matches(workspace: Workspace | int, search: MentionSearch, cache: SampleCache) -> _Sample:
    """The matches of ``search`` (ids and facet columns), all of them when there are at most
    ``cache.size``, else the newest ``cache.size`` (``sampled``). Read once per distinct search.

    The newest are looked for in a window of recent hours (from the rollups' hourly totals: the
    hours that hold a few times ``cache.size`` mentions, widened by the share of matches found,
    up to the whole range), so a broad search reads about ``cache.size`` rows rather than every
    match: every match newer than the window's start is in the window.
    """
    base = _filtered(workspace, search).order_by()
    key = str(base.query)  # the same filters give the same SQL, whatever sequence types the search holds
    if key in cache.matches:
        return cache.matches[key]
    if cache.windows is None:
        cache.windows = _Windows(workspace, search)
    newest_first: Any = "-published_at"
    if search.text:
        # Ordered by an expression of the time, the planner finds the matches through the full-text
        # index and keeps the newest (a top-N sort) instead of walking the time index and testing
        # the words on every row it meets (slow for a rare word).
        newest_first = ExpressionWrapper(
            F("published_at") + Value(datetime.timedelta(0)), output_field=DateTimeField()
        ).desc()
    limit = cache.size + 1
    window = 16 * limit
    attempts = 0
    while True:
        attempts += 1
        start = cache.windows.start(window) if attempts < _MOST_WINDOWS else None
        found = base if start is None else base.filter(published_at__gte=start)
        rows = list(found.order_by(newest_first, "-pk").values_list("pk", *MENTION_FACET_COLUMNS.values())[:limit])
        if len(rows) == limit:
            sample = _Sample(rows[: cache.size], sampled=True)
            break
        if start is None:
            sample = _Sample(rows, sampled=False)
            break
        # Too few in the window: when the share of matches it saw says the whole range holds not
        # many more than the sample, read them all at once; else widen the window by that share.
        total = cache.windows.total()
        if total * len(rows) < 2 * limit * window:
            window = total
        else:
            window = int(window * min(64.0, max(2.0, 1.5 * limit / max(len(rows), 1))))
    cache.matches[key] = sample
    return sample


def _mention_counts(
    workspace: Workspace | int, search: MentionSearch, facet: str, size: int, cache: SampleCache
) -> tuple[list[tuple[Any, int]], bool]:
    """The ``size`` most frequent values of ``facet`` counted from the mentions themselves: every
    match, or the newest ``cache.size`` when more match (then the second value is True). The
    matches are read once and counted here for every facet that shares the search."""
    matches = _newest_matches(workspace, search, cache)
    if facet == "topic":
        ids = matches.ids
        topics: Counter[int] = Counter()
        # A few hundred ids at a time: the planner then probes the (mention, topic) key for each,
        # where a longer list made it read every topic match of the workspace.
        for start in range(0, len(ids), _IDS_PER_QUERY):
            topics.update(
                dict(
                    MentionTopic.objects.for_workspace(workspace)
                    .filter(mention_id__in=ids[start : start + _IDS_PER_QUERY])
                    .values_list("topic_id")
                    .annotate(count=Count("id"))
                    .order_by()
                    .values_list("topic_id", "count")
                )
            )
        return sorted(topics.items(), key=lambda item: (-item[1], item[0]))[:size], matches.sampled
    position = 1 + list(MENTION_FACET_COLUMNS).index(facet)
    counted = Counter(row[position] for row in matches.rows if facet == "source" or row[position])
    return sorted(counted.items(), key=lambda item: (-item[1], item[0]))[:size], matches.sampled


def search_facets(workspace: Workspace | int, search: MentionSearch, size: int = FACET_SIZE) -> Facets:
    """For each facet, the most frequent values among mentions matching every other filter.

    Topic, sentiment, language and source are counted from the hourly rollups when they count
    the same mentions (:func:`countable_from_rollups`): a few rows per hour instead of every
    mention. Words, a country or an author filter need the mentions; beyond :data:`FACET_SAMPLE`
    matches those facets count the newest :data:`FACET_SAMPLE` and are named in ``sampled``.
    """
    facets: dict[str, list[FacetValue]] = {}
    sampled: set[str] = set()
    cache = SampleCache()
    for facet in FACETS:
        wanted = search.without(facet)
        if facet in ROLLUP_FACETS and countable_from_rollups(wanted):
            rows = _rollup_counts(workspace, wanted, facet, size)
        else:
            rows, was_sampled = _mention_counts(workspace, wanted, facet, size, cache)
            if was_sampled:
                sampled.add(facet)
        if facet == "topic":
            names = dict(
                Topic.objects.for_workspace(workspace).filter(pk__in=[row[0] for row in rows]).values_list("pk", "name")
            )
            facets[facet] = [FacetValue(str(pk), names.get(pk, str(pk)), count) for pk, count in rows]
        elif facet == "source":
            labels = dict(
                Source.objects.for_workspace(workspace)
                .filter(pk__in=[row[0] for row in rows])
                .values_list("pk", "name")
            )
            facets[facet] = [FacetValue(str(pk), labels.get(pk, str(pk)), count) for pk, count in rows]
        elif facet == "sentiment":
            sentiment_names = {str(value): str(label) for value, label in Sentiment.choices}
            facets[facet] = [
                FacetValue(str(value), sentiment_names.get(str(value), str(value)), count) for value, count in rows
            ]
        else:
            facets[facet] = [FacetValue(str(value), str(value), count) for value, count in rows]
    return Facets(facets, frozenset(sampled))
