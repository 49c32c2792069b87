"""The analytics REST API under /api/v1/analytics: every KPI with its formula for a range of UTC
days and a scope (region with its spokes, network), compared with the previous period, and each
chart's numbers. Thin handlers over the dashboard's own reads; everything needs ``analytics.view``,
and a member limited to some regions sees only those (and their spokes)."""

from __future__ import annotations

import datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema

from pappus.analytics import kpis, selectors
from pappus.analytics.views import dashboard_scope
from pappus.core.api import PositiveId, error_responses, member_of
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
    "Filters: `start` and `end` (UTC days, inclusive; default the last 28 days, at most 366), `region` "
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
