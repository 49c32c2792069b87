# ruff: noqa: RUF001 - full-width punctuation in the Chinese expectations is meant.
"""The connector pages (health, connect by token, reconnect, disconnect) and the REST API: roles,
workspace scoping, the network's reason on failure, no secret ever in a page or an answer."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pappus.connectors import crypto
from pappus.connectors.models import AccountCredentials, AccountStatus, ConnectedAccount
from pappus.connectors.tests.factories import make_account, serve_mastodon_account
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.core import tokens
from pappus.core.audit import Actor
from pappus.core.permissions import Action, Role, role_allows
from pappus.core.tests.factories import make_member, make_workspace

pytestmark = pytest.mark.django_db

TOKEN = "web-secret-token-abcdef-0123456789"


def signed_in(role: str = Role.ADMIN, workspace: Any = None) -> tuple[Client, Any]:
    membership = make_member(workspace, role)
    client = Client()
    client.force_login(membership.user)
    return client, membership


def api_token(membership: Any) -> dict[str, str]:
    issued = tokens.token_create(actor=Actor.system("test"), membership=membership, name="t")
    return {"Authorization": f"Bearer {issued.plain}"}


def test_the_health_page_shows_expiry_warnings_budget_and_errors_and_is_in_the_navigation(replay: ReplayServer) -> None:
    client, admin = signed_in()
    make_account(
        admin.workspace,
        base_url=replay.url,
        handle="@soon@example.social",
        remote_id="1",
        token_expires_at=timezone.now() + datetime.timedelta(days=2, hours=1),
        rate_limit_limit=300,
        rate_limit_remaining=120,
    )
    make_account(
        admin.workspace,
        base_url=replay.url,
        handle="@broken@example.social",
        remote_id="2",
        status=AccountStatus.EXPIRED,
        last_error="Mastodon refused the token: The access token was revoked",
        last_error_at=timezone.now(),
    )
    response = client.get("/connectors/")
    page = response.content.decode()
    assert response.status_code == 200
    assert 'href="/connectors/"' in page
    assert "Expires in 2 days: reconnect soon" in page
    assert "120 / 300" in page
    assert "Mastodon refused the token: The access token was revoked" in page
    assert "Token expired: reconnect" in page
    assert "stored-token" not in page


def test_the_health_page_runs_a_fixed_number_of_queries(replay: ReplayServer) -> None:
    client, admin = signed_in()
    region = admin.workspace.regions.get()
    for number in range(5):
        make_account(admin.workspace, base_url=replay.url, remote_id=str(number), region=region)
    client.get("/connectors/")
    with CaptureQueriesContext(connection) as five:
        client.get("/connectors/")
    make_account(admin.workspace, base_url=replay.url, remote_id="6", region=region)
    with CaptureQueriesContext(connection) as six:
        client.get("/connectors/")
    assert len(six.captured_queries) == len(five.captured_queries)


def test_connecting_by_token_checks_it_and_never_shows_it_again(replay: ReplayServer) -> None:
    serve_mastodon_account(replay)
    client, admin = signed_in()
    form = client.get("/connectors/connect/mastodon/")
    assert form.status_code == 200
    assert "OAuth" in form.content.decode()
    assert "no-store" in form["Cache-Control"]
    response = client.post(
        "/connectors/connect/mastodon/", {"base_url": replay.url, "access_token": TOKEN, "region": ""}, follow=True
    )
    assert response.redirect_chain == [("/connectors/", 302)]
    account = ConnectedAccount.objects.for_workspace(admin.workspace).get()
    assert account.handle.startswith("@brand@")
    assert crypto.decrypt(AccountCredentials.objects.get(account=account).credentials) == {"access_token": TOKEN}
    assert TOKEN not in response.content.decode()
    assert TOKEN not in client.get(f"/connectors/{account.pk}/reconnect/").content.decode()


def test_a_refused_token_is_shown_with_the_networks_reason(replay: ReplayServer) -> None:
    replay.add("GET", "/api/v1/accounts/verify_credentials", Answer(401, {"error": "The access token was revoked"}))
    client, _admin = signed_in()
    response = client.post("/connectors/connect/mastodon/", {"base_url": replay.url, "access_token": TOKEN})
    page = response.content.decode()
    assert response.status_code == 400
    assert "The network refused: Mastodon refused the token: The access token was revoked" in page
    assert TOKEN not in page
    assert ConnectedAccount.objects.count() == 0


def test_an_unknown_network_is_404() -> None:
    client, _admin = signed_in()
    assert client.get("/connectors/connect/myspace/").status_code == 404


def test_reconnect_and_disconnect_from_the_pages(replay: ReplayServer) -> None:
    serve_mastodon_account(replay)
    client, admin = signed_in()
    account = make_account(
        admin.workspace, base_url=replay.url, credentials={"access_token": "old", "refresh_token": "keep"}
    )
    assert client.post(f"/connectors/{account.pk}/disconnect/").status_code == 302
    account.refresh_from_db()
    assert account.status == AccountStatus.DISCONNECTED
    response = client.post(f"/connectors/{account.pk}/reconnect/", {"access_token": "new"})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE
    assert crypto.decrypt(AccountCredentials.objects.get(account=account).credentials) == {
        "access_token": "new",
        "refresh_token": "keep",
    }
    assert client.post(f"/connectors/{account.pk}/check/", follow=True).status_code == 200


@pytest.mark.parametrize("role", list(Role))
def test_pages_follow_the_role_table(replay: ReplayServer, role: Role) -> None:
    client, member = signed_in(role)
    account = make_account(member.workspace, base_url=replay.url)
    can_view = role_allows(role, Action.CONNECTORS_VIEW)
    can_manage = role_allows(role, Action.CONNECTORS_MANAGE)
    assert client.get("/connectors/").status_code == (200 if can_view else 403)
    assert client.get("/connectors/connect/mastodon/").status_code == (200 if can_manage else 403)
    assert client.post(f"/connectors/{account.pk}/disconnect/").status_code == (302 if can_manage else 403)


def test_another_workspaces_account_is_404_on_every_page(replay: ReplayServer) -> None:
    client, _admin = signed_in()
    other = make_account(make_workspace(), base_url=replay.url)
    for path in (f"/connectors/{other.pk}/reconnect/",):
        assert client.get(path).status_code == 404
    assert client.post(f"/connectors/{other.pk}/disconnect/").status_code == 404
    assert client.post(f"/connectors/{other.pk}/check/").status_code == 404
    other.refresh_from_db()
    assert other.status == AccountStatus.ACTIVE


def test_the_api_lists_accounts_with_health_and_never_credentials(replay: ReplayServer) -> None:
    admin = make_member(make_workspace(), Role.ANALYST)
    account = make_account(
        admin.workspace,
        base_url=replay.url,
        credentials={"access_token": TOKEN},
        token_expires_at=timezone.now() + datetime.timedelta(days=3, hours=1),
        rate_limit_limit=300,
        rate_limit_remaining=7,
    )
    make_account(make_workspace(), base_url=replay.url)
    headers = api_token(admin)
    listed = Client().get("/api/v1/connected-accounts", headers=headers)
    assert listed.status_code == 200
    body = listed.json()
    assert body["count"] == 1
    item = body["items"][0]
    assert (item["id"], item["status"], item["expires_in_days"], item["expiry_warning"]) == (
        account.pk,
        "active",
        3,
        True,
    )
    assert item["rate_limit"] == {"limit": 300, "remaining": 7, "resets_at": None}
    assert TOKEN not in json.dumps(body)
    assert "credentials" not in json.dumps(body)
    detail = Client().get(f"/api/v1/connected-accounts/{account.pk}", headers=headers)
    assert detail.json()["handle"] == account.handle
    assert Client().get("/api/v1/connected-accounts?status=expired", headers=headers).json()["count"] == 0


def test_the_api_hides_other_workspaces_and_follows_roles(replay: ReplayServer) -> None:
    other = make_account(make_workspace(), base_url=replay.url)
    admin = make_member(make_workspace(), Role.ADMIN)
    assert Client().get(f"/api/v1/connected-accounts/{other.pk}", headers=api_token(admin)).status_code == 404
    # A designer cannot make tokens; a token's role is read at each request, so demote its owner.
    member = make_member(make_workspace(), Role.CONTENT_MANAGER)
    headers = api_token(member)
    member.role = Role.DESIGNER
    member.save(update_fields=["role"])
    assert Client().get("/api/v1/connected-accounts", headers=headers).status_code == 403


def test_the_scheduled_check_visits_every_connected_account(
    replay: ReplayServer, django_capture_on_commit_callbacks: Any
) -> None:
    from config import schedule

    serve_mastodon_account(replay)
    workspace = make_workspace()
    working = make_account(workspace, base_url=replay.url, remote_id="1")
    gone = make_account(workspace, base_url=replay.url, remote_id="2", status=AccountStatus.DISCONNECTED)
    with django_capture_on_commit_callbacks(execute=True):
        schedule.check_connector_tokens()  # jobs run inline in the test settings
    working.refresh_from_db()
    gone.refresh_from_db()
    assert working.last_checked_at is not None
    assert gone.last_checked_at is None
    assert len(replay.requests_to("GET", "/api/v1/accounts/verify_credentials")) == 1
    assert reverse("connectors:health") == "/connectors/"


@pytest.mark.parametrize(
    ("language", "title", "warning"),
    [
        ("ru", "Подключённые аккаунты", "Истекает через 2 дня: скоро подключите заново"),
        ("nb", "Tilkoblede kontoer", "Utløper om 2 dager: koble til på nytt snart"),
        ("zh-hans", "已连接账号", "2 天后过期：请尽快重新连接"),
    ],
)
def test_the_health_page_speaks_the_users_language(
    replay: ReplayServer, language: str, title: str, warning: str
) -> None:
    client, admin = signed_in()
    admin.user.language = language
    admin.user.save(update_fields=["language"])
    make_account(
        admin.workspace, base_url=replay.url, token_expires_at=timezone.now() + datetime.timedelta(days=2, hours=1)
    )
    page = client.get("/connectors/").content.decode()
    assert title in page
    assert warning in page
