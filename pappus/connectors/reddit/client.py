"""Reddit through its OAuth API (https://www.reddit.com/dev/api, host ``oauth.reddit.com``) over plain httpx.

A post goes to a subreddit (the account's default, or the request's ``target``): the first line of
the text is the title (at most 300 characters), the rest the body of a text post; with a link it is
a link post and the whole text must fit in the title. Comments, replies and username mentions and
private messages come from ``/message/inbox``; search is ``/search``. Reddit answers form posts with
``{"json": {"errors": [[code, message, field]], ...}}`` and HTTP 200, so those errors are read too.
The request budget comes in ``X-Ratelimit-Used/-Remaining/-Reset`` (seconds until the window ends).

Images go through Reddit's media upload (what its own clients and PRAW do): ``POST
/api/media/asset.json`` leases an upload (an S3 form: ``args.action`` and ``args.fields``, and the
asset's id and WebSocket address), the file is POSTed to that form (without Reddit's token), then one
image is submitted with ``kind=image`` and ``url=<action>/<key>``, whose answer carries no post id:
Reddit sends the new post's address through the WebSocket (``{"type": "success", "payload":
{"redirect": …}}`` or ``{"type": "failed"}``). Two images or more are a gallery,
``/api/submit_gallery_post.json`` with the asset ids and each file's description as its caption,
which answers the post's id directly. A video (one, alone) is leased and stored the same way with
its poster image (the video's ``cover``, else a plain dark frame, as PRAW sends its own image), then
submitted with ``kind=video``, ``url`` and ``video_poster_url``; its address comes through the
WebSocket like an image post's. Files are streamed from disk into the storage's form.
"""

from __future__ import annotations

import datetime
import json
import re
import struct
import zlib
from typing import Any, ClassVar
from urllib.parse import urlsplit
from xml.etree import ElementTree

import httpx
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pappus.connectors.base import MAXIMUM_REASON_CHARACTERS, HttpConnector
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
    RateLimitBudget,
    is_video,
)
from pappus.connectors.errors import (
    ConnectorError,
    ContentRejectedError,
    NotFoundError,
    RateLimitedError,
    TemporaryFailureError,
)
from pappus.connectors.oauth import OAuthSpec
from pappus.connectors.reddit import mapping
from pappus.connectors.registry import register
from pappus.connectors.websocket import WebSocketError, first_message

# A text post's body: 40,000 characters; a title: 300; a comment: 10,000. Images: JPEG, PNG or GIF up
# to 20 MB each, one as an image post or up to 20 as a gallery; a video (MP4 or MOV) alone, up to
# 1 GB (Reddit's documented ceilings).
DEFAULT_LIMITS = PublishLimits(
    max_characters=40_000,
    max_media=20,
    media_types=frozenset({"image/jpeg", "image/png", "image/gif", "video/mp4", "video/quicktime"}),
    max_media_bytes=20 * 1024 * 1024,
    max_video_bytes=1024 * 1024 * 1024,
    video_alone=True,
)
POSTER_TYPES = frozenset({"image/jpeg", "image/png"})
MAXIMUM_CAPTION_CHARACTERS = 180  # a gallery item's caption
# How long Reddit may take to say through the WebSocket that an image post is up.
WEBSOCKET_TIMEOUT_SECONDS = 30.0
_POST_ID = re.compile(r"/comments/([a-z0-9]+)")
COMMENT_LIMITS = PublishLimits(max_characters=10_000)
MAXIMUM_TITLE_CHARACTERS = 300
# Reddit errors in a 200 answer that mean "not found" or "slow down" rather than "content refused".
_NOT_FOUND_CODES = frozenset({"SUBREDDIT_NOEXIST", "NO_THING_ID", "DELETED_COMMENT", "DELETED_LINK", "THREAD_LOCKED"})


