"""The OAuth 2 sign-in end to end in Django's test client, against a replayed token endpoint.

The token endpoint answers as RFC 6749 §5.1/§5.2 and the networks document it: Reddit
(https://github.com/reddit-archive/reddit/wiki/OAuth2: HTTP Basic client authentication,
``duration=permanent``, a refused grant as ``{"error": "invalid_grant"}`` even with HTTP 200), X
(https://docs.x.com/resources/fundamentals/authentication/oauth-2-0/user-access-token: PKCE S256,
a new refresh token on every refresh) and Google for YouTube
(https://developers.google.com/identity/protocols/oauth2/web-server: ``access_type=offline``,
client credentials in the body, no new refresh token on refresh, ``invalid_grant`` "Token has been
expired or revoked."). The authorize step itself is the network's page, so its URL is checked and
the callback is called as the network would call it.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import threading
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from pappus.connectors import crypto, oauth, services
from pappus.connectors.errors import (
    AuthExpiredError,
    ConnectorError,
    ContentRejectedError,
    RateLimitedError,
    TemporaryFailureError,
)
from pappus.connectors.models import AccountCredentials, AccountStatus, ConnectedAccount, OAuthApp, OAuthState
from pappus.connectors.tests.factories import make_account
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.core.audit import Actor
from pappus.core.models import AuditEvent
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member

pytestmark = pytest.mark.django_db

REDDIT_ME = {
    "name": "nordlys_coffee",
    "id": "1w72",
    "total_karma": 1520,
    "subreddit": {"display_name_prefixed": "u/nordlys_coffee", "title": "Nordlys Coffee", "subscribers": 48},
}
X_ME = {
    "data": {
        "id": "2244994945",
        "name": "Nordlys Coffee",
        "username": "nordlyscoffee",
        "public_metrics": {"followers_count": 310, "following_count": 12, "tweet_count": 90, "listed_count": 1},
    }
}
YOUTUBE_CHANNELS = {
    "kind": "youtube#channelListResponse",
    "etag": "x",
    "pageInfo": {"totalResults": 1, "resultsPerPage": 5},
    "items": [
        {
            "kind": "youtube#channel",
            "etag": "y",
            "id": "UC_x5XG1OV2P6uZZ5FSM9Ttw",
            "snippet": {"title": "Nordlys Coffee", "customUrl": "@nordlyscoffee"},
            "statistics": {
                "viewCount": "9000",
                "subscriberCount": "120",
                "hiddenSubscriberCount": False,
                "videoCount": "7",
            },
        }
    ],
}


def signed_in(role: str = Role.ADMIN, workspace: Any = None) -> tuple[Client, Any]:
    membership = make_member(workspace, role)
    client = Client()
    client.force_login(membership.user)
    return client, membership


def save_app(
    client: Client,
    replay: ReplayServer,
    network: str,
    *,
    token_path: str,
    secret: str = "app-secret",  # noqa: S107
) -> None:
    spec = oauth.spec_of(network)
    assert spec is not None
    response = client.post(
        f"/connectors/oauth/{network}/app/",
        {
            "client_id": f"{network}-client-id",
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


def tokens(access: str, refresh: str | None = None, *, expires_in: int = 3600, scope: str = "") -> Answer:
    body: dict[str, Any] = {"access_token": access, "token_type": "bearer", "expires_in": expires_in}
    if refresh is not None:
        body["refresh_token"] = refresh
    if scope:
        body["scope"] = scope
    return Answer(200, body)


def stored(account: ConnectedAccount) -> dict[str, str]:
    return crypto.decrypt(AccountCredentials.objects.get(account=account).credentials)


def form_fields(body: bytes) -> dict[str, str]:
    return {name: values[0] for name, values in parse_qs(body.decode()).items()}


# --- the app ------------------------------------------------------------------------------------------


def test_the_app_page_shows_the_redirect_address_and_keeps_the_secret_encrypted_and_unshown(
    replay: ReplayServer,
) -> None:
    client, admin = signed_in()
    page = client.get("/connectors/oauth/reddit/app/").content.decode()
    assert "http://testserver/connectors/oauth/reddit/callback/" in page
    assert "https://www.reddit.com/prefs/apps" in page
    save_app(client, replay, "reddit", token_path="/api/v1/access_token", secret="very-secret-value")
    app = OAuthApp.objects.for_workspace(admin.workspace).get(network="reddit")
    assert app.client_id == "reddit-client-id"
    assert "very-secret-value" not in app.client_secret
    assert oauth.app_secret(app) == "very-secret-value"
    assert "very-secret-value" not in client.get("/connectors/oauth/reddit/app/").content.decode()
    event = AuditEvent.objects.filter(action="oauth_app.save").get()
    assert "very-secret-value" not in str(event.after)
    assert event.after["secret_changed"] is True
    # An empty secret keeps the stored one.
    save_app(client, replay, "reddit", token_path="/api/v1/access_token", secret="")
    app.refresh_from_db()
    assert oauth.app_secret(app) == "very-secret-value"


def test_only_managers_may_set_up_apps_and_sign_in() -> None:
    client, _member = signed_in(Role.ANALYST)
    assert client.get("/connectors/oauth/reddit/app/").status_code == 403
    assert client.post("/connectors/oauth/reddit/start/").status_code == 403
    assert client.get("/connectors/oauth/reddit/callback/?state=x&code=y").status_code == 403


def test_networks_without_oauth_have_no_oauth_pages() -> None:
    client, _admin = signed_in()
    assert client.get("/connectors/oauth/telegram/").status_code == 404
    assert client.get("/connectors/oauth/myspace/app/").status_code == 404


def test_signing_in_without_an_app_asks_for_one_first() -> None:
    client, _admin = signed_in()
    response = client.post("/connectors/oauth/x/start/")
    assert response.status_code == 302
    assert response["Location"] == "/connectors/oauth/x/app/"
    assert OAuthState.objects.count() == 0


# --- Reddit: authorization code, Basic client authentication, no PKCE ----------------------------------


def test_reddit_sign_in_end_to_end(replay: ReplayServer) -> None:
    client, admin = signed_in()
    save_app(client, replay, "reddit", token_path="/api/v1/access_token")
    connect_page = client.get("/connectors/oauth/reddit/").content.decode()
    assert "<code>submit</code>" in connect_page
    authorize = start(client, "reddit", subreddit="nordlys")
    assert authorize["_address"] == "https://www.reddit.com/api/v1/authorize"
    assert authorize["client_id"] == "reddit-client-id"
    assert authorize["response_type"] == "code"
    assert authorize["duration"] == "permanent"
    assert authorize["redirect_uri"] == "http://testserver/connectors/oauth/reddit/callback/"
    assert authorize["scope"] == "identity submit read privatemessages edit history"
    assert len(authorize["state"]) >= 32
    assert "code_challenge" not in authorize

    replay.add("POST", "/api/v1/access_token", tokens("reddit-access-1", "reddit-refresh-1", scope="identity submit"))
    replay.add("GET", "/api/v1/me", Answer(200, REDDIT_ME), always=True)
    response = client.get(f"/connectors/oauth/reddit/callback/?state={authorize['state']}&code=reddit-code")
    assert response.status_code == 302
    assert response["Location"] == "/connectors/"

    exchange = replay.requests_to("POST", "/api/v1/access_token")[0]
    assert form_fields(exchange.body) == {
        "grant_type": "authorization_code",
        "code": "reddit-code",
        "redirect_uri": "http://testserver/connectors/oauth/reddit/callback/",
    }
    expected_basic = base64.b64encode(b"reddit-client-id:app-secret").decode()
    assert exchange.headers["Authorization"] == f"Basic {expected_basic}"

    account = ConnectedAccount.objects.for_workspace(admin.workspace).get()
    assert (account.network, account.handle, account.remote_id) == ("reddit", "u/nordlys_coffee", "1w72")
    assert account.options == {"subreddit": "nordlys", "granted_scopes": ["identity", "submit"]}
    assert stored(account) == {"access_token": "reddit-access-1", "refresh_token": "reddit-refresh-1"}
    assert account.token_expires_at is not None
    assert 3500 < (account.token_expires_at - timezone.now()).total_seconds() <= 3600
    assert OAuthState.objects.count() == 0
    health = client.get("/connectors/").content.decode()
    assert "u/nordlys_coffee" in health
    assert "Permissions: identity submit" in health
    assert "reddit-access-1" not in health
    assert AuditEvent.objects.filter(action="connected_account.oauth_grant").count() == 1

    # The state is single-use: the same callback again is refused and changes nothing.
    again = client.get(f"/connectors/oauth/reddit/callback/?state={authorize['state']}&code=reddit-code")
    assert again.status_code == 400
    assert "the state does not match" in again.content.decode()
    assert len(replay.requests_to("POST", "/api/v1/access_token")) == 1


def test_a_state_that_does_not_match_is_refused_with_a_clear_page(replay: ReplayServer) -> None:
    client, admin = signed_in()
    save_app(client, replay, "reddit", token_path="/api/v1/access_token")
    authorize = start(client, "reddit")
    wrong = client.get("/connectors/oauth/reddit/callback/?state=forged-state&code=reddit-code")
    assert wrong.status_code == 400
    assert "the state does not match" in wrong.content.decode()
    # Another person of the same workspace cannot finish someone else's sign-in with the right state...
    other, _colleague = signed_in(Role.ADMIN, admin.workspace)
    assert other.get(f"/connectors/oauth/reddit/callback/?state={authorize['state']}&code=c").status_code == 400
    # ...and that attempt used it up.
    assert client.get(f"/connectors/oauth/reddit/callback/?state={authorize['state']}&code=c").status_code == 400
    assert replay.requests_to("POST", "/api/v1/access_token") == []
    assert ConnectedAccount.objects.count() == 0


def test_a_state_from_another_session_or_too_old_is_refused(replay: ReplayServer) -> None:
    client, admin = signed_in()
    save_app(client, replay, "reddit", token_path="/api/v1/access_token")
    authorize = start(client, "reddit")
    same_user_elsewhere = Client()
    same_user_elsewhere.force_login(admin.user)
    response = same_user_elsewhere.get(f"/connectors/oauth/reddit/callback/?state={authorize['state']}&code=c")
    assert response.status_code == 400

    late = start(client, "reddit")
    OAuthState.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert client.get(f"/connectors/oauth/reddit/callback/?state={late['state']}&code=c").status_code == 400
    assert replay.requests_to("POST", "/api/v1/access_token") == []


def test_a_person_who_declines_gets_the_networks_words(replay: ReplayServer) -> None:
    client, _admin = signed_in()
    save_app(client, replay, "reddit", token_path="/api/v1/access_token")
    authorize = start(client, "reddit")
    response = client.get(f"/connectors/oauth/reddit/callback/?state={authorize['state']}&error=access_denied")
    assert response.status_code == 400
    assert "Reddit did not give access: access_denied" in response.content.decode()
    assert OAuthState.objects.count() == 0


@pytest.mark.parametrize(
    ("answer", "shown"),
    [
        # Reddit refuses a used or wrong code with HTTP 200 and an error body.
        (Answer(200, {"error": "invalid_grant"}), "Authorization expired — reconnect: invalid_grant"),
        (
            Answer(401, {"message": "Unauthorized", "error": 401}),
            "Reddit refused the app&#x27;s client id or secret",
        ),
        (Answer(503, "<html>Service Unavailable</html>", {"Content-Type": "text/html"}), "sign-in service failed"),
        (Answer(200, "{not json", {"Content-Type": "application/json"}), "unreadable JSON"),
        (Answer(429, {"error": "slow down"}, {"Retry-After": "30"}), "asks to slow down"),
    ],
)
def test_token_endpoint_refusals_are_shown_and_connect_nothing(
    replay: ReplayServer, answer: Answer, shown: str
) -> None:
    client, _admin = signed_in()
    save_app(client, replay, "reddit", token_path="/api/v1/access_token")
    authorize = start(client, "reddit")
    replay.add("POST", "/api/v1/access_token", answer)
    response = client.get(f"/connectors/oauth/reddit/callback/?state={authorize['state']}&code=c")
    assert response.status_code == 400
    assert shown in response.content.decode()
    assert ConnectedAccount.objects.count() == 0


def test_token_endpoint_errors_map_to_the_small_set(replay: ReplayServer) -> None:
    client, admin = signed_in()
    save_app(client, replay, "youtube", token_path="/token")
    app = OAuthApp.objects.for_workspace(admin.workspace).get(network="youtube")
    spec = oauth.spec_of("youtube")
    assert spec is not None
    cases: list[tuple[Answer, type[ConnectorError]]] = [
        (Answer(400, {"error": "invalid_grant", "error_description": "Bad Request"}), AuthExpiredError),
        (Answer(401, {"error": "invalid_client", "error_description": "Unauthorized"}), ContentRejectedError),
        (Answer(429, {"error": "rate_limit_exceeded"}, {"Retry-After": "12"}), RateLimitedError),
        (Answer(500, {"error": "internal_failure"}), TemporaryFailureError),
        (Answer(200, {"token_type": "Bearer"}), TemporaryFailureError),
    ]
    for answer, kind in cases:
        replay.add("POST", "/token", answer)
        with pytest.raises(kind) as caught:
            oauth.token_request(
                spec, app, {"grant_type": "refresh_token", "refresh_token": "r"}, network="youtube", label="YouTube"
            )
        if isinstance(caught.value, RateLimitedError):
            assert caught.value.retry_after == 12
        assert caught.value.retryable == (kind in {RateLimitedError, TemporaryFailureError})


# --- X: PKCE S256, refresh tokens rotate ---------------------------------------------------------------


def test_x_sign_in_uses_pkce_and_refresh_rotates_the_refresh_token(replay: ReplayServer) -> None:
    client, admin = signed_in()
    save_app(client, replay, "x", token_path="/2/oauth2/token")
    authorize = start(client, "x")
    assert authorize["_address"] == "https://x.com/i/oauth2/authorize"
    assert authorize["code_challenge_method"] == "S256"
    assert "offline.access" in authorize["scope"].split(" ")
    replay.add(
        "POST",
        "/2/oauth2/token",
        tokens("x-access-1", "x-refresh-1", expires_in=7200, scope="tweet.read tweet.write users.read offline.access"),
    )
    replay.add("GET", "/2/users/me", Answer(200, X_ME), always=True)
    response = client.get(f"/connectors/oauth/x/callback/?state={authorize['state']}&code=x-code")
    assert response.status_code == 302, response.content.decode()
    sent = form_fields(replay.requests_to("POST", "/2/oauth2/token")[0].body)
    verifier = sent["code_verifier"]
    assert 43 <= len(verifier) <= 128
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert challenge == authorize["code_challenge"]
    account = ConnectedAccount.objects.for_workspace(admin.workspace).get()
    assert account.handle == "@nordlyscoffee"

    # The hourly check renews a token that runs out before the next check; X sends a new refresh token.
    ConnectedAccount.objects.filter(pk=account.pk).update(
        token_expires_at=timezone.now() + datetime.timedelta(minutes=30)
    )
    replay.add("POST", "/2/oauth2/token", tokens("x-access-2", "x-refresh-2", expires_in=7200))
    checked = services.account_check_health(account.pk)
    assert checked is not None
    assert checked.status == AccountStatus.ACTIVE
    refresh = form_fields(replay.requests_to("POST", "/2/oauth2/token")[1].body)
    assert refresh == {"grant_type": "refresh_token", "refresh_token": "x-refresh-1"}
    assert stored(account) == {"access_token": "x-access-2", "refresh_token": "x-refresh-2"}
    assert replay.requests_to("GET", "/2/users/me")[-1].headers["Authorization"] == "Bearer x-access-2"
    account.refresh_from_db()
    assert account.token_expires_at is not None
    assert account.token_expires_at > timezone.now() + datetime.timedelta(hours=1)


def test_a_connector_built_for_an_account_about_to_expire_renews_first(replay: ReplayServer) -> None:
    client, admin = signed_in()
    save_app(client, replay, "x", token_path="/2/oauth2/token")
    account = make_account(
        admin.workspace,
        base_url=replay.url,
        network="x",
        handle="@nordlyscoffee",
        remote_id="2244994945",
        credentials={"access_token": "x-old", "refresh_token": "x-refresh-old"},
        token_expires_at=timezone.now() + datetime.timedelta(minutes=2),
    )
    replay.add("POST", "/2/oauth2/token", tokens("x-fresh", "x-refresh-new", expires_in=7200))
    replay.add("GET", "/2/users/me", Answer(200, X_ME))
    with services.connector_for(account) as connector:
        assert connector.account_info().handle == "@nordlyscoffee"
    assert replay.requests_to("GET", "/2/users/me")[0].headers["Authorization"] == "Bearer x-fresh"


# --- YouTube (Google): credentials in the body, no new refresh token, invalid_grant ---------------------


def test_youtube_reconnect_keeps_the_account_and_the_old_refresh_token(replay: ReplayServer) -> None:
    client, admin = signed_in()
    save_app(client, replay, "youtube", token_path="/token")
    replay.add("GET", "/youtube/v3/channels", Answer(200, YOUTUBE_CHANNELS), always=True)
    authorize = start(client, "youtube")
    assert authorize["_address"] == "https://accounts.google.com/o/oauth2/v2/auth"
    assert authorize["access_type"] == "offline"
    assert authorize["scope"] == "https://www.googleapis.com/auth/youtube.force-ssl"
    replay.add("POST", "/token", tokens("ya29.first", "1//refresh-first", expires_in=3599))
    assert client.get(f"/connectors/oauth/youtube/callback/?state={authorize['state']}&code=4/0A").status_code == 302
    exchange = form_fields(replay.requests_to("POST", "/token")[0].body)
    assert exchange["client_id"] == "youtube-client-id"
    assert exchange["client_secret"] == "app-secret"
    assert "code_verifier" in exchange
    account = ConnectedAccount.objects.for_workspace(admin.workspace).get()
    ConnectedAccount.objects.filter(pk=account.pk).update(
        last_sync_at=timezone.now(), inbox_cursor="2026-11-01T00:00:00+00:00"
    )

    # Reconnecting from the reconnect page: Google sends no refresh token the second time.
    again = start(client, "youtube", account=str(account.pk))
    replay.add("POST", "/token", tokens("ya29.second", None, expires_in=3599))
    assert client.get(f"/connectors/oauth/youtube/callback/?state={again['state']}&code=4/0B").status_code == 302
    assert ConnectedAccount.objects.count() == 1
    account.refresh_from_db()
    assert account.inbox_cursor == "2026-11-01T00:00:00+00:00"
    assert account.last_sync_at is not None
    assert stored(account) == {"access_token": "ya29.second", "refresh_token": "1//refresh-first"}

    # Signing in again through "Connect" (not "Reconnect") also finds the same channel.
    third = start(client, "youtube")
    replay.add("POST", "/token", tokens("ya29.third", None, expires_in=3599))
    assert client.get(f"/connectors/oauth/youtube/callback/?state={third['state']}&code=4/0C").status_code == 302
    assert ConnectedAccount.objects.get().pk == account.pk
    assert stored(account)["refresh_token"] == "1//refresh-first"

    # A refresh: no new refresh token comes, the old one stays.
    ConnectedAccount.objects.filter(pk=account.pk).update(
        token_expires_at=timezone.now() + datetime.timedelta(minutes=20)
    )
    replay.add("POST", "/token", tokens("ya29.refreshed", None, expires_in=3599))
    assert services.account_check_health(account.pk) is not None
    assert stored(account) == {"access_token": "ya29.refreshed", "refresh_token": "1//refresh-first"}


def test_a_revoked_refresh_token_shows_auth_expired_on_the_health_page(replay: ReplayServer) -> None:
    client, admin = signed_in()
    save_app(client, replay, "youtube", token_path="/token")
    account = make_account(
        admin.workspace,
        base_url=replay.url,
        network="youtube",
        handle="@nordlyscoffee",
        remote_id="UC_x5XG1OV2P6uZZ5FSM9Ttw",
        credentials={"access_token": "ya29.old", "refresh_token": "1//revoked"},
        token_expires_at=timezone.now() + datetime.timedelta(minutes=10),
    )
    replay.add(
        "POST",
        "/token",
        Answer(400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}),
    )
    services.account_check_health(account.pk)
    account.refresh_from_db()
    assert account.status == AccountStatus.EXPIRED
    assert account.last_error == "Authorization expired — reconnect: Token has been expired or revoked."
    assert account.last_error_code == "auth_expired"
    page = client.get("/connectors/").content.decode()
    assert "Authorization expired — reconnect: Token has been expired or revoked." in page
    assert "Token expired: reconnect" in page
    # The refresh token is kept (a person may fix the app and reconnect).
    assert stored(account)["refresh_token"] == "1//revoked"


def test_the_connect_pages_offer_sign_in_where_the_network_has_oauth(replay: ReplayServer) -> None:
    client, admin = signed_in()
    choose = client.get("/connectors/connect/")
    assert choose.status_code == 200
    page = choose.content.decode()
    assert 'href="/connectors/oauth/reddit/"' in page
    assert 'href="/connectors/oauth/youtube/"' in page
    assert 'href="/connectors/connect/telegram/"' in page
    assert "Sign in with X" in page
    assert 'action="/connectors/oauth/x/start/"' in client.get("/connectors/connect/x/").content.decode()
    account = make_account(admin.workspace, base_url=replay.url, network="youtube", remote_id="UC1")
    reconnect = client.get(f"/connectors/{account.pk}/reconnect/").content.decode()
    assert 'action="/connectors/oauth/youtube/start/"' in reconnect
    assert f'name="account" value="{account.pk}"' in reconnect
    assert "oauth-start" not in client.get("/connectors/connect/telegram/").content.decode()


def test_reconnecting_with_another_remote_account_is_refused_and_keeps_the_tokens(replay: ReplayServer) -> None:
    client, admin = signed_in()
    save_app(client, replay, "reddit", token_path="/api/v1/access_token")
    account = make_account(
        admin.workspace,
        base_url=replay.url,
        network="reddit",
        handle="u/nordlys_coffee",
        remote_id="1w72",
        credentials={"access_token": "kept", "refresh_token": "kept-refresh"},
    )
    authorize = start(client, "reddit", account=str(account.pk))
    replay.add("POST", "/api/v1/access_token", tokens("someone-else", "their-refresh"))
    replay.add("GET", "/api/v1/me", Answer(200, {**REDDIT_ME, "id": "9zz", "name": "someone_else"}), always=True)
    response = client.get(f"/connectors/oauth/reddit/callback/?state={authorize['state']}&code=c")
    assert response.status_code == 400
    assert "These credentials belong to u/someone_else, not to u/nordlys_coffee." in response.content.decode()
    assert stored(account) == {"access_token": "kept", "refresh_token": "kept-refresh"}
    assert ConnectedAccount.objects.count() == 1


def test_an_app_needs_a_client_id_and_a_secret_where_the_network_requires_one(replay: ReplayServer) -> None:
    client, admin = signed_in()
    spec = oauth.spec_of("reddit")
    assert spec is not None
    fields = {
        "client_id": "reddit-client-id",
        "client_secret": "",
        "authorize_url": spec.authorize_url,
        "token_url": spec.token_url,
        "api_base_url": "https://oauth.reddit.com",
    }
    response = client.post("/connectors/oauth/reddit/app/", fields)
    assert response.status_code == 400
    assert "Enter the client secret the network gave your app." in response.content.decode()
    assert not OAuthApp.objects.exists()
    # X's public clients sign in with PKCE alone.
    x_spec = oauth.spec_of("x")
    assert x_spec is not None
    fields = {
        **fields,
        "authorize_url": x_spec.authorize_url,
        "token_url": x_spec.token_url,
        "api_base_url": replay.url,
    }
    assert client.post("/connectors/oauth/x/app/", fields).status_code == 302
    assert OAuthApp.objects.for_workspace(admin.workspace).get().client_secret == ""


@pytest.mark.django_db(transaction=True)
def test_a_refresh_refused_after_another_worker_rotated_the_token_counts_as_renewed(replay: ReplayServer) -> None:
    _client, admin = signed_in()
    oauth.oauth_app_save(
        actor=Actor.system("test"),
        membership=admin,
        network="x",
        client_id="x-client",
        token_url=f"{replay.url}/2/oauth2/token",
        api_base_url=replay.url,
    )
    account = make_account(
        admin.workspace,
        base_url=replay.url,
        network="x",
        remote_id="2244994945",
        credentials={"access_token": "x-old", "refresh_token": "x-refresh-old"},
        token_expires_at=timezone.now() + datetime.timedelta(minutes=1),
    )

    def another_worker_renews() -> None:
        AccountCredentials.objects.filter(account_id=account.pk).update(
            credentials=crypto.encrypt({"access_token": "x-new", "refresh_token": "x-refresh-new"})
        )
        ConnectedAccount.objects.filter(pk=account.pk).update(
            token_expires_at=timezone.now() + datetime.timedelta(hours=2)
        )
        connection.close()

    # X refuses the old refresh token once another worker used it; the refusal comes after that worker stored its own.
    replay.add("POST", "/2/oauth2/token", Answer(400, {"error": "invalid_grant"}, delay=2.0))
    worker = threading.Timer(0.05, another_worker_renews)
    worker.start()
    try:
        assert oauth.account_refresh(account) is True
    finally:
        worker.join()
    assert stored(account) == {"access_token": "x-new", "refresh_token": "x-refresh-new"}
    assert account.token_expires_at is not None
    assert account.token_expires_at > timezone.now() + datetime.timedelta(hours=1)
    # Without such a renewal the refusal stands.
    replay.add("POST", "/2/oauth2/token", Answer(400, {"error": "invalid_grant"}))
    with pytest.raises(AuthExpiredError, match="invalid_grant"):
        oauth.account_refresh(account)
