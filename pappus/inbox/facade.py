"""What other apps may call on the inbox. Frozen dataclasses in and out (``contracts.py``).

Listening hands over mentions that address the brand directly with :func:`receive_mentions`;
connectors' inbox polls hand over their pages with :func:`receive_inbound`. Both are idempotent.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.db.models import DurationField, ExpressionWrapper, F
from django.utils import timezone

from pappus.connectors.contracts import InboundItem
from pappus.inbox import services
from pappus.inbox.contracts import CustomerContact, IngestResult, MentionInteraction, QueueCounts, ResponseTimes
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


def response_times(
    workspace_id: int,
    *,
    since: datetime.datetime,
    until: datetime.datetime,
    region_ids: Sequence[int] | None = None,
    networks: Sequence[str] = (),
) -> ResponseTimes:
    """First-response times of conversations first answered in ``[since, until)`` and resolution
    times of those closed in it (wall clock from the conversation's start), for analytics.

    ``region_ids`` None means every region (and conversations without one).
    """
    rows = Conversation.objects.for_workspace(workspace_id)
    if region_ids is not None:
        rows = rows.filter(region_id__in=list(region_ids))
    if networks:
        rows = rows.filter(network__in=list(networks))
    # The database subtracts: one interval per row comes back instead of two time-zone-aware moments.
    answered = (
        rows.filter(first_responded_at__gte=since, first_responded_at__lt=until)
        .annotate(took=ExpressionWrapper(F("first_responded_at") - F("created_at"), output_field=DurationField()))
        .order_by()
        .values_list("took", flat=True)
    )
    closed = (
        rows.filter(status=ConversationStatus.CLOSED, closed_at__gte=since, closed_at__lt=until)
        .annotate(took=ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField()))
        .order_by()
        .values_list("took", flat=True)
    )
    return ResponseTimes(
        first_response_seconds=tuple(max(0.0, took.total_seconds()) for took in answered if took is not None),
        resolution_seconds=tuple(max(0.0, took.total_seconds()) for took in closed if took is not None),
    )


def customer_contacts(workspace_id: int, *, after_id: int = 0, limit: int = 1000) -> tuple[CustomerContact, ...]:
    """Conversations with an id above ``after_id`` (oldest first, at most ``limit``) and their customer, so the
    community can collect identities in resumable batches."""
    rows = (
        Conversation.objects.for_workspace(workspace_id)
        .filter(pk__gt=after_id)
        .order_by("pk")
        .values_list(
            "pk", "network", "customer_handle", "customer_name", "subject", "sentiment", "created_at", "last_message_at"
        )[:limit]
    )
    return tuple(CustomerContact(*row) for row in rows)
