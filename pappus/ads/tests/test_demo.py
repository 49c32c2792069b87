"""The demo's paid campaigns: written through the services (import included), linked to the
strategy's campaigns, reported in the workspace's currency with every rate present, and a second
load adds nothing."""

from __future__ import annotations

import datetime
import random

import pytest
from django.utils import timezone

from pappus.ads import demo, selectors
from pappus.ads.models import AdAccount, AdCampaign, AdDaily, AdImport
from pappus.core.models import Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.strategy.tests.factories import make_campaign, strategist

pytestmark = pytest.mark.django_db


def test_the_demo_builds_linked_campaigns_with_results_once(workspace: Workspace) -> None:
    make_member(workspace, Role.CAMPAIGN_MANAGER)
    plan = make_campaign(strategist(workspace))

    demo.contribute(workspace, random.Random(1))
    demo.contribute(workspace, random.Random(1))

    assert AdAccount.objects.for_workspace(workspace).count() == 2
    assert AdCampaign.objects.for_workspace(workspace).filter(strategy_campaign_id=plan.pk).count() == 3
    assert all(row.errors == [] and row.rows_imported > 0 for row in AdImport.objects.for_workspace(workspace))
    today = timezone.localdate()
    report = selectors.overview(workspace, today - datetime.timedelta(days=27), today)
    assert report.missing_rates == []
    assert report.total.spend is not None
    assert report.total.spend > 0
    assert report.total.roas is not None
    assert AdDaily.objects.for_workspace(workspace).filter(level="ad").count() == 2 * 3 * demo.DAYS
