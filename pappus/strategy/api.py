"""The strategy REST API under /api/v1/strategy: thin handlers over the same selectors and services
as the pages. Reads need ``strategy.view``, writes ``strategy.edit``; everything is the token's
workspace's. KPI values sent here are recorded with the source "api" (the nightly job records analytics'
values with the source "analytics")."""

import datetime
from decimal import Decimal
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from pappus.core.api import ObjectId, Pagination, PositiveId, Text, actor_of, error_responses, member_of
from pappus.core.models import Membership
from pappus.core.permissions import Action
from pappus.strategy import selectors, services
from pappus.strategy.models import (
    Audience,
    BrandProfile,
    Campaign,
    CampaignStatus,
    Competitor,
    Kpi,
    KpiMeasurement,
    Program,
    ProgramRevision,
    ProgramStatus,
    Risk,
    StrategyDocument,
    WeeklyReview,
)

router = Router(tags=["strategy"])

Day = datetime.date
MetricKey = Literal[
    "reach",
    "impressions",
    "engagement",
    "engagement_rate",
    "clicks",
    "leads",
    "customers",
    "followers",
    "mentions",
    "share_of_voice",
    "sentiment",
    "revenue",
    "cost_per_lead",
    "response_time",
]


def _reader(request: HttpRequest) -> Membership:
    return member_of(request, Action.STRATEGY_VIEW)


def _editor(request: HttpRequest) -> Membership:
    return member_of(request, Action.STRATEGY_EDIT)


# --- schemas -----------------------------------------------------------------------------------


class BrandOut(Schema):
    identity: str
    value_proposition: str
    unique_selling_proposition: str
    tone_of_voice: str
    products_and_services: str


class BrandIn(Schema):
    """Only the fields sent are changed."""

    identity: Text | None = Field(None, max_length=20_000)
    value_proposition: Text | None = Field(None, max_length=20_000)
    unique_selling_proposition: Text | None = Field(None, max_length=20_000)
    tone_of_voice: Text | None = Field(None, max_length=20_000)
    products_and_services: Text | None = Field(None, max_length=20_000)


class CompetitorOut(Schema):
    id: int
    name: str
    notes: str
    listening_topic_id: int | None = Field(description="The id of a listening topic (a plain id, not checked).")


class CompetitorIn(Schema):
    name: Text = Field(min_length=1, max_length=200)
    notes: Text = Field("", max_length=20_000)
    listening_topic_id: PositiveId | None = None


class SubTarget(Schema):
    product: Text = Field(min_length=1, max_length=300)
    target: Text = Field(min_length=1, max_length=300)


class AudienceOut(Schema):
    id: int
    name: str
    who: str
    where: str
    wants: str
    networks: list[str]
    sub_targets: list[dict[str, str]]
    planned_profile: dict[str, str] = Field(description="The planned profile; the measured one comes from analytics.")


class AudienceIn(Schema):
    name: Text = Field(min_length=1, max_length=200)
    who: Text = Field("", max_length=20_000)
    where: Text = Field("", max_length=20_000)
    wants: Text = Field("", max_length=20_000)
    networks: list[Text] = Field(default_factory=list, max_length=30)
    sub_targets: list[SubTarget] = Field(default_factory=list, max_length=100)
    planned_profile: dict[Text, Text] = Field(default_factory=dict, max_length=50)


class ProgramOut(Schema):
    id: int
    name: str
    goals: str
    starts_on: Day
    ends_on: Day
    owner_id: int | None
    region_id: int | None
    status: ProgramStatus
    budget_planned: Decimal
    created_at: datetime.datetime


class ProgramIn(Schema):
    name: Text = Field(min_length=1, max_length=200)
    goals: Text = Field("", max_length=20_000)
    starts_on: Day
    ends_on: Day
    owner_id: PositiveId | None = Field(None, description="A user who is a member of the workspace.")
    region_id: PositiveId | None = None
    status: ProgramStatus = ProgramStatus.DRAFT
    budget_planned: Decimal = Field(Decimal(0), ge=0, le=Decimal("999999999999.99"), max_digits=14, decimal_places=2)


