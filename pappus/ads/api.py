"""The ads REST API under /api/v1/ads: ad accounts, paid campaigns with their metrics in the
workspace's currency, daily figures (read, and entered by hand), exchange rates and import status.

Reads need ``ads.view``, changes ``ads.manage`` (the agency role holds both: ads carry no customer
data). Every number a client sends has bounds, so nothing out of range reaches the database.
``conversions`` and ``revenue`` are the networks' own attribution, as imported; ``attributed_conversions``
and ``attributed_revenue`` are Pappus' own from tracked links and imported conversion paths under the
workspace's rule (``attribution``: last_click, first_click or linear); ``ratio_basis`` says which of
the two CPA, ROAS and ROI use. Budget reallocation: propose, decide (approve or reject), record the
outcome.
"""

from __future__ import annotations

import datetime
import math
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from pappus.ads import metrics, selectors, services
from pappus.ads.models import FIRST_DAY, LAST_DAY, MAX_AMOUNT, MAX_COUNT, AdAccount, AdCampaign, AdImport, Reallocation
from pappus.core.api import MAX_ID, ObjectId, Pagination, Text, actor_of, error_responses, member_of
from pappus.core.models import Membership

router = Router(tags=["ads"])

NetworkCode = Literal["meta", "vk", "google", "tiktok", "linkedin", "yandex", "other"]
ObjectiveCode = Literal["awareness", "traffic", "engagement", "leads", "sales", "other"]
Amount = Annotated[Decimal, Field(ge=0, le=MAX_AMOUNT, max_digits=14, decimal_places=2)]
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
Currency = Annotated[Text, Field(pattern=r"^[A-Z]{3}$", description="An ISO 4217 code such as EUR.")]
MAX_PERIOD_DAYS = 3 * 366
Day = Annotated[datetime.date, Field(ge=FIRST_DAY, le=LAST_DAY, description="A day between 1970 and 2999.")]


def _reader(request: HttpRequest) -> Membership:
    return member_of(request, services.VIEW)


def _manager(request: HttpRequest) -> Membership:
    return member_of(request, services.MANAGE)


class Period(Schema):
    start: Day | None = Field(None, description="First day; 27 days before `end` when omitted.")
    end: Day | None = Field(None, description="Last day (inclusive); today when omitted.")

    def days(self) -> tuple[datetime.date, datetime.date]:
        end = self.end or timezone.localdate()
        start = self.start or end - datetime.timedelta(days=27)
        if end < start:
            raise ValidationError({"end": _("The period cannot end before it starts.")})
        if (end - start).days > MAX_PERIOD_DAYS:
            raise ValidationError({"end": _("Choose a period of at most three years.")})
        return start, end


class OverviewFilters(Period):
    network: NetworkCode | None = None


class AccountOut(Schema):
    id: int
    network: str
    name: str
    currency: str
    external_id: str
    connected_account_id: int | None


class AccountIn(Schema):
    network: NetworkCode
    name: Annotated[Text, Field(min_length=1, max_length=200)]
    currency: Currency
    external_id: Annotated[Text, Field(max_length=100)] = ""
    connected_account_id: int | None = Field(None, ge=1, le=MAX_ID)


class FiguresOut(Schema):
    spend: Decimal | None = Field(description="In the workspace's currency; null when an exchange rate is missing.")
    revenue: Decimal | None = Field(description="The networks' attributed revenue; null when a rate is missing.")
    impressions: int
    reach: int
    clicks: int
    conversions: int
    cpm: float | None
    cpc: float | None
    ctr: float | None
    cpa: float | None
    roas: float | None
    roi: float | None
    efficiency: float | None = Field(description="Conversions per unit of the workspace's currency spent.")
    attributed_conversions: float | None = Field(
        None, description="Conversions credited to tracked links under the workspace's attribution rule."
    )
    attributed_revenue: Decimal | None = Field(
        None, description="Revenue credited under the workspace's attribution rule, in the workspace's currency."
    )


