"""Days are the workspace's days: rollups, KPIs, the dashboard's API, traffic and report periods run
from local midnight to local midnight. Hand-computed fixtures in Asia/Shanghai (UTC+8) and
America/Los_Angeles (UTC-8, UTC-7 from 8 March 2026: a 23-hour day), each with rows on both sides of
local midnight that would land on other days if days were UTC days."""

from __future__ import annotations

import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pappus.analytics import kpis, report_services, reports, rollups, selectors
from pappus.analytics.models import DailyAccountRollup, DailyPostRollup, Report, ReportSchedule
from pappus.analytics.tests.factories import account_snapshot, make_published_variant, post_snapshot
from pappus.core.models import Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_workspace
from pappus.core.tests.test_api import client_for
from pappus.inbox.models import Conversation, ConversationStatus
from pappus.listening.models import MentionRollup
from pappus.traffic.models import Site, Visit

pytestmark = pytest.mark.django_db
MARCH_10 = datetime.date(2026, 3, 10)


def utc(day: int, hour: int, month: int = 3, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=datetime.UTC)


def _visit(workspace: Workspace, site: Site, started: datetime.datetime, page: str) -> Visit:
    return Visit.objects.create(
        workspace=workspace,
        site=site,
        visitor=f"v{started:%d%H}",
        day=started.date(),  # the pixel stores the UTC day
        started_at=started,
        last_seen_at=started,
        landing_url=page,
        page_views=1,
        rate_minute=started,
    )


@pytest.fixture
def shanghai() -> Workspace:
    """Local midnight of 10 March is 9 March 16:00 UTC; of 11 March, 10 March 16:00 UTC."""
    workspace = make_workspace(name="Shanghai shop", time_zone="Asia/Shanghai")
    account_snapshot(workspace, 1, utc(9, 15), 100)  # 9 March 23:00 local
    account_snapshot(workspace, 1, utc(9, 17), 110)  # 10 March 01:00 local
    account_snapshot(workspace, 1, utc(10, 15), 130)  # 10 March 23:00 local: the day's last
    account_snapshot(workspace, 1, utc(10, 16), 150)  # 11 March 00:00 local
    variant = make_published_variant(workspace, account_id=1, remote_id="s1", published_at=utc(9, 17))
    post_snapshot(workspace, variant, utc(9, 17), impressions=100, reactions=10)  # 10 March 01:00 local
    post_snapshot(workspace, variant, utc(10, 15), impressions=300, reactions=20)  # 10 March 23:00 local
    post_snapshot(workspace, variant, utc(10, 17), impressions=500, reactions=50)  # 11 March 01:00 local
    rollups.rollups_backfill(workspace.pk)

    for moment, sentiment, count in (
        (utc(9, 15), "negative", 50),  # 9 March 23:00 local: the day before
        (utc(9, 16), "negative", 10),  # 10 March 00:00 local
        (utc(10, 15), "positive", 30),  # 10 March 23:00 local
        (utc(10, 16), "positive", 99),  # 11 March 00:00 local: the day after
    ):
        MentionRollup.objects.create(
            workspace=workspace, hour=moment, topic_id=0, sentiment=sentiment, source_id=1, count=count
        )
    for number, (created, answered) in enumerate(
        (
            (utc(9, 14), utc(9, 15, minute=30)),  # answered 9 March 23:30 local: not in the day
            (utc(9, 16, minute=30), utc(9, 18, minute=30)),  # 2 h, answered 10 March 02:30 local
            (utc(10, 10), utc(10, 15, minute=59)),  # 5 h 59 min, answered 10 March 23:59 local
        )
    ):
        Conversation.objects.create(
            workspace=workspace,
            external_scope="network:mastodon",
            network="mastodon",
            thread_key=f"thread-{number}",
            customer_handle=f"@c{number}",
            customer_key=f"@c{number}",
            created_at=created,
            first_responded_at=answered,
            status=ConversationStatus.OPEN,
        )
    site = Site.objects.create(workspace=workspace, name="Shop", key="ps_shanghai_test")
    _visit(workspace, site, utc(9, 15, minute=30), "shop.example.cn/before")  # 9 March 23:30 local
    _visit(workspace, site, utc(9, 16, minute=30), "shop.example.cn/spring")  # 10 March 00:30 local
    _visit(workspace, site, utc(10, 15, minute=30), "shop.example.cn/spring")  # 10 March 23:30 local
    _visit(workspace, site, utc(10, 16, minute=30), "shop.example.cn/after")  # 11 March 00:30 local
    return workspace


