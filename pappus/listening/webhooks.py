"""Inbound webhooks: how a sender signs a delivery and how Pappus checks it (pure functions).

A delivery is ``POST /hooks/listening/<token>/`` with a JSON body (one mention, an array of
them, or ``{"items": [...]}``, in the field names of a mention) and three headers:

* ``X-Pappus-Timestamp``: the Unix time (seconds) when it was signed;
* ``X-Pappus-Delivery``: an id unique to this delivery (1 to 200 characters), kept to refuse replays;
* ``X-Pappus-Signature``: ``sha256=`` + the hex HMAC-SHA256, keyed with the source's signing
  secret, of ``<timestamp>.<delivery id>.<body bytes>``.

A delivery signed more than :data:`TOLERANCE_SECONDS` before or after the server's clock is
refused, and so is a delivery id that the source has already received.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any, Final

TIMESTAMP_HEADER: Final = "X-Pappus-Timestamp"
DELIVERY_HEADER: Final = "X-Pappus-Delivery"
SIGNATURE_HEADER: Final = "X-Pappus-Signature"
SIGNATURE_PREFIX: Final = "sha256="
TOLERANCE_SECONDS: Final = 300
DEFAULT_MAXIMUM_BYTES: Final = 1024 * 1024
MAXIMUM_DELIVERY_ID: Final = 200
MAXIMUM_ITEMS: Final = 1000


class WebhookRefusedError(Exception):
    """The delivery is refused with an HTTP ``status`` and a ``reason`` the sender can act on."""

    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class Credentials:
    token: str
    secret: str


def new_credentials() -> Credentials:
    """A fresh address token and signing secret (both URL-safe, 192 and 256 bits)."""
    return Credentials(token=secrets.token_urlsafe(24), secret=secrets.token_urlsafe(32))


def signature(secret: str, timestamp: str, delivery_id: str, body: bytes) -> str:
    """The ``X-Pappus-Signature`` header value for a delivery."""
    message = timestamp.encode() + b"." + delivery_id.encode() + b"." + body
    return SIGNATURE_PREFIX + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signed_headers(secret: str, body: bytes, *, timestamp: int, delivery_id: str) -> dict[str, str]:
    """The three headers a sender sets (used by tests and the documentation's example)."""
    stamp = str(timestamp)
    return {
        TIMESTAMP_HEADER: stamp,
        DELIVERY_HEADER: delivery_id,
        SIGNATURE_HEADER: signature(secret, stamp, delivery_id, body),
    }


def verify(
    *,
    secret: str,
    body: bytes,
    timestamp: str | None,
    delivery_id: str | None,
    signature_header: str | None,
    now: float,
) -> int:
    """The signing time (Unix seconds) of a genuine, fresh delivery, or :class:`WebhookRefusedError` (401).

    The signature is checked before the time, so that a stranger learns nothing from the answer
    but "bad signature"; the comparison takes constant time.
    """
    missing = [
        name
        for name, value in (
            (TIMESTAMP_HEADER, timestamp),
            (DELIVERY_HEADER, delivery_id),
            (SIGNATURE_HEADER, signature_header),
        )
        if not value
    ]
    if missing:
        raise WebhookRefusedError(401, f"missing header: {', '.join(missing)}")
    timestamp, delivery_id, signature_header = str(timestamp), str(delivery_id), str(signature_header)
    if len(delivery_id) > MAXIMUM_DELIVERY_ID:
        raise WebhookRefusedError(400, f"{DELIVERY_HEADER} is longer than {MAXIMUM_DELIVERY_ID} characters")
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise WebhookRefusedError(401, f"{TIMESTAMP_HEADER} must be the Unix time in whole seconds")
    expected = signature(secret, timestamp, delivery_id, body)
    if not hmac.compare_digest(expected.encode(), signature_header.strip().encode()):
        raise WebhookRefusedError(
            401,
            f"bad signature: expected {SIGNATURE_PREFIX}<hex HMAC-SHA256 of timestamp.delivery.body> "
            "with the source's signing secret",
        )
    age = now - int(timestamp)
    if age > TOLERANCE_SECONDS:
        raise WebhookRefusedError(
            401, f"stale delivery: signed {int(age)} s ago, deliveries are accepted for {TOLERANCE_SECONDS} s"
        )
    if age < -TOLERANCE_SECONDS:
        raise WebhookRefusedError(
            401, f"timestamp in the future by {int(-age)} s (the allowed clock difference is {TOLERANCE_SECONDS} s)"
        )
    return int(timestamp)


def items_of(payload: Any) -> list[Any]:
    """The items of a delivery body: one object, an array of objects, or ``{"items": [...]}``."""
    if isinstance(payload, dict) and isinstance(payload.get("items"), list):
        items: list[Any] = payload["items"]
    elif isinstance(payload, list):
        items = payload
    elif isinstance(payload, dict):
        items = [payload]
    else:
        raise WebhookRefusedError(400, 'expected a JSON object, an array of objects or {"items": [...]}')
    if len(items) > MAXIMUM_ITEMS:
        raise WebhookRefusedError(413, f"{len(items)} items in one delivery; the limit is {MAXIMUM_ITEMS}")
    return items
