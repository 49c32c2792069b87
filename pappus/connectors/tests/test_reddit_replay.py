# ruff: noqa: RUF001 - Russian and full-width Chinese punctuation in the expectations are meant.
"""The Reddit connector against a local server replaying the documented answers of Reddit's API.

Shapes from https://www.reddit.com/dev/api and the reddit-archive wiki (JSON, OAuth2): Listings
``{"kind": "Listing", "data": {"after", "before", "children": [{"kind": "t1"|"t3"|"t4", "data"}]}}``,
form posts with ``api_type=json`` answering ``{"json": {"errors": [[code, message, field]], "data"}}``
(HTTP 200 even when refused), ``/api/v1/me``, and the ``X-Ratelimit-Used/-Remaining/-Reset`` headers.
"""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.utils import timezone, translation

from pappus.connectors.contracts import InboundKind, MediaFile, PublishRequest
from pappus.connectors.errors import (
    AuthExpiredError,
    ContentRejectedError,
    NotFoundError,
    RateLimitedError,
    TemporaryFailureError,
)
from pappus.connectors.reddit.client import RedditConnector
from pappus.connectors.tests.images import one_pixel_png
from pappus.connectors.tests.replay import Answer, Recorded, ReplayServer

CREATED = 1_793_700_000.0
ME = {
    "name": "nordlys_coffee",
    "id": "1w72",
    "total_karma": 1520,
    "link_karma": 1200,
    "comment_karma": 320,
    "subreddit": {"display_name_prefixed": "u/nordlys_coffee", "title": "Nordlys Coffee", "subscribers": 48},
}
BUDGET = {"X-Ratelimit-Used": "4", "X-Ratelimit-Remaining": "596.0", "X-Ratelimit-Reset": "240"}


def reddit(replay: ReplayServer, subreddit: str = "nordlys") -> RedditConnector:
    return RedditConnector(
        base_url=replay.url, credentials={"access_token": "reddit-token"}, options={"subreddit": subreddit}
    )


def listing(*things: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "kind": "Listing",
        "data": {
            "after": None,
            "before": None,
            "dist": len(things),
            "children": [{"kind": kind, "data": data} for kind, data in things],
        },
    }


def form(entry: Recorded) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(entry.body.decode()).items()}


def test_account_info_and_metrics_with_the_request_budget(replay: ReplayServer) -> None:
    replay.add("GET", "/api/v1/me", Answer(200, ME, BUDGET), always=True)
    with reddit(replay) as connector:
        info = connector.account_info()
        assert (info.remote_id, info.handle, info.display_name) == ("1w72", "u/nordlys_coffee", "Nordlys Coffee")
        assert info.url == "https://www.reddit.com/user/nordlys_coffee/"
        assert info.followers == 48
        metrics = connector.account_metrics()
        assert (metrics.followers, metrics.likes) == (48, 1520)
        budget = connector.rate_limit
    assert budget is not None
    assert (budget.limit, budget.remaining) == (600, 596)
    assert budget.resets_at is not None
    assert 230 < (budget.resets_at - timezone.now()).total_seconds() <= 240
    assert replay.requests_to("GET", "/api/v1/me")[0].headers["Authorization"] == "Bearer reddit-token"


def test_a_text_post_goes_to_the_default_subreddit_with_the_first_line_as_title(replay: ReplayServer) -> None:
    replay.add(
        "POST",
        "/api/submit",
        Answer(
            200,
            {
                "json": {
                    "errors": [],
                    "data": {
                        "url": "https://www.reddit.com/r/nordlys/comments/1abc23/winter_blend_is_back/",
                        "drafts_count": 0,
                        "id": "1abc23",
                        "name": "t3_1abc23",
                    },
                }
            },
        ),
    )
    with reddit(replay) as connector:
        result = connector.publish(PublishRequest(text="Winter blend is back\n\nRoasted in Tromsø, on sale today."))
    assert result.remote_id == "t3_1abc23"
    assert result.url == "https://www.reddit.com/r/nordlys/comments/1abc23/winter_blend_is_back/"
    sent = form(replay.requests_to("POST", "/api/submit")[0])
    assert sent["sr"] == "nordlys"
    assert sent["kind"] == "self"
    assert sent["title"] == "Winter blend is back"
    assert sent["text"] == "Roasted in Tromsø, on sale today."
    assert sent["api_type"] == "json"


def test_a_link_post_to_a_chosen_subreddit(replay: ReplayServer) -> None:
    replay.add(
        "POST",
        "/api/submit",
        Answer(
            200,
            {
                "json": {
                    "errors": [],
                    "data": {"url": "https://www.reddit.com/r/coffee/comments/9z/x/", "id": "9z", "name": "t3_9z"},
                }
            },
        ),
    )
    with reddit(replay) as connector:
        connector.publish(
            PublishRequest(text="Our roasting notes", link="https://nordlys.example/notes", target="r/coffee")
        )
    sent = form(replay.requests_to("POST", "/api/submit")[0])
    assert (sent["sr"], sent["kind"], sent["url"], sent["title"]) == (
        "coffee",
        "link",
        "https://nordlys.example/notes",
        "Our roasting notes",
    )


