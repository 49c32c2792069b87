"""Every write to listening rows: sources, topics, ingest runs, mentions and rejected items.

Changes people make (sources, topics, retries) check permissions and record audit events.
Ingestion is system work: it writes mentions in bulk and keeps each run's accounting true,
``received = stored + duplicates + rejected``.
"""

from __future__ import annotations

import datetime
import functools
import itertools
import json
import logging
import sys
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Final, Literal

from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.jobs import enqueue_on_commit
from pappus.core.models import Membership, Region
from pappus.core.permissions import Action, require
from pappus.listening import handover, imports, pipeline, store, webhooks
from pappus.listening.imports import ImportFileError, MappingError, import_preview
from pappus.listening.models import (
    DeliveryStatus,
    FileImport,
    ImportStatus,
    IngestRun,
    Mention,
    MentionTopic,
    RejectedItem,
    RunStatus,
    Source,
    SourceKind,
    Topic,
    WebhookDelivery,
)
from pappus.listening.pipeline import Analyzer, Batch, ItemRejectedError, Locator, Mapper, NormalizedMention, Rejection
from pappus.listening.query import QueryIndex

logger = logging.getLogger(__name__)

SOURCE_FIELDS: Final = ("name", "kind", "url", "config", "is_active", "poll_interval_seconds", "region_id")
TOPIC_FIELDS: Final = ("name", "kind", "query", "is_active", "region_id")
# Mentions per batch of the pipeline. Each batch pays fixed costs (numpy calls of the models, a
# few round trips, one transaction): at 1,000 the stages take ~8 % less CPU per mention than at
# 500 (bench/listening_stages.py), and 2,000 gains nothing more; memory stays well under 1 GiB.
BATCH_SIZE: Final = 1000
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


def _owned[Row: (Source, Topic, FileImport)](membership: Membership, row: Row) -> Row:
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
    if source.kind == SourceKind.WEBHOOK:
        credentials = webhooks.new_credentials()
        source.token = credentials.token
        source.config.setdefault("signing_secret", credentials.secret)
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


def _stored_external_ids(source: Source) -> Lookup:
    def lookup(external_ids: Iterable[str]) -> set[str]:
        return set(store.ids_of_external_ids(source.workspace_id, source.pk, external_ids))

    return lookup


def _active_topic_index(workspace_id: int) -> QueryIndex[int]:
    topics = Topic.objects.for_workspace(workspace_id).filter(is_active=True).values_list("pk", "query")
    return pipeline.build_topic_index(topics)


def _store(source: Source, run: IngestRun, batch: Batch) -> None:
    """Write the batch's mentions, their topic matches, links, rollups and rejections in bulk
    (COPY on PostgreSQL, ``bulk_create`` elsewhere: :mod:`pappus.listening.store`)."""
    store.store_batch(source, run, batch, timezone.now())


type Chunk = tuple[Mapping[str, Any], ...]
type Lookup = Callable[[Iterable[str]], set[str]]
type Stages = Callable[..., Batch]  # pipeline.run_stages with everything but the items and the lookup
type Pending = tuple[Future[None], Chunk, Batch]  # the batch in flight, its items, its result


def _store_counted(source: Source, run: IngestRun, batch: Batch) -> None:
    """Store one batch and add it to the run's counters, in one transaction."""
    with transaction.atomic():
        _store(source, run, batch)
        _count(
            run,
            received=batch.received,
            stored=len(batch.mentions),
            duplicates=len(batch.duplicates),
            rejected=len(batch.rejections),
        )


def _close_thread_connection() -> None:
    connection.close()


def overlap_available() -> bool:
    """Whether a batch may be stored on a second connection while the next one is computed:
    PostgreSQL (psycopg lets go of the GIL while it waits), and the caller not inside a
    transaction (a second connection could not see its rows)."""
    return connection.vendor == "postgresql" and not connection.in_atomic_block


