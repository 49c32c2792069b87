"""OAuth sign-in for Facebook Pages, Instagram business accounts and VK ID, end to end in Django's test
client against a replay of the networks' documented requests and answers.

Facebook Login (https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow,
https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived,
https://developers.facebook.com/docs/pages-api/getting-started): the code is exchanged at
``/v21.0/oauth/access_token`` for a short-lived user token (``{"access_token", "token_type",
"expires_in"}``), that for a long-lived one with ``grant_type=fb_exchange_token``, and
``/me/accounts`` lists the Pages with Page tokens that do not expire. Errors are the Graph API's
error object (a used or expired code: code 100, subcode 36007/36009; a wrong secret: code 1).

VK ID (https://id.vk.com/about/business/go/docs/en/vkid/latest/vk-id/connection/api-integration/api-description):
the callback brings ``code``, ``state``, ``device_id``; ``POST /oauth2/auth`` takes ``grant_type``,
``code``, ``code_verifier``, ``client_id``, ``device_id``, ``redirect_uri`` and ``state`` and answers
``{"access_token", "refresh_token", "id_token", "token_type": "Bearer", "expires_in": 3600,
"user_id", "state", "scope"}``; a refresh sends ``refresh_token``, ``client_id``, ``device_id`` and
``state`` and gets a new refresh token too.
"""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from pappus.connectors import crypto, oauth, services
from pappus.connectors.models import (
    AccountCredentials,
    AccountStatus,
    ConnectedAccount,
    OAuthApp,
    OAuthChoice,
    OAuthState,
)
from pappus.connectors.tests.factories import make_account
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.core.models import AuditEvent
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member

pytestmark = pytest.mark.django_db

TOKEN_PATH = "/v21.0/oauth/access_token"
VK_TOKEN_PATH = "/oauth2/auth"
CALLBACK = "http://testserver/connectors/oauth/{network}/callback/"
SHORT = "EAAshort-lived-user-token"
LONG = "EAAlong-lived-user-token"
PAGE_TOKEN_A = "EAApage-token-nordlys"
PAGE_TOKEN_B = "EAApage-token-fjord"
IG_ID = "17841405822304914"
PAGES: dict[str, Any] = {
    "data": [
        {
            "access_token": PAGE_TOKEN_A,
            "category": "Coffee Shop",
            "category_list": [{"id": "128673187201735", "name": "Coffee Shop"}],
            "name": "Nordlys Coffee",
            "id": "101",
            "username": "nordlyscoffee",
            "tasks": ["ANALYZE", "ADVERTISE", "MODERATE", "CREATE_CONTENT", "MANAGE"],
            "instagram_business_account": {"id": IG_ID, "username": "nordlys", "name": "Nordlys Coffee"},
        },
        {
            "access_token": PAGE_TOKEN_B,
            "category": "Bakery",
            "category_list": [{"id": "197048876974331", "name": "Bakery"}],
            "name": "Fjord Bakery",
            "id": "202",
            "tasks": ["ANALYZE", "CREATE_CONTENT", "MODERATE"],
        },
    ],
    "paging": {"cursors": {"before": "MTAx", "after": "MjAy"}},
}
PAGE_NODE = {
    "id": "101",
    "name": "Nordlys Coffee",
    "username": "nordlyscoffee",
    "link": "https://www.facebook.com/nordlyscoffee",
    "followers_count": 812,
}
IG_USER = {"id": IG_ID, "username": "nordlys", "name": "Nordlys Coffee", "followers_count": 3120}
VK_GROUP = {"id": 1, "name": "Nordlys Coffee", "screen_name": "nordlys", "members_count": 2417}


def signed_in(role: str = Role.ADMIN, workspace: Any = None) -> tuple[Client, Any]:
    membership = make_member(workspace, role)
    client = Client()
    client.force_login(membership.user)
    return client, membership


def save_app(client: Client, replay: ReplayServer, network: str, *, token_path: str, secret: str = "") -> None:
    spec = oauth.spec_of(network)
    assert spec is not None
    response = client.post(
        f"/connectors/oauth/{network}/app/",
        {
            "client_id": f"{network}-app-id",
            "client_secret": secret,
            "scopes": "",
            "authorize_url": spec.authorize_url,
            "token_url": f"{replay.url}{token_path}",
            "api_base_url": replay.url,
        },
    )
    assert response.status_code == 302, response.content.decode()


