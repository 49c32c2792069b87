"""Every read of the inbox that views, the API and the bench need: scoped to a workspace, role-checked,
related rows fetched up front so that a page of the queue costs a fixed number of queries."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.db.models import F, Prefetch, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.utils import timezone

from pappus.connectors.models import Network
from pappus.core.models import Membership, Region, User
from pappus.core.permissions import Action, require, role_allows
from pappus.inbox import visibility
from pappus.inbox.models import (
    CloseReason,
    Conversation,
    ConversationStatus,
    ConversationTag,
    InternalNote,
    Message,
    RoutingRule,
    SavedReply,
    SlaPolicy,
    Team,
)
from pappus.inbox.services import POSITIVE_CLOSE_REASONS, close_reasons, interface_language

STATUS_ACTIVE = "active"  # open or waiting for the customer
STATUS_ALL = "all"
STATUS_FILTERS = (STATUS_ACTIVE, *ConversationStatus.values, STATUS_ALL)
NOBODY = "none"
ME = "me"


@dataclass(frozen=True)
class QueueFilters:
    """The queue's filters; empty values filter nothing. ``team``/``assignee`` take an id, "none",
    and for the assignee also "me"."""

    status: str = STATUS_ACTIVE
    team: str = ""
    assignee: str = ""
    intent: str = ""
    network: str = ""
    language: str = ""
    priority: int | None = None
    tag: str = ""
    overdue: bool = False


def queue_order() -> tuple[OrderBy | str, ...]:
    # Priority first, then the clock that runs out first (none last on every database), then age.
    return ("priority", F("next_due_at").asc(nulls_last=True), "id")


def conversations_queue(
    membership: Membership, filters: QueueFilters | None = None, *, now: datetime.datetime | None = None
) -> QuerySet[Conversation]:
    """The queue, sorted by priority and then due time, with team, assignee and tags fetched."""
    require(membership, Action.INBOX_VIEW)
    filters = filters or QueueFilters()
    rows = visibility.conversations_of(membership)
    if filters.status == STATUS_ACTIVE:
        rows = rows.filter(status__in=(ConversationStatus.OPEN, ConversationStatus.PENDING))
    elif filters.status in ConversationStatus.values:
        rows = rows.filter(status=filters.status)
    if filters.team == NOBODY:
        rows = rows.filter(team__isnull=True)
    elif filters.team.isdigit():
        rows = rows.filter(team_id=int(filters.team))
    if filters.assignee == NOBODY:
        rows = rows.filter(assignee__isnull=True)
    elif filters.assignee == ME:
        rows = rows.filter(assignee_id=membership.user_id)
    elif filters.assignee.isdigit():
        rows = rows.filter(assignee_id=int(filters.assignee))
    if filters.intent:
        rows = rows.filter(intent=filters.intent)
    if filters.network:
        rows = rows.filter(network=filters.network)
    if filters.language:
        rows = rows.filter(language=filters.language)
    if filters.priority is not None:
        rows = rows.filter(priority=filters.priority)
    if filters.tag:
        rows = rows.filter(
            pk__in=ConversationTag.objects.filter(workspace_id=membership.workspace_id, name=filters.tag).values(
                "conversation_id"
            )
        )
    if filters.overdue:
        rows = rows.filter(next_due_at__lte=now or timezone.now())
    return (
        rows.select_related("team", "assignee")
        .prefetch_related(Prefetch("tags", queryset=ConversationTag.objects.order_by("name")))
        .order_by(*queue_order())
    )


def conversation_get(membership: Membership, conversation_id: int) -> Conversation:
    """One conversation of the member's workspace (DoesNotExist for another workspace's id)."""
    require(membership, Action.INBOX_VIEW)
    return (
        visibility.conversations_of(membership)
        .select_related("team", "assignee", "account", "region")
        .prefetch_related(
            Prefetch("messages", queryset=Message.objects.select_related("author_user").order_by("sent_at", "id")),
            Prefetch("notes", queryset=InternalNote.objects.select_related("author").order_by("created_at", "id")),
            Prefetch("tags", queryset=ConversationTag.objects.order_by("name")),
        )
        .get(pk=conversation_id)
    )


def customer_history(membership: Membership, conversation: Conversation, *, limit: int = 20) -> list[Conversation]:
    """The same customer's other conversations, on every network, newest first."""
    require(membership, Action.INBOX_VIEW)
    return list(
        visibility.conversations_of(membership)
        .filter(customer_key=conversation.customer_key)
        .exclude(pk=conversation.pk)
        .order_by("-last_message_at", "-id")[:limit]
    )


