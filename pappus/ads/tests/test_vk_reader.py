"""Reading a VK Ads account through its API v2, against a local server replaying the documented
answers: campaign names from ad_plans.json (paged), daily statistics per campaign, a second read
updating the same days, a refused token shown with VK's message, and ad groups and banners read into
ad sets and ads of their campaigns."""

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


GROUPS = "/api/v2/ad_groups.json"
BANNERS = "/api/v2/banners.json"
BANNER_STATS = "/api/v2/statistics/banners/day.json"
GROUP_STATS = "/api/v2/statistics/ad_groups/day.json"


def test_banners_are_read_into_ads_of_their_ad_groups_and_campaigns(workspace: Workspace, vk: ReplayServer) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    account = services.account_create(actor=actor(manager), membership=manager, network="vk", name="VK", currency="RUB")
    vk.add("GET", PLANS, Answer(body={"count": 1, "offset": 0, "items": [{"id": 501, "name": "Осень"}]}))
    vk.add(
        "GET",
        GROUPS,
        Answer(
            body={
                "count": 2,
                "offset": 0,
                "items": [
                    {"id": 7001, "name": "Москва 25-34", "ad_plan_id": 501},
                    {"id": 7002, "name": "Санкт-Петербург", "ad_plan_id": 501},
                ],
            }
        ),
    )
    vk.add(
        "GET",
        BANNERS,
        Answer(
            body={
                "count": 3,
                "offset": 0,
                "items": [
                    {"id": 90001, "name": "Видео 15 сек", "ad_group_id": 7001},
                    {"id": 90002, "name": "Карусель", "ad_group_id": 7001},
                    {"id": 90003, "name": "Видео 15 сек", "ad_group_id": 7002},
                ],
            }
        ),
    )
    vk.add(
        "GET",
        BANNER_STATS,
        Answer(
            body={
                "items": [
                    {
                        "id": 90001,
                        "rows": [stats_row("2026-03-10", shows=1000, clicks=10, spent="100", goals=1, reach=900)],
                    },
                    {
                        "id": 90002,
                        "rows": [stats_row("2026-03-10", shows=2000, clicks=30, spent="250.5", goals=2, reach=1800)],
                    },
                    {
                        "id": 90003,
                        "rows": [stats_row("2026-03-10", shows=500, clicks=5, spent="49.5", goals=0, reach=450)],
                    },
                ]
            }
        ),
    )
    day = datetime.date(2026, 3, 10)

    result = services.sync_account(
        actor=actor(manager),
        membership=manager,
        account_id=account.pk,
        token="vk-token",
        since=day,
        until=day,
        base_url=f"{vk.url}/api/v2",
        level="ad",
    )

    assert (result.rows_read, result.days_imported) == (3, 3)
    rows = AdDaily.objects.filter(level="ad").select_related("ad", "ad_set", "campaign").order_by("ad__external_id")
    assert [(row.campaign.name, row.ad_set.name, row.ad.name, row.spend) for row in rows] == [  # type: ignore[union-attr]
        ("Осень", "Москва 25-34", "Видео 15 сек", Decimal("100.00")),
        ("Осень", "Москва 25-34", "Карусель", Decimal("250.50")),
        ("Осень", "Санкт-Петербург", "Видео 15 сек (90003)", Decimal("49.50")),  # told apart by its id
    ]
    assert rows[0].ad.external_id == "90001"  # type: ignore[union-attr]
    assert rows[0].ad_set.external_id == "7001"  # type: ignore[union-attr]
    assert "id=90001%2C90002%2C90003" in vk.requests_to("GET", BANNER_STATS)[0].query
    assert "fields=id%2Cname%2Cad_group_id" in vk.requests_to("GET", BANNERS)[0].query


def test_ad_groups_are_read_into_ad_sets(workspace: Workspace, vk: ReplayServer) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    account = services.account_create(actor=actor(manager), membership=manager, network="vk", name="VK", currency="RUB")
    vk.add("GET", PLANS, Answer(body={"count": 1, "offset": 0, "items": [{"id": 501, "name": "Осень"}]}))
    vk.add(
        "GET",
        GROUPS,
        Answer(body={"count": 1, "offset": 0, "items": [{"id": 7001, "name": "Москва", "ad_plan_id": 501}]}),
    )
    vk.add(
        "GET",
        GROUP_STATS,
        Answer(
            body={
                "items": [
                    {"id": 7001, "rows": [stats_row("2026-03-10", shows=9, clicks=1, spent="5", goals=0, reach=8)]}
                ]
            }
        ),
    )

    services.sync_account(
        actor=actor(manager),
        membership=manager,
        account_id=account.pk,
        token="vk-token",
        since=datetime.date(2026, 3, 10),
        until=datetime.date(2026, 3, 10),
        base_url=f"{vk.url}/api/v2",
        level="adset",
    )

    row = AdDaily.objects.select_related("ad_set", "campaign").get()
    assert (row.level, row.campaign.name, row.ad_set.name, row.spend) == ("adset", "Осень", "Москва", Decimal("5.00"))  # type: ignore[union-attr]
    assert not vk.requests_to("GET", BANNERS)
