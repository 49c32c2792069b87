"""The inbox settings, on the pages and through the API: teams with members, business hours, time
zone, assignment mode and SLA; ordered routing rules tested live against a sample; saved replies
per language shared by the hub, with a preview; outcome reasons. Roles, CSRF, audit, clear errors."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from pappus.core.models import AuditEvent
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_region, make_workspace
from pappus.inbox import selectors, services
from pappus.inbox.models import RoutingRule, SavedReply, SlaPolicy, Team
from pappus.inbox.tests.factories import actor, make_conversation
from pappus.inbox.tests.test_api import bearer

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager(workspace):
    return make_member(workspace, Role.COMMUNITY_MANAGER, full_name="Ingrid Solberg")


def signed_in(membership, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(membership.user)
    return client


def audited(workspace, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(workspace=workspace, action=action).order_by("id"))


# --- pages ---------------------------------------------------------------------------------------


def test_a_manager_creates_a_team_with_hours_and_an_sla_on_the_pages(workspace, manager):
    colleague = make_member(workspace, Role.COMMUNITY_MANAGER, full_name="Ola Nordmann")
    client = signed_in(manager)
    response = client.post(
        reverse("inbox:settings_team_create"),
        {
            "team-name": "Sales Oslo",
            "team-kind": "sales",
            "team-members": [str(manager.user_id), str(colleague.user_id)],
            "team-assignment_mode": "load_based",
            "team-time_zone": "Europe/Oslo",
            "team-business_hours": "mon-fri: 09:00-12:00, 13:00-17:00\nsat: 10:00-14:00",
            "team-holidays": "2026-12-24, 2026-12-25",
        },
    )
    team = Team.objects.get(workspace=workspace, name="Sales Oslo")
    assert response.status_code == 302
    assert response["Location"] == reverse("inbox:settings_team", args=[team.pk])
    assert team.assignment_mode == "load_based"
    assert team.time_zone == "Europe/Oslo"
    assert team.business_hours["wed"] == [["09:00", "12:00"], ["13:00", "17:00"]]
    assert team.business_hours["sat"] == [["10:00", "14:00"]]
    assert "sun" not in team.business_hours
    assert team.holidays == ["2026-12-24", "2026-12-25"]
    assert sorted(team.members.values_list("pk", flat=True)) == sorted([manager.user_id, colleague.user_id])
    assert len(audited(workspace, "inbox_team.create")) == 1

    page = client.get(reverse("inbox:settings_team", args=[team.pk])).content.decode()
    assert "mon: 09:00-12:00, 13:00-17:00" in page
    response = client.post(
        reverse("inbox:settings_team", args=[team.pk]),
        {
            "action": "sla",
            "first_response_minutes": "30",
            "resolution_minutes": "240",
            "warning_percent": "75",
            "escalation_user": str(colleague.user_id),
        },
    )
    assert response.status_code == 302
    policy = SlaPolicy.objects.get(team=team)
    assert (policy.first_response_minutes, policy.resolution_minutes, policy.warning_percent) == (30, 240, 75)
    assert policy.escalation_user_id == colleague.user_id
    assert len(audited(workspace, "sla_policy.set")) == 1
    overview = client.get(reverse("inbox:settings")).content.decode()
    assert "Sales Oslo" in overview
    assert "30 / 240 min" in overview
    assert "Fewest open conversations" in overview


def test_team_form_errors_say_what_and_where(workspace, manager):
    client = signed_in(manager)
    response = client.post(
        reverse("inbox:settings_team_create"),
        {
            "team-name": "Support",
            "team-kind": "support",
            "team-assignment_mode": "round_robin",
            "team-time_zone": "Mars/Olympus",
            "team-business_hours": "mon: 09:00-17:00\nfunday: 10:00-12:00",
        },
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Line 2: “funday” is not a weekday" in html
    assert not Team.objects.filter(workspace=workspace).exists()
    response = client.post(
        reverse("inbox:settings_team_create"),
        {
            "team-name": "Support",
            "team-kind": "support",
            "team-assignment_mode": "round_robin",
            "team-time_zone": "Mars/Olympus",
            "team-business_hours": "mon: 17:00-09:00",
        },
    )
    assert response.status_code == 422
    form = response.context["team_form"]
    assert "time_zone" in form.errors
    assert "business_hours" in form.errors
    team = services.team_create(actor=actor(manager), membership=manager, name="Support")
    response = client.post(
        reverse("inbox:settings_team", args=[team.pk]),
        {"action": "sla", "first_response_minutes": "120", "resolution_minutes": "60", "warning_percent": "80"},
    )
    assert response.status_code == 422
    assert "Resolution cannot be due before the first response." in response.content.decode()


def test_routing_rules_are_ordered_moved_and_tested_against_a_sample(workspace, manager):
    sales = services.team_create(actor=actor(manager), membership=manager, name="Sales", kind="sales")
    support = services.team_create(actor=actor(manager), membership=manager, name="Support")
    client = signed_in(manager)
    response = client.post(
        reverse("inbox:settings_rule_create"),
        {
            "rule-name": "Norwegian buyers",
            "rule-team": str(sales.pk),
            "rule-intents": ["purchase_intent"],
            "rule-languages": "no",
            "rule-networks": ["mastodon"],
            "rule-keywords": "kaffe, kvern",
            "rule-customer_tiers": "gold",
            "rule-priority": "1",
            "rule-is_active": "on",
        },
    )
    assert response.status_code == 302
    client.post(
        reverse("inbox:settings_rule_create"),
        {"rule-name": "Everything else", "rule-team": str(support.pk), "rule-is_active": "on"},
    )
    first, second = selectors.routing_rules_of(manager)
    assert [first.name, second.name] == ["Norwegian buyers", "Everything else"]
    assert first.keywords == ["kaffe", "kvern"]
    assert first.customer_tiers == ["gold"]

    sample = {
        "test-text": "[no] [purchase] Selger dere kaffe i 1 kg poser?",
        "test-network": "mastodon",
        "test-customer_tier": "gold",
    }
    result = client.post(reverse("inbox:settings_rule_test"), sample, headers={"HX-Request": "true"})
    html = result.content.decode()
    assert result.status_code == 200
    assert "Rule “Norwegian buyers” sends it to Sales." in html
    assert "Intent: purchase_intent · Language: no · Priority: 1" in html
    result = client.post(
        reverse("inbox:settings_rule_test"), {**sample, "test-customer_tier": "silver"}, headers={"HX-Request": "true"}
    )
    assert "Rule “Everything else” sends it to Support." in result.content.decode()
    assert "Norwegian buyers: does not match" in result.content.decode()
    empty = client.post(reverse("inbox:settings_rule_test"), {"test-text": ""}, headers={"HX-Request": "true"})
    assert empty.status_code == 422
    assert "Sample message: This field is required." in empty.content.decode()

    # Move "Everything else" first: it now catches the sample.
    client.post(reverse("inbox:settings_rule_move", args=[second.pk]), {"to": "0"})
    assert [rule.name for rule in selectors.routing_rules_of(manager)] == ["Everything else", "Norwegian buyers"]
    result = client.post(reverse("inbox:settings_rule_test"), sample, headers={"HX-Request": "true"})
    assert "Rule “Everything else” sends it to Support." in result.content.decode()
    assert len(audited(workspace, "routing_rule.move")) == 1

    # Edit, then a real conversation follows the rules the page shows; then remove.
    client.post(
        reverse("inbox:settings_rule", args=[second.pk]),
        {"name": "Everything else", "team": str(support.pk), "keywords": "hjelp"},
    )
    second.refresh_from_db()
    assert second.keywords == ["hjelp"]
    assert second.is_active is False
    conversation = make_conversation(
        workspace, "[no] [purchase] Jeg vil kjøpe en kaffekvern", network="mastodon", customer_tier="gold"
    )
    assert conversation.team_id == sales.pk
    assert len(audited(workspace, "routing_rule.update")) == 1
    client.post(reverse("inbox:settings_rule", args=[second.pk]), {"action": "delete"})
    assert not RoutingRule.objects.filter(pk=second.pk).exists()
    assert len(audited(workspace, "routing_rule.delete")) == 1


def test_a_team_with_rules_cannot_be_removed_until_they_go(workspace, manager):
    team = services.team_create(actor=actor(manager), membership=manager, name="PR", kind="pr")
    rule = services.routing_rule_create(
        actor=actor(manager), membership=manager, name="Complaints", team=team, intents=["complaint"]
    )
    client = signed_in(manager)
    response = client.post(reverse("inbox:settings_team", args=[team.pk]), {"action": "delete"}, follow=True)
    assert "Routing rules send conversations to this team: Complaints. Change or remove them first." in (
        response.content.decode()
    )
    assert Team.objects.filter(pk=team.pk).exists()
    services.routing_rule_delete(actor=actor(manager), membership=manager, rule=rule)
    client.post(reverse("inbox:settings_team", args=[team.pk]), {"action": "delete"})
    assert not Team.objects.filter(pk=team.pk).exists()
    assert len(audited(workspace, "inbox_team.delete")) == 1


def test_saved_replies_per_language_shared_by_the_hub_with_a_preview(workspace, manager):
    north = make_region(workspace, "North")
    south = make_region(workspace, "South")
    client = signed_in(manager)
    response = client.post(
        reverse("inbox:settings_reply_create"),
        {
            "reply-title": "Thanks",
            "reply-language": "en",
            "reply-shared_with_regions": "on",
            "reply-body": "Hi {customer_name}, {agent_name} here. Thanks for writing on {network}!",
        },
    )
    assert response.status_code == 302
    client.post(
        reverse("inbox:settings_reply_create"),
        {
            "reply-title": "Takk",
            "reply-language": "nb",
            "reply-region": str(north.pk),
            "reply-body": "Hei {customer_name}!",
        },
    )
    duplicate = client.post(
        reverse("inbox:settings_reply_create"),
        {"reply-title": "Thanks", "reply-language": "en", "reply-body": "Again"},
    )
    assert duplicate.status_code == 422
    assert "A saved reply with this title exists in this language." in duplicate.content.decode()
    assert len(audited(workspace, "saved_reply.create")) == 2

    preview = client.post(
        reverse("inbox:settings_reply_preview"),
        {"reply-body": "Hi {customer_name}, {agent_name} here about {order_number}."},
        headers={"HX-Request": "true"},
    )
    assert "Hi Ola Nordmann, Ingrid here about {order_number}." in preview.content.decode()

    # A conversation in the north region is offered the hub's shared reply and the north's own;
    # the south sees only the hub's.
    in_north = make_conversation(workspace, "[no] [question] hei", region_id=north.pk, author_name="Kari")
    in_south = make_conversation(workspace, "[question] hello", region_id=south.pk)
    assert [reply.title for reply in selectors.saved_replies_for(manager, in_north)] == ["Takk", "Thanks"]
    assert [reply.title for reply in selectors.saved_replies_for(manager, in_south)] == ["Thanks"]
    page = client.get(reverse("inbox:conversation", args=[in_north.pk])).content.decode()
    assert "Hei Kari!" in page
    assert "Hi Kari, Ingrid here. Thanks for writing on mastodon!" in page

    thanks = SavedReply.objects.get(workspace=workspace, title="Thanks")
    client.post(
        reverse("inbox:settings_reply", args=[thanks.pk]),
        {"title": "Thanks", "language": "en", "body": "Thank you, {customer_name}."},
    )
    thanks.refresh_from_db()
    assert thanks.shared_with_regions is False
    assert [reply.title for reply in selectors.saved_replies_for(manager, in_south)] == []
    client.post(reverse("inbox:settings_reply", args=[thanks.pk]), {"action": "delete"})
    assert not SavedReply.objects.filter(pk=thanks.pk).exists()
    assert [
        event.action
        for event in AuditEvent.objects.filter(workspace=workspace, action__startswith="saved_reply").order_by("id")
    ][-2:] == ["saved_reply.update", "saved_reply.delete"]


def test_outcome_reasons_replace_the_defaults(workspace, manager):
    client = signed_in(manager)
    assert "Sale made" in client.get(reverse("inbox:settings")).content.decode()
    client.post(reverse("inbox:settings_reasons"), {"reason-name": "Refund given"})
    client.post(reverse("inbox:settings_reasons"), {"reason-name": "Order shipped"})
    assert selectors.reasons_of(manager) == ["Refund given", "Order shipped"]
    client.post(reverse("inbox:settings_reasons"), {"remove": "Refund given"})
    assert selectors.reasons_of(manager) == ["Order shipped"]
    empty = client.post(reverse("inbox:settings_reasons"), {"reason-name": " "})
    assert empty.status_code == 422


def test_settings_roles_and_csrf(workspace, manager):
    team = services.team_create(actor=actor(manager), membership=manager, name="Support")
    agency = make_member(workspace, Role.AGENCY)
    assert signed_in(agency).get(reverse("inbox:settings")).status_code == 403
    analyst = make_member(workspace, Role.ANALYST)
    page = signed_in(analyst).get(reverse("inbox:settings"))
    assert page.status_code == 200
    assert "Create the team" not in page.content.decode()
    refused = signed_in(analyst).post(
        reverse("inbox:settings_team", args=[team.pk]), {"action": "save", "name": "Mine", "kind": "support"}
    )
    assert refused.status_code == 403
    assert signed_in(analyst).post(reverse("inbox:settings_reasons"), {"reason-name": "x"}).status_code == 403
    # Without the CSRF token, nothing changes.
    forged = signed_in(manager, csrf=True).post(reverse("inbox:settings_reasons"), {"reason-name": "Forged"})
    assert forged.status_code == 403
    assert selectors.own_close_reasons(manager) == []
    # Another workspace's team is simply not found.
    other = make_member(make_workspace(), Role.OWNER)
    assert signed_in(other).get(reverse("inbox:settings_team", args=[team.pk])).status_code == 404


def test_the_settings_page_costs_the_same_queries_with_more_rows(workspace, manager, django_assert_max_num_queries):
    client = signed_in(manager)

    def add(number: int) -> None:
        team = services.team_create(
            actor=actor(manager), membership=manager, name=f"Team {number}", members=[manager.user]
        )
        services.sla_policy_set(
            actor=actor(manager), membership=manager, team=team, first_response_minutes=10, resolution_minutes=60
        )
        services.routing_rule_create(
            actor=actor(manager), membership=manager, name=f"Rule {number}", team=team, region=region
        )
        services.saved_reply_create(
            actor=actor(manager), membership=manager, title=f"Reply {number}", body="Hi", language="en", region=region
        )

    region = make_region(workspace, "West")
    add(0)
    client.get(reverse("inbox:settings"))
    with django_assert_max_num_queries(20) as few:
        assert client.get(reverse("inbox:settings")).status_code == 200
    for number in range(1, 8):
        add(number)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(reverse("inbox:settings")).status_code == 200


# --- API -----------------------------------------------------------------------------------------


class Api:
    def __init__(self, membership) -> None:
        self.headers = bearer(membership)
        self.client = Client()

    def __getattr__(self, method):
        def call(path, body=None, **params):
            url = f"/api/v1{path}"
            if method in {"get", "delete"}:
                return getattr(self.client, method)(
                    url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""),
                    headers=self.headers,
                )
            return getattr(self.client, method)(
                url, json.dumps(body), content_type="application/json", headers=self.headers
            )

        return call


def test_api_teams_and_sla_create_update_delete(workspace, manager):
    api = Api(manager)
    colleague = make_member(workspace, Role.COMMUNITY_MANAGER)
    created = api.post(
        "/inbox/teams",
        {
            "name": "Support",
            "member_ids": [manager.user_id, colleague.user_id],
            "assignment_mode": "manual",
            "time_zone": "Asia/Shanghai",
            "business_hours": {"mon": [["09:00", "18:00"]], "tue": [["09:00", "18:00"]]},
            "holidays": ["2026-10-01"],
        },
    )
    assert created.status_code == 201, created.content
    team = created.json()
    assert team["member_ids"] == sorted([manager.user_id, colleague.user_id])
    assert team["business_hours"] == {"mon": [["09:00", "18:00"]], "tue": [["09:00", "18:00"]]}
    assert team["sla"] is None
    sla = api.put(f"/inbox/teams/{team['id']}/sla", {"first_response_minutes": 15, "resolution_minutes": 120})
    assert sla.status_code == 200
    assert sla.json()["warning_percent"] == 80
    changed = api.patch(
        f"/inbox/teams/{team['id']}", {"assignment_mode": "round_robin", "member_ids": [colleague.user_id]}
    )
    assert changed.json()["assignment_mode"] == "round_robin"
    assert changed.json()["member_ids"] == [colleague.user_id]
    assert changed.json()["sla"]["first_response_minutes"] == 15
    listed = api.get("/inbox/teams").json()
    assert [item["name"] for item in listed] == ["Support"]

    stranger = make_member(make_workspace(), Role.OWNER)
    wrong = api.post("/inbox/teams", {"name": "Sales", "member_ids": [stranger.user_id], "time_zone": "Nowhere/City"})
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["field"] == "member_ids"
    wrong = api.post("/inbox/teams", {"name": "Sales", "time_zone": "Nowhere/City"})
    assert [error["field"] for error in wrong.json()["detail"]] == ["time_zone"]
    wrong = api.put(f"/inbox/teams/{team['id']}/sla", {"first_response_minutes": 60, "resolution_minutes": 30})
    assert wrong.status_code == 422
    assert wrong.json()["detail"][0]["field"] == "resolution_minutes"

    assert api.delete(f"/inbox/teams/{team['id']}/sla").status_code == 204
    assert api.get(f"/inbox/teams/{team['id']}").json()["sla"] is None
    assert api.delete(f"/inbox/teams/{team['id']}").status_code == 204
    assert not Team.objects.filter(workspace=workspace).exists()
    assert [event.action for event in AuditEvent.objects.filter(workspace=workspace).order_by("id")][-5:] == [
        "inbox_team.create",
        "sla_policy.set",
        "inbox_team.update",
        "sla_policy.remove",
        "inbox_team.delete",
    ]


def test_api_routing_rules_saved_replies_and_reasons(workspace, manager):
    api = Api(manager)
    sales = services.team_create(actor=actor(manager), membership=manager, name="Sales")
    support = services.team_create(actor=actor(manager), membership=manager, name="Support")
    buyers = api.post(
        "/inbox/routing-rules",
        {"name": "Buyers", "team_id": sales.pk, "intents": ["purchase_intent"], "keywords": ["grinder"], "priority": 1},
    )
    assert buyers.status_code == 201
    rest = api.post("/inbox/routing-rules", {"name": "Rest", "team_id": support.pk}).json()
    assert rest["position"] == buyers.json()["position"] + 1
    tested = api.post("/inbox/routing-rules/test", {"text": "[purchase] Is the grinder in stock?"}).json()
    assert tested["team_id"] == sales.pk
    assert tested["rule_id"] == buyers.json()["id"]
    assert tested["matched_rule_ids"] == [buyers.json()["id"], rest["id"]]
    assert tested["priority"] == 1
    moved = api.patch(f"/inbox/routing-rules/{rest['id']}", {"position": 0})
    assert moved.json()["position"] == 0
    assert [rule["name"] for rule in api.get("/inbox/routing-rules").json()] == ["Rest", "Buyers"]
    wrong = api.post("/inbox/routing-rules", {"name": "X", "team_id": sales.pk, "networks": ["myspace"]})
    assert wrong.status_code == 422
    assert wrong.json()["detail"] == [{"field": "networks", "message": "Unknown networks: myspace"}]
    other_team = services.team_create(
        actor=actor(manager), membership=make_member(make_workspace(), Role.OWNER), name="Theirs"
    )
    wrong = api.post("/inbox/routing-rules", {"name": "X", "team_id": other_team.pk})
    assert wrong.json()["detail"] == [{"field": "team_id", "message": "No team with this id in the workspace."}]
    assert api.delete(f"/inbox/routing-rules/{rest['id']}").status_code == 204

    north = make_region(workspace, "North")
    reply = api.post(
        "/inbox/saved-replies",
        {"title": "Hello", "body": "Hei {customer_name}!", "language": "nb", "region_id": north.pk},
    )
    assert reply.status_code == 201
    assert reply.json()["region_id"] == north.pk
    patched = api.patch(
        f"/inbox/saved-replies/{reply.json()['id']}", {"region_id": None, "body": "Hei, {customer_name}!"}
    )
    assert patched.json()["region_id"] is None
    conversation = make_conversation(workspace, "[question] hi", author_name="Kari")
    preview = api.post(
        "/inbox/saved-replies/preview", {"body": "Hei, {customer_name}!", "conversation_id": conversation.pk}
    )
    assert preview.json() == {"filled": "Hei, Kari!"}
    assert api.post("/inbox/saved-replies/preview", {"body": "{customer_handle}"}).json() == {
        "filled": "@ola@example.social"
    }
    assert api.delete(f"/inbox/saved-replies/{reply.json()['id']}").status_code == 204

    assert api.post("/inbox/close-reasons", {"name": "Refund given"}).json() == ["Refund given"]
    assert api.delete("/inbox/close-reasons", name="Refund given").status_code == 204
    assert api.delete("/inbox/close-reasons", name="Refund given").status_code == 404


def test_api_settings_need_inbox_manage(workspace, manager):
    team = services.team_create(actor=actor(manager), membership=manager, name="Support")
    analyst = Api(make_member(workspace, Role.ANALYST))
    assert analyst.get("/inbox/teams").status_code == 200
    assert analyst.post("/inbox/teams", {"name": "Mine"}).status_code == 403
    assert analyst.patch(f"/inbox/teams/{team.pk}", {"name": "Mine"}).status_code == 403
    assert analyst.post("/inbox/routing-rules/test", {"text": "hi"}).status_code == 403
    outsider = Api(make_member(make_workspace(), Role.OWNER))
    assert outsider.get(f"/inbox/teams/{team.pk}").status_code == 404
    assert outsider.delete(f"/inbox/teams/{team.pk}").status_code == 404
    assert Team.objects.filter(pk=team.pk).exists()


@pytest.mark.parametrize(
    ("language", "title", "error"),
    [
        ("nb", "Innboksinnstillinger", "Linje 1: «funday» er ikke en ukedag"),
        ("zh-hans", "收件箱设置", "“funday”不是星期几"),
        ("ru", "Настройки входящих", "Строка 1: «funday» — не день недели"),
    ],
)
def test_the_settings_speak_the_users_language(workspace, manager, language, title, error):
    manager.user.language = language
    manager.user.save(update_fields=["language"])
    client = signed_in(manager)
    assert title in client.get(reverse("inbox:settings")).content.decode()
    refused = client.post(
        reverse("inbox:settings_team_create"),
        {
            "team-name": "X",
            "team-kind": "support",
            "team-assignment_mode": "manual",
            "team-business_hours": "funday: 1",
        },
    )
    assert error in refused.content.decode()
