"""The Matrix connector against a real Synapse homeserver (matrix.sh): rooms, replies, redactions."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from pappus.connectors import registry, services
from pappus.connectors.base import Connector
from pappus.connectors.contracts import InboundKind, MediaFile, PublishRequest
from pappus.connectors.errors import AuthExpiredError, ContentRejectedError, NotFoundError
from pappus.connectors.matrix.mapping import split_remote_id
from pappus.connectors.models import AccountStatus
from pappus.connectors.tests.images import one_pixel_png, tiny_mp4
from pappus.core.audit import Actor
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member

CLIENT = "/_matrix/client/v3"


def raw(peer: dict[str, str], user: str) -> httpx.Client:
    """A plain client for setting up rooms and reading back what the connector did."""
    return httpx.Client(
        base_url=peer["MATRIX_BASE_URL"],
        headers={"Authorization": f"Bearer {peer[f'MATRIX_{user}_TOKEN']}"},
        timeout=10,
    )


@pytest.fixture(scope="session")
def room(matrix_peer: dict[str, str]) -> str:
    """A private room of alice's that bob has joined."""
    with raw(matrix_peer, "ALICE") as alice, raw(matrix_peer, "BOB") as bob:
        created = alice.post(
            f"{CLIENT}/createRoom",
            json={"name": f"Pappus {uuid.uuid4().hex[:6]}", "invite": [matrix_peer["MATRIX_BOB_USER_ID"]]},
        )
        created.raise_for_status()
        room_id = str(created.json()["room_id"])
        bob.post(f"{CLIENT}/rooms/{quote(room_id)}/join", json={}).raise_for_status()
    return room_id


def matrix(peer: dict[str, str], user: str, room: str, token: str | None = None) -> Connector:
    return registry.build(
        "matrix",
        base_url=peer["MATRIX_BASE_URL"],
        credentials={"access_token": token or peer[f"MATRIX_{user}_TOKEN"]},
        options={"rooms": room},
    )


@pytest.fixture
def alice(matrix_peer: dict[str, str], room: str) -> Iterator[Connector]:
    with matrix(matrix_peer, "ALICE", room) as connector:
        yield connector


@pytest.fixture
def bob(matrix_peer: dict[str, str], room: str) -> Iterator[Connector]:
    with matrix(matrix_peer, "BOB", room) as connector:
        yield connector


def event(peer: dict[str, str], remote_id: str) -> dict[str, Any]:
    room_id, event_id = split_remote_id(remote_id)
    with raw(peer, "BOB") as bob:
        answer = bob.get(f"{CLIENT}/rooms/{quote(room_id)}/event/{quote(event_id)}")
        answer.raise_for_status()
        return dict(answer.json())


def test_account_info_and_room_members(matrix_peer: dict[str, str], alice: Connector) -> None:
    info = alice.account_info()
    assert (info.remote_id, info.handle, info.display_name) == (
        matrix_peer["MATRIX_ALICE_USER_ID"],
        "@alice:localhost",
        "alice",
    )
    assert alice.account_metrics().followers == 2


def test_a_refused_token_means_reconnect(matrix_peer: dict[str, str], room: str) -> None:
    with (
        matrix(matrix_peer, "ALICE", room, token="syt_not_a_token") as connector,
        pytest.raises(
            AuthExpiredError, match=r"Matrix refused the token: Invalid access token passed. \(M_UNKNOWN_TOKEN\)"
        ),
    ):
        connector.account_info()


def test_publish_is_exactly_once_per_idempotency_key(matrix_peer: dict[str, str], alice: Connector, room: str) -> None:
    key = uuid.uuid4().hex
    first = alice.publish(
        PublishRequest(text="Opening hours change on Monday", link="https://example.org/hours", idempotency_key=key)
    )
    again = alice.publish(
        PublishRequest(text="Opening hours change on Monday", link="https://example.org/hours", idempotency_key=key)
    )
    assert first.remote_id == again.remote_id
    assert first.remote_id.startswith(f"{room}/$")
    assert first.url.startswith("https://matrix.to/#/")
    stored = event(matrix_peer, first.remote_id)
    assert (stored["sender"], stored["content"]) == (
        "@alice:localhost",
        {"msgtype": "m.text", "body": "Opening hours change on Monday\n\nhttps://example.org/hours"},
    )


def test_an_image_is_uploaded_and_posted(matrix_peer: dict[str, str], alice: Connector) -> None:
    image = MediaFile(one_pixel_png(), "image/png", "pixel.png", description="A green pixel")
    result = alice.publish(PublishRequest(text="With a picture", media=(image,)))
    room_id = result.raw["room_id"]
    image_event = event(matrix_peer, f"{room_id}/{result.raw['event_ids'][1]}")
    content = image_event["content"]
    assert (content["msgtype"], content["body"], content["info"]) == (
        "m.image",
        "A green pixel",
        {"mimetype": "image/png", "size": len(image.content)},
    )
    server_name, media_id = content["url"].removeprefix("mxc://").split("/", 1)
    with raw(matrix_peer, "BOB") as bob:
        downloaded = bob.get(f"/_matrix/client/v1/media/download/{server_name}/{media_id}")
    assert downloaded.content == image.content


