"""Every write to listening rows: sources, topics, ingest runs, mentions and rejected items.

Changes people make (sources, topics, retries) check permissions and record audit events.
Ingestion is system work: it writes mentions in bulk and keeps each run's accounting true,
``received = stored + duplicates + rejected``.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, Literal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Min
from django.utils import timezone

from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.models import Membership, Region
from pappus.core.permissions import Action, require
from pappus.listening import pipeline
from pappus.listening.models import (
    IngestRun,
    Mention,
    MentionTopic,
    RejectedItem,
    RunStatus,
    Source,
    SourceKind,
    Topic,
)
from pappus.listening.pipeline import Analyzer, Batch, Mapper, Rejection

logger = logging.getLogger(__name__)

SOURCE_FIELDS: Final = ("name", "kind", "url", "config", "is_active", "poll_interval_seconds", "region_id")
TOPIC_FIELDS: Final = ("name", "kind", "query", "is_active", "region_id")
BATCH_SIZE: Final = 500
MINIMUM_POLL_INTERVAL: Final = 60
# Secrets in a source's settings (webhook keys, tokens) never reach the audit log.
_SECRET_CONFIG_KEYS: Final = ("secret", "token", "password", "key")


def _audited_source(source: Source) -> dict[str, Any]:
    values = audit.snapshot(source, SOURCE_FIELDS)
    values["config"] = {
        key: ("***" if any(word in key.lower() for word in _SECRET_CONFIG_KEYS) else value)
        for key, value in (source.config or {}).items()
    }
    return values


def _check_region(membership: Membership, region: Region | None) -> None:
    if region is not None and region.workspace_id != membership.workspace_id:
        raise Region.DoesNotExist("the region belongs to another workspace")


def _owned[Row: (Source, Topic)](membership: Membership, row: Row) -> Row:
    if row.workspace_id != membership.workspace_id:
        raise type(row).DoesNotExist(f"the {row._meta.verbose_name} belongs to another workspace")
    return row


# --- sources ---------------------------------------------------------------------------------


@transaction.atomic
def source_create(
    *,
    actor: Actor,
    membership: Membership,
    name: str,
    kind: str,
    url: str = "",
    config: Mapping[str, Any] | None = None,
    poll_interval_seconds: int = 900,
    region: Region | None = None,
) -> Source:
    """Add a source; a polled one is due at once."""
    require(membership, Action.LISTENING_MANAGE)
    _check_region(membership, region)
    source = Source(
        workspace_id=membership.workspace_id,
        region=region,
        name=name,
        kind=SourceKind(kind),
        url=url,
        config=dict(config or {}),
        poll_interval_seconds=poll_interval_seconds,
        next_poll_at=timezone.now() if kind == SourceKind.RSS else None,
    )
    _validate_source(source)
    source.save()
    audit.record(
        actor, "listening.source.create", workspace=membership.workspace, target=source, after=_audited_source(source)
    )
    return source


def _validate_source(source: Source) -> None:
    source.full_clean()
    if source.kind == SourceKind.RSS and not source.url:
        raise ValidationError({"url": "A feed needs its address (http:// or https://)."})
    if source.poll_interval_seconds < MINIMUM_POLL_INTERVAL:
        raise ValidationError({"poll_interval_seconds": f"Poll at most once a minute ({MINIMUM_POLL_INTERVAL} s)."})


@transaction.atomic
def source_update(*, actor: Actor, membership: Membership, source: Source, **values: Any) -> Source:
    """Change a source's settings; a new address forgets the old feed's validators."""
    require(membership, Action.LISTENING_MANAGE)
    source = Source.objects.for_workspace(membership.workspace_id).select_for_update().get(pk=source.pk)
    before = _audited_source(source)
    for name, value in values.items():
        if name == "region":
            _check_region(membership, value)
        elif name not in SOURCE_FIELDS:
            raise ValueError(f"unknown source field: {name}")
        setattr(source, name, value)
    if "url" in values and before["url"] != source.url:
        source.etag = source.last_modified = ""
        source.next_poll_at = timezone.now()
    _validate_source(source)
    source.save()
    audit.record(
        actor,
        "listening.source.update",
        workspace=membership.workspace,
        target=source,
        before=before,
        after=_audited_source(source),
    )
    return source


@transaction.atomic
def source_delete(*, actor: Actor, membership: Membership, source: Source) -> None:
    """Delete a source with its mentions, runs and rejected items."""
    require(membership, Action.LISTENING_MANAGE)
    source = _owned(membership, source)
    before = _audited_source(source)
    audit.record(actor, "listening.source.delete", workspace=membership.workspace, target=source, before=before)
    source.delete()


# --- topics ----------------------------------------------------------------------------------


@transaction.atomic
def topic_create(
    *,
    actor: Actor,
    membership: Membership,
    name: str,
    query: str,
    kind: str = "brand",
    region: Region | None = None,
) -> Topic:
    """Add a topic; a query with an error raises ``ValidationError`` naming the position."""
    require(membership, Action.LISTENING_MANAGE)
    _check_region(membership, region)
    topic = Topic(workspace_id=membership.workspace_id, name=name, query=query.strip(), kind=kind, region=region)
    topic.full_clean()
    topic.save()
    audit.record(
        actor,
        "listening.topic.create",
        workspace=membership.workspace,
        target=topic,
        after=audit.snapshot(topic, TOPIC_FIELDS),
    )
    return topic


@transaction.atomic
def topic_update(*, actor: Actor, membership: Membership, topic: Topic, **values: Any) -> Topic:
    """Change a topic; stored mentions keep their matches until ``pappus reprocess`` runs."""
    require(membership, Action.LISTENING_MANAGE)
    topic = Topic.objects.for_workspace(membership.workspace_id).select_for_update().get(pk=topic.pk)
    before = audit.snapshot(topic, TOPIC_FIELDS)
    for name, value in values.items():
        if name == "region":
            _check_region(membership, value)
        elif name not in TOPIC_FIELDS:
            raise ValueError(f"unknown topic field: {name}")
        setattr(topic, name, value.strip() if name == "query" else value)
    topic.full_clean()
    topic.save()
    audit.record(
        actor,
        "listening.topic.update",
        workspace=membership.workspace,
        target=topic,
        before=before,
        after=audit.snapshot(topic, TOPIC_FIELDS),
    )
    return topic


@transaction.atomic
def topic_delete(*, actor: Actor, membership: Membership, topic: Topic) -> None:
    require(membership, Action.LISTENING_MANAGE)
    topic = _owned(membership, topic)
    audit.record(
        actor,
        "listening.topic.delete",
        workspace=membership.workspace,
        target=topic,
        before=audit.snapshot(topic, TOPIC_FIELDS),
    )
    topic.delete()


# --- ingestion -------------------------------------------------------------------------------


def ingest_run_start(source: Source) -> IngestRun:
    return IngestRun.objects.create(workspace_id=source.workspace_id, source=source)


def ingest_run_finish(run: IngestRun, *, status: str, error: str = "", http_status: int | None = None) -> IngestRun:
    """Close ``run``; its counters come from the database, where batches added them."""
    run.refresh_from_db(fields=["received", "stored", "duplicates", "rejected"])
    run.status = RunStatus(status)
    run.error = error
    run.http_status = http_status
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "error", "http_status", "finished_at"])
    if not run.is_balanced:  # pragma: no cover - a bug in the pipeline, loud in the logs
        logger.error("listening.run.unbalanced", extra={"run": run.pk, "source": run.source_id})
    return run


def _count(run: IngestRun, *, received: int, stored: int, duplicates: int, rejected: int) -> None:
    IngestRun.objects.filter(pk=run.pk).update(
        received=F("received") + received,
        stored=F("stored") + stored,
        duplicates=F("duplicates") + duplicates,
        rejected=F("rejected") + rejected,
    )


@transaction.atomic
def ingest_reject(run: IngestRun, *, stage: str, reason: str, raw: Mapping[str, Any]) -> RejectedItem:
    """Account for one item refused before the pipeline (a broken feed document, an oversized body)."""
    item = RejectedItem.objects.create(
        workspace_id=run.workspace_id,
        source_id=run.source_id,
        run=run,
        stage=stage,
        reason=reason,
        raw=pipeline.clean_payload(dict(raw)),
    )
    _count(run, received=1, stored=0, duplicates=0, rejected=1)
    return item


def _stored_external_ids(source: Source) -> Any:
    def lookup(external_ids: Iterable[str]) -> set[str]:
        wanted = list(set(external_ids))
        found: set[str] = set()
        for start in range(0, len(wanted), BATCH_SIZE):
            found.update(
                Mention.objects.for_workspace(source.workspace_id)
                .filter(source=source, external_id__in=wanted[start : start + BATCH_SIZE])
                .values_list("external_id", flat=True)
            )
        return found

    return lookup


def _active_topic_index(workspace_id: int) -> Any:
    topics = Topic.objects.for_workspace(workspace_id).filter(is_active=True).values_list("pk", "query")
    return pipeline.build_topic_index(topics)


def _store(source: Source, run: IngestRun, batch: Batch) -> None:
    """Write the batch's mentions, their topic matches and its rejections in bulk."""
    now = timezone.now()
    rows = [
        Mention(
            workspace_id=source.workspace_id,
            source=source,
            region_id=source.region_id,
            ingest_run=run,
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
            published_at=mention.published_at or now,
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
        )
        for mention in batch.mentions
    ]
    Mention.objects.bulk_create(rows, batch_size=BATCH_SIZE)
    _cluster(source, rows)
    _link_threads(source, rows)
    matches = [
        MentionTopic(
            workspace_id=source.workspace_id,
            mention=row,
            topic_id=topic_id,
            published_at=row.published_at,
            matched_at=now,
        )
        for row, mention in zip(rows, batch.mentions, strict=True)
        for topic_id in mention.topic_ids
    ]
    MentionTopic.objects.bulk_create(matches, batch_size=BATCH_SIZE)
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


