"""Every write of the inbox: ingest and threading, triage, routing, assignment, SLA clocks, replies
through the connectors, notes, tags, closing, moderation, presence, and the inbox's settings.

Services take the acting ``Membership`` and check the permission table first (the agency role
holds no inbox action, so it is refused everywhere), work inside one workspace, and record an
audit event for every change a person makes. Network calls happen outside transactions.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from pappus import nlp
from pappus.connectors import facade as connector_facade
from pappus.connectors import services as connector_services
from pappus.connectors.contracts import Capability, InboundItem, InboundKind, PublishRequest
from pappus.connectors.errors import ConnectorError, NotSupportedError
from pappus.connectors.models import ConnectedAccount, Network
from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.models import Membership, Region, User, Workspace
from pappus.core.permissions import Action, require, role_allows
from pappus.inbox import business_hours, visibility
from pappus.inbox.contracts import IngestResult, MentionInteraction
from pappus.inbox.models import (
    AssignmentMode,
    CloseReason,
    Conversation,
    ConversationKind,
    ConversationPresence,
    ConversationStatus,
    ConversationTag,
    DeliveryStatus,
    Direction,
    Intent,
    InternalNote,
    Message,
    PresenceActivity,
    Priority,
    RoutingRule,
    SavedReply,
    SlaPolicy,
    Team,
)

logger = logging.getLogger("pappus.inbox")

# Triage: the intents in the order they are answered. Purchase intent and service requests first.
INTENT_ORDER: tuple[str, ...] = (
    Intent.PURCHASE_INTENT,
    Intent.SERVICE_REQUEST,
    Intent.COMPLAINT,
    Intent.QUESTION,
    Intent.PRAISE,
    Intent.OTHER,
    Intent.SPAM,
)
INTENT_PRIORITY: dict[str, int] = {
    Intent.PURCHASE_INTENT: Priority.URGENT,
    Intent.SERVICE_REQUEST: Priority.URGENT,
    Intent.COMPLAINT: Priority.HIGH,
    Intent.QUESTION: Priority.NORMAL,
    Intent.PRAISE: Priority.LOW,
    Intent.OTHER: Priority.LOW,
    Intent.SPAM: Priority.LOWEST,
}
# Offered when a workspace has configured none of its own.
# Stored in English (so reports group them whatever language the closer used); shown translated.
DEFAULT_CLOSE_REASONS: tuple[str, ...] = (
    gettext_noop("Answered"),
    gettext_noop("Sale made"),
    gettext_noop("Problem solved"),
    gettext_noop("Passed to another department"),
    gettext_noop("Customer stopped answering"),
    gettext_noop("Spam or abuse"),
    gettext_noop("No answer needed"),
)
# Outcome reasons that mean the customer's matter ended well (adoption ranks saved replies by their share).
POSITIVE_CLOSE_REASONS: tuple[str, ...] = ("Answered", "Sale made", "Problem solved")
# A viewing or typing marker older than this is ignored (the page refreshes it every 10 s).
PRESENCE_SECONDS = 25
# nlp's language codes → the interface's codes (saved replies are written per interface language).
INTERFACE_LANGUAGE = {"en": "en", "ru": "ru", "no": "nb", "nb": "nb", "zh": "zh-hans", "zh-hans": "zh-hans"}
TEMPLATE_VARIABLES = ("customer_name", "customer_handle", "agent_name", "team_name", "network")

CONVERSATION_AUDITED = (
    "status",
    "priority",
    "intent",
    "team_id",
    "assignee_id",
    "outcome_reason",
    "outcome_note",
    "customer_tier",
    "customer_key",
    "closed_at",
)


def _check_workspace(membership: Membership, row: Any) -> None:
    if row.workspace_id != membership.workspace_id:
        raise type(row).DoesNotExist("belongs to another workspace")


def _conversation_locked(membership: Membership, conversation_id: int) -> Conversation:
    return visibility.conversations_of(membership).select_for_update().get(pk=conversation_id)


def intent_rank(intent: str) -> int:
    return INTENT_ORDER.index(intent) if intent in INTENT_ORDER else len(INTENT_ORDER)


def interface_language(code: str) -> str:
    return INTERFACE_LANGUAGE.get(code, "")


# --- ingest and threading -------------------------------------------------------------------------


def analyze_texts(texts: Sequence[str]) -> list[nlp.Analysis]:
    """Triage's one call into pappus.nlp (a batch per ingest call)."""
    return nlp.analyze(texts)


@dataclass
class _Candidate:
    external_id: str
    text: str
    author_handle: str
    author_name: str
    kind: str
    url: str
    sent_at: datetime.datetime
    parent_external_id: str
    conversation_hint: str
    region_id: int | None
    customer_tier: str = ""
    analysis: nlp.Analysis | None = field(default=None, repr=False)


def thread_key_for(candidate: _Candidate) -> str:
    """Where an item starts a thread when it answers nothing we know (one thread per customer where the
    network has no thread of its own)."""
    author = candidate.author_handle.lower()
    if candidate.kind == ConversationKind.DIRECT_MESSAGE:
        return f"dm:{candidate.conversation_hint or author}"
    if candidate.kind == ConversationKind.COMMENT and candidate.parent_external_id:
        return f"comment:{candidate.parent_external_id}:{author}"
    if candidate.kind == ConversationKind.MESSAGE:
        return f"room:{candidate.conversation_hint}:{author}"
    if candidate.conversation_hint:
        return f"thread:{candidate.conversation_hint}"
    return f"item:{candidate.external_id}"


def customer_key_for(network: str, handle: str) -> str:
    return f"{network}:{handle.lower()}"


def ingest_inbound(account_id: int, items: Sequence[InboundItem]) -> IngestResult:
    """Store items a connector read from an account's inbox as messages, threaded into conversations.

    Idempotent: an item whose id this account already delivered is counted as a duplicate.
    """
    account = ConnectedAccount.objects.get(pk=account_id)
    kinds = {
        InboundKind.COMMENT: ConversationKind.COMMENT,
        InboundKind.MENTION: ConversationKind.MENTION,
        InboundKind.DIRECT_MESSAGE: ConversationKind.DIRECT_MESSAGE,
        InboundKind.MESSAGE: ConversationKind.MESSAGE,
    }
    candidates = [
        _Candidate(
            external_id=item.remote_id,
            text=item.text,
            author_handle=item.author_handle,
            author_name=item.author_name,
            kind=kinds[item.kind],
            url=item.url,
            sent_at=item.published_at or timezone.now(),
            parent_external_id=item.parent_remote_id,
            conversation_hint=item.conversation_id,
            region_id=account.region_id,
        )
        for item in items
    ]
    return _ingest(
        account.workspace,
        scope=f"account:{account.pk}",
        network=account.network,
        account=account,
        candidates=candidates,
    )


def inbound_pull(*, workspace_id: int, account_id: int) -> IngestResult | None:
    """Read one account's new inbox items since its stored cursor and store them as conversations.

    The cursor moves only after the items are stored, so a crash in between reads them again
    (storing is idempotent) instead of losing them. A connector error is recorded on the account
    for its health page and None is returned; the caller goes on with the next account.
    """
    try:
        with connector_facade.connector_for_account(workspace_id, account_id) as connector:
            page = connector.inbox(cursor=connector_facade.inbox_cursor(workspace_id, account_id))
            result = ingest_inbound(account_id, page.items)
            connector_facade.record_inbox_read(workspace_id, account_id, page.cursor, connector)
    except connector_facade.AccountMissingError:
        return None  # removed since the list was read: nothing to record it on
    except ConnectorError as error:
        connector_facade.record_failure(workspace_id, account_id, error)
        logger.warning("inbox.pull_failed account=%s error=%s", account_id, error.code)
        return None
    if result.received:
        logger.info("inbox.pulled account=%s received=%s stored=%s", account_id, result.received, result.stored)
    return result


