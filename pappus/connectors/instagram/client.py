"""Instagram professional (business) accounts through the Instagram Graph API (Facebook Login, v21.0).

The account is an Instagram professional account linked to a Facebook Page (its IG user id is an
option); the token is a user or system-user token with ``instagram_basic``,
``instagram_content_publish``, ``instagram_manage_comments``, ``instagram_manage_insights`` and
``pages_read_engagement``.

Publishing is two steps: a media container (``POST /{ig-user-id}/media`` with ``image_url``, or a
``CAROUSEL`` container of item containers), then ``POST /{ig-user-id}/media_publish``. Instagram
fetches each image itself from a public address (``MediaFile.source_url``): it takes no uploads of
image bytes. Before publishing, ``content_publishing_limit`` is read: when the rolling 24-hour quota
is used up nothing is sent. A video alone is a Reel (``media_type=REELS`` with ``video_url``, shared
to the feed); videos in a carousel are ``VIDEO`` items. Instagram fetches videos from their public
address too and processes them: the container's ``status_code`` is polled (``IN_PROGRESS`` →
``FINISHED``, or ``ERROR`` with Instagram's ``status`` shown) before ``media_publish``. Comments are
read, answered (``/replies``), hidden (``hide``) and deleted; posts cannot be deleted through the API.
"""

from __future__ import annotations

import contextlib
import re
import time
from typing import Any, ClassVar

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pappus.connectors.contracts import (
    AccountInfo,
    Capability,
    ConnectField,
    InboundItem,
    InboundKind,
    InboundPage,
    MetricSnapshot,
    PostKind,
    PublishLimits,
    PublishRequest,
    PublishResult,
    RateLimitBudget,
    is_video,
)
from pappus.connectors.errors import (
    ContentRejectedError,
    NotFoundError,
    NotSupportedError,
    RateLimitedError,
    TemporaryFailureError,
)
from pappus.connectors.facebook.client import graph_time
from pappus.connectors.facebook.graph import GRAPH_VERSION, GraphConnector, insight_values
from pappus.connectors.facebook.login import instagram_accounts
from pappus.connectors.oauth import OAuthSpec
from pappus.connectors.registry import register

# Captions: 2,200 characters, at most 30 hashtags and 20 @-tags. Images: JPEG only, at most 8 MB.
# Videos (Reels, and carousel videos): MP4 or MOV up to 1 GB (the Reels specification: 300 MB for
# carousel items, checked below). A carousel holds at most 10 items.
DEFAULT_LIMITS = PublishLimits(
    max_characters=2200,
    max_media=10,
    media_types=frozenset({"image/jpeg", "video/mp4", "video/quicktime"}),
    max_media_bytes=8 * 1024 * 1024,
    max_video_bytes=1024 * 1024 * 1024,
    stories=True,
)
MAXIMUM_CAROUSEL_VIDEO_BYTES = 300 * 1024 * 1024
# Stories (media_type=STORIES): one JPEG image (8 MB) or one MP4/MOV video of at most 100 MB; the API
# takes no caption for a story. A Reel's cover (cover_url): a JPEG of at most 8 MB.
MAXIMUM_STORY_VIDEO_BYTES = 100 * 1024 * 1024
MAXIMUM_COVER_BYTES = 8 * 1024 * 1024
MAXIMUM_HASHTAGS = 30
MAXIMUM_MENTIONS = 20
INBOX_POSTS = 10
MEDIA_INSIGHTS = ("reach", "views", "shares", "saved")
# A container is usually ready at once; wait this long at most before publishing it.
CONTAINER_READY_ATTEMPTS = 10
CONTAINER_READY_PAUSE_SECONDS = 1.0
# A video is processed for longer: Meta suggests checking about once a minute for up to five minutes.
VIDEO_READY_ATTEMPTS = 30
VIDEO_READY_PAUSE_SECONDS = 10.0
_HASHTAG = re.compile(r"(?<!\w)#\w+")
_MENTION = re.compile(r"(?<![\w@])@[\w.]+")