def _cluster(source: Source, rows: Sequence[Mention]) -> None:
    """Point each near-duplicate at the first stored mention with the same content hash."""
    hashes = {row.content_hash for row in rows if row.content_hash}
    if not hashes:
        return
    first = dict(
        Mention.objects.for_workspace(source.workspace_id)
        .filter(content_hash__in=hashes)
        .values("content_hash")
        .annotate(first=Min("pk"))
        .values_list("content_hash", "first")
    )
    changed = []
    for row in rows:
        representative = first.get(row.content_hash)
        if representative is not None and representative != row.pk:
            row.duplicate_of_id = representative
            changed.append(row)
    Mention.objects.bulk_update(changed, ["duplicate_of"], batch_size=BATCH_SIZE)


def _link_threads(source: Source, rows: Sequence[Mention]) -> None:
    """Link replies to parents of the same source that are stored (earlier or in this batch)."""
    parents = {row.parent_external_id for row in rows if row.parent_external_id}
    if not parents:
        return
    found = dict(
        Mention.objects.for_workspace(source.workspace_id)
        .filter(source=source, external_id__in=parents)
        .values_list("external_id", "pk")
    )
    changed = []
    for row in rows:
        parent = found.get(row.parent_external_id)
        if parent is not None and parent != row.pk:
            row.thread_parent_id = parent
            changed.append(row)
    Mention.objects.bulk_update(changed, ["thread_parent"], batch_size=BATCH_SIZE)


