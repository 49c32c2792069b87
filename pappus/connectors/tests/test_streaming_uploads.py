"""Files handed over by path alone (``MediaFile.path``) streamed by Telegram, VK, Mastodon, Matrix and
Bluesky, against replays of each network's documented upload answers; each network's size limit
checked before anything is sent; and the memory an upload costs measured while it streams.

- Telegram (https://core.telegram.org/bots/api#sending-files): multipart ``video``/``photo``; bots
  upload at most 50 MB.
- VK (https://dev.vk.com/en/method/video.save, photos.getWallUploadServer): the file POSTed as a
  multipart part to the ``upload_url`` VK gives.
- Mastodon (https://docs.joinmastodon.org/methods/media/#v2): ``POST /api/v2/media`` multipart
  ``file``; the instance's ``video_size_limit``; a proxy's 413 for a body over its own ceiling.
- Matrix (client-server API, content repository): ``POST /_matrix/media/v3/upload`` with the raw
  body; ``GET /_matrix/client/v1/media/config`` → ``{"m.upload.size": N}``; 413 ``M_TOO_LARGE``.
- Bluesky (``com.atproto.repo.uploadBlob``): the raw body; 1,000,000 bytes an image.
"""

from __future__ import annotations

import json
import threading
import tracemalloc
from collections.abc import Iterator
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from pappus.connectors import registry
from pappus.connectors.bluesky.client import BlueskyConnector, forget_sessions
from pappus.connectors.contracts import MediaFile, PublishRequest
from pappus.connectors.errors import ContentRejectedError
from pappus.connectors.mastodon.client import MastodonConnector
from pappus.connectors.matrix.client import MatrixConnector
from pappus.connectors.telegram.client import TelegramConnector
from pappus.connectors.tests.replay import Answer, Recorded, ReplayServer
from pappus.connectors.vk.client import VkConnector

BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
CHANNEL = {"id": -1001234567890, "title": "Nordlys news", "username": "nordlys_news", "type": "channel"}
MB = 1024 * 1024


def file_on_disk(tmp_path: Path, name: str, size: int) -> tuple[Path, bytes]:
    data = bytes(index * 13 % 251 for index in range(size))
    path = tmp_path / name
    path.write_bytes(data)
    return path, data


def by_path(path: Path, mime_type: str, description: str = "") -> MediaFile:
    """Only the path, as publishing hands large files to a connector that streams them."""
    return MediaFile(b"", mime_type, path.name, description=description, path=str(path))


def sparse(tmp_path: Path, name: str, size: int) -> Path:
    path = tmp_path / name
    with path.open("wb") as file:
        file.truncate(size)
    return path


def parts(entry: Recorded) -> dict[str, bytes]:
    """The multipart form's fields by name."""
    head = f"Content-Type: {entry.headers['Content-Type']}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + entry.body)
    found: dict[str, bytes] = {}
    for part in message.iter_parts():
        payload = part.get_payload(decode=True)
        assert isinstance(payload, bytes)
        found[str(part.get_param("name", header="content-disposition"))] = payload
    return found


@pytest.mark.parametrize("network", ["telegram", "vk", "mastodon", "matrix", "bluesky"])
def test_the_five_networks_declare_that_they_stream_files(network: str) -> None:
    assert registry.connector_class(network).streams_files is True


# --- Telegram -------------------------------------------------------------------------------------------------


def telegram(replay: ReplayServer) -> TelegramConnector:
    return TelegramConnector(
        base_url=replay.url, credentials={"bot_token": BOT_TOKEN}, options={"chats": "@nordlys_news"}
    )


