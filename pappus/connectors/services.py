"""Every write to connected accounts: connect, reconnect, disconnect, health, key rotation.

Network calls happen outside database transactions (a slow network never holds a row lock);
each service records an audit event, and no credential ever enters an audit event or a log.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pappus.connectors import crypto, registry
from pappus.connectors.base import Connector, HttpConnector
from pappus.connectors.contracts import AccountInfo
from pappus.connectors.errors import AuthExpiredError, ConnectorError
from pappus.connectors.models import AccountCredentials, AccountStatus, ConnectedAccount, Network
from pappus.connectors.uploads import AccountUploadSessions
from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.models import Membership, Region
from pappus.core.permissions import Action, require

logger = logging.getLogger("pappus.connectors")

# The fields of an account that enter the audit log (credentials live elsewhere and never do).
AUDITED_FIELDS = ("network", "base_url", "handle", "display_name", "remote_id", "region_id", "options", "status")


def _build(
    network: str,
    base_url: str,
    credentials: Mapping[str, str],
    options: Mapping[str, Any],
    idempotency_window: int | None = None,
) -> Connector:
    return registry.build(
        network, base_url=base_url, credentials=credentials, options=options, idempotency_window=idempotency_window
    )


def _check_network(network: str) -> None:
    if network not in Network.values or network not in registry.networks():
        raise ValidationError({"network": _("Pappus cannot connect to this network yet.")})


def _check_region(membership: Membership, region: Region | None) -> None:
    if region is not None and region.workspace_id != membership.workspace_id:
        raise Region.DoesNotExist("the region belongs to another workspace")


def _clean_credentials(credentials: Mapping[str, str]) -> dict[str, str]:
    return {name: value.strip() for name, value in credentials.items() if value and value.strip()}


def _verify(network: str, base_url: str, credentials: Mapping[str, str], options: Mapping[str, Any]) -> AccountInfo:
    connector = _build(network, base_url, credentials, options)
    try:
        return connector.account_info()
    finally:
        connector.close()


def _store_credentials(account: ConnectedAccount, credentials: Mapping[str, str]) -> None:
    AccountCredentials.objects.update_or_create(
        account=account, defaults={"workspace_id": account.workspace_id, "credentials": crypto.encrypt(credentials)}
    )


def _apply_info(account: ConnectedAccount, info: AccountInfo) -> None:
    account.handle = info.handle[:300]
    account.display_name = info.display_name[:300]
    account.profile_url = info.url[:1000]
    if info.token_expires_at is not None:
        account.token_expires_at = info.token_expires_at


def _clear_health(account: ConnectedAccount, now: datetime.datetime) -> None:
    account.status = AccountStatus.ACTIVE
    account.last_checked_at = now
    account.last_error = ""
    account.last_error_code = ""
    account.last_error_at = None
    account.disconnected_at = None


def account_connect(
    *,
    actor: Actor,
    membership: Membership,
    network: str,
    base_url: str,
    credentials: Mapping[str, str],
    options: Mapping[str, Any] | None = None,
    region: Region | None = None,
    token_expires_at: datetime.datetime | None = None,
) -> ConnectedAccount:
    """Connect an account with entered tokens, after the network has confirmed them.

    Raises a :class:`ConnectorError` when the network refuses (shown to the person with its
    reason). Connecting an account that this workspace already has reconnects it instead, so
    its history stays in one row.
    """
    require(membership, Action.CONNECTORS_MANAGE)
    _check_network(network)
    _check_region(membership, region)
    base_url = base_url.strip().rstrip("/")
    credentials = _clean_credentials(credentials)
    options = dict(options or {})
    info = _verify(network, base_url, credentials, options)
    now = timezone.now()
    with transaction.atomic():
        account = (
            ConnectedAccount.objects.for_workspace(membership.workspace_id)
            .select_for_update()
            .filter(network=network, base_url=base_url, remote_id=info.remote_id)
            .first()
        )
        if account is not None:
            before = audit.snapshot(account, AUDITED_FIELDS)
            merged = {**_stored_credentials(account), **credentials}
            action = "connected_account.reconnect"
        else:
            account = ConnectedAccount(
                workspace_id=membership.workspace_id, network=network, base_url=base_url, remote_id=info.remote_id
            )
            before = {}
            merged = credentials
            action = "connected_account.connect"
        _apply_info(account, info)
        account.options = options
        account.region = region
        account.connected_by = actor.user
        account.token_expires_at = token_expires_at or info.token_expires_at
        _clear_health(account, now)
        account.full_clean(exclude=["connected_by", "workspace", "region"])
        account.save()
        _store_credentials(account, merged)
        audit.record(
            actor,
            action,
            workspace=membership.workspace,
            target=account,
            before=before,
            after=audit.snapshot(account, AUDITED_FIELDS),
        )
    logger.info("connectors.account_connected network=%s account=%s", network, account.pk)
    return account


def _stored_credentials(account: ConnectedAccount) -> dict[str, str]:
    stored = AccountCredentials.objects.for_workspace(account.workspace_id).filter(account=account).first()
    return crypto.decrypt(stored.credentials) if stored is not None else {}


def account_reconnect(
    *,
    actor: Actor,
    membership: Membership,
    account: ConnectedAccount,
    credentials: Mapping[str, str],
    token_expires_at: datetime.datetime | None = None,
) -> ConnectedAccount:
    """Give an account new tokens. Values not entered (a refresh token, say) are kept; history stays.

    The new tokens must belong to the same remote account (checked with the network).
    """
    require(membership, Action.CONNECTORS_MANAGE)
    if account.workspace_id != membership.workspace_id:
        raise ConnectedAccount.DoesNotExist("the account belongs to another workspace")
    merged = {**_stored_credentials(account), **_clean_credentials(credentials)}
    info = _verify(account.network, account.base_url, merged, account.options)
    if info.remote_id != account.remote_id:
        raise ValidationError(
            _("These credentials belong to %(handle)s, not to %(account)s. Connect that account separately.")
            % {"handle": info.handle, "account": account.handle}
        )
    with transaction.atomic():
        account = ConnectedAccount.objects.for_workspace(membership.workspace_id).select_for_update().get(pk=account.pk)
        before = audit.snapshot(account, AUDITED_FIELDS)
        _apply_info(account, info)
        account.token_expires_at = token_expires_at or info.token_expires_at
        _clear_health(account, timezone.now())
        account.save()
        _store_credentials(account, merged)
        audit.record(
            actor,
            "connected_account.reconnect",
            workspace=membership.workspace,
            target=account,
            before=before,
            after=audit.snapshot(account, AUDITED_FIELDS),
        )
    return account


@transaction.atomic
def account_disconnect(
    *, actor: Actor, membership: Membership, account: ConnectedAccount, forget_credentials: bool = False
) -> ConnectedAccount:
    """Stop using an account. Its history stays; its credentials stay encrypted for a reconnect
    unless ``forget_credentials`` (then a reconnect needs every token again)."""
    require(membership, Action.CONNECTORS_MANAGE)
    account = ConnectedAccount.objects.for_workspace(membership.workspace_id).select_for_update().get(pk=account.pk)
    before = audit.snapshot(account, AUDITED_FIELDS)
    account.status = AccountStatus.DISCONNECTED
    account.disconnected_at = timezone.now()
    account.save(update_fields=["status", "disconnected_at"])
    if forget_credentials:
        AccountCredentials.objects.for_workspace(membership.workspace_id).filter(account=account).delete()
    after = {**audit.snapshot(account, AUDITED_FIELDS), "credentials_forgotten": forget_credentials}
    audit.record(
        actor,
        "connected_account.disconnect",
        workspace=membership.workspace,
        target=account,
        before=before,
        after=after,
    )
    return account


# The longest idempotency window an account may claim: a day (Mastodon declares an hour, Matrix 30 minutes).
MAXIMUM_IDEMPOTENCY_WINDOW_SECONDS = 86_400


@transaction.atomic
def account_set_idempotency_window(
    *, actor: Actor, membership: Membership, account: ConnectedAccount, seconds: int | None
) -> ConnectedAccount:
    """Override how long this account's server honours an idempotency key (None: the network's declaration).

    A server that speaks a network's API but ignores the key (snac2 with Mastodon's ``Idempotency-Key``)
    gets 0, so that a post whose send got no answer is never sent again blindly.
    """
    require(membership, Action.CONNECTORS_MANAGE)
    if seconds is not None and not 0 <= seconds <= MAXIMUM_IDEMPOTENCY_WINDOW_SECONDS:
        raise ValidationError(
            {
                "idempotency_window_override": _("The window must be between 0 and %(maximum)s seconds.")
                % {"maximum": MAXIMUM_IDEMPOTENCY_WINDOW_SECONDS}
            }
        )
    account = ConnectedAccount.objects.for_workspace(membership.workspace_id).select_for_update().get(pk=account.pk)
    before = {"idempotency_window_override": account.idempotency_window_override}
    account.idempotency_window_override = seconds
    account.save(update_fields=["idempotency_window_override"])
    audit.record(
        actor,
        "connected_account.idempotency_window",
        workspace=membership.workspace,
        target=account,
        before=before,
        after={"idempotency_window_override": seconds},
    )
    return account


# --- using an account and keeping its health -------------------------------------------------


def connector_for(account: ConnectedAccount) -> Connector:
    """A connector speaking for ``account`` (close it when done). Disconnected accounts are refused."""
    if account.status == AccountStatus.DISCONNECTED:
        raise AuthExpiredError(_("The account %(handle)s is disconnected.") % {"handle": account.handle})
    from pappus.connectors import oauth

    if oauth.refresh_due(account, oauth.REFRESH_ON_USE_MARGIN):
        # An OAuth access token about to run out is renewed first (an AuthExpiredError when refused).
        oauth.account_refresh(account)
    try:
        credentials = _stored_credentials(account)
    except crypto.CredentialsUnreadableError as error:
        raise AuthExpiredError(_("The stored credentials cannot be decrypted: reconnect the account.")) from error
    connector = _build(
        account.network, account.base_url, credentials, account.options, account.idempotency_window_override
    )
    if isinstance(connector, HttpConnector):
        # A resumable upload interrupted in one attempt is continued by the next (YouTube).
        connector.upload_sessions = AccountUploadSessions(account)
    return connector


def account_record_success(
    account: ConnectedAccount, connector: Connector | None = None, *, synced: bool = False
) -> None:
    """After a successful call: healthy again, with the rate-limit budget the network reported."""
    now = timezone.now()
    fields = ["status", "last_checked_at", "last_error", "last_error_code", "last_error_at"]
    if account.status != AccountStatus.DISCONNECTED:
        account.status = AccountStatus.ACTIVE
    account.last_checked_at = now
    account.last_error, account.last_error_code, account.last_error_at = "", "", None
    if synced:
        account.last_sync_at = now
        fields.append("last_sync_at")
    budget = connector.rate_limit if connector is not None else None
    if budget is not None:
        account.rate_limit_limit = budget.limit
        account.rate_limit_remaining = budget.remaining
        account.rate_limit_resets_at = budget.resets_at
        fields += ["rate_limit_limit", "rate_limit_remaining", "rate_limit_resets_at"]
    account.save(update_fields=fields)


def account_record_inbox_read(account: ConnectedAccount, cursor: str, connector: Connector | None = None) -> None:
    """The inbox read up to ``cursor`` is stored: keep the cursor, then record a synced, healthy call."""
    with transaction.atomic():
        account.inbox_cursor = cursor
        account.save(update_fields=["inbox_cursor"])
        account_record_success(account, connector, synced=True)


def account_record_failure(account: ConnectedAccount, error: ConnectorError) -> None:
    """After a failed call: the error as the person will read it; an expired token marks the account."""
    now = timezone.now()
    if account.status != AccountStatus.DISCONNECTED:
        if isinstance(error, AuthExpiredError):
            account.status = AccountStatus.EXPIRED
        elif not error.retryable:
            account.status = AccountStatus.FAILING
    account.last_checked_at = now
    account.last_error = str(error)[:2000]
    account.last_error_code = error.code
    account.last_error_at = now
    account.save(update_fields=["status", "last_checked_at", "last_error", "last_error_code", "last_error_at"])
    logger.warning("connectors.account_failed network=%s account=%s error=%s", account.network, account.pk, error.code)


def account_record_publish(account: ConnectedAccount, error: BaseException | None, *, at: datetime.datetime) -> None:
    """After publishing sent a post through the account: ok, or the error's kind and reason.

    Only the publish fields change, so a post the network refused for its content does not mark
    the account failing; an expired token does (every later send would fail the same way).
    """
    account.last_publish_at = at
    account.last_publish_ok = error is None
    fields = ["last_publish_at", "last_publish_ok", "last_publish_error_code", "last_publish_error"]
    if error is None:
        account.last_publish_error_code, account.last_publish_error = "", ""
    elif isinstance(error, ConnectorError):
        account.last_publish_error_code, account.last_publish_error = error.code[:40], str(error)[:2000]
    else:
        account.last_publish_error_code = "unexpected"
        account.last_publish_error = f"{type(error).__name__}: {error}"[:2000]
    account.save(update_fields=fields)
    if isinstance(error, AuthExpiredError):
        account_record_failure(account, error)


def account_check_health(account_id: int) -> ConnectedAccount | None:
    """Ask the network whether the token still works; update status, expiry, budget and last error.

    A token past its known expiry is marked expired without a call. Idempotent; disconnected
    or deleted accounts are skipped (None).
    """
    account = ConnectedAccount.objects.filter(pk=account_id).exclude(status=AccountStatus.DISCONNECTED).first()
    if account is None:
        return None
    now = timezone.now()
    from pappus.connectors import oauth

    if oauth.refresh_due(account, oauth.REFRESH_ON_CHECK_MARGIN, now):
        # OAuth tokens that run out before the next hourly check are renewed now; a refusal shows
        # on the health page as "Authorization expired — reconnect" with the network's reason.
        try:
            oauth.account_refresh(account)
        except ConnectorError as error:
            account_record_failure(account, error)
            return account
    if account.token_expires_at is not None and account.token_expires_at <= now:
        account_record_failure(
            account,
            AuthExpiredError(
                _("The token expired on %(date)s.") % {"date": account.token_expires_at.date().isoformat()}
            ),
        )
        return account
    try:
        connector = connector_for(account)
    except ConnectorError as error:
        account_record_failure(account, error)
        return account
    try:
        info = connector.account_info()
    except ConnectorError as error:
        account_record_failure(account, error)
        return account
    finally:
        connector.close()
    _apply_info(account, info)
    account.save(update_fields=["handle", "display_name", "profile_url", "token_expires_at"])
    account_record_success(account, connector)
    return account


def account_check_now(*, actor: Actor, membership: Membership, account: ConnectedAccount) -> ConnectedAccount:
    """A person asked for a health check from the health page (not audited: it changes no settings)."""
    require(membership, Action.CONNECTORS_MANAGE)
    if account.workspace_id != membership.workspace_id:
        raise ConnectedAccount.DoesNotExist("the account belongs to another workspace")
    checked = account_check_health(account.pk)
    if checked is None:
        raise ConnectedAccount.DoesNotExist("the account is disconnected")
    return checked


# --- key rotation --------------------------------------------------------------------------


def credentials_rotate(*, actor: Actor, batch_size: int = 200) -> int:
    """Re-encrypt every stored credential under the first configured key; returns how many rows.

    Rows are locked one batch at a time, so publishing goes on meanwhile. Rows no key opens are
    left alone and reported by :class:`crypto.CredentialsUnreadableError` after the others are done.
    """
    rotated = 0
    unreadable: list[int] = []
    last_id = 0
    while True:
        with transaction.atomic():
            rows = list(
                AccountCredentials.objects.select_for_update().filter(pk__gt=last_id).order_by("pk")[:batch_size]
            )
            if not rows:
                break
            for row in rows:
                try:
                    row.credentials = crypto.rotate(row.credentials)
                except crypto.CredentialsUnreadableError:
                    unreadable.append(row.account_id)
                    continue
                rotated += 1
            AccountCredentials.objects.bulk_update(rows, ["credentials"])
            last_id = rows[-1].pk
    audit.record(
        actor,
        "connected_account.credentials_rotate",
        workspace=None,
        object_type="connectors.accountcredentials",
        after={"rotated": rotated, "unreadable_accounts": unreadable},
        object_repr=f"{rotated} credentials",
    )
    if unreadable:
        raise crypto.CredentialsUnreadableError(
            f"{len(unreadable)} accounts have credentials no configured key opens: {unreadable}"
        )
    return rotated
