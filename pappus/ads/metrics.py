# ruff: noqa: RUF002 - the multiplication and minus signs in the definitions are meant.
"""The numbers of paid campaigns, as pure functions over plain rows (no database).

Definitions (each is ``None`` when its denominator is zero or an amount is unknown, never 0 or ∞):

- **CPM** = spend ÷ impressions × 1000; **CPC** = spend ÷ clicks; **CTR** = clicks ÷ impressions;
- **CPA** = spend ÷ conversions; **ROAS** = revenue ÷ spend; **ROI** = (revenue − spend) ÷ spend;
- **effectiveness** = result ÷ planned result (conversions ÷ planned conversions; 1.0 = the plan);
- **efficiency** = result ÷ cost (conversions per unit of the workspace's currency spent).

Attribution: ``conversions`` and ``revenue`` are the network's own figures as imported or entered (its
attribution rule and window). ``attributed_conversions`` and ``attributed_revenue`` are Pappus' own,
from tracked links and imported conversion paths under the workspace's rule (see
:mod:`pappus.ads.attribution`); they are None where they are not computed (ad sets and ads). CPA,
ROAS and ROI use the network's figures unless the workspace chose the attributed ones (``basis``).

Amounts are reported in the workspace's currency: an amount in another currency is converted with the
rate of its day, or the latest rate at most :data:`RATE_AGE_DAYS` days before it (markets close at
weekends). Without such a rate the amount is *unknown*: the group's money figures become ``None``
and the missing (currency, day) pairs are listed, so a report never quietly leaves spend out.

Each campaign's day is counted once: from its campaign-level row when there is one, else from the
sum of its ad-set rows, else from the sum of its ad rows (an export at ad level and another at
campaign level must not add up twice).
"""

from __future__ import annotations

import bisect
import datetime
from collections import defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

RATE_AGE_DAYS = 7
ZERO = Decimal("0.00")


