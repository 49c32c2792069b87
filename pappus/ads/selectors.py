"""Reads of the ads app, always scoped to one workspace: campaigns with their figures in the
workspace's currency (see :mod:`pappus.ads.metrics` for the rules), by network, campaign, ad set
(audience) and ad (creative), and the daily series behind the charts."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from pappus.ads import attribution, metrics, pacing
from pappus.ads.models import (
    Ad,
    AdAccount,
    AdCampaign,
    AdDaily,
    AdSet,
    AdsSettings,
    AttributionRule,
    ExchangeRate,
    ImportedConversion,
    Network,
)
from pappus.core.models import Workspace


def daily_rows(
    workspace_id: int,
    start: datetime.date,
    end: datetime.date,
    campaign_ids: Sequence[int] | None = None,
) -> list[metrics.DailyRow]:
    rows = AdDaily.objects.for_workspace(workspace_id).filter(day__gte=start, day__lte=end)
    if campaign_ids is not None:
        rows = rows.filter(campaign_id__in=list(campaign_ids))
    return [
        metrics.DailyRow(
            campaign_id=row[0],
            ad_set_id=row[1],
            ad_id=row[2],
            level=row[3],
            day=row[4],
            currency=row[5],
            spend=row[6],
            impressions=row[7],
            reach=row[8],
            clicks=row[9],
            conversions=row[10],
            revenue=row[11],
        )
        for row in rows.values_list(
            "campaign_id",
            "ad_set_id",
            "ad_id",
            "level",
            "day",
            "currency",
            "spend",
            "impressions",
            "reach",
            "clicks",
            "conversions",
            "revenue",
        )
    ]


def rates(workspace: Workspace, start: datetime.date, end: datetime.date) -> metrics.Rates:
    """The workspace's rates from RATE_AGE_DAYS before ``start`` to ``end``."""
    by_currency: dict[str, dict[datetime.date, Decimal]] = defaultdict(dict)
    rows = ExchangeRate.objects.for_workspace(workspace.pk).filter(
        day__gte=start - datetime.timedelta(days=metrics.RATE_AGE_DAYS), day__lte=end
    )
    for day, currency, rate in rows.values_list("day", "currency", "rate"):
        by_currency[currency][day] = rate
    return metrics.Rates(workspace.currency, by_currency)


# --- attribution ------------------------------------------------------------------------------------


def ads_settings(workspace_id: int) -> AdsSettings:
    """The workspace's ads settings (the defaults, unsaved, until someone changes them)."""
    found = AdsSettings.objects.for_workspace(workspace_id).first()
    return found if found is not None else AdsSettings(workspace_id=workspace_id)


def rule_label(rule: str) -> str:
    return str(dict(AttributionRule.choices).get(rule, rule))


@dataclass
class Attribution:
    """Attributed conversions and revenue per (paid campaign, day), under ``rule``."""

    rule: str
    basis: str
    by_campaign_day: dict[tuple[int, datetime.date], attribution.Attributed]
    paths: int = 0
    missing_rates: set[tuple[str, datetime.date]] = field(default_factory=set)

    @property
    def rule_label(self) -> str:
        return rule_label(self.rule)

    def figures_of(
        self, figures: metrics.Figures, campaign_ids: Collection[int], day: datetime.date | None = None
    ) -> metrics.Figures:
        """``figures`` with the attributed sums of ``campaign_ids`` (on ``day`` only, when given)."""
        conversions = 0.0
        revenue = Decimal("0.00")
        for (campaign_id, on), found in self.by_campaign_day.items():
            if campaign_id in campaign_ids and (day is None or on == day):
                conversions += found.conversions
                revenue += found.revenue
        figures.attributed_conversions = round(conversions, 4)
        figures.attributed_revenue = revenue
        figures.basis = self.basis
        return figures


