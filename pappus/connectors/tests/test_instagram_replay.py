"""The Instagram connector against a local server replaying the Instagram Graph API's documented answers.

No Graph API server runs locally. Shapes follow developers.facebook.com/docs/instagram-platform:
the IG User node, ``content_publishing_limit`` (``{"data": [{"quota_usage", "config": {"quota_total",
"quota_duration"}}]}``), media containers and ``media_publish``, the container's ``status_code``,
IG Comment (``id, text, timestamp, username, from, replies``), ``/replies``, ``hide``, media
insights, and the Graph error object (code 190; code 9 with subcode 2207042 for the publishing limit).
"""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.utils import translation

from pappus.connectors import registry, services
from pappus.connectors.base import Connector
from pappus.connectors.contracts import Capability, InboundKind, MediaFile, PublishRequest
from pappus.connectors.errors import (
    AuthExpiredError,
    ContentRejectedError,
    NotSupportedError,
    RateLimitedError,
    TemporaryFailureError,
)
from pappus.connectors.instagram.client import InstagramConnector
from pappus.connectors.models import AccountStatus
from pappus.connectors.tests.replay import Answer, Recorded, ReplayServer
from pappus.core.audit import Actor
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member

TOKEN = "EAAGreplayedInstagramToken0123456789"
IG_USER = "17841405822304914"
USER = {"id": IG_USER, "username": "nordlys", "name": "Nordlys Coffee", "followers_count": 3120}
MEDIA = "17920238422030506"
JPEG = b"\xff\xd8\xff\xe0" + b"\0" * 64


def graph(path: str) -> str:
    return f"/v21.0/{path}"


def graph_error(status: int, code: int, message: str, **fields: Any) -> Answer:
    return Answer(
        status, {"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "Zx9", **fields}}
    )


def instagram(replay: ReplayServer) -> Connector:
    return registry.build(
        "instagram", base_url=replay.url, credentials={"access_token": TOKEN}, options={"ig_user_id": IG_USER}
    )


def form(entry: Recorded) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(entry.body.decode()).items()}


def photo(name: str = "beans.jpg", **fields: Any) -> MediaFile:
    return MediaFile(JPEG, "image/jpeg", name, source_url=f"https://media.nordlys.example/{name}", **fields)


def quota(used: int, total: int = 50) -> Answer:
    return Answer(200, {"data": [{"quota_usage": used, "config": {"quota_total": total, "quota_duration": 86400}}]})


def serve_publishing(replay: ReplayServer, *containers: str) -> None:
    replay.add("GET", graph(f"{IG_USER}/content_publishing_limit"), quota(2))
    for container in containers:
        replay.add("POST", graph(f"{IG_USER}/media"), Answer(200, {"id": container}))
    replay.add("GET", graph(containers[-1]), Answer(200, {"status_code": "FINISHED", "id": containers[-1]}))
    replay.add("POST", graph(f"{IG_USER}/media_publish"), Answer(200, {"id": MEDIA}))
    details = {"permalink": "https://www.instagram.com/p/C1a2b3/", "timestamp": "2026-11-02T10:00:00+0000", "id": MEDIA}
    replay.add("GET", graph(MEDIA), Answer(200, details))


def test_the_professional_account_is_the_account_with_its_followers(replay: ReplayServer) -> None:
    replay.add("GET", graph(IG_USER), Answer(200, USER))
    replay.add("GET", graph(IG_USER), Answer(200, {**USER, "follows_count": 80, "media_count": 212}))
    with instagram(replay) as connector:
        info = connector.account_info()
        metrics = connector.account_metrics()
    assert (info.remote_id, info.handle, info.display_name, info.url, info.followers) == (
        IG_USER,
        "@nordlys",
        "Nordlys Coffee",
        "https://www.instagram.com/nordlys/",
        3120,
    )
    assert (metrics.followers, metrics.following, metrics.posts) == (3120, 80, 212)


def test_one_image_is_a_container_then_published(replay: ReplayServer) -> None:
    serve_publishing(replay, "17889455560051444")
    with instagram(replay) as connector:
        result = connector.publish(PublishRequest(text="Ny kaffe #nordlys", media=(photo(description="Beans"),)))
        budget = connector.rate_limit
    assert (result.remote_id, result.url) == (MEDIA, "https://www.instagram.com/p/C1a2b3/")
    assert result.published_at == datetime.datetime(2026, 11, 2, 10, 0, tzinfo=datetime.UTC)
    assert form(replay.requests_to("POST", graph(f"{IG_USER}/media"))[0]) == {
        "image_url": "https://media.nordlys.example/beans.jpg",
        "caption": "Ny kaffe #nordlys",
        "alt_text": "Beans",
    }
    assert form(replay.requests_to("POST", graph(f"{IG_USER}/media_publish"))[0]) == {
        "creation_id": "17889455560051444"
    }
    assert budget is not None
    assert (budget.limit, budget.remaining) == (50, 48)


