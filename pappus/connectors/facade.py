"""What other apps may call on connectors: accounts a workspace may target, a connector for one of
them, and what each network's connector declares. Returns frozen dataclasses (``contracts.py``).

Credentials are decrypted here, inside connectors, and only handed to the connector that speaks
for the account; no other app reads ``AccountCredentials`` or ``ConnectedAccount`` rows.
Permissions are the caller's: these functions serve background jobs as well as pages, so they
check only that the account belongs to the workspace asked about (tenancy fails closed).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.utils import timezone
from django.utils.translation import gettext as _

from pappus.connectors import registry, selectors, services
from pappus.connectors.base import Connector
from pappus.connectors.contracts import (
    Capability,
    NetworkProfile,
    PublishLimits,
    TargetAccount,
)
from pappus.connectors.errors import AccountMissingError, AuthExpiredError, ConnectorError
from pappus.connectors.models import ConnectedAccount

__all__ = [
    "AccountMissingError",
    "NetworkProfile",
    "TargetAccount",
    "account_idempotency_window_seconds",
    "connector_for_account",
    "default_limits",
    "idempotency_window_seconds",
    "inbox_cursor",
    "network_profile",
    "network_profiles",
    "record_failure",
    "record_inbox_read",
    "record_success",
    "target_account",
    "target_accounts",
]


# --- networks ------------------------------------------------------------------------------------


def network_profile(network: str) -> NetworkProfile:
    """What ``network``'s connector declares; LookupError when Pappus has no connector for it."""
    connector_class = registry.connector_class(network)
    return NetworkProfile(
        network=connector_class.network,
        label=connector_class.label,
        capabilities=connector_class.capabilities,
        default_limits=connector_class.default_limits,
        idempotency_window_seconds=connector_class.idempotency_window_seconds,
        remote_ids_are_global=connector_class.remote_ids_are_global,
        streams_files=connector_class.streams_files,
    )


def network_profiles() -> list[NetworkProfile]:
    return [network_profile(network) for network in registry.networks()]


def default_limits(network: str) -> PublishLimits | None:
    """The network's declared limits on one post, without building a connector; None when it has no
    connector or does not publish."""
    try:
        return network_profile(network).default_limits
    except LookupError:
        return None


def streams_files(network: str) -> bool:
    """Whether the network's connector reads a file given only by its path a chunk at a time (so
    publishing need not read a large file into memory for it); False without a connector."""
    try:
        return network_profile(network).streams_files
    except LookupError:
        return False


def idempotency_window_seconds(network: str) -> int:
    """How long the network honours an idempotency key; 0 when it does not (or has no connector).

    Within the window a variant whose first send got no answer may be sent again with the same key;
    outside it (or at 0) a re-send may post twice, so a person must look first.
    """
    try:
        return network_profile(network).idempotency_window_seconds
    except LookupError:
        return 0


# --- accounts ------------------------------------------------------------------------------------


def _window(account: ConnectedAccount, profile: NetworkProfile | None) -> int:
    if account.idempotency_window_override is not None:
        return account.idempotency_window_override
    return profile.idempotency_window_seconds if profile else 0


def _target(account: ConnectedAccount) -> TargetAccount:
    try:
        profile: NetworkProfile | None = network_profile(account.network)
    except LookupError:
        profile = None
    return TargetAccount(
        id=account.pk,
        workspace_id=account.workspace_id,
        network=account.network,
        network_label=profile.label if profile else account.get_network_display(),
        handle=account.handle,
        display_name=account.display_name,
        status=account.status,
        region_id=account.region_id,
        capabilities=profile.capabilities if profile else frozenset(),
        limits=profile.default_limits if profile else None,
        idempotency_window_seconds=_window(account, profile),
        last_error=account.last_error,
    )


def target_accounts(
    workspace_id: int, *, capability: Capability | None = None, network: str | None = None
) -> list[TargetAccount]:
    """The workspace's accounts that are not disconnected, by network and handle.

    Expired and failing accounts are included (a plan may target them; ``can_publish`` says whether
    sending would work now), optionally only those whose connector has ``capability``.
    """
    accounts = selectors.workspace_accounts(workspace_id)
    if network is not None:
        accounts = accounts.filter(network=network)
    targets = [_target(account) for account in accounts]
    if capability is not None:
        targets = [target for target in targets if capability in target.capabilities]
    return targets