class ProgramRevisionIn(Schema):
    """A revision: the fields sent change, and the reason is kept in the program's history."""

    reason: Text = Field(min_length=1, max_length=5_000)
    name: Text | None = Field(None, min_length=1, max_length=200)
    goals: Text | None = Field(None, max_length=20_000)
    starts_on: Day | None = None
    ends_on: Day | None = None
    owner_id: PositiveId | None = None
    status: ProgramStatus | None = None
    budget_planned: Decimal | None = Field(None, ge=0, le=Decimal("999999999999.99"), max_digits=14, decimal_places=2)


class RevisionOut(Schema):
    id: int
    number: int
    reason: str
    before: dict[str, Any]
    after: dict[str, Any]
    author_id: int | None
    created_at: datetime.datetime


class CampaignOut(Schema):
    id: int
    program_id: int
    name: str
    description: str
    starts_on: Day
    ends_on: Day
    networks: list[str]
    owner_id: int | None
    status: CampaignStatus
    budget_planned: Decimal
    budget_committed: Decimal
    budget_spent: Decimal = Field(
        description="Entered by hand or through the API: spend outside the ads module (or all of it when "
        "count_ads_spend is false). The campaign's cost is at /strategy/campaigns/{id}/cost."
    )
    count_ads_spend: bool = Field(
        description="Whether the cost adds what the linked paid campaigns of the ads module spent to budget_spent."
    )
    listening_topic_ids: list[int] = Field(
        description="Ids of the listening topics that follow the campaign (they measure its mentions, share of "
        "voice and sentiment KPIs)."
    )


class CampaignIn(Schema):
    program_id: PositiveId
    name: Text = Field(min_length=1, max_length=200)
    description: Text = Field("", max_length=20_000)
    starts_on: Day
    ends_on: Day
    networks: list[Text] = Field(default_factory=list, max_length=30)
    owner_id: PositiveId | None = None
    status: CampaignStatus = CampaignStatus.PLANNED
    budget_planned: Decimal = Field(Decimal(0), ge=0, le=Decimal("999999999999.99"), max_digits=14, decimal_places=2)
    budget_committed: Decimal = Field(Decimal(0), ge=0, le=Decimal("999999999999.99"), max_digits=14, decimal_places=2)
    budget_spent: Decimal = Field(Decimal(0), ge=0, le=Decimal("999999999999.99"), max_digits=14, decimal_places=2)
    count_ads_spend: bool = True
    listening_topic_ids: list[PositiveId] = Field(default_factory=list, max_length=20)


class CampaignPatch(Schema):
    """Only the fields sent are changed."""

    name: Text | None = Field(None, min_length=1, max_length=200)
    description: Text | None = Field(None, max_length=20_000)
    starts_on: Day | None = None
    ends_on: Day | None = None
    networks: list[Text] | None = Field(None, max_length=30)
    owner_id: PositiveId | None = None
    status: CampaignStatus | None = None
    budget_planned: Decimal | None = Field(None, ge=0, le=Decimal("999999999999.99"), max_digits=14, decimal_places=2)
    budget_committed: Decimal | None = Field(None, ge=0, le=Decimal("999999999999.99"), max_digits=14, decimal_places=2)
    budget_spent: Decimal | None = Field(None, ge=0, le=Decimal("999999999999.99"), max_digits=14, decimal_places=2)
    count_ads_spend: bool | None = None
    listening_topic_ids: list[PositiveId] | None = Field(None, max_length=20)


class MissingRateOut(Schema):
    currency: str
    day: Day


