# ruff: noqa: RUF001, RUF003 - the arithmetic in comments uses the real times sign
"""Referral traffic, conversions, bounce rate, content coverage and the audience profile against a
hand-computed fixture (the arithmetic beside each assertion). Period 10-16 March 2026, previous 3-9 March."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from pappus.analytics import kpis, rollups, selectors
from pappus.analytics.tests.conftest import FIRST, LAST
from pappus.analytics.tests.factories import at, make_published_variant, post_snapshot
from pappus.core.models import Region, Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.listening.models import MentionRollup
from pappus.traffic.models import ImportedTraffic, Site, Visit

pytestmark = pytest.mark.django_db
SPRING, AUTUMN = "nordlys.example/spring", "nordlys.example/autumn"


def visit(
    site: Site,
    day: int,
    page: str,
    *,
    link: int | None,
    network: str = "",
    views: int,
    converted: int = 0,
    language: str = "",
    country: str = "",
) -> None:
    moment = at(day)
    Visit.objects.create(
        workspace_id=site.workspace_id,
        site=site,
        visitor=f"v{Visit.objects.count()}",
        day=moment.date(),
        started_at=moment,
        last_seen_at=moment,
        rate_minute=moment,
        landing_url=page,
        link_id=link,
        post_id=link,
        network=network,
        page_views=views,
        conversions=converted,
        language=language,
        country=country,
    )


@pytest.fixture
def traffic(fixture: Workspace) -> Workspace:
    site = Site.objects.create(workspace=fixture, name="Nordlys", key="ps_test")
    visit(site, 10, SPRING, link=1, network="mastodon", views=1, language="nb", country="NO")  # a bounce
    visit(site, 11, SPRING, link=1, network="mastodon", views=3, converted=1, language="nb", country="NO")
    visit(site, 12, SPRING, link=None, views=1, language="en", country="")  # replaced by the import of that day
    visit(site, 12, AUTUMN, link=2, network="bluesky", views=2, language="ru", country="RU")
    visit(site, 5, SPRING, link=1, network="mastodon", views=1)  # previous period, a bounce
    for day, page, sessions, bounces, converted in (
        (12, SPRING, 10, 4, 2),
        (13, "/offers", 5, 5, 0),
    ):
        ImportedTraffic.objects.create(
            workspace=fixture,
            day=at(day).date(),
            landing_url=page,
            sessions=sessions,
            bounces=bounces,
            conversions=converted,
        )
    return fixture


def values(scope: kpis.Scope, *keys: str) -> dict[str, tuple[float | None, float | None]]:
    return {
        item.kpi.key: (
            None if item.value is None else round(item.value, 4),
            None if item.previous is None else round(item.previous, 4),
        )
        for item in kpis.evaluate(scope, keys)
    }


def test_referral_traffic_conversions_and_bounce_rate(traffic: Workspace) -> None:
    found = values(kpis.Scope(traffic.pk, FIRST, LAST), "referral_sessions", "conversions", "bounce_rate")

    assert found == {
        # Through tracked links: spring on the 10th and 11th, autumn on the 12th; previous: the 5th.
        "referral_sessions": (3.0, 1.0),
        # Spring: 0 + 1 (pixel) + 2 (imported for the 12th, replacing the pixel's); autumn 0; offers 0.
        "conversions": (3.0, 0.0),
        # Sessions: spring 1 + 1 + 10, autumn 1, offers 5 = 18; bounces: 1 + 0 + 4, 0, 5 = 10.
        # 10 / 18 × 100; previous: 1 / 1 × 100.
        "bounce_rate": (55.5556, 100.0),
    }


def test_a_network_counts_its_tracked_links_visits_only_and_a_region_has_none(
    traffic: Workspace, spoke: Region
) -> None:
    mastodon = values(
        kpis.Scope(traffic.pk, FIRST, LAST, networks=("mastodon",)), "referral_sessions", "conversions", "bounce_rate"
    )
    region = values(kpis.Scope(traffic.pk, FIRST, LAST, region_ids=(spoke.pk,)), "referral_sessions", "bounce_rate")

    # The two Mastodon visits: 2 sessions, 1 bounce, 1 conversion; imported rows say no network.
    assert mastodon == {"referral_sessions": (2.0, 1.0), "conversions": (1.0, 0.0), "bounce_rate": (50.0, 100.0)}
    assert region == {"referral_sessions": (None, None), "bounce_rate": (None, None)}


def test_the_landing_pages_table(traffic: Workspace) -> None:
    data = selectors.dataset("landing_pages", kpis.Scope(traffic.pk, FIRST, LAST), content_type_labels={})

    assert data.table() == [
        # page, sessions, from tracked links, conversions, conversions from tracked links, bounce rate, source
        [SPRING, 12, 2, 3, 1, 41.67, "Pixel and import"],  # 5 / 12 × 100
        ["/offers", 5, 0, 0, 0, 100.0, "Import"],
        [AUTUMN, 1, 1, 0, 0, 0.0, "Pixel"],
    ]


def test_content_coverage_is_reach_over_followers(fixture: Workspace) -> None:
    variant = make_published_variant(fixture, account_id=1, remote_id="m2", published_at=at(15, 8))
    post_snapshot(fixture, variant, at(15), reach=366)
    rollups.rollups_backfill(fixture.pk)

    found = values(kpis.Scope(fixture.pk, FIRST, LAST), "reach", "content_coverage")

    # Reach 366 over 183 followers at the end of the period (125 + 58) × 100; nothing before.
    assert found == {"reach": (366.0, None), "content_coverage": (200.0, None)}


def test_the_audience_profile(traffic: Workspace, spoke: Region) -> None:
    for language, count in (("nb", 30), ("en", 10)):
        MentionRollup.objects.create(
            workspace=traffic,
            hour=at(11, 9),
            topic_id=0,
            sentiment="neutral",
            source_id=1,
            language=language,
            count=count,
        )

    data = selectors.dataset("audience", kpis.Scope(traffic.pk, FIRST, LAST), content_type_labels={})

    rows = [(row["kind"], row["value"], row["count"], row["share"]) for row in data.rows]
    assert rows == [
        # All mentions (topic 0) in the period: the fixture's 30 + 50 + 20 + 40 without a language = 140,
        # 30 Norwegian and 10 English: 180 (the 99 of 5 March are before the period).
        ("Language of mentions", "(unknown)", 140, 77.78),
        ("Language of mentions", "nb", 30, 16.67),
        ("Language of mentions", "en", 10, 5.56),
        ("Language of visitors", "nb", 2, 50.0),
        ("Language of visitors", "en", 1, 25.0),
        ("Language of visitors", "ru", 1, 25.0),
        ("Country of visitors", "NO", 2, 50.0),
        ("Country of visitors", "(unknown)", 1, 25.0),
        ("Country of visitors", "RU", 1, 25.0),
    ]
    spoke_rows = selectors.dataset(
        "audience", kpis.Scope(traffic.pk, FIRST, LAST, region_ids=(spoke.pk,)), content_type_labels={}
    ).rows
    assert {row["kind"] for row in spoke_rows} <= {"Language of mentions"}


def test_the_dashboard_shows_the_traffic_kpis_and_tables(traffic: Workspace) -> None:
    client = Client()
    client.force_login(make_member(traffic, Role.ANALYST).user)

    html = client.get(
        reverse("analytics:dashboard"), {"start": FIRST.isoformat(), "end": LAST.isoformat()}
    ).content.decode()

    assert 'data-testid="kpi-bounce_rate">55.6 %<' in html
    assert 'data-testid="kpi-referral_sessions">3<' in html
    assert "Sessions with one page view and no conversion ÷ sessions on landing pages × 100" in html
    assert 'data-chart="landing_pages"' in html
    assert 'data-chart="audience"' in html
    csv = client.get(
        reverse("analytics:export", args=["landing_pages"]), {"start": FIRST.isoformat(), "end": LAST.isoformat()}
    )
    lines = b"".join(csv.streaming_content).decode().splitlines()  # type: ignore[attr-defined]
    assert lines[1] == f"{SPRING},12,2,3,1,41.67,Pixel and import"
