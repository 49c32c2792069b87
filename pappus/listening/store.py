"""The store stage: a batch's mentions, their topic matches, links, rollups and rejections, in bulk.

Two ways to write the same rows, chosen by the database:

* PostgreSQL: ``COPY … FROM STDIN`` (psycopg 3) for mentions and topic matches, the fastest way
  into PostgreSQL. The mention ids are taken from the table's sequence first, in one round trip,
  so a near-duplicate's ``duplicate_of`` and a reply's ``thread_parent`` are known before the
  rows are written and go in with them (no UPDATE afterwards), and topic matches can be copied
  right behind. No model instances are built.
* SQLite (and any other database): ``bulk_create``, then the cluster and thread links as an
  UPDATE of the rows that have one.

Both give the same rows (a test stores the same input both ways and compares). A unique
violation (another writer stored the same external id meanwhile) aborts the whole COPY; it
is raised as Django's ``IntegrityError`` so that the caller's savepoint is rolled back and
the batch deduplicated again, as with ``bulk_create``.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from django.db import connection
from django.db.models import Min

from pappus.listening import rollups
from pappus.listening.models import IngestRun, Mention, MentionTopic, RejectedItem, Source
from pappus.listening.pipeline import Batch, NormalizedMention

BATCH_SIZE: Final = 500
type Method = Literal["auto", "copy", "bulk"]

# ``auto``: COPY on PostgreSQL, bulk_create elsewhere. Tests set "bulk" to compare both paths.
METHOD: Method = "auto"

MENTION_COLUMNS: Final = (
    "id",
    "workspace_id",
    "source_id",
    "region_id",
    "ingest_run_id",
    "network",
    "external_id",
    "url",
    "author_handle",
    "author_name",
    "author_followers",
    "author_url",
    "title",
    "text",
    "language",
    "published_at",
    "fetched_at",
    "like_count",
    "share_count",
    "comment_count",
    "view_count",
    "reach_estimate",
    "thread_parent_id",
    "parent_external_id",
    "country",
    "media",
    "raw",
    "content_hash",
    "duplicate_of_id",
    "enrichment_status",
    "enrichment_model",
    "sentiment",
    "sentiment_score",
    "intent",
    "toxicity",
    "engagement",
    "search_text",
    "created_at",
)
MATCH_COLUMNS: Final = ("workspace_id", "mention_id", "topic_id", "published_at", "matched_at")


@dataclass(slots=True)
class StoredMention:
    """What later steps need of a stored mention (links, topic matches, rollups); not a model."""

    mention: NormalizedMention
    pk: int  # 0 until the row has an id
    published_at: datetime.datetime
    source_id: int
    region_id: int | None
    duplicate_of_id: int | None = None
    thread_parent_id: int | None = None

    # The fields rollups.count_keys reads.
    @property
    def sentiment(self) -> str:
        return self.mention.sentiment

    @property
    def language(self) -> str:
        return self.mention.language


def method() -> Literal["copy", "bulk"]:
    """How this process stores a batch: COPY on PostgreSQL unless :data:`METHOD` says otherwise."""
    if METHOD == "auto":
        return "copy" if connection.vendor == "postgresql" else "bulk"
    if METHOD == "copy" and connection.vendor != "postgresql":
        raise RuntimeError("COPY needs PostgreSQL")
    return METHOD


def store_batch(source: Source, run: IngestRun, batch: Batch, now: datetime.datetime) -> list[StoredMention]:
    """Write the batch (in the caller's transaction) and return its stored mentions with their ids."""
    rows = [
        StoredMention(
            mention=mention,
            pk=0,
            published_at=mention.published_at or now,
            source_id=source.pk,
            region_id=source.region_id,
        )
        for mention in batch.mentions
    ]
    if method() == "copy":
        _copy_mentions(source, run, rows, now)
    else:
        _bulk_create_mentions(source, run, rows, now)
    rollups.rollups_add(
        source.workspace_id,
        rollups.count_keys((row, row.mention.topic_ids) for row in rows),
    )
    if batch.rejections:
        RejectedItem.objects.bulk_create(
            [
                RejectedItem(
                    workspace_id=source.workspace_id,
                    source=source,
                    run=run,
                    stage=rejection.stage,
                    reason=rejection.reason,
                    raw=rejection.raw,
                    created_at=now,
                )
                for rejection in batch.rejections
            ],
            batch_size=BATCH_SIZE,
        )
    return rows


# --- links: near-duplicate clusters and reply threads -------------------------------------------


def link(workspace_id: int, source_id: int, rows: Sequence[StoredMention]) -> list[StoredMention]:
    """Set ``duplicate_of_id`` and ``thread_parent_id`` of the rows (with ids); return those changed.

    A near-duplicate points at the first mention of the workspace with its content hash (the
    lowest id, stored earlier or in this batch); a reply at the mention of the same source with
    its parent's external id. Works before the rows are written (ids taken from the sequence)
    and after (the lookups then find the batch itself, which changes nothing).
    """
    changed: dict[int, StoredMention] = {}
    hashes = {row.mention.content_hash for row in rows if row.mention.content_hash}
    if hashes:
        first = _first_with_hashes(workspace_id, hashes)
        for row in rows:
            key = row.mention.content_hash
            if not key or not row.pk:
                continue
            representative = first.setdefault(key, row.pk)
            if representative != row.pk:
                row.duplicate_of_id = representative
                changed[row.pk] = row
    parents = {row.mention.parent_external_id for row in rows if row.mention.parent_external_id}
    if parents:
        found = ids_of_external_ids(workspace_id, source_id, parents)
        for row in rows:
            if row.pk and row.mention.external_id in parents:
                found.setdefault(row.mention.external_id, row.pk)
        for row in rows:
            parent = found.get(row.mention.parent_external_id) if row.mention.parent_external_id else None
            if parent is not None and row.pk and parent != row.pk:
                row.thread_parent_id = parent
                changed[row.pk] = row
    return list(changed.values())


def _first_with_hashes(workspace_id: int, hashes: set[str]) -> dict[str, int]:
    """The lowest mention id of the workspace per content hash."""
    if connection.vendor == "postgresql":  # one array parameter rather than a placeholder per hash
        return _pairs(
            "SELECT content_hash, min(id) FROM listening_mention WHERE workspace_id = %s AND content_hash = ANY(%s) "
            "GROUP BY content_hash",
            [workspace_id, list(hashes)],
        )
    return dict(
        Mention.objects.for_workspace(workspace_id)
        .filter(content_hash__in=hashes)
        .values("content_hash")
        .annotate(first=Min("pk"))
        .values_list("content_hash", "first")
    )


def ids_of_external_ids(workspace_id: int, source_id: int, external_ids: Iterable[str]) -> dict[str, int]:
    """The ids of the source's stored mentions with these external ids (dedupe and reply threads)."""
    wanted = list(set(external_ids))
    if connection.vendor == "postgresql":  # one array parameter rather than a placeholder per id
        return _pairs(
            "SELECT external_id, id FROM listening_mention WHERE workspace_id = %s AND source_id = %s "
            "AND external_id = ANY(%s)",
            [workspace_id, source_id, wanted],
        )
    found: dict[str, int] = {}
    for start in range(0, len(wanted), BATCH_SIZE):  # SQLite: at most BATCH_SIZE placeholders a statement
        found.update(
            Mention.objects.for_workspace(workspace_id)
            .filter(source_id=source_id, external_id__in=wanted[start : start + BATCH_SIZE])
            .values_list("external_id", "pk")
        )
    return found


def _pairs(sql: str, parameters: list[Any]) -> dict[str, int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, parameters)
        return {str(key): int(value) for key, value in cursor.fetchall()}


# --- SQLite and others: bulk_create ----------------------------------------------------------------


def _bulk_create_mentions(source: Source, run: IngestRun, rows: list[StoredMention], now: datetime.datetime) -> None:
    instances = [_instance(source, run, row, now) for row in rows]
    Mention.objects.bulk_create(instances, batch_size=BATCH_SIZE)
    for row, instance in zip(rows, instances, strict=True):
        row.pk = instance.pk
    changed = link(source.workspace_id, source.pk, rows)
    updates = [Mention(pk=row.pk, duplicate_of_id=row.duplicate_of_id, thread_parent_id=row.thread_parent_id)
               for row in changed]  # fmt: skip
    Mention.objects.bulk_update(updates, ["duplicate_of", "thread_parent"], batch_size=BATCH_SIZE)
    MentionTopic.objects.bulk_create(
        [
            MentionTopic(
                workspace_id=source.workspace_id,
                mention_id=row.pk,
                topic_id=topic_id,
                published_at=row.published_at,
                matched_at=now,
            )
            for row in rows
            for topic_id in row.mention.topic_ids
        ],
        batch_size=BATCH_SIZE,
    )


def _instance(source: Source, run: IngestRun, row: StoredMention, now: datetime.datetime) -> Mention:
    mention = row.mention
    return Mention(
        workspace_id=source.workspace_id,
        source_id=source.pk,
        region_id=source.region_id,
        ingest_run_id=run.pk,
        fetched_at=now,
        created_at=now,
        network=mention.network,
        external_id=mention.external_id,
        url=mention.url,
        author_handle=mention.author_handle,
        author_name=mention.author_name,
        author_followers=mention.author_followers,
        author_url=mention.author_url,
        title=mention.title,
        text=mention.text,
        language=mention.language,
        published_at=row.published_at,
        like_count=mention.like_count,
        share_count=mention.share_count,
        comment_count=mention.comment_count,
        view_count=mention.view_count,
        reach_estimate=mention.reach_estimate,
        parent_external_id=mention.parent_external_id,
        country=mention.country,
        media=mention.media,
        raw=mention.raw,
        content_hash=mention.content_hash,
        enrichment_status=mention.enrichment_status,
        enrichment_model=mention.enrichment_model,
        sentiment=mention.sentiment,
        sentiment_score=mention.sentiment_score,
        intent=mention.intent,
        toxicity=mention.toxicity,
        engagement=mention.like_count + mention.share_count + mention.comment_count,
        search_text=mention.search_text,
    )


# --- PostgreSQL: COPY --------------------------------------------------------------------------------

_sequences: dict[str, str] = {}


def allocate_ids(table: str, count: int) -> list[int]:
    """``count`` fresh ids of ``table`` from its sequence, ascending, in one round trip (PostgreSQL)."""
    if count == 0:
        return []
    with connection.cursor() as cursor:
        sequence = _sequences.get(table)
        if sequence is None:
            cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            sequence = _sequences[table] = str(cursor.fetchone()[0])
        cursor.execute("SELECT nextval(%s::regclass) FROM generate_series(1, %s)", [sequence, count])
        return sorted(row[0] for row in cursor.fetchall())


def copy_rows(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """``COPY table (columns) FROM STDIN`` in the current transaction; errors become Django's."""
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor, connection.wrap_database_errors, cursor.cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row(row)


_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))  # one encoder, not one per value


