"""Mastodon (and servers speaking its client API) over plain httpx.

API: https://docs.joinmastodon.org/methods/ — statuses, media (v2), notifications, search,
accounts. Tokens are entered by hand (an app registered under the account's Preferences →
Development); the OAuth flow is a later slice.
"""

from __future__ import annotations

import time
import uuid
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pappus.connectors.base import HttpConnector
from pappus.connectors.contracts import (
    AccountInfo,
    Capability,
    ConnectField,
    InboundPage,
    MetricSnapshot,
    PublishLimits,
    PublishRequest,
    PublishResult,
)
from pappus.connectors.errors import AuthExpiredError, ConnectorError, ContentRejectedError, TemporaryFailureError
from pappus.connectors.mastodon import mapping
from pappus.connectors.registry import register

# Mastodon's own defaults, used when the server does not publish its configuration.
DEFAULT_LIMITS = PublishLimits(
    max_characters=500,
    max_media=4,
    media_types=frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "video/webm"}),
    max_media_bytes=16 * 1024 * 1024,
    max_video_bytes=99 * 1024 * 1024,
    url_length=23,
)
# Media is processed asynchronously (HTTP 202); wait this long at most for it to be ready.
MEDIA_READY_ATTEMPTS = 10
MEDIA_READY_PAUSE_SECONDS = 0.5


def _quoted(remote_id: str) -> str:
    return quote(remote_id, safe="")


