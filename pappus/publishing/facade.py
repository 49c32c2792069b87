"""What other apps may ask of publishing (analytics reads tracked-link clicks here).

Plain frozen dataclasses; no model instances leave the app.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.db.models import Count

from pappus.core.audit import Actor
from pappus.core.models import Membership, Region
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


# --- for traffic: which tracked link a visit to a landing page came through ---------------------


@dataclass(frozen=True, slots=True)
class LinkSource:
    """The tracked link a landing-page visit came through."""

    link_id: int
    post_id: int
    network: str
    campaign_id: int | None


def is_robot(user_agent: str) -> bool:
    """Link previews, crawlers and scripts (the short links' rule): never counted as visitors."""
    from pappus.publishing import links

    return links.is_robot(user_agent)


def visitor_key(address: str, user_agent: str, day: str) -> str:
    """The short links' visitor key (an HMAC of address, browser and day; the address is never kept)."""
    from pappus.publishing import links

    return links.visitor_key(address, user_agent[:500], day)


def _without_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, (parts.hostname or "").lower(), parts.path or "/", "", ""))


def link_for_visit(
    workspace_id: int, *, page_url: str, utm: Mapping[str, str], visitor: str, moment: datetime.datetime
) -> LinkSource | None:
    """The tracked link a visit to ``page_url`` came through: the link whose UTM values the page's
    address carries (the one to this page when several share them), else the link this visitor
    (same visitor key) clicked in the 30 minutes before ``moment``. None when neither says."""
    links = TrackedLink.objects.for_workspace(workspace_id).select_related("post")
    found: TrackedLink | None = None
    values = {name: utm.get(name, "") for name in ("utm_source", "utm_medium", "utm_campaign", "utm_content")}
    if any(values.values()):
        candidates = list(links.filter(**values, utm_term=utm.get("utm_term", "")).order_by("-pk")[:50])
        page = _without_query(page_url)
        found = next((link for link in candidates if _without_query(link.landing_url) == page), None)
        found = found or (candidates[0] if candidates else None)
    if found is None and visitor:
        click = (
            LinkClick.objects.for_workspace(workspace_id)
            .filter(visitor=visitor, clicked_at__gte=moment - datetime.timedelta(minutes=30), clicked_at__lte=moment)
            .order_by("-clicked_at")
            .values_list("link_id", flat=True)
            .first()
        )
        if click is not None:
            found = links.filter(pk=click).first()
    if found is None:
        return None
    return LinkSource(
        link_id=found.pk, post_id=found.post_id, network=found.network, campaign_id=found.post.campaign_id
    )


def post_ids_of_campaigns(workspace_id: int, campaign_ids: Sequence[int]) -> tuple[int, ...]:
    """Ids of the workspace's posts linked to any of the campaigns (strategy's ids), for analytics
    to measure a campaign or a program by its posts."""
    if not campaign_ids:
        return ()
    rows = Post.objects.for_workspace(workspace_id).filter(campaign_id__in=list(campaign_ids))
    return tuple(rows.order_by("pk").values_list("pk", flat=True))


@dataclass(frozen=True, slots=True)
class AuthorDelivery:
    """Variants of one author's planned posts published on one UTC day, and how many went out on plan
    (no later than an hour after the post's planned time), for adoption's people KPIs."""

    user_id: int
    day: datetime.date
    published: int
    on_plan: int


ON_PLAN_GRACE = datetime.timedelta(hours=1)


def deliveries_by_author(
    workspace_id: int, *, since: datetime.datetime, until: datetime.datetime
) -> tuple[AuthorDelivery, ...]:
    """Per post author and UTC day: planned posts' variants published in ``[since, until)`` and those on plan."""
    rows = (
        Variant.objects.for_workspace(workspace_id)
        .filter(
            status=VariantStatus.PUBLISHED,
            published_at__gte=since,
            published_at__lt=until,
            post__author__isnull=False,
            post__planned_at__isnull=False,
        )
        .order_by()
        .values_list("post__author_id", "published_at", "post__planned_at")
    )
    figures: dict[tuple[int, datetime.date], list[int]] = {}
    for author_id, published_at, planned_at in rows:
        if published_at is None or planned_at is None:  # filtered out above; for the type checker
            continue
        entry = figures.setdefault((int(author_id), published_at.astimezone(datetime.UTC).date()), [0, 0])
        entry[0] += 1
        entry[1] += int(published_at <= planned_at + ON_PLAN_GRACE)
    return tuple(
        AuthorDelivery(user_id=user_id, day=day, published=published, on_plan=on_plan)
        for (user_id, day), (published, on_plan) in sorted(figures.items())
    )


# --- for adoption: "adopt this" copies a region's post into another region ---------------------


def post_copy_to_region(*, actor: Actor, membership: Membership, post_id: int, region_id: int) -> int:
    """A draft copy of one of the workspace's posts (title, master text, language, pillar, content type) in
    another region, created and audited by publishing's own service; the copy has no variants yet (accounts
    belong to regions). Returns the new post's id; another workspace's post or region is not found."""
    from pappus.publishing import services

    source = Post.objects.for_workspace(membership.workspace_id).get(pk=post_id)
    region = Region.objects.for_workspace(membership.workspace_id).get(pk=region_id)
    copy = services.post_create(
        actor=actor,
        membership=membership,
        title=source.title,
        text=source.text,
        region=region,
        language=source.language,
        pillar=source.pillar,
        content_type=source.content_type,
    )
    return copy.pk


@dataclass(frozen=True, slots=True)
class PostSummary:
    id: int
    title: str
    region_id: int | None


def post_summary(workspace_id: int, post_id: int) -> PostSummary | None:
    """One of the workspace's posts by id (None for another workspace's or a missing one)."""
    row = Post.objects.for_workspace(workspace_id).filter(pk=post_id).values_list("pk", "title", "region_id").first()
    return PostSummary(*row) if row is not None else None