def ingest_items(
    *,
    source: Source,
    run: IngestRun,
    items: Sequence[Mapping[str, Any]],
    mapper: Mapper,
    analyze: Analyzer | Literal["auto"] | None = "auto",
) -> Batch:
    """Take raw items through every stage and store them, ``BATCH_SIZE`` at a time.

    Returns the last batch; the run's counters hold the totals. A batch that meets a
    concurrent writer (the same external id stored meanwhile) is deduplicated again once.
    """
    index = _active_topic_index(source.workspace_id)
    lookup = _stored_external_ids(source)
    names = (source.kind,)
    batch = Batch(received=0)
    for start in range(0, len(items), BATCH_SIZE):
        chunk = items[start : start + BATCH_SIZE]
        for attempt in (1, 2):
            batch = pipeline.run_stages(
                chunk,
                mapper=mapper,
                already_stored=lookup,
                index=index,
                sources=names,
                analyze=analyze,
            )
            try:
                with transaction.atomic():
                    _store(source, run, batch)
                    _count(
                        run,
                        received=batch.received,
                        stored=len(batch.mentions),
                        duplicates=len(batch.duplicates),
                        rejected=len(batch.rejections),
                    )
            except IntegrityError:
                if attempt == 2:
                    raise
                logger.warning("listening.ingest.concurrent_write", extra={"source": source.pk, "run": run.pk})
                continue
            break
    return batch