def test_rollups_hold_the_local_days(shanghai: Workspace) -> None:
    accounts = dict(
        DailyAccountRollup.objects.for_workspace(shanghai.pk).order_by("day").values_list("day", "followers")
    )
    assert accounts == {
        datetime.date(2026, 3, 9): 100,
        datetime.date(2026, 3, 10): 130,
        datetime.date(2026, 3, 11): 150,
    }  # in UTC days it would be 9 March: 110, 10 March: 150
    posts = list(
        DailyPostRollup.objects.for_workspace(shanghai.pk)
        .order_by("day")
        .values_list("day", "posts_published", "impressions", "reactions")
    )
    assert posts == [
        (datetime.date(2026, 3, 10), 1, 300, 20),  # published 01:00 local; 300 by 23:00
        (datetime.date(2026, 3, 11), 0, 200, 30),
    ]


def test_kpis_of_a_local_day(shanghai: Workspace) -> None:
    scope = kpis.Scope.of_workspace(shanghai.pk, MARCH_10, MARCH_10)
    assert (scope.start, scope.end) == (utc(9, 16), utc(10, 16))

    values = {item.kpi.key: item.value for item in kpis.evaluate(scope)}

    assert values["followers"] == 130
    assert values["audience_growth"] == 30  # 130 at the end of the day - 100 at the end of 9 March
    assert values["engagements"] == 20
    assert values["engagement_rate"] == pytest.approx(20 / 300 * 100)
    assert values["negative_feedback_rate"] == pytest.approx(25.0)  # 10 negative of 40
    assert values["net_sentiment"] == pytest.approx(50.0)  # (30 - 10) / 40
    assert values["first_response_hours"] == pytest.approx((2 + 5 + 59 / 60) / 2)  # median of 2 h and 5.98 h
    assert values["referral_sessions"] == 0
    assert values["conversions"] == 0
    assert values["bounce_rate"] == pytest.approx(100.0)  # both sessions of the day bounced
    sentiment = selectors.sentiment_by_day(scope).rows
    assert [(row["day"], row["positive"], row["negative"]) for row in sentiment] == [("2026-03-10", 30, 10)]
    pages = {page.landing_url: page.sessions for page in kpis.landing_pages(scope) or ()}
    assert pages == {"shop.example.cn/spring": 2}


def test_the_api_answers_in_the_workspaces_days(shanghai: Workspace) -> None:
    api, _member = client_for(Role.ANALYST, shanghai)

    body = api.get("/analytics/kpis", {"start": "2026-03-10", "end": "2026-03-10"}).json()

    values = {item["key"]: item["value"] for item in body["kpis"]}
    assert (values["followers"], values["audience_growth"], values["engagements"]) == (130, 30, 20)
    assert values["negative_feedback_rate"] == pytest.approx(25.0)
    followers = api.get("/analytics/series/followers", {"start": "2026-03-10", "end": "2026-03-11"}).json()
    assert [(row["day"], row["followers"]) for row in followers["rows"]] == [("2026-03-10", 130), ("2026-03-11", 150)]


def test_a_report_of_a_local_day_shows_the_local_days_figures(shanghai: Workspace) -> None:
    found = reports.content(
        shanghai, kind="daily", first_day=MARCH_10, last_day=MARCH_10, region=None, generated_at=utc(11, 1)
    )
    by_key = {item["key"]: item["value"] for item in found["kpis"]}
    assert (by_key["followers"], by_key["audience_growth"], by_key["engagements"]) == ("130", "30", "20")
    assert found["mentions"]["total"] == "40"
    assert found["time_zone"] == "Asia/Shanghai"
    assert found["top_posts"][0]["published"] == reports.date_text(MARCH_10)  # 01:00 local, 9 March in UTC


