"""Reading a VK Ads account through its API v2, against a local server replaying the documented
answers: campaign names from ad_plans.json (paged), daily statistics per campaign, a second read
updating the same days, and a refused token shown with VK's message."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from pappus.ads import services
from pappus.ads.models import AdDaily, Source
from pappus.ads.tests.helpers import actor
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.core.models import Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member

pytestmark = pytest.mark.django_db
PLANS = "/api/v2/ad_plans.json"
STATS = "/api/v2/statistics/ad_plans/day.json"


@pytest.fixture
def vk() -> Iterator[ReplayServer]:
    server = ReplayServer()
    yield server
    server.close()


def stats_row(day: str, *, shows: int, clicks: int, spent: str, goals: int, reach: int) -> dict[str, object]:
    return {
        "date": day,
        "base": {"shows": shows, "clicks": clicks, "goals": goals, "spent": spent, "cpm": "0", "cpc": "0", "cpa": "0"},
        "uniques": {"reach": reach, "total": reach, "increment": 0, "frequency": 1.2},
    }


def test_campaign_days_are_read_and_a_second_read_updates_them(workspace: Workspace, vk: ReplayServer) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    account = services.account_create(actor=actor(manager), membership=manager, network="vk", name="VK", currency="RUB")
    vk.add("GET", PLANS, Answer(body={"count": 2, "offset": 0, "items": [{"id": 501, "name": "Осень · охват"}]}))
    vk.add("GET", PLANS, Answer(body={"count": 2, "offset": 1, "items": [{"id": 502, "name": "Retargeting"}]}))
    vk.add(
        "GET",
        STATS,
        Answer(
            body={
                "items": [
                    {
                        "id": 501,
                        "rows": [
                            stats_row("2026-03-10", shows=20000, clicks=150, spent="3500.50", goals=4, reach=15000)
                        ],
                        "total": {},
                    },
                    {
                        "id": 502,
                        "rows": [stats_row("2026-03-10", shows=5000, clicks=80, spent="900", goals=6, reach=4000)],
                        "total": {},
                    },
                ],
                "total": {},
            }
        ),
    )
    day = datetime.date(2026, 3, 10)

    first = services.sync_account(
        actor=actor(manager),
        membership=manager,
        account_id=account.pk,
        token="vk-token",
        since=day,
        until=day,
        base_url=f"{vk.url}/api/v2",
    )

    assert (first.rows_read, first.days_imported, first.days_updated) == (2, 2, 0)
    autumn = AdDaily.objects.get(campaign__name="Осень · охват")
    assert (autumn.spend, autumn.impressions, autumn.clicks, autumn.conversions, autumn.reach, autumn.currency) == (
        Decimal("3500.50"),
        20000,
        150,
        4,
        15000,
        "RUB",
    )
    assert autumn.level == "campaign"
    assert autumn.source == Source.API
    assert autumn.campaign.external_id == "501"
    stats = vk.requests_to("GET", STATS)[0]
    assert "id=501%2C502" in stats.query
    assert "date_from=2026-03-10" in stats.query
    assert stats.headers["Authorization"] == "Bearer vk-token"

    vk.add("GET", PLANS, Answer(body={"count": 1, "offset": 0, "items": [{"id": 501, "name": "Осень · охват"}]}))
    vk.add(
        "GET",
        STATS,
        Answer(
            body={
                "items": [
                    {
                        "id": 501,
                        "rows": [stats_row("2026-03-10", shows=21000, clicks=151, spent="3600", goals=5, reach=15500)],
                    }
                ]
            }
        ),
    )
    again = services.sync_account(
        actor=actor(manager),
        membership=manager,
        account_id=account.pk,
        token="vk-token",
        since=day,
        until=day,
        base_url=f"{vk.url}/api/v2",
    )

    assert (again.days_imported, again.days_updated) == (0, 1)
    assert AdDaily.objects.count() == 2
    assert AdDaily.objects.get(campaign__name="Осень · охват").spend == Decimal("3600.00")


def test_a_refused_token_is_shown_with_vks_message(workspace: Workspace, vk: ReplayServer) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    account = services.account_create(actor=actor(manager), membership=manager, network="vk", name="VK", currency="RUB")
    vk.add(
        "GET",
        PLANS,
        Answer(status=401, body={"error": {"code": "invalid_token", "message": "Access token is expired"}}),
    )

    with pytest.raises(ValidationError) as refused:
        services.sync_account(
            actor=actor(manager),
            membership=manager,
            account_id=account.pk,
            token="old",
            since=datetime.date(2026, 3, 10),
            until=datetime.date(2026, 3, 10),
            base_url=f"{vk.url}/api/v2",
        )

    assert refused.value.message_dict["token"] == ["VK Ads refused the request (401): Access token is expired"]
