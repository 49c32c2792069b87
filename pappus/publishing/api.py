"""The publishing REST API: posts, their variants and the workflow actions (thin over the services)."""

import datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import AfterValidator

from pappus.core import selectors as core_selectors
from pappus.core.api import (
    AwareDateTime,
    ObjectId,
    Pagination,
    PositiveId,
    Text,
    actor_of,
    error_responses,
    member_of,
)
from pappus.core.permissions import Action
from pappus.publishing import assets, evergreen, links, selectors, services
from pappus.publishing.models import (
    Asset,
    ContentType,
    EvergreenEntry,
    EvergreenQueue,
    Post,
    PostStatus,
    Variant,
    VariantStatus,
)

router = Router(tags=["publishing"])

ContentTypeCode = Literal["educational", "promo", "ugc", "contest", "influencer", "event"]
PostStatusCode = Literal["draft", "in_review", "approved", "scheduled", "published", "failed"]


def _required_moment(value: datetime.datetime) -> datetime.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    try:
        return value.astimezone(datetime.UTC)
    except OverflowError as error:
        raise ValueError("is out of range") from error


Moment = Annotated[datetime.datetime, AfterValidator(_required_moment)]


class VariantOut(Schema):
    id: int
    post_id: int
    network: str
    account_id: int | None
    account_label: str
    text: str
    link: str
    first_comment: str
    hashtags: list[str]
    media: list[dict[str, Any]]
    publish_as: str = Field(description="post (a video alone on Instagram: a Reel) or story.")
    cover_frame_ms: int | None = Field(description="The video's frame shown as its cover, in ms from the start.")
    status: VariantStatus
    idempotency_key: str
    attempts: int
    next_attempt_at: datetime.datetime | None = Field(description="When it is due, or retried after a passing error.")
    last_error: str = Field(description="The network's reason for the last failure.")
    last_error_code: str
    remote_id: str
    remote_url: str
    published_at: datetime.datetime | None

    @staticmethod
    def resolve_idempotency_key(variant: Variant) -> str:
        return str(variant.idempotency_key)


class PostOut(Schema):
    id: int
    title: str
    text: str
    language: str
    region_id: int | None
    author_id: int | None
    pillar: str
    content_type: ContentType
    campaign_id: int | None = Field(description="A campaign of the strategy app (a plain id for now).")
    status: PostStatus
    planned_at: datetime.datetime | None
    created_at: datetime.datetime
    updated_at: datetime.datetime
    variants: list[VariantOut]

    @staticmethod
    def resolve_variants(post: Post) -> list[Variant]:
        return list(post.variants.all())


class PostIn(Schema):
    title: Text = Field(min_length=1, max_length=200)
    text: Text = Field("", max_length=20_000)
    language: Literal["", "en", "ru", "nb", "zh-hans"] = ""
    region_id: PositiveId | None = None
    pillar: Text = Field("", max_length=100)
    content_type: ContentTypeCode = "educational"
    campaign_id: PositiveId | None = None
    planned_at: AwareDateTime = None


class PostPatch(Schema):
    """Only the fields sent are changed; a post in review or approved goes back to draft when its text changes."""

    title: Text | None = Field(None, min_length=1, max_length=200)
    text: Text | None = Field(None, max_length=20_000)
    language: Literal["", "en", "ru", "nb", "zh-hans"] | None = None
    region_id: PositiveId | None = None
    pillar: Text | None = Field(None, max_length=100)
    content_type: ContentTypeCode | None = None
    campaign_id: PositiveId | None = None
    planned_at: AwareDateTime = None


class MediaIn(Schema):
    name: Text = Field(min_length=1, max_length=200)
    mime_type: Text = Field(max_length=100)
    size: int = Field(0, ge=0, le=10**12)


class VariantIn(Schema):
    network: Text = Field(min_length=1, max_length=20, description="mastodon, bluesky, matrix, …")
    account_id: PositiveId | None = Field(None, description="A connected account of the workspace.")
    account_label: Text = Field("", max_length=300)
    text: Text | None = Field(None, max_length=70_000, description="The master text when omitted.")
    link: Text = Field("", max_length=2000)
    first_comment: Text = Field("", max_length=5000)
    hashtags: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=30)
    media: list[MediaIn] = Field(default_factory=list, max_length=20)


