"""YouTube Data API v3 JSON (channel, commentThread, comment, search result) → Pappus contracts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pappus.connectors.contracts import AccountInfo, InboundItem, InboundKind
from pappus.connectors.text import parse_time

NETWORK = "youtube"
WEB = "https://www.youtube.com"


def count(value: Any) -> int | None:
    """YouTube gives counters as strings ("1234")."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def account_info(channel: Mapping[str, Any]) -> AccountInfo:
    snippet = channel.get("snippet") or {}
    statistics = channel.get("statistics") or {}
    custom = str(snippet.get("customUrl") or "")
    handle = custom if custom.startswith("@") else (f"@{custom}" if custom else str(channel["id"]))
    hidden = bool(statistics.get("hiddenSubscriberCount"))
    return AccountInfo(
        remote_id=str(channel["id"]),
        handle=handle,
        display_name=str(snippet.get("title") or ""),
        url=f"{WEB}/{handle}" if handle.startswith("@") else f"{WEB}/channel/{channel['id']}",
        followers=None if hidden else count(statistics.get("subscriberCount")),
    )


def comment_item(comment: Mapping[str, Any], *, video_id: str = "", parent: str = "") -> InboundItem:
    """A comment: top-level under a video (its parent is the video) or a reply in a thread."""
    snippet = comment.get("snippet") or {}
    video = str(snippet.get("videoId") or video_id)
    author_channel = snippet.get("authorChannelId") or {}
    parent_id = parent or str(snippet.get("parentId") or "") or video
    comment_id = str(comment["id"])
    return InboundItem(
        network=NETWORK,
        remote_id=comment_id,
        kind=InboundKind.COMMENT,
        text=str(snippet.get("textOriginal") or snippet.get("textDisplay") or ""),
        author_handle=str(snippet.get("authorDisplayName") or ""),
        author_name=str(snippet.get("authorDisplayName") or ""),
        author_id=str(author_channel.get("value") or "") if isinstance(author_channel, dict) else "",
        url=f"{WEB}/watch?v={video}&lc={comment_id}" if video else "",
        published_at=parse_time(snippet.get("publishedAt")),
        parent_remote_id=parent_id,
        conversation_id=comment_id.split(".", 1)[0],
        raw=dict(comment),
    )


def thread_items(thread: Mapping[str, Any]) -> list[InboundItem]:
    """The top-level comment of a thread and the replies YouTube included with it."""
    snippet = thread.get("snippet") or {}
    top = snippet.get("topLevelComment")
    if not isinstance(top, dict):
        return []
    video = str(snippet.get("videoId") or "")
    items = [comment_item(top, video_id=video)]
    replies = (thread.get("replies") or {}).get("comments") or []
    items.extend(
        comment_item(reply, video_id=video, parent=str(top["id"])) for reply in replies if isinstance(reply, dict)
    )
    return items


def search_item(result: Mapping[str, Any]) -> InboundItem | None:
    identity = result.get("id") or {}
    video = identity.get("videoId") if isinstance(identity, dict) else None
    if not video:
        return None
    snippet = result.get("snippet") or {}
    title = str(snippet.get("title") or "")
    description = str(snippet.get("description") or "")
    return InboundItem(
        network=NETWORK,
        remote_id=str(video),
        kind=InboundKind.MENTION,
        text=f"{title}\n\n{description}".strip(),
        author_handle=str(snippet.get("channelTitle") or ""),
        author_name=str(snippet.get("channelTitle") or ""),
        author_id=str(snippet.get("channelId") or ""),
        url=f"{WEB}/watch?v={video}",
        published_at=parse_time(snippet.get("publishedAt")),
        conversation_id=str(video),
        raw=dict(result),
    )
