"""The VK connector against a local server replaying the VK API's documented answers (version 5.199).

No VK server runs locally. The answers follow https://dev.vk.com/en/reference and VK's JSON schema
(github.com/VKCOM/vk-api-schema, responses and errors): ``{"response": ...}`` on success and, with
HTTP 200 as well, ``{"error": {"error_code", "error_msg", "request_params"}}`` on failure; the
upload server answers ``{"server", "photo", "hash"}``.
"""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import parse_qs

import pytest

from pappus.connectors import registry, services
from pappus.connectors.base import Connector
from pappus.connectors.contracts import Capability, InboundKind, MediaFile, PublishRequest
from pappus.connectors.errors import (
    AuthExpiredError,
    ContentRejectedError,
    NotFoundError,
    NotSupportedError,
    RateLimitedError,
    TemporaryFailureError,
)
from pappus.connectors.models import AccountStatus
from pappus.connectors.tests.images import one_pixel_png
from pappus.connectors.tests.replay import Answer, Recorded, ReplayServer
from pappus.connectors.vk.client import API_VERSION, VkConnector
from pappus.core.audit import Actor
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member

TOKEN = "vk1.a.replayed-community-token-0123456789"
GROUP = {
    "id": 1,
    "name": "Nordlys Coffee",
    "screen_name": "nordlys",
    "is_closed": 0,
    "type": "page",
    "members_count": 2417,
}
WRITTEN = 1_793_700_000
KARI = {"id": 555, "first_name": "Kari", "last_name": "Nordmann", "screen_name": "kari_n"}
OLA = {"id": 556, "first_name": "Ola", "last_name": "Hansen"}


def method(name: str) -> str:
    return f"/method/{name}"


def ok(response: Any) -> Answer:
    return Answer(200, {"response": response})


def vk_error(code: int, message: str) -> Answer:
    """VK's error object, with HTTP 200 as VK sends it."""
    return Answer(
        200,
        {
            "error": {
                "error_code": code,
                "error_msg": message,
                "request_params": [{"key": "method", "value": "wall.post"}, {"key": "v", "value": API_VERSION}],
            }
        },
    )


def serve_group(replay: ReplayServer) -> None:
    replay.add("POST", method("groups.getById"), ok({"groups": [GROUP], "profiles": []}), always=True)


def vk(replay: ReplayServer, group: str = "nordlys") -> Connector:
    return registry.build("vk", base_url=replay.url, credentials={"access_token": TOKEN}, options={"group_id": group})


def form(entry: Recorded) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(entry.body.decode()).items()}


def test_the_community_is_the_account_and_its_members_the_followers(replay: ReplayServer) -> None:
    serve_group(replay)
    with vk(replay, "https://vk.com/nordlys") as connector:
        info = connector.account_info()
        metrics = connector.account_metrics()
    assert (info.remote_id, info.handle, info.display_name, info.url, info.followers) == (
        "1",
        "nordlys",
        "Nordlys Coffee",
        "https://vk.com/nordlys",
        2417,
    )
    assert metrics.followers == 2417
    asked = replay.requests_to("POST", method("groups.getById"))[0]
    assert form(asked) == {"group_id": "nordlys", "fields": "members_count", "access_token": TOKEN, "v": "5.199"}
    # The token travels in the body only: never in a URL, so never in an access log.
    assert all(TOKEN not in entry.path and TOKEN not in entry.query for entry in replay.requests)


def test_a_text_post_with_a_link_goes_on_the_community_wall(replay: ReplayServer) -> None:
    serve_group(replay)
    replay.add("POST", method("wall.post"), ok({"post_id": 318}))
    with vk(replay) as connector:
        result = connector.publish(
            PublishRequest(text="Ny kaffe", link="https://nordlys.example/kaffe", idempotency_key="variant-9")
        )
    assert (result.remote_id, result.url) == ("-1_318", "https://vk.com/wall-1_318")
    sent = form(replay.requests_to("POST", method("wall.post"))[0])
    assert {key: sent[key] for key in ("owner_id", "from_group", "message", "attachments", "guid")} == {
        "owner_id": "-1",
        "from_group": "1",
        "message": "Ny kaffe\n\nhttps://nordlys.example/kaffe",
        "attachments": "https://nordlys.example/kaffe",
        "guid": "variant-9",
    }
    assert VkConnector.idempotency_window_seconds == 0  # the guid is sent, but VK documents no window


