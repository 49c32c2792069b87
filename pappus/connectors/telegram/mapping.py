"""Telegram Bot API objects (Update, Message, User, Chat) → Pappus contracts.

A message is known by its chat and its id together; Pappus's opaque ``remote_id`` for it is
``<chat id>/<message id>`` (chat ids are integers, possibly negative; the split is on the last slash).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from pappus.connectors.contracts import InboundItem, InboundKind

NETWORK = "telegram"


def remote_id(chat_id: Any, message_id: Any) -> str:
    return f"{chat_id}/{message_id}"


def split_remote_id(value: str) -> tuple[str, int]:
    chat, separator, message = value.rpartition("/")
    if not separator or not chat or not message.isdigit():
        raise ValueError(f"not a Telegram message reference: {value!r}")
    return chat, int(message)


def message_url(chat: Mapping[str, Any], message_id: Any) -> str:
    """A t.me link where Telegram has one: public chats by username, supergroups and channels by id."""
    username = chat.get("username")
    if username:
        return f"https://t.me/{username}/{message_id}"
    chat_id = str(chat.get("id") or "")
    if chat_id.startswith("-100"):
        return f"https://t.me/c/{chat_id.removeprefix('-100')}/{message_id}"
    return ""


def _name(user: Mapping[str, Any]) -> str:
    return " ".join(str(part) for part in (user.get("first_name"), user.get("last_name")) if part) or str(
        user.get("title") or ""
    )


def inbound_message(
    message: Mapping[str, Any], *, bot_id: int, bot_username: str, channel_post: bool = False
) -> InboundItem | None:
    """A message to the bot or in one of its chats as an inbox item (None for the bot's own and for
    messages without text, such as joins and pins)."""
    text = message.get("text") or message.get("caption")
    if not isinstance(text, str):
        return None
    chat = message.get("chat") or {}
    sender = message.get("from") or message.get("sender_chat") or chat
    if sender.get("id") == bot_id:
        return None
    parent = message.get("reply_to_message") or {}
    entities = message.get("entities") or message.get("caption_entities") or []
    mentioned = any(
        entity.get("type") == "mention"
        and text[entity.get("offset", 0) : entity.get("offset", 0) + entity.get("length", 0)].lower()
        == f"@{bot_username}".lower()
        for entity in entities
        if isinstance(entity, Mapping)
    )
    if chat.get("type") == "private":
        kind = InboundKind.DIRECT_MESSAGE
    elif parent and ((parent.get("from") or {}).get("id") == bot_id or parent.get("is_automatic_forward")):
        kind = InboundKind.COMMENT  # an answer to the bot, or a comment under a channel post in its discussion group
    elif mentioned:
        kind = InboundKind.MENTION
    else:
        kind = InboundKind.MESSAGE
    username = sender.get("username")
    chat_id = chat.get("id")
    sent = message.get("date")
    return InboundItem(
        network=NETWORK,
        remote_id=remote_id(chat_id, message["message_id"]),
        kind=kind,
        text=text,
        author_handle=f"@{username}" if username else _name(sender),
        author_name=_name(sender),
        author_id=str(sender.get("id") or ""),
        url=message_url(chat, message["message_id"]),
        published_at=datetime.datetime.fromtimestamp(sent, tz=datetime.UTC) if isinstance(sent, int) else None,
        parent_remote_id=remote_id(chat_id, parent["message_id"]) if parent.get("message_id") else "",
        conversation_id=str(chat_id),
        raw={"channel_post": channel_post, **message},
    )
