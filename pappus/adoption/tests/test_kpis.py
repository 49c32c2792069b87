"""People KPIs come from the system's own data: the inbox (first responses, closes with a reason), publishing
(posts on plan) and the audit log (approval turnaround); group scorecards add their members' figures up."""

from __future__ import annotations

import datetime

import pytest

from pappus.adoption import selectors, services
from pappus.adoption.models import Kpi, KpiDaily, UsageDaily
from pappus.adoption.tests.factories import DAY, NINE, conversation
from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.models import AuditEvent, Membership, Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_region
from pappus.inbox import services as inbox_services
from pappus.inbox.models import Team
from pappus.publishing.models import Post, Variant, VariantStatus

pytestmark = pytest.mark.django_db
HOUR = datetime.timedelta(hours=1)


def _figures(workspace: Workspace, member: Membership) -> dict[str, tuple[float, int]]:
    return {
        row.kpi: (row.total, row.count)
        for row in KpiDaily.objects.for_workspace(workspace).filter(user_id=member.user_id, day=DAY)
    }


def test_community_manager_kpis_come_from_first_responses_and_closes_with_a_reason(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.COMMUNITY_MANAGER)
    colleague = make_member(workspace, Role.COMMUNITY_MANAGER)
    conversation(workspace, assignee=manager.user, first_responded_at=NINE + 10 * datetime.timedelta(minutes=1))
    conversation(workspace, assignee=manager.user, first_responded_at=NINE + 30 * datetime.timedelta(minutes=1))
    conversation(workspace, assignee=colleague.user, first_responded_at=NINE + 2 * HOUR)
    conversation(workspace, assignee=manager.user)  # not answered yet: no figure
    lost = conversation(workspace, assignee=manager.user)
    inbox_services.conversation_close(
        actor=Actor(manager.user), membership=manager, conversation_id=lost.pk, reason="Customer stopped answering"
    )
    KpiDaily.objects.all().delete()
    # the close happened now; move its audit event to the measured day
    AuditEvent.objects.filter(action="conversation.close").update(created_at=NINE + 3 * HOUR)

    services.kpi_compute(workspace.pk, DAY)

    figures = _figures(workspace, manager)
    assert figures[Kpi.FIRST_RESPONSE] == (40 * 60.0, 2)
    assert figures[Kpi.CLOSED_WITH_REASON] == (1.0, 1)  # a reason recorded, whatever the outcome, counts
    assert Kpi.ACTIVE_DAYS not in figures  # not a member yet on that day
    card = selectors.person_scorecard(
        next(person for person in selectors.people(workspace.pk) if person.user_id == manager.user_id),
        selectors.kpi_sums(workspace.pk, DAY, DAY)[manager.user_id],
        {},
    )
    assert [(value.kpi, value.value) for value in card.values] == [
        (Kpi.FIRST_RESPONSE, 20.0),
        (Kpi.CLOSED_WITH_REASON, 100.0),
        (Kpi.ACTIVE_DAYS, None),
        (Kpi.DUTIES_ON_TIME, None),  # no playbook duty due that day
    ]


def test_content_kpis_count_posts_on_plan_and_the_approvers_turnaround(workspace: Workspace) -> None:
    author = make_member(workspace, Role.CONTENT_MANAGER)
    approver = make_member(workspace, Role.STRATEGIST)
    on_time = Post.objects.create(workspace=workspace, author=author.user, title="On time", planned_at=NINE)
    late = Post.objects.create(workspace=workspace, author=author.user, title="Late", planned_at=NINE)
    Variant.objects.create(
        workspace=workspace, post=on_time, network="mastodon", status=VariantStatus.PUBLISHED, published_at=NINE
    )
    Variant.objects.create(
        workspace=workspace, post=late, network="mastodon", status=VariantStatus.PUBLISHED, published_at=NINE + 3 * HOUR
    )
    submitted = audit.record(Actor(author.user), "post.submit", workspace=workspace, target=on_time)
    approved = audit.record(Actor(approver.user), "post.approve", workspace=workspace, target=on_time)
    submitted.created_at, approved.created_at = NINE - 4 * HOUR, NINE - HOUR
    submitted.save(update_fields=["created_at"])
    approved.save(update_fields=["created_at"])

    services.kpi_compute(workspace.pk, DAY)

    assert _figures(workspace, author)[Kpi.POSTS_ON_PLAN] == (1.0, 2)
    assert _figures(workspace, approver)[Kpi.APPROVAL_TURNAROUND] == (3 * 3600.0, 1)


def test_region_scorecards_roll_spokes_up_to_the_hub_and_count_targets_met(workspace: Workspace) -> None:
    north = make_region(workspace, "North")
    south = make_region(workspace, "South")
    first = make_member(workspace, Role.COMMUNITY_MANAGER)
    second = make_member(workspace, Role.COMMUNITY_MANAGER)
    first.regions.add(north)
    second.regions.add(south)
    owner = Membership.objects.for_workspace(workspace).get(role=Role.OWNER)
    services.target_set(
        actor=Actor(owner.user), membership=owner, role=Role.COMMUNITY_MANAGER, kpi=Kpi.FIRST_RESPONSE, target=30
    )
    KpiDaily.objects.bulk_create(
        [
            KpiDaily(workspace=workspace, user=first.user, kpi=Kpi.FIRST_RESPONSE, day=DAY, total=600, count=1),
            KpiDaily(workspace=workspace, user=second.user, kpi=Kpi.FIRST_RESPONSE, day=DAY, total=7200, count=2),
        ]
    )

    cards = {card.name: card for card in selectors.region_scorecards(workspace.pk, DAY, DAY)}

    def first_response(name: str) -> float | None:
        return next(value.value for value in cards[name].values if value.kpi == Kpi.FIRST_RESPONSE)

    hub = next(card for card in cards.values() if card.is_hub)
    assert first_response("North") == 10.0
    assert first_response("South") == 60.0
    assert first_response(hub.name) == round(7800 / 3 / 60, 1)
    assert (cards["North"].targets_met, cards["North"].targets_measured) == (1, 1)
    assert (cards["South"].targets_met, cards["South"].targets_measured) == (0, 1)
    assert hub.people == 3  # the owner counts at the hub


def test_team_scorecards_use_inbox_teams_and_roles(workspace: Workspace) -> None:
    member = make_member(workspace, Role.COMMUNITY_MANAGER)
    team = Team.objects.create(workspace=workspace, name="Care")
    team.members.add(member.user)
    KpiDaily.objects.create(
        workspace=workspace, user=member.user, kpi=Kpi.CLOSED_WITH_REASON, day=DAY, total=3, count=4
    )

    cards = {card.key: card for card in selectors.team_scorecards(workspace.pk, DAY, DAY)}

    care = cards["team:Care"]
    assert care.people == 1
    assert next(value.value for value in care.values if value.kpi == Kpi.CLOSED_WITH_REASON) == 75.0
    assert "role:Community manager" in cards


def test_active_days_follow_the_usage_rollup(workspace: Workspace) -> None:
    member = make_member(workspace, Role.ANALYST)
    Membership.objects.filter(pk=member.pk).update(created_at=NINE - 24 * HOUR)
    UsageDaily.objects.create(workspace=workspace, user=member.user, feature="analytics", day=DAY, views=3)

    services.kpi_compute(workspace.pk, DAY)

    assert _figures(workspace, member)[Kpi.ACTIVE_DAYS] == (1.0, 1)