def test_photos_go_through_the_wall_upload_server(replay: ReplayServer) -> None:
    serve_group(replay)
    replay.add(
        "POST",
        method("photos.getWallUploadServer"),
        ok({"album_id": -14, "upload_url": f"{replay.url}/upload/wall", "user_id": 0}),
        always=True,
    )
    replay.add("POST", "/upload/wall", Answer(200, {"server": 850, "photo": '[{"photo":"9f3c"}]', "hash": "a1b2"}))
    replay.add("POST", "/upload/wall", Answer(200, {"server": 850, "photo": '[{"photo":"7d21"}]', "hash": "c3d4"}))
    saved = {"album_id": -14, "date": WRITTEN, "owner_id": -1, "text": "", "has_tags": False}
    replay.add("POST", method("photos.saveWallPhoto"), ok([{**saved, "id": 457239017}]))
    replay.add("POST", method("photos.saveWallPhoto"), ok([{**saved, "id": 457239018}]))
    replay.add("POST", method("wall.post"), ok({"post_id": 319}))
    first = MediaFile(one_pixel_png(), "image/png", "beans.png", description="Beans in a sack")
    second = MediaFile(one_pixel_png(), "image/png", "cup.png")
    with vk(replay) as connector:
        result = connector.publish(PublishRequest(text="Bilder", media=(first, second)))
    assert result.remote_id == "-1_319"
    uploads = replay.requests_to("POST", "/upload/wall")
    assert len(uploads) == 2
    assert b'name="photo"; filename="beans.png"' in uploads[0].body
    assert one_pixel_png() in uploads[0].body
    saves = [form(entry) for entry in replay.requests_to("POST", method("photos.saveWallPhoto"))]
    assert [(entry["group_id"], entry["server"], entry["photo"], entry["hash"]) for entry in saves] == [
        ("1", "850", '[{"photo":"9f3c"}]', "a1b2"),
        ("1", "850", '[{"photo":"7d21"}]', "c3d4"),
    ]
    assert saves[0]["caption"] == "Beans in a sack"
    assert form(replay.requests_to("POST", method("wall.post"))[0])["attachments"] == (
        "photo-1_457239017,photo-1_457239018"
    )


def test_limits_refuse_before_anything_is_sent(replay: ReplayServer) -> None:
    image = MediaFile(b"BM" + b"\0" * 60, "image/bmp", "old.bmp")
    with vk(replay) as connector, pytest.raises(ContentRejectedError) as refused:
        connector.publish(PublishRequest(text="x" * 16_385, media=(image,) * 11))
    assert refused.value.checked_locally
    assert "16385 characters long; the limit here is 16384" in refused.value.reason
    assert "11 files are attached; at most 10" in refused.value.reason
    assert "old.bmp is of type image/bmp" in refused.value.reason
    assert replay.requests == []


def test_an_upload_the_server_did_not_take_is_a_rejected_image(replay: ReplayServer) -> None:
    serve_group(replay)
    replay.add(
        "POST", method("photos.getWallUploadServer"), ok({"album_id": -14, "upload_url": f"{replay.url}/upload/wall"})
    )
    replay.add("POST", "/upload/wall", Answer(200, {"server": 850, "photo": "[]", "hash": "00"}))
    with vk(replay) as connector, pytest.raises(ContentRejectedError, match=r"VK did not accept the image a\.png"):
        connector.publish(PublishRequest(media=(MediaFile(one_pixel_png(), "image/png", "a.png"),)))
    assert replay.requests_to("POST", method("wall.post")) == []


def wall_post(post_id: int, comments: int) -> dict[str, Any]:
    return {
        "id": post_id,
        "owner_id": -1,
        "from_id": -1,
        "date": WRITTEN,
        "text": "Ny kaffe",
        "comments": {"count": comments, "can_post": 1},
        "likes": {"count": 12, "user_likes": 0, "can_like": 1},
        "reposts": {"count": 3, "user_reposted": 0},
        "views": {"count": 940},
    }


