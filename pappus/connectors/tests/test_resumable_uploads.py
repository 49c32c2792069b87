"""Resumable video uploads streamed from disk: YouTube resuming an interrupted chunk, Facebook Page
videos through upload sessions, against local servers replaying the documented answers.

YouTube (developers.google.com/youtube/v3/guides/using_resumable_upload_protocol): chunks are PUT
with ``Content-Range: bytes FIRST-LAST/TOTAL``; the session answers ``308 Resume Incomplete`` with
``Range: bytes=0-LAST`` until the last chunk gives ``200``/``201`` and the video. After an
interruption the client PUTs nothing with ``Content-Range: bytes */TOTAL`` and goes on from what
``Range`` says; ``404`` means the session is gone. Facebook (developers.facebook.com/docs/video-api,
"Resumable upload" on ``/{page-id}/videos``): ``upload_phase=start`` with ``file_size`` answers
``video_id``, ``upload_session_id`` and the first ``start_offset``/``end_offset``; each
``upload_phase=transfer`` sends ``video_file_chunk`` from ``start_offset`` and answers the next range;
``upload_phase=finish`` with the description answers ``{"success": true}``.
"""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path

import pytest

from pappus.connectors import registry
from pappus.connectors.contracts import MediaFile, PublishRequest
from pappus.connectors.errors import AuthExpiredError, TemporaryFailureError
from pappus.connectors.facebook import client as facebook_client
from pappus.connectors.tests.replay import Answer, Recorded, ReplayServer
from pappus.connectors.youtube import client as youtube_client
from pappus.connectors.youtube.client import YouTubeConnector

CHUNK = 256 * 1024
UPLOAD = "/upload/youtube/v3/videos"
VIDEO_RESOURCE = {"kind": "youtube#video", "id": "vR3sum3d0k", "status": {"uploadStatus": "uploaded"}}


@pytest.fixture(autouse=True)
def small_chunks_no_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(youtube_client, "UPLOAD_CHUNK_BYTES", CHUNK)
    monkeypatch.setattr(youtube_client, "RESUME_PAUSE_SECONDS", 0.0)
    monkeypatch.setattr(facebook_client, "TRANSFER_PAUSE_SECONDS", 0.0)


def video_on_disk(tmp_path: Path, size: int) -> tuple[MediaFile, bytes]:
    data = bytes(index * 7 % 251 for index in range(size))
    path = tmp_path / "harvest.mp4"
    path.write_bytes(data)
    # Only the path: the connector reads the file a chunk at a time.
    return MediaFile(b"", "video/mp4", "harvest.mp4", path=str(path)), data


def youtube(replay: ReplayServer) -> YouTubeConnector:
    return YouTubeConnector(base_url=replay.url, credentials={"access_token": "ya29.token"})


def open_session(replay: ReplayServer) -> None:
    address = f"{replay.url}{UPLOAD}?uploadType=resumable&upload_id=sess9&part=snippet,status"
    replay.add("POST", UPLOAD, Answer(200, b"", {"Location": address}))


def resume_incomplete(last: int | None) -> Answer:
    return Answer(308, b"", {"Range": f"bytes=0-{last}"} if last is not None else {})


def chunk_puts(replay: ReplayServer) -> list[Recorded]:
    return [entry for entry in replay.requests_to("PUT", UPLOAD) if "*/" not in entry.headers["Content-Range"]]


def status_queries(replay: ReplayServer) -> list[Recorded]:
    return [entry for entry in replay.requests_to("PUT", UPLOAD) if "*/" in entry.headers["Content-Range"]]


