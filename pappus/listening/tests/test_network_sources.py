"""Network connectors as listening sources: against the real Mastodon (snac2) and Bluesky peers, and
Mastodon's documented answers (429, 401) replayed from a local server."""

from __future__ import annotations

import datetime
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pappus.connectors import registry
from pappus.connectors import services as connector_services
from pappus.connectors.contracts import InboundItem, InboundKind, PublishRequest
from pappus.connectors.models import AccountStatus, ConnectedAccount
from pappus.connectors.tests.factories import make_account
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.core.audit import Actor
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_workspace
from pappus.inbox.models import Conversation, Message, Priority
from pappus.listening import network_sources, tasks
from pappus.listening.models import IngestRun, Mention, RunStatus, Source, SourceKind

ACTOR = Actor.system("test")
INDEXING_SECONDS = 30


@pytest.fixture
def analyst(workspace: Any) -> Any:
    return make_member(workspace, Role.ANALYST)


def status_json(status_id: str, text: str, created_at: str, username: str = "carol") -> dict[str, Any]:
    """A status as https://docs.joinmastodon.org/entities/Status/ documents it (the fields read)."""
    return {
        "id": status_id,
        "created_at": created_at,
        "in_reply_to_id": None,
        "in_reply_to_account_id": None,
        "visibility": "public",
        "url": f"https://example.social/@{username}/{status_id}",
        "uri": f"https://example.social/users/{username}/statuses/{status_id}",
        "content": f"<p>{text}</p>",
        "account": {
            "id": "7",
            "username": username,
            "acct": f"{username}@example.social",
            "display_name": username.title(),
        },
    }


def search_answer(*statuses: dict[str, Any]) -> Answer:
    return Answer(200, {"accounts": [], "statuses": list(statuses), "hashtags": []})


def source_for(analyst: Any, account: ConnectedAccount, query: str = "#pappus") -> Source:
    return network_sources.connector_source_create(
        actor=ACTOR, membership=analyst, name=f"Search {query}", account_id=account.pk, query=query
    )


def poll(source: Source) -> IngestRun:
    source.refresh_from_db()
    return network_sources.poll_connector_source(source)


def counts(run: IngestRun) -> tuple[str, int, int, int, int]:
    return (run.status, run.received, run.stored, run.duplicates, run.rejected)


# --- replayed Mastodon ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_search_is_stored_once_and_the_next_poll_reads_only_what_is_new(analyst: Any, replay: ReplayServer) -> None:
    account = make_account(analyst.workspace, base_url=replay.url)
    source = source_for(analyst, account)
    assert (source.kind, source.config["query"], source.config["network"]) == ("connector", "#pappus", "mastodon")
    assert source.next_poll_at is not None
    assert source.next_poll_at <= timezone.now()
    first = status_json("101", "Love #pappus coffee", "2026-11-30T08:00:00.000Z")
    second = status_json("102", "#pappus again", "2026-11-30T08:05:00.000Z", username="dave")
    replay.add("GET", "/api/v2/search", search_answer(second, first))
    assert counts(poll(source)) == (RunStatus.SUCCEEDED, 2, 2, 0, 0)
    stored = Mention.objects.for_workspace(analyst.workspace).get(external_id="101")
    assert (stored.network, stored.text, stored.author_handle, stored.url) == (
        "mastodon",
        "Love #pappus coffee",
        "carol@example.social",
        "https://example.social/@carol/101",
    )
    assert stored.raw["id"] == "101"
    query = parse_qs(replay.requests_to("GET", "/api/v2/search")[0].query)
    assert (query["q"], query["type"]) == (["#pappus"], ["statuses"])

    # The same answer again: nothing read twice, not even as a duplicate.
    replay.add("GET", "/api/v2/search", search_answer(second, first))
    assert counts(poll(source)) == (RunStatus.SUCCEEDED, 0, 0, 0, 0)
    third = status_json("103", "New #pappus", "2026-11-30T09:00:00.000Z")
    replay.add("GET", "/api/v2/search", search_answer(third, second, first))
    assert counts(poll(source)) == (RunStatus.SUCCEEDED, 1, 1, 0, 0)
    assert Mention.objects.for_workspace(analyst.workspace).count() == 3
    source.refresh_from_db()
    assert (source.consecutive_failures, source.last_error, source.last_success_at is not None) == (0, "", True)


