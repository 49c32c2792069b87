"""Every write of the ads app: accounts, campaigns, hand-entered days, exchange rates and CSV imports.

Each service takes the acting membership, checks ``ads.manage`` first and writes an audit event.
Links to other apps are plain ids, checked through their facades: a strategy campaign
(``strategy.facade``), a connected account (``connectors.facade``), a published post
(``publishing.facade``).
"""

from __future__ import annotations

import datetime
import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pappus.ads import allocation, conversion_imports, imports, metrics, readers, selectors
from pappus.ads.models import (
    MAX_AMOUNT,
    MAX_COUNT,
    Ad,
    AdAccount,
    AdCampaign,
    AdDaily,
    AdImport,
    AdSet,
    AdsSettings,
    AttributionRule,
    ExchangeRate,
    ImportedConversion,
    ImportStatus,
    Level,
    Network,
    Objective,
    RatioBasis,
    Reallocation,
    ReallocationStatus,
    Source,
)
from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.models import Membership, validate_currency
from pappus.core.permissions import Action, require

VIEW = Action.ADS_VIEW
MANAGE = Action.ADS_MANAGE
logger = logging.getLogger("pappus.ads")


def _check_currency(value: str, field: str) -> str:
    code = (value or "").strip().upper()
    try:
        validate_currency(code)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None
    return code


def check_strategy_campaign(workspace_id: int, campaign_id: int | None) -> None:
    if campaign_id is None:
        return
    from pappus.strategy import facade as strategy

    if strategy.get_campaign(workspace_id, campaign_id) is None:
        raise ValidationError(
            {"strategy_campaign_id": _("There is no strategy campaign %(id)s in this workspace.") % {"id": campaign_id}}
        )


def check_connected_account(workspace_id: int, account_id: int | None) -> None:
    if account_id is None:
        return
    from pappus.connectors import facade as connectors

    try:
        connectors.target_account(workspace_id, account_id)
    except connectors.AccountMissingError as error:
        raise ValidationError({"connected_account_id": str(error)}) from None


def check_post(workspace_id: int, post_id: int | None) -> None:
    if post_id is None:
        return
    from pappus.publishing import facade as publishing

    if not publishing.post_titles(workspace_id, [post_id]):
        raise ValidationError({"post_id": _("There is no post %(id)s in this workspace.") % {"id": post_id}})


@transaction.atomic
def account_create(
    *,
    actor: Actor,
    membership: Membership,
    network: str,
    name: str,
    currency: str,
    external_id: str = "",
    connected_account_id: int | None = None,
) -> AdAccount:
    require(membership, MANAGE)
    name = name.strip()[:200]
    if not name:
        raise ValidationError({"name": _("Give the ad account a name.")})
    if network not in Network.values:
        raise ValidationError({"network": _("“%(value)s” is not a known ad network.") % {"value": network[:40]}})
    currency = _check_currency(currency, "currency")
    check_connected_account(membership.workspace_id, connected_account_id)
    if AdAccount.objects.for_workspace(membership.workspace_id).filter(name=name).exists():
        raise ValidationError({"name": _("There is an ad account with this name already.")})
    account = AdAccount.objects.create(
        workspace_id=membership.workspace_id,
        network=network,
        name=name,
        currency=currency,
        external_id=external_id.strip()[:100],
        connected_account_id=connected_account_id,
    )
    audit.record(
        actor,
        "ads.account.create",
        workspace=membership.workspace,
        target=account,
        after={"network": network, "name": name, "currency": currency},
    )
    return account


CAMPAIGN_FIELDS = (
    "name",
    "objective",
    "strategy_campaign_id",
    "starts_on",
    "ends_on",
    "budget_planned",
    "planned_conversions",
    "external_id",
    "utm_campaign",
)


def _clean_campaign(workspace_id: int, values: Mapping[str, Any]) -> dict[str, Any]:
    cleaned = {name: values[name] for name in CAMPAIGN_FIELDS if name in values}
    if "name" in cleaned:
        cleaned["name"] = str(cleaned["name"]).strip()[:300]
        if not cleaned["name"]:
            raise ValidationError({"name": _("Give the campaign a name.")})
    if "objective" in cleaned and cleaned["objective"] not in Objective.values:
        raise ValidationError({"objective": _("Choose one of the objectives.")})
    if cleaned.get("budget_planned") is not None:
        budget = Decimal(cleaned["budget_planned"])
        if budget < 0 or budget > MAX_AMOUNT:
            raise ValidationError(
                {"budget_planned": _("The budget must be from 0 to %(limit)s.") % {"limit": MAX_AMOUNT}}
            )
        cleaned["budget_planned"] = budget.quantize(Decimal("0.01"))
    elif "budget_planned" in cleaned:
        cleaned["budget_planned"] = Decimal("0.00")
    planned = cleaned.get("planned_conversions")
    if planned is not None and not 0 <= planned <= MAX_COUNT:
        raise ValidationError(
            {"planned_conversions": _("Planned conversions must be from 0 to %(limit)s.") % {"limit": MAX_COUNT}}
        )
    if "external_id" in cleaned:
        cleaned["external_id"] = str(cleaned["external_id"] or "").strip()[:100]
    if "utm_campaign" in cleaned:
        cleaned["utm_campaign"] = str(cleaned["utm_campaign"] or "").strip()
        if len(cleaned["utm_campaign"]) > 200:
            raise ValidationError({"utm_campaign": _("utm_campaign has at most 200 characters.")})
    check_strategy_campaign(workspace_id, cleaned.get("strategy_campaign_id"))
    return cleaned


