# ruff: noqa: RUF001 - full-width Chinese punctuation is what Weibo users type
"""The Weibo connector against a local server replaying the Weibo Open Platform's documented answers.

No Weibo server runs locally. The answers follow https://open.weibo.com/wiki/API (statuses/share,
comments/to_me, comments/mentions, statuses/mentions, statuses/repost_timeline, comments/reply,
comments/create, statuses/count, users/show, account/get_uid) and its error format
``{"error", "error_code", "request"}`` with the codes of https://open.weibo.com/wiki/Error_code.
"""

from __future__ import annotations

import datetime
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from pappus.connectors import registry
from pappus.connectors.contracts import InboundKind, MediaFile, PublishRequest
from pappus.connectors.errors import (
    AuthExpiredError,
    ContentRejectedError,
    NotFoundError,
    RateLimitedError,
    TemporaryFailureError,
)
from pappus.connectors.models import ConnectedAccount
from pappus.connectors.tests.images import one_pixel_png
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.connectors.weibo.client import WeiboConnector
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member

pytestmark = pytest.mark.django_db

TOKEN = "2.00replayed-weibo-token"
UID = "1404376560"
USER = {
    "id": 1404376560,
    "idstr": UID,
    "screen_name": "北极光咖啡",
    "name": "北极光咖啡",
    "followers_count": 58210,
    "friends_count": 120,
    "statuses_count": 933,
}
FAN = {"id": 2803301701, "idstr": "2803301701", "screen_name": "小林", "name": "小林"}
STATUS = {
    "created_at": "Mon Nov 30 10:00:00 +0800 2026",
    "id": 4850000000000001,
    "idstr": "4850000000000001",
    "mid": "4850000000000001",
    "text": "秋季限定拿铁上市 https://nordlys.example/latte",
    "user": USER,
}


def weibo_error(code: int, message: str, status: int = 400) -> Answer:
    return Answer(status, {"error": message, "error_code": code, "request": "/2/statuses/share.json"})


def weibo(replay: ReplayServer, **options: str) -> WeiboConnector:
    connector = registry.build("weibo", base_url=replay.url, credentials={"access_token": TOKEN}, options=options)
    assert isinstance(connector, WeiboConnector)
    return connector


def serve_account(replay: ReplayServer) -> None:
    replay.add("GET", "/2/account/get_uid.json", Answer(200, {"uid": int(UID)}), always=True)
    replay.add("GET", "/2/users/show.json", Answer(200, USER), always=True)


def test_account_info_and_metrics(replay: ReplayServer) -> None:
    serve_account(replay)
    replay.add(
        "GET",
        "/2/statuses/count.json",
        Answer(200, [{"id": 4850000000000001, "comments": 12, "reposts": 30, "attitudes": 410}]),
    )
    with weibo(replay) as connector:
        info = connector.account_info()
        assert (info.remote_id, info.handle, info.followers) == (UID, "北极光咖啡", 58210)
        account = connector.account_metrics()
        assert (account.followers, account.following, account.posts) == (58210, 120, 933)
        post = connector.post_metrics("4850000000000001")
    assert (post.likes, post.shares, post.replies) == (410, 30, 12)
    request = replay.requests_to("GET", "/2/users/show.json")[0]
    assert request.headers["Authorization"] == f"OAuth2 {TOKEN}"
    assert TOKEN not in request.query  # the token travels in the header, never in a URL


def test_publishing_a_post_with_an_image_through_statuses_share(replay: ReplayServer) -> None:
    replay.add("POST", "/2/statuses/share.json", Answer(200, STATUS))
    with weibo(replay, safe_domain="nordlys.example") as connector:
        result = connector.publish(
            PublishRequest(
                text="秋季限定拿铁上市",
                link="https://nordlys.example/latte",
                media=(MediaFile(one_pixel_png(), "image/png", "latte.png"),),
            )
        )
    assert result.remote_id == "4850000000000001"
    assert result.url == f"https://weibo.com/{UID}/4850000000000001"
    assert result.published_at == datetime.datetime(2026, 11, 30, 2, 0, tzinfo=datetime.UTC)
    [request] = replay.requests_to("POST", "/2/statuses/share.json")
    assert request.headers["Content-Type"].startswith("multipart/form-data")
    assert b'name="pic"; filename="latte.png"' in request.body
    assert "秋季限定拿铁上市\n\nhttps://nordlys.example/latte".encode() in request.body


def test_a_post_without_a_link_on_the_safe_domain_is_refused_before_sending(replay: ReplayServer) -> None:
    with weibo(replay, safe_domain="nordlys.example") as connector:
        with pytest.raises(ContentRejectedError, match="add a link") as raised:
            connector.publish(PublishRequest(text="没有链接"))
        assert raised.value.checked_locally
        with pytest.raises(ContentRejectedError, match=r"safe domain nordlys\.example"):
            connector.publish(PublishRequest(text="外链", link="https://elsewhere.example/"))
        image = MediaFile(one_pixel_png(), "image/png", "a.png")
        with pytest.raises(ContentRejectedError, match="2 files"):
            connector.publish(PublishRequest(text="two", link="https://nordlys.example/", media=(image, image)))
    assert replay.requests_to("POST", "/2/statuses/share.json") == []


