"""A content manager in a real browser (Debian's Chromium through Playwright) drags a scheduled post
to another day and hour in the calendar's week view; the server moves it and its variants."""

from __future__ import annotations

import datetime
import os
import zoneinfo

import pytest

from pappus.core.permissions import Role
from pappus.core.tests.factories import PASSWORD, make_member, make_workspace
from pappus.publishing.models import Post
from pappus.publishing.tests.factories import make_scheduled_post, variants_of

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")


def test_dragging_a_post_in_the_week_view_moves_it(page, live_server, transactional_db):
    workspace = make_workspace(name="Nordlys Coffee", time_zone="Europe/Oslo")
    manager = make_member(workspace, role=Role.CONTENT_MANAGER, email="ada@example.com")
    today = datetime.datetime.now(OSLO).date()
    monday = today - datetime.timedelta(days=today.weekday()) + datetime.timedelta(days=7)
    when = datetime.datetime.combine(monday + datetime.timedelta(days=1), datetime.time(9, 15), tzinfo=OSLO)
    post = make_scheduled_post(manager, title="Roastery tour", planned_at=when)

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail address").fill(manager.user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/publishing/calendar/week/?week={monday.isoformat()}")

    thursday = monday + datetime.timedelta(days=3)
    card = page.get_by_test_id("week-post").filter(has_text="Roastery tour")
    target = page.locator(f'[data-slot="{thursday.isoformat()} 14"]')
    # The drag events as the browser fires them, with one shared DataTransfer (Playwright's documented way).
    transfer = page.evaluate_handle("() => new DataTransfer()")
    card.dispatch_event("dragstart", {"dataTransfer": transfer})
    target.dispatch_event("dragover", {"dataTransfer": transfer})
    target.dispatch_event("drop", {"dataTransfer": transfer})
    page.locator(f'[data-slot="{thursday.isoformat()} 14"]').get_by_text("14:15 Roastery tour").wait_for()

    moved = Post.objects.get(pk=post.pk).planned_at
    assert moved is not None
    assert moved.astimezone(OSLO).replace(tzinfo=None) == datetime.datetime.combine(thursday, datetime.time(14, 15))
    assert {variant.next_attempt_at for variant in variants_of(post)} == {moved}