@transaction.atomic
def campaign_create(*, actor: Actor, membership: Membership, account_id: int, **values: Any) -> AdCampaign:
    require(membership, MANAGE)
    account = AdAccount.objects.for_workspace(membership.workspace_id).get(pk=account_id)
    cleaned = _clean_campaign(membership.workspace_id, values)
    if "name" not in cleaned:
        raise ValidationError({"name": _("Give the campaign a name.")})
    campaign = AdCampaign(workspace_id=membership.workspace_id, account=account, **cleaned)
    _save_campaign(campaign)
    audit.record(
        actor,
        "ads.campaign.create",
        workspace=membership.workspace,
        target=campaign,
        after={name: str(getattr(campaign, name)) for name in cleaned},
    )
    return campaign


def _save_campaign(campaign: AdCampaign) -> None:
    if campaign.starts_on and campaign.ends_on and campaign.ends_on < campaign.starts_on:
        raise ValidationError({"ends_on": _("The flight cannot end before it starts.")})
    taken = AdCampaign.objects.filter(account_id=campaign.account_id, name=campaign.name).exclude(pk=campaign.pk)
    if taken.exists():
        raise ValidationError({"name": _("This ad account has a campaign with this name already.")})
    campaign.save()


@transaction.atomic
def campaign_update(*, actor: Actor, membership: Membership, campaign_id: int, **values: Any) -> AdCampaign:
    require(membership, MANAGE)
    campaign = AdCampaign.objects.for_workspace(membership.workspace_id).select_for_update().get(pk=campaign_id)
    cleaned = _clean_campaign(membership.workspace_id, values)
    before = {name: str(getattr(campaign, name)) for name in cleaned}
    for name, value in cleaned.items():
        setattr(campaign, name, value)
    _save_campaign(campaign)
    after = {name: str(getattr(campaign, name)) for name in cleaned}
    audit.record(
        actor, "ads.campaign.update", workspace=membership.workspace, target=campaign, before=before, after=after
    )
    return campaign


@transaction.atomic
def daily_enter(
    *,
    actor: Actor,
    membership: Membership,
    campaign_id: int,
    day: datetime.date,
    spend: Decimal,
    impressions: int = 0,
    reach: int = 0,
    clicks: int = 0,
    conversions: int = 0,
    revenue: Decimal = Decimal("0.00"),
) -> AdDaily:
    """Enter (or correct) a campaign's figures of one day by hand, in its account's currency."""
    require(membership, MANAGE)
    campaign = AdCampaign.objects.for_workspace(membership.workspace_id).select_related("account").get(pk=campaign_id)
    for name, amount in (("spend", spend), ("revenue", revenue)):
        if not Decimal(0) <= amount <= MAX_AMOUNT:
            raise ValidationError({name: _("The amount must be from 0 to %(limit)s.") % {"limit": MAX_AMOUNT}})
    for name, count in (
        ("impressions", impressions),
        ("reach", reach),
        ("clicks", clicks),
        ("conversions", conversions),
    ):
        if not 0 <= count <= MAX_COUNT:
            raise ValidationError({name: _("The number must be from 0 to %(limit)s.") % {"limit": MAX_COUNT}})
    if clicks > impressions and impressions:
        raise ValidationError({"clicks": _("More clicks than impressions.")})
    values = {
        "currency": campaign.account.currency,
        "spend": Decimal(spend).quantize(Decimal("0.01")),
        "impressions": impressions,
        "reach": reach,
        "clicks": clicks,
        "conversions": conversions,
        "revenue": Decimal(revenue).quantize(Decimal("0.01")),
        "source": Source.MANUAL,
        "source_import": None,
    }
    row, created = AdDaily.objects.update_or_create(
        workspace_id=membership.workspace_id,
        campaign=campaign,
        level=Level.CAMPAIGN,
        ad_set=None,
        ad=None,
        day=day,
        defaults=values,
    )
    audit.record(
        actor,
        "ads.daily.enter",
        workspace=membership.workspace,
        target=campaign,
        after={"day": day.isoformat(), "created": created, "spend": str(values["spend"])},
    )
    return row


