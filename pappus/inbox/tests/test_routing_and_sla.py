"""Routing rules, round-robin and load-based assignment, SLA clocks, warnings and escalation."""

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pappus.core.models import AuditEvent
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_region
from pappus.inbox import services
from pappus.inbox.models import AssignmentMode, Conversation, Priority, RoutingRule, Team
from pappus.inbox.tests.factories import actor, make_conversation

pytestmark = pytest.mark.django_db
UTC = datetime.UTC
MONDAY_9_UTC = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 10:00 in Oslo
WEEKDAYS = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


@pytest.fixture
def manager(workspace):
    return make_member(workspace, Role.COMMUNITY_MANAGER)


def team(manager: Any, name: str, mode: str = AssignmentMode.MANUAL, members: Any = (), **fields: Any) -> Team:
    return services.team_create(
        actor=actor(manager), membership=manager, name=name, assignment_mode=mode, members=members, **fields
    )


def rule(manager: Any, name: str, team: Team, **conditions: Any) -> RoutingRule:
    return services.routing_rule_create(actor=actor(manager), membership=manager, name=name, team=team, **conditions)


def test_the_first_matching_rule_wins(workspace, manager):
    sales, support, pr, russian = (team(manager, name) for name in ("Sales", "Support", "PR", "Russian desk"))
    norway = make_region(workspace, "Norway")
    rule(manager, "Press", pr, keywords=["journalist", "Журналист"], priority=Priority.URGENT)
    rule(manager, "Buyers", sales, intents=["purchase_intent"])
    rule(manager, "Russian on Bluesky", russian, languages=["ru"], networks=["bluesky"])
    rule(manager, "VIP in Norway", support, customer_tiers=["vip"], region=norway)
    cases = {
        "[question] I am a journalist at NRK": ("PR", Priority.URGENT),
        "[ru] [question] я журналист": ("PR", Priority.URGENT),
        "[purchase] I'd like to buy": ("Sales", Priority.URGENT),
        "[ru] [question] привет": (None, Priority.NORMAL),  # Russian, but on Mastodon
    }
    for text, expected in cases.items():
        conversation = make_conversation(workspace, text)
        assert (conversation.team.name if conversation.team else None, conversation.priority) == expected, text
    on_bluesky = make_conversation(workspace, "[ru] [question] привет", network="bluesky")
    assert on_bluesky.team == russian
    vip = make_conversation(workspace, "[question] hei", region_id=norway.pk, customer_tier="vip")
    assert vip.team == support
    not_vip = make_conversation(workspace, "[question] hei", region_id=norway.pk)
    assert not_vip.team is None


def test_inactive_rules_and_rule_order(workspace, manager):
    first, second = team(manager, "First"), team(manager, "Second")
    rule(manager, "later", second, position=5)
    early = rule(manager, "earlier", first, position=1)
    assert make_conversation(workspace).team == first
    early.is_active = False
    early.save()
    assert make_conversation(workspace).team == second


def test_round_robin_takes_turns_and_skips_people_who_cannot_answer(workspace, manager):
    agents = [make_member(workspace, Role.COMMUNITY_MANAGER).user for _ in range(3)]
    designer = make_member(workspace, Role.DESIGNER).user  # may not answer conversations
    crew = team(manager, "Support", AssignmentMode.ROUND_ROBIN, members=[*agents, designer])
    rule(manager, "all", crew)
    assignees = [make_conversation(workspace).assignee for _ in range(5)]
    assert assignees == [agents[0], agents[1], agents[2], agents[0], agents[1]]


def test_load_based_gives_to_whoever_has_the_fewest_open(workspace, manager):
    busy, free = (make_member(workspace, Role.COMMUNITY_MANAGER) for _ in range(2))
    crew = team(manager, "Support", AssignmentMode.LOAD_BASED, members=[busy.user, free.user])
    rule(manager, "all", crew)
    for _ in range(2):
        conversation = make_conversation(workspace)
        services.conversation_assign(
            actor=actor(manager), membership=manager, conversation_id=conversation.pk, assignee=busy.user
        )
    assert [make_conversation(workspace).assignee for _ in range(3)] == [free.user, free.user, busy.user]
    # Closed conversations are not load.
    for conversation in Conversation.objects.filter(assignee=busy.user):
        services.conversation_close(
            actor=actor(manager), membership=manager, conversation_id=conversation.pk, reason="Answered"
        )
    assert make_conversation(workspace).assignee == busy.user


