# ruff: noqa: RUF001 - full-width Chinese punctuation is what followers type
"""WeChat Official Accounts: the server callback end to end, and the API against replayed answers.

The callback tests build what WeChat's servers send from the documented algorithm, written here
independently of ``wechat/protocol.py`` with ``cryptography``: signatures are ``sha1`` of the sorted
token, timestamp and nonce (and ``Encrypt`` for ``msg_signature``); the encrypted message is
AES-256-CBC under base64(EncodingAESKey + "=") with its first 16 bytes as IV, over 16 random bytes,
a 4-byte network-order length, the XML and the app id, PKCS#7-padded to 32 bytes. They go through
Django's test client with CSRF checks on, as WeChat (which has no CSRF token) calls the URL.

The API answers follow WeChat's documentation (developers.weixin.qq.com/doc/offiaccount): HTTP 200
both ways, ``{"errcode", "errmsg"}`` on failure, with the global return codes.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import os
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from django.db import connection
from django.test import Client
from django.utils import timezone

from pappus.connectors import registry
from pappus.connectors.contracts import Capability, MediaFile, PublishRequest
from pappus.connectors.errors import (
    AuthExpiredError,
    ContentRejectedError,
    NotFoundError,
    NotSupportedError,
    RateLimitedError,
    TemporaryFailureError,
)
from pappus.connectors.models import ConnectedAccount, WeChatAccessToken, WeChatFollowerWindow, WeChatNonce
from pappus.connectors.tests.factories import make_account
from pappus.connectors.tests.images import one_pixel_png
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.connectors.wechat import protocol
from pappus.connectors.wechat.client import WeChatConnector
from pappus.core.audit import Actor
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.inbox import services as inbox_services
from pappus.inbox.models import DeliveryStatus, Direction, Message

APPID = "wx5823bf96d3bd56c7"
SECRET = "0c79e1fa963cd80cc0be99b20a18faeb"
TOKEN = "QDG6eK"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"  # 43 characters, as WeChat gives it
ORIGINAL_ID = "gh_7f083739789a"
REPOSITORY = Path(__file__).resolve().parents[3]
FOLLOWER = "oIWsFt1tmWoG6vO6BcsS7St61bRE"


def sha1(*parts: str) -> str:
    return hashlib.sha1("".join(sorted(parts)).encode(), usedforsecurity=False).hexdigest()


def wechat_encrypt(xml: str, *, key: str = AES_KEY, appid: str = APPID) -> str:
    """WeChat's encryption, from its documentation, with cryptography's own PKCS#7 (block of 256 bits)."""
    aes_key = base64.b64decode(key + "=")
    body = xml.encode()
    plain = os.urandom(16) + struct.pack("!I", len(body)) + body + appid.encode()
    padder = padding.PKCS7(256).padder()
    padded = padder.update(plain) + padder.finalize()
    encryptor = Cipher(algorithms.AES(aes_key), modes.CBC(aes_key[:16])).encryptor()
    return base64.b64encode(encryptor.update(padded) + encryptor.finalize()).decode()


