"""Toutiao (今日头条) through ByteDance's open platform for Toutiao and Xigua (host ``open.snssdk.com``).

Toutiao's open API is the Douyin open platform's, on its own host and under ``/toutiao`` for the
content calls, so this connector is the Douyin one with those differences
(``open.douyin.com/platform/resource/docs/develop/permission/toutiao-or-xigua/``):

- **Signing in**: OAuth 2 with the workspace's own Toutiao app — ``/oauth/authorize/`` with
  ``client_key``, ``/oauth/access_token/``, ``/oauth/refresh_token/`` and
  ``/oauth/renew_refresh_token/`` (access token 15 days, refresh token 30 days), the same envelope
  and codes as Douyin (:mod:`pappus.connectors.douyin.oauth`); the token answer's ``open_id`` is
  the account. Pasting a token and its open_id is still possible.
- **Publishing**: what the open API allows is video — ``POST /toutiao/video/upload/`` (multipart
  ``video``) then ``POST /toutiao/video/create/`` with the text. Articles (文章) and micro-posts
  (微头条) have no open API: Toutiao publishes them only from its own backstage (mp.toutiao.com),
  so a post without a video is refused before sending with that reason.
- **Metrics**: ``POST /toutiao/video/data/`` (plays, likes, comments, shares of the account's videos).
- **Comments**: the open API gives no call to read or answer comments on Toutiao, so the connector
  declares neither ``inbox`` nor ``reply`` and such calls raise ``NotSupportedError``.
- **Errors**: HTTP 200 with ``{"data": {"error_code", "description"}, "message": "error"}``, mapped
  like Douyin's (expired token → reconnect, quota and frequency → rate limited, content refused
  with Toutiao's words).
"""

from __future__ import annotations

from typing import ClassVar

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pappus.connectors.contracts import (
    Capability,
    ConnectField,
    InboundPage,
    PublishLimits,
    PublishRequest,
    PublishResult,
)
from pappus.connectors.douyin.client import DouyinConnector
from pappus.connectors.douyin.oauth import bytedance_spec
from pappus.connectors.errors import ContentRejectedError
from pappus.connectors.oauth import OAuthSpec
from pappus.connectors.registry import register

NETWORK = "toutiao"
DEFAULT_LIMITS = PublishLimits(
    max_characters=1000,  # no documented limit for a video's text; Pappus's conservative check, as for Douyin
    max_media=1,
    media_types=frozenset({"video/mp4", "video/webm"}),
    max_media_bytes=128 * 1024 * 1024,
)


@register
class ToutiaoConnector(DouyinConnector):
    network: ClassVar[str] = NETWORK
    label: ClassVar[str] = "Toutiao"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.PUBLISH, Capability.METRICS, Capability.MEDIA}
    )
    connect_fields: ClassVar[tuple[ConnectField, ...]] = (
        ConnectField("access_token", gettext_lazy("Access token"), secret=True),
        ConnectField(
            "open_id",
            gettext_lazy("open_id"),
            help_text=gettext_lazy("The open_id Toutiao gave with the access token (the user, as your app sees them)."),
        ),
    )
    default_base_url: ClassVar[str] = "https://open.snssdk.com"
    default_limits: ClassVar[PublishLimits | None] = DEFAULT_LIMITS
    oauth: ClassVar[OAuthSpec] = bytedance_spec(
        authorize_url="https://open.snssdk.com/oauth/authorize/",
        token_url="https://open.snssdk.com/oauth/access_token/",  # noqa: S106 - an address, not a password
        scopes=("user_info", "toutiao.video.create", "toutiao.video.data"),
        console="https://developer.open-douyin.com/console",
    )
    video_path_prefix: ClassVar[str] = "/toutiao"

    def publish(self, request: PublishRequest) -> PublishResult:
        if not request.media:
            raise ContentRejectedError(
                _(
                    "Toutiao's open API publishes videos only: articles and micro-posts (微头条) are published "
                    "in Toutiao's own backstage. Attach one MP4 or WebM file."
                ),
                network=self.network,
                checked_locally=True,
            )
        return super().publish(request)

    # Toutiao's open API has no comment calls: the capabilities above leave them out, and these say so.
    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult:
        raise self._unsupported(Capability.REPLY)

    def inbox(self, *, cursor: str = "", limit: int = 40) -> InboundPage:
        raise self._unsupported(Capability.INBOX)
