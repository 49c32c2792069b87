"""The Bluesky connector against a real local AT Protocol network (bluesky.sh: @atproto/dev-env's
PLC, PDS and AppView): app-password sessions, posts with facets and images, replies, notifications,
metrics, search and deletion.

The AppView indexes the PDS's firehose asynchronously (about a second here), so reads of views
poll; a reply is written only once its parent is indexed (else, here, its notification is often lost).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pappus.connectors import services
from pappus.connectors.bluesky import client as bluesky_client
from pappus.connectors.bluesky.client import BlueskyConnector, Session
from pappus.connectors.bluesky.mapping import parse_at_uri
from pappus.connectors.contracts import InboundItem, InboundKind, MediaFile, PublishRequest
from pappus.connectors.errors import AuthExpiredError, ContentRejectedError, NotFoundError
from pappus.connectors.models import AccountStatus
from pappus.connectors.tests.images import one_pixel_png
from pappus.core.audit import Actor
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member

INDEXING_SECONDS = 20


class Raw:
    """A plain XRPC client for setting things up and reading back what the connector did."""

    def __init__(self, peer: dict[str, str], user: str, password: str | None = None) -> None:
        self.http = httpx.Client(base_url=peer["BLUESKY_PDS_URL"], timeout=10)
        session = self.http.post(
            "/xrpc/com.atproto.server.createSession",
            json={
                "identifier": peer[f"BLUESKY_{user}_HANDLE"],
                "password": password or peer[f"BLUESKY_{user}_PASSWORD"],
            },
        )
        session.raise_for_status()
        self.did = str(session.json()["did"])
        self.http.headers["Authorization"] = f"Bearer {session.json()['accessJwt']}"

    def get(self, nsid: str, **params: Any) -> dict[str, Any]:
        answer = self.http.get(f"/xrpc/{nsid}", params=params)
        answer.raise_for_status()
        return dict(answer.json())

    def post(self, nsid: str, body: dict[str, Any]) -> dict[str, Any]:
        answer = self.http.post(f"/xrpc/{nsid}", json=body)
        answer.raise_for_status()
        return dict(answer.json())

    def record(self, uri: str) -> dict[str, Any]:
        parsed = parse_at_uri(uri)
        return self.get("com.atproto.repo.getRecord", repo=parsed.repo, collection=parsed.collection, rkey=parsed.rkey)

    def create(self, collection: str, record: dict[str, Any]) -> dict[str, Any]:
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        return self.post(
            "com.atproto.repo.createRecord",
            {"repo": self.did, "collection": collection, "record": {"$type": collection, "createdAt": now, **record}},
        )


@pytest.fixture(scope="session")
def app_passwords(bluesky_peer: dict[str, str]) -> dict[str, str]:
    """An app password per user, made through the real endpoint; the connector never sees the account password."""
    passwords = {}
    for user in ("ALICE", "BOB"):
        raw = Raw(bluesky_peer, user)
        made = raw.post("com.atproto.server.createAppPassword", {"name": f"pappus-{uuid.uuid4().hex[:8]}"})
        passwords[user] = str(made["password"])
    return passwords


def bluesky(peer: dict[str, str], user: str, password: str) -> BlueskyConnector:
    return BlueskyConnector(
        base_url=peer["BLUESKY_PDS_URL"],
        credentials={"app_password": password},
        options={"identifier": peer[f"BLUESKY_{user}_HANDLE"]},
    )


@pytest.fixture
def alice(bluesky_peer: dict[str, str], app_passwords: dict[str, str]) -> Iterator[BlueskyConnector]:
    with bluesky(bluesky_peer, "ALICE", app_passwords["ALICE"]) as connector:
        yield connector


@pytest.fixture
def bob(bluesky_peer: dict[str, str], app_passwords: dict[str, str]) -> Iterator[BlueskyConnector]:
    with bluesky(bluesky_peer, "BOB", app_passwords["BOB"]) as connector:
        yield connector


def unique(text: str) -> str:
    return f"{text} {uuid.uuid4().hex[:10]}"


def eventually[T](read: Callable[[], T], done: Callable[[T], bool]) -> T:
    deadline = time.monotonic() + INDEXING_SECONDS
    while True:
        value = read()
        if done(value):
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"not there within {INDEXING_SECONDS} s: {value!r}")
        time.sleep(0.3)


def wait_until_indexed(connector: BlueskyConnector, uri: str) -> None:
    eventually(lambda: connector.xrpc("GET", "app.bsky.feed.getPosts", params={"uris": [uri]})["posts"], bool)


def inbound(connector: BlueskyConnector, cursor: str, remote_id: str) -> InboundItem:
    page = eventually(
        lambda: connector.inbox(cursor=cursor), lambda page: any(item.remote_id == remote_id for item in page.items)
    )
    return next(item for item in page.items if item.remote_id == remote_id)


def test_an_app_password_opens_a_session_and_the_profile_is_read(
    bluesky_peer: dict[str, str], alice: BlueskyConnector
) -> None:
    info = alice.account_info()
    assert (info.remote_id, info.handle, info.display_name, info.url) == (
        bluesky_peer["BLUESKY_ALICE_DID"],
        "alice.test",
        "alice (pappus tests)",
        "https://bsky.app/profile/alice.test",
    )
    raw_bob = Raw(bluesky_peer, "BOB")
    following = raw_bob.get("app.bsky.actor.getProfile", actor=info.remote_id).get("viewer", {}).get("following")
    if not following:
        raw_bob.create("app.bsky.graph.follow", {"subject": info.remote_id})
    followed = eventually(alice.account_info, lambda info: (info.followers or 0) >= 1)
    metrics = alice.account_metrics()
    assert metrics.followers == followed.followers
    assert isinstance(metrics.posts, int)


def test_a_refused_app_password_means_reconnect(bluesky_peer: dict[str, str]) -> None:
    with (
        bluesky(bluesky_peer, "ALICE", "wxyz-wxyz-wxyz-wxyz") as connector,
        pytest.raises(AuthExpiredError) as raised,
    ):
        connector.account_info()
    assert str(raised.value) == "Bluesky refused the session: Invalid identifier or password (AuthenticationRequired)"
    assert raised.value.status == 401


def test_an_expired_session_is_renewed_without_a_person(
    alice: BlueskyConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Also when this same connector opened the session earlier (the first call of a worker's run)."""
    key = alice._session_key()
    monkeypatch.delitem(bluesky_client._SESSIONS, key, raising=False)
    did = alice.account_info().remote_id  # opens the session
    session = bluesky_client._SESSIONS[key]
    # Put back at the end whatever happens, so that a failure here leaves no broken session to later tests.
    monkeypatch.setitem(
        bluesky_client._SESSIONS, key, Session("not-a-jwt", "not-a-jwt-either", did, "alice.test", session.pds)
    )
    assert alice.account_metrics().followers is not None  # the refresh token is refused too: a new session
    assert bluesky_client._SESSIONS[key].access_jwt != "not-a-jwt"


