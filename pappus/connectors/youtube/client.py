"""YouTube through the Data API v3 (https://developers.google.com/youtube/v3/docs) over plain httpx.

The account is a channel, signed in through Google's OAuth 2 (PKCE, offline access for a refresh
token). The inbox is the comment threads of the channel's videos (``commentThreads`` with
``allThreadsRelatedToChannelId``; the newest ``publishedAt`` read is the cursor); replies go to
``comments.insert`` with the thread's top comment as parent; moderation is ``setModerationStatus``
(hide = rejected, show = published) for comments on the channel's videos and ``comments.delete``
for the channel's own comments; listening is ``search.list`` over videos; metrics are video and
channel ``statistics`` (views counted as impressions). Publishing is a video upload through the
resumable protocol (``POST /upload/youtube/v3/videos?uploadType=resumable`` with the metadata gives
an upload address; one ``PUT`` there sends the file): the first line of the text is the title, the
rest the description.

Errors come as ``{"error": {"code", "message", "errors": [{"reason", "domain", "message"}]}}``;
the daily quota (``quotaExceeded``, HTTP 403) resets at midnight Pacific time, which becomes the
retry-after of a RateLimitedError.
"""

from __future__ import annotations

import datetime
import logging
import re
import time
import zoneinfo
from typing import Any, ClassVar

import httpx
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pappus.connectors.base import MAXIMUM_REASON_CHARACTERS, HttpConnector, upload_session_key
from pappus.connectors.contracts import (
    AccountInfo,
    Capability,
    ConnectField,
    InboundPage,
    MediaFile,
    MetricSnapshot,
    PublishLimits,
    PublishRequest,
    PublishResult,
    is_video,
)
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
from pappus.connectors.text import parse_time
from pappus.connectors.youtube import mapping

# A comment's text: at most 10,000 characters.
logger = logging.getLogger(__name__)

COMMENT_LIMITS = PublishLimits(max_characters=10_000)
# videos.insert: a title of at most 100 characters, a description of at most 5,000 bytes (the text's
# first line and the rest), exactly one video file of the accepted types, up to 256 GB.
TITLE_CHARACTERS = 100
DESCRIPTION_BYTES = 5000
UPLOAD_PATH = "/upload/youtube/v3/videos"
# The file goes in chunks (a multiple of 256 KiB, as Google requires), read from disk one at a time.
UPLOAD_CHUNK_BYTES = 32 * 256 * 1024
# An interrupted chunk (broken connection, 5xx) is followed by asking where the upload stands and
# going on from there, at most this many times in a row, waiting 1, 2, 4 … seconds (at most 30).
RESUME_ATTEMPTS = 6
RESUME_PAUSE_SECONDS = 1.0
_RANGE = re.compile(r"bytes=0-(\d+)")


class VideoUploadLimits(PublishLimits):
    """YouTube's limits on an upload: one video, a title line and a description."""

    def problems(self, request: PublishRequest) -> list[str]:
        found = super().problems(request)
        title, description = split_title(request.full_text())
        if not any(is_video(media) for media in request.media):
            found.append(_("YouTube publishes videos: attach one video file."))
        if not title:
            found.append(_("The first line of the text is the video's title: write one."))
        elif len(title) > TITLE_CHARACTERS:
            found.append(
                _("The title (the first line) is %(length)s characters long; the limit here is %(limit)s.")
                % {"length": len(title), "limit": TITLE_CHARACTERS}
            )
        if len(description.encode()) > DESCRIPTION_BYTES:
            found.append(
                _("The description is %(length)s bytes long; the limit here is %(limit)s.")
                % {"length": len(description.encode()), "limit": DESCRIPTION_BYTES}
            )
        if any(character in title + description for character in "<>"):
            found.append(_("YouTube refuses < and > in a title or description."))
        return found


def split_title(text: str) -> tuple[str, str]:
    first, _newline, rest = text.strip().partition("\n")
    return first.strip(), rest.strip()