def start(client: Client, network: str, **fields: str) -> dict[str, str]:
    response = client.post(f"/connectors/oauth/{network}/start/", fields)
    assert response.status_code == 302
    location = response["Location"]
    query = {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}
    query["_address"] = location.split("?", 1)[0]
    return query


def form_fields(body: bytes) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(body.decode()).items()}


def stored(account: ConnectedAccount) -> dict[str, str]:
    return crypto.decrypt(AccountCredentials.objects.get(account=account).credentials)


def facebook_login(replay: ReplayServer) -> None:
    """Meta's answers to the code exchange, the long-lived exchange and /me/accounts."""
    replay.add("POST", TOKEN_PATH, Answer(200, {"access_token": SHORT, "token_type": "bearer", "expires_in": 5183}))
    replay.add("POST", TOKEN_PATH, Answer(200, {"access_token": LONG, "token_type": "bearer", "expires_in": 5183944}))
    replay.add("GET", "/v21.0/me/accounts", Answer(200, PAGES))


def meta_error(message: str, code: int, subcode: int | None = None) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "AbCdEf"}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


# --- Facebook Pages ----------------------------------------------------------------------------------------


def test_facebook_sign_in_exchanges_for_a_long_lived_token_and_connects_the_chosen_page(
    replay: ReplayServer,
) -> None:
    client, admin = signed_in()
    save_app(client, replay, "facebook", token_path=TOKEN_PATH, secret="meta-app-secret")
    connect_page = client.get("/connectors/oauth/facebook/").content.decode()
    assert "<code>pages_manage_posts</code>" in connect_page
    assert 'name="page_id"' not in connect_page  # the Page is picked after signing in

    authorize = start(client, "facebook")
    assert authorize["_address"] == "https://www.facebook.com/v21.0/dialog/oauth"
    assert authorize["client_id"] == "facebook-app-id"
    assert authorize["redirect_uri"] == CALLBACK.format(network="facebook")
    assert authorize["scope"] == (
        "pages_show_list,pages_manage_posts,pages_read_engagement,pages_manage_engagement,"
        "pages_read_user_content,read_insights"
    )
    assert len(authorize["state"]) >= 32

    facebook_login(replay)
    response = client.get(f"/connectors/oauth/facebook/callback/?code=fb-code&state={authorize['state']}")
    assert response.status_code == 302
    choice = OAuthChoice.objects.for_workspace(admin.workspace).get()
    assert response["Location"] == f"/connectors/oauth/facebook/choose/{choice.pk}/"
    assert PAGE_TOKEN_A not in choice.candidates  # encrypted at rest
    assert OAuthState.objects.count() == 0
    assert ConnectedAccount.objects.count() == 0

    exchanges = replay.requests_to("POST", TOKEN_PATH)
    assert form_fields(exchanges[0].body) == {
        "grant_type": "authorization_code",
        "code": "fb-code",
        "redirect_uri": CALLBACK.format(network="facebook"),
        "client_id": "facebook-app-id",
        "client_secret": "meta-app-secret",
    }
    assert form_fields(exchanges[1].body) == {
        "grant_type": "fb_exchange_token",
        "fb_exchange_token": SHORT,
        "client_id": "facebook-app-id",
        "client_secret": "meta-app-secret",
    }
    assert "meta-app-secret" not in exchanges[0].query
    listing = replay.requests_to("GET", "/v21.0/me/accounts")[0]
    assert listing.headers["Authorization"] == f"Bearer {LONG}"
    assert "instagram_business_account" in parse_qs(listing.query)["fields"][0]

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('data-testid="candidate"') == 2
    assert "Nordlys Coffee" in html
    assert "Fjord Bakery" in html
    assert "Its token does not expire" in html
    assert PAGE_TOKEN_A not in html
    assert LONG not in html

    replay.add("GET", "/v21.0/101", Answer(200, PAGE_NODE))
    chosen = client.post(response["Location"], {"remote_id": ["101"]})
    assert chosen.status_code == 302
    assert chosen["Location"] == "/connectors/"
    account = ConnectedAccount.objects.for_workspace(admin.workspace).get()
    assert (account.network, account.handle, account.remote_id) == ("facebook", "nordlyscoffee", "101")
    assert account.options["page_id"] == "101"
    assert account.options["token_never_expires"] is True
    assert account.token_expires_at is None
    assert stored(account) == {"access_token": PAGE_TOKEN_A}
    verify = replay.requests_to("GET", "/v21.0/101")[0]
    assert verify.headers["Authorization"] == f"Bearer {PAGE_TOKEN_A}"
    assert OAuthChoice.objects.count() == 0
    grant = AuditEvent.objects.for_workspace(admin.workspace_id).get(action="connected_account.oauth_grant")
    assert grant.after["token_never_expires"] is True
    assert PAGE_TOKEN_A not in str(grant.after)

    health = client.get("/connectors/").content.decode()
    assert "Does not expire (until access is withdrawn)" in health
    assert PAGE_TOKEN_A not in health

    # The choice is single-use.
    again = client.post(response["Location"], {"remote_id": ["202"]})
    assert again.status_code == 400
    assert "already used" in again.content.decode()
    assert ConnectedAccount.objects.count() == 1