def test_several_images_are_a_carousel(replay: ReplayServer) -> None:
    serve_publishing(replay, "1001", "1002", "1003")
    with instagram(replay) as connector:
        connector.publish(PublishRequest(text="To bilder", media=(photo("a.jpg"), photo("b.jpg"))))
    containers = [form(entry) for entry in replay.requests_to("POST", graph(f"{IG_USER}/media"))]
    assert containers == [
        {"image_url": "https://media.nordlys.example/a.jpg", "is_carousel_item": "true"},
        {"image_url": "https://media.nordlys.example/b.jpg", "is_carousel_item": "true"},
        {"media_type": "CAROUSEL", "children": "1001,1002", "caption": "To bilder"},
    ]
    assert form(replay.requests_to("POST", graph(f"{IG_USER}/media_publish"))[0]) == {"creation_id": "1003"}


def test_instagram_limits_refuse_before_anything_is_sent(replay: ReplayServer) -> None:
    caption = " ".join(f"#tag{number}" for number in range(31)) + " " + " ".join(f"@friend{n}" for n in range(21))
    unhosted = MediaFile(JPEG, "image/jpeg", "local.jpg")
    png = MediaFile(b"\x89PNG", "image/png", "p.png", source_url="https://media.nordlys.example/p.png")
    with instagram(replay) as connector:
        with pytest.raises(ContentRejectedError) as refused:
            connector.publish(PublishRequest(text=caption, media=(unhosted, png)))
        with pytest.raises(ContentRejectedError, match="needs at least one image"):
            connector.publish(PublishRequest(text="Bare tekst"))
    reason = refused.value.reason
    assert refused.value.checked_locally
    assert "31 hashtags; Instagram allows 30" in reason
    assert "tags 21 accounts; Instagram allows 20" in reason
    assert "p.png is of type image/png" in reason
    assert "Instagram fetches local.jpg from a public address, and this file has none: set PAPPUS_PUBLIC_URL" in reason
    assert replay.requests == []


def test_a_used_up_publishing_quota_sends_nothing(replay: ReplayServer) -> None:
    replay.add("GET", graph(f"{IG_USER}/content_publishing_limit"), quota(50))
    with instagram(replay) as connector, pytest.raises(RateLimitedError, match="limit of 50 posts in 24 hours"):
        connector.publish(PublishRequest(text="Hei", media=(photo(),)))
    assert replay.requests_to("POST", graph(f"{IG_USER}/media")) == []


def test_a_container_instagram_could_not_prepare_is_refused_with_its_status(replay: ReplayServer) -> None:
    replay.add("GET", graph(f"{IG_USER}/content_publishing_limit"), quota(0))
    replay.add("POST", graph(f"{IG_USER}/media"), Answer(200, {"id": "1004"}))
    replay.add(
        "GET",
        graph("1004"),
        Answer(200, {"status_code": "ERROR", "status": "Error: Media upload has failed", "id": "1004"}),
    )
    with instagram(replay) as connector, pytest.raises(ContentRejectedError, match="Media upload has failed"):
        connector.publish(PublishRequest(text="Hei", media=(photo(),)))
    assert replay.requests_to("POST", graph(f"{IG_USER}/media_publish")) == []


def comment(comment_id: str, username: str, text: str, minute: int, **fields: Any) -> dict[str, Any]:
    return {
        "id": comment_id,
        "text": text,
        "timestamp": f"2026-11-02T10:{minute:02d}:00+0000",
        "username": username,
        "from": {"id": f"ig-{username}", "username": username},
        **fields,
    }


def test_the_inbox_reads_comments_and_answers_and_leaves_the_accounts_own_out(replay: ReplayServer) -> None:
    own = comment("1792", "nordlys", "På fredag", 6)
    answer = comment("1791", "ola_h", "Enig!", 5)
    question = comment("1790", "kari_n", "Når kommer den?", 0, replies={"data": [answer, own]})
    media = {"id": MEDIA, "permalink": "https://www.instagram.com/p/C1a2b3/", "comments": {"data": [question]}}
    replay.add("GET", graph(IG_USER), Answer(200, {"username": "nordlys", "id": IG_USER}), always=True)
    replay.add("GET", graph(f"{IG_USER}/media"), Answer(200, {"data": [media, {"id": "1799"}], "paging": {}}))
    with instagram(replay) as connector:
        page = connector.inbox()
    assert [(item.remote_id, item.author_handle, item.parent_remote_id, item.kind) for item in page.items] == [
        (f"{MEDIA}/1791", "@ola_h", f"{MEDIA}/1790", InboundKind.COMMENT),
        (f"{MEDIA}/1790", "@kari_n", MEDIA, InboundKind.COMMENT),
    ]
    assert page.cursor == "2026-11-02T10:05:00+0000"
    later = comment("1793", "kari_n", "Og prisen?", 30)
    media["comments"] = {"data": [later, question]}
    replay.add("GET", graph(f"{IG_USER}/media"), Answer(200, {"data": [media]}))
    with instagram(replay) as connector:
        assert [item.remote_id for item in connector.inbox(cursor=page.cursor).items] == [f"{MEDIA}/1793"]


