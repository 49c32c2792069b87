"""What other apps may call on the inbox. Frozen dataclasses in and out (``contracts.py``).

Listening hands over mentions that address the brand directly with :func:`receive_mentions`;
connectors' inbox polls hand over their pages with :func:`receive_inbound`. Both are idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.utils import timezone

from pappus.connectors.contracts import InboundItem
from pappus.inbox import services
from pappus.inbox.contracts import IngestResult, MentionInteraction, QueueCounts
from pappus.inbox.models import Conversation, ConversationStatus


def receive_mentions(workspace_id: int, mentions: Sequence[MentionInteraction]) -> IngestResult:
    """Turn direct interactions found by listening into conversations (threaded, triaged, routed)."""
    return services.ingest_mentions(workspace_id, mentions)


def receive_inbound(account_id: int, items: Sequence[InboundItem]) -> IngestResult:
    """Store a connected account's inbox items (comments, mentions, direct messages)."""
    return services.ingest_inbound(account_id, items)


def queue_counts(workspace_id: int) -> QueueCounts:
    """Open work of a workspace: open, waiting for the customer, unassigned, overdue."""
    rows = Conversation.objects.for_workspace(workspace_id).exclude(status=ConversationStatus.CLOSED)
    return QueueCounts(
        open=rows.filter(status=ConversationStatus.OPEN).count(),
        pending=rows.filter(status=ConversationStatus.PENDING).count(),
        unassigned=rows.filter(assignee__isnull=True).count(),
        overdue=rows.filter(next_due_at__lte=timezone.now()).count(),
    )