def test_telegram_sends_a_video_given_by_path(replay: ReplayServer, tmp_path: Path) -> None:
    path, data = file_on_disk(tmp_path, "harvest.mp4", 300_000)
    message = {"message_id": 62, "chat": CHANNEL, "date": 1_793_700_000, "video": {"file_id": "BAAC"}}
    replay.add("POST", f"/bot{BOT_TOKEN}/sendVideo", Answer(200, {"ok": True, "result": message}))
    with telegram(replay) as connector:
        result = connector.publish(PublishRequest(text="Harvest", media=(by_path(path, "video/mp4"),)))
    assert result.url == "https://t.me/nordlys_news/62"
    fields = parts(replay.requests_to("POST", f"/bot{BOT_TOKEN}/sendVideo")[0])
    assert (fields["caption"], fields["video"]) == (b"Harvest", data)


def test_telegram_sends_an_album_of_files_given_by_path(replay: ReplayServer, tmp_path: Path) -> None:
    video, video_data = file_on_disk(tmp_path, "a.mp4", 70_000)
    photo, photo_data = file_on_disk(tmp_path, "b.png", 20_000)
    messages = [{"message_id": 80 + number, "chat": CHANNEL, "date": 1_793_700_000} for number in range(2)]
    replay.add("POST", f"/bot{BOT_TOKEN}/sendMediaGroup", Answer(200, {"ok": True, "result": messages}))
    with telegram(replay) as connector:
        connector.publish(PublishRequest(text="Two", media=(by_path(video, "video/mp4"), by_path(photo, "image/png"))))
    fields = parts(replay.requests_to("POST", f"/bot{BOT_TOKEN}/sendMediaGroup")[0])
    assert (fields["file0"], fields["file1"]) == (video_data, photo_data)


def test_telegram_refuses_a_video_over_50_mb_before_sending(replay: ReplayServer, tmp_path: Path) -> None:
    video = by_path(sparse(tmp_path, "long.mp4", 50 * MB + 1), "video/mp4")
    with telegram(replay) as connector, pytest.raises(ContentRejectedError) as refused:
        connector.publish(PublishRequest(text="Long", media=(video,)))
    assert refused.value.checked_locally
    assert str(refused.value) == f"long.mp4 is {50 * MB + 1} bytes; the limit here is {50 * MB} bytes."
    assert replay.requests == []


def test_telegrams_own_refusal_of_a_large_file_is_content_rejected(replay: ReplayServer, tmp_path: Path) -> None:
    path, _data = file_on_disk(tmp_path, "harvest.mp4", 10_000)
    refusal = {"ok": False, "error_code": 413, "description": "Request Entity Too Large"}
    replay.add("POST", f"/bot{BOT_TOKEN}/sendVideo", Answer(413, refusal))
    with telegram(replay) as connector, pytest.raises(ContentRejectedError, match="Request Entity Too Large"):
        connector.publish(PublishRequest(text="Harvest", media=(by_path(path, "video/mp4"),)))


# --- VK ---------------------------------------------------------------------------------------------------------


def test_vk_uploads_a_video_and_a_photo_given_by_path(replay: ReplayServer, tmp_path: Path) -> None:
    video, video_data = file_on_disk(tmp_path, "harvest.mp4", 200_000)
    photo, photo_data = file_on_disk(tmp_path, "beans.jpg", 30_000)
    saved = {"upload_url": f"{replay.url}/upload/video", "video_id": 456, "owner_id": -77, "access_key": "k"}
    group = {"id": 77, "name": "Nordlys Coffee", "screen_name": "nordlys", "members_count": 2417}
    replay.add(
        "POST", "/method/groups.getById", Answer(200, {"response": {"groups": [group], "profiles": []}}), always=True
    )
    replay.add("POST", "/method/video.save", Answer(200, {"response": saved}))
    replay.add("POST", "/upload/video", Answer(200, {"size": 200_000, "video_id": 456, "owner_id": -77}))
    replay.add(
        "POST",
        "/method/photos.getWallUploadServer",
        Answer(200, {"response": {"upload_url": f"{replay.url}/upload/photo"}}),
    )
    replay.add("POST", "/upload/photo", Answer(200, {"server": 1, "photo": '[{"photo":"x"}]', "hash": "h"}))
    replay.add("POST", "/method/photos.saveWallPhoto", Answer(200, {"response": [{"id": 9, "owner_id": -77}]}))
    replay.add("POST", "/method/wall.post", Answer(200, {"response": {"post_id": 31}}))
    with VkConnector(
        base_url=replay.url, credentials={"access_token": "vk1.a.token"}, options={"group_id": "77"}
    ) as vk:
        result = vk.publish(
            PublishRequest(text="Harvest", media=(by_path(video, "video/mp4"), by_path(photo, "image/jpeg")))
        )
    assert result.remote_id == "-77_31"
    assert parts(replay.requests_to("POST", "/upload/video")[0])["video_file"] == video_data
    assert parts(replay.requests_to("POST", "/upload/photo")[0])["photo"] == photo_data
    attachments = replay.requests_to("POST", "/method/wall.post")[0].body.decode()
    assert "attachments=video-77_456%2Cphoto-77_9" in attachments


