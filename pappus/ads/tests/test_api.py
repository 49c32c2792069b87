"""The ads API as a client uses it: campaigns with metrics in the workspace's currency, days entered
and read back, import status, the bounds on every number (a huge one is a 422, never a 500), the
strategy link checked, and nothing of another workspace."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.test import Client

from pappus.ads import services
from pappus.ads.models import AdCampaign, AdDaily
from pappus.ads.tests.helpers import account, actor, campaign, day
from pappus.core import tokens
from pappus.core.audit import Actor
from pappus.core.models import Membership, Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.strategy.tests.factories import make_campaign, strategist

pytestmark = pytest.mark.django_db


def bearer(membership: Membership) -> dict[str, str]:
    role = membership.role
    membership.role = Role.OWNER
    token = tokens.token_create(actor=Actor.system("test"), membership=membership, name="test").plain
    membership.role = role
    return {"Authorization": f"Bearer {token}"}


def test_campaigns_come_with_their_metrics_and_days(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    spring = campaign(manager, account(manager), budget_planned=Decimal("1000.00"), planned_conversions=10)
    day(manager, spring, spend=Decimal("250.00"), impressions=50_000, clicks=500, conversions=5, revenue=Decimal(1000))
    client = Client(headers=bearer(manager))

    listing = client.get("/api/v1/ads/campaigns", {"start": "2026-03-01", "end": "2026-03-31"})
    daily = client.get(f"/api/v1/ads/campaigns/{spring.pk}/daily", {"start": "2026-03-01", "end": "2026-03-31"})

    assert listing.status_code == 200, listing.content
    body = listing.json()
    assert body["currency"] == "EUR"
    assert body["attribution"] == "last_click"
    assert body["ratio_basis"] == "network"
    line = body["campaigns"][0]
    assert line["name"] == "Spring"
    assert line["spent_share"] == pytest.approx(0.25)
    assert line["effectiveness"] == pytest.approx(0.5)
    figures = line["figures"]
    assert Decimal(figures["spend"]) == Decimal("250.00")
    assert figures["cpm"] == pytest.approx(5.0)
    assert figures["cpc"] == pytest.approx(0.5)
    assert figures["ctr"] == pytest.approx(0.01)
    assert figures["cpa"] == pytest.approx(50.0)
    assert figures["roas"] == pytest.approx(4.0)
    assert figures["roi"] == pytest.approx(3.0)
    assert [row["day"] for row in daily.json()] == ["2026-03-10"]


def test_a_day_entered_through_the_api_is_bounded_and_replaced_when_entered_again(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    spring = campaign(manager, account(manager))
    client = Client(headers=bearer(manager))
    url = f"/api/v1/ads/campaigns/{spring.pk}/daily"

    first = client.post(url, {"day": "2026-03-10", "spend": "10.00", "clicks": 0}, content_type="application/json")
    again = client.post(url, {"day": "2026-03-10", "spend": "12.00", "clicks": 0}, content_type="application/json")
    huge_count = client.post(
        url, {"day": "2026-03-10", "spend": "1", "impressions": 2**70}, content_type="application/json"
    )
    huge_amount = client.post(url, {"day": "2026-03-10", "spend": "1e40"}, content_type="application/json")
    huge_id = client.post("/api/v1/ads/campaigns", {"account_id": 2**70, "name": "x"}, content_type="application/json")
    negative = client.post(url, {"day": "2026-03-10", "spend": "-1"}, content_type="application/json")

    assert first.status_code == 200, first.content
    assert again.json()["figures"]["spend"] == "12.00"
    assert AdDaily.objects.count() == 1
    for response, field in ((huge_count, "impressions"), (huge_amount, "spend"), (huge_id, "account_id")):
        assert response.status_code == 422, response.content
        assert field in {error["field"] for error in response.json()["detail"]}
    assert negative.status_code == 422


def test_a_campaign_links_only_to_a_strategy_campaign_of_its_workspace(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    meta = account(manager)
    plan = make_campaign(strategist(workspace))
    elsewhere = make_campaign(strategist(None))
    client = Client(headers=bearer(manager))

    linked = client.post(
        "/api/v1/ads/campaigns",
        {"account_id": meta.pk, "name": "Spring", "strategy_campaign_id": plan.pk, "budget_planned": "500"},
        content_type="application/json",
    )
    foreign = client.post(
        "/api/v1/ads/campaigns",
        {"account_id": meta.pk, "name": "Other", "strategy_campaign_id": elsewhere.pk},
        content_type="application/json",
    )

    assert linked.status_code == 201, linked.content
    assert linked.json()["strategy_campaign_id"] == plan.pk
    assert foreign.status_code == 422
    assert foreign.json()["detail"][0]["field"] == "strategy_campaign_id"


def test_imports_report_their_status(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    meta = account(manager)
    upload = services.import_upload(
        actor=actor(manager),
        membership=manager,
        account_id=meta.pk,
        name="x.csv",
        data=b"Date,Campaign,Spend\n2026-03-10,Spring,5\n2026-03-11,Spring,oops\n",
    )
    services.import_commit(
        actor=actor(manager),
        membership=manager,
        import_id=upload.pk,
        mapping={"day": "Date", "campaign": "Campaign", "spend": "Spend"},
    )

    body = Client(headers=bearer(manager)).get(f"/api/v1/ads/imports/{upload.pk}").json()

    assert (body["status"], body["rows_read"], body["rows_imported"], body["rows_updated"]) == ("imported", 2, 1, 0)
    assert body["errors"] == [{"row": 3, "message": "spend “oops” is not an amount."}]


def test_the_agency_uses_the_api_and_another_workspace_sees_nothing(workspace: Workspace) -> None:
    agency = make_member(workspace, Role.AGENCY)
    spring = campaign(agency, account(agency))
    stranger = make_member(None, Role.CAMPAIGN_MANAGER)
    designer = make_member(workspace, Role.DESIGNER)

    assert Client(headers=bearer(agency)).get("/api/v1/ads/campaigns").status_code == 200
    assert Client(headers=bearer(stranger)).get(f"/api/v1/ads/campaigns/{spring.pk}/daily").status_code == 404
    assert Client(headers=bearer(stranger)).get("/api/v1/ads/campaigns").json()["campaigns"] == []
    assert Client(headers=bearer(designer)).get("/api/v1/ads/campaigns").status_code == 403
    assert Client(headers=bearer(agency)).get("/api/v1/community/members").status_code == 403
    assert AdCampaign.objects.count() == 1


def test_pacing_answers_the_forecast_or_why_there_is_none(workspace: Workspace) -> None:
    import datetime

    from django.utils import timezone

    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    meta = account(manager)
    start = timezone.localdate() - datetime.timedelta(days=4)
    planned = campaign(
        manager, meta, "Planned", starts_on=start, ends_on=start + datetime.timedelta(days=9), budget_planned=1000
    )
    for offset in range(4):
        day(manager, planned, start + datetime.timedelta(days=offset), spend=Decimal("50.00"))
    unplanned = campaign(manager, meta, "Unplanned")
    client = Client(headers=bearer(manager))

    paced = client.get(f"/api/v1/ads/campaigns/{planned.pk}/pacing").json()
    none = client.get(f"/api/v1/ads/campaigns/{unplanned.pk}/pacing").json()

    assert paced["status"] == "under_pacing"  # 200 of 400 planned
    assert paced["actual_to_date"] == pytest.approx(200.0)
    assert paced["planned_to_date"] == pytest.approx(400.0)
    assert paced["forecast_spend_low"] <= paced["forecast_spend"] <= paced["forecast_spend_high"]
    assert none["status"] is None
    assert "flight dates" in none["reason"]


def test_days_outside_1970_to_2999_are_refused_by_name(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    spring = campaign(manager, account(manager))
    client = Client(headers=bearer(manager))

    listing = client.get("/api/v1/ads/campaigns", {"start": "0001-01-01", "end": "0001-01-05"})
    entered = client.post(
        f"/api/v1/ads/campaigns/{spring.pk}/daily", {"day": "9999-12-31", "spend": "1"}, content_type="application/json"
    )

    assert listing.status_code == 422
    assert {error["field"] for error in listing.json()["detail"]} == {"start", "end"}
    assert entered.status_code == 422
    assert entered.json()["detail"][0]["field"] == "day"