def attributed(
    workspace: Workspace,
    start: datetime.date,
    end: datetime.date,
    *,
    day_rates: metrics.Rates | None = None,
    rule: str | None = None,
) -> Attribution:
    """Conversions and revenue of pixel visits (``traffic.facade.conversion_paths``) and imported
    conversion paths from ``start`` to ``end``, credited to paid campaigns under the workspace's rule
    (or ``rule``). Imported revenue in a currency without a rate for its day is left out and named."""
    from pappus.traffic import facade as traffic

    chosen = ads_settings(workspace.pk)
    rule = rule or chosen.attribution_rule
    by_utm: dict[str, int] = {}
    tagged = AdCampaign.objects.for_workspace(workspace.pk).exclude(utm_campaign="").order_by("pk")
    for pk, utm in tagged.values_list("pk", "utm_campaign"):
        by_utm.setdefault(utm.strip().casefold(), pk)
    by_post: dict[int, int] = {}
    boosting = Ad.objects.for_workspace(workspace.pk).filter(post_id__isnull=False).order_by("pk")
    for post_id, campaign_id in boosting.values_list("post_id", "campaign_id"):
        if post_id is not None:
            by_post.setdefault(post_id, campaign_id)
    paths: list[attribution.Path] = [
        attribution.Path(
            day=found.day,
            touches=tuple(
                attribution.campaign_of_touch(touch.utm_campaign, touch.post_id, by_utm, by_post)
                for touch in found.touches
            ),
            conversions=found.conversions,
        )
        for found in traffic.conversion_paths(workspace.pk, first_day=start, last_day=end)
    ]
    day_rates = day_rates or rates(workspace, start, end)
    missing: set[tuple[str, datetime.date]] = set()
    for row in ImportedConversion.objects.for_workspace(workspace.pk).filter(day__gte=start, day__lte=end):
        revenue = day_rates.convert(row.revenue, row.currency, row.day)
        if revenue is None:
            missing.add((row.currency, row.day))
        paths.append(
            attribution.Path(
                day=row.day,
                touches=tuple(attribution.campaign_of_touch(step, None, by_utm, by_post) for step in row.path),
                conversions=row.conversions,
                revenue=revenue or Decimal(0),
            )
        )
    return Attribution(
        rule=rule,
        basis=chosen.ratio_basis,
        by_campaign_day=attribution.attribute(paths, rule),
        paths=len(paths),
        missing_rates=missing,
    )


@dataclass(frozen=True)
class CampaignLine:
    campaign: AdCampaign
    figures: metrics.Figures
    network_label: str

    @property
    def spent_share(self) -> float | None:
        """Spend ÷ planned budget (both in the workspace's currency)."""
        return metrics._ratio(self.figures.spend, self.campaign.budget_planned)

    @property
    def effectiveness(self) -> float | None:
        return metrics.effectiveness(self.figures.conversions, self.campaign.planned_conversions)


@dataclass(frozen=True)
class Line:
    """A named group's figures: a network, an ad set (audience) or an ad (creative)."""

    key: str
    label: str
    figures: metrics.Figures
    detail: str = ""


@dataclass
class Overview:
    currency: str
    start: datetime.date
    end: datetime.date
    total: metrics.Figures
    campaigns: list[CampaignLine]
    networks: list[Line]
    daily: list[dict[str, object]]  # {"day", "network", "spend"} in the workspace's currency
    missing_rates: list[tuple[str, datetime.date]] = field(default_factory=list)
    attribution: Attribution | None = None


def _network_labels() -> dict[str, str]:
    return {str(value): str(label) for value, label in Network.choices}