def test_a_video_given_by_path_is_streamed_and_the_servers_upload_size_is_read(
    matrix_peer: dict[str, str], alice: Connector, tmp_path: Path
) -> None:
    """Synapse states its ``max_upload_size`` (50 MiB by default) as ``m.upload.size``; a file handed over
    by path alone is sent from disk and comes back byte for byte as an ``m.video``."""
    assert alice.limits().max_media_bytes == 50 * 1024 * 1024
    path = tmp_path / "roastery.mp4"
    path.write_bytes(tiny_mp4(3 * 1024 * 1024 + 5))
    video = MediaFile(b"", "video/mp4", "roastery.mp4", description="Beans in the roaster", path=str(path))
    result = alice.publish(PublishRequest(media=(video,)))
    content = event(matrix_peer, result.remote_id)["content"]
    assert (content["msgtype"], content["info"]) == ("m.video", {"mimetype": "video/mp4", "size": video.size})
    server_name, media_id = content["url"].removeprefix("mxc://").split("/", 1)
    with raw(matrix_peer, "BOB") as bob:
        downloaded = bob.get(f"/_matrix/client/v1/media/download/{server_name}/{media_id}")
    assert downloaded.content == path.read_bytes()
    too_big = tmp_path / "long.mp4"
    with too_big.open("wb") as file:
        file.truncate(50 * 1024 * 1024 + 1)
    long_video = MediaFile(b"", "video/mp4", "long.mp4", path=str(too_big))
    with pytest.raises(
        ContentRejectedError, match=r"long\.mp4 is 52428801 bytes; the limit here is 52428800"
    ) as refused:
        alice.publish(PublishRequest(media=(long_video,)))
    assert refused.value.checked_locally


def test_messages_reach_the_inbox_replies_thread_and_moderators_redact(
    matrix_peer: dict[str, str], alice: Connector, bob: Connector, room: str
) -> None:
    cursor = alice.inbox(limit=1).cursor
    post = alice.publish(PublishRequest(text="What should we build next?"))
    bobs = bob.reply(post.remote_id, PublishRequest(text="A Matrix bridge, please"))
    hello = bob.publish(PublishRequest(text="Hello @alice:localhost"))

    page = alice.inbox(cursor=cursor)
    assert [(item.remote_id, item.kind, item.text, item.parent_remote_id) for item in page.items] == [
        (hello.remote_id, InboundKind.MENTION, "Hello @alice:localhost", ""),
        (bobs.remote_id, InboundKind.COMMENT, "A Matrix bridge, please", post.remote_id),
    ]
    assert {(item.author_handle, item.conversation_id) for item in page.items} == {("@bob:localhost", room)}
    assert alice.inbox(cursor=page.cursor).items == ()

    answer = alice.reply(bobs.remote_id, PublishRequest(text="Noted, thank you"))
    _room, bobs_event_id = split_remote_id(bobs.remote_id)
    assert event(matrix_peer, answer.remote_id)["content"]["m.relates_to"] == {
        "m.in_reply_to": {"event_id": bobs_event_id}
    }

    # alice created the room (power level 100), so she may redact bob's message.
    alice.delete(hello.remote_id)
    redacted = event(matrix_peer, hello.remote_id)
    assert redacted["content"] == {}
    assert redacted["unsigned"]["redacted_because"]["sender"] == "@alice:localhost"


def test_a_room_the_account_is_not_in_is_refused_with_the_servers_reason(
    matrix_peer: dict[str, str], bob: Connector
) -> None:
    with raw(matrix_peer, "ALICE") as alice:
        private = alice.post(f"{CLIENT}/createRoom", json={"name": "Only alice"}).json()["room_id"]
    with pytest.raises(ContentRejectedError, match=r"M_FORBIDDEN") as raised:
        bob.publish(PublishRequest(text="Let me in", target=private))
    assert raised.value.status == 403
    with pytest.raises(NotFoundError):
        bob.delete("not-a-matrix-reference")


@pytest.mark.django_db
def test_connect_a_matrix_account_through_the_services(matrix_peer: dict[str, str], room: str, workspace: Any) -> None:
    admin = make_member(workspace, Role.ADMIN)
    account = services.account_connect(
        actor=Actor.system("test"),
        membership=admin,
        network="matrix",
        base_url=matrix_peer["MATRIX_BASE_URL"],
        credentials={"access_token": matrix_peer["MATRIX_BOB_TOKEN"]},
        options={"rooms": room},
    )
    assert (account.handle, account.status, account.options) == (
        "@bob:localhost",
        AccountStatus.ACTIVE,
        {"rooms": room},
    )
    with services.connector_for(account) as connector:
        result = connector.publish(PublishRequest(text="Posted through a connected account"))
    assert result.remote_id.startswith(room)
