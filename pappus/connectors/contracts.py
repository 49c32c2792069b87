"""What crosses the connector boundary: frozen dataclasses, free of any network's own shapes."""

from __future__ import annotations

import datetime
import io
import os
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, BinaryIO

import regex  # type: ignore[import-untyped]  # \X: Unicode extended grapheme clusters (UAX #29)
from django.utils.translation import gettext as _

from pappus.connectors.errors import ContentRejectedError

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Capability(StrEnum):
    LISTEN = "listen"  # search or follow public items (mentions of a brand, hashtags)
    INBOX = "inbox"  # comments, mentions and direct messages addressed to the account
    PUBLISH = "publish"  # new posts
    REPLY = "reply"  # answers to an inbound item or a post
    MODERATE = "moderate"  # delete or hide where the network allows
    METRICS = "metrics"  # account and post counters
    MEDIA = "media"  # images (or other files) attached to posts


class PostKind(StrEnum):
    POST = "post"  # a post in the feed (or the network's only kind)
    STORY = "story"  # a story, shown for 24 hours (Instagram); refused where ``PublishLimits.stories`` is False


class InboundKind(StrEnum):
    MENTION = "mention"
    COMMENT = "comment"  # a reply to one of the account's posts
    DIRECT_MESSAGE = "direct_message"
    MESSAGE = "message"  # a message in a shared room or group


@dataclass(frozen=True, slots=True)
class MediaFile:
    """A file to attach; ``description`` is the alt text.

    ``source_url``: a public address the network may fetch the file from, for networks that take no
    uploaded images and fetch them themselves (Instagram's Graph API); others ignore it.

    ``path``: the file on disk, for large files that are streamed instead of held in memory; then
    ``content`` may be empty. Read through :meth:`read`, :meth:`size` and :meth:`chunks`, which work
    either way (connectors that stream read ``chunks``; the others read the whole file with ``read``).

    A video may name its cover: ``cover`` (an image file, for networks that show one on the video's
    tile: Instagram Reels fetch it from its ``source_url``) or else ``thumbnail_offset_ms`` (the frame,
    in milliseconds from the start, that the network takes as the cover).
    """

    content: bytes = field(repr=False)
    mime_type: str
    filename: str = "upload"
    description: str = ""
    source_url: str = ""
    path: str = ""
    cover: MediaFile | None = None
    thumbnail_offset_ms: int | None = None

    @property
    def size(self) -> int:
        """Bytes in the file (without reading it when it is on disk)."""
        if self.content or not self.path:
            return len(self.content)
        return os.path.getsize(self.path)

    def read(self) -> bytes:
        """The whole file (read from disk when only ``path`` is given)."""
        if self.content or not self.path:
            return self.content
        with open(self.path, "rb") as stored:
            return stored.read()

    def read_range(self, start: int, count: int) -> bytes:
        """At most ``count`` bytes from byte ``start`` (only those in memory)."""
        if self.content or not self.path:
            return self.content[start : start + count]
        with open(self.path, "rb") as stored:
            stored.seek(start)
            return stored.read(count)

    def chunks(self, start: int = 0, chunk_bytes: int = 8 * 1024 * 1024) -> Iterator[bytes]:
        """The file from byte ``start`` on, ``chunk_bytes`` at a time (never more in memory)."""
        if self.content or not self.path:
            for offset in range(start, len(self.content), chunk_bytes):
                yield self.content[offset : offset + chunk_bytes]
            return
        with open(self.path, "rb") as stored:
            stored.seek(start)
            while piece := stored.read(chunk_bytes):
                yield piece

    def open(self) -> BinaryIO:
        """The file as a binary stream (the file on disk, or the bytes in memory); close it after use.

        httpx reads a stream given as a multipart file 64 KiB at a time and seeks back to the start
        when a request is sent again, so an upload from disk never holds the whole file.
        """
        if self.content or not self.path:
            return io.BytesIO(self.content)
        return open(self.path, "rb")

    def body(self, chunk_bytes: int = 1024 * 1024) -> FileBody:
        """The file as a raw request body read ``chunk_bytes`` at a time (send ``size`` as Content-Length)."""
        return FileBody(self, chunk_bytes)


