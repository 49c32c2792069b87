"""Every read of listening rows that views, the API and tasks need; all scoped to a workspace."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from pappus.core.models import Workspace
from pappus.listening.models import FileImport, IngestRun, Mention, RejectedItem, Source, Topic


def sources_of(workspace: Workspace | int) -> QuerySet[Source]:
    return Source.objects.for_workspace(workspace).select_related("region").order_by("name")


def topics_of(workspace: Workspace | int) -> QuerySet[Topic]:
    return Topic.objects.for_workspace(workspace).select_related("region").order_by("name")


def mentions_of(workspace: Workspace | int, *, topic: Topic | None = None) -> QuerySet[Mention]:
    """Newest first; with ``topic``, only the mentions its query matched."""
    mentions = Mention.objects.for_workspace(workspace).select_related("source")
    if topic is not None:
        mentions = mentions.filter(topic_matches__topic=topic)
    return mentions.order_by("-published_at", "-id")


def runs_of(source: Source) -> QuerySet[IngestRun]:
    return IngestRun.objects.for_workspace(source.workspace_id).filter(source=source).order_by("-started_at", "-id")


def rejected_items_of(workspace: Workspace | int, *, unresolved_only: bool = True) -> QuerySet[RejectedItem]:
    items = RejectedItem.objects.for_workspace(workspace).select_related("source", "run")
    if unresolved_only:
        items = items.filter(resolved_at__isnull=True)
    return items.order_by("-created_at", "-id")


def sources_due(now: datetime.datetime | None = None) -> QuerySet[Source]:
    """Active polled sources whose next poll time has come, across workspaces (for the scheduler)."""
    return Source.objects.filter(is_active=True, kind="rss", next_poll_at__lte=now or timezone.now()).order_by(
        "next_poll_at"
    )


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """How a source is doing: the health page of a source and the sources list."""

    source: Source
    stored_last_day: int
    items_per_hour: float
    runs_last_day: int
    failed_runs_last_day: int
    unresolved_rejections: int


def source_health(source: Source, now: datetime.datetime | None = None) -> SourceHealth:
    """Items stored per hour over the last 24 hours, with the runs and open rejections behind it."""
    since = (now or timezone.now()) - datetime.timedelta(hours=24)
    totals = (
        IngestRun.objects.for_workspace(source.workspace_id)
        .filter(source=source, started_at__gte=since)
        .aggregate(
            stored=Coalesce(Sum("stored"), 0),
            runs=Count("id"),
            failed=Count("id", filter=Q(status="failed")),
        )
    )
    rejections = (
        RejectedItem.objects.for_workspace(source.workspace_id).filter(source=source, resolved_at__isnull=True).count()
    )
    return SourceHealth(
        source=source,
        stored_last_day=totals["stored"],
        items_per_hour=round(totals["stored"] / 24, 1),
        runs_last_day=totals["runs"],
        failed_runs_last_day=totals["failed"],
        unresolved_rejections=rejections,
    )


def sources_with_health(workspace: Workspace | int, now: datetime.datetime | None = None) -> QuerySet[Source]:
    """Sources annotated with ``stored_last_day`` (for items per hour) in one query."""
    since = (now or timezone.now()) - datetime.timedelta(hours=24)
    return sources_of(workspace).annotate(
        stored_last_day=Coalesce(Sum("runs__stored", filter=Q(runs__started_at__gte=since)), 0)
    )


def file_imports_of(workspace: Workspace | int, source: Source | None = None) -> QuerySet[FileImport]:
    imports = FileImport.objects.for_workspace(workspace).select_related("source", "run")
    if source is not None:
        imports = imports.filter(source=source)
    return imports.order_by("-created_at", "-id")