class CampaignCostOut(Schema):
    """What a campaign cost so far, in the workspace's currency: the cost that efficiency (result / cost)
    and the budget checks use."""

    campaign_id: int
    currency: str
    entered: Decimal = Field(description="The spend entered by hand (budget_spent).")
    ads_spend: Decimal | None = Field(
        description="What the linked paid campaigns spent over the campaign's dates; null when none is linked "
        "or when a day lacks an exchange rate (see missing_rates)."
    )
    ads_campaigns: int = Field(description="How many paid campaigns of the ads module are linked.")
    ads_counted: bool = Field(description="Whether ads_spend is part of the cost (count_ads_spend and linked ads).")
    total: Decimal | None = Field(description="The cost; null when it is unknown for want of an exchange rate.")
    missing_rates: list[MissingRateOut]


class KpiOut(Schema):
    id: int
    program_id: int | None
    campaign_id: int | None
    name: str
    metric_key: str
    unit: str
    direction: str
    baseline: Decimal
    target: Decimal
    starts_on: Day
    deadline: Day


class KpiIn(Schema):
    """A KPI of a program or of a campaign: give exactly one of ``program_id`` and ``campaign_id``."""

    program_id: PositiveId | None = None
    campaign_id: PositiveId | None = None
    name: Text = Field(min_length=1, max_length=200)
    metric_key: MetricKey
    unit: Text = Field("", max_length=20)
    direction: Literal["increase", "decrease"] = "increase"
    baseline: Decimal = Field(
        Decimal(0), ge=Decimal("-99999999999999"), le=Decimal("99999999999999"), max_digits=18, decimal_places=4
    )
    target: Decimal = Field(
        ge=Decimal("-99999999999999"), le=Decimal("99999999999999"), max_digits=18, decimal_places=4
    )
    starts_on: Day
    deadline: Day


class MeasurementOut(Schema):
    id: int
    measured_on: Day
    value: Decimal
    source: str
    note: str


class MeasurementIn(Schema):
    measured_on: Day
    value: Decimal = Field(ge=Decimal("-99999999999999"), le=Decimal("99999999999999"), max_digits=18, decimal_places=4)
    note: Text = Field("", max_length=300)


class ForecastOut(Schema):
    on: Day
    value: float | None
    low: float | None = Field(description="Lower end of the 95 % prediction interval (three values or more).")
    high: float | None
    slope_per_day: float | None
    points: int
    method: str = Field(description="none (no values), flat (one), line (two), line_with_interval (three or more).")


class DiagnosisOut(Schema):
    rule: str
    cause: str
    correction: str


class EvaluationOut(Schema):
    kpi_id: int
    status: str = Field(description="no_data, on_track (pace ≥ 0.9), at_risk (0.7 to 0.9), off_track, achieved.")
    actual: float | None
    actual_on: Day | None
    planned_to_date: float | None
    pace: float | None
    effectiveness: float | None = Field(description="Result ÷ planned result.")
    efficiency: float | None = Field(description="Result per unit of money spent.")
    forecast: ForecastOut
    diagnosis: DiagnosisOut | None


class RiskOut(Schema):
    id: int
    program_id: int | None
    campaign_id: int | None
    title: str
    likelihood: int
    impact: int
    mitigation: str
    owner_id: int | None
    status: str


class RiskIn(Schema):
    program_id: PositiveId | None = None
    campaign_id: PositiveId | None = None
    title: Text = Field(min_length=1, max_length=200)
    likelihood: int = Field(ge=1, le=5)
    impact: int = Field(ge=1, le=5)
    mitigation: Text = Field("", max_length=20_000)
    owner_id: PositiveId | None = None


class RaciOut(Schema):
    id: int
    program_id: int | None
    campaign_id: int | None
    task: str
    responsible_ids: list[int]
    accountable_id: int | None
    consulted_ids: list[int]
    informed_ids: list[int]

    @staticmethod
    def resolve_responsible_ids(row: Any) -> list[int]:
        return sorted(user.pk for user in row.responsible.all())

    @staticmethod
    def resolve_consulted_ids(row: Any) -> list[int]:
        return sorted(user.pk for user in row.consulted.all())

    @staticmethod
    def resolve_informed_ids(row: Any) -> list[int]:
        return sorted(user.pk for user in row.informed.all())