def ingest_items(
    *,
    source: Source,
    run: IngestRun,
    items: Iterable[Mapping[str, Any]],
    mapper: Mapper,
    analyze: Analyzer | Literal["auto"] | None = "auto",
    index: QueryIndex[int] | None = None,
    batch_size: int | None = None,
    locate: Locator | None = None,
    overlap: bool | None = None,
) -> Batch:
    """Take raw items through every stage and store them, ``BATCH_SIZE`` at a time.

    ``items`` may be any iterable (a generator reading a large file): it is consumed one batch
    at a time, so memory stays flat. ``index`` (the workspace's active topics) is built when
    not given. Returns the last batch; the run's counters hold the totals. A batch that meets
    a concurrent writer (the same external id stored meanwhile) is deduplicated again once.

    ``overlap`` (default: :func:`overlap_available`) stores batch N on a second connection in a
    thread while batch N+1 goes through the stages; batch N+1's dedupe counts batch N's external
    ids as stored. At most one batch is in flight, and it commits before the next is handed over.
    """
    index = _active_topic_index(source.workspace_id) if index is None else index
    lookup = _stored_external_ids(source)
    stages: Stages = functools.partial(
        pipeline.run_stages,
        mapper=mapper,
        index=index,
        sources=(source.kind,),
        analyze=analyze,
        locate=locate,
        memo=pipeline.AnalysisMemo(),  # reposts and copies within this run are analysed once
    )
    if overlap is None:
        overlap = overlap_available()
    if overlap:
        return _ingest_overlapped(source, run, itertools.batched(items, batch_size or BATCH_SIZE), stages, lookup)
    batch = Batch(received=0)
    statistics = _Statistics()
    for chunk in itertools.batched(items, batch_size or BATCH_SIZE):
        batch = _stages_and_store(source, run, chunk, stages, lookup)
        handover.after_store(source, batch)  # direct interactions with the brand go to the inbox, after commit
        statistics.stored(len(batch.mentions))
    return batch


class _Statistics:
    """Fresh planner statistics while a long run grows the mention tables (PostgreSQL).

    A table loaded faster than autovacuum analyses it (or where autovacuum is off) keeps the
    statistics of its empty start: the planner then reads the stored-id lookup's index on
    (workspace, source) and filters the ids, one scan of the whole source per batch, and a run
    slows down as it grows (a 1,000,000 run fell from 2,100 mentions/s to 110 by 874,000). ``ANALYZE``
    after 10,000, 20,000, 40,000 … mentions stored by the run costs a few seconds per million.
    """

    FIRST: Final = 10_000

    def __init__(self) -> None:
        self.total = 0
        self.next = self.FIRST

    def stored(self, count: int) -> None:
        self.total += count
        if self.total < self.next or connection.vendor != "postgresql":
            return
        self.next = self.total * 2
        try:
            with transaction.atomic(), connection.cursor() as cursor:  # a savepoint inside a caller's transaction
                cursor.execute("ANALYZE listening_mention, listening_mentiontopic")
        except DatabaseError:  # a role that may not analyse: the run goes on, only slower
            logger.warning("listening.ingest.analyze_refused", exc_info=True)
            self.next = sys.maxsize


def _stages_and_store(
    source: Source,
    run: IngestRun,
    chunk: Chunk,
    stages: Stages,
    lookup: Lookup,
) -> Batch:
    """The stages and the store of one batch on this thread's connection, deduplicated again
    once if a concurrent writer stored one of its external ids meanwhile."""
    for attempt in (1, 2):
        batch = stages(chunk, already_stored=lookup)
        try:
            _store_counted(source, run, batch)
        except IntegrityError:
            if attempt == 2:
                raise
            logger.warning("listening.ingest.concurrent_write", extra={"source": source.pk, "run": run.pk})
            continue
        return batch
    raise AssertionError("unreachable")  # pragma: no cover