class FileBody:
    """A request body that reads a file a chunk at a time, and again from the start on each
    iteration (httpx refuses to send a consumed generator twice; this one can be repeated)."""

    def __init__(self, media: MediaFile, chunk_bytes: int) -> None:
        self.media = media
        self.chunk_bytes = chunk_bytes

    def __iter__(self) -> Iterator[bytes]:
        return self.media.chunks(0, self.chunk_bytes)


def is_video(media: MediaFile) -> bool:
    return media.mime_type.startswith("video/")


@dataclass(frozen=True, slots=True)
class PublishRequest:
    """A post or a reply: text, media and a link; ``target`` names a room or channel where the network needs one.

    ``idempotency_key`` is sent where the network honours one, so that a retried request does not post twice.
    """

    text: str = ""
    media: tuple[MediaFile, ...] = ()
    link: str = ""
    target: str = ""
    idempotency_key: str = ""
    kind: PostKind = PostKind.POST

    def full_text(self) -> str:
        """The text with the link appended unless the text already carries it."""
        if self.link and self.link not in self.text:
            return f"{self.text}\n\n{self.link}" if self.text else self.link
        return self.text


@dataclass(frozen=True, slots=True)
class PublishResult:
    remote_id: str
    url: str
    published_at: datetime.datetime | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True, slots=True)
class InboundItem:
    """A comment, mention or message addressed to the account, in one shape for every network."""

    network: str
    remote_id: str
    kind: InboundKind
    text: str
    author_handle: str
    author_name: str = ""
    author_id: str = ""
    url: str = ""
    published_at: datetime.datetime | None = None
    parent_remote_id: str = ""
    conversation_id: str = ""
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def as_listening_item(self) -> dict[str, Any]:
        """The item in the field names that ``pappus.listening.pipeline.map_normalized`` reads."""
        return {
            "network": self.network,
            "external_id": self.remote_id,
            "text": self.text,
            "url": self.url,
            "author_handle": self.author_handle,
            "author_name": self.author_name,
            "published_at": self.published_at.isoformat() if self.published_at else None,
            "parent_external_id": self.parent_remote_id,
            "raw": dict(self.raw),
        }


@dataclass(frozen=True, slots=True)
class InboundPage:
    """Items newest first; pass ``cursor`` back to get only what arrived after them."""

    items: tuple[InboundItem, ...]
    cursor: str = ""


@dataclass(frozen=True, slots=True)
class MetricSnapshot:
    """Counters of a post (``remote_id``) or of the account (``remote_id`` empty); None = the network does not say."""

    taken_at: datetime.datetime
    remote_id: str = ""
    followers: int | None = None
    following: int | None = None
    posts: int | None = None
    likes: int | None = None
    shares: int | None = None
    replies: int | None = None
    impressions: int | None = None
    reach: int | None = None
    clicks: int | None = None


@dataclass(frozen=True, slots=True)
class AccountInfo:
    remote_id: str
    handle: str
    display_name: str = ""
    url: str = ""
    followers: int | None = None
    token_expires_at: datetime.datetime | None = None


@dataclass(frozen=True, slots=True)
class RateLimitBudget:
    """What the network said about the request budget on its last answer."""

    limit: int | None
    remaining: int | None
    resets_at: datetime.datetime | None = None


@dataclass(frozen=True, slots=True)
class ConnectField:
    """One value the connect form asks for: a credential (secret, encrypted) or an option (plain)."""

    name: str
    label: StrOrPromise
    secret: bool = False
    required: bool = True
    help_text: StrOrPromise = ""


_URL = re.compile(r"https?://\S+")
_GRAPHEME = regex.compile(r"\X")


def grapheme_count(text: str) -> int:
    """User-perceived characters (extended grapheme clusters), as Bluesky counts its 300."""
    return len(_GRAPHEME.findall(text))