UPLOAD_LIMITS = VideoUploadLimits(
    max_characters=TITLE_CHARACTERS + 1 + DESCRIPTION_BYTES,
    max_media=1,
    media_types=frozenset(
        {"video/mp4", "video/quicktime", "video/webm", "video/x-msvideo", "video/mpeg", "video/x-matroska"}
    ),
    max_media_bytes=256 * 1024 * 1024 * 1024,
)
API = "/youtube/v3"
PACIFIC = zoneinfo.ZoneInfo("America/Los_Angeles")
_QUOTA_REASONS = frozenset({"quotaExceeded", "dailyLimitExceeded", "rateLimitExceeded", "userRateLimitExceeded"})
_NOT_FOUND_REASONS = frozenset({"commentNotFound", "videoNotFound", "channelNotFound", "commentThreadNotFound"})


# Pages of comment threads read at most in one inbox read when more arrived since the cursor.
MAXIMUM_INBOX_PAGES = 10


def _thread_time(thread: dict[str, Any]) -> datetime.datetime | None:
    top = (thread.get("snippet") or {}).get("topLevelComment") or {}
    return parse_time((top.get("snippet") or {}).get("publishedAt")) if isinstance(top, dict) else None


def seconds_until_quota_reset(now: datetime.datetime | None = None) -> float:
    """YouTube's daily quota resets at midnight Pacific time."""
    local = (now or timezone.now()).astimezone(PACIFIC)
    midnight = datetime.datetime.combine(local.date() + datetime.timedelta(days=1), datetime.time(), tzinfo=PACIFIC)
    return max(0.0, (midnight - local).total_seconds())


