"""How a variant will look on its network: the editor's preview, drawn with our own HTML and CSS.

Each network's card follows what its own apps show in a feed: the account line, the text folded where
the network folds it (with its "… more"), hashtags and links highlighted, a link card where the
network draws one, the media grid and the first comment as a reply. The fold points are what the
networks' apps show at the time of writing (approximate: some fold by lines, not characters); the
counter uses the same count as the limit check (:mod:`pappus.publishing.limits`).
Nothing is fetched: a link card shows the address, not the page's title or image.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pappus.publishing import limits

if TYPE_CHECKING:
    from pappus.publishing.models import Variant


@dataclass(frozen=True)
class NetworkLook:
    """How one network shows a post in its feed."""

    label: str
    fold_at: int | None  # characters shown before the network folds the text; None: never folds
    more_label: Any  # the network's own "… more" words (lazy translation)
    link_card: bool  # draws a card for the post's link
    media_shown: int  # tiles shown in the grid before "+N"
    title_line: bool = False  # the first line is the title (Reddit)
    note: Any = ""  # what a writer should know about this network's display


LOOKS: dict[str, NetworkLook] = {
    "mastodon": NetworkLook("Mastodon", None, "", link_card=True, media_shown=4),
    "bluesky": NetworkLook("Bluesky", None, "", link_card=True, media_shown=4),
    "x": NetworkLook("X", 280, gettext_lazy("Show more"), link_card=True, media_shown=4),
    "facebook": NetworkLook("Facebook", 477, gettext_lazy("See more"), link_card=True, media_shown=5),
    "instagram": NetworkLook(
        "Instagram",
        125,
        gettext_lazy("more"),
        link_card=False,
        media_shown=1,
        note=gettext_lazy("Links in Instagram captions are not clickable."),
    ),
    "telegram": NetworkLook("Telegram", None, "", link_card=True, media_shown=10),
    "vk": NetworkLook("VK", 300, gettext_lazy("Show more"), link_card=True, media_shown=5),
    "reddit": NetworkLook("Reddit", 300, gettext_lazy("more"), link_card=True, media_shown=1, title_line=True),
    "youtube": NetworkLook("YouTube", 157, gettext_lazy("more"), link_card=False, media_shown=1),
    "matrix": NetworkLook("Matrix", None, "", link_card=True, media_shown=1),
}
GENERIC_LOOK = NetworkLook("", None, "", link_card=True, media_shown=4)

# Links, hashtags and mentions; a sentence's closing punctuation is not part of them.
_TOKENS = re.compile(r"(https?://[^\s<>\"']*[^\s<>\"'.,;:!?)]|(?<![\w#])#\w[\w-]*|(?<![\w@])@\w(?:[\w.@-]*\w)?)")


@dataclass(frozen=True)
class Segment:
    kind: str  # "text", "link", "hashtag", "mention"
    text: str


@dataclass(frozen=True)
class MediaTile:
    name: str
    kind: str  # "image", "video", "file"


@dataclass(frozen=True)
class Preview:
    """Everything the preview partial draws for one variant."""

    network: str
    network_label: str
    display_name: str
    handle: str
    initial: str
    title: str
    shown: tuple[Segment, ...]
    folded: tuple[Segment, ...]  # the rest, behind the network's "… more"
    more_label: str
    link: str
    link_host: str
    media: tuple[MediaTile, ...]
    media_more: int  # tiles beyond what the grid shows
    first_comment: tuple[Segment, ...]
    length: int
    max_characters: int
    note: str

    @property
    def over(self) -> bool:
        return self.length > self.max_characters

    @property
    def media_count_class(self) -> str:
        return str(min(len(self.media), 4))


def segments(text: str) -> tuple[Segment, ...]:
    """Split text into plain runs, links, hashtags and mentions (drawn highlighted, escaped by the template)."""
    parts: list[Segment] = []
    position = 0
    for match in _TOKENS.finditer(text):
        if match.start() > position:
            parts.append(Segment("text", text[position : match.start()]))
        token = match.group(0)
        kind = "link" if token.startswith("http") else "hashtag" if token.startswith("#") else "mention"
        parts.append(Segment(kind, token))
        position = match.end()
    if position < len(text):
        parts.append(Segment("text", text[position:]))
    return tuple(parts)


def _fold(text: str, fold_at: int | None) -> tuple[str, str]:
    """Where the network cuts the text: at ``fold_at`` characters, back to the last space when there is one."""
    if fold_at is None or len(text) <= fold_at:
        return text, ""
    cut = text.rfind(" ", 0, fold_at + 1)
    if cut < fold_at // 2:
        cut = fold_at
    return text[:cut].rstrip(), text[cut:]


def _media_kind(item: dict[str, Any]) -> str:
    mime_type = str(item.get("mime_type") or "")
    if mime_type.startswith("image/"):
        return "image"
    if mime_type.startswith("video/"):
        return "video"
    return "file"


def build(draft: limits.VariantDraft, *, display_name: str = "", handle: str = "", first_comment: str = "") -> Preview:
    """The preview of ``draft`` on its network, as the account ``display_name`` / ``handle``."""
    look = LOOKS.get(draft.network, GENERIC_LOOK)
    check = limits.check_variant(draft)
    text = draft.full_text()
    if draft.link and look.link_card and text.rstrip().endswith(draft.link):
        # The link is drawn as a card, as the networks do for a trailing link.
        text = text.rstrip()[: -len(draft.link)].rstrip()
    title = ""
    if look.title_line:
        title, _newline, text = text.partition("\n")
        text = text.lstrip("\n")
    shown, folded = _fold(text, look.fold_at)
    media = tuple(MediaTile(name=str(item.get("name") or _("file")), kind=_media_kind(item)) for item in draft.media)
    name = display_name or handle or _("Your account")
    return Preview(
        network=draft.network,
        network_label=look.label or draft.network.capitalize(),
        display_name=name,
        handle=handle,
        initial=(name.lstrip("@") or "?")[0].upper(),
        title=title,
        shown=segments(shown),
        folded=segments(folded),
        more_label=str(look.more_label),
        link=draft.link if look.link_card else "",
        link_host=(urlparse(draft.link).hostname or "") if draft.link else "",
        media=media[: look.media_shown],
        media_more=max(0, len(media) - look.media_shown),
        first_comment=segments(first_comment),
        length=check.length,
        max_characters=check.max_characters,
        note=str(look.note),
    )


def for_variant(variant: Variant) -> Preview:
    """The preview of a saved variant, as its account."""
    return build(
        limits.VariantDraft(
            label=variant.label,
            network=variant.network,
            text=variant.full_text(),
            link=variant.link,
            media=tuple(variant.media or ()),
        ),
        display_name=variant.account_label,
        first_comment=variant.first_comment,
    )
