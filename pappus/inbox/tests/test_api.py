"""The inbox REST API: filters, detail, reply, assign, close, notes, tags, saved replies; roles and tenancy."""

import pytest
from django.test import Client

from pappus.core import tokens
from pappus.core.audit import Actor
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_workspace
from pappus.inbox import services
from pappus.inbox.models import Conversation
from pappus.inbox.tests.factories import actor, make_conversation

pytestmark = pytest.mark.django_db


def bearer(membership) -> dict[str, str]:
    token = tokens.token_create(actor=Actor.system("test"), membership=membership, name="test").plain
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def agent(workspace):
    return make_member(workspace, Role.COMMUNITY_MANAGER, full_name="Ingrid Solberg")


@pytest.fixture
def api(agent):
    headers = bearer(agent)

    class Api:
        def get(self, path, **params):
            return Client().get(f"/api/v1{path}", params, headers=headers)

        def post(self, path, body):
            return Client().post(f"/api/v1{path}", body, content_type="application/json", headers=headers)

    return Api()


def test_list_filter_and_order(workspace, api):
    make_conversation(workspace, "[praise] nice")
    urgent = make_conversation(workspace, "[purchase] buy")
    make_conversation(workspace, "[ru] [complaint] плохо")
    listed = api.get("/inbox/conversations").json()
    assert listed["count"] == 3
    assert [item["intent"] for item in listed["items"]] == ["purchase_intent", "complaint", "praise"]
    assert listed["items"][0]["id"] == urgent.pk
    assert api.get("/inbox/conversations", language="ru").json()["items"][0]["is_flagged"] is True
    assert api.get("/inbox/conversations", intent="praise", priority=4).json()["count"] == 1
    assert api.get("/inbox/conversations", assignee="none", status="all").json()["count"] == 3
    assert api.get("/inbox/conversations", intent="nonsense").status_code == 422
    # PostgreSQL text cannot hold NUL: refused with the field named, not a server error.
    for field in ("network", "tag"):
        refused = api.get("/inbox/conversations", **{field: "x\x00y"})
        assert refused.status_code == 422, field
        assert field in refused.content.decode(), field


def test_list_queries_are_pinned(workspace, api, django_assert_max_num_queries):
    for number in range(3):
        make_conversation(workspace, f"[question] {number}")
    api.get("/inbox/conversations")
    with django_assert_max_num_queries(8) as few:
        api.get("/inbox/conversations")
    for number in range(30):
        make_conversation(workspace, f"[question] more {number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert api.get("/inbox/conversations").json()["count"] == 33


def test_detail_notes_tags_assign_and_close(workspace, api, agent):
    conversation = make_conversation(workspace, "[question] hello", author_name="Kari")
    detail = api.get(f"/inbox/conversations/{conversation.pk}").json()
    assert [message["text"] for message in detail["messages"]] == ["[question] hello"]
    assert api.post(f"/inbox/conversations/{conversation.pk}/notes", {"text": "call her"}).status_code == 201
    assert [note["text"] for note in api.get(f"/inbox/conversations/{conversation.pk}/notes").json()] == ["call her"]
    tagged = api.post(f"/inbox/conversations/{conversation.pk}/tags", {"add": ["VIP", "b2b"], "remove": []})
    assert tagged.json() == {"tags": ["b2b", "vip"]}
    assigned = api.post(f"/inbox/conversations/{conversation.pk}/assign", {"assignee_id": agent.user.pk})
    assert assigned.json()["assignee_id"] == agent.user.pk
    missing_reason = api.post(f"/inbox/conversations/{conversation.pk}/close", {"reason": "Because"})
    assert missing_reason.status_code == 422
    assert missing_reason.json()["detail"][0]["field"] == "reason"
    assert "Answered" in api.get("/inbox/close-reasons").json()
    closed = api.post(f"/inbox/conversations/{conversation.pk}/close", {"reason": "Answered"}).json()
    assert (closed["status"], closed["outcome_reason"]) == ("closed", "Answered")


def test_reply_on_a_listening_conversation_is_refused_with_a_reason(workspace, api):
    conversation = make_conversation(workspace)
    answer = api.post(f"/inbox/conversations/{conversation.pk}/reply", {"text": "Hi"})
    assert answer.status_code == 422
    assert "no connected account" in answer.json()["detail"][0]["message"]


def test_saved_replies_filled_for_a_conversation(workspace, api, agent):
    conversation = make_conversation(workspace, "[no] [question] hei", author_name="Kari")
    for language, body in (("en", "Hi {customer_name}"), ("nb", "Hei {customer_name}, hilsen {agent_name}")):
        services.saved_reply_create(actor=actor(agent), membership=agent, title="Hi", body=body, language=language)
    replies = api.get("/inbox/saved-replies", conversation_id=conversation.pk).json()
    assert [(reply["language"], reply["filled"]) for reply in replies] == [
        ("nb", "Hei Kari, hilsen Ingrid"),
        ("en", "Hi Kari"),
    ]
    assert [reply["language"] for reply in api.get("/inbox/saved-replies", language="en").json()] == ["en"]


def test_the_agency_is_refused_every_operation(workspace):
    conversation = make_conversation(workspace)
    # A token made while the person was a community manager, kept after they became the agency.
    member = make_member(workspace, Role.COMMUNITY_MANAGER)
    headers = bearer(member)
    member.role = Role.AGENCY
    member.save(update_fields=["role"])
    base = f"/api/v1/inbox/conversations/{conversation.pk}"
    for path in (
        "/api/v1/inbox/conversations",
        base,
        f"{base}/notes",
        "/api/v1/inbox/saved-replies",
        "/api/v1/inbox/close-reasons",
    ):
        response = Client().get(path, headers=headers)
        assert response.status_code == 403, path
        assert "question" not in response.content.decode()
    for path, body in (
        (f"{base}/reply", {"text": "x"}),
        (f"{base}/assign", {}),
        (f"{base}/close", {"reason": "Answered"}),
        (f"{base}/notes", {"text": "x"}),
        (f"{base}/tags", {"add": ["x"]}),
    ):
        assert Client().post(path, body, content_type="application/json", headers=headers).status_code == 403, path


def test_another_workspaces_conversation_is_not_found(workspace, api):
    other = make_conversation(make_workspace(name="Elsewhere"))
    assert api.get(f"/inbox/conversations/{other.pk}").status_code == 404
    assert api.post(f"/inbox/conversations/{other.pk}/close", {"reason": "Answered"}).status_code == 404
    assert api.get("/inbox/saved-replies", conversation_id=other.pk).status_code == 404
    assert api.get("/inbox/conversations", status="all").json()["count"] == 0
    assert Conversation.objects.get(pk=other.pk).status == "open"
