"""Videos (and X's images) uploaded as each network documents it, against a replay of its answers, and the
per-network limits on files checked before anything is sent.

- Telegram: ``sendVideo`` (multipart ``video``, ``supports_streaming``), videos in ``sendMediaGroup``;
  bots upload at most 50 MB (https://core.telegram.org/bots/api#sending-files).
- Facebook Pages: ``POST /{page-id}/videos`` with ``source`` and ``description`` answering ``{"id"}``
  (https://developers.facebook.com/docs/video-api/guides/publishing).
- VK: ``video.save`` → ``{"upload_url", "video_id", "owner_id", "access_key"}``, the file POSTed there as
  ``video_file`` → ``{"size", "video_id", "owner_id", "video_hash"}``, then ``video<owner>_<id>`` as a
  ``wall.post`` attachment (https://dev.vk.com/en/method/video.save).
- X: ``POST /2/media/upload`` ``command=INIT|APPEND|FINALIZE``, ``GET …?command=STATUS`` while
  ``processing_info.state`` is ``pending``/``in_progress``, ``POST /2/media/metadata`` for alt text, then
  ``POST /2/tweets`` with ``media.media_ids`` (https://docs.x.com/x-api/media/quickstart/media-upload-chunked).
- YouTube: the resumable upload (https://developers.google.com/youtube/v3/guides/using_resumable_upload_protocol):
  ``POST /upload/youtube/v3/videos?uploadType=resumable&part=snippet,status`` with the metadata and
  ``X-Upload-Content-Length``/``-Type`` answers 200 with ``Location``; one ``PUT`` of the file there
  answers the video resource.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from pappus.connectors import registry
from pappus.connectors.contracts import Capability, MediaFile, PublishRequest
from pappus.connectors.errors import ContentRejectedError
from pappus.connectors.telegram.client import TelegramConnector
from pappus.connectors.tests.images import one_pixel_png, tiny_mp4
from pappus.connectors.tests.replay import Answer, Recorded, ReplayServer
from pappus.connectors.x.client import XConnector
from pappus.connectors.youtube.client import YouTubeConnector

BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
CHANNEL = {"id": -1001234567890, "title": "Nordlys news", "username": "nordlys_news", "type": "channel"}
VIDEO = MediaFile(tiny_mp4(), "video/mp4", "roastery.mp4", description="Beans turning in the roaster")
IMAGE = MediaFile(one_pixel_png(), "image/png", "pixel.png", description="A green pixel")


def field(entry: Recorded, name: str) -> bytes:
    """A multipart field's value."""
    marker = f'name="{name}"\r\n\r\n'.encode()
    start = entry.body.index(marker) + len(marker)
    return entry.body[start : entry.body.index(b"\r\n--", start)]


def form(entry: Recorded) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(entry.body.decode()).items()}