@pytest.mark.parametrize(
    ("answer", "error", "text"),
    [
        (weibo_error(21327, "expired_token", 401), AuthExpiredError, "expired_token"),
        (weibo_error(21332, "invalid_access_token", 401), AuthExpiredError, "invalid_access_token"),
        (weibo_error(10023, "User requests out of rate limit!", 403), RateLimitedError, "out of rate limit"),
        (weibo_error(10024, "User requests for (statuses/share) out of rate limit!", 403), RateLimitedError, "share"),
        (weibo_error(20019, "Repeat content!"), ContentRejectedError, "Repeat content"),
        (weibo_error(20017, "You just posted a similar message!"), ContentRejectedError, "similar"),
        (weibo_error(20101, "Target weibo does not exist!"), NotFoundError, "does not exist"),
        (weibo_error(10001, "System error", 200), TemporaryFailureError, "System error"),
        (Answer(503, "<html>busy</html>", headers={"Content-Type": "text/html"}), TemporaryFailureError, "503"),
        (Answer(200, "not json"), TemporaryFailureError, "unreadable JSON"),
    ],
)
def test_weibo_errors_map_to_the_error_set(replay: ReplayServer, answer: Answer, error: type, text: str) -> None:
    replay.add("POST", "/2/statuses/share.json", answer)
    with weibo(replay) as connector, pytest.raises(error, match=text) as raised:
        connector.publish(PublishRequest(text="新品", link="https://nordlys.example/"))
    if isinstance(raised.value, RateLimitedError):
        assert raised.value.retry_after == 3600.0


def test_the_inbox_reads_comments_and_mentions_since_its_cursor(replay: ReplayServer) -> None:
    comment = {
        "created_at": "Mon Nov 30 11:00:00 +0800 2026",
        "id": 4850000000000100,
        "idstr": "4850000000000100",
        "text": "什么时候到货？",
        "user": FAN,
        "status": STATUS,
    }
    answer_to_comment = {
        **comment,
        "id": 4850000000000101,
        "idstr": "4850000000000101",
        "text": "回复@北极光咖啡:好的谢谢",
        "created_at": "Mon Nov 30 11:05:00 +0800 2026",
        "reply_comment": {"id": 4850000000000099, "idstr": "4850000000000099"},
    }
    mention = {
        **STATUS,
        "id": 4850000000000200,
        "idstr": "4850000000000200",
        "text": "@北极光咖啡 拿铁真好喝",
        "user": FAN,
    }
    replay.add("GET", "/2/comments/to_me.json", Answer(200, {"comments": [answer_to_comment, comment]}))
    replay.add("GET", "/2/comments/mentions.json", Answer(200, {"comments": []}))
    replay.add("GET", "/2/statuses/mentions.json", Answer(200, {"statuses": [mention]}))
    with weibo(replay) as connector:
        page = connector.inbox()
    assert [item.text for item in page.items] == [
        "回复@北极光咖啡:好的谢谢",
        "什么时候到货？",
        "@北极光咖啡 拿铁真好喝",
    ]
    first, second, third = page.items
    assert first.remote_id == "comment:4850000000000001:4850000000000101"
    assert first.parent_remote_id == "comment:4850000000000001:4850000000000099"
    assert second.parent_remote_id == "4850000000000001"
    assert (second.kind, second.author_handle, second.conversation_id) == (
        InboundKind.COMMENT,
        "小林",
        "4850000000000001",
    )
    assert (third.kind, third.url) == (InboundKind.MENTION, "https://weibo.com/2803301701/4850000000000200")
    assert json.loads(page.cursor) == {"comments": 4850000000000101, "mentions": 4850000000000200}
    # The next read asks only for what is newer.
    replay.add("GET", "/2/comments/to_me.json", Answer(200, {"comments": []}))
    replay.add("GET", "/2/comments/mentions.json", Answer(200, {"comments": []}))
    replay.add("GET", "/2/statuses/mentions.json", Answer(200, {"statuses": []}))
    with weibo(replay) as connector:
        assert connector.inbox(cursor=page.cursor).items == ()
    last = replay.requests_to("GET", "/2/comments/to_me.json")[-1]
    assert parse_qs(last.query)["since_id"] == ["4850000000000101"]


