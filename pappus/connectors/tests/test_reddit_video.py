"""Reddit video posts against local servers replaying Reddit's media upload (as test_reddit_media.py).

The flow of Reddit's own clients and PRAW's ``submit_video``: the video and its poster image each get
an upload lease (``POST /api/media/asset.json``) and go to the lease's S3 form; then ``/api/submit``
with ``kind=video``, ``url`` (the video's address in the storage) and ``video_poster_url`` (the
poster's); Reddit says the new post's address through the WebSocket of the video's lease.
"""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import pytest

from pappus.connectors.contracts import MediaFile, PublishRequest
from pappus.connectors.errors import ContentRejectedError, TemporaryFailureError
from pappus.connectors.reddit.client import RedditConnector, plain_poster
from pappus.connectors.tests.images import one_pixel_png, tiny_mp4
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.connectors.tests.test_reddit_media import (  # the fixture and the replayed answers
    S3_TOO_LARGE,
    form,
    lease,
    multipart,
    reddit,
    stored,
    websocket,
)
from pappus.connectors.tests.websocket_replay import CLOSE, WebSocketReplay

__all__ = ["websocket"]
REDIRECT = "https://www.reddit.com/r/nordlys/comments/1vid0/roasting_day/"


def video_on_disk(tmp_path: Path, size: int = 300_000, **fields: object) -> tuple[MediaFile, bytes]:
    data = tiny_mp4(size)
    path = tmp_path / "roasting.mp4"
    path.write_bytes(data)
    return MediaFile(b"", "video/mp4", "roasting.mp4", path=str(path), **fields), data  # type: ignore[arg-type]


def leases(replay: ReplayServer, websocket: WebSocketReplay, *assets: str) -> None:
    for asset in assets:
        replay.add("POST", "/api/media/asset.json", lease(replay, websocket, asset))
        replay.add("POST", "/s3", stored(replay, asset))


def test_a_video_post_uploads_the_video_and_its_cover_and_learns_its_id(
    replay: ReplayServer, websocket: WebSocketReplay, tmp_path: Path
) -> None:
    cover = MediaFile(one_pixel_png(), "image/png", "cover.png")
    video, data = video_on_disk(tmp_path, cover=cover)
    leases(replay, websocket, "v1", "p1")
    replay.add("POST", "/api/submit", Answer(200, {"json": {"errors": [], "data": {}}}))
    websocket.messages.append(json.dumps({"type": "success", "payload": {"redirect": REDIRECT}}))
    with reddit(replay) as connector:
        result = connector.publish(PublishRequest(text="Roasting day", media=(video,)))
    assert (result.remote_id, result.url) == ("t3_1vid0", REDIRECT)
    asked = [form(entry) for entry in replay.requests_to("POST", "/api/media/asset.json")]
    assert asked == [
        {"filepath": "roasting.mp4", "mimetype": "video/mp4"},
        {"filepath": "cover.png", "mimetype": "image/png"},
    ]
    uploads = replay.requests_to("POST", "/s3")
    assert multipart(uploads[0])["file"] == ("roasting.mp4", data)  # read from disk
    assert multipart(uploads[1])["file"] == ("cover.png", one_pixel_png())
    submitted = form(replay.requests_to("POST", "/api/submit")[0])
    assert {name: submitted[name] for name in ("kind", "sr", "title", "url", "video_poster_url")} == {
        "kind": "video",
        "sr": "nordlys",
        "title": "Roasting day",
        "url": f"{replay.url}/s3/rte_images/v1",
        "video_poster_url": f"{replay.url}/s3/rte_images/p1",
    }
    assert websocket.paths == ["/rte_images/v1"]  # the video's lease names the WebSocket


