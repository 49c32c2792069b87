"""The crisis demo: the listening demo's spike raises real alerts, followed by an open incident."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from pappus.core import demo
from pappus.core.models import AuditEvent, Workspace
from pappus.crisis.demo import spike_start
from pappus.crisis.models import Alert, AlertRule, Incident, IncidentEntry, Playbook
from pappus.listening.models import Topic

PASSWORD = "demo-test-password"


@pytest.fixture
def media(tmp_path: Path) -> Iterator[Path]:
    with override_settings(MEDIA_ROOT=tmp_path):
        yield tmp_path


def _counts() -> dict[str, int]:
    return {
        "rules": AlertRule.objects.count(),
        "alerts": Alert.objects.count(),
        "playbooks": Playbook.objects.count(),
        "incidents": Incident.objects.count(),
        "entries": IncidentEntry.objects.count(),
    }


def test_crisis_contributes_after_listening() -> None:
    names = list(demo.demo_contributors())
    assert names.index("listening") < names.index("crisis")


@pytest.mark.django_db
def test_the_spike_raises_an_alert_and_an_incident_follows_it(media: Path) -> None:
    demo.load_demo(demo.demo_plan(), password=PASSWORD)
    nordlys = Workspace.objects.get(slug="nordlys-coffee")
    brand = Topic.objects.for_workspace(nordlys).get(name="Nordlys")
    rules = AlertRule.objects.for_workspace(nordlys)
    assert {rule.topic_id for rule in rules} == {brand.pk}
    assert {rule.metric for rule in rules} == {"negative_share", "volume"}
    # The alerts were raised by the evaluation, in the spike's hours two days ago.
    start = spike_start(nordlys, timezone.now())
    alerts = list(Alert.objects.for_workspace(nordlys))
    assert alerts
    assert all(start <= alert.window_start < start + datetime.timedelta(hours=5) for alert in alerts)
    assert AuditEvent.objects.for_workspace(nordlys).filter(action="crisis.alert.raise").count() == len(alerts)
    assert all(rule.evaluated_until is not None for rule in rules)
    playbooks = Playbook.objects.for_workspace(nordlys)
    assert set(playbooks.values_list("language", flat=True)) == {"en", "nb", "ru", "zh-hans"}
    assert all(playbook.steps and playbook.templates and playbook.approved_at for playbook in playbooks)
    incident = Incident.objects.for_workspace(nordlys).get()
    assert incident.status == "open"
    assert set(incident.alerts.all()) == set(alerts)
    assert incident.entries.filter(kind="happened").exists()
    assert incident.entries.filter(kind="action").exists()
    assert not AlertRule.objects.for_workspace(Workspace.objects.get(slug="solsikke-bakeri")).exists()
    client = Client()
    assert client.login(email="demo@pappus.local", password=PASSWORD)
    page = client.get("/crisis/")
    assert page.status_code == 200
    assert "Nordlys: negative share" in page.content.decode()
    assert client.get(f"/crisis/incidents/{incident.pk}/").status_code == 200
    assert client.get(f"/crisis/alerts/{alerts[0].pk}/").status_code == 200


@pytest.mark.django_db
def test_loading_the_demo_twice_adds_no_crisis_rows(media: Path) -> None:
    demo.load_demo(demo.demo_plan(9), password=PASSWORD)
    counts = _counts()
    assert counts["alerts"] > 0
    demo.load_demo(demo.demo_plan(9), password=PASSWORD)
    assert _counts() == counts
