"""What other apps may call on the inbox. Frozen dataclasses in and out (``contracts.py``).

Listening hands over mentions that address the brand directly with :func:`receive_mentions`;
connectors' inbox polls hand over their pages with :func:`receive_inbound`. Both are idempotent.
"""

from __future__ import annotations

import datetime
import statistics
from collections.abc import Sequence

from django.db import connection
from django.db.models import Aggregate, DurationField, ExpressionWrapper, F, FloatField
from django.utils import timezone

from pappus.connectors.contracts import InboundItem
from pappus.inbox import services
from pappus.inbox.contracts import (
    AssigneeResponses,
    CustomerContact,
    DirectThread,
    IngestResult,
    MedianResponseTimes,
    MentionInteraction,
    OutcomeCount,
    QueueCounts,
    ResponseTimes,
    TeamMembers,
)
from pappus.inbox.models import Conversation, ConversationKind, ConversationStatus, Direction, Message, Team


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


class _Median(Aggregate):
    """PostgreSQL's median of an interval in seconds (negative intervals count as 0, as above)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY GREATEST(0, EXTRACT(EPOCH FROM %(expressions)s)))"
    output_field = FloatField()


def median_response_times(
    workspace_id: int,
    *,
    since: datetime.datetime,
    until: datetime.datetime,
    region_ids: Sequence[int] | None = None,
    networks: Sequence[str] = (),
) -> MedianResponseTimes:
    """The medians of :func:`response_times` (seconds; None when no conversation qualifies). On
    PostgreSQL the database takes them, so a year of conversations is not read row by row."""
    if connection.vendor != "postgresql":
        times = response_times(workspace_id, since=since, until=until, region_ids=region_ids, networks=networks)
        return MedianResponseTimes(
            first_response_seconds=statistics.median(times.first_response_seconds)
            if times.first_response_seconds
            else None,
            resolution_seconds=statistics.median(times.resolution_seconds) if times.resolution_seconds else None,
        )
    rows = Conversation.objects.for_workspace(workspace_id)
    if region_ids is not None:
        rows = rows.filter(region_id__in=list(region_ids))
    if networks:
        rows = rows.filter(network__in=list(networks))
    first = rows.filter(first_responded_at__gte=since, first_responded_at__lt=until).aggregate(
        median=_Median(ExpressionWrapper(F("first_responded_at") - F("created_at"), output_field=DurationField()))
    )["median"]
    closed = rows.filter(status=ConversationStatus.CLOSED, closed_at__gte=since, closed_at__lt=until).aggregate(
        median=_Median(ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField()))
    )["median"]
    return MedianResponseTimes(
        first_response_seconds=float(first) if first is not None else None,
        resolution_seconds=float(closed) if closed is not None else None,
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


def first_responses_by_assignee(
    workspace_id: int, *, since: datetime.datetime, until: datetime.datetime
) -> tuple[AssigneeResponses, ...]:
    """Per assignee and UTC day: conversations first answered in ``[since, until)`` and the seconds they waited
    (the first reply assigns an unassigned conversation to whoever sent it), for adoption's people KPIs."""
    rows = (
        Conversation.objects.for_workspace(workspace_id)
        .filter(first_responded_at__gte=since, first_responded_at__lt=until, assignee__isnull=False)
        .annotate(took=ExpressionWrapper(F("first_responded_at") - F("created_at"), output_field=DurationField()))
        .order_by()
        .values_list("assignee_id", "first_responded_at", "took")
    )
    sums: dict[tuple[int, datetime.date], list[float]] = {}
    for user_id, answered_at, took in rows:
        if answered_at is None:  # filtered out above; for the type checker
            continue
        key = (int(user_id), answered_at.astimezone(datetime.UTC).date())
        entry = sums.setdefault(key, [0.0, 0])
        entry[0] += max(0.0, took.total_seconds()) if took is not None else 0.0
        entry[1] += 1
    return tuple(
        AssigneeResponses(user_id=user_id, day=day, seconds_total=total, count=int(count))
        for (user_id, day), (total, count) in sorted(sums.items())
    )


def outcome_counts(
    workspace_id: int, *, since: datetime.datetime, until: datetime.datetime
) -> tuple[OutcomeCount, ...]:
    """Conversations closed in ``[since, until)`` by UTC day and outcome reason, for outcome reports."""
    counts: dict[tuple[datetime.date, str], int] = {}
    rows = (
        Conversation.objects.for_workspace(workspace_id)
        .filter(status=ConversationStatus.CLOSED, closed_at__gte=since, closed_at__lt=until)
        .order_by()
        .values_list("closed_at", "outcome_reason")
        .iterator(chunk_size=5000)
    )
    for closed_at, reason in rows:
        if closed_at is None:
            continue
        key = (closed_at.astimezone(datetime.UTC).date(), reason or "")
        counts[key] = counts.get(key, 0) + 1
    return tuple(OutcomeCount(day=day, reason=reason, count=count) for (day, reason), count in sorted(counts.items()))


def team_members(workspace_id: int) -> tuple[TeamMembers, ...]:
    """The workspace's inbox teams with their members' user ids, by name."""
    members: dict[int, list[int]] = {}
    for team_id, user_id in Team.members.through.objects.filter(team__workspace_id=workspace_id).values_list(
        "team_id", "user_id"
    ):
        members.setdefault(team_id, []).append(user_id)
    return tuple(
        TeamMembers(team_id=team_id, name=name, user_ids=tuple(sorted(members.get(team_id, ()))))
        for team_id, name in Team.objects.for_workspace(workspace_id).order_by("name").values_list("pk", "name")
    )


def direct_threads(workspace_id: int, customers: Sequence[tuple[str, str]]) -> tuple[DirectThread, ...]:
    """For each (network, handle) in ``customers``: their newest direct-message conversation held through a
    connected account, and the network's id of their latest message in it (read-only; the community
    invites people to events there). Customers without such a conversation are left out."""
    wanted = set(customers)
    found: dict[tuple[str, str], DirectThread] = {}
    pairs = sorted(wanted)
    for start in range(0, len(pairs), 500):
        chunk = pairs[start : start + 500]
        conversations = list(
            Conversation.objects.for_workspace(workspace_id)
            .filter(
                kind=ConversationKind.DIRECT_MESSAGE,
                account__isnull=False,
                network__in={network for network, _handle in chunk},
                customer_handle__in={handle for _network, handle in chunk},
            )
            .order_by("-last_message_at", "-pk")
            .values_list("pk", "network", "customer_handle", "account_id")
        )
        latest: dict[int, str] = {}
        for conversation_id, external_id in (
            Message.objects.for_workspace(workspace_id)
            .filter(conversation_id__in=[row[0] for row in conversations], direction=Direction.INBOUND)
            .exclude(external_id="")
            .order_by("conversation_id", "-sent_at", "-pk")
            .values_list("conversation_id", "external_id")
        ):
            latest.setdefault(conversation_id, external_id)
        for conversation_id, network, handle, account_id in conversations:
            key = (network, handle)
            if key in wanted and key not in found and conversation_id in latest:
                found[key] = DirectThread(network, handle, account_id, latest[conversation_id])
    return tuple(found[key] for key in pairs if key in found)
