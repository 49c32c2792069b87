"""The analytics REST API under /api/v1/analytics: every KPI with its formula for a range of days (the
workspace's, in its time zone) and a scope (region with its spokes, network), compared with the
previous period, and each chart's numbers, report schedules and the report archive. Thin handlers
over the dashboard's own reads and the report services; reading needs ``analytics.view``, changing
schedules ``reports.manage``, and a member limited to some regions sees only those (and their
spokes)."""

import datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from pappus.analytics import kpis, report_services, selectors
from pappus.analytics.models import Report, ReportSchedule
from pappus.analytics.report_views import REPORT_POLICY
from pappus.analytics.views import dashboard_scope
from pappus.core.api import ObjectId, Pagination, PositiveId, Text, actor_of, error_responses, member_of
from pappus.core.models import Membership
from pappus.core.permissions import Action
from pappus.publishing import facade as publishing_facade

router = Router(tags=["analytics"])


class ScopeOut(Schema):
    first_day: datetime.date
    last_day: datetime.date
    previous_first_day: datetime.date = Field(description="The previous period: as many days just before.")
    previous_last_day: datetime.date
    region_ids: list[int] | None = Field(description="The regions counted (with spokes); null: the whole workspace.")
    networks: list[str]


class KpiOut(Schema):
    key: str
    label: str
    formula: str = Field(description="How the value is computed, as the dashboard shows it.")
    unit: Literal["count", "percent", "hours"]
    value: float | None = Field(description="null: nothing to compute from in the period.")
    previous: float | None
    change: float | None = Field(description="value - previous (percentage points for percentages).")
    higher_is_better: bool
    filtered_by_network: bool = Field(description="false: the network filter does not apply to this KPI.")
    filtered_by_region: bool = Field(description="false: a region's view has no value (the figure is the workspace's).")


class KpisOut(Schema):
    scope: ScopeOut
    kpis: list[KpiOut]


class ColumnOut(Schema):
    name: str
    heading: str


class SeriesOut(Schema):
    key: str
    title: str
    scope: ScopeOut
    columns: list[ColumnOut]
    rows: list[dict[str, Any]] = Field(description="One object per row, keyed by the columns' names.")


class SeriesInfoOut(Schema):
    key: str
    title: str


def _scope(
    request: HttpRequest,
    start: datetime.date | None,
    end: datetime.date | None,
    region: int | None,
    network: str,
) -> kpis.Scope:
    membership: Membership = member_of(request, Action.ANALYTICS_VIEW)
    query = {
        name: str(value)
        for name, value in (("start", start), ("end", end), ("region", region), ("network", network))
        if value not in {None, ""}
    }
    form, scope = dashboard_scope(query, membership)
    if scope is None:
        raise ValidationError({name: list(messages) for name, messages in form.errors.items()})
    return scope


def _scope_out(scope: kpis.Scope) -> dict[str, Any]:
    previous = scope.previous()
    return {
        "first_day": scope.first_day,
        "last_day": scope.last_day,
        "previous_first_day": previous.first_day,
        "previous_last_day": previous.last_day,
        "region_ids": list(scope.region_ids) if scope.region_ids is not None else None,
        "networks": list(scope.networks),
    }


FILTERS_HELP = (
    "Filters: `start` and `end` (days in the workspace's time zone, inclusive; default the last 28 days, "
    "at most 366), `region` "
    "(a region id: it and its spokes) and `network`."
)


@router.get(
    "/analytics/kpis",
    response={200: KpisOut, **error_responses()},
    summary="Every KPI for a period, with the previous period",
    description=FILTERS_HELP,
)
def kpi_values(
    request: HttpRequest,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    region: PositiveId | None = None,
    network: str = "",
) -> dict[str, Any]:
    scope = _scope(request, start, end, region, network)
    with kpis.shared_reads():
        found = kpis.evaluate(scope)
    return {
        "scope": _scope_out(scope),
        "kpis": [
            {
                "key": item.kpi.key,
                "label": str(item.kpi.label),
                "formula": str(item.kpi.formula),
                "unit": item.kpi.unit,
                "value": item.value,
                "previous": item.previous,
                "change": item.change,
                "higher_is_better": item.kpi.higher_is_better,
                "filtered_by_network": item.kpi.filtered_by_network,
                "filtered_by_region": item.kpi.filtered_by_region,
            }
            for item in found
        ],
    }


@router.get(
    "/analytics/series",
    response={200: list[SeriesInfoOut], **error_responses()},
    summary="The charts whose numbers can be read",
)
def series_list(request: HttpRequest) -> list[dict[str, str]]:
    member_of(request, Action.ANALYTICS_VIEW)
    return [{"key": key, "title": str(selectors.DATASET_TITLES[key])} for key in selectors.DATASET_KEYS]


