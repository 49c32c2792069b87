"""Scheduled reads of a network's ads API with a stored token (issue 12, item 1), against a local server
replaying VK Ads' documented answers: the token is stored encrypted and never shown, due accounts are
read, a refused read is kept on the account with a longer wait each time, and the setup page shows it."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from django.urls import reverse
from django.utils import timezone

from pappus.ads import services
from pappus.ads.models import AdAccount, AdDaily
from pappus.ads.tests.helpers import actor, signed_in
from pappus.ads.tests.test_vk_reader import PLANS, STATS, stats_row
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.core.models import Membership, Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member

pytestmark = pytest.mark.django_db


@pytest.fixture
def vk() -> Iterator[ReplayServer]:
    server = ReplayServer()
    yield server
    server.close()


def _scheduled(manager: Membership) -> AdAccount:
    account = services.account_create(actor=actor(manager), membership=manager, network="vk", name="VK", currency="RUB")
    return services.reading_set(
        actor=actor(manager),
        membership=manager,
        account_id=account.pk,
        token="vk-secret-token",
        level="campaign",
        enabled=True,
    )


def test_a_due_account_is_read_with_its_stored_token(workspace: Workspace, vk: ReplayServer) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    account = _scheduled(manager)
    assert "vk-secret-token" not in account.read_token  # encrypted at rest
    now = timezone.now()
    yesterday = (timezone.localdate(now) - datetime.timedelta(days=1)).isoformat()
    vk.add("GET", PLANS, Answer(body={"count": 1, "offset": 0, "items": [{"id": 501, "name": "Осень"}]}))
    vk.add(
        "GET",
        STATS,
        Answer(
            body={
                "items": [{"id": 501, "rows": [stats_row(yesterday, shows=10, clicks=2, spent="30", goals=1, reach=9)]}]
            }
        ),
    )

    assert services.read_due_accounts(now=now, base_url=f"{vk.url}/api/v2") == 1

    assert AdDaily.objects.get().campaign.name == "Осень"
    stats = vk.requests_to("GET", STATS)[0]
    assert stats.headers["Authorization"] == "Bearer vk-secret-token"
    assert f"date_to={yesterday}" in stats.query
    account.refresh_from_db()
    assert account.last_read_at == now
    assert account.next_read_at == now + services.READ_EVERY
    # Not due again before its next read.
    assert services.read_due_accounts(now=now + datetime.timedelta(hours=1), base_url=f"{vk.url}/api/v2") == 0


def test_a_refused_read_waits_longer_each_time_and_is_shown(workspace: Workspace, vk: ReplayServer) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    account = _scheduled(manager)
    refused = Answer(status=401, body={"error": {"code": "invalid_token", "message": "Access token is expired"}})
    vk.add("GET", PLANS, refused, always=True)
    now = timezone.now()

    assert services.read_due_accounts(now=now, base_url=f"{vk.url}/api/v2") == 0
    account.refresh_from_db()
    assert account.read_failures == 1
    assert account.next_read_at == now + datetime.timedelta(minutes=30)
    assert account.last_read_error == "VK Ads refused the request (401): Access token is expired"

    later = account.next_read_at
    assert services.read_due_accounts(now=later, base_url=f"{vk.url}/api/v2") == 0
    account.refresh_from_db()
    assert account.read_failures == 2
    assert account.next_read_at == later + datetime.timedelta(hours=1)
    assert services.backoff(10) == datetime.timedelta(hours=24)

    page = signed_in(manager).get(reverse("ads:setup")).content.decode()
    reads = page.split('data-testid="scheduled-reads"', 1)[1].split("</section>", 1)[0]
    assert "Access token is expired" in reads
    assert "vk-secret-token" not in page


def test_storing_a_token_needs_ads_manage_and_names_the_field(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    account = services.account_create(actor=actor(manager), membership=manager, network="vk", name="VK", currency="RUB")
    analyst = signed_in(make_member(workspace, Role.ANALYST))
    client = signed_in(manager)

    refused = analyst.post(reverse("ads:reading_set"), {"account": account.pk, "token": "x", "level": "campaign"})
    missing = client.post(reverse("ads:reading_set"), {"account": account.pk, "level": "campaign", "enabled": "on"})

    assert refused.status_code == 403
    assert missing.status_code == 400
    assert "Paste an access token." in missing.content.decode()
    account.refresh_from_db()
    assert (account.read_token, account.read_enabled) == ("", False)
