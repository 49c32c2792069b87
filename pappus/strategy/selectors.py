"""Every read of strategy rows that the pages, the API and the document need, scoped to a
workspace, related rows fetched up front; plan versus actual is computed here from the pure
functions of :mod:`pappus.strategy.metrics`."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from pappus.ads import facade as ads_facade
from pappus.core.models import Membership, User, Workspace
from pappus.strategy import metrics
from pappus.strategy.models import (
    Audience,
    BrandProfile,
    Campaign,
    Competitor,
    Kpi,
    KpiDirection,
    KpiMeasurement,
    Program,
    ProgramRevision,
    ProgramStatus,
    RaciAssignment,
    Risk,
    StrategyDocument,
    StrategyTemplate,
    WeeklyReview,
)


def brand_profile(workspace: Workspace) -> BrandProfile:
    """The workspace's brand profile, or an empty unsaved one when nobody has written it yet."""
    return BrandProfile.objects.for_workspace(workspace).first() or BrandProfile(workspace=workspace)


def competitors(workspace: Workspace) -> QuerySet[Competitor]:
    return Competitor.objects.for_workspace(workspace).order_by("name")


def audiences(workspace: Workspace) -> QuerySet[Audience]:
    return Audience.objects.for_workspace(workspace).order_by("name")


def programs(workspace: Workspace) -> QuerySet[Program]:
    return Program.objects.for_workspace(workspace).select_related("owner", "region").order_by("starts_on", "name")


def program_revisions(program: Program) -> QuerySet[ProgramRevision]:
    return ProgramRevision.objects.for_workspace(program.workspace_id).filter(program=program).select_related("author")


def campaigns(workspace: Workspace, program: Program | None = None) -> QuerySet[Campaign]:
    rows = Campaign.objects.for_workspace(workspace).select_related("program", "owner")
    if program is not None:
        rows = rows.filter(program=program)
    return rows.order_by("starts_on", "name")


def _with_measurements(rows: QuerySet[Kpi]) -> QuerySet[Kpi]:
    return rows.select_related("program", "campaign").prefetch_related(
        Prefetch("measurements", queryset=KpiMeasurement.objects.order_by("measured_on"))
    )


def kpis(workspace: Workspace) -> QuerySet[Kpi]:
    return _with_measurements(Kpi.objects.for_workspace(workspace)).order_by("deadline", "name")


def kpi_measurements(kpi: Kpi) -> QuerySet[KpiMeasurement]:
    return KpiMeasurement.objects.for_workspace(kpi.workspace_id).filter(kpi=kpi).order_by("measured_on")


def risks(workspace: Workspace) -> QuerySet[Risk]:
    return Risk.objects.for_workspace(workspace).select_related("owner", "program", "campaign")


def raci(workspace: Workspace) -> QuerySet[RaciAssignment]:
    return (
        RaciAssignment.objects.for_workspace(workspace)
        .select_related("accountable", "program", "campaign")
        .prefetch_related("responsible", "consulted", "informed")
        .order_by("task", "pk")
    )


def reviews(workspace: Workspace) -> QuerySet[WeeklyReview]:
    return WeeklyReview.objects.for_workspace(workspace).select_related("author")


def documents(workspace: Workspace) -> QuerySet[StrategyDocument]:
    """Generated versions, newest first, without their (large) contents."""
    return StrategyDocument.objects.for_workspace(workspace).select_related("generated_by").defer("markdown", "pdf")


def templates_for(membership: Membership) -> QuerySet[StrategyTemplate]:
    """Templates a member may start from: all of them for the hub (members without regions), the
    ones shared with their regions for members limited to regions."""
    rows = StrategyTemplate.objects.for_workspace(membership.workspace_id).prefetch_related("shared_with")
    region_ids = list(membership.regions.values_list("pk", flat=True))
    if region_ids:
        rows = rows.filter(shared_with__in=region_ids).distinct()
    return rows.order_by("name")


# --- plan versus actual -----------------------------------------------------------------------


def plan_of(kpi: Kpi) -> metrics.KpiPlan:
    return metrics.KpiPlan(
        baseline=float(kpi.baseline),
        target=float(kpi.target),
        starts_on=kpi.starts_on,
        deadline=kpi.deadline,
        lower_is_better=kpi.direction == KpiDirection.DECREASE,
    )


def points_of(kpi: Kpi) -> list[metrics.Point]:
    return [metrics.Point(row.measured_on, float(row.value)) for row in kpi.measurements.all()]