def _ingest_overlapped(
    source: Source, run: IngestRun, chunks: Iterable[Chunk], stages: Stages, lookup: Lookup
) -> Batch:
    in_flight: set[str] = set()  # the external ids of the batch being stored by the thread

    def stored_or_in_flight(external_ids: Iterable[str]) -> set[str]:
        wanted = set(external_ids)
        return lookup(wanted - in_flight) | (wanted & in_flight)

    batch = Batch(received=0)
    pending: Pending | None = None
    statistics = _Statistics()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="listening-store") as writer:
        try:
            for chunk in chunks:
                batch = stages(chunk, already_stored=stored_or_in_flight)
                if pending is not None:
                    statistics.stored(len(_finish(source, run, pending, stages, lookup).mentions))
                in_flight = {mention.external_id for mention in batch.mentions}
                pending = (writer.submit(_store_counted, source, run, batch), chunk, batch)
            if pending is not None:
                _finish(source, run, pending, stages, lookup)
                pending = None
        finally:
            if pending is not None:  # an error in the stages: let the batch in flight end first
                pending[0].exception()
            writer.submit(_close_thread_connection).result()
    return batch


def _finish(source: Source, run: IngestRun, pending: Pending, stages: Stages, lookup: Lookup) -> Batch:
    """Wait for the batch in flight; on a concurrent writer's conflict redo it here, once. Returns
    the batch as stored."""
    future, chunk, batch = pending
    try:
        future.result()
    except IntegrityError:
        logger.warning("listening.ingest.concurrent_write", extra={"source": source.pk, "run": run.pk})
        batch = _stages_and_store(source, run, chunk, stages, lookup)
    handover.after_store(source, batch)  # committed: direct interactions go to the inbox
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
    mapper: Mapper | None = None,
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
        raise ValueError(
            f"a rejection at the {item.stage} stage cannot be retried alone: poll the source again "
            "or import the corrected file"
        )
    run = ingest_run_start(item.source)
    batch = ingest_items(
        source=item.source, run=run, items=[item.raw], mapper=mapper or mapper_for(item.source), analyze=analyze
    )
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


def mapper_for(source: Source) -> Mapper:
    """How raw items of this kind of source become mentions (for retries and reprocessing)."""
    if source.kind == SourceKind.RSS:
        from pappus.listening import feeds

        return feeds.map_entry
    if source.kind == SourceKind.FILE:
        return imports.map_row
    return map_webhook_item


# --- file imports ----------------------------------------------------------------------------


def _file_source(membership: Membership, source: Source) -> Source:
    source = _owned(membership, source)
    if source.kind != SourceKind.FILE:
        raise ValidationError({"source": "Files are imported into a source of the kind file import."})
    return source


@transaction.atomic
def file_import_create(
    *,
    actor: Actor,
    membership: Membership,
    source: Source,
    upload: Any,
    format: str = "",
    encoding: str = "",
) -> FileImport:
    """Check an upload (size, type, encoding) and keep it until its column mapping is chosen.

    ``upload`` is a Django ``File`` (an ``UploadedFile`` from a form). A refused file raises
    ``ValidationError`` on ``file`` saying why.
    """
    require(membership, Action.LISTENING_MANAGE)
    source = _file_source(membership, source)
    head = upload.read(8192)
    upload.seek(0)
    name = str(getattr(upload, "name", "") or "upload").rsplit("/", 1)[-1][:200]
    try:
        format = imports.check_upload(name, int(upload.size), head, format)
        encoding = imports.detect_encoding(head, encoding)
    except ImportFileError as error:
        raise ValidationError({"file": str(error)}) from error
    file_import = FileImport(
        workspace_id=membership.workspace_id,
        source=source,
        original_name=name,
        format=format,
        size=int(upload.size),
        encoding=encoding,
        created_by=actor.user,
    )
    file_import.file.save(name, upload, save=False)
    file_import.save()
    audit.record(
        actor,
        "listening.file_import.create",
        workspace=membership.workspace,
        target=file_import,
        after={"source": source.pk, "file": name, "format": format, "size": file_import.size},
    )
    return file_import


def file_import_preview(file_import: FileImport) -> imports.ImportPreview:
    """The columns, first rows and suggested mapping of an uploaded file."""
    with file_import.file.open("rb") as handle:
        try:
            return import_preview(handle, file_import.format, encoding=file_import.encoding)
        except ImportFileError as error:
            raise ValidationError({"file": str(error)}) from error


