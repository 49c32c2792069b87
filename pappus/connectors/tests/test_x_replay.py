"""The X connector against a local server replaying the documented answers of X API v2.

Shapes from https://docs.x.com/x-api (Tweet and User objects, ``includes.users``, ``meta`` with
``newest_id``/``result_count``), the problem-details error bodies (``{"title", "detail", "type",
"status"}``), partial errors in a 200 answer (``"errors": [{"title": "Not Found Error", ...}]``),
and the ``x-rate-limit-limit/-remaining/-reset`` headers (reset in epoch seconds).
"""

from __future__ import annotations

import datetime
import json
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.utils import timezone

from pappus.connectors.contracts import InboundKind, MediaFile, PublishRequest
from pappus.connectors.errors import (
    AuthExpiredError,
    ContentRejectedError,
    NotFoundError,
    RateLimitedError,
    TemporaryFailureError,
)
from pappus.connectors.tests.images import one_pixel_png
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.connectors.x.client import XConnector
from pappus.connectors.x.mapping import weighted_length

ME = {
    "data": {
        "id": "2244994945",
        "name": "Nordlys Coffee",
        "username": "nordlyscoffee",
        "public_metrics": {
            "followers_count": 310,
            "following_count": 12,
            "tweet_count": 90,
            "listed_count": 1,
            "like_count": 40,
        },
    }
}


def x(replay: ReplayServer) -> XConnector:
    return XConnector(base_url=replay.url, credentials={"access_token": "x-token"})


def problem(status: int, title: str, detail: str, kind: str = "about:blank") -> dict[str, Any]:
    return {"title": title, "detail": detail, "type": kind, "status": status}


def test_weighted_length_counts_as_twitter_text_does() -> None:
    assert weighted_length("hello") == 5
    assert weighted_length("see https://nordlys.example/a/very/long/path/that/is/long") == 4 + 23
    assert weighted_length("咖啡") == 4  # CJK counts 2
    assert weighted_length("👍🏽") == 2  # an emoji sequence counts 2
    assert weighted_length("café") == 4


def test_account_info_metrics_and_the_budget(replay: ReplayServer) -> None:
    reset = int(timezone.now().timestamp()) + 900
    replay.add(
        "GET",
        "/2/users/me",
        Answer(200, ME, {"x-rate-limit-limit": "75", "x-rate-limit-remaining": "74", "x-rate-limit-reset": str(reset)}),
        always=True,
    )
    with x(replay) as connector:
        info = connector.account_info()
        assert (info.remote_id, info.handle, info.url, info.followers) == (
            "2244994945",
            "@nordlyscoffee",
            "https://x.com/nordlyscoffee",
            310,
        )
        metrics = connector.account_metrics()
        assert (metrics.followers, metrics.following, metrics.posts) == (310, 12, 90)
        budget = connector.rate_limit
    assert budget is not None
    assert (budget.limit, budget.remaining) == (75, 74)
    assert budget.resets_at == datetime.datetime.fromtimestamp(reset, tz=datetime.UTC)
    entry = replay.requests_to("GET", "/2/users/me")[0]
    assert entry.headers["Authorization"] == "Bearer x-token"
    assert "public_metrics" in parse_qs(entry.query)["user.fields"][0]


def test_publish_reply_delete_and_hide(replay: ReplayServer) -> None:
    replay.add("GET", "/2/users/me", Answer(200, ME), always=True)
    replay.add(
        "POST", "/2/tweets", Answer(201, {"data": {"id": "1445880548472328192", "text": "Winter blend is back"}})
    )
    replay.add(
        "POST",
        "/2/tweets",
        Answer(201, {"data": {"id": "1445880548472328199", "text": "@kari Yes, from next week!"}}),
    )
    replay.add("DELETE", "/2/tweets/1445880548472328192", Answer(200, {"data": {"deleted": True}}))
    replay.add("PUT", "/2/tweets/1460323737035677698/hidden", Answer(200, {"data": {"hidden": True}}))
    with x(replay) as connector:
        connector.account_info()
        result = connector.publish(PublishRequest(text="Winter blend is back", link="https://nordlys.example/w"))
        assert result.remote_id == "1445880548472328192"
        assert result.url == "https://x.com/nordlyscoffee/status/1445880548472328192"
        connector.reply("1460323737035677698", PublishRequest(text="Yes, from next week!"))
        connector.delete("1445880548472328192")
        connector.hide("1460323737035677698")
    sent = [json.loads(entry.body) for entry in replay.requests_to("POST", "/2/tweets")]
    assert sent[0] == {"text": "Winter blend is back\n\nhttps://nordlys.example/w"}
    assert sent[1] == {"text": "Yes, from next week!", "reply": {"in_reply_to_tweet_id": "1460323737035677698"}}
    assert json.loads(replay.requests_to("PUT", "/2/tweets/1460323737035677698/hidden")[0].body) == {"hidden": True}