class VariantPatch(Schema):
    account_label: Text | None = Field(None, max_length=300)
    text: Text | None = Field(None, max_length=70_000)
    link: Text | None = Field(None, max_length=2000)
    first_comment: Text | None = Field(None, max_length=5000)
    hashtags: list[Annotated[str, Field(max_length=100)]] | None = Field(None, max_length=30)
    media: list[MediaIn] | None = Field(None, max_length=20)
    publish_as: Literal["post", "story"] | None = Field(
        None, description="post, or story where the network publishes stories (Instagram)."
    )
    cover_frame_ms: int | None = Field(
        None, ge=0, le=3_600_000, description="The attached video's frame shown as its cover, in ms from the start."
    )


class NoteIn(Schema):
    note: Text = Field("", max_length=5000)


class ScheduleIn(Schema):
    planned_at: AwareDateTime = Field(None, description="When it goes out; the post's planned time when omitted.")


class RescheduleIn(Schema):
    planned_at: Moment


class CommentIn(Schema):
    text: Text = Field(min_length=1, max_length=5000)


class CommentOut(Schema):
    id: int
    author_id: int | None
    external_name: str
    text: str
    created_at: datetime.datetime


class PostFilterIn(Schema):
    status: PostStatusCode | None = None
    network: Text = Field("", max_length=20)
    region: PositiveId | None = None
    author: PositiveId | None = None
    pillar: Text = Field("", max_length=100)
    content_type: ContentTypeCode | None = None
    campaign: PositiveId | None = None
    since: AwareDateTime = Field(None, description="Planned from this moment on (inclusive).")
    until: AwareDateTime = Field(None, description="Planned before this moment (exclusive).")


def _region(membership: Any, region_id: int | None) -> Any:
    if region_id is None:
        return None
    region = core_selectors.regions_of(membership.workspace).filter(pk=region_id).first()
    if region is None:
        raise ValidationError({"region_id": _("No region with this id in the workspace.")})
    return region


def _post(membership: Any, post_id: int) -> Post:
    return selectors.post_detail(membership.workspace, post_id)


@router.get("/posts", response={200: list[PostOut], **error_responses()}, summary="The content plan")
@paginate(Pagination)
def post_list(request: HttpRequest, filters: Query[PostFilterIn]) -> QuerySet[Post]:
    membership = member_of(request, Action.CONTENT_VIEW)
    return selectors.posts_filtered(
        membership.workspace,
        selectors.PostFilters(
            status=filters.status or "",
            network=filters.network,
            region_id=filters.region,
            author_id=filters.author,
            pillar=filters.pillar,
            content_type=filters.content_type or "",
            campaign_id=filters.campaign,
            since=filters.since,
            until=filters.until,
        ),
    )


@router.get("/posts/{post_id}", response={200: PostOut, **error_responses(404)}, summary="One post")
def post_detail(request: HttpRequest, post_id: ObjectId) -> Post:
    return _post(member_of(request, Action.CONTENT_VIEW), post_id)


@router.post("/posts", response={201: PostOut, **error_responses(400)}, summary="Draft a post")
def post_create(request: HttpRequest, payload: PostIn) -> Status[Post]:
    membership = member_of(request, Action.CONTENT_DRAFT)
    values = payload.model_dump()
    region = _region(membership, values.pop("region_id"))
    post = services.post_create(actor=actor_of(request, membership), membership=membership, region=region, **values)
    return Status(201, _post(membership, post.pk))


@router.patch("/posts/{post_id}", response={200: PostOut, **error_responses(400, 404)}, summary="Change a post")
def post_update(request: HttpRequest, post_id: ObjectId, payload: PostPatch) -> Post:
    membership = member_of(request, Action.CONTENT_DRAFT)
    values = payload.model_dump(exclude_unset=True)
    if "region_id" in values:
        values["region"] = _region(membership, values.pop("region_id"))
    for name in ("title", "text", "language", "pillar", "content_type"):
        if name in values and values[name] is None:
            values.pop(name)
    services.post_update(actor=actor_of(request, membership), membership=membership, post=post_id, **values)
    return _post(membership, post_id)