@pytest.mark.django_db
def test_a_rate_limit_waits_at_least_the_networks_retry_after(analyst: Any, replay: ReplayServer) -> None:
    account = make_account(analyst.workspace, base_url=replay.url)
    source = source_for(analyst, account)
    replay.add("GET", "/api/v2/search", Answer(429, {"error": "Too many requests"}, headers={"Retry-After": "7200"}))
    before = timezone.now()
    run = poll(source)
    assert counts(run) == (RunStatus.FAILED, 0, 0, 0, 0)
    assert run.error.startswith("The network's rate limit was reached")
    source.refresh_from_db()
    assert source.consecutive_failures == 1
    assert source.next_poll_at is not None
    assert source.next_poll_at >= before + datetime.timedelta(seconds=7200)
    # The poll interval (300 s) doubled once is shorter than the network asked for.
    assert source.next_poll_at < before + datetime.timedelta(seconds=7300)


@pytest.mark.django_db
def test_an_expired_authorization_is_shown_on_the_source_page(
    analyst: Any, replay: ReplayServer, client: Client
) -> None:
    account = make_account(analyst.workspace, base_url=replay.url)
    source = source_for(analyst, account)
    replay.add("GET", "/api/v2/search", Answer(401, {"error": "The access token is invalid"}))
    run = poll(source)
    assert counts(run) == (RunStatus.FAILED, 0, 0, 0, 0)
    account.refresh_from_db()
    assert account.status == AccountStatus.EXPIRED
    source.refresh_from_db()
    assert source.next_poll_at is not None
    assert source.next_poll_at > timezone.now() + datetime.timedelta(seconds=500)
    client.force_login(analyst.user)
    page = client.get(reverse("listening:source", kwargs={"source_id": source.pk})).content.decode()
    assert (
        "The account&#x27;s authorization expired: reconnect the account "
        "(Mastodon refused the token: The access token is invalid)." in page
    )
    assert "Mastodon @brand@example.social" in page


@pytest.mark.django_db
def test_the_scheduler_claims_due_connector_sources_and_polls_them(
    analyst: Any, replay: ReplayServer, django_capture_on_commit_callbacks: Any
) -> None:
    account = make_account(analyst.workspace, base_url=replay.url)
    source = source_for(analyst, account)
    replay.add("GET", "/api/v2/search", search_answer(status_json("9", "#pappus", "2026-11-30T08:00:00Z")))
    with django_capture_on_commit_callbacks(execute=True):
        tasks.poll_due_sources()
    assert Mention.objects.for_workspace(analyst.workspace).filter(source=source).count() == 1
    source.refresh_from_db()
    assert source.next_poll_at is not None
    assert source.next_poll_at > timezone.now()
    assert network_sources.connector_sources_claim_due() == []


@pytest.mark.django_db
def test_the_account_must_belong_to_the_workspace_and_the_search_must_not_be_empty(
    analyst: Any, replay: ReplayServer
) -> None:
    stranger = make_account(make_workspace(), base_url=replay.url)
    with pytest.raises(ValidationError) as caught:
        source_for(analyst, stranger)
    assert caught.value.message_dict["account"] == [
        f"The connected account {stranger.pk} does not exist in this workspace."
    ]
    own = make_account(analyst.workspace, base_url=replay.url, handle="@shop@example.social", remote_id="2")
    with pytest.raises(ValidationError) as caught:
        source_for(analyst, own, query="   ")
    assert caught.value.message_dict["query"] == ["Enter what to search for: a hashtag or some words."]
    assert not Source.objects.for_workspace(analyst.workspace).exists()


def inbound(remote_id: str, minutes: int) -> InboundItem:
    moment = datetime.datetime(2026, 11, 30, 8, tzinfo=datetime.UTC) + datetime.timedelta(minutes=minutes)
    return InboundItem("mastodon", remote_id, InboundKind.MENTION, "text", "carol", published_at=moment)


def test_the_cursor_forgets_ids_older_than_the_overlap_and_skips_what_is_older() -> None:
    fresh, cursor = network_sources.unseen_items([inbound("a", 0), inbound("b", 10)], None)
    assert [item.remote_id for item in fresh] == ["a", "b"]
    fresh, cursor = network_sources.unseen_items([inbound("c", 120), inbound("b", 10)], cursor)
    assert [item.remote_id for item in fresh] == ["c"]
    assert set(cursor["seen"]) == {"c"}  # a and b are more than an hour older than c
    fresh, cursor = network_sources.unseen_items([inbound("late", 100), inbound("old", 30)], cursor)
    assert [item.remote_id for item in fresh] == ["late"]  # within the hour before the newest: still read