@transaction.atomic
def rate_set(*, actor: Actor, membership: Membership, day: datetime.date, currency: str, rate: Decimal) -> ExchangeRate:
    """One unit of ``currency`` was worth ``rate`` of the workspace's currency on ``day``."""
    require(membership, MANAGE)
    currency = _check_currency(currency, "currency")
    if currency == membership.workspace.currency:
        raise ValidationError({"currency": _("This is the workspace's own currency: it needs no rate.")})
    if not Decimal("0.00000001") <= rate <= Decimal(1_000_000_000):
        raise ValidationError({"rate": _("The rate must be more than 0 and at most 1,000,000,000.")})
    row, _created = ExchangeRate.objects.update_or_create(
        workspace_id=membership.workspace_id, day=day, currency=currency, defaults={"rate": rate}
    )
    audit.record(
        actor,
        "ads.rate.set",
        workspace=membership.workspace,
        target=row,
        after={"day": day.isoformat(), "currency": currency, "rate": str(rate)},
    )
    return row


@transaction.atomic
def import_upload(*, actor: Actor, membership: Membership, account_id: int, name: str, data: bytes) -> AdImport:
    """Keep an uploaded CSV until its columns are chosen; ValidationError on ``file`` when it cannot be read."""
    require(membership, MANAGE)
    account = AdAccount.objects.for_workspace(membership.workspace_id).get(pk=account_id)
    name = name.rsplit("/", 1)[-1][:200] or "upload.csv"
    try:
        text = imports.decode(name, data)
        imports.columns(text)
    except imports.ImportFileError as error:
        raise ValidationError({"file": str(error)}) from error
    return AdImport.objects.create(
        workspace_id=membership.workspace_id, account=account, file_name=name, content=text, created_by=actor.user
    )


class _Objects:
    """The account's campaigns, ad sets and ads, found (by the network's id, else the name) or made."""

    def __init__(self, account: AdAccount) -> None:
        self.account = account
        campaigns = list(AdCampaign.objects.filter(account=account))
        self.campaigns_by_id = {c.external_id: c for c in campaigns if c.external_id}
        self.campaigns_by_name = {c.name: c for c in campaigns}
        ad_sets = list(AdSet.objects.filter(campaign__account=account))
        self.sets_by_id = {(s.campaign_id, s.external_id): s for s in ad_sets if s.external_id}
        self.sets_by_name = {(s.campaign_id, s.name): s for s in ad_sets}
        ads = list(Ad.objects.filter(campaign__account=account))
        self.ads_by_id = {(a.campaign_id, a.external_id): a for a in ads if a.external_id}
        self.ads_by_name = {(a.campaign_id, a.name): a for a in ads}

    def campaign(self, name: str, external_id: str) -> AdCampaign:
        found = self.campaigns_by_id.get(external_id) if external_id else None
        found = found or self.campaigns_by_name.get(name)
        if found is None:
            found = AdCampaign.objects.create(
                workspace_id=self.account.workspace_id, account=self.account, name=name, external_id=external_id
            )
            self.campaigns_by_name[name] = found
            if external_id:
                self.campaigns_by_id[external_id] = found
        return found

    def ad_set(self, campaign: AdCampaign, name: str, external_id: str) -> AdSet:
        found = self.sets_by_id.get((campaign.pk, external_id)) if external_id else None
        found = found or self.sets_by_name.get((campaign.pk, name))
        if found is None:
            found = AdSet.objects.create(
                workspace_id=self.account.workspace_id, campaign=campaign, name=name, external_id=external_id
            )
            self.sets_by_name[(campaign.pk, name)] = found
            if external_id:
                self.sets_by_id[(campaign.pk, external_id)] = found
        return found

    def ad(self, campaign: AdCampaign, ad_set: AdSet | None, name: str, external_id: str) -> Ad:
        found = self.ads_by_id.get((campaign.pk, external_id)) if external_id else None
        found = found or self.ads_by_name.get((campaign.pk, name))
        if found is not None and external_id and found.external_id and found.external_id != external_id:
            # Another ad of the campaign has this name (the same creative in two ad sets): the names of
            # a campaign's ads are unique here, so this one is told apart by its network id.
            name = f"{name[:280]} ({external_id[:15]})"
            found = self.ads_by_name.get((campaign.pk, name))
        if found is None:
            found = Ad.objects.create(
                workspace_id=self.account.workspace_id,
                campaign=campaign,
                ad_set=ad_set,
                name=name,
                external_id=external_id,
            )
            self.ads_by_name[(campaign.pk, name)] = found
            if external_id:
                self.ads_by_id[(campaign.pk, external_id)] = found
        return found