def plain_poster(width: int = 640, height: int = 360) -> bytes:
    """A dark PNG frame: the poster of a video posted without a cover (Reddit requires one)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = (b"\x00" + b"\x20" * width) * height  # filter byte 0, then a dark grey row
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def split_title(text: str) -> tuple[str, str]:
    """The first non-empty line as the title, the rest as the body."""
    lines = text.strip().splitlines()
    if not lines:
        return "", ""
    return lines[0].strip(), "\n".join(lines[1:]).strip()


@register
class RedditConnector(HttpConnector):
    network: ClassVar[str] = "reddit"
    label: ClassVar[str] = "Reddit"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(Capability)
    connect_fields: ClassVar[tuple[ConnectField, ...]] = (
        ConnectField(
            "access_token",
            gettext_lazy("Access token"),
            secret=True,
            help_text=gettext_lazy("Better: sign in with Reddit. A token of a script app works too."),
        ),
        ConnectField(
            "refresh_token",
            gettext_lazy("Refresh token"),
            secret=True,
            required=False,
        ),
        ConnectField(
            "subreddit",
            gettext_lazy("Default subreddit"),
            required=False,
            help_text=gettext_lazy("The subreddit posts go to when none is chosen, without r/."),
        ),
    )
    default_base_url: ClassVar[str] = "https://oauth.reddit.com"
    default_limits: ClassVar[PublishLimits | None] = DEFAULT_LIMITS
    # Reddit has no idempotency key: a submission sent again is a second post.
    idempotency_window_seconds: ClassVar[int] = 0
    streams_files: ClassVar[bool] = True  # files go to the storage's form read from disk a piece at a time
    remote_ids_are_global: ClassVar[bool] = True  # fullnames (t1_…, t3_…) are unique across Reddit
    oauth: ClassVar[OAuthSpec] = OAuthSpec(
        authorize_url="https://www.reddit.com/api/v1/authorize",
        token_url="https://www.reddit.com/api/v1/access_token",  # noqa: S106 - an address, not a secret
        scopes=("identity", "submit", "read", "privatemessages", "edit", "history"),
        pkce=False,
        client_authentication="basic",
        extra_authorize_parameters=(("duration", "permanent"),),
        developer_console_url="https://www.reddit.com/prefs/apps",
    )

    def __init__(self, **arguments: Any) -> None:
        super().__init__(**arguments)
        self._me: dict[str, Any] | None = None

    # --- errors and the budget -----------------------------------------------------------------

    def read_rate_limit(self, response: httpx.Response) -> RateLimitBudget | None:
        headers = response.headers
        try:
            remaining = float(headers["x-ratelimit-remaining"])
        except (KeyError, ValueError):
            return None
        used = headers.get("x-ratelimit-used")
        reset = headers.get("x-ratelimit-reset")
        try:
            limit = int(float(used) + remaining) if used is not None else None
            resets_at = timezone.now() + datetime.timedelta(seconds=float(reset)) if reset is not None else None
        except ValueError:
            limit, resets_at = None, None
        return RateLimitBudget(limit=limit, remaining=int(remaining), resets_at=resets_at)

    def error_reason(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            reason = body.get("reason") or body.get("explanation") or body.get("message")
            if isinstance(reason, str) and reason:
                return reason[:MAXIMUM_REASON_CHARACTERS]
        return super().error_reason(response)

    def _form(self, path: str, data: dict[str, str]) -> dict[str, Any]:
        """POST a form with ``api_type=json``; the errors Reddit puts in a 200 answer become ours."""
        return self._form_answer(path, self.request_json("POST", path, data={**data, "api_type": "json"}))

    def _form_answer(self, path: str, answer: Any) -> dict[str, Any]:
        body = answer.get("json") if isinstance(answer, dict) else None
        if not isinstance(body, dict):
            raise TemporaryFailureError(f"{self.label} answered {path} without a result", network=self.network)
        errors = body.get("errors") or []
        if errors:
            raise self._form_error(errors, body)
        data_part = body.get("data")
        return data_part if isinstance(data_part, dict) else {}

    def _form_error(self, errors: list[Any], body: dict[str, Any]) -> ConnectorError:
        first = errors[0] if isinstance(errors[0], list) else [str(errors[0])]
        code = str(first[0]) if first else ""
        message = str(first[1]) if len(first) > 1 else code
        reason = "; ".join(
            str(error[1]) if isinstance(error, list) and len(error) > 1 else str(error) for error in errors
        )[:MAXIMUM_REASON_CHARACTERS]
        if code == "RATELIMIT":
            seconds = body.get("ratelimit")
            return RateLimitedError(
                f"{self.label} rate limit reached: {message}",
                retry_after=float(seconds) if isinstance(seconds, int | float) else None,
                network=self.network,
                status=200,
            )
        if code in _NOT_FOUND_CODES:
            return NotFoundError(f"{self.label}: {message}", network=self.network, status=200)
        return ContentRejectedError(reason, network=self.network, status=200)

    # --- account ---------------------------------------------------------------------------------

    def _identity(self) -> dict[str, Any]:
        if self._me is None:
            me = self.request_json("GET", "/api/v1/me", params={"raw_json": 1})
            if not isinstance(me, dict) or "name" not in me or "id" not in me:
                raise TemporaryFailureError(f"{self.label} answered /api/v1/me without a user", network=self.network)
            self._me = me
        return self._me

    def account_info(self) -> AccountInfo:
        self._me = None
        return mapping.account_info(self._identity())

    def account_metrics(self) -> MetricSnapshot:
        """Followers of the user's profile and total karma (as likes); Reddit gives no impressions."""
        self._me = None
        me = self._identity()
        info = mapping.account_info(me)
        karma = me.get("total_karma")
        return MetricSnapshot(
            taken_at=timezone.now(), followers=info.followers, likes=karma if isinstance(karma, int) else None
        )

    def post_metrics(self, remote_id: str) -> MetricSnapshot:
        """Score (upvotes minus downvotes, as likes) and comments of a post or comment."""
        found = mapping.children(self.request_json("GET", "/api/info", params={"id": remote_id, "raw_json": 1}))
        if not found:
            raise NotFoundError(_("Reddit has no post %(id)s.") % {"id": remote_id}, network=self.network)
        data = found[0][1]
        score, comments = data.get("score"), data.get("num_comments")
        return MetricSnapshot(
            taken_at=timezone.now(),
            remote_id=remote_id,
            likes=score if isinstance(score, int) else None,
            replies=comments if isinstance(comments, int) else None,
        )

    # --- publishing ----------------------------------------------------------------------------------

    def check_limits(self, request: PublishRequest) -> None:
        found = self.limits().problems(request)
        title, _body = split_title(request.text)
        if not title:
            found.append(_("A Reddit post needs a title: write it on the first line."))
        elif len(title) > MAXIMUM_TITLE_CHARACTERS:
            found.append(
                _("The title (the first line) is %(length)s characters long; Reddit allows %(limit)s.")
                % {"length": len(title), "limit": MAXIMUM_TITLE_CHARACTERS}
            )
        if request.link and _body:
            found.append(_("A Reddit link post has a title only: put the whole text on the first line."))
        if request.media and request.link:
            found.append(_("A Reddit post carries images or a link, not both: remove one of them."))
        elif request.media and _body:
            found.append(_("A Reddit image post has a title only: put the whole text on the first line."))
        for media in request.media:
            if media.cover is not None and not is_video(media):
                found.append(_("%(name)s has a cover; only a video has one.") % {"name": media.filename})
            elif media.cover is not None and media.cover.mime_type not in POSTER_TYPES:
                found.append(
                    _("The cover %(name)s is of type %(type)s; Reddit takes JPEG or PNG posters.")
                    % {"name": media.cover.filename, "type": media.cover.mime_type}
                )
            elif media.cover is not None and media.cover.size > (self.limits().max_media_bytes or 0):
                found.append(
                    _("The cover %(name)s is %(size)s bytes; the limit here is %(limit)s bytes.")
                    % {"name": media.cover.filename, "size": media.cover.size, "limit": self.limits().max_media_bytes}
                )
        if len(request.media) > 1:
            for media in request.media:
                if len(media.description) > MAXIMUM_CAPTION_CHARACTERS:
                    found.append(
                        _(
                            "The description of %(name)s is %(length)s characters long; "
                            "a gallery caption may have %(limit)s."
                        )
                        % {
                            "name": media.filename,
                            "length": len(media.description),
                            "limit": MAXIMUM_CAPTION_CHARACTERS,
                        }
                    )
        if found:
            raise ContentRejectedError(" ".join(found), network=self.network, checked_locally=True)

    def _subreddit(self, request: PublishRequest) -> str:
        name = (request.target or str(self.options.get("subreddit") or "")).strip()
        name = name.removeprefix("/").removeprefix("r/")
        if not name:
            raise ContentRejectedError(
                _("No subreddit given and the account has no default subreddit."),
                network=self.network,
                checked_locally=True,
            )
        return name

    def publish(self, request: PublishRequest) -> PublishResult:
        self.check_limits(request)
        title, body = split_title(request.text)
        subreddit = self._subreddit(request)
        if len(request.media) > 1:
            return self._publish_gallery(subreddit, title, request.media)
        if request.media and is_video(request.media[0]):
            return self._publish_video(subreddit, title, request.media[0])
        if request.media:
            return self._publish_image(subreddit, title, request.media[0])
        fields = {"sr": subreddit, "title": title, "resubmit": "true"}
        if request.link:
            fields.update(kind="link", url=request.link)
        else:
            fields.update(kind="self", text=body)
        return mapping.submitted(self._form("/api/submit", fields))

    # --- images: the upload lease, the S3 form, then the post ---------------------------------------

    def _upload(self, media: MediaFile) -> tuple[str, str, str]:
        """Lease an upload, send the file to the lease's form; (the file's URL, asset id, WebSocket address)."""
        lease = self.request_json(
            "POST", "/api/media/asset.json", data={"filepath": media.filename, "mimetype": media.mime_type}
        )
        arguments = lease.get("args") if isinstance(lease, dict) else None
        asset = lease.get("asset") if isinstance(lease, dict) else None
        if not isinstance(arguments, dict) or not isinstance(asset, dict) or not arguments.get("action"):
            raise TemporaryFailureError(
                f"{self.label} answered /api/media/asset.json without an upload lease", network=self.network
            )
        action = str(arguments["action"])
        if action.startswith("//"):  # Reddit gives the S3 address without a scheme
            action = f"{urlsplit(self.base_url).scheme or 'https'}:{action}"
        fields = {
            str(item["name"]): str(item["value"])
            for item in arguments.get("fields") or []
            if isinstance(item, dict) and "name" in item and "value" in item
        }
        if "key" not in fields:
            raise TemporaryFailureError(f"{self.label}'s upload lease names no key", network=self.network)
        # The storage gets the form and the file (streamed from disk), never Reddit's token.
        try:
            with (
                httpx.Client(timeout=self._client.timeout, follow_redirects=False) as storage,
                media.open() as stream,
            ):
                answer = storage.post(action, data=fields, files={"file": (media.filename, stream, media.mime_type)})
        except httpx.HTTPError as error:
            raise TemporaryFailureError(
                f"{self.label}'s media storage could not be reached: {error}", network=self.network
            ) from error
        if not answer.is_success:
            raise self._storage_error(answer, media)
        return f"{action}/{fields['key']}", str(asset.get("asset_id") or ""), str(asset.get("websocket_url") or "")

    def _storage_error(self, answer: httpx.Response, media: MediaFile) -> ConnectorError:
        """S3's XML error (``<Error><Code>EntityTooLarge</Code><Message>…``) as one of ours."""
        code = message = ""
        try:
            root = ElementTree.fromstring(answer.content)  # noqa: S314 - S3's answer, parsed without entities
            code, message = root.findtext("Code") or "", root.findtext("Message") or ""
        except ElementTree.ParseError:
            pass
        reason = (message or code or f"HTTP {answer.status_code}")[:MAXIMUM_REASON_CHARACTERS]
        if answer.status_code >= 500 or code in {"SlowDown", "InternalError", "ServiceUnavailable", "RequestTimeout"}:
            return TemporaryFailureError(
                f"{self.label}'s media storage failed: {reason}", network=self.network, status=answer.status_code
            )
        return ContentRejectedError(
            _("Reddit's media storage refused %(name)s: %(reason)s") % {"name": media.filename, "reason": reason},
            network=self.network,
            status=answer.status_code,
        )

    def _publish_image(self, subreddit: str, title: str, media: MediaFile) -> PublishResult:
        url, _asset_id, lease_websocket = self._upload(media)
        fields = {"sr": subreddit, "title": title, "kind": "image", "url": url}
        return self._submit_and_listen(fields, lease_websocket, video=False)

    def _publish_video(self, subreddit: str, title: str, video: MediaFile) -> PublishResult:
        """The video and its poster through two upload leases, then ``kind=video`` with both addresses."""
        url, _asset_id, lease_websocket = self._upload(video)
        poster = video.cover or MediaFile(plain_poster(), "image/png", "poster.png")
        poster_url, _poster_id, _poster_websocket = self._upload(poster)
        fields = {"sr": subreddit, "title": title, "kind": "video", "url": url, "video_poster_url": poster_url}
        return self._submit_and_listen(fields, lease_websocket, video=True)

    def _submit_and_listen(self, fields: dict[str, str], lease_websocket: str, *, video: bool) -> PublishResult:
        """Submit a media post, then learn its address from the WebSocket Reddit names."""
        what = "the video post" if video else "the image post"
        data = self._form("/api/submit", {**fields, "resubmit": "true", "validate_on_submit": "true"})
        websocket = str(data.get("websocket_url") or lease_websocket)
        if not websocket:
            raise TemporaryFailureError(
                f"{self.label} took {what} without saying where to learn its address", network=self.network
            )
        # From here the post may exist: a failure to learn its address is "no answer", never a refusal.
        try:
            message = json.loads(first_message(websocket, timeout=WEBSOCKET_TIMEOUT_SECONDS))
        except (WebSocketError, ValueError) as error:
            raise TemporaryFailureError(
                f"{self.label} did not say whether {what} went up: {error}", network=self.network
            ) from error
        if not isinstance(message, dict):
            raise TemporaryFailureError(f"{self.label} sent an unreadable answer about {what}", network=self.network)
        if message.get("type") == "failed":
            payload = message.get("payload") if isinstance(message.get("payload"), dict) else {}
            reason = str(payload.get("message") or payload.get("reason") or "") if payload else ""
            refusal = (
                _("Reddit could not make the video post: %(reason)s")
                if video
                else _("Reddit could not make the image post: %(reason)s")
            )
            raise ContentRejectedError(refusal % {"reason": reason or _("it gave no reason")}, network=self.network)
        payload = message.get("payload") if isinstance(message.get("payload"), dict) else {}
        redirect = str(payload.get("redirect") or "") if payload else ""
        found = _POST_ID.search(redirect)
        if message.get("type") != "success" or not found:
            raise TemporaryFailureError(
                f"{self.label} sent an unexpected answer about {what}: {str(message)[:200]}",
                network=self.network,
            )
        return PublishResult(remote_id=f"t3_{found.group(1)}", url=redirect, raw=message)

    def _publish_gallery(self, subreddit: str, title: str, media: tuple[MediaFile, ...]) -> PublishResult:
        items = []
        for file in media:
            _url, asset_id, _websocket = self._upload(file)
            if not asset_id:
                raise TemporaryFailureError(f"{self.label}'s upload lease gave no asset id", network=self.network)
            items.append({"caption": file.description, "outbound_url": "", "media_id": asset_id})
        answer = self.request_json(
            "POST",
            "/api/submit_gallery_post.json",
            json={
                "api_type": "json",
                "sr": subreddit,
                "title": title,
                "items": items,
                "kind": "self",
                "show_error_list": True,
                "sendreplies": True,
                "validate_on_submit": True,
                "nsfw": False,
                "spoiler": False,
            },
        )
        data = self._form_answer("/api/submit_gallery_post.json", answer)
        if not data.get("id") and not data.get("name"):
            raise TemporaryFailureError(f"{self.label} answered the gallery without its id", network=self.network)
        post_id = str(data.get("name") or data.get("id"))
        return PublishResult(
            remote_id=post_id if post_id.startswith("t3_") else f"t3_{post_id}",
            url=str(data.get("url") or ""),
            raw=data,
        )

    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult:
        """A comment under a post (t3_…) or an answer to a comment or message (t1_…, t4_…)."""
        COMMENT_LIMITS.check(request, network=self.network)
        data = self._form("/api/comment", {"thing_id": parent_remote_id, "text": request.full_text()})
        things = data.get("things") or []
        if not things or not isinstance(things[0], dict) or not isinstance(things[0].get("data"), dict):
            raise TemporaryFailureError(f"{self.label} answered /api/comment without the comment", network=self.network)
        return mapping.commented(things[0]["data"])

    def delete(self, remote_id: str) -> None:
        """Delete one of the account's own posts or comments (Reddit answers ``{}`` even for unknown ids)."""
        self.request("POST", "/api/del", data={"id": remote_id})

    # --- reading ---------------------------------------------------------------------------------------

    def inbox(self, *, cursor: str = "", limit: int = 40) -> InboundPage:
        """Comment replies, post replies, username mentions and private messages newer than ``cursor``
        (the fullname of the newest thing read before), newest first."""
        parameters: dict[str, Any] = {"limit": max(1, min(limit, 100)), "raw_json": 1}
        if cursor:
            parameters["before"] = cursor
        things = mapping.children(self.request_json("GET", "/message/inbox", params=parameters))
        items = tuple(mapping.inbox_item(kind, data) for kind, data in things)
        return InboundPage(items=items, cursor=items[0].remote_id if items else cursor)

    def listen(self, query: str, *, limit: int = 40) -> InboundPage:
        """Posts across Reddit matching ``query`` (Reddit's search syntax), newest first."""
        found = self.request_json(
            "GET",
            "/search",
            params={"q": query, "sort": "new", "type": "link", "limit": max(1, min(limit, 100)), "raw_json": 1},
        )
        return InboundPage(
            items=tuple(mapping.link_item(data) for kind, data in mapping.children(found) if kind == "t3")
        )