def test_vk_refuses_a_photo_over_50_mb_before_sending(replay: ReplayServer, tmp_path: Path) -> None:
    photo = by_path(sparse(tmp_path, "huge.jpg", 50 * MB + 1), "image/jpeg")
    vk = VkConnector(base_url=replay.url, credentials={"access_token": "t"}, options={"group_id": "77"})
    with vk, pytest.raises(ContentRejectedError, match=r"huge\.jpg is 52428801 bytes; the limit here is 52428800"):
        vk.publish(PublishRequest(text="Big", media=(photo,)))
    assert replay.requests == []


# --- Mastodon ---------------------------------------------------------------------------------------------------


def mastodon_instance(video_size_limit: int) -> dict[str, Any]:
    return {
        "uri": "social.example",
        "configuration": {
            "statuses": {"max_characters": 500, "max_media_attachments": 4, "characters_reserved_per_url": 23},
            "media_attachments": {
                "supported_mime_types": ["image/jpeg", "image/png", "video/mp4"],
                "image_size_limit": 16 * MB,
                "video_size_limit": video_size_limit,
            },
        },
    }


def test_mastodon_uploads_a_video_given_by_path(replay: ReplayServer, tmp_path: Path) -> None:
    path, data = file_on_disk(tmp_path, "harvest.mp4", 250_000)
    replay.add("GET", "/api/v1/instance", Answer(200, mastodon_instance(99 * MB)))
    replay.add("POST", "/api/v2/media", Answer(200, {"id": "m1", "type": "video"}))
    replay.add("POST", "/api/v1/statuses", Answer(200, {"id": "s1", "url": "https://social.example/@a/s1"}))
    with MastodonConnector(base_url=replay.url, credentials={"access_token": "t"}) as mastodon:
        result = mastodon.publish(PublishRequest(text="Harvest", media=(by_path(path, "video/mp4", "Beans"),)))
    assert result.remote_id == "s1"
    fields = parts(replay.requests_to("POST", "/api/v2/media")[0])
    assert (fields["file"], fields["description"]) == (data, b"Beans")


def test_mastodon_refuses_a_video_over_the_servers_own_limit_before_sending(
    replay: ReplayServer, tmp_path: Path
) -> None:
    video = by_path(sparse(tmp_path, "long.mp4", 40 * MB + 1), "video/mp4")
    replay.add("GET", "/api/v1/instance", Answer(200, mastodon_instance(40 * MB)))
    with (
        MastodonConnector(base_url=replay.url, credentials={"access_token": "t"}) as mastodon,
        pytest.raises(ContentRejectedError, match=rf"long\.mp4 is {40 * MB + 1} bytes; the limit here is {40 * MB}"),
    ):
        mastodon.publish(PublishRequest(text="Long", media=(video,)))
    assert replay.requests_to("POST", "/api/v2/media") == []


