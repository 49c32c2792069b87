"""A connected account's own idempotency window: set in its settings page, audited, honoured by the
facade (what publishing reads) and by the connector (whether a keyed POST whose connection broke is
sent once more). The case it exists for: a Mastodon-API server that ignores ``Idempotency-Key``."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from pappus.connectors import facade
from pappus.connectors.contracts import PublishRequest
from pappus.connectors.errors import TemporaryFailureError
from pappus.connectors.models import ConnectedAccount
from pappus.connectors.tests.factories import make_account, mastodon_account_json
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.core.models import AuditEvent
from pappus.core.permissions import Action, Role, role_allows
from pappus.core.tests.factories import make_member, make_workspace

pytestmark = pytest.mark.django_db

STATUS = {
    "id": "109",
    "url": "https://example.social/@brand/109",
    "created_at": "2026-11-02T10:00:00.000Z",
    "content": "<p>Hello</p>",
    "account": mastodon_account_json(),
}


def signed_in(role: str = Role.ADMIN) -> tuple[Client, Any]:
    membership = make_member(None, role)
    client = Client()
    client.force_login(membership.user)
    return client, membership


def test_an_admin_sets_the_window_to_zero_and_back_to_the_networks_and_each_change_is_audited(
    replay: ReplayServer,
) -> None:
    client, admin = signed_in()
    account = make_account(admin.workspace, base_url=replay.url)
    page = client.get(f"/connectors/{account.pk}/settings/")
    assert page.status_code == 200
    assert "Mastodon documents that it honours an idempotency key for 3600 seconds." in page.content.decode()
    assert facade.account_idempotency_window_seconds(admin.workspace_id, account.pk) == 3600

    assert client.post(f"/connectors/{account.pk}/settings/", {"idempotency_window_override": "0"}).status_code == 302
    account.refresh_from_db()
    assert account.idempotency_window_override == 0
    assert facade.account_idempotency_window_seconds(admin.workspace_id, account.pk) == 0
    assert facade.target_account(admin.workspace_id, account.pk).idempotency_window_seconds == 0
    # The network's declaration is unchanged for every other account.
    assert facade.idempotency_window_seconds("mastodon") == 3600

    assert client.post(f"/connectors/{account.pk}/settings/", {"idempotency_window_override": ""}).status_code == 302
    assert facade.account_idempotency_window_seconds(admin.workspace_id, account.pk) == 3600

    events = AuditEvent.objects.for_workspace(admin.workspace_id).filter(action="connected_account.idempotency_window")
    assert [(event.before, event.after, event.actor_id) for event in events.order_by("created_at", "id")] == [
        ({"idempotency_window_override": None}, {"idempotency_window_override": 0}, admin.user_id),
        ({"idempotency_window_override": 0}, {"idempotency_window_override": None}, admin.user_id),
    ]


@pytest.mark.parametrize("value", ["-1", "86401", "an hour"])
def test_a_window_out_of_range_is_refused_with_the_fields_reason(replay: ReplayServer, value: str) -> None:
    client, admin = signed_in()
    account = make_account(admin.workspace, base_url=replay.url)
    response = client.post(f"/connectors/{account.pk}/settings/", {"idempotency_window_override": value})
    assert response.status_code == 400
    assert "Idempotency window (seconds)" in response.content.decode()
    account.refresh_from_db()
    assert account.idempotency_window_override is None
    assert not AuditEvent.objects.filter(action="connected_account.idempotency_window").exists()


@pytest.mark.parametrize("role", list(Role))
def test_the_settings_page_follows_the_role_table_and_the_workspace(replay: ReplayServer, role: Role) -> None:
    client, member = signed_in(role)
    account = make_account(member.workspace, base_url=replay.url)
    other = make_account(make_workspace(), base_url=replay.url)
    can_manage = role_allows(role, Action.CONNECTORS_MANAGE)
    assert client.get(f"/connectors/{account.pk}/settings/").status_code == (200 if can_manage else 403)
    posted = client.post(f"/connectors/{account.pk}/settings/", {"idempotency_window_override": "0"})
    assert posted.status_code == (302 if can_manage else 403)
    if can_manage:
        assert client.get(f"/connectors/{other.pk}/settings/").status_code == 404
    assert ConnectedAccount.objects.get(pk=other.pk).idempotency_window_override is None


def test_the_connector_of_an_account_with_window_zero_never_sends_a_keyed_post_twice(replay: ReplayServer) -> None:
    workspace = make_workspace()
    honest = make_account(workspace, base_url=replay.url, remote_id="1")
    ignoring = make_account(workspace, base_url=replay.url, remote_id="2", idempotency_window_override=0)
    replay.add("GET", "/api/v1/instance", Answer(200, {"uri": "example.social"}), always=True)

    replay.add("POST", "/api/v1/statuses", Answer(close_without_answer=True))
    replay.add("POST", "/api/v1/statuses", Answer(200, STATUS))
    with facade.connector_for_account(workspace.pk, honest.pk) as connector:
        assert connector.publish(PublishRequest(text="Hello", idempotency_key="v-1")).remote_id == "109"
    assert len(replay.requests_to("POST", "/api/v1/statuses")) == 2

    replay.requests.clear()
    replay.add("POST", "/api/v1/statuses", Answer(close_without_answer=True))
    replay.add("POST", "/api/v1/statuses", Answer(200, STATUS))
    with (
        facade.connector_for_account(workspace.pk, ignoring.pk) as connector,
        pytest.raises(TemporaryFailureError) as raised,
    ):
        connector.publish(PublishRequest(text="Hello", idempotency_key="v-2"))
    assert raised.value.status is None  # "no answer": publishing asks a person instead of re-sending
    assert len(replay.requests_to("POST", "/api/v1/statuses")) == 1