def test_publish_text_with_link_mention_and_tag_facets_and_an_image_with_alt_text(
    bluesky_peer: dict[str, str], alice: BlueskyConnector
) -> None:
    text = "Grüße to @bob.test and @nobody.test: see https://example.org/launch. #pappus"
    image = MediaFile(one_pixel_png(), "image/png", "pixel.png", description="A green pixel")
    result = alice.publish(PublishRequest(text=text, media=(image,)))
    parsed = parse_at_uri(result.remote_id)
    assert (parsed.repo, parsed.collection) == (bluesky_peer["BLUESKY_ALICE_DID"], "app.bsky.feed.post")
    assert result.url == f"https://bsky.app/profile/alice.test/post/{parsed.rkey}"

    raw = Raw(bluesky_peer, "BOB")
    stored = raw.record(result.remote_id)["value"]
    assert stored["text"] == text
    encoded = text.encode()
    spans = [
        (encoded[facet["index"]["byteStart"] : facet["index"]["byteEnd"]].decode(), facet["features"])
        for facet in stored["facets"]
    ]
    assert spans == [
        ("@bob.test", [{"$type": "app.bsky.richtext.facet#mention", "did": bluesky_peer["BLUESKY_BOB_DID"]}]),
        (
            "https://example.org/launch",
            [{"$type": "app.bsky.richtext.facet#link", "uri": "https://example.org/launch"}],
        ),
        ("#pappus", [{"$type": "app.bsky.richtext.facet#tag", "tag": "pappus"}]),
    ]
    embedded = stored["embed"]["images"]
    assert [(entry["alt"], entry["image"]["mimeType"]) for entry in embedded] == [("A green pixel", "image/png")]
    blob = raw.http.get(
        "/xrpc/com.atproto.sync.getBlob", params={"did": parsed.repo, "cid": embedded[0]["image"]["ref"]["$link"]}
    )
    assert blob.content == image.content


