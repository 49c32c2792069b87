"""The strategy part of the demo: realistic, multilingual, idempotent."""

from __future__ import annotations

import pytest

from pappus.core import demo
from pappus.core.models import Workspace
from pappus.strategy import selectors
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
    assert KpiMeasurement.objects.filter(workspace=nordlys).count() == 6 * 12
    assert len(selectors.funnel_of(selectors.kpis(nordlys).filter(campaign__isnull=False))) == 5
    assert selectors.reviews(nordlys).count() == 1
    bakery = Workspace.objects.get(slug="solsikke-bakeri")
    assert [program.name for program in selectors.programs(bakery)] == ["Flere faste kunder"]
