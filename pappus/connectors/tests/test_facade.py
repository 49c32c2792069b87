"""The facade other apps call, and the one retry of a request whose connection broke before an answer.

The retry is only safe when the network honours the idempotency key the request carries; the
replay server closes the connection without answering, which is what a server dropping a kept-alive
connection looks like to the client.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, ClassVar

import pytest

from pappus.connectors import facade, registry
from pappus.connectors.contracts import Capability, MediaFile, PublishRequest
from pappus.connectors.errors import AccountMissingError, AuthExpiredError, RateLimitedError, TemporaryFailureError
from pappus.connectors.mastodon.client import DEFAULT_LIMITS as MASTODON_LIMITS
from pappus.connectors.mastodon.client import MastodonConnector
from pappus.connectors.matrix.client import LIMITS as MATRIX_LIMITS
from pappus.connectors.models import AccountStatus, ConnectedAccount
from pappus.connectors.tests.factories import make_account, mastodon_account_json, serve_mastodon_account
from pappus.connectors.tests.images import one_pixel_png
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.core.tests.factories import make_workspace

STATUS = {
    "id": "109",
    "url": "https://example.social/@brand/109",
    "created_at": "2026-11-02T10:00:00.000Z",
    "content": "<p>Hello</p>",
    "account": mastodon_account_json(),
}


class KeylessMastodonConnector(MastodonConnector):
    """A server speaking Mastodon's API that ignores Idempotency-Key (snac 2.75 does); not registered."""

    idempotency_window_seconds: ClassVar[int] = 0


def serve_instance(replay: ReplayServer) -> None:
    replay.add("GET", "/api/v1/instance", Answer(200, {"uri": "example.social"}), always=True)


# --- what each connector declares -----------------------------------------------------------------


def test_connector_classes_declare_limits_and_idempotency_without_being_built() -> None:
    registry.load_connectors()
    profiles = {profile.network: profile for profile in facade.network_profiles()}
    assert (profiles["mastodon"].default_limits, profiles["mastodon"].idempotency_window_seconds) == (
        MASTODON_LIMITS,
        3600,
    )
    assert (profiles["matrix"].default_limits, profiles["matrix"].idempotency_window_seconds) == (MATRIX_LIMITS, 1800)
    assert profiles["mastodon"].capabilities == frozenset(Capability)
    assert facade.default_limits("mastodon") == MASTODON_LIMITS
    assert (facade.default_limits("myspace"), facade.idempotency_window_seconds("myspace")) == (None, 0)
    with pytest.raises(LookupError):
        facade.network_profile("myspace")


def test_a_profile_is_frozen() -> None:
    profile = facade.network_profile("mastodon")
    with pytest.raises(dataclasses.FrozenInstanceError):
        profile.idempotency_window_seconds = 0  # type: ignore[misc]


# --- accounts a workspace may target ------------------------------------------------------------


@pytest.mark.django_db
def test_target_accounts_are_the_workspaces_own_not_disconnected_with_their_networks_declarations(
    workspace: Any,
) -> None:
    mastodon = make_account(workspace, base_url="https://example.social", handle="@brand@example.social")
    matrix = make_account(
        workspace,
        base_url="https://matrix.example.org",
        network="matrix",
        handle="@brand:example.org",
        remote_id="@brand:example.org",
        status=AccountStatus.EXPIRED,
        last_error="Matrix refused the token: Token expired (M_UNKNOWN_TOKEN)",
    )
    make_account(workspace, base_url="https://old.example", handle="@gone@old.example", status="disconnected")
    make_account(make_workspace(), base_url="https://example.social", handle="@other@example.social")

    targets = facade.target_accounts(workspace.pk)
    assert [(target.id, target.network, target.handle, target.status) for target in targets] == [
        (mastodon.pk, "mastodon", "@brand@example.social", "active"),
        (matrix.pk, "matrix", "@brand:example.org", "expired"),
    ]
    first, second = targets
    assert (first.network_label, first.limits, first.idempotency_window_seconds, first.can_publish) == (
        "Mastodon",
        MASTODON_LIMITS,
        3600,
        True,
    )
    assert (second.limits, second.idempotency_window_seconds, second.can_publish) == (MATRIX_LIMITS, 1800, False)
    assert second.last_error == "Matrix refused the token: Token expired (M_UNKNOWN_TOKEN)"
    assert Capability.LISTEN not in second.capabilities
    assert [target.id for target in facade.target_accounts(workspace.pk, capability=Capability.LISTEN)] == [mastodon.pk]
    assert [target.id for target in facade.target_accounts(workspace.pk, network="matrix")] == [matrix.pk]
    assert not hasattr(first, "credentials")


