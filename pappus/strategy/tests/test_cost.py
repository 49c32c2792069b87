"""A campaign's cost counts what its paid campaigns spent in the ads module: efficiency (result /
cost), the budget checks, a program's cost, the pages and the API all use the spend entered by hand
plus the ads module's over the campaign's dates, unless the campaign turns that off; a missing
exchange rate makes the cost unknown rather than wrong. The arithmetic is beside each assertion."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from pappus.ads.tests.helpers import account, campaign, day
from pappus.core.models import Membership
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.strategy import selectors, services
from pappus.strategy.models import Campaign, Kpi
from pappus.strategy.tests.factories import actor, make_campaign, make_kpi, make_program, strategist
from pappus.strategy.tests.test_api import client_of

pytestmark = pytest.mark.django_db

MARCH = {n: datetime.date(2026, 3, n) for n in range(1, 32)}


@pytest.fixture
def spring() -> tuple[Membership, Campaign, Campaign, Kpi]:
    """Campaign A (10-14 March, planned 200 EUR, 40 entered by hand) with a paid campaign that spent
    123.45 EUR on 11 March and 1,000 on 30 March (after A); campaign B (planned 100, 10 entered, no
    ads). A's KPI: clicks from 0 to 1,000 by 14 March, measured 10 on 10 March and 20 on 12 March."""
    editor = strategist()
    program = make_program(editor, name="Spring", starts_on=MARCH[1], ends_on=datetime.date(2026, 6, 30))
    a = make_campaign(
        editor, program, name="A", starts_on=MARCH[10], ends_on=MARCH[14], budget_planned=200, budget_spent=40
    )
    b = make_campaign(
        editor, program, name="B", starts_on=MARCH[10], ends_on=MARCH[20], budget_planned=100, budget_spent=10
    )
    manager = make_member(editor.workspace, Role.CAMPAIGN_MANAGER)
    paid = campaign(manager, account(manager), "Paid spring", strategy_campaign_id=a.pk)
    day(manager, paid, MARCH[11], spend=Decimal("123.45"))
    day(manager, paid, MARCH[30], spend=Decimal(1000))
    kpi = make_kpi(
        editor, a, name="Clicks", metric_key="clicks", baseline=0, target=1000, starts_on=MARCH[10], deadline=MARCH[14]
    )
    for on, value in ((MARCH[10], 10), (MARCH[12], 20)):
        services.kpi_record_value(actor=actor(editor), membership=editor, kpi=kpi, measured_on=on, value=value)
    return editor, a, b, kpi


def row_of(editor: Membership, kpi: Kpi) -> selectors.KpiRow:
    rows = selectors.plan_versus_actual(editor.workspace, as_of=MARCH[12])
    return next(row for row in rows if row.kpi.pk == kpi.pk)


def test_efficiency_and_the_budget_check_count_the_ads_spend(spring):
    editor, _a, _b, kpi = spring
    row = row_of(editor, kpi)
    assert row.cost == pytest.approx(163.45)  # 40 entered + 123.45 from ads on 11 March (not 30 March)
    assert row.evaluation.efficiency == pytest.approx(20 / 163.45)  # result / cost
    # Half the time gone (2 of 4 days), 20 of the 500 planned clicks to date: off track. 163.45 of
    # 200 is 82 % spent, more than 20 points ahead of the time: overspend.
    assert row.diagnosis is not None
    assert row.diagnosis.rule == "overspend"
    assert "82% of the budget is spent" in row.diagnosis.cause


def test_turning_the_ads_spend_off_uses_the_entered_spend_alone(spring):
    editor, a, _b, kpi = spring
    services.campaign_update(actor=actor(editor), membership=editor, campaign=a, count_ads_spend=False)
    row = row_of(editor, kpi)
    assert row.cost == pytest.approx(40.0)
    assert row.evaluation.efficiency == pytest.approx(20 / 40)
    # 40 of 200 is 20 % spent with half the time gone: more than 20 points behind, underspend.
    assert row.diagnosis is not None
    assert row.diagnosis.rule == "underspend"


