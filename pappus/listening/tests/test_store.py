"""The store stage both ways: COPY on PostgreSQL and ``bulk_create`` give the same rows, links,
topic matches and rollups for the same input, and a concurrent writer is met the same way."""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterable, Mapping
from typing import Any

import pytest

from pappus.core.audit import Actor
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_region, make_workspace
from pappus.listening import services, store
from pappus.listening.models import (
    IngestRun,
    Mention,
    MentionRollup,
    MentionTopic,
    RejectedItem,
    RunStatus,
    Source,
    Topic,
)
from pappus.listening.pipeline import NormalizedMention, map_normalized

ACTOR = Actor.system("test")
MENTION_FIELDS = (
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
    "like_count",
    "share_count",
    "comment_count",
    "view_count",
    "reach_estimate",
    "parent_external_id",
    "country",
    "media",
    "raw",
    "content_hash",
    "enrichment_status",
    "enrichment_model",
    "sentiment",
    "sentiment_score",
    "intent",
    "toxicity",
    "engagement",
    "search_text",
)


def mapper(item: Mapping[str, Any]) -> NormalizedMention:
    return map_normalized(item, network="webhook")


def analyze(texts: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "language": "zh" if "咖啡" in text else "",
            "sentiment": "negative" if "slow" in text else "positive",
            "sentiment_score": 0.25,
            "intent": "complaint" if "slow" in text else "",
            "toxicity": 0.5 if "awful" in text else None,
            "model": "test-model",
        }
        for text in texts
    ]


FIRST_RUN: list[dict[str, Any]] = [
    {"external_id": "a", "text": "Pappus opens a coffee shop in Oslo today", "author_handle": "@news",
     "published_at": "2026-03-01T10:15:00Z", "like_count": 3, "share_count": 2, "comment_count": 1,
     "media": [{"type": "image", "url": "https://example.org/a.jpg"}], "country": "no", "language": "en"},
    {"external_id": "b", "text": "RT @news: Pappus opens a COFFEE-shop in Oslo today! https://t.co/x",
     "published_at": "2026-03-01T10:20:00Z", "language": "en"},
    {"external_id": "c", "text": "Congratulations, Pappus!", "parent_external_id": "a",
     "published_at": "2026-03-01T11:00:00+01:00"},
    {"external_id": "d", "text": "Pappus delivery is slow and awful", "view_count": 40, "reach_estimate": 900,
     "author_followers": 12, "author_name": "Ann «Q»", "url": "https://example.org/d", "title": "Tab\there",
     "published_at": "2026-03-01T13:00:00Z"},
    {"external_id": "e", "text": "Pappus 咖啡很好喝, tab\tand back\\slash", "language": "zh",
     "published_at": "2026-03-02T00:00:00Z"},
    {"external_id": "f", "text": "a reply to a reply", "parent_external_id": "c",
     "published_at": "2026-03-01T10:30:00Z"},
    {"external_id": "a", "text": "sent twice"},
    {"external_id": "g", "text": ""},
    {"external_id": "h", "text": "self reply", "parent_external_id": "h", "published_at": "2026-03-01T10:31:00Z"},
    {"external_id": "i", "text": "nothing\x00 about any brand here at all", "published_at": "2026-03-01T10:32:00Z"},
]  # fmt: skip
SECOND_RUN: list[dict[str, Any]] = [
    {"external_id": "b", "text": "already stored"},
    {"external_id": "j", "text": "Pappus opens a coffee shop in Oslo today", "published_at": "2026-03-01T12:00:00Z"},
    {"external_id": "k", "text": "late reply", "parent_external_id": "d", "published_at": "2026-03-01T12:05:00Z"},
    {"external_id": "l", "text": "bad count", "like_count": "many"},
]  # fmt: skip


def ingest(source: Source, items: list[dict[str, Any]], **options: Any) -> IngestRun:
    run = services.ingest_run_start(source)
    services.ingest_items(source=source, run=run, items=items, mapper=mapper, analyze=analyze, **options)
    return services.ingest_run_finish(run, status=RunStatus.SUCCEEDED)


def build_workspace(name: str) -> Source:
    workspace = make_workspace()
    analyst = make_member(workspace, Role.ANALYST)
    region = make_region(workspace, name=f"North {name}")
    services.topic_create(actor=ACTOR, membership=analyst, name="Brand", query="pappus")
    services.topic_create(actor=ACTOR, membership=analyst, name="Coffee", query="coffee OR 咖啡")
    services.topic_create(actor=ACTOR, membership=analyst, name="Complaints", query="slow OR awful")
    return services.source_create(actor=ACTOR, membership=analyst, name="Hook", kind="webhook", region=region)


