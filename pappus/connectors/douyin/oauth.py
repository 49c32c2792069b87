"""OAuth 2 for ByteDance's open platforms (Douyin at open.douyin.com, Toutiao at open.snssdk.com).

Both speak the authorization-code flow with their own names and envelope, which the common flow of
:mod:`pappus.connectors.oauth` reaches through :attr:`OAuthSpec.token_requester`:

- the client is ``client_key`` (not ``client_id``), scopes are separated by commas, there is no PKCE;
- ``POST /oauth/access_token/`` (JSON: ``client_key``, ``client_secret``, ``code``,
  ``grant_type=authorization_code``) and ``POST /oauth/refresh_token/`` (form: ``client_key``,
  ``grant_type=refresh_token``, ``refresh_token``) answer ``{"data": {"access_token", "expires_in"
  (15 days), "open_id", "refresh_token", "refresh_expires_in" (30 days), "scope", "error_code",
  "description"}, "message"}`` — HTTP 200 even for a refusal, which is ``data.error_code`` ≠ 0;
- the refresh token does not come anew with a refresh: it is renewed at
  ``POST /oauth/renew_refresh_token/`` (form: ``client_key``, ``refresh_token``; a new refresh token
  for another 30 days, a limited number of times). Pappus renews it when it would run out before
  the next access token does; once the platform refuses, the old one serves until its end, and the
  health page shows when the person must sign in again.

The refresh and renewal endpoints are found next to the app's token address (its last path segment
``access_token/`` replaced), so an app pointed at a compatible server uses that server for all three.
"""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Mapping
from typing import Any

import httpx
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from pappus.connectors.base import MAXIMUM_REASON_CHARACTERS
from pappus.connectors.errors import (
    AuthExpiredError,
    ConnectorError,
    ContentRejectedError,
    RateLimitedError,
    TemporaryFailureError,
)
from pappus.connectors.models import OAuthApp
from pappus.connectors.oauth import OAuthCandidate, OAuthGrant, OAuthSpec, TokenSet, app_secret

logger = logging.getLogger("pappus.connectors")

# The OAuth codes of the status-code pages: the app's set-up (client_key unknown, secret wrong,
# redirect address not registered, scope not granted to the app) …
APP_CODES = frozenset({10003, 10004, 10006, 10013, 10014, 10015})
# … a code or token expired or used (10007 code expired, 10008 token invalid, 10010 refresh token
# expired, 10020 refresh token renewed too often; the OpenAPI's 2190002/2190008 access token invalid
# or expired) …
EXPIRED_CODES = frozenset({10007, 10008, 10010, 10020, 2190002, 2190008, 28001008, 28001003})
# … the limits and the platform's own failures.
RATE_CODES = frozenset({2190001, 28003017, 28003018, 28001052})
TEMPORARY_CODES = frozenset({2100004, 28001005, 28001006})


def sibling_endpoint(token_url: str, name: str) -> str:
    """``…/oauth/access_token/`` → ``…/oauth/<name>/`` (refresh_token, renew_refresh_token)."""
    base = token_url.rstrip("/")
    head, _separator, _last = base.rpartition("/")
    return f"{head}/{name}/"


def _moment(seconds: Any) -> datetime.datetime | None:
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        return None
    return timezone.now() + datetime.timedelta(seconds=value) if value > 0 else None


def token_error(code: int, description: str, *, network: str, label: str) -> ConnectorError:
    reason = f"{description or 'error'} ({code})"[:MAXIMUM_REASON_CHARACTERS]
    if code in RATE_CODES:
        return RateLimitedError(
            _("%(network)s asks to slow down: %(reason)s") % {"network": label, "reason": reason},
            retry_after=60.0,
            network=network,
        )
    if code in TEMPORARY_CODES:
        return TemporaryFailureError(
            _("%(network)s's sign-in service failed: %(reason)s") % {"network": label, "reason": reason},
            network=network,
        )
    if code in APP_CODES:
        return ContentRejectedError(
            _("%(network)s refused the app's client key or secret (%(reason)s): check the OAuth app settings.")
            % {"network": label, "reason": reason},
            network=network,
        )
    return AuthExpiredError(_("Authorization expired — reconnect: %(reason)s") % {"reason": reason}, network=network)


