"""The audit log page and its CSV export: filters, pages, readable changes, permissions, query counts."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pappus.core import audit, services
from pappus.core.audit import Actor
from pappus.core.models import AuditEvent, Membership, Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_region, make_user, make_workspace

pytestmark = pytest.mark.django_db


def owner_of(workspace: Workspace) -> Membership:
    return Membership.objects.get(workspace=workspace, role=Role.OWNER)


def signed_in(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def event_rows(html: str) -> list[str]:
    """The action labels of the table rows, top to bottom."""
    return re.findall(r'<td><span class="tag" title="[^"]+">([^<]+)</span></td>', html)


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def history():
    """A workspace with a known history by two people, one of them long ago."""
    workspace = make_workspace(name="Nordlys")
    owner = owner_of(workspace)
    admin = make_member(workspace, role=Role.ADMIN, email="admin@example.com", full_name="Astrid Admin")
    as_owner = Actor(user=owner.user)
    as_admin = Actor(user=admin.user)
    services.workspace_update(actor=as_owner, membership=owner, name="Nordlys AS", currency="NOK")
    services.region_create(actor=as_admin, membership=admin, name="Oslo", country_code="no")
    old = services.region_create(actor=as_admin, membership=admin, name="Bergen")
    AuditEvent.objects.filter(object_id=str(old.pk), action="region.create").update(
        created_at=datetime.datetime(2024, 1, 15, 12, 0, tzinfo=datetime.UTC)
    )
    # Another workspace's history never shows up.
    other = make_workspace(name="Other")
    services.workspace_update(actor=Actor(user=owner_of(other).user), membership=owner_of(other), name="Other 2")
    return {"workspace": workspace, "owner": owner, "admin": admin}


def test_audit_log_lists_the_workspaces_events_newest_first(history):
    html = signed_in(history["owner"]).get(reverse("core:audit")).content.decode()

    assert event_rows(html) == [
        "Region added",
        "Workspace settings changed",
        "Member added",  # the owner's membership on creation
        "Region added",  # the hub
        "Workspace created",
        "Region added",  # Bergen, dated 2024
    ]
    assert "7 events" not in html
    assert "6 events" in html
    assert "Other 2" not in html


def test_audit_log_shows_before_and_after_with_field_names(history):
    html = signed_in(history["owner"]).get(reverse("core:audit"), {"action": "workspace.update"}).content.decode()

    assert event_rows(html) == ["Workspace settings changed"]
    changes = re.findall(r"<dt>([^<]+)</dt>\s*<dd>(.*?)</dd>", html, re.S)
    readable = {label: re.sub(r"<[^>]+>", "", value).split() for label, value in changes}
    assert readable == {"Name": ["Nordlys", "→", "Nordlys", "AS"], "Currency": ["EUR", "→", "NOK"]}


def test_audit_log_shows_choice_values_by_their_translated_names(history):
    owner = history["owner"]
    target = make_member(history["workspace"], role=Role.DESIGNER)
    services.membership_change_role(actor=Actor(user=owner.user), membership=owner, target=target, role=Role.ANALYST)
    owner.user.language = "ru"
    owner.user.save()

    html = signed_in(owner).get(reverse("core:audit"), {"action": "membership.update"}).content.decode()

    changes = re.findall(r"<dt>([^<]+)</dt>\s*<dd>(.*?)</dd>", html, re.S)
    readable = {label: " ".join(re.sub(r"<[^>]+>", "", value).split()) for label, value in changes}
    assert readable == {"Роль": "Дизайнер / копирайтер → Аналитик"}


def test_audit_log_filters_by_actor(history):
    admin_user = history["admin"].user

    html = signed_in(history["owner"]).get(reverse("core:audit"), {"actor": admin_user.pk}).content.decode()

    assert event_rows(html) == ["Region added", "Region added"]
    assert "Astrid Admin &lt;admin@example.com&gt;" in html  # the actor choice is labelled readably


def test_audit_log_filters_by_object_type_and_date_range(history):
    client = signed_in(history["owner"])
    today = timezone.localdate()

    by_type = client.get(reverse("core:audit"), {"object_type": "core.region"}).content.decode()
    recent = client.get(reverse("core:audit"), {"date_from": today.isoformat()}).content.decode()
    long_ago = client.get(reverse("core:audit"), {"date_from": "2024-01-01", "date_to": "2024-01-31"}).content.decode()

    assert event_rows(by_type) == ["Region added", "Region added", "Region added"]
    assert len(event_rows(recent)) == 5
    assert event_rows(long_ago) == ["Region added"]
    assert "Bergen" in long_ago


def test_audit_date_range_uses_the_users_time_zone(history):
    history["owner"].user.time_zone = "Asia/Shanghai"
    history["owner"].user.save()
    # 2024-01-15 12:00 UTC is 20:00 in Shanghai: the same day; 2024-01-15 20:00 UTC is already the 16th there.
    AuditEvent.objects.filter(object_repr="Bergen").update(
        created_at=datetime.datetime(2024, 1, 15, 20, 0, tzinfo=datetime.UTC)
    )
    client = signed_in(history["owner"])

    on_15th = client.get(reverse("core:audit"), {"date_from": "2024-01-15", "date_to": "2024-01-15"}).content.decode()
    on_16th = client.get(reverse("core:audit"), {"date_from": "2024-01-16", "date_to": "2024-01-16"}).content.decode()

    assert event_rows(on_15th) == []
    assert event_rows(on_16th) == ["Region added"]


def test_audit_filters_reject_bad_input_naming_the_field(history):
    response = signed_in(history["owner"]).get(
        reverse("core:audit"), {"date_from": "2024-02-01", "date_to": "2024-01-01", "action": "no.such"}
    )

    errors = response.context["form"].errors
    assert errors["date_to"] == ["The end date is before the start date."]
    assert errors["action"] == ["Select a valid choice. no.such is not one of the available choices."]
    assert 'id="id_date_to_error"' in response.content.decode()


def test_audit_log_pages(history, settings):
    settings.PAGE_SIZE = 4
    client = signed_in(history["owner"])

    first = client.get(reverse("core:audit")).content.decode()
    second = client.get(reverse("core:audit"), {"page": 2}).content.decode()

    assert len(event_rows(first)) == 4
    assert event_rows(second) == ["Workspace created", "Region added"]
    assert "Page 1 of 2" in first
    assert 'href="?page=2"' in first


def test_htmx_filter_request_gets_only_the_table(history):
    response = signed_in(history["owner"]).get(
        reverse("core:audit"), {"action": "workspace.update"}, headers={"HX-Request": "true"}
    )

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="audit-table"')
    assert "<html" not in html
    assert event_rows(html) == ["Workspace settings changed"]
    assert 'href="/audit/export.csv?action=workspace.update"' in html


def test_csv_export_streams_the_filtered_events(history):
    response = signed_in(history["owner"]).get(reverse("core:audit_export"), {"object_type": "core.workspace"})

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="audit-nordlys-\d{8}-\d{4}\.csv"', response["Content-Disposition"])
    rows = csv_rows(response)
    assert rows[0] == [
        "Time (UTC)",
        "Actor",
        "Action",
        "Action code",
        "Object type",
        "Object id",
        "Object",
        "Before",
        "After",
        "Via",
        "IP address",
    ]
    owner_email = history["owner"].user.email
    workspace_id = str(history["workspace"].pk)
    assert [row[1:9] for row in rows[1:]] == [
        [
            owner_email,
            "Workspace settings changed",
            "workspace.update",
            "core.workspace",
            workspace_id,
            "Nordlys AS",
            '{"currency": "EUR", "name": "Nordlys"}',
            '{"currency": "NOK", "name": "Nordlys AS"}',
        ],
        [
            "system (test)",
            "Workspace created",
            "workspace.create",
            "core.workspace",
            workspace_id,
            "Nordlys",
            "",
            '{"currency": "EUR", "default_language": "en", "name": "Nordlys", "slug": "nordlys", "time_zone": "UTC"}',
        ],
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row[0]) for row in rows[1:])


def test_csv_export_applies_the_date_filter_and_neutralises_formulas(history):
    workspace = history["workspace"]
    audit.record(Actor(user=None, via="api"), "region.create", workspace=workspace, object_repr="=HYPERLINK(1)")

    rows = csv_rows(
        signed_in(history["owner"]).get(reverse("core:audit_export"), {"date_to": "2024-12-31"})
    ) + csv_rows(signed_in(history["owner"]).get(reverse("core:audit_export"), {"action": "region.create"}))

    objects = [row[6] for row in rows if row[0] != "Time (UTC)"]
    assert objects[0] == "Bergen"
    assert "'=HYPERLINK(1)" in objects
    assert "=HYPERLINK(1)" not in objects


def test_csv_export_is_translated_with_the_interface(history):
    history["owner"].user.language = "ru"
    history["owner"].user.save()

    rows = csv_rows(signed_in(history["owner"]).get(reverse("core:audit_export"), {"action": "workspace.update"}))

    assert rows[0][:3] == ["Время (UTC)", "Кто", "Действие"]
    assert rows[1][2] == "Изменены настройки пространства"


@pytest.mark.parametrize("role", [Role.AGENCY, Role.DESIGNER, Role.CONTENT_MANAGER, Role.CAMPAIGN_MANAGER])
def test_roles_without_audit_view_get_403_on_page_and_export(role):
    member = make_member(role=role)
    client = signed_in(member)

    assert client.get(reverse("core:audit")).status_code == 403
    assert client.get(reverse("core:audit_export")).status_code == 403


@pytest.mark.parametrize("role", [Role.OWNER, Role.ADMIN, Role.EXECUTIVE, Role.STRATEGIST])
def test_roles_with_audit_view_see_the_log(role):
    assert signed_in(make_member(role=role)).get(reverse("core:audit")).status_code == 200


def test_audit_list_query_count_does_not_grow_with_events(django_assert_max_num_queries):
    workspace = make_workspace()
    owner = owner_of(workspace)
    for number in range(30):
        make_region(workspace, name=f"Spoke {number}")
        services.region_create(actor=Actor(user=owner.user), membership=owner, name=f"Region {number}")
    client = signed_in(owner)
    client.get(reverse("core:audit"))  # warm the session and the content-type cache

    # session, user, membership, two filter value lists, count, page, switcher, actors,
    # and the failed-posts count of the shell's banner (publishing)
    with django_assert_max_num_queries(10):
        response = client.get(reverse("core:audit"))
    assert len(event_rows(response.content.decode())) == 33

    # ... and one more to check the chosen actor belongs to the workspace.
    with django_assert_max_num_queries(11):
        filtered = client.get(reverse("core:audit"), {"action": "region.create", "actor": str(owner.user.pk)})
    assert len(event_rows(filtered.content.decode())) == 30


def test_audit_export_query_count_is_constant(django_assert_max_num_queries):
    workspace = make_workspace()
    owner = owner_of(workspace)
    for number in range(40):
        services.region_create(actor=Actor(user=owner.user), membership=owner, name=f"Region {number}")
    client = signed_in(owner)
    client.get(reverse("core:home"))

    # session, user, membership, two filter value lists, the events
    with django_assert_max_num_queries(6):
        rows = csv_rows(client.get(reverse("core:audit_export")))
    assert len(rows) == 1 + 43


def test_audit_actor_filter_offers_only_people_of_this_workspace(history):
    stranger = make_user(email="stranger@example.com")

    response = signed_in(history["owner"]).get(reverse("core:audit"), {"actor": stranger.pk})

    assert "stranger@example.com" not in response.content.decode()
    assert "actor" in response.context["form"].errors