def inbound_pull_all() -> int:
    """Pull every connected account that can read an inbox (expired tokens wait for a reconnect).

    One account's failure, even an unexpected one, never stops the others; returns the number of
    accounts read without error.
    """
    pulled = 0
    for workspace_id in Workspace.objects.order_by("pk").values_list("pk", flat=True):
        for target in connector_facade.target_accounts(workspace_id, capability=Capability.INBOX):
            if target.status == "expired":
                continue
            try:
                result = inbound_pull(workspace_id=workspace_id, account_id=target.id)
            except Exception:  # a bug or a database error on one account must not starve the rest
                logger.exception("inbox.pull_crashed account=%s", target.id)
                continue
            pulled += result is not None
    return pulled


def ingest_mentions(workspace_id: int, items: Sequence[MentionInteraction]) -> IngestResult:
    """Store mentions from listening that address the brand directly, one channel per network."""
    workspace = Workspace.objects.get(pk=workspace_id)
    result = IngestResult(0, 0, 0, 0)
    by_network: dict[str, list[MentionInteraction]] = {}
    for item in items:
        by_network.setdefault(item.network, []).append(item)
    for network, group in sorted(by_network.items()):
        part = _ingest(
            workspace,
            scope=f"network:{network}"[:64],
            network=network,
            account=None,
            candidates=[
                _Candidate(
                    external_id=item.external_id,
                    text=item.text,
                    author_handle=item.author_handle,
                    author_name=item.author_name,
                    kind=ConversationKind.COMMENT if item.parent_external_id else ConversationKind.MENTION,
                    url=item.url,
                    sent_at=item.published_at or timezone.now(),
                    parent_external_id=item.parent_external_id,
                    conversation_hint="",
                    region_id=item.region_id,
                    customer_tier=item.customer_tier,
                )
                for item in group
            ],
        )
        result = IngestResult(
            result.received + part.received,
            result.stored + part.stored,
            result.duplicates + part.duplicates,
            result.conversations_created + part.conversations_created,
            result.conversation_ids + part.conversation_ids,
        )
    return result


def _same_item_scopes(workspace: Workspace, scope: str, network: str) -> list[str]:
    """The channels whose messages with the same external id are the same item as one of ``scope``.

    Where the network's ids are global (Bluesky's AT URIs, X's tweet ids…), each connected account of
    that network and listening's mentions of it: a comment read by the account's inbox pull and found
    again by a listening search is not stored a second time as another conversation. Where ids are
    local to a server (Mastodon) the same id on two accounts may be two posts, so only ``scope``."""
    try:
        shared = connector_facade.network_profile(network).remote_ids_are_global
    except LookupError:
        shared = False
    if not shared:
        return [scope]
    accounts = ConnectedAccount.objects.for_workspace(workspace).filter(network=network).values_list("pk", flat=True)
    return sorted({scope, f"network:{network}"[:64], *(f"account:{pk}" for pk in accounts)})


def _ingest(
    workspace: Workspace,
    *,
    scope: str,
    network: str,
    account: ConnectedAccount | None,
    candidates: list[_Candidate],
) -> IngestResult:
    received = len(candidates)
    unique: dict[str, _Candidate] = {}
    for candidate in candidates:
        if candidate.external_id and candidate.text.strip():
            unique.setdefault(candidate.external_id, candidate)
    known = set(
        Message.objects.for_workspace(workspace)
        .filter(external_scope__in=_same_item_scopes(workspace, scope, network), external_id__in=list(unique))
        .values_list("external_id", flat=True)
    )
    fresh = sorted(
        (candidate for external_id, candidate in unique.items() if external_id not in known),
        key=lambda candidate: (candidate.sent_at, candidate.external_id),
    )
    for candidate, analysis in zip(fresh, analyze_texts([candidate.text for candidate in fresh]), strict=True):
        candidate.analysis = analysis
    stored = 0
    created_ids: list[int] = []
    touched: set[int] = set()
    for candidate in fresh:
        outcome = _store_candidate(workspace, scope=scope, network=network, account=account, candidate=candidate)
        if outcome is None:
            continue
        conversation, created = outcome
        stored += 1
        touched.add(conversation.pk)
        if created:
            created_ids.append(conversation.pk)
    logger.info(
        "inbox.ingested workspace=%s scope=%s received=%s stored=%s conversations_created=%s",
        workspace.pk,
        scope,
        received,
        stored,
        len(created_ids),
    )
    return IngestResult(received, stored, received - stored, len(created_ids), tuple(sorted(touched)))


def _store_candidate(
    workspace: Workspace, *, scope: str, network: str, account: ConnectedAccount | None, candidate: _Candidate
) -> tuple[Conversation, bool] | None:
    """One message into its conversation, in one transaction; None when it was stored meanwhile."""
    try:
        with transaction.atomic():
            conversation, created = _thread_for(
                workspace, scope=scope, network=network, account=account, candidate=candidate
            )
            analysis = candidate.analysis
            Message.objects.create(
                workspace=workspace,
                conversation=conversation,
                external_scope=scope,
                external_id=candidate.external_id[:500],
                parent_external_id=candidate.parent_external_id[:500],
                direction=Direction.INBOUND,
                author_handle=candidate.author_handle[:300],
                author_name=candidate.author_name[:300],
                text=candidate.text,
                url=candidate.url[:2000],
                language=analysis.language if analysis else "",
                intent=analysis.intent.value if analysis else "",
                sentiment=analysis.sentiment.value if analysis else "",
                toxicity=analysis.toxicity if analysis else None,
                is_toxic=bool(analysis and analysis.toxic),
                sent_at=candidate.sent_at,
                delivery_status=DeliveryStatus.RECEIVED,
            )
            _after_inbound(conversation, candidate, created=created)
    except IntegrityError:
        # Another worker stored the same item first (the unique external id): a duplicate.
        return None
    return conversation, created


def _thread_for(
    workspace: Workspace, *, scope: str, network: str, account: ConnectedAccount | None, candidate: _Candidate
) -> tuple[Conversation, bool]:
    if candidate.parent_external_id:
        parent = (
            Message.objects.for_workspace(workspace)
            .filter(external_scope=scope, external_id=candidate.parent_external_id)
            .first()
        )
        if parent is not None:
            return Conversation.objects.select_for_update().get(pk=parent.conversation_id), False
    key = thread_key_for(candidate)[:600]
    existing = (
        Conversation.objects.for_workspace(workspace).select_for_update().filter(external_scope=scope, thread_key=key)
    ).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            conversation = Conversation.objects.create(
                workspace=workspace,
                account=account,
                external_scope=scope,
                network=network,
                kind=candidate.kind,
                thread_key=key,
                subject=candidate.text.strip().splitlines()[0][:200] if candidate.text.strip() else "",
                customer_handle=candidate.author_handle[:300],
                customer_name=candidate.author_name[:300],
                customer_key=customer_key_for(network, candidate.author_handle)[:400],
                customer_tier=candidate.customer_tier[:40],
                region_id=candidate.region_id,
                created_at=candidate.sent_at,
                last_message_at=candidate.sent_at,
                message_count=0,
                sla_started_at=candidate.sent_at,
            )
    except IntegrityError:
        # Another worker started this thread a moment ago: join it.
        existing = (
            Conversation.objects.for_workspace(workspace).select_for_update().get(external_scope=scope, thread_key=key)
        )
        return existing, False
    return conversation, True


