"""What other apps may ask of publishing (analytics reads tracked-link clicks here).

Plain frozen dataclasses; no model instances leave the app.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Count

from pappus.publishing.models import ContentType, LinkClick, Post, TrackedLink, Variant, VariantStatus


@dataclass(frozen=True)
class LinkClickCount:
    """Clicks on one tracked link within a period: by post, variant (network) and landing page."""

    link_id: int
    post_id: int
    variant_id: int | None
    network: str
    landing_url: str
    clicks: int
    visitors: int  # distinct visitor keys (per day), no addresses kept


def link_clicks(
    workspace_id: int, *, since: datetime.datetime | None = None, until: datetime.datetime | None = None
) -> list[LinkClickCount]:
    """Clicks per tracked link of the workspace with ``since <= clicked_at < until``; robots are never counted."""
    clicks = LinkClick.objects.for_workspace(workspace_id)
    if since is not None:
        clicks = clicks.filter(clicked_at__gte=since)
    if until is not None:
        clicks = clicks.filter(clicked_at__lt=until)
    counted = {
        row["link_id"]: row
        for row in clicks.values("link_id").annotate(total=Count("id"), visitors=Count("visitor", distinct=True))
    }
    links = TrackedLink.objects.for_workspace(workspace_id).filter(pk__in=list(counted)).order_by("post_id", "id")
    return [
        LinkClickCount(
            link_id=link.pk,
            post_id=link.post_id,
            variant_id=link.variant_id,
            network=link.network,
            landing_url=link.landing_url,
            clicks=counted[link.pk]["total"],
            visitors=counted[link.pk]["visitors"],
        )
        for link in links
    ]


# --- for analytics: published variants to read metrics of, delivery reliability (added by analytics) ---


@dataclass(frozen=True, slots=True)
class PublishedVariant:
    """A variant that is live on a network: what analytics reads metrics of."""

    variant_id: int
    post_id: int
    account_id: int  # 0: no connected account (the demo's variants)
    network: str
    remote_id: str
    published_at: datetime.datetime
    region_id: int | None
    content_type: str
    pillar: str


@dataclass(frozen=True, slots=True)
class DeliveryCounts:
    """Variants of posts planned in a period by their final state (still pending ones are not counted)."""

    published: int
    failed: int
    unknown: int

    @property
    def finished(self) -> int:
        return self.published + self.failed + self.unknown


def published_variants(
    workspace_id: int,
    *,
    account_id: int | None = None,
    published_since: datetime.datetime | None = None,
    include_unlinked: bool = False,
) -> list[PublishedVariant]:
    """Published variants with a remote id (optionally of one account, published since a moment), oldest first.

    Variants without a connected account (the demo's) are left out unless ``include_unlinked``.
    """
    rows = (
        Variant.objects.for_workspace(workspace_id)
        .filter(status=VariantStatus.PUBLISHED, published_at__isnull=False)
        .exclude(remote_id="")
        .select_related("post")
        .order_by("published_at", "pk")
    )
    if not include_unlinked:
        rows = rows.filter(account_id__isnull=False)
    if account_id is not None:
        rows = rows.filter(account_id=account_id)
    if published_since is not None:
        rows = rows.filter(published_at__gte=published_since)
    return [
        PublishedVariant(
            variant_id=row.pk,
            post_id=row.post_id,
            account_id=int(row.account_id or 0),
            network=row.network,
            remote_id=row.remote_id,
            published_at=row.published_at or row.updated_at,
            region_id=row.post.region_id,
            content_type=row.post.content_type,
            pillar=row.post.pillar,
        )
        for row in rows
    ]


def delivery_counts(
    workspace_id: int,
    *,
    since: datetime.datetime,
    until: datetime.datetime,
    region_ids: Sequence[int] | None = None,
    networks: Sequence[str] = (),
) -> DeliveryCounts:
    """Variants of posts planned in ``[since, until)`` that were published, failed or ended unknown.

    ``region_ids`` None means every region (and posts without one); a sequence limits to those regions.
    """
    rows = Variant.objects.for_workspace(workspace_id).filter(
        post__planned_at__gte=since,
        post__planned_at__lt=until,
        status__in=(VariantStatus.PUBLISHED, VariantStatus.FAILED, VariantStatus.UNKNOWN),
    )
    if region_ids is not None:
        rows = rows.filter(post__region_id__in=list(region_ids))
    if networks:
        rows = rows.filter(network__in=list(networks))
    counts = dict(rows.order_by().values_list("status").annotate(number=Count("pk")).values_list("status", "number"))
    return DeliveryCounts(
        published=int(counts.get(VariantStatus.PUBLISHED, 0)),
        failed=int(counts.get(VariantStatus.FAILED, 0)),
        unknown=int(counts.get(VariantStatus.UNKNOWN, 0)),
    )


def content_type_labels() -> dict[str, str]:
    """Each content type's readable name in the active language."""
    return {value: str(label) for value, label in ContentType.choices}


def record_variant_metrics(
    workspace_id: int,
    variant_id: int,
    *,
    taken_at: datetime.datetime,
    likes: int | None = None,
    shares: int | None = None,
    replies: int | None = None,
    impressions: int | None = None,
) -> None:
    """Hand publishing the latest counters of a published variant read elsewhere (analytics' hourly
    collection), so best-time suggestions and asset performance need no second read of the network."""
    from pappus.publishing import services

    services.variant_metrics_record(
        workspace_id=workspace_id,
        variant_id=variant_id,
        taken_at=taken_at,
        likes=likes,
        shares=shares,
        replies=replies,
        impressions=impressions,
    )


def post_titles(workspace_id: int, post_ids: Sequence[int]) -> dict[int, str]:
    """The titles of the workspace's posts among ``post_ids`` (for analytics' top posts); others are absent."""
    return dict(Post.objects.for_workspace(workspace_id).filter(pk__in=list(post_ids)).values_list("pk", "title"))
