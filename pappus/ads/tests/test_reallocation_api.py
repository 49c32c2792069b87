"""Budget reallocation through the API (issue 12, item 5): a proposal learnt from history, a decision
by someone who manages ads, its outcome recorded after the period; roles checked, and every number
bounded (a huge one is a 422 naming the field, never a 500)."""

from __future__ import annotations

import datetime
import math
import random
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from pappus.ads.models import AdDaily, Level, Reallocation
from pappus.ads.tests.helpers import account, campaign
from pappus.ads.tests.test_api import bearer
from pappus.core.models import AuditEvent, Membership, Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member

pytestmark = pytest.mark.django_db


def _history(manager: Membership, name: str, ceiling: float, scale: float, rng: random.Random) -> int:
    """90 days of varied spend whose conversions follow ceiling * (1 - exp(-spend / scale))."""
    ad_campaign = campaign(manager, account(manager, f"{name} account"), name)
    today = timezone.localdate()
    rows = []
    for offset in range(1, 91):
        spend = rng.uniform(20, 200)
        conversions = max(0, round(ceiling * (1 - math.exp(-spend / scale)) + rng.gauss(0, 0.5)))
        rows.append(
            AdDaily(
                workspace_id=manager.workspace_id,
                campaign=ad_campaign,
                level=Level.CAMPAIGN,
                day=today - datetime.timedelta(days=offset),
                currency="EUR",
                spend=Decimal(f"{spend:.2f}"),
                conversions=conversions,
            )
        )
    AdDaily.objects.bulk_create(rows)
    return ad_campaign.pk


def test_propose_decide_and_record_the_outcome(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    rng = random.Random(7)
    strong = _history(manager, "Strong", 40.0, 150.0, rng)
    weak = _history(manager, "Weak", 6.0, 30.0, rng)
    client = Client(headers=bearer(manager))
    request = {
        "kpi": "conversions",
        "budget": "6000",
        "days": 28,
        "history_days": 90,
        "limits": [{"campaign_id": strong, "maximum": "5000"}],
    }

    proposed = client.post("/api/v1/ads/reallocation/proposal", request, content_type="application/json")

    assert proposed.status_code == 200, proposed.content
    body = proposed.json()
    split = {line["id"]: round(line["proposed"]) for line in body["campaigns"]}
    assert split == {strong: 5000, weak: 1000}
    assert body["gain_low"] <= body["expected_gain"] <= body["gain_high"]
    assert not Reallocation.objects.exists()  # a proposal alone stores nothing

    decided = client.post(
        "/api/v1/ads/reallocations", {**request, "approve": True, "note": "Go"}, content_type="application/json"
    )

    assert decided.status_code == 201, decided.content
    decision = decided.json()
    assert decision["status"] == "approved"
    assert decision["note"] == "Go"
    assert {line["id"]: round(line["proposed"]) for line in decision["proposal"]["campaigns"]} == split
    assert AuditEvent.objects.filter(action="ads.reallocation.decide").count() == 1

    early = client.post(f"/api/v1/ads/reallocations/{decision['id']}/outcome")
    assert early.status_code == 422
    assert "The period has not ended yet." in early.content.decode()
    today = timezone.localdate()
    Reallocation.objects.filter(pk=decision["id"]).update(
        starts_on=today - datetime.timedelta(days=30), ends_on=today - datetime.timedelta(days=3)
    )
    recorded = client.post(f"/api/v1/ads/reallocations/{decision['id']}/outcome")

    assert recorded.status_code == 200, recorded.content
    outcome = recorded.json()["outcome"]
    assert outcome["result"] > 0
    assert set(outcome["campaigns"]) == {str(strong), str(weak)}
    listing = client.get("/api/v1/ads/reallocations").json()
    assert [item["id"] for item in listing["items"]] == [decision["id"]]


def test_an_analyst_may_ask_for_a_proposal_but_not_decide(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    _history(manager, "Strong", 40.0, 150.0, random.Random(3))
    analyst = make_member(workspace, Role.ANALYST)
    client = Client(headers=bearer(analyst))
    request = {"kpi": "conversions", "budget": "1000", "days": 28}

    proposed = client.post("/api/v1/ads/reallocation/proposal", request, content_type="application/json")
    refused = client.post("/api/v1/ads/reallocations", {**request, "approve": True}, content_type="application/json")

    assert proposed.status_code == 200, proposed.content
    assert refused.status_code == 403
    assert not Reallocation.objects.exists()


def test_the_agency_role_runs_reallocation_and_a_community_manager_sees_none(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    _history(manager, "Strong", 40.0, 150.0, random.Random(3))
    request = {"kpi": "conversions", "budget": "1000", "days": 28, "approve": False}

    agency = Client(headers=bearer(make_member(workspace, Role.AGENCY)))
    community = Client(headers=bearer(make_member(workspace, Role.COMMUNITY_MANAGER)))

    assert agency.post("/api/v1/ads/reallocations", request, content_type="application/json").status_code == 201
    assert community.get("/api/v1/ads/reallocations").status_code == 403


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("days", 10**9),
        ("days", 0),
        ("history_days", 5),
        ("budget", "1e30"),
        ("kpi", "likes"),
    ],
)
def test_numbers_out_of_bounds_are_refused_by_name(workspace: Workspace, field: str, value: object) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    client = Client(headers=bearer(manager))
    request = {"kpi": "conversions", "budget": "1000", "days": 28, field: value}

    response = client.post("/api/v1/ads/reallocation/proposal", request, content_type="application/json")

    assert response.status_code == 422, response.content
    assert field in response.content.decode()


def test_a_limit_of_a_huge_campaign_id_is_refused(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    client = Client(headers=bearer(manager))
    request = {"kpi": "conversions", "budget": "1000", "days": 28, "limits": [{"campaign_id": 10**30}]}

    response = client.post("/api/v1/ads/reallocation/proposal", request, content_type="application/json")

    assert response.status_code == 422
    assert "campaign_id" in response.content.decode()


def test_another_workspaces_decision_is_not_found(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    other = make_member(role=Role.CAMPAIGN_MANAGER)
    decision = Reallocation.objects.create(
        workspace_id=other.workspace_id,
        kpi="conversions",
        starts_on=datetime.date(2026, 1, 1),
        ends_on=datetime.date(2026, 1, 28),
        budget=Decimal(100),
        status="approved",
    )

    response = Client(headers=bearer(manager)).post(f"/api/v1/ads/reallocations/{decision.pk}/outcome")

    assert response.status_code == 404
