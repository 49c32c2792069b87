"""Every read of listening rows that views, the API and tasks need; all scoped to a workspace."""

from __future__ import annotations

import datetime

from django.db.models import QuerySet
from django.utils import timezone

from pappus.core.models import Workspace
from pappus.listening.models import IngestRun, Mention, RejectedItem, Source, Topic


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
