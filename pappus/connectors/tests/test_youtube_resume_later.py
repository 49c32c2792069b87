"""A YouTube upload interrupted in one sending attempt is continued by the next one, against a replay
of the resumable protocol (developers.google.com/youtube/v3/guides/using_resumable_upload_protocol):
the session's address is kept (encrypted) under the post's idempotency key, the next attempt asks it
``Content-Range: bytes */TOTAL`` and sends only what is missing; a finished session gives its video;
a session YouTube no longer knows (404) is replaced by a new one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pappus.connectors import services
from pappus.connectors.contracts import MediaFile, PublishRequest
from pappus.connectors.errors import TemporaryFailureError
from pappus.connectors.models import UploadSession
from pappus.connectors.tests.factories import make_account
from pappus.connectors.tests.replay import Answer, Recorded, ReplayServer
from pappus.connectors.youtube import client as youtube_client

CHUNK = 256 * 1024
UPLOAD = "/upload/youtube/v3/videos"
VIDEO_RESOURCE = {"kind": "youtube#video", "id": "vL4t3r0k", "status": {"uploadStatus": "uploaded"}}
BAD_GATEWAY = Answer(502, "<html>Bad Gateway</html>", {"Content-Type": "text/html"})


@pytest.fixture(autouse=True)
def small_chunks_no_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(youtube_client, "UPLOAD_CHUNK_BYTES", CHUNK)
    monkeypatch.setattr(youtube_client, "RESUME_PAUSE_SECONDS", 0.0)
    monkeypatch.setattr(youtube_client, "RESUME_ATTEMPTS", 2)


def video_on_disk(tmp_path: Path, size: int) -> tuple[MediaFile, bytes]:
    data = bytes(index * 11 % 251 for index in range(size))
    path = tmp_path / "harvest.mp4"
    path.write_bytes(data)
    return MediaFile(b"", "video/mp4", "harvest.mp4", path=str(path)), data


def open_session(replay: ReplayServer, upload_id: str = "sess1") -> str:
    address = f"{replay.url}{UPLOAD}?uploadType=resumable&upload_id={upload_id}&part=snippet,status"
    replay.add("POST", UPLOAD, Answer(200, b"", {"Location": address}))
    return address


def chunk_puts(replay: ReplayServer) -> list[Recorded]:
    return [entry for entry in replay.requests_to("PUT", UPLOAD) if "*/" not in entry.headers["Content-Range"]]


def puts(replay: ReplayServer) -> list[tuple[str, str]]:
    """(upload_id, Content-Range) of each PUT, in order."""
    return [
        (entry.query.split("upload_id=")[1].split("&")[0], entry.headers["Content-Range"])
        for entry in replay.requests_to("PUT", UPLOAD)
    ]


def youtube_account(workspace: Any, replay: ReplayServer) -> Any:
    return make_account(
        workspace, base_url=replay.url, network="youtube", handle="Nordlys", credentials={"access_token": "ya29.t"}
    )


def publish(account: Any, video: MediaFile, key: str = "variant-7") -> Any:
    with services.connector_for(account) as connector:
        return connector.publish(PublishRequest(text="Harvest in Huila", media=(video,), idempotency_key=key))


def test_a_later_attempt_sends_only_what_the_first_did_not(
    workspace: Any, replay: ReplayServer, tmp_path: Path
) -> None:
    account = youtube_account(workspace, replay)
    total = 2 * CHUNK
    video, data = video_on_disk(tmp_path, total)
    address = open_session(replay)
    replay.add("PUT", UPLOAD, Answer(308, b"", {"Range": f"bytes=0-{CHUNK - 1}"}))  # chunk 1 arrived
    for _answer in range(3):  # chunk 2 and both status queries: YouTube is failing
        replay.add("PUT", UPLOAD, BAD_GATEWAY)
    with pytest.raises(TemporaryFailureError, match="interrupted 2 times"):
        publish(account, video)
    kept = UploadSession.objects.for_workspace(workspace).get(account=account)
    assert address not in kept.address  # encrypted, like credentials
    assert "variant-7" not in kept.key

    # The next attempt (a new connector, as the scheduler builds one per attempt).
    replay.reset()
    replay.add("PUT", UPLOAD, Answer(308, b"", {"Range": f"bytes=0-{CHUNK + 99}"}))  # a bit of chunk 2 too
    replay.add("PUT", UPLOAD, Answer(201, VIDEO_RESOURCE))
    result = publish(account, video)
    assert result.remote_id == "vL4t3r0k"
    assert replay.requests_to("POST", UPLOAD) == []  # no new session, no second video
    assert puts(replay) == [("sess1", f"bytes */{total}"), ("sess1", f"bytes {CHUNK + 100}-{total - 1}/{total}")]
    assert chunk_puts(replay)[0].body == data[CHUNK + 100 :]
    assert not UploadSession.objects.for_workspace(workspace).filter(account=account).exists()


def test_a_session_the_earlier_attempt_finished_gives_its_video_without_uploading(
    workspace: Any, replay: ReplayServer, tmp_path: Path
) -> None:
    account = youtube_account(workspace, replay)
    video, _data = video_on_disk(tmp_path, CHUNK // 2)
    open_session(replay)
    for _answer in range(3):  # the whole file went, but every answer was lost
        replay.add("PUT", UPLOAD, Answer(close_without_answer=True))
    with pytest.raises(TemporaryFailureError):
        publish(account, video)
    replay.reset()
    replay.add("PUT", UPLOAD, Answer(200, VIDEO_RESOURCE))
    assert publish(account, video).remote_id == "vL4t3r0k"
    assert puts(replay) == [("sess1", f"bytes */{CHUNK // 2}")]  # asked, nothing sent again
    assert not UploadSession.objects.filter(account=account).exists()


def test_a_session_youtube_forgot_is_replaced_and_other_posts_never_share_it(
    workspace: Any, replay: ReplayServer, tmp_path: Path
) -> None:
    account = youtube_account(workspace, replay)
    video, data = video_on_disk(tmp_path, CHUNK)
    open_session(replay, "old")
    for _answer in range(3):
        replay.add("PUT", UPLOAD, BAD_GATEWAY)
    with pytest.raises(TemporaryFailureError):
        publish(account, video)

    # Another post (another key) with the same file opens its own session.
    replay.reset()
    open_session(replay, "other")
    replay.add("PUT", UPLOAD, Answer(201, {**VIDEO_RESOURCE, "id": "vOther"}))
    assert publish(account, video, key="variant-8").remote_id == "vOther"
    assert puts(replay) == [("other", f"bytes 0-{CHUNK - 1}/{CHUNK}")]

    # The first post's session expired at YouTube: a new one, the whole file.
    replay.reset()
    replay.add("PUT", UPLOAD, Answer(404, {"error": {"code": 404, "message": "Not Found"}}))
    open_session(replay, "new")
    replay.add("PUT", UPLOAD, Answer(201, VIDEO_RESOURCE))
    assert publish(account, video).remote_id == "vL4t3r0k"
    assert puts(replay) == [("old", f"bytes */{CHUNK}"), ("new", f"bytes 0-{CHUNK - 1}/{CHUNK}")]
    assert chunk_puts(replay)[0].body == data
    assert not UploadSession.objects.filter(account=account).exists()


def test_without_an_idempotency_key_nothing_is_kept(workspace: Any, replay: ReplayServer, tmp_path: Path) -> None:
    account = youtube_account(workspace, replay)
    video, _data = video_on_disk(tmp_path, CHUNK)
    open_session(replay)
    for _answer in range(3):
        replay.add("PUT", UPLOAD, BAD_GATEWAY)
    with pytest.raises(TemporaryFailureError):
        publish(account, video, key="")
    assert not UploadSession.objects.filter(account=account).exists()
