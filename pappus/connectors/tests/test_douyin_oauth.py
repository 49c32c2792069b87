"""Douyin's and Toutiao's OAuth 2 sign-in from the web UI, against a replayed open platform.

The answers follow ByteDance's documentation of the Douyin open platform
(developer.open-douyin.com: ``/platform/oauth/connect/``, ``/oauth/access_token/``,
``/oauth/refresh_token/``, ``/oauth/renew_refresh_token/``, ``/oauth/userinfo/``) and its
Toutiao/Xigua section (``open.snssdk.com/oauth/authorize/`` and the same token endpoints): the
client is ``client_key``; every answer is HTTP 200 ``{"data": {..., "error_code", "description"},
"message"}``, a refusal only in ``error_code`` (10007 code expired, 10010 refresh token expired,
10013 client key or secret wrong, 10020 refresh token renewed too often); the access token lives
15 days (``expires_in`` 1296000) and the refresh token 30 (``refresh_expires_in`` 2592000).
"""

from __future__ import annotations

import datetime
import json
from typing import Any
from urllib.parse import parse_qs

import pytest
from django.utils import timezone

from pappus.connectors import crypto, oauth
from pappus.connectors.errors import AuthExpiredError
from pappus.connectors.models import AccountCredentials, ConnectedAccount
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.connectors.tests.test_oauth_flow import save_app, signed_in, start

pytestmark = pytest.mark.django_db

OPEN_ID = "ba253642-0590-40bc-9bdf-9a1334b94059"
FIFTEEN_DAYS = 1_296_000
THIRTY_DAYS = 2_592_000


def answer(**data: Any) -> Answer:
    return Answer(200, {"data": {"error_code": 0, "description": "", **data}, "message": "success"})


def refusal(code: int, description: str) -> Answer:
    return Answer(200, {"data": {"error_code": code, "description": description}, "message": "error"})


def token_answer(access: str, refresh: str, *, refresh_expires_in: int = THIRTY_DAYS) -> Answer:
    return answer(
        access_token=access,
        expires_in=FIFTEEN_DAYS,
        open_id=OPEN_ID,
        refresh_token=refresh,
        refresh_expires_in=refresh_expires_in,
        scope="user_info,video.create.bind,item.comment",
    )


def stored(account: ConnectedAccount) -> dict[str, str]:
    return crypto.decrypt(AccountCredentials.objects.get(account=account).credentials)


def sign_in(network: str, replay: ReplayServer) -> tuple[Any, Any, dict[str, str]]:
    client, admin = signed_in()
    save_app(client, replay, network, token_path="/oauth/access_token/")
    return client, admin, start(client, network)


@pytest.mark.parametrize(
    ("network", "address", "nickname"),
    [
        ("douyin", "https://open.douyin.com/platform/oauth/connect/", "北极光咖啡"),
        ("toutiao", "https://open.snssdk.com/oauth/authorize/", "北极光咖啡头条号"),
    ],
)
def test_sign_in_end_to_end(replay: ReplayServer, network: str, address: str, nickname: str) -> None:
    client, admin, authorize = sign_in(network, replay)
    # ByteDance's names: client_key, scopes separated by commas, no PKCE.
    assert authorize["_address"] == address
    assert authorize["client_key"] == f"{network}-client-id"
    assert "client_id" not in authorize
    assert authorize["scope"].startswith("user_info,")
    assert authorize["redirect_uri"] == f"http://testserver/connectors/oauth/{network}/callback/"
    assert "code_challenge" not in authorize

    replay.add("POST", "/oauth/access_token/", token_answer("act.first", "rft.first"))
    replay.add(
        "POST", "/oauth/userinfo/", answer(open_id=OPEN_ID, union_id="u", nickname=nickname, avatar=""), always=True
    )
    response = client.get(f"/connectors/oauth/{network}/callback/?state={authorize['state']}&code=douyin-code")
    assert response.status_code == 302, response.content.decode()

    [exchange] = replay.requests_to("POST", "/oauth/access_token/")
    assert json.loads(exchange.body) == {
        "client_key": f"{network}-client-id",
        "client_secret": "app-secret",
        "code": "douyin-code",
        "grant_type": "authorization_code",
    }
    userinfo = replay.requests_to("POST", "/oauth/userinfo/")[0]
    assert userinfo.headers["access-token"] == "act.first"
    assert parse_qs(userinfo.query)["open_id"] == [OPEN_ID]

    account = ConnectedAccount.objects.for_workspace(admin.workspace).get()
    assert (account.network, account.remote_id, account.handle) == (network, OPEN_ID, nickname)
    assert account.options["open_id"] == OPEN_ID
    assert account.options["granted_scopes"] == ["user_info", "video.create.bind", "item.comment"]
    assert stored(account) == {"access_token": "act.first", "refresh_token": "rft.first"}
    assert account.token_expires_at is not None
    assert 14.9 < (account.token_expires_at - timezone.now()).total_seconds() / 86400 <= 15
    refresh_expiry = datetime.datetime.fromisoformat(account.options["refresh_token_expires_at"])
    assert 29.9 < (refresh_expiry - timezone.now()).total_seconds() / 86400 <= 30

    health = client.get("/connectors/").content.decode()
    assert nickname in health
    assert "Refresh token valid until" in health
    assert "act.first" not in health
    assert "rft.first" not in health


