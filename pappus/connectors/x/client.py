"""X through API v2 (https://docs.x.com/x-api) over plain httpx, signed in with OAuth 2 and PKCE.

Tweets are created with ``POST /2/tweets`` (a reply carries ``reply.in_reply_to_tweet_id``) and
deleted with ``DELETE /2/tweets/:id``; replies to the account's tweets can be hidden
(``PUT /2/tweets/:id/hidden``). The inbox is the mentions timeline (``since_id`` as the cursor),
listening is recent search (the last seven days), metrics are ``public_metrics``. Errors come as
problem details (``{"title", "detail", "type", "status"}``) or, on a 200, as ``errors`` for the
parts not found. The budget is in ``x-rate-limit-limit/-remaining/-reset`` (epoch seconds).
Files go through the chunked media upload (``POST /2/media/upload`` with ``command=INIT``, ``APPEND``
in segments, ``FINALIZE``, then ``STATUS`` until a video is processed), alt text through
``POST /2/media/metadata``, and the tweet carries ``media.media_ids``; the app needs ``media.write``.
"""

from __future__ import annotations

import datetime
import time
from typing import Any, ClassVar

import httpx
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pappus.connectors.base import MAXIMUM_REASON_CHARACTERS, HttpConnector
from pappus.connectors.contracts import (
    AccountInfo,
    Capability,
    ConnectField,
    InboundItem,
    InboundPage,
    MediaFile,
    MetricSnapshot,
    PublishLimits,
    PublishRequest,
    PublishResult,
    RateLimitBudget,
    is_video,
)
from pappus.connectors.errors import ConnectorError, ContentRejectedError, NotFoundError, TemporaryFailureError
from pappus.connectors.oauth import OAuthSpec
from pappus.connectors.registry import register
from pappus.connectors.x import mapping

# Up to 4 images (JPEG, PNG, WebP, GIF; 5 MB each) or one video (MP4, up to 512 MB) alone.
DEFAULT_LIMITS = mapping.XPublishLimits(
    max_characters=280,
    max_media=4,
    media_types=frozenset({"image/jpeg", "image/png", "image/webp", "image/gif", "video/mp4"}),
    max_media_bytes=5 * 1024 * 1024,
    max_video_bytes=512 * 1024 * 1024,
    video_alone=True,
)
# APPEND takes segments of at most 5 MB; Pappus sends 4 MiB.
UPLOAD_SEGMENT_BYTES = 4 * 1024 * 1024
# How long a video's processing is waited for at most (X says when to ask again, check_after_secs).
MAXIMUM_PROCESSING_CHECKS = 30
MAXIMUM_CHECK_PAUSE_SECONDS = 10.0
# A direct message: up to 10,000 characters, no files through this connector.
DIRECT_MESSAGE_LIMITS = PublishLimits(max_characters=10_000)
# Pages of mentions read at most in one inbox read when more arrived since the cursor (100 each).
MAXIMUM_INBOX_PAGES = 10
TWEET_FIELDS = "created_at,author_id,conversation_id,in_reply_to_user_id,referenced_tweets"