class ReviewOut(Schema):
    id: int
    week_starting: Day
    decision: str
    findings: list[dict[str, Any]]
    author_id: int | None
    created_at: datetime.datetime


class ReviewIn(Schema):
    decision: Text = Field(min_length=1, max_length=20_000)


class DocumentOut(Schema):
    id: int
    version: int
    language: str
    generated_by_id: int | None
    created_at: datetime.datetime


# --- helpers -----------------------------------------------------------------------------------


def _program(membership: Membership, program_id: int | None, field: str = "program_id") -> Program | None:
    if program_id is None:
        return None
    found = selectors.programs(membership.workspace).filter(pk=program_id).first()
    if found is None:
        raise ValidationError({field: _("No program with this id in the workspace.")})
    return found


def _campaign(membership: Membership, campaign_id: int | None) -> Campaign | None:
    if campaign_id is None:
        return None
    found = selectors.campaigns(membership.workspace).filter(pk=campaign_id).first()
    if found is None:
        raise ValidationError({"campaign_id": _("No campaign with this id in the workspace.")})
    return found


# --- brand, competitors, audiences -------------------------------------------------------------


@router.get("/strategy/brand", response={200: BrandOut, **error_responses()}, summary="The brand profile")
def brand_detail(request: HttpRequest) -> BrandProfile:
    return selectors.brand_profile(_reader(request).workspace)


@router.patch("/strategy/brand", response={200: BrandOut, **error_responses()}, summary="Change the brand profile")
def brand_update(request: HttpRequest, payload: BrandIn) -> BrandProfile:
    membership = _editor(request)
    values = {key: value for key, value in payload.model_dump(exclude_unset=True).items() if value is not None}
    return services.brand_profile_update(actor=actor_of(request, membership), membership=membership, **values)


@router.get("/strategy/competitors", response={200: list[CompetitorOut], **error_responses()}, summary="Competitors")
@paginate(Pagination)
def competitor_list(request: HttpRequest) -> QuerySet[Competitor]:
    return selectors.competitors(_reader(request).workspace)


@router.post("/strategy/competitors", response={201: CompetitorOut, **error_responses()}, summary="Add a competitor")
def competitor_create(request: HttpRequest, payload: CompetitorIn) -> Status[Competitor]:
    membership = _editor(request)
    return Status(
        201,
        services.competitor_create(actor=actor_of(request, membership), membership=membership, **payload.model_dump()),
    )


@router.get("/strategy/audiences", response={200: list[AudienceOut], **error_responses()}, summary="Audiences")
@paginate(Pagination)
def audience_list(request: HttpRequest) -> QuerySet[Audience]:
    return selectors.audiences(_reader(request).workspace)


@router.post("/strategy/audiences", response={201: AudienceOut, **error_responses()}, summary="Add an audience")
def audience_create(request: HttpRequest, payload: AudienceIn) -> Status[Audience]:
    membership = _editor(request)
    return Status(
        201,
        services.audience_create(actor=actor_of(request, membership), membership=membership, **payload.model_dump()),
    )


# --- programs and revisions --------------------------------------------------------------------


@router.get("/strategy/programs", response={200: list[ProgramOut], **error_responses()}, summary="Programs")
@paginate(Pagination)
def program_list(request: HttpRequest) -> QuerySet[Program]:
    return selectors.programs(_reader(request).workspace)


@router.get("/strategy/programs/{program_id}", response={200: ProgramOut, **error_responses(404)}, summary="A program")
def program_detail(request: HttpRequest, program_id: ObjectId) -> Program:
    return selectors.programs(_reader(request).workspace).get(pk=program_id)


@router.post("/strategy/programs", response={201: ProgramOut, **error_responses()}, summary="Create a program")
def program_create(request: HttpRequest, payload: ProgramIn) -> Status[Program]:
    membership = _editor(request)
    values = payload.model_dump()
    owner, region = values.pop("owner_id"), values.pop("region_id")
    program = services.program_create(
        actor=actor_of(request, membership), membership=membership, owner=owner, region=region, **values
    )
    return Status(201, program)


