"""Connecting VK, Facebook Pages and Instagram from the connect page by token entry, as a person does it:
the page asks for the token (a password field) and the community, Page or Instagram account id; the
network (a local replay of its documented answers) confirms the token before anything is saved; a
refusal is shown with the network's own words; the token is stored encrypted and never shown again."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from pappus.connectors import crypto
from pappus.connectors.models import AccountCredentials, ConnectedAccount
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.core.models import AuditEvent
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member

pytestmark = pytest.mark.django_db

TOKEN = "replayed-connect-page-token-0123456789"
VK_GROUP = {"id": 1, "name": "Nordlys Coffee", "screen_name": "nordlys", "members_count": 2417}
PAGE = {
    "id": "101",
    "name": "Nordlys Coffee",
    "username": "nordlyscoffee",
    "link": "https://www.facebook.com/nordlyscoffee",
}
IG_ID = "17841405822304914"
IG_USER = {"id": IG_ID, "username": "nordlys", "name": "Nordlys Coffee", "followers_count": 3120}

NETWORKS: list[tuple[str, str, str, str, str]] = [
    # network, option field, option value, expected handle, expected remote id
    ("vk", "group_id", "nordlys", "nordlys", "1"),
    ("facebook", "page_id", "101", "nordlyscoffee", "101"),
    ("instagram", "ig_user_id", IG_ID, "@nordlys", IG_ID),
]


def serve(replay: ReplayServer, network: str) -> None:
    if network == "vk":
        replay.add("POST", "/method/groups.getById", Answer(200, {"response": {"groups": [VK_GROUP], "profiles": []}}))
    elif network == "facebook":
        replay.add("GET", "/v21.0/101", Answer(200, PAGE))
    else:
        replay.add("GET", f"/v21.0/{IG_ID}", Answer(200, IG_USER))


def refuse(replay: ReplayServer, network: str) -> str:
    """The network's documented answer to an expired token; returns the words the person must see."""
    if network == "vk":
        message = "User authorization failed: access_token has expired."
        body: dict[str, Any] = {"error": {"error_code": 5, "error_msg": message, "request_params": []}}
        replay.add("POST", "/method/groups.getById", Answer(200, body))
        return f"VK refused the token: {message}"
    message = "Error validating access token: Session has expired on Sunday, 29-Nov-26 10:00:00 PST."
    body = {
        "error": {"message": message, "type": "OAuthException", "code": 190, "error_subcode": 463, "fbtrace_id": "x"}
    }
    path = "/v21.0/101" if network == "facebook" else f"/v21.0/{IG_ID}"
    replay.add("GET", path, Answer(400, body))
    label = "Facebook" if network == "facebook" else "Instagram"
    return f"{label} refused the token: Error validating access token: Session has expired"


def signed_in() -> tuple[Client, Any]:
    admin = make_member(None, Role.ADMIN)
    client = Client()
    client.force_login(admin.user)
    return client, admin


@pytest.mark.parametrize("case", NETWORKS, ids=[case[0] for case in NETWORKS])
def test_connecting_by_token_from_the_page(replay: ReplayServer, case: tuple[str, str, str, str, str]) -> None:
    network, option, value, handle, remote_id = case
    client, admin = signed_in()
    page = client.get(f"/connectors/connect/{network}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'type="password"' in html
    assert f'name="{option}"' in html
    assert network in client.get("/connectors/connect/").content.decode()

    serve(replay, network)
    response = client.post(
        f"/connectors/connect/{network}/",
        {"base_url": replay.url, "access_token": TOKEN, option: value, "region": ""},
        follow=True,
    )
    assert response.redirect_chain == [("/connectors/", 302)]
    account = ConnectedAccount.objects.for_workspace(admin.workspace).get()
    assert (account.network, account.handle, account.remote_id, account.options) == (
        network,
        handle,
        remote_id,
        {option: value},
    )
    assert crypto.decrypt(AccountCredentials.objects.get(account=account).credentials) == {"access_token": TOKEN}
    assert TOKEN not in response.content.decode()
    assert TOKEN not in client.get(f"/connectors/{account.pk}/reconnect/").content.decode()
    event = AuditEvent.objects.for_workspace(admin.workspace_id).get(action="connected_account.connect")
    assert TOKEN not in str(event.after)


@pytest.mark.parametrize("case", NETWORKS, ids=[case[0] for case in NETWORKS])
def test_a_refused_token_is_shown_with_the_networks_words_and_nothing_is_saved(
    replay: ReplayServer, case: tuple[str, str, str, str, str]
) -> None:
    network, option, value, _handle, _remote_id = case
    client, _admin = signed_in()
    words = refuse(replay, network)
    response = client.post(
        f"/connectors/connect/{network}/", {"base_url": replay.url, "access_token": TOKEN, option: value}
    )
    assert response.status_code == 400
    assert words in response.content.decode()
    assert TOKEN not in response.content.decode()
    assert ConnectedAccount.objects.count() == 0