@register
class YouTubeConnector(HttpConnector):
    network: ClassVar[str] = "youtube"
    label: ClassVar[str] = "YouTube"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(Capability)
    connect_fields: ClassVar[tuple[ConnectField, ...]] = (
        ConnectField(
            "access_token",
            gettext_lazy("Access token"),
            secret=True,
            help_text=gettext_lazy("Better: sign in with Google. A token with the youtube.force-ssl scope works too."),
        ),
        ConnectField("refresh_token", gettext_lazy("Refresh token"), secret=True, required=False),
    )
    default_base_url: ClassVar[str] = "https://www.googleapis.com"
    default_limits: ClassVar[PublishLimits | None] = UPLOAD_LIMITS
    idempotency_window_seconds: ClassVar[int] = 0
    streams_files: ClassVar[bool] = True  # large files are read from disk a chunk at a time
    remote_ids_are_global: ClassVar[bool] = True  # comment and video ids are unique across YouTube
    oauth: ClassVar[OAuthSpec] = OAuthSpec(
        authorize_url="https://accounts.google.com/o/oauth2/v2/auth",
        token_url="https://oauth2.googleapis.com/token",  # noqa: S106 - an address, not a secret
        scopes=("https://www.googleapis.com/auth/youtube.force-ssl",),
        pkce=True,
        client_authentication="body",
        extra_authorize_parameters=(("access_type", "offline"), ("prompt", "consent")),
        developer_console_url="https://console.cloud.google.com/apis/credentials",
    )

    def __init__(self, **arguments: Any) -> None:
        super().__init__(**arguments)
        self._channel: dict[str, Any] | None = None

    # --- errors ----------------------------------------------------------------------------------------

    @staticmethod
    def _google_error(response: httpx.Response) -> tuple[str, str]:
        """(reason, message) of Google's error body."""
        try:
            body = response.json()
        except ValueError:
            return "", ""
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            return "", ""
        details = error.get("errors")
        first = details[0] if isinstance(details, list) and details and isinstance(details[0], dict) else {}
        return str(first.get("reason") or ""), str(error.get("message") or first.get("message") or "")

    def error_reason(self, response: httpx.Response) -> str:
        _reason, message = self._google_error(response)
        if message:
            return message[:MAXIMUM_REASON_CHARACTERS]
        return super().error_reason(response)

    def map_error(self, response: httpx.Response) -> ConnectorError:
        status = response.status_code
        reason, _message = self._google_error(response)
        text = self.error_reason(response)
        if reason in _QUOTA_REASONS:
            daily = reason in {"quotaExceeded", "dailyLimitExceeded"}
            return RateLimitedError(
                f"{self.label} quota exhausted: {text}",
                retry_after=seconds_until_quota_reset() if daily else self.retry_after(response),
                network=self.network,
                status=status,
            )
        if reason in _NOT_FOUND_REASONS:
            return NotFoundError(f"{self.label}: {text}", network=self.network, status=status)
        if status == 401 or reason in {"authError", "insufficientPermissions"}:
            return AuthExpiredError(f"{self.label} refused the token: {text}", network=self.network, status=status)
        return super().map_error(response)

    # --- account -----------------------------------------------------------------------------------------

    def _mine(self) -> dict[str, Any]:
        if self._channel is None:
            answer = self.request_json("GET", f"{API}/channels", params={"part": "snippet,statistics", "mine": "true"})
            items = answer.get("items") if isinstance(answer, dict) else None
            if not isinstance(answer, dict) or "kind" not in answer:
                raise TemporaryFailureError(f"{self.label} answered channels.list without a list", network=self.network)
            if not items:
                raise NotFoundError(_("This Google account has no YouTube channel."), network=self.network)
            self._channel = dict(items[0])
        return self._channel

    def account_info(self) -> AccountInfo:
        self._channel = None
        return mapping.account_info(self._mine())

    def account_metrics(self) -> MetricSnapshot:
        """Subscribers (None when the channel hides them), videos, and channel views as impressions."""
        self._channel = None
        statistics = self._mine().get("statistics") or {}
        hidden = bool(statistics.get("hiddenSubscriberCount"))
        return MetricSnapshot(
            taken_at=timezone.now(),
            followers=None if hidden else mapping.count(statistics.get("subscriberCount")),
            posts=mapping.count(statistics.get("videoCount")),
            impressions=mapping.count(statistics.get("viewCount")),
        )

    def post_metrics(self, remote_id: str) -> MetricSnapshot:
        """A video's statistics: likes, comments as replies, views as impressions."""
        answer = self.request_json("GET", f"{API}/videos", params={"part": "statistics", "id": remote_id})
        items = answer.get("items") if isinstance(answer, dict) else None
        if not items:
            raise NotFoundError(_("YouTube has no video %(id)s.") % {"id": remote_id}, network=self.network)
        statistics = items[0].get("statistics") or {}
        return MetricSnapshot(
            taken_at=timezone.now(),
            remote_id=remote_id,
            likes=mapping.count(statistics.get("likeCount")),
            replies=mapping.count(statistics.get("commentCount")),
            impressions=mapping.count(statistics.get("viewCount")),
        )

    # --- replying and moderating ---------------------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        """Upload the video through a resumable session: the metadata first, then the file in chunks.

        With an idempotency key and a place to keep sessions (an account's connector), the session's
        address is kept as soon as YouTube gives it; a later attempt for the same post and file asks
        that session how far it got and goes on from there (or takes the finished video) instead of
        uploading again. A session YouTube no longer knows (404) is replaced by a new one.
        """
        self.check_limits(request)
        video = next(media for media in request.media if is_video(media))
        store = self.upload_sessions if request.idempotency_key else None
        key = upload_session_key(request.idempotency_key, video.filename, video.mime_type, video.size) if store else ""
        uploaded: Any = None
        address = store.find(key) if store is not None else None
        if address:
            try:
                uploaded = self._upload(address, video, resume=True)
                logger.info("connectors.youtube_upload_continued total=%s", video.size)
            except TemporaryFailureError as error:
                if error.status != 404 or store is None:
                    raise
                store.forget(key)  # the session expired or is unknown: a new one below
        if uploaded is None:
            address = self._open_session(request, video)
            if store is not None:
                store.keep(key, address)
            uploaded = self._upload(address, video)
        if store is not None:
            store.forget(key)
        if not isinstance(uploaded, dict) or not uploaded.get("id"):
            raise TemporaryFailureError(f"{self.label} answered the upload without a video", network=self.network)
        video_id = str(uploaded["id"])
        return PublishResult(
            remote_id=video_id,
            url=f"https://www.youtube.com/watch?v={video_id}",
            published_at=timezone.now(),
            raw=uploaded,
        )

    def _open_session(self, request: PublishRequest, video: MediaFile) -> str:
        title, description = split_title(request.full_text())
        privacy = str(self.options.get("privacy") or "public")
        metadata = {
            "snippet": {"title": title, "description": description, "categoryId": "22"},
            "status": {"privacyStatus": privacy, "selfDeclaredMadeForKids": False},
        }
        started = self.request(
            "POST",
            UPLOAD_PATH,
            params={"uploadType": "resumable", "part": "snippet,status"},
            json=metadata,
            headers={"X-Upload-Content-Length": str(video.size), "X-Upload-Content-Type": video.mime_type},
            repeatable=True,  # opening an upload session posts nothing
        )
        address = started.headers.get("location", "")
        if not address:
            raise TemporaryFailureError(f"{self.label} gave no upload address", network=self.network)
        return str(address)

    def _upload(self, address: str, video: MediaFile, *, resume: bool = False) -> Any:
        """Send the file to the upload session in chunks; after an interruption, ask the session how
        much it has (``Content-Range: bytes */TOTAL`` → ``308`` with ``Range: bytes=0-LAST``) and go on
        from there. The session makes one video at most, so nothing here can post twice.

        ``resume``: a session of an earlier attempt, asked where it stands before anything is sent."""
        total = video.size
        offset = 0
        interruptions = 0
        if resume:
            status = self._put(address, video, None, total)
            if isinstance(status, dict):
                return status  # the earlier attempt finished the upload; only its answer was lost
            if status is None:
                raise TemporaryFailureError(
                    f"{self.label} did not say how much of the earlier upload arrived", network=self.network
                )
            offset = status
        while True:
            answer = self._put(address, video, offset, total)
            if isinstance(answer, dict):
                return answer
            if answer is not None and answer > offset:
                offset, interruptions = answer, 0
                continue
            # Interrupted (or no progress): ask the session where it stands, waiting longer each time.
            while True:
                interruptions += 1
                if interruptions > RESUME_ATTEMPTS:
                    raise TemporaryFailureError(
                        f"{self.label}'s upload was interrupted {RESUME_ATTEMPTS} times in a row "
                        f"at byte {offset} of {total}",
                        network=self.network,
                    )
                time.sleep(min(RESUME_PAUSE_SECONDS * 2 ** (interruptions - 1), 30.0))
                status = self._put(address, video, None, total)
                if isinstance(status, dict):
                    return status
                if status is not None:
                    logger.info("connectors.youtube_upload_resumed offset=%s total=%s", status, total)
                    offset = status
                    break

    def _put(self, address: str, video: MediaFile, offset: int | None, total: int) -> dict[str, Any] | int | None:
        """One chunk from ``offset`` (or, with None, the status query): the finished video, the next
        offset the session expects, or None when the connection broke or the server failed (5xx)."""
        if offset is None:
            content, headers = b"", {"Content-Range": f"bytes */{total}"}
        else:
            content = video.read_range(offset, UPLOAD_CHUNK_BYTES)
            headers = {
                "Content-Type": video.mime_type,
                "Content-Range": f"bytes {offset}-{offset + len(content) - 1}/{total}",
            }
        try:
            response = self._client.put(address, content=content, headers=headers)
        except httpx.TransportError as error:
            logger.info("connectors.youtube_upload_interrupted error=%s", type(error).__name__)
            return None
        self._rate_limit = self.read_rate_limit(response) or self._rate_limit
        if response.status_code in {200, 201}:
            video_resource = self.read_json(response)
            return video_resource if isinstance(video_resource, dict) else {}
        if response.status_code == 308:  # "Resume Incomplete": the Range header says what arrived
            found = _RANGE.search(response.headers.get("range", ""))
            return int(found.group(1)) + 1 if found else 0
        if response.status_code >= 500:
            return None
        if response.status_code == 404:  # the session expired (a week) or is unknown: start again
            raise TemporaryFailureError(
                f"{self.label}'s upload session is gone; the upload starts again", network=self.network, status=404
            )
        raise self.map_error(response)

    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult:
        """Answer a comment; a reply's id (``THREAD.REPLY``) is answered in its thread."""
        COMMENT_LIMITS.check(request, network=self.network)
        if request.media:
            raise ContentRejectedError(
                _("YouTube comments cannot carry files."), network=self.network, checked_locally=True
            )
        parent = parent_remote_id.split(".", 1)[0]
        comment = self.request_json(
            "POST",
            f"{API}/comments",
            params={"part": "snippet"},
            json={"snippet": {"parentId": parent, "textOriginal": request.full_text()}},
        )
        if not isinstance(comment, dict) or "id" not in comment:
            raise TemporaryFailureError(
                f"{self.label} answered comments.insert without a comment", network=self.network
            )
        item = mapping.comment_item(comment, parent=parent)
        return PublishResult(remote_id=item.remote_id, url=item.url, published_at=item.published_at, raw=comment)

    def delete(self, remote_id: str) -> None:
        """Delete one of the channel's own comments (others' comments can only be hidden)."""
        self.request("DELETE", f"{API}/comments", params={"id": remote_id})

    def hide(self, remote_id: str, *, hidden: bool = True) -> None:
        """Hide a comment on the channel's videos from the public (``rejected``), or publish it again."""
        self.request(
            "POST",
            f"{API}/comments/setModerationStatus",
            params={"id": remote_id, "moderationStatus": "rejected" if hidden else "published"},
        )

    # --- reading ------------------------------------------------------------------------------------------

    def inbox(self, *, cursor: str = "", limit: int = 40) -> InboundPage:
        """Comments and replies on the channel's videos published after ``cursor`` (a time), newest first."""
        channel_id = str(self._mine()["id"])
        since = parse_time(cursor)
        parameters: dict[str, Any] = {
            "part": "snippet,replies",
            "allThreadsRelatedToChannelId": channel_id,
            "order": "time",
            "textFormat": "plainText",
            "maxResults": max(1, min(limit, 100)),
        }
        threads: list[dict[str, Any]] = []
        for _page_number in range(MAXIMUM_INBOX_PAGES):
            answer = self.request_json("GET", f"{API}/commentThreads", params=parameters)
            if not isinstance(answer, dict) or "kind" not in answer:
                raise TemporaryFailureError(
                    f"{self.label} answered commentThreads.list without a list", network=self.network
                )
            page = [thread for thread in answer.get("items") or [] if isinstance(thread, dict)]
            threads.extend(page)
            # Newest threads first: go on while this page still reaches past the cursor (first read: one page).
            times = [moment for moment in (_thread_time(thread) for thread in page) if moment is not None]
            oldest = min(times, default=None)
            token = answer.get("nextPageToken")
            if since is None or not token or oldest is None or oldest <= since:
                break
            parameters["pageToken"] = token
        items = [
            item
            for thread in threads
            for item in mapping.thread_items(thread)
            if item.author_id != channel_id and (since is None or (item.published_at and item.published_at > since))
        ]
        items.sort(
            key=lambda item: item.published_at or datetime.datetime.min.replace(tzinfo=datetime.UTC), reverse=True
        )
        newest = items[0].published_at if items and items[0].published_at else None
        return InboundPage(items=tuple(items), cursor=newest.isoformat() if newest else cursor)

    def listen(self, query: str, *, limit: int = 40) -> InboundPage:
        """Videos matching ``query`` (search.list, newest first; 100 quota units a call)."""
        answer = self.request_json(
            "GET",
            f"{API}/search",
            params={
                "part": "snippet",
                "q": query,
                "type": "video",
                "order": "date",
                "maxResults": max(1, min(limit, 50)),
            },
        )
        results = answer.get("items") if isinstance(answer, dict) else None
        found = [mapping.search_item(result) for result in results or [] if isinstance(result, dict)]
        return InboundPage(items=tuple(item for item in found if item is not None))
