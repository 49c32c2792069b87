"""The inbound webhook over real HTTP requests (Django's test client): signatures, replay
protection, refusals with their reasons, and processing off the request path."""

from __future__ import annotations

import json
import re
import time
from typing import Any

import pytest
from django.test import Client

from pappus.core.audit import Actor
from pappus.core.models import AuditEvent
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.listening import services, webhooks
from pappus.listening.models import DeliveryStatus, Mention, RejectedItem, Source, WebhookDelivery

ACTOR = Actor.system("test")


@pytest.fixture
def analyst(workspace: Any) -> Any:
    return make_member(workspace, Role.ANALYST)


@pytest.fixture
def source(analyst: Any) -> Source:
    return services.source_create(actor=ACTOR, membership=analyst, name="Partner hook", kind="webhook")


def post(
    client: Client,
    source: Source,
    body: bytes,
    *,
    secret: str | None = None,
    timestamp: int | None = None,
    age: int = 0,
    delivery: str = "d-1",
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> Any:
    signed = webhooks.signed_headers(
        secret or source.config["signing_secret"],
        body,
        timestamp=int(time.time()) - age if timestamp is None else timestamp,
        delivery_id=delivery,
    )
    return client.post(
        f"/hooks/listening/{source.token}/",
        data=body,
        content_type=content_type,
        headers=signed if headers is None else headers,
    )


BODY = json.dumps(
    {
        "items": [
            {"external_id": "p1", "text": "Pappus answered in minutes", "author_handle": "@ann", "language": "en"},
            {"external_id": "p2", "text": ""},
            "not an object",
        ]
    }
).encode()


@pytest.mark.django_db
def test_a_signed_delivery_is_stored_queued_and_processed_off_the_request_path(
    client: Client, source: Source, django_capture_on_commit_callbacks: Any
) -> None:
    assert source.token
    assert len(source.config["signing_secret"]) >= 40
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post(client, source, BODY)
    assert response.status_code == 202
    delivery = WebhookDelivery.objects.get()
    assert response.json() == {"detail": "accepted", "delivery": delivery.pk}
    assert delivery.status == DeliveryStatus.RECEIVED
    assert delivery.payload == json.loads(BODY)
    assert not Mention.objects.exists()  # nothing ingested while the sender waited
    assert len(callbacks) == 1

    callbacks[0]()  # the queued job runs
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PROCESSED
    assert delivery.run is not None
    assert (delivery.run.received, delivery.run.stored, delivery.run.rejected) == (3, 1, 2)
    mention = Mention.objects.get()
    assert (mention.external_id, mention.author_handle, mention.network) == ("p1", "ann", "webhook")
    assert sorted(RejectedItem.objects.values_list("reason", flat=True)) == [
        "expected a JSON object, got str",
        "the item is empty: expected a title or some text",
    ]


@pytest.mark.django_db
def test_a_replayed_delivery_is_refused(client: Client, source: Source) -> None:
    assert post(client, source, BODY, delivery="same").status_code == 202
    replay = post(client, source, BODY, delivery="same")
    assert replay.status_code == 409
    assert replay.json() == {"detail": "delivery 'same' was already received"}
    assert WebhookDelivery.objects.count() == 1
    assert post(client, source, BODY, delivery="other").status_code == 202


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "status", "detail"),
    [
        (
            {"secret": "wrong secret"},
            401,
            "bad signature: expected sha256=<hex HMAC-SHA256 of timestamp.delivery.body> with the source's signing "
            "secret",
        ),
        (
            {"age": 3600},
            401,
            "stale delivery: signed 3600 s ago, deliveries are accepted for 300 s",
        ),
        (
            {"age": -3600},
            401,
            "timestamp in the future by 3599 s (the allowed clock difference is 300 s)",
        ),
        ({"headers": {}}, 401, "missing header: X-Pappus-Timestamp, X-Pappus-Delivery, X-Pappus-Signature"),
        ({"content_type": "text/plain"}, 415, "expected Content-Type application/json, got text/plain"),
    ],
)
def test_bad_deliveries_are_refused_with_the_reason(
    client: Client, source: Source, change: dict[str, Any], status: int, detail: str
) -> None:
    response = post(client, source, BODY, **change)
    assert response.status_code == status
    # The seconds in a time message depend on how long the request took to arrive: a few either way.
    seconds = re.compile(r"\b3[56]\d\d s\b")
    assert seconds.sub("N s", response.json()["detail"]) == seconds.sub("N s", detail)
    found = re.search(r"\b(3[56]\d\d) s\b", response.json()["detail"])
    if found:
        assert 3590 <= int(found.group(1)) <= 3610
    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_a_body_changed_after_signing_is_refused(client: Client, source: Source) -> None:
    headers = webhooks.signed_headers(
        source.config["signing_secret"], BODY, timestamp=int(time.time()), delivery_id="d-9"
    )
    tampered = BODY.replace(b"minutes", b"hours!!")
    response = client.post(
        f"/hooks/listening/{source.token}/", data=tampered, content_type="application/json", headers=headers
    )
    assert response.status_code == 401
    assert response.json()["detail"].startswith("bad signature")


@pytest.mark.django_db
def test_unknown_addresses_bad_json_and_oversized_bodies(client: Client, analyst: Any, source: Source) -> None:
    response = client.post("/hooks/listening/nope/", data=b"{}", content_type="application/json")
    assert (response.status_code, response.json()) == (404, {"detail": "no active webhook source has this address"})

    response = post(client, source, b'{"text": "unterminated')
    assert response.status_code == 400
    assert response.json() == {"detail": "the body is not JSON: Unterminated string starting at (line 1, column 10)"}

    response = post(client, source, b"42")
    assert response.status_code == 400
    assert response.json() == {"detail": 'expected a JSON object, an array of objects or {"items": [...]}'}

    big = json.dumps({"text": "x" * (webhooks.DEFAULT_MAXIMUM_BYTES + 1)}).encode()
    response = post(client, source, big)
    assert response.status_code == 413
    assert response.json()["detail"] == f"the body is {len(big)} bytes; the limit is {webhooks.DEFAULT_MAXIMUM_BYTES}"

    assert client.get(f"/hooks/listening/{source.token}/").status_code == 405

    services.source_update(actor=ACTOR, membership=analyst, source=source, is_active=False)
    assert post(client, source, BODY).status_code == 404
    assert not WebhookDelivery.objects.exists()


@pytest.mark.django_db
def test_a_rotated_secret_replaces_the_old_one(client: Client, analyst: Any, source: Source) -> None:
    old = source.config["signing_secret"]
    new = services.source_webhook_rotate_secret(actor=ACTOR, membership=analyst, source=source)
    source.refresh_from_db()
    assert post(client, source, BODY, secret=old, delivery="a").status_code == 401
    assert post(client, source, BODY, secret=new, delivery="b").status_code == 202
    event = AuditEvent.objects.get(action="listening.source.rotate_secret")
    assert new not in json.dumps([event.before, event.after])


def test_the_documented_python_example_signs_like_the_server() -> None:
    import hashlib
    import hmac

    secret, body, stamp, delivery = "s3cret", b'{"text":"hi"}', "1767225600", "abc"
    expected = "sha256=" + hmac.new(secret.encode(), f"{stamp}.{delivery}.".encode() + body, hashlib.sha256).hexdigest()
    assert webhooks.signature(secret, stamp, delivery, body) == expected