def text_xml(content: str, *, msg_id: str = "6054768590064713728", created: int | None = None) -> str:
    created = created or int(time.time())
    return (
        f"<xml><ToUserName><![CDATA[{ORIGINAL_ID}]]></ToUserName><FromUserName><![CDATA[{FOLLOWER}]]></FromUserName>"
        f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def event_xml(event: str, key: str = "") -> str:
    return (
        f"<xml><ToUserName><![CDATA[{ORIGINAL_ID}]]></ToUserName><FromUserName><![CDATA[{FOLLOWER}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{event}]]></Event><EventKey><![CDATA[{key}]]></EventKey></xml>"
    )


class WeChatServer:
    """Posts to the callback URL the way WeChat's servers do."""

    def __init__(self, account: ConnectedAccount, *, token: str = TOKEN) -> None:
        self.url = f"/connectors/wechat/{account.pk}/callback/"
        self.token = token
        self.client = Client(enforce_csrf_checks=True)

    def query(self, *, timestamp: int | None = None, nonce: str | None = None, **extra: str) -> dict[str, str]:
        stamp = str(timestamp if timestamp is not None else int(time.time()))
        once = nonce or base64.b32encode(os.urandom(5)).decode()
        return {"signature": sha1(self.token, stamp, once), "timestamp": stamp, "nonce": once, **extra}

    def verify(self, echostr: str, **query: Any) -> Any:
        return self.client.get(self.url, {**self.query(**query), "echostr": echostr})

    def post_plain(self, xml: str, **query: Any) -> Any:
        arguments = self.query(**query)
        return self.client.post(
            f"{self.url}?{urlencode({**arguments, 'openid': FOLLOWER})}", xml, content_type="text/xml"
        )

    def post_encrypted(self, xml: str, *, appid: str = APPID, msg_signature: str = "", **query: Any) -> Any:
        arguments = self.query(**query)
        encrypted = wechat_encrypt(xml, appid=appid)
        signed = msg_signature or sha1(self.token, arguments["timestamp"], arguments["nonce"], encrypted)
        body = (
            f"<xml><ToUserName><![CDATA[{ORIGINAL_ID}]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>"
        )
        full = {**arguments, "openid": FOLLOWER, "encrypt_type": "aes", "msg_signature": signed}
        return self.client.post(f"{self.url}?{urlencode(full)}", body, content_type="text/xml")


def wechat_account(
    workspace: Any, replay_url: str = "https://api.weixin.qq.com", *, aes: bool = False
) -> ConnectedAccount:
    credentials = {"app_secret": SECRET, "callback_token": TOKEN}
    if aes:
        credentials["encoding_aes_key"] = AES_KEY
    return make_account(
        workspace,
        base_url=replay_url,
        network="wechat",
        handle=APPID,
        remote_id=APPID,
        options={"appid": APPID},
        credentials=credentials,
    )


def inbound(account: ConnectedAccount) -> list[Message]:
    return list(Message.objects.filter(conversation__account_id=account.pk, direction=Direction.INBOUND).order_by("id"))


# --- the callback ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_url_verification_answers_echostr_only_to_a_correct_signature(workspace: Any) -> None:
    account = wechat_account(workspace)
    server = WeChatServer(account)
    answer = server.verify("5837397520665436492")
    assert answer.status_code == 200
    assert answer.content == b"5837397520665436492"
    forged = WeChatServer(account, token="not-the-token")
    assert forged.verify("5837397520665436492").status_code == 403
    stale = server.verify("1", timestamp=int(time.time()) - 3600)
    assert stale.status_code == 403


@pytest.mark.django_db
def test_a_plain_text_message_lands_in_the_inbox_and_wechat_gets_success(workspace: Any) -> None:
    account = wechat_account(workspace)
    server = WeChatServer(account)
    answer = server.post_plain(text_xml("你好，我的订单还没到"))
    assert answer.status_code == 200
    assert answer.content == b"success"
    [message] = inbound(account)
    assert message.text == "你好，我的订单还没到"
    assert message.external_id == f"{FOLLOWER}:6054768590064713728"
    assert message.author_handle == FOLLOWER
    assert message.conversation.network == "wechat"
    window = WeChatFollowerWindow.objects.for_workspace(workspace).get(account=account, openid=FOLLOWER)
    assert timezone.now() - window.last_interaction_at < datetime.timedelta(minutes=1)
    # WeChat retries a message it got no answer to: the same MsgId is stored once.
    assert server.post_plain(text_xml("你好，我的订单还没到")).status_code == 200
    assert len(inbound(account)) == 1


@pytest.mark.django_db
def test_a_bad_signature_is_refused_with_403_and_nothing_is_stored(workspace: Any) -> None:
    account = wechat_account(workspace)
    forged = WeChatServer(account, token="guessed")
    answer = forged.post_plain(text_xml("fake"))
    assert answer.status_code == 403
    assert inbound(account) == []
    assert not WeChatFollowerWindow.objects.exists()
    assert not WeChatNonce.objects.exists()
    # No signature at all, and a stale timestamp with a correct signature, likewise.
    client = Client(enforce_csrf_checks=True)
    assert (
        client.post(f"/connectors/wechat/{account.pk}/callback/", text_xml("x"), content_type="text/xml").status_code
        == 403
    )
    assert WeChatServer(account).post_plain(text_xml("old"), timestamp=int(time.time()) - 600).status_code == 403
    assert inbound(account) == []
    # An account that is not WeChat's, or none, is not found.
    assert client.get("/connectors/wechat/999999/callback/").status_code == 404


@pytest.mark.django_db
def test_a_replayed_request_is_refused(workspace: Any) -> None:
    account = wechat_account(workspace)
    server = WeChatServer(account)
    stamp, nonce = int(time.time()), "1320562132"
    assert server.post_plain(text_xml("first", msg_id="1"), timestamp=stamp, nonce=nonce).status_code == 200
    # The same signed query again (captured and replayed), even with another message in it.
    assert server.post_plain(text_xml("again", msg_id="2"), timestamp=stamp, nonce=nonce).status_code == 403
    assert [message.text for message in inbound(account)] == ["first"]


@pytest.mark.django_db
def test_encrypted_messages_and_events_are_decrypted_into_the_inbox(workspace: Any) -> None:
    account = wechat_account(workspace, aes=True)
    server = WeChatServer(account)
    assert server.post_encrypted(event_xml("subscribe", "qrscene_123")).content == b"success"
    assert server.post_encrypted(text_xml("請問門市幾點開？", msg_id="42")).content == b"success"
    assert server.post_encrypted(event_xml("CLICK", "V1001_TODAY_MUSIC")).content == b"success"
    assert server.post_encrypted(event_xml("LOCATION")).content == b"success"  # automatic: not a message
    assert server.post_encrypted(event_xml("unsubscribe")).content == b"success"
    texts = [message.text for message in inbound(account)]
    assert texts == [
        "[followed the account] qrscene_123",
        "請問門市幾點開？",
        "[menu: V1001_TODAY_MUSIC]",
        "[unfollowed the account]",
    ]
    # One conversation per follower.
    assert len({message.conversation_id for message in inbound(account)}) == 1


@pytest.mark.django_db
def test_encrypted_mode_refuses_forgeries_other_apps_and_plain_messages(workspace: Any) -> None:
    account = wechat_account(workspace, aes=True)
    server = WeChatServer(account)
    assert server.post_encrypted(text_xml("forged"), msg_signature="0" * 40).status_code == 403
    assert server.post_encrypted(text_xml("another app"), appid="wx0000000000000000").status_code == 403
    assert server.post_plain(text_xml("plain")).status_code == 403  # the account is in safe mode
    # Encrypted under another key: the padding or the app id does not survive.
    arguments = server.query()
    foreign = wechat_encrypt(text_xml("other key"), key="A" * 43)
    body = f"<xml><ToUserName><![CDATA[{ORIGINAL_ID}]]></ToUserName><Encrypt><![CDATA[{foreign}]]></Encrypt></xml>"
    signed = sha1(TOKEN, arguments["timestamp"], arguments["nonce"], foreign)
    query = urlencode({**arguments, "encrypt_type": "aes", "msg_signature": signed})
    assert server.client.post(f"{server.url}?{query}", body, content_type="text/xml").status_code == 403
    # XML entities (billion laughs and friends) are refused before anything is read.
    entity = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><xml><Encrypt>&a;</Encrypt></xml>'
    arguments = server.query()
    query = urlencode({**arguments, "encrypt_type": "aes", "msg_signature": "x"})
    assert server.client.post(f"{server.url}?{query}", entity, content_type="text/xml").status_code == 403
    assert inbound(account) == []
    assert not WeChatNonce.objects.exists()


def test_the_protocol_module_reads_what_the_documented_algorithm_writes() -> None:
    xml = text_xml("中文 and English")
    assert protocol.decrypt(wechat_encrypt(xml), encoding_aes_key=AES_KEY, appid=APPID) == xml
    # And the other way round: its own encryption opens with cryptography's PKCS#7 (32-byte blocks).
    encrypted = protocol.encrypt(xml, encoding_aes_key=AES_KEY, appid=APPID)
    key = base64.b64decode(AES_KEY + "=")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(key[:16])).decryptor()
    unpadder = padding.PKCS7(256).unpadder()
    plain = unpadder.update(decryptor.update(base64.b64decode(encrypted)) + decryptor.finalize()) + unpadder.finalize()
    (length,) = struct.unpack("!I", plain[16:20])
    assert plain[20 : 20 + length].decode() == xml
    assert plain[20 + length :] == APPID.encode()
    with pytest.raises(protocol.ProtocolError, match="43"):
        protocol.aes_key("short")