@router.get(
    "/strategy/programs/{program_id}/revisions",
    response={200: list[RevisionOut], **error_responses(404)},
    summary="A program's revision history, newest first",
)
@paginate(Pagination)
def revision_list(request: HttpRequest, program_id: ObjectId) -> QuerySet[ProgramRevision]:
    program = selectors.programs(_reader(request).workspace).get(pk=program_id)
    return selectors.program_revisions(program)


@router.post(
    "/strategy/programs/{program_id}/revisions",
    response={201: RevisionOut, **error_responses(404)},
    summary="Revise a program (with the reason)",
)
def program_revise(request: HttpRequest, program_id: ObjectId, payload: ProgramRevisionIn) -> Status[ProgramRevision]:
    membership = _editor(request)
    program = selectors.programs(membership.workspace).get(pk=program_id)
    values = payload.model_dump(exclude_unset=True)
    reason = values.pop("reason")
    for key in ("name", "starts_on", "ends_on", "status", "budget_planned"):
        if key in values and values[key] is None:
            raise ValidationError({key: _("This field cannot be empty.")})
    revision = services.program_revise(
        actor=actor_of(request, membership), membership=membership, program=program, reason=reason, **values
    )
    return Status(201, revision)


# --- campaigns ---------------------------------------------------------------------------------


@router.get("/strategy/campaigns", response={200: list[CampaignOut], **error_responses()}, summary="Campaigns")
@paginate(Pagination)
def campaign_list(request: HttpRequest) -> QuerySet[Campaign]:
    return selectors.campaigns(_reader(request).workspace)


@router.get(
    "/strategy/campaigns/{campaign_id}", response={200: CampaignOut, **error_responses(404)}, summary="A campaign"
)
def campaign_detail(request: HttpRequest, campaign_id: ObjectId) -> Campaign:
    return selectors.campaigns(_reader(request).workspace).get(pk=campaign_id)


@router.get(
    "/strategy/campaigns/{campaign_id}/cost",
    response={200: CampaignCostOut, **error_responses(404)},
    summary="A campaign's cost: entered spend plus the ads module's",
)
def campaign_cost(request: HttpRequest, campaign_id: ObjectId) -> dict[str, Any]:
    workspace = _reader(request).workspace
    campaign = selectors.campaigns(workspace).get(pk=campaign_id)
    cost = selectors.campaign_costs(workspace, [campaign])[campaign.pk]
    return {
        "campaign_id": campaign.pk,
        "currency": workspace.currency,
        "entered": cost.entered,
        "ads_spend": cost.ads.spend if cost.ads is not None else None,
        "ads_campaigns": cost.ads.ad_campaigns if cost.ads is not None else 0,
        "ads_counted": cost.ads_counted,
        "total": cost.total,
        "missing_rates": [
            {"currency": currency, "day": day} for currency, day in (cost.ads.missing_rates if cost.ads else ())
        ],
    }


@router.post("/strategy/campaigns", response={201: CampaignOut, **error_responses()}, summary="Create a campaign")
def campaign_create(request: HttpRequest, payload: CampaignIn) -> Status[Campaign]:
    membership = _editor(request)
    values = payload.model_dump()
    program = _program(membership, values.pop("program_id"))
    assert program is not None  # noqa: S101 - the schema requires the id
    campaign = services.campaign_create(
        actor=actor_of(request, membership), membership=membership, program=program, **values
    )
    return Status(201, campaign)