# --- the real peers ----------------------------------------------------------------------------


def eventually(read: Callable[[], IngestRun], done: Callable[[IngestRun], bool]) -> IngestRun:
    deadline = time.monotonic() + INDEXING_SECONDS
    while True:
        run = read()
        if done(run):
            return run
        if time.monotonic() > deadline:
            pytest.fail(f"nothing stored within {INDEXING_SECONDS} s: {counts(run)}")
        time.sleep(1)


@pytest.mark.django_db
def test_a_mastodon_search_on_snac_stores_a_post_once(analyst: Any, mastodon_peer: dict[str, str]) -> None:
    admin = make_member(analyst.workspace, Role.ADMIN)
    account = connector_services.account_connect(
        actor=ACTOR,
        membership=admin,
        network="mastodon",
        base_url=mastodon_peer["MASTODON_BASE_URL"],
        credentials={"access_token": mastodon_peer["MASTODON_ALICE_TOKEN"]},
    )
    word = f"pappus{uuid.uuid4().hex[:8]}"
    source = source_for(analyst, account, query=word)
    with registry.build(
        "mastodon",
        base_url=mastodon_peer["MASTODON_BASE_URL"],
        credentials={"access_token": mastodon_peer["MASTODON_ALICE_TOKEN"]},
    ) as alice:
        posted = alice.publish(PublishRequest(text=f"Talking about {word} today"))
    eventually(lambda: poll(source), lambda run: run.stored == 1)
    mention = Mention.objects.for_workspace(analyst.workspace).get(source=source)
    assert (mention.external_id, mention.network, mention.text) == (
        posted.remote_id,
        "mastodon",
        f"Talking about {word} today",
    )
    assert counts(poll(source)) == (RunStatus.SUCCEEDED, 0, 0, 0, 0)
    assert Mention.objects.for_workspace(analyst.workspace).filter(external_id=posted.remote_id).count() == 1


def bluesky_app_password(peer: dict[str, str], user: str) -> str:
    """An app password made through the real endpoint; the connector never sees the account password."""
    with httpx.Client(base_url=peer["BLUESKY_PDS_URL"], timeout=10) as http:
        session = http.post(
            "/xrpc/com.atproto.server.createSession",
            json={"identifier": peer[f"BLUESKY_{user}_HANDLE"], "password": peer[f"BLUESKY_{user}_PASSWORD"]},
        ).json()
        return str(
            http.post(
                "/xrpc/com.atproto.server.createAppPassword",
                json={"name": f"pappus-{uuid.uuid4().hex[:8]}"},
                headers={"Authorization": f"Bearer {session['accessJwt']}"},
            ).json()["password"]
        )


def connect_bluesky(analyst: Any, peer: dict[str, str], user: str) -> ConnectedAccount:
    return connector_services.account_connect(
        actor=ACTOR,
        membership=make_member(analyst.workspace, Role.ADMIN),
        network="bluesky",
        base_url=peer["BLUESKY_PDS_URL"],
        credentials={"app_password": bluesky_app_password(peer, user)},
        options={"identifier": peer[f"BLUESKY_{user}_HANDLE"]},
    )


@pytest.mark.django_db
def test_a_bluesky_search_on_the_local_network_stores_a_post_once(analyst: Any, bluesky_peer: dict[str, str]) -> None:
    account = connect_bluesky(analyst, bluesky_peer, "ALICE")
    word = f"pappus{uuid.uuid4().hex[:8]}"
    source = source_for(analyst, account, query=word)
    with connector_services.connector_for(account) as alice:
        posted = alice.publish(PublishRequest(text=f"Talking about {word} today"))
    eventually(lambda: poll(source), lambda run: run.stored == 1)
    mention = Mention.objects.for_workspace(analyst.workspace).get(source=source)
    assert (mention.external_id, mention.network, mention.text, mention.author_handle) == (
        posted.remote_id,
        "bluesky",
        f"Talking about {word} today",
        "alice.test",
    )
    assert counts(poll(source)) == (RunStatus.SUCCEEDED, 0, 0, 0, 0)
    assert Mention.objects.for_workspace(analyst.workspace).filter(external_id=posted.remote_id).count() == 1
    assert source.kind == SourceKind.CONNECTOR


