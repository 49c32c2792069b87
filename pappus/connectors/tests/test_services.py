"""Connecting, reconnecting and disconnecting accounts; health; key rotation; secrets never leak.

The network side is the replay server answering as Mastodon documents it.
"""

from __future__ import annotations

import datetime
import io
import json
import logging
from typing import Any

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from pappus.connectors import crypto, selectors, services
from pappus.connectors.errors import AuthExpiredError
from pappus.connectors.models import AccountCredentials, AccountStatus, ConnectedAccount
from pappus.connectors.tests.factories import make_account, serve_mastodon_account
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.core.audit import Actor
from pappus.core.models import AuditEvent
from pappus.core.permissions import Action, Role, role_allows
from pappus.core.tests.factories import make_member, make_workspace

ACTOR = Actor.system("test")
TOKEN = "very-secret-access-token-0123456789"
REFRESH = "very-secret-refresh-token-9876543210"


@pytest.fixture
def admin(workspace: Any) -> Any:
    return make_member(workspace, Role.ADMIN)


def stored_credentials(account: ConnectedAccount) -> dict[str, str]:
    return crypto.decrypt(AccountCredentials.objects.get(account=account).credentials)


def connect(replay: ReplayServer, membership: Any, **credentials: str) -> ConnectedAccount:
    return services.account_connect(
        actor=ACTOR,
        membership=membership,
        network="mastodon",
        base_url=replay.url + "/",
        credentials=credentials or {"access_token": TOKEN, "refresh_token": REFRESH},
    )


@pytest.mark.django_db
def test_connecting_checks_the_token_with_the_network_and_stores_it_encrypted(
    replay: ReplayServer, admin: Any, caplog: pytest.LogCaptureFixture
) -> None:
    serve_mastodon_account(replay)
    caplog.set_level(logging.DEBUG)
    account = connect(replay, admin)
    assert (account.network, account.base_url, account.remote_id, account.display_name) == (
        "mastodon",
        replay.url,
        "1",
        "Brand",
    )
    assert account.handle == f"@brand@{replay.url.removeprefix('http://')}"
    assert account.status == AccountStatus.ACTIVE
    assert replay.requests_to("GET", "/api/v1/accounts/verify_credentials")[0].headers["Authorization"] == (
        f"Bearer {TOKEN}"
    )
    stored = AccountCredentials.objects.get(account=account).credentials
    assert TOKEN not in stored
    assert crypto.decrypt(stored) == {"access_token": TOKEN, "refresh_token": REFRESH}
    events = AuditEvent.objects.filter(action="connected_account.connect")
    assert [(event.object_id, event.after["handle"]) for event in events] == [(str(account.pk), account.handle)]
    everything_audited = json.dumps(list(AuditEvent.objects.values("before", "after", "object_repr")))
    assert TOKEN not in everything_audited
    assert REFRESH not in everything_audited
    assert TOKEN not in caplog.text


@pytest.mark.django_db
def test_a_refused_token_is_not_connected_and_says_why(replay: ReplayServer, admin: Any) -> None:
    replay.add(
        "GET",
        "/api/v1/accounts/verify_credentials",
        Answer(401, {"error": "The access token was revoked"}),
    )
    with pytest.raises(AuthExpiredError, match="The access token was revoked"):
        connect(replay, admin)
    assert ConnectedAccount.objects.count() == 0


@pytest.mark.django_db
def test_reconnecting_keeps_the_row_its_history_and_the_refresh_token(replay: ReplayServer, admin: Any) -> None:
    serve_mastodon_account(replay)
    account = connect(replay, admin)
    services.account_disconnect(actor=ACTOR, membership=admin, account=account)
    account.refresh_from_db()
    assert account.status == AccountStatus.DISCONNECTED
    assert selectors.accounts_of(admin, include_disconnected=False).count() == 0

    again = services.account_reconnect(
        actor=ACTOR, membership=admin, account=account, credentials={"access_token": "new-token", "refresh_token": ""}
    )
    assert again.pk == account.pk
    assert again.status == AccountStatus.ACTIVE
    assert again.disconnected_at is None
    assert stored_credentials(again) == {"access_token": "new-token", "refresh_token": REFRESH}
    assert list(
        AuditEvent.objects.filter(object_type="connectors.connectedaccount", object_id=str(account.pk))
        .order_by("id")
        .values_list("action", flat=True)
    ) == ["connected_account.connect", "connected_account.disconnect", "connected_account.reconnect"]

    # Connecting the same remote account again through the connect form is a reconnect too.
    same = connect(replay, admin, access_token="third-token")
    assert same.pk == account.pk
    assert ConnectedAccount.objects.count() == 1


