"""The scheduled pull of connected accounts' inboxes, end to end against a local server replaying
Mastodon's documented answers (https://docs.joinmastodon.org/methods/notifications/)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import pytest

from pappus.connectors import facade as connector_facade
from pappus.connectors.models import AccountStatus, ConnectedAccount
from pappus.connectors.tests.factories import make_account, serve_mastodon_account
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.core.models import Workspace
from pappus.inbox import services, tasks
from pappus.inbox.models import Conversation, Message

pytestmark = pytest.mark.django_db
NOTIFICATIONS = "/api/v1/notifications"


@pytest.fixture(scope="module")
def replay_server() -> Iterator[ReplayServer]:
    server = ReplayServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def replay(replay_server: ReplayServer) -> ReplayServer:
    replay_server.reset()
    serve_mastodon_account(replay_server)
    return replay_server


def notification(notification_id: str, status_id: str, text: str, **status: Any) -> dict[str, Any]:
    """A mention notification as Mastodon documents it (the fields the connector reads)."""
    return {
        "id": notification_id,
        "type": "mention",
        "created_at": "2026-03-02T09:00:00.000Z",
        "account": {"id": "77", "username": "kari", "acct": "kari@example.social", "display_name": "Kari"},
        "status": {
            "id": status_id,
            "created_at": "2026-03-02T09:00:00.000Z",
            "in_reply_to_id": None,
            "in_reply_to_account_id": None,
            "visibility": "public",
            "url": f"https://example.social/@kari/{status_id}",
            "content": f"<p>{text}</p>",
            "account": {"id": "77", "username": "kari", "acct": "kari@example.social", "display_name": "Kari"},
            **status,
        },
    }


THREAD = [  # newest first, as the server lists them
    notification("20", "201", "[purchase] and two more, please", in_reply_to_id="200"),
    notification("19", "200", "[question] do you ship to Tromsø?"),
]


def account_in(workspace: Workspace, replay: ReplayServer, **fields: Any) -> ConnectedAccount:
    return make_account(workspace, base_url=replay.url, **fields)


def test_the_job_brings_mentions_in_once_and_moves_the_cursor_after_storing(
    workspace: Workspace, replay: ReplayServer
) -> None:
    account = account_in(workspace, replay)
    # snac, like some servers, ignores since_id and lists everything again: the cursor must stop it.
    replay.add("GET", NOTIFICATIONS, Answer(200, THREAD), always=True)

    tasks.pull_inbound()
    tasks.pull_inbound()

    conversation = Conversation.objects.get(workspace=workspace)
    assert conversation.account_id == account.pk
    assert list(
        Message.objects.filter(conversation=conversation).order_by("external_id").values_list("text", flat=True)
    ) == [
        "[question] do you ship to Tromsø?",
        "[purchase] and two more, please",
    ]
    queries = [parse_qs(entry.query) for entry in replay.requests_to("GET", NOTIFICATIONS)]
    assert [query.get("since_id") for query in queries] == [None, ["20"]]
    account.refresh_from_db()
    assert account.inbox_cursor == "20"
    assert account.last_sync_at is not None
    assert account.status == AccountStatus.ACTIVE


def test_items_read_again_after_a_crash_before_the_cursor_is_saved_are_stored_once(
    workspace: Workspace, replay: ReplayServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = account_in(workspace, replay)
    replay.add("GET", NOTIFICATIONS, Answer(200, THREAD), always=True)

    def crash(*arguments: Any, **keywords: Any) -> None:
        raise RuntimeError("worker killed")

    with monkeypatch.context() as patch:
        patch.setattr(connector_facade, "record_inbox_read", crash)
        tasks.pull_inbound()
    account.refresh_from_db()
    assert account.inbox_cursor == ""
    assert Message.objects.filter(conversation__workspace=workspace).count() == 2

    tasks.pull_inbound()

    assert Conversation.objects.filter(workspace=workspace).count() == 1
    assert Message.objects.filter(conversation__workspace=workspace).count() == 2
    account.refresh_from_db()
    assert account.inbox_cursor == "20"


def test_a_refused_token_is_recorded_on_its_account_and_the_others_are_still_read(
    workspace: Workspace, replay: ReplayServer
) -> None:
    # Accounts are read by network and handle: "@a…" asks first and gets the refusal.
    refused = account_in(workspace, replay, handle="@a@example.social", remote_id="1")
    working = account_in(workspace, replay, handle="@b@example.social", remote_id="2")
    replay.add("GET", NOTIFICATIONS, Answer(401, {"error": "The access token is invalid"}))
    replay.add("GET", NOTIFICATIONS, Answer(200, THREAD[1:]))

    assert services.inbound_pull_all() == 1

    refused.refresh_from_db()
    assert refused.status == AccountStatus.EXPIRED
    assert refused.last_error_code == "auth_expired"
    assert "The access token is invalid" in refused.last_error
    assert refused.inbox_cursor == ""
    working.refresh_from_db()
    assert working.inbox_cursor == "19"
    assert list(Conversation.objects.filter(workspace=workspace).values_list("account_id", flat=True)) == [working.pk]

    # The expired account waits for a reconnect: the next run does not ask the network for it.
    replay.reset()
    serve_mastodon_account(replay)
    replay.add("GET", NOTIFICATIONS, Answer(200, []), always=True)
    assert services.inbound_pull_all() == 1
    assert len(replay.requests_to("GET", NOTIFICATIONS)) == 1


def test_disconnected_accounts_are_left_alone(workspace: Workspace, replay: ReplayServer) -> None:
    account_in(workspace, replay, status=AccountStatus.DISCONNECTED)
    assert services.inbound_pull_all() == 0
    assert replay.requests_to("GET", NOTIFICATIONS) == []
