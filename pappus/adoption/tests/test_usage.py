"""Usage is recorded inside the installation: one event per page view or API call of a member, the audit log
as the source of actions, and a daily rollup per person and feature that a repeated run does not double."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from pappus.adoption import features, services
from pappus.adoption.models import UsageDaily, UsageEvent, UsageKind
from pappus.adoption.tests.factories import api_client, signed_in
from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.models import Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member

pytestmark = pytest.mark.django_db


def test_a_page_view_and_an_api_call_are_recorded_with_their_feature(
    workspace: Workspace, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    member = make_member(workspace, Role.ANALYST)
    client = signed_in(member)
    api, headers = api_client(member)

    with django_capture_on_commit_callbacks(execute=True):
        page = client.get(reverse("analytics:dashboard"))
        call = api.get("/api/v1/inbox/conversations", headers=headers)
        missing = client.get("/no-such-page/")
        form_post = client.post(reverse("core:home"))  # a form post is an action (audited), not a page view

    assert page.status_code == 200
    assert call.status_code == 200, call.content
    assert missing.status_code == 404
    assert form_post.status_code in {200, 302, 405}
    events = list(UsageEvent.objects.for_workspace(workspace).order_by("pk").values_list("user_id", "feature", "kind"))
    assert events == [(member.user_id, "analytics", UsageKind.VIEW), (member.user_id, "inbox", UsageKind.API)]
    assert UsageEvent.objects.get(kind=UsageKind.VIEW).day == datetime.datetime.now(datetime.UTC).date()


def test_nothing_is_recorded_for_someone_not_signed_in(
    workspace: Workspace, django_capture_on_commit_callbacks: Callable[..., Any]
) -> None:
    from django.test import Client

    with django_capture_on_commit_callbacks(execute=True):
        Client().get(reverse("analytics:dashboard"))

    assert UsageEvent.objects.count() == 0


def test_features_come_from_the_url_namespace_the_api_path_and_the_audited_object() -> None:
    assert features.of_url("publishing", "/publishing/plan/") == "publishing"
    assert features.of_url("api", "/api/v1/community/members") == "community"
    assert features.of_url("", "/") == "other"
    assert features.of_audit("inbox.conversation", "conversation.close") == "inbox"
    assert features.of_audit("", "membership.create") == "workspace"
    assert features.of_audit("", "post.approve") == "publishing"


def test_the_daily_rollup_adds_views_api_calls_and_audited_actions_once(workspace: Workspace) -> None:
    member = make_member(workspace, Role.COMMUNITY_MANAGER)
    other = make_member(workspace, Role.CONTENT_MANAGER)
    day = datetime.date(2026, 3, 2)
    moment = datetime.datetime(2026, 3, 2, 10, 0, tzinfo=datetime.UTC)
    UsageEvent.objects.bulk_create(
        [
            UsageEvent(
                workspace=workspace, user=member.user, feature="inbox", kind=UsageKind.VIEW, day=day, created_at=moment
            ),
            UsageEvent(
                workspace=workspace, user=member.user, feature="inbox", kind=UsageKind.VIEW, day=day, created_at=moment
            ),
            UsageEvent(
                workspace=workspace, user=member.user, feature="inbox", kind=UsageKind.API, day=day, created_at=moment
            ),
            UsageEvent(workspace=workspace, user=other.user, feature="publishing", day=day, created_at=moment),
            # the next day: not in this day's rollup
            UsageEvent(
                workspace=workspace,
                user=other.user,
                feature="publishing",
                day=day + datetime.timedelta(days=1),
                created_at=moment + datetime.timedelta(days=1),
            ),
        ]
    )
    action = audit.record(
        Actor(member.user), "conversation.close", workspace=workspace, object_type="inbox.conversation"
    )
    action.created_at = moment
    action.save(update_fields=["created_at"])

    services.usage_rollup(day)
    services.usage_rollup(day)  # idempotent

    rows = sorted(
        UsageDaily.objects.for_workspace(workspace).values_list(
            "user_id", "feature", "day", "views", "api_calls", "actions"
        )
    )
    assert rows == sorted([(member.user_id, "inbox", day, 2, 1, 1), (other.user_id, "publishing", day, 1, 0, 0)])


def test_refresh_forgets_raw_page_views_older_than_the_retention_and_keeps_the_rollup(workspace: Workspace) -> None:
    member = make_member(workspace, Role.ANALYST)
    today = datetime.date(2026, 6, 1)
    old = today - datetime.timedelta(days=services.RAW_EVENT_RETENTION_DAYS + 1)
    UsageEvent.objects.create(
        workspace=workspace,
        user=member.user,
        feature="analytics",
        day=old,
        created_at=datetime.datetime.combine(old, datetime.time(12), tzinfo=datetime.UTC),
    )
    services.usage_rollup(old)

    result = services.refresh(days=1, today=today)

    assert result["events_pruned"] == 1
    assert UsageEvent.objects.count() == 0
    assert UsageDaily.objects.for_workspace(workspace).get().views == 1
