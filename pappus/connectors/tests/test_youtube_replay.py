"""The YouTube connector against a local server replaying the documented answers of the Data API v3.

Shapes from https://developers.google.com/youtube/v3/docs: channel, commentThread, comment and
search result resources with their list wrappers (``kind``, ``etag``, ``pageInfo``, ``items``),
counters as strings, and Google's error body ``{"error": {"code", "message", "errors":
[{"message", "domain", "reason"}], "status"}}`` with the documented reasons (``authError``,
``quotaExceeded``, ``commentsDisabled``, ``commentNotFound``).
"""

from __future__ import annotations

import datetime
import json
from typing import Any
from urllib.parse import parse_qs

import pytest

from pappus.connectors.contracts import Capability, InboundKind, PublishRequest
from pappus.connectors.errors import (
    AuthExpiredError,
    ContentRejectedError,
    NotFoundError,
    RateLimitedError,
    TemporaryFailureError,
)
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.connectors.youtube.client import YouTubeConnector, seconds_until_quota_reset

CHANNEL_ID = "UC_x5XG1OV2P6uZZ5FSM9Ttw"
CHANNELS = {
    "kind": "youtube#channelListResponse",
    "etag": "e1",
    "pageInfo": {"totalResults": 1, "resultsPerPage": 5},
    "items": [
        {
            "kind": "youtube#channel",
            "etag": "e2",
            "id": CHANNEL_ID,
            "snippet": {
                "title": "Nordlys Coffee",
                "description": "",
                "customUrl": "@nordlyscoffee",
                "publishedAt": "2020-01-01T00:00:00Z",
            },
            "statistics": {
                "viewCount": "98000",
                "subscriberCount": "1200",
                "hiddenSubscriberCount": False,
                "videoCount": "37",
            },
        }
    ],
}


def youtube(replay: ReplayServer) -> YouTubeConnector:
    return YouTubeConnector(base_url=replay.url, credentials={"access_token": "ya29.token"})


def google_error(code: int, message: str, reason: str, domain: str = "youtube.commentThread") -> dict[str, Any]:
    return {
        "error": {
            "code": code,
            "message": message,
            "errors": [{"message": message, "domain": domain, "reason": reason}],
        }
    }


def comment(
    comment_id: str,
    text: str,
    author: str,
    published: str,
    *,
    author_channel: str = "UCfan",
    video: str = "vid123",
    parent: str = "",
) -> dict[str, Any]:
    snippet: dict[str, Any] = {
        "authorDisplayName": author,
        "authorProfileImageUrl": "https://yt3.ggpht.com/a.jpg",
        "authorChannelUrl": f"http://www.youtube.com/channel/{author_channel}",
        "authorChannelId": {"value": author_channel},
        "channelId": CHANNEL_ID,
        "videoId": video,
        "textDisplay": text,
        "textOriginal": text,
        "canRate": True,
        "viewerRating": "none",
        "likeCount": 0,
        "publishedAt": published,
        "updatedAt": published,
    }
    if parent:
        snippet["parentId"] = parent
    return {"kind": "youtube#comment", "etag": "c", "id": comment_id, "snippet": snippet}


def test_account_info_and_channel_metrics(replay: ReplayServer) -> None:
    replay.add("GET", "/youtube/v3/channels", Answer(200, CHANNELS), always=True)
    with youtube(replay) as connector:
        info = connector.account_info()
        assert (info.remote_id, info.handle, info.display_name, info.followers) == (
            CHANNEL_ID,
            "@nordlyscoffee",
            "Nordlys Coffee",
            1200,
        )
        assert info.url == "https://www.youtube.com/@nordlyscoffee"
        metrics = connector.account_metrics()
        assert (metrics.followers, metrics.posts, metrics.impressions) == (1200, 37, 98000)
    entry = replay.requests_to("GET", "/youtube/v3/channels")[0]
    assert parse_qs(entry.query) == {"part": ["snippet,statistics"], "mine": ["true"]}
    assert entry.headers["Authorization"] == "Bearer ya29.token"


def test_publishing_is_a_video_upload() -> None:
    # The upload itself is replayed in test_media_uploads.py.
    assert Capability.PUBLISH in YouTubeConnector.capabilities
    assert YouTubeConnector.default_limits is not None
    assert YouTubeConnector.default_limits.max_media == 1