def test_limits_are_checked_before_sending(replay: ReplayServer) -> None:
    with reddit(replay) as connector:
        with pytest.raises(ContentRejectedError, match="Reddit allows 300") as too_long:
            connector.publish(PublishRequest(text="T" * 301))
        assert too_long.value.checked_locally
        with pytest.raises(ContentRejectedError, match="needs a title"):
            connector.publish(PublishRequest(text="   "))
        with pytest.raises(ContentRejectedError, match="cannot be posted here"):
            connector.publish(PublishRequest(text="Clip", media=(MediaFile(b"\0" * 8, "video/webm"),)))
        with pytest.raises(ContentRejectedError, match="images or a link, not both"):
            connector.publish(
                PublishRequest(
                    text="Photo", link="https://nordlys.example", media=(MediaFile(one_pixel_png(), "image/png"),)
                )
            )
        with pytest.raises(ContentRejectedError, match="limit here is 40000"):
            connector.publish(PublishRequest(text="Title\n" + "x" * 40_000))
        with pytest.raises(ContentRejectedError, match="no default subreddit"):
            reddit(replay, subreddit="").publish(PublishRequest(text="Title"))
        with pytest.raises(ContentRejectedError, match="limit here is 10000"):
            connector.reply("t3_1abc23", PublishRequest(text="x" * 10_001))
    assert replay.requests == []


def test_refusals_inside_a_200_answer_are_mapped(replay: ReplayServer) -> None:
    replay.add(
        "POST",
        "/api/submit",
        Answer(200, {"json": {"errors": [["SUBREDDIT_NOEXIST", "that community doesn't exist", "sr"]]}}),
    )
    replay.add(
        "POST",
        "/api/submit",
        Answer(
            200,
            {
                "json": {
                    "ratelimit": 540.5,
                    "errors": [
                        [
                            "RATELIMIT",
                            "Looks like you've been doing that a lot. Take a break for 9 minutes before trying again.",
                            "ratelimit",
                        ]
                    ],
                }
            },
        ),
    )
    replay.add(
        "POST",
        "/api/submit",
        Answer(
            200,
            {"json": {"errors": [["SUBMIT_VALIDATION_FLAIR_REQUIRED", "Your post must contain post flair.", "flair"]]}},
        ),
    )
    with reddit(replay) as connector:
        with pytest.raises(NotFoundError, match="that community doesn't exist"):
            connector.publish(PublishRequest(text="Hello"))
        with pytest.raises(RateLimitedError) as limited:
            connector.publish(PublishRequest(text="Hello"))
        assert limited.value.retry_after == 540.5
        with pytest.raises(ContentRejectedError) as rejected:
            connector.publish(PublishRequest(text="Hello"))
    assert rejected.value.reason == "Your post must contain post flair."
    assert not rejected.value.checked_locally


def test_http_errors_map_to_the_small_set(replay: ReplayServer) -> None:
    replay.add("GET", "/api/v1/me", Answer(401, {"message": "Unauthorized", "error": 401}))
    replay.add(
        "GET",
        "/api/v1/me",
        Answer(
            429,
            {"message": "Too Many Requests", "error": 429},
            {"X-Ratelimit-Used": "600", "X-Ratelimit-Remaining": "0.0", "X-Ratelimit-Reset": "42"},
        ),
    )
    replay.add(
        "GET",
        "/api/v1/me",
        Answer(503, "<html><body>all our servers are busy</body></html>", {"Content-Type": "text/html"}),
    )
    replay.add("GET", "/api/v1/me", Answer(200, "{'name': ", {"Content-Type": "application/json"}))
    replay.add("POST", "/api/comment", Answer(403, {"reason": "banned", "message": "Forbidden", "error": 403}))
    with reddit(replay) as connector:
        with pytest.raises(AuthExpiredError, match="Unauthorized"):
            connector.account_info()
        with pytest.raises(RateLimitedError) as limited:
            connector.account_info()
        assert limited.value.retry_after is not None
        assert 35 < limited.value.retry_after <= 42
        assert connector.rate_limit is not None
        assert connector.rate_limit.remaining == 0
        with pytest.raises(TemporaryFailureError) as failed:
            connector.account_info()
        assert failed.value.status == 503
        with pytest.raises(TemporaryFailureError, match="unreadable JSON"):
            connector.account_info()
        with pytest.raises(ContentRejectedError) as banned:
            connector.reply("t3_1abc23", PublishRequest(text="Thanks!"))
    assert banned.value.reason == "banned"