def overview(workspace: Workspace, start: datetime.date, end: datetime.date, *, network: str = "") -> Overview:
    campaigns = {
        campaign.pk: campaign
        for campaign in AdCampaign.objects.for_workspace(workspace.pk).select_related("account").order_by("name")
    }
    if network:
        campaigns = {pk: c for pk, c in campaigns.items() if c.account.network == network}
    day_rates = rates(workspace, start, end)
    counted = metrics.counted(daily_rows(workspace.pk, start, end, list(campaigns)), day_rates, "campaign")
    credited = attributed(workspace, start, end, day_rates=day_rates)
    labels = _network_labels()
    by_campaign = metrics.group(counted.rows, lambda row: row.campaign_id)
    by_network = metrics.group(counted.rows, lambda row: campaigns[row.campaign_id].account.network)
    by_day_network = metrics.group(counted.rows, lambda row: (row.day, campaigns[row.campaign_id].account.network))
    network_codes = {str(campaign.account.network) for campaign in campaigns.values()}
    return Overview(
        currency=workspace.currency,
        start=start,
        end=end,
        total=credited.figures_of(metrics.total(counted.rows), campaigns.keys()),
        campaigns=[
            CampaignLine(
                campaign,
                credited.figures_of(by_campaign.get(pk, metrics.Figures()), {pk}),
                labels.get(campaign.account.network, ""),
            )
            for pk, campaign in campaigns.items()
        ],
        networks=[
            Line(
                code,
                labels.get(code, code),
                credited.figures_of(
                    by_network.get(code, metrics.Figures()),
                    {pk for pk, campaign in campaigns.items() if campaign.account.network == code},
                ),
            )
            for code in sorted(network_codes | {str(code) for code in by_network})
        ],
        daily=[
            {
                "day": key[0].isoformat(),  # type: ignore[index]
                "network": labels.get(key[1], key[1]),  # type: ignore[index]
                "spend": None if figures.spend is None else float(figures.spend),
            }
            for key, figures in sorted(by_day_network.items(), key=lambda item: str(item[0]))
        ],
        missing_rates=sorted(counted.missing_rates | credited.missing_rates),
        attribution=credited,
    )


@dataclass
class CampaignDetail:
    campaign: AdCampaign
    currency: str
    total: metrics.Figures
    ad_sets: list[Line]
    ads: list[Line]
    daily: list[tuple[datetime.date, metrics.Figures]]
    missing_rates: list[tuple[str, datetime.date]]
    attribution: Attribution | None = None


def campaign_detail(
    workspace: Workspace, campaign: AdCampaign, start: datetime.date, end: datetime.date
) -> CampaignDetail:
    rows = daily_rows(workspace.pk, start, end, [campaign.pk])
    day_rates = rates(workspace, start, end)
    by_campaign = metrics.counted(rows, day_rates, "campaign")
    by_set = metrics.counted(rows, day_rates, "adset")
    by_ad = metrics.counted(rows, day_rates, "ad")
    sets = {s.pk: s for s in AdSet.objects.for_workspace(workspace.pk).filter(campaign=campaign)}
    ads = {a.pk: a for a in Ad.objects.for_workspace(workspace.pk).filter(campaign=campaign)}
    set_figures = metrics.group(by_set.rows, lambda row: row.ad_set_id)
    ad_figures = metrics.group(by_ad.rows, lambda row: row.ad_id)
    daily = metrics.group(by_campaign.rows, lambda row: row.day)
    credited = attributed(workspace, start, end, day_rates=day_rates)
    for campaign_id, day in credited.by_campaign_day:
        if campaign_id == campaign.pk:
            daily.setdefault(day, metrics.Figures())
    for on, figures in daily.items():
        if isinstance(on, datetime.date):
            credited.figures_of(figures, {campaign.pk}, on)
    for line_figures in [*set_figures.values(), *ad_figures.values()]:
        line_figures.basis = credited.basis
    return CampaignDetail(
        campaign=campaign,
        currency=workspace.currency,
        total=credited.figures_of(metrics.total(by_campaign.rows), {campaign.pk}),
        ad_sets=[Line(str(pk), s.name, set_figures.get(pk, metrics.Figures()), s.audience) for pk, s in sets.items()],
        ads=[Line(str(pk), a.name, ad_figures.get(pk, metrics.Figures()), a.creative) for pk, a in ads.items()],
        daily=sorted(
            ((day, figures) for day, figures in daily.items() if isinstance(day, datetime.date)),
            key=lambda item: item[0],
        ),
        missing_rates=sorted(
            by_campaign.missing_rates | by_set.missing_rates | by_ad.missing_rates | credited.missing_rates
        ),
        attribution=credited,
    )