def test_manual_assignment_is_audited_and_checks_the_assignee(workspace, manager):
    conversation = make_conversation(workspace)
    agent = make_member(workspace, Role.COMMUNITY_MANAGER)
    services.conversation_assign(
        actor=actor(manager), membership=manager, conversation_id=conversation.pk, assignee=agent.user
    )
    event = AuditEvent.objects.get(action="conversation.assign")
    assert (event.before, event.after) == ({"assignee_id": None}, {"assignee_id": agent.user.pk})
    agency = make_member(workspace, Role.AGENCY)
    with pytest.raises(ValidationError, match="cannot answer"):
        services.conversation_assign(
            actor=actor(manager), membership=manager, conversation_id=conversation.pk, assignee=agency.user
        )
    with pytest.raises(PermissionDenied):
        services.conversation_assign(actor=actor(agency), membership=agency, conversation_id=conversation.pk)


def test_sla_clocks_run_in_the_teams_business_hours(workspace, manager):
    crew = team(manager, "Support", time_zone="Europe/Oslo", business_hours=WEEKDAYS)
    services.sla_policy_set(
        actor=actor(manager), membership=manager, team=crew, first_response_minutes=120, resolution_minutes=480
    )
    rule(manager, "all", crew)
    # Friday 16:30 Oslo (15:30 UTC): 30 min on Friday, the rest from Monday 09:00 Oslo.
    friday = datetime.datetime(2026, 3, 6, 15, 30, tzinfo=UTC)
    conversation = make_conversation(workspace, published_at=friday)
    assert conversation.first_response_due_at == datetime.datetime(2026, 3, 9, 9, 30, tzinfo=UTC)  # Mon 10:30 Oslo
    assert conversation.resolution_due_at == datetime.datetime(2026, 3, 9, 15, 30, tzinfo=UTC)  # Mon 16:30 Oslo
    assert conversation.next_due_at == conversation.first_response_due_at
    # 80 % of 2 h = 96 min: 30 min Friday + 66 min Monday → 10:06 Oslo.
    assert conversation.next_warning_at == datetime.datetime(2026, 3, 9, 9, 6, tzinfo=UTC)


def test_warning_then_breach_escalates_once(workspace, manager):
    lead = make_member(workspace, Role.ADMIN)
    escalation = team(manager, "Escalations")
    crew = team(manager, "Support")
    services.sla_policy_set(
        actor=actor(manager),
        membership=manager,
        team=crew,
        first_response_minutes=60,
        resolution_minutes=240,
        warning_percent=50,
        escalation_team=escalation,
        escalation_user=lead.user,
    )
    rule(manager, "all", crew)
    conversation = make_conversation(workspace, "[question] hello?", published_at=MONDAY_9_UTC)
    assert services.sla_sweep(MONDAY_9_UTC + datetime.timedelta(minutes=29)).warned == ()
    assert services.sla_sweep(MONDAY_9_UTC + datetime.timedelta(minutes=30)).warned == (conversation.pk,)
    assert services.sla_sweep(MONDAY_9_UTC + datetime.timedelta(minutes=45)) == services.SlaSweep((), ())
    swept = services.sla_sweep(MONDAY_9_UTC + datetime.timedelta(minutes=60))
    assert swept.escalated == (conversation.pk,)
    conversation.refresh_from_db()
    assert (conversation.team, conversation.assignee, conversation.priority, conversation.sla_missed) == (
        escalation,
        lead.user,
        Priority.HIGH,
        True,
    )
    assert services.sla_sweep(MONDAY_9_UTC + datetime.timedelta(hours=2)).escalated == ()
    actions = list(
        AuditEvent.objects.filter(object_type="inbox.conversation", object_id=str(conversation.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions.count("conversation.sla_warning") == 1
    assert actions.count("conversation.escalate") == 1


def test_no_policy_no_clock(workspace, manager):
    conversation = make_conversation(workspace)
    assert (conversation.first_response_due_at, conversation.next_due_at) == (None, None)
    assert services.sla_sweep(MONDAY_9_UTC + datetime.timedelta(days=30)) == services.SlaSweep((), ())


def test_settings_need_inbox_manage(workspace):
    analyst = make_member(workspace, Role.ANALYST)
    with pytest.raises(PermissionDenied):
        services.team_create(actor=actor(analyst), membership=analyst, name="Nope")
    manager = make_member(workspace, Role.COMMUNITY_MANAGER)
    with pytest.raises(ValidationError, match="weekdays"):
        services.team_create(
            actor=actor(manager), membership=manager, name="Bad", business_hours={"mon": [["17:00", "09:00"]]}
        )