def test_an_image_given_by_path_is_streamed_to_the_pds(
    bluesky_peer: dict[str, str], alice: BlueskyConnector, tmp_path: Path
) -> None:
    """Publishing hands a file to a streaming connector as its path alone; the blob arrives whole."""
    path = tmp_path / "beans.png"
    path.write_bytes(one_pixel_png() + bytes(600_000))  # a PNG with trailing bytes: 600 kB on the wire
    image = MediaFile(b"", "image/png", "beans.png", description="Beans", path=str(path))
    result = alice.publish(PublishRequest(text=unique("From disk"), media=(image,)))
    stored = Raw(bluesky_peer, "BOB").record(result.remote_id)["value"]
    reference = stored["embed"]["images"][0]["image"]
    assert reference["size"] == path.stat().st_size
    blob = Raw(bluesky_peer, "BOB").http.get(
        "/xrpc/com.atproto.sync.getBlob",
        params={"did": parse_at_uri(result.remote_id).repo, "cid": reference["ref"]["$link"]},
    )
    assert blob.content == path.read_bytes()


def test_a_video_goes_out_as_a_video_embed_and_its_blob_arrives_whole(
    bluesky_peer: dict[str, str], alice: BlueskyConnector, tmp_path: Path
) -> None:
    """app.bsky.embed.video through the PDS's uploadBlob (the local network has no video service):
    the record keeps the MP4 blob and its alt text, the blob comes back byte for byte."""
    path = tmp_path / "pour.mp4"
    # An ISO media file's opening boxes (ftyp isom, then mdat), which the PDS sniffs as video/mp4.
    ftyp = (24).to_bytes(4, "big") + b"ftypisom" + (512).to_bytes(4, "big") + b"isomavc1"
    mdat_body = bytes(300_000)
    path.write_bytes(ftyp + (8 + len(mdat_body)).to_bytes(4, "big") + b"mdat" + mdat_body)
    video = MediaFile(b"", "video/mp4", "pour.mp4", description="Pouring a flat white", path=str(path))
    result = alice.publish(PublishRequest(text=unique("Video"), media=(video,)))
    embed = Raw(bluesky_peer, "BOB").record(result.remote_id)["value"]["embed"]
    assert (embed["$type"], embed["alt"], embed["video"]["mimeType"]) == (
        "app.bsky.embed.video",
        "Pouring a flat white",
        "video/mp4",
    )
    assert embed["video"]["size"] == path.stat().st_size
    blob = Raw(bluesky_peer, "BOB").http.get(
        "/xrpc/com.atproto.sync.getBlob",
        params={"did": parse_at_uri(result.remote_id).repo, "cid": embed["video"]["ref"]["$link"]},
    )
    assert blob.content == path.read_bytes()
    with pytest.raises(ContentRejectedError, match="video") as raised:
        alice.publish(PublishRequest(text="two", media=(video, MediaFile(one_pixel_png(), "image/png", "a.png"))))
    assert raised.value.checked_locally


def test_the_limit_is_300_graphemes_as_the_network_counts_them(alice: BlueskyConnector) -> None:
    # 300 thumbs with a skin tone are 600 code points, and 300 graphemes: the PDS takes them.
    posted = alice.publish(PublishRequest(text="👍🏽" * 300))
    assert posted.remote_id.startswith("at://")
    with pytest.raises(ContentRejectedError, match="The text is 301 characters long; the limit here is 300") as raised:
        alice.publish(PublishRequest(text="👍🏽" * 301))
    assert raised.value.checked_locally
    files = tuple(MediaFile(one_pixel_png(), "image/png", f"{number}.png") for number in range(5))
    with pytest.raises(ContentRejectedError, match="5 files are attached; at most 4"):
        alice.publish(PublishRequest(text="too many", media=files))


def test_replies_and_mentions_reach_the_inbox_and_are_answered_in_the_thread(
    bluesky_peer: dict[str, str], alice: BlueskyConnector, bob: BlueskyConnector
) -> None:
    cursor = alice.inbox(limit=1).cursor
    post = alice.publish(PublishRequest(text=unique("What do you think?")))
    wait_until_indexed(bob, post.remote_id)
    bobs_text = unique("Looks great")
    bobs_reply = bob.reply(post.remote_id, PublishRequest(text=bobs_text))
    mention = bob.publish(PublishRequest(text=unique("Hello @alice.test")))

    comment = inbound(alice, cursor, bobs_reply.remote_id)
    assert (comment.kind, comment.text, comment.author_handle, comment.author_id) == (
        InboundKind.COMMENT,
        bobs_text,
        "@bob.test",
        bluesky_peer["BLUESKY_BOB_DID"],
    )
    assert (comment.parent_remote_id, comment.conversation_id) == (post.remote_id, post.remote_id)
    assert comment.url == f"https://bsky.app/profile/bob.test/post/{parse_at_uri(bobs_reply.remote_id).rkey}"
    assert comment.as_listening_item()["parent_external_id"] == post.remote_id
    mentioned = inbound(alice, cursor, mention.remote_id)
    assert (mentioned.kind, mentioned.parent_remote_id) == (InboundKind.MENTION, "")

    answer = alice.reply(comment.remote_id, PublishRequest(text="Thank you!"))
    reply_refs = Raw(bluesky_peer, "BOB").record(answer.remote_id)["value"]["reply"]
    assert (reply_refs["root"]["uri"], reply_refs["parent"]["uri"]) == (post.remote_id, bobs_reply.remote_id)
    back = inbound(bob, "", answer.remote_id)
    assert (back.kind, back.parent_remote_id, back.conversation_id) == (
        InboundKind.COMMENT,
        bobs_reply.remote_id,
        post.remote_id,
    )
    newest = alice.inbox().cursor
    assert alice.inbox(cursor=newest).items == ()


