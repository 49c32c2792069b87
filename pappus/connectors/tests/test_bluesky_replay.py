"""Bluesky's documented error answers, replayed by a local server through the real connector code,
for what the local AT Protocol network does not produce (rate limits, 5xx, an expired access token).

XRPC errors are ``{"error": Name, "message": text}`` (https://atproto.com/specs/xrpc): 400 with
``ExpiredToken`` / ``InvalidToken`` / ``InvalidRequest``, 401 ``AuthenticationRequired``, 413
``PayloadTooLarge``, 429 ``RateLimitExceeded`` with ``RateLimit-Limit`` / ``-Remaining`` /
``-Reset`` (Unix seconds) / ``-Policy`` headers (https://docs.bsky.app/docs/advanced-guides/rate-limits).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from pappus.connectors.bluesky import richtext
from pappus.connectors.bluesky.client import BlueskyConnector, forget_sessions
from pappus.connectors.contracts import MediaFile, PublishRequest
from pappus.connectors.errors import (
    AuthExpiredError,
    ContentRejectedError,
    NotFoundError,
    RateLimitedError,
    TemporaryFailureError,
)
from pappus.connectors.tests.images import one_pixel_png
from pappus.connectors.tests.replay import Answer, ReplayServer

DID = "did:plc:ewvi7nxzyoun6zhxrhs64oiz"
SESSION = "/xrpc/com.atproto.server.createSession"
PROFILE = "/xrpc/app.bsky.actor.getProfile"
CREATE = "/xrpc/com.atproto.repo.createRecord"
POST_URI = f"at://{DID}/app.bsky.feed.post/3l6oveex3ii2l"
TOO_LONG = "Invalid app.bsky.feed.post record: grapheme too big (maximum 300, got 301) at $.record.text"


@pytest.fixture(autouse=True)
def no_kept_sessions() -> Iterator[None]:
    forget_sessions()
    yield
    forget_sessions()


def session_answer(number: int = 1) -> Answer:
    return Answer(
        200,
        {
            "accessJwt": f"access-{number}",
            "refreshJwt": f"refresh-{number}",
            "handle": "brand.bsky.social",
            "did": DID,
            "active": True,
        },
    )


def connector(replay: ReplayServer) -> BlueskyConnector:
    return BlueskyConnector(
        base_url=replay.url,
        credentials={"app_password": "abcd-efgh-ijkl-mnop"},
        options={"identifier": "@brand.bsky.social"},
    )


def profile(followers: int = 7) -> Answer:
    return Answer(200, {"did": DID, "handle": "brand.bsky.social", "displayName": "Brand", "followersCount": followers})


def test_an_expired_access_token_is_refreshed_and_the_call_repeated(replay: ReplayServer) -> None:
    replay.add("POST", SESSION, session_answer(1))
    replay.add("GET", PROFILE, Answer(400, {"error": "ExpiredToken", "message": "Token has expired"}))
    replay.add("POST", "/xrpc/com.atproto.server.refreshSession", session_answer(2))
    replay.add("GET", PROFILE, profile())
    with connector(replay) as bluesky:
        bluesky._session()  # a session kept from an earlier call
        info = bluesky.account_info()
    assert (info.remote_id, info.handle, info.followers) == (DID, "brand.bsky.social", 7)
    assert json.loads(replay.requests_to("POST", SESSION)[0].body) == {
        "identifier": "brand.bsky.social",
        "password": "abcd-efgh-ijkl-mnop",
    }
    refresh = replay.requests_to("POST", "/xrpc/com.atproto.server.refreshSession")
    assert refresh[0].headers["Authorization"] == "Bearer refresh-1"
    assert [entry.headers["Authorization"] for entry in replay.requests_to("GET", PROFILE)] == [
        "Bearer access-1",
        "Bearer access-2",
    ]


def test_a_refused_session_is_renewed_once_per_call_never_in_a_loop(replay: ReplayServer) -> None:
    refused = Answer(400, {"error": "InvalidToken", "message": "Token could not be verified"})
    replay.add("POST", SESSION, session_answer(1), always=True)
    replay.add("GET", PROFILE, refused, always=True)
    replay.add("POST", "/xrpc/com.atproto.server.refreshSession", refused, always=True)
    with connector(replay) as bluesky:
        # A session opened by the call itself and refused at once: renewing it cannot help.
        with pytest.raises(AuthExpiredError) as raised:
            bluesky.xrpc("GET", "app.bsky.actor.getProfile", params={"actor": DID})
        assert str(raised.value) == "Bluesky refused the session: Token could not be verified (InvalidToken)"
        assert (len(replay.requests_to("POST", SESSION)), len(replay.requests_to("GET", PROFILE))) == (1, 1)
        assert replay.requests_to("POST", "/xrpc/com.atproto.server.refreshSession") == []
        # A session kept from before: refreshed (refused), opened again, tried once more, then the error.
        with pytest.raises(AuthExpiredError):
            bluesky.xrpc("GET", "app.bsky.actor.getProfile", params={"actor": DID})
    assert len(replay.requests_to("POST", "/xrpc/com.atproto.server.refreshSession")) == 1
    assert (len(replay.requests_to("POST", SESSION)), len(replay.requests_to("GET", PROFILE))) == (2, 3)


def test_a_revoked_app_password_means_reconnect(replay: ReplayServer) -> None:
    replay.add(
        "POST", SESSION, Answer(401, {"error": "AuthenticationRequired", "message": "Invalid identifier or password"})
    )
    with connector(replay) as bluesky, pytest.raises(AuthExpiredError) as raised:
        bluesky.account_info()
    assert str(raised.value) == "Bluesky refused the session: Invalid identifier or password (AuthenticationRequired)"
    assert raised.value.retryable is False


def test_429_honours_the_rate_limit_reset(replay: ReplayServer) -> None:
    reset = int(time.time()) + 120
    replay.add("POST", SESSION, session_answer())
    replay.add(
        "GET",
        PROFILE,
        Answer(
            429,
            {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
            headers={
                "RateLimit-Limit": "3000",
                "RateLimit-Remaining": "0",
                "RateLimit-Reset": str(reset),
                "RateLimit-Policy": "3000;w=300",
            },
        ),
    )
    with connector(replay) as bluesky, pytest.raises(RateLimitedError) as raised:
        bluesky.account_metrics()
    assert str(raised.value) == "Bluesky rate limit reached: Rate Limit Exceeded (RateLimitExceeded)"
    assert raised.value.retry_after is not None
    assert 110 <= raised.value.retry_after <= 120
    budget = bluesky.rate_limit
    assert budget is not None
    assert (budget.limit, budget.remaining, budget.resets_at and int(budget.resets_at.timestamp())) == (3000, 0, reset)


def test_the_networks_reason_for_refusing_a_post_is_shown(replay: ReplayServer) -> None:
    replay.add("POST", SESSION, session_answer())
    replay.add(
        "POST",
        CREATE,
        Answer(
            400,
            {"error": "InvalidRequest", "message": TOO_LONG},
        ),
    )
    with connector(replay) as bluesky, pytest.raises(ContentRejectedError) as raised:
        bluesky.publish(PublishRequest(text="hello"))
    assert (raised.value.reason, raised.value.status, raised.value.checked_locally) == (
        f"{TOO_LONG} (InvalidRequest)",
        400,
        False,
    )


def test_a_too_large_blob_is_content_rejected(replay: ReplayServer) -> None:
    replay.add("POST", SESSION, session_answer())
    replay.add(
        "POST",
        "/xrpc/com.atproto.repo.uploadBlob",
        Answer(413, {"error": "PayloadTooLarge", "message": "request entity too large"}),
    )
    image = MediaFile(one_pixel_png(), "image/png", "p.png", description="alt")
    with connector(replay) as bluesky, pytest.raises(ContentRejectedError, match=r"request entity too large"):
        bluesky.publish(PublishRequest(text="look", media=(image,)))
    assert replay.requests_to("POST", CREATE) == []
    upload = replay.requests_to("POST", "/xrpc/com.atproto.repo.uploadBlob")[0]
    assert (upload.headers["Content-Type"], upload.body) == ("image/png", image.content)


def test_5xx_and_malformed_json_are_temporary(replay: ReplayServer) -> None:
    replay.add("POST", SESSION, session_answer())
    replay.add("GET", PROFILE, Answer(502, "<html>Bad Gateway</html>", headers={"Content-Type": "text/html"}))
    replay.add("GET", PROFILE, Answer(200, '{"did": "did:plc:', headers={"Content-Type": "application/json"}))
    with connector(replay) as bluesky:
        with pytest.raises(TemporaryFailureError, match="Bluesky failed: HTTP 502 Bad Gateway"):
            bluesky.account_metrics()
        with pytest.raises(TemporaryFailureError, match="Bluesky answered with unreadable JSON"):
            bluesky.account_metrics()


def test_a_post_the_appview_does_not_know_is_not_found(replay: ReplayServer) -> None:
    replay.add("POST", SESSION, session_answer())
    replay.add("GET", "/xrpc/app.bsky.feed.getPosts", Answer(200, {"posts": []}))
    with connector(replay) as bluesky, pytest.raises(NotFoundError):
        bluesky.post_metrics(POST_URI)
    with connector(replay) as bluesky, pytest.raises(NotFoundError, match="not an AT URI"):
        bluesky.post_metrics("https://bsky.app/profile/x/post/y")


def test_a_post_is_never_sent_twice_after_a_broken_connection(replay: ReplayServer) -> None:
    # createRecord has no idempotency key, so the connector cannot know whether the first one was written.
    replay.add("POST", SESSION, session_answer())
    replay.add("POST", CREATE, Answer(close_without_answer=True))
    with connector(replay) as bluesky, pytest.raises(TemporaryFailureError) as raised:
        bluesky.publish(PublishRequest(text="once", idempotency_key="variant-9"))
    assert raised.value.status is None
    assert len(replay.requests_to("POST", CREATE)) == 1


def test_facets_mark_utf8_byte_ranges_and_skip_unknown_handles() -> None:
    text = "Привет @bob.test, @ghost.test (https://пример.рф/путь). 日本 #новости"
    found = richtext.facets(text, {"bob.test": "did:plc:bob"}.get)
    encoded = text.encode()
    assert [
        (encoded[facet["index"]["byteStart"] : facet["index"]["byteEnd"]].decode(), facet["features"][0])
        for facet in found
    ] == [
        ("@bob.test", {"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:bob"}),
        ("https://пример.рф/путь", {"$type": "app.bsky.richtext.facet#link", "uri": "https://пример.рф/путь"}),
        ("#новости", {"$type": "app.bsky.richtext.facet#tag", "tag": "новости"}),
    ]


def test_bluesky_counts_graphemes() -> None:
    limits = BlueskyConnector.default_limits
    assert limits is not None
    assert [limits.length(text) for text in ("👍🏽", "👨‍👩‍👧‍👦", "🇳🇴", "e\u0301", "한국어", "abc")] == [
        1,
        1,
        1,
        1,
        3,
        3,
    ]
    assert limits.problems(PublishRequest(text="👍🏽" * 300)) == []