def _account(workspace_id: int, account_id: int) -> ConnectedAccount:
    account = selectors.workspace_accounts(workspace_id, include_disconnected=True).filter(pk=account_id).first()
    if account is None:
        raise AccountMissingError(
            _("The connected account %(id)s does not exist in this workspace.") % {"id": account_id}
        )
    return account


def target_account(workspace_id: int, account_id: int) -> TargetAccount:
    """One account of the workspace (AccountMissingError for any other workspace's id)."""
    return _target(_account(workspace_id, account_id))


def account_idempotency_window_seconds(workspace_id: int, account_id: int) -> int:
    """How long this account's server honours an idempotency key: the account's override (set in its
    settings, audited) or else the network's declaration; 0 when it does not."""
    return target_account(workspace_id, account_id).idempotency_window_seconds


def connector_for_account(workspace_id: int, account_id: int) -> Connector:
    """A connector speaking for the account, its credentials decrypted here; close it (or use ``with``).

    Raises AccountMissingError (not in this workspace), AuthExpiredError (disconnected, or stored
    credentials no key opens). Both are terminal ConnectorErrors.
    """
    return services.connector_for(_account(workspace_id, account_id))


def record_success(workspace_id: int, account_id: int, connector: Connector | None = None) -> None:
    """After a call that worked: the account is healthy, with the rate-limit budget the network reported."""
    services.account_record_success(_account(workspace_id, account_id), connector)


def record_failure(workspace_id: int, account_id: int, error: ConnectorError) -> None:
    """After a call that failed: the health page shows the error with the network's reason."""
    services.account_record_failure(_account(workspace_id, account_id), error)


def record_publish(
    workspace_id: int, account_id: int, error: BaseException | None, *, at: datetime.datetime | None = None
) -> None:
    """After publishing sent a post through the account: the health page shows "last publish: ok" or
    "failed" with the error's kind and the network's reason. An account gone meanwhile is skipped."""
    record_publishes([(workspace_id, account_id, error)], at=at)


def record_publishes(
    sends: Sequence[tuple[int, int, BaseException | None]], *, at: datetime.datetime | None = None
) -> None:
    """``record_publish`` for a batch of (workspace id, account id, error or None), in the order sent:
    one read for all the accounts and one write per account (its last send), not one per post; an
    expired token anywhere in the batch still marks the account. An id of another workspace, or of
    an account gone meanwhile, is skipped."""
    if not sends:
        return
    accounts = ConnectedAccount.objects.in_bulk({account_id for _, account_id, _ in sends})
    when = at or timezone.now()
    last: dict[int, BaseException | None] = {}
    expired: dict[int, AuthExpiredError] = {}
    for workspace_id, account_id, error in sends:
        account = accounts.get(account_id)
        if account is None or account.workspace_id != workspace_id:
            continue
        last[account_id] = error
        if isinstance(error, AuthExpiredError):
            expired[account_id] = error
    for account_id, error in last.items():
        services.account_record_publish(accounts[account_id], error, at=when)
        if account_id in expired and not isinstance(error, AuthExpiredError):
            services.account_record_failure(accounts[account_id], expired[account_id])


def inbox_cursor(workspace_id: int, account_id: int) -> str:
    """Where the account's last stored inbox read stopped ("" before the first): pass it to ``Connector.inbox``."""
    return _account(workspace_id, account_id).inbox_cursor


def record_inbox_read(workspace_id: int, account_id: int, cursor: str, connector: Connector | None = None) -> None:
    """After an inbox page was read *and its items stored*: keep the new cursor, mark the account synced.

    Call it only once the items are safely stored, so that a crash in between reads them again
    (the inbox stores them idempotently) instead of skipping them.
    """
    services.account_record_inbox_read(_account(workspace_id, account_id), cursor, connector)