@router.patch(
    "/strategy/campaigns/{campaign_id}",
    response={200: CampaignOut, **error_responses(404)},
    summary="Change a campaign (budget, status, dates)",
)
def campaign_update(request: HttpRequest, campaign_id: ObjectId, payload: CampaignPatch) -> Campaign:
    membership = _editor(request)
    campaign = selectors.campaigns(membership.workspace).get(pk=campaign_id)
    values = payload.model_dump(exclude_unset=True)
    for key in ("name", "starts_on", "ends_on", "status", "networks", "description", "listening_topic_ids"):
        if key in values and values[key] is None:
            raise ValidationError({key: _("This field cannot be empty.")})
    for key in ("budget_planned", "budget_committed", "budget_spent", "count_ads_spend"):
        if key in values and values[key] is None:
            raise ValidationError({key: _("This field cannot be empty.")})
    return services.campaign_update(
        actor=actor_of(request, membership), membership=membership, campaign=campaign, **values
    )


# --- KPIs and values ---------------------------------------------------------------------------


@router.get("/strategy/kpis", response={200: list[KpiOut], **error_responses()}, summary="KPIs")
@paginate(Pagination)
def kpi_list(request: HttpRequest) -> QuerySet[Kpi]:
    return selectors.kpis(_reader(request).workspace)


@router.post("/strategy/kpis", response={201: KpiOut, **error_responses()}, summary="Add a KPI")
def kpi_create(request: HttpRequest, payload: KpiIn) -> Status[Kpi]:
    membership = _editor(request)
    values = payload.model_dump()
    program = _program(membership, values.pop("program_id"))
    campaign = _campaign(membership, values.pop("campaign_id"))
    kpi = services.kpi_create(
        actor=actor_of(request, membership), membership=membership, program=program, campaign=campaign, **values
    )
    return Status(201, kpi)


@router.get("/strategy/kpis/{kpi_id}", response={200: KpiOut, **error_responses(404)}, summary="A KPI")
def kpi_detail(request: HttpRequest, kpi_id: ObjectId) -> Kpi:
    return selectors.kpis(_reader(request).workspace).get(pk=kpi_id)


@router.get(
    "/strategy/kpis/{kpi_id}/values",
    response={200: list[MeasurementOut], **error_responses(404)},
    summary="A KPI's recorded values, oldest first",
)
@paginate(Pagination)
def measurement_list(request: HttpRequest, kpi_id: ObjectId) -> QuerySet[KpiMeasurement]:
    kpi = selectors.kpis(_reader(request).workspace).get(pk=kpi_id)
    return selectors.kpi_measurements(kpi)


@router.post(
    "/strategy/kpis/{kpi_id}/values",
    response={201: MeasurementOut, **error_responses(404)},
    summary="Record a KPI's value on a date (replaces a value of the same date)",
)
def measurement_create(request: HttpRequest, kpi_id: ObjectId, payload: MeasurementIn) -> Status[KpiMeasurement]:
    membership = _editor(request)
    kpi = selectors.kpis(membership.workspace).get(pk=kpi_id)
    measurement = services.kpi_record_value(
        actor=actor_of(request, membership), membership=membership, kpi=kpi, source="api", **payload.model_dump()
    )
    return Status(201, measurement)


def _evaluation(row: selectors.KpiRow) -> dict[str, Any]:
    evaluation = row.evaluation
    forecast = evaluation.forecast
    return {
        "kpi_id": row.kpi.pk,
        "status": evaluation.status.value,
        "actual": evaluation.actual,
        "actual_on": evaluation.actual_on,
        "planned_to_date": evaluation.planned_to_date,
        "pace": evaluation.pace,
        "effectiveness": evaluation.effectiveness,
        "efficiency": evaluation.efficiency,
        "forecast": {
            "on": forecast.on,
            "value": forecast.value,
            "low": forecast.low,
            "high": forecast.high,
            "slope_per_day": forecast.slope_per_day,
            "points": forecast.points,
            "method": forecast.method.value,
        },
        "diagnosis": (
            {"rule": row.diagnosis.rule, "cause": row.diagnosis.cause, "correction": row.diagnosis.correction}
            if row.diagnosis
            else None
        ),
    }


