"""Pacing and budget reallocation as the campaign manager sees them: an over-pacing flight is flagged
on the overview and its page shows the forecast with an interval; a proposal learnt from history
moves money to the campaign that converts, a person approves it, and the outcome is recorded later."""

from __future__ import annotations

import datetime
import math
import random
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pappus.ads.models import Reallocation, ReallocationStatus
from pappus.ads.tests.helpers import account, campaign, day, signed_in
from pappus.core.models import AuditEvent, Membership, Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member

pytestmark = pytest.mark.django_db


def test_an_over_pacing_flight_is_flagged_with_its_forecast(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    today = timezone.localdate()
    start = today - datetime.timedelta(days=10)
    spring = campaign(
        manager,
        account(manager),
        starts_on=start,
        ends_on=start + datetime.timedelta(days=29),
        budget_planned=Decimal("3000.00"),  # 100 a day
    )
    for offset in range(10):
        day(manager, spring, start + datetime.timedelta(days=offset), spend=Decimal("150.00"), conversions=3)
    client = signed_in(manager)

    overview = client.get(reverse("ads:overview")).content.decode()
    page = client.get(reverse("ads:campaign", args=[spring.pk])).content.decode()

    alerts = overview.split('data-testid="pacing-alerts"', 1)[1].split("</section>", 1)[0]
    assert "Spring" in alerts
    assert "Over-pacing" in alerts
    status = page.split('data-testid="pacing-status"', 1)[1].split("</p>", 1)[0]
    assert "Over-pacing" in status
    assert "1,500.00 spent of 1,000.00 planned to date (EUR)." in status
    assert "Forecast spend at the end of the flight: 4,500.00" in page  # 150 a day for 30 days
    assert "Forecast conversions: 90 (" in page
    assert 'id="chart-pacing"' in page


def test_a_campaign_without_flight_or_budget_says_what_pacing_needs(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    spring = campaign(manager, account(manager))

    page = signed_in(manager).get(reverse("ads:campaign", args=[spring.pk])).content.decode()

    assert "Give the campaign flight dates and a planned budget to see its pacing." in page


def _history(manager: Membership, name: str, ceiling: float, scale: float, rng: random.Random) -> int:
    """90 days of varied spend whose conversions follow ceiling * (1 - exp(-spend / scale))."""
    ad_campaign = campaign(manager, account(manager, f"{name} account"), name)
    today = timezone.localdate()
    for offset in range(1, 91):
        spend = rng.uniform(20, 200)
        conversions = max(0, round(ceiling * (1 - math.exp(-spend / scale)) + rng.gauss(0, 0.5)))
        day(
            manager,
            ad_campaign,
            today - datetime.timedelta(days=offset),
            spend=Decimal(f"{spend:.2f}"),
            conversions=conversions,
        )
    return ad_campaign.pk


def test_a_proposal_moves_money_to_what_converts_and_the_decision_and_outcome_are_recorded(
    workspace: Workspace,
) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    rng = random.Random(7)
    strong = _history(manager, "Strong", 40.0, 150.0, rng)  # far from saturated
    weak = _history(manager, "Weak", 6.0, 30.0, rng)  # saturates early
    client = signed_in(manager)
    query = {"kpi": "conversions", "budget": "6000", "days": "28", "history_days": "90", f"max_{strong}": "5000"}

    page = client.get(reverse("ads:reallocation"), query)

    assert page.status_code == 200, page.content.decode()[-3000:]
    html = page.content.decode()
    rows = html.split('data-testid="proposal"', 1)[1]
    strong_row = rows.split(f'data-campaign="{strong}"', 1)[1].split("</tr>", 1)[0]
    weak_row = rows.split(f'data-campaign="{weak}"', 1)[1].split("</tr>", 1)[0]
    assert "5,000.00" in strong_row  # as much as its limit allows
    assert "1,000.00" in weak_row
    assert 'id="chart-curves"' in html

    decided = client.post(reverse("ads:reallocation_decide"), {**query, "decision": "approve", "note": "Go"})

    assert decided.status_code == 302
    decision = Reallocation.objects.get()
    assert decision.status == ReallocationStatus.APPROVED
    assert decision.proposal["expected_gain"] > 0
    assert decision.proposal["gain_low"] <= decision.proposal["expected_gain"] <= decision.proposal["gain_high"]
    assert {line["id"]: round(line["proposed"]) for line in decision.proposal["campaigns"]} == {
        strong: 5000,
        weak: 1000,
    }
    assert AuditEvent.objects.filter(action="ads.reallocation.decide").count() == 1

    # After the period, the outcome is recorded next to what was expected.
    too_early = client.post(reverse("ads:reallocation_outcome", args=[decision.pk]), follow=True)
    assert "The period has not ended yet." in too_early.content.decode()
    Reallocation.objects.filter(pk=decision.pk).update(
        starts_on=timezone.localdate() - datetime.timedelta(days=30),
        ends_on=timezone.localdate() - datetime.timedelta(days=3),
    )
    client.post(reverse("ads:reallocation_outcome", args=[decision.pk]))
    decision.refresh_from_db()
    assert decision.outcome is not None
    assert decision.outcome["result"] > 0
    assert set(decision.outcome["campaigns"]) == {str(strong), str(weak)}


def test_limits_that_cannot_hold_are_refused_by_name(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    strong = _history(manager, "Strong", 40.0, 150.0, random.Random(3))
    client = signed_in(manager)

    inverted = client.get(
        reverse("ads:reallocation"),
        {
            "kpi": "conversions",
            "budget": "1000",
            "days": "28",
            "history_days": "90",
            f"min_{strong}": "900",
            f"max_{strong}": "100",
        },
    )
    too_much = client.get(
        reverse("ads:reallocation"),
        {"kpi": "conversions", "budget": "100", "days": "28", "history_days": "90", f"min_{strong}": "900"},
    )

    assert inverted.status_code == 400
    assert "The maximum of “Strong” is below its minimum." in inverted.content.decode()
    assert "The minimums add up to more than the budget." in too_much.content.decode()
