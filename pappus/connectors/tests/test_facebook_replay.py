"""The Facebook Pages connector against a local server replaying the Graph API's documented answers (v21.0).

No Graph API server runs locally. Shapes follow developers.facebook.com: the Page node, ``/feed``
and ``/photos`` (``{"id", "post_id"}``), ``/comments``, ``is_hidden``, ``DELETE`` (``{"success": true}``),
insights (``{"data": [{"name", "period", "values": [{"value"}]}]}``), the error object
``{"error": {"message", "type", "code", "error_subcode", "error_user_msg", "fbtrace_id"}}`` from
the "Handling Errors" guide, and the ``X-App-Usage`` / ``X-Business-Use-Case-Usage`` headers from
"Rate Limits".
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import pytest

from pappus.connectors import registry, services
from pappus.connectors.base import Connector
from pappus.connectors.contracts import Capability, InboundKind, MediaFile, PublishRequest
from pappus.connectors.errors import (
    AuthExpiredError,
    ContentRejectedError,
    NotFoundError,
    RateLimitedError,
    TemporaryFailureError,
)
from pappus.connectors.facebook.client import FacebookConnector
from pappus.connectors.models import AccountStatus
from pappus.connectors.tests.images import one_pixel_png
from pappus.connectors.tests.replay import Answer, Recorded, ReplayServer
from pappus.core.audit import Actor
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member

TOKEN = "EAAGreplayedPageToken0123456789"
PAGE_ID = "101"
PAGE = {
    "id": PAGE_ID,
    "name": "Nordlys Coffee",
    "username": "nordlyscoffee",
    "link": "https://www.facebook.com/nordlyscoffee",
    "followers_count": 5100,
}
KARI = {"name": "Kari Nordmann", "id": "555"}


def graph(path: str) -> str:
    return f"/v21.0/{path}"


def graph_error(status: int, code: int, message: str, **fields: Any) -> Answer:
    headers = fields.pop("headers", {})
    body = {"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf12", **fields}}
    return Answer(status, body, headers)


def facebook(replay: ReplayServer) -> Connector:
    return registry.build(
        "facebook", base_url=replay.url, credentials={"access_token": TOKEN}, options={"page_id": PAGE_ID}
    )


def form(entry: Recorded) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(entry.body.decode()).items()}


def test_the_page_is_the_account_with_its_followers(replay: ReplayServer) -> None:
    replay.add("GET", graph(PAGE_ID), Answer(200, PAGE), always=True)
    with facebook(replay) as connector:
        info = connector.account_info()
        metrics = connector.account_metrics()
    assert (info.remote_id, info.handle, info.display_name, info.url, info.followers) == (
        "101",
        "nordlyscoffee",
        "Nordlys Coffee",
        "https://www.facebook.com/nordlyscoffee",
        5100,
    )
    assert metrics.followers == 5100
    first = replay.requests_to("GET", graph(PAGE_ID))[0]
    assert first.headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in first.query


def test_a_text_post_with_a_link_goes_to_the_feed(replay: ReplayServer) -> None:
    replay.add("POST", graph(f"{PAGE_ID}/feed"), Answer(200, {"id": "101_202"}))
    with facebook(replay) as connector:
        result = connector.publish(PublishRequest(text="Ny kaffe", link="https://nordlys.example/kaffe"))
    assert (result.remote_id, result.url) == ("101_202", "https://www.facebook.com/101_202")
    assert form(replay.requests_to("POST", graph(f"{PAGE_ID}/feed"))[0]) == {
        "message": "Ny kaffe",
        "link": "https://nordlys.example/kaffe",
    }


def test_one_photo_is_a_photo_post_and_several_are_attached_unpublished(replay: ReplayServer) -> None:
    replay.add("POST", graph(f"{PAGE_ID}/photos"), Answer(200, {"id": "303", "post_id": "101_304"}))
    photo = MediaFile(one_pixel_png(), "image/png", "beans.png", description="Beans in a sack")
    with facebook(replay) as connector:
        single = connector.publish(PublishRequest(text="Bønner", media=(photo,)))
    assert single.remote_id == "101_304"
    upload = replay.requests_to("POST", graph(f"{PAGE_ID}/photos"))[0]
    assert b'name="source"; filename="beans.png"' in upload.body
    assert b'name="caption"\r\n\r\nB\xc3\xb8nner' in upload.body
    assert b'name="alt_text_custom"\r\n\r\nBeans in a sack' in upload.body

    replay.reset()
    replay.add("POST", graph(f"{PAGE_ID}/photos"), Answer(200, {"id": "305"}))
    replay.add("POST", graph(f"{PAGE_ID}/photos"), Answer(200, {"id": "306"}))
    replay.add("POST", graph(f"{PAGE_ID}/feed"), Answer(200, {"id": "101_307"}))
    with facebook(replay) as connector:
        album = connector.publish(PublishRequest(text="To bilder", media=(photo, photo)))
    assert album.remote_id == "101_307"
    uploads = replay.requests_to("POST", graph(f"{PAGE_ID}/photos"))
    assert all(b'name="published"\r\n\r\nfalse' in entry.body for entry in uploads)
    feed = form(replay.requests_to("POST", graph(f"{PAGE_ID}/feed"))[0])
    assert feed["message"] == "To bilder"
    assert [json.loads(feed[f"attached_media[{index}]"]) for index in (0, 1)] == [
        {"media_fbid": "305"},
        {"media_fbid": "306"},
    ]


def test_limits_refuse_before_anything_is_sent(replay: ReplayServer) -> None:
    big = MediaFile(b"\xff\xd8" + b"\0" * (4 * 1024 * 1024), "image/jpeg", "big.jpg")
    with facebook(replay) as connector, pytest.raises(ContentRejectedError) as refused:
        connector.publish(PublishRequest(text="x" * 63_207, media=(big,)))
    assert refused.value.checked_locally
    assert "limit here is 63206" in refused.value.reason
    assert "big.jpg is 4194306 bytes; the limit here is 4194304 bytes" in refused.value.reason
    assert replay.requests == []


def feed_with_comments(*comments: dict[str, Any]) -> Answer:
    post = {
        "id": "101_202",
        "permalink_url": "https://www.facebook.com/nordlyscoffee/posts/202",
        "comments": {"data": list(comments), "paging": {"cursors": {"before": "QVFI", "after": "QVFJ"}}},
    }
    return Answer(200, {"data": [post, {"id": "101_201"}], "paging": {"cursors": {"before": "a", "after": "b"}}})


def test_the_inbox_reads_comments_on_the_pages_posts_and_leaves_the_pages_own_out(replay: ReplayServer) -> None:
    question = {
        "id": "202_900",
        "message": "Når kommer den?",
        "created_time": "2026-11-02T10:00:00+0000",
        "from": KARI,
        "permalink_url": "https://www.facebook.com/nordlyscoffee/posts/202?comment_id=900",
    }
    answer = {
        "id": "202_901",
        "message": "Enig!",
        "created_time": "2026-11-02T10:05:00+0000",
        "from": {"name": "Ola Hansen", "id": "556"},
        "parent": {"id": "202_900"},
    }
    own = {"id": "202_902", "message": "På fredag", "created_time": "2026-11-02T10:06:00+0000", "from": PAGE}
    replay.add("GET", graph(f"{PAGE_ID}/feed"), feed_with_comments(own, answer, question))
    with facebook(replay) as connector:
        page = connector.inbox()
    assert [(item.remote_id, item.author_name, item.parent_remote_id) for item in page.items] == [
        ("202_901", "Ola Hansen", "202_900"),
        ("202_900", "Kari Nordmann", "101_202"),
    ]
    assert page.items[1].kind == InboundKind.COMMENT
    assert page.items[1].url.endswith("comment_id=900")
    assert page.cursor == "2026-11-02T10:05:00+0000"
    asked = parse_qs(replay.requests_to("GET", graph(f"{PAGE_ID}/feed"))[0].query)
    assert "comments.filter(stream).order(reverse_chronological)" in asked["fields"][0]

    later = {**question, "id": "202_903", "message": "Og prisen?", "created_time": "2026-11-02T11:00:00+0000"}
    replay.add("GET", graph(f"{PAGE_ID}/feed"), feed_with_comments(later, answer, question))
    with facebook(replay) as connector:
        newer = connector.inbox(cursor=page.cursor)
    assert [item.remote_id for item in newer.items] == ["202_903"]


def test_reply_hide_and_delete(replay: ReplayServer) -> None:
    replay.add("POST", graph("202_900/comments"), Answer(200, {"id": "202_904"}))
    replay.add("POST", graph("202_901"), Answer(200, {"success": True}))
    replay.add("POST", graph("202_901"), Answer(200, {"success": True}))
    replay.add("DELETE", graph("202_901"), Answer(200, {"success": True}))
    with facebook(replay) as connector:
        result = connector.reply("202_900", PublishRequest(text="På fredag!"))
        connector.hide("202_901")
        connector.hide("202_901", hidden=False)
        connector.delete("202_901")
        with pytest.raises(ContentRejectedError, match="text only"):
            connector.reply("202_900", PublishRequest(media=(MediaFile(one_pixel_png(), "image/png"),)))
    assert result.remote_id == "202_904"
    assert form(replay.requests_to("POST", graph("202_900/comments"))[0]) == {"message": "På fredag!"}
    assert [form(entry) for entry in replay.requests_to("POST", graph("202_901"))] == [
        {"is_hidden": "true"},
        {"is_hidden": "false"},
    ]
    assert len(replay.requests_to("DELETE", graph("202_901"))) == 1


def test_post_metrics_are_reactions_comments_shares_and_insights(replay: ReplayServer) -> None:
    fields = {
        "id": "101_202",
        "shares": {"count": 4},
        "comments": {"data": [], "summary": {"order": "ranked", "total_count": 7, "can_comment": True}},
        "reactions": {"data": [], "summary": {"total_count": 31, "viewer_reaction": "NONE"}},
    }
    insights = {
        "data": [
            {"name": "post_total_media_view_unique", "period": "lifetime", "values": [{"value": 880}]},
            {"name": "post_clicks", "period": "lifetime", "values": [{"value": 14}]},
        ]
    }
    replay.add("GET", graph("101_202"), Answer(200, fields))
    replay.add("GET", graph("101_202/insights"), Answer(200, insights))
    with facebook(replay) as connector:
        metrics = connector.post_metrics("101_202")
    assert (metrics.likes, metrics.replies, metrics.shares, metrics.reach, metrics.clicks) == (31, 7, 4, 880, 14)

    # Insights refused (a Page under 100 likes, a missing permission): the counters still come.
    replay.add("GET", graph("101_202"), Answer(200, fields))
    replay.add(
        "GET", graph("101_202/insights"), graph_error(400, 100, "(#100) The value must be a valid insights metric")
    )
    with facebook(replay) as connector:
        partial = connector.post_metrics("101_202")
    assert (partial.likes, partial.reach, partial.clicks) == (31, None, None)
    assert Capability.LISTEN not in FacebookConnector.capabilities


BUSINESS_USAGE = json.dumps(
    {
        PAGE_ID: [
            {
                "type": "pages",
                "call_count": 100,
                "total_cputime": 20,
                "total_time": 30,
                "estimated_time_to_regain_access": 15,
            }
        ]
    }
)


@pytest.mark.parametrize(
    ("answer", "error", "words"),
    [
        (
            graph_error(400, 190, "Error validating access token: Session has expired.", error_subcode=463),
            AuthExpiredError,
            "Facebook refused the token: Error validating access token",
        ),
        (graph_error(401, 102, "Session key invalid or no longer valid"), AuthExpiredError, "Session key invalid"),
        (
            graph_error(400, 32, "Page request limit reached", headers={"X-Business-Use-Case-Usage": BUSINESS_USAGE}),
            RateLimitedError,
            "Page request limit reached",
        ),
        (graph_error(400, 4, "Application request limit reached"), RateLimitedError, "Application request limit"),
        (graph_error(400, 17, "User request limit reached"), RateLimitedError, "User request limit reached"),
        (graph_error(400, 613, "Calls to this api have exceeded the rate limit."), RateLimitedError, "exceeded"),
        (
            graph_error(
                400,
                368,
                "It looks like you were misusing this feature by going too fast.",
                error_subcode=1390008,
                error_user_title="You Can't Use This Feature Right Now",
                error_user_msg="You're temporarily blocked from posting.",
            ),
            ContentRejectedError,
            "You're temporarily blocked from posting.",
        ),
        (graph_error(400, 506, "Duplicate status message"), ContentRejectedError, "Duplicate status message"),
        (
            graph_error(400, 100, "Unsupported post request. Object with ID '101' does not exist", error_subcode=33),
            NotFoundError,
            "does not exist",
        ),
        (
            graph_error(
                500, 2, "An unexpected error has occurred. Please retry your request later.", is_transient=True
            ),
            TemporaryFailureError,
            "unexpected error",
        ),
        (Answer(503, "<html>Service Unavailable</html>", {"Content-Type": "text/html"}), TemporaryFailureError, "503"),
        (Answer(200, '{"id": "101_', {"Content-Type": "application/json"}), TemporaryFailureError, "unreadable JSON"),
    ],
)
def test_graph_errors_become_the_small_set(
    replay: ReplayServer, answer: Answer, error: type[Exception], words: str
) -> None:
    replay.add("POST", graph(f"{PAGE_ID}/feed"), answer)
    with facebook(replay) as connector, pytest.raises(error, match=words) as raised:
        connector.publish(PublishRequest(text="Hei"))
    assert TOKEN not in str(raised.value)
    assert "fbtrace" not in str(raised.value)
    assert "AbCdEf12" not in str(raised.value)
    if "Page request limit" in words:
        assert isinstance(raised.value, RateLimitedError)
        assert raised.value.retry_after == 15 * 60  # estimated_time_to_regain_access, in minutes
        assert connector.rate_limit is not None
        assert connector.rate_limit.remaining == 0
    assert len(replay.requests_to("POST", graph(f"{PAGE_ID}/feed"))) == 1


def test_usage_headers_are_the_budget_left(replay: ReplayServer) -> None:
    usage = json.dumps({"call_count": 28, "total_cputime": 9, "total_time": 41})
    replay.add("GET", graph(PAGE_ID), Answer(200, PAGE, {"X-App-Usage": usage}))
    with facebook(replay) as connector:
        connector.account_info()
        budget = connector.rate_limit
    assert budget is not None
    assert (budget.limit, budget.remaining) == (100, 59)  # the tightest: 41 % of the time budget used


@pytest.mark.django_db
def test_connecting_checks_the_token_and_an_expired_one_marks_the_account(replay: ReplayServer) -> None:
    admin = make_member(None, Role.ADMIN)
    replay.add("GET", graph(PAGE_ID), Answer(200, PAGE))
    account = services.account_connect(
        actor=Actor.system("test"),
        membership=admin,
        network="facebook",
        base_url=replay.url,
        credentials={"access_token": TOKEN},
        options={"page_id": PAGE_ID},
    )
    assert (account.handle, account.remote_id) == ("nordlyscoffee", "101")
    replay.add("GET", graph(PAGE_ID), graph_error(400, 190, "Error validating access token: Session has expired."))
    checked = services.account_check_health(account.pk)
    assert checked is not None
    assert checked.status == AccountStatus.EXPIRED
    assert "Session has expired" in checked.last_error
