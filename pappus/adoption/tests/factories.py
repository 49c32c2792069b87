"""Helpers of the adoption tests: signed-in clients, API tokens and inbox conversations at chosen moments."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from django.test import Client

from pappus.core.audit import Actor
from pappus.core.models import Membership, Workspace
from pappus.core.tokens import token_create
from pappus.inbox.models import Conversation

_numbers = itertools.count(1)
DAY = datetime.date(2026, 3, 2)
NINE = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def signed_in(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def api_client(membership: Membership) -> tuple[Client, dict[str, str]]:
    issued = token_create(actor=Actor(membership.user, via="test"), membership=membership, name="tests")
    return Client(), {"Authorization": f"Bearer {issued.plain}"}


def conversation(workspace: Workspace, **fields: Any) -> Conversation:
    """A conversation row (test setup: the inbox's own tests cover how conversations arrive)."""
    number = next(_numbers)
    values: dict[str, Any] = {
        "external_scope": "mastodon",
        "network": "mastodon",
        "thread_key": f"thread-{number}",
        "customer_handle": f"@customer{number}@example.social",
        "customer_key": f"@customer{number}@example.social",
        "created_at": NINE,
    }
    values.update(fields)
    return Conversation.objects.create(workspace=workspace, **values)
