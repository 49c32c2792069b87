"""Mastodon JSON (statuses, notifications, accounts) → Pappus contracts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pappus.connectors.contracts import AccountInfo, InboundItem, InboundKind, PublishResult
from pappus.connectors.text import html_to_text, parse_time

NETWORK = "mastodon"


def full_handle(account: Mapping[str, Any], base_url: str) -> str:
    """``@user@server`` whether the server gave a local ``acct`` (``user``) or a full one."""
    acct = str(account.get("acct") or account.get("username") or "")
    if "@" not in acct:
        acct = f"{acct}@{urlsplit(base_url).netloc}"
    return f"@{acct}"


def account_info(account: Mapping[str, Any], base_url: str) -> AccountInfo:
    followers = account.get("followers_count")
    return AccountInfo(
        remote_id=str(account["id"]),
        handle=full_handle(account, base_url),
        display_name=str(account.get("display_name") or account.get("username") or ""),
        url=str(account.get("url") or ""),
        followers=followers if isinstance(followers, int) else None,
    )


def status_text(status: Mapping[str, Any]) -> str:
    # Some servers (snac, Mastodon's /source) give the plain text too; else the HTML is read.
    text = status.get("text")
    if isinstance(text, str) and text:
        return text
    return html_to_text(str(status.get("content") or ""))


def publish_result(status: Mapping[str, Any]) -> PublishResult:
    return PublishResult(
        remote_id=str(status["id"]),
        url=str(status.get("url") or status.get("uri") or ""),
        published_at=parse_time(status.get("created_at")),
        raw=dict(status),
    )


def inbound_status(
    status: Mapping[str, Any], *, my_id: str, base_url: str, kind: InboundKind | None = None
) -> InboundItem:
    account = status.get("account") or {}
    if kind is None:
        if status.get("visibility") == "direct":
            kind = InboundKind.DIRECT_MESSAGE
        elif my_id and str(status.get("in_reply_to_account_id") or "") == my_id:
            kind = InboundKind.COMMENT
        else:
            kind = InboundKind.MENTION
    return InboundItem(
        network=NETWORK,
        remote_id=str(status["id"]),
        kind=kind,
        text=status_text(status),
        author_handle=full_handle(account, base_url),
        author_name=str(account.get("display_name") or account.get("username") or ""),
        author_id=str(account.get("id") or ""),
        url=str(status.get("url") or status.get("uri") or ""),
        published_at=parse_time(status.get("created_at")),
        parent_remote_id=str(status.get("in_reply_to_id") or ""),
        conversation_id="",
        raw=dict(status),
    )
