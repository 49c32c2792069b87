"""The Connector protocol and the HTTP plumbing every network package shares.

A connector is built from an account's address (``base_url``), its decrypted credentials and its
plain options, and speaks one network's real API. Every call has a timeout; every failure leaves as
one of :mod:`pappus.connectors.errors`, so no network's status codes or error bodies leak upwards.
"""

from __future__ import annotations

import datetime
import email.utils
import hashlib
import json
import logging
from collections.abc import Mapping
from types import TracebackType
from typing import Any, ClassVar, Protocol, Self, runtime_checkable

import httpx
from django.conf import settings
from django.utils import timezone

from pappus.connectors.contracts import (
    AccountInfo,
    Capability,
    ConnectField,
    InboundPage,
    MetricSnapshot,
    PublishLimits,
    PublishRequest,
    PublishResult,
    RateLimitBudget,
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

logger = logging.getLogger("pappus.connectors")

# Bodies longer than this are cut in error messages (a proxy's HTML error page, say).
MAXIMUM_REASON_CHARACTERS = 500
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})


@runtime_checkable
class Connector(Protocol):
    """What every network's connector offers; a method outside ``capabilities`` raises NotSupportedError."""

    network: ClassVar[str]
    label: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]
    connect_fields: ClassVar[tuple[ConnectField, ...]]
    default_base_url: ClassVar[str]
    # The network's documented limits on one post, known without building a connector (None: no publishing).
    default_limits: ClassVar[PublishLimits | None]
    # How long the network honours an idempotency key: a request sent again with the same key within
    # this many seconds gives back the first result instead of a second post. 0: it has no such key.
    idempotency_window_seconds: ClassVar[int]

    @property
    def rate_limit(self) -> RateLimitBudget | None: ...

    def limits(self) -> PublishLimits: ...

    def account_info(self) -> AccountInfo: ...

    def publish(self, request: PublishRequest) -> PublishResult: ...

    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult: ...

    def inbox(self, *, cursor: str = "", limit: int = 40) -> InboundPage: ...

    def listen(self, query: str, *, limit: int = 40) -> InboundPage: ...

    def delete(self, remote_id: str) -> None: ...

    def hide(self, remote_id: str, *, hidden: bool = True) -> None: ...

    def post_metrics(self, remote_id: str) -> MetricSnapshot: ...

    def account_metrics(self) -> MetricSnapshot: ...

    def close(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None: ...


class UploadSessionStore(Protocol):
    """Where a connector keeps a resumable upload's session between sending attempts (by a key naming
    one file of one post), so that a later attempt continues the upload (``pappus.connectors.uploads``)."""

    def find(self, key: str) -> str | None: ...

    def keep(self, key: str, address: str) -> None: ...

    def forget(self, key: str) -> None: ...


def upload_session_key(*parts: object) -> str:
    """A SHA-256 of what names one file of one post (the idempotency key, the file's name, type and size)."""
    return hashlib.sha256("\x1f".join(str(part) for part in parts).encode()).hexdigest()


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return max(0.0, (moment - timezone.now()).total_seconds())


def _optional_int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class HttpConnector:
    """Shared plumbing: an httpx client with a timeout, status → error mapping, JSON reading.

    Subclasses set the class attributes, implement what their ``capabilities`` promise and may
    refine :meth:`error_reason` (the network's own words) and :meth:`map_error`.
    """

    do_not_call_in_templates: ClassVar[bool] = True  # a template given the class must not instantiate it

    network: ClassVar[str] = ""
    label: ClassVar[str] = ""
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    connect_fields: ClassVar[tuple[ConnectField, ...]] = ()
    default_base_url: ClassVar[str] = ""
    default_limits: ClassVar[PublishLimits | None] = None
    idempotency_window_seconds: ClassVar[int] = 0
    # True when a remote id names the same item whichever account or server reads it (Bluesky's AT
    # URIs); False where ids are local to a server (Mastodon's status ids) or to a chat (Telegram).
    remote_ids_are_global: ClassVar[bool] = False
    # True when the connector reads a file given only by ``MediaFile.path`` a chunk at a time (YouTube,
    # Facebook, X); others get the file's bytes in ``content`` (publishing reads them for it).
    streams_files: ClassVar[bool] = False

    def __init__(
        self,
        *,
        base_url: str,
        credentials: Mapping[str, str],
        options: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        idempotency_window: int | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.credentials = dict(credentials)
        self.options = dict(options or {})
        # The account's own override of ``idempotency_window_seconds`` (a server that ignores keys: 0).
        self._idempotency_window = idempotency_window
        seconds = timeout if timeout is not None else float(settings.CONNECTOR_TIMEOUT_SECONDS)
        self._client = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(seconds, connect=min(seconds, 5.0)),
            headers={"User-Agent": "Pappus (+https://github.com/pappus)", **self.auth_headers()},
            follow_redirects=False,
        )
        self._rate_limit: RateLimitBudget | None = None
        # Set for a connector built for a stored account (services.connector_for); None: nothing is kept.
        self.upload_sessions: UploadSessionStore | None = None

    def __repr__(self) -> str:  # never shows credentials
        return f"<{type(self).__name__} {self.base_url}>"

    # --- the protocol's defaults: a capability not declared is refused -------------------------

    def _unsupported(self, capability: Capability) -> NotSupportedError:
        return NotSupportedError(f"{self.label} does not support {capability.value}", network=self.network)

    @property
    def rate_limit(self) -> RateLimitBudget | None:
        return self._rate_limit

    def limits(self) -> PublishLimits:
        """The limits of one post on this account (a server may publish its own); the declared defaults here."""
        if self.default_limits is None or Capability.PUBLISH not in self.capabilities:
            raise self._unsupported(Capability.PUBLISH)
        return self.default_limits

    @property
    def idempotency_window(self) -> int:
        """Seconds this account's server honours an idempotency key: the account's override, else the declaration."""
        return self._idempotency_window if self._idempotency_window is not None else self.idempotency_window_seconds

    @property
    def honours_idempotency_keys(self) -> bool:
        return self.idempotency_window > 0

    def account_info(self) -> AccountInfo:
        raise NotImplementedError

    def publish(self, request: PublishRequest) -> PublishResult:
        raise self._unsupported(Capability.PUBLISH)

    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult:
        raise self._unsupported(Capability.REPLY)

    def inbox(self, *, cursor: str = "", limit: int = 40) -> InboundPage:
        raise self._unsupported(Capability.INBOX)

    def listen(self, query: str, *, limit: int = 40) -> InboundPage:
        raise self._unsupported(Capability.LISTEN)

    def delete(self, remote_id: str) -> None:
        raise self._unsupported(Capability.MODERATE)

    def hide(self, remote_id: str, *, hidden: bool = True) -> None:
        """Hide (or show again) a comment from everyone but its author, where the network can."""
        raise NotSupportedError(f"{self.label} cannot hide comments", network=self.network)

    def post_metrics(self, remote_id: str) -> MetricSnapshot:
        raise self._unsupported(Capability.METRICS)

    def account_metrics(self) -> MetricSnapshot:
        raise self._unsupported(Capability.METRICS)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    # --- HTTP -----------------------------------------------------------------------------------

    def auth_headers(self) -> dict[str, str]:
        token = self.credentials.get("access_token", "")
        return {"Authorization": f"Bearer {token}"} if token else {}

    def check_limits(self, request: PublishRequest) -> None:
        self.limits().check(request, network=self.network)

    def request(self, method: str, path: str, *, repeatable: bool | None = None, **arguments: Any) -> httpx.Response:
        """Send one request; a transport failure or an error status raises a ConnectorError.

        ``repeatable`` says whether sending the request twice is harmless (see :meth:`is_repeatable`);
        a caller that knows better than the method and headers (an upload that is never posted by
        itself) says so.
        """
        if repeatable is None:
            repeatable = self.is_repeatable(method, arguments.get("headers") or {})
        try:
            response = self._transmit(method, path, arguments, repeatable=repeatable)
        except httpx.TimeoutException as error:
            raise TemporaryFailureError(
                f"{self.label} did not answer in time ({type(error).__name__})", network=self.network
            ) from error
        except httpx.HTTPError as error:
            raise TemporaryFailureError(f"{self.label} could not be reached: {error}", network=self.network) from error
        self._rate_limit = self.read_rate_limit(response) or self._rate_limit
        if response.is_success:
            return response
        failure = self.map_error(response)
        logger.info(
            "connectors.request_failed network=%s method=%s status=%s error=%s",
            self.network,
            method,
            response.status_code,
            failure.code,
        )
        raise failure

    def is_repeatable(self, method: str, headers: Mapping[str, str]) -> bool:
        """Whether sending this request a second time cannot do anything twice.

        Idempotent methods are; a POST is only when it carries an idempotency key **and** the network
        honours such keys (``idempotency_window``: the declaration, or the account's override). A key
        the server ignores protects nothing: the first request may have been carried out before the
        connection broke, and a repeat would post a second time.
        """
        if method.upper() in IDEMPOTENT_METHODS:
            return True
        carries_key = any(name.lower() == "idempotency-key" for name in headers)
        return carries_key and self.honours_idempotency_keys

    def _transmit(self, method: str, path: str, arguments: dict[str, Any], *, repeatable: bool) -> httpx.Response:
        """One request; retried once when the connection broke before an answer came (a server
        that closes kept-alive connections without saying so does this), only if ``repeatable``."""
        try:
            return self._client.request(method, path, **arguments)
        except (httpx.RemoteProtocolError, httpx.ReadError):
            if not repeatable:
                raise
            logger.info("connectors.retry_closed_connection network=%s method=%s", self.network, method)
            return self._client.request(method, path, **arguments)

    def request_json(self, method: str, path: str, **arguments: Any) -> Any:
        response = self.request(method, path, **arguments)
        return self.read_json(response)

    def read_json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise TemporaryFailureError(
                f"{self.label} answered with unreadable JSON (HTTP {response.status_code})",
                network=self.network,
                status=response.status_code,
            ) from error

    def read_rate_limit(self, response: httpx.Response) -> RateLimitBudget | None:
        """The budget from ``X-RateLimit-*`` headers (Mastodon's and many others' names)."""
        headers = response.headers
        limit = _optional_int(headers.get("x-ratelimit-limit"))
        remaining = _optional_int(headers.get("x-ratelimit-remaining"))
        if limit is None and remaining is None:
            return None
        resets_at = None
        reset = headers.get("x-ratelimit-reset")
        if reset:
            try:
                resets_at = datetime.datetime.fromisoformat(reset.replace("Z", "+00:00"))
            except ValueError:
                resets_at = None
        return RateLimitBudget(limit=limit, remaining=remaining, resets_at=resets_at)

    def error_reason(self, response: httpx.Response) -> str:
        """The network's own words for an error answer; subclasses read their error body."""
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        if isinstance(body, dict):
            for key in ("error_description", "error", "message", "detail"):
                if isinstance(body.get(key), str) and body[key]:
                    return str(body[key])[:MAXIMUM_REASON_CHARACTERS]
        text = response.text.strip()
        if text and "html" not in response.headers.get("content-type", ""):
            return text[:MAXIMUM_REASON_CHARACTERS]
        return f"HTTP {response.status_code} {response.reason_phrase}".strip()

    def retry_after(self, response: httpx.Response) -> float | None:
        seconds = parse_retry_after(response.headers.get("retry-after"))
        if seconds is None and self._rate_limit is not None and self._rate_limit.resets_at is not None:
            seconds = max(0.0, (self._rate_limit.resets_at - timezone.now()).total_seconds())
        return seconds

    def map_error(self, response: httpx.Response) -> ConnectorError:
        status = response.status_code
        reason = self.error_reason(response)
        network = self.network
        if status == 401:
            return AuthExpiredError(f"{self.label} refused the token: {reason}", network=network, status=status)
        if status == 429:
            retry_after = self.retry_after(response)
            return RateLimitedError(
                f"{self.label} rate limit reached: {reason}", retry_after=retry_after, network=network, status=status
            )
        if status in {404, 410}:
            return NotFoundError(f"{self.label}: {reason}", network=network, status=status)
        if status >= 500 or status in {408, 425}:
            return TemporaryFailureError(
                f"{self.label} failed: {reason}",
                retry_after=parse_retry_after(response.headers.get("retry-after")),
                network=network,
                status=status,
            )
        return ContentRejectedError(reason, network=network, status=status)