@transaction.atomic
def file_import_start(
    *, actor: Actor, membership: Membership, file_import: FileImport, mapping: Mapping[str, Any]
) -> FileImport:
    """Save the column mapping and queue the import (a job: a large file never holds a request).

    A mapping that names an unknown field or a column the file does not have raises
    ``ValidationError`` on ``mapping`` with each problem.
    """
    require(membership, Action.LISTENING_MANAGE)
    file_import = FileImport.objects.for_workspace(membership.workspace_id).select_for_update().get(pk=file_import.pk)
    if file_import.status not in {ImportStatus.UPLOADED, ImportStatus.FAILED}:
        raise ValidationError({"status": f"This file is already {file_import.get_status_display().lower()}."})
    columns = file_import_preview(file_import).columns if file_import.format == "csv" else None
    try:
        cleaned = imports.validate_mapping(mapping, columns)
    except MappingError as error:
        problems = [f"{name}: {problem}" for name, problem in error.problems.items()]
        raise ValidationError({"mapping": problems}) from error
    file_import.mapping = cleaned
    file_import.status = ImportStatus.QUEUED
    file_import.error = ""
    file_import.save(update_fields=["mapping", "status", "error"])
    audit.record(
        actor,
        "listening.file_import.start",
        workspace=membership.workspace,
        target=file_import,
        after={"mapping": cleaned},
    )
    from pappus.listening import tasks

    enqueue_on_commit(tasks.run_file_import, file_import.pk)
    return file_import


def import_run(
    *,
    source: Source,
    file: Any,
    mapping: Mapping[str, str],
    format: str,
    encoding: str = "utf-8",
    run: IngestRun | None = None,
    file_name: str = "",
    index: QueryIndex[int] | None = None,
) -> IngestRun:
    """Stream every row of ``file`` (binary, opened) through the pipeline in batches, as one run.

    Rows that cannot be read or mapped are rejected items (``row N: reason``); the rest go on.
    A file that breaks off (JSON that stops being JSON) keeps the rows before the break, and the
    break is one rejected item. The run is finished here when it was started here.
    """
    own_run = run is None
    run = ingest_run_start(source) if run is None else run
    rows = (
        imports.envelope(row, record, problem, mapping, file_name)
        for row, record, problem in imports.read_records(file, format, encoding)
    )
    try:
        ingest_items(source=source, run=run, items=rows, mapper=imports.map_row, locate=imports.locate_row, index=index)
    except ImportFileError as error:
        ingest_reject(run, stage="parse", reason=str(error), raw={"file": file_name})
        if own_run:
            ingest_run_finish(run, status=RunStatus.FAILED, error=str(error))
        raise
    if own_run:
        run = ingest_run_finish(run, status=RunStatus.SUCCEEDED)
    return run


def file_import_process(file_import_id: int) -> FileImport | None:
    """Run a queued import (the job's work); a file already running or done is left alone."""
    claimed = FileImport.objects.filter(pk=file_import_id, status=ImportStatus.QUEUED).update(
        status=ImportStatus.RUNNING
    )
    if not claimed:
        return None
    file_import = FileImport.objects.select_related("source").get(pk=file_import_id)
    run = ingest_run_start(file_import.source)
    FileImport.objects.filter(pk=file_import.pk).update(run=run)
    try:
        with file_import.file.open("rb") as handle:
            import_run(
                source=file_import.source,
                file=handle,
                mapping=file_import.mapping,
                format=file_import.format,
                encoding=file_import.encoding,
                run=run,
                file_name=file_import.original_name,
            )
    except (ImportFileError, OSError) as error:
        if isinstance(error, OSError):
            ingest_reject(run, stage="parse", reason=f"the file cannot be read: {error}", raw={})
        ingest_run_finish(run, status=RunStatus.FAILED, error=str(error))
        FileImport.objects.filter(pk=file_import.pk).update(status=ImportStatus.FAILED, error=str(error)[:2000])
    else:
        ingest_run_finish(run, status=RunStatus.SUCCEEDED)
        FileImport.objects.filter(pk=file_import.pk).update(status=ImportStatus.SUCCEEDED)
        now = timezone.now()
        Source.objects.filter(pk=file_import.source_id).update(last_polled_at=now, last_success_at=now)
    file_import.refresh_from_db()
    return file_import


