"""The adoption pages and API: who may open what (role by page), the privacy setting enforced on people's
scorecards and usage rows, bounded periods, targets and settings through forms with CSRF and the API."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from pappus.adoption import services
from pappus.adoption.models import Kpi, KpiDaily, KpiTarget, ScorecardVisibility, UsageDaily, UsageEvent
from pappus.adoption.tests.factories import api_client, signed_in
from pappus.core.audit import Actor
from pappus.core.models import AuditEvent, Membership, Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_workspace

pytestmark = pytest.mark.django_db


def _owner(workspace: Workspace) -> Membership:
    return Membership.objects.for_workspace(workspace).get(role=Role.OWNER)


def _visibility(workspace: Workspace, value: str) -> None:
    owner = _owner(workspace)
    services.settings_update(actor=Actor(owner.user), membership=owner, scorecard_visibility=value, dormant_days=14)


@pytest.mark.parametrize(
    ("role", "usage_status", "settings_status"),
    [
        (Role.OWNER, 200, 200),
        (Role.ANALYST, 200, 403),
        (Role.EXECUTIVE, 200, 403),
        (Role.COMMUNITY_MANAGER, 403, 403),
        (Role.AGENCY, 403, 403),
    ],
)
def test_who_may_open_the_usage_scorecards_outcomes_and_settings_pages(
    workspace: Workspace, role: str, usage_status: int, settings_status: int
) -> None:
    client = signed_in(make_member(workspace, role))

    for name in ("adoption:usage", "adoption:scorecards", "adoption:outcomes"):
        assert client.get(reverse(name)).status_code == usage_status, name
    assert client.get(reverse("adoption:settings")).status_code == settings_status
    # everyone sees their own scorecard and what is recorded about them
    assert client.get(reverse("adoption:my_scorecard")).status_code == 200
    assert client.get(reverse("adoption:about_me")).status_code == 200


def test_the_usage_page_shows_feature_adoption_groups_and_dormant_people(workspace: Workspace) -> None:
    analyst = make_member(workspace, Role.ANALYST, full_name="Ana Lyst")
    idle = make_member(workspace, Role.DESIGNER, full_name="Idle Designer")
    today = datetime.datetime.now(datetime.UTC).date()
    UsageDaily.objects.create(
        workspace=workspace, user=analyst.user, feature="analytics", day=today, views=4, actions=1
    )

    html = signed_in(analyst).get(reverse("adoption:usage")).content.decode()

    assert '<tr data-feature="analytics"><th scope="row">Analytics</th><td>1 / 3 (33.3 %)</td>' in html
    assert "Idle Designer · Designer / copywriter · never active" in html
    assert "Ana Lyst" in html
    assert 'data-vega-spec="chart-adoption"' in html
    assert idle.user_id  # kept for readability


def test_with_self_only_privacy_people_rows_and_others_scorecards_are_hidden(workspace: Workspace) -> None:
    analyst = make_member(workspace, Role.ANALYST)
    other = make_member(workspace, Role.COMMUNITY_MANAGER, full_name="Cora Manager")
    _visibility(workspace, ScorecardVisibility.SELF)
    client = signed_in(analyst)

    usage_html = client.get(reverse("adoption:usage")).content.decode()
    others = client.get(reverse("adoption:person_scorecard", args=[other.user_id]))
    own = client.get(reverse("adoption:person_scorecard", args=[analyst.user_id]))
    api, headers = api_client(analyst)
    api_others = api.get(f"/api/v1/adoption/scorecards/people/{other.user_id}", headers=headers)
    api_usage = api.get("/api/v1/adoption/usage", headers=headers)

    assert "keeps each person's usage to themselves" in usage_html
    assert "Cora Manager" not in usage_html
    assert others.status_code == 403
    assert own.status_code == 200
    assert api_others.status_code == 403
    assert api_usage.json()["people"] is None


def test_managers_and_everyone_settings_open_others_scorecards_to_the_right_people(workspace: Workspace) -> None:
    analyst = make_member(workspace, Role.ANALYST)  # holds adoption.view: a manager for this setting
    designer = make_member(workspace, Role.DESIGNER)
    subject = make_member(workspace, Role.COMMUNITY_MANAGER)
    url = reverse("adoption:person_scorecard", args=[subject.user_id])

    _visibility(workspace, ScorecardVisibility.MANAGERS)
    assert signed_in(analyst).get(url).status_code == 200
    assert signed_in(designer).get(url).status_code == 403
    _visibility(workspace, ScorecardVisibility.EVERYONE)
    assert signed_in(designer).get(url).status_code == 200
    # someone of another workspace is not found, whatever the setting
    stranger = make_member(make_workspace(), Role.ANALYST)
    assert signed_in(analyst).get(reverse("adoption:person_scorecard", args=[stranger.user_id])).status_code == 404


def test_a_personal_scorecard_shows_values_against_the_hubs_targets(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.COMMUNITY_MANAGER)
    owner = _owner(workspace)
    services.target_set(
        actor=Actor(owner.user), membership=owner, role=Role.COMMUNITY_MANAGER, kpi=Kpi.FIRST_RESPONSE, target=15
    )
    today = datetime.datetime.now(datetime.UTC).date()
    KpiDaily.objects.create(
        workspace=workspace, user=manager.user, kpi=Kpi.FIRST_RESPONSE, day=today, total=1200, count=2
    )

    html = signed_in(manager).get(reverse("adoption:my_scorecard")).content.decode()
    api, headers = api_client(manager)
    body = api.get("/api/v1/adoption/scorecards/me?days=7", headers=headers).json()

    assert (
        '<tr data-kpi="first_response_minutes"><th scope="row">First response time (minutes)</th>'
        '<td data-testid="value">10.0</td>' in html
    )
    first = next(value for value in body["values"] if value["kpi"] == "first_response_minutes")
    assert first == {
        "kpi": "first_response_minutes",
        "label": "First response time (minutes)",
        "value": 10.0,
        "count": 2,
        "target": 15.0,
        "direction": "lower",
        "met": True,
    }


def test_periods_are_bounded_with_a_clear_error(workspace: Workspace) -> None:
    analyst = make_member(workspace, Role.ANALYST)
    page = signed_in(analyst).get(reverse("adoption:scorecards") + "?days=5000")
    api, headers = api_client(analyst)
    call = api.get("/api/v1/adoption/scorecards/regions?days=0", headers=headers)

    assert page.status_code == 400
    assert "days must be one of 7, 30, 90, 365" in page.content.decode()
    assert call.status_code == 422
    assert call.json()["detail"][0]["field"] == "days"


def test_the_owner_sets_targets_and_privacy_through_forms_and_the_audit_log_keeps_them(workspace: Workspace) -> None:
    owner = _owner(workspace)
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner.user)
    page = client.get(reverse("adoption:settings"))
    token = page.cookies["csrftoken"].value if "csrftoken" in page.cookies else ""
    assert "csrfmiddlewaretoken" in page.content.decode()
    refused = client.post(reverse("adoption:target_set"), {"role": "analyst", "kpi": "active_days", "target": "80"})
    saved = client.post(
        reverse("adoption:target_set"),
        {"role": "analyst", "kpi": "active_days", "target": "80", "csrfmiddlewaretoken": token},
    )
    bad = client.post(
        reverse("adoption:settings"),
        {"scorecard_visibility": "self", "dormant_days": "0", "csrfmiddlewaretoken": token},
    )

    assert refused.status_code == 403
    assert saved.status_code == 302
    assert KpiTarget.objects.for_workspace(workspace).get().target == 80
    assert bad.status_code == 400
    assert "Ensure this value is greater than or equal to 1." in bad.content.decode()
    assert AuditEvent.objects.for_workspace(workspace).filter(action="adoption.target.set").count() == 1


def test_the_api_sets_targets_and_settings_for_the_owner_only(workspace: Workspace) -> None:
    owner_api, owner_headers = api_client(_owner(workspace))
    analyst_api, analyst_headers = api_client(make_member(workspace, Role.ANALYST))

    saved = owner_api.put(
        "/api/v1/adoption/targets",
        {"role": "content_manager", "kpi": "posts_on_plan", "target": 90},
        content_type="application/json",
        headers=owner_headers,
    )
    refused = analyst_api.put(
        "/api/v1/adoption/settings",
        {"scorecard_visibility": "everyone", "dormant_days": 7},
        content_type="application/json",
        headers=analyst_headers,
    )
    listed = analyst_api.get("/api/v1/adoption/targets", headers=analyst_headers)

    assert saved.status_code == 200, saved.content
    assert saved.json()["direction"] == "higher"
    assert refused.status_code == 403
    assert [row["kpi"] for row in listed.json()] == ["posts_on_plan"]


def test_what_is_recorded_about_me_lists_my_events_and_actions_only(workspace: Workspace) -> None:
    member = make_member(workspace, Role.DESIGNER)
    other = make_member(workspace, Role.DESIGNER)
    now = datetime.datetime.now(datetime.UTC)
    UsageEvent.objects.create(
        workspace=workspace, user=member.user, feature="publishing", day=now.date(), created_at=now
    )
    UsageEvent.objects.create(
        workspace=workspace, user=other.user, feature="publishing", day=now.date(), created_at=now
    )

    html = signed_in(member).get(reverse("adoption:about_me")).content.decode()

    assert '<dd data-testid="events">1 recorded' in html
    assert "Managers (who may see adoption) see everyone" in html
