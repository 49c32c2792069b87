"""The analytics demo contributor: generated snapshots for the demo's published posts and networks."""

from __future__ import annotations

import datetime
import random

import pytest
from django.utils import timezone

from pappus.analytics import demo as analytics_demo
from pappus.analytics import kpis
from pappus.analytics.models import AccountSnapshot, DailyAccountRollup, DailyPostRollup, PostSnapshot
from pappus.analytics.tests.factories import make_published_variant
from pappus.core import demo
from pappus.core.models import AuditEvent, Workspace


def test_analytics_contributes_after_publishing() -> None:
    names = list(demo.demo_contributors())
    assert names.index("publishing") < names.index("analytics")


@pytest.mark.django_db
def test_the_demo_fills_the_dashboard_and_a_second_load_adds_nothing(workspace: Workspace) -> None:
    now = timezone.now()
    for days_ago, network in ((3, "mastodon"), (5, "bluesky")):
        make_published_variant(
            workspace,
            account_id=None,
            remote_id=f"demo-{days_ago}",
            network=network,
            published_at=now - datetime.timedelta(days=days_ago),
        )

    analytics_demo.contribute(workspace, random.Random(1))
    counts = (AccountSnapshot.objects.count(), PostSnapshot.objects.count(), AuditEvent.objects.count())
    analytics_demo.contribute(workspace, random.Random(1))

    assert (AccountSnapshot.objects.count(), PostSnapshot.objects.count(), AuditEvent.objects.count()) == counts
    assert set(AccountSnapshot.objects.values_list("network", flat=True)) == {"mastodon", "bluesky"}
    assert PostSnapshot.objects.filter(remote_id="demo-5").count() == 5  # one a day since publication
    assert DailyAccountRollup.objects.exists()
    assert DailyPostRollup.objects.exists()
    today = now.astimezone(datetime.UTC).date()
    found = {
        item.kpi.key: item.value
        for item in kpis.evaluate(kpis.Scope(workspace.pk, today - datetime.timedelta(days=27), today))
    }
    assert (found["engagements"] or 0) > 0
    assert (found["followers"] or 0) > 0