def test_replies_and_reposts(replay: ReplayServer) -> None:
    reply = {"id": 4850000000000300, "idstr": "4850000000000300", "text": "明天到", "status": STATUS}
    replay.add("POST", "/2/comments/reply.json", Answer(200, reply))
    replay.add(
        "POST", "/2/comments/create.json", Answer(200, {**reply, "id": 4850000000000301, "idstr": "4850000000000301"})
    )
    repost = {**STATUS, "id": 4850000000000400, "idstr": "4850000000000400", "text": "转发微博", "user": FAN}
    replay.add("GET", "/2/statuses/repost_timeline.json", Answer(200, {"reposts": [repost], "total_number": 1}))
    with weibo(replay) as connector:
        answered = connector.reply("comment:4850000000000001:4850000000000100", PublishRequest(text="明天到"))
        commented = connector.reply("4850000000000001", PublishRequest(text="谢谢支持"))
        reposts = connector.reposts("4850000000000001")
        with pytest.raises(ContentRejectedError, match="140"):
            connector.reply("4850000000000001", PublishRequest(text="长" * 141))
        with pytest.raises(NotFoundError, match="not a Weibo post"):
            connector.reply("../etc", PublishRequest(text="x"))
    assert answered.remote_id == "comment:4850000000000001:4850000000000300"
    assert commented.remote_id == "comment:4850000000000001:4850000000000301"
    assert parse_qs(replay.requests_to("POST", "/2/comments/reply.json")[0].body.decode()) == {
        "id": ["4850000000000001"],
        "cid": ["4850000000000100"],
        "comment": ["明天到"],
    }
    assert [item.text for item in reposts.items] == ["转发微博"]


# --- OAuth sign-in through the workspace's own Weibo app ---------------------------------------------------


def test_weibo_sign_in_end_to_end(replay: ReplayServer) -> None:
    admin = make_member(None, Role.ADMIN)
    client = Client()
    client.force_login(admin.user)
    answer = client.post(
        "/connectors/oauth/weibo/app/",
        {
            "client_id": "3325442343",
            "client_secret": "weibo-app-secret",
            "scopes": "",
            "authorize_url": "https://api.weibo.com/oauth2/authorize",
            "token_url": f"{replay.url}/oauth2/access_token",
            "api_base_url": replay.url,
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:1000]
    started = client.post("/connectors/oauth/weibo/start/")
    assert started.status_code == 302
    location = urlsplit(started["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == "https://api.weibo.com/oauth2/authorize"
    query = {name: values[0] for name, values in parse_qs(location.query).items()}
    assert (query["client_id"], query["response_type"], query["scope"]) == ("3325442343", "code", "all")
    # Weibo's token answer: no refresh token, the uid alongside; its lifetime depends on the app's level.
    replay.add(
        "POST",
        "/oauth2/access_token",
        Answer(200, {"access_token": TOKEN, "remind_in": "157679999", "expires_in": 157679999, "uid": UID}),
    )
    serve_account(replay)
    callback = client.get(f"/connectors/oauth/weibo/callback/?code=weibo-code&state={query['state']}")
    assert callback.status_code == 302, callback.content.decode()[:2000]
    exchange = parse_qs(replay.requests_to("POST", "/oauth2/access_token")[0].body.decode())
    assert exchange["client_id"] == ["3325442343"]
    assert exchange["client_secret"] == ["weibo-app-secret"]  # in the form body, as Weibo documents
    assert exchange["grant_type"] == ["authorization_code"]
    account = ConnectedAccount.objects.for_workspace(admin.workspace).get(network="weibo")
    assert (account.remote_id, account.handle) == (UID, "北极光咖啡")
    assert account.token_expires_at is not None


def test_an_expired_code_shows_weibos_words(replay: ReplayServer) -> None:
    admin = make_member(None, Role.ADMIN)
    client = Client()
    client.force_login(admin.user)
    client.post(
        "/connectors/oauth/weibo/app/",
        {
            "client_id": "3325442343",
            "client_secret": "weibo-app-secret",
            "scopes": "",
            "authorize_url": "https://api.weibo.com/oauth2/authorize",
            "token_url": f"{replay.url}/oauth2/access_token",
            "api_base_url": replay.url,
        },
    )
    started = client.post("/connectors/oauth/weibo/start/")
    state = parse_qs(urlsplit(started["Location"]).query)["state"][0]
    replay.add(
        "POST",
        "/oauth2/access_token",
        Answer(
            400, {"error": "invalid_grant", "error_code": 21325, "error_description": "invalid authorization code:x"}
        ),
    )
    page = client.get(f"/connectors/oauth/weibo/callback/?code=used&state={state}")
    assert "invalid authorization code" in page.content.decode()
    assert not ConnectedAccount.objects.filter(network="weibo").exists()


def test_the_weibo_connector_is_declared(replay: ReplayServer) -> None:
    assert WeiboConnector.default_limits is not None
    assert WeiboConnector.default_limits.max_media == 1
    assert WeiboConnector.idempotency_window_seconds == 0
    with weibo(replay) as connector:
        assert connector.network == "weibo"
