"""Dashboards per campaign and per program against a hand-computed fixture: the growth of the
campaign's posts' counters in all, per day and per network, the visits and conversions through
their tracked links, the listening topics' mentions, the previous period, the plan beside the
actuals, and each campaign of a program on its own. The arithmetic is beside each assertion."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.test import Client
from django.urls import reverse

from pappus.analytics import facade as analytics_facade
from pappus.analytics.tests.factories import at, make_published_variant, post_snapshot
from pappus.core.models import Membership
from pappus.core.tests.factories import make_member
from pappus.listening.models import MentionRollup, Topic, TopicKind
from pappus.strategy import services
from pappus.strategy.models import Campaign
from pappus.strategy.tests.factories import actor, make_campaign, make_kpi, make_program, strategist
from pappus.traffic.models import Site, Visit

pytestmark = pytest.mark.django_db

MARCH = {day: datetime.date(2026, 3, day) for day in range(1, 32)}


def signed_in(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def visit(site: Site, day: int, post_id: int, converted: int = 0) -> None:
    moment = at(day)
    Visit.objects.create(
        workspace_id=site.workspace_id,
        site=site,
        visitor=f"v{Visit.objects.count()}",
        day=moment.date(),
        started_at=moment,
        last_seen_at=moment,
        rate_minute=moment,
        landing_url="nordlys.example/spring",
        link_id=post_id,
        post_id=post_id,
        network="mastodon",
        page_views=2,
        conversions=converted,
    )


@pytest.fixture
def spring() -> tuple[Membership, Campaign, Campaign]:
    """Program "Spring" with campaign A (10-14 March 2026) and B (10-20 March).

    A's posts: a1 on Mastodon (snapshots 9 March 23:00, 10 March 10:00 and 20:00, 12 March) and a2
    on Bluesky (11, 14 and 15 March); B's post b1 (12 March); a post of no campaign (12 March).
    """
    editor = strategist()
    workspace = editor.workspace
    program = make_program(editor, name="Spring", starts_on=MARCH[1], ends_on=datetime.date(2026, 6, 30))
    a = make_campaign(editor, program, name="A", starts_on=MARCH[10], ends_on=MARCH[14])
    b = make_campaign(editor, program, name="B", starts_on=MARCH[10], ends_on=MARCH[20])
    a1 = make_published_variant(workspace, account_id=1, remote_id="a1", published_at=at(9, 8), campaign_id=a.pk)
    a2 = make_published_variant(
        workspace, account_id=2, remote_id="a2", published_at=at(11, 8), network="bluesky", campaign_id=a.pk
    )
    b1 = make_published_variant(workspace, account_id=1, remote_id="b1", published_at=at(12, 8), campaign_id=b.pk)
    other = make_published_variant(workspace, account_id=1, remote_id="o1", published_at=at(12, 8))
    post_snapshot(workspace, a1, at(9, 23), impressions=100, reach=80, reactions=5, comments=1, link_clicks=2)
    post_snapshot(workspace, a1, at(10, 10), impressions=150, reach=100, reactions=8, comments=1, link_clicks=3)
    post_snapshot(workspace, a1, at(10, 20), impressions=200, reach=120, reactions=10, comments=2, link_clicks=4)
    post_snapshot(workspace, a1, at(12, 12), impressions=300, reach=160, reactions=14, comments=4, link_clicks=6)
    post_snapshot(workspace, a2, at(11, 12), impressions=50, reach=40, reactions=3, shares=1, link_clicks=1)
    post_snapshot(workspace, a2, at(14, 12), impressions=90, reach=70, reactions=5, shares=2, link_clicks=3)
    post_snapshot(workspace, a2, at(15, 12), impressions=500, reach=400, reactions=50, shares=20, link_clicks=30)
    post_snapshot(workspace, b1, at(12, 12), impressions=1000, reach=900, reactions=50, link_clicks=20)
    post_snapshot(workspace, other, at(12, 12), impressions=9999, reach=9999, reactions=999, link_clicks=999)
    site = Site.objects.create(workspace=workspace, name="Nordlys", key="ps_dash")
    visit(site, 11, a1.post_id, converted=1)
    visit(site, 13, a2.post_id)
    visit(site, 16, a1.post_id, converted=1)  # after A's days
    visit(site, 12, b1.post_id, converted=1)
    visit(site, 12, other.post_id, converted=1)
    topic = Topic.objects.create(workspace=workspace, name="#spring", kind=TopicKind.CAMPAIGN, query="spring")
    MentionRollup.objects.create(workspace=workspace, hour=at(11, 9), topic_id=topic.pk, source_id=1, count=10)
    services.campaign_update(actor=actor(editor), membership=editor, campaign=a, listening_topic_ids=[topic.pk])
    kpi = make_kpi(editor, a, name="Reach of A", metric_key="reach", baseline=0, target=500, starts_on=MARCH[10])
    services.kpi_record_value(actor=actor(editor), membership=editor, kpi=kpi, measured_on=MARCH[14], value=150)
    return editor, a, b


def test_a_campaigns_posts_in_all_per_day_and_per_network(spring):
    editor, a, _b = spring
    figures = analytics_facade.campaign_figures(editor.workspace_id, [a.pk], first_day=MARCH[10], last_day=MARCH[14])

    assert (figures.posts, figures.variants) == (2, 2)
    # a1: 300 - 100 impressions, 160 - 80 reach, 14 - 5 reactions, 4 - 1 comments, 6 - 2 clicks;
    # a2 (no snapshot before): 90, 70, 5 reactions, 2 shares, 3 clicks.
    assert figures.totals.impressions == 290
    assert figures.totals.reach == 150
    assert figures.totals.engagements == 9 + 3 + 5 + 2
    assert figures.totals.clicks == 7
    assert figures.totals.engagement_rate == pytest.approx(19 / 290 * 100)
    assert [(point.day.day, point.figures.impressions, point.figures.engagements) for point in figures.daily] == [
        (10, 100, 6),  # a1's last of the day (20:00): 200 - 100; (10 + 2) - (5 + 1)
        (11, 50, 4),  # a2 appears: 50; 3 + 1
        (12, 100, 6),  # a1: 300 - 200; (14 + 4) - (10 + 2)
        (13, 0, 0),
        (14, 40, 3),  # a2: 90 - 50; (5 + 2) - (3 + 1)
    ]
    networks = dict(figures.by_network)
    assert (networks["mastodon"].impressions, networks["mastodon"].engagements) == (200, 12)
    assert (networks["bluesky"].impressions, networks["bluesky"].engagements) == (90, 7)
    # Visits through the posts' tracked links on 11 (converted) and 13 March; the 16th is outside.
    assert (figures.sessions, figures.conversions, figures.conversion_rate) == (2, 1, 50.0)

    for metric, expected in (("impressions", 290), ("reach", 150), ("engagement", 19), ("clicks", 7)):
        measured = analytics_facade.metric_value(
            editor.workspace_id, metric, first_day=MARCH[10], last_day=MARCH[14], campaign_ids=[a.pk]
        )
        assert measured.value == expected  # the same numbers as the KPIs' actuals


def test_the_campaign_dashboard_with_the_previous_period_and_the_plan(spring):
    editor, a, _b = spring
    response = signed_in(editor).get(reverse("strategy:campaign_dashboard", args=[a.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "2026-03-10 to 2026-03-14 (days in UTC), compared with 2026-03-05 to 2026-03-09" in html
    assert 'data-testid="figure-impressions">290<' in html
    assert 'data-testid="figure-engagement_rate">6.6 %<' in html  # 19 / 290
    assert 'data-testid="figure-sessions">2<' in html
    assert 'data-testid="figure-conversion_rate">50 %<' in html
    assert 'data-testid="figure-mentions">10<' in html
    # The previous period (5-9 March): a1's first snapshot, 100 impressions: +190 %.
    assert "190.0 %" in html
    assert 'data-testid="plan-actual">150<' in html
    assert 'data-testid="plan-in-range">150<' in html
    assert "daily-spec" in html
    assert "network-spec" in html

    exported = signed_in(editor).get(reverse("strategy:campaign_dashboard", args=[a.pk]) + "?export=daily")
    rows = list(csv.reader(io.StringIO(b"".join(exported.streaming_content).decode())))  # type: ignore[attr-defined]
    assert rows[0] == ["Day", "Reach", "Impressions", "Engagements", "Link clicks"]
    assert rows[1] == ["2026-03-10", "40", "100", "6", "2"]
    assert len(rows) == 6


def test_the_program_dashboard_splits_by_campaign(spring):
    editor, a, b = spring
    program_id = a.program_id
    url = reverse("strategy:program_dashboard", args=[program_id])
    response = signed_in(editor).get(url, {"first_day": "2026-03-10", "last_day": "2026-03-20"})
    html = response.content.decode()
    assert response.status_code == 200
    # A: a1 300 - 100 and a2 500 (its 15 March snapshot now counts, no snapshot before); B: 1000.
    assert 'data-testid="figure-impressions">1,700<' in html
    assert f'data-campaign="{a.pk}"' in html
    assert f'data-campaign="{b.pk}"' in html

    exported = signed_in(editor).get(url, {"first_day": "2026-03-10", "last_day": "2026-03-20", "export": "campaigns"})
    rows = {row[0]: row for row in csv.reader(io.StringIO(b"".join(exported.streaming_content).decode()))}  # type: ignore[attr-defined]
    # A: reach 80 + 400, impressions 200 + 500, engagements (9 + 3) + (50 + 20), clicks 4 + 30, visits 3.
    assert rows["A"][3:9] == ["2", "480", "700", "82", "34", "3"]
    assert rows["B"][3:9] == ["1", "900", "1000", "50", "20", "1"]


def test_bad_days_are_refused_with_the_field_named_and_other_workspaces_are_not_found(spring):
    editor, a, _b = spring
    url = reverse("strategy:campaign_dashboard", args=[a.pk])
    reversed_range = signed_in(editor).get(url, {"first_day": "2026-03-14", "last_day": "2026-03-10"})
    assert reversed_range.status_code == 400
    assert "The end date must not be before the start date." in reversed_range.content.decode()
    too_long = signed_in(editor).get(url, {"first_day": "2025-01-01", "last_day": "2026-03-10"})
    assert too_long.status_code == 400
    assert "Choose at most 366 days." in too_long.content.decode()
    ancient = signed_in(editor).get(url, {"first_day": "0001-01-01", "last_day": "0001-01-05"})
    assert ancient.status_code == 400
    assert signed_in(editor).get(url, {"export": "everything"}).status_code == 400

    stranger = make_member()
    assert signed_in(stranger).get(url).status_code == 404
    assert signed_in(stranger).get(reverse("strategy:program_dashboard", args=[a.program_id])).status_code == 404


def test_spent_from_ads_shows_beside_the_hand_entered_spend(spring):
    from decimal import Decimal

    from django.template.loader import render_to_string

    from pappus.ads.tests.helpers import account, campaign, day
    from pappus.core.permissions import Role
    from pappus.strategy import document

    editor, a, b = spring
    services.campaign_update(actor=actor(editor), membership=editor, campaign=a, budget_spent=Decimal(40))
    manager = make_member(editor.workspace, Role.CAMPAIGN_MANAGER)
    paid = campaign(manager, account(manager), "Paid spring", strategy_campaign_id=a.pk)
    day(manager, paid, MARCH[11], spend=Decimal("123.45"))
    day(manager, paid, MARCH[30], spend=Decimal(1000))  # after A's days: not A's spend

    page = signed_in(editor).get(reverse("strategy:campaign", args=[a.pk])).content.decode()
    assert "Spent (from ads): 123.45 " in page
    assert "(1 paid campaign, over the campaign's dates)" in page
    program = signed_in(editor).get(reverse("strategy:program", args=[a.program_id])).content.decode()
    assert 'data-testid="ads-spent">123.45 ' in program
    assert 'data-testid="ads-spent">—<' in program  # B has no paid campaign
    board = signed_in(editor).get(reverse("strategy:program_dashboard", args=[a.program_id])).content.decode()
    assert 'data-testid="ads-spent">123.45 ' in board

    context = document.strategy_context(editor.workspace, as_of=MARCH[20])
    markdown = render_to_string("strategy/document.md", {**context, "version": 1, "language": "en"})
    assert "spent 40.00, spent (from ads) 123.45" in markdown
    assert b.name in markdown


def test_the_campaign_dashboard_reads_a_bounded_number_of_queries(spring, django_assert_max_num_queries):
    """Grouped reads, not one per post or per day: 29 queries over the fixture (session, KPIs, two
    periods of posts' snapshots, traffic and topics, and the workspace's time zone that analytics
    reads for each of its four calls), and a year adds none."""
    editor, a, _b = spring
    client = signed_in(editor)
    url = reverse("strategy:campaign_dashboard", args=[a.pk])
    with django_assert_max_num_queries(29):
        assert client.get(url, {"first_day": "2026-03-10", "last_day": "2026-03-14"}).status_code == 200
    with django_assert_max_num_queries(30):
        assert client.get(url, {"first_day": "2025-03-20", "last_day": "2026-03-19"}).status_code == 200