def _ratio(numerator: float | Decimal | None, denominator: float | Decimal | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return float(numerator) / float(denominator)


def cpm(spend: Decimal | None, impressions: int) -> float | None:
    value = _ratio(spend, impressions)
    return None if value is None else value * 1000


def cpc(spend: Decimal | None, clicks: int) -> float | None:
    return _ratio(spend, clicks)


def ctr(clicks: int, impressions: int) -> float | None:
    return _ratio(clicks, impressions)


def cpa(spend: Decimal | None, conversions: float | None) -> float | None:
    return _ratio(spend, conversions)


def roas(revenue: Decimal | None, spend: Decimal | None) -> float | None:
    return _ratio(revenue, spend)


def roi(revenue: Decimal | None, spend: Decimal | None) -> float | None:
    if revenue is None or spend is None:
        return None
    return _ratio(revenue - spend, spend)


def effectiveness(result: float | None, plan: float | None) -> float | None:
    return _ratio(result, plan)


def efficiency(result: float | None, cost: float | Decimal | None) -> float | None:
    return _ratio(result, cost)


# --- rows and currency ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DailyRow:
    """One stored day of a campaign, ad set or ad, as the database holds it."""

    campaign_id: int
    ad_set_id: int | None
    ad_id: int | None
    level: str  # "campaign", "adset" or "ad"
    day: datetime.date
    currency: str
    spend: Decimal
    impressions: int = 0
    reach: int = 0
    clicks: int = 0
    conversions: int = 0
    revenue: Decimal = ZERO


class Rates:
    """Daily rates into the workspace's currency: ``rates[currency] = {day: rate}``."""

    def __init__(self, target: str, rates: Mapping[str, Mapping[datetime.date, Decimal]]) -> None:
        self.target = target
        self._days = {currency: sorted(by_day) for currency, by_day in rates.items()}
        self._rates = {currency: dict(by_day) for currency, by_day in rates.items()}

    def rate(self, currency: str, day: datetime.date) -> Decimal | None:
        """The rate of ``day``, or the latest one at most RATE_AGE_DAYS before; None when there is none."""
        if currency == self.target:
            return Decimal(1)
        days = self._days.get(currency, [])
        index = bisect.bisect_right(days, day)
        if index == 0:
            return None
        found = days[index - 1]
        if (day - found).days > RATE_AGE_DAYS:
            return None
        return self._rates[currency][found]

    def convert(self, amount: Decimal, currency: str, day: datetime.date) -> Decimal | None:
        rate = self.rate(currency, day)
        return None if rate is None else (amount * rate).quantize(Decimal("0.01"))


@dataclass
class Figures:
    """Sums of a group of days in the workspace's currency, and the metrics computed from them.

    ``spend`` and ``revenue`` are None when any day of the group had no exchange rate."""

    spend_known: Decimal = ZERO
    revenue_known: Decimal = ZERO
    impressions: int = 0
    reach: int = 0
    clicks: int = 0
    conversions: int = 0
    days: int = 0
    missing_rate: bool = False
    attributed_conversions: float | None = None
    attributed_revenue: Decimal | None = None
    basis: str = "network"  # or "attributed": which conversions and revenue CPA, ROAS and ROI use

    def add(self, other: Figures) -> None:
        self.spend_known += other.spend_known
        self.revenue_known += other.revenue_known
        self.impressions += other.impressions
        self.reach += other.reach
        self.clicks += other.clicks
        self.conversions += other.conversions
        self.days += other.days
        self.missing_rate = self.missing_rate or other.missing_rate

    @property
    def spend(self) -> Decimal | None:
        return None if self.missing_rate else self.spend_known

    @property
    def revenue(self) -> Decimal | None:
        return None if self.missing_rate else self.revenue_known

    @property
    def cpm(self) -> float | None:
        return cpm(self.spend, self.impressions)

    @property
    def cpc(self) -> float | None:
        return cpc(self.spend, self.clicks)

    @property
    def ctr(self) -> float | None:
        return ctr(self.clicks, self.impressions)

    @property
    def ratio_conversions(self) -> float | None:
        """The conversions CPA uses: the network's, or the attributed ones when the workspace chose them."""
        return self.attributed_conversions if self.basis == "attributed" else self.conversions

    @property
    def ratio_revenue(self) -> Decimal | None:
        return self.attributed_revenue if self.basis == "attributed" else self.revenue

    @property
    def cpa(self) -> float | None:
        return cpa(self.spend, self.ratio_conversions)

    @property
    def roas(self) -> float | None:
        return roas(self.ratio_revenue, self.spend)

    @property
    def roi(self) -> float | None:
        return roi(self.ratio_revenue, self.spend)

    @property
    def efficiency(self) -> float | None:
        """Conversions per unit of money spent."""
        return efficiency(self.conversions, self.spend)


@dataclass(frozen=True, slots=True)
class Converted:
    """A row counted once at its level, amounts in the workspace's currency (None: no rate)."""

    campaign_id: int
    ad_set_id: int | None
    ad_id: int | None
    day: datetime.date
    figures: Figures


def _figures(row: DailyRow, rates: Rates, missing: set[tuple[str, datetime.date]]) -> Figures:
    spend = rates.convert(row.spend, row.currency, row.day)
    revenue = rates.convert(row.revenue, row.currency, row.day)
    if spend is None or revenue is None:
        missing.add((row.currency, row.day))
    return Figures(
        spend_known=spend or ZERO,
        revenue_known=revenue or ZERO,
        impressions=row.impressions,
        reach=row.reach,
        clicks=row.clicks,
        conversions=row.conversions,
        days=1,
        missing_rate=spend is None or revenue is None,
    )


@dataclass
class Counted:
    """Rows at one level, each counted once, and the (currency, day) pairs that had no rate."""

    rows: list[Converted] = field(default_factory=list)
    missing_rates: set[tuple[str, datetime.date]] = field(default_factory=set)


def counted(rows: Iterable[DailyRow], rates: Rates, level: str) -> Counted:
    """The rows of ``level`` ("campaign", "adset" or "ad"), one per object and day.

    A campaign's day comes from its campaign row, else its ad-set rows, else its ad rows; an ad set's
    day from its own row, else its ads' rows. Reach of summed rows is a sum too (an upper bound: the
    networks do not say how the audiences overlap)."""
    result = Counted()
    by_object: dict[tuple[Hashable, datetime.date], dict[str, list[DailyRow]]] = defaultdict(lambda: defaultdict(list))
    for row in rows:
        if level == "campaign":
            key: Hashable = row.campaign_id
        elif level == "adset":
            if row.ad_set_id is None or row.level == "campaign":
                continue
            key = row.ad_set_id
        else:
            if row.level != "ad":
                continue
            key = row.ad_id
        by_object[(key, row.day)][row.level].append(row)
    preference = ("campaign", "adset", "ad")[("campaign", "adset", "ad").index(level) :]
    for (_key, day), levels in by_object.items():
        chosen = next(levels[name] for name in preference if levels.get(name))
        figures = Figures()
        for row in chosen:
            one = _figures(row, rates, result.missing_rates)
            one.days = 0
            figures.add(one)
        figures.days = 1
        first = chosen[0]
        result.rows.append(
            Converted(
                campaign_id=first.campaign_id,
                ad_set_id=first.ad_set_id if level != "campaign" else None,
                ad_id=first.ad_id if level == "ad" else None,
                day=day,
                figures=figures,
            )
        )
    result.rows.sort(key=lambda row: (row.day, row.campaign_id))
    return result


def group(rows: Iterable[Converted], key: Callable[[Converted], Hashable]) -> dict[Hashable, Figures]:
    """Sum the counted rows by ``key`` (a campaign, a network, a day…)."""
    groups: dict[Hashable, Figures] = {}
    for row in rows:
        groups.setdefault(key(row), Figures()).add(row.figures)
    return groups


def total(rows: Iterable[Converted]) -> Figures:
    figures = Figures()
    for row in rows:
        figures.add(row.figures)
    return figures
