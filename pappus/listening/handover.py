"""The hand-over of mentions that address the brand directly to the inbox (``inbox.facade.receive_mentions``).

After each batch is stored (:func:`after_store`, called by ``services.ingest_items``) the new
mentions are checked against the workspace's rule; those it selects are handed over by the job
``listening.hand_over_mentions``, enqueued when the batch's transaction has committed. A mention
is selected when it

1. comes from a source marked *send to inbox*, or is matched by a topic marked so;
2. @-mentions one of the workspace's connected accounts: ``@handle`` in full on any network
   (``@shop@social.example``, ``@shop.bsky.social``), or the handle's first part (``@shop``) on
   that account's own network;
3. replies to a stored mention written by one of those accounts (its ``parent_external_id``).

A mention written by one of the workspace's own accounts is never handed over. The inbox keeps
one message per network and external id, so handing the same mention over again (a re-ingest,
a retried job) creates no second conversation.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from django.db import transaction

from pappus.connectors import facade as connectors
from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.jobs import enqueue_on_commit
from pappus.core.models import Membership
from pappus.core.permissions import Action, require
from pappus.inbox import facade as inbox
from pappus.inbox.contracts import IngestResult, MentionInteraction
from pappus.listening.models import Mention, Source, Topic
from pappus.listening.pipeline import Batch, NormalizedMention

logger = logging.getLogger(__name__)

_BEFORE = r"(?<![\w@.])@"
_AFTER = r"(?![\w@-]|\.\w)"


def _normal(handle: str) -> str:
    return handle.strip().removeprefix("@").lower()


@dataclass(frozen=True, slots=True)
class BrandRule:
    """What makes a mention of one workspace a direct interaction (see the module's docstring)."""

    handles: frozenset[str] = frozenset()  # the accounts' full handles, lower case, without "@"
    local_parts: dict[str, frozenset[str]] = field(default_factory=dict)  # network -> first parts
    topic_ids: frozenset[int] = frozenset()  # topics marked "send to inbox"
    # One compiled pattern per network, built on first use (a batch reuses it for every mention).
    _patterns: dict[str, re.Pattern[str] | None] = field(default_factory=dict, compare=False, repr=False)

    def _pattern(self, network: str) -> re.Pattern[str] | None:
        if network not in self._patterns:
            names = sorted(self.handles | self.local_parts.get(network, frozenset()), key=len, reverse=True)
            self._patterns[network] = (
                re.compile(_BEFORE + "(?:" + "|".join(map(re.escape, names)) + ")" + _AFTER, re.IGNORECASE)
                if names
                else None
            )
        return self._patterns[network]

    def is_own(self, author_handle: str, network: str) -> bool:
        if not self.handles:
            return False
        author = _normal(author_handle)
        return bool(author) and (author in self.handles or author in self.local_parts.get(network, frozenset()))

    def addresses(self, mention: NormalizedMention) -> bool:
        """The mention names one of the accounts (rule 2)."""
        if "@" not in mention.text and "@" not in mention.title:
            return False
        pattern = self._pattern(mention.network)
        return pattern is not None and bool(pattern.search(f"{mention.title}\n{mention.text}"))


def brand_rule(workspace_id: int) -> BrandRule:
    """The rule of one workspace: its connected accounts' handles and its topics marked for the inbox."""
    handles: set[str] = set()
    local_parts: dict[str, set[str]] = {}
    for account in connectors.target_accounts(workspace_id):
        handle = _normal(account.handle)
        if not handle:
            continue
        handles.add(handle)
        local_parts.setdefault(account.network, set()).add(handle.split("@", 1)[0])
    topic_ids = Topic.objects.for_workspace(workspace_id).filter(send_to_inbox=True).values_list("pk", flat=True)
    return BrandRule(
        handles=frozenset(handles),
        local_parts={network: frozenset(parts) for network, parts in local_parts.items()},
        topic_ids=frozenset(topic_ids),
    )


def select(
    source: Source, mentions: Sequence[NormalizedMention], rule: BrandRule, parent_authors: dict[str, str]
) -> list[NormalizedMention]:
    """The mentions of a batch that go to the inbox; ``parent_authors`` maps parent external ids to authors."""
    chosen = []
    for mention in mentions:
        if rule.is_own(mention.author_handle, mention.network):
            continue
        parent_author = parent_authors.get(mention.parent_external_id, "") if mention.parent_external_id else ""
        if (
            source.send_to_inbox
            or rule.topic_ids.intersection(mention.topic_ids)
            or rule.addresses(mention)
            or (parent_author and rule.is_own(parent_author, mention.network))
        ):
            chosen.append(mention)
    return chosen


def _parent_authors(source: Source, mentions: Sequence[NormalizedMention]) -> dict[str, str]:
    parents = {mention.parent_external_id for mention in mentions if mention.parent_external_id}
    if not parents:
        return {}
    authors = {mention.external_id: mention.author_handle for mention in mentions if mention.external_id in parents}
    # Naming the workspace's sources lets the unique (workspace, source, external id) index answer:
    # without them PostgreSQL walks the whole index (0.4 s a batch at a million mentions).
    sources = Source.objects.for_workspace(source.workspace_id).values("pk")
    authors.update(
        Mention.objects.for_workspace(source.workspace_id)
        .filter(source__in=sources, external_id__in=parents - authors.keys())
        .values_list("external_id", "author_handle")
    )
    return authors


def after_store(source: Source, batch: Batch) -> None:
    """Queue the hand-over of a stored batch's direct interactions (one job per batch, after commit)."""
    if not batch.mentions:
        return
    rule = brand_rule(source.workspace_id)
    if not (source.send_to_inbox or rule.handles or rule.topic_ids):
        return
    chosen = select(source, batch.mentions, rule, _parent_authors(source, batch.mentions))
    if not chosen:
        return
    mention_ids = list(
        Mention.objects.for_workspace(source.workspace_id)
        .filter(source=source, external_id__in=[mention.external_id for mention in chosen])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if mention_ids:
        from pappus.listening import tasks

        enqueue_on_commit(tasks.hand_over_mentions, source.workspace_id, *mention_ids)


def interaction(mention: Mention) -> MentionInteraction:
    text = mention.text or mention.title
    if mention.title and mention.text and mention.title not in mention.text:
        text = f"{mention.title}\n\n{mention.text}"
    return MentionInteraction(
        network=mention.network,
        external_id=mention.external_id,
        text=text,
        author_handle=mention.author_handle,
        author_name=mention.author_name,
        url=mention.url,
        published_at=mention.published_at,
        parent_external_id=mention.parent_external_id,
        region_id=mention.region_id,
    )


def hand_over(workspace_id: int, mention_ids: Iterable[int]) -> IngestResult:
    """Give the mentions (of this workspace only) to the inbox; those it already has are not stored again."""
    rows = Mention.objects.for_workspace(workspace_id).filter(pk__in=list(mention_ids)).order_by("pk")
    interactions = [interaction(row) for row in rows]
    if not interactions:
        return IngestResult(0, 0, 0, 0)
    result = inbox.receive_mentions(workspace_id, interactions)
    logger.info(
        "listening.handover workspace=%s mentions=%s stored=%s conversations_created=%s",
        workspace_id,
        len(interactions),
        result.stored,
        result.conversations_created,
    )
    return result


# --- the "send to inbox" marks -----------------------------------------------------------------


@transaction.atomic
def source_send_to_inbox(*, actor: Actor, membership: Membership, source: Source, enabled: bool) -> Source:
    """Mark (or unmark) a source so that every one of its new mentions goes to the inbox."""
    require(membership, Action.LISTENING_MANAGE)
    source = Source.objects.for_workspace(membership.workspace_id).select_for_update().get(pk=source.pk)
    before = source.send_to_inbox
    if before != enabled:
        source.send_to_inbox = enabled
        source.save(update_fields=["send_to_inbox", "updated_at"])
        audit.record(
            actor,
            "listening.source.update",
            workspace=membership.workspace,
            target=source,
            before={"send_to_inbox": before},
            after={"send_to_inbox": enabled},
        )
    return source


@transaction.atomic
def topic_send_to_inbox(*, actor: Actor, membership: Membership, topic: Topic, enabled: bool) -> Topic:
    """Mark (or unmark) a topic so that every new mention it matches goes to the inbox."""
    require(membership, Action.LISTENING_MANAGE)
    topic = Topic.objects.for_workspace(membership.workspace_id).select_for_update().get(pk=topic.pk)
    before = topic.send_to_inbox
    if before != enabled:
        topic.send_to_inbox = enabled
        topic.save(update_fields=["send_to_inbox", "updated_at"])
        audit.record(
            actor,
            "listening.topic.update",
            workspace=membership.workspace,
            target=topic,
            before={"send_to_inbox": before},
            after={"send_to_inbox": enabled},
        )
    return topic