@dataclass(frozen=True)
class KpiRow:
    """One KPI with its plan-versus-actual evaluation and, when off plan, what the data suggests."""

    kpi: Kpi
    evaluation: metrics.KpiEvaluation
    diagnosis: metrics.Diagnosis | None
    cost: float | None

    @property
    def status_label(self) -> str:
        return str(metrics.STATUS_LABELS[self.evaluation.status])

    @property
    def latest_measurement(self) -> KpiMeasurement | None:
        """The newest recorded value (from the prefetched measurements), with its source and note."""
        measurements = list(self.kpi.measurements.all())
        return measurements[-1] if measurements else None

    @property
    def metric_label(self) -> str:
        return str(metrics.METRIC_KEYS.get(self.kpi.metric_key, self.kpi.metric_key))


def funnel_of(campaign_kpis: Iterable[Kpi]) -> list[metrics.FunnelStep]:
    """The campaign's funnel from the latest value of its KPIs on the funnel metrics."""
    latest: dict[str, float] = {}
    for kpi in campaign_kpis:
        if kpi.metric_key in metrics.FUNNEL_STAGES:
            values = list(kpi.measurements.all())
            if values:
                latest[kpi.metric_key] = float(values[-1].value)
    return metrics.funnel([(stage, latest.get(stage)) for stage in metrics.FUNNEL_STAGES])


@dataclass(frozen=True)
class CampaignCost:
    """What a campaign cost so far, in the workspace's currency.

    ``entered`` is the spend entered by hand; ``ads`` what the campaign's linked paid campaigns spent
    over its dates (None when none is linked). With ``counts_ads`` (the campaign's
    ``count_ads_spend``) the cost is the sum of both, otherwise the entered spend alone. ``total`` is
    None when the ads spend is counted but unknown because a day lacks an exchange rate
    (``ads.missing_rates`` names them): efficiency and the budget checks then show no value rather
    than a wrong one."""

    entered: Decimal
    ads: ads_facade.CampaignSpend | None
    counts_ads: bool

    @property
    def ads_counted(self) -> bool:
        return self.counts_ads and self.ads is not None

    @property
    def total(self) -> Decimal | None:
        if not self.counts_ads or self.ads is None:
            return self.entered
        return None if self.ads.spend is None else self.entered + self.ads.spend


def campaign_costs(workspace: Workspace | int, campaigns: Iterable[Campaign]) -> dict[int, CampaignCost]:
    """Each campaign's :class:`CampaignCost`, with one read of the ads module for all of them."""
    campaigns = list(campaigns)
    spend = ads_spend(workspace, campaigns)
    return {
        campaign.pk: CampaignCost(
            entered=campaign.budget_spent, ads=spend.get(campaign.pk), counts_ads=campaign.count_ads_spend
        )
        for campaign in campaigns
    }


def _budget_of(campaign: Campaign, spent: Decimal) -> metrics.BudgetContext:
    return metrics.BudgetContext(
        planned=float(campaign.budget_planned),
        spent=float(spent),
        starts_on=campaign.starts_on,
        ends_on=campaign.ends_on,
    )


def evaluate(
    rows: Sequence[Kpi],
    *,
    as_of: datetime.date,
    program_spend: dict[int, Decimal | None] | None = None,
    costs: dict[int, CampaignCost] | None = None,
) -> list[KpiRow]:
    """Plan versus actual of ``rows`` (with measurements prefetched) on ``as_of``.

    The cost of a campaign KPI is the campaign's :class:`CampaignCost` total (entered spend plus the
    ads module's, see ``campaign_costs``; those not in ``costs`` are read here in one go); of a program KPI,
    the cost of all its campaigns (``program_spend``, by program id, see ``spend_by_program``). An
    unknown cost leaves efficiency and the budget checks out.
    """
    by_campaign: dict[int, list[Kpi]] = {}
    for kpi in rows:
        if kpi.campaign_id is not None:
            by_campaign.setdefault(kpi.campaign_id, []).append(kpi)
    known = dict(costs or {})
    missing = {
        kpi.campaign.pk: kpi.campaign for kpi in rows if kpi.campaign is not None and kpi.campaign.pk not in known
    }
    if missing:
        known.update(campaign_costs(rows[0].workspace_id, missing.values()))
    evaluated = []
    for kpi in rows:
        plan = plan_of(kpi)
        budget: metrics.BudgetContext | None = None
        steps: list[metrics.FunnelStep] = []
        if kpi.campaign is not None:
            spent = known[kpi.campaign.pk].total
            cost = float(spent) if spent is not None else None
            budget = _budget_of(kpi.campaign, spent) if spent is not None else None
            steps = funnel_of(by_campaign.get(kpi.campaign.pk, []))
        else:
            spend = (program_spend or {}).get(kpi.program_id or 0)
            cost = float(spend) if spend else None
        evaluation = metrics.evaluate_kpi(plan, points_of(kpi), as_of=as_of, cost=cost)
        diagnosis = metrics.diagnose(plan, evaluation, as_of=as_of, budget=budget, funnel_steps=steps)
        evaluated.append(KpiRow(kpi, evaluation, diagnosis, cost))
    return evaluated


