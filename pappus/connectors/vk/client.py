"""VK (VKontakte) community walls through the VK API 5.199 (https://dev.vk.com/en/reference) over plain httpx.

The account is a community (its id or short name is an option); the token is a community or user
access token with the ``wall``, ``photos`` and ``groups`` rights. Every method is
``POST /method/<name>`` with the token and ``v`` in the form body (never in the URL, so it never
reaches a log line). VK answers HTTP 200 both ways: ``{"response": ...}`` or
``{"error": {"error_code", "error_msg", "request_params"}}``; the codes are mapped to the small set
below and ``error_msg`` is the reason shown to the person.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
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
from pappus.connectors.oauth import OAuthCandidate, OAuthGrant, OAuthSpec, token_account
from pappus.connectors.registry import register
from pappus.connectors.vk import mapping

API_VERSION = "5.199"
# wall.post takes at most 10 attachments; photos.getWallUploadServer takes JPG, PNG and GIF up to 50 MB.
# Videos go through video.save (a user token with the video right: a community token cannot upload
# them); VK's help names 256 GB as the largest video, checked here as 256,000,000,000 bytes. Files are
# streamed from disk as multipart parts (64 KiB at a time), so their size costs no memory.
# The reference names no maximum text length; 16,384 characters is Pappus's conservative check.
DEFAULT_LIMITS = PublishLimits(
    max_characters=16_384,
    max_media=10,
    media_types=frozenset({"image/jpeg", "image/png", "image/gif", "video/mp4", "video/quicktime", "video/webm"}),
    max_media_bytes=50 * 1024 * 1024,
    max_video_bytes=256_000_000_000,
)
# How many of the community's newest posts the inbox reads comments of.
INBOX_POSTS = 10

# VK API error codes (https://dev.vk.com/en/reference/errors) by what they mean to Pappus.
AUTH_CODES = frozenset({5, 17, 27, 28})  # authorization failed, validation required, group/app auth failed
RATE_CODES = frozenset({6, 9, 29})  # too many requests per second, flood control, the method's rate limit
TEMPORARY_CODES = frozenset({1, 10})  # unknown error, internal server error
NOT_FOUND_CODES = frozenset({18, 104})  # user deleted or banned, not found
CAPTCHA_CODE = 14
# "Too many requests per second": VK allows a few calls per second per token; a second later is enough.
PER_SECOND_RETRY_AFTER = 1.0


def vk_error(error: Mapping[str, Any], *, label: str, status: int | None = None) -> ConnectorError:
    """A VK ``error`` object as one of the small set of errors."""
    code = error.get("error_code")
    reason = str(error.get("error_msg") or f"error {code}")[:MAXIMUM_REASON_CHARACTERS]
    if code in AUTH_CODES:
        return AuthExpiredError(f"{label} refused the token: {reason}", network=mapping.NETWORK, status=status)
    if code in RATE_CODES:
        return RateLimitedError(
            f"{label} rate limit reached: {reason}",
            retry_after=PER_SECOND_RETRY_AFTER if code == 6 else None,
            network=mapping.NETWORK,
            status=status,
        )
    if code == CAPTCHA_CODE:
        # VK asks for a captcha after too many actions in a row; an API client cannot solve it: wait.
        return RateLimitedError(
            f"{label} asks for a captcha (too many actions): {reason}", network=mapping.NETWORK, status=status
        )
    if code in TEMPORARY_CODES:
        return TemporaryFailureError(f"{label} failed: {reason}", network=mapping.NETWORK, status=status)
    if code in NOT_FOUND_CODES:
        return NotFoundError(f"{label}: {reason}", network=mapping.NETWORK, status=status)
    # 7/15/203/214/219/220/222/224 (access denied, posting refused, links forbidden, ...), 100 (invalid parameter).
    return ContentRejectedError(reason, network=mapping.NETWORK, status=status)


def vk_id_communities(grant: OAuthGrant) -> list[OAuthCandidate]:
    """The community a VK ID sign-in connects: the one chosen before signing in, else those the person
    administers (``groups.get`` with ``filter=admin``), to pick from when there are several."""
    if str(grant.options.get("group_id") or "").strip():
        return [token_account(grant)]
    with VkConnector(base_url=grant.app.api_base_url, credentials=grant.credentials) as connector:
        answer = connector.call("groups.get", filter="admin", extended=1, count=1000)
    return [
        OAuthCandidate(
            remote_id=str(group["id"]),
            handle=str(group.get("screen_name") or f"club{group['id']}"),
            display_name=str(group.get("name") or ""),
            credentials=grant.credentials,
            options={**grant.options, "group_id": str(group["id"])},
            token_expires_at=grant.tokens.expires_at,
        )
        for group in (answer.get("items") or [] if isinstance(answer, dict) else [])
        if isinstance(group, dict) and group.get("id")
    ]


def _comment_number(item: InboundItem) -> int:
    return int(item.remote_id.rsplit("_", 1)[1])


@register
class VkConnector(HttpConnector):
    network: ClassVar[str] = "vk"
    label: ClassVar[str] = "VK"
    # listen: newsfeed.search; inbox: comments on the community's newest posts; moderate: delete posts
    # and comments (VK has no hiding); metrics: likes, reposts, comments, views and members.
    capabilities: ClassVar[frozenset[Capability]] = frozenset(Capability)
    connect_fields: ClassVar[tuple[ConnectField, ...]] = (
        ConnectField(
            "access_token",
            gettext_lazy("Access token"),
            secret=True,
            help_text=gettext_lazy(
                "A community token (Community → Manage → API usage → Create token, with wall and photos rights) "
                "or a user token of a community administrator with wall, photos, groups and offline rights."
            ),
        ),
        ConnectField(
            "group_id",
            gettext_lazy("Community"),
            help_text=gettext_lazy("The community's id or short name (club123 or brand), whose wall Pappus posts to."),
        ),
    )
    default_base_url: ClassVar[str] = "https://api.vk.com"
    default_limits: ClassVar[PublishLimits | None] = DEFAULT_LIMITS
    # wall.post takes a ``guid`` against sending one post twice (sent), but VK documents for how long
    # it is remembered nowhere: Pappus assumes no window.
    idempotency_window_seconds: ClassVar[int] = 0
    streams_files: ClassVar[bool] = True  # photos and videos go up as multipart parts read from disk
    # VK ID (https://id.vk.com/about/business/go/docs/en/vkid/latest/vk-id/connection/api-integration/api-description):
    # OAuth 2.1 with PKCE S256; the callback brings a ``device_id`` that the token endpoint wants with
    # the code and with every refresh (kept, encrypted, with the tokens), and a ``state`` in both; the
    # access token lives an hour and comes with a refresh token. The user token then calls the VK API
    # for a community the person administers.
    oauth: ClassVar[OAuthSpec] = OAuthSpec(
        authorize_url="https://id.vk.com/authorize",
        token_url="https://id.vk.com/oauth2/auth",  # noqa: S106 - an address, not a secret
        scopes=("vkid.personal_info", "wall", "photos", "groups", "video"),
        pkce=True,
        client_authentication="body",
        developer_console_url="https://id.vk.com/about/business/go",
        secret_required=False,
        callback_fields=("device_id",),
        state_in_token_requests=True,
        accounts=vk_id_communities,
    )

    def __init__(self, **arguments: Any) -> None:
        super().__init__(**arguments)
        self._community: dict[str, Any] | None = None

    def auth_headers(self) -> dict[str, str]:
        return {}  # the token travels in the form body of each call

    # --- calls and errors -----------------------------------------------------------------------

    def call(self, method: str, *, repeatable: bool | None = None, **parameters: Any) -> Any:
        """One API method; the ``response`` of a successful answer."""
        token = self.credentials.get("access_token", "")
        if not token:
            raise AuthExpiredError(_("No access token is stored: reconnect the account."), network=self.network)
        fields = {name: str(value) for name, value in parameters.items() if value is not None and value != ""}
        fields.update(access_token=token, v=API_VERSION)
        if repeatable is None:
            # Reads may be sent once more after a broken connection; writes never (VK keeps no key we can rely on).
            repeatable = method.split(".")[1].startswith(("get", "search"))
        response = self.request("POST", f"/method/{method}", data=fields, repeatable=repeatable)
        answer = self.read_json(response)
        if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
            failure = vk_error(answer["error"], label=self.label, status=response.status_code)
            raise failure
        if not isinstance(answer, dict) or "response" not in answer:
            raise TemporaryFailureError(
                f"{self.label} answered {method} without a response", network=self.network, status=response.status_code
            )
        return answer["response"]

    def error_reason(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        if isinstance(body, dict) and isinstance(body.get("error"), dict) and body["error"].get("error_msg"):
            return str(body["error"]["error_msg"])[:MAXIMUM_REASON_CHARACTERS]
        return super().error_reason(response)

    # --- the community --------------------------------------------------------------------------

    def _group_option(self) -> str:
        value = str(self.options.get("group_id") or "").strip()
        value = value.removeprefix("https://vk.com/").removeprefix("-").strip("/")
        if not value:
            raise ContentRejectedError(
                _("No community is set for this account: reconnect it with the community's id or short name."),
                network=self.network,
                checked_locally=True,
            )
        return value

    def _read_community(self) -> dict[str, Any]:
        answer = self.call("groups.getById", group_id=self._group_option(), fields="members_count")
        # 5.199 answers {"groups": [...], "profiles": [...]}; before 5.194 it was the list itself.
        groups = answer.get("groups") if isinstance(answer, dict) else answer
        if not groups:
            raise NotFoundError(
                _("VK knows no community %(group)s.") % {"group": self._group_option()}, network=self.network
            )
        self._community = dict(groups[0])
        return self._community

    def _group_id(self) -> int:
        return int((self._community or self._read_community())["id"])

    def account_info(self) -> AccountInfo:
        community = self._read_community()
        screen_name = str(community.get("screen_name") or f"club{community['id']}")
        return AccountInfo(
            remote_id=str(community["id"]),
            handle=screen_name,
            display_name=str(community.get("name") or ""),
            url=f"{mapping.SITE}/{screen_name}",
            followers=community.get("members_count"),
        )

    def account_metrics(self) -> MetricSnapshot:
        community = self._read_community()
        return MetricSnapshot(taken_at=timezone.now(), followers=community.get("members_count"))

    def post_metrics(self, remote_id: str) -> MetricSnapshot:
        reference = self._reference(remote_id)
        answer = self.call("wall.getById", posts=reference.post)
        posts = answer.get("items") if isinstance(answer, dict) else answer
        if not posts:
            raise NotFoundError(_("VK has no post %(post)s.") % {"post": reference.post}, network=self.network)
        post = posts[0]
        return MetricSnapshot(
            taken_at=timezone.now(),
            remote_id=remote_id,
            likes=mapping.counter(post, "likes"),
            shares=mapping.counter(post, "reposts"),
            replies=mapping.counter(post, "comments"),
            impressions=mapping.counter(post, "views"),
        )

    # --- publishing -----------------------------------------------------------------------------

    def _upload_photo(self, media: MediaFile) -> str:
        """photos.getWallUploadServer → POST the file there → photos.saveWallPhoto; the attachment name."""
        group_id = self._group_id()
        server = self.call("photos.getWallUploadServer", group_id=group_id)
        upload_url = str(server.get("upload_url") or "") if isinstance(server, dict) else ""
        if not upload_url:
            raise TemporaryFailureError(f"{self.label} gave no upload address", network=self.network)
        with media.open() as stream:
            uploaded = self.read_json(
                self.request(
                    "POST", upload_url, files={"photo": (media.filename, stream, media.mime_type)}, repeatable=True
                )
            )
        if not isinstance(uploaded, dict) or not uploaded.get("photo") or uploaded.get("photo") == "[]":
            raise ContentRejectedError(
                _("VK did not accept the image %(name)s.") % {"name": media.filename}, network=self.network
            )
        saved = self.call(
            "photos.saveWallPhoto",
            repeatable=False,
            group_id=group_id,
            server=uploaded.get("server"),
            photo=uploaded["photo"],
            hash=uploaded.get("hash"),
            caption=media.description,
        )
        photo = saved[0]
        return f"photo{photo['owner_id']}_{photo['id']}"

    def _upload_video(self, media: MediaFile, request: PublishRequest) -> str:
        """video.save (into the community, not posted by itself) → POST the file to its ``upload_url``."""
        title = (request.text.strip().splitlines() or [media.filename])[0][:128]
        saved = self.call(
            "video.save",
            repeatable=False,
            group_id=self._group_id(),
            name=title,
            description=media.description or request.text,
            wallpost=0,
        )
        upload_url = str(saved.get("upload_url") or "") if isinstance(saved, dict) else ""
        if not upload_url:
            raise TemporaryFailureError(f"{self.label} gave no video upload address", network=self.network)
        with media.open() as stream:
            uploaded = self.read_json(
                self.request(
                    "POST",
                    upload_url,
                    files={"video_file": (media.filename, stream, media.mime_type)},
                    repeatable=True,
                )
            )
        if isinstance(uploaded, dict) and isinstance(uploaded.get("error"), dict):
            raise vk_error(uploaded["error"], label=self.label)
        if not isinstance(uploaded, dict) or not uploaded.get("video_id"):
            raise ContentRejectedError(
                _("VK did not accept the video %(name)s.") % {"name": media.filename}, network=self.network
            )
        return f"video{uploaded.get('owner_id') or saved['owner_id']}_{uploaded['video_id']}"

    def _attachments(self, request: PublishRequest) -> str:
        attachments = [
            self._upload_video(media, request) if is_video(media) else self._upload_photo(media)
            for media in request.media
        ]
        if request.link:
            attachments.append(request.link)  # VK shows a link attachment as a snippet; one at most
        return ",".join(attachments)

    def publish(self, request: PublishRequest) -> PublishResult:
        self.check_limits(request)
        owner_id = -self._group_id()
        answer = self.call(
            "wall.post",
            owner_id=owner_id,
            from_group=1,
            message=request.full_text(),
            attachments=self._attachments(request),
            guid=request.idempotency_key,
        )
        post_id = answer["post_id"]
        return PublishResult(
            remote_id=str(mapping.WallReference(owner_id, int(post_id))),
            url=mapping.post_url(owner_id, post_id),
            published_at=timezone.now(),
            raw=answer,
        )

    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult:
        """A comment under a post, or an answer in a comment's thread, written as the community."""
        self.check_limits(request)
        parent = self._reference(parent_remote_id)
        answer = self.call(
            "wall.createComment",
            owner_id=parent.owner_id,
            post_id=parent.post_id,
            from_group=self._group_id(),
            message=request.full_text(),
            reply_to_comment=parent.comment_id,
            attachments=self._attachments(request),
            guid=request.idempotency_key,
        )
        comment_id = int(answer["comment_id"])
        return PublishResult(
            remote_id=str(mapping.WallReference(parent.owner_id, parent.post_id, comment_id)),
            url=mapping.comment_url(parent.owner_id, parent.post_id, comment_id),
            published_at=timezone.now(),
            raw=answer,
        )

    def delete(self, remote_id: str) -> None:
        """Delete a post (wall.delete) or a comment (wall.deleteComment) on the community's wall."""
        reference = self._reference(remote_id)
        if reference.comment_id is None:
            self.call("wall.delete", owner_id=reference.owner_id, post_id=reference.post_id)
        else:
            self.call("wall.deleteComment", owner_id=reference.owner_id, comment_id=reference.comment_id)

    def _reference(self, remote_id: str) -> mapping.WallReference:
        try:
            return mapping.parse_reference(remote_id)
        except ValueError as error:
            raise NotFoundError(str(error), network=self.network) from error

    # --- reading ----------------------------------------------------------------------------------

    def inbox(self, *, cursor: str = "", limit: int = 40) -> InboundPage:
        """Comments (and answers in their threads) on the community's newest posts since ``cursor``, newest first.

        The cursor is the highest comment id read: VK numbers the comments of one wall in order.
        The community's own comments are left out.
        """
        owner_id = -self._group_id()
        after = int(cursor) if cursor.isdigit() else 0
        wall = self.call("wall.get", owner_id=owner_id, count=INBOX_POSTS)
        items: list[InboundItem] = []
        for post in wall.get("items") or []:
            if not mapping.counter(post, "comments"):
                continue
            answer = self.call(
                "wall.getComments",
                owner_id=owner_id,
                post_id=post["id"],
                count=max(1, min(limit, 100)),
                sort="desc",
                extended=1,
                thread_items_count=10,
            )
            authors = mapping.Authors(answer.get("profiles") or (), answer.get("groups") or ())
            for comment in answer.get("items") or []:
                thread = (comment.get("thread") or {}).get("items") or []
                for entry in (comment, *thread):
                    if int(entry["id"]) <= after or entry.get("from_id") == owner_id or entry.get("deleted"):
                        continue
                    items.append(mapping.inbound_comment(entry, owner_id=owner_id, post_id=post["id"], authors=authors))
        # The oldest ``limit`` unread ones, so that the cursor never passes a comment not yet returned.
        items.sort(key=_comment_number)
        items = items[:limit]
        newest = max((_comment_number(item) for item in items), default=after)
        items.reverse()
        return InboundPage(items=tuple(items), cursor=str(newest) if newest else cursor)

    def listen(self, query: str, *, limit: int = 40) -> InboundPage:
        """Public posts matching ``query`` (newsfeed.search), newest first; ``next_from`` as the cursor."""
        answer = self.call("newsfeed.search", q=query, count=max(1, min(limit, 200)), extended=1)
        authors = mapping.Authors(answer.get("profiles") or (), answer.get("groups") or ())
        items = tuple(mapping.found_post(post, authors=authors) for post in answer.get("items") or [])
        return InboundPage(items=items, cursor=str(answer.get("next_from") or ""))
