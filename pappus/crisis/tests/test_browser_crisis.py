"""Crisis in a real browser (Debian's Chromium through Playwright): a spike of real mentions (stored
through listening's pipeline over four quiet weeks of rollups) raises an alert when the rule job
runs; the PR lead opens it, sees the chart in their time zone and the mentions that caused it, opens
an incident with a playbook, ticks a step, and resolves it with the post-incident summary."""

from __future__ import annotations

import datetime
import os
from pathlib import Path

import pytest

from pappus.core.audit import Actor
from pappus.core.permissions import Role
from pappus.core.tests.factories import PASSWORD, make_member, make_workspace
from pappus.crisis import services
from pappus.crisis.models import Incident, IncidentStatus
from pappus.crisis.synthetic import generate
from pappus.crisis.tests.conftest import add_rollups
from pappus.listening import services as listening_services
from pappus.listening.models import RunStatus
from pappus.listening.pipeline import map_normalized

# Playwright's sync API runs an event loop in this thread; the ORM is used between browser steps.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"
ACTOR = Actor.system("test")


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"crisis-{name}.png"), full_page=True)


@pytest.fixture
def crisis(transactional_db):
    workspace = make_workspace(name="Nordlys Coffee")
    lead = make_member(workspace, Role.OWNER, email="pr@example.com", full_name="Sigrid Holm")
    lead.user.time_zone = "Europe/Oslo"
    lead.user.save(update_fields=["time_zone"])
    services.playbook_create(
        actor=ACTOR,
        membership=lead,
        name="Product complaint wave",
        language="en",
        steps=["Confirm what happened with support", "Post the holding statement", "Brief the executives"],
        templates=[{"title": "Holding statement", "body": "We know about the problem and are on it."}],
        approved=True,
    )
    rule = services.rule_create(actor=ACTOR, membership=lead, name="Brand volume")
    # Four quiet weeks of hourly rollups; the last hour's mentions arrive through the pipeline.
    scenario = generate("rule", seed=5, level=30.0, weeks=4)
    last = scenario.timestamps[-1]
    add_rollups(
        workspace.pk,
        {hour: int(value) for hour, value in zip(scenario.timestamps[:-1], scenario.values[:-1], strict=True)},
    )
    source = listening_services.source_create(actor=ACTOR, membership=lead, name="Hook", kind="webhook")
    run = listening_services.ingest_run_start(source)
    items = [
        {
            "external_id": f"spike-{number}",
            "text": f"Nordlys beans tasted burnt today, batch {number}",
            "language": "en",
            "network": "mastodon",
            "published_at": (last + datetime.timedelta(seconds=15 * number)).isoformat(),
        }
        for number in range(180)
    ]
    listening_services.ingest_items(source=source, run=run, items=items, mapper=map_normalized, analyze=None)
    listening_services.ingest_run_finish(run, status=RunStatus.SUCCEEDED)
    return lead, rule, last + datetime.timedelta(hours=1, minutes=5)


def test_an_alert_from_a_spike_becomes_an_incident_with_a_playbook_and_a_summary(page, live_server, crisis):
    lead, rule, job_time = crisis
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail address").fill("pr@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")

    page.goto(f"{live_server.url}/crisis/")
    assert page.locator("a[href^='/crisis/alerts/']").count() == 0
    alerts = services.rule_evaluate(rule.pk, now=job_time)  # what the periodic job does
    assert len(alerts) == 1
    alert = alerts[0]
    page.reload()
    page.locator(f"a[href='/crisis/alerts/{alert.pk}/']").first.click()
    page.wait_for_url(f"{live_server.url}/crisis/alerts/{alert.pk}/")
    assert page.get_by_test_id("alert-score").inner_text() == f"{alert.score:.2f}"
    chart = page.get_by_test_id("alert-chart")
    chart.locator("svg").wait_for()
    chart.locator("text", has_text="Hour (Europe/Oslo)").wait_for()
    screenshot(page, "01-alert")

    page.get_by_test_id("alert-mentions").click()
    page.wait_for_url("**/listening/mentions/**")
    page.get_by_text("Nordlys beans tasted burnt today, batch 179", exact=True).wait_for()  # newest first
    screenshot(page, "02-mentions")
    page.go_back()

    form = page.locator("form", has=page.get_by_role("button", name="Open the incident"))
    form.get_by_label("Title").fill("Burnt beans complaints")
    form.get_by_label("Severity").select_option("high")
    form.get_by_label("Owner").select_option(label=str(lead.user))
    form.get_by_label("Playbook").select_option(label="Product complaint wave (en)")
    form.get_by_role("button", name="Open the incident").click()
    page.get_by_role("heading", name="Burnt beans complaints", level=1).wait_for()
    incident = Incident.objects.get(title="Burnt beans complaints")
    assert list(incident.alerts.values_list("pk", flat=True)) == [alert.pk]

    page.get_by_test_id("checklist").get_by_label("Post the holding statement").check()
    page.locator("#checklist input:checked").wait_for()  # htmx swapped the checklist back, ticked
    page.get_by_text("Holding statement", exact=True).click()  # the approved template opens
    page.get_by_text("We know about the problem and are on it.").wait_for()

    update = page.locator("form", has=page.get_by_role("button", name="Save the incident"))
    update.get_by_label("Status").select_option("resolved")
    update.get_by_label("Post-incident summary").fill(
        "A roaster fault burnt one batch; support replaced 40 bags; the holding statement went out in 20 minutes."
    )
    update.get_by_role("button", name="Save the incident").click()
    page.get_by_role("heading", name="Post-incident summary").wait_for()
    page.locator("p", has_text="A roaster fault burnt one batch").wait_for()
    page.get_by_test_id("timeline").filter(has_text="Post the holding statement").wait_for()
    screenshot(page, "03-incident")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.RESOLVED
    assert incident.summary.startswith("A roaster fault burnt one batch")
    assert incident.checked_steps == [1]
