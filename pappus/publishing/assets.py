"""The asset library's services: upload (the type sniffed from the bytes), tags and rights, the
hub's recommendation, regions' localized copies, attaching assets to variants.

Who sees what: a member without region limits sees every asset; a member limited to regions sees
the assets of those regions plus every asset the hub recommended for regions. Only a member who
works for the hub (no region limits, or the hub among them) recommends assets.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.models import Membership, Region
from pappus.core.permissions import Action, require
from pappus.publishing.models import Asset, AssetUse, Post, PostStatus, Variant

ASSET_FIELDS = ("name", "region_id", "tags", "language", "usage_rights", "rights_expire_on", "recommended")
MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class FileType:
    mime_type: str
    label: str
    extension: str
    max_bytes: int


# What the library accepts, recognised by the file's first bytes (never by its name), with the
# largest size of each: the networks' own upper limits (Mastodon: 16 MB images, 99 MB video).
FILE_TYPES = {
    "image/jpeg": FileType("image/jpeg", "JPEG", "jpg", 16 * MEGABYTE),
    "image/png": FileType("image/png", "PNG", "png", 16 * MEGABYTE),
    "image/gif": FileType("image/gif", "GIF", "gif", 16 * MEGABYTE),
    "image/webp": FileType("image/webp", "WebP", "webp", 16 * MEGABYTE),
    "video/mp4": FileType("video/mp4", "MP4", "mp4", 99 * MEGABYTE),
    "video/quicktime": FileType("video/quicktime", "QuickTime", "mov", 99 * MEGABYTE),
    "application/pdf": FileType("application/pdf", "PDF", "pdf", 50 * MEGABYTE),
}
MAX_BYTES = max(kind.max_bytes for kind in FILE_TYPES.values())


def sniff(head: bytes) -> FileType | None:
    """The file's real type from its first bytes (magic numbers), or None when it is none we accept."""
    if head.startswith(b"\xff\xd8\xff"):
        return FILE_TYPES["image/jpeg"]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return FILE_TYPES["image/png"]
    if head[:6] in {b"GIF87a", b"GIF89a"}:
        return FILE_TYPES["image/gif"]
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return FILE_TYPES["image/webp"]
    if head[4:8] == b"ftyp":
        return FILE_TYPES["video/quicktime" if head[8:12] == b"qt  " else "video/mp4"]
    if head.startswith(b"%PDF-"):
        return FILE_TYPES["application/pdf"]
    return None


