"""Matrix rooms over the client-server API with plain httpx (https://spec.matrix.org/v1.11/client-server-api/).

The account is a Matrix user (its access token entered by hand); the rooms it works in are
options of the account. Messages are sent with a transaction id (the request's idempotency
key), which the homeserver uses to drop a retried send: exactly once.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any, ClassVar
from urllib.parse import quote

import httpx
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pappus.connectors.base import MAXIMUM_REASON_CHARACTERS, HttpConnector
from pappus.connectors.contracts import (
    AccountInfo,
    Capability,
    ConnectField,
    InboundItem,
    InboundPage,
    MediaFile,
    MetricSnapshot,
    PublishLimits,
    PublishRequest,
    PublishResult,
    is_video,
)
from pappus.connectors.errors import ConnectorError, ContentRejectedError, NotFoundError, RateLimitedError
from pappus.connectors.matrix import mapping
from pappus.connectors.registry import register

CLIENT = "/_matrix/client/v3"
# An event may be at most 65,536 bytes in all; leave room for the envelope. Files: Synapse's default
# ``max_upload_size`` (50 MiB) until the server says its own (``m.upload.size`` of the media config).
LIMITS = PublishLimits(
    max_characters=30_000,
    max_media=4,
    media_types=frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "video/webm"}),
    max_media_bytes=50 * 1024 * 1024,
)
# Uploads are streamed from disk this many bytes at a time.
UPLOAD_CHUNK_BYTES = 1024 * 1024


def _path(value: str) -> str:
    return quote(value, safe="")


@register
class MatrixConnector(HttpConnector):
    network: ClassVar[str] = "matrix"
    label: ClassVar[str] = "Matrix"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {
            Capability.INBOX,
            Capability.PUBLISH,
            Capability.REPLY,
            Capability.MODERATE,
            Capability.MEDIA,
            Capability.METRICS,
        }
    )
    connect_fields: ClassVar[tuple[ConnectField, ...]] = (
        ConnectField(
            "access_token",
            _("Access token"),
            secret=True,
            help_text=_("In Element: Settings → Help & About → Access token (a dedicated user is better)."),
        ),
        ConnectField(
            "rooms",
            _("Rooms"),
            help_text=_("Room ids such as !abc:example.org, separated by commas; the first is the default."),
        ),
    )
    default_base_url: ClassVar[str] = "https://matrix-client.matrix.org"
    default_limits: ClassVar[PublishLimits | None] = LIMITS
    # A send is a PUT under a transaction id (the idempotency key) that the homeserver remembers per
    # device; the spec sets no duration, Synapse keeps them at least 30 minutes (HttpTransactionCache).
    idempotency_window_seconds: ClassVar[int] = 1800
    streams_files: ClassVar[bool] = True  # uploads are read from disk a chunk at a time

    def __init__(self, **arguments: Any) -> None:
        super().__init__(**arguments)
        self._me: AccountInfo | None = None
        self._limits: PublishLimits | None = None

    @property
    def rooms(self) -> list[str]:
        value = self.options.get("rooms") or ""
        rooms = value if isinstance(value, list) else str(value).split(",")
        return [room.strip() for room in rooms if room.strip()]

    def error_reason(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return super().error_reason(response)
        if isinstance(body, dict) and body.get("error"):
            return f"{body['error']} ({body.get('errcode', '')})"[:MAXIMUM_REASON_CHARACTERS]
        return super().error_reason(response)

    def map_error(self, response: httpx.Response) -> ConnectorError:
        failure = super().map_error(response)
        if isinstance(failure, RateLimitedError) and failure.retry_after is None:
            try:
                milliseconds = response.json().get("retry_after_ms")
            except (ValueError, AttributeError):
                milliseconds = None
            if isinstance(milliseconds, int | float):
                failure.retry_after = milliseconds / 1000
        return failure

    # --- account ----------------------------------------------------------------------------------

    def account_info(self) -> AccountInfo:
        user_id = str(self.request_json("GET", f"{CLIENT}/account/whoami")["user_id"])
        try:
            profile = self.request_json("GET", f"{CLIENT}/profile/{_path(user_id)}")
        except NotFoundError:
            profile = {}
        self._me = AccountInfo(
            remote_id=user_id,
            handle=user_id,
            display_name=str(profile.get("displayname") or ""),
            url=f"https://matrix.to/#/{user_id}",
        )
        return self._me

    def _whoami(self) -> AccountInfo:
        return self._me or self.account_info()

    def account_metrics(self) -> MetricSnapshot:
        """Members of the account's rooms (joined, counted once per room) as its audience."""
        members = 0
        for room in self.rooms:
            joined = self.request_json("GET", f"{CLIENT}/rooms/{_path(room)}/joined_members")
            members += len(joined.get("joined") or {})
        return MetricSnapshot(taken_at=timezone.now(), followers=members)

    # --- publishing -----------------------------------------------------------------------------

    def _room(self, request: PublishRequest) -> str:
        room = request.target or (self.rooms[0] if self.rooms else "")
        if not room:
            raise ContentRejectedError(
                str(_("No room given and the account has no default room.")), checked_locally=True
            )
        return room

    def _send(self, room: str, content: dict[str, Any], transaction_id: str) -> str:
        path = f"{CLIENT}/rooms/{_path(room)}/send/m.room.message/{_path(transaction_id)}"
        return str(self.request_json("PUT", path, json=content)["event_id"])

    def limits(self) -> PublishLimits:
        """The declared limits with the server's own upload ceiling (``m.upload.size``) when it states one."""
        if self._limits is None:
            self._limits = self._read_limits()
        return self._limits

    def _read_limits(self) -> PublishLimits:
        try:
            config = self.request_json("GET", "/_matrix/client/v1/media/config")
        except NotFoundError:  # a server older than Matrix 1.11 (authenticated media)
            try:
                config = self.request_json("GET", "/_matrix/media/v3/config")
            except NotFoundError:
                return LIMITS
        size = config.get("m.upload.size") if isinstance(config, dict) else None
        if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
            return LIMITS
        return dataclasses.replace(LIMITS, max_media_bytes=size)

    def _upload(self, media: MediaFile) -> str:
        """POST the file as the raw body, read from disk a chunk at a time (Content-Length given)."""
        try:
            answer = self.request_json(
                "POST",
                "/_matrix/media/v3/upload",
                params={"filename": media.filename},
                content=media.body(UPLOAD_CHUNK_BYTES),
                headers={"Content-Type": media.mime_type, "Content-Length": str(media.size)},
                repeatable=True,  # an upload is never shown by itself: sending it twice is harmless
            )
        except ContentRejectedError as error:
            if error.status == 413:  # M_TOO_LARGE: the server's limit is lower than it said
                raise ContentRejectedError(
                    _("The server refused %(name)s as too large: %(reason)s")
                    % {"name": media.filename, "reason": error.reason},
                    network=self.network,
                    status=413,
                ) from error
            raise
        return str(answer["content_uri"])

    def _post(self, request: PublishRequest, *, reply_to: str = "") -> PublishResult:
        self.check_limits(request)
        room = self._room(request)
        key = request.idempotency_key or uuid.uuid4().hex
        relation = {"m.relates_to": {"m.in_reply_to": {"event_id": reply_to}}} if reply_to else {}
        event_ids = []
        text = request.full_text()
        if text:
            event_ids.append(self._send(room, {"msgtype": "m.text", "body": text, **relation}, key))
        for position, media in enumerate(request.media):
            uri = self._upload(media)
            content = {
                "msgtype": "m.video" if is_video(media) else "m.image",
                "body": media.description or media.filename,
                "filename": media.filename,
                "url": uri,
                "info": {"mimetype": media.mime_type, "size": media.size},
            }
            event_ids.append(self._send(room, content, f"{key}-media-{position}"))
        first = event_ids[0]
        return PublishResult(
            remote_id=mapping.remote_id(room, first),
            url=mapping.event_url(room, first),
            published_at=timezone.now(),
            raw={"room_id": room, "event_ids": event_ids},
        )

    def publish(self, request: PublishRequest) -> PublishResult:
        return self._post(request)

    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult:
        room, event_id = self._split(parent_remote_id)
        answer = PublishRequest(
            text=request.text,
            media=request.media,
            link=request.link,
            target=room,
            idempotency_key=request.idempotency_key,
        )
        return self._post(answer, reply_to=event_id)

    def delete(self, remote_id: str) -> None:
        """Redact the event (its content is removed for everyone; the room keeps a placeholder)."""
        room, event_id = self._split(remote_id)
        path = f"{CLIENT}/rooms/{_path(room)}/redact/{_path(event_id)}/{uuid.uuid4().hex}"
        self.request("PUT", path, json={"reason": "Removed by the moderators"})

    def _split(self, remote_id: str) -> tuple[str, str]:
        try:
            return mapping.split_remote_id(remote_id)
        except ValueError as error:
            raise NotFoundError(str(error), network=self.network) from error

    # --- reading ----------------------------------------------------------------------------------

    def inbox(self, *, cursor: str = "", limit: int = 40) -> InboundPage:
        """Messages from others in the account's rooms since ``cursor`` (a sync token), newest first."""
        me = self._whoami()
        room_filter = {
            "room": {
                "rooms": self.rooms,
                "timeline": {"limit": limit, "types": ["m.room.message"]},
                "state": {"lazy_load_members": True, "types": []},
                "ephemeral": {"types": []},
                "account_data": {"types": []},
            },
            "presence": {"types": []},
            "account_data": {"types": []},
        }
        params = {"timeout": "0", "filter": json.dumps(room_filter, separators=(",", ":"))}
        if cursor:
            params["since"] = cursor
        answer = self.request_json("GET", f"{CLIENT}/sync", params=params)
        items: list[InboundItem] = []
        for room_id, room in ((answer.get("rooms") or {}).get("join") or {}).items():
            for event in (room.get("timeline") or {}).get("events") or []:
                item = mapping.inbound_event(event, room_id=room_id, my_user_id=me.remote_id, my_name=me.display_name)
                if item is not None:
                    items.append(item)
        items.sort(key=lambda item: item.published_at or timezone.now(), reverse=True)
        return InboundPage(items=tuple(items), cursor=str(answer.get("next_batch") or cursor))