def test_replies_hide_and_delete_comments_but_not_posts(replay: ReplayServer) -> None:
    replay.add("POST", graph("1790/replies"), Answer(200, {"id": "1794"}))
    replay.add("POST", graph(f"{MEDIA}/comments"), Answer(200, {"id": "1795"}))
    replay.add("POST", graph("1791"), Answer(200, {"success": True}))
    replay.add("DELETE", graph("1791"), Answer(200, {"success": True}))
    with instagram(replay) as connector:
        answered = connector.reply(f"{MEDIA}/1790", PublishRequest(text="På fredag!"))
        commented = connector.reply(MEDIA, PublishRequest(text="Takk alle!"))
        connector.hide(f"{MEDIA}/1791")
        connector.delete(f"{MEDIA}/1791")
        with pytest.raises(NotSupportedError, match="cannot delete posts"):
            connector.delete(MEDIA)
    assert (answered.remote_id, commented.remote_id) == (f"{MEDIA}/1794", f"{MEDIA}/1795")
    assert form(replay.requests_to("POST", graph("1790/replies"))[0]) == {"message": "På fredag!"}
    assert form(replay.requests_to("POST", graph("1791"))[0]) == {"hide": "true"}
    assert len(replay.requests_to("DELETE", graph("1791"))) == 1


def test_post_metrics_are_likes_comments_and_insights(replay: ReplayServer) -> None:
    replay.add("GET", graph(MEDIA), Answer(200, {"like_count": 40, "comments_count": 6, "id": MEDIA}))
    insights = {
        "data": [
            {
                "name": name,
                "period": "lifetime",
                "values": [{"value": value}],
                "id": f"{MEDIA}/insights/{name}/lifetime",
            }
            for name, value in (("reach", 512), ("views", 1300), ("shares", 9), ("saved", 4))
        ]
    }
    replay.add("GET", graph(f"{MEDIA}/insights"), Answer(200, insights))
    with instagram(replay) as connector:
        metrics = connector.post_metrics(MEDIA)
    assert (metrics.likes, metrics.replies, metrics.reach, metrics.impressions, metrics.shares) == (40, 6, 512, 1300, 9)
    assert parse_qs(replay.requests_to("GET", graph(f"{MEDIA}/insights"))[0].query)["metric"] == [
        "reach,views,shares,saved"
    ]
    assert Capability.LISTEN not in InstagramConnector.capabilities


@pytest.mark.parametrize(
    ("answer", "error", "words"),
    [
        (
            graph_error(400, 190, "Error validating access token: Session has expired.", error_subcode=463),
            AuthExpiredError,
            "Instagram refused the token",
        ),
        (
            graph_error(400, 9, "Application request limit reached", error_subcode=2207042),
            RateLimitedError,
            "Application request limit reached",
        ),
        (
            graph_error(
                400,
                36003,
                "The aspect ratio is not supported.",
                error_subcode=2207009,
                error_user_msg="The submitted image with aspect ratio 1:3 cannot be published.",
            ),
            ContentRejectedError,
            "aspect ratio 1:3 cannot be published",
        ),
        (Answer(502, "<html>Bad Gateway</html>", {"Content-Type": "text/html"}), TemporaryFailureError, "502"),
        (Answer(200, '{"id": "17', {"Content-Type": "application/json"}), TemporaryFailureError, "unreadable JSON"),
    ],
)
def test_graph_errors_while_publishing_become_the_small_set(
    replay: ReplayServer, answer: Answer, error: type[Exception], words: str
) -> None:
    replay.add("GET", graph(f"{IG_USER}/content_publishing_limit"), quota(1))
    replay.add("POST", graph(f"{IG_USER}/media"), answer)
    with instagram(replay) as connector, pytest.raises(error, match=words) as raised:
        connector.publish(PublishRequest(text="Hei", media=(photo(),)))
    assert TOKEN not in str(raised.value)
    assert replay.requests_to("POST", graph(f"{IG_USER}/media_publish")) == []


@pytest.mark.django_db
def test_connecting_checks_the_token(replay: ReplayServer) -> None:
    admin = make_member(None, Role.ADMIN)
    replay.add("GET", graph(IG_USER), Answer(200, USER))
    account = services.account_connect(
        actor=Actor.system("test"),
        membership=admin,
        network="instagram",
        base_url=replay.url,
        credentials={"access_token": TOKEN},
        options={"ig_user_id": IG_USER},
    )
    assert (account.handle, account.remote_id, account.status) == ("@nordlys", IG_USER, AccountStatus.ACTIVE)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("nb", "Et Instagram-innlegg trenger minst ett bilde."),
        ("zh-hans", "Instagram 帖子至少需要一张图片。"),
        ("ru", "Публикации в Instagram нужно хотя бы одно изображение."),
    ],
)
def test_refusals_before_sending_speak_the_users_language(replay: ReplayServer, language: str, expected: str) -> None:
    with translation.override(language), instagram(replay) as connector, pytest.raises(ContentRejectedError) as refused:
        connector.publish(PublishRequest(text="Bare tekst"))
    assert refused.value.reason == expected