def _object_of(key: imports.ObjectKey, objects: _Objects) -> tuple[AdCampaign, AdSet | None, Ad | None]:
    campaign = objects.campaign(key.campaign, key.campaign_id)
    ad_set = objects.ad_set(campaign, key.ad_set, key.ad_set_id) if key.ad_set else None
    ad = objects.ad(campaign, ad_set, key.ad, key.ad_id) if key.ad else None
    return campaign, ad_set, ad


DAILY_FIELDS = ("currency", "spend", "impressions", "reach", "clicks", "conversions", "revenue")


@transaction.atomic
def import_commit(*, actor: Actor, membership: Membership, import_id: int, mapping: Mapping[str, Any]) -> AdImport:
    """Import the rows with the chosen columns: each object's day stored once (a day that was there
    is updated, not added to); every line is counted as imported, updated or refused with its reason."""
    require(membership, MANAGE)
    upload = (
        AdImport.objects.for_workspace(membership.workspace_id)
        .select_related("account")
        .select_for_update()
        .get(pk=import_id)
    )
    if upload.status != ImportStatus.PREVIEW:
        raise ValidationError({"status": _("This file has been imported already.")})
    try:
        cleaned = imports.check_mapping(
            {key: str(value) for key, value in mapping.items()}, imports.columns(upload.content)
        )
    except ValueError as error:
        raise ValidationError({"mapping": list(error.args[0])}) from error
    parsed = imports.parse(upload.content, cleaned, default_currency=upload.account.currency)
    objects = _Objects(upload.account)
    errors = list(parsed.errors)
    imported_lines = updated_lines = 0
    for (key, day), totals in parsed.totals.items():
        if totals.spend > MAX_AMOUNT or totals.revenue > MAX_AMOUNT:
            errors.extend(
                {
                    "row": line,
                    "message": _("The rows of this day add up to more than %(limit)s.") % {"limit": MAX_AMOUNT},
                }
                for line in totals.lines
            )
            continue
        try:
            with transaction.atomic():
                campaign, ad_set, ad = _object_of(key, objects)
                values = {name: getattr(totals, name) for name in DAILY_FIELDS}
                _row, created = AdDaily.objects.update_or_create(
                    workspace_id=membership.workspace_id,
                    campaign=campaign,
                    ad_set=ad_set,
                    ad=ad,
                    level=key.level,
                    day=day,
                    defaults={**values, "source": Source.IMPORT, "source_import": upload},
                )
        except IntegrityError:
            errors.extend(
                {
                    "row": line,
                    "message": _("“%(name)s” could not be stored (its name or id clashes with another).")
                    % {"name": key.ad or key.ad_set or key.campaign},
                }
                for line in totals.lines
            )
            objects = _Objects(upload.account)
            continue
        if created:
            imported_lines += len(totals.lines)
        else:
            updated_lines += len(totals.lines)
    errors.sort(key=lambda error: int(str(error["row"])))
    upload.mapping = cleaned
    upload.status = ImportStatus.IMPORTED
    upload.rows_read = parsed.read
    upload.rows_imported = imported_lines
    upload.rows_updated = updated_lines
    upload.errors = errors[:1000]
    upload.imported_at = timezone.now()
    upload.content = ""  # the figures are stored; the file is not needed any more
    upload.save()
    audit.record(
        actor,
        "ads.import",
        workspace=membership.workspace,
        target=upload,
        after={
            "file": upload.file_name,
            "rows_read": parsed.read,
            "imported": imported_lines,
            "updated": updated_lines,
            "rejected": len(errors),
        },
    )
    return upload


# --- budget reallocation ---------------------------------------------------------------------------

HISTORY_DAYS = 90
MAX_PERIOD_DAYS = 366


@dataclass(frozen=True)
class ProposalRequest:
    """What a person asks: split ``budget`` over the next ``days`` days to maximise ``kpi``, with
    optional limits per paid campaign (for the whole period), from ``history_days`` of history."""

    kpi: str
    budget: Decimal
    days: int
    history_days: int = HISTORY_DAYS
    limits: Mapping[int, tuple[Decimal | None, Decimal | None]] = field(default_factory=dict)


@dataclass(frozen=True)
class ProposalResult:
    request: ProposalRequest
    starts_on: datetime.date
    ends_on: datetime.date
    campaigns: Mapping[str, AdCampaign]
    curves: list[allocation.ResponseCurve]
    proposal: allocation.Proposal