def test_a_video_without_a_cover_gets_a_plain_poster(
    replay: ReplayServer, websocket: WebSocketReplay, tmp_path: Path
) -> None:
    video, _data = video_on_disk(tmp_path)
    leases(replay, websocket, "v2", "p2")
    replay.add("POST", "/api/submit", Answer(200, {"json": {"errors": [], "data": {}}}))
    websocket.messages.append(json.dumps({"type": "success", "payload": {"redirect": REDIRECT}}))
    with reddit(replay) as connector:
        connector.publish(PublishRequest(text="Roasting day", media=(video,)))
    filename, poster = multipart(replay.requests_to("POST", "/s3")[1])["file"]
    assert (filename, poster) == ("poster.png", plain_poster())
    # A real PNG: 640 by 360, greyscale.
    assert poster.startswith(b"\x89PNG\r\n\x1a\n")
    assert struct.unpack(">II", poster[16:24]) == (640, 360)
    assert zlib.decompress(poster[41 : 41 + struct.unpack(">I", poster[33:37])[0]])[:2] == b"\x00\x20"


def test_reddit_refusing_the_video_shows_its_words_and_a_silent_websocket_is_no_answer(
    replay: ReplayServer, websocket: WebSocketReplay, tmp_path: Path
) -> None:
    video, _data = video_on_disk(tmp_path)
    leases(replay, websocket, "v3", "p3", "v4", "p4")
    for _post in range(2):
        replay.add("POST", "/api/submit", Answer(200, {"json": {"errors": [], "data": {}}}))
    websocket.messages.append(json.dumps({"type": "failed", "payload": {"message": "Video is too long"}}))
    websocket.messages.append(CLOSE)
    with reddit(replay) as connector:
        with pytest.raises(ContentRejectedError) as refused:
            connector.publish(PublishRequest(text="Roasting day", media=(video,)))
        assert refused.value.reason == "Reddit could not make the video post: Video is too long"
        with pytest.raises(TemporaryFailureError) as unknown:
            connector.publish(PublishRequest(text="Roasting day", media=(video,)))
    assert unknown.value.status is None  # the post may be up: "no answer", never sent again by itself
    assert "did not say whether the video post went up" in str(unknown.value)


def test_the_storage_refusing_the_video_submits_nothing(
    replay: ReplayServer, websocket: WebSocketReplay, tmp_path: Path
) -> None:
    video, _data = video_on_disk(tmp_path)
    replay.add("POST", "/api/media/asset.json", lease(replay, websocket, "v5"))
    replay.add("POST", "/s3", Answer(400, S3_TOO_LARGE, {"Content-Type": "application/xml"}))
    with reddit(replay) as connector, pytest.raises(ContentRejectedError, match=r"roasting\.mp4: Your proposed upload"):
        connector.publish(PublishRequest(text="Roasting day", media=(video,)))
    assert replay.requests_to("POST", "/api/submit") == []


def test_video_limits_are_checked_before_sending(replay: ReplayServer, tmp_path: Path) -> None:
    long = tmp_path / "long.mp4"
    with long.open("wb") as file:
        file.truncate(1024 * 1024 * 1024 + 1)
    long_video = MediaFile(b"", "video/mp4", "long.mp4", path=str(long))
    gif_cover = MediaFile(b"GIF89a", "image/gif", "cover.gif")
    covered, _data = video_on_disk(tmp_path, cover=gif_cover)
    image = MediaFile(one_pixel_png(), "image/png", "b.png")
    cases = [
        (
            PublishRequest(text="Long", media=(long_video,)),
            "long.mp4 is 1073741825 bytes; the limit here is 1073741824",
        ),
        (PublishRequest(text="Two", media=(covered, image)), "A video is posted alone here"),
        (PublishRequest(text="Gif", media=(covered,)), "The cover cover.gif is of type image/gif"),
        (PublishRequest(text="Body\nmore", media=(covered,)), "has a title only"),
    ]
    with RedditConnector(
        base_url=replay.url, credentials={"access_token": "t"}, options={"subreddit": "nordlys"}
    ) as connector:
        for request, reason in cases:
            with pytest.raises(ContentRejectedError) as refused:
                connector.publish(request)
            assert reason in refused.value.reason
            assert refused.value.checked_locally
    assert replay.requests == []