@pytest.mark.django_db
def test_reconnecting_with_another_accounts_token_is_refused(replay: ReplayServer, admin: Any) -> None:
    serve_mastodon_account(replay)
    account = connect(replay, admin)
    replay.reset()
    serve_mastodon_account(replay, account_id="2", username="someone")
    with pytest.raises(ValidationError, match="These credentials belong to @someone@"):
        services.account_reconnect(actor=ACTOR, membership=admin, account=account, credentials={"access_token": "x"})


@pytest.mark.django_db
def test_disconnecting_can_forget_the_credentials(replay: ReplayServer, admin: Any) -> None:
    serve_mastodon_account(replay)
    account = connect(replay, admin)
    services.account_disconnect(actor=ACTOR, membership=admin, account=account, forget_credentials=True)
    assert AccountCredentials.objects.count() == 0
    event = AuditEvent.objects.get(action="connected_account.disconnect")
    assert event.after == {"status": "disconnected", "credentials_forgotten": True}


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_only_roles_allowed_to_manage_connectors_connect_and_disconnect(
    replay: ReplayServer, workspace: Any, role: Role
) -> None:
    serve_mastodon_account(replay)
    member = make_member(workspace, role)
    account = make_account(workspace, base_url=replay.url)
    if role_allows(role, Action.CONNECTORS_MANAGE):
        connect(replay, member)
        services.account_disconnect(actor=ACTOR, membership=member, account=account)
    else:
        with pytest.raises(PermissionDenied):
            connect(replay, member)
        with pytest.raises(PermissionDenied):
            services.account_disconnect(actor=ACTOR, membership=member, account=account)
    if role_allows(role, Action.CONNECTORS_VIEW):
        assert selectors.accounts_of(member).count() >= 1
    else:
        with pytest.raises(PermissionDenied):
            selectors.accounts_of(member)


@pytest.mark.django_db
def test_another_workspaces_account_is_not_found(replay: ReplayServer, admin: Any) -> None:
    other = make_account(make_workspace(), base_url=replay.url)
    with pytest.raises(ConnectedAccount.DoesNotExist):
        selectors.account_get(admin, other.pk)
    with pytest.raises(ConnectedAccount.DoesNotExist):
        services.account_disconnect(actor=ACTOR, membership=admin, account=other)
    with pytest.raises(ConnectedAccount.DoesNotExist):
        services.account_reconnect(actor=ACTOR, membership=admin, account=other, credentials={"access_token": "x"})


@pytest.mark.django_db
def test_the_health_check_records_an_expired_token_and_recovery(replay: ReplayServer, workspace: Any) -> None:
    account = make_account(workspace, base_url=replay.url)
    replay.add("GET", "/api/v1/accounts/verify_credentials", Answer(401, {"error": "The access token is invalid"}))
    checked = services.account_check_health(account.pk)
    assert checked is not None
    assert (checked.status, checked.last_error_code, checked.last_error) == (
        AccountStatus.EXPIRED,
        "auth_expired",
        "Mastodon refused the token: The access token is invalid",
    )
    serve_mastodon_account(replay)
    replay.add(
        "GET",
        "/api/v1/accounts/verify_credentials",
        Answer(
            200,
            {"id": "1", "username": "brand", "acct": "brand", "display_name": "Brand Inc."},
            headers={
                "X-RateLimit-Limit": "300",
                "X-RateLimit-Remaining": "299",
                "X-RateLimit-Reset": "2030-01-01T00:00:00.000Z",
            },
        ),
    )
    checked = services.account_check_health(account.pk)
    assert checked is not None
    assert (checked.status, checked.last_error, checked.display_name) == (AccountStatus.ACTIVE, "", "Brand Inc.")
    assert (checked.rate_limit_limit, checked.rate_limit_remaining, checked.rate_limit_resets_at) == (
        300,
        299,
        datetime.datetime(2030, 1, 1, tzinfo=datetime.UTC),
    )