@pytest.mark.django_db
def test_a_customers_bluesky_post_naming_the_brand_is_found_and_becomes_an_urgent_conversation(
    analyst: Any, bluesky_peer: dict[str, str], django_capture_on_commit_callbacks: Any
) -> None:
    # alice.test is the brand's account; bob.test, a customer, names it in a post the search finds.
    account = connect_bluesky(analyst, bluesky_peer, "ALICE")
    word = f"pappus{uuid.uuid4().hex[:8]}"
    source = source_for(analyst, account, query=word)
    with registry.build(
        "bluesky",
        base_url=bluesky_peer["BLUESKY_PDS_URL"],
        credentials={"app_password": bluesky_app_password(bluesky_peer, "BOB")},
        options={"identifier": bluesky_peer["BLUESKY_BOB_HANDLE"]},
    ) as bob:
        posted = bob.publish(PublishRequest(text=f"@alice.test I want to buy two bags of the {word} blend, how much?"))
    with django_capture_on_commit_callbacks(execute=True):
        eventually(lambda: poll(source), lambda run: run.stored == 1)
    conversation = Conversation.objects.for_workspace(analyst.workspace).get()
    assert (conversation.network, conversation.intent, conversation.priority) == (
        "bluesky",
        "purchase_intent",
        Priority.URGENT,
    )
    assert list(Message.objects.for_workspace(analyst.workspace).values_list("external_id", flat=True)) == [
        posted.remote_id
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert counts(poll(source)) == (RunStatus.SUCCEEDED, 0, 0, 0, 0)
    assert Conversation.objects.for_workspace(analyst.workspace).count() == 1


# --- the page and the API --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sources_page_creates_a_connector_source_with_an_account_and_a_search(
    analyst: Any, replay: ReplayServer, client: Client
) -> None:
    account = make_account(analyst.workspace, base_url=replay.url)
    make_account(make_workspace(), base_url=replay.url, handle="@stranger@example.social")
    client.force_login(analyst.user)
    page = client.get(reverse("listening:sources")).content.decode()
    assert f'<option value="{account.pk}">Mastodon @brand@example.social</option>' in page
    assert "@stranger@example.social" not in page
    missing = client.post(
        reverse("listening:sources"), {"name": "Search", "kind": "connector", "poll_interval_seconds": 300}
    )
    assert "Choose the connected account that searches (connect one first)." in missing.content.decode()
    assert "Enter what to search for: a hashtag or some words." in missing.content.decode()
    answer = client.post(
        reverse("listening:sources"),
        {
            "name": "Search",
            "kind": "connector",
            "account": account.pk,
            "query": "#nordlys",
            "poll_interval_seconds": 300,
            "send_to_inbox": "on",
        },
    )
    source = Source.objects.for_workspace(analyst.workspace).get()
    assert answer.status_code == 302
    assert (source.kind, source.config["account_id"], source.config["query"], source.send_to_inbox) == (
        "connector",
        account.pk,
        "#nordlys",
        True,
    )
    detail = client.get(reverse("listening:source", kwargs={"source_id": source.pk})).content.decode()
    assert "<code>#nordlys</code>" in detail
    assert "Mastodon @brand@example.social" in detail


@pytest.mark.django_db
def test_the_api_creates_a_connector_source_and_names_a_wrong_account(analyst: Any, replay: ReplayServer) -> None:
    from pappus.core.tests.test_api import ApiClient, token_for

    api = ApiClient(token_for(analyst))
    account = make_account(analyst.workspace, base_url=replay.url)
    created = api.post(
        "/sources", {"name": "Search", "kind": "connector", "account_id": account.pk, "query": "#nordlys"}
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["kind"], body["account_id"], body["query"], body["send_to_inbox"], body["webhook_url"]) == (
        "connector",
        account.pk,
        "#nordlys",
        False,
        None,
    )
    wrong = api.post("/sources", {"name": "Other", "kind": "connector", "account_id": 999999, "query": "x"})
    assert wrong.status_code == 422
    assert "The connected account 999999 does not exist in this workspace." in wrong.content.decode()
    assert "account_id" in wrong.content.decode()
