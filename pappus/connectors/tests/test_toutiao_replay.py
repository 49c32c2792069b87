"""The Toutiao connector against a local server replaying the open platform's documented answers.

No Toutiao server runs locally. Toutiao's open API is ByteDance's Douyin open platform on the host
``open.snssdk.com`` (its Toutiao/Xigua section): the account's calls carry the ``access-token``
header and ``open_id`` in the query, the content calls live under ``/toutiao`` (video/upload,
video/create, video/data), and every answer is HTTP 200 ``{"data": {..., "error_code",
"description"}, "message"}`` — the refusals observed on open.snssdk.com (10002 参数错误, 10005 缺少参数)
and the platform's general codes (2190008 access_token expired, 28003017 quota, 28003018 too
frequent, 2100004 busy).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

import pytest

from pappus.connectors import registry
from pappus.connectors.contracts import Capability, MediaFile, PublishRequest
from pappus.connectors.errors import (
    AuthExpiredError,
    ContentRejectedError,
    NotFoundError,
    NotSupportedError,
    RateLimitedError,
    TemporaryFailureError,
)
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.connectors.toutiao.client import ToutiaoConnector

TOKEN = "act.3f1b3fd1aeac0c2b1a02f5f3bd1d1e6aHBd1nBlDcP8iUhWb8gkr9zE8vHYq"
OPEN_ID = "7d7f8c35-2f3c-4d3a-9a5b-2c2d6f1d1a77"
ITEM = "6985726734590462478"


def ok(**data: Any) -> Answer:
    return Answer(200, {"data": {"error_code": 0, "description": "", **data}, "message": "success"})


def failure(code: int, description: str) -> Answer:
    return Answer(200, {"data": {"error_code": code, "description": description}, "message": "error"})


def toutiao(replay: ReplayServer) -> ToutiaoConnector:
    connector = registry.build(
        "toutiao", base_url=replay.url, credentials={"access_token": TOKEN}, options={"open_id": OPEN_ID}
    )
    assert isinstance(connector, ToutiaoConnector)
    return connector


def video() -> MediaFile:
    return MediaFile(b"\x00\x00\x00\x18ftypmp42", "video/mp4", "harvest.mp4")


def test_the_connector_is_registered_with_what_its_api_allows() -> None:
    assert "toutiao" in registry.networks()
    assert ToutiaoConnector.capabilities == {Capability.PUBLISH, Capability.METRICS, Capability.MEDIA}
    assert ToutiaoConnector.default_base_url == "https://open.snssdk.com"
    assert ToutiaoConnector.oauth.authorize_url == "https://open.snssdk.com/oauth/authorize/"


def test_account_info_reads_the_user(replay: ReplayServer) -> None:
    replay.add("POST", "/oauth/userinfo/", ok(open_id=OPEN_ID, union_id="u", nickname="北极光咖啡头条号", avatar=""))
    with toutiao(replay) as connector:
        info = connector.account_info()
    assert (info.remote_id, info.handle) == (OPEN_ID, "北极光咖啡头条号")
    [request] = replay.requests_to("POST", "/oauth/userinfo/")
    assert request.headers["access-token"] == TOKEN


def test_publishing_a_video_uploads_then_creates_under_toutiao(replay: ReplayServer) -> None:
    replay.add("POST", "/toutiao/video/upload/", ok(video={"video_id": "v02033g10000c1aaq2rc77u8e7hmt3u0"}))
    replay.add("POST", "/toutiao/video/create/", ok(item_id=ITEM))
    with toutiao(replay) as connector:
        result = connector.publish(PublishRequest(text="秋收的第一杯咖啡", media=(video(),)))
    assert result.remote_id == ITEM
    [upload] = replay.requests_to("POST", "/toutiao/video/upload/")
    assert parse_qs(upload.query)["open_id"] == [OPEN_ID]
    assert upload.headers["access-token"] == TOKEN
    assert b'name="video"; filename="harvest.mp4"' in upload.body
    [create] = replay.requests_to("POST", "/toutiao/video/create/")
    assert json.loads(create.body) == {"video_id": "v02033g10000c1aaq2rc77u8e7hmt3u0", "text": "秋收的第一杯咖啡"}
    # Nothing went to Douyin's paths.
    assert replay.requests_to("POST", "/video/upload/") == []


def test_articles_and_micro_posts_are_refused_before_sending_with_the_reason(replay: ReplayServer) -> None:
    with toutiao(replay) as connector, pytest.raises(ContentRejectedError, match="微头条") as raised:
        connector.publish(PublishRequest(text="一篇只有文字的微头条"))
    assert raised.value.checked_locally
    assert "backstage" in str(raised.value)
    with toutiao(replay) as connector, pytest.raises(ContentRejectedError, match="image/png"):
        connector.publish(PublishRequest(text="图", media=(MediaFile(b"png", "image/png", "a.png"),)))
    assert replay.requests == []


def test_comments_are_not_offered_by_the_open_api(replay: ReplayServer) -> None:
    with toutiao(replay) as connector:
        with pytest.raises(NotSupportedError):
            connector.inbox()
        with pytest.raises(NotSupportedError):
            connector.reply(ITEM, PublishRequest(text="谢谢"))
    assert replay.requests == []


def test_video_metrics(replay: ReplayServer) -> None:
    replay.add(
        "POST",
        "/toutiao/video/data/",
        ok(
            list=[
                {
                    "item_id": ITEM,
                    "statistics": {"play_count": 5120, "digg_count": 230, "comment_count": 41, "share_count": 17},
                }
            ]
        ),
    )
    with toutiao(replay) as connector:
        snapshot = connector.post_metrics(ITEM)
    assert (snapshot.impressions, snapshot.likes, snapshot.replies, snapshot.shares) == (5120, 230, 41, 17)
    [request] = replay.requests_to("POST", "/toutiao/video/data/")
    assert json.loads(request.body) == {"item_ids": [ITEM]}

    replay.add("POST", "/toutiao/video/data/", ok(list=[]))
    with toutiao(replay) as connector, pytest.raises(NotFoundError, match="Toutiao has no video"):
        connector.post_metrics("6985726734590462479")


@pytest.mark.parametrize(
    ("answer", "error", "text"),
    [
        (failure(2190008, "access_token过期,请刷新或重新授权"), AuthExpiredError, "Toutiao refused the token"),
        (failure(28001008, "access_token过期,请刷新或重新授权"), AuthExpiredError, "28001008"),
        (failure(28003017, "quota 已用完"), RateLimitedError, "quota"),
        (failure(28003018, "请求频率过高"), RateLimitedError, "28003018"),
        (failure(2100004, "系统繁忙,此时请开发者稍候再试"), TemporaryFailureError, "2100004"),
        (failure(10002, "参数错误"), ContentRejectedError, "参数错误"),
        (failure(2100005, "视频内容违规"), ContentRejectedError, "视频内容违规"),
        (Answer(502, "bad gateway"), TemporaryFailureError, "bad gateway"),
        (Answer(200, "<html>"), TemporaryFailureError, "unreadable JSON"),
    ],
)
def test_toutiao_errors_map_to_the_error_set(replay: ReplayServer, answer: Answer, error: type, text: str) -> None:
    replay.add("POST", "/toutiao/video/upload/", answer)
    with toutiao(replay) as connector, pytest.raises(error, match=text) as raised:
        connector.publish(PublishRequest(text="x", media=(video(),)))
    assert getattr(raised.value, "network", None) == "toutiao"


def test_a_frequency_limit_says_when_to_try_again(replay: ReplayServer) -> None:
    replay.add("POST", "/toutiao/video/data/", failure(28003018, "请求频率过高"))
    with toutiao(replay) as connector, pytest.raises(RateLimitedError) as raised:
        connector.post_metrics(ITEM)
    assert raised.value.retry_after == 60.0
