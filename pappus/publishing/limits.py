"""Each network's limits on a post, and the check of a variant against them.

Limits come from the network's connector (``pappus.connectors.facade.default_limits``) when it has one;
for a network without one yet, from the documented defaults below, so a plan can be written for a
network before its connector exists. Every problem names the variant and the limit it breaks.
"""

from __future__ import annotations

import logging
import mimetypes
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.utils.translation import gettext as _

from pappus.connectors import facade as connector_facade
from pappus.connectors.contracts import PublishLimits

logger = logging.getLogger("pappus.publishing")

_IMAGES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
_VIDEO = frozenset({"video/mp4", "video/webm", "video/quicktime"})

# The networks' documented limits, used when no connector of the network is registered.
DOCUMENTED_LIMITS: dict[str, PublishLimits] = {
    # Mastodon: 500 characters by default, every link counts as 23; 4 attachments.
    "mastodon": PublishLimits(
        max_characters=500, max_media=4, media_types=_IMAGES | _VIDEO, max_media_bytes=16 * 1024**2, url_length=23
    ),
    # Bluesky: 300 graphemes, 4 images of at most 1 MB.
    "bluesky": PublishLimits(max_characters=300, max_media=4, media_types=_IMAGES, max_media_bytes=1_000_000),
    # Matrix: an event is at most 65,536 bytes; one file per message.
    "matrix": PublishLimits(max_characters=60_000, max_media=1, media_types=_IMAGES | _VIDEO),
    "telegram": PublishLimits(max_characters=4096, max_media=10, media_types=_IMAGES | _VIDEO),
    "x": PublishLimits(max_characters=280, max_media=4, media_types=_IMAGES | _VIDEO, url_length=23),
    "vk": PublishLimits(max_characters=16_384, max_media=10, media_types=_IMAGES | _VIDEO),
}
GENERIC_LIMITS = PublishLimits(max_characters=5000, max_media=4, media_types=_IMAGES | _VIDEO)


@lru_cache(maxsize=32)
def network_limits(network: str) -> PublishLimits:
    """The limits of one post on ``network``: the connector's declared defaults when it has a connector.

    No network is contacted here (an instance may configure its own limits, which the connector
    checks again when it sends): what the connector declares, else the documented limits above.
    """
    declared = connector_facade.default_limits(network)
    if declared is not None:
        return declared
    logger.info("publishing.limits_documented network=%s", network)
    return DOCUMENTED_LIMITS.get(network, GENERIC_LIMITS)


def networks() -> list[str]:
    """Networks a variant may target: those with a connector, then those with documented limits."""
    registered = [profile.network for profile in connector_facade.network_profiles()]
    return sorted({*registered, *DOCUMENTED_LIMITS})


@dataclass(frozen=True)
class VariantDraft:
    """The parts of a variant that the limits apply to (a saved variant or a form being typed)."""

    label: str
    network: str
    text: str
    link: str = ""
    hashtags: tuple[str, ...] = ()
    media: tuple[dict[str, Any], ...] = ()
    publish_as: str = "post"
    cover_frame_ms: int | None = None

    def full_text(self) -> str:
        text = self.text
        tags = " ".join(tag if tag.startswith("#") else f"#{tag}" for tag in self.hashtags if tag)
        if tags:
            text = f"{text}\n\n{tags}" if text else tags
        if self.link and self.link not in text:
            text = f"{text}\n\n{self.link}" if text else self.link
        return text


@dataclass(frozen=True)
class LimitCheck:
    """The outcome of checking one variant: its length, the limit and every problem found."""

    label: str
    length: int
    max_characters: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def remaining(self) -> int:
        return self.max_characters - self.length


def check_variant(draft: VariantDraft) -> LimitCheck:
    """Check ``draft`` against its network's limits; each problem names the variant and the limit."""
    limits = network_limits(draft.network)
    text = draft.full_text()
    length = limits.length(text)
    problems: list[str] = []
    names = {"variant": draft.label}
    if not text.strip() and not draft.media:
        problems.append(_("%(variant)s: the post is empty; write some text or attach a file.") % names)
    if length > limits.max_characters:
        problems.append(
            _("%(variant)s: the text is %(length)s characters long; the limit is %(limit)s.")
            % {**names, "length": length, "limit": limits.max_characters}
        )
    if len(draft.media) > limits.max_media:
        problems.append(
            _("%(variant)s: %(count)s files are attached; the limit is %(limit)s.")
            % {**names, "count": len(draft.media), "limit": limits.max_media}
        )
    for item in draft.media:
        name = str(item.get("name", ""))
        mime_type = str(item.get("mime_type") or mimetypes.guess_type(name)[0] or "application/octet-stream")
        size = int(item.get("size") or 0)
        if mime_type not in limits.media_types:
            problems.append(
                _("%(variant)s: %(name)s is of type %(type)s, which this network does not take.")
                % {**names, "name": name, "type": mime_type}
            )
        else:
            # A video has the network's own, larger ceiling where it declares one (as the connectors check).
            ceiling = limits.max_media_bytes
            if mime_type.startswith("video/") and limits.max_video_bytes is not None:
                ceiling = limits.max_video_bytes
            if ceiling is not None and size > ceiling:
                problems.append(
                    _("%(variant)s: %(name)s is %(size)s bytes; the limit is %(limit)s bytes.")
                    % {**names, "name": name, "size": size, "limit": ceiling}
                )
    problems += _kind_and_cover_problems(draft, limits, names)
    return LimitCheck(label=draft.label, length=length, max_characters=limits.max_characters, problems=tuple(problems))


def _kind_and_cover_problems(draft: VariantDraft, limits: PublishLimits, names: dict[str, str]) -> list[str]:
    """A story where the network publishes none; a cover frame without exactly one video to take it from."""
    problems: list[str] = []
    if draft.publish_as == "story" and not limits.stories:
        problems.append(_("%(variant)s: this network does not publish stories; publish it as a post.") % names)
    if draft.cover_frame_ms is not None:
        videos = [item for item in draft.media if str(item.get("mime_type", "")).startswith("video/")]
        if len(draft.media) != 1 or len(videos) != 1:
            problems.append(_("%(variant)s: a cover frame needs exactly one video attached, and nothing else.") % names)
        elif draft.publish_as == "story":
            problems.append(_("%(variant)s: a story has no cover; remove the cover frame.") % names)
    return problems