def _after_inbound(conversation: Conversation, candidate: _Candidate, *, created: bool) -> None:
    """Triage with the new message, reopen a closed thread, then route and start clocks if new."""
    analysis = candidate.analysis
    conversation.message_count += 1
    conversation.last_message_at = max(conversation.last_message_at, candidate.sent_at)
    conversation.last_inbound_at = candidate.sent_at
    reopened = False
    if conversation.status == ConversationStatus.CLOSED:
        conversation.status = ConversationStatus.OPEN
        conversation.closed_at = None
        conversation.outcome_reason = ""
        conversation.first_responded_at = None
        reopened = True
    elif conversation.status == ConversationStatus.PENDING:
        conversation.status = ConversationStatus.OPEN
    if analysis is not None:
        triage(conversation, analysis)
    if created:
        route(conversation, candidate.text)
    if created or reopened:
        start_clocks(conversation, candidate.sent_at)
        if conversation.assignee_id is None and conversation.team_id is not None:
            assign_automatically(conversation)
    conversation.save()
    if created:
        audit.record(
            Actor.system("inbox"),
            "conversation.route",
            workspace=conversation.workspace,
            target=conversation,
            after=audit.snapshot(conversation, ("priority", "intent", "team_id", "assignee_id", "language")),
        )


def triage(conversation: Conversation, analysis: nlp.Analysis) -> None:
    """Set intent, priority, sentiment and flags from a new customer message.

    The most urgent intent of the open conversation stands (a "thanks" after "I want to buy" keeps
    it a purchase); the priority only rises; toxicity, once seen, flags the conversation.
    """
    intent = analysis.intent.value
    triaged_priority = INTENT_PRIORITY.get(intent, Priority.NORMAL)
    if not conversation.intent:
        conversation.intent = intent
        conversation.priority = triaged_priority
    else:
        if intent_rank(intent) < intent_rank(conversation.intent):
            conversation.intent = intent
        conversation.priority = min(conversation.priority, triaged_priority)
    conversation.sentiment = analysis.sentiment.value
    conversation.sentiment_score = analysis.sentiment_score
    conversation.is_toxic = conversation.is_toxic or analysis.toxic
    if not conversation.language and analysis.language != nlp.contracts.UNKNOWN_LANGUAGE:
        conversation.language = analysis.language


def rule_matches(rule: RoutingRule, conversation: Conversation, text: str) -> bool:
    """Every condition that is set must hold; an empty list holds for anything."""
    if rule.intents and conversation.intent not in rule.intents:
        return False
    if rule.languages and conversation.language not in rule.languages:
        return False
    if rule.networks and conversation.network not in rule.networks:
        return False
    if rule.customer_tiers and conversation.customer_tier not in rule.customer_tiers:
        return False
    if rule.region_id is not None and conversation.region_id != rule.region_id:
        return False
    if rule.keywords:
        lowered = text.casefold()
        if not any(str(keyword).casefold() in lowered for keyword in rule.keywords if str(keyword).strip()):
            return False
    return True


def route(conversation: Conversation, text: str) -> RoutingRule | None:
    """The first active rule (by position) that matches sends the conversation to its team."""
    rules = (
        RoutingRule.objects.for_workspace(conversation.workspace_id).filter(is_active=True).order_by("position", "id")
    )
    for rule in rules:
        if rule_matches(rule, conversation, text):
            conversation.team_id = rule.team_id
            if rule.priority is not None:
                conversation.priority = rule.priority
            return rule
    return None


# --- SLA clocks ----------------------------------------------------------------------------------


def _policy_of(team_id: int | None) -> SlaPolicy | None:
    if team_id is None:
        return None
    return SlaPolicy.objects.filter(team_id=team_id).select_related("team").first()


def start_clocks(conversation: Conversation, started: datetime.datetime) -> None:
    """First-response and resolution due times in the team's business hours (none without a policy)."""
    policy = _policy_of(conversation.team_id)
    conversation.sla_warned_at = conversation.sla_breached_at = conversation.escalated_at = None
    conversation.sla_started_at = started
    if policy is None:
        conversation.first_response_due_at = conversation.resolution_due_at = None
        conversation.next_due_at = conversation.next_warning_at = None
        return
    calendar = policy.team.calendar()
    first = datetime.timedelta(minutes=policy.first_response_minutes)
    conversation.first_response_due_at = business_hours.add_business_time(calendar, started, first)
    conversation.resolution_due_at = business_hours.add_business_time(
        calendar, started, datetime.timedelta(minutes=policy.resolution_minutes)
    )
    conversation.next_due_at = conversation.first_response_due_at
    conversation.next_warning_at = business_hours.add_business_time(
        calendar, started, first * policy.warning_percent / 100
    )


def _resolution_clock(conversation: Conversation) -> None:
    """After the first answer, the resolution clock is the one that matters."""
    conversation.next_due_at = conversation.resolution_due_at
    conversation.sla_warned_at = conversation.sla_breached_at = None
    policy = _policy_of(conversation.team_id)
    if policy is None or conversation.resolution_due_at is None or conversation.first_response_due_at is None:
        conversation.next_warning_at = None
        return
    calendar = policy.team.calendar()
    started = conversation.sla_started_at or conversation.created_at
    budget = datetime.timedelta(minutes=policy.resolution_minutes)
    conversation.next_warning_at = business_hours.add_business_time(
        calendar, started, budget * policy.warning_percent / 100
    )


@dataclass(frozen=True)
class SlaSweep:
    warned: tuple[int, ...]
    escalated: tuple[int, ...]


def sla_sweep(now: datetime.datetime | None = None) -> SlaSweep:
    """Warn about conversations near their due time and escalate those past it (the periodic job).

    Idempotent: each clock warns once and escalates once (``sla_warned_at``, ``sla_breached_at``).
    """
    now = now or timezone.now()
    open_statuses = (ConversationStatus.OPEN, ConversationStatus.PENDING)
    warned: list[int] = []
    escalated: list[int] = []
    due_warnings = Conversation.objects.filter(
        status__in=open_statuses, sla_warned_at__isnull=True, next_warning_at__lte=now
    ).values_list("pk", flat=True)
    for conversation_id in list(due_warnings[:1000]):
        with transaction.atomic():
            conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
            if conversation.sla_warned_at is not None or conversation.next_warning_at is None:
                continue
            conversation.sla_warned_at = now
            conversation.save(update_fields=["sla_warned_at", "updated_at"])
            audit.record(
                Actor.system("inbox"),
                "conversation.sla_warning",
                workspace=conversation.workspace,
                target=conversation,
                after=audit.snapshot(conversation, ("next_due_at", "sla_warned_at")),
            )
            warned.append(conversation_id)
    breaches = Conversation.objects.filter(
        status__in=open_statuses, sla_breached_at__isnull=True, next_due_at__lte=now
    ).values_list("pk", flat=True)
    for conversation_id in list(breaches[:1000]):
        with transaction.atomic():
            conversation = Conversation.objects.select_for_update().get(pk=conversation_id)
            if conversation.sla_breached_at is not None or conversation.next_due_at is None:
                continue
            _escalate(conversation, now)
            escalated.append(conversation_id)
    if warned or escalated:
        logger.info("inbox.sla_sweep warned=%s escalated=%s", len(warned), len(escalated))
    return SlaSweep(tuple(warned), tuple(escalated))


def _escalate(conversation: Conversation, now: datetime.datetime) -> None:
    before = audit.snapshot(conversation, CONVERSATION_AUDITED)
    policy = _policy_of(conversation.team_id)
    conversation.sla_breached_at = now
    conversation.sla_warned_at = conversation.sla_warned_at or now
    conversation.sla_missed = True
    conversation.escalated_at = now
    conversation.priority = max(Priority.URGENT, conversation.priority - 1)
    if policy is not None:
        if policy.escalation_team_id is not None and policy.escalation_team_id != conversation.team_id:
            conversation.team_id = policy.escalation_team_id
            conversation.assignee = None
        if policy.escalation_user_id is not None:
            conversation.assignee_id = policy.escalation_user_id
        elif conversation.assignee_id is None and conversation.team_id is not None:
            assign_automatically(conversation)
    conversation.save()
    audit.record(
        Actor.system("inbox"),
        "conversation.escalate",
        workspace=conversation.workspace,
        target=conversation,
        before=before,
        after=audit.snapshot(conversation, (*CONVERSATION_AUDITED, "next_due_at", "sla_breached_at")),
    )