def reallocation_propose(*, membership: Membership, request: ProposalRequest, today: datetime.date) -> ProposalResult:
    """Fit each campaign's response to spend from its history and propose the split (nothing is stored).

    ValidationError naming the field when the request or the history cannot give a proposal."""
    require(membership, VIEW)
    if request.kpi not in selectors.KPI_CHOICES:
        raise ValidationError({"kpi": _("Choose conversions, revenue or clicks.")})
    if not 1 <= request.days <= MAX_PERIOD_DAYS:
        raise ValidationError({"days": _("The period is 1 to %(most)s days.") % {"most": MAX_PERIOD_DAYS}})
    if not 14 <= request.history_days <= 3 * 366:
        raise ValidationError({"history_days": _("Use 14 to 1098 days of history.")})
    if not Decimal(0) <= request.budget <= MAX_AMOUNT:
        raise ValidationError({"budget": _("The budget must be from 0 to %(limit)s.") % {"limit": MAX_AMOUNT}})
    last = today - datetime.timedelta(days=1)
    first = last - datetime.timedelta(days=request.history_days - 1)
    try:
        found = selectors.histories(membership.workspace, request.kpi, first, last)
    except ValueError as error:
        raise ValidationError({"history_days": str(error)}) from None
    if not found:
        raise ValidationError({"history_days": _("No paid campaign spent anything in this history.")})
    campaigns = {str(item.campaign.pk): item.campaign for item in found}
    curves = allocation.fit_curves(
        [allocation.ChannelHistory(str(item.campaign.pk), item.spend, item.results) for item in found], seed=0
    )
    limits = {}
    for campaign_id, (low, high) in request.limits.items():
        key = str(campaign_id)
        if key not in campaigns:
            continue
        if low is not None and high is not None and low > high:
            raise ValidationError(
                {
                    f"max_{campaign_id}": _("The maximum of “%(name)s” is below its minimum.")
                    % {"name": campaigns[key].name}
                }
            )
        limits[key] = allocation.ChannelLimits(
            minimum=float(low or 0), maximum=float(high) if high is not None else math.inf
        )
    if sum(limit.minimum for limit in limits.values()) > float(request.budget):
        raise ValidationError({"budget": _("The minimums add up to more than the budget.")})
    current = {curve.key: curve.mean_recent_spend for curve in curves}
    try:
        proposal = allocation.propose(
            curves, budget=float(request.budget), current=current, limits=limits, days=request.days
        )
    except allocation.AllocationError as error:
        raise ValidationError({"budget": str(error)}) from None
    return ProposalResult(
        request=request,
        starts_on=today,
        ends_on=today + datetime.timedelta(days=request.days - 1),
        campaigns=campaigns,
        curves=curves,
        proposal=proposal,
    )


def _finite(value: float) -> float | None:
    return round(value, 4) if math.isfinite(value) else None


def proposal_record(result: ProposalResult) -> dict[str, Any]:
    """The proposal as stored with a decision (numbers rounded, no infinities)."""
    proposal = result.proposal
    return {
        "days": proposal.days,
        "interval": proposal.interval,
        "expected_current": _finite(proposal.expected_current),
        "expected_proposed": _finite(proposal.expected_proposed),
        "expected_gain": _finite(proposal.expected_gain),
        "gain_low": _finite(proposal.gain_low),
        "gain_high": _finite(proposal.gain_high),
        "campaigns": [
            {
                "id": int(channel.key),
                "name": result.campaigns[channel.key].name,
                "current": _finite(channel.current),
                "proposed": _finite(channel.proposed),
                "expected_current": _finite(channel.expected_current),
                "expected_proposed": _finite(channel.expected_proposed),
                "held": channel.held,
                "beyond_history": channel.beyond_history,
                "note": channel.note,
            }
            for channel in proposal.channels
        ],
    }


@transaction.atomic
def reallocation_decide(
    *,
    actor: Actor,
    membership: Membership,
    request: ProposalRequest,
    approve: bool,
    note: str = "",
    today: datetime.date,
) -> Reallocation:
    """Record a person's decision on the proposal for ``request`` (computed again, the same as shown)."""
    require(membership, MANAGE)
    result = reallocation_propose(membership=membership, request=request, today=today)
    decision = Reallocation.objects.create(
        workspace_id=membership.workspace_id,
        kpi=request.kpi,
        starts_on=result.starts_on,
        ends_on=result.ends_on,
        budget=request.budget.quantize(Decimal("0.01")),
        proposal=proposal_record(result),
        status=ReallocationStatus.APPROVED if approve else ReallocationStatus.REJECTED,
        note=note.strip()[:5000],
        decided_by=actor.user,
    )
    audit.record(
        actor,
        "ads.reallocation.decide",
        workspace=membership.workspace,
        target=decision,
        after={
            "status": decision.status,
            "kpi": decision.kpi,
            "budget": str(decision.budget),
            "expected_gain": decision.proposal["expected_gain"],
        },
    )
    return decision


