"""OAuth 2 authorization-code sign-in with the workspace's own app, and refresh-token renewal.

Self-hosted, so every workspace registers its own app with the network (Reddit, X, Google for
YouTube) and enters the client id and secret here (:class:`OAuthApp`, the secret Fernet-encrypted
like account credentials). Signing in:

1. :func:`authorization_start` stores a single-use :class:`OAuthState` bound to the user and the
   session (the state and session key kept as SHA-256 hashes; the PKCE verifier encrypted) and
   gives the network's authorize URL with ``state`` and, where the network supports it, a PKCE
   S256 ``code_challenge``.
2. The network sends the person back to the callback with ``code`` and ``state``;
   :func:`authorization_complete` checks the state (unknown, used, expired, another user's or
   another session's → :class:`StateMismatchError`), deletes it, exchanges the code at the token
   endpoint and connects the account through :mod:`pappus.connectors.services` (reconnecting an
   account the workspace already has keeps its row, history and a refresh token the network did
   not send again).

:func:`account_refresh` renews an access token with the refresh token: when a connector is built
for an account whose token runs out within minutes, and from the scheduled token check a margin
ahead. Token endpoint errors are mapped to the small error set of :mod:`pappus.connectors.errors`
(``invalid_grant`` → :class:`AuthExpiredError`: reconnect).
"""

from __future__ import annotations

import base64
import datetime
import functools
import hashlib
import json
import logging
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

import httpx
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pappus.connectors import crypto
from pappus.connectors.base import MAXIMUM_REASON_CHARACTERS, parse_retry_after
from pappus.connectors.errors import (
    AuthExpiredError,
    ConnectorError,
    ContentRejectedError,
    RateLimitedError,
    TemporaryFailureError,
)
from pappus.connectors.models import AccountCredentials, ConnectedAccount, OAuthApp, OAuthChoice, OAuthState
from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.models import Membership, Region
from pappus.core.permissions import Action, require

logger = logging.getLogger("pappus.connectors")

# How long a started sign-in may take before its state is refused.
STATE_LIFETIME = datetime.timedelta(minutes=15)
# A connector built for an account whose access token runs out sooner than this renews it first.
REFRESH_ON_USE_MARGIN = datetime.timedelta(minutes=5)
# The hourly token check renews tokens that run out before the next check (and some slack).
REFRESH_ON_CHECK_MARGIN = datetime.timedelta(minutes=90)
# The account option holding when its refresh token runs out (ISO 8601), where the network says.
REFRESH_EXPIRY_OPTION = "refresh_token_expires_at"
# Token endpoint error codes of RFC 6749 §5.2 that mean the app itself is set up wrongly.
_APP_ERRORS = frozenset({"invalid_client", "unauthorized_client", "invalid_scope", "unsupported_grant_type"})