def saved_replies_for(membership: Membership, conversation: Conversation | None = None) -> list[SavedReply]:
    """Saved replies offered here: the hub's shared ones everywhere, a region's own in that region;
    those in the conversation's language first."""
    require(membership, Action.INBOX_VIEW)
    rows = SavedReply.objects.for_workspace(membership.workspace_id).select_related("region")
    if conversation is not None and conversation.region_id is not None and not _is_hub(conversation):
        rows = rows.filter(Q(region__isnull=True, shared_with_regions=True) | Q(region_id=conversation.region_id))
    elif conversation is not None:
        rows = rows.filter(region__isnull=True)
    replies = list(rows.order_by("title", "language"))
    language = interface_language(conversation.language) if conversation is not None else ""
    return sorted(replies, key=lambda reply: (reply.language != language, reply.title, reply.language))


def _is_hub(conversation: Conversation) -> bool:
    region = conversation.region
    return region is not None and region.parent_id is None


def saved_replies_of(membership: Membership, *, language: str = "") -> QuerySet[SavedReply]:
    require(membership, Action.INBOX_VIEW)
    rows = SavedReply.objects.for_workspace(membership.workspace_id)
    if language:
        rows = rows.filter(language=language)
    return rows.order_by("title", "language", "id")


def teams_of(membership: Membership) -> QuerySet[Team]:
    require(membership, Action.INBOX_VIEW)
    return Team.objects.for_workspace(membership.workspace_id).order_by("name")


def agents_of(membership: Membership) -> list[User]:
    """People of the workspace who may answer conversations (the assignee choices)."""
    require(membership, Action.INBOX_VIEW)
    members = Membership.objects.for_workspace(membership.workspace_id).filter(is_active=True).select_related("user")
    return sorted(
        (member.user for member in members if role_allows(member.role, Action.INBOX_REPLY)),
        key=lambda user: (user.get_full_name().lower(), user.pk),
    )


def networks_of(membership: Membership) -> list[str]:
    """Networks to filter by: every network Pappus connects to (a distinct scan of a large inbox is too slow)."""
    require(membership, Action.INBOX_VIEW)
    return sorted(Network.values)


def reasons_of(membership: Membership) -> list[str]:
    require(membership, Action.INBOX_VIEW)
    return close_reasons(membership.workspace_id)


# --- settings ------------------------------------------------------------------------------------


def teams_with_settings(membership: Membership) -> list[Team]:
    """Teams with members, region and SLA policy fetched (the settings page)."""
    require(membership, Action.INBOX_VIEW)
    return list(
        Team.objects.for_workspace(membership.workspace_id)
        .select_related("region", "sla_policy", "sla_policy__escalation_team", "sla_policy__escalation_user")
        .prefetch_related("members")
        .order_by("name")
    )


def team_get(membership: Membership, team_id: int) -> Team:
    require(membership, Action.INBOX_VIEW)
    return (
        Team.objects.for_workspace(membership.workspace_id)
        .select_related("region")
        .prefetch_related("members")
        .get(pk=team_id)
    )


def sla_policy_of(team: Team) -> SlaPolicy | None:
    return SlaPolicy.objects.filter(team=team).select_related("escalation_team", "escalation_user").first()


