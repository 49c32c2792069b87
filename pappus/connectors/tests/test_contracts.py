"""The connector contract: limits checked before sending, the error set, the registry, retry-after."""

from __future__ import annotations

import datetime

import pytest

from pappus.connectors import registry
from pappus.connectors.base import HttpConnector, parse_retry_after
from pappus.connectors.contracts import Capability, InboundItem, InboundKind, MediaFile, PublishLimits, PublishRequest
from pappus.connectors.errors import (
    AuthExpiredError,
    ContentRejectedError,
    NotFoundError,
    NotSupportedError,
    RateLimitedError,
    TemporaryFailureError,
)
from pappus.listening import pipeline

LIMITS = PublishLimits(
    max_characters=20, max_media=1, media_types=frozenset({"image/png"}), max_media_bytes=10, url_length=5
)
PNG = MediaFile(b"\x89PNG", "image/png", "a.png")


def test_a_post_within_the_limits_has_no_problems() -> None:
    assert LIMITS.problems(PublishRequest(text="hello", media=(PNG,))) == []


def test_every_problem_of_a_post_is_named_at_once() -> None:
    request = PublishRequest(
        text="x" * 21,
        media=(PNG, MediaFile(b"GIF89a", "image/gif", "b.gif"), MediaFile(b"x" * 11, "image/png", "c.png")),
    )
    assert LIMITS.problems(request) == [
        "The text is 21 characters long; the limit here is 20.",
        "3 files are attached; at most 1 are allowed here.",
        "b.gif is of type image/gif, which cannot be posted here.",
        "c.png is 11 bytes; the limit here is 10 bytes.",
    ]


def test_an_empty_post_is_refused_locally_with_a_reason() -> None:
    with pytest.raises(ContentRejectedError) as raised:
        LIMITS.check(PublishRequest(text="  "), network="mastodon")
    assert raised.value.checked_locally
    assert raised.value.reason == "The post is empty: write some text or attach a file."
    assert not raised.value.retryable


def test_links_count_as_the_networks_fixed_length_and_are_appended_once() -> None:
    request = PublishRequest(text="see", link="https://example.org/a/very/long/path/indeed")
    assert request.full_text() == "see\n\nhttps://example.org/a/very/long/path/indeed"
    assert LIMITS.length(request.full_text()) == len("see\n\n") + 5
    assert PublishRequest(text="at https://e.org/x", link="https://e.org/x").full_text() == "at https://e.org/x"


def test_errors_say_whether_to_retry() -> None:
    assert [error.retryable for error in (RateLimitedError("x", retry_after=3), TemporaryFailureError("x"))] == [
        True,
        True,
    ]
    assert [
        error.retryable
        for error in (AuthExpiredError("x"), NotFoundError("x"), ContentRejectedError("x"), NotSupportedError("x"))
    ] == [False, False, False, False]
    assert RateLimitedError("x", retry_after=3).retry_after == 3


def test_retry_after_reads_seconds_and_http_dates() -> None:
    assert parse_retry_after("120") == 120.0
    assert parse_retry_after("") is None
    assert parse_retry_after("soon") is None
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=90)
    seconds = parse_retry_after(later.strftime("%a, %d %b %Y %H:%M:%S GMT"))
    assert seconds is not None
    assert 85 <= seconds <= 90


def test_the_registry_knows_each_network_once() -> None:
    assert registry.networks() == [
        "bluesky",
        "douyin",
        "facebook",
        "instagram",
        "mastodon",
        "matrix",
        "reddit",
        "telegram",
        "toutiao",
        "vk",
        "wechat",
        "weibo",
        "x",
        "youtube",
    ]
    assert registry.connector_class("mastodon").capabilities == frozenset(Capability)
    with pytest.raises(LookupError, match="no connector for the network 'myspace'"):
        registry.connector_class("myspace")

    class Impostor(HttpConnector):
        network = "mastodon"

    with pytest.raises(ValueError, match="two connectors for mastodon"):
        registry.register(Impostor)


def test_a_capability_a_connector_lacks_is_refused() -> None:
    connector = registry.build("matrix", base_url="http://127.0.0.1:9", credentials={"access_token": "t"})
    with connector, pytest.raises(NotSupportedError, match="Matrix does not support listen"):
        connector.listen("pappus")


def test_inbound_items_feed_the_listening_pipeline() -> None:
    item = InboundItem(
        network="mastodon",
        remote_id="42",
        kind=InboundKind.MENTION,
        text="@brand your app is great",
        author_handle="@bob@example.org",
        author_name="Bob",
        url="https://example.org/@bob/42",
        published_at=datetime.datetime(2026, 11, 2, 10, 0, tzinfo=datetime.UTC),
        parent_remote_id="41",
        raw={"id": "42"},
    )
    batch = pipeline.normalize([item.as_listening_item()], pipeline.map_normalized)
    assert batch.rejections == []
    mention = batch.mentions[0]
    assert (mention.network, mention.external_id, mention.author_handle, mention.parent_external_id) == (
        "mastodon",
        "42",
        "bob@example.org",
        "41",
    )
    assert mention.published_at == datetime.datetime(2026, 11, 2, 10, 0, tzinfo=datetime.UTC)