@dataclass(frozen=True, slots=True)
class OAuthSpec:
    """How a network does OAuth 2: its endpoints, the scopes Pappus asks for, PKCE and client authentication.

    ``client_authentication``: "basic" sends the client id and secret as HTTP Basic (Reddit, X's
    confidential clients), "body" as form fields (Google).
    """

    authorize_url: str
    token_url: str
    scopes: tuple[str, ...]
    pkce: bool = False
    client_authentication: Literal["basic", "body"] = "basic"
    extra_authorize_parameters: tuple[tuple[str, str], ...] = ()
    developer_console_url: str = ""
    # Whether the network's app registration can have no secret (public clients with PKCE).
    secret_required: bool = True
    scope_separator: str = " "
    extra_token_headers: tuple[tuple[str, str], ...] = field(default=())
    # Query parameters the network adds to the callback besides ``code`` and ``state`` that its token
    # endpoint wants back with the code and with every refresh (VK ID's ``device_id``); kept, encrypted,
    # with the account's tokens.
    callback_fields: tuple[str, ...] = ()
    # Whether the token endpoint wants a ``state`` in the exchange and in refreshes too (VK ID).
    state_in_token_requests: bool = False
    # Which accounts a grant gives (Facebook Login: the person's Pages, each with its own Page token).
    # None: the token is the account itself, read with ``account_info``.
    accounts: Callable[[OAuthGrant], list[OAuthCandidate]] | None = field(default=None, compare=False)
    # Whether the person picks which of the grant's accounts to connect (Facebook Pages, Instagram).
    choose_accounts: bool = False
    # The name of the client id parameter in the authorize URL and token requests (Douyin and
    # Toutiao: ``client_key``).
    client_id_parameter: str = "client_id"
    # A network whose token endpoint is not RFC 6749's (Douyin and Toutiao: their own envelope and
    # error codes, a refresh token renewed at its own endpoint) gives its own request function,
    # called instead of :func:`token_request`'s plain exchange, with the same arguments.
    token_requester: Callable[..., TokenSet] | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class TokenSet:
    """What a token endpoint answered (secrets: never logged, never audited)."""

    access_token: str = field(repr=False)
    refresh_token: str = field(default="", repr=False)
    expires_at: datetime.datetime | None = None
    scopes: tuple[str, ...] = ()
    token_type: str = "bearer"  # noqa: S105 - a token kind, not a secret
    # When the refresh token itself runs out, where the network says (Douyin: 30 days).
    refresh_expires_at: datetime.datetime | None = None
    # Other plain values of the answer an accounts hook needs (Douyin's ``open_id``).
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OAuthGrant:
    """What a completed code exchange gives an :attr:`OAuthSpec.accounts` hook to find the accounts with."""

    network: str
    label: str
    spec: OAuthSpec
    app: OAuthApp
    tokens: TokenSet
    # The access and refresh tokens and the callback's fields (``device_id``): what an account keeps.
    credentials: Mapping[str, str] = field(repr=False)
    # The plain options the person chose before signing in (a VK community).
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class OAuthCandidate:
    """One account a grant gives access to, with the credentials it will be connected with."""

    remote_id: str
    handle: str
    display_name: str = ""
    credentials: Mapping[str, str] = field(default_factory=dict, repr=False)
    options: Mapping[str, Any] = field(default_factory=dict)
    token_expires_at: datetime.datetime | None = None
    # Known not to expire (Page tokens got from a long-lived user token): shown as such.
    token_never_expires: bool = False
    refresh_expires_at: datetime.datetime | None = None

    def as_stored(self) -> dict[str, Any]:
        return {
            "remote_id": self.remote_id,
            "handle": self.handle,
            "display_name": self.display_name,
            "credentials": dict(self.credentials),
            "options": dict(self.options),
            "token_expires_at": self.token_expires_at.isoformat() if self.token_expires_at else None,
            "token_never_expires": self.token_never_expires,
            "refresh_expires_at": self.refresh_expires_at.isoformat() if self.refresh_expires_at else None,
        }

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> OAuthCandidate:
        expires = stored.get("token_expires_at")
        refresh_expires = stored.get("refresh_expires_at")
        return cls(
            remote_id=str(stored["remote_id"]),
            handle=str(stored.get("handle") or ""),
            display_name=str(stored.get("display_name") or ""),
            credentials={str(name): str(value) for name, value in (stored.get("credentials") or {}).items()},
            options=dict(stored.get("options") or {}),
            token_expires_at=datetime.datetime.fromisoformat(expires) if isinstance(expires, str) else None,
            token_never_expires=bool(stored.get("token_never_expires")),
            refresh_expires_at=(
                datetime.datetime.fromisoformat(refresh_expires) if isinstance(refresh_expires, str) else None
            ),
        )


class StateMismatchError(Exception):
    """The callback's ``state`` is unknown, used, expired or belongs to another user or session."""


