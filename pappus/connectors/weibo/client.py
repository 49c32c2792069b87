"""Weibo (微博) through the Weibo Open Platform API v2 (https://open.weibo.com/wiki/API) over plain httpx.

The account is a Weibo user who signed in through the workspace's own Weibo app (OAuth 2, the
authorization-code flow; ``https://api.weibo.com/oauth2/authorize`` and ``…/access_token``, the
client id and secret in the form body). Weibo gives no refresh token: the access token lives as long
as the app's level allows (``expires_in``), and the health page shows when it runs out.

- **Publishing**: ``POST /2/statuses/share.json`` (multipart, at most one picture as ``pic``). Weibo
  requires that the text carry at least one link on the app's **safe domain** (set in the app's
  settings); Pappus checks there is a link, and that its host is the safe domain when the account's
  ``safe_domain`` option names one. Text: 2,000 characters (Weibo counts a Chinese character as one
  and two Latin characters as one; Pappus counts every character as one, which is stricter).
- **Reading**: comments on the account's posts (``/2/comments/to_me.json``), posts and comments that
  mention it (``/2/statuses/mentions.json``, ``/2/comments/mentions.json``) in the inbox; reposts of a
  post with :meth:`WeiboConnector.reposts` (``/2/statuses/repost_timeline.json``); public search is not
  offered to ordinary apps and is not built.
- **Replying**: a comment's thread with ``/2/comments/reply.json``, a post with ``/2/comments/create.json``.
- **Metrics**: ``/2/statuses/count.json`` (comments, reposts, likes) and ``/2/users/show.json``.
- **Errors**: ``{"error", "error_code", "request"}`` with HTTP 400/403 (or 200); the codes below.
"""

from __future__ import annotations

import datetime
import email.utils
import json
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import urlsplit

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
    InboundKind,
    InboundPage,
    MetricSnapshot,
    PublishLimits,
    PublishRequest,
    PublishResult,
)
from pappus.connectors.errors import (
    AuthExpiredError,
    ConnectorError,
    ContentRejectedError,
    NotFoundError,
    RateLimitedError,
    TemporaryFailureError,
)
from pappus.connectors.oauth import OAuthSpec
from pappus.connectors.registry import register

NETWORK = "weibo"
SITE = "https://weibo.com"
DEFAULT_LIMITS = PublishLimits(
    max_characters=2000,
    max_media=1,
    media_types=frozenset({"image/jpeg", "image/png", "image/gif"}),
    max_media_bytes=5 * 1024 * 1024,
)

# Error codes (https://open.weibo.com/wiki/Error_code).
AUTH_CODES = frozenset({21314, 21315, 21316, 21317, 21319, 21327, 21332, 21501, 10006, 21301})
RATE_CODES = frozenset({10022, 10023, 10024, 20016})  # IP, user, user per API hourly limits; posting too fast
TEMPORARY_CODES = frozenset({10001, 10003, 10009, 10011})  # system error, remote service, queue full, RPC
NOT_FOUND_CODES = frozenset({20003, 20101, 20102, 20206, 20008})  # user, post, comment missing
# 20017 similar content just posted, 20019 repeated content, 20012 text too long, 20018 a bad link,
# 20021 illegal content, 20032 posted but under review, 10014/10017 the app lacks the right.
# Weibo's hourly limits reset within the hour; it sends no Retry-After.
HOURLY_RETRY_AFTER = 3600.0


def weibo_error(body: Mapping[str, Any], *, label: str = "Weibo", status: int | None = None) -> ConnectorError:
    try:
        code = int(body.get("error_code") or 0)
    except (TypeError, ValueError):
        code = 0
    reason = f"{body.get('error') or 'error'} ({code})"[:MAXIMUM_REASON_CHARACTERS]
    if code in AUTH_CODES:
        return AuthExpiredError(f"{label} refused the token: {reason}", network=NETWORK, status=status)
    if code in RATE_CODES:
        retry_after = 60.0 if code == 20016 else HOURLY_RETRY_AFTER
        return RateLimitedError(
            f"{label} rate limit reached: {reason}", retry_after=retry_after, network=NETWORK, status=status
        )
    if code in TEMPORARY_CODES:
        return TemporaryFailureError(f"{label} failed: {reason}", network=NETWORK, status=status)
    if code in NOT_FOUND_CODES:
        return NotFoundError(f"{label}: {reason}", network=NETWORK, status=status)
    return ContentRejectedError(reason, network=NETWORK, status=status)


