"""VK API objects (wall posts, wall comments, users, communities) → Pappus contracts.

VK names a wall post ``<owner_id>_<post_id>`` (``wall-1_123``: post 123 on community 1's wall) and
a comment by the post and its own id; Pappus's opaque ids follow that: ``-1_123`` for the post,
``-1_123_456`` for comment 456 under it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pappus.connectors.contracts import InboundItem, InboundKind

NETWORK = "vk"
SITE = "https://vk.com"


@dataclass(frozen=True, slots=True)
class WallReference:
    owner_id: int
    post_id: int
    comment_id: int | None = None

    def __str__(self) -> str:
        base = f"{self.owner_id}_{self.post_id}"
        return f"{base}_{self.comment_id}" if self.comment_id is not None else base

    @property
    def post(self) -> str:
        return f"{self.owner_id}_{self.post_id}"


def parse_reference(value: str) -> WallReference:
    """``-1_123`` (a post) or ``-1_123_456`` (a comment); ValueError for anything else."""
    parts = value.strip().removeprefix("wall").split("_")
    try:
        numbers = [int(part) for part in parts]
    except ValueError:
        raise ValueError(f"not a VK wall post or comment: {value!r}") from None
    if len(numbers) == 2 and numbers[1] > 0:
        return WallReference(numbers[0], numbers[1])
    if len(numbers) == 3 and numbers[1] > 0 and numbers[2] > 0:
        return WallReference(numbers[0], numbers[1], numbers[2])
    raise ValueError(f"not a VK wall post or comment: {value!r}")


def post_url(owner_id: Any, post_id: Any) -> str:
    return f"{SITE}/wall{owner_id}_{post_id}"


def comment_url(owner_id: Any, post_id: Any, comment_id: Any) -> str:
    return f"{SITE}/wall{owner_id}_{post_id}?reply={comment_id}"


def moment(value: Any) -> datetime.datetime | None:
    return datetime.datetime.fromtimestamp(value, tz=datetime.UTC) if isinstance(value, int) else None


class Authors:
    """The ``profiles`` (people) and ``groups`` (communities) of an ``extended=1`` answer, by sender id."""

    def __init__(self, profiles: Iterable[Mapping[str, Any]] = (), groups: Iterable[Mapping[str, Any]] = ()) -> None:
        self._people = {int(person["id"]): person for person in profiles if "id" in person}
        self._communities = {int(group["id"]): group for group in groups if "id" in group}

    def describe(self, sender_id: Any) -> tuple[str, str]:
        """(handle, name) of a sender: a person for a positive id, a community for a negative one."""
        if not isinstance(sender_id, int):
            return "", ""
        if sender_id < 0:
            group = self._communities.get(-sender_id, {})
            return str(group.get("screen_name") or f"club{-sender_id}"), str(group.get("name") or "")
        person = self._people.get(sender_id, {})
        name = " ".join(str(person.get(key) or "") for key in ("first_name", "last_name")).strip()
        return str(person.get("screen_name") or f"id{sender_id}"), name


def inbound_comment(comment: Mapping[str, Any], *, owner_id: int, post_id: int, authors: Authors) -> InboundItem:
    """A comment on one of the community's posts; a reply inside a thread has the comment it answers as parent."""
    sender = comment.get("from_id")
    handle, name = authors.describe(sender)
    parent_comment = comment.get("reply_to_comment")
    parent = (
        str(WallReference(owner_id, post_id, int(parent_comment)))
        if isinstance(parent_comment, int)
        else str(WallReference(owner_id, post_id))
    )
    return InboundItem(
        network=NETWORK,
        remote_id=str(WallReference(owner_id, post_id, int(comment["id"]))),
        kind=InboundKind.COMMENT,
        text=str(comment.get("text") or ""),
        author_handle=handle,
        author_name=name,
        author_id=str(sender or ""),
        url=comment_url(owner_id, post_id, comment["id"]),
        published_at=moment(comment.get("date")),
        parent_remote_id=parent,
        conversation_id=str(WallReference(owner_id, post_id)),
        raw=comment,
    )


def found_post(post: Mapping[str, Any], *, authors: Authors) -> InboundItem:
    """A public post found by ``newsfeed.search``."""
    owner_id = post.get("owner_id")
    sender = post.get("from_id", owner_id)
    handle, name = authors.describe(sender)
    return InboundItem(
        network=NETWORK,
        remote_id=f"{owner_id}_{post['id']}",
        kind=InboundKind.MENTION,
        text=str(post.get("text") or ""),
        author_handle=handle,
        author_name=name,
        author_id=str(sender or ""),
        url=post_url(owner_id, post["id"]),
        published_at=moment(post.get("date")),
        conversation_id=f"{owner_id}_{post['id']}",
        raw=post,
    )


def counter(post: Mapping[str, Any], name: str) -> int | None:
    """``likes.count``, ``reposts.count``, ``comments.count``, ``views.count`` of a post (None when absent)."""
    value = post.get(name)
    if isinstance(value, Mapping) and isinstance(value.get("count"), int):
        return int(value["count"])
    return None