# --- assignment ----------------------------------------------------------------------------------


def eligible_agents(team: Team) -> list[User]:
    """Team members who may answer in the team's workspace today (active, with a role that replies)."""
    members = Membership.objects.filter(
        workspace_id=team.workspace_id, is_active=True, user__in=team.members.all(), user__is_active=True
    ).select_related("user")
    return sorted(
        (membership.user for membership in members if role_allows(membership.role, Action.INBOX_REPLY)),
        key=lambda user: user.pk,
    )


def assign_automatically(conversation: Conversation) -> User | None:
    """Round-robin or fewest open conversations, by the team's setting; manual teams leave it open."""
    if conversation.team_id is None:
        return None
    team = Team.objects.select_for_update().get(pk=conversation.team_id)
    if team.assignment_mode == AssignmentMode.MANUAL:
        return None
    agents = eligible_agents(team)
    if not agents:
        return None
    if team.assignment_mode == AssignmentMode.ROUND_ROBIN:
        # The next member after the last one assigned, by id; from the first again after the last.
        after = team.last_assigned_id or 0
        chosen = next((agent for agent in agents if agent.pk > after), agents[0])
    else:
        loads = dict(
            Conversation.objects.for_workspace(team.workspace_id)
            .filter(assignee__in=agents)
            .exclude(status=ConversationStatus.CLOSED)
            .exclude(pk=conversation.pk)
            .values_list("assignee")
            .annotate(open=Count("id"))
            .values_list("assignee", "open")
        )
        chosen = min(agents, key=lambda agent: (loads.get(agent.pk, 0), agent.pk))
    team.last_assigned = chosen
    team.save(update_fields=["last_assigned"])
    conversation.assignee = chosen
    return chosen


def conversation_assign(
    *,
    actor: Actor,
    membership: Membership,
    conversation_id: int,
    assignee: User | None = None,
    team: Team | None = None,
    automatic: bool = False,
) -> Conversation:
    """Give a conversation to a person (None: nobody), to a team, or let the team's mode choose."""
    require(membership, Action.INBOX_REPLY)
    with transaction.atomic():
        conversation = _conversation_locked(membership, conversation_id)
        before = audit.snapshot(conversation, CONVERSATION_AUDITED)
        if team is not None:
            _check_workspace(membership, team)
            if team.pk != conversation.team_id:
                conversation.team = team
                start_clocks(conversation, timezone.now())
        if assignee is not None:
            assignee_membership = Membership.objects.filter(
                workspace_id=membership.workspace_id, user=assignee, is_active=True
            ).first()
            if assignee_membership is None or not role_allows(assignee_membership.role, Action.INBOX_REPLY):
                raise ValidationError({"assignee": _("This person cannot answer conversations in this workspace.")})
            conversation.assignee = assignee
        elif automatic:
            conversation.assignee = None
            if assign_automatically(conversation) is None:
                raise ValidationError({"assignee": _("The team has nobody to assign automatically.")})
        elif team is None:
            conversation.assignee = None
        conversation.save()
        audit.record(
            actor,
            "conversation.assign",
            workspace=membership.workspace,
            target=conversation,
            before=before,
            after=audit.snapshot(conversation, CONVERSATION_AUDITED),
        )
    return conversation


# --- replies, notes, tags, closing ---------------------------------------------------------------


def conversation_reply(
    *, actor: Actor, membership: Membership, conversation_id: int, text: str, saved_reply_id: int | None = None
) -> Message:
    """Answer the customer through the account the conversation came in on.

    The message is stored as "sending" first; the network is called outside the transaction; a
    failure leaves the message "failed" with the network's own reason, for the person to read.
    ``saved_reply_id`` records the saved reply the answer is based on (the text may have been edited).
    """
    require(membership, Action.INBOX_REPLY)
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write a reply first.")})
    with transaction.atomic():
        conversation = _conversation_locked(membership, conversation_id)
        if saved_reply_id is not None and not (
            SavedReply.objects.for_workspace(membership.workspace_id).filter(pk=saved_reply_id).exists()
        ):
            raise ValidationError({"saved_reply_id": _("No such saved reply in this workspace.")})
        if conversation.account_id is None:
            raise ValidationError(
                {"text": _("This conversation came from listening, with no connected account to answer from.")}
            )
        parent = (
            Message.objects.filter(conversation=conversation, direction=Direction.INBOUND)
            .exclude(external_id="")
            .order_by("-sent_at", "-id")
            .first()
        )
        message = Message.objects.create(
            workspace_id=membership.workspace_id,
            conversation=conversation,
            external_scope=conversation.external_scope,
            parent_external_id=parent.external_id if parent else "",
            direction=Direction.OUTBOUND,
            author_user=actor.user,
            author_name=(actor.user.get_full_name() if actor.user else "")[:300],
            text=text,
            delivery_status=DeliveryStatus.SENDING,
            saved_reply_id=saved_reply_id,
        )
        audit.record(
            actor,
            "conversation.reply",
            workspace=membership.workspace,
            target=conversation,
            after={"message_id": message.pk, "text": text[:500], "saved_reply_id": saved_reply_id},
        )
    account = ConnectedAccount.objects.for_workspace(membership.workspace_id).get(pk=conversation.account_id)
    return _send_reply(actor, membership, account, message)


def message_retry(*, actor: Actor, membership: Membership, message_id: int) -> Message:
    """Send a failed reply again (with the same idempotency key, so it is never posted twice)."""
    require(membership, Action.INBOX_REPLY)
    with transaction.atomic():
        message = (
            Message.objects.for_workspace(membership.workspace_id)
            .select_for_update()
            .get(pk=message_id, direction=Direction.OUTBOUND)
        )
        if message.delivery_status != DeliveryStatus.FAILED:
            raise ValidationError(_("Only a failed reply can be sent again."))
        account_id = message.conversation.account_id
        if account_id is None:
            raise ValidationError(_("This conversation has no connected account to answer from."))
        message.delivery_status = DeliveryStatus.SENDING
        message.save(update_fields=["delivery_status"])
        account = ConnectedAccount.objects.for_workspace(membership.workspace_id).get(pk=account_id)
    return _send_reply(actor, membership, account, message)


def _send_reply(actor: Actor, membership: Membership, account: ConnectedAccount, message: Message) -> Message:
    request = PublishRequest(text=message.text, idempotency_key=str(message.idempotency_key))
    try:
        connector = connector_services.connector_for(account)
    except ConnectorError as error:
        return _reply_failed(actor, membership, account, message, error)
    try:
        if Capability.REPLY not in connector.capabilities:
            raise NotSupportedError(_("%(network)s accounts cannot reply.") % {"network": connector.label})
        if message.parent_external_id:
            result = connector.reply(message.parent_external_id, request)
        else:
            result = connector.publish(request)
    except ConnectorError as error:
        return _reply_failed(actor, membership, account, message, error)
    finally:
        connector.close()
    connector_services.account_record_success(account, connector)
    now = timezone.now()
    with transaction.atomic():
        conversation = _conversation_locked(membership, message.conversation_id)
        message.external_id = result.remote_id[:500]
        message.url = result.url[:2000]
        message.sent_at = result.published_at or now
        message.delivery_status = DeliveryStatus.SENT
        message.error = message.error_code = ""
        try:
            with transaction.atomic():
                message.save()
        except IntegrityError:
            # The network returned a status we already hold (an idempotent retry): keep ours without the id.
            message.external_id = ""
            message.save()
        conversation.message_count += 1
        conversation.last_message_at = max(conversation.last_message_at, message.sent_at)
        if conversation.first_responded_at is None:
            conversation.first_responded_at = now
            _resolution_clock(conversation)
        if conversation.status == ConversationStatus.OPEN:
            conversation.status = ConversationStatus.PENDING
        if conversation.assignee_id is None and actor.user is not None:
            conversation.assignee = actor.user
        conversation.save()
        audit.record(
            actor,
            "conversation.reply_sent",
            workspace=membership.workspace,
            target=conversation,
            after={"message_id": message.pk, "remote_id": message.external_id, "url": message.url},
        )
    return message


