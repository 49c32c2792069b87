"""Douyin (抖音) through the Douyin Open Platform's OpenAPI (https://developer.open-douyin.com) over plain httpx.

The account is a Douyin user who authorised the workspace's own Douyin app, signed in through
OAuth 2 (:mod:`pappus.connectors.douyin.oauth`: ``client_key``, the token answer's ``open_id``, the
access token refreshed and the refresh token renewed) or, still possible, with the user access
token (``act.…``, a secret) and its ``open_id`` (a plain option) pasted on the connect form.

- **Publishing**: a video only — ``POST /video/upload/`` (multipart ``video``, up to 128 MB in one
  request) then ``POST /video/create/`` with the text; Douyin reviews it and gives an ``item_id``.
- **Inbox**: comments on the account's 10 newest videos (``/video/list/`` then
  ``/item/comment/list/``), newest first; the cursor is the newest comment time read.
- **Replying**: ``POST /item/comment/reply/`` (a comment's ``comment_id``, or the video alone).
- **Metrics**: ``POST /video/data/`` (plays, likes, comments, shares).
- **Answers**: ``{"data": {..., "error_code", "description"}, "extra": {...}}``; ``error_code`` ≠ 0 is
  an error, mapped below (old and new general codes of the status-code page).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, ClassVar

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pappus.connectors.base import MAXIMUM_REASON_CHARACTERS, HttpConnector
from pappus.connectors.contracts import (
    AccountInfo,
    Capability,
    ConnectField,
    InboundItem,
    InboundKind,
    InboundPage,
    MetricSnapshot,
    PublishLimits,
    PublishRequest,
    PublishResult,
)
from pappus.connectors.douyin.oauth import bytedance_spec
from pappus.connectors.errors import (
    AuthExpiredError,
    ConnectorError,
    ContentRejectedError,
    NotFoundError,
    RateLimitedError,
    TemporaryFailureError,
)
from pappus.connectors.oauth import OAuthSpec
from pappus.connectors.registry import register

NETWORK = "douyin"
DEFAULT_LIMITS = PublishLimits(
    max_characters=1000,  # Douyin documents no limit for the text; 1,000 is Pappus's conservative check
    max_media=1,
    media_types=frozenset({"video/mp4", "video/webm"}),
    max_media_bytes=128 * 1024 * 1024,  # one request; larger files need Douyin's part upload (not built)
)
INBOX_VIDEOS = 10

# https://developer.open-douyin.com/docs/resource/zh-CN/dop/develop/openapi/status-code
AUTH_CODES = frozenset({2190002, 2190008, 28001008, 28001003, 28001012, 28001015, 28001016, 2190004, 2100007})
QUOTA_CODES = frozenset({2190001, 28003017})
FREQUENCY_CODES = frozenset({28003018, 28001052})
TEMPORARY_CODES = frozenset({2100004, 28001005, 28001006})
NOT_FOUND_CODES = frozenset({28001045, 2100009, 28001046})  # user deleted or banned


def douyin_error(
    code: int, description: str, *, label: str = "Douyin", status: int | None = None, network: str = NETWORK
) -> ConnectorError:
    """Douyin's (and Toutiao's: the same platform's codes) ``error_code`` in the error set."""
    reason = f"{description or 'error'} ({code})"[:MAXIMUM_REASON_CHARACTERS]
    if code in AUTH_CODES:
        return AuthExpiredError(f"{label} refused the token: {reason}", network=network, status=status)
    if code in QUOTA_CODES or code in FREQUENCY_CODES:
        retry_after = 60.0 if code in FREQUENCY_CODES else None
        return RateLimitedError(
            f"{label} rate limit reached: {reason}", retry_after=retry_after, network=network, status=status
        )
    if code in TEMPORARY_CODES:
        return TemporaryFailureError(f"{label} failed: {reason}", network=network, status=status)
    if code in NOT_FOUND_CODES:
        return NotFoundError(f"{label}: {reason}", network=network, status=status)
    return ContentRejectedError(reason, network=network, status=status)


def comment_reference(item_id: str, comment_id: str) -> str:
    """A comment's remote id: its video's id and its own (Douyin's ids hold @ + / =, never |)."""
    return f"comment|{item_id}|{comment_id}"


