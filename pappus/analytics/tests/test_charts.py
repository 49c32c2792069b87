"""Every dashboard chart is a valid Vega-Lite spec: vl-convert renders it (as reports will) with its data."""

from __future__ import annotations

import pytest

from pappus.analytics import charts, kpis, selectors
from pappus.analytics.tests.conftest import FIRST, LAST
from pappus.core import charts as core_charts
from pappus.core.models import Workspace

pytestmark = pytest.mark.django_db


def test_each_chart_renders_to_svg_with_its_labels(fixture: Workspace) -> None:
    scope = kpis.Scope(fixture.pk, FIRST, LAST)
    labels = {"educational": "Educational", "promo": "Promo"}
    expected = {
        "followers": ("mastodon", "bluesky"),
        "engagement": ("Reactions", "Comments"),
        "content_types": ("Educational", "Promo"),
        "pillars": ("Brewing", "Origins"),
        "sentiment": ("Positive", "Negative"),
        "share_of_voice": ("Nordlys", "Rival"),
        "landing_pages": ("Sessions",),  # the fixture has no landing-page visits: an empty chart, titled
        "audience": ("Share (%)",),
    }
    for key in selectors.DATASET_KEYS:
        svg = core_charts.to_svg(charts.chart_for(selectors.dataset(key, scope, content_type_labels=labels)))
        assert svg.startswith("<svg"), key
        for text in expected[key]:
            assert text in svg, (key, text)