def test_several_pages_can_be_chosen_and_an_empty_choice_is_refused(replay: ReplayServer) -> None:
    client, admin = signed_in()
    save_app(client, replay, "facebook", token_path=TOKEN_PATH, secret="meta-app-secret")
    authorize = start(client, "facebook")
    facebook_login(replay)
    response = client.get(f"/connectors/oauth/facebook/callback/?code=fb-code&state={authorize['state']}")
    choose = response["Location"]
    nothing = client.post(choose, {})
    assert nothing.status_code == 400
    assert "Choose at least one account to connect." in nothing.content.decode()
    forged = client.post(choose, {"remote_id": ["999"]})
    assert forged.status_code == 400
    assert "Choose among the accounts this sign-in gave access to." in forged.content.decode()

    replay.add("GET", "/v21.0/101", Answer(200, PAGE_NODE))
    replay.add("GET", "/v21.0/202", Answer(200, {"id": "202", "name": "Fjord Bakery"}))
    assert client.post(choose, {"remote_id": ["101", "202"]}).status_code == 302
    accounts = {
        account.remote_id: stored(account)["access_token"]
        for account in ConnectedAccount.objects.for_workspace(admin.workspace)
    }
    assert accounts == {"101": PAGE_TOKEN_A, "202": PAGE_TOKEN_B}


def test_a_choice_is_only_for_the_person_and_session_that_signed_in(replay: ReplayServer) -> None:
    client, admin = signed_in()
    save_app(client, replay, "facebook", token_path=TOKEN_PATH, secret="meta-app-secret")
    authorize = start(client, "facebook")
    facebook_login(replay)
    choose = client.get(f"/connectors/oauth/facebook/callback/?code=fb-code&state={authorize['state']}")["Location"]
    colleague, _other = signed_in(Role.ADMIN, admin.workspace)
    assert colleague.get(choose).status_code == 400
    assert colleague.post(choose, {"remote_id": ["101"]}).status_code == 400
    same_user_elsewhere = Client()
    same_user_elsewhere.force_login(admin.user)
    assert same_user_elsewhere.post(choose, {"remote_id": ["101"]}).status_code == 400
    OAuthChoice.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert client.post(choose, {"remote_id": ["101"]}).status_code == 400
    assert ConnectedAccount.objects.count() == 0
    assert replay.requests_to("GET", "/v21.0/101") == []


@pytest.mark.parametrize(
    ("answer", "shown"),
    [
        (
            Answer(400, meta_error("This authorization code has expired.", 100, 36007)),
            "Authorization expired — reconnect: This authorization code has expired.",
        ),
        (
            Answer(400, meta_error("This authorization code has been used.", 100, 36009)),
            "Authorization expired — reconnect: This authorization code has been used.",
        ),
        (
            Answer(400, meta_error("Error validating client secret.", 1)),
            "Facebook refused the app&#x27;s client id or secret (Error validating client secret.)",
        ),
        (Answer(400, meta_error("(#4) Application request limit reached", 4)), "Facebook asks to slow down"),
    ],
)
def test_facebook_refusing_the_code_is_shown_and_connects_nothing(
    replay: ReplayServer, answer: Answer, shown: str
) -> None:
    client, _admin = signed_in()
    save_app(client, replay, "facebook", token_path=TOKEN_PATH, secret="meta-app-secret")
    authorize = start(client, "facebook")
    replay.add("POST", TOKEN_PATH, answer)
    response = client.get(f"/connectors/oauth/facebook/callback/?code=bad-code&state={authorize['state']}")
    assert response.status_code == 400
    assert shown in response.content.decode()
    assert ConnectedAccount.objects.count() == 0
    assert OAuthChoice.objects.count() == 0
    assert replay.requests_to("GET", "/v21.0/me/accounts") == []


