"""Which saved reply an answer was based on: recorded from the reply form and the API (also when the agent edited the
text), refused with the field named when it is another workspace's; the answer is sent to a local Mastodon replay."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from pappus.connectors.tests.factories import make_account, serve_mastodon_account
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.core import tokens
from pappus.core.audit import Actor
from pappus.core.models import AuditEvent, Membership
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_workspace
from pappus.inbox import services
from pappus.inbox.models import Message, SavedReply
from pappus.inbox.tests.factories import actor
from pappus.inbox.tests.test_reply_and_moderation import ANSWER, PARENT, conversation_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def replay():
    server = ReplayServer()
    serve_mastodon_account(server)
    server.add("GET", "/api/v1/instance", Answer(200, {"uri": "example.social"}), always=True)
    server.add("GET", "/api/v1/statuses/500", Answer(200, PARENT), always=True)
    yield server
    server.close()


@pytest.fixture
def agent(workspace):
    return make_member(workspace, Role.COMMUNITY_MANAGER, full_name="Ingrid Solberg")


def _saved(membership: Membership, title: str = "Order help") -> SavedReply:
    return services.saved_reply_create(
        actor=actor(membership), membership=membership, title=title, body="Hi {customer_name}!", language="en"
    )


def test_the_reply_form_records_the_saved_reply_even_when_the_text_was_edited(workspace, agent, replay):
    replay.add("POST", "/api/v1/statuses", Answer(200, ANSWER))
    conversation = conversation_on(make_account(workspace, base_url=replay.url))
    saved = _saved(agent)
    client = Client()
    client.force_login(agent.user)
    page = client.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
    assert f'<option value="{saved.pk}" data-text="Hi ' in page  # the select sends the reply's id, fills the text
    response = client.post(
        reverse("inbox:reply", args=[conversation.pk]),
        {"text": "Hi kari! Edited: 1 kg bags are back.", "saved_reply": str(saved.pk)},
    )
    assert response.status_code == 302
    message = Message.objects.get(conversation=conversation, direction="out")
    assert (message.text, message.saved_reply_id) == ("Hi kari! Edited: 1 kg bags are back.", saved.pk)
    assert json.loads(replay.requests_to("POST", "/api/v1/statuses")[0].body)["status"].endswith("1 kg bags are back.")
    event = AuditEvent.objects.get(action="conversation.reply")
    assert event.after["saved_reply_id"] == saved.pk


def test_a_reply_written_by_hand_is_based_on_no_saved_reply(workspace, agent, replay):
    replay.add("POST", "/api/v1/statuses", Answer(200, ANSWER))
    conversation = conversation_on(make_account(workspace, base_url=replay.url))
    client = Client()
    client.force_login(agent.user)
    client.post(reverse("inbox:reply", args=[conversation.pk]), {"text": "Yes!", "saved_reply": ""})
    assert Message.objects.get(conversation=conversation, direction="out").saved_reply_id is None


def test_the_api_records_the_saved_reply_and_refuses_another_workspaces(workspace, agent, replay):
    replay.add("POST", "/api/v1/statuses", Answer(200, ANSWER))
    conversation = conversation_on(make_account(workspace, base_url=replay.url))
    saved = _saved(agent)
    foreign = _saved(make_member(make_workspace("Elsewhere"), Role.OWNER), title="Not yours")
    headers = {
        "Authorization": "Bearer " + tokens.token_create(actor=Actor.system("test"), membership=agent, name="t").plain
    }
    url = f"/api/v1/inbox/conversations/{conversation.pk}/reply"
    refused = Client().post(
        url, {"text": "Hi", "saved_reply_id": foreign.pk}, content_type="application/json", headers=headers
    )
    assert refused.status_code == 422
    assert "saved_reply_id" in refused.content.decode()
    assert not Message.objects.filter(conversation=conversation, direction="out").exists()
    answered = Client().post(
        url, {"text": "Hi kari, edited", "saved_reply_id": saved.pk}, content_type="application/json", headers=headers
    )
    assert answered.status_code == 201
    assert answered.json()["saved_reply_id"] == saved.pk
    assert Message.objects.get(pk=answered.json()["id"]).saved_reply_id == saved.pk


def test_deleting_the_saved_reply_keeps_the_answer(workspace, agent, replay):
    replay.add("POST", "/api/v1/statuses", Answer(200, ANSWER))
    conversation = conversation_on(make_account(workspace, base_url=replay.url))
    saved = _saved(agent)
    message = services.conversation_reply(
        actor=actor(agent), membership=agent, conversation_id=conversation.pk, text="Hi", saved_reply_id=saved.pk
    )
    services.saved_reply_delete(actor=actor(agent), membership=agent, reply=saved)
    message.refresh_from_db()
    assert (message.text, message.saved_reply_id) == ("Hi", None)