def snapshot(source: Source, runs: Iterable[IngestRun]) -> dict[str, Any]:
    """Everything the store stage wrote for ``source``, with ids replaced by what they point at."""
    workspace = source.workspace_id
    mentions = list(Mention.objects.for_workspace(workspace).order_by("pk"))
    external = {row.pk: row.external_id for row in mentions}
    topics = dict(Topic.objects.for_workspace(workspace).values_list("pk", "name"))
    assert {row.source_id for row in mentions} == {source.pk}
    assert {row.region_id for row in mentions} == {source.region_id}
    assert {row.ingest_run_id for row in mentions} <= {run.pk for run in runs}
    return {
        "order": [row.external_id for row in mentions],
        "mentions": {
            row.external_id: {
                **{name: getattr(row, name) for name in MENTION_FIELDS},
                "duplicate_of": external.get(row.duplicate_of_id or 0),
                "thread_parent": external.get(row.thread_parent_id or 0),
            }
            for row in mentions
        },
        "matches": sorted(
            (external[match.mention_id], topics[match.topic_id], match.published_at)
            for match in MentionTopic.objects.for_workspace(workspace)
        ),
        "rollups": sorted(
            (
                row.hour,
                topics.get(row.topic_id, "all"),
                row.sentiment,
                row.language,
                row.region_id == source.region_id,
                row.count,
            )
            for row in MentionRollup.objects.for_workspace(workspace)
        ),
        "rejected": sorted(
            (row.stage, row.reason, str(row.raw)) for row in RejectedItem.objects.for_workspace(workspace)
        ),
        "runs": [(run.received, run.stored, run.duplicates, run.rejected) for run in runs],
    }


def store_both_ways(monkeypatch: pytest.MonkeyPatch, methods: tuple[str, ...]) -> list[dict[str, Any]]:
    results = []
    for method in methods:
        monkeypatch.setattr(store, "METHOD", method)
        source = build_workspace(method)
        runs = [ingest(source, FIRST_RUN, batch_size=4), ingest(source, SECOND_RUN, batch_size=4)]
        results.append(snapshot(source, runs))
    return results


def check_expected(result: dict[str, Any]) -> None:
    mentions = result["mentions"]
    assert result["runs"] == [(10, 8, 1, 1), (4, 2, 1, 1)]
    assert result["order"] == ["a", "b", "c", "d", "e", "f", "h", "i", "j", "k"]
    assert {key: (row["duplicate_of"], row["thread_parent"]) for key, row in mentions.items()} == {
        "a": (None, None),
        "b": ("a", None),
        "c": (None, "a"),
        "d": (None, None),
        "e": (None, None),
        "f": (None, "c"),
        "h": (None, None),
        "i": (None, None),
        "j": ("a", None),
        "k": (None, "d"),
    }
    assert mentions["a"]["media"] == [{"type": "image", "url": "https://example.org/a.jpg"}]
    assert (mentions["a"]["engagement"], mentions["a"]["country"]) == (6, "NO")
    assert mentions["d"]["author_name"] == "Ann «Q»"
    assert mentions["d"]["title"] == "Tab\there"
    assert (mentions["d"]["sentiment"], mentions["d"]["intent"], mentions["d"]["toxicity"]) == (
        "negative",
        "complaint",
        0.5,
    )
    assert mentions["e"]["text"] == "Pappus 咖啡很好喝, tab\tand back\\slash"
    assert mentions["e"]["search_text"] == " pappus 咖啡 很 好喝 tab and back slash "
    assert mentions["i"]["text"] == "nothing about any brand here at all"
    assert mentions["c"]["published_at"] == datetime.datetime(2026, 3, 1, 10, 0, tzinfo=datetime.UTC)
    assert [(key, topic) for key, topic, _ in result["matches"]] == [
        ("a", "Brand"), ("a", "Coffee"), ("b", "Brand"), ("b", "Coffee"), ("c", "Brand"), ("d", "Brand"),
        ("d", "Complaints"), ("e", "Brand"), ("e", "Coffee"), ("j", "Brand"), ("j", "Coffee"),
    ]  # fmt: skip
    hour = datetime.datetime(2026, 3, 1, 10, tzinfo=datetime.UTC)
    assert (hour, "Brand", "positive", "en", True, 2) in result["rollups"]
    assert (hour, "all", "positive", "", True, 4) in result["rollups"]  # c, f, h, i


@pytest.mark.django_db
def test_copy_stores_exactly_what_bulk_create_stores(postgres_required: None, monkeypatch: pytest.MonkeyPatch) -> None:
    bulk, copy = store_both_ways(monkeypatch, ("bulk", "copy"))
    check_expected(bulk)
    assert copy == bulk


@pytest.mark.django_db
def test_the_store_stage_links_matches_and_counts(monkeypatch: pytest.MonkeyPatch) -> None:
    """On either database (COPY on PostgreSQL, bulk_create on SQLite) the same expected rows."""
    [result] = store_both_ways(monkeypatch, ("auto",))
    check_expected(result)


