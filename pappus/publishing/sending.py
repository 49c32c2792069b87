"""The seam between the scheduler and the connectors: build a connector for a variant, sort errors.

The scheduler never knows a network's quirks. It asks :func:`connector_for_variant` for a
connector (``pappus.connectors.services.connector_for`` on the variant's connected account) and
sorts what comes back with :func:`classify`: published, retry later, failed for good, or unknown.
Tests and the benchmark pass their own ``ConnectorFactory`` (a connector for a local server).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from pappus.connectors.contracts import PublishRequest, PublishResult
from pappus.connectors.errors import ConnectorError

# Networks whose API documents an idempotency key, and how long the network remembers one. Within
# that window a request sent again with the same key returns the first post instead of a second
# one, so a variant whose worker died mid-send may be sent again safely. Mastodon: "Idempotency-Key
# ... stored for up to 1 hour" (docs.joinmastodon.org, POST /api/v1/statuses). A connector class
# may declare ``idempotency_window_seconds`` itself; that wins over this table.
IDEMPOTENCY_WINDOWS: dict[str, datetime.timedelta] = {"mastodon": datetime.timedelta(hours=1)}


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
    """How long ``network`` honours an idempotency key; None when it does not (re-sending may duplicate)."""
    try:
        from pappus.connectors import registry

        seconds = getattr(registry.connector_class(network), "idempotency_window_seconds", None)
    except (ImportError, LookupError):
        seconds = None
    if isinstance(seconds, int | float):
        # A connector's own declaration wins, and 0 means the network keeps no keys at all.
        return datetime.timedelta(seconds=seconds) if seconds > 0 else None
    return IDEMPOTENCY_WINDOWS.get(network)


def connector_for_variant(delivery: Delivery) -> PublishingConnector:
    """The connector of the variant's connected account, in the variant's workspace only."""
    from pappus.connectors import services as connector_services
    from pappus.connectors.models import ConnectedAccount

    account = None
    if delivery.account_id is not None:
        account = ConnectedAccount.objects.for_workspace(delivery.workspace_id).filter(pk=delivery.account_id).first()
    if account is None:
        raise MissingAccountError(delivery.network)
    connector: Any = connector_services.connector_for(account)
    return connector  # type: ignore[no-any-return]


class MissingAccountError(ConnectorError):
    """The variant's connected account was removed."""

    code = "account_missing"

    def __init__(self, network: str) -> None:
        super().__init__("The connected account of this variant no longer exists.", network=network)


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