def _megabytes(size: int, *, up: bool = False) -> str:
    """Megabytes with one decimal; a file's size rounds up, so that it never reads as the limit."""
    tenths = -(-size * 10 // MEGABYTE) if up else round(size * 10 / MEGABYTE)
    return f"{tenths / 10:.1f}".removesuffix(".0")


def check_file(name: str, size: int, head: bytes) -> FileType:
    """The accepted type of an upload, or a ValidationError that names the file and the reason."""
    found = sniff(head)
    if found is None:
        accepted = ", ".join(kind.label for kind in FILE_TYPES.values())
        raise ValidationError(
            {
                "file": _("“%(name)s” is not a file type the library accepts (its contents are not %(accepted)s).")
                % {"name": name, "accepted": accepted}
            }
        )
    if size > found.max_bytes:
        raise ValidationError(
            {
                "file": _("“%(name)s” is %(size)s MB; the limit for %(type)s files is %(limit)s MB.")
                % {
                    "name": name,
                    "size": _megabytes(size, up=True),
                    "type": found.label,
                    "limit": _megabytes(found.max_bytes),
                }
            }
        )
    if size == 0:
        raise ValidationError({"file": _("“%(name)s” is empty.") % {"name": name}})
    return found


# --- who sees what -------------------------------------------------------------------------------


def region_limits(membership: Membership) -> set[int] | None:
    """The regions a member is limited to, or None for all of them."""
    ids = {region.pk for region in membership.regions.all()}
    return ids or None


def works_for_hub(membership: Membership) -> bool:
    limits = region_limits(membership)
    return (
        limits is None
        or Region.objects.for_workspace(membership.workspace_id).filter(pk__in=limits, parent__isnull=True).exists()
    )


def visible_assets(membership: Membership) -> QuerySet[Asset]:
    """The assets this member sees: all, or their regions' plus the hub's recommended ones."""
    assets = Asset.objects.for_workspace(membership.workspace_id).select_related("region", "original")
    limits = region_limits(membership)
    if limits is not None:
        assets = assets.filter(Q(region_id__in=limits) | Q(recommended=True))
    return assets


def _visible(membership: Membership, asset: Asset | int) -> Asset:
    asset_id = asset if isinstance(asset, int) else asset.pk
    return visible_assets(membership).get(pk=asset_id)


def _check_region(membership: Membership, region: Region | None) -> None:
    if region is not None and region.workspace_id != membership.workspace_id:
        raise ValidationError({"region": _("This region belongs to another workspace.")})
    limits = region_limits(membership)
    if limits is None:
        return
    if region is None or region.pk not in limits:
        raise PermissionDenied(_("You work for other regions: choose one of yours."))


def _clean_tags(tags: Iterable[str]) -> list[str]:
    cleaned: list[str] = []
    for tag in tags:
        name = tag.strip().lstrip("#").strip().lower()[:50]
        if name and name not in cleaned:
            cleaned.append(name)
    return cleaned


def _check_dates_and_text(asset: Asset) -> None:
    asset.full_clean(exclude=["file", "sha256"])


# --- writes --------------------------------------------------------------------------------------


def _read_head(upload: IO[bytes]) -> bytes:
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    return head


def _digest(upload: IO[bytes]) -> str:
    upload.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: upload.read(1024 * 1024), b""):
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


@transaction.atomic
def asset_upload(
    *,
    actor: Actor,
    membership: Membership,
    upload: File[bytes],
    name: str = "",
    region: Region | None = None,
    tags: Sequence[str] = (),
    language: str = "",
    usage_rights: str = "",
    rights_expire_on: datetime.date | None = None,
) -> Asset:
    """Store an uploaded file in the library after checking its real type and size."""
    require(membership, Action.ASSETS_MANAGE)
    limits = region_limits(membership)
    if region is None and limits is not None and len(limits) == 1:
        region = Region.objects.for_workspace(membership.workspace_id).get(pk=next(iter(limits)))
    _check_region(membership, region)
    file_name = (upload.name or "upload").rsplit("/", 1)[-1]
    size = int(upload.size or 0)
    kind = check_file(file_name, size, _read_head(upload))
    asset = Asset(
        workspace=membership.workspace,
        region=region,
        name=(name.strip() or file_name)[:200],
        mime_type=kind.mime_type,
        size=size,
        sha256=_digest(upload),
        tags=_clean_tags(tags),
        language=language,
        usage_rights=usage_rights,
        rights_expire_on=rights_expire_on,
        uploaded_by=membership.user,
    )
    _check_dates_and_text(asset)
    asset.file.save(f"upload.{kind.extension}", upload, save=False)
    asset.save()
    audit.record(actor, "asset.upload", workspace=membership.workspace, target=asset, after=_snapshot(asset))
    return asset


def _snapshot(asset: Asset) -> dict[str, object]:
    return {**audit.snapshot(asset, ASSET_FIELDS), "mime_type": asset.mime_type, "size": asset.size}


def _for_change(membership: Membership, asset: Asset | int) -> Asset:
    """An asset the member may change: one of their regions' (a recommended hub asset is the hub's)."""
    found = _visible(membership, asset)
    limits = region_limits(membership)
    if limits is not None and found.region_id not in limits:
        raise PermissionDenied(_("This asset belongs to the hub: localize it for your region instead."))
    return found