def _figures(figures: metrics.Figures) -> dict[str, Any]:
    return {
        name: getattr(figures, name)
        for name in (
            "spend",
            "revenue",
            "impressions",
            "reach",
            "clicks",
            "conversions",
            "cpm",
            "cpc",
            "ctr",
            "cpa",
            "roas",
            "roi",
            "efficiency",
            "attributed_conversions",
            "attributed_revenue",
        )
    }


class CampaignOut(Schema):
    id: int
    account_id: int
    network: str
    name: str
    objective: str
    external_id: str
    strategy_campaign_id: int | None
    starts_on: datetime.date | None
    ends_on: datetime.date | None
    budget_planned: Decimal = Field(description="In the workspace's currency.")
    planned_conversions: int | None
    utm_campaign: str = Field(description="The utm_campaign value of the tracked links credited to this campaign.")


class CampaignMetricsOut(CampaignOut):
    figures: FiguresOut
    spent_share: float | None = Field(description="Spend ÷ planned budget.")
    effectiveness: float | None = Field(description="Conversions ÷ planned conversions.")


class CampaignListOut(Schema):
    currency: str
    start: datetime.date
    end: datetime.date
    attribution: str = Field(description="The attribution rule: last_click, first_click or linear.")
    ratio_basis: str = Field(description="network or attributed: the conversions and revenue CPA, ROAS and ROI use.")
    missing_rates: list[tuple[str, datetime.date]]
    total: FiguresOut
    campaigns: list[CampaignMetricsOut]


class CampaignIn(Schema):
    account_id: int = Field(ge=1, le=MAX_ID)
    name: Annotated[Text, Field(min_length=1, max_length=300)]
    objective: ObjectiveCode = "other"
    strategy_campaign_id: int | None = Field(None, ge=1, le=MAX_ID)
    starts_on: Day | None = None
    ends_on: Day | None = None
    budget_planned: Amount = Decimal("0.00")
    planned_conversions: Count | None = None
    external_id: Annotated[Text, Field(max_length=100)] = ""
    utm_campaign: Annotated[Text, Field(max_length=200)] = ""


class CampaignPatch(Schema):
    name: Annotated[Text, Field(min_length=1, max_length=300)] | None = None
    objective: ObjectiveCode | None = None
    strategy_campaign_id: int | None = Field(None, ge=1, le=MAX_ID)
    starts_on: Day | None = None
    ends_on: Day | None = None
    budget_planned: Amount | None = None
    planned_conversions: Count | None = None
    utm_campaign: Annotated[Text, Field(max_length=200)] | None = None


class DailyOut(Schema):
    day: datetime.date
    figures: FiguresOut


class DailyIn(Schema):
    day: Day
    spend: Amount = Field(description="In the ad account's currency.")
    impressions: Count = 0
    reach: Count = 0
    clicks: Count = 0
    conversions: Count = 0
    revenue: Amount = Decimal("0.00")


class RateIn(Schema):
    day: Day
    currency: Currency
    rate: Decimal = Field(gt=0, le=1_000_000_000, max_digits=20, decimal_places=8)


class RateOut(Schema):
    day: datetime.date
    currency: str
    rate: Decimal


class ImportOut(Schema):
    id: int
    account_id: int
    file_name: str
    status: str
    rows_read: int
    rows_imported: int
    rows_updated: int
    errors: list[dict[str, Any]] = Field(description='Each refused row: {"row": line number, "message": why}.')
    created_at: datetime.datetime
    imported_at: datetime.datetime | None


def _campaign_out(campaign: AdCampaign) -> dict[str, Any]:
    fields = [name for name in CampaignOut.model_fields if name != "network"]
    return {**{name: getattr(campaign, name) for name in fields}, "network": campaign.account.network}


@router.get("/ads/accounts", response={200: list[AccountOut], **error_responses()}, summary="Ad accounts")
@paginate(Pagination)
def account_list(request: HttpRequest) -> QuerySet[AdAccount]:
    membership = _reader(request)
    return AdAccount.objects.for_workspace(membership.workspace_id).order_by("network", "name")


@router.post("/ads/accounts", response={201: AccountOut, **error_responses()}, summary="Add an ad account")
def account_create(request: HttpRequest, payload: AccountIn) -> Status[AdAccount]:
    membership = _manager(request)
    account = services.account_create(actor=actor_of(request, membership), membership=membership, **payload.dict())
    return Status(201, account)