@pytest.mark.django_db
def test_another_workspaces_account_is_missing(workspace: Any) -> None:
    other = make_account(make_workspace(), base_url="https://example.social")
    with pytest.raises(AccountMissingError) as raised:
        facade.target_account(workspace.pk, other.pk)
    assert (raised.value.code, raised.value.retryable) == ("account_missing", False)
    with pytest.raises(AccountMissingError):
        facade.connector_for_account(workspace.pk, other.pk)
    with pytest.raises(AccountMissingError):
        facade.target_account(workspace.pk, 987_654)


@pytest.mark.django_db
def test_a_connector_for_an_account_speaks_with_its_decrypted_token(workspace: Any, replay: ReplayServer) -> None:
    serve_mastodon_account(replay)
    account = make_account(workspace, base_url=replay.url, credentials={"access_token": "stored-secret-token"})
    with facade.connector_for_account(workspace.pk, account.pk) as connector:
        info = connector.account_info()
    assert info.handle == f"@brand@{replay.url.removeprefix('http://')}"
    assert replay.requests[0].headers["Authorization"] == "Bearer stored-secret-token"
    assert "stored-secret-token" not in repr(connector)


@pytest.mark.django_db
def test_a_disconnected_account_gives_no_connector(workspace: Any) -> None:
    account = make_account(workspace, base_url="https://example.social", status=AccountStatus.DISCONNECTED)
    assert facade.target_account(workspace.pk, account.pk).status == "disconnected"
    with pytest.raises(AuthExpiredError, match="is disconnected"):
        facade.connector_for_account(workspace.pk, account.pk)