@router.delete("/posts/{post_id}", response={204: None, **error_responses(404)}, summary="Delete a post")
def post_delete(request: HttpRequest, post_id: ObjectId) -> Status[None]:
    membership = member_of(request, Action.CONTENT_DRAFT)
    services.post_delete(actor=actor_of(request, membership), membership=membership, post=post_id)
    return Status(204, None)


@router.post("/posts/{post_id}/submit", response={200: PostOut, **error_responses(404)}, summary="Send for review")
def post_submit(request: HttpRequest, post_id: ObjectId) -> Post:
    membership = member_of(request, Action.CONTENT_DRAFT)
    services.post_submit(actor=actor_of(request, membership), membership=membership, post=post_id)
    return _post(membership, post_id)


@router.post(
    "/posts/{post_id}/approve", response={200: PostOut, **error_responses(404)}, summary="Pass the current step"
)
def post_approve(request: HttpRequest, post_id: ObjectId, payload: NoteIn) -> Post:
    membership = member_of(request, Action.CONTENT_APPROVE)
    services.post_approve(actor=actor_of(request, membership), membership=membership, post=post_id, note=payload.note)
    return _post(membership, post_id)


@router.post(
    "/posts/{post_id}/request-changes", response={200: PostOut, **error_responses(404)}, summary="Back to draft"
)
def post_request_changes(request: HttpRequest, post_id: ObjectId, payload: NoteIn) -> Post:
    membership = member_of(request, Action.CONTENT_APPROVE)
    services.post_request_changes(
        actor=actor_of(request, membership), membership=membership, post=post_id, note=payload.note
    )
    return _post(membership, post_id)


@router.post("/posts/{post_id}/schedule", response={200: PostOut, **error_responses(404)}, summary="Schedule")
def post_schedule(request: HttpRequest, post_id: ObjectId, payload: ScheduleIn) -> Post:
    membership = member_of(request, Action.CONTENT_VIEW)
    services.post_schedule(
        actor=actor_of(request, membership), membership=membership, post=post_id, planned_at=payload.planned_at
    )
    return _post(membership, post_id)


@router.post(
    "/posts/{post_id}/unschedule", response={200: PostOut, **error_responses(404)}, summary="Take off the schedule"
)
def post_unschedule(request: HttpRequest, post_id: ObjectId) -> Post:
    membership = member_of(request, Action.CONTENT_VIEW)
    services.post_unschedule(actor=actor_of(request, membership), membership=membership, post=post_id)
    return _post(membership, post_id)


@router.post(
    "/posts/{post_id}/reschedule", response={200: PostOut, **error_responses(404)}, summary="Move to another time"
)
def post_reschedule(request: HttpRequest, post_id: ObjectId, payload: RescheduleIn) -> Post:
    membership = member_of(request, Action.CONTENT_DRAFT)
    services.post_reschedule(
        actor=actor_of(request, membership), membership=membership, post=post_id, planned_at=payload.planned_at
    )
    return _post(membership, post_id)


@router.post(
    "/posts/{post_id}/retry", response={200: PostOut, **error_responses(404)}, summary="Send failed variants again"
)
def post_retry(request: HttpRequest, post_id: ObjectId) -> Post:
    membership = member_of(request, Action.CONTENT_VIEW)
    services.post_retry_failed(actor=actor_of(request, membership), membership=membership, post=post_id)
    return _post(membership, post_id)


@router.get("/posts/{post_id}/comments", response={200: list[CommentOut], **error_responses(404)}, summary="Comments")
def comment_list(request: HttpRequest, post_id: ObjectId) -> list[Any]:
    return list(_post(member_of(request, Action.CONTENT_VIEW), post_id).comments.all())


@router.post(
    "/posts/{post_id}/comments", response={201: CommentOut, **error_responses(404)}, summary="Comment on a post"
)
def comment_create(request: HttpRequest, post_id: ObjectId, payload: CommentIn) -> Status[Any]:
    membership = member_of(request, Action.CONTENT_VIEW)
    comment = services.comment_add(
        actor=actor_of(request, membership), membership=membership, post=post_id, text=payload.text
    )
    return Status(201, comment)


@router.post(
    "/posts/{post_id}/variants", response={201: VariantOut, **error_responses(404)}, summary="Add a network variant"
)
def variant_create(request: HttpRequest, post_id: ObjectId, payload: VariantIn) -> Status[Variant]:
    membership = member_of(request, Action.CONTENT_DRAFT)
    values = payload.model_dump()
    variant = services.variant_add(actor=actor_of(request, membership), membership=membership, post=post_id, **values)
    return Status(201, variant)