def _reply_failed(
    actor: Actor, membership: Membership, account: ConnectedAccount, message: Message, error: ConnectorError
) -> Message:
    if not isinstance(error, NotSupportedError):
        connector_services.account_record_failure(account, error)
    message.delivery_status = DeliveryStatus.FAILED
    message.error = str(error)[:2000]
    message.error_code = error.code
    message.save(update_fields=["delivery_status", "error", "error_code"])
    audit.record(
        actor,
        "conversation.reply_failed",
        workspace=membership.workspace,
        object_type="inbox.message",
        object_id=str(message.pk),
        object_repr=message.text[:300],
        after={"error": message.error, "error_code": message.error_code},
    )
    logger.info("inbox.reply_failed message=%s error=%s", message.pk, error.code)
    return message


def note_add(*, actor: Actor, membership: Membership, conversation_id: int, text: str) -> InternalNote:
    require(membership, Action.INBOX_REPLY)
    text = text.strip()
    if not text:
        raise ValidationError({"text": _("Write the note first.")})
    with transaction.atomic():
        conversation = _conversation_locked(membership, conversation_id)
        note = InternalNote.objects.create(
            workspace_id=membership.workspace_id, conversation=conversation, author=actor.user, text=text
        )
        audit.record(
            actor,
            "conversation.note",
            workspace=membership.workspace,
            target=conversation,
            after={"note_id": note.pk, "text": text[:500]},
        )
    return note


def _clean_tag(tag: str) -> str:
    cleaned = " ".join(tag.strip().lower().split())[:50]
    if not cleaned:
        raise ValidationError({"tags": _("A tag cannot be empty.")})
    return cleaned


def conversation_tag(
    *,
    actor: Actor,
    membership: Membership,
    conversation_id: int,
    add: Iterable[str] = (),
    remove: Iterable[str] = (),
) -> list[str]:
    """Add and remove tags; returns the conversation's tags afterwards."""
    require(membership, Action.INBOX_REPLY)
    adding = {_clean_tag(tag) for tag in add}
    removing = {_clean_tag(tag) for tag in remove} - adding
    with transaction.atomic():
        conversation = _conversation_locked(membership, conversation_id)
        before = sorted(ConversationTag.objects.filter(conversation=conversation).values_list("name", flat=True))
        ConversationTag.objects.filter(conversation=conversation, name__in=removing).delete()
        ConversationTag.objects.bulk_create(
            [
                ConversationTag(workspace_id=membership.workspace_id, conversation=conversation, name=name)
                for name in sorted(adding - set(before))
            ]
        )
        after = sorted((set(before) - removing) | adding)
        if after != before:
            audit.record(
                actor,
                "conversation.tag",
                workspace=membership.workspace,
                target=conversation,
                before={"tags": before},
                after={"tags": after},
            )
    return after


def close_reasons(workspace_id: int) -> list[str]:
    """The outcome reasons offered when closing: the workspace's own, else the defaults."""
    own = list(CloseReason.objects.for_workspace(workspace_id).filter(is_active=True).values_list("name", flat=True))
    return own or list(DEFAULT_CLOSE_REASONS)


def conversation_close(
    *, actor: Actor, membership: Membership, conversation_id: int, reason: str, note: str = ""
) -> Conversation:
    """Close with an outcome reason from the workspace's list (required: real reasons are recorded)."""
    require(membership, Action.INBOX_REPLY)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Choose why the conversation ends.")})
    if reason not in close_reasons(membership.workspace_id):
        raise ValidationError(
            {"reason": _("“%(reason)s” is not one of this workspace's reasons.") % {"reason": reason}}
        )
    with transaction.atomic():
        conversation = _conversation_locked(membership, conversation_id)
        if conversation.status == ConversationStatus.CLOSED:
            raise ValidationError(_("The conversation is already closed."))
        before = audit.snapshot(conversation, CONVERSATION_AUDITED)
        conversation.status = ConversationStatus.CLOSED
        conversation.closed_at = timezone.now()
        conversation.outcome_reason = reason[:100]
        conversation.outcome_note = note.strip()
        conversation.next_due_at = conversation.next_warning_at = None
        conversation.save()
        audit.record(
            actor,
            "conversation.close",
            workspace=membership.workspace,
            target=conversation,
            before=before,
            after=audit.snapshot(conversation, CONVERSATION_AUDITED),
        )
    return conversation


def conversation_reopen(*, actor: Actor, membership: Membership, conversation_id: int) -> Conversation:
    require(membership, Action.INBOX_REPLY)
    with transaction.atomic():
        conversation = _conversation_locked(membership, conversation_id)
        if conversation.status != ConversationStatus.CLOSED:
            raise ValidationError(_("The conversation is not closed."))
        before = audit.snapshot(conversation, CONVERSATION_AUDITED)
        conversation.status = ConversationStatus.OPEN
        conversation.closed_at = None
        conversation.outcome_reason = conversation.outcome_note = ""
        start_clocks(conversation, timezone.now())
        conversation.save()
        audit.record(
            actor,
            "conversation.reopen",
            workspace=membership.workspace,
            target=conversation,
            before=before,
            after=audit.snapshot(conversation, CONVERSATION_AUDITED),
        )
    return conversation


def conversation_set_priority(
    *, actor: Actor, membership: Membership, conversation_id: int, priority: int
) -> Conversation:
    require(membership, Action.INBOX_REPLY)
    if priority not in Priority.values:
        raise ValidationError({"priority": _("Unknown priority.")})
    with transaction.atomic():
        conversation = _conversation_locked(membership, conversation_id)
        before = audit.snapshot(conversation, CONVERSATION_AUDITED)
        conversation.priority = priority
        conversation.save(update_fields=["priority", "updated_at"])
        audit.record(
            actor,
            "conversation.priority",
            workspace=membership.workspace,
            target=conversation,
            before=before,
            after=audit.snapshot(conversation, CONVERSATION_AUDITED),
        )
    return conversation


def customer_link(*, actor: Actor, membership: Membership, conversation_id: int, other_conversation_id: int) -> str:
    """Say that two conversations (on any networks) are the same customer: their histories join."""
    require(membership, Action.INBOX_REPLY)
    with transaction.atomic():
        first = _conversation_locked(membership, conversation_id)
        second = _conversation_locked(membership, other_conversation_id)
        key, old = first.customer_key, second.customer_key
        if key != old:
            changed = Conversation.objects.for_workspace(membership.workspace_id).filter(customer_key=old)
            changed.update(customer_key=key, customer_tier=first.customer_tier or second.customer_tier)
            audit.record(
                actor,
                "conversation.customer_link",
                workspace=membership.workspace,
                target=first,
                before={"customer_key": old},
                after={"customer_key": key},
            )
    return key


# --- bulk actions --------------------------------------------------------------------------------

BULK_ACTIONS = ("assign", "close", "tag")


@dataclass(frozen=True)
class BulkResult:
    done: tuple[int, ...]
    failed: Mapping[int, str]


def conversations_bulk(
    *,
    actor: Actor,
    membership: Membership,
    conversation_ids: Sequence[int],
    action: str,
    assignee: User | None = None,
    reason: str = "",
    tag: str = "",
) -> BulkResult:
    """Assign, close or tag many conversations; each one is done (and audited) on its own."""
    require(membership, Action.INBOX_REPLY)
    if action not in BULK_ACTIONS:
        raise ValidationError({"action": _("Unknown bulk action.")})
    ids = list(
        visibility.conversations_of(membership).filter(pk__in=list(conversation_ids)[:500]).values_list("pk", flat=True)
    )
    done: list[int] = []
    failed: dict[int, str] = {}
    for conversation_id in sorted(ids):
        try:
            if action == "assign":
                conversation_assign(
                    actor=actor, membership=membership, conversation_id=conversation_id, assignee=assignee
                )
            elif action == "close":
                conversation_close(actor=actor, membership=membership, conversation_id=conversation_id, reason=reason)
            else:
                conversation_tag(actor=actor, membership=membership, conversation_id=conversation_id, add=[tag])
        except ValidationError as error:
            failed[conversation_id] = " ".join(error.messages)
        else:
            done.append(conversation_id)
    return BulkResult(tuple(done), failed)


