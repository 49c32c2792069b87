"""The strategy part of the demo: realistic, multilingual, idempotent."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from pappus.core import demo
from pappus.core.models import Workspace
from pappus.strategy import measured, selectors
from pappus.strategy.models import Kpi, KpiMeasurement, Program

pytestmark = pytest.mark.django_db


def test_the_demo_fills_a_multilingual_strategy_once():
    plan = demo.demo_plan(demo.DEFAULT_SEED)
    demo.load_demo(plan, password="demo-test-password")
    counts = (Program.objects.count(), Kpi.objects.count(), KpiMeasurement.objects.count())
    demo.load_demo(plan, password="demo-test-password")

    assert (Program.objects.count(), Kpi.objects.count(), KpiMeasurement.objects.count()) == counts
    nordlys = Workspace.objects.get(slug="nordlys-coffee")
    names = [program.name for program in selectors.programs(nordlys)]
    assert sorted(names) == ["Nordic light in every cup", "Клуб Nordlys"]
    assert selectors.competitors(nordlys).filter(name="Manner Coffee").exists()
    polar = selectors.competitors(nordlys).get(name="Polar Roast")
    voice = measured.share_of_voice(
        nordlys,
        first_day=timezone.localdate() - datetime.timedelta(days=27),
        last_day=timezone.localdate(),
        brand_name=nordlys.name,
    )
    shares = {row.name: row.share for row in voice.voices}
    assert polar.listening_topic_id is not None
    polar_share, brand_share = shares["Polar Roast"], shares[nordlys.name]
    assert polar_share is not None
    assert brand_share is not None
    assert polar_share + brand_share == pytest.approx(100)
    assert KpiMeasurement.objects.filter(workspace=nordlys).count() == 6 * 12
    assert len(selectors.funnel_of(selectors.kpis(nordlys).filter(campaign__isnull=False))) == 5
    assert selectors.reviews(nordlys).count() == 1
    bakery = Workspace.objects.get(slug="solsikke-bakeri")
    assert [program.name for program in selectors.programs(bakery)] == ["Flere faste kunder"]