# --- PKCE and the authorize URL -------------------------------------------------------------------


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def code_challenge(verifier: str) -> str:
    """PKCE S256 (RFC 7636 §4.2): BASE64URL(SHA256(ASCII(verifier))) without padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(
    spec: OAuthSpec, app: OAuthApp, *, redirect_uri: str, state: str, verifier: str, scopes: tuple[str, ...]
) -> str:
    parameters: dict[str, str] = {
        "response_type": "code",
        spec.client_id_parameter: app.client_id,
        "redirect_uri": redirect_uri,
        "scope": spec.scope_separator.join(scopes),
        "state": state,
    }
    if spec.pkce:
        parameters["code_challenge"] = code_challenge(verifier)
        parameters["code_challenge_method"] = "S256"
    parameters.update(dict(spec.extra_authorize_parameters))
    separator = "&" if "?" in app.authorize_url else "?"
    return f"{app.authorize_url}{separator}{urlencode(parameters)}"


def app_scopes(app: OAuthApp, spec: OAuthSpec) -> tuple[str, ...]:
    entered = tuple(scope for scope in app.scopes.replace(",", " ").split() if scope)
    return entered or spec.scopes


# --- the token endpoint ---------------------------------------------------------------------------


# Meta's token endpoint answers with the Graph API's error object ({"error": {"message", "code", ...}}):
# 1 "Error validating client secret" and 101 "Error validating application" are the app's set-up;
# 4, 17, 32 and 613 are call limits; 2 is a temporary failure; the rest (100 for a wrong, used or
# expired code, 190 for a refused token) means signing in again.
_META_APP_CODES = frozenset({1, 101})
_META_RATE_CODES = frozenset({4, 17, 32, 613})


def _meta_error(body: Any) -> dict[str, Any] | None:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return dict(body["error"])
    return None


def _reason(body: Any, response: httpx.Response) -> str:
    meta = _meta_error(body)
    if meta is not None:
        described = meta.get("error_user_msg") or meta.get("message")
        if isinstance(described, str) and described:
            return described[:MAXIMUM_REASON_CHARACTERS]
    if isinstance(body, dict):
        described = body.get("error_description") or body.get("error") or body.get("message")
        if isinstance(described, str) and described:
            return described[:MAXIMUM_REASON_CHARACTERS]
    return f"HTTP {response.status_code} {response.reason_phrase}".strip()


def map_token_error(response: httpx.Response, body: Any, *, network: str, label: str) -> ConnectorError:
    """A token endpoint's refusal in the small error set (RFC 6749 §5.2 codes, HTTP status otherwise)."""
    status = response.status_code
    code = body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), str) else None
    reason = _reason(body, response)
    meta = _meta_error(body)
    meta_code = meta.get("code") if meta is not None else None
    if meta_code in _META_APP_CODES:
        code = "invalid_client"
    temporary = status >= 500 or meta_code == 2 or (meta is not None and meta.get("is_transient") is True)
    if status == 429 or meta_code in _META_RATE_CODES:
        return RateLimitedError(
            _("%(network)s asks to slow down: %(reason)s") % {"network": label, "reason": reason},
            retry_after=parse_retry_after(response.headers.get("retry-after")),
            network=network,
            status=status,
        )
    if temporary:
        return TemporaryFailureError(
            _("%(network)s's sign-in service failed: %(reason)s") % {"network": label, "reason": reason},
            retry_after=parse_retry_after(response.headers.get("retry-after")),
            network=network,
            status=status,
        )
    if code in _APP_ERRORS or (status == 401 and code is None):
        return ContentRejectedError(
            _("%(network)s refused the app's client id or secret (%(reason)s): check the OAuth app settings.")
            % {"network": label, "reason": reason},
            network=network,
            status=status,
        )
    # invalid_grant (a code or refresh token expired, used or revoked) and anything else the network
    # refuses about the grant: a person must sign in again.
    return AuthExpiredError(
        _("Authorization expired — reconnect: %(reason)s") % {"reason": reason}, network=network, status=status
    )