def test_a_revoked_page_token_shows_as_authorization_expired(replay: ReplayServer) -> None:
    client, admin = signed_in()
    save_app(client, replay, "facebook", token_path=TOKEN_PATH, secret="meta-app-secret")
    authorize = start(client, "facebook")
    facebook_login(replay)
    choose = client.get(f"/connectors/oauth/facebook/callback/?code=fb-code&state={authorize['state']}")["Location"]
    replay.add("GET", "/v21.0/101", Answer(200, PAGE_NODE))
    client.post(choose, {"remote_id": ["101"]})
    account = ConnectedAccount.objects.for_workspace(admin.workspace).get()

    # The person removed the app from their Facebook settings: Meta's answer to the Page token.
    revoked = "Error validating access token: The user has not authorized application 1234567890."
    replay.add("GET", "/v21.0/101", Answer(400, meta_error(revoked, 190, 458)))
    services.account_check_health(account.pk)
    account.refresh_from_db()
    assert account.status == AccountStatus.EXPIRED
    assert revoked in account.last_error
    health = client.get("/connectors/").content.decode()
    assert "Token expired: reconnect" in health
    assert revoked in health


def test_reconnecting_a_page_keeps_its_row_and_history_and_skips_the_choice(replay: ReplayServer) -> None:
    client, admin = signed_in()
    save_app(client, replay, "facebook", token_path=TOKEN_PATH, secret="meta-app-secret")
    app = OAuthApp.objects.for_workspace(admin.workspace).get(network="facebook")
    account = make_account(
        admin.workspace,
        base_url=app.api_base_url,
        network="facebook",
        handle="nordlyscoffee",
        remote_id="101",
        options={"page_id": "101"},
        status=AccountStatus.EXPIRED,
        inbox_cursor="2026-11-29T10:00:00+0000",
        credentials={"access_token": "EAArevoked-page-token"},
    )
    authorize = start(client, "facebook", account=str(account.pk))
    facebook_login(replay)
    replay.add("GET", "/v21.0/101", Answer(200, PAGE_NODE))
    response = client.get(f"/connectors/oauth/facebook/callback/?code=fb-code&state={authorize['state']}")
    assert response.status_code == 302
    assert response["Location"] == "/connectors/"
    account.refresh_from_db()
    assert ConnectedAccount.objects.count() == 1
    assert account.status == AccountStatus.ACTIVE
    assert account.inbox_cursor == "2026-11-29T10:00:00+0000"
    assert stored(account) == {"access_token": PAGE_TOKEN_A}
    assert OAuthChoice.objects.count() == 0


def test_reconnecting_with_a_sign_in_that_does_not_manage_the_page_changes_nothing(replay: ReplayServer) -> None:
    client, admin = signed_in()
    save_app(client, replay, "facebook", token_path=TOKEN_PATH, secret="meta-app-secret")
    app = OAuthApp.objects.for_workspace(admin.workspace).get(network="facebook")
    account = make_account(
        admin.workspace,
        base_url=app.api_base_url,
        network="facebook",
        handle="other",
        remote_id="303",
        options={"page_id": "303"},
        credentials={"access_token": "EAAkept"},
    )
    authorize = start(client, "facebook", account=str(account.pk))
    facebook_login(replay)
    response = client.get(f"/connectors/oauth/facebook/callback/?code=fb-code&state={authorize['state']}")
    assert response.status_code == 400
    assert "This sign-in did not give access to other." in response.content.decode()
    assert stored(account) == {"access_token": "EAAkept"}


# --- Instagram business -----------------------------------------------------------------------------------


def test_instagram_sign_in_offers_the_pages_instagram_accounts(replay: ReplayServer) -> None:
    client, admin = signed_in()
    save_app(client, replay, "instagram", token_path=TOKEN_PATH, secret="meta-app-secret")
    authorize = start(client, "instagram")
    assert authorize["_address"] == "https://www.facebook.com/v21.0/dialog/oauth"
    assert "instagram_content_publish" in authorize["scope"].split(",")
    facebook_login(replay)
    response = client.get(f"/connectors/oauth/instagram/callback/?code=ig-code&state={authorize['state']}")
    choose = response["Location"]
    html = client.get(choose).content.decode()
    assert html.count('data-testid="candidate"') == 1  # Fjord Bakery's Page has no Instagram account
    assert "@nordlys" in html

    replay.add("GET", f"/v21.0/{IG_ID}", Answer(200, IG_USER))
    assert client.post(choose, {"remote_id": [IG_ID]}).status_code == 302
    account = ConnectedAccount.objects.for_workspace(admin.workspace).get()
    assert (account.network, account.handle, account.remote_id) == ("instagram", "@nordlys", IG_ID)
    assert account.options["ig_user_id"] == IG_ID
    assert account.options["page_id"] == "101"
    assert account.token_expires_at is None
    assert stored(account) == {"access_token": PAGE_TOKEN_A}


