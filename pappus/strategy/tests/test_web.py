"""The strategy pages: who sees and changes what, forms that call the services, htmx recording."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from pappus.core.models import Membership
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.strategy.models import KpiMeasurement, Program, StrategyDocument
from pappus.strategy.tests.factories import START, make_campaign, make_kpi, make_program, strategist

pytestmark = pytest.mark.django_db


def signed_in(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def pages(program: Program) -> list[str]:
    campaign = program.campaigns.get()
    return [
        reverse("strategy:overview"),
        reverse("strategy:brand"),
        reverse("strategy:audiences"),
        reverse("strategy:programs"),
        reverse("strategy:program", args=[program.pk]),
        reverse("strategy:campaign", args=[campaign.pk]),
        reverse("strategy:templates"),
        reverse("strategy:documents"),
    ]


@pytest.mark.parametrize("role", [Role.STRATEGIST, Role.EXECUTIVE, Role.AGENCY, Role.DESIGNER])
def test_every_role_with_strategy_view_reads_every_page(role):
    editor = strategist()
    program = make_program(editor, name="Growth")
    make_kpi(editor, campaign=make_campaign(editor, program=program, name="Spring"))
    reader = make_member(editor.workspace, role=role)
    client = signed_in(reader)

    for url in pages(program):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert ('name="csrfmiddlewaretoken"' in html and "button--primary" in html) == (role == Role.STRATEGIST) or (
            url.endswith(("/brand/", "/templates/"))
        )
    assert '<a href="/strategy/"' in client.get(reverse("core:home")).content.decode()


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.AGENCY])
def test_readers_cannot_write_through_the_pages(role):
    editor = strategist()
    reader = make_member(editor.workspace, role=role)
    client = signed_in(reader)
    data = {"program": "1", "name": "Sneaky", "starts_on": "2026-01-01", "ends_on": "2026-02-01", "status": "draft"}

    assert client.post(reverse("strategy:programs"), {**data, "budget_planned": "0"}).status_code == 403
    assert client.post(reverse("strategy:documents")).status_code == 403
    assert not Program.objects.filter(name="Sneaky").exists()


def test_another_workspaces_program_is_not_found():
    mine, theirs = strategist(), strategist()
    program = make_program(theirs)
    assert signed_in(mine).get(reverse("strategy:program", args=[program.pk])).status_code == 404


def test_a_strategist_creates_a_program_and_revises_it_with_a_reason():
    member = strategist()
    client = signed_in(member)

    response = client.post(
        reverse("strategy:programs"),
        {
            "program": "1",
            "name": "Community 2026",
            "goals": "Grow the club",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "status": "active",
            "budget_planned": "12000",
            "owner": member.user.pk,
        },
    )
    program = Program.objects.get(name="Community 2026")
    assert response.status_code == 302
    assert response["Location"] == reverse("strategy:program", args=[program.pk])

    bad = client.post(
        reverse("strategy:program", args=[program.pk]),
        {
            "revise": "1",
            "name": "Community 2026",
            "starts_on": "2026-01-01",
            "ends_on": "2025-12-31",
            "status": "active",
            "budget_planned": "12000",
            "reason": "Shorter",
        },
    )
    assert bad.status_code == 400
    assert "The end date must not be before the start date." in bad.content.decode()

    client.post(
        reverse("strategy:program", args=[program.pk]),
        {
            "revise": "1",
            "name": "Community 2026",
            "goals": "Grow the club to 5,000",
            "starts_on": "2026-01-01",
            "ends_on": "2026-12-31",
            "status": "active",
            "budget_planned": "15000",
            "owner": member.user.pk,
            "reason": "Budget approved by the board",
        },
    )
    html = client.get(reverse("strategy:program", args=[program.pk])).content.decode()
    assert "Budget approved by the board" in html
    assert "<del>12000.00</del> <ins>15000</ins>" in html


def test_recording_a_value_with_htmx_returns_the_kpi_table_with_the_new_forecast():
    member = strategist()
    campaign = make_campaign(member, budget_planned=1000, budget_spent=500)
    kpi = make_kpi(member, campaign=campaign, name="Signups", metric_key="leads", baseline=0, target=100)
    client = signed_in(member)
    url = reverse("strategy:kpi_record", args=[kpi.pk])
    prefix = f"kpi{kpi.pk}"

    for day, value in ((0, 0), (10, 10)):
        response = client.post(
            url,
            {f"{prefix}-measured_on": (START + datetime.timedelta(days=day)).isoformat(), f"{prefix}-value": value},
            HTTP_HX_REQUEST="true",
        )
        assert response.status_code == 200

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="kpi-table">')
    # A line through (0, 0) and (10, 10) reaches 100 on day 100, the deadline.
    assert '<span class="stat__value" data-testid="forecast">100<br>' in html
    assert '<span class="stat__value" data-testid="efficiency">0.020</span>' in html  # 10 leads for 500 spent
    assert KpiMeasurement.objects.filter(kpi=kpi).count() == 2

    wrong = client.post(url, {f"{prefix}-measured_on": "", f"{prefix}-value": "x"}, HTTP_HX_REQUEST="true")
    assert wrong.status_code == 400
    assert "Date: This field is required." in wrong.content.decode()


def test_generating_the_document_from_the_page_and_downloading_it():
    member = strategist()
    make_program(member, name="Winter Warmers")
    client = signed_in(member)

    response = client.post(reverse("strategy:documents"), follow=True)

    assert "Version 1 of the strategy document is ready." in response.content.decode()
    pdf = client.get(reverse("strategy:document_pdf", args=[1]))
    markdown = client.get(reverse("strategy:document_markdown", args=[1]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert "### Winter Warmers" in markdown.content.decode()
    assert StrategyDocument.objects.get().generated_by == member.user
    assert client.get(reverse("strategy:document_pdf", args=[2])).status_code == 404
