"""The report archive: generated reports (viewable as HTML, downloadable as PDF), report schedules and
the generate-now button. Seeing reports needs ``analytics.view``; schedules and generating need
``reports.manage``. A member limited to regions sees and manages only their regions' reports."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pappus.analytics import report_services, selectors
from pappus.analytics.models import Report, ReportSchedule
from pappus.analytics.report_forms import ReportNowForm, ReportScheduleForm, split_addresses
from pappus.core.models import Membership
from pappus.core.permissions import Action, role_allows
from pappus.core.views import actor_of, member_required

# The stored report is a whole document: shown as it is, with nothing able to run or load in it.
REPORT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"


def _region_options(membership: Membership) -> dict[str, Any]:
    regions, allowed = selectors.visible_regions(membership)
    return {"regions": [(region.pk, region.name) for region in regions], "all_regions_allowed": allowed is None}


def _apply_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


def _archive(
    request: HttpRequest,
    membership: Membership,
    *,
    schedule_form: ReportScheduleForm | None = None,
    now_form: ReportNowForm | None = None,
    status: int = 200,
) -> HttpResponse:
    options = _region_options(membership)
    can_manage = role_allows(membership.role, Action.REPORTS_MANAGE)
    page = Paginator(report_services.visible_reports(membership), 50).get_page(request.GET.get("page"))
    context = {
        "page_title": _("Reports"),
        "page": page,
        "schedules": list(report_services.visible_schedules(membership)),
        "can_manage": can_manage,
        "schedule_form": schedule_form or ReportScheduleForm(**options),
        "now_form": now_form or ReportNowForm(**options),
    }
    return render(request, "analytics/reports/archive.html", context, status=status)


@require_GET
@member_required(Action.ANALYTICS_VIEW)
def archive(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _archive(request, membership)


@require_POST
@member_required(Action.REPORTS_MANAGE)
def generate_now(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = ReportNowForm(request.POST, **_region_options(membership))
    if form.is_valid():
        data = form.cleaned_data
        try:
            report = report_services.report_request(
                actor=actor_of(request),
                membership=membership,
                kind=data["kind"],
                region_id=data["region"],
                language=data["language"],
                day=data["day"],
                recipients=split_addresses(data["recipients"]),
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(
                request,
                _("The report is being generated; it appears here when it is ready (report %(id)s).")
                % {"id": report.pk},
            )
            return redirect("analytics:reports")
    return _archive(request, membership, now_form=form, status=400)


@require_http_methods(["GET", "POST"])
@member_required(Action.REPORTS_MANAGE)
def schedule_edit(request: HttpRequest, membership: Membership, schedule_id: int | None = None) -> HttpResponse:
    options = _region_options(membership)
    schedule: ReportSchedule | None = None
    if schedule_id is not None:
        schedule = report_services.visible_schedules(membership).filter(pk=schedule_id).first()
        if schedule is None:
            raise Http404
    if request.method == "GET":
        if schedule is None:
            return redirect("analytics:reports")
        form = ReportScheduleForm(
            initial={
                "name": schedule.name,
                "kind": schedule.kind,
                "region": schedule.region_id,
                "recipients": "\n".join(schedule.recipients),
                "language": schedule.language,
                "enabled": schedule.enabled,
            },
            **options,
        )
        return render(
            request,
            "analytics/reports/schedule.html",
            {"form": form, "schedule": schedule, "page_title": schedule.name},
        )
    form = ReportScheduleForm(request.POST, **options)
    if form.is_valid():
        data = form.cleaned_data
        try:
            saved = report_services.schedule_save(
                actor=actor_of(request),
                membership=membership,
                name=data["name"],
                kind=data["kind"],
                region_id=data["region"],
                recipients=split_addresses(data["recipients"]),
                language=data["language"],
                enabled=data["enabled"],
                schedule_id=schedule.pk if schedule else None,
            )
        except ValidationError as error:
            _apply_errors(form, error)
        else:
            messages.success(request, _("Report schedule “%(name)s” saved.") % {"name": saved.name})
            return redirect("analytics:reports")
    if schedule is not None:
        return render(
            request,
            "analytics/reports/schedule.html",
            {"form": form, "schedule": schedule, "page_title": schedule.name},
            status=400,
        )
    return _archive(request, membership, schedule_form=form, status=400)


@require_POST
@member_required(Action.REPORTS_MANAGE)
def schedule_delete(request: HttpRequest, membership: Membership, schedule_id: int) -> HttpResponse:
    try:
        report_services.schedule_delete(actor=actor_of(request), membership=membership, schedule_id=schedule_id)
    except ReportSchedule.DoesNotExist as error:
        raise Http404 from error
    messages.success(request, _("Report schedule deleted; its reports stay in the archive."))
    return redirect("analytics:reports")


def _report(membership: Membership, report_id: int) -> Report:
    try:
        return report_services.report_for(membership, report_id)
    except Report.DoesNotExist as error:
        raise Http404 from error


@require_GET
@member_required(Action.ANALYTICS_VIEW)
def report_page(request: HttpRequest, membership: Membership, report_id: int) -> HttpResponse:
    report = _report(membership, report_id)
    if not report.html:
        return render(
            request, "analytics/reports/pending.html", {"report": report, "page_title": _("Report")}, status=404
        )
    response = HttpResponse(report.html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = REPORT_POLICY
    return response


@require_GET
@member_required(Action.ANALYTICS_VIEW)
def report_pdf(request: HttpRequest, membership: Membership, report_id: int) -> HttpResponse:
    report = _report(membership, report_id)
    if not report.pdf:
        raise Http404(_("This report has no PDF (yet)."))
    response = HttpResponse(bytes(report.pdf), content_type="application/pdf")
    name = report_services.PDF_FILENAME.format(first=report.first_day.isoformat(), last=report.last_day.isoformat())
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