# --- replies through the customer-service API ---------------------------------------------------------------


def serve_token(replay: ReplayServer, token: str = "", *, delay: float = 0.0) -> None:
    token = token or "ACCESS_TOKEN_1"
    replay.add("POST", "/cgi-bin/stable_token", Answer(200, {"access_token": token, "expires_in": 7200}, delay=delay))


def ok() -> Answer:
    return Answer(200, {"errcode": 0, "errmsg": "ok"})


def wechat(replay: ReplayServer) -> WeChatConnector:
    connector = registry.build(
        "wechat",
        base_url=replay.url,
        credentials={"app_secret": SECRET, "callback_token": TOKEN},
        options={"appid": APPID},
    )
    assert isinstance(connector, WeChatConnector)
    return connector


@pytest.mark.django_db
def test_an_inbox_reply_goes_out_as_a_customer_service_message_within_48_hours(
    workspace: Any, replay: ReplayServer
) -> None:
    account = wechat_account(workspace, replay.url)
    WeChatServer(account).post_plain(text_xml("还有库存吗？"))
    [message] = inbound(account)
    agent = make_member(workspace, Role.ADMIN)
    serve_token(replay)
    replay.add("POST", "/cgi-bin/message/custom/send", ok())
    sent = inbox_services.conversation_reply(
        actor=Actor(agent.user, via="test"),
        membership=agent,
        conversation_id=message.conversation_id,
        text="有的，欢迎下单",
    )
    assert sent.delivery_status == DeliveryStatus.SENT, sent.error
    [request] = replay.requests_to("POST", "/cgi-bin/message/custom/send")
    assert parse_qs(request.query)["access_token"] == ["ACCESS_TOKEN_1"]
    assert json.loads(request.body) == {"touser": FOLLOWER, "msgtype": "text", "text": {"content": "有的，欢迎下单"}}
    assert "有的" in request.body.decode()  # Chinese sent as characters, as WeChat's examples do

    # 49 hours later the window is closed: refused before sending, with the reason for the agent.
    WeChatFollowerWindow.objects.filter(account=account).update(
        last_interaction_at=timezone.now() - datetime.timedelta(hours=49)
    )
    late = inbox_services.conversation_reply(
        actor=Actor(agent.user, via="test"), membership=agent, conversation_id=message.conversation_id, text="还在吗？"
    )
    assert late.delivery_status == DeliveryStatus.FAILED
    assert "48 hours" in late.error
    assert "49 hours ago" in late.error
    assert len(replay.requests_to("POST", "/cgi-bin/message/custom/send")) == 1