def test_publishing_text_alone_is_refused_before_sending(replay: ReplayServer) -> None:
    with youtube(replay) as connector, pytest.raises(ContentRejectedError, match="attach one video file"):
        connector.publish(PublishRequest(text="A video"))
    assert replay.requests == []


def test_the_inbox_reads_comment_threads_and_replies_after_the_cursor(replay: ReplayServer) -> None:
    replay.add("GET", "/youtube/v3/channels", Answer(200, CHANNELS), always=True)
    threads = {
        "kind": "youtube#commentThreadListResponse",
        "etag": "t",
        "pageInfo": {"totalResults": 2, "resultsPerPage": 20},
        "items": [
            {
                "kind": "youtube#commentThread",
                "etag": "t1",
                "id": "UgzNEW",
                "snippet": {
                    "channelId": CHANNEL_ID,
                    "videoId": "vid123",
                    "topLevelComment": comment("UgzNEW", "Which beans are these?", "Kari", "2026-11-29T10:00:00Z"),
                    "canReply": True,
                    "totalReplyCount": 2,
                    "isPublic": True,
                },
                "replies": {
                    "comments": [
                        comment(
                            "UgzNEW.reply1",
                            "Arabica from Huila",
                            "Nordlys Coffee",
                            "2026-11-29T10:05:00Z",
                            author_channel=CHANNEL_ID,
                            parent="UgzNEW",
                        ),
                        comment(
                            "UgzNEW.reply2", "Thanks! Ordering now", "Kari", "2026-11-29T10:10:00Z", parent="UgzNEW"
                        ),
                    ]
                },
            },
            {
                "kind": "youtube#commentThread",
                "etag": "t2",
                "id": "UgzOLD",
                "snippet": {
                    "channelId": CHANNEL_ID,
                    "videoId": "vid999",
                    "topLevelComment": comment("UgzOLD", "Old comment", "Ola", "2026-11-01T08:00:00Z", video="vid999"),
                    "canReply": True,
                    "totalReplyCount": 0,
                    "isPublic": True,
                },
            },
        ],
    }
    replay.add("GET", "/youtube/v3/commentThreads", Answer(200, threads), always=True)
    with youtube(replay) as connector:
        page = connector.inbox(cursor="2026-11-15T00:00:00+00:00")
    # The channel's own reply is left out; the old comment is before the cursor.
    assert [item.remote_id for item in page.items] == ["UgzNEW.reply2", "UgzNEW"]
    reply, top = page.items
    assert (reply.kind, reply.parent_remote_id, reply.conversation_id) == (InboundKind.COMMENT, "UgzNEW", "UgzNEW")
    assert (top.parent_remote_id, top.author_id) == ("vid123", "UCfan")
    assert top.url == "https://www.youtube.com/watch?v=vid123&lc=UgzNEW"
    assert page.cursor == "2026-11-29T10:10:00+00:00"
    asked = parse_qs(replay.requests_to("GET", "/youtube/v3/commentThreads")[0].query)
    assert asked["allThreadsRelatedToChannelId"] == [CHANNEL_ID]
    assert asked["part"] == ["snippet,replies"]


