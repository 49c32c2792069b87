"""Facebook Pages through the Graph API (v21.0) over plain httpx.

The account is a Page (its id is an option); the token is a Page access token with
``pages_manage_posts``, ``pages_read_engagement``, ``pages_manage_engagement`` and
``pages_read_user_content`` (a long-lived one from a system user or from exchanging a user token).
Posts: ``POST /{page-id}/feed`` (text, link) and ``/{page-id}/photos`` (one photo; several are
uploaded unpublished and attached with ``attached_media``). Comments: ``/{object-id}/comments``,
hidden with ``is_hidden``, deleted with ``DELETE /{id}``. Metrics: the post's reactions, comments
and shares, and its insights ``post_total_media_view_unique`` and ``post_clicks``.
"""

from __future__ import annotations

import contextlib
import datetime
import json
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
    MediaFile,
    MetricSnapshot,
    PublishLimits,
    PublishRequest,
    PublishResult,
    is_video,
)
from pappus.connectors.errors import ContentRejectedError, TemporaryFailureError
from pappus.connectors.facebook.graph import GRAPH_VERSION, GraphConnector, insight_values
from pappus.connectors.facebook.login import facebook_pages
from pappus.connectors.oauth import OAuthSpec
from pappus.connectors.registry import register

# A post's text: 63,206 characters. Page photos: JPEG, PNG, GIF or WebP under 4 MB. Several photos
# in one post through attached_media: Pappus sends at most 10. A video is a post of its own
# (POST /{page-id}/videos): up to 1 GB with the file as ``source`` (non-resumable); larger ones, and
# files streamed from disk, through a resumable upload session (start, transfer in the chunks the
# Graph API asks for, finish), up to the 10 GB Pages take.
DEFAULT_LIMITS = PublishLimits(
    max_characters=63_206,
    max_media=10,
    media_types=frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "video/quicktime"}),
    max_media_bytes=4 * 1024 * 1024,
    max_video_bytes=10 * 1024 * 1024 * 1024,
    video_alone=True,
)
NON_RESUMABLE_VIDEO_BYTES = 1024 * 1024 * 1024
# A chunk the Graph API could not take (a transient error, a broken connection) is sent again, at most
# this many times, waiting 1, 2, 4 … seconds.
TRANSFER_ATTEMPTS = 5
TRANSFER_PAUSE_SECONDS = 1.0
# The Graph API names each chunk's range; a chunk larger than this would be refused rather than held.
MAXIMUM_CHUNK_BYTES = 64 * 1024 * 1024
INBOX_POSTS = 10
POST_INSIGHTS = ("post_total_media_view_unique", "post_clicks")
SITE = "https://www.facebook.com"


def graph_time(value: Any) -> datetime.datetime | None:
    """Graph timestamps: ISO 8601 with a +0000 offset (``2026-11-02T10:00:00+0000``)."""
    if not isinstance(value, str):
        return None
    try:
        return datetime.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S%z")
    except ValueError:
        return None


