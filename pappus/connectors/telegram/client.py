"""Telegram through the Bot API (https://core.telegram.org/bots/api) over plain httpx.

The account is a bot (its token from @BotFather); the channels and groups it posts to are options
of the account, and people write to it directly. Every answer is ``{"ok": true, "result": ...}``
or ``{"ok": false, "error_code", "description", "parameters": {"retry_after", ...}}``; the
description is the network's reason shown to the person.

The token is part of every URL (``/bot<token>/<method>``): it is kept out of error messages, and a
logging filter removes it from httpx's request log lines.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import logging
import re
from typing import Any, ClassVar

import httpx
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pappus.connectors.base import MAXIMUM_REASON_CHARACTERS, HttpConnector
from pappus.connectors.contracts import (
    AccountInfo,
    Capability,
    ConnectField,
    InboundItem,
    InboundPage,
    MetricSnapshot,
    PublishLimits,
    PublishRequest,
    PublishResult,
    is_video,
)
from pappus.connectors.errors import (
    AuthExpiredError,
    ConnectorError,
    ContentRejectedError,
    NotFoundError,
    NotSupportedError,
    RateLimitedError,
    TemporaryFailureError,
)
from pappus.connectors.registry import register
from pappus.connectors.telegram import mapping

# sendMessage: 1-4096 characters; sendPhoto / sendVideo / sendMediaGroup captions: 0-1024; a media
# group: 2-10 photos and videos; photos uploaded by a bot: at most 10 MB, other files at most 50 MB
# ("Bots can currently send files of any type of up to 50 MB in size"); sendVideo takes MPEG4.
DEFAULT_LIMITS = PublishLimits(
    max_characters=4096,
    max_caption_characters=1024,
    max_media=10,
    media_types=frozenset({"image/jpeg", "image/png", "image/webp", "video/mp4"}),
    max_media_bytes=10 * 1024 * 1024,
    max_video_bytes=50 * 1024 * 1024,
)
_TOKEN_IN_PATH = re.compile(r"/bot[^/\s]+/")


class _RedactBotTokens(logging.Filter):
    """httpx logs each request's URL; a Bot API URL carries the token."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                _TOKEN_IN_PATH.sub("/bot<token>/", str(argument))
                if isinstance(argument, str | httpx.URL) and "/bot" in str(argument)
                else argument
                for argument in record.args
            )
        return True


logging.getLogger("httpx").addFilter(_RedactBotTokens())