@dataclass(frozen=True, slots=True)
class PublishLimits:
    """A network's limits on one post, checked before anything is sent."""

    max_characters: int
    max_media: int = 0
    media_types: frozenset[str] = frozenset()
    max_media_bytes: int | None = None
    # Networks that count every link as a fixed number of characters (Mastodon: 23).
    url_length: int | None = None
    # Networks that count what a reader sees as one character (Bluesky: "👍🏽" or "é" as e + accent is 1).
    count_graphemes: bool = False
    # Networks where the text under a file is a caption with a shorter limit (Telegram: 1024).
    max_caption_characters: int | None = None
    # Videos (``video/*`` among ``media_types``) may be larger than images: their own ceiling (None:
    # ``max_media_bytes`` holds for them too).
    max_video_bytes: int | None = None
    # Networks where a video goes out alone, never with other files in the same post (X, Facebook Pages).
    video_alone: bool = False
    # Networks that publish stories through their API (Instagram); elsewhere a story is refused.
    stories: bool = False

    def length(self, text: str) -> int:
        if self.url_length is not None:
            text = _URL.sub("x" * self.url_length, text)
        if self.count_graphemes:
            return grapheme_count(text)
        return len(text)

    def problems(self, request: PublishRequest) -> list[str]:
        """Every reason the request would be refused, for a person to read; empty when it fits."""
        found: list[str] = []
        text = request.full_text()
        if not text.strip() and not request.media:
            found.append(_("The post is empty: write some text or attach a file."))
        length = self.length(text)
        if length > self.max_characters:
            found.append(
                _("The text is %(length)s characters long; the limit here is %(limit)s.")
                % {"length": length, "limit": self.max_characters}
            )
        if request.media and self.max_caption_characters is not None and length > self.max_caption_characters:
            found.append(
                _("With a file attached the text is a caption of %(length)s characters; the limit here is %(limit)s.")
                % {"length": length, "limit": self.max_caption_characters}
            )
        if len(request.media) > self.max_media:
            found.append(
                _("%(count)s files are attached; at most %(limit)s are allowed here.")
                % {"count": len(request.media), "limit": self.max_media}
            )
        for media in request.media:
            ceiling = self.max_media_bytes
            if is_video(media) and self.max_video_bytes is not None:
                ceiling = self.max_video_bytes
            if media.mime_type not in self.media_types:
                found.append(
                    _("%(name)s is of type %(type)s, which cannot be posted here.")
                    % {"name": media.filename, "type": media.mime_type}
                )
            elif ceiling is not None and media.size > ceiling:
                found.append(
                    _("%(name)s is %(size)s bytes; the limit here is %(limit)s bytes.")
                    % {"name": media.filename, "size": media.size, "limit": ceiling}
                )
        if self.video_alone and len(request.media) > 1 and any(is_video(media) for media in request.media):
            found.append(_("A video is posted alone here: remove the other files or post them separately."))
        if request.kind == PostKind.STORY and not self.stories:
            found.append(_("Stories cannot be published to this network."))
        return found

    def check(self, request: PublishRequest, *, network: str = "") -> None:
        """Raise :class:`ContentRejectedError` (checked locally) naming every problem."""
        found = self.problems(request)
        if found:
            raise ContentRejectedError(" ".join(found), network=network, checked_locally=True)


# --- what the facade gives other apps (pappus.connectors.facade) ------------------------------


@dataclass(frozen=True, slots=True)
class NetworkProfile:
    """What a network's connector declares, known without any account or network call."""

    network: str
    label: str
    capabilities: frozenset[Capability]
    default_limits: PublishLimits | None
    idempotency_window_seconds: int  # 0: the network has no idempotency key; a re-send may post twice
    remote_ids_are_global: bool = False  # an id names the same item for every account and server
    streams_files: bool = False  # reads a large file from MediaFile.path in chunks (else wants content)


@dataclass(frozen=True, slots=True)
class TargetAccount:
    """A connected account a workspace may target (publish to, reply from, read), without its credentials.

    ``limits`` are the network's declared defaults; a server may publish its own, which the
    connector checks again when it sends.
    """

    id: int
    workspace_id: int
    network: str
    network_label: str
    handle: str
    display_name: str
    status: str  # pappus.connectors.models.AccountStatus: active, expired, failing
    region_id: int | None
    capabilities: frozenset[Capability]
    limits: PublishLimits | None
    idempotency_window_seconds: int  # the account's override where it has one, else the network's declaration
    last_error: str = ""

    @property
    def can_publish(self) -> bool:
        """Working now and able to publish (an expired or failing account needs a person first)."""
        return self.status == "active" and Capability.PUBLISH in self.capabilities