@router.get("/variants/{variant_id}", response={200: VariantOut, **error_responses(404)}, summary="One variant")
def variant_detail(request: HttpRequest, variant_id: ObjectId) -> Variant:
    return selectors.variants_of(member_of(request, Action.CONTENT_VIEW).workspace).get(pk=variant_id)


@router.patch(
    "/variants/{variant_id}", response={200: VariantOut, **error_responses(400, 404)}, summary="Change a variant"
)
def variant_update(request: HttpRequest, variant_id: ObjectId, payload: VariantPatch) -> Variant:
    membership = member_of(request, Action.CONTENT_DRAFT)
    values = {name: value for name, value in payload.model_dump(exclude_unset=True).items() if value is not None}
    return services.variant_update(
        actor=actor_of(request, membership), membership=membership, variant=variant_id, **values
    )


@router.delete("/variants/{variant_id}", response={204: None, **error_responses(404)}, summary="Remove a variant")
def variant_delete(request: HttpRequest, variant_id: ObjectId) -> Status[None]:
    membership = member_of(request, Action.CONTENT_DRAFT)
    services.variant_remove(actor=actor_of(request, membership), membership=membership, variant=variant_id)
    return Status(204, None)


# --- the asset library ---------------------------------------------------------------------------


class AssetOut(Schema):
    id: int
    name: str
    region_id: int | None = Field(description="The region that owns it; null: the hub.")
    original_id: int | None = Field(description="The asset this one localizes.")
    mime_type: str = Field(description="Sniffed from the file's contents, not its name.")
    size: int = Field(description="Bytes.")
    sha256: str
    tags: list[str]
    language: str
    usage_rights: str
    rights_expire_on: datetime.date | None
    expired: bool = Field(description="The usage rights have expired: it cannot be attached to new posts.")
    recommended: bool = Field(description="The hub recommends it for the regions.")
    created_at: datetime.datetime

    @staticmethod
    def resolve_expired(asset: Asset) -> bool:
        return asset.is_expired(timezone.localdate())


class AssetUploadIn(Schema):
    name: Text = Field("", max_length=200)
    region_id: PositiveId | None = None
    tags: Text = Field("", max_length=1000, description="Separated by spaces or commas.")
    language: Literal["", "en", "ru", "nb", "zh-hans"] = ""
    usage_rights: Text = Field("", max_length=5000)
    rights_expire_on: datetime.date | None = None


class AssetPatch(Schema):
    name: Text | None = Field(None, min_length=1, max_length=200)
    tags: list[Annotated[str, Field(max_length=50)]] | None = Field(None, max_length=50)
    language: Literal["", "en", "ru", "nb", "zh-hans"] | None = None
    usage_rights: Text | None = Field(None, max_length=5000)
    rights_expire_on: datetime.date | None = Field(None, description="Send null to remove the expiry date.")
    recommended: bool | None = Field(None, description="Only the hub recommends assets for the regions.")


class AssetLocalizeIn(Schema):
    region_id: PositiveId
    name: Text = Field("", max_length=200)
    language: Literal["", "en", "ru", "nb", "zh-hans"] = ""


class AssetUsageOut(Schema):
    post_id: int
    post_title: str
    post_status: str
    variant_label: str
    published_at: datetime.datetime | None
    engagement: int | None = Field(description="Likes + shares + replies; null: no metrics yet.")


class AssetAttachIn(Schema):
    asset_id: PositiveId


class AssetFilterIn(Schema):
    tag: Text = Field("", max_length=50)
    recommended: bool | None = None
    region: PositiveId | None = None


@router.get("/assets", response={200: list[AssetOut], **error_responses()}, summary="The asset library")
@paginate(Pagination)
def asset_list(request: HttpRequest, filters: Query[AssetFilterIn]) -> Any:
    membership = member_of(request, Action.CONTENT_VIEW)
    found = assets.visible_assets(membership).order_by("-created_at", "-id")
    if filters.recommended is not None:
        found = found.filter(recommended=filters.recommended)
    if filters.region is not None:
        found = found.filter(region_id=filters.region)
    if filters.tag:
        tag = filters.tag.strip().lstrip("#").lower()
        # Tags are a JSON list: matched in Python so non-Latin tags compare alike on SQLite and PostgreSQL.
        found = found.filter(pk__in=[pk for pk, tags in found.values_list("pk", "tags") if tag in tags])
    return found


