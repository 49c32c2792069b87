"""The report archive by role and region: who sees reports, who manages schedules and generates now;
each report as HTML (shown with a policy that runs nothing) and as a PDF download."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from pappus.analytics.models import Report, ReportSchedule, ReportStatus
from pappus.core.models import AuditEvent, Membership, Region, Workspace
from pappus.core.permissions import Action, Role, role_allows
from pappus.core.tests.factories import make_member, make_region, make_workspace

pytestmark = pytest.mark.django_db


def signed_in(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def stored_report(workspace: Workspace, *, region: Region | None = None, **fields: Any) -> Report:
    """An archived report as generation leaves it (the rendering itself is tested in test_reports)."""
    return Report.objects.create(
        workspace=workspace,
        kind="weekly",
        first_day=datetime.date(2026, 3, 9),
        last_day=datetime.date(2026, 3, 15),
        region_id=region.pk if region else None,
        scope_name=region.name if region else workspace.name,
        language="en",
        status=ReportStatus.DELIVERED,
        html="<!doctype html><title>Weekly report</title><h1>Weekly report</h1>",
        pdf=b"%PDF-1.7 stored",
        generated_at=datetime.datetime(2026, 3, 17, tzinfo=datetime.UTC),
        delivered_to=["boss@example.com"],
        **fields,
    )


@pytest.mark.parametrize("role", list(Role))
def test_who_sees_the_archive_and_who_manages_schedules(workspace: Workspace, role: Role) -> None:
    member = make_member(workspace, role)
    client = signed_in(member)
    report = stored_report(workspace)

    archive = client.get(reverse("analytics:reports"))
    document = client.get(reverse("analytics:report", args=[report.pk]))
    created = client.post(
        reverse("analytics:report_schedule_create"),
        {"name": "Weekly", "kind": "weekly", "recipients": "boss@example.com", "enabled": "on"},
    )

    may_view = role_allows(role, Action.ANALYTICS_VIEW)
    may_manage = role_allows(role, Action.REPORTS_MANAGE)
    assert archive.status_code == (200 if may_view else 403)
    assert document.status_code == (200 if may_view else 403)
    assert created.status_code == (302 if may_manage else 403)
    assert ReportSchedule.objects.filter(workspace=workspace).exists() is may_manage
    if may_view:
        assert ("Generate now" in archive.content.decode()) is may_manage
        assert "boss@example.com" in archive.content.decode()  # delivered to


def test_reports_are_managed_and_managing_is_audited(workspace: Workspace) -> None:
    analyst = make_member(workspace, Role.ANALYST)
    client = signed_in(analyst)

    refused = client.post(
        reverse("analytics:report_schedule_create"),
        {"name": "Weekly", "kind": "weekly", "recipients": "boss@example.com\nnot-an-address", "enabled": "on"},
    )
    assert refused.status_code == 400
    assert "recipient 2 (not-an-address) is not an e-mail address" in refused.content.decode()

    created = client.post(
        reverse("analytics:report_schedule_create"),
        {"name": "Weekly", "kind": "weekly", "recipients": "boss@example.com, cfo@example.com", "language": "ru"},
    )
    assert created.status_code == 302
    schedule = ReportSchedule.objects.get(workspace=workspace)
    assert (schedule.recipients, schedule.language, schedule.enabled) == (
        ["boss@example.com", "cfo@example.com"],
        "ru",
        False,  # the box was not ticked
    )
    edited = client.post(
        reverse("analytics:report_schedule", args=[schedule.pk]),
        {"name": "Weekly (board)", "kind": "monthly", "recipients": "boss@example.com", "enabled": "on"},
    )
    assert edited.status_code == 302
    schedule.refresh_from_db()
    assert (schedule.name, schedule.kind, schedule.enabled) == ("Weekly (board)", "monthly", True)
    deleted = client.post(reverse("analytics:report_schedule_delete", args=[schedule.pk]))
    assert deleted.status_code == 302
    assert not ReportSchedule.objects.exists()
    assert list(
        AuditEvent.objects.filter(workspace=workspace, action__startswith="analytics.report_schedule")
        .order_by("id")
        .values_list("action", flat=True)
    ) == [
        "analytics.report_schedule.create",
        "analytics.report_schedule.update",
        "analytics.report_schedule.delete",
    ]


def test_a_report_is_shown_as_html_with_nothing_to_run_and_downloaded_as_pdf(workspace: Workspace) -> None:
    client = signed_in(make_member(workspace, Role.EXECUTIVE))
    report = stored_report(workspace)

    page = client.get(reverse("analytics:report", args=[report.pk]))
    pdf = client.get(reverse("analytics:report_pdf", args=[report.pk]))
    other = stored_report(make_workspace())

    assert page.status_code == 200
    assert "<h1>Weekly report</h1>" in page.content.decode()
    assert "default-src 'none'" in page["Content-Security-Policy"]
    assert (pdf.status_code, pdf["Content-Type"], pdf.content) == (200, "application/pdf", b"%PDF-1.7 stored")
    assert pdf["Content-Disposition"] == 'attachment; filename="report-2026-03-09-2026-03-15.pdf"'
    assert client.get(reverse("analytics:report", args=[other.pk])).status_code == 404
    assert client.get(reverse("analytics:report_pdf", args=[other.pk])).status_code == 404


def test_a_member_limited_to_a_region_sees_and_makes_only_that_regions_reports(workspace: Workspace) -> None:
    norway, sweden = make_region(workspace, "Norway"), make_region(workspace, "Sweden")
    limited = make_member(workspace, Role.ANALYST)
    limited.regions.add(norway)
    client = signed_in(limited)
    own, outside, everything = stored_report(workspace, region=norway), stored_report(workspace, region=sweden), None
    everything = stored_report(workspace)

    archive = client.get(reverse("analytics:reports")).content.decode()

    assert f'data-report="{own.pk}"' in archive
    assert f'data-report="{outside.pk}"' not in archive
    assert f'data-report="{everything.pk}"' not in archive
    assert client.get(reverse("analytics:report", args=[outside.pk])).status_code == 404
    assert client.get(reverse("analytics:report_pdf", args=[everything.pk])).status_code == 404
    refused = client.post(
        reverse("analytics:report_schedule_create"),
        {"name": "Sweden", "kind": "daily", "region": sweden.pk, "recipients": "a@example.com"},
    )
    assert refused.status_code == 400  # Sweden is not among the choices
    assert not ReportSchedule.objects.exists()
    allowed = client.post(
        reverse("analytics:report_schedule_create"),
        {"name": "Norway", "kind": "daily", "region": norway.pk, "recipients": "a@example.com"},
    )
    assert allowed.status_code == 302


def test_generate_now_makes_the_report_in_the_background(
    fixture: Workspace, django_capture_on_commit_callbacks: Any
) -> None:
    analyst = make_member(fixture, Role.ANALYST)
    client = signed_in(analyst)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("analytics:report_generate"), {"kind": "weekly", "day": "2026-03-12"})

    assert response.status_code == 302
    report = Report.objects.get(workspace=fixture)
    assert (report.first_day, report.last_day, report.schedule_id) == (
        datetime.date(2026, 3, 9),
        datetime.date(2026, 3, 15),
        None,
    )
    assert report.status == ReportStatus.READY  # no recipients: stored, not e-mailed
    assert report.requested_by_id == analyst.user_id
    page = client.get(reverse("analytics:report", args=[report.pk])).content.decode()
    assert f"Weekly report for {fixture.name}" in page
    archive = client.get(reverse("analytics:reports")).content.decode()
    assert reverse("analytics:report_pdf", args=[report.pk]) in archive
    future = client.post(reverse("analytics:report_generate"), {"kind": "daily", "day": "2999-01-01"})
    assert future.status_code == 400
    assert "Choose a day before today." in future.content.decode()
