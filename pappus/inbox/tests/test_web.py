"""The inbox pages: queue with filters and pinned queries, the conversation page, replies with the
network's reason, closing with a reason, bulk actions behind CSRF, collision warning, roles, tenancy."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from pappus.connectors.mastodon import mapping
from pappus.connectors.tests.factories import make_account, serve_mastodon_account
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.core.models import AuditEvent
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_workspace
from pappus.inbox import facade, services
from pappus.inbox.models import Conversation, ConversationStatus, ConversationTag
from pappus.inbox.tests.factories import actor, make_conversation, mention
from pappus.inbox.tests.test_reply_and_moderation import PARENT

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(workspace):
    return make_member(workspace, Role.COMMUNITY_MANAGER, full_name="Ingrid Solberg")


def signed_in(membership, *, csrf: bool = False) -> Client:
    client = Client(enforce_csrf_checks=csrf)
    client.force_login(membership.user)
    return client


def test_the_queue_shows_urgent_first_and_filters(workspace, agent):
    make_conversation(workspace, "[praise] lovely coffee", author_name="Mia")
    make_conversation(workspace, "[purchase] can I buy 2 kg?", author_name="Ola")
    make_conversation(workspace, "[ru] [complaint] сломалось", author_name="Иван")
    page = signed_in(agent).get(reverse("inbox:queue"))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.index("Ola") < html.index("Иван") < html.index("Mia")
    assert "3 conversations" in html
    filtered = signed_in(agent).get(reverse("inbox:queue"), {"language": "ru"}, headers={"HX-Request": "true"})
    assert "1 conversation" in filtered.content.decode()
    assert "Ola" not in filtered.content.decode()


def test_the_queue_costs_the_same_queries_for_5_and_40_conversations(workspace, agent, django_assert_max_num_queries):
    client = signed_in(agent)
    for number in range(5):
        conversation = make_conversation(workspace, f"[question] q{number}")
        services.conversation_tag(actor=actor(agent), membership=agent, conversation_id=conversation.pk, add=["a", "b"])
    client.get(reverse("inbox:queue"))  # warm the session and caches
    with django_assert_max_num_queries(12) as small:
        client.get(reverse("inbox:queue"))
    for number in range(35):
        make_conversation(workspace, f"[question] more {number}")
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(reverse("inbox:queue")).status_code == 200


def test_the_conversation_page_has_thread_history_notes_and_filled_saved_replies(workspace, agent):
    conversation = make_conversation(
        workspace, "[question] hei", author_handle="@kari@example.social", author_name="Kari"
    )
    elsewhere = make_conversation(
        workspace, "[purchase] on bluesky", network="bluesky", author_handle="@kari.bsky.social"
    )
    services.customer_link(
        actor=actor(agent), membership=agent, conversation_id=conversation.pk, other_conversation_id=elsewhere.pk
    )
    services.note_add(actor=actor(agent), membership=agent, conversation_id=conversation.pk, text="VIP, be kind")
    services.saved_reply_create(
        actor=actor(agent), membership=agent, title="Hello", body="Hi {customer_name}, {agent_name} here", language="en"
    )
    html = signed_in(agent).get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
    assert "hei" in html
    assert "bluesky · [purchase] on bluesky" in html  # the customer's history on another network
    assert "VIP, be kind" in html
    assert 'data-text="Hi Kari, Ingrid here"' in html


def test_a_failed_reply_shows_the_networks_reason_on_the_page(workspace, agent):
    replay = ReplayServer()
    try:
        serve_mastodon_account(replay)
        replay.add("GET", "/api/v1/instance", Answer(200, {"uri": "example.social"}), always=True)
        replay.add("GET", "/api/v1/statuses/500", Answer(200, PARENT), always=True)
        replay.add("POST", "/api/v1/statuses", Answer(422, {"error": "Validation failed: Text can't be blank"}))
        account = make_account(workspace, base_url=replay.url)
        facade.receive_inbound(account.pk, [mapping.inbound_status(PARENT, my_id="1", base_url=replay.url)])
        conversation = Conversation.objects.get(account=account)
        client = signed_in(agent)
        response = client.post(reverse("inbox:reply", args=[conversation.pk]), {"text": "Hello"}, follow=True)
    finally:
        replay.close()
    html = response.content.decode()
    assert "The network refused the reply: Validation failed: Text can&#x27;t be blank" in html
    assert "The network refused this reply: Validation failed: Text can&#x27;t be blank" in html


def test_closing_needs_a_reason_from_the_list(workspace, agent):
    conversation = make_conversation(workspace)
    client = signed_in(agent)
    refused = client.post(reverse("inbox:close", args=[conversation.pk]), {"reason": ""})
    assert refused.status_code == 422
    assert client.post(reverse("inbox:close", args=[conversation.pk]), {"reason": "Made up"}).status_code == 422
    done = client.post(reverse("inbox:close", args=[conversation.pk]), {"reason": "Sale made", "note": "2 kg"})
    assert done.status_code == 302
    conversation.refresh_from_db()
    assert (conversation.status, conversation.outcome_reason, conversation.outcome_note) == (
        ConversationStatus.CLOSED,
        "Sale made",
        "2 kg",
    )


def test_bulk_actions_need_the_csrf_token(workspace, agent):
    conversations = [make_conversation(workspace) for _ in range(3)]
    client = signed_in(agent, csrf=True)
    page = client.get(reverse("inbox:queue")).content.decode()
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found is not None
    token = found.group(1)
    data = {"action": "tag", "tag": "Campaign", "conversations": [c.pk for c in conversations[:2]]}
    assert client.post(reverse("inbox:bulk"), data).status_code == 403
    assert client.post(reverse("inbox:bulk"), {**data, "csrfmiddlewaretoken": token}).status_code == 302
    assert sorted(ConversationTag.objects.values_list("conversation_id", "name")) == [
        (conversations[0].pk, "campaign"),
        (conversations[1].pk, "campaign"),
    ]
    closed = client.post(
        reverse("inbox:bulk"),
        {
            "action": "close",
            "reason": "Answered",
            "conversations": [c.pk for c in conversations],
            "csrfmiddlewaretoken": token,
        },
    )
    assert closed.status_code == 302
    assert set(Conversation.objects.values_list("status", flat=True)) == {"closed"}
    assert AuditEvent.objects.filter(action="conversation.close").count() == 3


def test_two_people_on_one_conversation_see_a_collision_warning(workspace, agent):
    conversation = make_conversation(workspace)
    colleague = make_member(workspace, Role.COMMUNITY_MANAGER, full_name="Ola Hansen")
    url = reverse("inbox:presence", args=[conversation.pk])
    assert "collision" not in signed_in(agent).post(url).content.decode()
    signed_in(colleague).post(url, {"activity": "typing"})
    warning = signed_in(agent).post(url).content.decode()
    assert "Ola Hansen is typing a reply to this conversation." in warning
    assert "Ingrid Solberg is looking at this conversation too." in signed_in(colleague).post(url).content.decode()


def test_the_agency_gets_403_on_every_inbox_page(workspace):
    conversation = make_conversation(workspace)
    message = conversation.messages.get()
    agency = signed_in(make_member(workspace, Role.AGENCY))
    gets = [reverse("inbox:queue"), reverse("inbox:conversation", args=[conversation.pk])]
    posts = [
        reverse(f"inbox:{name}", args=[conversation.pk])
        for name in ("reply", "assign", "close", "reopen", "note", "tag", "presence")
    ] + [reverse("inbox:bulk"), reverse("inbox:retry", args=[message.pk]), reverse("inbox:moderate", args=[message.pk])]
    for url in gets:
        response = agency.get(url)
        assert response.status_code == 403, url
        assert "[question]" not in response.content.decode()
    for url in posts:
        assert agency.post(url, {"text": "x", "reason": "Answered"}).status_code == 403, url
    assert "/inbox/" not in agency.get(reverse("core:home")).content.decode()


def test_read_only_roles_see_but_cannot_act(workspace):
    conversation = make_conversation(workspace)
    executive = signed_in(make_member(workspace, Role.EXECUTIVE))
    html = executive.get(reverse("inbox:conversation", args=[conversation.pk])).content.decode()
    assert "Send reply" not in html
    assert executive.post(reverse("inbox:reply", args=[conversation.pk]), {"text": "x"}).status_code == 403


def test_another_workspaces_conversation_is_not_found(workspace, agent):
    other = make_conversation(make_workspace(name="Elsewhere"), "[question] secret")
    client = signed_in(agent)
    assert client.get(reverse("inbox:conversation", args=[other.pk])).status_code == 404
    assert client.post(reverse("inbox:close", args=[other.pk]), {"reason": "Answered"}).status_code == 404
    assert client.post(reverse("inbox:presence", args=[other.pk])).status_code == 404
    client.post(reverse("inbox:bulk"), {"action": "close", "reason": "Answered", "conversations": [other.pk]})
    assert Conversation.objects.get(pk=other.pk).status == ConversationStatus.OPEN
    assert "secret" not in client.get(reverse("inbox:queue"), {"status": "all"}).content.decode()


def test_listening_mentions_appear_in_the_queue(workspace, agent):
    facade.receive_mentions(workspace.pk, [mention("[service] please repair my grinder", author_name="Sarah")])
    assert "Sarah" in signed_in(agent).get(reverse("inbox:queue")).content.decode()


def test_a_member_limited_to_a_region_sees_and_acts_on_that_regions_conversations_only(workspace):
    from pappus.core.models import Region
    from pappus.core.tests.factories import make_region
    from pappus.inbox.selectors import conversations_queue

    norway = make_region(workspace, "Norway")
    oslo = Region.objects.create(workspace=workspace, parent=norway, name="Oslo")
    china = make_region(workspace, "China")
    here = make_conversation(workspace, "[question] Norway", region_id=norway.pk)
    below = make_conversation(workspace, "[question] Oslo", region_id=oslo.pk)
    elsewhere = make_conversation(workspace, "[question] China", region_id=china.pk)
    nowhere = make_conversation(workspace, "[question] no region")
    limited = make_member(workspace, Role.COMMUNITY_MANAGER)
    limited.regions.add(norway)
    everyone = make_member(workspace, Role.COMMUNITY_MANAGER)

    assert {row.pk for row in conversations_queue(limited)} == {here.pk, below.pk}
    assert {row.pk for row in conversations_queue(everyone)} == {here.pk, below.pk, elsewhere.pk, nowhere.pk}
    client = signed_in(limited)
    assert client.get(reverse("inbox:conversation", args=[below.pk])).status_code == 200
    assert client.get(reverse("inbox:conversation", args=[elsewhere.pk])).status_code == 404
    result = services.conversations_bulk(
        actor=actor(limited),
        membership=limited,
        conversation_ids=[here.pk, elsewhere.pk, nowhere.pk],
        action="tag",
        tag="seen",
    )
    assert set(ConversationTag.objects.filter(name="seen").values_list("conversation_id", flat=True)) == {here.pk}
    assert result is not None