@router.post("/assets", response={201: AssetOut, **error_responses(400, 403)}, summary="Upload an asset")
def asset_upload(request: HttpRequest, file: File[UploadedFile], details: Form[AssetUploadIn]) -> Status[Asset]:
    """Multipart: ``file`` and the fields. The type is sniffed from the contents; size limits per type."""
    membership = member_of(request, Action.ASSETS_MANAGE)
    region = _region(membership, details.region_id)
    asset = assets.asset_upload(
        actor=actor_of(request, membership),
        membership=membership,
        upload=file,
        name=details.name,
        region=region,
        tags=details.tags.replace(",", " ").split(),
        language=details.language,
        usage_rights=details.usage_rights,
        rights_expire_on=details.rights_expire_on,
    )
    return Status(201, asset)


@router.get("/assets/{asset_id}", response={200: AssetOut, **error_responses(404)}, summary="One asset")
def asset_detail(request: HttpRequest, asset_id: ObjectId) -> Asset:
    return assets.visible_assets(member_of(request, Action.CONTENT_VIEW)).get(pk=asset_id)


@router.patch(
    "/assets/{asset_id}", response={200: AssetOut, **error_responses(400, 403, 404)}, summary="Change an asset"
)
def asset_update(request: HttpRequest, asset_id: ObjectId, payload: AssetPatch) -> Asset:
    membership = member_of(request, Action.ASSETS_MANAGE)
    values = payload.model_dump(exclude_unset=True)
    recommended = values.pop("recommended", None)
    actor = actor_of(request, membership)
    asset: Asset = assets.visible_assets(membership).get(pk=asset_id)
    if values:
        expiry_sent = "rights_expire_on" in values
        asset = assets.asset_update(
            actor=actor,
            membership=membership,
            asset=asset,
            name=values.get("name"),
            tags=values.get("tags"),
            language=values.get("language"),
            usage_rights=values.get("usage_rights"),
            rights_expire_on=values.get("rights_expire_on"),
            clear_expiry=expiry_sent and values["rights_expire_on"] is None,
        )
    if recommended is not None:
        asset = assets.asset_recommend(actor=actor, membership=membership, asset=asset, recommended=recommended)
    return assets.visible_assets(membership).get(pk=asset.pk)


@router.post(
    "/assets/{asset_id}/localize",
    response={201: AssetOut, **error_responses(400, 403, 404)},
    summary="A region's localized copy",
)
def asset_localize(
    request: HttpRequest,
    asset_id: ObjectId,
    details: Form[AssetLocalizeIn],
    file: File[UploadedFile | None] = None,
) -> Status[Asset]:
    """Multipart; without ``file`` the copy reuses the original's file."""
    membership = member_of(request, Action.ASSETS_MANAGE)
    region = _region(membership, details.region_id)
    copy = assets.asset_localize(
        actor=actor_of(request, membership),
        membership=membership,
        asset=asset_id,
        region=region,
        upload=file,
        name=details.name,
        language=details.language,
    )
    return Status(201, copy)


@router.get(
    "/assets/{asset_id}/usage",
    response={200: list[AssetUsageOut], **error_responses(404)},
    summary="Posts that used an asset and how they performed",
)
def asset_usage(request: HttpRequest, asset_id: ObjectId) -> list[assets.AssetUsage]:
    asset = assets.visible_assets(member_of(request, Action.CONTENT_VIEW)).get(pk=asset_id)
    return assets.usage_of(asset)


@router.post(
    "/variants/{variant_id}/assets",
    response={201: VariantOut, **error_responses(400, 404)},
    summary="Attach a library asset",
)
def variant_asset_attach(request: HttpRequest, variant_id: ObjectId, payload: AssetAttachIn) -> Status[Variant]:
    membership = member_of(request, Action.CONTENT_DRAFT)
    assets.asset_attach(
        actor=actor_of(request, membership), membership=membership, variant=variant_id, asset=payload.asset_id
    )
    return Status(201, selectors.variants_of(membership.workspace).get(pk=variant_id))