def spend_by_program(
    workspace: Workspace, costs: dict[int, CampaignCost] | None = None, *, program_id: int | None = None
) -> dict[int, Decimal | None]:
    """Per program id (only ``program_id`` when given), the cost of all its campaigns
    (:class:`CampaignCost` totals); None when one of them is unknown. ``costs`` already read are
    reused; the others are read in one go."""
    rows = Campaign.objects.for_workspace(workspace).only(
        "id", "program_id", "budget_spent", "count_ads_spend", "starts_on", "ends_on"
    )
    if program_id is not None:
        rows = rows.filter(program_id=program_id)
    campaigns = list(rows)
    known = dict(costs or {})
    missing = [campaign for campaign in campaigns if campaign.pk not in known]
    if missing:
        known.update(campaign_costs(workspace, missing))
    totals: dict[int, Decimal | None] = {}
    for campaign in campaigns:
        if campaign.program_id in totals and totals[campaign.program_id] is None:
            continue
        total = known[campaign.pk].total
        totals[campaign.program_id] = None if total is None else (totals.get(campaign.program_id) or Decimal(0)) + total
    return totals


def plan_versus_actual(workspace: Workspace, *, as_of: datetime.date) -> list[KpiRow]:
    """Every KPI of the programs that are not archived, worst status first."""
    rows = list(
        kpis(workspace)
        .exclude(program__status=ProgramStatus.ARCHIVED)
        .exclude(campaign__program__status=ProgramStatus.ARCHIVED)
    )
    order = {
        metrics.Status.OFF_TRACK: 0,
        metrics.Status.AT_RISK: 1,
        metrics.Status.NO_DATA: 2,
        metrics.Status.ON_TRACK: 3,
        metrics.Status.ACHIEVED: 4,
    }
    costs = campaign_costs(workspace, Campaign.objects.for_workspace(workspace))
    evaluated = evaluate(rows, as_of=as_of, program_spend=spend_by_program(workspace, costs), costs=costs)
    return sorted(evaluated, key=lambda row: (order[row.evaluation.status], row.kpi.deadline, row.kpi.name))


def review_findings(rows: Sequence[KpiRow]) -> list[dict[str, object]]:
    """Plan versus actual as plain values, kept with a weekly review as it was that week."""
    return [
        {
            "kpi_id": row.kpi.pk,
            "kpi": row.kpi.name,
            "status": row.evaluation.status.value,
            "actual": row.evaluation.actual,
            "planned_to_date": row.evaluation.planned_to_date,
            "target": float(row.kpi.target),
            "forecast": row.evaluation.forecast.value,
            "cause": row.diagnosis.cause if row.diagnosis else "",
            "correction": row.diagnosis.correction if row.diagnosis else "",
        }
        for row in rows
    ]


def people(workspace: Workspace) -> QuerySet[User]:
    """Active members of the workspace, the choices for owners and RACI roles."""
    return (
        User.objects.filter(memberships__workspace=workspace, memberships__is_active=True)
        .order_by("full_name", "email")
        .distinct()
    )


def ads_spend(workspace: Workspace | int, campaigns: Iterable[Campaign]) -> dict[int, ads_facade.CampaignSpend]:
    """Per campaign with paid campaigns linked in the ads module, what they spent from the campaign's
    first day to its last (``ads.facade.CampaignSpend``: spend in the workspace's currency, None when
    a day lacked an exchange rate, which ``missing_rates`` names). Campaigns without any are absent."""
    ranges = {campaign.pk: (campaign.starts_on, campaign.ends_on) for campaign in campaigns}
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    return ads_facade.spend_by_strategy_campaign_ranges(workspace_id, ranges) if ranges else {}