@pytest.mark.django_db
def test_a_reply_refused_by_wechat_outside_its_window_is_content_rejected(workspace: Any, replay: ReplayServer) -> None:
    account = wechat_account(workspace, replay.url)
    WeChatServer(account).post_plain(text_xml("hi"))
    serve_token(replay)
    replay.add(
        "POST",
        "/cgi-bin/message/custom/send",
        Answer(200, {"errcode": 45015, "errmsg": "response out of time limit or subscription is canceled"}),
    )
    with wechat(replay) as connector, pytest.raises(ContentRejectedError, match="45015"):
        connector.reply(f"{FOLLOWER}:1", PublishRequest(text="hello"))
    with wechat(replay) as connector, pytest.raises(ContentRejectedError, match="never wrote"):
        connector.reply("oSomeoneElse:1", PublishRequest(text="hello"))


# --- the token -----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_token_is_fetched_once_cached_and_renewed_when_wechat_refuses_it(replay: ReplayServer) -> None:
    serve_token(replay, "TOKEN_A")
    replay.add(
        "GET",
        "/cgi-bin/user/get",
        Answer(200, {"total": 2, "count": 2, "data": {"openid": ["o1", "o2"]}, "next_openid": "o2"}),
        always=True,
    )
    with wechat(replay) as connector:
        assert connector.account_metrics().followers == 2
    with wechat(replay) as connector:  # another worker: the cached token
        info = connector.account_info()
    assert (info.remote_id, info.followers) == (APPID, 2)
    [fetch] = replay.requests_to("POST", "/cgi-bin/stable_token")
    assert json.loads(fetch.body) == {
        "grant_type": "client_credential",
        "appid": APPID,
        "secret": SECRET,
        "force_refresh": False,
    }
    assert SECRET not in fetch.query  # the secret never goes in a URL
    assert all("TOKEN_A" in entry.query for entry in replay.requests_to("GET", "/cgi-bin/user/get"))
    assert WeChatAccessToken.objects.get().refresh_count == 1
    assert "TOKEN_A" not in WeChatAccessToken.objects.get().token  # encrypted at rest

    # WeChat says the token expired early (42001): forgotten, fetched again, the call sent once more.
    replay.reset()
    serve_token(replay, "TOKEN_B")
    replay.add("GET", "/cgi-bin/tags/get", Answer(200, {"errcode": 42001, "errmsg": "access_token expired"}))
    replay.add("GET", "/cgi-bin/tags/get", Answer(200, {"tags": [{"id": 2, "name": "星标组", "count": 1}]}))
    with wechat(replay) as connector:
        assert [tag.name for tag in connector.tags()] == ["星标组"]
    assert [parse_qs(entry.query)["access_token"] for entry in replay.requests_to("GET", "/cgi-bin/tags/get")] == [
        ["TOKEN_A"],
        ["TOKEN_B"],
    ]
    # Refused again with the new one: the account must be reconnected.
    replay.reset()
    serve_token(replay, "TOKEN_C")
    replay.add("GET", "/cgi-bin/tags/get", Answer(200, {"errcode": 40001, "errmsg": "invalid credential"}), always=True)
    with wechat(replay) as connector, pytest.raises(AuthExpiredError, match="40001"):
        connector.tags()


