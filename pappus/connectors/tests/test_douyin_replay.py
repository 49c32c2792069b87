"""The Douyin connector against a local server replaying the Douyin Open Platform's documented answers.

No Douyin server runs locally. The answers follow developer.open-douyin.com (video/upload,
video/create, video/list, item/comment/list, item/comment/reply, video/data, oauth/userinfo): every
answer is ``{"data": {..., "error_code", "description"}, "extra": {...}}``, with the general status
codes of its status-code page (old 2190008 "access_token expired", new 28001008, 28003017 quota …).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import pytest

from pappus.connectors import registry
from pappus.connectors.contracts import InboundKind, MediaFile, PublishRequest
from pappus.connectors.douyin.client import DouyinConnector
from pappus.connectors.errors import (
    AuthExpiredError,
    ContentRejectedError,
    RateLimitedError,
    TemporaryFailureError,
)
from pappus.connectors.tests.replay import Answer, ReplayServer

TOKEN = "act.1d1021d2aee3d41fee2d2add43456badMFZnrhFhfWotu3Ecuiuka27L56lr"
OPEN_ID = "ba253642-0590-40bc-9bdf-9a1334b94059"
ITEM = "@8hxdhauTCMppanGnM4ltGM780mDqPP+KPpR0qQOmLVAXb/T060zdRmYqig357zEBq6CZRp4NVe6qLIJW/V/x1w=="
EXTRA = {"error_code": 0, "description": "", "sub_error_code": 0, "sub_description": "", "logid": "2020", "now": 1}


def ok(**data: Any) -> Answer:
    return Answer(200, {"data": {"error_code": 0, "description": "", **data}, "extra": EXTRA})


def failure(code: int, description: str) -> Answer:
    return Answer(
        200, {"data": {"error_code": code, "description": description}, "extra": {**EXTRA, "error_code": code}}
    )


def douyin(replay: ReplayServer) -> DouyinConnector:
    connector = registry.build(
        "douyin", base_url=replay.url, credentials={"access_token": TOKEN}, options={"open_id": OPEN_ID}
    )
    assert isinstance(connector, DouyinConnector)
    return connector


def video() -> MediaFile:
    return MediaFile(b"\x00\x00\x00\x18ftypmp42", "video/mp4", "latte.mp4")


def test_account_info(replay: ReplayServer) -> None:
    replay.add("POST", "/oauth/userinfo/", ok(open_id=OPEN_ID, union_id="u", nickname="北极光咖啡", avatar=""))
    with douyin(replay) as connector:
        info = connector.account_info()
        # Follower counts need Douyin's fans-data scope: the account's counters say nothing (None).
        assert connector.account_metrics().followers is None
    assert (info.remote_id, info.handle) == (OPEN_ID, "北极光咖啡")
    request = replay.requests_to("POST", "/oauth/userinfo/")[0]
    assert request.headers["access-token"] == TOKEN


def test_publishing_a_video_uploads_then_creates(replay: ReplayServer) -> None:
    replay.add("POST", "/video/upload/", ok(video={"video_id": "v0200f450000bn8c6aa0ifki8fikg1b0", "width": 720}))
    replay.add("POST", "/video/create/", ok(item_id=ITEM))
    with douyin(replay) as connector:
        result = connector.publish(PublishRequest(text="秋季限定 #拿铁", media=(video(),)))
    assert result.remote_id == ITEM
    [upload] = replay.requests_to("POST", "/video/upload/")
    assert parse_qs(upload.query)["open_id"] == [OPEN_ID]
    assert b'name="video"; filename="latte.mp4"' in upload.body
    [create] = replay.requests_to("POST", "/video/create/")
    assert json.loads(create.body) == {"video_id": "v0200f450000bn8c6aa0ifki8fikg1b0", "text": "秋季限定 #拿铁"}


def test_a_post_without_a_video_is_refused_before_sending(replay: ReplayServer) -> None:
    with douyin(replay) as connector, pytest.raises(ContentRejectedError, match="videos") as raised:
        connector.publish(PublishRequest(text="只有文字"))
    assert raised.value.checked_locally
    with douyin(replay) as connector, pytest.raises(ContentRejectedError, match="image/png"):
        connector.publish(PublishRequest(text="图", media=(MediaFile(b"png", "image/png", "a.png"),)))
    assert replay.requests == []


@pytest.mark.parametrize(
    ("answer", "error", "text"),
    [
        (failure(2190008, "access_token过期,请刷新或重新授权"), AuthExpiredError, "2190008"),
        (failure(28001008, "access_token过期,请刷新或重新授权"), AuthExpiredError, "28001008"),
        (failure(28003017, "quota 已用完"), RateLimitedError, "quota"),
        (failure(28003018, "请求频率过高"), RateLimitedError, "28003018"),
        (failure(2100004, "系统繁忙,此时请开发者稍候再试"), TemporaryFailureError, "2100004"),
        (failure(2100005, "参数不合法"), ContentRejectedError, "参数不合法"),
        (Answer(502, "bad gateway"), TemporaryFailureError, "bad gateway"),
        (Answer(200, "<html>"), TemporaryFailureError, "unreadable JSON"),
    ],
)
def test_douyin_errors_map_to_the_error_set(replay: ReplayServer, answer: Answer, error: type, text: str) -> None:
    replay.add("POST", "/video/upload/", answer)
    with douyin(replay) as connector, pytest.raises(error, match=text):
        connector.publish(PublishRequest(text="x", media=(video(),)))


def test_the_inbox_reads_comments_on_the_newest_videos_since_its_cursor(replay: ReplayServer) -> None:
    replay.add(
        "GET",
        "/video/list/",
        ok(
            list=[
                {
                    "item_id": ITEM,
                    "share_url": "https://www.iesdouyin.com/share/video/1/",
                    "statistics": {"comment_count": 2},
                }
            ],
            has_more=False,
            cursor=0,
        ),
        always=True,
    )
    replay.add(
        "GET",
        "/item/comment/list/",
        ok(
            list=[
                {
                    "comment_id": "@c2",
                    "comment_user_id": "fan2",
                    "content": "求链接",
                    "create_time": 1793700200,
                    "digg_count": 1,
                    "reply_comment_total": 0,
                    "top": False,
                },
                {
                    "comment_id": "@c1",
                    "comment_user_id": "fan1",
                    "content": "好喝吗",
                    "create_time": 1793700100,
                    "digg_count": 0,
                    "reply_comment_total": 0,
                    "top": False,
                },
            ],
            cursor=2,
            has_more=False,
        ),
    )
    with douyin(replay) as connector:
        page = connector.inbox()
    assert [item.text for item in page.items] == ["求链接", "好喝吗"]
    assert page.items[0].remote_id == f"comment|{ITEM}|@c2"
    assert (page.items[0].kind, page.items[0].parent_remote_id) == (InboundKind.COMMENT, ITEM)
    assert page.cursor == "1793700200"
    replay.add(
        "GET", "/item/comment/list/", ok(list=[{"comment_id": "@c2", "content": "求链接", "create_time": 1793700200}])
    )
    with douyin(replay) as connector:
        assert connector.inbox(cursor=page.cursor).items == ()


def test_replying_and_video_metrics(replay: ReplayServer) -> None:
    replay.add("POST", "/item/comment/reply/", ok(comment_id="@c3"))
    replay.add(
        "POST",
        "/video/data/",
        ok(
            list=[
                {
                    "item_id": ITEM,
                    "statistics": {"digg_count": 88, "comment_count": 2, "share_count": 5, "play_count": 1200},
                }
            ]
        ),
    )
    with douyin(replay) as connector:
        result = connector.reply(f"comment|{ITEM}|@c2", PublishRequest(text="主页有链接"))
        metrics = connector.post_metrics(ITEM)
    assert result.remote_id == f"comment|{ITEM}|@c3"
    assert json.loads(replay.requests_to("POST", "/item/comment/reply/")[0].body) == {
        "item_id": ITEM,
        "content": "主页有链接",
        "comment_id": "@c2",
    }
    assert (metrics.likes, metrics.replies, metrics.shares, metrics.impressions) == (88, 2, 5, 1200)
