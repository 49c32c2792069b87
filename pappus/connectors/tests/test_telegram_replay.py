"""The Telegram connector against a local server replaying the Bot API's documented answers.

No Telegram server can run locally, so the answers are written from https://core.telegram.org/bots/api:
``{"ok": true, "result": ...}`` with the User, Chat, Message and Update objects as documented, and
errors as ``{"ok": false, "error_code", "description", "parameters": {"retry_after"}}`` with the
descriptions Telegram sends ("Unauthorized", "Too Many Requests: retry after 35",
"Bad Request: message is too long", ...).
"""

from __future__ import annotations

import datetime
import json
import logging
from typing import Any

import pytest
from django.utils import translation

from pappus.connectors import services
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
from pappus.connectors.telegram.client import DEFAULT_LIMITS, TelegramConnector
from pappus.connectors.tests.images import one_pixel_png
from pappus.connectors.tests.replay import Answer, Recorded, ReplayServer
from pappus.core.audit import Actor
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"  # the Bot API documentation's example token
BOT = {
    "id": 123456789,
    "is_bot": True,
    "first_name": "Nordlys Coffee",
    "username": "nordlys_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
CHANNEL = {"id": -1001234567890, "title": "Nordlys news", "username": "nordlys_news", "type": "channel"}
GROUP = {"id": -1009876543210, "title": "Nordlys fans", "type": "supergroup"}
CUSTOMER = {"id": 555000111, "is_bot": False, "first_name": "Kari", "last_name": "Nordmann", "username": "kari_n"}
SENT_AT = 1_793_700_000


def path(method: str) -> str:
    return f"/bot{TOKEN}/{method}"


def ok(result: Any) -> Answer:
    return Answer(200, {"ok": True, "result": result})


def failed(code: int, description: str, **parameters: Any) -> Answer:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return Answer(code, body)


def channel_message(message_id: int, **fields: Any) -> dict[str, Any]:
    return {"message_id": message_id, "sender_chat": CHANNEL, "chat": CHANNEL, "date": SENT_AT, **fields}


def telegram(replay: ReplayServer, chats: str = "@nordlys_news, -1009876543210") -> TelegramConnector:
    return TelegramConnector(base_url=replay.url, credentials={"bot_token": TOKEN}, options={"chats": chats})


def json_body(entry: Recorded) -> dict[str, Any]:
    return dict(json.loads(entry.body))


def test_the_bot_is_the_account_and_its_chats_members_the_audience(replay: ReplayServer) -> None:
    replay.add("POST", path("getMe"), ok(BOT))
    replay.add("POST", path("getChatMemberCount"), ok(1532))
    replay.add("POST", path("getChatMemberCount"), ok(87))
    with telegram(replay) as connector:
        info = connector.account_info()
        metrics = connector.account_metrics()
    assert (info.remote_id, info.handle, info.display_name, info.url) == (
        "123456789",
        "@nordlys_bot",
        "Nordlys Coffee",
        "https://t.me/nordlys_bot",
    )
    assert metrics.followers == 1532 + 87
    assert [json_body(entry) for entry in replay.requests_to("POST", path("getChatMemberCount"))] == [
        {"chat_id": "@nordlys_news"},
        {"chat_id": "-1009876543210"},
    ]
    assert Capability.LISTEN not in TelegramConnector.capabilities


def test_send_a_message_to_the_default_channel(replay: ReplayServer) -> None:
    replay.add("POST", path("sendMessage"), ok(channel_message(42, text="New beans\n\nhttps://nordlys.example/beans")))
    with telegram(replay) as connector:
        result = connector.publish(
            PublishRequest(text="New beans", link="https://nordlys.example/beans", idempotency_key="v-1")
        )
    assert (result.remote_id, result.url) == ("-1001234567890/42", "https://t.me/nordlys_news/42")
    assert result.published_at == datetime.datetime.fromtimestamp(SENT_AT, tz=datetime.UTC)
    assert json_body(replay.requests_to("POST", path("sendMessage"))[0]) == {
        "chat_id": "@nordlys_news",
        "text": "New beans\n\nhttps://nordlys.example/beans",
    }


def test_send_a_photo_with_a_caption_to_a_chosen_group(replay: ReplayServer) -> None:
    photo = [{"file_id": "AgACAgIAAxk", "file_unique_id": "AQAD", "width": 1, "height": 1, "file_size": 70}]
    replay.add(
        "POST",
        path("sendPhoto"),
        ok({"message_id": 7, "from": BOT, "chat": GROUP, "date": SENT_AT, "photo": photo, "caption": "Look"}),
    )
    image = MediaFile(one_pixel_png(), "image/png", "pixel.png", description="A green pixel")
    with telegram(replay) as connector:
        result = connector.publish(PublishRequest(text="Look", media=(image,), target="-1009876543210"))
    assert (result.remote_id, result.url) == ("-1009876543210/7", "https://t.me/c/9876543210/7")
    sent = replay.requests_to("POST", path("sendPhoto"))[0]
    assert sent.headers["Content-Type"].startswith("multipart/form-data")
    assert image.content in sent.body
    assert b'name="caption"\r\n\r\nLook' in sent.body
    assert b'name="chat_id"\r\n\r\n-1009876543210' in sent.body


def test_several_photos_go_as_one_album(replay: ReplayServer) -> None:
    replay.add("POST", path("sendMediaGroup"), ok([channel_message(50, caption="Two"), channel_message(51)]))
    images = tuple(MediaFile(one_pixel_png(), "image/png", f"{number}.png") for number in range(2))
    with telegram(replay) as connector:
        result = connector.publish(PublishRequest(text="Two", media=images))
    assert result.remote_id == "-1001234567890/50"
    body = replay.requests_to("POST", path("sendMediaGroup"))[0].body
    assert (
        b'[{"type": "photo", "media": "attach://file0", "caption": "Two"}, '
        b'{"type": "photo", "media": "attach://file1"}]' in body
    )


def test_the_limits_are_4096_characters_and_1024_for_a_caption(replay: ReplayServer) -> None:
    image = MediaFile(one_pixel_png(), "image/png", "p.png")
    with telegram(replay) as connector:
        with pytest.raises(ContentRejectedError, match="The text is 4097 characters long; the limit here is 4096"):
            connector.publish(PublishRequest(text="x" * 4097))
        with pytest.raises(
            ContentRejectedError,
            match="With a file attached the text is a caption of 1025 characters; the limit here is 1024",
        ) as raised:
            connector.publish(PublishRequest(text="x" * 1025, media=(image,)))
    assert raised.value.checked_locally
    assert replay.requests == []


def test_updates_become_inbox_items_and_the_offset_confirms_them(replay: ReplayServer) -> None:
    replay.add("POST", path("getMe"), ok(BOT), always=True)
    updates = [
        {
            "update_id": 900,
            "message": {
                "message_id": 11,
                "from": CUSTOMER,
                "chat": {**CUSTOMER, "type": "private"},
                "date": SENT_AT,
                "text": "Do you ship to Tromsø?",
            },
        },
        {
            "update_id": 901,
            "message": {
                "message_id": 12,
                "from": CUSTOMER,
                "chat": GROUP,
                "date": SENT_AT + 60,
                "text": "Yes please",
                "reply_to_message": {"message_id": 7, "from": BOT, "chat": GROUP, "date": SENT_AT, "text": "More?"},
            },
        },
        {"update_id": 902, "channel_post": channel_message(43, text="Posted by another admin")},
        {
            "update_id": 903,
            "message": {
                "message_id": 13,
                "from": CUSTOMER,
                "chat": GROUP,
                "date": SENT_AT + 120,
                "text": "@nordlys_bot when do you open?",
                "entities": [{"offset": 0, "length": 12, "type": "mention"}],
            },
        },
        {
            "update_id": 904,
            "message": {
                "message_id": 14,
                "from": CUSTOMER,
                "chat": GROUP,
                "date": SENT_AT,
                "new_chat_members": [CUSTOMER],
            },
        },
    ]
    replay.add("POST", path("getUpdates"), ok(updates))
    replay.add("POST", path("getUpdates"), ok([]))
    with telegram(replay) as connector:
        page = connector.inbox(limit=50)
        later = connector.inbox(cursor=page.cursor)
    assert [
        (item.remote_id, item.kind, item.text, item.author_handle, item.parent_remote_id) for item in page.items
    ] == [
        ("-1009876543210/13", InboundKind.MENTION, "@nordlys_bot when do you open?", "@kari_n", ""),
        ("-1001234567890/43", InboundKind.MESSAGE, "Posted by another admin", "@nordlys_news", ""),
        ("-1009876543210/12", InboundKind.COMMENT, "Yes please", "@kari_n", "-1009876543210/7"),
        ("555000111/11", InboundKind.DIRECT_MESSAGE, "Do you ship to Tromsø?", "@kari_n", ""),
    ]
    direct = page.items[-1]
    assert (direct.author_name, direct.author_id, direct.conversation_id) == ("Kari Nordmann", "555000111", "555000111")
    assert direct.published_at == datetime.datetime.fromtimestamp(SENT_AT, tz=datetime.UTC)
    assert (page.cursor, later.items, later.cursor) == ("905", (), "905")
    asked = [json_body(entry) for entry in replay.requests_to("POST", path("getUpdates"))]
    assert asked == [
        {"limit": 50, "timeout": 0, "allowed_updates": ["message", "channel_post"]},
        {"limit": 40, "timeout": 0, "allowed_updates": ["message", "channel_post"], "offset": 905},
    ]


def test_reply_and_delete_in_the_messages_own_chat(replay: ReplayServer) -> None:
    replay.add(
        "POST",
        path("sendMessage"),
        ok({"message_id": 15, "from": BOT, "chat": GROUP, "date": SENT_AT, "text": "Thank you!"}),
    )
    replay.add("POST", path("deleteMessage"), ok(True))
    with telegram(replay) as connector:
        answer = connector.reply("-1009876543210/12", PublishRequest(text="Thank you!"))
        connector.delete("-1009876543210/13")
        with pytest.raises(NotFoundError, match="not a Telegram message reference"):
            connector.delete("13")
        with pytest.raises(NotSupportedError, match="no views or reactions"):
            connector.post_metrics(answer.remote_id)
    assert answer.remote_id == "-1009876543210/15"
    assert json_body(replay.requests_to("POST", path("sendMessage"))[0]) == {
        "chat_id": "-1009876543210",
        "text": "Thank you!",
        "reply_parameters": {"message_id": 12},
    }
    assert json_body(replay.requests_to("POST", path("deleteMessage"))[0]) == {
        "chat_id": "-1009876543210",
        "message_id": 13,
    }


def test_401_means_reconnect_and_the_token_never_reaches_a_log(
    replay: ReplayServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    replay.add("POST", path("getMe"), failed(401, "Unauthorized"))
    with telegram(replay) as connector, pytest.raises(AuthExpiredError) as raised:
        connector.account_info()
    assert (str(raised.value), raised.value.status) == ("Telegram refused the bot token: Unauthorized", 401)
    assert "getMe" in caplog.text  # httpx logged the request, without the token
    assert TOKEN not in caplog.text
    assert TOKEN.split(":")[1] not in repr(connector)


def test_429_honours_parameters_retry_after(replay: ReplayServer) -> None:
    replay.add("POST", path("sendMessage"), failed(429, "Too Many Requests: retry after 35", retry_after=35))
    with telegram(replay) as connector, pytest.raises(RateLimitedError) as raised:
        connector.publish(PublishRequest(text="hello"))
    assert (str(raised.value), raised.value.retry_after, raised.value.retryable) == (
        "Telegram rate limit reached: Too Many Requests: retry after 35",
        35.0,
        True,
    )


def test_the_networks_reason_for_refusing_content_is_shown(replay: ReplayServer) -> None:
    replay.add("POST", path("sendMessage"), failed(400, "Bad Request: message is too long"))
    replay.add("POST", path("sendMessage"), failed(403, "Forbidden: bot is not a member of the channel chat"))
    replay.add(
        "POST",
        path("sendMessage"),
        failed(400, "Bad Request: group chat was upgraded to a supergroup chat", migrate_to_chat_id=-1001111111111),
    )
    replay.add("POST", path("deleteMessage"), failed(400, "Bad Request: message to delete not found"))
    with telegram(replay) as connector:
        with pytest.raises(ContentRejectedError) as too_long:
            connector.publish(PublishRequest(text="hello"))
        with pytest.raises(ContentRejectedError) as not_member:
            connector.publish(PublishRequest(text="hello"))
        with pytest.raises(ContentRejectedError) as upgraded:
            connector.publish(PublishRequest(text="hello"))
        with pytest.raises(NotFoundError, match="Telegram: Bad Request: message to delete not found"):
            connector.delete("-1001234567890/42")
    assert (too_long.value.reason, too_long.value.status, too_long.value.checked_locally) == (
        "Bad Request: message is too long",
        400,
        False,
    )
    assert not_member.value.reason == "Forbidden: bot is not a member of the channel chat"
    assert upgraded.value.reason == (
        "Bad Request: group chat was upgraded to a supergroup chat: the group is now the supergroup "
        "-1001111111111; change the account's chats."
    )


def test_5xx_malformed_json_and_a_broken_connection_are_temporary(replay: ReplayServer) -> None:
    replay.add(
        "POST", path("sendMessage"), Answer(502, "<html>502 Bad Gateway</html>", headers={"Content-Type": "text/html"})
    )
    replay.add("POST", path("sendMessage"), Answer(200, '{"ok": true, "result": {"message_id": ', headers={}))
    replay.add("POST", path("sendMessage"), Answer(close_without_answer=True))
    replay.add("POST", path("sendMessage"), ok(channel_message(44, text="hello")))
    with telegram(replay) as connector:
        with pytest.raises(TemporaryFailureError, match="Telegram failed: HTTP 502 Bad Gateway"):
            connector.publish(PublishRequest(text="hello"))
        with pytest.raises(TemporaryFailureError, match="Telegram answered with unreadable JSON"):
            connector.publish(PublishRequest(text="hello"))
        # No idempotency key in the Bot API: a message whose answer was lost is not sent again.
        with pytest.raises(TemporaryFailureError) as broken:
            connector.publish(PublishRequest(text="hello", idempotency_key="variant-3"))
    assert broken.value.status is None
    assert len(replay.requests_to("POST", path("sendMessage"))) == 3


def test_an_unknown_token_is_answered_404_and_means_reconnect(replay: ReplayServer) -> None:
    with telegram(replay) as connector, pytest.raises(AuthExpiredError):
        connector.account_info()  # the replay answers 404 to any path it was not given, as Telegram does


@pytest.mark.django_db
def test_connect_a_bot_through_the_services(replay: ReplayServer, workspace: Any) -> None:
    replay.add("POST", path("getMe"), ok(BOT), always=True)
    account = services.account_connect(
        actor=Actor.system("test"),
        membership=make_member(workspace, Role.ADMIN),
        network="telegram",
        base_url=replay.url,
        credentials={"bot_token": TOKEN},
        options={"chats": "@nordlys_news"},
    )
    assert (account.remote_id, account.handle, account.status, account.options) == (
        "123456789",
        "@nordlys_bot",
        AccountStatus.ACTIVE,
        {"chats": "@nordlys_news"},
    )


def test_the_caption_limit_speaks_the_users_language() -> None:
    image = MediaFile(one_pixel_png(), "image/png", "p.png")
    with translation.override("nb"):
        problems = DEFAULT_LIMITS.problems(PublishRequest(text="x" * 1025, media=(image,)))
    assert problems == ["Med en fil vedlagt er teksten en bildetekst på 1025 tegn; grensen her er 1024."]
    with translation.override("zh-hans"):
        assert str(TelegramConnector.connect_fields[1].label) == "频道和群组"
