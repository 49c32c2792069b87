"""Instagram videos (Reels, and videos in carousels) against the replayed Instagram Graph API.

Shapes from developers.facebook.com/docs/instagram-platform/instagram-graph-api/reference/ig-user/media
and the content publishing guide: ``POST /{ig-user-id}/media`` with ``media_type=REELS``,
``video_url``, ``caption``, ``share_to_feed``; carousel videos as ``media_type=VIDEO`` with
``is_carousel_item``; ``GET /{container}?fields=status_code,status`` answering ``IN_PROGRESS``
("In Progress: Media is still being processed."), ``FINISHED`` or ``ERROR`` (with the reason, such as
error 2207026 for an unsupported video); then ``media_publish``.
"""

from __future__ import annotations

import pytest

from pappus.connectors.contracts import MediaFile, PublishRequest
from pappus.connectors.errors import ContentRejectedError, TemporaryFailureError
from pappus.connectors.instagram import client as instagram_client
from pappus.connectors.tests.images import tiny_mp4
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.connectors.tests.test_instagram_replay import IG_USER, MEDIA, form, graph, instagram, photo, quota

IN_PROGRESS = {"status_code": "IN_PROGRESS", "status": "In Progress: Media is still being processed."}


@pytest.fixture(autouse=True)
def no_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(instagram_client, "VIDEO_READY_PAUSE_SECONDS", 0.0)
    monkeypatch.setattr(instagram_client, "CONTAINER_READY_PAUSE_SECONDS", 0.0)


def video(name: str = "harvest.mp4", size: int = 512) -> MediaFile:
    return MediaFile(tiny_mp4(size), "video/mp4", name, source_url=f"https://media.nordlys.example/{name}")


def published(replay: ReplayServer) -> None:
    replay.add("POST", graph(f"{IG_USER}/media_publish"), Answer(200, {"id": MEDIA}))
    replay.add(
        "GET",
        graph(MEDIA),
        Answer(200, {"permalink": "https://www.instagram.com/reel/C9r/", "timestamp": "2026-11-02T10:00:00+0000"}),
    )


def test_a_video_alone_is_a_reel_polled_until_instagram_has_processed_it(replay: ReplayServer) -> None:
    replay.add("GET", graph(f"{IG_USER}/content_publishing_limit"), quota(1))
    replay.add("POST", graph(f"{IG_USER}/media"), Answer(200, {"id": "2001"}))
    for _ in range(3):
        replay.add("GET", graph("2001"), Answer(200, {**IN_PROGRESS, "id": "2001"}))
    replay.add("GET", graph("2001"), Answer(200, {"status_code": "FINISHED", "id": "2001"}))
    published(replay)
    with instagram(replay) as connector:
        result = connector.publish(PublishRequest(text="Høsten i Huila #nordlys", media=(video(),)))
    assert (result.remote_id, result.url) == (MEDIA, "https://www.instagram.com/reel/C9r/")
    assert form(replay.requests_to("POST", graph(f"{IG_USER}/media"))[0]) == {
        "media_type": "REELS",
        "video_url": "https://media.nordlys.example/harvest.mp4",
        "caption": "Høsten i Huila #nordlys",
        "share_to_feed": "true",
    }
    assert len(replay.requests_to("GET", graph("2001"))) == 4
    assert form(replay.requests_to("POST", graph(f"{IG_USER}/media_publish"))[0]) == {"creation_id": "2001"}


def test_a_video_instagram_could_not_process_shows_its_reason_and_is_never_published(replay: ReplayServer) -> None:
    replay.add("GET", graph(f"{IG_USER}/content_publishing_limit"), quota(1))
    replay.add("POST", graph(f"{IG_USER}/media"), Answer(200, {"id": "2002"}))
    replay.add("GET", graph("2002"), Answer(200, {**IN_PROGRESS, "id": "2002"}))
    replay.add(
        "GET",
        graph("2002"),
        Answer(
            200,
            {"status_code": "ERROR", "status": "Error: Media upload has failed with error code 2207026", "id": "2002"},
        ),
    )
    with instagram(replay) as connector, pytest.raises(ContentRejectedError) as refused:
        connector.publish(PublishRequest(text="Reel", media=(video(),)))
    assert "Instagram could not prepare the post: Error: Media upload has failed with error code 2207026" in (
        refused.value.reason
    )
    assert not refused.value.checked_locally
    assert replay.requests_to("POST", graph(f"{IG_USER}/media_publish")) == []


def test_a_video_still_processing_after_the_last_check_is_temporary(
    replay: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(instagram_client, "VIDEO_READY_ATTEMPTS", 3)
    replay.add("GET", graph(f"{IG_USER}/content_publishing_limit"), quota(1))
    replay.add("POST", graph(f"{IG_USER}/media"), Answer(200, {"id": "2003"}))
    replay.add("GET", graph("2003"), Answer(200, {**IN_PROGRESS, "id": "2003"}), always=True)
    with instagram(replay) as connector, pytest.raises(TemporaryFailureError, match="still preparing"):
        connector.publish(PublishRequest(text="Reel", media=(video(),)))
    assert len(replay.requests_to("GET", graph("2003"))) == 3
    assert replay.requests_to("POST", graph(f"{IG_USER}/media_publish")) == []


def test_a_carousel_mixes_videos_and_images(replay: ReplayServer) -> None:
    replay.add("GET", graph(f"{IG_USER}/content_publishing_limit"), quota(1))
    for container in ("3001", "3002", "3003"):
        replay.add("POST", graph(f"{IG_USER}/media"), Answer(200, {"id": container}))
    replay.add("GET", graph("3001"), Answer(200, {**IN_PROGRESS, "id": "3001"}))
    replay.add("GET", graph("3001"), Answer(200, {"status_code": "FINISHED", "id": "3001"}))
    replay.add("GET", graph("3003"), Answer(200, {"status_code": "FINISHED", "id": "3003"}))
    published(replay)
    with instagram(replay) as connector:
        connector.publish(PublishRequest(text="Film og bilde", media=(video("a.mp4"), photo("b.jpg"))))
    containers = [form(entry) for entry in replay.requests_to("POST", graph(f"{IG_USER}/media"))]
    assert containers == [
        {"media_type": "VIDEO", "video_url": "https://media.nordlys.example/a.mp4", "is_carousel_item": "true"},
        {"image_url": "https://media.nordlys.example/b.jpg", "is_carousel_item": "true"},
        {"media_type": "CAROUSEL", "children": "3001,3002", "caption": "Film og bilde"},
    ]


def test_video_limits_are_checked_before_sending(replay: ReplayServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(instagram_client, "MAXIMUM_CAROUSEL_VIDEO_BYTES", 100)
    webm = MediaFile(b"\x1aE\xdf\xa3", "video/webm", "clip.webm", source_url="https://media.nordlys.example/clip.webm")
    unhosted = MediaFile(tiny_mp4(), "video/mp4", "local.mp4")
    with instagram(replay) as connector:
        with pytest.raises(ContentRejectedError) as refused:
            connector.publish(PublishRequest(text="Reel", media=(webm,)))
        assert "clip.webm is of type video/webm" in refused.value.reason
        with pytest.raises(ContentRejectedError) as no_address:
            connector.publish(PublishRequest(text="Reel", media=(unhosted,)))
        assert "Instagram fetches local.mp4 from a public address" in no_address.value.reason
        with pytest.raises(ContentRejectedError, match="a video in an Instagram carousel may have 100"):
            connector.publish(PublishRequest(text="Two", media=(video(size=512), photo())))
    assert replay.requests == []