def test_reply_moderate_delete_search_and_video_metrics(replay: ReplayServer) -> None:
    replay.add(
        "POST",
        "/youtube/v3/comments",
        Answer(
            200,
            comment(
                "UgzNEW.reply3",
                "Arabica from Huila",
                "Nordlys Coffee",
                "2026-11-29T11:00:00Z",
                author_channel=CHANNEL_ID,
                parent="UgzNEW",
            ),
        ),
    )
    replay.add("POST", "/youtube/v3/comments/setModerationStatus", Answer(204, b""))
    replay.add("POST", "/youtube/v3/comments/setModerationStatus", Answer(204, b""))
    replay.add("DELETE", "/youtube/v3/comments", Answer(204, b""))
    replay.add(
        "GET",
        "/youtube/v3/search",
        Answer(
            200,
            {
                "kind": "youtube#searchListResponse",
                "etag": "s",
                "regionCode": "NO",
                "pageInfo": {"totalResults": 1, "resultsPerPage": 25},
                "items": [
                    {
                        "kind": "youtube#searchResult",
                        "etag": "s1",
                        "id": {"kind": "youtube#video", "videoId": "abcXYZ"},
                        "snippet": {
                            "publishedAt": "2026-11-28T12:00:00Z",
                            "channelId": "UCother",
                            "title": "Tromsø coffee tour",
                            "description": "We visit Nordlys",
                            "channelTitle": "Travel Nord",
                            "liveBroadcastContent": "none",
                        },
                    }
                ],
            },
        ),
    )
    replay.add(
        "GET",
        "/youtube/v3/videos",
        Answer(
            200,
            {
                "kind": "youtube#videoListResponse",
                "etag": "v",
                "items": [
                    {
                        "kind": "youtube#video",
                        "etag": "v1",
                        "id": "vid123",
                        "statistics": {
                            "viewCount": "5400",
                            "likeCount": "210",
                            "favoriteCount": "0",
                            "commentCount": "33",
                        },
                    }
                ],
                "pageInfo": {"totalResults": 1, "resultsPerPage": 1},
            },
        ),
    )
    replay.add(
        "GET",
        "/youtube/v3/videos",
        Answer(
            200,
            {
                "kind": "youtube#videoListResponse",
                "etag": "v",
                "items": [],
                "pageInfo": {"totalResults": 0, "resultsPerPage": 0},
            },
        ),
    )
    with youtube(replay) as connector:
        result = connector.reply("UgzNEW.reply2", PublishRequest(text="Arabica from Huila"))
        assert result.remote_id == "UgzNEW.reply3"
        assert result.url == "https://www.youtube.com/watch?v=vid123&lc=UgzNEW.reply3"
        connector.hide("UgzSPAM")
        connector.hide("UgzSPAM", hidden=False)
        connector.delete("UgzNEW.reply3")
        found = connector.listen("nordlys")
        assert (found.items[0].remote_id, found.items[0].url) == ("abcXYZ", "https://www.youtube.com/watch?v=abcXYZ")
        assert found.items[0].text == "Tromsø coffee tour\n\nWe visit Nordlys"
        metrics = connector.post_metrics("vid123")
        assert (metrics.impressions, metrics.likes, metrics.replies) == (5400, 210, 33)
        with pytest.raises(NotFoundError):
            connector.post_metrics("gone")
    inserted = replay.requests_to("POST", "/youtube/v3/comments")[0]
    assert json.loads(inserted.body) == {"snippet": {"parentId": "UgzNEW", "textOriginal": "Arabica from Huila"}}
    moderated = [
        parse_qs(entry.query) for entry in replay.requests_to("POST", "/youtube/v3/comments/setModerationStatus")
    ]
    assert moderated == [
        {"id": ["UgzSPAM"], "moderationStatus": ["rejected"]},
        {"id": ["UgzSPAM"], "moderationStatus": ["published"]},
    ]
    assert parse_qs(replay.requests_to("DELETE", "/youtube/v3/comments")[0].query) == {"id": ["UgzNEW.reply3"]}


