"""The small set of errors every connector maps a network's failures to.

Callers decide by ``retryable`` alone: a retryable error may succeed later (after ``retry_after``
seconds when the network said so); a terminal one needs a person (reconnect the account, change
the content) and is shown with the network's own reason.
"""

from __future__ import annotations


class ConnectorError(Exception):
    """A failure talking to a network, already translated out of the network's own terms."""

    retryable: bool = False
    code: str = "error"

    def __init__(self, message: str, *, network: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.network = network
        self.status = status

    def __str__(self) -> str:
        return self.message


class AuthExpiredError(ConnectorError):
    """The token is expired, revoked or refused: the account must be reconnected."""

    code = "auth_expired"


class RateLimitedError(ConnectorError):
    """The network asks to slow down; ``retry_after`` seconds when it said how long."""

    retryable = True
    code = "rate_limited"

    def __init__(
        self, message: str, *, retry_after: float | None = None, network: str = "", status: int | None = None
    ) -> None:
        super().__init__(message, network=network, status=status)
        self.retry_after = retry_after


class NotFoundError(ConnectorError):
    """The post, room, account or endpoint does not exist (or no longer does) on the network."""

    code = "not_found"


class AccountMissingError(NotFoundError):
    """The connected account does not exist in this workspace (removed, or another workspace's id)."""

    code = "account_missing"


class ContentRejectedError(ConnectorError):
    """The content was refused, by the network (its reason in ``reason``) or by the limits checked before sending."""

    code = "content_rejected"

    def __init__(
        self, reason: str, *, network: str = "", status: int | None = None, checked_locally: bool = False
    ) -> None:
        super().__init__(reason, network=network, status=status)
        self.reason = reason
        self.checked_locally = checked_locally


class TemporaryFailureError(ConnectorError):
    """A timeout, a connection failure, a 5xx or an unreadable answer: try again later."""

    retryable = True
    code = "temporary_failure"

    def __init__(
        self, message: str, *, retry_after: float | None = None, network: str = "", status: int | None = None
    ) -> None:
        super().__init__(message, network=network, status=status)
        self.retry_after = retry_after


class NotSupportedError(ConnectorError):
    """The connector does not have this capability (see its ``capabilities``)."""

    code = "not_supported"


ERROR_CODES = (
    AuthExpiredError.code,
    RateLimitedError.code,
    NotFoundError.code,
    AccountMissingError.code,
    ContentRejectedError.code,
    TemporaryFailureError.code,
    NotSupportedError.code,
)