def test_the_inbox_gives_comment_replies_mentions_and_messages_after_the_cursor(replay: ReplayServer) -> None:
    reply = {
        "id": "kx1",
        "name": "t1_kx1",
        "author": "kari_n",
        "author_fullname": "t2_9abc",
        "body": "Is the winter blend decaf too?",
        "was_comment": True,
        "type": "post_reply",
        "subject": "post reply",
        "parent_id": "t3_1abc23",
        "link_title": "Winter blend is back",
        "context": "/r/nordlys/comments/1abc23/winter_blend_is_back/kx1/?context=3",
        "created_utc": CREATED + 60,
        "new": True,
    }
    mention = {
        **reply,
        "id": "kx0",
        "name": "t1_kx0",
        "type": "username_mention",
        "subject": "username mention",
        "parent_id": "t3_77",
        "body": "u/nordlys_coffee has the best beans",
        "created_utc": CREATED + 30,
    }
    message = {
        "id": "2kq",
        "name": "t4_2kq",
        "author": "ola",
        "body": "Do you ship to Bergen?",
        "subject": "Shipping",
        "was_comment": False,
        "parent_id": None,
        "first_message_name": None,
        "context": "",
        "created_utc": CREATED,
    }
    replay.add("GET", "/message/inbox", Answer(200, listing(("t1", reply), ("t1", mention), ("t4", message))))
    replay.add("GET", "/message/inbox", Answer(200, listing()))
    with reddit(replay) as connector:
        page = connector.inbox(cursor="t1_old")
        assert [item.kind for item in page.items] == [
            InboundKind.COMMENT,
            InboundKind.MENTION,
            InboundKind.DIRECT_MESSAGE,
        ]
        first = page.items[0]
        assert (first.remote_id, first.parent_remote_id, first.author_handle) == ("t1_kx1", "t3_1abc23", "u/kari_n")
        assert first.url == "https://www.reddit.com/r/nordlys/comments/1abc23/winter_blend_is_back/kx1/?context=3"
        assert first.published_at == datetime.datetime.fromtimestamp(CREATED + 60, tz=datetime.UTC)
        assert page.items[2].text == "Do you ship to Bergen?"
        assert page.cursor == "t1_kx1"
        assert connector.inbox(cursor=page.cursor).cursor == "t1_kx1"
    asked = [parse_qs(entry.query) for entry in replay.requests_to("GET", "/message/inbox")]
    assert asked[0]["before"] == ["t1_old"]
    assert asked[1]["before"] == ["t1_kx1"]


def test_reply_delete_search_and_post_metrics(replay: ReplayServer) -> None:
    comment = {
        "id": "ky9",
        "name": "t1_ky9",
        "body": "Yes, from next week!",
        "parent_id": "t1_kx1",
        "link_id": "t3_1abc23",
        "permalink": "/r/nordlys/comments/1abc23/winter_blend_is_back/ky9/",
        "created_utc": CREATED + 120,
    }
    replay.add(
        "POST",
        "/api/comment",
        Answer(200, {"json": {"errors": [], "data": {"things": [{"kind": "t1", "data": comment}]}}}),
    )
    replay.add("POST", "/api/del", Answer(200, {}))
    post = {
        "id": "55x",
        "name": "t3_55x",
        "title": "Best coffee in Tromsø?",
        "selftext": "Looking for Nordlys or similar",
        "author": "traveller",
        "permalink": "/r/tromso/comments/55x/best_coffee_in_tromsø/",
        "created_utc": CREATED,
        "score": 12,
        "num_comments": 4,
        "subreddit": "tromso",
    }
    replay.add("GET", "/search", Answer(200, listing(("t3", post))))
    replay.add("GET", "/api/info", Answer(200, listing(("t3", {**post, "score": 31, "num_comments": 9}))))
    replay.add("GET", "/api/info", Answer(200, listing()))
    with reddit(replay) as connector:
        result = connector.reply("t1_kx1", PublishRequest(text="Yes, from next week!"))
        assert result.remote_id == "t1_ky9"
        assert result.url == "https://www.reddit.com/r/nordlys/comments/1abc23/winter_blend_is_back/ky9/"
        connector.delete("t3_1abc23")
        found = connector.listen("nordlys")
        assert found.items[0].text == "Best coffee in Tromsø?\n\nLooking for Nordlys or similar"
        assert found.items[0].kind == InboundKind.MENTION
        metrics = connector.post_metrics("t3_55x")
        assert (metrics.likes, metrics.replies) == (31, 9)
        with pytest.raises(NotFoundError):
            connector.post_metrics("t3_gone")
    assert form(replay.requests_to("POST", "/api/comment")[0]) == {
        "thing_id": "t1_kx1",
        "text": "Yes, from next week!",
        "api_type": "json",
    }
    assert form(replay.requests_to("POST", "/api/del")[0]) == {"id": "t3_1abc23"}
    assert parse_qs(replay.requests_to("GET", "/search")[0].query)["sort"] == ["new"]


def test_refusals_before_sending_speak_the_users_language(replay: ReplayServer) -> None:
    with reddit(replay) as connector:
        for language, expected in (
            ("nb", "Et Reddit-innlegg trenger en tittel: skriv den på første linje."),
            ("ru", "Посту в Reddit нужен заголовок: напишите его в первой строке."),
            ("zh-hans", "Reddit 帖子需要标题：请写在第一行。"),
        ):
            with translation.override(language), pytest.raises(ContentRejectedError) as refused:
                connector.publish(PublishRequest(text=" "))
            assert expected in refused.value.reason
    with translation.override("zh-hans"):
        assert str(RedditConnector.connect_fields[2].label) == "默认 subreddit"
