"""Community health KPIs: each figure as docs/community.md defines it, the page's charts, the API and facade."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pappus.community import facade, health, services
from pappus.community.models import Member, Stage
from pappus.community.tests.factories import add_activity, make_identity, manager, member_of
from pappus.community.tests.test_access import bearer, signed_in
from pappus.inbox import facade as inbox_facade
from pappus.inbox.contracts import MentionInteraction
from pappus.inbox.models import Conversation

pytestmark = pytest.mark.django_db


def test_the_health_kpis_count_as_documented():
    membership = manager()
    workspace = membership.workspace
    now = timezone.now()
    days = datetime.timedelta(days=1)
    anna = make_identity(workspace, "instagram", handle="anna")
    add_activity(anna, "ugc", when=now - 2 * days, sentiment="positive")
    add_activity(anna, "mention", when=now - 3 * days, sentiment="positive")
    add_activity(anna, "mention", when=now - 15 * days)
    bo = make_identity(workspace, "instagram", handle="bo")
    add_activity(bo, "reply", when=now - 1 * days, sentiment="negative")
    carl = make_identity(workspace, "instagram", handle="carl")
    add_activity(carl, "share", when=now - 12 * days)
    inbox_facade.receive_mentions(
        workspace.pk,
        [
            MentionInteraction(network="bluesky", external_id="c1", text="where is my order?", author_handle="dina"),
            MentionInteraction(network="bluesky", external_id="c2", text="hello?", author_handle="eli"),
        ],
    )
    services.collect(workspace.pk)
    first = Conversation.objects.filter(workspace=workspace).order_by("pk").first()
    assert first is not None
    Conversation.objects.filter(pk=first.pk).update(first_responded_at=now)
    Member.objects.filter(pk=member_of(anna).pk).update(stage=Stage.CORE_FAN)

    figures = health.health(workspace, since=now - 10 * days, until=now + datetime.timedelta(hours=1))

    assert (figures.active_members, figures.active_members_before) == (4, 2)  # anna, bo, dina, eli / anna, carl
    assert (figures.returning_members, figures.returning_share) == (1, 0.25)
    assert (figures.ugc_activities, figures.member_generated_activities, figures.ugc_share) == (1, 3, 0.3333)
    assert (figures.conversations_started, figures.conversations_answered, figures.response_rate) == (2, 1, 0.5)
    assert figures.core_size == 1
    assert sum(week.positive for week in figures.tone) == 2
    assert sum(week.negative for week in figures.tone) == 1
    kpis = facade.health_kpis(workspace.pk, since=now - 10 * days, until=now + datetime.timedelta(hours=1))
    assert (kpis.active_members, kpis.returning_share, kpis.ugc_share, kpis.response_rate) == (4, 0.25, 0.3333, 0.5)


def test_retention_cohorts_follow_members_by_the_month_they_were_found():
    membership = manager()
    workspace = membership.workspace
    now = datetime.datetime(2026, 11, 20, 12, 0, tzinfo=datetime.UTC)
    old = make_identity(workspace, "instagram", handle="old")
    quiet = make_identity(workspace, "instagram", handle="quiet")
    Member.objects.filter(pk__in=[member_of(old).pk, member_of(quiet).pk]).update(
        created_at=datetime.datetime(2026, 9, 5, tzinfo=datetime.UTC)
    )
    add_activity(old, "mention", when=datetime.datetime(2026, 10, 3, tzinfo=datetime.UTC))
    add_activity(quiet, "mention", when=datetime.datetime(2026, 9, 6, tzinfo=datetime.UTC))
    new = make_identity(workspace, "instagram", handle="new")
    Member.objects.filter(pk=member_of(new).pk).update(created_at=datetime.datetime(2026, 11, 2, tzinfo=datetime.UTC))

    cohorts = {cohort.month: cohort for cohort in health.cohorts(workspace, now=now)}

    assert len(cohorts) == health.COHORT_MONTHS
    september = cohorts[datetime.date(2026, 9, 1)]
    assert september.size == 2
    assert september.retained[:3] == (0.5, 0.0, None)  # October: old came back; November: nobody so far
    assert cohorts[datetime.date(2026, 11, 1)].size == 1
    assert set(cohorts[datetime.date(2026, 11, 1)].retained) == {None}
    assert cohorts[datetime.date(2026, 6, 1)].size == 0


def test_the_health_page_draws_its_charts_and_the_api_bounds_its_period():
    membership = manager()
    identity = make_identity(membership.workspace, "instagram", handle="anna")
    add_activity(identity, "ugc", sentiment="positive")
    page = signed_in(membership).get(reverse("community:health"), {"days": "90"}).content.decode()
    assert 'data-vega-spec="tone-spec"' in page
    assert 'data-vega-spec="cohort-spec"' in page
    assert 'data-kpi="active_members"' in page
    headers = bearer(membership)
    body = Client().get("/api/v1/community/health?days=7", headers=headers).json()
    assert (body["active_members"], body["ugc_share"], body["tone"][0]["positive"]) == (1, 1.0, 1)
    for days in ("0", "367", "9253819751"):
        assert Client().get(f"/api/v1/community/health?days={days}", headers=headers).status_code == 422
