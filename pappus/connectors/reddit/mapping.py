"""Reddit JSON (Listings of t1 comments, t3 links, t4 messages; ``/api/v1/me``) → Pappus contracts."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from pappus.connectors.contracts import AccountInfo, InboundItem, InboundKind, PublishResult

NETWORK = "reddit"
WEB = "https://www.reddit.com"


def created(data: Mapping[str, Any]) -> datetime.datetime | None:
    value = data.get("created_utc")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return datetime.datetime.fromtimestamp(value, tz=datetime.UTC)


def permalink(data: Mapping[str, Any]) -> str:
    link = str(data.get("permalink") or data.get("context") or "")
    return f"{WEB}{link}" if link.startswith("/") else link


def account_info(me: Mapping[str, Any]) -> AccountInfo:
    profile = me.get("subreddit") if isinstance(me.get("subreddit"), dict) else {}
    subscribers = profile.get("subscribers") if profile else None
    name = str(me["name"])
    return AccountInfo(
        remote_id=str(me["id"]),
        handle=f"u/{name}",
        display_name=str((profile or {}).get("title") or name),
        url=f"{WEB}/user/{name}/",
        followers=subscribers if isinstance(subscribers, int) else None,
    )


def children(listing: Any) -> list[tuple[str, dict[str, Any]]]:
    """(kind, data) of each thing of a Listing ``{"kind": "Listing", "data": {"children": [...]}}``."""
    if not isinstance(listing, dict):
        return []
    data = listing.get("data") or {}
    things = data.get("children") if isinstance(data, dict) else None
    return [
        (str(thing.get("kind") or ""), thing["data"])
        for thing in things or []
        if isinstance(thing, dict) and isinstance(thing.get("data"), dict)
    ]


def inbox_item(kind: str, data: Mapping[str, Any]) -> InboundItem:
    """A thing of ``/message/inbox``: a comment reply (t1, ``was_comment``), a username mention or a message (t4)."""
    if data.get("was_comment") or kind == "t1":
        item_kind = InboundKind.MENTION if data.get("type") == "username_mention" else InboundKind.COMMENT
    else:
        item_kind = InboundKind.DIRECT_MESSAGE
    parent = str(data.get("parent_id") or "")
    first = str(data.get("first_message_name") or "")
    return InboundItem(
        network=NETWORK,
        remote_id=str(data.get("name") or f"{kind}_{data.get('id')}"),
        kind=item_kind,
        text=str(data.get("body") or ""),
        author_handle=f"u/{data.get('author')}" if data.get("author") else "",
        author_name=str(data.get("author") or ""),
        author_id=str(data.get("author_fullname") or ""),
        url=permalink(data),
        published_at=created(data),
        parent_remote_id=parent,
        conversation_id=first or str(data.get("link_id") or "") or parent,
        raw=dict(data),
    )


def link_item(data: Mapping[str, Any]) -> InboundItem:
    """A post (t3) found by search, its title and text together."""
    title = str(data.get("title") or "")
    body = str(data.get("selftext") or "")
    return InboundItem(
        network=NETWORK,
        remote_id=str(data.get("name") or f"t3_{data.get('id')}"),
        kind=InboundKind.MENTION,
        text=f"{title}\n\n{body}".strip() if body else title,
        author_handle=f"u/{data.get('author')}" if data.get("author") else "",
        author_name=str(data.get("author") or ""),
        author_id=str(data.get("author_fullname") or ""),
        url=permalink(data),
        published_at=created(data),
        conversation_id=str(data.get("name") or ""),
        raw=dict(data),
    )


def submitted(data: Mapping[str, Any]) -> PublishResult:
    """``/api/submit``'s ``json.data``: ``{"url", "id", "name"}``."""
    return PublishResult(
        remote_id=str(data.get("name") or f"t3_{data.get('id')}"),
        url=str(data.get("url") or ""),
        raw=dict(data),
    )


def commented(thing: Mapping[str, Any]) -> PublishResult:
    """``/api/comment``'s ``json.data.things[0].data``."""
    return PublishResult(
        remote_id=str(thing.get("name") or f"t1_{thing.get('id')}"),
        url=permalink(thing),
        published_at=created(thing),
        raw=dict(thing),
    )
