"""Edit screens of competitors, audiences, risks, RACI and templates: create, change and remove
through the pages, with validation errors that name the field, audited, scoped to the workspace,
and templates changed only by the hub."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from pappus.core.models import AuditEvent, Membership
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_region
from pappus.listening.models import Topic, TopicKind
from pappus.strategy import services
from pappus.strategy.models import Audience, Competitor, Program, RaciAssignment, Risk, StrategyTemplate
from pappus.strategy.tests.factories import START, actor, make_program, strategist

pytestmark = pytest.mark.django_db


def signed_in(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def test_a_competitor_is_linked_to_a_listening_topic_edited_and_removed():
    editor = strategist()
    topic = Topic.objects.create(workspace=editor.workspace, name="Rival", kind=TopicKind.COMPETITOR, query="rival")
    client = signed_in(editor)
    brand_page = client.get(reverse("strategy:brand")).content.decode()
    assert f'<option value="{topic.pk}">Rival</option>' in brand_page

    client.post(
        reverse("strategy:brand"), {"competitor": "1", "name": "Rival Roasters", "listening_topic_id": topic.pk}
    )
    competitor = Competitor.objects.get(workspace=editor.workspace)
    assert competitor.listening_topic_id == topic.pk
    url = reverse("strategy:competitor", args=[competitor.pk])
    assert url in client.get(reverse("strategy:brand")).content.decode()

    wrong_topic = client.post(url, {"name": "Rival Roasters", "listening_topic_id": topic.pk + 1000})
    assert wrong_topic.status_code == 400  # not one of the workspace's topics
    other_workspace_topic = Topic.objects.create(
        workspace=strategist().workspace, name="Theirs", kind=TopicKind.COMPETITOR, query="theirs"
    )
    with pytest.raises(ValidationError) as refused:
        services.competitor_update(
            actor=actor(editor), membership=editor, competitor=competitor, listening_topic_id=other_workspace_topic.pk
        )
    assert refused.value.message_dict == {"listening_topic_id": ["No listening topic with this id in the workspace."]}
    taken = services.competitor_create(actor=actor(editor), membership=editor, name="Taken")
    response = client.post(url, {"name": "Taken", "notes": "", "listening_topic_id": ""})
    assert response.status_code == 400
    assert "“Taken” is already taken in this workspace." in response.content.decode()

    response = client.post(url, {"name": "Rival Roasters AS", "notes": "Cheaper", "listening_topic_id": ""})
    assert response.status_code == 302
    competitor.refresh_from_db()
    assert (competitor.name, competitor.notes) == ("Rival Roasters AS", "Cheaper")
    assert competitor.listening_topic_id is None
    event = AuditEvent.objects.get(action="strategy.competitor.update")
    assert event.after["name"] == "Rival Roasters AS"

    assert client.post(url, {"delete": "1"}).status_code == 302
    assert list(Competitor.objects.filter(workspace=editor.workspace)) == [taken]
    assert AuditEvent.objects.filter(action="strategy.competitor.delete").count() == 1


def test_an_audience_is_edited_with_field_errors_and_removed():
    editor = strategist()
    audience = services.audience_create(
        actor=actor(editor),
        membership=editor,
        name="Students",
        networks=["instagram"],
        sub_targets=[{"product": "Cold brew", "target": "try it"}],
        planned_profile={"age": "18-24"},
    )
    client = signed_in(editor)
    url = reverse("strategy:audience", args=[audience.pk])
    page = client.get(url).content.decode()
    assert "Cold brew: try it" in page
    assert "age: 18-24" in page

    wrong = client.post(url, {"name": "Students", "planned_profile": "no colon here"})
    assert wrong.status_code == 400
    assert "Write each line as name: value." in wrong.content.decode()

    client.post(
        url, {"name": "Students", "networks": "instagram, tiktok", "planned_profile": "age: 18-26\nlanguage: nb"}
    )
    audience.refresh_from_db()
    assert audience.networks == ["instagram", "tiktok"]
    assert audience.planned_profile == {"age": "18-26", "language": "nb"}

    client.post(url, {"delete": "1"})
    assert not Audience.objects.filter(pk=audience.pk).exists()


def test_risks_and_raci_are_edited_and_removed_from_their_program():
    editor = strategist()
    other = make_member(editor.workspace, role=Role.CONTENT_MANAGER)
    program = make_program(editor, name="Growth")
    risk = services.risk_create(
        actor=actor(editor), membership=editor, program=program, title="Late", likelihood=2, impact=3
    )
    task = services.raci_assign(
        actor=actor(editor),
        membership=editor,
        program=program,
        task="Monthly report",
        responsible=[editor.user],
        accountable=editor.user,
    )
    client = signed_in(editor)
    program_page = client.get(reverse("strategy:program", args=[program.pk])).content.decode()
    assert reverse("strategy:risk", args=[risk.pk]) in program_page
    assert reverse("strategy:raci", args=[task.pk]) in program_page

    risk_url = reverse("strategy:risk", args=[risk.pk])
    wrong = client.post(risk_url, {"title": "Late", "likelihood": 6, "impact": 3, "status": "open"})
    assert wrong.status_code == 400
    assert "Ensure this value is less than or equal to 5." in wrong.content.decode()
    response = client.post(
        risk_url,
        {
            "title": "Late",
            "likelihood": 4,
            "impact": 3,
            "status": "mitigated",
            "owner": other.user.pk,
            "mitigation": "Buffer",
        },
    )
    assert response["Location"] == reverse("strategy:program", args=[program.pk])
    risk.refresh_from_db()
    assert (risk.likelihood, risk.status, risk.owner_id, risk.mitigation) == (4, "mitigated", other.user.pk, "Buffer")

    raci_url = reverse("strategy:raci", args=[task.pk])
    response = client.post(
        raci_url,
        {
            "task": "Monthly report",
            "responsible": [other.user.pk],
            "accountable": editor.user.pk,
            "informed": [editor.user.pk],
        },
    )
    assert response.status_code == 302
    task.refresh_from_db()
    assert list(task.responsible.all()) == [other.user]
    assert list(task.informed.all()) == [editor.user]
    event = AuditEvent.objects.get(action="strategy.raci.update")
    assert (event.before["responsible"], event.after["responsible"]) == ([editor.user.pk], [other.user.pk])

    client.post(risk_url, {"delete": "1"})
    client.post(raci_url, {"delete": "1"})
    assert not Risk.objects.filter(pk=risk.pk).exists()
    assert not RaciAssignment.objects.filter(pk=task.pk).exists()


def test_edit_screens_are_for_editors_of_the_same_workspace_only():
    editor = strategist()
    competitor = services.competitor_create(actor=actor(editor), membership=editor, name="Rival")
    url = reverse("strategy:competitor", args=[competitor.pk])
    executive = make_member(editor.workspace, role=Role.EXECUTIVE)
    assert signed_in(executive).post(url, {"delete": "1"}).status_code == 403
    stranger = strategist()
    assert signed_in(stranger).get(url).status_code == 404
    assert Competitor.objects.filter(pk=competitor.pk).exists()


def test_the_hub_creates_and_edits_templates_and_a_region_starts_from_a_shared_one():
    hub = strategist()
    workspace = hub.workspace
    spoke = make_region(workspace, "Russia")
    client = signed_in(hub)

    response = client.post(reverse("strategy:template_new"), {"kind": "product_launch", "name": "Nordic launch"})
    template = StrategyTemplate.objects.get(workspace=workspace, name="Nordic launch")
    assert response["Location"] == reverse("strategy:template", args=[template.pk])
    url = reverse("strategy:template", args=[template.pk])
    form = client.get(url).content.decode()
    assert "Reach | reach | increase | 500000" in form

    wrong = client.post(
        url,
        {
            "name": "Nordic launch",
            "duration_days": 60,
            "campaign_name": "Launch",
            "campaign_duration_days": 30,
            "kpis": "Reach | reach | increase | 1000\nLeads | sales | increase | 10",
        },
    )
    assert wrong.status_code == 400
    assert "Line 2: unknown metric “sales”." in wrong.content.decode()

    response = client.post(
        url,
        {
            "name": "Nordic launch",
            "goals": "Launch in the north.",
            "duration_days": 60,
            "campaign_name": "Launch",
            "campaign_networks": "vk, telegram",
            "campaign_duration_days": 30,
            "kpis": "Reach | reach | increase | 1000\nResponse time | response_time | decrease | 2 | h",
            "risks": "Snow storm | 2 | 4 | Move the date",
        },
    )
    assert response.status_code == 302
    template.refresh_from_db()
    assert template.content["duration_days"] == 60
    assert template.content["campaign"]["networks"] == ["vk", "telegram"]
    assert template.content["kpis"][1] == {
        "name": "Response time",
        "metric_key": "response_time",
        "direction": "decrease",
        "target_gain": 2,
        "unit": "h",
    }
    assert template.content["risks"] == [
        {"title": "Snow storm", "likelihood": 2, "impact": 4, "mitigation": "Move the date"}
    ]
    assert AuditEvent.objects.filter(action="strategy.template.update", object_id=str(template.pk)).exists()

    services.template_share(actor=actor(hub), membership=hub, template=template, regions=[spoke])
    regional = strategist(workspace)
    regional.regions.add(spoke)
    regional_client = signed_in(regional)
    assert regional_client.post(url, {"delete": "1"}).status_code == 302
    assert StrategyTemplate.objects.filter(pk=template.pk).exists()  # only the hub changes templates
    denied = regional_client.post(
        url, {"name": "Mine", "duration_days": 60, "campaign_name": "x", "campaign_duration_days": 1}
    )
    assert "Only members of the hub (not limited to regions) change templates." in denied.content.decode()

    regional_client.post(
        reverse("strategy:programs"),
        {"template": template.pk, "name": "Moscow launch", "starts_on": START.isoformat()},
    )
    program = Program.objects.get(workspace=workspace, name="Moscow launch")
    assert program.region == spoke
    assert (program.ends_on - program.starts_on).days == 60
    campaign = program.campaigns.get()
    assert campaign.networks == ["vk", "telegram"]
    assert sorted(campaign.kpis.values_list("metric_key", "target")) == [
        ("reach", Decimal(1000)),
        ("response_time", Decimal(-2)),
    ]

    client.post(url, {"delete": "1"})
    assert not StrategyTemplate.objects.filter(pk=template.pk).exists()