# --- inbound webhooks ------------------------------------------------------------------------

_JSON_TYPES: Final = ("application/json", "application/x-ndjson", "text/json")


def map_webhook_item(item: Mapping[str, Any]) -> NormalizedMention:
    """A webhook item in the field names of a mention (``text``, ``external_id``, ``author_handle``...)."""
    if "__not_an_object__" in item:
        raise ItemRejectedError(f"expected a JSON object, got {item['__not_an_object__']}")
    return pipeline.map_normalized(item, network="webhook")


def webhook_delivery_receive(
    *,
    token: str,
    body: bytes,
    content_type: str,
    timestamp: str | None,
    delivery_id: str | None,
    signature: str | None,
    now: float | None = None,
) -> WebhookDelivery:
    """Check and store one webhook delivery, and queue its processing; nothing is ingested here.

    Refusals raise :class:`pappus.listening.webhooks.WebhookRefusedError` with the HTTP status:
    404 unknown address, 413 too large, 401 unsigned, badly signed or stale, 409 replayed,
    415 not JSON, 400 unreadable JSON.
    """
    source = Source.objects.filter(token=token, kind=SourceKind.WEBHOOK).first() if token else None
    if source is None or not source.is_active:
        raise webhooks.WebhookRefusedError(404, "no active webhook source has this address")
    limit = int((source.config or {}).get("maximum_bytes", webhooks.DEFAULT_MAXIMUM_BYTES))
    if len(body) > limit:
        raise webhooks.WebhookRefusedError(413, f"the body is {len(body)} bytes; the limit is {limit}")
    secret = str((source.config or {}).get("signing_secret", ""))
    if not secret:
        raise webhooks.WebhookRefusedError(401, "this source has no signing secret: set one before sending")
    signed_at = webhooks.verify(
        secret=secret,
        body=body,
        timestamp=timestamp,
        delivery_id=delivery_id,
        signature_header=signature,
        now=timezone.now().timestamp() if now is None else now,
    )
    delivery_id = str(delivery_id)  # verify() refused a missing one
    if content_type.split(";", maxsplit=1)[0].strip().lower() not in _JSON_TYPES:
        raise webhooks.WebhookRefusedError(415, f"expected Content-Type application/json, got {content_type or 'none'}")
    try:
        payload = json.loads(body.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise webhooks.WebhookRefusedError(400, f"the body is not UTF-8 (byte {error.start})") from error
    except json.JSONDecodeError as error:
        raise webhooks.WebhookRefusedError(
            400, f"the body is not JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from error
    webhooks.items_of(payload)
    if WebhookDelivery.objects.filter(source=source, delivery_id=delivery_id).exists():
        raise webhooks.WebhookRefusedError(409, f"delivery {delivery_id!r} was already received")
    try:
        with transaction.atomic():
            delivery = WebhookDelivery.objects.create(
                workspace_id=source.workspace_id,
                source=source,
                delivery_id=delivery_id,
                signed_at=datetime.datetime.fromtimestamp(signed_at, tz=datetime.UTC),
                payload=pipeline.clean_payload(payload),
            )
            from pappus.listening import tasks

            enqueue_on_commit(tasks.process_delivery, delivery.pk)
    except IntegrityError as error:  # the same delivery arriving twice at once
        raise webhooks.WebhookRefusedError(409, f"delivery {delivery_id!r} was already received") from error
    logger.info("listening.webhook.received source=%s delivery=%s bytes=%s", source.pk, delivery.pk, len(body))
    return delivery


def delivery_process(delivery_id: int) -> IngestRun | None:
    """Turn a stored delivery into mentions, as one run of its source (the job's work)."""
    delivery = WebhookDelivery.objects.select_related("source").filter(pk=delivery_id).first()
    if delivery is None or delivery.status == DeliveryStatus.PROCESSED:
        return None
    run = ingest_run_start(delivery.source)
    items = [
        item if isinstance(item, dict) else {"__not_an_object__": type(item).__name__, "value": item}
        for item in webhooks.items_of(delivery.payload)
    ]
    ingest_items(source=delivery.source, run=run, items=items, mapper=map_webhook_item)
    run = ingest_run_finish(run, status=RunStatus.SUCCEEDED)
    delivery.status = DeliveryStatus.PROCESSED
    delivery.run = run
    delivery.save(update_fields=["status", "run"])
    now = timezone.now()
    Source.objects.filter(pk=delivery.source_id).update(last_polled_at=now, last_success_at=now)
    return run


@transaction.atomic
def source_webhook_rotate_secret(*, actor: Actor, membership: Membership, source: Source) -> str:
    """A new signing secret for a webhook source (the old one stops working at once); returned once."""
    require(membership, Action.LISTENING_MANAGE)
    source = Source.objects.for_workspace(membership.workspace_id).select_for_update().get(pk=source.pk)
    if source.kind != SourceKind.WEBHOOK:
        raise ValidationError({"kind": "Only a webhook source has a signing secret."})
    secret = webhooks.new_credentials().secret
    source.config = {**(source.config or {}), "signing_secret": secret}
    source.save(update_fields=["config", "updated_at"])
    audit.record(actor, "listening.source.rotate_secret", workspace=membership.workspace, target=source)
    return secret


# --- reprocessing ----------------------------------------------------------------------------

REPROCESSED_FIELDS: Final = (
    "language",
    "sentiment",
    "sentiment_score",
    "intent",
    "toxicity",
    "enrichment_status",
    "enrichment_model",
    "search_text",
)


def reprocess_batch(
    *,
    workspace_id: int,
    after_id: int,
    batch_size: int,
    index: QueryIndex[int],
    analyze: Analyzer | Literal["auto"] | None = "auto",
) -> tuple[int, int]:
    """Enrich and match the next ``batch_size`` stored mentions after ``after_id`` again.

    Sentiment, language and the rest are replaced, and so are the topic matches; the checkpoint
    (``last id``) is returned with the number done, for the caller to save in the same transaction.
    """
    rows = list(
        Mention.objects.for_workspace(workspace_id)
        .filter(pk__gt=after_id)
        .select_related("source")
        .order_by("pk")[:batch_size]
    )
    if not rows:
        return 0, after_id
    by_kind: dict[str, list[tuple[Mention, NormalizedMention]]] = {}
    for row in rows:
        mention = NormalizedMention(
            network=row.network,
            external_id=row.external_id,
            text=row.text,
            title=row.title,
            language=row.language,
            author_handle=row.author_handle,
            country=row.country,
        )
        by_kind.setdefault(row.source.kind, []).append((row, mention))
    now = timezone.now()
    matches: list[MentionTopic] = []
    for kind, pairs in by_kind.items():
        batch = Batch(received=len(pairs), mentions=[mention for _, mention in pairs])
        pipeline.match_topics(pipeline.enrich(batch, analyze), index, (kind,))
        for row, mention in pairs:
            for name in REPROCESSED_FIELDS:
                setattr(row, name, getattr(mention, name))
            matches.extend(
                MentionTopic(
                    workspace_id=workspace_id,
                    mention=row,
                    topic_id=topic_id,
                    published_at=row.published_at,
                    matched_at=now,
                )
                for topic_id in mention.topic_ids
            )
    Mention.objects.bulk_update(rows, REPROCESSED_FIELDS, batch_size=BATCH_SIZE)
    MentionTopic.objects.for_workspace(workspace_id).filter(mention__in=rows).delete()
    MentionTopic.objects.bulk_create(matches, batch_size=BATCH_SIZE)
    return len(rows), rows[-1].pk


def reprocess_index(workspace_id: int) -> QueryIndex[int]:
    """The active topics of a workspace, compiled once for a whole reprocessing run."""
    return _active_topic_index(workspace_id)