@router.get(
    "/ads/campaigns",
    response={200: CampaignListOut, **error_responses()},
    summary="Paid campaigns with their metrics over a period",
)
def campaign_list(request: HttpRequest, filters: Query[OverviewFilters]) -> dict[str, Any]:
    membership = _reader(request)
    start, end = filters.days()
    report = selectors.overview(membership.workspace, start, end, network=filters.network or "")
    return {
        "currency": report.currency,
        "start": start,
        "end": end,
        "attribution": report.attribution.rule if report.attribution else "last_click",
        "ratio_basis": report.attribution.basis if report.attribution else "network",
        "missing_rates": report.missing_rates,
        "total": _figures(report.total),
        "campaigns": [
            {
                **_campaign_out(line.campaign),
                "figures": _figures(line.figures),
                "spent_share": line.spent_share,
                "effectiveness": line.effectiveness,
            }
            for line in report.campaigns
        ],
    }


@router.post("/ads/campaigns", response={201: CampaignOut, **error_responses(404)}, summary="Add a paid campaign")
def campaign_create(request: HttpRequest, payload: CampaignIn) -> Status[dict[str, Any]]:
    membership = _manager(request)
    values = payload.dict()
    account_id = values.pop("account_id")
    campaign = services.campaign_create(
        actor=actor_of(request, membership), membership=membership, account_id=account_id, **values
    )
    return Status(201, _campaign_out(campaign))


def _campaign(membership: Membership, campaign_id: int) -> AdCampaign:
    return get_object_or_404(
        AdCampaign.objects.for_workspace(membership.workspace_id).select_related("account"), pk=campaign_id
    )


@router.patch(
    "/ads/campaigns/{campaign_id}",
    response={200: CampaignOut, **error_responses(404)},
    summary="Change a paid campaign",
)
def campaign_update(request: HttpRequest, campaign_id: ObjectId, payload: CampaignPatch) -> dict[str, Any]:
    membership = _manager(request)
    _campaign(membership, campaign_id)
    campaign = services.campaign_update(
        actor=actor_of(request, membership),
        membership=membership,
        campaign_id=campaign_id,
        **payload.dict(exclude_unset=True),
    )
    return _campaign_out(campaign)


@router.get(
    "/ads/campaigns/{campaign_id}/daily",
    response={200: list[DailyOut], **error_responses(404)},
    summary="A paid campaign's figures day by day",
)
def campaign_daily(request: HttpRequest, campaign_id: ObjectId, period: Query[Period]) -> list[dict[str, Any]]:
    membership = _reader(request)
    campaign = _campaign(membership, campaign_id)
    start, end = period.days()
    detail = selectors.campaign_detail(membership.workspace, campaign, start, end)
    return [{"day": day, "figures": _figures(figures)} for day, figures in detail.daily]


@router.post(
    "/ads/campaigns/{campaign_id}/daily",
    response={200: DailyOut, **error_responses(404)},
    summary="Enter or correct a paid campaign's figures of one day",
)
def campaign_daily_enter(request: HttpRequest, campaign_id: ObjectId, payload: DailyIn) -> dict[str, Any]:
    membership = _manager(request)
    campaign = _campaign(membership, campaign_id)
    services.daily_enter(
        actor=actor_of(request, membership), membership=membership, campaign_id=campaign.pk, **payload.dict()
    )
    detail = selectors.campaign_detail(membership.workspace, campaign, payload.day, payload.day)
    figures = detail.daily[0][1] if detail.daily else metrics.Figures()
    return {"day": payload.day, "figures": _figures(figures)}


@router.put("/ads/rates", response={200: RateOut, **error_responses()}, summary="Set a day's exchange rate")
def rate_set(request: HttpRequest, payload: RateIn) -> Any:
    membership = _manager(request)
    return services.rate_set(actor=actor_of(request, membership), membership=membership, **payload.dict())


@router.get(
    "/ads/imports", response={200: list[ImportOut], **error_responses()}, summary="CSV imports and their status"
)
@paginate(Pagination)
def import_list(request: HttpRequest) -> QuerySet[AdImport]:
    membership = _reader(request)
    return AdImport.objects.for_workspace(membership.workspace_id).order_by("-created_at", "-pk")