@transaction.atomic
def asset_update(
    *,
    actor: Actor,
    membership: Membership,
    asset: Asset | int,
    name: str | None = None,
    tags: Sequence[str] | None = None,
    language: str | None = None,
    usage_rights: str | None = None,
    rights_expire_on: datetime.date | None = None,
    clear_expiry: bool = False,
) -> Asset:
    require(membership, Action.ASSETS_MANAGE)
    found = _for_change(membership, asset)
    before = audit.snapshot(found, ASSET_FIELDS)
    if name is not None:
        found.name = name.strip()[:200] or found.name
    if tags is not None:
        found.tags = _clean_tags(tags)
    if language is not None:
        found.language = language
    if usage_rights is not None:
        found.usage_rights = usage_rights
    if rights_expire_on is not None or clear_expiry:
        found.rights_expire_on = rights_expire_on
    _check_dates_and_text(found)
    found.save()
    audit.record(
        actor,
        "asset.update",
        workspace=membership.workspace,
        target=found,
        before=before,
        after=audit.snapshot(found, ASSET_FIELDS),
    )
    return found


@transaction.atomic
def asset_recommend(*, actor: Actor, membership: Membership, asset: Asset | int, recommended: bool) -> Asset:
    """The hub marks an asset as recommended for the regions (or takes the mark back)."""
    require(membership, Action.ASSETS_MANAGE)
    if not works_for_hub(membership):
        raise PermissionDenied(_("Only the hub recommends assets for the regions."))
    found = _visible(membership, asset)
    before = audit.snapshot(found, ASSET_FIELDS)
    found.recommended = recommended
    found.save(update_fields=["recommended", "updated_at"])
    audit.record(
        actor,
        "asset.recommend" if recommended else "asset.unrecommend",
        workspace=membership.workspace,
        target=found,
        before=before,
        after=audit.snapshot(found, ASSET_FIELDS),
    )
    return found


@transaction.atomic
def asset_localize(
    *,
    actor: Actor,
    membership: Membership,
    asset: Asset | int,
    region: Region,
    upload: File[bytes] | None = None,
    name: str = "",
    language: str = "",
    tags: Sequence[str] | None = None,
) -> Asset:
    """A region's copy of an asset (its own file, or the original's bytes), linked to the original.

    The copy keeps the original's usage rights and their expiry: localizing does not extend them.
    """
    require(membership, Action.ASSETS_MANAGE)
    original = _visible(membership, asset)
    _check_region(membership, region)
    if original.region_id == region.pk:
        raise ValidationError({"region": _("The asset already belongs to this region.")})
    if upload is not None:
        file_name = (upload.name or "upload").rsplit("/", 1)[-1]
        kind = check_file(file_name, int(upload.size or 0), _read_head(upload))
        content: File[bytes] = upload
        size, digest, mime_type = int(upload.size or 0), _digest(upload), kind.mime_type
    else:
        with original.file.open("rb") as stored:
            content = ContentFile(stored.read())
        kind = FILE_TYPES[original.mime_type]
        size, digest, mime_type = original.size, original.sha256, original.mime_type
    copy = Asset(
        workspace=membership.workspace,
        region=region,
        original=original,
        name=(name.strip() or f"{original.name} ({region.name})")[:200],
        mime_type=mime_type,
        size=size,
        sha256=digest,
        tags=_clean_tags(original.tags if tags is None else tags),
        language=language or region.language or original.language,
        usage_rights=original.usage_rights,
        rights_expire_on=original.rights_expire_on,
        uploaded_by=membership.user,
    )
    _check_dates_and_text(copy)
    copy.file.save(f"upload.{kind.extension}", content, save=False)
    copy.save()
    audit.record(
        actor,
        "asset.localize",
        workspace=membership.workspace,
        target=copy,
        after={**_snapshot(copy), "original": original.pk},
    )
    return copy


def _media_entry(asset: Asset) -> dict[str, object]:
    return {"name": asset.name, "mime_type": asset.mime_type, "size": asset.size, "asset_id": asset.pk}