@register
class InstagramConnector(GraphConnector):
    network: ClassVar[str] = "instagram"
    label: ClassVar[str] = "Instagram"
    # No listening (hashtag search is limited to 30 hashtags a week; not offered yet).
    capabilities: ClassVar[frozenset[Capability]] = frozenset(Capability) - {Capability.LISTEN}
    connect_fields: ClassVar[tuple[ConnectField, ...]] = (
        ConnectField(
            "access_token",
            gettext_lazy("Access token"),
            secret=True,
            help_text=gettext_lazy(
                "A long-lived token from your own Meta app with instagram_basic, instagram_content_publish, "
                "instagram_manage_comments, instagram_manage_insights and pages_read_engagement."
            ),
        ),
        ConnectField(
            "ig_user_id",
            gettext_lazy("Instagram account id"),
            help_text=gettext_lazy(
                "The id of the Instagram professional account (GET /{page-id}?fields=instagram_business_account)."
            ),
        ),
    )
    default_base_url: ClassVar[str] = "https://graph.facebook.com"
    default_limits: ClassVar[PublishLimits | None] = DEFAULT_LIMITS
    # The Graph API has no idempotency key: a container published again is a second post.
    idempotency_window_seconds: ClassVar[int] = 0
    remote_ids_are_global: ClassVar[bool] = True  # Graph API media and comment ids are unique across Instagram
    # The same Facebook Login as Pages; the accounts offered are the Pages' instagram_business_account,
    # each used with its Page's non-expiring token (facebook/login.py).
    oauth: ClassVar[OAuthSpec] = OAuthSpec(
        authorize_url=f"https://www.facebook.com/{GRAPH_VERSION}/dialog/oauth",
        token_url=f"https://graph.facebook.com/{GRAPH_VERSION}/oauth/access_token",
        scopes=(
            "instagram_basic",
            "instagram_content_publish",
            "instagram_manage_comments",
            "instagram_manage_insights",
            "pages_show_list",
            "pages_read_engagement",
        ),
        client_authentication="body",
        developer_console_url="https://developers.facebook.com/apps/",
        scope_separator=",",
        accounts=instagram_accounts,
        choose_accounts=True,
    )

    @property
    def user_id(self) -> str:
        user = str(self.options.get("ig_user_id") or "").strip()
        if not user:
            raise ContentRejectedError(
                _("No Instagram account id is set for this account: reconnect it with the account's id."),
                network=self.network,
                checked_locally=True,
            )
        return user

    # --- account --------------------------------------------------------------------------------

    def account_info(self) -> AccountInfo:
        user = self.graph("GET", self.user_id, params={"fields": "id,username,name,followers_count"})
        username = str(user.get("username") or user["id"])
        return AccountInfo(
            remote_id=str(user["id"]),
            handle=f"@{username}",
            display_name=str(user.get("name") or ""),
            url=f"https://www.instagram.com/{username}/",
            followers=user.get("followers_count"),
        )

    def account_metrics(self) -> MetricSnapshot:
        user = self.graph("GET", self.user_id, params={"fields": "followers_count,follows_count,media_count"})
        return MetricSnapshot(
            taken_at=timezone.now(),
            followers=user.get("followers_count"),
            following=user.get("follows_count"),
            posts=user.get("media_count"),
        )

    def post_metrics(self, remote_id: str) -> MetricSnapshot:
        media_id = self._split(remote_id)[0]
        media = self.graph("GET", media_id, params={"fields": "like_count,comments_count"})
        insights: dict[str, int] = {}
        # (#10) "Not enough viewers for the media to show insights": the counters above still hold
        with contextlib.suppress(ContentRejectedError):
            insights = insight_values(
                self.graph("GET", f"{media_id}/insights", params={"metric": ",".join(MEDIA_INSIGHTS)})
            )
        return MetricSnapshot(
            taken_at=timezone.now(),
            remote_id=remote_id,
            likes=media.get("like_count"),
            replies=media.get("comments_count"),
            shares=insights.get("shares"),
            reach=insights.get("reach"),
            impressions=insights.get("views"),
        )

    # --- publishing -----------------------------------------------------------------------------

    def check_limits(self, request: PublishRequest) -> None:
        problems = self.limits().problems(request)
        caption = request.full_text()
        if not request.media:
            problems.append(_("An Instagram post needs at least one image."))
        if len(request.media) > 1:
            for media in request.media:
                if is_video(media) and media.size > MAXIMUM_CAROUSEL_VIDEO_BYTES:
                    problems.append(
                        _("%(name)s is %(size)s bytes; a video in an Instagram carousel may have %(limit)s.")
                        % {"name": media.filename, "size": media.size, "limit": MAXIMUM_CAROUSEL_VIDEO_BYTES}
                    )
        hashtags = len(_HASHTAG.findall(caption))
        if hashtags > MAXIMUM_HASHTAGS:
            problems.append(
                _("The caption has %(count)s hashtags; Instagram allows %(limit)s.")
                % {"count": hashtags, "limit": MAXIMUM_HASHTAGS}
            )
        mentions = len(_MENTION.findall(caption))
        if mentions > MAXIMUM_MENTIONS:
            problems.append(
                _("The caption tags %(count)s accounts; Instagram allows %(limit)s.")
                % {"count": mentions, "limit": MAXIMUM_MENTIONS}
            )
        problems += self._story_and_cover_problems(request)
        for media in (*request.media, *(media.cover for media in request.media if media.cover is not None)):
            if not media.source_url:
                problems.append(
                    _(
                        "Instagram fetches %(name)s from a public address, and this file has none: set "
                        "PAPPUS_PUBLIC_URL to the address at which the network can reach this Pappus."
                    )
                    % {"name": media.filename}
                )
        if problems:
            raise ContentRejectedError(" ".join(problems), network=self.network, checked_locally=True)

    @staticmethod
    def _story_and_cover_problems(request: PublishRequest) -> list[str]:
        problems: list[str] = []
        story = request.kind == PostKind.STORY
        reel = not story and len(request.media) == 1 and is_video(request.media[0])
        if story and len(request.media) > 1:
            problems.append(_("An Instagram story is one image or one video."))
        if story and request.full_text().strip():
            problems.append(_("Instagram stories carry no text: remove it, or put it in the image or video."))
        for media in request.media:
            if story and is_video(media) and media.size > MAXIMUM_STORY_VIDEO_BYTES:
                problems.append(
                    _("%(name)s is %(size)s bytes; a video in an Instagram story may have %(limit)s.")
                    % {"name": media.filename, "size": media.size, "limit": MAXIMUM_STORY_VIDEO_BYTES}
                )
            if (media.cover is not None or media.thumbnail_offset_ms is not None) and not reel:
                problems.append(
                    _("%(name)s has a cover, which Instagram shows only on a Reel (a video posted alone).")
                    % {"name": media.filename}
                )
            cover = media.cover
            if cover is not None and cover.mime_type != "image/jpeg":
                problems.append(
                    _("The cover %(name)s is of type %(type)s; Instagram takes JPEG covers.")
                    % {"name": cover.filename, "type": cover.mime_type}
                )
            elif cover is not None and cover.size > MAXIMUM_COVER_BYTES:
                problems.append(
                    _("The cover %(name)s is %(size)s bytes; the limit here is %(limit)s bytes.")
                    % {"name": cover.filename, "size": cover.size, "limit": MAXIMUM_COVER_BYTES}
                )
            if media.thumbnail_offset_ms is not None and media.thumbnail_offset_ms < 0:
                problems.append(_("The cover frame of %(name)s is before the start.") % {"name": media.filename})
        return problems

    def publishing_quota(self) -> RateLimitBudget | None:
        """What is left of the rolling 24-hour publishing quota (``content_publishing_limit``)."""
        answer = self.graph("GET", f"{self.user_id}/content_publishing_limit", params={"fields": "quota_usage,config"})
        entries = answer.get("data") or []
        if not entries:
            return None
        usage = entries[0].get("quota_usage")
        total = (entries[0].get("config") or {}).get("quota_total")
        if not isinstance(usage, int) or not isinstance(total, int):
            return None
        return RateLimitBudget(limit=total, remaining=max(0, total - usage))

    def _container(self, fields: dict[str, str]) -> str:
        return str(self.graph("POST", f"{self.user_id}/media", data=fields)["id"])

    def _wait_until_ready(self, container_id: str, *, video: bool = False) -> None:
        attempts = VIDEO_READY_ATTEMPTS if video else CONTAINER_READY_ATTEMPTS
        pause = VIDEO_READY_PAUSE_SECONDS if video else CONTAINER_READY_PAUSE_SECONDS
        for attempt in range(attempts):
            state = self.graph("GET", container_id, params={"fields": "status_code,status"})
            code = state.get("status_code")
            if code in {"FINISHED", "PUBLISHED"}:
                return
            if code in {"ERROR", "EXPIRED"}:
                raise ContentRejectedError(
                    _("Instagram could not prepare the post: %(status)s") % {"status": state.get("status") or code},
                    network=self.network,
                )
            if attempt + 1 < attempts:
                time.sleep(pause)
        raise TemporaryFailureError(_("Instagram is still preparing the post."), network=self.network)

    def publish(self, request: PublishRequest) -> PublishResult:
        self.check_limits(request)
        quota = self.publishing_quota()
        if quota is not None:
            self._rate_limit = quota
            if quota.remaining == 0:
                raise RateLimitedError(
                    _("Instagram's limit of %(limit)s posts in 24 hours is reached.") % {"limit": quota.limit},
                    network=self.network,
                )
        caption = request.full_text()
        if request.kind == PostKind.STORY:
            # A story: one image or video, no caption; shown for 24 hours.
            media = request.media[0]
            address = {"video_url": media.source_url} if is_video(media) else {"image_url": media.source_url}
            container = self._container({"media_type": "STORIES", **address})
            self._wait_until_ready(container, video=is_video(media))
        elif len(request.media) == 1 and is_video(request.media[0]):
            # A Reel, also shown in the feed (single feed videos are Reels since 2023).
            video = request.media[0]
            fields = {"media_type": "REELS", "video_url": video.source_url, "caption": caption, "share_to_feed": "true"}
            if video.cover is not None:
                fields["cover_url"] = video.cover.source_url  # Instagram ignores thumb_offset with a cover
            elif video.thumbnail_offset_ms is not None:
                fields["thumb_offset"] = str(video.thumbnail_offset_ms)
            container = self._container(fields)
            self._wait_until_ready(container, video=True)
        elif len(request.media) == 1:
            media = request.media[0]
            fields = {"image_url": media.source_url, "caption": caption}
            if media.description:
                fields["alt_text"] = media.description
            container = self._container(fields)
            self._wait_until_ready(container)
        else:
            children = []
            for media in request.media:
                if is_video(media):
                    item = {"media_type": "VIDEO", "video_url": media.source_url, "is_carousel_item": "true"}
                    child = self._container(item)
                    self._wait_until_ready(child, video=True)
                else:
                    item = {"image_url": media.source_url, "is_carousel_item": "true"}
                    if media.description:
                        item["alt_text"] = media.description
                    child = self._container(item)
                children.append(child)
            container = self._container({"media_type": "CAROUSEL", "children": ",".join(children), "caption": caption})
            self._wait_until_ready(container)
        published = self.graph("POST", f"{self.user_id}/media_publish", data={"creation_id": container})
        media_id = str(published["id"])
        details = self.graph("GET", media_id, params={"fields": "permalink,timestamp"})
        return PublishResult(
            remote_id=media_id,
            url=str(details.get("permalink") or ""),
            published_at=graph_time(details.get("timestamp")) or timezone.now(),
            raw=published,
        )

    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult:
        """A comment on a post (``<media id>``) or an answer to a comment (``<media id>/<comment id>``), text only."""
        problems = self.limits().problems(request)
        if request.media:
            problems.append(_("Instagram comments take text only."))
        if problems:
            raise ContentRejectedError(" ".join(problems), network=self.network, checked_locally=True)
        media_id, comment_id = self._split(parent_remote_id)
        if comment_id:
            answer = self.graph("POST", f"{comment_id}/replies", data={"message": request.full_text()})
        else:
            answer = self.graph("POST", f"{media_id}/comments", data={"message": request.full_text()})
        return PublishResult(remote_id=f"{media_id}/{answer['id']}", url="", published_at=timezone.now(), raw=answer)

    def delete(self, remote_id: str) -> None:
        """Delete a comment on one of the account's posts; posts themselves cannot be deleted through the API."""
        _media_id, comment_id = self._split(remote_id)
        if not comment_id:
            raise NotSupportedError(
                _("Instagram's API cannot delete posts: delete it in the Instagram app."), network=self.network
            )
        self.graph("DELETE", comment_id)

    def hide(self, remote_id: str, *, hidden: bool = True) -> None:
        """Hide a comment from everyone but its author (or show it again)."""
        _media_id, comment_id = self._split(remote_id)
        if not comment_id:
            raise NotSupportedError(_("Only comments can be hidden on Instagram."), network=self.network)
        self.graph("POST", comment_id, data={"hide": "true" if hidden else "false"})

    def _split(self, remote_id: str) -> tuple[str, str]:
        media_id, _separator, comment_id = remote_id.strip().partition("/")
        if not media_id.isdigit() or (comment_id and not comment_id.isdigit()):
            raise NotFoundError(f"not an Instagram post or comment: {remote_id!r}", network=self.network)
        return media_id, comment_id

    # --- reading ----------------------------------------------------------------------------------

    def inbox(self, *, cursor: str = "", limit: int = 40) -> InboundPage:
        """Comments and answers to them on the account's newest posts since ``cursor``, newest first.

        The cursor is the newest ``timestamp`` read; the account's own comments are left out.
        """
        after = graph_time(cursor)
        me = self.graph("GET", self.user_id, params={"fields": "username"}).get("username")
        comment_fields = "id,text,timestamp,username,from"
        fields = f"id,permalink,comments{{{comment_fields},replies{{{comment_fields}}}}}"
        media = self.graph("GET", f"{self.user_id}/media", params={"fields": fields, "limit": INBOX_POSTS})
        items: list[InboundItem] = []
        for post in media.get("data") or []:
            for comment in (post.get("comments") or {}).get("data") or []:
                replies = (comment.get("replies") or {}).get("data") or []
                for entry, parent in ((comment, ""), *((reply, comment["id"]) for reply in replies)):
                    written = graph_time(entry.get("timestamp"))
                    if entry.get("username") == me or (after and written and written <= after):
                        continue
                    items.append(self._comment(entry, post, parent, written))
        oldest_first = sorted(items, key=lambda item: item.published_at or timezone.now())[:limit]
        newest = oldest_first[-1].raw.get("timestamp") if oldest_first else cursor
        return InboundPage(items=tuple(reversed(oldest_first)), cursor=str(newest or ""))

    def _comment(self, entry: dict[str, Any], post: dict[str, Any], parent: str, written: Any) -> InboundItem:
        author = entry.get("from") or {}
        username = str(entry.get("username") or author.get("username") or "")
        return InboundItem(
            network=self.network,
            remote_id=f"{post['id']}/{entry['id']}",
            kind=InboundKind.COMMENT,
            text=str(entry.get("text") or ""),
            author_handle=f"@{username}" if username else "",
            author_id=str(author.get("id") or ""),
            url=str(post.get("permalink") or ""),
            published_at=written,
            parent_remote_id=f"{post['id']}/{parent}" if parent else str(post["id"]),
            conversation_id=str(post["id"]),
            raw=entry,
        )