@pytest.mark.django_db
def test_outcomes_reported_through_the_facade_reach_the_health_page(workspace: Any, replay: ReplayServer) -> None:
    account = make_account(workspace, base_url=replay.url)
    facade.record_failure(
        workspace.pk, account.pk, RateLimitedError("Mastodon rate limit reached: Too many requests", retry_after=30)
    )
    account.refresh_from_db()
    assert (account.status, account.last_error_code) == (AccountStatus.ACTIVE, "rate_limited")
    facade.record_failure(workspace.pk, account.pk, AuthExpiredError("Mastodon refused the token: revoked"))
    account.refresh_from_db()
    assert (account.status, account.last_error) == (AccountStatus.EXPIRED, "Mastodon refused the token: revoked")

    replay.add(
        "GET",
        "/api/v1/accounts/verify_credentials",
        Answer(200, mastodon_account_json(), headers={"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "299"}),
    )
    with facade.connector_for_account(workspace.pk, account.pk) as connector:
        connector.account_info()
    facade.record_success(workspace.pk, account.pk, connector)
    account = ConnectedAccount.objects.get(pk=account.pk)
    assert (account.status, account.last_error, account.rate_limit_remaining) == (AccountStatus.ACTIVE, "", 299)
    with pytest.raises(AccountMissingError):
        facade.record_success(make_workspace().pk, account.pk)


# --- the one retry after a connection closed without an answer -----------------------------------


def test_a_keyed_post_is_sent_again_when_the_network_honours_the_key(replay: ReplayServer) -> None:
    serve_instance(replay)
    replay.add("POST", "/api/v1/statuses", Answer(close_without_answer=True))
    replay.add("POST", "/api/v1/statuses", Answer(200, STATUS))
    with MastodonConnector(base_url=replay.url, credentials={"access_token": "t"}) as connector:
        assert connector.honours_idempotency_keys
        result = connector.publish(PublishRequest(text="Hello", idempotency_key="variant-7"))
    assert result.remote_id == "109"
    sent = replay.requests_to("POST", "/api/v1/statuses")
    assert [entry.headers["Idempotency-Key"] for entry in sent] == ["variant-7", "variant-7"]
    assert [json.loads(entry.body) for entry in sent] == [{"status": "Hello"}, {"status": "Hello"}]


def test_a_keyed_post_is_not_sent_again_when_the_network_ignores_the_key(replay: ReplayServer) -> None:
    serve_instance(replay)
    replay.add("POST", "/api/v1/statuses", Answer(close_without_answer=True))
    replay.add("POST", "/api/v1/statuses", Answer(200, STATUS))
    with KeylessMastodonConnector(base_url=replay.url, credentials={"access_token": "t"}) as connector:
        assert not connector.honours_idempotency_keys
        with pytest.raises(TemporaryFailureError, match="Mastodon could not be reached") as raised:
            connector.publish(PublishRequest(text="Hello", idempotency_key="variant-7"))
    # No status: the publishing scheduler reads this as "no answer" and does not blindly re-send.
    assert raised.value.status is None
    assert len(replay.requests_to("POST", "/api/v1/statuses")) == 1


def test_reads_and_uploads_are_sent_again_whatever_the_networks_keys(replay: ReplayServer) -> None:
    serve_instance(replay)
    replay.add("GET", "/api/v1/statuses/109", Answer(close_without_answer=True))
    replay.add("GET", "/api/v1/statuses/109", Answer(200, STATUS))
    replay.add("POST", "/api/v2/media", Answer(close_without_answer=True))
    replay.add("POST", "/api/v2/media", Answer(200, {"id": "77", "type": "image", "url": "https://e/77.png"}))
    replay.add("POST", "/api/v1/statuses", Answer(200, STATUS))
    with KeylessMastodonConnector(base_url=replay.url, credentials={"access_token": "t"}) as connector:
        assert connector.post_metrics("109").remote_id == "109"
        image = MediaFile(one_pixel_png(), "image/png", "p.png", description="A pixel")
        connector.publish(PublishRequest(text="Look", media=(image,), idempotency_key="variant-8"))
    assert len(replay.requests_to("GET", "/api/v1/statuses/109")) == 2
    uploads = replay.requests_to("POST", "/api/v2/media")
    assert len(uploads) == 2
    assert "Idempotency-Key" not in uploads[0].headers  # Mastodon documents no key for uploads
    assert json.loads(replay.requests_to("POST", "/api/v1/statuses")[0].body)["media_ids"] == ["77"]


def test_an_unkeyed_post_is_never_sent_again(replay: ReplayServer) -> None:
    replay.add("POST", "/api/v1/statuses", Answer(close_without_answer=True))
    with MastodonConnector(base_url=replay.url, credentials={"access_token": "t"}) as connector:
        with pytest.raises(TemporaryFailureError):
            connector.request("POST", "/api/v1/statuses", json={"status": "no key"})
        assert not connector.is_repeatable("POST", {})
        assert connector.is_repeatable("POST", {"idempotency-key": "k"})
    assert len(replay.requests_to("POST", "/api/v1/statuses")) == 1


@pytest.mark.django_db
def test_a_batch_of_sends_records_each_accounts_last_outcome_and_an_expired_token_among_them():
    """The scheduler reports a batch: the health page shows each account's last send, and a token
    refused anywhere in the batch still marks the account expired, whatever came after."""
    workspace = make_workspace()
    first = make_account(workspace, base_url="http://127.0.0.1:9")
    second = make_account(workspace, base_url="http://127.0.0.1:9", remote_id="2", handle="@other")
    stranger = make_account(make_workspace(), base_url="http://127.0.0.1:9")
    refused = AuthExpiredError("The access token is invalid", network="mastodon", status=401)
    facade.record_publishes(
        [
            (workspace.pk, first.pk, None),
            (workspace.pk, first.pk, refused),
            (workspace.pk, first.pk, None),
            (workspace.pk, second.pk, TemporaryFailureError("Mastodon failed: 503", network="mastodon")),
            (workspace.pk, stranger.pk, None),  # another workspace's account: skipped
        ]
    )
    first.refresh_from_db()
    second.refresh_from_db()
    stranger.refresh_from_db()
    assert (first.last_publish_ok, first.last_publish_error, first.status) == (True, "", AccountStatus.EXPIRED)
    assert (second.last_publish_ok, second.last_publish_error_code) == (False, "temporary_failure")
    assert second.status != AccountStatus.EXPIRED
    assert stranger.last_publish_at is None
