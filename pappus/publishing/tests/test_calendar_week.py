"""The calendar's week view, dropping a post on another day and hour (checked by the server), and
the filters by program, campaign, region, network, status and author on the plan and calendars."""

from __future__ import annotations

import datetime
import re
import zoneinfo
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_region
from pappus.publishing.models import Post
from pappus.publishing.tests.factories import make_post, make_scheduled_post, variants_of
from pappus.strategy.tests.factories import make_campaign, make_program

pytestmark = pytest.mark.django_db

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _cell(page: str, day: datetime.date, hour: int) -> str:
    match = re.search(rf'data-slot="{day.isoformat()} {hour}"(.*?)</div>', page)
    assert match is not None, f"no cell for {day} {hour}"
    return match.group(1)


@pytest.fixture
def oslo_workspace(workspace: Any) -> Any:
    workspace.time_zone = "Europe/Oslo"
    workspace.save(update_fields=["time_zone"])
    return workspace


def _next_week_wednesday() -> datetime.datetime:
    today = timezone.now().astimezone(OSLO).date()
    monday = today - datetime.timedelta(days=today.weekday()) + datetime.timedelta(days=7)
    return datetime.datetime.combine(monday + datetime.timedelta(days=2), datetime.time(10, 30), tzinfo=OSLO)


def test_the_week_view_shows_posts_by_day_and_hour_and_a_drop_moves_them(client, oslo_workspace):
    manager = make_member(oslo_workspace, role=Role.CONTENT_MANAGER)
    when = _next_week_wednesday()
    post = make_scheduled_post(manager, title="Roastery tour", planned_at=when)
    client.force_login(manager.user)
    monday = when.date() - datetime.timedelta(days=2)

    page = _text(client.get(reverse("publishing:week"), {"week": when.date().isoformat()}))

    assert "10:30 Roastery tour" in _cell(page, when.date(), 10)
    assert "Roastery tour" not in _cell(page, when.date(), 9)
    assert f'href="?week={(monday + datetime.timedelta(days=7)).isoformat()}&amp;' in page

    friday = when.date() + datetime.timedelta(days=2)
    response = client.post(reverse("publishing:reschedule", args=[post.pk]), {"day": friday.isoformat(), "hour": "16"})

    assert response.status_code == 200
    moved = Post.objects.get(pk=post.pk).planned_at
    assert moved is not None
    assert moved.astimezone(OSLO).replace(tzinfo=None) == datetime.datetime.combine(friday, datetime.time(16, 30))
    assert {variant.next_attempt_at for variant in variants_of(post)} == {moved}
    page = _text(client.get(reverse("publishing:week"), {"week": when.date().isoformat()}))
    assert "16:30 Roastery tour" in _cell(page, friday, 16)


def test_the_server_refuses_a_bad_hour_and_a_scheduled_post_moved_into_the_past(client, oslo_workspace):
    manager = make_member(oslo_workspace, role=Role.CONTENT_MANAGER)
    when = _next_week_wednesday()
    post = make_scheduled_post(manager, planned_at=when)
    client.force_login(manager.user)
    url = reverse("publishing:reschedule", args=[post.pk])

    bad_hour = client.post(url, {"day": when.date().isoformat(), "hour": "24"})
    past = client.post(url, {"day": (timezone.localdate() - datetime.timedelta(days=3)).isoformat(), "hour": "9"})

    assert bad_hour.status_code == 400
    assert bad_hour.json() == {"detail": "The hour must be between 0 and 23."}
    assert past.status_code == 400
    assert past.json() == {"detail": "A scheduled post cannot move into the past."}
    assert Post.objects.get(pk=post.pk).planned_at == when


def test_filters_by_program_campaign_region_network_status_and_author(client, oslo_workspace):
    strategist = make_member(oslo_workspace, role=Role.OWNER)
    manager = make_member(oslo_workspace, role=Role.CONTENT_MANAGER)
    program = make_program(strategist, name="Coffee culture")
    launch = make_campaign(strategist, program=program, name="Spring launch")
    other = make_campaign(strategist, name="Hiring")
    norway = make_region(oslo_workspace, "Norway")
    when = _next_week_wednesday()
    make_post(manager, title="Launch teaser", campaign_id=launch.pk, region=norway, planned_at=when)
    make_post(strategist, title="Join us", campaign_id=other.pk, planned_at=when, networks=("bluesky",))
    make_scheduled_post(manager, title="Weekly tip", planned_at=when + datetime.timedelta(hours=1))
    client.force_login(strategist.user)

    def titles(view: str, **query: Any) -> set[str]:
        page = _text(client.get(reverse(view), query))
        return {title for title in ("Launch teaser", "Join us", "Weekly tip") if re.search(rf"[> ]{title}</a>", page)}

    week = {"week": when.date().isoformat()}
    month = {"month": f"{when:%Y-%m}"}
    assert titles("publishing:week", **week) == {"Launch teaser", "Join us", "Weekly tip"}
    assert titles("publishing:week", **week, campaign=launch.pk) == {"Launch teaser"}
    assert titles("publishing:calendar", **month, campaign=other.pk) == {"Join us"}
    assert titles("publishing:plan", program=program.pk) == {"Launch teaser"}
    assert titles("publishing:week", **week, region=norway.pk) == {"Launch teaser"}
    assert titles("publishing:week", **week, network="bluesky") == {"Join us"}
    assert titles("publishing:week", **week, status="scheduled") == {"Weekly tip"}
    assert titles("publishing:week", **week, author=strategist.user_id) == {"Join us"}
    page = _text(client.get(reverse("publishing:week"), {**week, "campaign": launch.pk}))
    assert re.search(rf'href="\?week=[^"]*campaign={launch.pk}[^"]*" rel="prev"', page)