@router.get(
    "/strategy/plan-versus-actual",
    response={200: list[EvaluationOut], **error_responses()},
    summary="Plan versus actual of every KPI today, worst first",
)
def plan_versus_actual(request: HttpRequest) -> list[dict[str, Any]]:
    workspace = _reader(request).workspace
    return [_evaluation(row) for row in selectors.plan_versus_actual(workspace, as_of=timezone.localdate())]


# --- risks, RACI, reviews, documents -----------------------------------------------------------


@router.get("/strategy/risks", response={200: list[RiskOut], **error_responses()}, summary="Risks")
@paginate(Pagination)
def risk_list(request: HttpRequest) -> QuerySet[Risk]:
    return selectors.risks(_reader(request).workspace)


@router.post("/strategy/risks", response={201: RiskOut, **error_responses()}, summary="Add a risk")
def risk_create(request: HttpRequest, payload: RiskIn) -> Status[Risk]:
    membership = _editor(request)
    values = payload.model_dump()
    program = _program(membership, values.pop("program_id"))
    campaign = _campaign(membership, values.pop("campaign_id"))
    owner = values.pop("owner_id")
    risk = services.risk_create(
        actor=actor_of(request, membership),
        membership=membership,
        program=program,
        campaign=campaign,
        owner=owner,
        **values,
    )
    return Status(201, risk)


@router.get("/strategy/raci", response={200: list[RaciOut], **error_responses()}, summary="Who does what")
@paginate(Pagination)
def raci_list(request: HttpRequest) -> Any:
    return selectors.raci(_reader(request).workspace)


@router.get("/strategy/reviews", response={200: list[ReviewOut], **error_responses()}, summary="Weekly reviews")
@paginate(Pagination)
def review_list(request: HttpRequest) -> QuerySet[WeeklyReview]:
    return selectors.reviews(_reader(request).workspace)


@router.post(
    "/strategy/reviews",
    response={201: ReviewOut, **error_responses()},
    summary="Record this week's decision (the plan-versus-actual findings are kept with it)",
)
def review_create(request: HttpRequest, payload: ReviewIn) -> Status[WeeklyReview]:
    membership = _editor(request)
    today = timezone.localdate()
    rows = selectors.plan_versus_actual(membership.workspace, as_of=today)
    review = services.weekly_review_record(
        actor=actor_of(request, membership),
        membership=membership,
        decision=payload.decision,
        findings=selectors.review_findings(rows),
        week_of=today,
    )
    return Status(201, review)


@router.get(
    "/strategy/documents", response={200: list[DocumentOut], **error_responses()}, summary="Strategy document versions"
)
@paginate(Pagination)
def document_list(request: HttpRequest) -> QuerySet[StrategyDocument]:
    return selectors.documents(_reader(request).workspace)


@router.post(
    "/strategy/documents",
    response={201: DocumentOut, **error_responses()},
    summary="Generate the next version of the strategy document",
)
def document_create(request: HttpRequest) -> Status[StrategyDocument]:
    membership = _editor(request)
    return Status(201, services.document_generate(actor=actor_of(request, membership), membership=membership))


@router.get(
    "/strategy/documents/{version}.md",
    response={200: None, **error_responses(404)},
    summary="A version of the strategy document as Markdown",
)
def document_markdown(request: HttpRequest, version: ObjectId) -> HttpResponse:
    workspace = _reader(request).workspace
    generated = StrategyDocument.objects.for_workspace(workspace).get(version=version)
    return HttpResponse(generated.markdown, content_type="text/markdown; charset=utf-8")


@router.get(
    "/strategy/documents/{version}.pdf",
    response={200: None, **error_responses(404)},
    summary="A version of the strategy document as PDF",
)
def document_pdf(request: HttpRequest, version: ObjectId) -> HttpResponse:
    workspace = _reader(request).workspace
    generated = StrategyDocument.objects.for_workspace(workspace).get(version=version)
    return HttpResponse(bytes(generated.pdf), content_type="application/pdf")