@transaction.atomic
def asset_attach(*, actor: Actor, membership: Membership, variant: Variant | int, asset: Asset | int) -> AssetUse:
    """Attach a library asset to a variant's media; an asset whose rights expired is refused."""
    from pappus.publishing import services

    require(membership, Action.CONTENT_DRAFT)
    found = _visible(membership, asset)
    variant_id = variant if isinstance(variant, int) else variant.pk
    target = Variant.objects.for_workspace(membership.workspace_id).get(pk=variant_id)
    if found.is_expired(timezone.localdate()):
        raise ValidationError(
            {
                "asset": _("The usage rights of “%(asset)s” expired on %(date)s: it cannot be used in new posts.")
                % {"asset": found.name, "date": found.rights_expire_on}
            }
        )
    if AssetUse.objects.filter(asset=found, variant=target).exists():
        raise ValidationError({"asset": _("“%(asset)s” is attached already.") % {"asset": found.name}})
    media = [*target.media, _media_entry(found)]
    services.variant_update(actor=actor, membership=membership, variant=target, media=media)
    use = AssetUse.objects.create(workspace_id=membership.workspace_id, asset=found, variant=target)
    audit.record(actor, "asset.attach", workspace=membership.workspace, target=found, after={"variant": target.pk})
    return use


@transaction.atomic
def asset_detach(*, actor: Actor, membership: Membership, variant: Variant | int, asset: Asset | int) -> None:
    from pappus.publishing import services

    require(membership, Action.CONTENT_DRAFT)
    variant_id = variant if isinstance(variant, int) else variant.pk
    asset_id = asset if isinstance(asset, int) else asset.pk
    use = AssetUse.objects.for_workspace(membership.workspace_id).get(variant_id=variant_id, asset_id=asset_id)
    target = use.variant
    media = [item for item in target.media if item.get("asset_id") != asset_id]
    services.variant_update(actor=actor, membership=membership, variant=target, media=media)
    use.delete()
    audit.record(actor, "asset.detach", workspace=membership.workspace, target=use.asset, after={"variant": target.pk})


# --- reads ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AssetUsage:
    """One use of an asset: the post, the variant's network and how it performed."""

    post_id: int
    post_title: str
    post_status: str
    variant_label: str
    published_at: datetime.datetime | None
    engagement: int | None  # None: no metrics yet


def usage_of(asset: Asset) -> list[AssetUsage]:
    uses = (
        AssetUse.objects.for_workspace(asset.workspace_id)
        .filter(asset=asset)
        .select_related("variant__post")
        .order_by("-created_at", "-id")
    )
    return [
        AssetUsage(
            post_id=use.variant.post_id,
            post_title=use.variant.post.title,
            post_status=use.variant.post.get_status_display(),
            variant_label=use.variant.label,
            published_at=use.variant.published_at,
            engagement=use.variant.engagement,
        )
        for use in uses
    ]


def expired_assets_of_posts(workspace_id: int, post_ids: Iterable[int]) -> dict[int, list[str]]:
    """For each post, the names of its attached assets whose usage rights have expired."""
    today = timezone.localdate()
    rows = (
        AssetUse.objects.for_workspace(workspace_id)
        .filter(variant__post_id__in=list(post_ids), asset__rights_expire_on__lt=today)
        .values_list("variant__post_id", "asset__name")
        .order_by("asset__name")
    )
    found: dict[int, list[str]] = {}
    for post_id, name in rows:
        names = found.setdefault(post_id, [])
        if name not in names:
            names.append(name)
    return found


def scheduled_posts_with_expired_assets(workspace_id: int) -> dict[int, list[str]]:
    """Scheduled posts that would go out with an asset whose rights have expired."""
    scheduled = Post.objects.for_workspace(workspace_id).filter(status=PostStatus.SCHEDULED)
    return expired_assets_of_posts(workspace_id, scheduled.values_list("pk", flat=True))