def test_instagram_sign_in_without_a_linked_account_says_so(replay: ReplayServer) -> None:
    client, _admin = signed_in()
    save_app(client, replay, "instagram", token_path=TOKEN_PATH, secret="meta-app-secret")
    authorize = start(client, "instagram")
    replay.add("POST", TOKEN_PATH, Answer(200, {"access_token": SHORT, "token_type": "bearer"}))
    replay.add("POST", TOKEN_PATH, Answer(200, {"access_token": LONG, "token_type": "bearer"}))
    replay.add("GET", "/v21.0/me/accounts", Answer(200, {"data": [PAGES["data"][1]]}))
    response = client.get(f"/connectors/oauth/instagram/callback/?code=ig-code&state={authorize['state']}")
    assert response.status_code == 400
    assert "gives access to no account Pappus can connect" in response.content.decode()


# --- VK ID ---------------------------------------------------------------------------------------------------


def vk_tokens(access: str, refresh: str, *, state: str = "") -> Answer:
    return Answer(
        200,
        {
            "refresh_token": refresh,
            "access_token": access,
            "id_token": "eyJhbGciOiJSUzI1NiJ9.e30.sig",
            "token_type": "Bearer",
            "expires_in": 3600,
            "user_id": 1234567890,
            "state": state,
            "scope": "vkid.personal_info wall photos groups",
        },
    )


def test_vk_id_sign_in_with_pkce_and_device_id_then_refresh(replay: ReplayServer) -> None:
    client, admin = signed_in()
    save_app(client, replay, "vk", token_path=VK_TOKEN_PATH)  # a VK ID web app needs no secret
    authorize = start(client, "vk", group_id="nordlys")
    assert authorize["_address"] == "https://id.vk.com/authorize"
    assert authorize["code_challenge_method"] == "S256"
    assert authorize["scope"] == "vkid.personal_info wall photos groups video"

    replay.add("POST", VK_TOKEN_PATH, vk_tokens("vk2.a.access-1", "vk2.a.refresh-1", state=authorize["state"]))
    replay.add(
        "POST", "/method/groups.getById", Answer(200, {"response": {"groups": [VK_GROUP], "profiles": []}}), always=True
    )
    response = client.get(
        f"/connectors/oauth/vk/callback/?code=vk-code&state={authorize['state']}"
        "&device_id=device-7f3a&expires_in=600&type=code_v2&ext_id=ext"
    )
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == "/connectors/"
    exchange = form_fields(replay.requests_to("POST", VK_TOKEN_PATH)[0].body)
    verifier = exchange.pop("code_verifier")
    assert oauth.code_challenge(verifier) == authorize["code_challenge"]
    assert exchange == {
        "grant_type": "authorization_code",
        "code": "vk-code",
        "redirect_uri": CALLBACK.format(network="vk"),
        "device_id": "device-7f3a",
        "state": authorize["state"],
        "client_id": "vk-app-id",
    }
    account = ConnectedAccount.objects.for_workspace(admin.workspace).get()
    assert (account.network, account.handle, account.remote_id) == ("vk", "nordlys", "1")
    assert account.options["group_id"] == "nordlys"
    assert stored(account) == {
        "access_token": "vk2.a.access-1",
        "refresh_token": "vk2.a.refresh-1",
        "device_id": "device-7f3a",
    }
    assert account.token_expires_at is not None
    assert 3500 < (account.token_expires_at - timezone.now()).total_seconds() <= 3600
    verify = form_fields(replay.requests_to("POST", "/method/groups.getById")[0].body)
    assert verify["access_token"] == "vk2.a.access-1"

    # The hourly check renews it: device_id and a fresh state go with the refresh token; VK ID rotates it.
    replay.add("POST", VK_TOKEN_PATH, vk_tokens("vk2.a.access-2", "vk2.a.refresh-2"))
    assert oauth.refresh_due(account, oauth.REFRESH_ON_CHECK_MARGIN)
    assert oauth.account_refresh(account) is True
    refresh = form_fields(replay.requests_to("POST", VK_TOKEN_PATH)[1].body)
    assert len(refresh.pop("state")) >= 32
    assert refresh == {
        "grant_type": "refresh_token",
        "refresh_token": "vk2.a.refresh-1",
        "device_id": "device-7f3a",
        "client_id": "vk-app-id",
    }
    assert stored(account) == {
        "access_token": "vk2.a.access-2",
        "refresh_token": "vk2.a.refresh-2",
        "device_id": "device-7f3a",
    }