def test_a_proxys_413_on_a_mastodon_upload_is_content_rejected(replay: ReplayServer, tmp_path: Path) -> None:
    path, _data = file_on_disk(tmp_path, "harvest.mp4", 10_000)
    replay.add("GET", "/api/v1/instance", Answer(200, mastodon_instance(99 * MB)))
    page = "<html><body>413 Request Entity Too Large</body></html>"
    replay.add("POST", "/api/v2/media", Answer(413, page, headers={"Content-Type": "text/html"}))
    mastodon = MastodonConnector(base_url=replay.url, credentials={"access_token": "t"})
    with mastodon, pytest.raises(ContentRejectedError, match="HTTP 413 Request Entity Too Large"):
        mastodon.publish(PublishRequest(text="Harvest", media=(by_path(path, "video/mp4"),)))
    assert replay.requests_to("POST", "/api/v1/statuses") == []


# --- Matrix -----------------------------------------------------------------------------------------------------

ROOM = "!nordlys:localhost"
MATRIX_SEND = f"/_matrix/client/v3/rooms/{ROOM.replace('!', '%21').replace(':', '%3A')}/send/m.room.message/"


def matrix(replay: ReplayServer) -> MatrixConnector:
    return MatrixConnector(base_url=replay.url, credentials={"access_token": "syt_token"}, options={"rooms": ROOM})


def test_matrix_streams_a_video_given_by_path_with_its_length(replay: ReplayServer, tmp_path: Path) -> None:
    path, data = file_on_disk(tmp_path, "harvest.mp4", 3 * MB + 17)
    replay.add("GET", "/_matrix/client/v1/media/config", Answer(200, {"m.upload.size": 50 * MB}))
    replay.add("POST", "/_matrix/media/v3/upload", Answer(200, {"content_uri": "mxc://localhost/vid"}))
    replay.add("PUT", MATRIX_SEND + "key-1-media-0", Answer(200, {"event_id": "$video"}))
    with matrix(replay) as connector:
        result = connector.publish(
            PublishRequest(media=(by_path(path, "video/mp4", "Beans"),), idempotency_key="key-1")
        )
    assert result.remote_id.endswith("$video")
    upload = replay.requests_to("POST", "/_matrix/media/v3/upload")[0]
    assert (upload.headers["Content-Length"], upload.headers["Content-Type"]) == (str(len(data)), "video/mp4")
    assert "Transfer-Encoding" not in upload.headers
    assert upload.body == data
    event = replay.requests_to("PUT", MATRIX_SEND + "key-1-media-0")[0]
    assert json.loads(event.body)["msgtype"] == "m.video"


def test_matrix_refuses_a_file_over_the_servers_upload_size_before_sending(
    replay: ReplayServer, tmp_path: Path
) -> None:
    video = by_path(sparse(tmp_path, "long.mp4", 10 * MB + 1), "video/mp4")
    replay.add("GET", "/_matrix/client/v1/media/config", Answer(200, {"m.upload.size": 10 * MB}))
    with (
        matrix(replay) as connector,
        pytest.raises(ContentRejectedError, match=rf"long\.mp4 is {10 * MB + 1} bytes; the limit here is {10 * MB}"),
    ):
        connector.publish(PublishRequest(media=(video,)))
    assert replay.requests_to("POST", "/_matrix/media/v3/upload") == []


def test_matrix_reads_the_old_media_config_when_the_new_one_is_missing(replay: ReplayServer) -> None:
    replay.add("GET", "/_matrix/client/v1/media/config", Answer(404, {"errcode": "M_UNRECOGNIZED"}))
    replay.add("GET", "/_matrix/media/v3/config", Answer(200, {"m.upload.size": 7 * MB}))
    with matrix(replay) as connector:
        assert connector.limits().max_media_bytes == 7 * MB


def test_matrixs_own_m_too_large_names_the_file(replay: ReplayServer, tmp_path: Path) -> None:
    path, _data = file_on_disk(tmp_path, "harvest.mp4", 10_000)
    replay.add("GET", "/_matrix/client/v1/media/config", Answer(200, {}))
    replay.add(
        "POST",
        "/_matrix/media/v3/upload",
        Answer(413, {"errcode": "M_TOO_LARGE", "error": "Upload request body is too large"}),
    )
    with matrix(replay) as connector, pytest.raises(ContentRejectedError) as refused:
        connector.publish(PublishRequest(media=(by_path(path, "video/mp4"),)))
    assert str(refused.value) == (
        "The server refused harvest.mp4 as too large: Upload request body is too large (M_TOO_LARGE)"
    )
    assert refused.value.status == 413