# --- the limits ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("network", "too_big", "limit"),
    [
        ("telegram", 50 * 1024 * 1024 + 1, 50 * 1024 * 1024),
        ("x", 512 * 1024 * 1024 + 1, 512 * 1024 * 1024),
        ("facebook", 10 * 1024 * 1024 * 1024 + 1, 10 * 1024 * 1024 * 1024),
    ],
)
def test_a_video_over_the_networks_size_is_refused_before_sending(
    replay: ReplayServer, tmp_path: Path, network: str, too_big: int, limit: int
) -> None:
    limits = registry.connector_class(network).default_limits
    assert limits is not None
    # Sparse files on disk: their size is read without reading them.
    sparse = tmp_path / "long.mp4"
    with sparse.open("wb") as file:
        file.truncate(too_big)
    video = MediaFile(b"", "video/mp4", "long.mp4", path=str(sparse))
    problems = limits.problems(PublishRequest(text="Roasting day", media=(video,)))
    assert problems == [f"long.mp4 is {too_big} bytes; the limit here is {limit} bytes."]
    # An image keeps its own, smaller ceiling.
    with (tmp_path / "big.png").open("wb") as file:
        file.truncate(limit // 2)
    image = MediaFile(b"", "image/png", "big.png", path=str(tmp_path / "big.png"))
    assert limits.problems(PublishRequest(text="x", media=(image,)))


def test_x_and_facebook_post_a_video_alone(replay: ReplayServer) -> None:
    for network in ("x", "facebook"):
        limits = registry.connector_class(network).default_limits
        assert limits is not None
        assert limits.problems(PublishRequest(text="x", media=(VIDEO, IMAGE))) == [
            "A video is posted alone here: remove the other files or post them separately."
        ]
    connector = XConnector(base_url=replay.url, credentials={"access_token": "x"})
    with connector, pytest.raises(ContentRejectedError) as refused:
        connector.publish(PublishRequest(text="x", media=(VIDEO, IMAGE)))
    assert refused.value.checked_locally
    assert replay.requests == []


# --- Telegram -------------------------------------------------------------------------------------------------


def test_telegram_sends_a_video_with_sendvideo(replay: ReplayServer) -> None:
    video = {"file_id": "BAACAgIAAxk", "file_unique_id": "AgAD", "width": 1, "height": 1, "duration": 1}
    message = {"message_id": 61, "chat": CHANNEL, "date": 1_793_700_000, "video": video, "caption": "Roasting"}
    replay.add("POST", f"/bot{BOT_TOKEN}/sendVideo", Answer(200, {"ok": True, "result": message}))
    with TelegramConnector(
        base_url=replay.url, credentials={"bot_token": BOT_TOKEN}, options={"chats": "@nordlys_news"}
    ) as connector:
        result = connector.publish(PublishRequest(text="Roasting", media=(VIDEO,)))
    assert (result.remote_id, result.url) == ("-1001234567890/61", "https://t.me/nordlys_news/61")
    sent = replay.requests_to("POST", f"/bot{BOT_TOKEN}/sendVideo")[0]
    assert field(sent, "caption") == b"Roasting"
    assert field(sent, "supports_streaming") == b"true"
    assert b'name="video"; filename="roastery.mp4"' in sent.body
    assert VIDEO.content in sent.body


def test_telegram_puts_videos_and_photos_in_one_album(replay: ReplayServer) -> None:
    messages = [{"message_id": 70 + number, "chat": CHANNEL, "date": 1_793_700_000} for number in range(2)]
    replay.add("POST", f"/bot{BOT_TOKEN}/sendMediaGroup", Answer(200, {"ok": True, "result": messages}))
    with TelegramConnector(
        base_url=replay.url, credentials={"bot_token": BOT_TOKEN}, options={"chats": "@nordlys_news"}
    ) as connector:
        connector.publish(PublishRequest(text="Both", media=(IMAGE, VIDEO)))
    sent = replay.requests_to("POST", f"/bot{BOT_TOKEN}/sendMediaGroup")[0]
    assert json.loads(field(sent, "media")) == [
        {"type": "photo", "media": "attach://file0", "caption": "Both"},
        {"type": "video", "media": "attach://file1"},
    ]


# --- Facebook Pages --------------------------------------------------------------------------------------------


def test_facebook_posts_a_video_to_the_pages_videos(replay: ReplayServer) -> None:
    replay.add("POST", "/v21.0/101/videos", Answer(200, {"id": "987654321"}))
    with registry.build(
        "facebook", base_url=replay.url, credentials={"access_token": "EAApage"}, options={"page_id": "101"}
    ) as connector:
        result = connector.publish(PublishRequest(text="Roasting day", link="https://nordlys.example", media=(VIDEO,)))
    assert (result.remote_id, result.url) == ("987654321", "https://www.facebook.com/101/videos/987654321")
    sent = replay.requests_to("POST", "/v21.0/101/videos")[0]
    assert field(sent, "description") == b"Roasting day\n\nhttps://nordlys.example"
    assert b'name="source"; filename="roastery.mp4"' in sent.body
    assert VIDEO.content in sent.body
    assert sent.headers["Authorization"] == "Bearer EAApage"
    assert replay.requests_to("POST", "/v21.0/101/feed") == []


# --- VK ---------------------------------------------------------------------------------------------------------


def test_vk_uploads_a_video_with_video_save_and_attaches_it(replay: ReplayServer) -> None:
    group = {"id": 1, "name": "Nordlys Coffee", "screen_name": "nordlys", "members_count": 2417}
    replay.add("POST", "/method/groups.getById", Answer(200, {"response": {"groups": [group], "profiles": []}}))
    saved = {
        "upload_url": f"{replay.url}/upload.php?act=add_video&mid=1&oid=-1&vid=456239017&hash=abc",
        "video_id": 456239017,
        "owner_id": -1,
        "title": "Roasting day",
        "access_key": "4f4a1b2c3d",
    }
    replay.add("POST", "/method/video.save", Answer(200, {"response": saved}))
    replay.add(
        "POST",
        "/upload.php",
        Answer(200, {"size": len(VIDEO.content), "video_id": 456239017, "owner_id": -1, "video_hash": "9f8e7d"}),
    )
    replay.add("POST", "/method/wall.post", Answer(200, {"response": {"post_id": 88}}))
    with registry.build(
        "vk", base_url=replay.url, credentials={"access_token": "vk1.a.user"}, options={"group_id": "nordlys"}
    ) as connector:
        result = connector.publish(PublishRequest(text="Roasting day\nFresh beans", media=(VIDEO,)))
    assert result.remote_id == "-1_88"
    asked = form(replay.requests_to("POST", "/method/video.save")[0])
    assert (asked["group_id"], asked["name"], asked["wallpost"]) == ("1", "Roasting day", "0")
    assert asked["description"] == "Beans turning in the roaster"
    uploaded = replay.requests_to("POST", "/upload.php")[0]
    assert b'name="video_file"; filename="roastery.mp4"' in uploaded.body
    assert VIDEO.content in uploaded.body
    post = form(replay.requests_to("POST", "/method/wall.post")[0])
    assert post["attachments"] == "video-1_456239017"


def test_vk_refuses_an_upload_the_server_did_not_take(replay: ReplayServer) -> None:
    group = {"id": 1, "name": "Nordlys Coffee", "screen_name": "nordlys"}
    replay.add("POST", "/method/groups.getById", Answer(200, {"response": {"groups": [group], "profiles": []}}))
    replay.add(
        "POST",
        "/method/video.save",
        Answer(200, {"response": {"upload_url": f"{replay.url}/upload.php", "video_id": 1, "owner_id": -1}}),
    )
    replay.add("POST", "/upload.php", Answer(200, {"error": {"error_code": 15, "error_msg": "Access denied"}}))
    with (
        registry.build(
            "vk", base_url=replay.url, credentials={"access_token": "vk1.a.user"}, options={"group_id": "nordlys"}
        ) as connector,
        pytest.raises(ContentRejectedError, match="Access denied"),
    ):
        connector.publish(PublishRequest(text="x", media=(VIDEO,)))
    assert replay.requests_to("POST", "/method/wall.post") == []


# --- X ------------------------------------------------------------------------------------------------------------


def media_answer(media_id: str, processing: dict[str, Any] | None = None) -> Answer:
    data: dict[str, Any] = {"id": media_id, "media_key": f"7_{media_id}", "expires_after_secs": 86400}
    if processing is not None:
        data["processing_info"] = processing
    return Answer(200, {"data": data})


def test_x_uploads_a_video_in_chunks_waits_for_processing_and_tweets_it(replay: ReplayServer) -> None:
    replay.add("POST", "/2/media/upload", media_answer("1880028106020515840"))  # INIT
    replay.add("POST", "/2/media/upload", Answer(204, b""))  # APPEND
    replay.add(
        "POST", "/2/media/upload", media_answer("1880028106020515840", {"state": "pending", "check_after_secs": 0})
    )  # FINALIZE
    replay.add(
        "GET", "/2/media/upload", media_answer("1880028106020515840", {"state": "in_progress", "check_after_secs": 0})
    )
    replay.add("GET", "/2/media/upload", media_answer("1880028106020515840", {"state": "succeeded"}))
    replay.add("POST", "/2/media/metadata", Answer(200, {"data": {"associated_metadata": True}}))
    replay.add("POST", "/2/tweets", Answer(201, {"data": {"id": "1880028200000000000", "text": "Roasting"}}))
    with XConnector(base_url=replay.url, credentials={"access_token": "x-token"}) as connector:
        assert Capability.MEDIA in connector.capabilities
        result = connector.publish(PublishRequest(text="Roasting", media=(VIDEO,)))
    assert result.remote_id == "1880028200000000000"
    init, append, finalize = replay.requests_to("POST", "/2/media/upload")
    assert form(init) == {
        "command": "INIT",
        "media_type": "video/mp4",
        "total_bytes": str(len(VIDEO.content)),
        "media_category": "tweet_video",
    }
    assert field(append, "command") == b"APPEND"
    assert field(append, "media_id") == b"1880028106020515840"
    assert field(append, "segment_index") == b"0"
    assert VIDEO.content in append.body
    assert form(finalize) == {"command": "FINALIZE", "media_id": "1880028106020515840"}
    statuses = replay.requests_to("GET", "/2/media/upload")
    assert [parse_qs(status.query) for status in statuses] == [
        {"command": ["STATUS"], "media_id": ["1880028106020515840"]}
    ] * 2
    assert json.loads(replay.requests_to("POST", "/2/media/metadata")[0].body) == {
        "id": "1880028106020515840",
        "metadata": {"alt_text": {"text": "Beans turning in the roaster"}},
    }
    assert json.loads(replay.requests_to("POST", "/2/tweets")[0].body) == {
        "text": "Roasting",
        "media": {"media_ids": ["1880028106020515840"]},
    }


def test_x_uploads_images_and_splits_large_files_into_segments(replay: ReplayServer, monkeypatch: Any) -> None:
    monkeypatch.setattr("pappus.connectors.x.client.UPLOAD_SEGMENT_BYTES", 50)
    for media_id in ("11", "22"):
        replay.add("POST", "/2/media/upload", media_answer(media_id))  # INIT
        for _segment in range(2):
            replay.add("POST", "/2/media/upload", Answer(204, b""))  # APPEND
        replay.add("POST", "/2/media/upload", media_answer(media_id))  # FINALIZE: images need no processing
    replay.add("POST", "/2/tweets", Answer(201, {"data": {"id": "33", "text": "Two"}}))
    first = MediaFile(one_pixel_png() + b"\0" * 20, "image/png", "a.png")
    second = MediaFile(one_pixel_png() + b"\0" * 20, "image/png", "b.png")
    assert 50 < len(first.content) <= 100
    with XConnector(base_url=replay.url, credentials={"access_token": "x-token"}) as connector:
        connector.publish(PublishRequest(text="Two", media=(first, second)))
    uploads = replay.requests_to("POST", "/2/media/upload")
    assert [field(entry, "segment_index") for entry in uploads if b"APPEND" in entry.body] == [b"0", b"1"] * 2
    assert form(uploads[0])["media_category"] == "tweet_image"
    assert replay.requests_to("POST", "/2/media/metadata") == []  # no alt text given
    assert json.loads(replay.requests_to("POST", "/2/tweets")[0].body)["media"] == {"media_ids": ["11", "22"]}


def test_x_refuses_a_video_it_could_not_process_and_tweets_nothing(replay: ReplayServer) -> None:
    replay.add("POST", "/2/media/upload", media_answer("5"))
    replay.add("POST", "/2/media/upload", Answer(204, b""))
    failed = {"state": "failed", "error": {"code": 1, "name": "InvalidMedia", "message": "Unsupported video codec"}}
    replay.add("POST", "/2/media/upload", media_answer("5", failed))
    connector = XConnector(base_url=replay.url, credentials={"access_token": "x-token"})
    with connector, pytest.raises(ContentRejectedError, match="X could not process the file: Unsupported video codec"):
        connector.publish(PublishRequest(text="x", media=(VIDEO,)))
    assert replay.requests_to("POST", "/2/tweets") == []


# --- YouTube --------------------------------------------------------------------------------------------------------


def test_youtube_uploads_a_video_with_the_resumable_protocol(replay: ReplayServer) -> None:
    upload_address = (
        f"{replay.url}/upload/youtube/v3/videos?uploadType=resumable&upload_id=xa298sd_f&part=snippet,status"
    )
    replay.add("POST", "/upload/youtube/v3/videos", Answer(200, b"", {"Location": upload_address}))
    video = {
        "kind": "youtube#video",
        "etag": "e",
        "id": "dQw4w9WgXcQ",
        "snippet": {"title": "Roasting day", "description": "Fresh beans every Friday."},
        "status": {"uploadStatus": "uploaded", "privacyStatus": "public"},
    }
    replay.add("PUT", "/upload/youtube/v3/videos", Answer(200, video))
    with YouTubeConnector(base_url=replay.url, credentials={"access_token": "ya29.token"}) as connector:
        assert Capability.PUBLISH in connector.capabilities
        result = connector.publish(PublishRequest(text="Roasting day\nFresh beans every Friday.", media=(VIDEO,)))
    assert (result.remote_id, result.url) == ("dQw4w9WgXcQ", "https://www.youtube.com/watch?v=dQw4w9WgXcQ")
    opened = replay.requests_to("POST", "/upload/youtube/v3/videos")[0]
    assert parse_qs(opened.query) == {"uploadType": ["resumable"], "part": ["snippet,status"]}
    assert opened.headers["X-Upload-Content-Length"] == str(len(VIDEO.content))
    assert opened.headers["X-Upload-Content-Type"] == "video/mp4"
    assert opened.headers["Authorization"] == "Bearer ya29.token"
    assert json.loads(opened.body) == {
        "snippet": {"title": "Roasting day", "description": "Fresh beans every Friday.", "categoryId": "22"},
        "status": {"privacyStatus": "public", "selfDeclaredMadeForKids": False},
    }
    sent = replay.requests_to("PUT", "/upload/youtube/v3/videos")[0]
    assert "upload_id=xa298sd_f" in sent.query
    assert sent.body == VIDEO.content
    assert sent.headers["Content-Type"] == "video/mp4"


def test_youtube_checks_title_description_and_the_video_before_sending(replay: ReplayServer) -> None:
    limits = YouTubeConnector.default_limits
    assert limits is not None
    assert limits.problems(PublishRequest(text="Just words")) == ["YouTube publishes videos: attach one video file."]
    assert limits.problems(PublishRequest(text="t" * 101, media=(VIDEO,))) == [
        "The title (the first line) is 101 characters long; the limit here is 100."
    ]
    assert limits.problems(PublishRequest(text="Title\n" + "é" * 2501, media=(VIDEO,))) == [
        "The description is 5002 bytes long; the limit here is 5000."
    ]
    assert limits.problems(PublishRequest(text="<b>Title</b>", media=(VIDEO,))) == [
        "YouTube refuses < and > in a title or description."
    ]
    assert limits.problems(PublishRequest(text="Title", media=(IMAGE,))) == [
        "pixel.png is of type image/png, which cannot be posted here.",
        "YouTube publishes videos: attach one video file.",
    ]
    connector = YouTubeConnector(base_url=replay.url, credentials={"access_token": "ya29.token"})
    with connector, pytest.raises(ContentRejectedError):
        connector.publish(PublishRequest(text="No video"))
    assert replay.requests == []
