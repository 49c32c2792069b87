"""Each network's documented error answers, replayed by a local server through the real connector code.

Mastodon: https://docs.joinmastodon.org/methods/ (error entity ``{"error": ...}``, 401, 404, 422,
429 with X-RateLimit-* headers, 202 for media still processing). Matrix: the client-server API's
standard error response ``{"errcode", "error"}``, M_LIMIT_EXCEEDED with ``retry_after_ms``.
"""

from __future__ import annotations

import datetime
import json
import logging
import socket

import pytest

from pappus.connectors import registry
from pappus.connectors.base import Connector
from pappus.connectors.contracts import InboundKind, MediaFile, PublishRequest
from pappus.connectors.errors import (
    AuthExpiredError,
    ContentRejectedError,
    NotFoundError,
    RateLimitedError,
    TemporaryFailureError,
)
from pappus.connectors.mastodon import client as mastodon_client
from pappus.connectors.tests.factories import mastodon_account_json
from pappus.connectors.tests.images import one_pixel_png
from pappus.connectors.tests.replay import Answer, ReplayServer

TOKEN = "replayed-secret-token-123456"
STATUS = {
    "id": "109",
    "url": "https://example.social/@brand/109",
    "created_at": "2026-11-02T10:00:00.000Z",
    "content": "<p>Hello</p>",
    "favourites_count": 5,
    "reblogs_count": 2,
    "replies_count": 1,
    "account": mastodon_account_json(),
}
MATRIX_ROOM = "!room:example.org"


def mastodon(replay: ReplayServer, timeout: float | None = None) -> Connector:
    return registry.build("mastodon", base_url=replay.url, credentials={"access_token": TOKEN}, timeout=timeout)


def matrix(replay: ReplayServer) -> Connector:
    return registry.build(
        "matrix", base_url=replay.url, credentials={"access_token": TOKEN}, options={"rooms": MATRIX_ROOM}
    )


def serve_instance(replay: ReplayServer) -> None:
    replay.add("GET", "/api/v1/instance", Answer(200, {"uri": "example.social"}), always=True)


# --- Mastodon ------------------------------------------------------------------------------------


