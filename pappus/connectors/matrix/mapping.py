"""Matrix client-server events → Pappus contracts.

A Matrix event is known by its room and its id together; Pappus's opaque ``remote_id`` for it is
``<room id>/<event id>`` (room ids never contain a slash; the split is on the first one).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from pappus.connectors.contracts import InboundItem, InboundKind
from pappus.connectors.text import from_milliseconds

NETWORK = "matrix"


def remote_id(room_id: str, event_id: str) -> str:
    return f"{room_id}/{event_id}"


def split_remote_id(value: str) -> tuple[str, str]:
    room_id, separator, event_id = value.partition("/")
    if not separator or not room_id.startswith("!") or not event_id:
        raise ValueError(f"not a Matrix event reference: {value!r}")
    return room_id, event_id


def event_url(room_id: str, event_id: str) -> str:
    return f"https://matrix.to/#/{quote(room_id, safe='!:')}/{quote(event_id, safe='$')}"


def inbound_event(event: Mapping[str, Any], *, room_id: str, my_user_id: str, my_name: str) -> InboundItem | None:
    """A message event from someone else as an inbox item (None for other events and our own)."""
    if event.get("type") != "m.room.message" or event.get("sender") == my_user_id:
        return None
    content = event.get("content") or {}
    body = content.get("body")
    if not isinstance(body, str) or "m.new_content" in content:  # edits are not new messages
        return None
    relates = content.get("m.relates_to") or {}
    parent = (relates.get("m.in_reply_to") or {}).get("event_id", "")
    if parent:
        kind = InboundKind.COMMENT
    elif my_user_id in body or (my_name and my_name.lower() in body.lower()):
        kind = InboundKind.MENTION
    else:
        kind = InboundKind.MESSAGE
    sender = str(event.get("sender") or "")
    event_id = str(event["event_id"])
    return InboundItem(
        network=NETWORK,
        remote_id=remote_id(room_id, event_id),
        kind=kind,
        text=body,
        author_handle=sender,
        author_name=sender.split(":", 1)[0].removeprefix("@"),
        author_id=sender,
        url=event_url(room_id, event_id),
        published_at=from_milliseconds(event.get("origin_server_ts")),
        parent_remote_id=remote_id(room_id, str(parent)) if parent else "",
        conversation_id=room_id,
        raw=dict(event),
    )