@pytest.mark.django_db
def test_a_token_past_its_known_expiry_is_marked_without_a_call(replay: ReplayServer, workspace: Any) -> None:
    account = make_account(
        workspace, base_url=replay.url, token_expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    checked = services.account_check_health(account.pk)
    assert checked is not None
    assert checked.status == AccountStatus.EXPIRED
    assert replay.requests == []


@pytest.mark.django_db
def test_health_warns_days_before_a_token_expires(replay: ReplayServer, admin: Any) -> None:
    soon = make_account(
        admin.workspace,
        base_url=replay.url,
        remote_id="1",
        token_expires_at=timezone.now() + datetime.timedelta(days=3, hours=1),
    )
    later = make_account(
        admin.workspace,
        base_url=replay.url,
        remote_id="2",
        token_expires_at=timezone.now() + datetime.timedelta(days=30, hours=1),
    )
    health = {entry.account.pk: entry for entry in selectors.accounts_health(admin)}
    assert (health[soon.pk].expires_in_days, health[soon.pk].expiry_warning) == (3, True)
    assert (health[later.pk].expires_in_days, health[later.pk].expiry_warning) == (30, False)


@pytest.mark.django_db
def test_rotating_the_key_re_encrypts_every_row_and_old_keys_can_then_go(
    replay: ReplayServer, workspace: Any, settings: Any
) -> None:
    old_key, new_key = settings.ENCRYPTION_KEYS[0], Fernet.generate_key().decode()
    account = make_account(workspace, base_url=replay.url, credentials={"access_token": TOKEN})
    settings.ENCRYPTION_KEYS = [new_key, old_key]
    output = io.StringIO()
    call_command("rotate_encryption_key", stdout=output)
    assert output.getvalue() == "Re-encrypted the credentials of 1 accounts under the first key.\n"
    settings.ENCRYPTION_KEYS = [new_key]
    assert stored_credentials(account) == {"access_token": TOKEN}
    event = AuditEvent.objects.get(action="connected_account.credentials_rotate")
    assert event.after == {"rotated": 1, "unreadable_accounts": []}


@pytest.mark.django_db
def test_rotation_reports_rows_that_no_key_opens(replay: ReplayServer, workspace: Any, settings: Any) -> None:
    account = make_account(workspace, base_url=replay.url)
    settings.ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(CommandError, match=rf"1 accounts have credentials no configured key opens: \[{account.pk}\]"):
        call_command("rotate_encryption_key", stdout=io.StringIO())
    with pytest.raises(AuthExpiredError, match="cannot be decrypted"):
        services.connector_for(account)


@pytest.mark.django_db
def test_the_embedded_key_file_gets_a_new_key_and_retires_the_old(
    replay: ReplayServer, workspace: Any, settings: Any, tmp_path: Any
) -> None:
    old_key = settings.ENCRYPTION_KEYS[0]
    key_file = tmp_path / "encryption-key"
    key_file.write_text(old_key + "\n")
    settings.ENCRYPTION_KEY_FILE = str(key_file)
    account = make_account(workspace, base_url=replay.url, credentials={"access_token": TOKEN})
    call_command("rotate_encryption_key", "--new-key", "--retire-old-keys", stdout=io.StringIO())
    keys = key_file.read_text().split()
    assert len(keys) == 1
    assert keys[0] != old_key
    assert crypto.decrypt(AccountCredentials.objects.get(account=account).credentials, keys=keys) == {
        "access_token": TOKEN
    }
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"


def test_new_keys_need_the_key_file(settings: Any) -> None:
    settings.ENCRYPTION_KEY_FILE = ""
    with pytest.raises(CommandError, match="the keys come from PAPPUS_ENCRYPTION_KEY"):
        call_command("rotate_encryption_key", "--new-key")
