"""The strategy document: everything the strategy holds, as Markdown and as a PDF (WeasyPrint,
with the charts as SVG from vl-convert), in the workspace's language.

It is the single set of instructions every executor follows and a new team member reads first:
brand, competitors, audiences, programs with their campaigns, KPIs (plan versus actual with the
forecast), budgets, risks and responsibilities. ``services.document_generate`` stores each
rendering as the next version.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pappus.core.charts import to_svg
from pappus.core.models import User, Workspace
from pappus.strategy import charts, measured, metrics, selectors


@dataclass(frozen=True)
class Rendered:
    language: str
    markdown: str
    html: str
    pdf: bytes


def chart_labels() -> dict[str, str]:
    return {
        "actual": _("Actual"),
        "plan": _("Plan"),
        "forecast": _("Forecast"),
        "date": _("Date"),
        "value": _("Value"),
    }


def stage_labels() -> dict[str, str]:
    return {stage: str(metrics.METRIC_KEYS[stage]) for stage in metrics.FUNNEL_STAGES}


def strategy_context(workspace: Workspace, *, as_of: datetime.date, with_charts: bool = False) -> dict[str, Any]:
    """All of the strategy, arranged program by program (charts as SVG when asked)."""
    all_campaigns = list(selectors.campaigns(workspace))
    costs = selectors.campaign_costs(workspace, all_campaigns)
    rows = selectors.evaluate(
        list(selectors.kpis(workspace)),
        as_of=as_of,
        program_spend=selectors.spend_by_program(workspace, costs),
        costs=costs,
    )
    rows_by_program: dict[int, list[selectors.KpiRow]] = {}
    rows_by_campaign: dict[int, list[selectors.KpiRow]] = {}
    for row in rows:
        if row.kpi.campaign_id is not None:
            rows_by_campaign.setdefault(row.kpi.campaign_id, []).append(row)
        elif row.kpi.program_id is not None:
            rows_by_program.setdefault(row.kpi.program_id, []).append(row)
    all_risks = list(selectors.risks(workspace))
    all_raci = list(selectors.raci(workspace))
    campaigns_by_program: dict[int, list[dict[str, Any]]] = {}
    for campaign in all_campaigns:
        kpi_rows = rows_by_campaign.get(campaign.pk, [])
        steps = selectors.funnel_of([row.kpi for row in kpi_rows])
        funnel_svg = ""
        if with_charts and any(step.value is not None for step in steps):
            funnel_svg = to_svg(charts.funnel_chart(steps, stage_labels=stage_labels(), width=440))
        campaigns_by_program.setdefault(campaign.program_id, []).append(
            {
                "campaign": campaign,
                "kpi_rows": [_with_chart(row, with_charts) for row in kpi_rows],
                "funnel": steps,
                "funnel_svg": funnel_svg,
                "ads_spend": costs[campaign.pk].ads,
                "cost": costs[campaign.pk],
                "risks": [risk for risk in all_risks if risk.campaign_id == campaign.pk],
                "raci": [item for item in all_raci if item.campaign_id == campaign.pk],
            }
        )
    programs = [
        {
            "program": program,
            "kpi_rows": [_with_chart(row, with_charts) for row in rows_by_program.get(program.pk, [])],
            "campaigns": campaigns_by_program.get(program.pk, []),
            "risks": [risk for risk in all_risks if risk.program_id == program.pk],
            "raci": [item for item in all_raci if item.program_id == program.pk],
        }
        for program in selectors.programs(workspace)
    ]
    return {
        "workspace": workspace,
        "as_of": as_of,
        "brand": selectors.brand_profile(workspace),
        "competitors": list(selectors.competitors(workspace)),
        "voice": measured.share_of_voice(
            workspace,
            first_day=as_of - datetime.timedelta(days=27),
            last_day=as_of,
            brand_name=workspace.name,
        ),
        "measured": measured.measured_profile(workspace, last_day=as_of),
        "audiences": list(selectors.audiences(workspace)),
        "programs": programs,
        "workspace_risks": [risk for risk in all_risks if risk.program_id is None and risk.campaign_id is None],
        "workspace_raci": [item for item in all_raci if item.program_id is None and item.campaign_id is None],
        "off_plan": [row for row in rows if row.diagnosis is not None],
        "metric_labels": {key: str(label) for key, label in metrics.METRIC_KEYS.items()},
    }


def _with_chart(row: selectors.KpiRow, with_charts: bool) -> dict[str, Any]:
    svg = ""
    if with_charts and row.evaluation.actual is not None:
        spec = charts.kpi_chart(
            plan=selectors.plan_of(row.kpi),
            points=selectors.points_of(row.kpi),
            forecast=row.evaluation.forecast,
            labels=chart_labels(),
            width=440,
        )
        svg = to_svg(spec)
    return {"row": row, "svg": svg}


def render(workspace: Workspace, *, version: int, author: User | None, as_of: datetime.date | None = None) -> Rendered:
    """The document in the workspace's default language, as Markdown, HTML and PDF."""
    from weasyprint import HTML  # type: ignore[import-untyped]  # heavy: imported only where a PDF is made

    language = workspace.default_language
    with translation.override(language):
        today = as_of or timezone.localdate()
        context = {
            **strategy_context(workspace, as_of=today, with_charts=False),
            "version": version,
            "author": author,
            "generated_at": timezone.now(),
            "language": language,
        }
        markdown = render_to_string("strategy/document.md", context)
        html = render_to_string(
            "strategy/document_pdf.html",
            {**context, **strategy_context(workspace, as_of=today, with_charts=True)},
        )
    pdf = HTML(string=html, base_url=None).write_pdf()
    return Rendered(language=language, markdown=markdown, html=html, pdf=bytes(pdf or b""))