def test_limits_are_checked_before_sending(replay: ReplayServer) -> None:
    with x(replay) as connector:
        with pytest.raises(ContentRejectedError, match="281 characters long; the limit here is 280") as too_long:
            connector.publish(PublishRequest(text="a" * 281))
        assert too_long.value.checked_locally
        # 140 Chinese characters weigh 280: accepted by the check; 141 do not fit.
        connector.limits().check(PublishRequest(text="咖" * 140))
        with pytest.raises(ContentRejectedError, match="282 characters"):
            connector.publish(PublishRequest(text="咖" * 141))
        five = tuple(MediaFile(one_pixel_png(), "image/png", f"{number}.png") for number in range(5))
        with pytest.raises(ContentRejectedError, match="5 files are attached; at most 4 are allowed"):
            connector.publish(PublishRequest(text="Photos", media=five))
    assert replay.requests == []


def test_errors_map_to_the_small_set(replay: ReplayServer) -> None:
    reset = int(timezone.now().timestamp()) + 600
    replay.add("POST", "/2/tweets", Answer(401, problem(401, "Unauthorized", "Unauthorized")))
    replay.add(
        "POST",
        "/2/tweets",
        Answer(
            429,
            problem(429, "Too Many Requests", "Too Many Requests"),
            {"x-rate-limit-limit": "200", "x-rate-limit-remaining": "0", "x-rate-limit-reset": str(reset)},
        ),
    )
    replay.add(
        "POST",
        "/2/tweets",
        Answer(403, problem(403, "Forbidden", "You are not allowed to create a Tweet with duplicate content.")),
    )
    replay.add("POST", "/2/tweets", Answer(503, problem(503, "Service Unavailable", "Service Unavailable")))
    replay.add("POST", "/2/tweets", Answer(201, '{"data": {"id": ', {"Content-Type": "application/json"}))
    replay.add(
        "GET",
        "/2/tweets/1",
        Answer(
            200,
            {
                "errors": [
                    {
                        "value": "1",
                        "detail": "Could not find tweet with id: [1].",
                        "title": "Not Found Error",
                        "resource_type": "tweet",
                        "parameter": "id",
                        "resource_id": "1",
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                ]
            },
        ),
    )
    request = PublishRequest(text="Winter blend is back")
    with x(replay) as connector:
        with pytest.raises(AuthExpiredError, match="Unauthorized"):
            connector.publish(request)
        with pytest.raises(RateLimitedError) as limited:
            connector.publish(request)
        assert limited.value.retry_after is not None
        assert 590 < limited.value.retry_after <= 600
        with pytest.raises(ContentRejectedError) as duplicate:
            connector.publish(request)
        assert duplicate.value.reason == "You are not allowed to create a Tweet with duplicate content."
        with pytest.raises(TemporaryFailureError) as unavailable:
            connector.publish(request)
        assert unavailable.value.status == 503
        with pytest.raises(TemporaryFailureError, match="unreadable JSON"):
            connector.publish(request)
        with pytest.raises(NotFoundError, match=r"Could not find tweet with id: \[1\]"):
            connector.post_metrics("1")


def test_mentions_timeline_as_inbox_and_recent_search(replay: ReplayServer) -> None:
    replay.add("GET", "/2/users/me", Answer(200, ME), always=True)
    mentions: dict[str, Any] = {
        "data": [
            {
                "id": "1460323737035677698",
                "text": "@nordlyscoffee is the winter blend decaf too?",
                "author_id": "783214",
                "conversation_id": "1445880548472328192",
                "in_reply_to_user_id": "2244994945",
                "referenced_tweets": [{"type": "replied_to", "id": "1445880548472328192"}],
                "created_at": "2026-11-29T10:15:00.000Z",
                "edit_history_tweet_ids": ["1460323737035677698"],
            },
            {
                "id": "1460323737035677600",
                "text": "Best cup in Tromsø today at @nordlyscoffee",
                "author_id": "99",
                "conversation_id": "1460323737035677600",
                "created_at": "2026-11-29T09:00:00.000Z",
                "edit_history_tweet_ids": ["1460323737035677600"],
            },
        ],
        "includes": {
            "users": [
                {"id": "783214", "name": "Kari", "username": "kari_n"},
                {"id": "99", "name": "Ola", "username": "ola"},
            ]
        },
        "meta": {"result_count": 2, "newest_id": "1460323737035677698", "oldest_id": "1460323737035677600"},
    }
    replay.add("GET", "/2/users/2244994945/mentions", Answer(200, mentions))
    replay.add("GET", "/2/users/2244994945/mentions", Answer(200, {"meta": {"result_count": 0}}))
    replay.add("GET", "/2/tweets/search/recent", Answer(200, {**mentions, "data": mentions["data"][1:]}))
    replay.add(
        "GET",
        "/2/tweets/1445880548472328192",
        Answer(
            200,
            {
                "data": {
                    "id": "1445880548472328192",
                    "text": "Winter blend is back",
                    "edit_history_tweet_ids": ["1445880548472328192"],
                    "public_metrics": {
                        "retweet_count": 5,
                        "reply_count": 3,
                        "like_count": 41,
                        "quote_count": 2,
                        "bookmark_count": 1,
                        "impression_count": 2210,
                    },
                }
            },
        ),
    )
    with x(replay) as connector:
        page = connector.inbox(cursor="1460323737035670000")
        comment, mention = page.items
        assert (comment.kind, comment.parent_remote_id, comment.author_handle) == (
            InboundKind.COMMENT,
            "1445880548472328192",
            "@kari_n",
        )
        assert comment.url == "https://x.com/kari_n/status/1460323737035677698"
        assert comment.published_at == datetime.datetime(2026, 11, 29, 10, 15, tzinfo=datetime.UTC)
        assert (mention.kind, mention.parent_remote_id) == (InboundKind.MENTION, "")
        assert page.cursor == "1460323737035677698"
        assert connector.inbox(cursor=page.cursor).items == ()
        found = connector.listen('"nordlys coffee" -is:retweet')
        assert [item.author_handle for item in found.items] == ["@ola"]
        metrics = connector.post_metrics("1445880548472328192")
        assert (metrics.likes, metrics.shares, metrics.replies, metrics.impressions) == (41, 7, 3, 2210)
    asked = [parse_qs(entry.query) for entry in replay.requests_to("GET", "/2/users/2244994945/mentions")]
    assert asked[0]["since_id"] == ["1460323737035670000"]
    assert asked[1]["since_id"] == ["1460323737035677698"]
    assert asked[0]["expansions"] == ["author_id"]


def test_an_inbox_read_pages_back_to_the_cursor_so_no_mention_is_skipped(replay: ReplayServer) -> None:
    replay.add("GET", "/2/users/me", Answer(200, ME), always=True)

    def mention(tweet_id: str) -> dict[str, Any]:
        return {
            "id": tweet_id,
            "text": f"@nordlyscoffee {tweet_id}",
            "author_id": "99",
            "edit_history_tweet_ids": [tweet_id],
        }

    includes = {"users": [{"id": "99", "name": "Ola", "username": "ola"}]}
    replay.add(
        "GET",
        "/2/users/2244994945/mentions",
        Answer(
            200,
            {
                "data": [mention("130"), mention("120")],
                "includes": includes,
                "meta": {
                    "result_count": 2,
                    "newest_id": "130",
                    "oldest_id": "120",
                    "next_token": "7140dibdnow9c7btw3w29",
                },
            },
        ),
    )
    replay.add(
        "GET",
        "/2/users/2244994945/mentions",
        Answer(
            200,
            {
                "data": [mention("110")],
                "includes": includes,
                "meta": {"result_count": 1, "newest_id": "110", "oldest_id": "110"},
            },
        ),
    )
    with x(replay) as connector:
        page = connector.inbox(cursor="100", limit=2)
    assert [item.remote_id for item in page.items] == ["130", "120", "110"]
    assert page.cursor == "130"
    asked = [parse_qs(entry.query) for entry in replay.requests_to("GET", "/2/users/2244994945/mentions")]
    assert "pagination_token" not in asked[0]
    assert asked[1]["pagination_token"] == ["7140dibdnow9c7btw3w29"]
    assert asked[1]["since_id"] == ["100"]


def test_direct_messages_are_read_and_answered_when_the_sign_in_granted_dm_read(replay: ReplayServer) -> None:
    replay.add("GET", "/2/users/me", Answer(200, ME), always=True)
    replay.add("GET", "/2/users/2244994945/mentions", Answer(200, {"meta": {"result_count": 0}}), always=True)
    conversation = "783214-2244994945"
    events = {
        "data": [
            {
                "id": "1580705921830768647",
                "event_type": "MessageCreate",
                "text": "Do you ship to Bergen?",
                "sender_id": "783214",
                "dm_conversation_id": conversation,
                "created_at": "2026-11-29T10:30:00.000Z",
            },
            {
                "id": "1580705921830768600",
                "event_type": "MessageCreate",
                "text": "Hi! How can we help?",
                "sender_id": "2244994945",
                "dm_conversation_id": conversation,
                "created_at": "2026-11-29T10:20:00.000Z",
            },
            {
                "id": "1580705921830768500",
                "event_type": "MessageCreate",
                "text": "Read before",
                "sender_id": "783214",
                "dm_conversation_id": conversation,
                "created_at": "2026-11-29T10:00:00.000Z",
            },
        ],
        "includes": {"users": [{"id": "783214", "name": "Kari", "username": "kari_n"}]},
        "meta": {"result_count": 3, "next_token": "18LAA581J5II7LA00C00"},
    }
    replay.add("GET", "/2/dm_events", Answer(200, events))
    replay.add(
        "POST",
        f"/2/dm_conversations/{conversation}/messages",
        Answer(201, {"data": {"dm_conversation_id": conversation, "dm_event_id": "1580705921830768700"}}),
    )
    granted = {"granted_scopes": ["tweet.read", "users.read", "dm.read", "dm.write", "offline.access"]}
    with XConnector(base_url=replay.url, credentials={"access_token": "x-token"}, options=granted) as connector:
        page = connector.inbox(cursor="130|1580705921830768550")
        (message,) = page.items
        assert (message.kind, message.text, message.author_handle) == (
            InboundKind.DIRECT_MESSAGE,
            "Do you ship to Bergen?",
            "@kari_n",
        )
        assert message.remote_id == f"dm:{conversation}:1580705921830768647"
        assert page.cursor == "130|1580705921830768647"
        answer = connector.reply(message.remote_id, PublishRequest(text="Yes, in 2 days."))
        assert answer.remote_id == f"dm:{conversation}:1580705921830768700"
    # The first page reached the cursor, so no second page was asked for.
    assert len(replay.requests_to("GET", "/2/dm_events")) == 1
    assert parse_qs(replay.requests_to("GET", "/2/dm_events")[0].query)["event_types"] == ["MessageCreate"]
    sent = replay.requests_to("POST", f"/2/dm_conversations/{conversation}/messages")[0]
    assert json.loads(sent.body) == {"text": "Yes, in 2 days."}
    # Without dm.read in the grant, direct messages are not asked for.
    with x(replay) as connector:
        assert connector.inbox(cursor="130").cursor == "130"
    assert len(replay.requests_to("GET", "/2/dm_events")) == 1