# --- moderation ----------------------------------------------------------------------------------

MODERATION_ACTIONS = ("delete", "hide")


def message_moderate(*, actor: Actor, membership: Membership, message_id: int, action: str) -> Message:
    """Delete (or hide) a customer's message on the network, where its connector allows it."""
    require(membership, Action.INBOX_REPLY)
    if action not in MODERATION_ACTIONS:
        raise ValidationError({"action": _("Unknown moderation action.")})
    message = (
        Message.objects.for_workspace(membership.workspace_id)
        .select_related("conversation")
        .get(pk=message_id, direction=Direction.INBOUND)
    )
    account_id = message.conversation.account_id
    if account_id is None or not message.external_id:
        raise ValidationError(_("This message came from listening; moderate it on the network itself."))
    account = ConnectedAccount.objects.for_workspace(membership.workspace_id).get(pk=account_id)
    try:
        connector = connector_services.connector_for(account)
    except ConnectorError as error:
        raise ValidationError(str(error)) from error
    try:
        if Capability.MODERATE not in connector.capabilities:
            raise ValidationError(
                _("%(network)s does not let Pappus moderate messages.") % {"network": connector.label}
            )
        hide = getattr(connector, "hide", None)
        if action == "hide":
            if not callable(hide):
                raise ValidationError(
                    _("%(network)s can delete messages but not hide them.") % {"network": connector.label}
                )
            try:
                hide(message.external_id)
            except NotSupportedError as error:
                # The connector has the method but this network cannot hide: a limit, not an account failure.
                raise ValidationError(
                    _("%(network)s can delete messages but not hide them.") % {"network": connector.label}
                ) from error
        else:
            connector.delete(message.external_id)
    except ConnectorError as error:
        connector_services.account_record_failure(account, error)
        raise ValidationError(_("The network refused: %(reason)s") % {"reason": error}) from error
    finally:
        connector.close()
    with transaction.atomic():
        before = {"delivery_status": message.delivery_status}
        message.delivery_status = DeliveryStatus.DELETED if action == "delete" else DeliveryStatus.HIDDEN
        message.save(update_fields=["delivery_status"])
        audit.record(
            actor,
            "message.moderate",
            workspace=membership.workspace,
            object_type="inbox.message",
            object_id=str(message.pk),
            object_repr=message.text[:300],
            before=before,
            after={"delivery_status": message.delivery_status, "action": action, "toxicity": message.toxicity},
        )
    return message


# --- presence (collision warning) ----------------------------------------------------------------


@dataclass(frozen=True)
class Presence:
    user_id: int
    name: str
    activity: str


def presence_touch(*, membership: Membership, conversation_id: int, activity: str = "viewing") -> list[Presence]:
    """Say that this person has the conversation open (or is typing); return the others who do.

    Not audited: a marker lives a few seconds and changes nothing.
    """
    require(membership, Action.INBOX_VIEW)
    if activity not in PresenceActivity.values:
        activity = PresenceActivity.VIEWING
    conversation = visibility.conversations_of(membership).only("pk").get(pk=conversation_id)
    now = timezone.now()
    ConversationPresence.objects.update_or_create(
        conversation=conversation,
        user_id=membership.user_id,
        defaults={"workspace_id": membership.workspace_id, "activity": activity, "seen_at": now},
    )
    return presence_others(membership=membership, conversation_id=conversation_id, now=now)


def presence_others(
    *, membership: Membership, conversation_id: int, now: datetime.datetime | None = None
) -> list[Presence]:
    now = now or timezone.now()
    fresh = now - datetime.timedelta(seconds=PRESENCE_SECONDS)
    rows = (
        ConversationPresence.objects.for_workspace(membership.workspace_id)
        .filter(conversation_id=conversation_id, seen_at__gte=fresh)
        .exclude(user_id=membership.user_id)
        .select_related("user")
        .order_by("user_id")
    )
    return [Presence(row.user_id, row.user.get_full_name(), row.activity) for row in rows]


def presence_leave(*, membership: Membership, conversation_id: int) -> None:
    ConversationPresence.objects.for_workspace(membership.workspace_id).filter(
        conversation_id=conversation_id, user_id=membership.user_id
    ).delete()


def presence_prune(older_than: datetime.timedelta = datetime.timedelta(hours=1)) -> int:
    deleted, _ = ConversationPresence.objects.filter(seen_at__lt=timezone.now() - older_than).delete()
    return deleted


# --- saved replies -------------------------------------------------------------------------------


class _Variables(dict[str, str]):
    def __missing__(self, key: str) -> str:
        # An unknown {variable} stays as written, so a typo shows instead of vanishing.
        return "{" + key + "}"


def saved_reply_fill(body: str, *, conversation: Conversation, agent: User | None) -> str:
    """The reply with {customer_name}, {customer_handle}, {agent_name}, {team_name} and {network} filled."""
    values = _Variables(
        customer_name=conversation.customer_name or conversation.customer_handle,
        customer_handle=conversation.customer_handle,
        agent_name=agent.get_short_name() if agent is not None else "",
        team_name=conversation.team.name if conversation.team_id and conversation.team else "",
        network=conversation.network,
    )
    try:
        return body.format_map(values)
    except (ValueError, IndexError, AttributeError, KeyError):
        return body


# --- settings: teams, SLA policies, routing rules, saved replies, close reasons -------------------


def _validated(row: Any, *, exclude: Sequence[str] = ()) -> None:
    row.full_clean(exclude=["workspace", *exclude])


def team_create(
    *,
    actor: Actor,
    membership: Membership,
    name: str,
    kind: str = "support",
    members: Iterable[User] = (),
    assignment_mode: str = AssignmentMode.ROUND_ROBIN,
    time_zone: str = "UTC",
    business_hours: Mapping[str, Any] | None = None,
    holidays: Sequence[str] = (),
    region: Region | None = None,
) -> Team:
    require(membership, Action.INBOX_MANAGE)
    if region is not None:
        _check_workspace(membership, region)
    with transaction.atomic():
        team = Team(
            workspace_id=membership.workspace_id,
            name=name.strip(),
            kind=kind,
            assignment_mode=assignment_mode,
            time_zone=time_zone,
            business_hours=dict(business_hours or {}),
            holidays=list(holidays),
            region=region,
        )
        _validated(team, exclude=["region", "last_assigned"])
        if Team.objects.for_workspace(membership.workspace_id).filter(name=team.name).exists():
            raise ValidationError({"name": _("A team with this name exists already.")})
        team.save()
        team.members.set(_workspace_users(membership, members))
        audit.record(
            actor,
            "inbox_team.create",
            workspace=membership.workspace,
            target=team,
            after={**audit.snapshot(team), "members": sorted(user.pk for user in team.members.all())},
        )
    return team


def team_update(*, actor: Actor, membership: Membership, team: Team, **values: Any) -> Team:
    require(membership, Action.INBOX_MANAGE)
    _check_workspace(membership, team)
    members = values.pop("members", None)
    with transaction.atomic():
        team = Team.objects.select_for_update().get(pk=team.pk)
        before = {**audit.snapshot(team), "members": sorted(team.members.values_list("pk", flat=True))}
        for name, value in values.items():
            if name not in TEAM_FIELDS:
                raise ValidationError({name: _("This field cannot be changed.")})
            if name == "region" and value is not None:
                _check_workspace(membership, value)
            setattr(team, name, value.strip() if name == "name" else value)
        _validated(team, exclude=["region", "last_assigned"])
        if Team.objects.for_workspace(membership.workspace_id).filter(name=team.name).exclude(pk=team.pk).exists():
            raise ValidationError({"name": _("A team with this name exists already.")})
        team.save()
        if members is not None:
            team.members.set(_workspace_users(membership, members))
        audit.record(
            actor,
            "inbox_team.update",
            workspace=membership.workspace,
            target=team,
            before=before,
            after={**audit.snapshot(team), "members": sorted(team.members.values_list("pk", flat=True))},
        )
    return team