@register
class XConnector(HttpConnector):
    network: ClassVar[str] = "x"
    label: ClassVar[str] = "X"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(Capability)
    connect_fields: ClassVar[tuple[ConnectField, ...]] = (
        ConnectField(
            "access_token",
            gettext_lazy("Access token"),
            secret=True,
            help_text=gettext_lazy("Better: sign in with X. An OAuth 2 user access token works too."),
        ),
        ConnectField("refresh_token", gettext_lazy("Refresh token"), secret=True, required=False),
    )
    default_base_url: ClassVar[str] = "https://api.x.com"
    default_limits: ClassVar[PublishLimits | None] = DEFAULT_LIMITS
    # POST /2/tweets has no idempotency key.
    idempotency_window_seconds: ClassVar[int] = 0
    streams_files: ClassVar[bool] = True  # large files are read from disk a chunk at a time
    remote_ids_are_global: ClassVar[bool] = True  # tweet ids are unique across X
    oauth: ClassVar[OAuthSpec] = OAuthSpec(
        authorize_url="https://x.com/i/oauth2/authorize",
        token_url="https://api.x.com/2/oauth2/token",  # noqa: S106 - an address, not a secret
        scopes=("tweet.read", "tweet.write", "users.read", "tweet.moderate.write", "media.write", "offline.access"),
        pkce=True,
        client_authentication="basic",
        developer_console_url="https://developer.x.com/en/portal/dashboard",
        secret_required=False,
    )

    def __init__(self, **arguments: Any) -> None:
        super().__init__(**arguments)
        self._me: dict[str, Any] | None = None

    # --- errors and the budget -------------------------------------------------------------------

    def read_rate_limit(self, response: httpx.Response) -> RateLimitBudget | None:
        headers = response.headers
        try:
            remaining = int(headers["x-rate-limit-remaining"])
        except (KeyError, ValueError):
            return None
        try:
            limit: int | None = int(headers.get("x-rate-limit-limit", ""))
        except ValueError:
            limit = None
        try:
            resets_at: datetime.datetime | None = datetime.datetime.fromtimestamp(
                int(headers.get("x-rate-limit-reset", "")), tz=datetime.UTC
            )
        except ValueError:
            resets_at = None
        return RateLimitBudget(limit=limit, remaining=remaining, resets_at=resets_at)

    def error_reason(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            errors = body.get("errors")
            if isinstance(errors, list) and errors and isinstance(errors[0], dict):
                message = errors[0].get("message") or errors[0].get("detail")
                if isinstance(message, str) and message:
                    return message[:MAXIMUM_REASON_CHARACTERS]
            for key in ("detail", "title", "error_description", "error"):
                if isinstance(body.get(key), str) and body[key]:
                    return str(body[key])[:MAXIMUM_REASON_CHARACTERS]
        return super().error_reason(response)

    def _data(self, answer: Any, what: str) -> Any:
        """``data`` of a 200 answer; a partial error in place of it (a tweet not found) becomes ours."""
        if isinstance(answer, dict) and "data" in answer:
            return answer["data"]
        errors = answer.get("errors") if isinstance(answer, dict) else None
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            detail = str(first.get("detail") or first.get("title") or "")[:MAXIMUM_REASON_CHARACTERS]
            if "not-found" in str(first.get("type") or "") or first.get("title") == "Not Found Error":
                raise NotFoundError(f"{self.label}: {detail}", network=self.network, status=200)
            raise self._problem(detail)
        raise TemporaryFailureError(f"{self.label} answered {what} without data", network=self.network)

    def _problem(self, detail: str) -> ConnectorError:
        return ContentRejectedError(detail, network=self.network, status=200)

    # --- account -----------------------------------------------------------------------------------

    def _user(self) -> dict[str, Any]:
        if self._me is None:
            answer = self.request_json(
                "GET", "/2/users/me", params={"user.fields": "public_metrics,username,name,created_at"}
            )
            user = self._data(answer, "/2/users/me")
            if not isinstance(user, dict) or "id" not in user:
                raise TemporaryFailureError(f"{self.label} answered /2/users/me without a user", network=self.network)
            self._me = user
        return self._me

    def account_info(self) -> AccountInfo:
        self._me = None
        return mapping.account_info(self._user())

    def account_metrics(self) -> MetricSnapshot:
        self._me = None
        metrics = self._user().get("public_metrics") or {}
        return MetricSnapshot(
            taken_at=timezone.now(),
            followers=metrics.get("followers_count"),
            following=metrics.get("following_count"),
            posts=metrics.get("tweet_count"),
            likes=metrics.get("like_count"),
        )

    def post_metrics(self, remote_id: str) -> MetricSnapshot:
        """``public_metrics`` of a tweet: likes, reposts + quotes as shares, replies, impressions."""
        answer = self.request_json("GET", f"/2/tweets/{remote_id}", params={"tweet.fields": "public_metrics"})
        tweet = self._data(answer, "/2/tweets/:id")
        metrics = tweet.get("public_metrics") or {} if isinstance(tweet, dict) else {}
        retweets, quotes = metrics.get("retweet_count"), metrics.get("quote_count")
        shares = (retweets or 0) + (quotes or 0) if retweets is not None or quotes is not None else None
        return MetricSnapshot(
            taken_at=timezone.now(),
            remote_id=remote_id,
            likes=metrics.get("like_count"),
            shares=shares,
            replies=metrics.get("reply_count"),
            impressions=metrics.get("impression_count"),
        )

    # --- publishing ----------------------------------------------------------------------------------

    def _create(self, body: dict[str, Any]) -> PublishResult:
        answer = self.request_json("POST", "/2/tweets", json=body)
        tweet = self._data(answer, "/2/tweets")
        if not isinstance(tweet, dict) or "id" not in tweet:
            raise TemporaryFailureError(f"{self.label} answered /2/tweets without a tweet", network=self.network)
        username = str((self._me or {}).get("username") or "i")
        return PublishResult(
            remote_id=str(tweet["id"]), url=f"{mapping.WEB}/{username}/status/{tweet['id']}", raw=dict(tweet)
        )

    def publish(self, request: PublishRequest) -> PublishResult:
        self.check_limits(request)
        body: dict[str, Any] = {"text": request.full_text()}
        if request.media:
            body["media"] = {"media_ids": [self.upload(media) for media in request.media]}
        return self._create(body)

    # --- media ------------------------------------------------------------------------------------------

    def _media_data(self, answer: Any, step: str) -> dict[str, Any]:
        """The media object of an upload answer (v2 ``{"data": {"id", ...}}``; v1.1's ``media_id_string``)."""
        data = answer.get("data") if isinstance(answer, dict) and isinstance(answer.get("data"), dict) else answer
        if not isinstance(data, dict) or not (data.get("id") or data.get("media_id_string")):
            raise TemporaryFailureError(f"{self.label} answered {step} without the media", network=self.network)
        return {**data, "id": str(data.get("id") or data.get("media_id_string"))}

    def upload(self, media: MediaFile) -> str:
        """INIT → APPEND (segments) → FINALIZE → STATUS while processing; the media id for the tweet.

        Nothing is shown until a tweet names the media, so every step may be repeated after a broken
        connection.
        """
        category = (
            "tweet_video" if is_video(media) else "tweet_gif" if media.mime_type == "image/gif" else "tweet_image"
        )
        started = self.request_json(
            "POST",
            "/2/media/upload",
            data={
                "command": "INIT",
                "media_type": media.mime_type,
                "total_bytes": str(media.size),
                "media_category": category,
            },
            repeatable=True,
        )
        media_id = str(self._media_data(started, "INIT")["id"])
        for index, segment in enumerate(media.chunks(chunk_bytes=UPLOAD_SEGMENT_BYTES)):
            self.request(
                "POST",
                "/2/media/upload",
                data={"command": "APPEND", "media_id": media_id, "segment_index": str(index)},
                files={"media": (media.filename, segment)},
                repeatable=True,
            )
        finished = self._media_data(
            self.request_json(
                "POST", "/2/media/upload", data={"command": "FINALIZE", "media_id": media_id}, repeatable=True
            ),
            "FINALIZE",
        )
        self._wait_for_processing(media_id, finished.get("processing_info"))
        if media.description:
            self.request_json(
                "POST",
                "/2/media/metadata",
                json={"id": media_id, "metadata": {"alt_text": {"text": media.description[:1000]}}},
                repeatable=True,
            )
        return media_id

    def _wait_for_processing(self, media_id: str, processing: Any) -> None:
        for _check in range(MAXIMUM_PROCESSING_CHECKS):
            if not isinstance(processing, dict) or processing.get("state") == "succeeded":
                return
            if processing.get("state") == "failed":
                error: dict[str, Any] = processing["error"] if isinstance(processing.get("error"), dict) else {}
                reason = str(error.get("message") or error.get("name") or "processing failed")
                raise ContentRejectedError(
                    _("X could not process the file: %(reason)s") % {"reason": reason}, network=self.network
                )
            pause = processing.get("check_after_secs")
            time.sleep(min(float(pause) if isinstance(pause, int | float) else 1.0, MAXIMUM_CHECK_PAUSE_SECONDS))
            status = self.request_json("GET", "/2/media/upload", params={"command": "STATUS", "media_id": media_id})
            processing = self._media_data(status, "STATUS").get("processing_info")
        raise TemporaryFailureError(_("X is still processing the video; try again later."), network=self.network)

    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult:
        """Answer a tweet, or a direct message (``dm:<conversation>:<event>``) in its conversation."""
        if parent_remote_id.startswith("dm:"):
            return self._answer_message(parent_remote_id, request)
        self.check_limits(request)
        return self._create({"text": request.full_text(), "reply": {"in_reply_to_tweet_id": parent_remote_id}})

    def _answer_message(self, parent_remote_id: str, request: PublishRequest) -> PublishResult:
        DIRECT_MESSAGE_LIMITS.check(request, network=self.network)
        conversation = parent_remote_id.split(":")[1]
        answer = self.request_json(
            "POST", f"/2/dm_conversations/{conversation}/messages", json={"text": request.full_text()}
        )
        data = self._data(answer, "dm_conversations/:id/messages")
        if not isinstance(data, dict) or "dm_event_id" not in data:
            raise TemporaryFailureError(f"{self.label} answered without the message", network=self.network)
        return PublishResult(
            remote_id=f"dm:{data.get('dm_conversation_id') or conversation}:{data['dm_event_id']}", url="", raw=data
        )

    def delete(self, remote_id: str) -> None:
        """Delete one of the account's own tweets."""
        answer = self.request_json("DELETE", f"/2/tweets/{remote_id}")
        data = self._data(answer, "DELETE /2/tweets/:id")
        if not (isinstance(data, dict) and data.get("deleted") is True):
            raise TemporaryFailureError(_("X did not confirm the deletion."), network=self.network)

    def hide(self, remote_id: str, *, hidden: bool = True) -> None:
        """Hide (or show again) a reply to one of the account's tweets."""
        answer = self.request_json("PUT", f"/2/tweets/{remote_id}/hidden", json={"hidden": hidden})
        data = self._data(answer, "PUT /2/tweets/:id/hidden")
        if not (isinstance(data, dict) and data.get("hidden") is hidden):
            raise TemporaryFailureError(_("X did not confirm hiding the reply."), network=self.network)

    # --- reading --------------------------------------------------------------------------------------

    def _page(self, answer: Any, *, my_id: str, cursor: str) -> InboundPage:
        if not isinstance(answer, dict):
            raise TemporaryFailureError(f"{self.label} answered without a timeline", network=self.network)
        tweets = answer.get("data") or []
        if not tweets and answer.get("errors"):
            self._data(answer, "timeline")
        users = mapping.users_by_id(answer)
        items = tuple(mapping.inbound_tweet(tweet, users, my_id=my_id) for tweet in tweets if isinstance(tweet, dict))
        meta = answer.get("meta") or {}
        newest = str(meta.get("newest_id") or "") if isinstance(meta, dict) else ""
        return InboundPage(items=items, cursor=newest or (items[0].remote_id if items else cursor))

    def _timeline_parameters(self, limit: int) -> dict[str, Any]:
        return {
            "max_results": max(10, min(limit, 100)),
            "tweet.fields": TWEET_FIELDS,
            "expansions": "author_id",
            "user.fields": "username,name",
        }

    @property
    def reads_direct_messages(self) -> bool:
        """Direct messages are read only when the sign-in granted ``dm.read`` (add it to the app's scopes)."""
        granted = self.options.get("granted_scopes") or []
        return isinstance(granted, list) and "dm.read" in granted

    def inbox(self, *, cursor: str = "", limit: int = 40) -> InboundPage:
        """Tweets mentioning the account (replies to its tweets as comments) and, with ``dm.read``, direct
        messages, newer than ``cursor`` (``<tweet id>`` or ``<tweet id>|<DM event id>``)."""
        mentions_cursor, _separator, messages_cursor = cursor.partition("|")
        my_id = str(self._user()["id"])
        mentions = self._mentions(my_id, mentions_cursor, limit)
        if not self.reads_direct_messages:
            return mentions
        messages = self._direct_messages(my_id, messages_cursor)
        newest_message = messages[0].remote_id.rsplit(":", 1)[-1] if messages else messages_cursor
        return InboundPage(items=mentions.items + messages, cursor=f"{mentions.cursor}|{newest_message}")

    def _mentions(self, my_id: str, cursor: str, limit: int) -> InboundPage:
        parameters = self._timeline_parameters(limit) | {"max_results": max(5, min(limit, 100))}
        if cursor:
            parameters["since_id"] = cursor
        answer = self.request_json("GET", f"/2/users/{my_id}/mentions", params=parameters)
        first = self._page(answer, my_id=my_id, cursor=cursor)
        items = list(first.items)
        # With since_id X gives the newest page first; older ones since the cursor follow by next_token,
        # read now so that moving the cursor to the newest id leaves no gap.
        for _page_number in range(MAXIMUM_INBOX_PAGES - 1):
            meta = answer.get("meta") if isinstance(answer, dict) else None
            token = meta.get("next_token") if isinstance(meta, dict) else None
            if not cursor or not token:
                break
            answer = self.request_json(
                "GET", f"/2/users/{my_id}/mentions", params={**parameters, "pagination_token": token}
            )
            items.extend(self._page(answer, my_id=my_id, cursor=cursor).items)
        return InboundPage(items=tuple(items), cursor=first.cursor)

    def _direct_messages(self, my_id: str, cursor: str) -> tuple[InboundItem, ...]:
        """Messages others sent the account after the DM event ``cursor``, newest first (``dm_events`` has no
        since_id: pages are read until one reaches the cursor)."""
        since = int(cursor) if cursor.isdigit() else None
        parameters: dict[str, Any] = {
            "event_types": "MessageCreate",
            "dm_event.fields": "created_at,sender_id,text,dm_conversation_id",
            "expansions": "sender_id",
            "user.fields": "username,name",
            "max_results": 100,
        }
        items: list[InboundItem] = []
        for _page_number in range(MAXIMUM_INBOX_PAGES):
            answer = self.request_json("GET", "/2/dm_events", params=parameters)
            if not isinstance(answer, dict):
                raise TemporaryFailureError(f"{self.label} answered dm_events without a list", network=self.network)
            events = [event for event in answer.get("data") or [] if isinstance(event, dict)]
            users = mapping.users_by_id(answer)
            fresh = [event for event in events if since is None or int(event.get("id") or 0) > since]
            items.extend(
                mapping.direct_message(event, users) for event in fresh if str(event.get("sender_id") or "") != my_id
            )
            meta = answer.get("meta") or {}
            token = meta.get("next_token") if isinstance(meta, dict) else None
            if since is None or not token or len(fresh) < len(events):
                break
            parameters["pagination_token"] = token
        return tuple(items)

    def listen(self, query: str, *, limit: int = 40) -> InboundPage:
        """Recent search (the last seven days) with X's query syntax."""
        answer = self.request_json(
            "GET", "/2/tweets/search/recent", params={"query": query, **self._timeline_parameters(limit)}
        )
        return self._page(answer, my_id="", cursor="")