# --- Bluesky ------------------------------------------------------------------------------------------------------


def test_bluesky_streams_an_image_given_by_path(replay: ReplayServer, tmp_path: Path) -> None:
    path, data = file_on_disk(tmp_path, "beans.png", 900_000)
    forget_sessions()
    session = {"did": "did:plc:alice", "handle": "alice.test", "accessJwt": "access", "refreshJwt": "refresh"}
    replay.add("POST", "/xrpc/com.atproto.server.createSession", Answer(200, session))
    blob = {"$type": "blob", "ref": {"$link": "bafkrei"}, "mimeType": "image/png", "size": len(data)}
    replay.add("POST", "/xrpc/com.atproto.repo.uploadBlob", Answer(200, {"blob": blob}))
    replay.add(
        "POST",
        "/xrpc/com.atproto.repo.createRecord",
        Answer(200, {"uri": "at://did:plc:alice/app.bsky.feed.post/3k", "cid": "c"}),
    )
    with BlueskyConnector(
        base_url=replay.url, credentials={"app_password": "abcd-efgh-ijkl-mnop"}, options={"identifier": "alice.test"}
    ) as bluesky:
        bluesky.publish(PublishRequest(text="Beans", media=(by_path(path, "image/png", "Green beans"),)))
    upload = replay.requests_to("POST", "/xrpc/com.atproto.repo.uploadBlob")[0]
    assert (upload.headers["Content-Length"], upload.body) == (str(len(data)), data)


def test_bluesky_refuses_an_image_over_1_000_000_bytes_before_sending(replay: ReplayServer, tmp_path: Path) -> None:
    image = by_path(sparse(tmp_path, "big.png", 1_000_001), "image/png")
    bluesky = BlueskyConnector(
        base_url=replay.url, credentials={"app_password": "abcd-efgh-ijkl-mnop"}, options={"identifier": "alice.test"}
    )
    refusal = r"big\.png is 1000001 bytes; the limit here is 1000000 bytes"
    with bluesky, pytest.raises(ContentRejectedError, match=refusal):
        bluesky.publish(PublishRequest(text="Big", media=(image,)))
    assert replay.requests_to("POST", "/xrpc/com.atproto.repo.uploadBlob") == []


# --- memory -------------------------------------------------------------------------------------------------------


class _Sink:
    """A local server that reads each request body in 64 KiB pieces and throws them away, counting
    the bytes, then answers with the given JSON (so the test's own memory holds no copy)."""

    def __init__(self, answer: bytes) -> None:
        self.received = 0
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                remaining = int(self.headers.get("Content-Length") or 0)
                while remaining:
                    piece = self.rfile.read(min(remaining, 64 * 1024))
                    if not piece:
                        break
                    remaining -= len(piece)
                    sink.received += len(piece)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sink() -> Iterator[_Sink]:
    message = {"message_id": 90, "chat": CHANNEL, "date": 1_793_700_000}
    server = _Sink(b'{"ok": true, "result": %s}' % str(message).replace("'", '"').encode())
    try:
        yield server
    finally:
        server.close()


def test_a_48_mb_video_goes_to_telegram_without_being_held_in_memory(sink: _Sink, tmp_path: Path) -> None:
    size = 48 * MB
    video = by_path(sparse(tmp_path, "long.mp4", size), "video/mp4")
    connector = TelegramConnector(base_url=sink.url, credentials={"bot_token": BOT_TOKEN}, options={"chats": "@n"})
    tracemalloc.start()
    try:
        with connector:
            connector.publish(PublishRequest(text="Long", media=(video,)))
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert sink.received > size  # the whole file and the form around it arrived
    assert peak < 4 * MB, f"peak of traced allocations {peak} bytes while sending {size}"