@router.get("/ads/imports/{import_id}", response={200: ImportOut, **error_responses(404)}, summary="One CSV import")
def import_detail(request: HttpRequest, import_id: ObjectId) -> AdImport:
    membership = _reader(request)
    return get_object_or_404(AdImport.objects.for_workspace(membership.workspace_id), pk=import_id)


class PacingOut(Schema):
    status: str | None = Field(description="on_pace, over_pacing, under_pacing or not_started; null without a plan.")
    reason: str = Field(description="Why there is no pacing (no flight dates or budget, a missing rate).")
    as_of: datetime.date | None
    days_elapsed: int | None
    days_left: int | None
    planned_to_date: float | None
    actual_to_date: float | None
    pace: float | None = Field(description="Actual ÷ planned spend to date.")
    forecast_spend: float | None
    forecast_spend_low: float | None
    forecast_spend_high: float | None
    forecast_conversions: float | None
    forecast_conversions_low: float | None
    forecast_conversions_high: float | None
    daily_to_finish_on_budget: float | None


def _number(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


@router.get(
    "/ads/campaigns/{campaign_id}/pacing",
    response={200: PacingOut, **error_responses(404)},
    summary="A paid campaign's pacing to yesterday and its end-of-flight forecast",
)
def campaign_pacing(request: HttpRequest, campaign_id: ObjectId) -> dict[str, Any]:
    membership = _reader(request)
    campaign = _campaign(membership, campaign_id)
    paced = selectors.campaign_pacing(membership.workspace, campaign, timezone.localdate())
    report = paced.report
    if report is None:
        return dict.fromkeys(PacingOut.model_fields) | {"reason": paced.reason}
    return {
        "status": report.status,
        "reason": "",
        "as_of": report.as_of,
        "days_elapsed": report.days_elapsed,
        "days_left": report.days_left,
        "planned_to_date": _number(report.planned_to_date),
        "actual_to_date": _number(report.actual_to_date),
        "pace": _number(report.pace),
        "forecast_spend": _number(report.forecast_spend),
        "forecast_spend_low": _number(report.forecast_spend_low),
        "forecast_spend_high": _number(report.forecast_spend_high),
        "forecast_conversions": _number(report.forecast_results),
        "forecast_conversions_low": _number(report.forecast_results_low),
        "forecast_conversions_high": _number(report.forecast_results_high),
        "daily_to_finish_on_budget": _number(report.daily_to_finish_on_budget),
    }


# --- budget reallocation ----------------------------------------------------------------------------

KpiCode = Literal["conversions", "revenue", "clicks"]


class LimitIn(Schema):
    campaign_id: int = Field(ge=1, le=MAX_ID)
    minimum: Amount | None = Field(None, description="At least this much for the whole period.")
    maximum: Amount | None = Field(None, description="At most this much for the whole period.")


class ProposalIn(Schema):
    kpi: KpiCode = Field(description="The result to maximise.")
    budget: Amount = Field(description="The budget to split over the period, in the workspace's currency.")
    days: int = Field(ge=1, le=services.MAX_PERIOD_DAYS, description="The period's length, from today.")
    history_days: int = Field(services.HISTORY_DAYS, ge=14, le=3 * 366, description="Days of history to learn from.")
    limits: list[LimitIn] = Field(default_factory=list, max_length=1000)

    def request(self) -> services.ProposalRequest:
        return services.ProposalRequest(
            kpi=self.kpi,
            budget=self.budget,
            days=self.days,
            history_days=self.history_days,
            limits={limit.campaign_id: (limit.minimum, limit.maximum) for limit in self.limits},
        )


class DecisionIn(ProposalIn):
    approve: bool = Field(description="true to approve the proposal, false to reject it.")
    note: Annotated[Text, Field(max_length=5000)] = ""


class ProposalCampaignOut(Schema):
    id: int
    name: str
    current: float | None = Field(description="Its recent spend scaled to the budget (the current split).")
    proposed: float | None
    expected_current: float | None
    expected_proposed: float | None
    held: bool = Field(description="Kept at its current share (too little or too even history).")
    beyond_history: bool = Field(description="The proposal spends beyond what its history saw.")
    note: str


class ProposalOut(Schema):
    kpi: str
    starts_on: datetime.date
    ends_on: datetime.date
    budget: Decimal
    days: int
    interval: float = Field(description="The gain interval's probability, such as 0.9.")
    expected_current: float | None
    expected_proposed: float | None
    expected_gain: float | None
    gain_low: float | None
    gain_high: float | None
    campaigns: list[ProposalCampaignOut]


class ReallocationOut(Schema):
    id: int
    kpi: str
    starts_on: datetime.date
    ends_on: datetime.date
    budget: Decimal
    status: str = Field(description="approved or rejected.")
    note: str
    decided_by: str | None
    decided_at: datetime.datetime
    proposal: dict[str, Any]
    outcome: dict[str, Any] | None = Field(description="What the campaigns actually spent and achieved, once recorded.")
    outcome_recorded_at: datetime.datetime | None

    @staticmethod
    def resolve_decided_by(obj: Any) -> str | None:
        if isinstance(obj, dict):
            return obj.get("decided_by")
        return obj.decided_by.email if obj.decided_by else None


def _proposal_out(result: services.ProposalResult) -> dict[str, Any]:
    record = services.proposal_record(result)
    return {
        **record,
        "kpi": result.request.kpi,
        "starts_on": result.starts_on,
        "ends_on": result.ends_on,
        "budget": result.request.budget,
    }


def _reallocation_out(decision: Reallocation) -> dict[str, Any]:
    return {
        "id": decision.pk,
        "kpi": decision.kpi,
        "starts_on": decision.starts_on,
        "ends_on": decision.ends_on,
        "budget": decision.budget,
        "status": decision.status,
        "note": decision.note,
        "decided_by": decision.decided_by.email if decision.decided_by else None,
        "decided_at": decision.decided_at,
        "proposal": decision.proposal,
        "outcome": decision.outcome,
        "outcome_recorded_at": decision.outcome_recorded_at,
    }


@router.post(
    "/ads/reallocation/proposal",
    response={200: ProposalOut, **error_responses()},
    summary="Propose how to split a budget over the paid campaigns (nothing is stored)",
)
def reallocation_propose(request: HttpRequest, payload: ProposalIn) -> dict[str, Any]:
    membership = _reader(request)
    result = services.reallocation_propose(membership=membership, request=payload.request(), today=timezone.localdate())
    return _proposal_out(result)


@router.get(
    "/ads/reallocations",
    response={200: list[ReallocationOut], **error_responses()},
    summary="Budget reallocation decisions, latest first",
)
@paginate(Pagination)
def reallocation_list(request: HttpRequest) -> QuerySet[Reallocation]:
    membership = _reader(request)
    return Reallocation.objects.for_workspace(membership.workspace_id).select_related("decided_by").order_by("-pk")


@router.post(
    "/ads/reallocations",
    response={201: ReallocationOut, **error_responses()},
    summary="Approve or reject the proposal for a request (computed again, as shown)",
)
def reallocation_decide(request: HttpRequest, payload: DecisionIn) -> Status[dict[str, Any]]:
    membership = _manager(request)
    decision = services.reallocation_decide(
        actor=actor_of(request, membership),
        membership=membership,
        request=payload.request(),
        approve=payload.approve,
        note=payload.note,
        today=timezone.localdate(),
    )
    return Status(201, _reallocation_out(decision))


@router.post(
    "/ads/reallocations/{reallocation_id}/outcome",
    response={200: ReallocationOut, **error_responses(404)},
    summary="Record what the campaigns actually spent and achieved after the period",
)
def reallocation_outcome(request: HttpRequest, reallocation_id: ObjectId) -> dict[str, Any]:
    membership = _manager(request)
    get_object_or_404(Reallocation.objects.for_workspace(membership.workspace_id), pk=reallocation_id)
    decision = services.reallocation_record_outcome(
        actor=actor_of(request, membership),
        membership=membership,
        reallocation_id=reallocation_id,
        today=timezone.localdate(),
    )
    return _reallocation_out(decision)