def test_los_angeles_days_follow_the_clock_change() -> None:
    workspace = make_workspace(name="LA shop", time_zone="America/Los_Angeles")
    # 8 March 2026: clocks go from 02:00 PST to 03:00 PDT, so the day runs 08:00 UTC to 07:00 UTC next day.
    account_snapshot(workspace, 1, utc(8, 7), 10)  # 7 March 23:00 PST
    account_snapshot(workspace, 1, utc(8, 8), 20)  # 8 March 00:00 PST
    account_snapshot(workspace, 1, utc(9, 6), 30)  # 8 March 23:00 PDT: the day's last
    account_snapshot(workspace, 1, utc(9, 7), 40)  # 9 March 00:00 PDT
    rollups.rollups_backfill(workspace.pk)

    days = dict(DailyAccountRollup.objects.for_workspace(workspace.pk).order_by("day").values_list("day", "followers"))
    assert days == {datetime.date(2026, 3, 7): 10, datetime.date(2026, 3, 8): 30, datetime.date(2026, 3, 9): 40}
    scope = kpis.Scope.of_workspace(workspace.pk, datetime.date(2026, 3, 8), datetime.date(2026, 3, 8))
    assert (scope.start, scope.end) == (utc(8, 8), utc(9, 7))
    assert scope.end - scope.start == datetime.timedelta(hours=23)
    assert kpis.audience_growth(scope) == 20


@pytest.mark.parametrize(
    ("time_zone", "daily", "weekly", "monthly"),
    [
        # 2 March 2026 05:00 UTC is Sunday 1 March 21:00 in Los Angeles and Monday 2 March 13:00 in Shanghai.
        ("America/Los_Angeles", ("2026-02-28",) * 2, ("2026-02-16", "2026-02-22"), ("2026-02-01", "2026-02-28")),
        ("Asia/Shanghai", ("2026-03-01",) * 2, ("2026-02-23", "2026-03-01"), ("2026-02-01", "2026-02-28")),
        ("UTC", ("2026-03-01",) * 2, ("2026-02-23", "2026-03-01"), ("2026-02-01", "2026-02-28")),
    ],
)
def test_scheduled_reports_cover_the_period_just_ended_in_the_workspaces_time_zone(
    time_zone: str, daily: tuple[str, str], weekly: tuple[str, str], monthly: tuple[str, str], monkeypatch: Any
) -> None:
    monkeypatch.setattr(report_services, "_enqueue", lambda report_id: None)
    workspace = make_workspace(time_zone=time_zone)
    for kind in ("daily", "weekly", "monthly"):
        ReportSchedule.objects.create(workspace=workspace, name=kind, kind=kind, recipients=["boss@example.com"])

    report_services.reports_run_due(now=utc(2, 5))

    made = {
        report.kind: (report.first_day.isoformat(), report.last_day.isoformat())
        for report in Report.objects.for_workspace(workspace.pk)
    }
    assert made == {"daily": daily, "weekly": weekly, "monthly": monthly}


def test_generate_now_refuses_the_workspaces_today(monkeypatch: Any) -> None:
    workspace = make_workspace(time_zone="Pacific/Kiritimati")  # UTC+14: its today is tomorrow in UTC for 14 hours
    api, _member = client_for(Role.ANALYST, workspace)
    today = datetime.datetime.now(tz=ZoneInfo("Pacific/Kiritimati")).date()

    refused = api.post("/analytics/reports", {"kind": "daily", "day": today.isoformat()})
    accepted = api.post(
        "/analytics/reports", {"kind": "daily", "day": (today - datetime.timedelta(days=1)).isoformat()}
    )

    assert refused.status_code == 422
    assert [error["field"] for error in refused.json()["detail"]] == ["day"]
    assert accepted.status_code == 202