def test_the_connect_page_offers_sign_in_first_and_keeps_token_entry() -> None:
    client, _admin = signed_in()
    choose = client.get("/connectors/connect/").content.decode()
    assert 'href="/connectors/oauth/douyin/"' in choose
    assert 'href="/connectors/oauth/toutiao/"' in choose
    # Pasting a token stays possible, with sign-in offered above it.
    paste = client.get("/connectors/connect/douyin/").content.decode()
    assert 'data-testid="oauth-start"' in paste
    assert 'name="open_id"' in paste
    assert 'name="access_token"' in paste


def test_a_code_douyin_calls_expired_shows_its_words_and_connects_nothing(replay: ReplayServer) -> None:
    client, _admin, authorize = sign_in("douyin", replay)
    replay.add("POST", "/oauth/access_token/", refusal(10007, "授权码已过期"))
    response = client.get(f"/connectors/oauth/douyin/callback/?state={authorize['state']}&code=old")
    assert response.status_code == 400
    assert "授权码已过期 (10007)" in response.content.decode()
    assert ConnectedAccount.objects.count() == 0


def test_a_wrong_client_secret_points_at_the_app_settings(replay: ReplayServer) -> None:
    client, _admin, authorize = sign_in("douyin", replay)
    replay.add("POST", "/oauth/access_token/", refusal(10013, "client_key或者client_secret错误"))
    response = client.get(f"/connectors/oauth/douyin/callback/?state={authorize['state']}&code=c")
    assert response.status_code == 400
    assert "client key or secret" in response.content.decode()


def connected_account(replay: ReplayServer, *, refresh_expires_in: int = THIRTY_DAYS) -> ConnectedAccount:
    client, admin, authorize = sign_in("douyin", replay)
    replay.add("POST", "/oauth/access_token/", token_answer("act.first", "rft.first"))
    replay.add("POST", "/oauth/userinfo/", answer(open_id=OPEN_ID, nickname="北极光咖啡"), always=True)
    client.get(f"/connectors/oauth/douyin/callback/?state={authorize['state']}&code=c")
    replay.reset()
    return ConnectedAccount.objects.for_workspace(admin.workspace).get()


def test_a_refresh_keeps_a_refresh_token_that_outlives_the_new_access_token(replay: ReplayServer) -> None:
    account = connected_account(replay)
    replay.add("POST", "/oauth/refresh_token/", token_answer("act.second", "rft.first", refresh_expires_in=20 * 86400))
    assert oauth.account_refresh(account) is True
    [refresh] = replay.requests_to("POST", "/oauth/refresh_token/")
    assert {name: values[0] for name, values in parse_qs(refresh.body.decode()).items()} == {
        "client_key": "douyin-client-id",
        "grant_type": "refresh_token",
        "refresh_token": "rft.first",
    }
    # 20 days left outlive the new 15-day access token: nothing renewed.
    assert replay.requests_to("POST", "/oauth/renew_refresh_token/") == []
    account.refresh_from_db()
    assert stored(account) == {"access_token": "act.second", "refresh_token": "rft.first"}
    refresh_expiry = datetime.datetime.fromisoformat(account.options["refresh_token_expires_at"])
    assert 19.9 < (refresh_expiry - timezone.now()).total_seconds() / 86400 <= 20


def test_a_refresh_token_about_to_run_out_is_renewed(replay: ReplayServer) -> None:
    account = connected_account(replay)
    replay.add("POST", "/oauth/refresh_token/", token_answer("act.second", "rft.first", refresh_expires_in=5 * 86400))
    replay.add("POST", "/oauth/renew_refresh_token/", answer(refresh_token="rft.renewed", expires_in=THIRTY_DAYS))
    assert oauth.account_refresh(account) is True
    [renew] = replay.requests_to("POST", "/oauth/renew_refresh_token/")
    assert {name: values[0] for name, values in parse_qs(renew.body.decode()).items()} == {
        "client_key": "douyin-client-id",
        "refresh_token": "rft.first",
    }
    account.refresh_from_db()
    assert stored(account) == {"access_token": "act.second", "refresh_token": "rft.renewed"}
    refresh_expiry = datetime.datetime.fromisoformat(account.options["refresh_token_expires_at"])
    assert 29.9 < (refresh_expiry - timezone.now()).total_seconds() / 86400 <= 30


def test_a_refresh_token_renewed_too_often_serves_until_its_end_and_the_page_warns(replay: ReplayServer) -> None:
    account = connected_account(replay)
    replay.add("POST", "/oauth/refresh_token/", token_answer("act.second", "rft.first", refresh_expires_in=3 * 86400))
    replay.add("POST", "/oauth/renew_refresh_token/", refusal(10020, "refresh_token刷新次数超过限制"))
    assert oauth.account_refresh(account) is True
    account.refresh_from_db()
    assert stored(account) == {"access_token": "act.second", "refresh_token": "rft.first"}
    client, _member = signed_in(workspace=account.workspace)
    health = client.get("/connectors/").content.decode()
    assert 'data-testid="refresh-warning"' in health


def test_an_expired_refresh_token_marks_the_account_for_a_new_sign_in(replay: ReplayServer) -> None:
    account = connected_account(replay)
    replay.add("POST", "/oauth/refresh_token/", refusal(10010, "refresh_token已过期"))
    with pytest.raises(AuthExpiredError, match=r"Authorization expired — reconnect: refresh_token已过期 \(10010\)"):
        oauth.account_refresh(account)
    assert stored(account)["access_token"] == "act.first"
