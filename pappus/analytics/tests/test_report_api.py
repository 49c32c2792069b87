"""The report archive through the API: list and read reports, download each as HTML (with a policy
that runs nothing) and PDF, ask for one now (made in the background, audited); analytics.view to
read, reports.manage to ask, region limits and workspaces as on the archive page."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from pappus.analytics.models import Report, ReportStatus
from pappus.core.models import AuditEvent, Region, Workspace
from pappus.core.permissions import Action, Role, role_allows
from pappus.core.tests.factories import make_member, make_region
from pappus.core.tests.test_api import ApiClient, client_for, token_for

pytestmark = pytest.mark.django_db
PATH = "/analytics/reports"


def stored_report(workspace: Workspace, *, region: Region | None = None, **fields: Any) -> Report:
    """An archived report as generation leaves it (the rendering itself is tested in test_reports)."""
    values: dict[str, Any] = {
        "kind": "weekly",
        "first_day": datetime.date(2026, 3, 9),
        "last_day": datetime.date(2026, 3, 15),
        "region_id": region.pk if region else None,
        "scope_name": region.name if region else workspace.name,
        "language": "en",
        "status": ReportStatus.DELIVERED,
        "html": "<!doctype html><title>Weekly report</title><h1>Weekly report</h1>",
        "pdf": b"%PDF-1.7 stored",
        "generated_at": datetime.datetime(2026, 3, 17, tzinfo=datetime.UTC),
        "delivered_to": ["boss@example.com"],
    }
    return Report.objects.create(workspace=workspace, **(values | fields))


def test_an_analyst_lists_reads_and_downloads_reports(workspace: Workspace) -> None:
    api, _member = client_for(Role.ANALYST, workspace)
    weekly = stored_report(workspace, pdf_pages=1)
    monthly = stored_report(
        workspace, kind="monthly", first_day=datetime.date(2026, 2, 1), last_day=datetime.date(2026, 2, 28)
    )
    pending = Report.objects.create(
        workspace=workspace,
        kind="daily",
        first_day=datetime.date(2026, 3, 16),
        last_day=datetime.date(2026, 3, 16),
        scope_name=workspace.name,
        language="en",
    )

    listed = api.get(PATH).json()
    assert listed["count"] == 3
    assert [item["id"] for item in listed["items"]] == [pending.pk, monthly.pk, weekly.pk]  # newest first
    assert [item["id"] for item in api.get(PATH, {"kind": "monthly"}).json()["items"]] == [monthly.pk]
    one = api.get(f"{PATH}/{weekly.pk}").json()
    assert (one["kind"], one["first_day"], one["last_day"], one["status"], one["delivered_to"]) == (
        "weekly",
        "2026-03-09",
        "2026-03-15",
        "delivered",
        ["boss@example.com"],
    )
    assert one["pdf_url"] == f"/api/v1/analytics/reports/{weekly.pk}/pdf"
    assert api.get(f"{PATH}/{pending.pk}").json()["pdf_url"] == ""

    page = api.get(f"{PATH}/{weekly.pk}/html")
    assert page.status_code == 200
    assert page["Content-Type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in page["Content-Security-Policy"]
    assert "<h1>Weekly report</h1>" in page.content.decode()
    pdf = api.get(f"{PATH}/{weekly.pk}/pdf")
    assert (pdf.status_code, pdf["Content-Type"], pdf.content) == (200, "application/pdf", b"%PDF-1.7 stored")
    assert pdf["Content-Disposition"] == 'attachment; filename="report-2026-03-09-2026-03-15.pdf"'
    assert api.get(f"{PATH}/{pending.pk}/pdf").status_code == 404
    assert api.get(f"{PATH}/{pending.pk}/html").status_code == 404


def test_a_report_asked_for_now_is_made_in_the_background(
    fixture: Workspace, django_capture_on_commit_callbacks: Any
) -> None:
    api, analyst = client_for(Role.ANALYST, fixture)

    with django_capture_on_commit_callbacks(execute=True):
        asked = api.post(PATH, {"kind": "weekly", "day": "2026-03-12"})

    assert asked.status_code == 202
    report = Report.objects.get(pk=asked.json()["id"])
    assert (report.first_day, report.last_day, report.requested_by_id) == (
        datetime.date(2026, 3, 9),
        datetime.date(2026, 3, 15),
        analyst.user_id,
    )
    made = api.get(f"{PATH}/{report.pk}").json()
    assert made["status"] == ReportStatus.READY  # no recipients: stored, not e-mailed
    assert f"Weekly report for {fixture.name}" in api.get(f"{PATH}/{report.pk}/html").content.decode()
    pdf = api.get(f"{PATH}/{report.pk}/pdf")
    assert pdf.content.startswith(b"%PDF")
    assert made["pdf_pages"] >= 1
    assert AuditEvent.objects.filter(workspace=fixture, action="analytics.report.request").count() == 1


def test_bad_requests_are_named_and_bounded(workspace: Workspace) -> None:
    api, _member = client_for(Role.ANALYST, workspace)

    future = api.post(PATH, {"kind": "daily", "day": "2999-01-01"})
    assert future.status_code == 422
    assert [error["field"] for error in future.json()["detail"]] == ["day"]
    assert api.post(PATH, {"kind": "daily", "day": "0001-01-01"}).status_code == 422
    assert api.post(PATH, {"kind": "hourly"}).status_code == 422
    bad_address = api.post(PATH, {"kind": "daily", "recipients": ["ok@example.com", "nope"]})
    assert bad_address.status_code == 422
    assert "recipients" in bad_address.content.decode()
    assert api.post(PATH, {"kind": "daily", "recipients": [f"r{n}@example.com" for n in range(51)]}).status_code == 422
    assert api.post(PATH, {"kind": "daily", "region_id": 2**63}).status_code == 422
    assert api.get(PATH, {"kind": "hourly"}).status_code == 422
    assert api.get(f"{PATH}/{2**63}").status_code == 422
    assert api.get(f"{PATH}/999999").status_code == 404
    assert not Report.objects.exists()


@pytest.mark.parametrize("role", list(Role))
def test_roles(workspace: Workspace, role: Role) -> None:
    report = stored_report(workspace)
    api, _member = client_for(role, workspace)

    may_view, may_manage = role_allows(role, Action.ANALYTICS_VIEW), role_allows(role, Action.REPORTS_MANAGE)
    assert api.get(PATH).status_code == (200 if may_view else 403)
    assert api.get(f"{PATH}/{report.pk}/pdf").status_code == (200 if may_view else 403)
    assert api.post(PATH, {"kind": "daily"}).status_code == (202 if may_manage else 403)


def test_regions_and_other_workspaces(workspace: Workspace) -> None:
    norway, sweden = make_region(workspace, "Norway"), make_region(workspace, "Sweden")
    whole = stored_report(workspace)
    swedish = stored_report(workspace, region=sweden, kind="daily")
    norwegian = stored_report(workspace, region=norway, kind="monthly")
    limited = make_member(workspace, role=Role.ANALYST)
    limited.regions.add(norway)
    api = ApiClient(token_for(limited))

    assert [item["id"] for item in api.get(PATH).json()["items"]] == [norwegian.pk]
    for hidden in (whole, swedish):
        assert api.get(f"{PATH}/{hidden.pk}").status_code == 404
        assert api.get(f"{PATH}/{hidden.pk}/pdf").status_code == 404
    assert api.post(PATH, {"kind": "daily", "region_id": sweden.pk}).status_code in {403, 404, 422}
    assert api.post(PATH, {"kind": "daily"}).status_code in {403, 422}  # not workspace-wide
    assert api.post(PATH, {"kind": "daily", "region_id": norway.pk}).status_code == 202

    stranger_api, _stranger = client_for(Role.ADMIN)
    assert stranger_api.get(PATH).json()["items"] == []
    assert stranger_api.get(f"{PATH}/{whole.pk}/html").status_code == 404