@register
class FacebookConnector(GraphConnector):
    network: ClassVar[str] = "facebook"
    label: ClassVar[str] = "Facebook"
    # No listening: the Graph API has no public post search.
    capabilities: ClassVar[frozenset[Capability]] = frozenset(Capability) - {Capability.LISTEN}
    connect_fields: ClassVar[tuple[ConnectField, ...]] = (
        ConnectField(
            "access_token",
            gettext_lazy("Page access token"),
            secret=True,
            help_text=gettext_lazy(
                "A long-lived Page token from your own Meta app, with pages_manage_posts, pages_read_engagement, "
                "pages_manage_engagement and pages_read_user_content."
            ),
        ),
        ConnectField("page_id", gettext_lazy("Page id"), help_text=gettext_lazy("The numeric id of the Page.")),
    )
    default_base_url: ClassVar[str] = "https://graph.facebook.com"
    default_limits: ClassVar[PublishLimits | None] = DEFAULT_LIMITS
    # The Graph API has no idempotency key: a post sent again is a second post.
    idempotency_window_seconds: ClassVar[int] = 0
    streams_files: ClassVar[bool] = True  # large files are read from disk a chunk at a time
    remote_ids_are_global: ClassVar[bool] = True  # Graph API object ids are unique across Facebook
    # Facebook Login with the workspace's Meta app: the code gives a short-lived user token, exchanged
    # for a long-lived one, whose /me/accounts lists the Pages with Page tokens that do not expire;
    # the person picks the Page(s) to connect (facebook/login.py).
    oauth: ClassVar[OAuthSpec] = OAuthSpec(
        authorize_url=f"https://www.facebook.com/{GRAPH_VERSION}/dialog/oauth",
        token_url=f"https://graph.facebook.com/{GRAPH_VERSION}/oauth/access_token",
        scopes=(
            "pages_show_list",
            "pages_manage_posts",
            "pages_read_engagement",
            "pages_manage_engagement",
            "pages_read_user_content",
            "read_insights",
        ),
        client_authentication="body",
        developer_console_url="https://developers.facebook.com/apps/",
        scope_separator=",",
        accounts=facebook_pages,
        choose_accounts=True,
    )

    @property
    def page_id(self) -> str:
        page = str(self.options.get("page_id") or "").strip()
        if not page:
            raise ContentRejectedError(
                _("No Page id is set for this account: reconnect it with the Page's id."),
                network=self.network,
                checked_locally=True,
            )
        return page

    # --- account --------------------------------------------------------------------------------

    def account_info(self) -> AccountInfo:
        page = self.graph("GET", self.page_id, params={"fields": "id,name,username,link,followers_count"})
        handle = str(page.get("username") or page["id"])
        return AccountInfo(
            remote_id=str(page["id"]),
            handle=handle,
            display_name=str(page.get("name") or ""),
            url=str(page.get("link") or f"{SITE}/{page['id']}"),
            followers=page.get("followers_count"),
        )

    def account_metrics(self) -> MetricSnapshot:
        page = self.graph("GET", self.page_id, params={"fields": "followers_count"})
        return MetricSnapshot(taken_at=timezone.now(), followers=page.get("followers_count"))

    def post_metrics(self, remote_id: str) -> MetricSnapshot:
        fields = "shares,comments.summary(true).limit(0),reactions.summary(true).limit(0)"
        post = self.graph("GET", remote_id, params={"fields": fields})
        insights: dict[str, int] = {}
        # insights need 100 Page likes and the read_insights permission; the counters above still hold
        with contextlib.suppress(ContentRejectedError):
            insights = insight_values(
                self.graph("GET", f"{remote_id}/insights", params={"metric": ",".join(POST_INSIGHTS)})
            )
        return MetricSnapshot(
            taken_at=timezone.now(),
            remote_id=remote_id,
            likes=((post.get("reactions") or {}).get("summary") or {}).get("total_count"),
            replies=((post.get("comments") or {}).get("summary") or {}).get("total_count"),
            shares=(post.get("shares") or {}).get("count", 0),
            reach=insights.get("post_total_media_view_unique"),
            clicks=insights.get("post_clicks"),
        )

    # --- publishing -----------------------------------------------------------------------------

    def publish(self, request: PublishRequest) -> PublishResult:
        self.check_limits(request)
        text = request.text if request.link else request.full_text()
        if len(request.media) == 1 and is_video(request.media[0]):
            media = request.media[0]
            if media.size > NON_RESUMABLE_VIDEO_BYTES or (media.path and not media.content):
                return self._publish_resumable_video(media, request.full_text())
            answer = self.graph(
                "POST",
                f"{self.page_id}/videos",
                data={"description": request.full_text()},
                files={"source": (media.filename, media.read(), media.mime_type)},
            )
            video_id = str(answer["id"])
            return PublishResult(
                remote_id=video_id,
                url=f"{SITE}/{self.page_id}/videos/{video_id}",
                published_at=timezone.now(),
                raw=answer,
            )
        if len(request.media) == 1:
            media = request.media[0]
            answer = self.graph(
                "POST",
                f"{self.page_id}/photos",
                data={
                    "caption": request.full_text(),
                    **({"alt_text_custom": media.description} if media.description else {}),
                },
                files={"source": (media.filename, media.read(), media.mime_type)},
            )
            post_id = str(answer.get("post_id") or answer["id"])
        else:
            fields: dict[str, str] = {"message": text}
            if request.link:
                fields["link"] = request.link
            for position, media in enumerate(request.media):
                # Uploaded unpublished (never shown by itself, so a broken connection may repeat it).
                photo = self.graph(
                    "POST",
                    f"{self.page_id}/photos",
                    data={
                        "published": "false",
                        **({"alt_text_custom": media.description} if media.description else {}),
                    },
                    files={"source": (media.filename, media.read(), media.mime_type)},
                    repeatable=True,
                )
                fields[f"attached_media[{position}]"] = json.dumps({"media_fbid": str(photo["id"])})
            answer = self.graph("POST", f"{self.page_id}/feed", data=fields)
            post_id = str(answer["id"])
        return PublishResult(remote_id=post_id, url=f"{SITE}/{post_id}", published_at=timezone.now(), raw=answer)

    def _publish_resumable_video(self, media: MediaFile, description: str) -> PublishResult:
        """start (the session and the first range) → transfer each range the Graph API asks for, read
        from disk one at a time → finish (which publishes the video with its description)."""
        path = f"{self.page_id}/videos"
        total = media.size
        started = self.graph(
            "POST", path, data={"upload_phase": "start", "file_size": str(total)}, repeatable=True
        )  # an unused session posts nothing
        session, video_id = str(started.get("upload_session_id") or ""), str(started.get("video_id") or "")
        if not session or not video_id:
            raise TemporaryFailureError(f"{self.label} did not open an upload session", network=self.network)
        start, end = self._offsets(started)
        while start < end:
            if end - start > MAXIMUM_CHUNK_BYTES:
                raise TemporaryFailureError(
                    f"{self.label} asked for a chunk of {end - start} bytes", network=self.network
                )
            chunk = media.read_range(start, end - start)
            answer = self._transfer(path, session, start, media.filename, chunk)
            start, end = self._offsets(answer)
        finished = self.graph(
            "POST",
            path,
            data={"upload_phase": "finish", "upload_session_id": session, "description": description},
        )
        if not finished.get("success"):
            raise TemporaryFailureError(f"{self.label} did not finish the video upload", network=self.network)
        return PublishResult(
            remote_id=video_id,
            url=f"{SITE}/{self.page_id}/videos/{video_id}",
            published_at=timezone.now(),
            raw={**started, **finished},
        )

    def _offsets(self, answer: Any) -> tuple[int, int]:
        try:
            return int(answer["start_offset"]), int(answer["end_offset"])
        except (KeyError, TypeError, ValueError) as error:
            raise TemporaryFailureError(
                f"{self.label} answered the video upload without its offsets", network=self.network
            ) from error

    def _transfer(self, path: str, session: str, start: int, filename: str, chunk: bytes) -> Any:
        """One chunk at ``start``; sent again after a temporary failure (the session takes a range once)."""
        for attempt in range(TRANSFER_ATTEMPTS):
            try:
                return self.graph(
                    "POST",
                    path,
                    data={"upload_phase": "transfer", "upload_session_id": session, "start_offset": str(start)},
                    files={"video_file_chunk": (filename, chunk, "application/octet-stream")},
                    repeatable=True,
                )
            except TemporaryFailureError:
                if attempt + 1 == TRANSFER_ATTEMPTS:
                    raise
                time.sleep(TRANSFER_PAUSE_SECONDS * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult:
        """A comment on a Page post, or an answer to a comment, written as the Page (text only)."""
        self.check_limits(request)
        if request.media:
            raise ContentRejectedError(
                _("Pappus answers Facebook comments with text only."), network=self.network, checked_locally=True
            )
        answer = self.graph("POST", f"{parent_remote_id}/comments", data={"message": request.full_text()})
        comment_id = str(answer["id"])
        return PublishResult(remote_id=comment_id, url=f"{SITE}/{comment_id}", published_at=timezone.now(), raw=answer)

    def delete(self, remote_id: str) -> None:
        """Delete a Page post or a comment on one."""
        self.graph("DELETE", remote_id)

    def hide(self, remote_id: str, *, hidden: bool = True) -> None:
        """Hide a comment from everyone but its author and their friends (``is_hidden``), or show it again."""
        self.graph("POST", remote_id, data={"is_hidden": "true" if hidden else "false"})

    # --- reading ----------------------------------------------------------------------------------

    def inbox(self, *, cursor: str = "", limit: int = 40) -> InboundPage:
        """Comments (answers to comments included) on the Page's newest posts since ``cursor``, newest first.

        The cursor is the newest ``created_time`` read; the Page's own comments are left out.
        """
        after = graph_time(cursor)
        count = max(1, min(limit, 100))
        comment_fields = "id,message,created_time,from,parent{id},permalink_url"
        fields = (
            f"id,permalink_url,comments.filter(stream).order(reverse_chronological).limit({count}){{{comment_fields}}}"
        )
        feed = self.graph("GET", f"{self.page_id}/feed", params={"fields": fields, "limit": INBOX_POSTS})
        items: list[InboundItem] = []
        for post in feed.get("data") or []:
            for comment in (post.get("comments") or {}).get("data") or []:
                written = graph_time(comment.get("created_time"))
                author = comment.get("from") or {}
                if str(author.get("id") or "") == self.page_id or (after and written and written <= after):
                    continue
                items.append(
                    InboundItem(
                        network=self.network,
                        remote_id=str(comment["id"]),
                        kind=InboundKind.COMMENT,
                        text=str(comment.get("message") or ""),
                        author_handle=str(author.get("id") or ""),
                        author_name=str(author.get("name") or ""),
                        author_id=str(author.get("id") or ""),
                        url=str(comment.get("permalink_url") or f"{SITE}/{comment['id']}"),
                        published_at=written,
                        parent_remote_id=str((comment.get("parent") or {}).get("id") or post["id"]),
                        conversation_id=str(post["id"]),
                        raw=comment,
                    )
                )
        oldest_first = sorted(items, key=lambda item: item.published_at or timezone.now())[:limit]
        newest = oldest_first[-1].raw.get("created_time") if oldest_first else cursor
        return InboundPage(items=tuple(reversed(oldest_first)), cursor=str(newest or ""))