@pytest.mark.django_db
def test_a_wrong_app_secret_is_an_expired_authorization(replay: ReplayServer) -> None:
    replay.add("POST", "/cgi-bin/stable_token", Answer(200, {"errcode": 40125, "errmsg": "invalid appsecret"}))
    with wechat(replay) as connector, pytest.raises(AuthExpiredError, match="invalid appsecret"):
        connector.account_info()
    assert not registry.build("wechat", base_url=replay.url, credentials={}, options={}).capabilities & {
        Capability.INBOX
    }


@pytest.mark.django_db(transaction=True)
def test_two_threads_refreshing_at_once_fetch_the_token_once(postgres_required: None, replay: ReplayServer) -> None:
    """On PostgreSQL: each thread with its own connection; the row lock lets one fetch, the other waits and reads."""
    serve_token(replay, "SHARED_TOKEN", delay=0.5)
    tokens: list[str] = []
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def worker() -> None:
        try:
            WeChatAccessToken.objects.exists()  # open this thread's connection before the race
            start.wait()
            with wechat(replay) as connector:
                tokens.append(connector.access_token())
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert tokens == ["SHARED_TOKEN", "SHARED_TOKEN"]
    assert len(replay.requests_to("POST", "/cgi-bin/stable_token")) == 1
    assert WeChatAccessToken.objects.get().refresh_count == 1


WORKER = """
import os, pathlib, sys, time
import django
django.setup()
from django.db import connection
from pappus.connectors import registry
from pappus.connectors.models import WeChatAccessToken
database, replay_url, barrier, name = sys.argv[1:5]
if name == "setup":
    with connection.schema_editor() as editor:
        editor.create_model(WeChatAccessToken)
    sys.exit(0)
pathlib.Path(barrier, name).touch()
while len(list(pathlib.Path(barrier).iterdir())) < 2:
    time.sleep(0.01)
connector = registry.build(
    "wechat", base_url=replay_url, credentials={"app_secret": "s3cret"}, options={"appid": "wxprocess"}
)
print(connector.access_token())
"""


def test_two_processes_sharing_an_embedded_sqlite_database_fetch_the_token_once(
    replay: ReplayServer, tmp_path: Any
) -> None:
    """The embedded shape: two worker processes on one SQLite file (IMMEDIATE transactions, as configured)."""
    serve_token(replay, "PROCESS_TOKEN", delay=1.0)
    database = tmp_path / "embedded.sqlite3"
    barrier = tmp_path / "barrier"
    barrier.mkdir()
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "PAPPUS_DATABASE_URL": f"sqlite:///{database}",
    }
    arguments = [sys.executable, str(script), str(database), replay.url, str(barrier)]
    subprocess.run([*arguments, "setup"], env=environment, check=True, timeout=120, cwd=REPOSITORY)
    workers = [
        subprocess.Popen(
            [*arguments, name],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPOSITORY,
        )
        for name in ("first", "second")
    ]
    outputs = [worker.communicate(timeout=120) for worker in workers]
    assert [worker.returncode for worker in workers] == [0, 0], outputs
    assert [output.strip() for output, _ in outputs] == ["PROCESS_TOKEN", "PROCESS_TOKEN"]
    assert len(replay.requests_to("POST", "/cgi-bin/stable_token")) == 1


