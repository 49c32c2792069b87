"""Hourly rollups of mentions (topic, sentiment, source, language, region), kept incrementally.

The store stage adds each batch's counts with one upsert (``INSERT … ON CONFLICT DO UPDATE SET
count = count + excluded.count``, the same SQL on SQLite and PostgreSQL), so dashboards and
crisis detection read a few rows per hour instead of scanning mentions. ``pappus reprocess``
rebuilds them from the mentions after sentiments or topic matches change.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Protocol

from django.db import connection, transaction
from django.db.models import Count
from django.db.models.functions import TruncHour

from pappus.listening.models import Mention, MentionRollup, MentionTopic

type RollupKey = tuple[datetime.datetime, int, str, int, str, int]  # hour, topic, sentiment, source, language, region

ALL_MENTIONS = 0

_UPSERT = (
    "INSERT INTO listening_mentionrollup "
    "(workspace_id, hour, topic_id, sentiment, source_id, language, region_id, count) "
    "VALUES {values} "
    "ON CONFLICT (workspace_id, topic_id, hour, sentiment, source_id, language, region_id) "
    "DO UPDATE SET count = listening_mentionrollup.count + excluded.count"
)
_ROW = "(%s, %s, %s, %s, %s, %s, %s, %s)"
# Rows per statement: 8 parameters each stays far under SQLite's 32,766 and PostgreSQL's 65,535.
_ROWS_PER_STATEMENT = 1000


def hour_of(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(datetime.UTC).replace(minute=0, second=0, microsecond=0)


class Countable(Protocol):
    """What a rollup counts of a stored mention (a ``Mention`` or the store stage's own row)."""

    @property
    def published_at(self) -> datetime.datetime | None: ...
    @property
    def sentiment(self) -> str: ...
    @property
    def source_id(self) -> int: ...
    @property
    def language(self) -> str: ...
    @property
    def region_id(self) -> int | None: ...


def count_keys(mentions: Iterable[tuple[Countable, Sequence[int]]]) -> Counter[RollupKey]:
    """The rollup counts of stored mentions with their matched topic ids (each also counts in topic 0)."""
    counts: Counter[RollupKey] = Counter()
    for mention, topic_ids in mentions:
        if mention.published_at is None:
            continue
        hour = hour_of(mention.published_at)
        rest = (mention.sentiment or "", mention.source_id, mention.language or "", mention.region_id or 0)
        counts[(hour, ALL_MENTIONS, rest[0], rest[1], rest[2], rest[3])] += 1
        for topic_id in topic_ids:
            counts[(hour, topic_id, rest[0], rest[1], rest[2], rest[3])] += 1
    return counts


def rollups_add(workspace_id: int, counts: Counter[RollupKey]) -> None:
    """Add ``counts`` to the rollups (an upsert of every key, in the caller's transaction)."""
    if not counts:
        return
    if connection.vendor == "postgresql":
        _rollups_add_arrays(workspace_id, counts)
        return
    adapt = connection.ops.adapt_datetimefield_value
    rows = [
        (workspace_id, adapt(hour), topic, sentiment, source, language, region, number)
        for (hour, topic, sentiment, source, language, region), number in sorted(counts.items())
    ]
    with connection.cursor() as cursor:
        # One multi-row statement per 1,000 keys: a batch's few hundred keys in one round trip.
        for start in range(0, len(rows), _ROWS_PER_STATEMENT):
            chunk = rows[start : start + _ROWS_PER_STATEMENT]
            cursor.execute(
                _UPSERT.format(values=", ".join([_ROW] * len(chunk))),
                [value for row in chunk for value in row],
            )


# PostgreSQL: the keys as seven arrays, one parameter each, rather than eight placeholders per key
# (a batch's ~1,500 keys were ~12,000 parameters for the client to adapt and the server to parse).
_UPSERT_ARRAYS = (
    "INSERT INTO listening_mentionrollup "
    "(workspace_id, hour, topic_id, sentiment, source_id, language, region_id, count) "
    "SELECT %s, * FROM unnest(%s::timestamptz[], %s::bigint[], %s::text[], %s::bigint[], %s::text[], "
    "%s::bigint[], %s::bigint[]) "
    "ON CONFLICT (workspace_id, topic_id, hour, sentiment, source_id, language, region_id) "
    "DO UPDATE SET count = listening_mentionrollup.count + excluded.count"
)


def _rollups_add_arrays(workspace_id: int, counts: Counter[RollupKey]) -> None:
    ordered = sorted(counts.items())  # the same order in every writer: concurrent upserts do not deadlock
    columns: list[list[object]] = [[] for _ in range(7)]
    for key, number in ordered:
        for column, value in zip(columns, (*key, number), strict=True):
            column.append(value)
    with connection.cursor() as cursor:
        cursor.execute(_UPSERT_ARRAYS, [workspace_id, *columns])


@transaction.atomic
def rollups_rebuild(
    workspace_id: int, *, since: datetime.datetime | None = None, until: datetime.datetime | None = None
) -> int:
    """Recount the rollups of a workspace (whole hours from ``since`` to ``until``) from its mentions."""
    stale = MentionRollup.objects.for_workspace(workspace_id)
    mentions = Mention.objects.for_workspace(workspace_id).filter(published_at__isnull=False)
    matches = MentionTopic.objects.for_workspace(workspace_id).filter(mention__published_at__isnull=False)
    if since is not None:
        since = hour_of(since)
        stale, mentions = stale.filter(hour__gte=since), mentions.filter(published_at__gte=since)
        matches = matches.filter(mention__published_at__gte=since)
    if until is not None:
        stale, mentions = stale.filter(hour__lt=until), mentions.filter(published_at__lt=until)
        matches = matches.filter(mention__published_at__lt=until)
    stale.delete()
    counts: Counter[RollupKey] = Counter()
    fields = ("sentiment", "source_id", "language", "region_id")
    for row in mentions.annotate(at=TruncHour("published_at")).values("at", *fields).annotate(number=Count("id")):
        key = (row["at"], ALL_MENTIONS, row["sentiment"], row["source_id"], row["language"], row["region_id"] or 0)
        counts[key] += row["number"]
    prefixed = tuple(f"mention__{name}" for name in fields)
    for row in (
        matches.annotate(at=TruncHour("mention__published_at"))
        .values("at", "topic_id", *prefixed)
        .annotate(number=Count("id"))
    ):
        key = (
            row["at"],
            row["topic_id"],
            row["mention__sentiment"],
            row["mention__source_id"],
            row["mention__language"],
            row["mention__region_id"] or 0,
        )
        counts[key] += row["number"]
    rollups_add(workspace_id, counts)
    return len(counts)