def routing_rules_of(membership: Membership) -> list[RoutingRule]:
    """Every rule in the order they are tried."""
    require(membership, Action.INBOX_VIEW)
    return list(
        RoutingRule.objects.for_workspace(membership.workspace_id)
        .select_related("team", "region")
        .order_by("position", "id")
    )


def routing_rule_get(membership: Membership, rule_id: int) -> RoutingRule:
    require(membership, Action.INBOX_VIEW)
    return RoutingRule.objects.for_workspace(membership.workspace_id).select_related("team", "region").get(pk=rule_id)


def saved_reply_get(membership: Membership, reply_id: int) -> SavedReply:
    require(membership, Action.INBOX_VIEW)
    return SavedReply.objects.for_workspace(membership.workspace_id).select_related("region").get(pk=reply_id)


def regions_of(membership: Membership) -> list[Region]:
    """The workspace's regions, the hub first."""
    require(membership, Action.INBOX_VIEW)
    return sorted(
        Region.objects.for_workspace(membership.workspace_id),
        key=lambda region: (region.parent_id is not None, region.name),
    )


def own_close_reasons(membership: Membership) -> list[str]:
    """The workspace's own offered reasons (empty: the defaults are offered)."""
    require(membership, Action.INBOX_VIEW)
    return list(
        CloseReason.objects.for_workspace(membership.workspace_id)
        .filter(is_active=True)
        .order_by("position", "name")
        .values_list("name", flat=True)
    )


# --- for adoption: which competitor a closed conversation went to ------------------------------------


@dataclass(frozen=True)
class CompetitorOutcome:
    """Conversations closed on one UTC day with one reason whose reason or close note names one competitor."""

    day: datetime.date
    reason: str
    competitor: str
    count: int


def _names_pattern(name: str) -> re.Pattern[str]:
    folded = re.escape(name.casefold())
    # A Latin or Cyrillic name is matched as a whole word; one in a script without spaces (Chinese) anywhere.
    if any(character.isascii() or "\u0400" <= character <= "\u04ff" for character in name if character.isalpha()):
        return re.compile(rf"(?<!\w){folded}(?!\w)")
    return re.compile(folded)


def outcomes_by_competitor(
    workspace_id: int, competitors: list[str], *, since: datetime.datetime, until: datetime.datetime
) -> list[CompetitorOutcome]:
    """Closed conversations in ``[since, until)`` whose outcome reason or close note names a competitor (the
    first named in the reason, else in the note), by UTC day and reason. The notes stay in the inbox."""
    patterns = [(name, _names_pattern(name)) for name in competitors if name.strip()]
    if not patterns:
        return []
    counts: dict[tuple[datetime.date, str, str], int] = {}
    rows = (
        Conversation.objects.for_workspace(workspace_id)
        .filter(status=ConversationStatus.CLOSED, closed_at__gte=since, closed_at__lt=until)
        .exclude(outcome_reason="", outcome_note="")
        .order_by()
        .values_list("closed_at", "outcome_reason", "outcome_note")
        .iterator(chunk_size=5000)
    )
    for closed_at, reason, note in rows:
        if closed_at is None:
            continue
        named = next((name for name, pattern in patterns if pattern.search(reason.casefold())), None) or next(
            (name for name, pattern in patterns if pattern.search(note.casefold())), None
        )
        if named is not None:
            key = (closed_at.astimezone(datetime.UTC).date(), reason, named)
            counts[key] = counts.get(key, 0) + 1
    return [CompetitorOutcome(day, reason, name, count) for (day, reason, name), count in sorted(counts.items())]


@dataclass(frozen=True)
class SavedReplyInfo:
    id: int
    region_id: int | None
    title: str
    body: str
    language: str


def saved_reply_infos(workspace_id: int) -> list[SavedReplyInfo]:
    """Every saved reply of the workspace as plain values, by title (adoption's regions-learn page)."""
    return [
        SavedReplyInfo(*row)
        for row in SavedReply.objects.for_workspace(workspace_id)
        .order_by("title", "language", "pk")
        .values_list("pk", "region_id", "title", "body", "language")
    ]


