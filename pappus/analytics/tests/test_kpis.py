# ruff: noqa: RUF003 - the arithmetic in comments uses the real times sign
"""KPI values against a hand-computed fixture (the arithmetic is written beside each assertion).

The period is 10-16 March 2026 (7 UTC days); the previous period 3-9 March.
"""

from __future__ import annotations

import datetime

import pytest

from pappus.analytics import kpis
from pappus.analytics.tests.conftest import FIRST, LAST
from pappus.core.models import Region, Workspace
from pappus.core.tests.factories import make_workspace

pytestmark = pytest.mark.django_db


def values(scope: kpis.Scope) -> dict[str, tuple[float | None, float | None]]:
    return {
        item.kpi.key: (
            None if item.value is None else round(item.value, 4),
            None if item.previous is None else round(item.previous, 4),
        )
        for item in kpis.evaluate(scope)
    }


def test_every_kpi_against_the_hand_computed_fixture(fixture: Workspace) -> None:
    found = values(kpis.Scope(fixture.pk, FIRST, LAST))

    assert found == {
        # (125 - 100) for account 1, (58 - 50) for account 2 (no earlier snapshot: its first counts);
        # previous period: account 1 only, its first snapshot is its start: 100 - 100.
        "audience_growth": (33.0, 0.0),
        "followers": (183.0, 100.0),
        # Mastodon post: 60 + 10 + 10 - (40 + 5 + 5) = 30; Bluesky post: 14 + 2 + 1 + 3 = 20 (from 0).
        # Previous period: the Mastodon post's first snapshot, 40 + 5 + 5 = 50.
        "engagements": (50.0, 50.0),
        # 50 / (500 + 400) × 100; previous: 50 / 1000 × 100.
        "engagement_rate": (5.5556, 5.0),
        "reach": (None, None),  # no network reported reach
        "content_coverage": (None, None),  # no reach
        # No pixel site and no import: nothing to compute (test_traffic_kpis.py has the traffic fixture).
        "referral_sessions": (None, None),
        "conversions": (None, None),
        "bounce_rate": (None, None),
        "negative_feedback_rate": (20.0, 100.0),  # 20 / (30 + 50 + 20); previous: 99 / 99
        "net_sentiment": (10.0, -100.0),  # (30 - 20) / 100
        "share_of_voice": (60.0, None),  # 60 / (60 + 40); nothing said about either topic before
        "first_response_hours": (2.0, 24.0),  # median of 2, 4, 1; previous: one conversation, 24 h
        "resolution_hours": (15.0, None),  # median of 24 and 6
        # 4 published (3 planned + the Bluesky post) / (4 + 1 failed): the scheduled one is not final yet;
        # previous: the Mastodon post, published.
        "publishing_reliability": (80.0, 100.0),
    }


def test_filters_by_network_and_region(fixture: Workspace, spoke: Region) -> None:
    bluesky = values(kpis.Scope(fixture.pk, FIRST, LAST, networks=("bluesky",)))
    assert bluesky["audience_growth"] == (8.0, None)
    assert bluesky["engagements"] == (20.0, None)
    assert bluesky["engagement_rate"] == (5.0, None)  # 20 / 400 × 100

    norway = values(kpis.Scope(fixture.pk, FIRST, LAST, region_ids=(spoke.pk,)))
    assert norway["followers"] == (58.0, None)
    assert norway["engagements"] == (20.0, None)
    assert norway["publishing_reliability"] == (100.0, None)  # only the Bluesky post is in the spoke


def test_another_workspace_sees_none_of_it(fixture: Workspace) -> None:
    found = values(kpis.Scope(make_workspace().pk, FIRST, LAST))
    assert set(found.values()) == {(None, None)}


def test_the_previous_period_has_the_same_length() -> None:
    scope = kpis.Scope(1, FIRST, LAST)
    assert (scope.previous().first_day, scope.previous().last_day) == (
        datetime.date(2026, 3, 3),
        datetime.date(2026, 3, 9),
    )
    assert kpis.Scope(1, FIRST, FIRST).previous().last_day == datetime.date(2026, 3, 9)
