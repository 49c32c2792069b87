"""Every read of publishing rows that views and the API need, scoped to one workspace."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from pappus.connectors import facade as connector_facade
from pappus.connectors.contracts import Capability, TargetAccount
from pappus.core.models import Workspace
from pappus.publishing.models import (
    ApprovalStep,
    Notification,
    Post,
    PostStatus,
    Variant,
    VariantStatus,
)

ATTENTION_STATUSES = (VariantStatus.FAILED, VariantStatus.UNKNOWN)


def posts_of(workspace: Workspace | int) -> QuerySet[Post]:
    """The workspace's posts with what a list shows: region, author and variants."""
    return (
        Post.objects.for_workspace(workspace)
        .select_related("region", "author")
        .prefetch_related(Prefetch("variants", queryset=Variant.objects.order_by("network", "account_label", "id")))
    )


@dataclass(frozen=True)
class PostFilters:
    status: str = ""
    network: str = ""
    region_id: int | None = None
    author_id: int | None = None
    pillar: str = ""
    content_type: str = ""
    campaign_id: int | None = None
    campaign_ids: tuple[int, ...] | None = None  # a program's campaigns
    since: datetime.datetime | None = None
    until: datetime.datetime | None = None


def posts_filtered(workspace: Workspace | int, filters: PostFilters) -> QuerySet[Post]:
    posts = posts_of(workspace)
    if filters.status:
        posts = posts.filter(status=filters.status)
    if filters.network:
        posts = posts.filter(
            Exists(Variant.objects.filter(post_id=OuterRef("pk"), network=filters.network)),
        )
    if filters.region_id is not None:
        posts = posts.filter(region_id=filters.region_id)
    if filters.author_id is not None:
        posts = posts.filter(author_id=filters.author_id)
    if filters.pillar:
        posts = posts.filter(pillar=filters.pillar)
    if filters.content_type:
        posts = posts.filter(content_type=filters.content_type)
    if filters.campaign_id is not None:
        posts = posts.filter(campaign_id=filters.campaign_id)
    if filters.campaign_ids is not None:
        posts = posts.filter(campaign_id__in=filters.campaign_ids)
    if filters.since is not None:
        posts = posts.filter(planned_at__gte=filters.since)
    if filters.until is not None:
        posts = posts.filter(planned_at__lt=filters.until)
    return posts.order_by("planned_at", "id")


def post_detail(workspace: Workspace | int, post_id: int) -> Post:
    return posts_of(workspace).prefetch_related("comments__author", "approvals__user").get(pk=post_id)


def variants_of(workspace: Workspace | int) -> QuerySet[Variant]:
    return Variant.objects.for_workspace(workspace).select_related("post")


def pillars_of(workspace: Workspace | int) -> list[str]:
    values = Post.objects.for_workspace(workspace).exclude(pillar="").order_by().values_list("pillar", flat=True)
    return sorted(set(values))


def failed_posts(workspace: Workspace | int) -> QuerySet[Post]:
    """Posts with a variant that failed or whose outcome is unknown: what someone must look at."""
    return (
        posts_of(workspace)
        .filter(
            Exists(Variant.objects.filter(post_id=OuterRef("pk"), status__in=ATTENTION_STATUSES)),
        )
        .order_by("-updated_at", "-id")
    )


def failed_post_count(workspace: Workspace | int) -> int:
    return Post.objects.for_workspace(workspace).filter(status=PostStatus.FAILED).count()


def approval_steps_of(workspace: Workspace | int) -> QuerySet[ApprovalStep]:
    return ApprovalStep.objects.for_workspace(workspace).select_related("region", "approver")


def unread_notifications(workspace: Workspace | int, user_id: int) -> QuerySet[Notification]:
    return Notification.objects.for_workspace(workspace).filter(user_id=user_id, read_at__isnull=True)


def banner_counts(workspace_id: int, user_id: int) -> tuple[int, int]:
    """The shell's banner on every page: the workspace's failed posts and the member's unread failure
    alerts, in one query (two scalar subqueries)."""

    def counted(rows: QuerySet[Post] | QuerySet[Notification]) -> Coalesce:
        return Coalesce(Subquery(rows.order_by().values("workspace_id").annotate(n=Count("pk")).values("n")), 0)

    row = (
        Workspace.objects.filter(pk=workspace_id)
        .annotate(
            failed=counted(Post.objects.for_workspace(workspace_id).filter(status=PostStatus.FAILED)),
            notices=counted(unread_notifications(workspace_id, user_id)),
        )
        .values_list("failed", "notices")
        .first()
    )
    return (int(row[0]), int(row[1])) if row else (0, 0)


def publishable_accounts(workspace: Workspace | int) -> list[TargetAccount]:
    """Connected accounts a variant may target (not disconnected, the connector publishes), by
    network and handle; drafting needs no connectors.view."""
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    return connector_facade.target_accounts(workspace_id, capability=Capability.PUBLISH)


def publishable_account(workspace: Workspace | int, account_id: int) -> TargetAccount | None:
    """One of :func:`publishable_accounts`, or None."""
    return next((account for account in publishable_accounts(workspace) if account.id == account_id), None)
