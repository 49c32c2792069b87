"""Instagram stories and Reel covers against the replayed Instagram Graph API.

Shapes from developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media
and the content publishing guide: a story is a container with ``media_type=STORIES`` and ``image_url``
or ``video_url`` (no caption: the API takes none for stories), polled like any container and published
with ``media_publish``; a Reel takes ``cover_url`` (a JPEG Instagram fetches) or ``thumb_offset`` (the
frame in milliseconds, ignored when ``cover_url`` is given).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pappus.connectors import registry
from pappus.connectors.contracts import MediaFile, PostKind, PublishRequest
from pappus.connectors.errors import ContentRejectedError
from pappus.connectors.instagram import client as instagram_client
from pappus.connectors.tests.images import one_pixel_png, tiny_mp4
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.connectors.tests.test_instagram_replay import IG_USER, MEDIA, form, graph, instagram, photo, quota

IN_PROGRESS = {"status_code": "IN_PROGRESS", "status": "In Progress: Media is still being processed."}
STORY = "https://www.instagram.com/stories/nordlys/3456/"


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(instagram_client, "VIDEO_READY_PAUSE_SECONDS", 0.0)
    monkeypatch.setattr(instagram_client, "CONTAINER_READY_PAUSE_SECONDS", 0.0)


def video(name: str = "harvest.mp4", **fields: object) -> MediaFile:
    return MediaFile(
        tiny_mp4(512),
        "video/mp4",
        name,
        source_url=f"https://media.nordlys.example/{name}",
        **fields,  # type: ignore[arg-type]
    )


def cover(name: str = "cover.jpg", mime_type: str = "image/jpeg") -> MediaFile:
    return MediaFile(b"\xff\xd8\xff\xe0jpeg", mime_type, name, source_url=f"https://media.nordlys.example/{name}")


def published(replay: ReplayServer, permalink: str) -> None:
    replay.add("POST", graph(f"{IG_USER}/media_publish"), Answer(200, {"id": MEDIA}))
    replay.add("GET", graph(MEDIA), Answer(200, {"permalink": permalink, "timestamp": "2026-11-02T10:00:00+0000"}))


def test_an_image_story_is_a_stories_container_without_a_caption(replay: ReplayServer) -> None:
    replay.add("GET", graph(f"{IG_USER}/content_publishing_limit"), quota(1))
    replay.add("POST", graph(f"{IG_USER}/media"), Answer(200, {"id": "4001"}))
    replay.add("GET", graph("4001"), Answer(200, {"status_code": "FINISHED", "id": "4001"}))
    published(replay, STORY)
    with instagram(replay) as connector:
        result = connector.publish(PublishRequest(media=(photo("beans.jpg"),), kind=PostKind.STORY))
    assert (result.remote_id, result.url) == (MEDIA, STORY)
    assert form(replay.requests_to("POST", graph(f"{IG_USER}/media"))[0]) == {
        "media_type": "STORIES",
        "image_url": "https://media.nordlys.example/beans.jpg",
    }
    assert form(replay.requests_to("POST", graph(f"{IG_USER}/media_publish"))[0]) == {"creation_id": "4001"}


def test_a_video_story_is_polled_until_processed(replay: ReplayServer) -> None:
    replay.add("GET", graph(f"{IG_USER}/content_publishing_limit"), quota(1))
    replay.add("POST", graph(f"{IG_USER}/media"), Answer(200, {"id": "4002"}))
    replay.add("GET", graph("4002"), Answer(200, {**IN_PROGRESS, "id": "4002"}))
    replay.add("GET", graph("4002"), Answer(200, {"status_code": "FINISHED", "id": "4002"}))
    published(replay, STORY)
    with instagram(replay) as connector:
        connector.publish(PublishRequest(media=(video(),), kind=PostKind.STORY))
    assert form(replay.requests_to("POST", graph(f"{IG_USER}/media"))[0]) == {
        "media_type": "STORIES",
        "video_url": "https://media.nordlys.example/harvest.mp4",
    }
    assert len(replay.requests_to("GET", graph("4002"))) == 2


def test_a_story_with_text_two_files_or_a_long_video_is_refused_before_sending(
    replay: ReplayServer, tmp_path: Path
) -> None:
    long = tmp_path / "long.mp4"
    with long.open("wb") as file:
        file.truncate(100 * 1024 * 1024 + 1)
    long_video = MediaFile(b"", "video/mp4", "long.mp4", source_url="https://media.nordlys.example/l", path=str(long))
    with instagram(replay) as connector, pytest.raises(ContentRejectedError) as refused:
        connector.publish(PublishRequest(text="Harvest", media=(photo("a.jpg"), long_video), kind=PostKind.STORY))
    assert refused.value.checked_locally
    assert refused.value.reason == (
        "An Instagram story is one image or one video. "
        "Instagram stories carry no text: remove it, or put it in the image or video. "
        "long.mp4 is 104857601 bytes; a video in an Instagram story may have 104857600."
    )
    assert replay.requests == []


def test_networks_without_stories_refuse_one(replay: ReplayServer) -> None:
    limits = registry.connector_class("mastodon").default_limits
    assert limits is not None
    request = PublishRequest(media=(MediaFile(one_pixel_png(), "image/png", "p.png"),), kind=PostKind.STORY)
    assert limits.problems(request) == ["Stories cannot be published to this network."]


def test_a_reel_takes_its_cover_image(replay: ReplayServer) -> None:
    replay.add("GET", graph(f"{IG_USER}/content_publishing_limit"), quota(1))
    replay.add("POST", graph(f"{IG_USER}/media"), Answer(200, {"id": "4003"}))
    replay.add("GET", graph("4003"), Answer(200, {"status_code": "FINISHED", "id": "4003"}))
    published(replay, "https://www.instagram.com/reel/C9r/")
    with instagram(replay) as connector:
        connector.publish(PublishRequest(text="Harvest", media=(video(cover=cover(), thumbnail_offset_ms=2500),)))
    assert form(replay.requests_to("POST", graph(f"{IG_USER}/media"))[0]) == {
        "media_type": "REELS",
        "video_url": "https://media.nordlys.example/harvest.mp4",
        "caption": "Harvest",
        "share_to_feed": "true",
        "cover_url": "https://media.nordlys.example/cover.jpg",  # thumb_offset is ignored beside a cover
    }


def test_a_reel_takes_a_cover_frame(replay: ReplayServer) -> None:
    replay.add("GET", graph(f"{IG_USER}/content_publishing_limit"), quota(1))
    replay.add("POST", graph(f"{IG_USER}/media"), Answer(200, {"id": "4004"}))
    replay.add("GET", graph("4004"), Answer(200, {"status_code": "FINISHED", "id": "4004"}))
    published(replay, "https://www.instagram.com/reel/C9s/")
    with instagram(replay) as connector:
        connector.publish(PublishRequest(text="Harvest", media=(video(thumbnail_offset_ms=2500),)))
    assert form(replay.requests_to("POST", graph(f"{IG_USER}/media"))[0])["thumb_offset"] == "2500"


def test_a_wrong_cover_is_refused_before_sending(replay: ReplayServer) -> None:
    no_address = MediaFile(b"\xff\xd8", "image/jpeg", "hidden.jpg")
    cases = [
        (
            PublishRequest(text="x", media=(video(cover=cover("c.png", "image/png")),)),
            "The cover c.png is of type image/png; Instagram takes JPEG covers.",
        ),
        (
            PublishRequest(text="x", media=(video(cover=no_address),)),
            "Instagram fetches hidden.jpg from a public address, and this file has none",
        ),
        (
            PublishRequest(text="x", media=(video("a.mp4", cover=cover()), photo("b.jpg"))),
            "a.mp4 has a cover, which Instagram shows only on a Reel (a video posted alone).",
        ),
    ]
    with instagram(replay) as connector:
        for request, reason in cases:
            with pytest.raises(ContentRejectedError) as refused:
                connector.publish(request)
            assert reason in refused.value.reason
            assert refused.value.checked_locally
    assert replay.requests == []
