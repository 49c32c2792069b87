"""Factories for connector rows, and a Mastodon account as the replay server describes it."""

from __future__ import annotations

from typing import Any

from pappus.connectors import crypto
from pappus.connectors.models import AccountCredentials, ConnectedAccount
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.core.models import Workspace


def mastodon_account_json(account_id: str = "1", username: str = "brand", **fields: Any) -> dict[str, Any]:
    """An account as https://docs.joinmastodon.org/entities/Account/ documents it (the fields we read)."""
    return {
        "id": account_id,
        "username": username,
        "acct": username,
        "display_name": username.title(),
        "url": f"https://example.social/@{username}",
        "followers_count": 12,
        "following_count": 3,
        "statuses_count": 40,
        **fields,
    }


def serve_mastodon_account(replay: ReplayServer, account_id: str = "1", username: str = "brand") -> None:
    replay.add(
        "GET",
        "/api/v1/accounts/verify_credentials",
        Answer(200, mastodon_account_json(account_id, username)),
        always=True,
    )


def make_account(workspace: Workspace, *, base_url: str, network: str = "mastodon", **fields: Any) -> ConnectedAccount:
    credentials = fields.pop("credentials", {"access_token": "stored-token"})
    account = ConnectedAccount.objects.create(
        workspace=workspace,
        network=network,
        base_url=base_url,
        handle=fields.pop("handle", "@brand@example.social"),
        remote_id=fields.pop("remote_id", "1"),
        **fields,
    )
    AccountCredentials.objects.create(account=account, workspace=workspace, credentials=crypto.encrypt(credentials))
    return account
