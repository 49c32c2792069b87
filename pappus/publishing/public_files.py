"""The files of a variant as the connectors get them, and signed, expiring public links to them.

Most networks take a file's bytes. Instagram takes none: it fetches each image from a public
address. So each file sent also carries ``source_url``: ``PAPPUS_PUBLIC_URL/f/<signed token>/<name>``,
a link that opens the asset without signing in, only with an untampered token, and only for
:data:`LINK_LIFETIME` (a new one is made at each sending attempt). The token names the asset and its
SHA-256, so a file changed since the link was made is not served. Without ``PAPPUS_PUBLIC_URL`` the
files carry no address and the Instagram connector refuses such a post before sending, saying so.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core import signing
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from pappus.connectors import facade
from pappus.connectors.contracts import MediaFile
from pappus.publishing.models import Asset, Variant

# Long enough for a network to fetch the file while the post is created; each attempt makes a new link.
LINK_LIFETIME = datetime.timedelta(hours=1)
_SALT = "pappus.publishing.public_files"
# Files larger than this are not read into memory when sent to a connector that streams files
# (``facade.streams_files``: every Western network's connector but Instagram, which fetches by URL):
# it reads them from disk in chunks (where the storage has local paths; a remote storage's files are
# read whole). Other connectors (the Chinese networks') get the bytes.
STREAM_ABOVE_BYTES = 32 * 1024 * 1024


def _local_path(asset: Asset) -> str:
    try:
        return str(asset.file.path)
    except NotImplementedError:  # a storage without local paths
        return ""


def public_asset_url(asset: Asset) -> str:
    """A signed link to ``asset`` under ``PAPPUS_PUBLIC_URL``; empty when no public address is set."""
    if not settings.PUBLIC_URL:
        return ""
    token = signing.TimestampSigner(salt=_SALT).sign_object(
        {"workspace": asset.workspace_id, "asset": asset.pk, "sha256": asset.sha256}
    )
    path = reverse("public_files:asset", kwargs={"token": token})
    return f"{settings.PUBLIC_URL}{path}"


def variant_media_files(variant: Variant) -> tuple[MediaFile, ...]:
    """The variant's attached assets, in the order attached, with their bytes and public links."""
    wanted = [int(item["asset_id"]) for item in variant.media if isinstance(item.get("asset_id"), int)]
    if not wanted:
        return ()
    found = {asset.pk: asset for asset in Asset.objects.for_workspace(variant.workspace_id).filter(pk__in=wanted)}
    # Only a connector that reads files from disk in chunks is handed a large file as a path alone.
    streams = facade.streams_files(variant.network)
    files = []
    for asset_id in wanted:
        asset = found.get(asset_id)
        if asset is None:
            continue
        path = _local_path(asset)
        if path and asset.size > STREAM_ABOVE_BYTES and streams:
            content = b""  # a large file on this disk: connectors stream it from ``path``
        else:
            path = ""
            with asset.file.open("rb") as stored:
                content = stored.read()
        files.append(
            MediaFile(
                content=content,
                mime_type=asset.mime_type,
                filename=asset.name,
                source_url=public_asset_url(asset),
                path=path,
            )
        )
    return tuple(files)


@require_GET
def public_asset(request: HttpRequest, token: str) -> FileResponse:
    """The asset a valid, unexpired token names (no sign-in: the network fetching it has none)."""
    try:
        named = signing.TimestampSigner(salt=_SALT).unsign_object(token, max_age=LINK_LIFETIME)
    except signing.BadSignature:
        raise Http404 from None
    if not isinstance(named, dict) or not all(isinstance(named.get(key), int) for key in ("workspace", "asset")):
        raise Http404
    asset = (
        Asset.objects.for_workspace(named["workspace"])
        .filter(pk=int(named["asset"]), sha256=str(named.get("sha256")))
        .first()
    )
    if asset is None:
        raise Http404
    response = FileResponse(asset.file.open("rb"), content_type=asset.mime_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["X-Robots-Tag"] = "noindex"
    patch_cache_control(response, private=True, max_age=int(LINK_LIFETIME.total_seconds()))
    return response
