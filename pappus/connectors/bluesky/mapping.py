"""AT Protocol / Bluesky JSON (sessions, profiles, post views, notifications) → Pappus contracts.

A post is known by its AT URI (``at://<did>/app.bsky.feed.post/<rkey>``), Pappus's ``remote_id``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

from pappus.connectors.contracts import AccountInfo, InboundItem, InboundKind
from pappus.connectors.text import parse_time

NETWORK = "bluesky"
POST_COLLECTION = "app.bsky.feed.post"
WEB_URL = "https://bsky.app"
# Notification reasons that address the account: someone replied to it, mentioned it or quoted it.
INBOUND_REASONS = {"reply": InboundKind.COMMENT, "mention": InboundKind.MENTION, "quote": InboundKind.MENTION}


class AtUri(NamedTuple):
    repo: str
    collection: str
    rkey: str


def parse_at_uri(value: str) -> AtUri:
    if not value.startswith("at://"):
        raise ValueError(f"not an AT URI: {value!r}")
    parts = value.removeprefix("at://").split("/")
    if len(parts) != 3 or not all(parts):
        raise ValueError(f"not a record's AT URI: {value!r}")
    return AtUri(parts[0], parts[1], parts[2])


def post_url(uri: str, handle: str = "", web_url: str = WEB_URL) -> str:
    """The post on the Bluesky web app (by handle when known, else by DID)."""
    parsed = parse_at_uri(uri)
    return f"{web_url}/profile/{handle or parsed.repo}/post/{parsed.rkey}"


def account_info(profile: Mapping[str, Any], web_url: str = WEB_URL) -> AccountInfo:
    followers = profile.get("followersCount")
    handle = str(profile.get("handle") or profile["did"])
    return AccountInfo(
        remote_id=str(profile["did"]),
        handle=handle,
        display_name=str(profile.get("displayName") or ""),
        url=f"{web_url}/profile/{handle}",
        followers=followers if isinstance(followers, int) else None,
    )


def pds_endpoint(did_document: Any) -> str:
    """The account's own PDS from its DID document (``#atproto_pds``); empty when it has none."""
    if not isinstance(did_document, Mapping):
        return ""
    for service in did_document.get("service") or []:
        if isinstance(service, Mapping) and str(service.get("id", "")).endswith("#atproto_pds"):
            return str(service.get("serviceEndpoint") or "").rstrip("/")
    return ""


def _uri_of(value: Any) -> str:
    return str(value.get("uri") or "") if isinstance(value, Mapping) else ""


def reply_refs(record: Mapping[str, Any]) -> tuple[str, str]:
    """(parent, root) AT URIs of a post record that answers another; empty strings otherwise."""
    reply = record.get("reply")
    if not isinstance(reply, Mapping):
        return "", ""
    return _uri_of(reply.get("parent")), _uri_of(reply.get("root"))


def inbound_notification(notification: Mapping[str, Any], web_url: str = WEB_URL) -> InboundItem | None:
    """A reply, mention or quote of the account as an inbox item (None for likes, follows, reposts)."""
    kind = INBOUND_REASONS.get(str(notification.get("reason")))
    record = notification.get("record")
    if kind is None or not isinstance(record, Mapping):
        return None
    author = notification.get("author") or {}
    handle = str(author.get("handle") or author.get("did") or "")
    uri = str(notification["uri"])
    parent, root = reply_refs(record)
    return InboundItem(
        network=NETWORK,
        remote_id=uri,
        kind=kind,
        text=str(record.get("text") or ""),
        author_handle=f"@{handle}",
        author_name=str(author.get("displayName") or ""),
        author_id=str(author.get("did") or ""),
        url=post_url(uri, handle, web_url),
        published_at=parse_time(record.get("createdAt")) or parse_time(notification.get("indexedAt")),
        parent_remote_id=parent,
        conversation_id=root or uri,
        raw=dict(notification),
    )


def inbound_post(post: Mapping[str, Any], web_url: str = WEB_URL) -> InboundItem:
    """A post view (search results) as a listening item."""
    record = post.get("record") or {}
    author = post.get("author") or {}
    handle = str(author.get("handle") or author.get("did") or "")
    uri = str(post["uri"])
    parent, root = reply_refs(record)
    return InboundItem(
        network=NETWORK,
        remote_id=uri,
        kind=InboundKind.MENTION,
        text=str(record.get("text") or ""),
        author_handle=f"@{handle}",
        author_name=str(author.get("displayName") or ""),
        author_id=str(author.get("did") or ""),
        url=post_url(uri, handle, web_url),
        published_at=parse_time(record.get("createdAt")) or parse_time(post.get("indexedAt")),
        parent_remote_id=parent,
        conversation_id=root or uri,
        raw=dict(post),
    )
