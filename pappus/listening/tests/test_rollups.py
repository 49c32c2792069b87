"""Hourly rollups kept by the store stage, the facade's time series, and `pappus reprocess`
(resumable, fixing matches and rollups) on the real database."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.core.management import call_command

from pappus.core.audit import Actor
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_workspace
from pappus.listening import facade, rollups, services
from pappus.listening.models import Mention, MentionRollup, MentionTopic, ReprocessCheckpoint, RunStatus, Source
from pappus.listening.pipeline import map_normalized

ACTOR = Actor.system("test")
UTC = datetime.UTC


@pytest.fixture
def analyst(workspace: Any) -> Any:
    return make_member(workspace, Role.ANALYST)


@pytest.fixture
def source(analyst: Any) -> Source:
    return services.source_create(actor=ACTOR, membership=analyst, name="Hook", kind="webhook")


def ingest(source: Source, items: list[dict[str, Any]], analyze: Any = None) -> None:
    run = services.ingest_run_start(source)
    services.ingest_items(source=source, run=run, items=items, mapper=map_normalized, analyze=analyze)
    services.ingest_run_finish(run, status=RunStatus.SUCCEEDED)


def rollup_rows(workspace: Any) -> set[tuple[str, int, str, str, int]]:
    return {
        (row.hour.astimezone(UTC).strftime("%d %H"), row.topic_id, row.sentiment, row.language, row.count)
        for row in MentionRollup.objects.for_workspace(workspace)
    }


def positive_for_pappus(texts: list[str]) -> list[dict[str, Any]]:
    return [{"sentiment": "positive" if "pappus" in text.lower() else "negative"} for text in texts]


@pytest.mark.django_db
def test_the_store_stage_keeps_hourly_rollups_by_upsert(analyst: Any, source: Source) -> None:
    brand = services.topic_create(actor=ACTOR, membership=analyst, name="Brand", query="pappus")
    ingest(
        source,
        [
            {"external_id": "1", "text": "Pappus one", "language": "en", "published_at": "2026-01-05T10:05:00Z"},
            {"external_id": "2", "text": "Pappus two", "language": "en", "published_at": "2026-01-05T10:55:00Z"},
            {"external_id": "3", "text": "other", "language": "nb", "published_at": "2026-01-05T11:00:00Z"},
        ],
        analyze=positive_for_pappus,
    )
    late = {"external_id": "4", "text": "Pappus three", "language": "en", "published_at": "2026-01-05T10:30:00+01:00"}
    ingest(source, [late], analyze=positive_for_pappus)
    assert rollup_rows(analyst.workspace) == {
        ("05 09", 0, "positive", "en", 1),
        ("05 09", brand.pk, "positive", "en", 1),
        ("05 10", 0, "positive", "en", 2),
        ("05 10", brand.pk, "positive", "en", 2),
        ("05 11", 0, "negative", "nb", 1),
    }
    later = {"external_id": "5", "text": "Pappus four", "language": "en", "published_at": "2026-01-05T10:59:59Z"}
    ingest(source, [later], analyze=positive_for_pappus)
    assert ("05 10", brand.pk, "positive", "en", 3) in rollup_rows(analyst.workspace)


@pytest.mark.django_db
def test_the_facade_gives_a_zero_filled_series_from_the_rollups(analyst: Any, source: Source) -> None:
    brand = services.topic_create(actor=ACTOR, membership=analyst, name="Brand", query="pappus")
    ingest(
        source,
        [
            {"external_id": "1", "text": "Pappus a", "published_at": "2026-01-05T10:05:00Z"},
            {"external_id": "2", "text": "Pappus b", "published_at": "2026-01-05T12:10:00Z"},
            {"external_id": "3", "text": "nothing", "published_at": "2026-01-05T12:20:00Z"},
            {"external_id": "4", "text": "Pappus c", "published_at": "2026-01-06T01:00:00Z"},
        ],
    )
    since = datetime.datetime(2026, 1, 5, 10, tzinfo=UTC)
    series = facade.mention_series(
        analyst.workspace.pk, topic_id=brand.pk, since=since, until=since + datetime.timedelta(hours=4)
    )
    assert [(point.start.hour, point.count) for point in series.points] == [(10, 1), (11, 0), (12, 1), (13, 0)]
    everything = facade.mention_series(analyst.workspace.pk, since=since, until=since + datetime.timedelta(hours=4))
    assert [point.count for point in everything.points] == [1, 0, 2, 0]
    midnight = datetime.datetime(2026, 1, 5, tzinfo=UTC)
    daily = facade.mention_series(
        analyst.workspace.pk,
        topic_id=brand.pk,
        since=midnight,
        until=midnight + datetime.timedelta(days=2),
        bucket="day",
    )
    assert [(point.start.day, point.count) for point in daily.points] == [(5, 2), (6, 1)]
    assert daily.total == 3
    other = make_member(make_workspace(), Role.OWNER).workspace
    assert facade.mention_series(other.pk, since=since, until=since + datetime.timedelta(hours=2)).total == 0
    assert [topic.name for topic in facade.topics(analyst.workspace.pk)] == ["Brand"]


@pytest.mark.django_db
def test_reprocess_reanalyses_rematches_resumes_and_fixes_the_rollups(
    analyst: Any, source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(source, [
        {"external_id": str(number), "text": f"Pappus mention {number}" if number % 2 else f"coffee {number}",
         "published_at": f"2026-01-05T{number:02d}:00:00Z"}
        for number in range(1, 11)
    ])  # fmt: skip
    assert set(Mention.objects.values_list("enrichment_status", flat=True)) == {"unavailable"}
    brand = services.topic_create(actor=ACTOR, membership=analyst, name="Brand", query="pappus")
    assert not MentionTopic.objects.exists()  # a new topic matches nothing stored until reprocess

    monkeypatch.setattr("pappus.listening.pipeline._nlp_analyze", lambda: positive_for_pappus)
    calls = {"batches": 0}
    original = services.reprocess_batch

    def stopping(**kwargs: Any) -> tuple[int, int]:
        calls["batches"] += 1
        if calls["batches"] == 3:
            raise KeyboardInterrupt  # stopped half-way
        return original(**kwargs)

    monkeypatch.setattr(services, "reprocess_batch", stopping)
    with pytest.raises(KeyboardInterrupt):
        call_command("reprocess", "--batch-size", "3", "--no-progress", stdout=io.StringIO())
    checkpoint = ReprocessCheckpoint.objects.get(key=f"workspace:{analyst.workspace.pk}")
    assert checkpoint.processed == 6
    assert checkpoint.finished_at is None
    assert Mention.objects.filter(enrichment_status="done").count() == 6

    monkeypatch.setattr(services, "reprocess_batch", original)
    out = io.StringIO()
    call_command("reprocess", "--batch-size", "3", "--no-progress", stdout=out)
    assert f"{analyst.workspace.slug}: 4 mentions reprocessed; rollups rebuilt" in out.getvalue()
    assert Mention.objects.filter(enrichment_status="done").count() == 10
    assert MentionTopic.objects.filter(topic=brand).count() == 5
    series = facade.mention_series(
        analyst.workspace.pk,
        topic_id=brand.pk,
        since=datetime.datetime(2026, 1, 5, tzinfo=UTC),
        until=datetime.datetime(2026, 1, 6, tzinfo=UTC),
    )
    assert series.total == 5
    assert sum(MentionRollup.objects.filter(topic_id=0, sentiment="negative").values_list("count", flat=True)) == 5
    assert sum(MentionRollup.objects.filter(topic_id=0, sentiment="").values_list("count", flat=True)) == 0


@pytest.mark.django_db
def test_a_rebuild_equals_the_incremental_rollups(analyst: Any, source: Source) -> None:
    services.topic_create(actor=ACTOR, membership=analyst, name="Brand", query="pappus")
    ingest(source, [
        {"external_id": str(number), "text": "Pappus" if number % 3 else "other", "language": ["en", "nb"][number % 2],
         "published_at": f"2026-01-0{1 + number % 3}T0{number % 4}:30:00Z"}
        for number in range(30)
    ], analyze=positive_for_pappus)  # fmt: skip
    incremental = rollup_rows(analyst.workspace)
    rollups.rollups_rebuild(analyst.workspace.pk)
    assert rollup_rows(analyst.workspace) == incremental


def test_reprocess_refuses_an_unknown_workspace(db: None) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="no workspace with the id or slug: nope"):
        call_command("reprocess", "--workspace", "nope", "--no-progress")