def test_a_missing_exchange_rate_makes_the_cost_unknown_not_wrong(spring):
    editor, a, _b, kpi = spring
    manager = make_member(editor.workspace, Role.CAMPAIGN_MANAGER)
    dollars = campaign(manager, account(manager, "US account", currency="USD"), "Paid US", strategy_campaign_id=a.pk)
    day(manager, dollars, MARCH[12], spend=Decimal(50))  # no USD rate for 12 March
    row = row_of(editor, kpi)
    assert row.cost is None
    assert row.evaluation.efficiency is None
    assert row.diagnosis is not None
    assert row.diagnosis.rule not in {"overspend", "underspend"}
    page = _signed_in(editor).get(reverse("strategy:campaign", args=[a.pk])).content.decode()
    assert 'data-testid="cost"><strong>Cost: <span title="A day without an exchange rate: USD 2026-03-12">' in page


def test_a_program_costs_what_its_campaigns_cost(spring):
    editor, a, _b, _kpi = spring
    program_kpi = make_kpi(
        editor,
        program=a.program,
        name="Reach",
        metric_key="reach",
        baseline=0,
        target=10_000,
        starts_on=MARCH[1],
        deadline=datetime.date(2026, 6, 30),
    )
    services.kpi_record_value(
        actor=actor(editor), membership=editor, kpi=program_kpi, measured_on=MARCH[12], value=3000
    )
    row = row_of(editor, program_kpi)
    assert row.cost == pytest.approx(173.45)  # A: 40 + 123.45; B: 10
    assert row.evaluation.efficiency == pytest.approx(3000 / 173.45)
    assert selectors.spend_by_program(editor.workspace) == {a.program_id: Decimal("173.45")}


def _signed_in(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def test_pages_and_the_document_show_the_cost(spring):
    from django.template.loader import render_to_string

    from pappus.strategy import document

    editor, a, b, _kpi = spring
    client = _signed_in(editor)
    page = client.get(reverse("strategy:campaign", args=[a.pk])).content.decode()
    assert "Cost: 163.45 EUR" in page
    assert "(82 % of the planned budget)" in page
    program = client.get(reverse("strategy:program", args=[a.program_id])).content.decode()
    assert 'data-testid="cost">163.45 EUR' in program
    assert 'data-testid="cost">10 EUR</td>' in program  # B: entered only, nothing from ads
    context = document.strategy_context(editor.workspace, as_of=MARCH[20])
    markdown = render_to_string("strategy/document.md", {**context, "version": 1, "language": "en"})
    assert "spent (from ads) 123.45; cost 163.45 (entered + ads)" in markdown
    assert b.name in markdown

    response = client.post(
        reverse("strategy:campaign", args=[a.pk]),
        {"budget": "1", "status": "running", "budget_planned": "200", "budget_committed": "0", "budget_spent": "40"},
    )
    assert response.status_code == 302  # the box left unticked turns the ads spend off
    a.refresh_from_db()
    assert a.count_ads_spend is False
    assert "Cost: 40 EUR" in client.get(reverse("strategy:campaign", args=[a.pk])).content.decode()


def test_the_cost_api(spring):
    editor, a, b, _kpi = spring
    client = client_of(editor)
    body = client.get(f"/api/v1/strategy/campaigns/{a.pk}/cost").json()
    assert body["entered"] == "40.00"
    assert Decimal(body["ads_spend"]) == Decimal("123.45")
    assert body["ads_campaigns"] == 1
    assert body["ads_counted"] is True
    assert Decimal(body["total"]) == Decimal("163.45")
    assert body["currency"] == "EUR"
    assert body["missing_rates"] == []
    assert client.get(f"/api/v1/strategy/campaigns/{b.pk}/cost").json()["ads_spend"] is None

    patched = client.patch(
        f"/api/v1/strategy/campaigns/{a.pk}", {"count_ads_spend": False}, content_type="application/json"
    )
    assert patched.status_code == 200
    assert patched.json()["count_ads_spend"] is False
    body = client.get(f"/api/v1/strategy/campaigns/{a.pk}/cost").json()
    assert (body["ads_counted"], Decimal(body["total"])) == (False, Decimal(40))
    empty = client.patch(
        f"/api/v1/strategy/campaigns/{a.pk}", {"count_ads_spend": None}, content_type="application/json"
    )
    assert empty.status_code == 422
    assert "count_ads_spend" in empty.content.decode()

    stranger = client_of(strategist())
    assert stranger.get(f"/api/v1/strategy/campaigns/{a.pk}/cost").status_code == 404