@router.delete(
    "/variants/{variant_id}/assets/{asset_id}",
    response={200: VariantOut, **error_responses(404)},
    summary="Take an asset off a variant",
)
def variant_asset_detach(request: HttpRequest, variant_id: ObjectId, asset_id: ObjectId) -> Variant:
    membership = member_of(request, Action.CONTENT_DRAFT)
    assets.asset_detach(actor=actor_of(request, membership), membership=membership, variant=variant_id, asset=asset_id)
    return selectors.variants_of(membership.workspace).get(pk=variant_id)


# --- tracked links -------------------------------------------------------------------------------


class TrackedLinkIn(Schema):
    landing_url: Text = Field(min_length=1, max_length=1800)
    variant_id: PositiveId | None = Field(None, description="The variant (network) the link is for.")
    utm_source: Text = Field("", max_length=200, description="The variant's network when omitted with a variant.")
    utm_medium: Text = Field("social", max_length=200)
    utm_campaign: Text | None = Field(
        None, max_length=200, description="The post's strategy campaign (as a slug) when omitted."
    )
    utm_content: Text | None = Field(None, max_length=200, description="post-<id> when omitted.")
    utm_term: Text = Field("", max_length=200)


class TrackedLinkOut(Schema):
    link_id: int
    code: str
    short_url: str
    landing_url: str
    destination_url: str = Field(description="The landing page with the UTM values.")
    network: str
    variant_id: int | None
    clicks: int = Field(description="Clicks by people (robots and link previews are not counted).")
    visitors: int = Field(description="Distinct visitors per day (a keyed hash; no addresses are kept).")


class LandingPageOut(Schema):
    landing_url: str
    clicks: int
    posts: int


@router.get(
    "/posts/{post_id}/links",
    response={200: list[TrackedLinkOut], **error_responses(404)},
    summary="A post's tracked links and their clicks",
)
def post_links(request: HttpRequest, post_id: ObjectId) -> list[links.ClickRow]:
    membership = member_of(request, Action.CONTENT_VIEW)
    post = _post(membership, post_id)
    return links.clicks_of_post(membership.workspace_id, post.pk)


@router.post(
    "/posts/{post_id}/links",
    response={201: TrackedLinkOut, **error_responses(404)},
    summary="Make a tracked short link (UTM builder)",
)
def post_link_create(request: HttpRequest, post_id: ObjectId, payload: TrackedLinkIn) -> Status[links.ClickRow]:
    membership = member_of(request, Action.CONTENT_DRAFT)
    post = _post(membership, post_id)
    variant = post.variants.filter(pk=payload.variant_id).first() if payload.variant_id is not None else None
    if payload.variant_id is not None and variant is None:
        raise ValidationError({"variant_id": _("No variant with this id in the post.")})
    defaults = links.default_utm(post, variant)
    utm = links.Utm(
        source=payload.utm_source or defaults.source,
        medium=payload.utm_medium,
        campaign=defaults.campaign if payload.utm_campaign is None else payload.utm_campaign,
        content=defaults.content if payload.utm_content is None else payload.utm_content,
        term=payload.utm_term,
    )
    link = links.tracked_link_create(
        actor=actor_of(request, membership),
        membership=membership,
        post=post,
        landing_url=payload.landing_url,
        utm=utm,
        variant=variant,
    )
    (row,) = [row for row in links.clicks_of_post(membership.workspace_id, post.pk) if row.link_id == link.pk]
    return Status(201, row)


@router.get(
    "/landing-pages", response={200: list[LandingPageOut], **error_responses()}, summary="Clicks by landing page"
)
def landing_pages(request: HttpRequest) -> list[links.LandingRow]:
    membership = member_of(request, Action.CONTENT_VIEW)
    return links.clicks_by_landing_page(membership.workspace_id)


# --- evergreen queues and best times -------------------------------------------------------------


class SlotIn(Schema):
    weekday: int = Field(ge=0, le=6, description="0 = Monday.")
    time: Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM in the workspace's time zone.")]


class EvergreenQueueIn(Schema):
    name: Text = Field(min_length=1, max_length=200)
    network: Text = Field("mastodon", max_length=20)
    account_id: PositiveId | None = Field(None, description="A connected account; its network wins.")
    account_label: Text = Field("", max_length=300)
    slots: list[SlotIn] = Field(min_length=1, max_length=100)
    min_gap_days: int = Field(30, ge=1, le=3650)