@pytest.mark.django_db
def test_a_concurrent_writer_is_met_by_deduplicating_the_batch_again(
    monkeypatch: pytest.MonkeyPatch, workspace: Any
) -> None:
    """Another writer stores an external id after the batch was deduplicated and before it is
    written: the unique key refuses the whole write (COPY or INSERT), the savepoint is rolled
    back and the batch goes through again, now counting that item as a duplicate."""
    source = build_workspace("race")
    ingest(source, [{"external_id": "x", "text": "Pappus first, by the other writer"}])
    lookups: list[int] = []
    original = services._stored_external_ids

    def late_lookup(of: Source) -> Any:
        real = original(of)

        def lookup(external_ids: Iterable[str]) -> set[str]:
            lookups.append(1)
            return set() if len(lookups) == 1 else real(external_ids)  # the first one ran before the other write

        return lookup

    monkeypatch.setattr(services, "_stored_external_ids", late_lookup)
    run = ingest(source, [{"external_id": "y", "text": "Pappus second"}, {"external_id": "x", "text": "Pappus again"}])
    assert (run.received, run.stored, run.duplicates, run.rejected) == (2, 1, 1, 0)
    assert len(lookups) == 2
    workspace_id = source.workspace_id
    assert sorted(Mention.objects.for_workspace(workspace_id).values_list("external_id", "text")) == [
        ("x", "Pappus first, by the other writer"),
        ("y", "Pappus second"),
    ]
    assert MentionTopic.objects.for_workspace(workspace_id).count() == 2
    brand = Topic.objects.for_workspace(workspace_id).get(name="Brand")
    assert sum(MentionRollup.objects.for_workspace(workspace_id).filter(topic_id=brand.pk).values_list(
        "count", flat=True)) == 2  # fmt: skip


@pytest.mark.django_db(transaction=True)
def test_overlapped_store_writes_what_the_serial_store_writes(
    postgres_required: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Batch N stored on a second connection while batch N+1 goes through the stages: the same
    rows, links, matches, rollups and counts as one batch after the other, and an external id of
    the batch in flight, sent again in the next batch, counts as a duplicate."""
    threads: list[str] = []
    original = services._store

    def recording_store(source: Source, run: IngestRun, batch: Any) -> None:
        threads.append(threading.current_thread().name)
        original(source, run, batch)

    monkeypatch.setattr(services, "_store", recording_store)
    results = []
    for overlap in (False, True):
        source = build_workspace(f"overlap {overlap}")
        runs = [
            ingest(source, FIRST_RUN, batch_size=4, overlap=overlap),
            ingest(source, SECOND_RUN, batch_size=4, overlap=overlap),
        ]
        results.append(snapshot(source, runs))
    check_expected(results[0])
    assert results[1] == results[0]
    assert threads[:4] == ["MainThread"] * 4  # 3 batches of the first run, 1 of the second
    assert all(name.startswith("listening-store") for name in threads[4:])
    assert len(threads) == 8


@pytest.mark.django_db(transaction=True)
def test_overlapped_store_meets_a_concurrent_writer_by_deduplicating_again(
    postgres_required: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The batch in flight is refused by the unique key (another writer stored one of its ids):
    it is deduplicated again and stored on the main connection; the accounting stays balanced."""
    source = build_workspace("race overlapped")
    ingest(source, [{"external_id": "x", "text": "Pappus first, by the other writer"}], overlap=True)
    lookups: list[int] = []
    original = services._stored_external_ids

    def late_lookup(of: Source) -> Any:
        real = original(of)

        def lookup(external_ids: Iterable[str]) -> set[str]:
            lookups.append(1)
            return set() if len(lookups) == 1 else real(external_ids)

        return lookup

    monkeypatch.setattr(services, "_stored_external_ids", late_lookup)
    items = [{"external_id": "y", "text": "Pappus second"}, {"external_id": "x", "text": "Pappus again"}]
    run = ingest(source, [*items, {"external_id": "z", "text": "Pappus third"}], batch_size=2, overlap=True)
    assert (run.received, run.stored, run.duplicates, run.rejected) == (3, 2, 1, 0)
    assert sorted(Mention.objects.for_workspace(source.workspace_id).values_list("external_id", "text")) == [
        ("x", "Pappus first, by the other writer"),
        ("y", "Pappus second"),
        ("z", "Pappus third"),
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("overlap", [False, True])
def test_a_growing_run_refreshes_the_planner_statistics(
    postgres_required: None, monkeypatch: pytest.MonkeyPatch, overlap: bool
) -> None:
    """A run analyses the mention tables after 3, 6, 12 … stored mentions here (10,000, 20,000 …
    in production), so the stored-id lookup is not planned for the empty table it started with."""
    from django.db import connection

    monkeypatch.setattr(services._Statistics, "FIRST", 3)
    source = build_workspace(f"statistics {overlap}")
    items = [
        {"external_id": f"s{number}", "text": f"pappus post number {number}", "published_at": "2026-03-01T10:00:00Z"}
        for number in range(12)
    ]
    statements: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        run = ingest(source, items, batch_size=2, overlap=overlap)
    assert (run.received, run.stored) == (12, 12)
    # Stored 2, 4 (≥ 3: analysed, next at 8), 6, 8 (analysed, next at 16), 10, 12.
    assert [sql for sql in statements if sql.startswith("ANALYZE")] == [
        "ANALYZE listening_mention, listening_mentiontopic"
    ] * 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'listening_mention'")
        assert cursor.fetchone()[0] == 8  # what the table held at the second ANALYZE