def _json(value: Any) -> str:
    if type(value) is list and not value:  # most mentions have no media
        return "[]"
    return _JSON.encode(value)


def _copy_mentions(source: Source, run: IngestRun, rows: list[StoredMention], now: datetime.datetime) -> None:
    for row, pk in zip(rows, allocate_ids(Mention._meta.db_table, len(rows)), strict=True):
        row.pk = pk
    link(source.workspace_id, source.pk, rows)
    workspace_id, source_id, region_id, run_id = source.workspace_id, source.pk, source.region_id, run.pk
    copy_rows(
        Mention._meta.db_table,
        MENTION_COLUMNS,
        (
            (
                row.pk,
                workspace_id,
                source_id,
                region_id,
                run_id,
                mention.network,
                mention.external_id,
                mention.url,
                mention.author_handle,
                mention.author_name,
                mention.author_followers,
                mention.author_url,
                mention.title,
                mention.text,
                mention.language,
                row.published_at,
                now,
                mention.like_count,
                mention.share_count,
                mention.comment_count,
                mention.view_count,
                mention.reach_estimate,
                row.thread_parent_id,
                mention.parent_external_id,
                mention.country,
                _json(mention.media),
                _json(mention.raw),
                mention.content_hash,
                row.duplicate_of_id,
                mention.enrichment_status,
                mention.enrichment_model,
                mention.sentiment,
                mention.sentiment_score,
                mention.intent,
                mention.toxicity,
                mention.like_count + mention.share_count + mention.comment_count,
                mention.search_text,
                now,
            )
            for row in rows
            for mention in (row.mention,)
        ),
    )
    matches = [
        (workspace_id, row.pk, topic_id, row.published_at, now) for row in rows for topic_id in row.mention.topic_ids
    ]
    if matches:
        copy_rows(MentionTopic._meta.db_table, MATCH_COLUMNS, matches)
