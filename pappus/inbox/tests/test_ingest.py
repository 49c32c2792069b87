"""Ingest: threading into conversations, idempotency, triage order and the accounting."""

import datetime

import pytest

from pappus.connectors.contracts import InboundItem, InboundKind
from pappus.connectors.tests.factories import make_account
from pappus.core.models import AuditEvent
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.inbox import facade, services
from pappus.inbox.models import Conversation, ConversationStatus, Message, Priority
from pappus.inbox.selectors import QueueFilters, conversations_queue
from pappus.inbox.tests.factories import actor, make_conversation, mention

pytestmark = pytest.mark.django_db
AT = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


def item(remote_id: str, text: str, **fields: object) -> InboundItem:
    values: dict[str, object] = {
        "network": "mastodon",
        "kind": InboundKind.MENTION,
        "author_handle": "@kari@example.social",
        "author_name": "Kari",
        "published_at": AT,
    }
    values.update(fields)
    return InboundItem(remote_id=remote_id, text=text, **values)  # type: ignore[arg-type]


def test_the_same_items_twice_store_nothing_the_second_time(workspace):
    account = make_account(workspace, base_url="http://127.0.0.1:9")
    items = [
        item("1", "[question] where is my parcel?"),
        item("2", "[purchase] and I want two more", parent_remote_id="1"),
    ]
    first = facade.receive_inbound(account.pk, items)
    second = facade.receive_inbound(account.pk, items)
    assert (first.received, first.stored, first.duplicates, first.conversations_created) == (2, 2, 0, 1)
    assert (second.received, second.stored, second.duplicates, second.conversations_created) == (2, 0, 2, 0)
    conversation = Conversation.objects.get()
    assert conversation.message_count == 2
    assert list(conversation.messages.values_list("external_id", flat=True)) == ["1", "2"]


def test_a_reply_joins_its_parents_conversation_and_others_start_their_own(workspace):
    account = make_account(workspace, base_url="http://127.0.0.1:9")
    facade.receive_inbound(
        account.pk,
        [
            item("10", "[question] first", published_at=AT),
            item(
                "11", "[question] a reply to it", parent_remote_id="10", published_at=AT + datetime.timedelta(minutes=1)
            ),
            item("12", "[question] from someone else", author_handle="@ola@example.social"),
            item("20", "[question] comment", kind=InboundKind.COMMENT, parent_remote_id="our-post"),
            item("21", "[question] second comment, same person", kind=InboundKind.COMMENT, parent_remote_id="our-post"),
            item("30", "[question] dm", kind=InboundKind.DIRECT_MESSAGE, conversation_id="chat-7"),
            item("31", "[question] dm again", kind=InboundKind.DIRECT_MESSAGE, conversation_id="chat-7"),
        ],
    )
    threads = {
        conversation.thread_key: sorted(conversation.messages.values_list("external_id", flat=True))
        for conversation in Conversation.objects.all()
    }
    assert threads == {
        "item:10": ["10", "11"],
        "item:12": ["12"],
        "comment:our-post:@kari@example.social": ["20", "21"],
        "dm:chat-7": ["30", "31"],
    }


def test_the_same_id_on_two_accounts_is_two_messages(workspace):
    first = make_account(workspace, base_url="http://127.0.0.1:9", remote_id="1")
    second = make_account(workspace, base_url="http://127.0.0.1:10", remote_id="2")
    facade.receive_inbound(first.pk, [item("5", "[question] hi")])
    facade.receive_inbound(second.pk, [item("5", "[question] hi")])
    assert Message.objects.count() == 2


def test_a_new_message_reopens_a_closed_conversation(workspace):
    owner = make_member(workspace, Role.OWNER)
    conversation = make_conversation(workspace, "[question] hello", external_id="a")
    services.conversation_close(
        actor=actor(owner), membership=owner, conversation_id=conversation.pk, reason="Answered"
    )
    facade.receive_mentions(
        workspace.pk, [mention("[complaint] still broken", external_id="b", parent_external_id="a")]
    )
    conversation.refresh_from_db()
    assert (conversation.status, conversation.outcome_reason, conversation.intent) == (
        ConversationStatus.OPEN,
        "",
        "complaint",
    )


