"""Replies through a real connector: Mastodon's documented answers replayed by a local server,
and a real local Mastodon-speaking server (snac2, ../shared/peers/mastodon.sh). Moderation."""

import json
import time
import uuid

import httpx
import pytest
from django.core.exceptions import ValidationError

from conftest import start_peer
from pappus.connectors import registry
from pappus.connectors.contracts import InboundKind, PublishRequest
from pappus.connectors.mastodon import mapping
from pappus.connectors.models import AccountStatus, ConnectedAccount
from pappus.connectors.tests.factories import make_account, mastodon_account_json, serve_mastodon_account
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.core.models import AuditEvent
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.inbox import facade, services
from pappus.inbox.models import Conversation, ConversationStatus, DeliveryStatus, Message
from pappus.inbox.tests.factories import actor, make_conversation

pytestmark = pytest.mark.django_db
CUSTOMER = mastodon_account_json("42", "kari")
PARENT = {
    "id": "500",
    "url": "https://example.social/@kari/500",
    "created_at": "2026-03-02T09:00:00.000Z",
    "content": "<p>Do you sell the Autumn blend in 1 kg bags?</p>",
    "account": CUSTOMER,
}
ANSWER = {
    "id": "501",
    "url": "https://example.social/@brand/501",
    "created_at": "2026-03-02T09:05:00.000Z",
    "content": "<p>@kari Yes!</p>",
    "in_reply_to_id": "500",
    "account": mastodon_account_json(),
}


@pytest.fixture(scope="module")
def replay_server():
    server = ReplayServer()
    yield server
    server.close()


@pytest.fixture
def replay(replay_server):
    replay_server.reset()
    serve_mastodon_account(replay_server)
    replay_server.add("GET", "/api/v1/instance", Answer(200, {"uri": "example.social"}), always=True)
    replay_server.add("GET", "/api/v1/statuses/500", Answer(200, PARENT), always=True)
    return replay_server


@pytest.fixture
def agent(workspace):
    return make_member(workspace, Role.COMMUNITY_MANAGER, full_name="Ingrid Solberg")


def conversation_on(account: ConnectedAccount) -> Conversation:
    """The documented status, mapped by the connector's own code, received into the inbox."""
    facade.receive_inbound(account.pk, [mapping.inbound_status(PARENT, my_id="1", base_url=account.base_url)])
    return Conversation.objects.get(account=account)


def test_a_reply_is_sent_as_an_answer_to_the_customers_message(workspace, agent, replay):
    replay.add("POST", "/api/v1/statuses", Answer(200, ANSWER))
    account = make_account(workspace, base_url=replay.url)
    conversation = conversation_on(account)
    message = services.conversation_reply(
        actor=actor(agent), membership=agent, conversation_id=conversation.pk, text="Yes! Both sizes."
    )
    assert (message.delivery_status, message.external_id, message.url, message.error) == (
        DeliveryStatus.SENT,
        "501",
        "https://example.social/@brand/501",
        "",
    )
    sent = replay.requests_to("POST", "/api/v1/statuses")[0]
    host = replay.url.removeprefix("http://")
    assert json.loads(sent.body) == {"status": f"@kari@{host} Yes! Both sizes.", "in_reply_to_id": "500"}
    assert sent.headers["Idempotency-Key"] == str(message.idempotency_key)
    assert sent.headers["Authorization"] == "Bearer stored-token"
    conversation.refresh_from_db()
    assert conversation.status == ConversationStatus.PENDING
    assert conversation.first_responded_at is not None
    assert conversation.assignee == agent.user
    assert list(
        AuditEvent.objects.filter(object_type="inbox.conversation", object_id=str(conversation.pk)).values_list(
            "action", flat=True
        )
    ) == [
        "conversation.reply_sent",
        "conversation.reply",
        "conversation.route",
    ]


def test_a_failed_reply_shows_the_networks_reason_and_can_be_sent_again(workspace, agent, replay):
    replay.add(
        "POST", "/api/v1/statuses", Answer(422, {"error": "Validation failed: Text character limit of 500 exceeded"})
    )
    account = make_account(workspace, base_url=replay.url)
    conversation = conversation_on(account)
    message = services.conversation_reply(
        actor=actor(agent), membership=agent, conversation_id=conversation.pk, text="A long answer"
    )
    assert (message.delivery_status, message.error, message.error_code) == (
        DeliveryStatus.FAILED,
        "Validation failed: Text character limit of 500 exceeded",
        "content_rejected",
    )
    account.refresh_from_db()
    assert account.last_error == "Validation failed: Text character limit of 500 exceeded"
    conversation.refresh_from_db()
    assert (conversation.first_responded_at, conversation.status) == (None, ConversationStatus.OPEN)
    replay.add("POST", "/api/v1/statuses", Answer(200, ANSWER))
    again = services.message_retry(actor=actor(agent), membership=agent, message_id=message.pk)
    assert again.delivery_status == DeliveryStatus.SENT
    keys = [request.headers["Idempotency-Key"] for request in replay.requests_to("POST", "/api/v1/statuses")]
    assert keys == [str(message.idempotency_key)] * 2