@register
class TelegramConnector(HttpConnector):
    network: ClassVar[str] = "telegram"
    label: ClassVar[str] = "Telegram"
    # No listening: a bot cannot search Telegram. Metrics: chat members; the Bot API gives no counters per message.
    capabilities: ClassVar[frozenset[Capability]] = frozenset(Capability) - {Capability.LISTEN}
    connect_fields: ClassVar[tuple[ConnectField, ...]] = (
        ConnectField(
            "bot_token",
            gettext_lazy("Bot token"),
            secret=True,
            help_text=gettext_lazy("From @BotFather: /newbot, then copy the token it gives (123456:ABC…)."),
        ),
        ConnectField(
            "chats",
            gettext_lazy("Channels and groups"),
            required=False,
            help_text=gettext_lazy(
                "Chat ids or @channel names the bot posts to, separated by commas; the first is the default. "
                "Make the bot an administrator of each channel."
            ),
        ),
    )
    default_base_url: ClassVar[str] = "https://api.telegram.org"
    default_limits: ClassVar[PublishLimits | None] = DEFAULT_LIMITS
    # The Bot API has no idempotency key: a message sent again is a second message.
    idempotency_window_seconds: ClassVar[int] = 0
    # Photos and videos go up as multipart parts read from disk 64 KiB at a time.
    streams_files: ClassVar[bool] = True

    def __init__(self, **arguments: Any) -> None:
        super().__init__(**arguments)
        self._me: dict[str, Any] | None = None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.base_url}>"

    def auth_headers(self) -> dict[str, str]:
        return {}  # the token is in the path

    @property
    def chats(self) -> list[str]:
        value = self.options.get("chats") or ""
        chats = value if isinstance(value, list) else str(value).split(",")
        return [str(chat).strip() for chat in chats if str(chat).strip()]

    # --- calls and errors -----------------------------------------------------------------------

    def call(self, method: str, **arguments: Any) -> Any:
        """One Bot API method; the ``result`` of a successful answer."""
        token = self.credentials.get("bot_token", "")
        if not token:
            raise AuthExpiredError(_("No bot token is stored: reconnect the account."), network=self.network)
        response = self.request("POST", f"/bot{token}/{method}", **arguments)
        answer = self.read_json(response)
        if not isinstance(answer, dict) or answer.get("ok") is not True:
            raise TemporaryFailureError(
                f"{self.label} answered {method} without a result", network=self.network, status=response.status_code
            )
        return answer.get("result")

    @staticmethod
    def _answer(response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return {}
        return body if isinstance(body, dict) else {}

    def error_reason(self, response: httpx.Response) -> str:
        description = self._answer(response).get("description")
        if isinstance(description, str) and description:
            return description[:MAXIMUM_REASON_CHARACTERS]
        return super().error_reason(response)

    def map_error(self, response: httpx.Response) -> ConnectorError:
        status = response.status_code
        reason = self.error_reason(response)
        parameters = self._answer(response).get("parameters") or {}
        if status in {401, 404}:
            # 404 "Not Found" is Telegram's answer to a token it does not know (the method path is wrong).
            return AuthExpiredError(
                f"{self.label} refused the bot token: {reason}", network=self.network, status=status
            )
        if status == 429:
            retry_after = parameters.get("retry_after") if isinstance(parameters, dict) else None
            return RateLimitedError(
                f"{self.label} rate limit reached: {reason}",
                retry_after=float(retry_after) if isinstance(retry_after, int | float) else self.retry_after(response),
                network=self.network,
                status=status,
            )
        if status == 400 and "not found" in reason.lower():
            return NotFoundError(f"{self.label}: {reason}", network=self.network, status=status)
        if status == 400 and isinstance(parameters, dict) and parameters.get("migrate_to_chat_id"):
            return ContentRejectedError(
                _("%(reason)s: the group is now the supergroup %(chat)s; change the account's chats.")
                % {"reason": reason, "chat": parameters["migrate_to_chat_id"]},
                network=self.network,
                status=status,
            )
        return super().map_error(response)

    # --- account --------------------------------------------------------------------------------

    def _bot(self) -> dict[str, Any]:
        if self._me is None:
            self._me = dict(self.call("getMe"))
        return self._me

    def account_info(self) -> AccountInfo:
        self._me = None
        bot = self._bot()
        username = str(bot.get("username") or "")
        return AccountInfo(
            remote_id=str(bot["id"]),
            handle=f"@{username}" if username else str(bot["id"]),
            display_name=str(bot.get("first_name") or ""),
            url=f"https://t.me/{username}" if username else "",
        )

    def account_metrics(self) -> MetricSnapshot:
        """Members of the bot's channels and groups (subscribers of a channel), added up."""
        members = sum(int(self.call("getChatMemberCount", json={"chat_id": chat})) for chat in self.chats)
        return MetricSnapshot(taken_at=timezone.now(), followers=members)

    def post_metrics(self, remote_id: str) -> MetricSnapshot:
        raise NotSupportedError(
            _("Telegram's Bot API gives no views or reactions of a single message."), network=self.network
        )

    # --- publishing -----------------------------------------------------------------------------

    def _chat(self, request: PublishRequest) -> str:
        chat = request.target or (self.chats[0] if self.chats else "")
        if not chat:
            raise ContentRejectedError(
                _("No channel or group given and the account has none."), network=self.network, checked_locally=True
            )
        return chat

    def _send(self, chat: str, request: PublishRequest, *, reply_to: int | None = None) -> dict[str, Any]:
        """Send a message, a photo or video, or an album; files are streamed from disk (never held whole)."""
        text = request.full_text()
        reply = {"reply_parameters": {"message_id": reply_to}} if reply_to is not None else {}
        if not request.media:
            return dict(self.call("sendMessage", json={"chat_id": chat, "text": text, **reply}))
        with contextlib.ExitStack() as opened:
            streams = [opened.enter_context(media.open()) for media in request.media]
            if len(request.media) == 1:
                media = request.media[0]
                fields = {"chat_id": chat, **({"caption": text} if text else {})}
                if reply:
                    fields["reply_parameters"] = json.dumps(reply["reply_parameters"])
                if is_video(media):
                    fields["supports_streaming"] = "true"
                    files = {"video": (media.filename, streams[0], media.mime_type)}
                    return dict(self.call("sendVideo", data=fields, files=files))
                files = {"photo": (media.filename, streams[0], media.mime_type)}
                return dict(self.call("sendPhoto", data=fields, files=files))
            album = [
                {
                    "type": "video" if is_video(media) else "photo",
                    "media": f"attach://file{position}",
                    **({"caption": text} if text and not position else {}),
                }
                for position, media in enumerate(request.media)
            ]
            fields = {"chat_id": chat, "media": json.dumps(album)}
            if reply:
                fields["reply_parameters"] = json.dumps(reply["reply_parameters"])
            files = {
                f"file{position}": (media.filename, stream, media.mime_type)
                for position, (media, stream) in enumerate(zip(request.media, streams, strict=True))
            }
            messages = self.call("sendMediaGroup", data=fields, files=files)
            return dict(messages[0])

    def _result(self, message: dict[str, Any]) -> PublishResult:
        chat = message.get("chat") or {}
        sent = message.get("date")
        return PublishResult(
            remote_id=mapping.remote_id(chat.get("id"), message["message_id"]),
            url=mapping.message_url(chat, message["message_id"]),
            published_at=datetime.datetime.fromtimestamp(sent, tz=datetime.UTC) if isinstance(sent, int) else None,
            raw=message,
        )

    def publish(self, request: PublishRequest) -> PublishResult:
        self.check_limits(request)
        return self._result(self._send(self._chat(request), request))

    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult:
        """Answer a message in its own chat (a group, the channel's discussion group or a private chat)."""
        self.check_limits(request)
        chat, message_id = self._split(parent_remote_id)
        return self._result(self._send(chat, request, reply_to=message_id))

    def delete(self, remote_id: str) -> None:
        """Delete a message (the bot's own, or anyone's where it is an administrator who may delete)."""
        chat, message_id = self._split(remote_id)
        self.call("deleteMessage", json={"chat_id": chat, "message_id": message_id})

    def _split(self, remote_id: str) -> tuple[str, int]:
        try:
            return mapping.split_remote_id(remote_id)
        except ValueError as error:
            raise NotFoundError(str(error), network=self.network) from error

    # --- reading ----------------------------------------------------------------------------------

    def inbox(self, *, cursor: str = "", limit: int = 40) -> InboundPage:
        """Messages to the bot and in its chats since ``cursor`` (the next update id), newest first.

        Asking with an offset confirms the updates before it: Telegram then forgets them, so the
        caller must store the items before it asks again with the new cursor.
        """
        bot = self._bot()
        parameters: dict[str, Any] = {
            "limit": max(1, min(limit, 100)),
            "timeout": 0,
            "allowed_updates": ["message", "channel_post"],
        }
        if cursor:
            parameters["offset"] = int(cursor)
        updates = self.call("getUpdates", json=parameters) or []
        items: list[InboundItem] = []
        for update in updates:
            message = update.get("message") or update.get("channel_post")
            if not isinstance(message, dict):
                continue
            item = mapping.inbound_message(
                message,
                bot_id=int(bot["id"]),
                bot_username=str(bot.get("username") or ""),
                channel_post="channel_post" in update,
            )
            if item is not None:
                items.append(item)
        items.reverse()
        newest = max((int(update["update_id"]) for update in updates), default=None)
        return InboundPage(items=tuple(items), cursor=str(newest + 1) if newest is not None else cursor)
