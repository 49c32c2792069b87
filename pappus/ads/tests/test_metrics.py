"""The metrics' definitions: zero denominators give None (never 0 or ∞), amounts are converted with
the day's rate (or the latest within a week), a missing rate is flagged rather than left out, and a
campaign's day is counted once whatever levels the imports hold."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from pappus.ads import metrics

DAY = datetime.date(2026, 3, 10)


def row(
    level: str = "campaign", *, ad_set: int | None = None, ad: int | None = None, **values: object
) -> metrics.DailyRow:
    defaults: dict[str, object] = {"day": DAY, "currency": "EUR", "spend": Decimal("100.00")}
    defaults.update(values)
    return metrics.DailyRow(campaign_id=1, ad_set_id=ad_set, ad_id=ad, level=level, **defaults)  # type: ignore[arg-type]


def test_each_metric_is_none_when_there_is_nothing_to_divide_by() -> None:
    assert metrics.cpm(Decimal(10), 0) is None
    assert metrics.cpc(Decimal(10), 0) is None
    assert metrics.ctr(0, 0) is None
    assert metrics.cpa(Decimal(10), 0) is None
    assert metrics.roas(Decimal(50), Decimal(0)) is None
    assert metrics.roi(Decimal(50), Decimal(0)) is None
    assert metrics.effectiveness(5, 0) is None
    assert metrics.efficiency(5, Decimal(0)) is None
    assert metrics.cpm(None, 1000) is None
    assert metrics.roi(None, Decimal(10)) is None


def test_the_metrics_follow_their_definitions() -> None:
    figures = metrics.Figures(
        spend_known=Decimal("200.00"), revenue_known=Decimal("500.00"), impressions=40_000, clicks=400, conversions=10
    )
    assert figures.cpm == pytest.approx(5.0)
    assert figures.cpc == pytest.approx(0.5)
    assert figures.ctr == pytest.approx(0.01)
    assert figures.cpa == pytest.approx(20.0)
    assert figures.roas == pytest.approx(2.5)
    assert figures.roi == pytest.approx(1.5)
    assert figures.efficiency == pytest.approx(0.05)
    assert metrics.effectiveness(10, 8) == pytest.approx(1.25)
    assert metrics.Figures(revenue_known=Decimal(0), spend_known=Decimal(10)).roi == pytest.approx(-1.0)


def test_amounts_use_the_days_rate_or_the_latest_within_a_week_and_flag_a_missing_one() -> None:
    rates = metrics.Rates("NOK", {"EUR": {datetime.date(2026, 3, 6): Decimal("11.50"), DAY: Decimal("11.00")}})
    assert rates.convert(Decimal(10), "NOK", DAY) == Decimal("10.00")
    assert rates.convert(Decimal(10), "EUR", DAY) == Decimal("110.00")
    assert rates.convert(Decimal(10), "EUR", datetime.date(2026, 3, 8)) == Decimal("115.00")  # a weekend
    assert rates.convert(Decimal(10), "EUR", datetime.date(2026, 3, 5)) is None  # before any rate
    assert rates.convert(Decimal(10), "EUR", datetime.date(2026, 3, 18)) is None  # over a week old
    assert rates.convert(Decimal(10), "USD", DAY) is None

    counted = metrics.counted(
        [row(currency="EUR"), row(currency="USD", day=datetime.date(2026, 3, 11), impressions=1000)], rates, "campaign"
    )
    total = metrics.total(counted.rows)
    assert counted.missing_rates == {("USD", datetime.date(2026, 3, 11))}
    assert total.spend is None
    assert total.revenue is None
    assert total.cpm is None
    assert total.impressions == 1000  # counts are still known
    assert metrics.total(counted.rows[:1]).spend == Decimal("1100.00")


def test_a_campaigns_day_is_counted_once_from_its_finest_complete_level() -> None:
    rates = metrics.Rates("EUR", {})
    rows = [
        row("campaign", spend=Decimal("90.00"), clicks=9),
        row("adset", ad_set=1, spend=Decimal("50.00"), clicks=5),
        row("adset", ad_set=2, spend=Decimal("40.00"), clicks=4),
        row("ad", ad_set=1, ad=1, spend=Decimal("50.00"), clicks=5),
        # another day, ad level only
        row("ad", ad_set=1, ad=1, day=DAY + datetime.timedelta(days=1), spend=Decimal("10.00")),
        row("ad", ad_set=2, ad=2, day=DAY + datetime.timedelta(days=1), spend=Decimal("15.00")),
    ]
    campaign = metrics.total(metrics.counted(rows, rates, "campaign").rows)
    by_set = metrics.group(metrics.counted(rows, rates, "adset").rows, lambda r: r.ad_set_id)
    by_ad = metrics.group(metrics.counted(rows, rates, "ad").rows, lambda r: r.ad_id)

    assert campaign.spend == Decimal("115.00")  # 90 on the first day, 10 + 15 on the second
    assert campaign.clicks == 9
    assert {key: figures.spend for key, figures in by_set.items()} == {1: Decimal("60.00"), 2: Decimal("55.00")}
    assert {key: figures.spend for key, figures in by_ad.items()} == {1: Decimal("60.00"), 2: Decimal("15.00")}


def test_the_apis_choices_are_the_models() -> None:
    from typing import get_args

    from pappus.ads import api
    from pappus.ads.models import Network, Objective

    assert set(get_args(api.NetworkCode)) == set(Network.values)
    assert set(get_args(api.ObjectiveCode)) == set(Objective.values)
