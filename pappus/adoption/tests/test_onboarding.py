"""Onboarding checklists: the owner keeps steps per role, each member ticks their own, and the usage page shows
each person's progress."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pappus.adoption import services
from pappus.adoption.models import ChecklistCompletion
from pappus.adoption.tests.factories import signed_in
from pappus.core.audit import Actor
from pappus.core.models import AuditEvent, Membership, Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member

pytestmark = pytest.mark.django_db


def test_a_member_ticks_the_steps_of_their_role_and_the_usage_page_shows_progress(workspace: Workspace) -> None:
    owner = Membership.objects.for_workspace(workspace).get(role=Role.OWNER)
    owner_client = signed_in(owner)
    for title, role in (("Read the strategy", ""), ("Answer a test conversation", Role.COMMUNITY_MANAGER)):
        assert owner_client.post(reverse("adoption:checklist_add"), {"title": title, "role": role}).status_code == 302
    designer_step = services.checklist_item_add(
        actor=Actor(owner.user), membership=owner, title="Upload an asset", role=Role.DESIGNER
    )
    manager = make_member(workspace, Role.COMMUNITY_MANAGER, full_name="Cora Manager")
    client = signed_in(manager)
    page = client.get(reverse("adoption:onboarding")).content.decode()
    steps = [line for line in page.splitlines() if "data-step=" in line]

    assert len(steps) == 2
    assert "0 of 2 steps done" in page
    item_id = int(steps[0].split('data-step="')[1].split('"')[0])
    assert client.post(reverse("adoption:onboarding"), {"item": item_id, "done": "1"}).status_code == 302
    assert client.post(reverse("adoption:onboarding"), {"item": item_id, "done": "1"}).status_code == 302  # once
    # a step of another role is not found
    assert client.post(reverse("adoption:onboarding"), {"item": designer_step.pk, "done": "1"}).status_code == 404
    assert client.post(reverse("adoption:onboarding"), {"item": "x"}).status_code == 400

    assert "1 of 2 steps done" in client.get(reverse("adoption:onboarding")).content.decode()
    assert ChecklistCompletion.objects.for_workspace(workspace).filter(user=manager.user).count() == 1
    assert AuditEvent.objects.for_workspace(workspace).filter(action="adoption.checklist.tick").count() == 1
    usage = owner_client.get(reverse("adoption:usage")).content.decode()
    row = usage.split(f'<tr data-user="{manager.user_id}">')[1].split("</tr>")[0]
    assert '<td class="nowrap" data-testid="onboarding">1 / 2</td>' in row


def test_only_the_owner_or_an_admin_keeps_the_checklist(workspace: Workspace) -> None:
    analyst = make_member(workspace, Role.ANALYST)

    refused = signed_in(analyst).post(reverse("adoption:checklist_add"), {"title": "Anything", "role": ""})
    owner = Membership.objects.for_workspace(workspace).get(role=Role.OWNER)
    empty = signed_in(owner).post(reverse("adoption:checklist_add"), {"title": "  ", "role": ""})

    assert refused.status_code == 403
    assert empty.status_code == 400
