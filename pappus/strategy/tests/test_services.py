"""Strategy writes: role checks, workspace scoping, field-named errors, revisions and audit."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError

from pappus.core import audit
from pappus.core.models import AuditEvent
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_region, make_workspace
from pappus.strategy import selectors, services
from pappus.strategy.metrics import Status
from pappus.strategy.models import KpiMeasurement, ProgramRevision, StrategyTemplate, TemplateKind
from pappus.strategy.tests.factories import START, actor, make_campaign, make_kpi, make_program, strategist

pytestmark = pytest.mark.django_db

EDITORS = {Role.OWNER, Role.ADMIN, Role.STRATEGIST}


@pytest.mark.parametrize("role", list(Role))
def test_only_owners_admins_and_strategists_may_change_the_strategy(role):
    member = make_member(role=role)
    if role in EDITORS:
        program = make_program(member, name="Growth")
        assert program.name == "Growth"
    else:
        with pytest.raises(PermissionDenied, match=r"strategy\.edit"):
            make_program(member)


@pytest.mark.parametrize("role", [Role.EXECUTIVE, Role.AGENCY])
def test_executives_and_the_agency_cannot_record_values_or_revise(role):
    owner = strategist()
    campaign = make_campaign(owner)
    kpi = make_kpi(owner, campaign=campaign)
    reader = make_member(owner.workspace, role=role)
    with pytest.raises(PermissionDenied):
        services.kpi_record_value(actor=actor(reader), membership=reader, kpi=kpi, measured_on=START, value=1)
    with pytest.raises(PermissionDenied):
        services.program_revise(actor=actor(reader), membership=reader, program=campaign.program, reason="x", goals="y")


def test_rows_of_another_workspace_are_not_found():
    mine, theirs = strategist(), strategist()
    their_campaign = make_campaign(theirs)
    with pytest.raises(ObjectDoesNotExist):
        services.campaign_update(actor=actor(mine), membership=mine, campaign=their_campaign, name="Taken over")
    with pytest.raises(ObjectDoesNotExist):
        make_kpi(mine, campaign=their_campaign)
    assert list(selectors.campaigns(mine.workspace)) == []


def test_owners_and_raci_members_must_be_members_of_the_workspace():
    member = strategist()
    outsider = make_member(role=Role.STRATEGIST)
    with pytest.raises(ValidationError) as error:
        make_program(member, owner=outsider.user)
    assert error.value.message_dict == {"owner_id": ["This person is not a member of the workspace."]}
    with pytest.raises(ValidationError) as error:
        services.raci_assign(
            actor=actor(member),
            membership=member,
            task="Publish",
            responsible=[member.user],
            accountable=outsider.user,
        )
    assert error.value.message_dict == {"accountable_id": ["This person is not a member of the workspace."]}


def test_errors_name_the_field():
    member = strategist()
    make_program(member, name="Awareness")
    cases = [
        ({"name": "Awareness"}, "name", "“Awareness” is already taken in this workspace."),
        (
            {"name": "Backwards", "ends_on": START - datetime.timedelta(days=1)},
            "ends_on",
            "The end date must not be before the start date.",
        ),
        ({"name": "Bad money", "budget_planned": "lots"}, "budget_planned", "Enter a number."),
    ]
    for values, field, message in cases:
        assert isinstance(values, dict)
        with pytest.raises(ValidationError) as error:
            make_program(member, **values)
        assert error.value.message_dict == {field: [message]}
    with pytest.raises(ValidationError) as error:
        make_kpi(member, metric_key="likes")
    assert list(error.value.message_dict) == ["metric_key"]
    with pytest.raises(ValidationError) as error:
        make_kpi(member, direction="decrease", baseline=10, target=20)
    assert error.value.message_dict == {"target": ["For a lower-is-better KPI the target must be below the baseline."]}


def test_a_program_revision_keeps_what_changed_and_why_and_is_audited():
    member = strategist()
    program = make_program(member, name="Community", goals="10k followers")

    revision = services.program_revise(
        actor=actor(member),
        membership=member,
        program=program,
        reason="The Q1 launch slipped",
        goals="12k followers",
        budget_planned=Decimal("5000"),
    )
    second = services.program_revise(
        actor=actor(member), membership=member, program=program, reason="Owner moved", status="active"
    )

    assert (revision.number, second.number) == (1, 2)
    assert revision.before == {"goals": "10k followers", "budget_planned": "0.00"}
    assert revision.after == {"goals": "12k followers", "budget_planned": "5000"}
    assert [row.reason for row in selectors.program_revisions(program)] == ["Owner moved", "The Q1 launch slipped"]
    event = AuditEvent.objects.filter(action="strategy.program.revise").order_by("id")[0]
    assert event.after == {"goals": "12k followers", "budget_planned": "5000", "reason": "The Q1 launch slipped"}
    assert audit.action_label("strategy.program.revise") == "Program revised"


def test_a_revision_needs_a_reason_and_a_change():
    member = strategist()
    program = make_program(member, goals="Same")
    with pytest.raises(ValidationError) as error:
        services.program_revise(actor=actor(member), membership=member, program=program, reason=" ", goals="New")
    assert list(error.value.message_dict) == ["reason"]
    with pytest.raises(ValidationError) as error:
        services.program_revise(actor=actor(member), membership=member, program=program, reason="r", goals="Same")
    assert error.value.message_dict == {"reason": ["Nothing changed: a revision needs at least one changed field."]}
    assert ProgramRevision.objects.count() == 0


def test_a_second_value_on_the_same_date_replaces_the_first():
    member = strategist()
    kpi = make_kpi(member)
    services.kpi_record_value(actor=actor(member), membership=member, kpi=kpi, measured_on=START, value=1100)
    services.kpi_record_value(
        actor=actor(member), membership=member, kpi=kpi, measured_on=START, value=1150, source="api", note="corrected"
    )

    rows = list(KpiMeasurement.objects.filter(kpi=kpi).values_list("value", "source", "note"))
    assert rows == [(Decimal("1150.0000"), "api", "corrected")]
    events = AuditEvent.objects.filter(action="strategy.measurement.record").order_by("id")
    assert [event.after.get("value") for event in events] == ["1100", "1150"]
    assert events[1].before == {"value": "1100.0000", "source": "manual", "note": ""}  # the source is audited too


def test_plan_versus_actual_for_a_workspace_with_exact_values():
    member = strategist()
    campaign = make_campaign(member, budget_planned=10_000, budget_spent=4_000)
    reach = make_kpi(member, campaign=campaign, name="Reach", baseline=1000, target=2000)
    leads = make_kpi(member, campaign=campaign, name="Leads", metric_key="leads", baseline=0, target=100)
    for offset, value in ((0, 1000), (25, 1250), (50, 1500)):
        services.kpi_record_value(
            actor=actor(member),
            membership=member,
            kpi=reach,
            measured_on=START + datetime.timedelta(days=offset),
            value=value,
        )
    services.kpi_record_value(
        actor=actor(member), membership=member, kpi=leads, measured_on=START + datetime.timedelta(days=50), value=20
    )

    rows = selectors.plan_versus_actual(member.workspace, as_of=START + datetime.timedelta(days=52))

    assert [(row.kpi.name, row.evaluation.status) for row in rows] == [
        ("Leads", Status.OFF_TRACK),
        ("Reach", Status.ON_TRACK),
    ]
    leads_row, reach_row = rows
    assert leads_row.evaluation.pace == 0.4
    assert leads_row.evaluation.efficiency == 0.005  # 20 leads for 4,000 spent
    assert leads_row.diagnosis is not None
    assert leads_row.diagnosis.rule == "slow_pace"
    assert reach_row.evaluation.forecast.value == pytest.approx(2000, abs=1e-9)
    assert reach_row.evaluation.effectiveness == 0.5
    assert reach_row.diagnosis is None


def test_templates_are_copied_in_the_workspace_language_and_start_a_whole_program():
    workspace = make_workspace(default_language="ru")
    member = strategist(workspace)

    created = services.template_ensure_builtins(actor=actor(member), membership=member)
    again = services.template_ensure_builtins(actor=actor(member), membership=member)
    launch = StrategyTemplate.objects.get(workspace=workspace, kind=TemplateKind.PRODUCT_LAUNCH)
    program = services.program_start_from_template(
        actor=actor(member),
        membership=member,
        template=launch,
        name="Зимний запуск",
        starts_on=START,
        baselines={"reach": 20_000},
    )

    assert (len(created), again) == (4, [])
    assert launch.name == "Запуск продукта"
    assert launch.content["campaign"]["name"] == "Кампания запуска"
    assert program.ends_on == START + datetime.timedelta(days=90)
    campaign = selectors.campaigns(workspace).get()
    assert campaign.program == program
    kpis = {kpi.metric_key: (kpi.baseline, kpi.target) for kpi in selectors.kpis(workspace)}
    assert kpis == {
        "reach": (Decimal("20000.0000"), Decimal("520000.0000")),
        "clicks": (Decimal("0.0000"), Decimal("15000.0000")),
        "leads": (Decimal("0.0000"), Decimal("1200.0000")),
    }
    assert selectors.risks(workspace).count() == 2


def test_templates_shared_with_a_region_are_what_its_members_see():
    member = strategist()
    norway = make_region(member.workspace, "Norway")
    services.template_ensure_builtins(actor=actor(member), membership=member)
    awareness = StrategyTemplate.objects.get(workspace=member.workspace, kind=TemplateKind.BRAND_AWARENESS)
    services.template_share(actor=actor(member), membership=member, template=awareness, regions=[norway])
    local = make_member(member.workspace, role=Role.CONTENT_MANAGER)
    local.regions.set([norway])

    assert [template.kind for template in selectors.templates_for(local)] == [TemplateKind.BRAND_AWARENESS]
    assert selectors.templates_for(member).count() == 4
    event = AuditEvent.objects.get(action="strategy.template.share")
    assert (event.before, event.after) == ({"shared_with": []}, {"shared_with": [norway.pk]})