class EvergreenEntryOut(Schema):
    id: int
    post_id: int
    position: int
    last_scheduled_at: datetime.datetime | None
    times_scheduled: int


class EvergreenQueueOut(Schema):
    id: int
    name: str
    network: str
    account_id: int | None
    account_label: str
    slots: list[dict[str, Any]]
    min_gap_days: int
    is_active: bool
    entries: list[EvergreenEntryOut]

    @staticmethod
    def resolve_entries(queue: EvergreenQueue) -> list[EvergreenEntry]:
        return list(queue.entries.all())


class EvergreenPostIn(Schema):
    post_id: PositiveId


class TimeCellOut(Schema):
    weekday: int = Field(description="0 = Monday, in the workspace's time zone.")
    hour: int
    posts: int
    average_engagement: float


class BestTimesOut(Schema):
    network: str
    account_id: int | None
    sample: int = Field(description="Published variants with metrics behind the figures.")
    enough_data: bool = Field(description=f"False below {evergreen.MIN_SAMPLE} posts: no suggestion is made.")
    best: list[TimeCellOut] = Field(
        description=f"Up to three, best first; cells with at least {evergreen.MIN_CELL} posts."
    )
    cells: list[TimeCellOut]


class BestTimesFilter(Schema):
    network: Text = Field("", max_length=20)
    account_id: PositiveId | None = None


def _queue(membership: Any, queue_id: int) -> EvergreenQueue:
    return EvergreenQueue.objects.for_workspace(membership.workspace_id).prefetch_related("entries").get(pk=queue_id)


@router.get(
    "/evergreen-queues", response={200: list[EvergreenQueueOut], **error_responses()}, summary="Evergreen queues"
)
def evergreen_list(request: HttpRequest) -> list[EvergreenQueue]:
    membership = member_of(request, Action.CONTENT_VIEW)
    return list(EvergreenQueue.objects.for_workspace(membership.workspace_id).prefetch_related("entries"))


@router.post("/evergreen-queues", response={201: EvergreenQueueOut, **error_responses()}, summary="Create a queue")
def evergreen_create(request: HttpRequest, payload: EvergreenQueueIn) -> Status[EvergreenQueue]:
    membership = member_of(request, Action.CONTENT_VIEW)
    queue = evergreen.queue_create(
        actor=actor_of(request, membership),
        membership=membership,
        name=payload.name,
        network=payload.network,
        account_id=payload.account_id,
        account_label=payload.account_label,
        slots=[slot.model_dump() for slot in payload.slots],
        min_gap_days=payload.min_gap_days,
    )
    return Status(201, _queue(membership, queue.pk))


@router.post(
    "/evergreen-queues/{queue_id}/posts",
    response={200: EvergreenQueueOut, **error_responses(404)},
    summary="Add a post to the rotation",
)
def evergreen_add(request: HttpRequest, queue_id: ObjectId, payload: EvergreenPostIn) -> EvergreenQueue:
    membership = member_of(request, Action.CONTENT_VIEW)
    evergreen.queue_add_post(
        actor=actor_of(request, membership), membership=membership, queue=queue_id, post=payload.post_id
    )
    return _queue(membership, queue_id)


@router.post(
    "/evergreen-queues/{queue_id}/fill",
    response={200: list[PostOut], **error_responses(404)},
    summary="Schedule the queue's posts into the open slots of the next 7 days",
)
def evergreen_fill(request: HttpRequest, queue_id: ObjectId) -> list[Post]:
    membership = services.require_publish(member_of(request, Action.CONTENT_VIEW))
    queue = _queue(membership, queue_id)
    created = evergreen.queue_fill(queue.pk)
    return list(selectors.posts_of(membership.workspace).filter(pk__in=[post.pk for post in created]))


@router.get("/best-times", response={200: BestTimesOut, **error_responses()}, summary="Best times to post")
def best_times(request: HttpRequest, filters: Query[BestTimesFilter]) -> evergreen.BestTimes:
    """Engagement by weekday and hour of the workspace's published posts (one network or account)."""
    membership = member_of(request, Action.CONTENT_VIEW)
    return evergreen.best_times(membership.workspace, network=filters.network, account_id=filters.account_id)