def token_request(spec: OAuthSpec, app: OAuthApp, fields: Mapping[str, str], *, network: str, label: str) -> TokenSet:
    """POST to the app's token endpoint; a ConnectorError for every failure, tokens otherwise."""
    if spec.token_requester is not None:
        return spec.token_requester(spec, app, fields, network=network, label=label)
    data = dict(fields)
    secret = app_secret(app)
    auth: tuple[str, str] | None = None
    if spec.client_authentication == "basic" and secret:
        auth = (app.client_id, secret)
    else:
        data[spec.client_id_parameter] = app.client_id
        if secret:
            data["client_secret"] = secret
    seconds = float(settings.CONNECTOR_TIMEOUT_SECONDS)
    headers = {"User-Agent": "Pappus (+https://github.com/pappus)", "Accept": "application/json"}
    headers.update(dict(spec.extra_token_headers))
    try:
        response = httpx.post(
            app.token_url,
            data=data,
            auth=auth,
            headers=headers,
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
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if not response.is_success:
        raise map_token_error(response, body, network=network, label=label)
    if not isinstance(body, dict):
        raise TemporaryFailureError(
            _("%(network)s's sign-in service answered with unreadable JSON (HTTP %(status)s).")
            % {"network": label, "status": response.status_code},
            network=network,
            status=response.status_code,
        )
    if body.get("error"):
        # Reddit answers a refused code or refresh token with 200 {"error": "invalid_grant"}.
        raise map_token_error(response, body, network=network, label=label)
    access_token = body.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise TemporaryFailureError(
            _("%(network)s's sign-in service answered without an access token.") % {"network": label},
            network=network,
            status=response.status_code,
        )
    expires_in = body.get("expires_in")
    expires_at = (
        timezone.now() + datetime.timedelta(seconds=float(expires_in))
        if isinstance(expires_in, int | float) or (isinstance(expires_in, str) and expires_in.isdigit())
        else None
    )
    scope = body.get("scope")
    if isinstance(scope, list):
        granted = tuple(str(item) for item in scope)
    elif isinstance(scope, str):
        granted = tuple(scope.replace(",", " ").split())
    else:
        granted = ()
    refresh = body.get("refresh_token")
    return TokenSet(
        access_token=access_token,
        refresh_token=refresh if isinstance(refresh, str) else "",
        expires_at=expires_at,
        scopes=granted,
        token_type=str(body.get("token_type") or "bearer"),
    )


# --- apps -------------------------------------------------------------------------------------------


def app_secret(app: OAuthApp) -> str:
    if not app.client_secret:
        return ""
    return crypto.decrypt(app.client_secret).get("client_secret", "")


def encrypt_secret(secret: str) -> str:
    return crypto.encrypt({"client_secret": secret}) if secret else ""


def spec_of(network: str) -> OAuthSpec | None:
    from pappus.connectors import registry

    try:
        connector_class = registry.connector_class(network)
    except LookupError:
        return None
    spec = getattr(connector_class, "oauth", None)
    return spec if isinstance(spec, OAuthSpec) else None


def label_of(network: str) -> str:
    from pappus.connectors import registry

    return registry.connector_class(network).label


# --- renewal ------------------------------------------------------------------------------------------


def _stored(account: ConnectedAccount) -> dict[str, str]:
    row = AccountCredentials.objects.for_workspace(account.workspace_id).filter(account=account).first()
    return crypto.decrypt(row.credentials) if row is not None else {}


def refresh_due(account: ConnectedAccount, margin: datetime.timedelta, now: datetime.datetime | None = None) -> bool:
    """Whether the account's access token runs out within ``margin`` and it can be renewed here."""
    if account.token_expires_at is None or spec_of(account.network) is None:
        return False
    return account.token_expires_at - (now or timezone.now()) <= margin


def account_refresh(account: ConnectedAccount) -> bool:
    """Renew the access token with the stored refresh token; False when there is nothing to renew with.

    A refresh token the network does not send again is kept. A refusal (``invalid_grant``) raises
    :class:`AuthExpiredError` "Authorization expired — reconnect" — unless another process renewed
    the token meanwhile (networks that rotate refresh tokens refuse the old one), which counts as
    renewed. Not audited: like the health fields, it is the account's upkeep, not a change a person
    made; the expiry shown on the health page moves.
    """
    spec = spec_of(account.network)
    if spec is None:
        return False
    credentials = _stored(account)
    refresh_token = credentials.get("refresh_token", "")
    app = OAuthApp.objects.for_workspace(account.workspace_id).filter(network=account.network).first()
    if not refresh_token or app is None:
        return False
    label = label_of(account.network)
    fields = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    fields.update({name: credentials[name] for name in spec.callback_fields if credentials.get(name)})
    if spec.state_in_token_requests:
        fields["state"] = new_state()[0]
    try:
        tokens = token_request(spec, app, fields, network=account.network, label=label)
    except AuthExpiredError:
        if _stored(account).get("refresh_token", "") != refresh_token:
            logger.info("connectors.token_refreshed_elsewhere network=%s account=%s", account.network, account.pk)
            account.refresh_from_db(fields=["token_expires_at"])
            return True
        raise
    with transaction.atomic():
        row = AccountCredentials.objects.for_workspace(account.workspace_id).select_for_update().get(account=account)
        merged = {**crypto.decrypt(row.credentials), "access_token": tokens.access_token}
        if tokens.refresh_token:
            merged["refresh_token"] = tokens.refresh_token
        row.credentials = crypto.encrypt(merged)
        row.save(update_fields=["credentials", "updated_at"])
        account.token_expires_at = tokens.expires_at
        changed: dict[str, Any] = {"token_expires_at": tokens.expires_at}
        if tokens.refresh_expires_at is not None:
            accounts = ConnectedAccount.objects.for_workspace(account.workspace_id)
            current = accounts.select_for_update().get(pk=account.pk)
            account.options = {**current.options, REFRESH_EXPIRY_OPTION: tokens.refresh_expires_at.isoformat()}
            changed["options"] = account.options
        ConnectedAccount.objects.for_workspace(account.workspace_id).filter(pk=account.pk).update(**changed)
    logger.info("connectors.token_refreshed network=%s account=%s", account.network, account.pk)
    return True


# --- states ---------------------------------------------------------------------------------------------


def new_state() -> tuple[str, str]:
    """A fresh ``state`` and PKCE verifier (43+ characters of [A-Za-z0-9-_], RFC 7636 §4.1)."""
    return secrets.token_urlsafe(32), secrets.token_urlsafe(48)


def state_create(
    *,
    app: OAuthApp,
    user_id: int,
    session_key: str,
    redirect_uri: str,
    account: ConnectedAccount | None = None,
    region_id: int | None = None,
    options: Mapping[str, Any] | None = None,
) -> tuple[str, str]:
    """Store a started sign-in; returns (state, verifier) to put in the authorize URL."""
    state, verifier = new_state()
    now = timezone.now()
    OAuthState.objects.for_workspace(app.workspace_id).filter(expires_at__lt=now).delete()
    OAuthState.objects.create(
        workspace_id=app.workspace_id,
        app=app,
        user_id=user_id,
        state_hash=_hash(state),
        session_key_hash=_hash(session_key),
        code_verifier=crypto.encrypt({"code_verifier": verifier}),
        redirect_uri=redirect_uri,
        account=account,
        region_id=region_id,
        options=dict(options or {}),
        expires_at=now + STATE_LIFETIME,
    )
    return state, verifier


def state_take(*, state: str, network: str, workspace_id: int, user_id: int, session_key: str) -> OAuthState:
    """The started sign-in ``state`` names, deleted so it cannot be used twice; StateMismatchError otherwise."""
    if not state or not session_key:
        raise StateMismatchError("no state or no session")
    with transaction.atomic():
        row = (
            OAuthState.objects.for_workspace(workspace_id)
            .select_related("app")
            .filter(state_hash=_hash(state), app__network=network)
            .first()
        )
        if row is None:
            raise StateMismatchError("unknown or used state")
        deleted, _counts = OAuthState.objects.for_workspace(workspace_id).filter(pk=row.pk).delete()
        if not deleted:
            raise StateMismatchError("state used by a concurrent request")
    if row.user_id != user_id or not secrets.compare_digest(row.session_key_hash, _hash(session_key)):
        raise StateMismatchError("state of another user or session")
    if row.expires_at <= timezone.now():
        raise StateMismatchError("state expired")
    return row


def state_verifier(row: OAuthState) -> str:
    return crypto.decrypt(row.code_verifier).get("code_verifier", "")


# --- services: the app, starting and completing a sign-in -----------------------------------------------

APP_AUDITED_FIELDS = ("network", "client_id", "authorize_url", "token_url", "api_base_url", "scopes")


def oauth_app_get(membership: Membership, network: str) -> OAuthApp | None:
    require(membership, Action.CONNECTORS_VIEW)
    return OAuthApp.objects.for_workspace(membership.workspace_id).filter(network=network).first()


def oauth_app_save(
    *,
    actor: Actor,
    membership: Membership,
    network: str,
    client_id: str,
    client_secret: str = "",
    authorize_url: str = "",
    token_url: str = "",
    api_base_url: str = "",
    scopes: str = "",
) -> OAuthApp:
    """Create or change the workspace's app for ``network``; an empty secret keeps the stored one. Audited
    (without the secret: the audit shows only whether one was changed)."""
    require(membership, Action.CONNECTORS_MANAGE)
    spec = spec_of(network)
    if spec is None:
        raise ValidationError({"network": _("This network does not sign in with OAuth in Pappus.")})
    client_id = client_id.strip()
    if not client_id:
        raise ValidationError({"client_id": _("Enter the client id the network gave your app.")})
    from pappus.connectors import registry

    with transaction.atomic():
        app = (
            OAuthApp.objects.for_workspace(membership.workspace_id).select_for_update().filter(network=network).first()
        )
        before = audit.snapshot(app, APP_AUDITED_FIELDS) if app is not None else {}
        if app is None:
            app = OAuthApp(workspace_id=membership.workspace_id, network=network, created_by=actor.user)
        app.client_id = client_id
        secret_changed = bool(client_secret.strip())
        if secret_changed:
            app.client_secret = encrypt_secret(client_secret.strip())
        if spec.secret_required and not app.client_secret:
            raise ValidationError({"client_secret": _("Enter the client secret the network gave your app.")})
        app.authorize_url = authorize_url.strip() or spec.authorize_url
        app.token_url = token_url.strip() or spec.token_url
        app.api_base_url = (api_base_url.strip() or registry.connector_class(network).default_base_url).rstrip("/")
        app.scopes = " ".join(scopes.replace(",", " ").split())
        app.full_clean(exclude=["workspace", "created_by", "client_secret"])
        app.save()
        audit.record(
            actor,
            "oauth_app.save",
            workspace=membership.workspace,
            target=app,
            before=before,
            after={**audit.snapshot(app, APP_AUDITED_FIELDS), **({"secret_changed": True} if secret_changed else {})},
        )
    return app


def authorization_start(
    *,
    membership: Membership,
    network: str,
    user_id: int,
    session_key: str,
    redirect_uri: str,
    account: ConnectedAccount | None = None,
    region: Region | None = None,
    options: Mapping[str, Any] | None = None,
) -> str:
    """The network's authorize URL for a new sign-in (connecting, or reconnecting ``account``)."""
    require(membership, Action.CONNECTORS_MANAGE)
    spec = spec_of(network)
    app = OAuthApp.objects.for_workspace(membership.workspace_id).filter(network=network).first()
    if spec is None or app is None:
        raise OAuthApp.DoesNotExist(network)
    if account is not None and (account.workspace_id != membership.workspace_id or account.network != network):
        raise ConnectedAccount.DoesNotExist("the account belongs to another workspace or network")
    if region is not None and region.workspace_id != membership.workspace_id:
        raise Region.DoesNotExist("the region belongs to another workspace")
    state, verifier = state_create(
        app=app,
        user_id=user_id,
        session_key=session_key,
        redirect_uri=redirect_uri,
        account=account,
        region_id=region.pk if region is not None else None,
        options=options,
    )
    logger.info("connectors.oauth_started network=%s workspace=%s", network, membership.workspace_id)
    return authorize_url(
        spec, app, redirect_uri=redirect_uri, state=state, verifier=verifier, scopes=app_scopes(app, spec)
    )


def authorization_complete(
    *,
    actor: Actor,
    membership: Membership,
    network: str,
    state: str,
    code: str,
    user_id: int,
    session_key: str,
    callback: Mapping[str, str] | None = None,
) -> ConnectedAccount | OAuthChoice:
    """Check the state, exchange the code for tokens, connect (or reconnect) the account they belong to.

    ``callback``: the callback's other query parameters (those the spec's ``callback_fields`` name are
    sent back with the code). Where the person picks among the grant's accounts (Facebook Pages,
    Instagram), an :class:`OAuthChoice` is stored and returned instead; :func:`choice_complete` connects
    the picked ones. StateMismatchError for a state that is not this user's and session's open sign-in;
    a ConnectorError when the token endpoint or the network refuses; ValidationError when the grant
    does not give the account being reconnected.
    """
    require(membership, Action.CONNECTORS_MANAGE)
    started = state_take(
        state=state, network=network, workspace_id=membership.workspace_id, user_id=user_id, session_key=session_key
    )
    spec = spec_of(network)
    if spec is None:
        raise StateMismatchError("the network no longer signs in with OAuth")
    app = started.app
    label = label_of(network)
    returned = {name: str((callback or {}).get(name) or "") for name in spec.callback_fields}
    missing = [name for name, value in returned.items() if not value]
    if missing:
        raise ValidationError(
            _("%(network)s did not send %(fields)s back with the code: start again.")
            % {"network": label, "fields": ", ".join(missing)}
        )
    fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": started.redirect_uri, **returned}
    if spec.pkce:
        fields["code_verifier"] = state_verifier(started)
    if spec.state_in_token_requests:
        fields["state"] = state
    tokens = token_request(spec, app, fields, network=network, label=label)
    credentials = {"access_token": tokens.access_token, **returned}
    if tokens.refresh_token:
        credentials["refresh_token"] = tokens.refresh_token
    granted = list(tokens.scopes or app_scopes(app, spec))
    reconnecting: ConnectedAccount | None = None
    if started.account_id is not None:
        reconnecting = ConnectedAccount.objects.for_workspace(membership.workspace_id).get(pk=started.account_id)
    grant = OAuthGrant(
        network=network,
        label=label,
        spec=spec,
        app=app,
        tokens=tokens,
        credentials=credentials,
        options={**(reconnecting.options if reconnecting is not None else {}), **started.options},
    )
    if reconnecting is not None and spec.accounts is None:
        # The token is the account: account_reconnect checks that it is the same remote account.
        candidates = [
            OAuthCandidate(
                remote_id=reconnecting.remote_id,
                handle=reconnecting.handle,
                credentials=credentials,
                token_expires_at=tokens.expires_at,
                refresh_expires_at=tokens.refresh_expires_at,
            )
        ]
    else:
        candidates = spec.accounts(grant) if spec.accounts is not None else [token_account(grant)]
    if reconnecting is not None:
        matching = [candidate for candidate in candidates if candidate.remote_id == reconnecting.remote_id]
        if not matching:
            raise ValidationError(
                _("This sign-in did not give access to %(account)s. Sign in as someone who manages it.")
                % {"account": reconnecting.handle}
            )
        candidates = matching
    if not candidates:
        raise ValidationError(
            _("This %(network)s sign-in gives access to no account Pappus can connect.") % {"network": label}
        )
    if reconnecting is None and (spec.choose_accounts or len(candidates) > 1):
        return choice_create(
            started=started, candidates=candidates, granted=granted, session_key=session_key, user_id=user_id
        )
    return _connect_candidate(
        actor=actor,
        membership=membership,
        app=app,
        candidate=candidates[0],
        granted=granted,
        region=started.region,
        account=reconnecting,
    )


def token_account(grant: OAuthGrant) -> OAuthCandidate:
    """The account the token itself belongs to (Reddit, X, YouTube, VK with its community chosen)."""
    from pappus.connectors import registry

    with registry.build(
        grant.network, base_url=grant.app.api_base_url, credentials=grant.credentials, options=grant.options
    ) as connector:
        info = connector.account_info()
    return OAuthCandidate(
        remote_id=info.remote_id,
        handle=info.handle,
        display_name=info.display_name,
        credentials=grant.credentials,
        options=grant.options,
        token_expires_at=grant.tokens.expires_at,
        refresh_expires_at=grant.tokens.refresh_expires_at,
    )


def _connect_candidate(
    *,
    actor: Actor,
    membership: Membership,
    app: OAuthApp,
    candidate: OAuthCandidate,
    granted: Sequence[str],
    region: Region | None,
    account: ConnectedAccount | None = None,
) -> ConnectedAccount:
    """Connect the candidate, or give its new tokens to the account the workspace already has for it."""
    from pappus.connectors import services

    network = app.network
    existing = account or (
        ConnectedAccount.objects.for_workspace(membership.workspace_id)
        .filter(network=network, base_url=app.api_base_url, remote_id=candidate.remote_id)
        .first()
    )
    if existing is not None:
        connected = services.account_reconnect(
            actor=actor,
            membership=membership,
            account=existing,
            credentials=candidate.credentials,
            token_expires_at=candidate.token_expires_at,
        )
    else:
        connected = services.account_connect(
            actor=actor,
            membership=membership,
            network=network,
            base_url=app.api_base_url,
            credentials=candidate.credentials,
            options=candidate.options,
            region=region,
            token_expires_at=candidate.token_expires_at,
        )
    with transaction.atomic():
        connected = (
            ConnectedAccount.objects.for_workspace(membership.workspace_id).select_for_update().get(pk=connected.pk)
        )
        before = {"granted_scopes": connected.options.get("granted_scopes")}
        extra: dict[str, Any] = {"granted_scopes": list(granted)}
        if candidate.token_never_expires:
            extra["token_never_expires"] = True
        options = {**connected.options, **extra}
        if not candidate.token_never_expires:
            options.pop("token_never_expires", None)
        options.pop(REFRESH_EXPIRY_OPTION, None)
        if candidate.refresh_expires_at is not None:
            options[REFRESH_EXPIRY_OPTION] = candidate.refresh_expires_at.isoformat()
        connected.options = options
        if candidate.token_never_expires:
            connected.token_expires_at = None
        connected.save(update_fields=["options", "token_expires_at"])
        audit.record(
            actor,
            "connected_account.oauth_grant",
            workspace=membership.workspace,
            target=connected,
            before=before,
            after={
                "granted_scopes": list(granted),
                "token_expires_at": connected.token_expires_at.isoformat() if connected.token_expires_at else None,
                "token_never_expires": candidate.token_never_expires,
            },
        )
    logger.info("connectors.oauth_completed network=%s account=%s", network, connected.pk)
    return connected


# --- choosing among a grant's accounts (Facebook Pages, Instagram accounts) ---------------------------

CHOICE_LIFETIME = datetime.timedelta(minutes=15)


def choice_create(
    *,
    started: OAuthState,
    candidates: Sequence[OAuthCandidate],
    granted: Sequence[str],
    session_key: str,
    user_id: int,
) -> OAuthChoice:
    """Keep the grant's accounts (their tokens encrypted) for the person who signed in to pick from."""
    now = timezone.now()
    OAuthChoice.objects.for_workspace(started.workspace_id).filter(expires_at__lt=now).delete()
    stored = {"candidates": json.dumps([candidate.as_stored() for candidate in candidates])}
    return OAuthChoice.objects.create(
        workspace_id=started.workspace_id,
        app=started.app,
        user_id=user_id,
        session_key_hash=_hash(session_key),
        candidates=crypto.encrypt(stored),
        granted_scopes=list(granted),
        region=started.region,
        expires_at=now + CHOICE_LIFETIME,
    )


def _choice_of(
    *, workspace_id: int, network: str, choice_id: int, user_id: int, session_key: str, take: bool
) -> OAuthChoice:
    with transaction.atomic():
        row = (
            OAuthChoice.objects.for_workspace(workspace_id)
            .select_related("app", "region")
            .filter(pk=choice_id, app__network=network)
            .first()
        )
        if row is None:
            raise StateMismatchError("unknown or used choice")
        if row.user_id != user_id or not secrets.compare_digest(row.session_key_hash, _hash(session_key)):
            raise StateMismatchError("choice of another user or session")
        if row.expires_at <= timezone.now():
            OAuthChoice.objects.for_workspace(workspace_id).filter(pk=row.pk).delete()
            raise StateMismatchError("choice expired")
        if take:
            deleted, _counts = OAuthChoice.objects.for_workspace(workspace_id).filter(pk=row.pk).delete()
            if not deleted:
                raise StateMismatchError("choice used by a concurrent request")
    return row


def choice_candidates(row: OAuthChoice) -> list[OAuthCandidate]:
    stored = json.loads(crypto.decrypt(row.candidates).get("candidates", "[]"))
    return [OAuthCandidate.from_stored(item) for item in stored]


def choice_get(
    *, membership: Membership, network: str, choice_id: int, user_id: int, session_key: str
) -> tuple[OAuthChoice, list[OAuthCandidate]]:
    """The open choice of this user and session, with its accounts (to list; tokens stay inside)."""
    require(membership, Action.CONNECTORS_MANAGE)
    row = _choice_of(
        workspace_id=membership.workspace_id,
        network=network,
        choice_id=choice_id,
        user_id=user_id,
        session_key=session_key,
        take=False,
    )
    return row, choice_candidates(row)


def choice_complete(
    *,
    actor: Actor,
    membership: Membership,
    network: str,
    choice_id: int,
    user_id: int,
    session_key: str,
    remote_ids: Sequence[str],
) -> list[ConnectedAccount]:
    """Connect the picked accounts of an open choice (single-use: it is deleted first)."""
    require(membership, Action.CONNECTORS_MANAGE)
    wanted = {str(remote_id) for remote_id in remote_ids}
    if not wanted:
        raise ValidationError(_("Choose at least one account to connect."))
    found = functools.partial(
        _choice_of,
        workspace_id=membership.workspace_id,
        network=network,
        choice_id=choice_id,
        user_id=user_id,
        session_key=session_key,
    )
    row = found(take=False)
    picked = [candidate for candidate in choice_candidates(row) if candidate.remote_id in wanted]
    if len(picked) != len(wanted):
        raise ValidationError(_("Choose among the accounts this sign-in gave access to."))
    found(take=True)
    return [
        _connect_candidate(
            actor=actor,
            membership=membership,
            app=row.app,
            candidate=candidate,
            granted=row.granted_scopes,
            region=row.region,
        )
        for candidate in picked
    ]