def test_post_metrics_count_likes_reposts_quotes_and_replies(
    bluesky_peer: dict[str, str], alice: BlueskyConnector, bob: BlueskyConnector
) -> None:
    post = alice.publish(PublishRequest(text=unique("Count me")))
    wait_until_indexed(bob, post.remote_id)
    cid = bob.xrpc("GET", "app.bsky.feed.getPosts", params={"uris": [post.remote_id]})["posts"][0]["cid"]
    raw_bob = Raw(bluesky_peer, "BOB")
    raw_bob.create("app.bsky.feed.like", {"subject": {"uri": post.remote_id, "cid": cid}})
    raw_bob.create("app.bsky.feed.repost", {"subject": {"uri": post.remote_id, "cid": cid}})
    bob.reply(post.remote_id, PublishRequest(text="A reply"))
    metrics = eventually(
        lambda: alice.post_metrics(post.remote_id),
        lambda metrics: (metrics.likes, metrics.shares, metrics.replies) == (1, 1, 1),
    )
    assert metrics.remote_id == post.remote_id


def test_listening_searches_posts(alice: BlueskyConnector) -> None:
    word = f"pappus{uuid.uuid4().hex[:8]}"
    posted = alice.publish(PublishRequest(text=f"Talking about {word} today"))
    page = eventually(lambda: alice.listen(word), lambda page: bool(page.items))
    assert [(item.remote_id, item.kind, item.text, item.author_handle) for item in page.items] == [
        (posted.remote_id, InboundKind.MENTION, f"Talking about {word} today", "@alice.test")
    ]


def test_delete_removes_an_own_post_and_refuses_anothers(
    bluesky_peer: dict[str, str], alice: BlueskyConnector, bob: BlueskyConnector
) -> None:
    post = alice.publish(PublishRequest(text=unique("Soon gone")))
    wait_until_indexed(alice, post.remote_id)
    alice.delete(post.remote_id)
    gone = Raw(bluesky_peer, "BOB").http.get(
        "/xrpc/com.atproto.repo.getRecord",
        params={
            "repo": bluesky_peer["BLUESKY_ALICE_DID"],
            "collection": "app.bsky.feed.post",
            "rkey": parse_at_uri(post.remote_id).rkey,
        },
    )
    assert (gone.status_code, gone.json()["error"]) == (400, "RecordNotFound")
    eventually(
        lambda: bob.xrpc("GET", "app.bsky.feed.getPosts", params={"uris": [post.remote_id]})["posts"],
        lambda posts: not posts,
    )
    with pytest.raises(NotFoundError):
        alice.post_metrics(post.remote_id)

    bobs = bob.publish(PublishRequest(text=unique("Mine")))
    with pytest.raises(ContentRejectedError, match="only its own posts") as raised:
        alice.delete(bobs.remote_id)
    assert raised.value.checked_locally


@pytest.mark.django_db
def test_connect_and_check_an_account_through_the_services(
    bluesky_peer: dict[str, str], app_passwords: dict[str, str], workspace: Any
) -> None:
    admin = make_member(workspace, Role.ADMIN)
    account = services.account_connect(
        actor=Actor.system("test"),
        membership=admin,
        network="bluesky",
        base_url=bluesky_peer["BLUESKY_PDS_URL"],
        credentials={"app_password": app_passwords["ALICE"]},
        options={"identifier": bluesky_peer["BLUESKY_ALICE_HANDLE"]},
    )
    assert (account.remote_id, account.handle, account.status) == (
        bluesky_peer["BLUESKY_ALICE_DID"],
        "alice.test",
        AccountStatus.ACTIVE,
    )
    checked = services.account_check_health(account.pk)
    assert checked is not None
    assert (checked.status, checked.last_error) == (AccountStatus.ACTIVE, "")