def _post(
    url: str,
    *,
    network: str,
    label: str,
    json_body: Mapping[str, str] | None = None,
    form: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """One call to a ByteDance OAuth endpoint: its ``data`` when ``error_code`` is 0, a ConnectorError otherwise."""
    seconds = float(settings.CONNECTOR_TIMEOUT_SECONDS)
    try:
        response = httpx.post(
            url,
            json=dict(json_body) if json_body is not None else None,
            data=dict(form) if form is not None else None,
            headers={"User-Agent": "Pappus (+https://github.com/pappus)", "Accept": "application/json"},
            timeout=httpx.Timeout(seconds, connect=min(seconds, 5.0)),
            follow_redirects=False,
        )
    except httpx.TimeoutException as error:
        raise TemporaryFailureError(
            _("%(network)s's sign-in service did not answer in time.") % {"network": label}, network=network
        ) from error
    except httpx.HTTPError as error:
        raise TemporaryFailureError(
            _("%(network)s's sign-in service could not be reached: %(error)s") % {"network": label, "error": error},
            network=network,
        ) from error
    if response.status_code == 429:
        raise RateLimitedError(
            _("%(network)s asks to slow down: %(reason)s") % {"network": label, "reason": "HTTP 429"},
            retry_after=60.0,
            network=network,
            status=429,
        )
    if response.status_code >= 500:
        raise TemporaryFailureError(
            _("%(network)s's sign-in service failed: %(reason)s")
            % {"network": label, "reason": f"HTTP {response.status_code}"},
            network=network,
            status=response.status_code,
        )
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        raise TemporaryFailureError(
            _("%(network)s's sign-in service answered with unreadable JSON (HTTP %(status)s).")
            % {"network": label, "status": response.status_code},
            network=network,
            status=response.status_code,
        )
    try:
        code = int(data.get("error_code") or 0)
    except (TypeError, ValueError):
        code = -1
    if code:
        raise token_error(code, str(data.get("description") or ""), network=network, label=label)
    return data


def _token_set(data: Mapping[str, Any], *, network: str, label: str, refresh_token: str = "") -> TokenSet:
    access_token = data.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise TemporaryFailureError(
            _("%(network)s's sign-in service answered without an access token.") % {"network": label}, network=network
        )
    scope = data.get("scope")
    return TokenSet(
        access_token=access_token,
        refresh_token=str(data.get("refresh_token") or refresh_token),
        expires_at=_moment(data.get("expires_in")),
        scopes=tuple(str(scope).replace(",", " ").split()) if isinstance(scope, str) else (),
        refresh_expires_at=_moment(data.get("refresh_expires_in")),
        extra={"open_id": str(data.get("open_id") or "")},
    )


def request_tokens(spec: OAuthSpec, app: OAuthApp, fields: Mapping[str, str], *, network: str, label: str) -> TokenSet:
    """The code exchange or a refresh (by ``fields["grant_type"]``), renewing the refresh token when due."""
    if fields.get("grant_type") == "refresh_token":
        return _refresh(app, fields["refresh_token"], network=network, label=label)
    data = _post(
        app.token_url,
        network=network,
        label=label,
        json_body={
            "client_key": app.client_id,
            "client_secret": app_secret(app),
            "code": fields.get("code", ""),
            "grant_type": "authorization_code",
        },
    )
    return _token_set(data, network=network, label=label)


def _refresh(app: OAuthApp, refresh_token: str, *, network: str, label: str) -> TokenSet:
    data = _post(
        sibling_endpoint(app.token_url, "refresh_token"),
        network=network,
        label=label,
        form={"client_key": app.client_id, "grant_type": "refresh_token", "refresh_token": refresh_token},
    )
    tokens = _token_set(data, network=network, label=label, refresh_token=refresh_token)
    # The refresh token must outlive the new access token (and a day of slack), or the next refresh fails.
    needed = (tokens.expires_at or timezone.now()) + datetime.timedelta(days=1)
    if tokens.refresh_expires_at is None or tokens.refresh_expires_at > needed:
        return tokens
    try:
        renewed = _post(
            sibling_endpoint(app.token_url, "renew_refresh_token"),
            network=network,
            label=label,
            form={"client_key": app.client_id, "refresh_token": tokens.refresh_token},
        )
    except ConnectorError as error:
        # Renewed as often as the platform allows (or it failed now): the old one serves until its end,
        # and the health page says when to sign in again.
        logger.info("connectors.refresh_token_not_renewed network=%s reason=%s", network, type(error).__name__)
        return tokens
    new_refresh = str(renewed.get("refresh_token") or "")
    if not new_refresh:
        return tokens
    return TokenSet(
        access_token=tokens.access_token,
        refresh_token=new_refresh,
        expires_at=tokens.expires_at,
        scopes=tokens.scopes,
        refresh_expires_at=_moment(renewed.get("expires_in")) or tokens.refresh_expires_at,
        extra=tokens.extra,
    )


def grant_accounts(grant: OAuthGrant) -> list[OAuthCandidate]:
    """The one account a grant is: the ``open_id`` the token came with, read with ``account_info``."""
    from pappus.connectors import registry

    open_id = grant.tokens.extra.get("open_id", "")
    if not open_id:
        raise TemporaryFailureError(
            _("%(network)s's sign-in service answered without an open_id.") % {"network": grant.label},
            network=grant.network,
        )
    options = {**grant.options, "open_id": open_id}
    with registry.build(
        grant.network, base_url=grant.app.api_base_url, credentials=grant.credentials, options=options
    ) as connector:
        info = connector.account_info()
    return [
        OAuthCandidate(
            remote_id=info.remote_id,
            handle=info.handle,
            display_name=info.display_name,
            credentials=grant.credentials,
            options=options,
            token_expires_at=grant.tokens.expires_at,
            refresh_expires_at=grant.tokens.refresh_expires_at,
        )
    ]


def bytedance_spec(*, authorize_url: str, token_url: str, scopes: tuple[str, ...], console: str) -> OAuthSpec:
    return OAuthSpec(
        authorize_url=authorize_url,
        token_url=token_url,
        scopes=scopes,
        client_authentication="body",
        developer_console_url=console,
        scope_separator=",",
        client_id_parameter="client_key",
        token_requester=request_tokens,
        accounts=grant_accounts,
    )
