"""Connecting a Facebook Page in a real browser (Debian's Chromium through Playwright): the admin saves
the workspace's Meta app, signs in with Facebook, picks the Page and sees it connected with a token
that does not expire. Meta's consent dialog is the network's own page: the browser's request for it
is answered as Meta answers a person who approves (a redirect to the callback with ``code`` and the
same ``state``); the Graph API's token endpoint and ``/me/accounts`` are a local replay."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from pappus.connectors import crypto
from pappus.connectors.models import AccountCredentials, ConnectedAccount
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.core.permissions import Role
from pappus.core.tests.factories import PASSWORD, make_member, make_workspace

# Playwright's sync API runs an event loop in this thread; the ORM is used between browser steps.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser

PAGES = {
    "data": [
        {"access_token": "EAApage-nordlys", "name": "Nordlys Coffee", "id": "101", "username": "nordlyscoffee"},
        {"access_token": "EAApage-fjord", "name": "Fjord Bakery", "id": "202"},
    ]
}


@pytest.fixture
def graph() -> Iterator[ReplayServer]:
    server = ReplayServer()
    try:
        yield server
    finally:
        server.close()


def test_an_admin_connects_a_facebook_page_through_facebook_login(
    page: Any, live_server: Any, graph: ReplayServer, transactional_db: None
) -> None:
    workspace = make_workspace(name="Nordlys Coffee")
    make_member(workspace, Role.ADMIN, email="admin@example.com")
    graph.add("POST", "/v21.0/oauth/access_token", Answer(200, {"access_token": "EAAshort", "token_type": "bearer"}))
    graph.add("POST", "/v21.0/oauth/access_token", Answer(200, {"access_token": "EAAlong", "expires_in": 5183944}))
    graph.add("GET", "/v21.0/me/accounts", Answer(200, PAGES))
    graph.add("GET", "/v21.0/101", Answer(200, {"id": "101", "name": "Nordlys Coffee", "username": "nordlyscoffee"}))

    consent: list[dict[str, list[str]]] = []

    def approve(route: Any) -> None:
        """What Meta does when the person approves: back to the redirect address with a code and the state."""
        asked = parse_qs(urlsplit(route.request.url).query)
        consent.append(asked)
        callback = f"{asked['redirect_uri'][0]}?code=fb-code&state={asked['state'][0]}"
        route.fulfill(status=302, headers={"Location": callback})

    page.route("https://www.facebook.com/**", approve)
    # Under a loaded CI machine the live server answers slowly; the steps themselves are quick.
    page.set_default_navigation_timeout(120_000)
    page.set_default_timeout(60_000)

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail address").fill("admin@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/connectors/oauth/facebook/app/")
    page.get_by_label("Client id").fill("meta-app-id")
    page.get_by_label("Client secret").fill("meta-app-secret")
    page.get_by_label("Token address").fill(f"{graph.url}/v21.0/oauth/access_token")
    page.get_by_label("API address").fill(graph.url)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{live_server.url}/connectors/oauth/facebook/")

    page.get_by_test_id("oauth-start").click()
    page.wait_for_url(f"{live_server.url}/connectors/oauth/facebook/choose/**")
    assert consent[0]["client_id"] == ["meta-app-id"]
    assert "pages_manage_posts" in consent[0]["scope"][0].split(",")
    candidates = page.get_by_test_id("candidate")
    assert candidates.count() == 2
    assert "Its token does not expire" in candidates.first.inner_text()

    page.get_by_label("Nordlys Coffee").check()
    page.get_by_test_id("oauth-choose").click()
    page.wait_for_url(f"{live_server.url}/connectors/")
    assert page.get_by_text("nordlyscoffee is connected.").is_visible()
    assert "Does not expire" in page.get_by_test_id("never-expires").inner_text()

    account = ConnectedAccount.objects.for_workspace(workspace).get()
    assert (account.network, account.remote_id, account.token_expires_at) == ("facebook", "101", None)
    assert crypto.decrypt(AccountCredentials.objects.get(account=account).credentials) == {
        "access_token": "EAApage-nordlys"
    }
