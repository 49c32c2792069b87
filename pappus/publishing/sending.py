"""The seam between the scheduler and the connectors: build a connector for a variant, sort errors.

The scheduler never knows a network's quirks. It asks :func:`connector_for_variant` for a
connector (``pappus.connectors.facade.connector_for_account`` for the variant's connected account)
and sorts what comes back with :func:`classify`: published, retry later, failed for good, or
unknown. Tests and the benchmark pass their own ``ConnectorFactory`` (a connector for a local server).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from pappus.connectors import facade as connector_facade
from pappus.connectors.contracts import PublishRequest, PublishResult
from pappus.connectors.errors import ConnectorError

if TYPE_CHECKING:
    from pappus.publishing.models import Variant

# A variant whose account is gone: the reason the person reads on the variant.
ACCOUNT_MISSING_REASON = "The connected account of this variant no longer exists."


class PublishingConnector(Protocol):
    """The part of ``pappus.connectors.base.Connector`` that publishing uses."""

    def publish(self, request: PublishRequest) -> PublishResult: ...

    def reply(self, parent_remote_id: str, request: PublishRequest) -> PublishResult: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Delivery:
    """Everything needed to send one claimed variant, read inside the claiming transaction."""

    variant_id: int
    workspace_id: int
    network: str
    account_id: int | None
    claim_token: str
    request: PublishRequest
    first_comment: str
    due_at: datetime.datetime | None


ConnectorFactory = Callable[[Delivery], PublishingConnector]


def idempotency_window(network: str) -> datetime.timedelta | None:
    """How long ``network`` honours an idempotency key; None when it does not (re-sending may duplicate).

    Every connector declares its window (Mastodon: "Idempotency-Key ... stored for up to 1 hour",
    docs.joinmastodon.org, POST /api/v1/statuses); 0, or a network without a connector, means none.
    """
    seconds = connector_facade.idempotency_window_seconds(network)
    return datetime.timedelta(seconds=seconds) if seconds > 0 else None


def variant_idempotency_window(variant: Variant) -> datetime.timedelta | None:
    """How long the variant's account honours an idempotency key: the account's own setting (a
    server that ignores the key, such as snac2, is set to 0 there) or else the network's window."""
    if variant.account_id is None:
        return idempotency_window(variant.network)
    try:
        seconds = connector_facade.account_idempotency_window_seconds(variant.workspace_id, variant.account_id)
    except connector_facade.AccountMissingError:
        return idempotency_window(variant.network)
    return datetime.timedelta(seconds=seconds) if seconds > 0 else None


def connector_for_variant(delivery: Delivery) -> PublishingConnector:
    """The connector of the variant's connected account, in the variant's workspace only.

    Raises ``AccountMissingError`` (terminal, code ``account_missing``) when the account is gone.
    """
    if delivery.account_id is None:
        raise connector_facade.AccountMissingError(ACCOUNT_MISSING_REASON, network=delivery.network)
    try:
        return connector_facade.connector_for_account(delivery.workspace_id, delivery.account_id)
    except connector_facade.AccountMissingError:
        raise connector_facade.AccountMissingError(ACCOUNT_MISSING_REASON, network=delivery.network) from None


class Verdict(StrEnum):
    RETRY = "retry"  # the network answered with a passing error (rate limit, 5xx): not posted, try later
    FAILED = "failed"  # the network refused for good (content, token): a person must act
    AMBIGUOUS = "ambiguous"  # no answer (timeout, connection lost): the post may or may not exist


def classify(error: BaseException) -> tuple[Verdict, str, str, float | None]:
    """(verdict, error code, the network's reason, seconds the network asked to wait)."""
    if isinstance(error, ConnectorError):
        retry_after = getattr(error, "retry_after", None)
        seconds = float(retry_after) if isinstance(retry_after, int | float) else None
        if not error.retryable:
            return Verdict.FAILED, error.code, str(error), seconds
        if error.status is None:
            # A transport failure: the request may have reached the network before the answer was lost.
            return Verdict.AMBIGUOUS, error.code, str(error), seconds
        return Verdict.RETRY, error.code, str(error), seconds
    return Verdict.AMBIGUOUS, "unexpected", f"{type(error).__name__}: {error}", None