def test_mastodon_401_means_reconnect_with_the_servers_words(
    replay: ReplayServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    replay.add("GET", "/api/v1/accounts/verify_credentials", Answer(401, {"error": "The access token is invalid"}))
    with mastodon(replay) as connector, pytest.raises(AuthExpiredError) as raised:
        connector.account_info()
    assert str(raised.value) == "Mastodon refused the token: The access token is invalid"
    assert (raised.value.status, raised.value.retryable) == (401, False)
    assert TOKEN not in caplog.text


def test_mastodon_429_honours_retry_after_or_the_rate_limit_reset(replay: ReplayServer) -> None:
    replay.add(
        "GET", "/api/v1/statuses/109", Answer(429, {"error": "Too many requests"}, headers={"Retry-After": "30"})
    )
    with mastodon(replay) as connector, pytest.raises(RateLimitedError) as raised:
        connector.post_metrics("109")
    assert (raised.value.retry_after, raised.value.retryable) == (30.0, True)

    reset = datetime.datetime.now(datetime.UTC) + datetime.timedelta(minutes=5)
    replay.add(
        "GET",
        "/api/v1/statuses/109",
        Answer(
            429,
            {"error": "Too many requests"},
            headers={
                "X-RateLimit-Limit": "300",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset": reset.isoformat().replace("+00:00", "Z"),
            },
        ),
    )
    with mastodon(replay) as connector, pytest.raises(RateLimitedError) as raised:
        connector.post_metrics("109")
    assert raised.value.retry_after is not None
    assert 290 <= raised.value.retry_after <= 300
    assert connector.rate_limit is not None
    assert (connector.rate_limit.limit, connector.rate_limit.remaining) == (300, 0)


def test_mastodon_422_is_content_rejected_with_the_servers_reason(replay: ReplayServer) -> None:
    serve_instance(replay)
    replay.add(
        "POST",
        "/api/v1/statuses",
        Answer(422, {"error": "Validation failed: Text character limit of 500 exceeded"}),
    )
    with mastodon(replay) as connector, pytest.raises(ContentRejectedError) as raised:
        connector.publish(PublishRequest(text="hello"))
    assert (raised.value.reason, raised.value.checked_locally) == (
        "Validation failed: Text character limit of 500 exceeded",
        False,
    )


def test_mastodon_default_limits_apply_when_the_server_does_not_publish_them(replay: ReplayServer) -> None:
    serve_instance(replay)
    with mastodon(replay) as connector, pytest.raises(ContentRejectedError, match="limit here is 500"):
        connector.publish(PublishRequest(text="x" * 501))
    assert replay.requests_to("POST", "/api/v1/statuses") == []


def test_mastodon_5xx_and_malformed_json_are_temporary(replay: ReplayServer) -> None:
    replay.add(
        "GET",
        "/api/v1/statuses/109",
        Answer(503, "<html>Service Unavailable</html>", headers={"Content-Type": "text/html", "Retry-After": "120"}),
    )
    replay.add(
        "GET",
        "/api/v1/statuses/109",
        Answer(200, '{"id": "109", "favourites_count": ', headers={"Content-Type": "application/json"}),
    )
    with mastodon(replay) as connector:
        with pytest.raises(TemporaryFailureError) as unavailable:
            connector.post_metrics("109")
        assert (str(unavailable.value), unavailable.value.retry_after) == (
            "Mastodon failed: HTTP 503 Service Unavailable",
            120.0,
        )
        with pytest.raises(TemporaryFailureError, match="Mastodon answered with unreadable JSON"):
            connector.post_metrics("109")


def test_mastodon_404_is_not_found(replay: ReplayServer) -> None:
    with mastodon(replay) as connector, pytest.raises(NotFoundError, match="Record not found"):
        connector.post_metrics("404")


def test_a_server_that_does_not_answer_in_time_is_a_temporary_failure(replay: ReplayServer) -> None:
    replay.add("GET", "/api/v1/statuses/109", Answer(200, STATUS, delay=2))
    with (
        mastodon(replay, timeout=0.3) as connector,
        pytest.raises(TemporaryFailureError, match="did not answer in time"),
    ):
        connector.post_metrics("109")


def test_a_closed_port_is_a_temporary_failure() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    connector = registry.build("mastodon", base_url=f"http://127.0.0.1:{port}", credentials={"access_token": TOKEN})
    with connector, pytest.raises(TemporaryFailureError, match="Mastodon could not be reached"):
        connector.account_info()


def test_mastodon_delete_metrics_and_idempotent_publish(replay: ReplayServer) -> None:
    serve_instance(replay)
    replay.add("DELETE", "/api/v1/statuses/109", Answer(200, STATUS))
    replay.add("GET", "/api/v1/statuses/109", Answer(200, STATUS))
    replay.add(
        "POST",
        "/api/v1/statuses",
        Answer(200, STATUS, headers={"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "287"}),
    )
    with mastodon(replay) as connector:
        connector.delete("109")
        metrics = connector.post_metrics("109")
        result = connector.publish(PublishRequest(text="Hello", idempotency_key="variant-7"))
        budget = connector.rate_limit
    assert (metrics.likes, metrics.shares, metrics.replies) == (5, 2, 1)
    assert (result.remote_id, result.url) == ("109", "https://example.social/@brand/109")
    assert result.published_at == datetime.datetime(2026, 11, 2, 10, 0, tzinfo=datetime.UTC)
    assert replay.requests_to("POST", "/api/v1/statuses")[0].headers["Idempotency-Key"] == "variant-7"
    assert budget is not None
    assert (budget.limit, budget.remaining) == (300, 287)


def test_mastodon_waits_for_media_still_processing(replay: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mastodon_client, "MEDIA_READY_PAUSE_SECONDS", 0.01)
    serve_instance(replay)
    replay.add("POST", "/api/v2/media", Answer(202, {"id": "77", "type": "image", "url": None}))
    replay.add("GET", "/api/v1/media/77", Answer(206, {"id": "77", "type": "image", "url": None}))
    replay.add(
        "GET", "/api/v1/media/77", Answer(200, {"id": "77", "type": "image", "url": "https://example.social/77.png"})
    )
    replay.add("POST", "/api/v1/statuses", Answer(200, STATUS))
    with mastodon(replay) as connector:
        connector.publish(PublishRequest(text="Look", media=(MediaFile(one_pixel_png(), "image/png", "p.png"),)))
    assert json.loads(replay.requests_to("POST", "/api/v1/statuses")[0].body) == {"status": "Look", "media_ids": ["77"]}
    assert len(replay.requests_to("GET", "/api/v1/media/77")) == 2


def test_mastodon_search_and_html_content_become_plain_inbound_items(replay: ReplayServer) -> None:
    replay.add(
        "GET",
        "/api/v2/search",
        Answer(
            200,
            {
                "accounts": [],
                "hashtags": [],
                "statuses": [{**STATUS, "content": "<p>Love <a href='x'>#pappus</a></p><p>Second</p>"}],
            },
        ),
    )
    with mastodon(replay) as connector:
        page = connector.listen("#pappus")
    assert [(item.remote_id, item.kind, item.text) for item in page.items] == [
        ("109", InboundKind.MENTION, "Love #pappus\n\nSecond")
    ]
    assert replay.requests_to("GET", "/api/v2/search")[0].query == "q=%23pappus&type=statuses&limit=40"


# --- Matrix --------------------------------------------------------------------------------------


def test_matrix_rate_limit_reads_retry_after_ms(replay: ReplayServer) -> None:
    replay.add(
        "GET",
        "/_matrix/client/v3/account/whoami",
        Answer(429, {"errcode": "M_LIMIT_EXCEEDED", "error": "Too Many Requests", "retry_after_ms": 2000}),
    )
    with matrix(replay) as connector, pytest.raises(RateLimitedError) as raised:
        connector.account_info()
    assert (raised.value.retry_after, str(raised.value)) == (
        2.0,
        "Matrix rate limit reached: Too Many Requests (M_LIMIT_EXCEEDED)",
    )


def test_matrix_errors_map_to_the_set(replay: ReplayServer) -> None:
    whoami = "/_matrix/client/v3/account/whoami"
    replay.add(
        "GET",
        whoami,
        Answer(401, {"errcode": "M_UNKNOWN_TOKEN", "error": "Access token has expired", "soft_logout": True}),
    )
    replay.add("GET", whoami, Answer(502, "Bad Gateway"))
    replay.add("GET", whoami, Answer(200, "not json"))
    with matrix(replay) as connector:
        with pytest.raises(AuthExpiredError, match=r"Access token has expired \(M_UNKNOWN_TOKEN\)"):
            connector.account_info()
        with pytest.raises(TemporaryFailureError, match="Matrix failed: Bad Gateway"):
            connector.account_info()
        with pytest.raises(TemporaryFailureError, match="unreadable JSON"):
            connector.account_info()


def test_matrix_too_large_is_content_rejected(replay: ReplayServer) -> None:
    path_prefix = "/_matrix/client/v3/rooms/%21room%3Aexample.org/send/m.room.message/"
    replay.add("PUT", path_prefix + "k1", Answer(413, {"errcode": "M_TOO_LARGE", "error": "event too large"}))
    with matrix(replay) as connector, pytest.raises(ContentRejectedError) as raised:
        connector.publish(PublishRequest(text="hi", idempotency_key="k1"))
    assert (raised.value.reason, raised.value.status) == ("event too large (M_TOO_LARGE)", 413)