def comment(comment_id: int, sender: int, text: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": comment_id,
        "from_id": sender,
        "date": WRITTEN + comment_id,
        "text": text,
        "post_id": 318,
        "owner_id": -1,
        "parents_stack": [],
        **fields,
    }


def serve_comments(replay: ReplayServer, items: list[dict[str, Any]]) -> None:
    replay.add("POST", method("wall.get"), ok({"count": 2, "items": [wall_post(318, 3), wall_post(317, 0)]}))
    replay.add(
        "POST",
        method("wall.getComments"),
        ok({"count": len(items), "items": items, "profiles": [KARI, OLA], "groups": [GROUP], "can_post": True}),
    )


def test_the_inbox_reads_comments_and_their_threads_and_leaves_the_communitys_own_out(replay: ReplayServer) -> None:
    serve_group(replay)
    answers = [
        comment(7, 556, "Enig!", reply_to_user=555, reply_to_comment=5),
        comment(8, -1, "Takk!", reply_to_comment=5),  # the community's own answer
    ]
    thread = {"count": 2, "items": answers}
    serve_comments(replay, [comment(5, 555, "Når kommer den?", thread=thread)])
    with vk(replay) as connector:
        page = connector.inbox()
    assert [(item.remote_id, item.text, item.author_handle, item.author_name) for item in page.items] == [
        ("-1_318_7", "Enig!", "id556", "Ola Hansen"),
        ("-1_318_5", "Når kommer den?", "kari_n", "Kari Nordmann"),
    ]
    answer, question = page.items
    assert (answer.kind, answer.parent_remote_id, answer.conversation_id) == (InboundKind.COMMENT, "-1_318_5", "-1_318")
    assert question.parent_remote_id == "-1_318"
    assert question.url == "https://vk.com/wall-1_318?reply=5"
    assert question.published_at == datetime.datetime.fromtimestamp(WRITTEN + 5, tz=datetime.UTC)
    assert page.cursor == "7"
    # Only the post with comments is read; newest first, with the threads.
    asked = [form(entry) for entry in replay.requests_to("POST", method("wall.getComments"))]
    assert [(entry["post_id"], entry["sort"], entry["extended"]) for entry in asked] == [("318", "desc", "1")]

    serve_comments(replay, [comment(9, 555, "Og prisen?"), comment(5, 555, "Når kommer den?")])
    with vk(replay) as connector:
        later = connector.inbox(cursor=page.cursor)
    assert [item.remote_id for item in later.items] == ["-1_318_9"]
    assert later.cursor == "9"


def test_replies_are_written_as_the_community_and_moderation_deletes(replay: ReplayServer) -> None:
    serve_group(replay)
    replay.add("POST", method("wall.createComment"), ok({"comment_id": 10, "parents_stack": [5]}))
    replay.add("POST", method("wall.deleteComment"), ok(1))
    replay.add("POST", method("wall.delete"), ok(1))
    with vk(replay) as connector:
        result = connector.reply("-1_318_5", PublishRequest(text="På fredag!"))
        connector.delete("-1_318_7")
        connector.delete("-1_318")
        with pytest.raises(NotFoundError, match="not a VK wall post or comment"):
            connector.delete("318")
        with pytest.raises(NotSupportedError):
            connector.hide("-1_318_7")
    assert (result.remote_id, result.url) == ("-1_318_10", "https://vk.com/wall-1_318?reply=10")
    sent = form(replay.requests_to("POST", method("wall.createComment"))[0])
    assert {key: sent[key] for key in ("owner_id", "post_id", "from_group", "message", "reply_to_comment")} == {
        "owner_id": "-1",
        "post_id": "318",
        "from_group": "1",
        "message": "På fredag!",
        "reply_to_comment": "5",
    }
    deleted = form(replay.requests_to("POST", method("wall.deleteComment"))[0])
    assert (deleted["owner_id"], deleted["comment_id"]) == ("-1", "7")
    removed = form(replay.requests_to("POST", method("wall.delete"))[0])
    assert (removed["owner_id"], removed["post_id"]) == ("-1", "318")


