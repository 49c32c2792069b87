"""Report schedules through the API: the same checks as the web form (recipients named by position,
regions limited to the member's), reports.manage to change them, analytics.view to read them,
bounded fields, audit events."""

from __future__ import annotations

import pytest

from pappus.analytics.models import ReportSchedule
from pappus.core.models import AuditEvent
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_region, make_workspace
from pappus.core.tests.test_api import ApiClient, client_for, token_for

pytestmark = pytest.mark.django_db
PATH = "/analytics/report-schedules"
BODY = {"name": "Weekly for the board", "kind": "weekly", "recipients": ["ceo@example.com", "CEO@example.com"]}


def test_an_analyst_creates_changes_reads_and_deletes_a_schedule() -> None:
    api, member = client_for(Role.ANALYST)

    created = api.post(PATH, BODY)
    assert created.status_code == 201
    body = created.json()
    assert (body["kind"], body["region_id"], body["recipients"], body["enabled"]) == (
        "weekly",
        None,
        ["ceo@example.com"],  # the same address twice is kept once
        True,
    )
    schedule_id = body["id"]
    changed = api._send("put", f"{PATH}/{schedule_id}", {**BODY, "kind": "monthly", "enabled": False, "language": "nb"})
    assert changed.status_code == 200
    assert (changed.json()["kind"], changed.json()["enabled"], changed.json()["language"]) == ("monthly", False, "nb")
    assert api.get(f"{PATH}/{schedule_id}").json()["kind"] == "monthly"
    assert [item["id"] for item in api.get(PATH).json()["items"]] == [schedule_id]

    assert api.delete(f"{PATH}/{schedule_id}").status_code == 204
    assert not ReportSchedule.objects.filter(pk=schedule_id).exists()
    actions = list(
        AuditEvent.objects.filter(workspace=member.workspace, action__startswith="analytics.report_schedule")
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == [
        "analytics.report_schedule.create",
        "analytics.report_schedule.update",
        "analytics.report_schedule.delete",
    ]


def test_bad_fields_are_named_and_bounded() -> None:
    api, _member = client_for(Role.ANALYST)

    bad_address = api.post(PATH, {**BODY, "recipients": ["ok@example.com", "not an address"]})
    assert bad_address.status_code in {400, 422}
    assert "recipients" in bad_address.content.decode()
    assert "2" in bad_address.content.decode()
    too_many = api.post(PATH, {**BODY, "recipients": [f"r{n}@example.com" for n in range(51)]})
    assert too_many.status_code == 422
    assert api.post(PATH, {**BODY, "kind": "hourly"}).status_code == 422
    assert api.post(PATH, {**BODY, "region_id": 2**63}).status_code == 422
    assert api.post(PATH, {**BODY, "name": "x" * 201}).status_code == 422
    assert api.post(PATH, {**BODY, "language": "xx"}).status_code in {400, 422}
    assert api.get(f"{PATH}/{2**63}").status_code == 422
    assert api.get(f"{PATH}/999999").status_code == 404
    assert not ReportSchedule.objects.exists()


def test_roles_and_regions() -> None:
    workspace = make_workspace()
    norway, sweden = make_region(workspace, "Norway"), make_region(workspace, "Sweden")
    admin_api, _admin = client_for(Role.ADMIN, workspace)
    everywhere = admin_api.post(PATH, BODY).json()
    in_sweden = admin_api.post(PATH, {**BODY, "name": "Sweden", "region_id": sweden.pk}).json()

    limited = make_member(workspace, role=Role.ANALYST)
    limited.regions.add(norway)
    limited_api = ApiClient(token_for(limited))
    assert limited_api.get(PATH).json()["items"] == []
    assert limited_api.get(f"{PATH}/{in_sweden['id']}").status_code == 404
    refused = limited_api.post(PATH, {**BODY, "name": "Sweden too", "region_id": sweden.pk})
    assert refused.status_code in {400, 403, 404}
    own = limited_api.post(PATH, {**BODY, "name": "Norway", "region_id": norway.pk})
    assert own.status_code == 201
    assert [item["name"] for item in limited_api.get(PATH).json()["items"]] == ["Norway"]

    executive_api, _executive = client_for(Role.EXECUTIVE, workspace)
    assert executive_api.get(PATH).status_code == 200
    assert executive_api.post(PATH, BODY).status_code == 403
    assert executive_api.delete(f"{PATH}/{everywhere['id']}").status_code == 403
    stranger_api, _stranger = client_for(Role.ADMIN)
    assert stranger_api.get(f"{PATH}/{everywhere['id']}").status_code == 404
    assert stranger_api.delete(f"{PATH}/{everywhere['id']}").status_code == 404