def test_youtube_resumes_an_interrupted_chunk_from_where_the_session_says(replay: ReplayServer, tmp_path: Path) -> None:
    total = 3 * CHUNK + 1000
    video, data = video_on_disk(tmp_path, total)
    open_session(replay)
    replay.add("PUT", UPLOAD, resume_incomplete(CHUNK - 1))  # chunk 1 arrived
    replay.add("PUT", UPLOAD, Answer(close_without_answer=True))  # chunk 2: the connection broke
    replay.add("PUT", UPLOAD, resume_incomplete(CHUNK + CHUNK // 2 - 1))  # status: half of chunk 2 arrived
    replay.add("PUT", UPLOAD, resume_incomplete(2 * CHUNK + CHUNK // 2 - 1))
    replay.add("PUT", UPLOAD, Answer(503, {"error": {"code": 503, "message": "Backend Error"}}))  # the last chunk
    replay.add("PUT", UPLOAD, resume_incomplete(2 * CHUNK + CHUNK // 2 - 1))  # status: none of it arrived
    replay.add("PUT", UPLOAD, Answer(201, VIDEO_RESOURCE))
    with youtube(replay) as connector:
        result = connector.publish(PublishRequest(text="Harvest in Huila", media=(video,)))
    assert result.remote_id == "vR3sum3d0k"
    opened = replay.requests_to("POST", UPLOAD)[0]
    assert opened.headers["X-Upload-Content-Length"] == str(total)
    ranges = [entry.headers["Content-Range"] for entry in chunk_puts(replay)]
    assert ranges == [
        f"bytes 0-{CHUNK - 1}/{total}",
        f"bytes {CHUNK}-{2 * CHUNK - 1}/{total}",
        f"bytes {CHUNK + CHUNK // 2}-{2 * CHUNK + CHUNK // 2 - 1}/{total}",  # resumed inside chunk 2
        f"bytes {2 * CHUNK + CHUNK // 2}-{total - 1}/{total}",
        f"bytes {2 * CHUNK + CHUNK // 2}-{total - 1}/{total}",  # sent again after the 503
    ]
    for entry in chunk_puts(replay):
        first, last = (int(number) for number in entry.headers["Content-Range"].split()[1].split("/")[0].split("-"))
        assert entry.body == data[first : last + 1]
        assert len(entry.body) <= CHUNK
    queries = status_queries(replay)
    assert [(entry.headers["Content-Range"], entry.body) for entry in queries] == [(f"bytes */{total}", b"")] * 2
    assert all(entry.headers["Authorization"] == "Bearer ya29.token" for entry in replay.requests_to("PUT", UPLOAD))


def test_youtube_status_query_may_find_the_upload_complete(replay: ReplayServer, tmp_path: Path) -> None:
    video, _data = video_on_disk(tmp_path, CHUNK // 2)
    open_session(replay)
    replay.add("PUT", UPLOAD, Answer(close_without_answer=True))  # the answer to the whole file was lost
    replay.add("PUT", UPLOAD, Answer(200, VIDEO_RESOURCE))
    with youtube(replay) as connector:
        assert connector.publish(PublishRequest(text="Harvest", media=(video,))).remote_id == "vR3sum3d0k"
    assert len(chunk_puts(replay)) == 1  # the file was not sent twice


def test_youtube_gives_up_after_repeated_interruptions_and_on_a_lost_session(
    replay: ReplayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(youtube_client, "RESUME_ATTEMPTS", 2)
    video, _data = video_on_disk(tmp_path, CHUNK * 2)
    open_session(replay)
    replay.add("PUT", UPLOAD, Answer(502, "<html>Bad Gateway</html>", {"Content-Type": "text/html"}), always=True)
    with youtube(replay) as connector, pytest.raises(TemporaryFailureError, match="interrupted 2 times") as failed:
        connector.publish(PublishRequest(text="Harvest", media=(video,)))
    assert failed.value.status is None
    assert len(status_queries(replay)) == 2
    replay.reset()
    open_session(replay)
    replay.add("PUT", UPLOAD, Answer(close_without_answer=True))
    replay.add("PUT", UPLOAD, Answer(404, {"error": {"code": 404, "message": "Not Found"}}))
    with youtube(replay) as connector, pytest.raises(TemporaryFailureError, match="upload session is gone"):
        connector.publish(PublishRequest(text="Harvest", media=(video,)))
    replay.reset()
    open_session(replay)
    expired = {"error": {"code": 401, "message": "Invalid Credentials", "errors": [{"reason": "authError"}]}}
    replay.add("PUT", UPLOAD, Answer(401, expired))
    with youtube(replay) as connector, pytest.raises(AuthExpiredError):
        connector.publish(PublishRequest(text="Harvest", media=(video,)))


# --- Facebook Pages: upload sessions ------------------------------------------------------------------------

VIDEOS = "/v21.0/101/videos"


def parts(entry: Recorded) -> dict[str, bytes]:
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + entry.headers["Content-Type"].encode() + b"\r\n\r\n" + entry.body
    )
    found = {}
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        found[str(part.get_param("name", header="content-disposition"))] = payload
    return found


def offsets(start: int, end: int) -> Answer:
    return Answer(200, {"start_offset": str(start), "end_offset": str(end)})


def test_facebook_streams_a_large_video_through_an_upload_session(replay: ReplayServer, tmp_path: Path) -> None:
    mib = 1024 * 1024
    total = 2 * mib + 500_000
    video, data = video_on_disk(tmp_path, total)
    transient = {
        "error": {
            "message": "An unexpected error has occurred. Please retry your request later.",
            "type": "OAuthException",
            "is_transient": True,
            "code": 2,
        }
    }
    replay.add(
        "POST",
        VIDEOS,
        Answer(200, {"video_id": "55501", "upload_session_id": "2918", "start_offset": "0", "end_offset": str(mib)}),
    )
    replay.add("POST", VIDEOS, offsets(mib, 2 * mib))
    replay.add("POST", VIDEOS, Answer(500, transient))  # the second chunk fails once, then goes
    replay.add("POST", VIDEOS, offsets(2 * mib, total))
    replay.add("POST", VIDEOS, offsets(total, total))
    replay.add("POST", VIDEOS, Answer(200, {"success": True}))
    with registry.build(
        "facebook", base_url=replay.url, credentials={"access_token": "EAApage"}, options={"page_id": "101"}
    ) as connector:
        result = connector.publish(PublishRequest(text="Harvest in Huila", media=(video,)))
    assert (result.remote_id, result.url) == ("55501", "https://www.facebook.com/101/videos/55501")
    sent = replay.requests_to("POST", VIDEOS)
    start = dict(item.split("=", 1) for item in sent[0].body.decode().split("&"))
    assert start == {"upload_phase": "start", "file_size": str(total)}
    transfers = [parts(entry) for entry in sent[1:5]]
    assert [part["start_offset"] for part in transfers] == [
        b"0",
        str(mib).encode(),
        str(mib).encode(),
        str(2 * mib).encode(),
    ]
    assert all(part["upload_phase"] == b"transfer" and part["upload_session_id"] == b"2918" for part in transfers)
    assert transfers[0]["video_file_chunk"] == data[:mib]
    assert transfers[2]["video_file_chunk"] == data[mib : 2 * mib]
    assert transfers[3]["video_file_chunk"] == data[2 * mib :]
    finish = dict(item.split("=", 1) for item in sent[5].body.decode().split("&"))
    assert (finish["upload_phase"], finish["upload_session_id"]) == ("finish", "2918")
    assert "Harvest" in finish["description"]


def test_facebook_uses_a_session_above_one_gigabyte_and_gives_up_after_repeated_failures(
    replay: ReplayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(facebook_client, "NON_RESUMABLE_VIDEO_BYTES", 100)
    monkeypatch.setattr(facebook_client, "TRANSFER_ATTEMPTS", 2)
    video = MediaFile(bytes(300), "video/mp4", "in-memory.mp4")  # in memory, but above the ceiling
    replay.add(
        "POST",
        VIDEOS,
        Answer(200, {"video_id": "55502", "upload_session_id": "2919", "start_offset": "0", "end_offset": "300"}),
    )
    replay.add(
        "POST", VIDEOS, Answer(503, "<html>Service Unavailable</html>", {"Content-Type": "text/html"}), always=True
    )
    with (
        registry.build(
            "facebook", base_url=replay.url, credentials={"access_token": "EAApage"}, options={"page_id": "101"}
        ) as connector,
        pytest.raises(TemporaryFailureError),
    ):
        connector.publish(PublishRequest(text="Harvest", media=(video,)))
    sent = replay.requests_to("POST", VIDEOS)
    assert len(sent) == 3  # start and two tries of the chunk; never a finish
    assert all(b"finish" not in entry.body for entry in sent)