def ingest_rejections(run: IngestRun, rejections: Iterable[Rejection]) -> None:
    """Account for items a reader refused before mapping (each one received and rejected)."""
    for rejection in rejections:
        ingest_reject(run, stage=rejection.stage, reason=rejection.reason, raw=rejection.raw)


# --- source health ---------------------------------------------------------------------------

MAXIMUM_BACKOFF: Final = datetime.timedelta(hours=6)


def backoff_delay(source: Source, failures: int, retry_after: float | None = None) -> datetime.timedelta:
    """The wait after ``failures`` failures in a row: the interval doubled per failure, at most
    six hours, and never shorter than a server's ``Retry-After``."""
    delay = datetime.timedelta(seconds=source.poll_interval_seconds * 2 ** min(failures, 10))
    delay = min(delay, MAXIMUM_BACKOFF)
    if retry_after is not None:
        delay = max(delay, datetime.timedelta(seconds=retry_after))
    return delay


def source_record_success(source: Source, *, etag: str = "", last_modified: str = "") -> Source:
    now = timezone.now()
    Source.objects.filter(pk=source.pk).update(
        last_polled_at=now,
        last_success_at=now,
        consecutive_failures=0,
        etag=etag[:500],
        last_modified=last_modified[:100],
        next_poll_at=now + datetime.timedelta(seconds=source.poll_interval_seconds),
    )
    source.refresh_from_db()
    return source


def source_record_failure(source: Source, *, error: str, retry_after: float | None = None) -> Source:
    """Note the error and push the next poll back (exponential backoff)."""
    now = timezone.now()
    failures = source.consecutive_failures + 1
    Source.objects.filter(pk=source.pk).update(
        last_polled_at=now,
        last_error_at=now,
        last_error=error[:2000],
        consecutive_failures=failures,
        next_poll_at=now + backoff_delay(source, failures, retry_after),
    )
    source.refresh_from_db()
    return source


# --- retries ---------------------------------------------------------------------------------


def rejected_item_retry(
    *,
    actor: Actor,
    membership: Membership,
    item: RejectedItem,
    mapper: Mapper,
    analyze: Analyzer | Literal["auto"] | None = "auto",
) -> IngestRun:
    """Send one rejected item through the pipeline again, as a run of its own.

    The item is marked retried; when the new run stores it (or finds it already stored)
    it is marked resolved. A rejection of the whole feed document is retried by polling
    the source again instead (``pappus.listening.feeds.poll_source``).
    """
    require(membership, Action.LISTENING_MANAGE)
    item = RejectedItem.objects.for_workspace(membership.workspace_id).select_related("source").get(pk=item.pk)
    if item.stage != "normalize":
        raise ValueError(f"a rejection at the {item.stage} stage is retried by polling the source again")
    run = ingest_run_start(item.source)
    batch = ingest_items(source=item.source, run=run, items=[item.raw], mapper=mapper, analyze=analyze)
    run = ingest_run_finish(run, status=RunStatus.SUCCEEDED)
    now = timezone.now()
    item.retried_at = now
    if not batch.rejections:
        item.resolved_at = now
    item.save(update_fields=["retried_at", "resolved_at"])
    audit.record(
        actor,
        "listening.rejected_item.retry",
        workspace=membership.workspace,
        target=item,
        after={"run": run.pk, "resolved": item.resolved_at is not None},
    )
    return run


def rejected_fetches_resolve(source: Source) -> int:
    """After a good poll, the source's earlier unreadable documents count as resolved."""
    return (
        RejectedItem.objects.for_workspace(source.workspace_id)
        .filter(source=source, stage="fetch", resolved_at__isnull=True)
        .update(resolved_at=timezone.now())
    )


@transaction.atomic
def sources_claim_due(*, limit: int = 100) -> list[int]:
    """Claim up to ``limit`` polled sources that are due, so that no other scheduler run takes them.

    Each claimed source's next poll moves one interval on; the poll itself sets it again
    from its outcome (the interval after a success, backoff after a failure).
    """
    now = timezone.now()
    due = list(
        Source.objects.select_for_update(skip_locked=True)
        .filter(is_active=True, kind=SourceKind.RSS, next_poll_at__lte=now)
        .order_by("next_poll_at")[:limit]
    )
    for source in due:
        source.next_poll_at = now + datetime.timedelta(seconds=source.poll_interval_seconds)
    Source.objects.bulk_update(due, ["next_poll_at"])
    return [source.pk for source in due]