# --- errors -----------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("code", "message", "error", "retry_after"),
    [
        (45009, "reach max api daily quota limit", RateLimitedError, None),
        (45011, "api minute-quota reach limit", RateLimitedError, 60.0),
        (45047, "out of response count limit", RateLimitedError, None),
        (87014, "risky content", ContentRejectedError, None),
        (40003, "invalid openid", NotFoundError, None),
        (-1, "system error", TemporaryFailureError, None),
        (48001, "api unauthorized", AuthExpiredError, None),
    ],
)
def test_wechat_error_codes_map_to_the_error_set(
    replay: ReplayServer, code: int, message: str, error: type[Exception], retry_after: float | None
) -> None:
    serve_token(replay)
    replay.add("POST", "/cgi-bin/tags/create", Answer(200, {"errcode": code, "errmsg": message}))
    with wechat(replay) as connector, pytest.raises(error, match=message) as raised:
        connector.tag_create("VIP")
    if retry_after is not None:
        assert getattr(raised.value, "retry_after", None) == retry_after


@pytest.mark.django_db
def test_unreadable_json_and_5xx_are_temporary(replay: ReplayServer) -> None:
    serve_token(replay)
    replay.add("GET", "/cgi-bin/tags/get", Answer(200, "<html>busy</html>", headers={"Content-Type": "text/html"}))
    replay.add("GET", "/cgi-bin/tags/get", Answer(502, "bad gateway"))
    with wechat(replay) as connector:
        with pytest.raises(TemporaryFailureError, match="unreadable JSON"):
            connector.tags()
        with pytest.raises(TemporaryFailureError):
            connector.tags()


# --- articles, followers and tags ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_article_is_drafted_published_and_followed_until_it_is_out(replay: ReplayServer) -> None:
    serve_token(replay)
    replay.add(
        "POST",
        "/cgi-bin/material/add_material",
        Answer(200, {"media_id": "COVER_MEDIA", "url": "http://mmbiz.qpic.cn/cover"}),
    )
    replay.add("POST", "/cgi-bin/media/uploadimg", Answer(200, {"url": "http://mmbiz.qpic.cn/inline"}))
    replay.add("POST", "/cgi-bin/draft/add", Answer(200, {"media_id": "DRAFT_MEDIA"}))
    replay.add(
        "POST", "/cgi-bin/freepublish/submit", Answer(200, {"errcode": 0, "errmsg": "ok", "publish_id": "100000001"})
    )
    replay.add("POST", "/cgi-bin/freepublish/get", Answer(200, {"publish_id": "100000001", "publish_status": 1}))
    replay.add(
        "POST",
        "/cgi-bin/freepublish/get",
        Answer(
            200,
            {
                "publish_id": "100000001",
                "publish_status": 0,
                "article_id": "ARTICLE_ID",
                "article_detail": {"count": 1, "item": [{"idx": 1, "article_url": "https://mp.weixin.qq.com/s/abc"}]},
                "fail_idx": [],
            },
        ),
    )
    image = MediaFile(one_pixel_png(), "image/png", "cover.png")
    inline = MediaFile(one_pixel_png(), "image/png", "inline.png")
    with wechat(replay) as connector:
        connector.publish_poll_seconds = 0  # type: ignore[misc]
        result = connector.publish(
            PublishRequest(
                text="新品上市\n秋季限定拿铁 <今天> 开售", media=(image, inline), link="https://example.com/latte"
            )
        )
    assert (result.remote_id, result.url) == ("ARTICLE_ID", "https://mp.weixin.qq.com/s/abc")
    [draft] = replay.requests_to("POST", "/cgi-bin/draft/add")
    [article] = json.loads(draft.body)["articles"]
    assert article["title"] == "新品上市"
    assert article["thumb_media_id"] == "COVER_MEDIA"
    assert article["content"] == '<p>秋季限定拿铁 &lt;今天&gt; 开售</p><p><img src="http://mmbiz.qpic.cn/inline"></p>'
    assert article["content_source_url"] == "https://example.com/latte"
    assert json.loads(replay.requests_to("POST", "/cgi-bin/freepublish/submit")[0].body) == {"media_id": "DRAFT_MEDIA"}
    [cover] = replay.requests_to("POST", "/cgi-bin/material/add_material")
    assert parse_qs(cover.query)["type"] == ["image"]


