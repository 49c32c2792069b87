"""Reads of connected accounts for views and the API: scoped to a workspace and role-checked."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone

from pappus.connectors.models import AccountStatus, ConnectedAccount
from pappus.core.models import Membership
from pappus.core.permissions import Action, require


def accounts_of(membership: Membership, *, include_disconnected: bool = True) -> QuerySet[ConnectedAccount]:
    require(membership, Action.CONNECTORS_VIEW)
    accounts = ConnectedAccount.objects.for_workspace(membership.workspace_id).select_related("region")
    if not include_disconnected:
        accounts = accounts.exclude(status=AccountStatus.DISCONNECTED)
    return accounts.order_by("network", "handle", "pk")


def account_get(membership: Membership, account_id: int) -> ConnectedAccount:
    """One account of the member's workspace (DoesNotExist for any other workspace's id)."""
    return accounts_of(membership).get(pk=account_id)


def workspace_accounts(workspace_id: int, *, include_disconnected: bool = False) -> QuerySet[ConnectedAccount]:
    """A workspace's accounts for other apps' background work (the caller has checked its own permissions)."""
    accounts = ConnectedAccount.objects.for_workspace(workspace_id)
    if not include_disconnected:
        accounts = accounts.exclude(status=AccountStatus.DISCONNECTED)
    return accounts.order_by("network", "handle", "pk")


def account_ids_to_check() -> list[int]:
    """Accounts the scheduled token check visits: all that are not disconnected."""
    return list(
        ConnectedAccount.objects.exclude(status=AccountStatus.DISCONNECTED).order_by("pk").values_list("pk", flat=True)
    )


@dataclass(frozen=True)
class AccountHealth:
    """What the health page and the API show of one account."""

    account: ConnectedAccount
    expires_in_days: int | None
    expiry_warning: bool
    # When the refresh token runs out, where the network says (Douyin, Toutiao: 30 days, renewable a
    # few times): after that a person must sign in again, whatever the access token's expiry.
    refresh_expires_at: datetime.datetime | None = None
    refresh_warning: bool = False

    @property
    def rate_limit_share(self) -> float | None:
        if not self.account.rate_limit_limit or self.account.rate_limit_remaining is None:
            return None
        return self.account.rate_limit_remaining / self.account.rate_limit_limit


def _refresh_expiry(account: ConnectedAccount) -> datetime.datetime | None:
    stored = (account.options or {}).get("refresh_token_expires_at")
    if not isinstance(stored, str):
        return None
    try:
        return datetime.datetime.fromisoformat(stored)
    except ValueError:
        return None


def health_of(account: ConnectedAccount, now: datetime.datetime | None = None) -> AccountHealth:
    now = now or timezone.now()
    refresh_expires_at = _refresh_expiry(account)
    refresh_warning = bool(
        refresh_expires_at is not None
        and account.is_connected
        and (refresh_expires_at - now).days < settings.CONNECTOR_EXPIRY_WARNING_DAYS
    )
    if account.token_expires_at is None:
        return AccountHealth(account, None, False, refresh_expires_at, refresh_warning)
    days = (account.token_expires_at - now).days
    warning = account.is_connected and days < settings.CONNECTOR_EXPIRY_WARNING_DAYS
    return AccountHealth(account, days, warning, refresh_expires_at, refresh_warning)


def accounts_health(membership: Membership) -> list[AccountHealth]:
    now = timezone.now()
    return [health_of(account, now) for account in accounts_of(membership)]