FOLLOW_UP_DAYS = 7  # a complaint of the same customer this soon after closing counts against the answer


@dataclass(frozen=True)
class SavedReplyOutcome:
    """How the conversations answered with one saved reply ended (answers sent in the period)."""

    reply_id: int
    uses: int  # answers based on it that were not refused by the network
    conversations: int  # distinct conversations they answered
    closed: int  # of those, closed after the first such answer
    positive: int  # closed with one of POSITIVE_CLOSE_REASONS
    close_hours: float  # Σ hours from the first such answer to the close, over the closed ones
    complaints: int  # closed ones whose customer complained again within FOLLOW_UP_DAYS of the close


def saved_reply_outcomes(
    workspace_id: int,
    since: datetime.datetime,
    until: datetime.datetime,
    *,
    follow_up_days: int = FOLLOW_UP_DAYS,
    positive_reasons: tuple[str, ...] = POSITIVE_CLOSE_REASONS,
) -> dict[int, SavedReplyOutcome]:
    """Per saved reply (by id): the answers based on it sent in [since, until) and how their conversations ended.
    Three queries; no text leaves the inbox."""
    uses: dict[int, int] = {}
    first_use: dict[tuple[int, int], datetime.datetime] = {}
    ends: dict[int, tuple[str, datetime.datetime | None, str, str]] = {}
    rows = (
        Message.objects.for_workspace(workspace_id)
        .filter(direction="out", saved_reply__isnull=False, sent_at__gte=since, sent_at__lt=until)
        .exclude(delivery_status="failed")
        .values_list(
            "saved_reply_id",
            "conversation_id",
            "sent_at",
            "conversation__status",
            "conversation__closed_at",
            "conversation__outcome_reason",
            "conversation__customer_key",
        )
    )
    for reply_id, conversation_id, sent_at, status, closed_at, reason, customer in rows:
        uses[reply_id] = uses.get(reply_id, 0) + 1
        key = (reply_id, conversation_id)
        if key not in first_use or sent_at < first_use[key]:
            first_use[key] = sent_at
        ends[conversation_id] = (status, closed_at, reason, customer)
    closes = [closed for _status, closed, _reason, _customer in ends.values() if closed is not None]
    complaints_of: dict[str, list[datetime.datetime]] = {}
    customers = sorted({customer for status, closed, _reason, customer in ends.values() if closed is not None})
    window = datetime.timedelta(days=follow_up_days)
    for start in range(0, len(customers), 500):
        for customer, sent_at in (
            Message.objects.for_workspace(workspace_id)
            .filter(
                direction="in",
                intent="complaint",
                conversation__customer_key__in=customers[start : start + 500],
                sent_at__gt=min(closes),
                sent_at__lte=max(closes) + window,
            )
            .values_list("conversation__customer_key", "sent_at")
        ):
            complaints_of.setdefault(customer, []).append(sent_at)
    totals: dict[int, list[float]] = {}
    for (reply_id, conversation_id), used_at in first_use.items():
        status, closed_at, reason, customer = ends[conversation_id]
        row = totals.setdefault(reply_id, [0, 0, 0, 0.0, 0])
        row[0] += 1
        if status != ConversationStatus.CLOSED or closed_at is None or closed_at < used_at:
            continue
        row[1] += 1
        row[2] += reason in positive_reasons
        row[3] += (closed_at - used_at).total_seconds() / 3600
        row[4] += any(closed_at < at <= closed_at + window for at in complaints_of.get(customer, ()))
    return {
        reply_id: SavedReplyOutcome(
            reply_id=reply_id,
            uses=uses[reply_id],
            conversations=int(row[0]),
            closed=int(row[1]),
            positive=int(row[2]),
            close_hours=round(row[3], 4),
            complaints=int(row[4]),
        )
        for reply_id, row in totals.items()
    }