def accounts(workspace_id: int) -> list[AdAccount]:
    return list(AdAccount.objects.for_workspace(workspace_id).order_by("network", "name"))


# --- pacing -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pacing:
    """A campaign's flight paced to yesterday (a complete day), or why it cannot be."""

    report: pacing.PacingReport | None
    reason: str = ""
    actual_daily: tuple[float, ...] = ()


def campaign_pacing(workspace: Workspace, campaign: AdCampaign, today: datetime.date) -> Pacing:
    """Planned spend (the budget spread evenly over the flight) against actual, to yesterday."""
    if campaign.starts_on is None or campaign.ends_on is None or not campaign.budget_planned:
        return Pacing(None, _("Give the campaign flight dates and a planned budget to see its pacing."))
    last = min(campaign.ends_on, today - datetime.timedelta(days=1))
    days = (last - campaign.starts_on).days + 1 if last >= campaign.starts_on else 0
    actual = [0.0] * days
    results = [0.0] * days
    if days:
        counted = metrics.counted(
            daily_rows(workspace.pk, campaign.starts_on, last, [campaign.pk]),
            rates(workspace, campaign.starts_on, last),
            "campaign",
        )
        if counted.missing_rates:
            return Pacing(None, _("An exchange rate is missing, so the spend to date is not known."))
        for row in counted.rows:
            index = (row.day - campaign.starts_on).days
            actual[index] = float(row.figures.spend_known)
            results[index] = float(row.figures.conversions)
    flight = pacing.Flight(campaign.starts_on, campaign.ends_on, float(campaign.budget_planned))
    return Pacing(pacing.pace(flight, actual, results=results), actual_daily=tuple(actual))


# --- reallocation -----------------------------------------------------------------------------------

KPI_CHOICES = ("conversions", "revenue", "clicks")


@dataclass(frozen=True)
class History:
    campaign: AdCampaign
    spend: tuple[float, ...]
    results: tuple[float, ...]


def histories(workspace: Workspace, kpi: str, first: datetime.date, last: datetime.date) -> list[History]:
    """Each campaign with spend between ``first`` and ``last``: its daily spend in the workspace's currency
    and its daily ``kpi`` (zero on days without a row). ValueError naming the missing exchange rates."""
    campaigns = {c.pk: c for c in AdCampaign.objects.for_workspace(workspace.pk).select_related("account")}
    counted = metrics.counted(daily_rows(workspace.pk, first, last), rates(workspace, first, last), "campaign")
    if counted.missing_rates:
        missing = ", ".join(f"{code} {day:%Y-%m-%d}" for code, day in sorted(counted.missing_rates)[:10])
        raise ValueError(_("Exchange rates are missing for: %(missing)s.") % {"missing": missing})
    days = (last - first).days + 1
    spend: dict[int, list[float]] = {}
    results: dict[int, list[float]] = {}
    for row in counted.rows:
        index = (row.day - first).days
        spend.setdefault(row.campaign_id, [0.0] * days)[index] = float(row.figures.spend_known)
        value = {
            "conversions": float(row.figures.conversions),
            "revenue": float(row.figures.revenue_known),
            "clicks": float(row.figures.clicks),
        }[kpi]
        results.setdefault(row.campaign_id, [0.0] * days)[index] = value
    return [
        History(campaigns[pk], tuple(spend[pk]), tuple(results[pk]))
        for pk in sorted(spend, key=lambda pk: campaigns[pk].name)
        if any(spend[pk])
    ]


HISTORY_LIMIT = 3 * 366  # the longest history a proposal may learn from, in days
