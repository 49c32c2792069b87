"""The crisis pages and REST API: alerts with their chart, incidents with timeline and playbook
checklist, rules and playbooks; roles (the agency sees no crisis) and workspaces."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from pappus.core.audit import Actor
from pappus.core.models import Membership
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_workspace
from pappus.core.tests.test_api import ApiClient, token_for
from pappus.crisis import services
from pappus.crisis.models import Alert, AlertRule, EntryKind, Incident, IncidentStatus, Playbook
from pappus.crisis.tests.test_alerts import _quiet_then_spike

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("test")


def signed_in(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.fixture
def owner() -> Membership:
    return make_member(make_workspace(), Role.OWNER)


@pytest.fixture
def alert(owner: Membership) -> Alert:
    rule = services.rule_create(actor=ACTOR, membership=owner, name="Brand volume")
    return services.rule_evaluate(rule.pk, now=_quiet_then_spike(owner.workspace_id, spike=180))[0]


PAGES = ("crisis:alerts", "crisis:incidents", "crisis:rules", "crisis:playbooks")


@pytest.mark.parametrize("name", PAGES)
def test_the_agency_and_designer_see_no_crisis_pages(owner: Membership, name: str) -> None:
    for role in (Role.AGENCY, Role.DESIGNER):
        member = make_member(owner.workspace, role)
        assert signed_in(member).get(reverse(name)).status_code == 403


def test_navigation_shows_crisis_to_those_who_may_see_it(owner: Membership) -> None:
    assert 'href="/crisis/"' in signed_in(owner).get(reverse("core:home")).content.decode()
    agency = make_member(owner.workspace, Role.AGENCY)
    assert 'href="/crisis/"' not in signed_in(agency).get(reverse("core:home")).content.decode()


def test_alert_list_and_detail_with_chart_and_mentions_link(owner: Membership, alert: Alert) -> None:
    client = signed_in(owner)
    page = client.get(reverse("crisis:alerts")).content.decode()
    assert f'href="/crisis/alerts/{alert.pk}/"' in page
    fragment = client.get(reverse("crisis:alerts"), {"open": "1"}, headers={"HX-Request": "true"})
    assert fragment.content.decode().lstrip().startswith('<div id="alert-rows">')
    detail = client.get(reverse("crisis:alert", args=[alert.pk])).content.decode()
    assert 'data-vega-spec="alert-spec"' in detail
    assert '<script id="alert-spec" type="application/json">' in detail
    assert 'href="/listening/mentions/?date_from=2026-02-01&amp;date_to=2026-02-01"' in detail
    client.post(reverse("crisis:alert", args=[alert.pk]), {"action": "acknowledge"})
    alert.refresh_from_db()
    assert alert.acknowledged_by_id == owner.user_id


def test_the_alert_chart_shows_hours_in_the_readers_time_zone(owner: Membership, alert: Alert) -> None:
    owner.user.time_zone = "Asia/Shanghai"
    owner.user.save(update_fields=["time_zone"])
    page = signed_in(owner).get(reverse("crisis:alert", args=[alert.pk]))
    spec = page.context["spec"]
    lines, marker = spec["layer"]
    assert lines["encoding"]["x"]["title"] == "Hour (Asia/Shanghai)"
    assert lines["encoding"]["x"]["scale"] == {"type": "utc"}
    # The alert's hour (2026-02-01 23:00 UTC) is 07:00 the next morning in Shanghai, whatever the browser's zone.
    assert alert.window_start == datetime.datetime(2026, 2, 1, 23, tzinfo=datetime.UTC)
    assert spec["datasets"][marker["data"]["name"]] == [{"hour": "2026-02-02T07:00Z"}]
    hours = [row["hour"] for row in spec["datasets"][lines["data"]["name"]]]
    assert hours[-1] == "2026-02-02T07:00Z"
    assert hours[0] == "2026-01-26T07:00Z"


def test_crisis_pages_cost_the_same_queries_with_more_rows(
    owner: Membership, alert: Alert, django_assert_max_num_queries: Any
) -> None:
    client = signed_in(owner)
    playbook = services.playbook_create(
        actor=ACTOR,
        membership=owner,
        name="Outage",
        language="en",
        steps=["Check", "Answer"],
        templates=[{"title": "Holding", "body": "We are on it."}],
    )
    incident = services.incident_open(
        actor=ACTOR, membership=owner, title="Spike", severity="high", playbook=playbook, alerts=[alert]
    )
    pages = [
        reverse("crisis:alerts"),
        reverse("crisis:alert", args=[alert.pk]),
        reverse("crisis:incidents"),
        reverse("crisis:incident", args=[incident.pk]),
        reverse("crisis:rules"),
        reverse("crisis:playbooks"),
    ]
    for url in pages:
        client.get(url)  # warm the session
    counts = {}
    for url in pages:
        with django_assert_max_num_queries(25) as few:
            assert client.get(url).status_code == 200
        counts[url] = len(few.captured_queries)
    for number in range(6):
        services.rule_create(actor=ACTOR, membership=owner, name=f"Rule {number}")
        services.playbook_create(
            actor=ACTOR,
            membership=owner,
            name=f"Playbook {number}",
            language="en",
            steps=["One", "Two"],
            templates=[{"title": "T", "body": "B"}],
        )
        other = services.incident_open(
            actor=ACTOR, membership=owner, title=f"Other {number}", severity="low", playbook=playbook, alerts=[alert]
        )
        services.incident_note(actor=ACTOR, membership=owner, incident=incident, kind="action", text=f"Note {number}")
        services.incident_check_step(actor=ACTOR, membership=owner, incident=other, step=0, done=True)
    more_alerts = Alert.objects.filter(pk=alert.pk).values()[0]
    for hours in range(1, 6):
        Alert.objects.create(
            **{
                **{key: value for key, value in more_alerts.items() if key not in {"id"}},
                "window_start": alert.window_start - datetime.timedelta(days=hours),
                "window_end": alert.window_end - datetime.timedelta(days=hours),
            }
        )
    for url in pages:
        with django_assert_max_num_queries(counts[url]):
            assert client.get(url).status_code == 200


def test_an_analyst_reads_but_cannot_open_incidents(owner: Membership, alert: Alert) -> None:
    analyst = make_member(owner.workspace, Role.ANALYST)
    client = signed_in(analyst)
    page = client.get(reverse("crisis:alert", args=[alert.pk])).content.decode()
    assert "Open the incident" not in page
    response = client.post(reverse("crisis:alert", args=[alert.pk]), {"title": "Mine", "severity": "high"})
    assert response.status_code == 403
    assert Incident.objects.count() == 0


def test_another_workspaces_alert_is_not_found(owner: Membership, alert: Alert) -> None:
    stranger = make_member(make_workspace(), Role.OWNER)
    assert signed_in(stranger).get(reverse("crisis:alert", args=[alert.pk])).status_code == 404
    assert ApiClient(token_for(stranger)).get(f"/crisis/alerts/{alert.pk}").status_code == 404
    assert ApiClient(token_for(stranger)).get("/crisis/alerts").json()["count"] == 0


def test_incident_from_an_alert_with_timeline_and_playbook_checklist(owner: Membership, alert: Alert) -> None:
    playbook = services.playbook_create(
        actor=ACTOR,
        membership=owner,
        name="Product complaint wave",
        language="en",
        steps=["Tell the PR lead", "Post the holding statement"],
        templates=[{"title": "Holding statement", "body": "We are looking into it."}],
        approved=True,
    )
    client = signed_in(owner)
    response = client.post(
        reverse("crisis:alert", args=[alert.pk]),
        {
            "action": "incident",
            "title": "Complaint wave",
            "severity": "high",
            "owner": owner.user_id,
            "playbook": playbook.pk,
        },
    )
    incident = Incident.objects.for_workspace(owner.workspace_id).get()
    assert response["Location"] == reverse("crisis:incident", args=[incident.pk])
    assert list(incident.alerts.all()) == [alert]
    url = reverse("crisis:incident", args=[incident.pk])
    step = client.post(url, {"action": "step", "step": "1", "done": "1"}, headers={"HX-Request": "true"})
    assert step.content.decode().lstrip().startswith('<ul id="checklist"')
    note = client.post(
        url, {"action": "note", "kind": "action", "text": "Holding statement posted"}, headers={"HX-Request": "true"}
    )
    assert "Holding statement posted" in note.content.decode()
    client.post(
        url,
        {
            "action": "update",
            "title": "Complaint wave",
            "severity": "high",
            "status": "resolved",
            "owner": owner.user_id,
            "playbook": playbook.pk,
            "summary": "A faulty batch; replaced.",
        },
    )
    incident.refresh_from_db()
    assert incident.checked_steps == [1]
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.resolved_at is not None
    assert incident.summary == "A faulty batch; replaced."
    assert [(entry.kind, entry.text) for entry in incident.entries.all()] == [
        (EntryKind.CHANGE, "Incident opened (severity: High)."),
        (EntryKind.ACTION, "Playbook step done: Post the holding statement"),
        (EntryKind.ACTION, "Holding statement posted"),
        (EntryKind.CHANGE, "Status: Resolved"),
        (EntryKind.CHANGE, "Post-incident summary written."),
    ]
    page = client.get(url).content.decode()
    assert "We are looking into it." in page


def test_rules_and_playbooks_pages_create_them(owner: Membership) -> None:
    client = signed_in(owner)
    response = client.post(
        reverse("crisis:rules"),
        {
            "name": "Negative share",
            "metric": "negative_share",
            "sensitivity": "0.6",
            "cooldown_hours": "4",
            "email_recipients": "pr@example.com",
            "webhook_url": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    rule = AlertRule.objects.for_workspace(owner.workspace_id).get()
    assert (rule.metric, rule.sensitivity, rule.cooldown_hours, rule.recipients) == (
        "negative_share",
        0.6,
        4,
        ["pr@example.com"],
    )
    bad = client.post(
        reverse("crisis:rules"),
        {
            "name": "x",
            "metric": "volume",
            "sensitivity": "0.5",
            "cooldown_hours": "6",
            "email_recipients": "not-an-address",
        },
    )
    assert "not-an-address is not an e-mail address." in bad.content.decode()
    client.post(
        reverse("crisis:playbooks"),
        {
            "name": "Outage",
            "language": "nb",
            "steps": "Varsle\nSvar",
            "templates": "Svar\nVi ser på det.\n---\nOppdatering\nLøst.",
            "approved": "on",
        },
    )
    playbook = Playbook.objects.for_workspace(owner.workspace_id).get()
    assert playbook.steps == ["Varsle", "Svar"]
    assert playbook.templates == [
        {"title": "Svar", "body": "Vi ser på det."},
        {"title": "Oppdatering", "body": "Løst."},
    ]
    assert playbook.approved_by_id == owner.user_id


def test_api_reads_and_writes(owner: Membership, alert: Alert) -> None:
    api = ApiClient(token_for(owner))
    listed = api.get("/crisis/alerts").json()
    assert listed["count"] == 1
    assert listed["items"][0]["rule_name"] == "Brand volume"
    assert listed["items"][0]["value"] == 180.0
    created = api.post(
        "/crisis/rules", {"name": "Complaints", "metric": "negative_share", "email_recipients": ["pr@example.com"]}
    )
    assert created.status_code == 201
    assert created.json()["email_recipients"] == ["pr@example.com"]
    incident = api.post("/crisis/incidents", {"title": "Wave", "severity": "critical", "alert_ids": [alert.pk]})
    assert incident.status_code == 201
    assert incident.json()["alert_ids"] == [alert.pk]
    incident_id = incident.json()["id"]
    entry = api.post(f"/crisis/incidents/{incident_id}/timeline", {"kind": "happened", "text": "Trending on Mastodon"})
    assert entry.status_code == 201
    resolved = api.patch(f"/crisis/incidents/{incident_id}", {"status": "resolved", "summary": "Done."})
    assert resolved.json()["status"] == "resolved"
    assert [item["text"] for item in resolved.json()["timeline"]][1:] == [
        "Trending on Mastodon",
        "Status: Resolved",
        "Post-incident summary written.",
    ]
    acknowledged = api.post(f"/crisis/alerts/{alert.pk}/acknowledge", {})
    assert acknowledged.json()["acknowledged_at"] is not None


@pytest.mark.parametrize(
    ("role", "read", "write"), [(Role.AGENCY, 403, 403), (Role.ANALYST, 200, 403), (Role.ADMIN, 200, 201)]
)
def test_api_roles(owner: Membership, role: str, read: int, write: int) -> None:
    api = ApiClient(token_for(make_member(owner.workspace, role)))
    assert api.get("/crisis/alerts").status_code == read
    assert api.get("/crisis/incidents").status_code == read
    assert api.post("/crisis/playbooks", {"name": "P", "steps": ["a"]}).status_code == write


def test_alert_window_is_the_hour(alert: Alert) -> None:
    assert alert.window_end - alert.window_start == datetime.timedelta(hours=1)
