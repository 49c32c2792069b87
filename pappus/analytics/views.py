"""The analytics dashboard and every chart's numbers as CSV or XLSX. Everything needs ``analytics.view``;
a member limited to some regions sees only those regions (with their spokes)."""

from __future__ import annotations

import datetime
import io
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from openpyxl import Workbook

from pappus.analytics import charts, kpis, selectors
from pappus.analytics.forms import DashboardForm
from pappus.connectors import facade as connector_facade
from pappus.core import exports
from pappus.core.models import Membership
from pappus.core.permissions import Action
from pappus.core.timezones import zone_named
from pappus.core.views import member_required
from pappus.publishing import facade as publishing_facade

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _scope(request: HttpRequest, membership: Membership) -> tuple[DashboardForm, kpis.Scope | None]:
    return dashboard_scope(request.GET, membership)


def dashboard_scope(query: Mapping[str, Any], membership: Membership) -> tuple[DashboardForm, kpis.Scope | None]:
    """The dashboard's filters (page and API alike) as a scope the member may see; the form carries
    the errors when the filters are bad (scope None). A region outside the member's regions: 403."""
    regions, allowed = selectors.visible_regions(membership)
    networks = [(profile.network, profile.label) for profile in connector_facade.network_profiles()]
    zone = zone_named(membership.workspace.time_zone or "UTC")
    form = DashboardForm(
        query or None,
        regions=[(region.pk, region.name) for region in regions],
        networks=networks,
        all_regions_allowed=allowed is None,
        time_zone=zone,
    )
    if not form.is_bound:
        form = DashboardForm(
            {},
            regions=[(region.pk, region.name) for region in regions],
            networks=networks,
            all_regions_allowed=allowed is None,
            time_zone=zone,
        )
    if not form.is_valid():
        return form, None
    data = form.cleaned_data
    region_ids: set[int] | None = allowed
    if data.get("region") is not None:
        _regions, children = selectors.region_tree(membership.workspace_id)
        chosen = selectors.with_spokes([data["region"]], children)
        region_ids = chosen if allowed is None else chosen & allowed
        if not region_ids:
            raise PermissionDenied(_("This region is outside the regions you work in."))
    scope = kpis.Scope(
        workspace_id=membership.workspace_id,
        first_day=data["start"],
        last_day=data["end"],
        region_ids=tuple(sorted(region_ids)) if region_ids is not None else None,
        networks=(data["network"],) if data.get("network") else (),
        time_zone=str(zone),
    )
    return form, scope


def _display(value: float | None, unit: str, *, signed: bool = False) -> str:
    if value is None:
        return "—"
    sign = "+" if signed and value > 0 else ""
    if unit == "percent":
        text = formats.number_format(round(value, 1), 1, use_l10n=True)
        return f"{sign}{text} {_('pp') if signed else '%'}"
    if unit == "hours":
        return f"{sign}{formats.number_format(round(value, 1), 1, use_l10n=True)} {_('h')}"
    return f"{sign}{formats.number_format(round(value), 0, use_l10n=True, force_grouping=True)}"


@require_GET
@member_required(Action.ANALYTICS_VIEW)
def dashboard(request: HttpRequest, membership: Membership) -> HttpResponse:
    form, scope = _scope(request, membership)
    context: dict[str, Any] = {"form": form, "page_title": _("Analytics")}
    if scope is not None:
        with kpis.shared_reads():
            context.update(_dashboard_numbers(request, membership, scope))
    return render(request, "analytics/dashboard.html", context, status=200 if scope is not None else 400)


def _dashboard_numbers(request: HttpRequest, membership: Membership, scope: kpis.Scope) -> dict[str, Any]:
    context: dict[str, Any] = {}
    labels = publishing_facade.content_type_labels()
    values = kpis.evaluate(scope)
    context["scope"] = scope
    context["previous"] = scope.previous()
    context["kpis"] = [
        {
            "key": item.kpi.key,
            "label": item.kpi.label,
            "formula": item.kpi.formula,
            "value": _display(item.value, item.kpi.unit),
            "previous": _display(item.previous, item.kpi.unit),
            "change": _display(item.change, item.kpi.unit, signed=True),
            "improved": item.improved,
            "network_note": bool(scope.networks) and not item.kpi.filtered_by_network,
            "region_note": scope.region_ids is not None and not item.kpi.filtered_by_region,
        }
        for item in values
    ]
    query = request.GET.urlencode()
    context["charts"] = []
    for key in selectors.DATASET_KEYS:
        data = selectors.dataset(key, scope, content_type_labels=labels)
        context["charts"].append(
            {
                "key": key,
                "spec_id": f"chart-{key}",
                "title": data.title,
                "spec": charts.chart_for(data),
                "empty": not data.rows,
                "csv_url": reverse("analytics:export", args=[key]) + (f"?{query}" if query else ""),
                "xlsx_url": reverse("analytics:export_xlsx", args=[key]) + (f"?{query}" if query else ""),
            }
        )
    context["problems"] = selectors.collection_problems(
        membership.workspace_id, since=timezone.now() - datetime.timedelta(hours=24)
    )
    return context


def _export_data(
    request: HttpRequest, membership: Membership, key: str
) -> tuple[selectors.Dataset, str] | HttpResponse:
    """The chart's dataset and a file name without extension, or a 400 answer naming each bad filter."""
    if key not in selectors.DATASET_KEYS:
        raise Http404
    form, scope = _scope(request, membership)
    if scope is None:
        errors = "; ".join(
            f"{name}: {' '.join(str(message) for message in messages)}" for name, messages in form.errors.items()
        )
        return HttpResponse(errors, status=400, content_type="text/plain; charset=utf-8")
    data = selectors.dataset(key, scope, content_type_labels=publishing_facade.content_type_labels())
    return data, f"{key}-{scope.first_day.isoformat()}-{scope.last_day.isoformat()}"


@require_GET
@member_required(Action.ANALYTICS_VIEW)
def export_csv(request: HttpRequest, membership: Membership, key: str) -> HttpResponse | StreamingHttpResponse:
    found = _export_data(request, membership, key)
    if isinstance(found, HttpResponse):
        return found
    data, name = found
    header = [str(heading) for _name, heading in data.columns]
    response = StreamingHttpResponse(exports.csv_lines([header, *data.table()]), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response


@require_GET
@member_required(Action.ANALYTICS_VIEW)
def export_xlsx(request: HttpRequest, membership: Membership, key: str) -> HttpResponse:
    found = _export_data(request, membership, key)
    if isinstance(found, HttpResponse):
        return found
    data, name = found
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(data.title)[:31])
    sheet.append([str(heading) for _name, heading in data.columns])
    for row in data.table():
        # Text that starts like a formula stays text, as in the CSV (a spreadsheet would run it).
        sheet.append([exports.spreadsheet_safe(cell) if isinstance(cell, str) else cell for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
    return response