def sla_policy_set(
    *,
    actor: Actor,
    membership: Membership,
    team: Team,
    first_response_minutes: int,
    resolution_minutes: int,
    warning_percent: int = 80,
    escalation_team: Team | None = None,
    escalation_user: User | None = None,
) -> SlaPolicy:
    """Set a team's SLA; clocks already running keep their due times."""
    require(membership, Action.INBOX_MANAGE)
    _check_workspace(membership, team)
    if escalation_team is not None:
        _check_workspace(membership, escalation_team)
    with transaction.atomic():
        policy = SlaPolicy.objects.filter(team=team).first() or SlaPolicy(
            workspace_id=membership.workspace_id, team=team
        )
        before = audit.snapshot(policy) if policy.pk else {}
        policy.first_response_minutes = first_response_minutes
        policy.resolution_minutes = resolution_minutes
        policy.warning_percent = warning_percent
        policy.escalation_team = escalation_team
        policy.escalation_user = escalation_user
        if not 1 <= warning_percent <= 100:
            raise ValidationError({"warning_percent": _("Warn somewhere between 1 and 100 percent of the time.")})
        if resolution_minutes < first_response_minutes:
            raise ValidationError({"resolution_minutes": _("Resolution cannot be due before the first response.")})
        policy.save()
        audit.record(
            actor,
            "sla_policy.set",
            workspace=membership.workspace,
            target=policy,
            before=before,
            after=audit.snapshot(policy),
        )
    return policy


def routing_rule_create(
    *,
    actor: Actor,
    membership: Membership,
    name: str,
    team: Team,
    position: int | None = None,
    intents: Sequence[str] = (),
    languages: Sequence[str] = (),
    networks: Sequence[str] = (),
    keywords: Sequence[str] = (),
    customer_tiers: Sequence[str] = (),
    region: Region | None = None,
    priority: int | None = None,
) -> RoutingRule:
    require(membership, Action.INBOX_MANAGE)
    values = _clean_rule_values(
        membership,
        {
            "team": team,
            "region": region,
            "intents": intents,
            "languages": languages,
            "networks": networks,
            "keywords": keywords,
            "customer_tiers": customer_tiers,
            "priority": priority,
        },
    )
    with transaction.atomic():
        if position is None:
            last = RoutingRule.objects.for_workspace(membership.workspace_id).order_by("-position").first()
            position = (last.position + 1) if last else 0
        rule = RoutingRule(workspace_id=membership.workspace_id, name=name.strip(), position=position, **values)
        _validated(rule, exclude=["team", "region"])
        rule.save()
        audit.record(
            actor, "routing_rule.create", workspace=membership.workspace, target=rule, after=audit.snapshot(rule)
        )
    return rule


def routing_rule_delete(*, actor: Actor, membership: Membership, rule: RoutingRule) -> None:
    require(membership, Action.INBOX_MANAGE)
    _check_workspace(membership, rule)
    with transaction.atomic():
        audit.record(
            actor, "routing_rule.delete", workspace=membership.workspace, target=rule, before=audit.snapshot(rule)
        )
        rule.delete()


def saved_reply_create(
    *,
    actor: Actor,
    membership: Membership,
    title: str,
    body: str,
    language: str,
    region: Region | None = None,
    shared_with_regions: bool = True,
) -> SavedReply:
    """A saved reply of the hub (no region; shared with the regions unless told otherwise) or of one region."""
    require(membership, Action.INBOX_MANAGE)
    if region is not None:
        _check_workspace(membership, region)
    with transaction.atomic():
        reply = SavedReply(
            workspace_id=membership.workspace_id,
            title=title.strip(),
            body=body.strip(),
            language=language,
            region=region,
            shared_with_regions=shared_with_regions,
        )
        _validated(reply, exclude=["region"])
        if (
            SavedReply.objects.for_workspace(membership.workspace_id)
            .filter(title=reply.title, language=language)
            .exists()
        ):
            raise ValidationError({"title": _("A saved reply with this title exists in this language.")})
        reply.save()
        audit.record(
            actor, "saved_reply.create", workspace=membership.workspace, target=reply, after=audit.snapshot(reply)
        )
    return reply


def close_reason_create(*, actor: Actor, membership: Membership, name: str) -> CloseReason:
    require(membership, Action.INBOX_MANAGE)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Name the reason.")})
    with transaction.atomic():
        last = CloseReason.objects.for_workspace(membership.workspace_id).order_by("-position").first()
        reason, created = CloseReason.objects.get_or_create(
            workspace_id=membership.workspace_id,
            name=name[:100],
            defaults={"position": (last.position + 1) if last else 0},
        )
        if not created:
            if reason.is_active:
                return reason
            reason.is_active = True
            reason.save(update_fields=["is_active"])
        audit.record(actor, "close_reason.create", workspace=membership.workspace, target=reason, after={"name": name})
    return reason


def overdue_filter(now: datetime.datetime) -> Q:
    return Q(next_due_at__lte=now) & ~Q(status=ConversationStatus.CLOSED)


# --- settings: changing and removing, the routing test, the saved reply preview -------------------

TEAM_FIELDS = ("name", "kind", "assignment_mode", "time_zone", "business_hours", "holidays", "region")
RULE_FIELDS = (
    "name",
    "is_active",
    "intents",
    "languages",
    "networks",
    "keywords",
    "customer_tiers",
    "region",
    "team",
    "priority",
)
SAVED_REPLY_FIELDS = ("title", "body", "language", "region", "shared_with_regions")


def _workspace_users(membership: Membership, users: Iterable[User]) -> list[User]:
    """The given people, each an active member of the workspace (else a clear error naming them)."""
    users = list(users)
    members = set(
        Membership.objects.for_workspace(membership.workspace_id)
        .filter(is_active=True, user__in=users)
        .values_list("user_id", flat=True)
    )
    strangers = [user.get_full_name() or user.email for user in users if user.pk not in members]
    if strangers:
        raise ValidationError(
            {"members": _("Not members of this workspace: %(names)s.") % {"names": ", ".join(strangers)}}
        )
    return users


def team_members_set(*, membership: Membership, team: Team, members: Iterable[User]) -> None:
    team.members.set(_workspace_users(membership, members))


def team_delete(*, actor: Actor, membership: Membership, team: Team) -> None:
    """Remove a team; refused while routing rules send conversations to it (they would vanish with it)."""
    require(membership, Action.INBOX_MANAGE)
    _check_workspace(membership, team)
    rules = list(RoutingRule.objects.for_workspace(membership.workspace_id).filter(team=team).order_by("position"))
    if rules:
        raise ValidationError(
            _("Routing rules send conversations to this team: %(rules)s. Change or remove them first.")
            % {"rules": ", ".join(rule.name for rule in rules)}
        )
    with transaction.atomic():
        audit.record(
            actor, "inbox_team.delete", workspace=membership.workspace, target=team, before=audit.snapshot(team)
        )
        team.delete()


def sla_policy_remove(*, actor: Actor, membership: Membership, team: Team) -> None:
    """The team promises nothing any more; clocks already running keep their due times."""
    require(membership, Action.INBOX_MANAGE)
    _check_workspace(membership, team)
    with transaction.atomic():
        policy = SlaPolicy.objects.filter(team=team).first()
        if policy is None:
            return
        audit.record(
            actor, "sla_policy.remove", workspace=membership.workspace, target=policy, before=audit.snapshot(policy)
        )
        policy.delete()


