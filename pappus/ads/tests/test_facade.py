"""What strategy reads from ads: the spend of each strategy campaign's paid campaigns, in the
workspace's currency, with a missing rate named rather than hidden."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest

from pappus.ads import facade, services
from pappus.ads.tests.helpers import DAY, account, actor, campaign, day
from pappus.core.models import Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.strategy.tests.factories import make_campaign, strategist

pytestmark = pytest.mark.django_db


def test_spend_is_summed_per_strategy_campaign_in_the_workspace_currency(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    plan, other_plan = make_campaign(strategist(workspace)), make_campaign(strategist(workspace))
    meta, vk = account(manager), account(manager, "VK", currency="RUB", network="vk")
    day(manager, campaign(manager, meta, "A", strategy_campaign_id=plan.pk), spend=Decimal(100), conversions=3)
    day(manager, campaign(manager, vk, "B", strategy_campaign_id=plan.pk), spend=Decimal(5000))
    later = DAY + datetime.timedelta(days=1)
    day(manager, campaign(manager, vk, "C", strategy_campaign_id=other_plan.pk), later, spend=Decimal(10))
    day(manager, campaign(manager, meta, "D"), spend=Decimal(999))  # not linked to the plan
    services.rate_set(actor=actor(manager), membership=manager, day=DAY, currency="RUB", rate=Decimal("0.01"))
    # Without a rate of its own the 11th uses the 10th's: no missing rate in this period.

    spend = facade.spend_by_strategy_campaign(workspace.pk, [plan.pk, other_plan.pk, 10**9], DAY, later)
    early = facade.spend_by_strategy_campaign(workspace.pk, [other_plan.pk], later, later)

    assert set(spend) == {plan.pk, other_plan.pk}
    assert spend[plan.pk].spend == Decimal("150.00")
    assert spend[plan.pk].conversions == 3
    assert spend[plan.pk].ad_campaigns == 2
    assert spend[other_plan.pk].spend == Decimal("0.10")
    assert early[other_plan.pk].missing_rates == ()
    assert facade.spend_by_strategy_campaign(make_member(None).workspace_id, [plan.pk], DAY, later) == {}


def test_a_missing_rate_makes_the_spend_unknown_and_is_named(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    plan = make_campaign(strategist(workspace))
    vk = account(manager, "VK", currency="RUB", network="vk")
    day(manager, campaign(manager, vk, "B", strategy_campaign_id=plan.pk), spend=Decimal(5000))

    spend = facade.spend_by_strategy_campaign(workspace.pk, [plan.pk], DAY, DAY)

    assert spend[plan.pk].spend is None
    assert spend[plan.pk].missing_rates == (("RUB", DAY),)


def test_each_strategy_campaign_is_counted_over_its_own_days_in_one_read(
    workspace: Workspace, django_assert_max_num_queries: Any
) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    first, second = make_campaign(strategist(workspace)), make_campaign(strategist(workspace))
    meta = account(manager)
    later = DAY + datetime.timedelta(days=1)
    for plan, name in ((first, "A"), (second, "B")):
        paid = campaign(manager, meta, name, strategy_campaign_id=plan.pk)
        day(manager, paid, DAY, spend=Decimal(100))
        day(manager, paid, later, spend=Decimal(7))

    with django_assert_max_num_queries(6):
        spend = facade.spend_by_strategy_campaign_ranges(
            workspace.pk, {first.pk: (DAY, DAY), second.pk: (later, later)}
        )

    assert (spend[first.pk].spend, spend[second.pk].spend) == (Decimal("100.00"), Decimal("7.00"))
    assert spend == {
        **facade.spend_by_strategy_campaign(workspace.pk, [first.pk], DAY, DAY),
        **facade.spend_by_strategy_campaign(workspace.pk, [second.pk], later, later),
    }