@transaction.atomic
def reallocation_record_outcome(
    *, actor: Actor, membership: Membership, reallocation_id: int, today: datetime.date
) -> Reallocation:
    """After the period: what the campaigns actually spent and achieved, next to what was expected."""
    require(membership, MANAGE)
    decision = Reallocation.objects.for_workspace(membership.workspace_id).select_for_update().get(pk=reallocation_id)
    if decision.ends_on >= today:
        raise ValidationError({"outcome": _("The period has not ended yet.")})
    ids = [line["id"] for line in decision.proposal.get("campaigns", [])]
    counted = metrics.counted(
        selectors.daily_rows(membership.workspace_id, decision.starts_on, decision.ends_on, ids),
        selectors.rates(membership.workspace, decision.starts_on, decision.ends_on),
        "campaign",
    )
    groups = metrics.group(counted.rows, lambda row: row.campaign_id)

    def result_of(figures: metrics.Figures) -> float:
        return {
            "conversions": float(figures.conversions),
            "revenue": float(figures.revenue_known),
            "clicks": float(figures.clicks),
        }[decision.kpi]

    total = metrics.total(counted.rows)
    decision.outcome = {
        "spend": None if total.spend is None else float(total.spend),
        "result": result_of(total),
        "missing_rates": [f"{code} {day:%Y-%m-%d}" for code, day in sorted(counted.missing_rates)],
        "campaigns": {
            str(pk): {
                "spend": None if figures.spend is None else float(figures.spend),
                "result": result_of(figures),
            }
            for pk, figures in groups.items()
        },
    }
    decision.outcome_recorded_at = timezone.now()
    decision.save(update_fields=["outcome", "outcome_recorded_at"])
    audit.record(
        actor,
        "ads.reallocation.outcome",
        workspace=membership.workspace,
        target=decision,
        after={"result": decision.outcome["result"], "spend": decision.outcome["spend"]},
    )
    return decision


# --- reading a network's ads API -------------------------------------------------------------------


@dataclass(frozen=True)
class SyncResult:
    rows_read: int
    days_imported: int
    days_updated: int


@transaction.atomic
def sync_account(
    *,
    actor: Actor,
    membership: Membership,
    account_id: int,
    token: str,
    since: datetime.date,
    until: datetime.date,
    base_url: str | None = None,
    level: str = "campaign",
) -> SyncResult:
    """Read the days of a Meta ad account (each ad; its ``external_id`` is the ``act_…`` id) or a VK Ads
    account (each campaign, ad group or banner: ``level`` "campaign", "adset" or "ad") from the
    network's API; days already stored are updated. The token is used once and not kept."""
    require(membership, MANAGE)
    account = AdAccount.objects.for_workspace(membership.workspace_id).select_for_update().get(pk=account_id)
    if account.network == Network.META and not account.external_id:
        raise ValidationError({"account": _("Choose a Meta ad account with its account id (act_…) filled in.")})
    if account.network not in {Network.META, Network.VK}:
        raise ValidationError({"account": _("Only Meta and VK Ads accounts can be read from their API.")})
    if until < since or (until - since).days > 366:
        raise ValidationError({"until": _("Read at most a year, ending on or after its first day.")})
    if not token.strip():
        raise ValidationError({"token": _("Paste an access token.")})
    if level not in readers.VK_LEVELS:
        raise ValidationError({"level": _("Read campaigns, ad groups or ads.")})
    return _read_and_store(
        actor=actor, account=account, token=token, since=since, until=until, base_url=base_url, level=level
    )


def _read_and_store(
    *,
    actor: Actor,
    account: AdAccount,
    token: str,
    since: datetime.date,
    until: datetime.date,
    base_url: str | None,
    level: str,
) -> SyncResult:
    """Read the account's days from its network and store them (days already there are updated).
    ValidationError naming ``token`` with the network's words when it refuses."""
    try:
        if account.network == Network.META:
            rows = list(
                readers.read_meta(
                    account_id=account.external_id,
                    token=token.strip(),
                    since=since,
                    until=until,
                    currency=account.currency,
                    base_url=base_url or readers.META_BASE_URL,
                )
            )
        else:
            rows = list(
                readers.read_vk(
                    token=token.strip(),
                    since=since,
                    until=until,
                    currency=account.currency,
                    base_url=base_url or readers.VK_BASE_URL,
                    level=level,
                )
            )
    except readers.ReaderError as error:
        raise ValidationError({"token": str(error)}) from None
    totals: dict[tuple[imports.ObjectKey, datetime.date], imports.Totals] = {}
    for row in rows:
        found = totals.setdefault((row.key, row.day), imports.Totals(currency=row.currency))
        found.spend += row.spend
        found.revenue += row.revenue
        found.impressions += row.impressions
        found.reach += row.reach
        found.clicks += row.clicks
        found.conversions += row.conversions
    objects = _Objects(account)
    created_days = updated_days = 0
    for (key, day), figures in totals.items():
        if min(figures.spend, figures.revenue) < 0 or max(figures.spend, figures.revenue) > MAX_AMOUNT:
            raise ValidationError(
                {"token": _("The network answered an amount out of range for %(day)s.") % {"day": day}}
            )
        campaign, ad_set, ad = _object_of(key, objects)
        _row, created = AdDaily.objects.update_or_create(
            workspace_id=account.workspace_id,
            campaign=campaign,
            ad_set=ad_set,
            ad=ad,
            level=key.level,
            day=day,
            defaults={name: getattr(figures, name) for name in DAILY_FIELDS}
            | {"source": Source.API, "source_import": None},
        )
        created_days += created
        updated_days += not created
    audit.record(
        actor,
        "ads.sync",
        workspace=account.workspace,
        target=account,
        after={
            "since": since.isoformat(),
            "until": until.isoformat(),
            "rows": len(rows),
            "new": created_days,
            "updated": updated_days,
        },
    )
    return SyncResult(rows_read=len(rows), days_imported=created_days, days_updated=updated_days)


