"""The connectors REST API: connected accounts and their health. Never returns credentials."""

import datetime
from typing import Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from pappus.connectors import selectors
from pappus.connectors.models import AccountStatus, ConnectedAccount
from pappus.core.api import ObjectId, Pagination, error_responses, member_of
from pappus.core.permissions import Action

router = Router(tags=["connectors"])


class RateLimitOut(Schema):
    limit: int | None = Field(description="Requests allowed per window, as the network last reported.")
    remaining: int | None = Field(description="Requests left in the window.")
    resets_at: datetime.datetime | None


class AccountOut(Schema):
    id: int
    network: str
    base_url: str = Field(description="The server the account lives on.")
    handle: str
    display_name: str
    remote_id: str = Field(description="The account's id on its network.")
    profile_url: str
    region_id: int | None
    status: Literal["active", "expired", "failing", "disconnected"] = Field(
        description="active: working; expired: the token must be renewed (reconnect); failing: the last call "
        "failed for a reason a person must fix; disconnected: no longer used, history kept."
    )
    token_expires_at: datetime.datetime | None
    expires_in_days: int | None = Field(description="Whole days until the token expires; null when not known.")
    expiry_warning: bool = Field(description="True when the token expires within a week.")
    last_sync_at: datetime.datetime | None
    last_checked_at: datetime.datetime | None
    last_error: str = Field(description="The last failure, with the network's reason; empty when healthy.")
    last_error_code: str = Field(
        description="auth_expired, rate_limited, not_found, content_rejected, temporary_failure or not_supported."
    )
    last_error_at: datetime.datetime | None
    last_publish_at: datetime.datetime | None = Field(description="When publishing last sent a post through it.")
    last_publish_ok: bool | None = Field(description="Whether that send worked; null before the first.")
    last_publish_error_code: str = Field(description="The kind of error of a failed last send (as last_error_code).")
    last_publish_error: str = Field(description="The network's reason for a failed last send; empty otherwise.")
    rate_limit: RateLimitOut
    connected_at: datetime.datetime
    disconnected_at: datetime.datetime | None

    @staticmethod
    def resolve_expires_in_days(account: ConnectedAccount) -> int | None:
        return selectors.health_of(account).expires_in_days

    @staticmethod
    def resolve_expiry_warning(account: ConnectedAccount) -> bool:
        return selectors.health_of(account).expiry_warning

    @staticmethod
    def resolve_rate_limit(account: ConnectedAccount) -> RateLimitOut:
        return RateLimitOut(
            limit=account.rate_limit_limit,
            remaining=account.rate_limit_remaining,
            resets_at=account.rate_limit_resets_at,
        )


StatusFilter = Literal["active", "expired", "failing", "disconnected"]


@router.get(
    "/connected-accounts",
    response={200: list[AccountOut], **error_responses()},
    summary="Connected accounts and their health",
)
@paginate(Pagination)
def account_list(request: HttpRequest, status: StatusFilter | None = None) -> QuerySet[ConnectedAccount]:
    accounts = selectors.accounts_of(member_of(request, Action.CONNECTORS_VIEW))
    return accounts.filter(status=AccountStatus(status)) if status else accounts


@router.get(
    "/connected-accounts/{account_id}",
    response={200: AccountOut, **error_responses(404)},
    summary="One connected account's health",
)
def account_detail(request: HttpRequest, account_id: ObjectId) -> ConnectedAccount:
    return selectors.account_get(member_of(request, Action.CONNECTORS_VIEW), account_id)