@register
class MastodonConnector(HttpConnector):
    network: ClassVar[str] = "mastodon"
    label: ClassVar[str] = "Mastodon"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(Capability)
    connect_fields: ClassVar[tuple[ConnectField, ...]] = (
        ConnectField(
            "access_token",
            _("Access token"),
            secret=True,
            help_text=str(
                _(
                    "On your server: Preferences → Development → New application, with the scopes read, write "
                    "and follow; then copy “Your access token”."
                )
            ),
        ),
    )
    default_base_url: ClassVar[str] = "https://mastodon.social"
    default_limits: ClassVar[PublishLimits | None] = DEFAULT_LIMITS
    # "Idempotency-Key ... stored for up to 1 hour" (docs.joinmastodon.org, POST /api/v1/statuses).
    # Servers that only speak Mastodon's API may ignore the key (snac 2.75 does): see docs/connectors.md.
    idempotency_window_seconds: ClassVar[int] = 3600
    streams_files: ClassVar[bool] = True  # uploads are multipart parts read from disk a piece at a time

    def __init__(self, **arguments: Any) -> None:
        super().__init__(**arguments)
        self._limits: PublishLimits | None = None
        self._me: AccountInfo | None = None

    def map_error(self, response: httpx.Response) -> ConnectorError:
        if response.status_code == 403:
            # "This action is outside the authorized scopes": only a new token fixes it.
            return AuthExpiredError(
                f"{self.label} refused the token: {self.error_reason(response)}",
                network=self.network,
                status=403,
            )
        return super().map_error(response)

    # --- account --------------------------------------------------------------------------------

    def account_info(self) -> AccountInfo:
        try:
            account = self.request_json("GET", "/api/v1/accounts/verify_credentials")
        except ContentRejectedError as error:
            # Some servers (snac) answer a refused token with 422 instead of 401.
            raise AuthExpiredError(f"{self.label} refused the token: {error.reason}", network=self.network) from error
        self._me = mapping.account_info(account, self.base_url)
        return self._me

    def _my_id(self) -> str:
        return (self._me or self.account_info()).remote_id

    def account_metrics(self) -> MetricSnapshot:
        account = self.request_json("GET", "/api/v1/accounts/verify_credentials")
        return MetricSnapshot(
            taken_at=timezone.now(),
            followers=account.get("followers_count"),
            following=account.get("following_count"),
            posts=account.get("statuses_count"),
        )

    # --- publishing -----------------------------------------------------------------------------

    def limits(self) -> PublishLimits:
        if self._limits is None:
            self._limits = self._read_limits()
        return self._limits

    def _read_limits(self) -> PublishLimits:
        instance = self.request_json("GET", "/api/v1/instance")
        configuration = instance.get("configuration") if isinstance(instance, dict) else None
        if not isinstance(configuration, dict):
            return DEFAULT_LIMITS
        statuses = configuration.get("statuses") or {}
        media = configuration.get("media_attachments") or {}
        types = media.get("supported_mime_types")
        return PublishLimits(
            max_characters=int(statuses.get("max_characters") or DEFAULT_LIMITS.max_characters),
            max_media=int(statuses.get("max_media_attachments") or DEFAULT_LIMITS.max_media),
            media_types=frozenset(types) if isinstance(types, list) and types else DEFAULT_LIMITS.media_types,
            max_media_bytes=int(media.get("image_size_limit") or DEFAULT_LIMITS.max_media_bytes or 0) or None,
            max_video_bytes=int(media.get("video_size_limit") or DEFAULT_LIMITS.max_video_bytes or 0) or None,
            url_length=int(statuses.get("characters_reserved_per_url") or 23),
        )

    def _upload(self, request: PublishRequest) -> list[str]:
        ids = []
        for media in request.media:
            # Streamed from disk as a multipart part, 64 KiB at a time (the file is never held whole).
            with media.open() as stream:
                response = self.request(
                    "POST",
                    "/api/v2/media",
                    files={"file": (media.filename, stream, media.mime_type)},
                    data={"description": media.description} if media.description else None,
                    # Safe to send again: an upload is never posted by itself (an extra one stays unattached).
                    repeatable=True,
                )
            attachment = self.read_json(response)
            if response.status_code == 202:
                attachment = self._wait_for_media(str(attachment["id"]))
            ids.append(str(attachment["id"]))
        return ids

    def _wait_for_media(self, media_id: str) -> dict[str, Any]:
        for _attempt in range(MEDIA_READY_ATTEMPTS):
            time.sleep(MEDIA_READY_PAUSE_SECONDS)
            response = self.request("GET", f"/api/v1/media/{_quoted(media_id)}")
            if response.status_code == 200:
                attachment: dict[str, Any] = self.read_json(response)
                return attachment
        raise TemporaryFailureError(f"{self.label} is still processing the uploaded file", network=self.network)

    def _post_status(self, request: PublishRequest, *, in_reply_to: str = "") -> PublishResult:
        self.check_limits(request)
        body: dict[str, Any] = {"status": request.full_text()}
        media_ids = self._upload(request)
        if media_ids:
            body["media_ids"] = media_ids
        if in_reply_to:
            body["in_reply_to_id"] = in_reply_to
        # Mastodon keeps an Idempotency-Key for an hour: a retried request returns the first status.
        key = request.idempotency_key or uuid.uuid4().hex
        status = self.request_json("POST", "/api/v1/statuses", json=body, headers={"Idempotency-Key": key})
        return mapping.publish_result(status)

    def publish(self, request: PublishRequest) -> PublishResult:
        return self._post_status(request)

    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult:
        """Answer a status; its author is mentioned (as Mastodon clients do) so they are notified."""
        parent = self.request_json("GET", f"/api/v1/statuses/{_quoted(parent_remote_id)}")
        author = parent.get("account") or {}
        mention = mapping.full_handle(author, self.base_url)
        text = request.text
        if str(author.get("id") or "") != self._my_id() and mention.lower() not in text.lower():
            text = f"{mention} {text}"
        answer = PublishRequest(
            text=text, media=request.media, link=request.link, idempotency_key=request.idempotency_key
        )
        return self._post_status(answer, in_reply_to=str(parent["id"]))

    def delete(self, remote_id: str) -> None:
        self.request("DELETE", f"/api/v1/statuses/{_quoted(remote_id)}")

    def post_metrics(self, remote_id: str) -> MetricSnapshot:
        status = self.request_json("GET", f"/api/v1/statuses/{_quoted(remote_id)}")
        return MetricSnapshot(
            taken_at=timezone.now(),
            remote_id=str(status["id"]),
            likes=status.get("favourites_count"),
            shares=status.get("reblogs_count"),
            replies=status.get("replies_count"),
        )

    # --- reading ----------------------------------------------------------------------------------

    def inbox(self, *, cursor: str = "", limit: int = 40) -> InboundPage:
        """Mentions, replies and direct messages from the notifications, newest first."""
        params: dict[str, Any] = {"types[]": "mention", "limit": min(limit, 40)}
        if cursor:
            params["since_id"] = cursor
        notifications = self.request_json("GET", "/api/v1/notifications", params=params)
        my_id = self._my_id()
        fresh = []
        for entry in notifications:
            # Not every server honours since_id (snac does not): stop at the cursor in any case.
            if cursor and str(entry.get("id")) == cursor:
                break
            fresh.append(entry)
        items = tuple(
            mapping.inbound_status(entry["status"], my_id=my_id, base_url=self.base_url)
            for entry in fresh
            if entry.get("type") == "mention" and isinstance(entry.get("status"), dict)
        )
        newest = str(notifications[0]["id"]) if notifications else cursor
        return InboundPage(items=items, cursor=newest)

    def listen(self, query: str, *, limit: int = 40) -> InboundPage:
        found = self.request_json(
            "GET", "/api/v2/search", params={"q": query, "type": "statuses", "limit": min(limit, 40)}
        )
        statuses = found.get("statuses") or [] if isinstance(found, dict) else []
        return InboundPage(
            items=tuple(
                mapping.inbound_status(status, my_id="", base_url=self.base_url, kind=None) for status in statuses
            )
        )