def test_vk_id_without_a_community_offers_the_communities_the_person_administers(replay: ReplayServer) -> None:
    client, admin = signed_in()
    save_app(client, replay, "vk", token_path=VK_TOKEN_PATH)
    authorize = start(client, "vk")
    replay.add("POST", VK_TOKEN_PATH, vk_tokens("vk2.a.access-1", "vk2.a.refresh-1"))
    groups = {
        "count": 2,
        "items": [
            {"id": 1, "name": "Nordlys Coffee", "screen_name": "nordlys", "is_admin": 1, "admin_level": 3},
            {"id": 77, "name": "Fjord Bakery", "screen_name": "fjordbakery", "is_admin": 1, "admin_level": 2},
        ],
    }
    replay.add("POST", "/method/groups.get", Answer(200, {"response": groups}))
    response = client.get(f"/connectors/oauth/vk/callback/?code=vk-code&state={authorize['state']}&device_id=d1")
    choose = response["Location"]
    assert choose.startswith("/connectors/oauth/vk/choose/")
    asked = form_fields(replay.requests_to("POST", "/method/groups.get")[0].body)
    assert (asked["filter"], asked["extended"]) == ("admin", "1")
    html = client.get(choose).content.decode()
    assert "Nordlys Coffee" in html
    assert "Fjord Bakery" in html
    assert "renewed with the refresh token" in html

    replay.add("POST", "/method/groups.getById", Answer(200, {"response": {"groups": [VK_GROUP], "profiles": []}}))
    assert client.post(choose, {"remote_id": ["1"]}).status_code == 302
    account = ConnectedAccount.objects.for_workspace(admin.workspace).get()
    assert (account.remote_id, account.options["group_id"]) == ("1", "1")
    assert stored(account)["device_id"] == "d1"


def test_vk_id_errors_are_shown_and_connect_nothing(replay: ReplayServer) -> None:
    client, _admin = signed_in()
    save_app(client, replay, "vk", token_path=VK_TOKEN_PATH)
    no_device = start(client, "vk", group_id="nordlys")
    response = client.get(f"/connectors/oauth/vk/callback/?code=vk-code&state={no_device['state']}")
    assert response.status_code == 400
    assert "VK did not send device_id back with the code" in response.content.decode()
    assert replay.requests_to("POST", VK_TOKEN_PATH) == []

    bad_code = start(client, "vk", group_id="nordlys")
    replay.add("POST", VK_TOKEN_PATH, Answer(400, {"error": "invalid_grant", "error_description": "Code is expired"}))
    response = client.get(f"/connectors/oauth/vk/callback/?code=old&state={bad_code['state']}&device_id=d1")
    assert response.status_code == 400
    assert "Authorization expired — reconnect: Code is expired" in response.content.decode()
    assert ConnectedAccount.objects.count() == 0


def test_a_refused_vk_id_refresh_marks_the_account_expired(replay: ReplayServer) -> None:
    _client, admin = signed_in()
    app = OAuthApp.objects.create(
        workspace=admin.workspace,
        network="vk",
        client_id="vk-app-id",
        authorize_url="https://id.vk.com/authorize",
        token_url=f"{replay.url}{VK_TOKEN_PATH}",
        api_base_url=replay.url,
    )
    account = make_account(
        admin.workspace,
        base_url=app.api_base_url,
        network="vk",
        handle="nordlys",
        remote_id="1",
        options={"group_id": "nordlys"},
        token_expires_at=timezone.now() + datetime.timedelta(minutes=20),
        credentials={"access_token": "old", "refresh_token": "revoked-refresh", "device_id": "d1"},
    )
    replay.add(
        "POST",
        VK_TOKEN_PATH,
        Answer(400, {"error": "invalid_grant", "error_description": "Refresh token is expired or revoked"}),
    )
    services.account_check_health(account.pk)
    account.refresh_from_db()
    assert account.status == AccountStatus.EXPIRED
    assert "Authorization expired — reconnect: Refresh token is expired or revoked" in account.last_error
