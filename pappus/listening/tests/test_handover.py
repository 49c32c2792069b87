"""Mentions that address the brand become inbox conversations (once); the rest stay in listening.

The inbox triages with the real ``pappus.nlp`` models here: a purchase question is urgent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from pappus.connectors.tests.factories import make_account
from pappus.core.audit import Actor
from pappus.core.models import AuditEvent
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.inbox.models import Conversation, Message, Priority
from pappus.listening import handover, services
from pappus.listening.models import IngestRun, Mention, RunStatus, Source
from pappus.listening.pipeline import NormalizedMention, map_normalized

ACTOR = Actor.system("test")
BUY = "I want to buy two bags of the Autumn blend, how much?"


def mapper(item: Mapping[str, Any]) -> NormalizedMention:
    return map_normalized(item, network="mastodon")


@pytest.fixture
def analyst(workspace: Any) -> Any:
    return make_member(workspace, Role.ANALYST)


@pytest.fixture
def brand_account(workspace: Any) -> Any:
    return make_account(workspace, base_url="http://127.0.0.1:9", handle="@brand@example.social")


@pytest.fixture
def source(analyst: Any) -> Source:
    return services.source_create(actor=ACTOR, membership=analyst, name="Inbound", kind="webhook")


def ingest(source: Source, items: list[dict[str, Any]], capture: Any) -> IngestRun:
    with capture(execute=True):
        run = services.ingest_run_start(source)
        services.ingest_items(source=source, run=run, items=items, mapper=mapper)
    return services.ingest_run_finish(run, status=RunStatus.SUCCEEDED)


def item(external_id: str, text: str, author: str = "carol@example.social", **fields: Any) -> dict[str, Any]:
    return {"external_id": external_id, "text": text, "author_handle": author, "author_name": "Carol", **fields}


@pytest.mark.django_db
def test_a_mention_of_the_brands_handle_becomes_an_urgent_conversation_and_an_unrelated_one_does_not(
    source: Source, brand_account: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ingest(
        source,
        [item("m1", f"@brand {BUY}"), item("m2", "The autumn blend of another shop is on sale today")],
        django_capture_on_commit_callbacks,
    )
    conversation = Conversation.objects.for_workspace(source.workspace).get()
    assert (conversation.intent, conversation.priority, conversation.customer_name) == (
        "purchase_intent",
        Priority.URGENT,
        "Carol",
    )
    assert list(Message.objects.for_workspace(source.workspace).values_list("external_id", flat=True)) == ["m1"]

    # The same items again (a re-ingest) and the job run again: still one conversation, one message.
    ingest(source, [item("m1", f"@brand {BUY}"), item("m2", "unrelated")], django_capture_on_commit_callbacks)
    handover.hand_over(source.workspace_id, [Mention.objects.for_workspace(source.workspace).get(external_id="m1").pk])
    assert Conversation.objects.for_workspace(source.workspace).count() == 1
    assert Message.objects.for_workspace(source.workspace).count() == 1


@pytest.mark.django_db
def test_own_posts_other_networks_and_lookalike_handles_are_not_handed_over(
    source: Source, brand_account: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ingest(
        source,
        [
            item("own", f"@brand {BUY}", author="brand@example.social"),  # the brand quoting itself
            item("mail", f"Write to shop@brand.example: {BUY}"),
            item("longer", f"@brandnew {BUY}"),
            item("domain", f"@brand@example.socialnetwork.example {BUY}"),
        ],
        django_capture_on_commit_callbacks,
    )
    assert not Conversation.objects.for_workspace(source.workspace).exists()
    ingest(source, [item("full", f"Hello @Brand@Example.Social. {BUY}")], django_capture_on_commit_callbacks)
    assert list(Message.objects.for_workspace(source.workspace).values_list("external_id", flat=True)) == ["full"]


def test_the_rule_reads_short_handles_only_on_the_accounts_own_network() -> None:
    rule = handover.BrandRule(
        handles=frozenset({"brand@example.social", "brand.bsky.social"}),
        local_parts={"mastodon": frozenset({"brand"}), "bluesky": frozenset({"brand.bsky.social"})},
    )

    def addresses(network: str, text: str) -> bool:
        return rule.addresses(NormalizedMention(network=network, external_id="1", text=text))

    assert addresses("mastodon", "hi @brand, when do you open?")
    assert not addresses("rss", "hi @brand, when do you open?")
    assert addresses("rss", "hi @brand@example.social")
    assert addresses("bluesky", "(@brand.bsky.social)")
    assert not addresses("bluesky", "@brand.bsky.social.example is someone else")
    assert rule.is_own("@Brand@example.social", "rss")
    assert not rule.is_own("", "mastodon")


@pytest.mark.django_db
def test_replies_to_the_brands_posts_and_marked_topics_and_sources_go_to_the_inbox(
    analyst: Any, source: Source, brand_account: Any, django_capture_on_commit_callbacks: Any
) -> None:
    ingest(
        source,
        [
            item("post", "Our autumn blend is back", author="brand@example.social"),
            item("reply", "Is it decaf too?", parent_external_id="post"),
            item("other", "Is it decaf too?", parent_external_id="elsewhere"),
        ],
        django_capture_on_commit_callbacks,
    )
    assert list(Message.objects.for_workspace(source.workspace).values_list("external_id", flat=True)) == ["reply"]

    topic = services.topic_create(actor=ACTOR, membership=analyst, name="Grinders", query="grinder")
    handover.topic_send_to_inbox(actor=ACTOR, membership=analyst, topic=topic, enabled=True)
    ingest(
        source,
        [item("grinder", "My grinder broke after a week"), item("kettle", "My kettle broke")],
        django_capture_on_commit_callbacks,
    )
    assert set(Message.objects.for_workspace(source.workspace).values_list("external_id", flat=True)) == {
        "reply",
        "grinder",
    }

    handover.source_send_to_inbox(actor=ACTOR, membership=analyst, source=source, enabled=True)
    source.refresh_from_db()
    ingest(source, [item("anything", "Nice weather for coffee")], django_capture_on_commit_callbacks)
    assert Message.objects.for_workspace(source.workspace).filter(external_id="anything").exists()
    assert AuditEvent.objects.filter(
        action="listening.source.update", object_id=str(source.pk), after={"send_to_inbox": True}
    ).exists()


@pytest.mark.django_db
def test_marks_need_the_manage_permission(workspace: Any, source: Source) -> None:
    viewer = make_member(workspace, Role.EXECUTIVE)
    with pytest.raises(PermissionDenied):
        handover.source_send_to_inbox(actor=ACTOR, membership=viewer, source=source, enabled=True)
    source.refresh_from_db()
    assert source.send_to_inbox is False


@pytest.mark.django_db
def test_another_workspaces_mentions_are_never_handed_over(
    source: Source, brand_account: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from pappus.core.tests.factories import make_workspace

    ingest(source, [item("m1", f"@brand {BUY}")], django_capture_on_commit_callbacks)
    other = make_workspace()
    mention_ids = list(Mention.objects.for_workspace(source.workspace).values_list("pk", flat=True))
    result = handover.hand_over(other.pk, mention_ids)
    assert (result.received, result.stored) == (0, 0)
    assert not Conversation.objects.for_workspace(other).exists()