def parse_reference(remote_id: str) -> tuple[str, str]:
    if remote_id.startswith("comment|"):
        parts = remote_id.split("|")
        if len(parts) == 3 and parts[1] and parts[2]:
            return parts[1], parts[2]
    elif remote_id and "|" not in remote_id:
        return remote_id, ""
    raise NotFoundError(_("%(id)s is not a Douyin video or comment id.") % {"id": remote_id}, network=NETWORK)


def _moment(value: Any) -> datetime.datetime | None:
    try:
        return datetime.datetime.fromtimestamp(int(value), tz=datetime.UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


@register
class DouyinConnector(HttpConnector):
    network: ClassVar[str] = NETWORK
    label: ClassVar[str] = "Douyin"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.INBOX, Capability.PUBLISH, Capability.REPLY, Capability.METRICS, Capability.MEDIA}
    )
    connect_fields: ClassVar[tuple[ConnectField, ...]] = (
        ConnectField("access_token", gettext_lazy("Access token"), secret=True),
        ConnectField(
            "open_id",
            gettext_lazy("open_id"),
            help_text=gettext_lazy("The open_id Douyin gave with the access token (the user, as your app sees them)."),
        ),
    )
    default_base_url: ClassVar[str] = "https://open.douyin.com"
    default_limits: ClassVar[PublishLimits | None] = DEFAULT_LIMITS
    idempotency_window_seconds: ClassVar[int] = 0
    # https://developer.open-douyin.com/docs/resource/zh-CN/dop/develop/openapi/account-permission/douyin-get-permission-code
    oauth: ClassVar[OAuthSpec] = bytedance_spec(
        authorize_url="https://open.douyin.com/platform/oauth/connect/",
        token_url="https://open.douyin.com/oauth/access_token/",  # noqa: S106 - an address, not a password
        scopes=("user_info", "video.create.bind", "video.data.bind", "video.list.bind", "item.comment"),
        console="https://developer.open-douyin.com/console",
    )
    # Where the video endpoints live under the API host (Toutiao's are under /toutiao).
    video_path_prefix: ClassVar[str] = ""

    def auth_headers(self) -> dict[str, str]:
        token = self.credentials.get("access_token", "")
        return {"access-token": token} if token else {}

    @property
    def open_id(self) -> str:
        value = str(self.options.get("open_id") or "").strip()
        if not value:
            raise ContentRejectedError(
                _("No open_id is set for this account: reconnect it with the open_id Douyin gave."),
                network=self.network,
                checked_locally=True,
            )
        return value

    def call(self, method: str, path: str, **arguments: Any) -> dict[str, Any]:
        if not self.credentials.get("access_token"):
            raise AuthExpiredError(_("No access token is stored: reconnect the account."), network=self.network)
        params = {"open_id": self.open_id, **(arguments.pop("params", None) or {})}
        answer = self.request_json(method, path, params=params, **arguments)
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, dict):
            raise TemporaryFailureError(f"{self.label} answered without data", network=self.network)
        try:
            code = int(data.get("error_code") or 0)
        except (TypeError, ValueError):
            code = -1
        if code:
            raise douyin_error(code, str(data.get("description") or ""), label=self.label, network=self.network)
        return data

    # --- the account ------------------------------------------------------------------------------------

    def account_info(self) -> AccountInfo:
        data = self.call(
            "POST",
            "/oauth/userinfo/",
            data={"access_token": self.credentials.get("access_token", ""), "open_id": self.open_id},
        )
        open_id = str(data.get("open_id") or self.open_id)
        return AccountInfo(
            remote_id=open_id, handle=str(data.get("nickname") or open_id), display_name=str(data.get("nickname") or "")
        )

    def account_metrics(self) -> MetricSnapshot:
        """Counters Douyin says nothing about here are None: follower counts need its fans-data scope,
        which Pappus does not read yet (raising instead would make analytics skip the videos' metrics)."""
        return MetricSnapshot(taken_at=timezone.now())

    def post_metrics(self, remote_id: str) -> MetricSnapshot:
        item_id, _comment = parse_reference(remote_id)
        data = self.call("POST", f"{self.video_path_prefix}/video/data/", json={"item_ids": [item_id]})
        entry = next((video for video in data.get("list") or [] if video.get("item_id") == item_id), None)
        if entry is None:
            raise NotFoundError(
                _("%(network)s has no video %(video)s.") % {"network": self.label, "video": item_id},
                network=self.network,
            )
        statistics: Mapping[str, Any] = entry.get("statistics") or {}
        return MetricSnapshot(
            taken_at=timezone.now(),
            remote_id=remote_id,
            likes=statistics.get("digg_count"),
            replies=statistics.get("comment_count"),
            shares=statistics.get("share_count"),
            impressions=statistics.get("play_count"),
        )

    # --- publishing and replying ---------------------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        self.check_limits(request)
        if not request.media:
            raise ContentRejectedError(
                _("%(network)s publishes videos: attach one MP4 or WebM file.") % {"network": self.label},
                network=self.network,
                checked_locally=True,
            )
        media = request.media[0]
        uploaded = self.call(
            "POST",
            f"{self.video_path_prefix}/video/upload/",
            files={"video": (media.filename, media.content, media.mime_type)},
            repeatable=True,
        )
        video_id = str((uploaded.get("video") or {}).get("video_id") or "")
        if not video_id:
            raise TemporaryFailureError(f"{self.label} gave no video id for the upload", network=self.network)
        created = self.call(
            "POST", f"{self.video_path_prefix}/video/create/", json={"video_id": video_id, "text": request.full_text()}
        )
        item_id = str(created.get("item_id") or "")
        return PublishResult(remote_id=item_id, url="", published_at=timezone.now(), raw=created)

    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult:
        text = request.full_text().strip()
        if not text or request.media:
            raise ContentRejectedError(
                _("A Douyin comment is text, without files."), network=self.network, checked_locally=True
            )
        item_id, comment_id = parse_reference(parent_remote_id)
        body: dict[str, str] = {"item_id": item_id, "content": text}
        if comment_id:
            body["comment_id"] = comment_id
        data = self.call("POST", "/item/comment/reply/", json=body)
        return PublishResult(
            remote_id=comment_reference(item_id, str(data.get("comment_id") or "")),
            url="",
            published_at=timezone.now(),
            raw=data,
        )

    # --- reading ------------------------------------------------------------------------------------------------

    def inbox(self, *, cursor: str = "", limit: int = 40) -> InboundPage:
        """Comments on the account's newest videos since ``cursor`` (the newest comment time read), newest first."""
        after = int(cursor) if cursor.isdigit() else 0
        videos = self.call("GET", f"{self.video_path_prefix}/video/list/", params={"cursor": 0, "count": INBOX_VIDEOS})
        items: list[InboundItem] = []
        for video in videos.get("list") or []:
            item_id = str(video.get("item_id") or "")
            if not item_id or not (video.get("statistics") or {}).get("comment_count", 1):
                continue
            answer = self.call(
                "GET", "/item/comment/list/", params={"item_id": item_id, "cursor": 0, "count": max(1, min(limit, 50))}
            )
            for comment in answer.get("list") or []:
                created = int(comment.get("create_time") or 0)
                if created <= after:
                    continue
                items.append(
                    InboundItem(
                        network=NETWORK,
                        remote_id=comment_reference(item_id, str(comment["comment_id"])),
                        kind=InboundKind.COMMENT,
                        text=str(comment.get("content") or ""),
                        author_handle=str(comment.get("comment_user_id") or ""),
                        author_id=str(comment.get("comment_user_id") or ""),
                        url=str(video.get("share_url") or ""),
                        published_at=_moment(created),
                        parent_remote_id=item_id,
                        conversation_id=item_id,
                        raw=dict(comment),
                    )
                )
        # The oldest ``limit`` unread ones, so that the cursor never passes a comment not yet returned.
        items.sort(key=lambda item: item.published_at or timezone.now())
        items = items[:limit]
        newest = max((int(item.published_at.timestamp()) for item in items if item.published_at), default=after)
        items.reverse()
        return InboundPage(items=tuple(items), cursor=str(newest) if newest else cursor)