# --- attribution settings and conversion imports ---------------------------------------------------


@transaction.atomic
def settings_update(
    *,
    actor: Actor,
    membership: Membership,
    attribution_rule: str,
    ratio_basis: str,
    pacing_alerts_by_email: bool,
) -> AdsSettings:
    """Choose the attribution rule, which figures CPA, ROAS and ROI use, and whether pacing alerts are mailed."""
    require(membership, MANAGE)
    if attribution_rule not in AttributionRule.values:
        raise ValidationError({"attribution_rule": _("Choose last click, first click or linear.")})
    if ratio_basis not in RatioBasis.values:
        raise ValidationError({"ratio_basis": _("Choose the networks' figures or the attributed ones.")})
    found, _created = AdsSettings.objects.select_for_update().get_or_create(workspace_id=membership.workspace_id)
    before = {
        "attribution_rule": found.attribution_rule,
        "ratio_basis": found.ratio_basis,
        "pacing_alerts_by_email": found.pacing_alerts_by_email,
    }
    found.attribution_rule = attribution_rule
    found.ratio_basis = ratio_basis
    found.pacing_alerts_by_email = pacing_alerts_by_email
    found.save()
    audit.record(
        actor,
        "ads.settings.update",
        workspace=membership.workspace,
        target=found,
        before=before,
        after={
            "attribution_rule": attribution_rule,
            "ratio_basis": ratio_basis,
            "pacing_alerts_by_email": pacing_alerts_by_email,
        },
    )
    return found


@dataclass(frozen=True)
class ConversionImportResult:
    rows_read: int
    imported: int
    updated: int
    errors: list[dict[str, object]]


@transaction.atomic
def conversions_import(*, actor: Actor, membership: Membership, name: str, data: bytes) -> ConversionImportResult:
    """Store a conversion-paths export (see :mod:`pappus.ads.conversion_imports`); rows already there
    (same day, path and reference) are replaced. ValidationError naming ``file`` when the file cannot
    be read at all."""
    require(membership, MANAGE)
    try:
        parsed = conversion_imports.parse(name, data, default_currency=membership.workspace.currency)
    except ValueError as error:
        problems = error.args[0] if error.args and isinstance(error.args[0], list) else [str(error)]
        raise ValidationError({"file": [str(problem) for problem in problems]}) from None
    imported = updated = 0
    for row in parsed.rows.values():
        try:
            validate_currency(row.currency)
        except ValidationError:
            parsed.errors.append({"row": 0, "message": _("“%(code)s” is not a currency.") % {"code": row.currency}})
            continue
        _stored, created = ImportedConversion.objects.update_or_create(
            workspace_id=membership.workspace_id,
            day=row.day,
            path_text=row.path_text,
            reference=row.reference,
            defaults={
                "path": list(row.path),
                "conversions": row.conversions,
                "revenue": row.revenue,
                "currency": row.currency,
                "file_name": name[:200],
            },
        )
        imported += created
        updated += not created
    audit.record(
        actor,
        "ads.conversions.import",
        workspace=membership.workspace,
        after={
            "file": name[:200],
            "rows": parsed.read,
            "new": imported,
            "updated": updated,
            "refused": len(parsed.errors),
        },
    )
    return ConversionImportResult(parsed.read, imported, updated, parsed.errors)


# --- scheduled reads of the networks' ads APIs -----------------------------------------------------

READ_EVERY = datetime.timedelta(hours=6)
FIRST_BACKOFF = datetime.timedelta(minutes=30)
LONGEST_BACKOFF = datetime.timedelta(hours=24)
READ_DAYS = 7  # each read takes the last week again: networks revise recent days (late conversions)
FIRST_READ_DAYS = 30