def test_triage_answers_purchase_intent_and_service_requests_first(workspace):
    texts = [
        "[praise] love it",
        "[complaint] broken",
        "[spam] buy followers",
        "[question] opening hours?",
        "[service] please fix my grinder",
        "[purchase] I want to buy two bags",
    ]
    facade.receive_mentions(workspace.pk, [mention(text) for text in texts])
    analyst = make_member(workspace, Role.ANALYST)
    queue = list(conversations_queue(analyst, QueueFilters()))
    ranked = [(conversation.priority, conversation.intent) for conversation in queue]
    assert sorted(ranked[:2]) == [(Priority.URGENT, "purchase_intent"), (Priority.URGENT, "service_request")]
    assert ranked[2:] == [
        (Priority.HIGH, "complaint"),
        (Priority.NORMAL, "question"),
        (Priority.LOW, "praise"),
        (Priority.LOWEST, "spam"),
    ]
    flagged = {conversation.intent for conversation in queue if conversation.is_flagged}
    assert flagged == {"complaint"}


def test_toxicity_flags_and_the_most_urgent_intent_stays(workspace):
    conversation = make_conversation(workspace, "[purchase] can I buy it?", external_id="p1")
    facade.receive_mentions(
        workspace.pk,
        [mention("[praise] [toxic] thanks, you idiots", external_id="p2", parent_external_id="p1")],
    )
    conversation.refresh_from_db()
    assert (conversation.intent, conversation.priority, conversation.is_toxic, conversation.is_flagged) == (
        "purchase_intent",
        Priority.URGENT,
        True,
        True,
    )
    assert Message.objects.get(external_id="p2").is_toxic


def test_listening_mentions_keep_language_region_and_customer(workspace):
    conversation = make_conversation(
        workspace, "[ru] [question] Здравствуйте", author_handle="@Ivan@example.social", author_name="Иван"
    )
    assert (conversation.language, conversation.customer_name, conversation.customer_key, conversation.account_id) == (
        "ru",
        "Иван",
        "mastodon:@ivan@example.social",
        None,
    )
    assert AuditEvent.objects.filter(action="conversation.route", object_id=str(conversation.pk)).count() == 1


def test_empty_texts_are_counted_not_stored(workspace):
    result = facade.receive_mentions(workspace.pk, [mention("   ")])
    assert (result.received, result.stored, result.duplicates) == (1, 0, 1)


def test_real_models_triage_an_english_purchase_question(workspace, real_triage):
    conversation = make_conversation(workspace, "I want to buy two bags of the Autumn blend, how much?")
    assert (conversation.intent, conversation.priority, conversation.language) == (
        "purchase_intent",
        Priority.URGENT,
        "en",
    )


def test_a_post_read_by_the_account_and_found_by_listening_is_one_conversation(workspace):
    """Bluesky's ids (AT URIs) are global: the account's inbox pull and a listening search that
    both bring the same post make one message, whichever comes first."""
    account = make_account(workspace, base_url="http://127.0.0.1:9", network="bluesky", remote_id="did:plc:brand")
    uri = "at://did:plc:kari/app.bsky.feed.post/3kabc"
    facade.receive_inbound(account.pk, [item(uri, "[question] does the shop open at 8?", network="bluesky")])
    again = facade.receive_mentions(
        workspace.pk, [mention("[question] does the shop open at 8?", network="bluesky", external_id=uri)]
    )
    assert (again.stored, again.duplicates) == (0, 1)
    later = "at://did:plc:kari/app.bsky.feed.post/3kdef"
    facade.receive_mentions(workspace.pk, [mention("[purchase] two bags please", network="bluesky", external_id=later)])
    pulled = facade.receive_inbound(account.pk, [item(later, "[purchase] two bags please", network="bluesky")])
    assert (pulled.stored, pulled.duplicates) == (0, 1)
    assert Message.objects.count() == 2
    assert Conversation.objects.count() == 2


def test_mastodon_ids_are_per_server_so_listening_does_not_swallow_an_accounts_post(workspace):
    account = make_account(workspace, base_url="http://127.0.0.1:9")
    facade.receive_inbound(account.pk, [item("77", "[question] hi")])
    facade.receive_mentions(workspace.pk, [mention("[question] another server's post 77", external_id="77")])
    assert Message.objects.count() == 2