@router.get(
    "/analytics/series/{key}",
    response={200: SeriesOut, **error_responses(404)},
    summary="One chart's numbers for a period",
    description=FILTERS_HELP,
)
def series(  # noqa: PLR0917 - ninja reads the query parameters from the signature
    request: HttpRequest,
    key: str,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    region: PositiveId | None = None,
    network: str = "",
) -> dict[str, Any]:
    if key not in selectors.DATASET_KEYS:
        raise Http404(key)
    scope = _scope(request, start, end, region, network)
    data = selectors.dataset(key, scope, content_type_labels=publishing_facade.content_type_labels())
    return {
        "key": data.key,
        "title": str(data.title),
        "scope": _scope_out(scope),
        "columns": [{"name": name, "heading": str(heading)} for name, heading in data.columns],
        "rows": data.rows,
    }


# --- report schedules -----------------------------------------------------------------------------


class ScheduleOut(Schema):
    id: int
    name: str
    kind: str = Field(description="daily, weekly or monthly.")
    region_id: int | None = Field(
        description="The region whose report (with its spokes) it makes; null: the workspace."
    )
    recipients: list[str]
    language: str = Field(description="Blank: the workspace's language.")
    enabled: bool
    created_at: datetime.datetime


class ScheduleIn(Schema):
    """The whole schedule (a PUT replaces every field)."""

    name: Text = Field(min_length=1, max_length=200)
    kind: Literal["daily", "weekly", "monthly"]
    region_id: PositiveId | None = None
    recipients: list[Text] = Field(min_length=1, max_length=50, description="E-mail addresses, 1 to 50.")
    language: Text = Field("", max_length=10, description="A language Pappus speaks (en, ru, nb, zh-hans) or blank.")
    enabled: bool = True


def _schedule_out(schedule: ReportSchedule) -> dict[str, Any]:
    return {
        "id": schedule.pk,
        "name": schedule.name,
        "kind": schedule.kind,
        "region_id": schedule.region_id,
        "recipients": list(schedule.recipients),
        "language": schedule.language,
        "enabled": schedule.enabled,
        "created_at": schedule.created_at,
    }


@router.get(
    "/analytics/report-schedules",
    response={200: list[ScheduleOut], **error_responses()},
    summary="Report schedules",
    description="A member limited to regions sees those regions' schedules only.",
)
@paginate(Pagination)
def schedule_list(request: HttpRequest) -> QuerySet[ReportSchedule]:
    membership = member_of(request, Action.ANALYTICS_VIEW)
    return report_services.visible_schedules(membership).order_by("name", "id")


@router.get(
    "/analytics/report-schedules/{schedule_id}",
    response={200: ScheduleOut, **error_responses(404)},
    summary="One report schedule",
)
def schedule_get(request: HttpRequest, schedule_id: ObjectId) -> dict[str, Any]:
    membership = member_of(request, Action.ANALYTICS_VIEW)
    return _schedule_out(report_services.visible_schedules(membership).get(pk=schedule_id))


@router.post(
    "/analytics/report-schedules",
    response={201: ScheduleOut, **error_responses()},
    summary="Schedule a report",
    description="Needs reports.manage. The report of each whole period (days in the workspace's time zone) "
    "is made once and e-mailed.",
)
def schedule_create(request: HttpRequest, payload: ScheduleIn) -> Status[dict[str, Any]]:
    membership = member_of(request, Action.REPORTS_MANAGE)
    schedule = report_services.schedule_save(
        actor=actor_of(request, membership), membership=membership, **payload.model_dump()
    )
    return Status(201, _schedule_out(schedule))


@router.put(
    "/analytics/report-schedules/{schedule_id}",
    response={200: ScheduleOut, **error_responses(404)},
    summary="Change a report schedule (every field)",
)
def schedule_update(request: HttpRequest, schedule_id: ObjectId, payload: ScheduleIn) -> dict[str, Any]:
    membership = member_of(request, Action.REPORTS_MANAGE)
    schedule = report_services.schedule_save(
        actor=actor_of(request, membership), membership=membership, schedule_id=schedule_id, **payload.model_dump()
    )
    return _schedule_out(schedule)


@router.delete(
    "/analytics/report-schedules/{schedule_id}",
    response={204: None, **error_responses(404)},
    summary="Delete a report schedule (its reports stay in the archive)",
)
def schedule_delete(request: HttpRequest, schedule_id: ObjectId) -> Status[None]:
    membership = member_of(request, Action.REPORTS_MANAGE)
    report_services.schedule_delete(actor=actor_of(request, membership), membership=membership, schedule_id=schedule_id)
    return Status(204, None)


