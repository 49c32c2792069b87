"""The community health page: the period's KPIs beside the period before, tone over time and the
retention cohorts as charts. Aggregates only, but behind ``community.view`` like every community page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from pappus.community import charts, health
from pappus.community.views import _rights
from pappus.core.models import Membership
from pappus.core.permissions import Action
from pappus.core.views import member_required

PERIODS = (7, 30, 90, 365)


@require_GET
@member_required(Action.COMMUNITY_VIEW)
def health_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    try:
        days = int(request.GET.get("days", "30"))
    except ValueError:
        days = 30
    if days not in PERIODS:
        days = 30
    since, until = health.period(days)
    figures = health.health(membership.workspace, since=since, until=until)
    labels = charts.chart_labels()
    context = {
        "page_title": _("Community health"),
        "days": days,
        "periods": PERIODS,
        "health": figures,
        "tone_spec": charts.tone_chart(figures.tone, labels) if figures.tone else None,
        "cohort_spec": charts.cohort_chart(figures.cohorts, labels)
        if any(cohort.size for cohort in figures.cohorts)
        else None,
        **_rights(membership),
    }
    return render(request, "community/health.html", context)
