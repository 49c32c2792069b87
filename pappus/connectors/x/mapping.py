"""X API v2 JSON (Tweet and User objects with ``includes``) → Pappus contracts; X's weighted length."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import regex  # type: ignore[import-untyped]  # \X graphemes and \p{Extended_Pictographic}

from pappus.connectors.contracts import AccountInfo, InboundItem, InboundKind, PublishLimits
from pappus.connectors.text import parse_time

NETWORK = "x"
WEB = "https://x.com"

# twitter-text's v3 configuration: 280 weighted characters, weight 100 for the ranges below and 200
# for every other code point (CJK, most symbols), an emoji sequence 200, every URL 23 characters.
_LIGHT_RANGES = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))
_URL = re.compile(r"https?://\S+")
_GRAPHEME = regex.compile(r"\X")
_EMOJI = regex.compile(r"\p{Extended_Pictographic}")
TRANSFORMED_URL_LENGTH = 23


def _code_point_weight(character: str) -> int:
    point = ord(character)
    return 1 if any(start <= point <= end for start, end in _LIGHT_RANGES) else 2


def weighted_length(text: str) -> int:
    """The length X counts against 280 (twitter-text v3: URLs 23, CJK and emoji 2, Latin 1)."""
    total = 0
    position = 0
    for match in _URL.finditer(text):
        total += _plain_length(text[position : match.start()]) + TRANSFORMED_URL_LENGTH
        position = match.end()
    return total + _plain_length(text[position:])


def _plain_length(text: str) -> int:
    total = 0
    for grapheme in _GRAPHEME.findall(text):
        if _EMOJI.search(grapheme):
            total += 2
        else:
            total += sum(_code_point_weight(character) for character in grapheme)
    return total


@dataclass(frozen=True, slots=True)
class XPublishLimits(PublishLimits):
    """PublishLimits counting as X does."""

    def length(self, text: str) -> int:
        return weighted_length(text)


def account_info(user: Mapping[str, Any]) -> AccountInfo:
    metrics = user.get("public_metrics") or {}
    followers = metrics.get("followers_count") if isinstance(metrics, dict) else None
    username = str(user.get("username") or "")
    return AccountInfo(
        remote_id=str(user["id"]),
        handle=f"@{username}",
        display_name=str(user.get("name") or username),
        url=f"{WEB}/{username}" if username else "",
        followers=followers if isinstance(followers, int) else None,
    )


def users_by_id(answer: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    includes = answer.get("includes") or {}
    users = includes.get("users") if isinstance(includes, dict) else None
    return {str(user["id"]): user for user in users or [] if isinstance(user, dict) and "id" in user}


def replied_to(tweet: Mapping[str, Any]) -> str:
    for reference in tweet.get("referenced_tweets") or []:
        if isinstance(reference, dict) and reference.get("type") == "replied_to":
            return str(reference.get("id") or "")
    return ""


def inbound_tweet(tweet: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]], *, my_id: str) -> InboundItem:
    """A tweet mentioning the account: a ``comment`` when it answers the account, else a ``mention``."""
    author = users.get(str(tweet.get("author_id") or "")) or {}
    username = str(author.get("username") or "")
    parent = replied_to(tweet)
    answers_me = bool(my_id) and str(tweet.get("in_reply_to_user_id") or "") == my_id
    return InboundItem(
        network=NETWORK,
        remote_id=str(tweet["id"]),
        kind=InboundKind.COMMENT if answers_me and parent else InboundKind.MENTION,
        text=str(tweet.get("text") or ""),
        author_handle=f"@{username}" if username else "",
        author_name=str(author.get("name") or ""),
        author_id=str(tweet.get("author_id") or ""),
        url=f"{WEB}/{username or 'i'}/status/{tweet['id']}",
        published_at=parse_time(tweet.get("created_at")),
        parent_remote_id=parent,
        conversation_id=str(tweet.get("conversation_id") or ""),
        raw=dict(tweet),
    )


def direct_message(event: Mapping[str, Any], users: Mapping[str, Mapping[str, Any]]) -> InboundItem:
    """A DM event (``MessageCreate``); its id carries the conversation so that a reply can go there."""
    sender = users.get(str(event.get("sender_id") or "")) or {}
    username = str(sender.get("username") or "")
    conversation = str(event.get("dm_conversation_id") or "")
    return InboundItem(
        network=NETWORK,
        remote_id=f"dm:{conversation}:{event['id']}",
        kind=InboundKind.DIRECT_MESSAGE,
        text=str(event.get("text") or ""),
        author_handle=f"@{username}" if username else "",
        author_name=str(sender.get("name") or ""),
        author_id=str(event.get("sender_id") or ""),
        published_at=parse_time(event.get("created_at")),
        conversation_id=conversation,
        raw=dict(event),
    )
