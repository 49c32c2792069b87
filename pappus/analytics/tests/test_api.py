# ruff: noqa: RUF001 - the formulas use the real times and division signs
"""The analytics API over the hand-computed fixture: KPIs with formulas and the previous period,
chart series, filters, bad filters, and who may read what (role and region limits)."""

from __future__ import annotations

import pytest

from pappus.analytics.tests.conftest import FIRST, LAST
from pappus.core.models import Region, Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_region
from pappus.core.tests.test_api import ApiClient, client_for, token_for

pytestmark = pytest.mark.django_db
PERIOD = {"start": FIRST.isoformat(), "end": LAST.isoformat()}


def test_kpis_with_their_formulas_and_the_previous_period(fixture: Workspace) -> None:
    api, _member = client_for(Role.ANALYST, fixture)

    response = api.get("/analytics/kpis", PERIOD)

    assert response.status_code == 200
    body = response.json()
    assert body["scope"] == {
        "first_day": "2026-03-10",
        "last_day": "2026-03-16",
        "previous_first_day": "2026-03-03",
        "previous_last_day": "2026-03-09",
        "region_ids": None,
        "networks": [],
    }
    found = {item["key"]: item for item in body["kpis"]}
    assert (found["audience_growth"]["value"], found["audience_growth"]["previous"]) == (33.0, 0.0)
    assert found["engagement_rate"]["formula"] == (
        "Engagements ÷ impressions gained in the period × 100 (posts on networks that report impressions)"
    )
    assert round(found["engagement_rate"]["change"], 4) == 0.5556  # 5.5556 - 5.0
    assert (found["first_response_hours"]["value"], found["first_response_hours"]["higher_is_better"]) == (2.0, False)
    assert found["bounce_rate"]["value"] is None
    assert found["bounce_rate"]["filtered_by_region"] is False


def test_a_series_and_the_network_filter(fixture: Workspace) -> None:
    api, _member = client_for(Role.EXECUTIVE, fixture)

    listed = api.get("/analytics/series")
    pillars = api.get("/analytics/series/pillars", {**PERIOD, "network": "bluesky"})

    assert [item["key"] for item in listed.json()][:2] == ["followers", "engagement"]
    assert pillars.status_code == 200
    body = pillars.json()
    assert body["scope"]["networks"] == ["bluesky"]
    assert [column["name"] for column in body["columns"]] == [
        "group",
        "posts",
        "engagements",
        "impressions",
        "engagement_rate",
    ]
    assert body["rows"] == [
        {"group": "Brewing", "posts": 1, "engagements": 20, "impressions": 400, "engagement_rate": 5.0}
    ]


def test_bad_filters_are_refused_with_the_field_and_an_unknown_series_is_not_found(fixture: Workspace) -> None:
    api, _member = client_for(Role.ANALYST, fixture)

    reversed_range = api.get("/analytics/kpis", {"start": LAST.isoformat(), "end": FIRST.isoformat()})
    not_a_date = api.get("/analytics/kpis", {"start": "yesterday"})
    unknown = api.get("/analytics/series/nope", PERIOD)
    far_off = api.get("/analytics/kpis", {"end": "0001-01-03"})  # its previous period would be before year 1

    assert reversed_range.status_code == 422
    assert reversed_range.json()["detail"] == [
        {"field": "start", "message": "The first day must not be after the last day."}
    ]
    assert not_a_date.status_code == 422
    assert not_a_date.json()["detail"][0]["field"] == "start"
    assert unknown.status_code == 404
    assert far_off.status_code == 422
    assert far_off.json()["detail"] == [{"field": "end", "message": "Choose a day between 1970 and 2999."}]


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.ANALYST, 200),
        (Role.EXECUTIVE, 200),
        (Role.AGENCY, 200),
        (Role.CAMPAIGN_MANAGER, 200),
        (Role.DESIGNER, 403),
    ],
)
def test_who_may_read_analytics(fixture: Workspace, role: str, status: int) -> None:
    api, _member = client_for(role, fixture)

    assert api.get("/analytics/kpis", PERIOD).status_code == status
    assert api.get("/analytics/series/followers", PERIOD).status_code == status


def test_a_member_limited_to_a_region_reads_only_it(fixture: Workspace, spoke: Region) -> None:
    member = make_member(fixture, Role.ANALYST)
    member.regions.set([spoke])
    other = make_region(fixture, "Sweden")
    api = ApiClient(token_for(member))

    own = api.get("/analytics/kpis", PERIOD)
    outside = api.get("/analytics/kpis", {**PERIOD, "region": other.pk})

    assert own.json()["scope"]["region_ids"] == [spoke.pk]
    found = {item["key"]: item["value"] for item in own.json()["kpis"]}
    assert found["audience_growth"] == 8.0  # the Bluesky account in the Norway spoke only
    assert outside.status_code == 422  # not among the regions they may choose
    assert outside.json()["detail"][0]["field"] == "region"


def test_without_a_token_nothing_is_read(fixture: Workspace) -> None:
    assert ApiClient(None).get("/analytics/kpis", PERIOD).status_code == 401