def created_at(value: Any) -> datetime.datetime | None:
    """Weibo's ``created_at``: "Tue May 31 17:46:55 +0800 2011"."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.datetime.strptime(value, "%a %b %d %H:%M:%S %z %Y")
    except ValueError:
        try:
            return email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None


def post_url(user: Mapping[str, Any], status_id: str) -> str:
    uid = str(user.get("idstr") or user.get("id") or "")
    return f"{SITE}/{uid}/{status_id}" if uid else f"{SITE}/detail/{status_id}"


def comment_reference(status_id: str, comment_id: str) -> str:
    """A comment's remote id: its post's id and its own, which ``comments/reply`` needs both of."""
    return f"comment:{status_id}:{comment_id}"


def parse_reference(remote_id: str) -> tuple[str, str]:
    """(status id, comment id or "") of a remote id."""
    if remote_id.startswith("comment:"):
        parts = remote_id.split(":")
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            return parts[1], parts[2]
    elif remote_id.isdigit():
        return remote_id, ""
    raise NotFoundError(_("%(id)s is not a Weibo post or comment id.") % {"id": remote_id}, network=NETWORK)


def _author(entry: Mapping[str, Any]) -> Mapping[str, Any]:
    user = entry.get("user")
    return user if isinstance(user, Mapping) else {}


def inbound_comment(comment: Mapping[str, Any], kind: InboundKind = InboundKind.COMMENT) -> InboundItem:
    status: Mapping[str, Any] = comment["status"] if isinstance(comment.get("status"), Mapping) else {}
    status_id = str(status.get("idstr") or status.get("id") or "")
    comment_id = str(comment.get("idstr") or comment.get("id"))
    parent = comment.get("reply_comment") if isinstance(comment.get("reply_comment"), Mapping) else None
    user = _author(comment)
    return InboundItem(
        network=NETWORK,
        remote_id=comment_reference(status_id, comment_id),
        kind=kind,
        text=str(comment.get("text") or ""),
        author_handle=str(user.get("screen_name") or user.get("idstr") or ""),
        author_name=str(user.get("name") or user.get("screen_name") or ""),
        author_id=str(user.get("idstr") or user.get("id") or ""),
        url=post_url(_author(status), status_id),
        published_at=created_at(comment.get("created_at")),
        parent_remote_id=(
            comment_reference(status_id, str(parent.get("idstr") or parent.get("id"))) if parent else status_id
        ),
        conversation_id=status_id,
        raw=dict(comment),
    )


def inbound_status(status: Mapping[str, Any], kind: InboundKind = InboundKind.MENTION) -> InboundItem:
    status_id = str(status.get("idstr") or status.get("id"))
    user = _author(status)
    retweeted = status.get("retweeted_status") if isinstance(status.get("retweeted_status"), Mapping) else None
    return InboundItem(
        network=NETWORK,
        remote_id=status_id,
        kind=kind,
        text=str(status.get("text") or ""),
        author_handle=str(user.get("screen_name") or user.get("idstr") or ""),
        author_name=str(user.get("name") or user.get("screen_name") or ""),
        author_id=str(user.get("idstr") or user.get("id") or ""),
        url=post_url(user, status_id),
        published_at=created_at(status.get("created_at")),
        parent_remote_id=str(retweeted.get("idstr") or retweeted.get("id")) if retweeted else "",
        conversation_id=status_id,
        raw=dict(status),
    )


@register
class WeiboConnector(HttpConnector):
    network: ClassVar[str] = NETWORK
    label: ClassVar[str] = "Weibo"
    capabilities: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.INBOX, Capability.PUBLISH, Capability.REPLY, Capability.METRICS, Capability.MEDIA}
    )
    connect_fields: ClassVar[tuple[ConnectField, ...]] = (
        ConnectField("access_token", gettext_lazy("Access token"), secret=True),
        ConnectField(
            "safe_domain",
            gettext_lazy("Safe domain"),
            required=False,
            help_text=gettext_lazy(
                "The safe domain (安全域名) of your Weibo app: every post must link to a page on it."
            ),
        ),
    )
    default_base_url: ClassVar[str] = "https://api.weibo.com"
    default_limits: ClassVar[PublishLimits | None] = DEFAULT_LIMITS
    idempotency_window_seconds: ClassVar[int] = 0  # statuses/share takes no idempotency key
    oauth: ClassVar[OAuthSpec] = OAuthSpec(
        authorize_url="https://api.weibo.com/oauth2/authorize",
        token_url="https://api.weibo.com/oauth2/access_token",  # noqa: S106 - an address, not a secret
        scopes=("all",),
        pkce=False,
        client_authentication="body",
        scope_separator=",",
        developer_console_url="https://open.weibo.com/apps",
    )

    def __init__(self, **arguments: Any) -> None:
        super().__init__(**arguments)
        self._uid: str = ""

    def auth_headers(self) -> dict[str, str]:
        token = self.credentials.get("access_token", "")
        return {"Authorization": f"OAuth2 {token}"} if token else {}

    # --- calls and errors ---------------------------------------------------------------------------

    def error_reason(self, response: httpx.Response) -> str:
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        if isinstance(body, dict) and body.get("error"):
            return f"{body['error']} ({body.get('error_code')})"[:MAXIMUM_REASON_CHARACTERS]
        return super().error_reason(response)

    def map_error(self, response: httpx.Response) -> ConnectorError:
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        if isinstance(body, dict) and body.get("error_code") and response.status_code < 500:
            return weibo_error(body, label=self.label, status=response.status_code)
        return super().map_error(response)

    def call(self, method: str, path: str, **arguments: Any) -> Any:
        if not self.credentials.get("access_token"):
            raise AuthExpiredError(_("No access token is stored: reconnect the account."), network=self.network)
        answer = self.request_json(method, path, **arguments)
        if isinstance(answer, dict) and answer.get("error_code"):
            raise weibo_error(answer, label=self.label)  # some errors come with HTTP 200
        return answer

    # --- the account ------------------------------------------------------------------------------------

    def uid(self) -> str:
        if not self._uid:
            answer = self.call("GET", "/2/account/get_uid.json")
            self._uid = str(answer.get("uid") or "") if isinstance(answer, dict) else ""
            if not self._uid:
                raise TemporaryFailureError(f"{self.label} did not say whose token this is", network=self.network)
        return self._uid

    def _user(self) -> dict[str, Any]:
        answer = self.call("GET", "/2/users/show.json", params={"uid": self.uid()})
        return dict(answer) if isinstance(answer, dict) else {}

    def account_info(self) -> AccountInfo:
        user = self._user()
        uid = str(user.get("idstr") or user.get("id") or self.uid())
        return AccountInfo(
            remote_id=uid,
            handle=str(user.get("screen_name") or uid),
            display_name=str(user.get("name") or user.get("screen_name") or ""),
            url=f"{SITE}/u/{uid}",
            followers=user.get("followers_count"),
        )

    def account_metrics(self) -> MetricSnapshot:
        user = self._user()
        return MetricSnapshot(
            taken_at=timezone.now(),
            followers=user.get("followers_count"),
            following=user.get("friends_count"),
            posts=user.get("statuses_count"),
        )

    def post_metrics(self, remote_id: str) -> MetricSnapshot:
        status_id, _comment = parse_reference(remote_id)
        answer = self.call("GET", "/2/statuses/count.json", params={"ids": status_id})
        counts = next(
            (entry for entry in answer or [] if isinstance(entry, dict) and str(entry.get("id")) == status_id), None
        )
        if counts is None:
            raise NotFoundError(_("Weibo has no post %(post)s.") % {"post": status_id}, network=self.network)
        return MetricSnapshot(
            taken_at=timezone.now(),
            remote_id=remote_id,
            likes=counts.get("attitudes"),
            shares=counts.get("reposts"),
            replies=counts.get("comments"),
        )

    # --- publishing and replying --------------------------------------------------------------------------

    def check_limits(self, request: PublishRequest) -> None:
        problems = self.limits().problems(request)
        text = request.full_text()
        links = [word for word in text.split() if word.startswith(("http://", "https://"))]
        safe_domain = str(self.options.get("safe_domain") or "").strip().lower().removeprefix("www.")
        if not links:
            problems.append(_("Weibo publishes only posts that link to a page on the app's safe domain: add a link."))
        elif safe_domain and not any(
            (urlsplit(link).hostname or "").lower().removeprefix("www.").endswith(safe_domain) for link in links
        ):
            problems.append(
                _("The link must be on the app's safe domain %(domain)s, or Weibo refuses the post.")
                % {"domain": safe_domain}
            )
        if problems:
            raise ContentRejectedError(" ".join(problems), network=self.network, checked_locally=True)

    def publish(self, request: PublishRequest) -> PublishResult:
        self.check_limits(request)
        files = None
        if request.media:
            media = request.media[0]
            files = {"pic": (media.filename, media.content, media.mime_type)}
        answer = self.call("POST", "/2/statuses/share.json", data={"status": request.full_text()}, files=files)
        status_id = str(answer.get("idstr") or answer.get("id"))
        return PublishResult(
            remote_id=status_id,
            url=post_url(_author(answer), status_id),
            published_at=created_at(answer.get("created_at")) or timezone.now(),
            raw=answer,
        )

    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult:
        """A comment under a post, or an answer to a comment (``comments/reply``); text only, 140 characters."""
        text = request.full_text().strip()
        if not text or len(text) > 140 or request.media:
            raise ContentRejectedError(
                _("A Weibo comment is text of 1 to 140 characters, without files."),
                network=self.network,
                checked_locally=True,
            )
        status_id, comment_id = parse_reference(parent_remote_id)
        if comment_id:
            answer = self.call(
                "POST", "/2/comments/reply.json", data={"id": status_id, "cid": comment_id, "comment": text}
            )
        else:
            answer = self.call("POST", "/2/comments/create.json", data={"id": status_id, "comment": text})
        new_id = str(answer.get("idstr") or answer.get("id"))
        status = answer.get("status") if isinstance(answer.get("status"), Mapping) else {}
        return PublishResult(
            remote_id=comment_reference(status_id, new_id),
            url=post_url(_author(status), status_id),
            published_at=created_at(answer.get("created_at")) or timezone.now(),
            raw=answer,
        )

    # --- reading ------------------------------------------------------------------------------------------

    def inbox(self, *, cursor: str = "", limit: int = 40) -> InboundPage:
        """Comments on the account's posts and posts and comments mentioning it, newest first.

        The cursor keeps the newest id read of each of the three lists (``since_id``).
        """
        try:
            positions = {key: int(value) for key, value in json.loads(cursor).items()} if cursor else {}
        except (ValueError, AttributeError, TypeError):
            positions = {}
        count = max(1, min(limit, 200))
        sources = (
            ("comments", "/2/comments/to_me.json", "comments", InboundKind.COMMENT),
            ("comment_mentions", "/2/comments/mentions.json", "comments", InboundKind.MENTION),
            ("mentions", "/2/statuses/mentions.json", "statuses", InboundKind.MENTION),
        )
        items: list[InboundItem] = []
        for key, path, field, kind in sources:
            since = positions.get(key, 0)
            answer = self.call("GET", path, params={"since_id": since, "count": count})
            entries = [entry for entry in answer.get(field) or [] if isinstance(entry, dict)]
            for entry in entries:
                number = int(entry.get("id") or 0)
                if number <= since:
                    continue
                items.append(inbound_comment(entry, kind) if field == "comments" else inbound_status(entry, kind))
                positions[key] = max(positions.get(key, 0), number)
        items.sort(key=lambda item: item.published_at or timezone.now(), reverse=True)
        return InboundPage(items=tuple(items), cursor=json.dumps(positions, sort_keys=True) if positions else cursor)

    def reposts(self, remote_id: str, *, limit: int = 50) -> InboundPage:
        """Reposts of one of the account's posts (``statuses/repost_timeline``), newest first."""
        status_id, _comment = parse_reference(remote_id)
        answer = self.call(
            "GET", "/2/statuses/repost_timeline.json", params={"id": status_id, "count": max(1, min(limit, 200))}
        )
        reposts = [entry for entry in answer.get("reposts") or [] if isinstance(entry, dict)]
        return InboundPage(items=tuple(inbound_status(entry, InboundKind.MENTION) for entry in reposts))