def backoff(failures: int) -> datetime.timedelta:
    """How long an account waits after ``failures`` failed reads in a row: 30 min, 1 h, 2 h, … at most a day."""
    return min(LONGEST_BACKOFF, FIRST_BACKOFF * int(2 ** max(0, failures - 1)))


@transaction.atomic
def reading_set(
    *, actor: Actor, membership: Membership, account_id: int, token: str, level: str, enabled: bool
) -> AdAccount:
    """Store (encrypted) the token the scheduled reads use, the VK level and whether to read on a
    schedule; an empty token keeps the stored one. The token is never shown again nor audited."""
    from pappus.connectors import crypto

    require(membership, MANAGE)
    account = AdAccount.objects.for_workspace(membership.workspace_id).select_for_update().get(pk=account_id)
    if account.network not in {Network.META, Network.VK}:
        raise ValidationError({"account": _("Only Meta and VK Ads accounts can be read from their API.")})
    if account.network == Network.META and not account.external_id:
        raise ValidationError({"account": _("Choose a Meta ad account with its account id (act_…) filled in.")})
    if level not in readers.VK_LEVELS:
        raise ValidationError({"level": _("Read campaigns, ad groups or ads.")})
    token = token.strip()
    if len(token) > 4000:
        raise ValidationError({"token": _("The token is longer than 4000 characters.")})
    if token:
        account.read_token = crypto.encrypt({"token": token})
    if enabled and not account.read_token:
        raise ValidationError({"token": _("Paste an access token.")})
    before = {"read_enabled": account.read_enabled, "read_level": account.read_level}
    account.read_level = level
    account.read_enabled = enabled
    account.read_failures = 0
    account.last_read_error = ""
    account.next_read_at = timezone.now() if enabled else None
    account.save()
    audit.record(
        actor,
        "ads.reading.set",
        workspace=membership.workspace,
        target=account,
        before=before,
        after={"read_enabled": enabled, "read_level": level, "token_changed": bool(token)},
    )
    return account


def read_account_now(account_id: int, *, now: datetime.datetime | None = None, base_url: str | None = None) -> bool:
    """One scheduled read of an account with its stored token; True when it worked. A failure is
    kept on the account (shown on the setup page) and the next try waits longer (:func:`backoff`)."""
    from pappus.connectors import crypto

    now = now or timezone.now()
    with transaction.atomic():
        account = (
            AdAccount.objects.select_for_update(skip_locked=True)
            .select_related("workspace")
            .filter(pk=account_id, read_enabled=True)
            .first()
        )
        if account is None:
            return False
        today = timezone.localdate(now)
        until = today - datetime.timedelta(days=1)
        since = until - datetime.timedelta(days=(READ_DAYS if account.last_read_at else FIRST_READ_DAYS) - 1)
        try:
            token = crypto.decrypt(account.read_token)["token"]
            if account.network == Network.META and not account.external_id:
                raise ValidationError({"account": _("Choose a Meta ad account with its account id (act_…) filled in.")})
            with transaction.atomic():
                _read_and_store(
                    actor=Actor.system("scheduler"),
                    account=account,
                    token=token,
                    since=since,
                    until=until,
                    base_url=base_url,
                    level=account.read_level,
                )
        except (ValidationError, crypto.CredentialsUnreadableError, KeyError) as error:
            if isinstance(error, ValidationError):
                message = "; ".join(error.messages)
            elif isinstance(error, KeyError):
                message = _("The stored token cannot be read; store it again.")
            else:
                message = _("No configured encryption key opens the stored token; store it again.")
            account.read_failures += 1
            account.last_read_error = message[:500]
            account.next_read_at = now + backoff(account.read_failures)
            account.save(update_fields=["read_failures", "last_read_error", "next_read_at"])
            logger.warning(
                "ads.read_failed account=%s failures=%s error=%s", account.pk, account.read_failures, message[:200]
            )
            return False
        account.read_failures = 0
        account.last_read_error = ""
        account.last_read_at = now
        account.next_read_at = now + READ_EVERY
        account.save(update_fields=["read_failures", "last_read_error", "last_read_at", "next_read_at"])
        return True


def read_due_accounts(*, now: datetime.datetime | None = None, base_url: str | None = None) -> int:
    """Read every account whose next scheduled read has come; returns how many reads worked."""
    now = now or timezone.now()
    due = (
        AdAccount.objects.filter(read_enabled=True, next_read_at__lte=now)
        .exclude(read_token="")
        .order_by("next_read_at", "pk")
        .values_list("pk", flat=True)[:500]
    )
    return sum(read_account_now(pk, now=now, base_url=base_url) for pk in list(due))