def _clean_rule_values(membership: Membership, values: dict[str, Any]) -> dict[str, Any]:
    for name in ("team", "region"):
        if values.get(name) is not None:
            _check_workspace(membership, values[name])
    for name in ("intents", "languages", "networks", "keywords", "customer_tiers"):
        if name in values:
            values[name] = [str(item).strip() for item in values[name] or () if str(item).strip()]
    unknown = [intent for intent in values.get("intents", ()) if intent not in Intent.values]
    if unknown:
        raise ValidationError({"intents": _("Unknown intents: %(names)s") % {"names": ", ".join(unknown)}})
    unknown = [network for network in values.get("networks", ()) if network not in Network.values]
    if unknown:
        raise ValidationError({"networks": _("Unknown networks: %(names)s") % {"names": ", ".join(unknown)}})
    if "languages" in values:
        values["languages"] = [language.lower() for language in values["languages"]]
        wrong = [language for language in values["languages"] if not language.replace("-", "").isalpha()]
        if wrong:
            raise ValidationError(
                {"languages": _("Languages are codes such as en, ru, no, zh: %(names)s") % {"names": ", ".join(wrong)}}
            )
    if values.get("priority") is not None and values["priority"] not in Priority.values:
        raise ValidationError({"priority": _("Priority is 1 (urgent) to 5 (lowest).")})
    return values


def routing_rule_update(*, actor: Actor, membership: Membership, rule: RoutingRule, **values: Any) -> RoutingRule:
    require(membership, Action.INBOX_MANAGE)
    _check_workspace(membership, rule)
    wrong = sorted(set(values) - set(RULE_FIELDS))
    if wrong:
        raise ValidationError({wrong[0]: _("This field cannot be changed.")})
    values = _clean_rule_values(membership, values)
    with transaction.atomic():
        rule = RoutingRule.objects.select_for_update().get(pk=rule.pk)
        before = audit.snapshot(rule)
        for name, value in values.items():
            setattr(rule, name, value.strip() if name == "name" else value)
        _validated(rule, exclude=["team", "region"])
        rule.save()
        audit.record(
            actor,
            "routing_rule.update",
            workspace=membership.workspace,
            target=rule,
            before=before,
            after=audit.snapshot(rule),
        )
    return rule


def routing_rule_move(*, actor: Actor, membership: Membership, rule: RoutingRule, to: int) -> list[RoutingRule]:
    """Put a rule at place ``to`` (0 = tried first); the others keep their order. Returns them all in order."""
    require(membership, Action.INBOX_MANAGE)
    _check_workspace(membership, rule)
    with transaction.atomic():
        rules = list(
            RoutingRule.objects.for_workspace(membership.workspace_id).select_for_update().order_by("position", "id")
        )
        before = [item.pk for item in rules]
        moving = next(item for item in rules if item.pk == rule.pk)
        rules.remove(moving)
        rules.insert(max(0, min(to, len(rules))), moving)
        for position, item in enumerate(rules):
            if item.position != position:
                item.position = position
                item.save(update_fields=["position"])
        audit.record(
            actor,
            "routing_rule.move",
            workspace=membership.workspace,
            target=moving,
            before={"order": before},
            after={"order": [item.pk for item in rules]},
        )
    return rules


@dataclass(frozen=True)
class RoutingTest:
    """What a sample message would become: its triage and the rule (if any) that sends it to a team."""

    intent: str
    language: str
    priority: int
    is_toxic: bool
    rule: RoutingRule | None
    team: Team | None
    checked: list[tuple[RoutingRule, bool]]


def routing_test(
    *,
    membership: Membership,
    text: str,
    network: str = "",
    language: str = "",
    customer_tier: str = "",
    region: Region | None = None,
) -> RoutingTest:
    """Run a sample through triage and the workspace's active rules, changing nothing."""
    require(membership, Action.INBOX_MANAGE)
    if not text.strip():
        raise ValidationError({"text": _("Write a sample message to test the rules with.")})
    if region is not None:
        _check_workspace(membership, region)
    sample = Conversation(
        workspace_id=membership.workspace_id,
        network=network,
        customer_tier=customer_tier.strip(),
        region=region,
        language=language.strip().lower(),
    )
    triage(sample, analyze_texts([text])[0])
    rules = list(
        RoutingRule.objects.for_workspace(membership.workspace_id)
        .filter(is_active=True)
        .select_related("team", "region")
        .order_by("position", "id")
    )
    checked = [(rule, rule_matches(rule, sample, text)) for rule in rules]
    chosen = next((rule for rule, matched in checked if matched), None)
    priority = chosen.priority if chosen is not None and chosen.priority is not None else sample.priority
    return RoutingTest(
        intent=sample.intent,
        language=sample.language,
        priority=priority,
        is_toxic=sample.is_toxic,
        rule=chosen,
        team=chosen.team if chosen is not None else None,
        checked=checked,
    )


def saved_reply_update(*, actor: Actor, membership: Membership, reply: SavedReply, **values: Any) -> SavedReply:
    require(membership, Action.INBOX_MANAGE)
    _check_workspace(membership, reply)
    wrong = sorted(set(values) - set(SAVED_REPLY_FIELDS))
    if wrong:
        raise ValidationError({wrong[0]: _("This field cannot be changed.")})
    if values.get("region") is not None:
        _check_workspace(membership, values["region"])
    with transaction.atomic():
        reply = SavedReply.objects.select_for_update().get(pk=reply.pk)
        before = audit.snapshot(reply)
        for name, value in values.items():
            setattr(reply, name, value.strip() if name in {"title", "body"} else value)
        _validated(reply, exclude=["region"])
        if (
            SavedReply.objects.for_workspace(membership.workspace_id)
            .filter(title=reply.title, language=reply.language)
            .exclude(pk=reply.pk)
            .exists()
        ):
            raise ValidationError({"title": _("A saved reply with this title exists in this language.")})
        reply.save()
        audit.record(
            actor,
            "saved_reply.update",
            workspace=membership.workspace,
            target=reply,
            before=before,
            after=audit.snapshot(reply),
        )
    return reply


def saved_reply_delete(*, actor: Actor, membership: Membership, reply: SavedReply) -> None:
    require(membership, Action.INBOX_MANAGE)
    _check_workspace(membership, reply)
    with transaction.atomic():
        audit.record(
            actor, "saved_reply.delete", workspace=membership.workspace, target=reply, before=audit.snapshot(reply)
        )
        reply.delete()


SAMPLE_CUSTOMER = {"customer_name": "Ola Nordmann", "customer_handle": "@ola@example.social", "network": "mastodon"}


def saved_reply_preview(
    *, membership: Membership, body: str, conversation: Conversation | None = None, team: Team | None = None
) -> str:
    """The text with its variables filled: for a real conversation, or for a sample customer."""
    require(membership, Action.INBOX_VIEW)
    if conversation is not None:
        _check_workspace(membership, conversation)
    else:
        if team is not None:
            _check_workspace(membership, team)
        conversation = Conversation(workspace_id=membership.workspace_id, team=team, **SAMPLE_CUSTOMER)
    return saved_reply_fill(body, conversation=conversation, agent=membership.user)


def close_reason_remove(*, actor: Actor, membership: Membership, name: str) -> None:
    """Stop offering one of the workspace's own reasons (conversations closed with it keep it)."""
    require(membership, Action.INBOX_MANAGE)
    with transaction.atomic():
        reason = (
            CloseReason.objects.for_workspace(membership.workspace_id).filter(name=name.strip(), is_active=True).first()
        )
        if reason is None:
            raise CloseReason.DoesNotExist(name)
        reason.is_active = False
        reason.save(update_fields=["is_active"])
        audit.record(
            actor, "close_reason.remove", workspace=membership.workspace, target=reason, before={"name": reason.name}
        )
