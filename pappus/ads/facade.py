"""What other apps may ask of ads (strategy shows what its campaigns spent). Plain frozen
dataclasses; no model instances leave the app."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from pappus.ads import metrics, selectors
from pappus.ads.models import AdCampaign
from pappus.core.models import Workspace


@dataclass(frozen=True)
class CampaignSpend:
    """A strategy campaign's paid figures over a period, amounts in the workspace's currency.

    ``spend`` and ``revenue`` are None when a day lacked an exchange rate (``missing_rates`` names
    them); conversions and revenue are the networks' own attribution, as imported."""

    strategy_campaign_id: int
    ad_campaigns: int
    spend: Decimal | None
    revenue: Decimal | None
    impressions: int
    clicks: int
    conversions: int
    missing_rates: tuple[tuple[str, datetime.date], ...]


def spend_by_strategy_campaign(
    workspace_id: int, campaign_ids: Sequence[int], start: datetime.date, end: datetime.date
) -> dict[int, CampaignSpend]:
    """Per strategy campaign among ``campaign_ids`` (only those with paid campaigns linked), the
    spend and results of its paid campaigns from ``start`` to ``end`` inclusive."""
    return spend_by_strategy_campaign_ranges(workspace_id, dict.fromkeys(campaign_ids, (start, end)))


def spend_by_strategy_campaign_ranges(
    workspace_id: int, ranges: Mapping[int, tuple[datetime.date, datetime.date]]
) -> dict[int, CampaignSpend]:
    """As :func:`spend_by_strategy_campaign`, each strategy campaign over its own days (first, last):
    one read for all of them, so a program's page does not read once per campaign."""
    workspace = Workspace.objects.get(pk=workspace_id)
    links: dict[int, int] = {
        pk: strategy_id
        for pk, strategy_id in AdCampaign.objects.for_workspace(workspace_id)
        .filter(strategy_campaign_id__in=list(ranges))
        .values_list("pk", "strategy_campaign_id")
        if strategy_id is not None
    }
    if not links:
        return {}
    start = min(first for first, _last in ranges.values())
    end = max(last for _first, last in ranges.values())
    rates = selectors.rates(workspace, start, end)
    counted = metrics.counted(selectors.daily_rows(workspace_id, start, end, list(links)), rates, "campaign")
    rows = [
        row for row in counted.rows if ranges[links[row.campaign_id]][0] <= row.day <= ranges[links[row.campaign_id]][1]
    ]
    missing: dict[int, set[tuple[str, datetime.date]]] = {}
    for row in rows:
        if row.figures.missing_rate:
            missing.setdefault(links[row.campaign_id], set()).update(
                pair for pair in counted.missing_rates if pair[1] == row.day
            )
    groups = metrics.group(rows, lambda row: links[row.campaign_id])
    result = {}
    for strategy_id in sorted(set(links.values())):
        figures = groups.get(strategy_id, metrics.Figures())
        result[strategy_id] = CampaignSpend(
            strategy_campaign_id=strategy_id,
            ad_campaigns=sum(1 for value in links.values() if value == strategy_id),
            spend=figures.spend,
            revenue=figures.revenue,
            impressions=figures.impressions,
            clicks=figures.clicks,
            conversions=figures.conversions,
            missing_rates=tuple(sorted(missing.get(strategy_id, set()))),
        )
    return result