# --- the report archive ---------------------------------------------------------------------------


class ReportOut(Schema):
    id: int
    kind: str = Field(description="daily, weekly or monthly.")
    first_day: datetime.date
    last_day: datetime.date
    region_id: int | None = Field(description="The region reported on (with its spokes); null: the workspace.")
    scope_name: str
    language: str
    status: str = Field(description="generating, ready, delivered or failed.")
    failure: str = Field(description="Why generation or delivery failed; blank otherwise.")
    schedule_id: int | None = Field(description="The schedule that made it; null: made on request.")
    recipients: list[str]
    delivered_to: list[str]
    pdf_pages: int
    created_at: datetime.datetime
    generated_at: datetime.datetime | None
    html_url: str = Field("", description="The report as an HTML page (API path); blank until generated.")
    pdf_url: str = Field("", description="The report as a PDF (API path); blank until generated.")

    @staticmethod
    def resolve_html_url(report: Report) -> str:
        return f"/api/v1/analytics/reports/{report.pk}/html" if report.generated_at else ""

    @staticmethod
    def resolve_pdf_url(report: Report) -> str:
        return f"/api/v1/analytics/reports/{report.pk}/pdf" if report.pdf_pages else ""


class ReportFilter(Schema):
    kind: Literal["daily", "weekly", "monthly"] | None = None


class ReportRequestIn(Schema):
    kind: Literal["daily", "weekly", "monthly"]
    region_id: PositiveId | None = Field(None, description="A region (with its spokes); null: the workspace.")
    day: datetime.date | None = Field(
        None,
        description="A day in the period to report on, before today; null: the latest whole period.",
    )
    language: Text = Field("", max_length=10, description="en, ru, nb, zh-hans, or blank: the workspace's.")
    recipients: list[Text] = Field(
        default_factory=list, max_length=50, description="E-mail addresses to send it to (at most 50); may be empty."
    )


@router.get(
    "/analytics/reports",
    response={200: list[ReportOut], **error_responses()},
    summary="The report archive, newest first",
    description="A member limited to regions sees those regions' reports only. Filter by `kind`.",
)
@paginate(Pagination)
def report_list(request: HttpRequest, filters: Query[ReportFilter]) -> QuerySet[Report]:
    membership = member_of(request, Action.ANALYTICS_VIEW)
    rows = report_services.visible_reports(membership)
    return rows.filter(kind=filters.kind) if filters.kind else rows


@router.get("/analytics/reports/{report_id}", response={200: ReportOut, **error_responses(404)}, summary="One report")
def report_get(request: HttpRequest, report_id: ObjectId) -> Report:
    membership = member_of(request, Action.ANALYTICS_VIEW)
    return report_services.visible_reports(membership).get(pk=report_id)


@router.post(
    "/analytics/reports",
    response={202: ReportOut, **error_responses()},
    summary="Generate a report now",
    description="Needs reports.manage. The report is made in the background; read it back by its id until "
    "its status is ready (or delivered, with recipients).",
)
def report_request(request: HttpRequest, payload: ReportRequestIn) -> Status[Report]:
    membership = member_of(request, Action.REPORTS_MANAGE)
    report = report_services.report_request(
        actor=actor_of(request, membership), membership=membership, **payload.model_dump()
    )
    return Status(202, report)


def _generated(request: HttpRequest, report_id: int) -> Report:
    membership = member_of(request, Action.ANALYTICS_VIEW)
    return report_services.report_for(membership, report_id)


@router.get(
    "/analytics/reports/{report_id}/html",
    response={200: None, **error_responses(404)},
    summary="A report as an HTML page (charts as SVG)",
)
def report_html(request: HttpRequest, report_id: ObjectId) -> HttpResponse:
    report = _generated(request, report_id)
    if not report.html:
        raise Http404
    response = HttpResponse(report.html, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = REPORT_POLICY
    return response


@router.get(
    "/analytics/reports/{report_id}/pdf",
    response={200: None, **error_responses(404)},
    summary="A report as a PDF",
)
def report_pdf(request: HttpRequest, report_id: ObjectId) -> HttpResponse:
    report = _generated(request, report_id)
    if not report.pdf:
        raise Http404
    response = HttpResponse(bytes(report.pdf), content_type="application/pdf")
    name = report_services.PDF_FILENAME.format(first=report.first_day.isoformat(), last=report.last_day.isoformat())
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
