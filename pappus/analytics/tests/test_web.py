# ruff: noqa: RUF001 - the formulas use the real times and division signs
"""The dashboard page and its CSV downloads, by role and region, over the hand-computed fixture."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from pappus.analytics import rollups
from pappus.analytics.models import CollectionAttempt, CollectionStatus, PostSnapshot
from pappus.analytics.tests.conftest import FIRST, LAST
from pappus.core.models import Membership, Region, Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_region

pytestmark = pytest.mark.django_db
# The dashboard over the fixture, the shell's banner (the member's publishing alerts) included; see
# test_the_dashboard_reads_each_total_once.
QUERIES = 42
PERIOD: dict[str, str | int] = {"start": FIRST.isoformat(), "end": LAST.isoformat()}


def signed_in(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def kpi_cells(html: str) -> dict[str, str]:
    cells = {}
    for part in html.split('data-testid="kpi-')[1:]:
        key, rest = part.split('"', 1)
        cells[key] = rest.split(">", 1)[1].split("<", 1)[0]
    return cells


def read_csv(response: object) -> list[list[str]]:
    content = b"".join(response.streaming_content).decode()  # type: ignore[attr-defined]
    return list(csv.reader(io.StringIO(content)))


def test_the_dashboard_shows_each_kpi_with_its_formula_and_the_previous_period(fixture: Workspace) -> None:
    analyst = make_member(fixture, Role.ANALYST)

    response = signed_in(analyst).get(reverse("analytics:dashboard"), PERIOD)

    assert response.status_code == 200
    html = response.content.decode()
    cells = kpi_cells(html)
    assert (cells["audience_growth"], cells["followers"], cells["engagements"]) == ("33", "183", "50")
    assert (cells["engagement_rate"], cells["share_of_voice"], cells["first_response_hours"]) == (
        "5.6 %",
        "60.0 %",
        "2.0 h",
    )
    assert cells["reach"] == "—"
    assert "Engagements ÷ impressions gained in the period × 100" in html
    assert "2026-03-10 to 2026-03-16 (days in UTC), compared with 2026-03-03 to 2026-03-09" in html
    for key in ("followers", "engagement", "content_types", "pillars", "sentiment", "share_of_voice"):
        assert f'data-vega-spec="chart-{key}"' in html
    assert 'data-testid="not-built"' in html
    assert 'href="/analytics/"' in html  # in the navigation


def test_every_chart_downloads_its_numbers_as_csv(fixture: Workspace) -> None:
    client = signed_in(make_member(fixture, Role.EXECUTIVE))

    types = read_csv(client.get(reverse("analytics:export", args=["content_types"]), PERIOD))
    assert types == [
        ["Content type", "Posts published", "Engagements", "Impressions", "Engagement rate (%)"],
        ["Educational", "1", "20", "400", "5.0"],
        ["Promo", "0", "30", "500", "6.0"],
    ]
    followers = read_csv(client.get(reverse("analytics:export", args=["followers"]), PERIOD))
    assert followers[0] == ["Day", "Network", "Followers"]
    assert followers[1:3] == [["2026-03-10", "mastodon", "100"], ["2026-03-11", "bluesky", "50"]]
    assert followers[-2:] == [["2026-03-16", "bluesky", "58"], ["2026-03-16", "mastodon", "125"]]
    sentiment = read_csv(client.get(reverse("analytics:export", args=["sentiment"]), PERIOD))
    assert sentiment[2:5] == [
        ["2026-03-11", "30", "0", "0"],
        ["2026-03-12", "0", "50", "0"],
        ["2026-03-13", "0", "0", "20"],
    ]
    response = client.get(reverse("analytics:export", args=["followers"]), PERIOD)
    assert response["Content-Disposition"] == 'attachment; filename="followers-2026-03-10-2026-03-16.csv"'


def test_filters_by_network_and_region_with_its_spokes(fixture: Workspace, spoke: Region) -> None:
    owner = Membership.objects.get(workspace=fixture, role=Role.OWNER)
    client = signed_in(owner)

    bluesky = kpi_cells(client.get(reverse("analytics:dashboard"), {**PERIOD, "network": "bluesky"}).content.decode())
    assert (bluesky["audience_growth"], bluesky["engagements"]) == ("8", "20")
    parent_of_spoke = make_region(fixture, "Nordics")
    spoke.parent = parent_of_spoke
    spoke.save()
    nordics = kpi_cells(
        client.get(reverse("analytics:dashboard"), {**PERIOD, "region": parent_of_spoke.pk}).content.decode()
    )
    assert (nordics["followers"], nordics["engagements"]) == ("58", "20")  # the spoke's numbers roll up


def test_a_member_limited_to_a_region_sees_only_that_region(fixture: Workspace, spoke: Region) -> None:
    limited = make_member(fixture, Role.ANALYST)
    limited.regions.add(spoke)
    other = make_region(fixture, "Sweden")
    client = signed_in(limited)

    cells = kpi_cells(client.get(reverse("analytics:dashboard"), PERIOD).content.decode())
    assert (cells["followers"], cells["engagements"]) == ("58", "20")  # not the Mastodon account outside Norway
    outside = client.get(reverse("analytics:dashboard"), {**PERIOD, "region": other.pk})
    assert outside.status_code == 400  # not offered, so refused as a choice that is not available
    assert "Select a valid choice." in outside.content.decode()
    assert 'data-testid="kpis"' not in outside.content.decode()
    export = client.get(reverse("analytics:export", args=["followers"]), {**PERIOD, "region": other.pk})
    assert export.status_code == 400


def test_who_may_see_analytics(fixture: Workspace) -> None:
    assert signed_in(make_member(fixture, Role.DESIGNER)).get(reverse("analytics:dashboard")).status_code == 403
    assert signed_in(make_member(fixture, Role.AGENCY)).get(reverse("analytics:dashboard")).status_code == 200
    anonymous = Client().get(reverse("analytics:dashboard"))
    assert anonymous.status_code == 302
    assert Client().get(reverse("analytics:export", args=["followers"])).status_code == 302


def test_bad_dates_are_refused_with_a_reason(fixture: Workspace) -> None:
    client = signed_in(make_member(fixture, Role.ANALYST))

    backwards = client.get(reverse("analytics:dashboard"), {"start": "2026-03-16", "end": "2026-03-10"})
    assert backwards.status_code == 400
    assert "The first day must not be after the last day." in backwards.content.decode()
    too_long = client.get(reverse("analytics:export", args=["followers"]), {"start": "2024-01-01", "end": "2026-03-10"})
    assert too_long.status_code == 400
    assert too_long.content.decode() == "end: Choose at most 366 days."
    not_a_date = client.get(reverse("analytics:dashboard"), {"start": "10 March"})
    assert "Enter a valid date." in not_a_date.content.decode()
    assert client.get(reverse("analytics:export", args=["nothing"])).status_code == 404


def test_accounts_whose_metrics_could_not_be_read_are_named(fixture: Workspace) -> None:
    from django.utils import timezone

    from pappus.connectors.tests.factories import make_account

    account = make_account(fixture, base_url="http://127.0.0.1:9", handle="@nordlys@example.social")
    CollectionAttempt.objects.create(
        workspace=fixture,
        account_id=account.pk,
        network="mastodon",
        hour=timezone.now(),
        status=CollectionStatus.FAILED,
        error="Mastodon could not be reached",
        attempted_at=timezone.now(),
    )
    html = signed_in(make_member(fixture, Role.ANALYST)).get(reverse("analytics:dashboard")).content.decode()
    assert "Mastodon @nordlys@example.social: Failed (Mastodon could not be reached)" in html


def test_every_chart_downloads_as_xlsx_too_with_formulas_kept_as_text(fixture: Workspace) -> None:
    PostSnapshot.objects.filter(workspace=fixture, pillar="Brewing").update(pillar="=HYPERLINK(1)")
    rollups.rollups_backfill(fixture.pk)
    client = signed_in(make_member(fixture, Role.ANALYST))

    response = client.get(reverse("analytics:export_xlsx", args=["pillars"]), PERIOD)

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="pillars-2026-03-10-2026-03-16.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == [
        ["Pillar", "Posts published", "Engagements", "Impressions", "Engagement rate (%)"],
        ["'=HYPERLINK(1)", 1, 20, 400, 5],
        ["Origins", 0, 30, 500, 6],
    ]


def test_the_dashboard_reads_each_total_once(fixture: Workspace, django_assert_num_queries: Any) -> None:
    client = signed_in(make_member(fixture, Role.ANALYST))
    client.get(reverse("analytics:dashboard"), PERIOD)  # the session and the membership are cached after this

    # Per period ~15 (post totals, followers, sentiment, topics, inbox, deliveries), each read once
    # for the KPIs and the charts alike; the charts' own groupings; the shell's session and membership;
    # landing pages (visits and imported days) per period, and the audience (mention languages, visitors).
    with django_assert_num_queries(QUERIES):
        assert client.get(reverse("analytics:dashboard"), PERIOD).status_code == 200


@pytest.mark.parametrize(
    ("language", "heading", "formula"),
    [
        ("nb", "Nøkkeltall", "Engasjement ÷ visninger i perioden × 100"),
        ("zh-hans", "关键指标", "互动数 ÷ 期间内的展示次数 × 100"),
        ("ru", "Ключевые показатели", "Вовлечённость ÷ показы за период × 100"),
    ],
)
def test_the_dashboard_in_the_members_language(fixture: Workspace, language: str, heading: str, formula: str) -> None:
    member = make_member(fixture, Role.ANALYST, language=language)
    html = signed_in(member).get(reverse("analytics:dashboard"), PERIOD).content.decode()
    assert heading in html
    assert formula in html
