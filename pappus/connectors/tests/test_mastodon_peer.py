"""The Mastodon connector against a real server speaking Mastodon's client API: snac2 (mastodon.sh).

What snac 2.75 lacks (DELETE of a status, rate-limit headers, 401 bodies) is covered by
test_error_mapping.py's replay of Mastodon's documented answers.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from pappus.connectors import registry, services
from pappus.connectors.base import Connector
from pappus.connectors.contracts import InboundItem, InboundKind, InboundPage, MediaFile, PublishRequest
from pappus.connectors.errors import AuthExpiredError, ContentRejectedError, NotFoundError
from pappus.connectors.models import AccountStatus
from pappus.connectors.tests.images import one_pixel_png, tiny_mp4
from pappus.core.audit import Actor
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member

# snac delivers locally through its ActivityPub queue: 3-10 s (see the peers README).
DELIVERY_SECONDS = 30


def mastodon(peer: dict[str, str], user: str, token: str | None = None) -> Connector:
    return registry.build(
        "mastodon",
        base_url=peer["MASTODON_BASE_URL"],
        credentials={"access_token": token or peer[f"MASTODON_{user}_TOKEN"]},
    )


@pytest.fixture
def alice(mastodon_peer: dict[str, str]) -> Iterator[Connector]:
    with mastodon(mastodon_peer, "ALICE") as connector:
        yield connector


@pytest.fixture
def bob(mastodon_peer: dict[str, str]) -> Iterator[Connector]:
    with mastodon(mastodon_peer, "BOB") as connector:
        yield connector


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:10]}"


def wait_for(read: Callable[[], InboundPage], match: Callable[[InboundItem], bool]) -> InboundItem:
    deadline = time.monotonic() + DELIVERY_SECONDS
    while True:
        found = [item for item in read().items if match(item)]
        if found:
            return found[0]
        if time.monotonic() > deadline:
            pytest.fail(f"nothing matching arrived within {DELIVERY_SECONDS} s")
        time.sleep(0.5)


def test_account_info_and_metrics(mastodon_peer: dict[str, str], alice: Connector) -> None:
    info = alice.account_info()
    host = urlsplit(mastodon_peer["MASTODON_BASE_URL"]).netloc
    assert (info.remote_id, info.handle, info.display_name) == (
        mastodon_peer["MASTODON_ALICE_ACCOUNT_ID"],
        f"@alice@{host}",
        "alice",
    )
    assert info.url == f"{mastodon_peer['MASTODON_BASE_URL']}/alice"
    metrics = alice.account_metrics()
    assert metrics.followers == 0
    assert isinstance(metrics.posts, int)


def test_the_servers_own_limits_are_read(alice: Connector) -> None:
    limits = alice.limits()
    assert (limits.max_characters, limits.max_media, limits.url_length) == (100_000, 4, 32)
    assert "image/png" in limits.media_types


def test_a_refused_token_means_reconnect(mastodon_peer: dict[str, str]) -> None:
    with mastodon(mastodon_peer, "ALICE", token="not-a-token") as connector, pytest.raises(AuthExpiredError):
        connector.account_info()


def test_publish_text_with_a_link_then_read_it_back(mastodon_peer: dict[str, str], alice: Connector) -> None:
    text = unique("Pappus says hello")
    result = alice.publish(
        PublishRequest(text=text, link="https://example.org/launch", idempotency_key=uuid.uuid4().hex)
    )
    assert result.url.startswith(f"{mastodon_peer['MASTODON_BASE_URL']}/alice/p/")
    assert result.published_at is not None
    status = httpx.get(
        f"{mastodon_peer['MASTODON_BASE_URL']}/api/v1/statuses/{result.remote_id}",
        headers={"Authorization": f"Bearer {mastodon_peer['MASTODON_ALICE_TOKEN']}"},
        timeout=10,
    ).json()
    assert status["text"] == f"{text}\n\nhttps://example.org/launch"
    metrics = alice.post_metrics(result.remote_id)
    assert (metrics.remote_id, metrics.likes, metrics.shares, metrics.replies) == (result.remote_id, 0, 0, 0)


def test_publish_an_image_with_alt_text(alice: Connector) -> None:
    image = MediaFile(one_pixel_png(), "image/png", "pixel.png", description="A green pixel")
    result = alice.publish(PublishRequest(text=unique("With a picture"), media=(image,)))
    attachments = result.raw["media_attachments"]
    assert [(item["type"], item["description"]) for item in attachments] == [("image", "A green pixel")]
    served = httpx.get(attachments[0]["url"], timeout=10)
    assert served.content == image.content


def test_publish_a_video_with_alt_text(alice: Connector) -> None:
    """snac takes a video through /api/v2/media like an image and serves it back byte for byte."""
    # snac files an upload under a hash of its file name: a name of its own, so that no earlier upload
    # of the same name (the streamed video below, or a previous run's) can be what is served back.
    video = MediaFile(
        tiny_mp4(4096), "video/mp4", f"roastery-{uuid.uuid4().hex[:8]}.mp4", description="Beans in the roaster"
    )
    assert "video/mp4" in alice.limits().media_types
    result = alice.publish(PublishRequest(text=unique("With a video"), media=(video,)))
    attachments = result.raw["media_attachments"]
    assert [(item["type"], item["description"]) for item in attachments] == [("video", "Beans in the roaster")]
    served = httpx.get(attachments[0]["url"], timeout=10)
    assert served.content == video.content


def test_a_video_given_by_path_is_streamed_from_disk(alice: Connector, tmp_path: Path) -> None:
    """Publishing hands a large file to a connector that streams files as its path alone."""
    path = tmp_path / "roastery.mp4"
    path.write_bytes(tiny_mp4(2 * 1024 * 1024 + 3))
    video = MediaFile(b"", "video/mp4", f"disk-{uuid.uuid4().hex[:8]}.mp4", description="From disk", path=str(path))
    result = alice.publish(PublishRequest(text=unique("A video from disk"), media=(video,)))
    attachments = result.raw["media_attachments"]
    assert [(item["type"], item["description"]) for item in attachments] == [("video", "From disk")]
    served = httpx.get(attachments[0]["url"], timeout=10)
    assert served.content == path.read_bytes()


def test_limits_refuse_before_anything_is_sent(alice: Connector) -> None:
    files = tuple(MediaFile(one_pixel_png(), "image/png", f"{number}.png") for number in range(5))
    with pytest.raises(ContentRejectedError, match="5 files are attached; at most 4 are allowed here") as raised:
        alice.publish(PublishRequest(text="too many", media=files))
    assert raised.value.checked_locally


def test_a_reply_reaches_the_inbox_as_a_comment_and_is_answered(
    mastodon_peer: dict[str, str], alice: Connector, bob: Connector
) -> None:
    cursor = alice.inbox(limit=1).cursor
    post = alice.publish(PublishRequest(text=unique("What do you think?")))
    bobs_text = unique("Looks great")
    bobs_reply = bob.reply(post.remote_id, PublishRequest(text=bobs_text))
    host = urlsplit(mastodon_peer["MASTODON_BASE_URL"]).netloc

    comment = wait_for(lambda: alice.inbox(cursor=cursor), lambda item: item.remote_id == bobs_reply.remote_id)
    assert (comment.kind, comment.author_handle, comment.parent_remote_id) == (
        InboundKind.COMMENT,
        f"@bob@{host}",
        post.remote_id,
    )
    assert comment.text == f"@alice@{host} {bobs_text}"
    assert alice.post_metrics(post.remote_id).replies == 1

    answer = alice.reply(comment.remote_id, PublishRequest(text="Thank you!"))
    back = wait_for(bob.inbox, lambda item: item.remote_id == answer.remote_id)
    assert (back.kind, back.parent_remote_id, back.text) == (
        InboundKind.COMMENT,
        bobs_reply.remote_id,
        f"@bob@{host} Thank you!",
    )
    newest = alice.inbox(limit=1).cursor
    assert alice.inbox(cursor=newest).items == ()


def test_listening_searches_statuses(alice: Connector) -> None:
    # snac 2.75 searches only the searching user's own posts, so alice finds hers; a search over a
    # whole server (Mastodon's /api/v2/search) is replayed in test_error_mapping.
    word = f"pappus{uuid.uuid4().hex[:8]}"
    posted = alice.publish(PublishRequest(text=f"Talking about {word} today"))
    found = wait_for(lambda: alice.listen(word), lambda item: word in item.text)
    assert (found.remote_id, found.kind, found.text) == (
        posted.remote_id,
        InboundKind.MENTION,
        f"Talking about {word} today",
    )
    assert alice.listen(f"absent{uuid.uuid4().hex}").items == ()


def test_delete_is_answered_not_found_by_snac(alice: Connector) -> None:
    # snac 2.75 has no DELETE /api/v1/statuses/:id (404); Mastodon's 200 is replayed in test_error_mapping.
    post = alice.publish(PublishRequest(text=unique("Soon gone")))
    with pytest.raises(NotFoundError):
        alice.delete(post.remote_id)


@pytest.mark.django_db
def test_connect_and_check_an_account_through_the_services(mastodon_peer: dict[str, str], workspace: Any) -> None:
    admin = make_member(workspace, Role.ADMIN)
    account = services.account_connect(
        actor=Actor.system("test"),
        membership=admin,
        network="mastodon",
        base_url=mastodon_peer["MASTODON_BASE_URL"],
        credentials={"access_token": mastodon_peer["MASTODON_ALICE_TOKEN"]},
    )
    assert (account.remote_id, account.status) == (mastodon_peer["MASTODON_ALICE_ACCOUNT_ID"], AccountStatus.ACTIVE)
    checked = services.account_check_health(account.pk)
    assert checked is not None
    assert (checked.status, checked.last_error) == (AccountStatus.ACTIVE, "")
    assert checked.last_checked_at is not None
