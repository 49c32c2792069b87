"""Bluesky rich text: the facets that make links, mentions and hashtags in a post's text live.

A facet marks a byte range of the UTF-8 text (https://docs.bsky.app/docs/advanced-guides/post-richtext);
mentions point at a DID, so a handle is resolved before the post is written (an unknown handle
stays plain text, as Bluesky's own app does).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

# The patterns of Bluesky's own rich-text detection (@atproto/api), simplified to what posts carry.
_MENTION = re.compile(r"(?:^|[\s(])(@(?P<handle>[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?\.[a-zA-Z]{2,}[a-zA-Z0-9-]*))")
_LINK = re.compile(r"(?:^|[\s(])(?P<url>https?://[^\s<>\"']+)")
_TAG = re.compile(r"(?:^|\s)(#(?P<tag>[^\s#\d\u200b-\u200d\ufeff][^\s#\u200b-\u200d\ufeff]{0,63}))")
_TRAILING_PUNCTUATION = ".,;:!?)\"'"


def _byte_range(text: str, start: int, end: int) -> dict[str, int]:
    return {"byteStart": len(text[:start].encode()), "byteEnd": len(text[:end].encode())}


def facets(text: str, resolve_handle: Callable[[str], str | None]) -> list[dict[str, Any]]:
    """Facets for the links, mentions and hashtags in ``text``, in order of position."""
    found: list[tuple[int, dict[str, Any]]] = []
    for match in _LINK.finditer(text):
        url = match.group("url").rstrip(_TRAILING_PUNCTUATION)
        start = match.start("url")
        found.append(
            (
                start,
                {
                    "index": _byte_range(text, start, start + len(url)),
                    "features": [{"$type": "app.bsky.richtext.facet#link", "uri": url}],
                },
            )
        )
    for match in _MENTION.finditer(text):
        did = resolve_handle(match.group("handle").lower())
        if did:
            found.append(
                (
                    match.start(1),
                    {
                        "index": _byte_range(text, match.start(1), match.end(1)),
                        "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did}],
                    },
                )
            )
    for match in _TAG.finditer(text):
        tag = match.group("tag").rstrip(_TRAILING_PUNCTUATION)
        start = match.start(1)
        found.append(
            (
                start,
                {
                    "index": _byte_range(text, start, start + 1 + len(tag)),
                    "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag}],
                },
            )
        )
    found.sort(key=lambda entry: entry[0])
    return [facet for _start, facet in found]
