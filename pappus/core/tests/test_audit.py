"""The audit log records who changed what, before and after, and never a secret."""

import pytest

from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.models import AuditEvent, Membership, Region
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_user, make_workspace

pytestmark = pytest.mark.django_db


def test_creating_a_workspace_is_audited_with_its_hub_and_owner():
    owner = make_user(email="ingrid@example.no")
    workspace = make_workspace("Nordlys Coffee", owner=owner, time_zone="Europe/Oslo", currency="NOK")
    events = list(AuditEvent.objects.for_workspace(workspace).order_by("id"))
    assert [event.action for event in events] == ["workspace.create", "region.create", "membership.create"]
    assert events[0].after == {
        "name": "Nordlys Coffee",
        "slug": "nordlys-coffee",
        "time_zone": "Europe/Oslo",
        "default_language": "en",
        "currency": "NOK",
    }
    assert events[0].before == {}
    hub = Region.objects.for_workspace(workspace).get()
    assert hub.is_hub
    assert events[1].object_id == str(hub.pk)
    assert Membership.objects.get(workspace=workspace).role == Role.OWNER


def test_snapshot_leaves_secrets_out():
    user = make_user(email="secret@example.com", password="hunter2-hunter2")
    values = audit.snapshot(user)
    assert "password" not in values
    assert values["email"] == "secret@example.com"


def test_record_keeps_only_changed_fields_and_the_actor():
    workspace = make_workspace()
    actor_user = make_user(email="admin@example.com")
    event = audit.record(
        Actor(actor_user, via="api", ip_address="127.0.0.1"),
        "workspace.update",
        workspace=workspace,
        target=workspace,
        before={"name": "Old", "currency": "EUR"},
        after={"name": "New", "currency": "EUR"},
    )
    assert (event.before, event.after) == ({"name": "Old"}, {"name": "New"})
    assert (event.actor_label, event.via, event.ip_address) == ("admin@example.com", "api", "127.0.0.1")
    assert event.object_type == "core.workspace"


def test_slugs_are_unique():
    first = make_workspace("Nordlys")
    second = make_workspace("Nordlys")
    assert (first.slug, second.slug) == ("nordlys", "nordlys-2")
