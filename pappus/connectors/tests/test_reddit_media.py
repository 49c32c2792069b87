"""Reddit image posts and galleries against local servers replaying Reddit's media upload.

The flow is what Reddit's own clients and PRAW do (``praw/models/reddit/subreddit.py``:
``_upload_media``, ``_submit_media``, ``submit_gallery``): ``POST /api/media/asset.json`` with
``filepath`` and ``mimetype`` answers ``{"args": {"action": "//reddit-uploaded-media.s3-accelerate.amazonaws.com",
"fields": [{"name", "value"}, ...]}, "asset": {"asset_id", "websocket_url", ...}}``; the file goes to
the action as an S3 POST form (``201`` with ``<PostResponse><Location>…``, or S3's ``<Error>``);
``/api/submit`` with ``kind=image`` answers ``json.data.websocket_url``, where Reddit sends
``{"type": "success", "payload": {"redirect": "https://www.reddit.com/r/…/comments/<id>/…/"}}`` or
``{"type": "failed"}``; ``/api/submit_gallery_post.json`` (a JSON body with ``items`` of
``caption``, ``outbound_url``, ``media_id``) answers ``{"json": {"errors": [], "data": {"id", "url"}}}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qs

import pytest

from pappus.connectors.contracts import Capability, MediaFile, PublishRequest
from pappus.connectors.errors import AuthExpiredError, ContentRejectedError, TemporaryFailureError
from pappus.connectors.reddit.client import RedditConnector
from pappus.connectors.tests.images import one_pixel_png
from pappus.connectors.tests.replay import Answer, Recorded, ReplayServer
from pappus.connectors.tests.websocket_replay import CLOSE, WebSocketReplay

S3_OK = (
    "<?xml version='1.0' encoding='UTF-8'?><PostResponse><Location>{location}</Location><Key>{key}</Key></PostResponse>"
)
S3_TOO_LARGE = (
    "<?xml version='1.0' encoding='UTF-8'?><Error><Code>EntityTooLarge</Code>"
    "<Message>Your proposed upload exceeds the maximum allowed size</Message></Error>"
)


@pytest.fixture
def websocket() -> Iterator[WebSocketReplay]:
    server = WebSocketReplay()
    try:
        yield server
    finally:
        server.close()


def reddit(replay: ReplayServer) -> RedditConnector:
    return RedditConnector(
        base_url=replay.url, credentials={"access_token": "reddit-token"}, options={"subreddit": "nordlys"}
    )


def lease(replay: ReplayServer, websocket: WebSocketReplay, asset_id: str) -> Answer:
    host = replay.url.removeprefix("http:")
    return Answer(
        200,
        {
            "args": {
                "action": f"{host}/s3",
                "fields": [
                    {"name": "acl", "value": "private"},
                    {"name": "key", "value": f"rte_images/{asset_id}"},
                    {"name": "Content-Type", "value": "image/png"},
                    {"name": "policy", "value": "eyJleHBpcmF0aW9uIjogIjIwMjYifQ=="},
                    {"name": "success_action_status", "value": "201"},
                ],
            },
            "asset": {
                "asset_id": asset_id,
                "processing_state": "incomplete",
                "payload": {"filepath": "beans.png"},
                "websocket_url": websocket.url(f"/rte_images/{asset_id}"),
            },
        },
    )


def stored(replay: ReplayServer, asset_id: str) -> Answer:
    location = f"{replay.url}/s3/rte_images/{asset_id}"
    return Answer(
        201, S3_OK.format(location=location, key=f"rte_images/{asset_id}"), {"Content-Type": "application/xml"}
    )


def multipart(entry: Recorded) -> dict[str, tuple[str | None, bytes]]:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + entry.headers["Content-Type"].encode() + b"\r\n\r\n" + entry.body
    )
    parts = {}
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        parts[str(part.get_param("name", header="content-disposition"))] = (part.get_filename(), payload)
    return parts


def form(entry: Recorded) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(entry.body.decode()).items()}


def png(name: str, description: str = "") -> MediaFile:
    return MediaFile(one_pixel_png(), "image/png", filename=name, description=description)


def test_reddit_declares_images(replay: ReplayServer) -> None:
    assert Capability.MEDIA in RedditConnector.capabilities
    limits = RedditConnector.default_limits
    assert limits is not None
    assert (limits.max_media, limits.max_media_bytes) == (20, 20 * 1024 * 1024)


def test_an_image_post_leases_an_upload_sends_the_form_and_learns_its_id_through_the_websocket(
    replay: ReplayServer, websocket: WebSocketReplay
) -> None:
    replay.add("POST", "/api/media/asset.json", lease(replay, websocket, "a1b2c3"))
    replay.add("POST", "/s3", stored(replay, "a1b2c3"))
    replay.add(
        "POST",
        "/api/submit",
        Answer(200, {"json": {"errors": [], "data": {"websocket_url": websocket.url("/rte_images/a1b2c3")}}}),
    )
    websocket.messages.append(
        json.dumps(
            {
                "type": "success",
                "payload": {"redirect": "https://www.reddit.com/r/nordlys/comments/1xyz9/winter_blend/"},
            }
        )
    )
    websocket.ping_first = True
    with reddit(replay) as connector:
        result = connector.publish(PublishRequest(text="Winter blend is back", media=(png("beans.png", "Beans"),)))
    assert result.remote_id == "t3_1xyz9"
    assert result.url == "https://www.reddit.com/r/nordlys/comments/1xyz9/winter_blend/"
    asked = replay.requests_to("POST", "/api/media/asset.json")[0]
    assert form(asked) == {"filepath": "beans.png", "mimetype": "image/png"}
    upload = replay.requests_to("POST", "/s3")[0]
    assert "Authorization" not in upload.headers  # Reddit's token never goes to the storage
    parts = multipart(upload)
    assert parts["key"][1] == b"rte_images/a1b2c3"
    assert parts["policy"][1] == b"eyJleHBpcmF0aW9uIjogIjIwMjYifQ=="
    assert parts["file"] == ("beans.png", one_pixel_png())
    assert list(parts)[-1] == "file"  # S3 wants the file after the policy fields
    submitted = form(replay.requests_to("POST", "/api/submit")[0])
    assert (submitted["kind"], submitted["sr"], submitted["title"]) == ("image", "nordlys", "Winter blend is back")
    assert submitted["url"] == f"{replay.url}/s3/rte_images/a1b2c3"
    assert websocket.paths == ["/rte_images/a1b2c3"]


def test_a_message_split_over_frames_is_read_whole(replay: ReplayServer, websocket: WebSocketReplay) -> None:
    replay.add("POST", "/api/media/asset.json", lease(replay, websocket, "d4"))
    replay.add("POST", "/s3", stored(replay, "d4"))
    replay.add("POST", "/api/submit", Answer(200, {"json": {"errors": [], "data": {}}}))
    websocket.split = True
    websocket.messages.append(
        json.dumps({"type": "success", "payload": {"redirect": "https://www.reddit.com/r/nordlys/comments/d4p/x/"}})
    )
    with reddit(replay) as connector:
        # The submit answer gave no WebSocket address: the lease's is used.
        assert connector.publish(PublishRequest(text="Beans", media=(png("b.png"),))).remote_id == "t3_d4p"


def test_a_failed_image_post_shows_reddits_words_and_a_silent_websocket_is_no_answer(
    replay: ReplayServer, websocket: WebSocketReplay
) -> None:
    for asset in ("f1", "f2"):
        replay.add("POST", "/api/media/asset.json", lease(replay, websocket, asset))
        replay.add("POST", "/s3", stored(replay, asset))
        replay.add("POST", "/api/submit", Answer(200, {"json": {"errors": [], "data": {}}}))
    websocket.messages.append(json.dumps({"type": "failed", "payload": {"message": "Image could not be processed"}}))
    websocket.messages.append(CLOSE)
    with reddit(replay) as connector:
        with pytest.raises(ContentRejectedError) as refused:
            connector.publish(PublishRequest(text="Beans", media=(png("b.png"),)))
        assert "Image could not be processed" in refused.value.reason
        assert not refused.value.checked_locally
        # The post may be up: not a refusal, not a status, so publishing treats it as "no answer".
        with pytest.raises(TemporaryFailureError) as unknown:
            connector.publish(PublishRequest(text="Beans", media=(png("b.png"),)))
    assert unknown.value.status is None
    assert "did not say whether the image post went up" in str(unknown.value)


def test_the_storage_refusing_the_file_is_shown_and_nothing_is_submitted(
    replay: ReplayServer, websocket: WebSocketReplay
) -> None:
    replay.add("POST", "/api/media/asset.json", lease(replay, websocket, "big"))
    replay.add("POST", "/s3", Answer(400, S3_TOO_LARGE, {"Content-Type": "application/xml"}))
    replay.add("POST", "/api/media/asset.json", lease(replay, websocket, "slow"))
    replay.add(
        "POST",
        "/s3",
        Answer(503, "<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"),
    )
    with reddit(replay) as connector:
        with pytest.raises(ContentRejectedError, match="exceeds the maximum allowed size"):
            connector.publish(PublishRequest(text="Beans", media=(png("b.png"),)))
        with pytest.raises(TemporaryFailureError, match="reduce your request rate"):
            connector.publish(PublishRequest(text="Beans", media=(png("b.png"),)))
    assert replay.requests_to("POST", "/api/submit") == []


def test_an_expired_token_at_the_lease_is_a_reconnect(replay: ReplayServer, websocket: WebSocketReplay) -> None:
    replay.add("POST", "/api/media/asset.json", Answer(401, {"message": "Unauthorized", "error": 401}))
    with reddit(replay) as connector, pytest.raises(AuthExpiredError):
        connector.publish(PublishRequest(text="Beans", media=(png("b.png"),)))
    assert replay.requests_to("POST", "/s3") == []


def test_a_gallery_uploads_each_image_and_posts_them_with_captions(
    replay: ReplayServer, websocket: WebSocketReplay
) -> None:
    for asset in ("g1", "g2"):
        replay.add("POST", "/api/media/asset.json", lease(replay, websocket, asset))
        replay.add("POST", "/s3", stored(replay, asset))
    replay.add(
        "POST",
        "/api/submit_gallery_post.json",
        Answer(200, {"json": {"errors": [], "data": {"id": "t3_gal7", "url": "https://www.reddit.com/gallery/gal7"}}}),
    )
    with reddit(replay) as connector:
        result = connector.publish(
            PublishRequest(text="Harvest 2026", media=(png("one.png", "Cherries"), png("two.png", "Drying beds")))
        )
    assert (result.remote_id, result.url) == ("t3_gal7", "https://www.reddit.com/gallery/gal7")
    sent: dict[str, Any] = json.loads(replay.requests_to("POST", "/api/submit_gallery_post.json")[0].body)
    assert (sent["sr"], sent["title"], sent["api_type"]) == ("nordlys", "Harvest 2026", "json")
    assert sent["items"] == [
        {"caption": "Cherries", "outbound_url": "", "media_id": "g1"},
        {"caption": "Drying beds", "outbound_url": "", "media_id": "g2"},
    ]
    assert websocket.paths == []  # a gallery's answer names the post; no WebSocket needed


def test_a_gallery_refused_inside_a_200_answer_and_limits_before_sending(
    replay: ReplayServer, websocket: WebSocketReplay
) -> None:
    for asset in ("h1", "h2"):
        replay.add("POST", "/api/media/asset.json", lease(replay, websocket, asset))
        replay.add("POST", "/s3", stored(replay, asset))
    replay.add(
        "POST",
        "/api/submit_gallery_post.json",
        Answer(200, {"json": {"errors": [["NO_IMAGES", "This community doesn't allow images", "sr"]]}}),
    )
    with reddit(replay) as connector:
        with pytest.raises(ContentRejectedError) as refused:
            connector.publish(PublishRequest(text="Harvest", media=(png("a.png"), png("b.png"))))
        assert refused.value.reason == "This community doesn't allow images"
        replay.reset()
        with pytest.raises(ContentRejectedError) as local:
            connector.publish(PublishRequest(text="Harvest\nA body", media=(png("a.png", "x" * 181), png("b.png"))))
        assert local.value.checked_locally
        assert "title only" in local.value.reason
        assert "a gallery caption may have 180" in local.value.reason
        with pytest.raises(ContentRejectedError, match="at most 20 are allowed"):
            connector.publish(PublishRequest(text="Harvest", media=tuple(png(f"{n}.png") for n in range(21))))
    assert replay.requests == []