def test_listening_searches_public_posts(replay: ReplayServer) -> None:
    found = {"id": 42, "owner_id": 555, "from_id": 555, "date": WRITTEN, "text": "Nordlys er best", "post_type": "post"}
    replay.add(
        "POST",
        method("newsfeed.search"),
        ok({"items": [found], "profiles": [KARI], "groups": [], "count": 1, "total_count": 1, "next_from": "1/42"}),
    )
    with vk(replay) as connector:
        page = connector.listen("nordlys", limit=20)
    assert [(item.remote_id, item.kind, item.author_handle, item.url) for item in page.items] == [
        ("555_42", InboundKind.MENTION, "kari_n", "https://vk.com/wall555_42")
    ]
    assert page.items[0].as_listening_item()["external_id"] == "555_42"
    assert page.cursor == "1/42"
    sent = form(replay.requests_to("POST", method("newsfeed.search"))[0])
    assert (sent["q"], sent["count"]) == ("nordlys", "20")


def test_post_metrics_are_likes_reposts_comments_and_views(replay: ReplayServer) -> None:
    replay.add("POST", method("wall.getById"), ok({"items": [wall_post(318, 3)]}))
    with vk(replay) as connector:
        metrics = connector.post_metrics("-1_318")
    assert (metrics.likes, metrics.shares, metrics.replies, metrics.impressions) == (12, 3, 3, 940)
    assert form(replay.requests_to("POST", method("wall.getById"))[0])["posts"] == "-1_318"
    assert Capability.LISTEN in VkConnector.capabilities


@pytest.mark.parametrize(
    ("answer", "error", "words"),
    [
        (vk_error(5, "User authorization failed: invalid access_token (4)."), AuthExpiredError, "VK refused the token"),
        (vk_error(6, "Too many requests per second"), RateLimitedError, "Too many requests per second"),
        (vk_error(9, "Flood control"), RateLimitedError, "Flood control"),
        (vk_error(29, "Rate limit reached"), RateLimitedError, "Rate limit reached"),
        (vk_error(10, "Internal server error"), TemporaryFailureError, "Internal server error"),
        (vk_error(15, "Access denied: no access to call this method"), ContentRejectedError, "Access denied"),
        (vk_error(214, "Access to adding post denied"), ContentRejectedError, "Access to adding post denied"),
        (
            vk_error(100, "One of the parameters specified was missing or invalid: message is too long"),
            ContentRejectedError,
            "message is too long",
        ),
        (
            Answer(502, "<html><body>502 Bad Gateway</body></html>", {"Content-Type": "text/html"}),
            TemporaryFailureError,
            "502",
        ),
        (
            Answer(200, '{"response": {"post_id": 3', {"Content-Type": "application/json"}),
            TemporaryFailureError,
            "unreadable JSON",
        ),
    ],
)
def test_vk_errors_become_the_small_set(
    replay: ReplayServer, answer: Answer, error: type[Exception], words: str
) -> None:
    serve_group(replay)
    replay.add("POST", method("wall.post"), answer)
    with vk(replay) as connector, pytest.raises(error, match=words) as raised:
        connector.publish(PublishRequest(text="Hei"))
    assert TOKEN not in str(raised.value)
    if isinstance(raised.value, RateLimitedError):
        # "Too many requests per second": a second later; the others say nothing of when.
        assert raised.value.retry_after == (1.0 if "per second" in words else None)
    if isinstance(raised.value, ContentRejectedError):
        assert raised.value.reason.endswith(words) or words in raised.value.reason
        assert not raised.value.checked_locally
    assert len(replay.requests_to("POST", method("wall.post"))) == 1  # a post is never sent twice by itself


@pytest.mark.django_db
def test_connecting_checks_the_token_and_a_refused_one_marks_the_account_expired(replay: ReplayServer) -> None:
    admin = make_member(None, Role.ADMIN)
    serve_group(replay)
    account = services.account_connect(
        actor=Actor.system("test"),
        membership=admin,
        network="vk",
        base_url=replay.url,
        credentials={"access_token": TOKEN},
        options={"group_id": "nordlys"},
    )
    assert (account.handle, account.remote_id, account.display_name) == ("nordlys", "1", "Nordlys Coffee")
    replay.reset()
    replay.add("POST", method("groups.getById"), vk_error(5, "User authorization failed: access_token has expired."))
    checked = services.account_check_health(account.pk)
    assert checked is not None
    assert checked.status == AccountStatus.EXPIRED
    assert checked.last_error == "VK refused the token: User authorization failed: access_token has expired."