def test_an_expired_token_fails_the_reply_with_the_reason(workspace, agent, replay):
    account = make_account(workspace, base_url=replay.url)
    conversation = conversation_on(account)
    replay.add("GET", "/api/v1/statuses/500", Answer(401, {"error": "The access token was revoked"}))
    message = services.conversation_reply(
        actor=actor(agent), membership=agent, conversation_id=conversation.pk, text="Hi"
    )
    assert message.delivery_status == DeliveryStatus.FAILED
    assert message.error == "Mastodon refused the token: The access token was revoked"
    account.refresh_from_db()
    assert account.status == AccountStatus.EXPIRED


def test_a_listening_conversation_cannot_be_answered_here(workspace, agent):
    conversation = make_conversation(workspace)
    with pytest.raises(ValidationError, match="no connected account"):
        services.conversation_reply(actor=actor(agent), membership=agent, conversation_id=conversation.pk, text="Hi")


def test_a_toxic_comment_is_deleted_on_the_network_and_audited(workspace, agent, replay):
    replay.add("DELETE", "/api/v1/statuses/500", Answer(200, PARENT))
    account = make_account(workspace, base_url=replay.url)
    conversation = conversation_on(account)
    message = conversation.messages.get()
    with pytest.raises(ValidationError, match="can delete messages but not hide them"):
        services.message_moderate(actor=actor(agent), membership=agent, message_id=message.pk, action="hide")
    moderated = services.message_moderate(actor=actor(agent), membership=agent, message_id=message.pk, action="delete")
    assert moderated.delivery_status == DeliveryStatus.DELETED
    assert len(replay.requests_to("DELETE", "/api/v1/statuses/500")) == 1
    event = AuditEvent.objects.get(action="message.moderate")
    assert (event.object_id, event.before, event.after["delivery_status"]) == (
        str(message.pk),
        {"delivery_status": "received"},
        "deleted",
    )


def test_a_network_refusing_deletion_says_why(workspace, agent, replay):
    replay.add("DELETE", "/api/v1/statuses/500", Answer(404, {"error": "Record not found"}))
    account = make_account(workspace, base_url=replay.url)
    message = conversation_on(account).messages.get()
    with pytest.raises(ValidationError, match="Record not found"):
        services.message_moderate(actor=actor(agent), membership=agent, message_id=message.pk, action="delete")
    assert Message.objects.get(pk=message.pk).delivery_status == DeliveryStatus.RECEIVED


# --- a real server -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mastodon_peer():
    return start_peer("mastodon", timeout=300)


def test_a_customers_mention_is_received_and_answered_on_a_real_server(workspace, agent, mastodon_peer):
    base_url = mastodon_peer["MASTODON_BASE_URL"]
    alice_token, bob_token = mastodon_peer["MASTODON_ALICE_TOKEN"], mastodon_peer["MASTODON_BOB_TOKEN"]
    with registry.build("mastodon", base_url=base_url, credentials={"access_token": alice_token}) as alice:
        me = alice.account_info()
        cursor = alice.inbox(limit=1).cursor
    account = make_account(
        workspace,
        base_url=base_url,
        credentials={"access_token": alice_token},
        remote_id=me.remote_id,
        handle=me.handle,
    )
    with registry.build("mastodon", base_url=base_url, credentials={"access_token": alice_token}) as alice:
        post = alice.publish(PublishRequest(text=f"Our Autumn blend is here {uuid.uuid4().hex[:8]}"))
    with registry.build("mastodon", base_url=base_url, credentials={"access_token": bob_token}) as bob:
        asked = bob.reply(post.remote_id, PublishRequest(text="Do you sell it in 1 kg bags?"))
    deadline = time.monotonic() + 30
    with registry.build("mastodon", base_url=base_url, credentials={"access_token": alice_token}) as alice:
        while True:
            page = alice.inbox(cursor=cursor)
            if any(item.remote_id == asked.remote_id for item in page.items):
                break
            if time.monotonic() > deadline:
                pytest.fail("the mention did not arrive within 30 s")
            time.sleep(0.5)
    result = facade.receive_inbound(account.pk, [item for item in page.items if item.remote_id == asked.remote_id])
    assert (result.stored, result.conversations_created) == (1, 1)
    conversation = Conversation.objects.get(account=account)
    assert (conversation.kind, conversation.thread_key.startswith(f"comment:{post.remote_id}:")) == (
        InboundKind.COMMENT,
        True,
    )
    message = services.conversation_reply(
        actor=actor(agent), membership=agent, conversation_id=conversation.pk, text="Yes, in both sizes!"
    )
    assert message.delivery_status == DeliveryStatus.SENT, message.error
    status = httpx.get(
        f"{base_url}/api/v1/statuses/{message.external_id}",
        headers={"Authorization": f"Bearer {alice_token}"},
        timeout=10,
    ).json()
    assert status["in_reply_to_id"] == asked.remote_id
    assert "Yes, in both sizes!" in status.get("text", status["content"])