@pytest.mark.django_db
def test_an_article_refused_by_review_or_without_a_cover_is_content_rejected(replay: ReplayServer) -> None:
    serve_token(replay)
    with wechat(replay) as connector, pytest.raises(ContentRejectedError, match="cover image"):
        connector.publish(PublishRequest(text="标题\n正文"))
    assert replay.requests_to("POST", "/cgi-bin/draft/add") == []
    replay.add("POST", "/cgi-bin/material/add_material", Answer(200, {"media_id": "COVER"}))
    replay.add("POST", "/cgi-bin/draft/add", Answer(200, {"media_id": "DRAFT"}))
    replay.add("POST", "/cgi-bin/freepublish/submit", Answer(200, {"errcode": 0, "publish_id": "7"}))
    replay.add(
        "POST", "/cgi-bin/freepublish/get", Answer(200, {"publish_id": "7", "publish_status": 4, "fail_idx": [1]})
    )
    with wechat(replay) as connector, pytest.raises(ContentRejectedError, match="review refused it"):
        connector.publish(PublishRequest(text="标题\n正文", media=(MediaFile(one_pixel_png(), "image/png", "c.png"),)))
    with wechat(replay) as connector, pytest.raises(NotSupportedError):
        connector.delete("ARTICLE_ID")


@pytest.mark.django_db
def test_followers_and_tags(replay: ReplayServer) -> None:
    serve_token(replay)
    replay.add(
        "GET",
        "/cgi-bin/user/get",
        Answer(200, {"total": 23000, "count": 10000, "data": {"openid": ["o1", "o2"]}, "next_openid": "o2"}),
    )
    replay.add("POST", "/cgi-bin/tags/create", Answer(200, {"tag": {"id": 134, "name": "广东"}}))
    replay.add("POST", "/cgi-bin/tags/members/batchtagging", ok())
    replay.add(
        "POST",
        "/cgi-bin/user/tag/get",
        Answer(200, {"count": 2, "data": {"openid": ["o1", "o2"]}, "next_openid": "o2"}),
    )
    with wechat(replay) as connector:
        page = connector.followers()
        assert (page.openids, page.total, page.next_openid) == (("o1", "o2"), 23000, "o2")
        tag = connector.tag_create("广东")
        assert (tag.id, tag.name) == (134, "广东")
        connector.tag_followers(tag.id, ["o1", "o2"])
        assert connector.tagged_followers(tag.id).openids == ("o1", "o2")
        with pytest.raises(ContentRejectedError, match="1 to 50"):
            connector.tag_followers(tag.id, [f"o{number}" for number in range(51)])
    assert json.loads(replay.requests_to("POST", "/cgi-bin/tags/members/batchtagging")[0].body) == {
        "openid_list": ["o1", "o2"],
        "tagid": 134,
    }


# --- connecting from the web --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_connecting_an_official_account_and_finding_its_server_url(replay: ReplayServer) -> None:
    admin = make_member(None, Role.ADMIN)
    client = Client()
    client.force_login(admin.user)
    serve_token(replay)
    replay.add("GET", "/cgi-bin/user/get", Answer(200, {"total": 812, "count": 1, "data": {"openid": ["o1"]}}))
    answer = client.post(
        "/connectors/connect/wechat/",
        {
            "base_url": replay.url,
            "appid": APPID,
            "app_secret": SECRET,
            "callback_token": TOKEN,
            "encoding_aes_key": AES_KEY,
        },
    )
    assert answer.status_code == 302, answer.content.decode()[:2000]
    account = ConnectedAccount.objects.for_workspace(admin.workspace).get(network="wechat")
    assert (account.remote_id, account.options["appid"]) == (APPID, APPID)
    page = client.get(f"/connectors/{account.pk}/settings/")
    assert f"http://testserver/connectors/wechat/{account.pk}/callback/" in page.content.decode()
    # The stored Token and key are the ones the callback checks.
    assert WeChatServer(account).post_encrypted(text_xml("connected")).content == b"success"