def test_errors_map_to_the_small_set(replay: ReplayServer) -> None:
    replay.add(
        "GET",
        "/youtube/v3/channels",
        Answer(401, google_error(401, "Request had invalid authentication credentials.", "authError", "global")),
    )
    replay.add(
        "GET",
        "/youtube/v3/channels",
        Answer(
            403,
            google_error(
                403,
                "The request cannot be completed because you have exceeded your quota.",
                "quotaExceeded",
                "youtube.quota",
            ),
        ),
    )
    replay.add(
        "GET",
        "/youtube/v3/channels",
        Answer(429, google_error(429, "Too many requests", "rateLimitExceeded", "usageLimits"), {"Retry-After": "30"}),
    )
    replay.add("GET", "/youtube/v3/channels", Answer(500, google_error(500, "Backend Error", "backendError", "global")))
    replay.add("GET", "/youtube/v3/channels", Answer(200, '{"kind": ', {"Content-Type": "application/json"}))
    replay.add(
        "GET",
        "/youtube/v3/channels",
        Answer(
            200,
            {"kind": "youtube#channelListResponse", "etag": "e", "pageInfo": {"totalResults": 0, "resultsPerPage": 5}},
        ),
    )
    replay.add(
        "POST",
        "/youtube/v3/comments",
        Answer(
            403,
            google_error(
                403, "The video identified by the videoId parameter has disabled comments.", "commentsDisabled"
            ),
        ),
    )
    replay.add(
        "POST",
        "/youtube/v3/comments",
        Answer(
            404, google_error(404, "The specified comment could not be found.", "commentNotFound", "youtube.comment")
        ),
    )
    with youtube(replay) as connector:
        with pytest.raises(AuthExpiredError, match="invalid authentication credentials"):
            connector.account_info()
        with pytest.raises(RateLimitedError) as quota:
            connector.account_info()
        assert quota.value.retry_after is not None
        assert abs(quota.value.retry_after - seconds_until_quota_reset()) < 5
        with pytest.raises(RateLimitedError) as limited:
            connector.account_info()
        assert limited.value.retry_after == 30
        with pytest.raises(TemporaryFailureError, match="Backend Error"):
            connector.account_info()
        with pytest.raises(TemporaryFailureError, match="unreadable JSON"):
            connector.account_info()
        with pytest.raises(NotFoundError, match="no YouTube channel"):
            connector.account_info()
        with pytest.raises(ContentRejectedError) as disabled:
            connector.reply("UgzNEW", PublishRequest(text="Thanks"))
        assert disabled.value.reason == "The video identified by the videoId parameter has disabled comments."
        with pytest.raises(NotFoundError, match="could not be found"):
            connector.reply("UgzGONE", PublishRequest(text="Thanks"))
        with pytest.raises(ContentRejectedError, match="limit here is 10000") as too_long:
            connector.reply("UgzNEW", PublishRequest(text="x" * 10_001))
        assert too_long.value.checked_locally


def test_the_quota_resets_at_midnight_pacific_time() -> None:
    # 2026-11-30 07:00 UTC is 23:00 on the 29th in Los Angeles (PST, UTC-8): one hour to go.
    moment = datetime.datetime(2026, 11, 30, 7, 0, tzinfo=datetime.UTC)
    assert seconds_until_quota_reset(moment) == 3600


def test_an_inbox_read_pages_back_to_the_cursor(replay: ReplayServer) -> None:
    replay.add("GET", "/youtube/v3/channels", Answer(200, CHANNELS), always=True)

    def thread(thread_id: str, published: str) -> dict[str, Any]:
        return {
            "kind": "youtube#commentThread",
            "etag": thread_id,
            "id": thread_id,
            "snippet": {
                "channelId": CHANNEL_ID,
                "videoId": "vid123",
                "topLevelComment": comment(thread_id, f"Comment {thread_id}", "Kari", published),
                "canReply": True,
                "totalReplyCount": 0,
                "isPublic": True,
            },
        }

    listing = {
        "kind": "youtube#commentThreadListResponse",
        "etag": "t",
        "pageInfo": {"totalResults": 4, "resultsPerPage": 2},
    }
    replay.add(
        "GET",
        "/youtube/v3/commentThreads",
        Answer(
            200,
            {
                **listing,
                "nextPageToken": "QURTSl9p",
                "items": [thread("Ugz3", "2026-11-29T12:00:00Z"), thread("Ugz2", "2026-11-29T11:00:00Z")],
            },
        ),
    )
    replay.add(
        "GET",
        "/youtube/v3/commentThreads",
        Answer(
            200,
            {
                **listing,
                "nextPageToken": "QURTSl9q",
                "items": [thread("Ugz1", "2026-11-29T10:00:00Z"), thread("Ugz0", "2026-11-28T10:00:00Z")],
            },
        ),
    )
    with youtube(replay) as connector:
        page = connector.inbox(cursor="2026-11-29T00:00:00+00:00", limit=2)
    assert [item.remote_id for item in page.items] == ["Ugz3", "Ugz2", "Ugz1"]
    requests = [parse_qs(entry.query) for entry in replay.requests_to("GET", "/youtube/v3/commentThreads")]
    # The second page reached past the cursor, so no third page was asked for.
    assert len(requests) == 2
    assert requests[1]["pageToken"] == ["QURTSl9p"]
