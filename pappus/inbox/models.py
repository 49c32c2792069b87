"""The inbox: conversations and their messages, notes and tags; teams with business hours and SLA
policies; routing rules; saved replies; close reasons; who is looking at a conversation right now."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pappus.core.models import LANGUAGE_CHOICES, Region, Workspace, WorkspaceManager, validate_time_zone
from pappus.inbox.business_hours import BusinessCalendar, calendar_from_settings


class ConversationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PENDING = "pending", _("Waiting for the customer")
    CLOSED = "closed", _("Closed")


class Priority(models.IntegerChoices):
    """Lower numbers come first in the queue."""

    URGENT = 1, _("Urgent")
    HIGH = 2, _("High")
    NORMAL = 3, _("Normal")
    LOW = 4, _("Low")
    LOWEST = 5, _("Lowest")


class Intent(models.TextChoices):
    """The intents of ``pappus.nlp`` (kept equal by a test)."""

    PURCHASE_INTENT = "purchase_intent", _("Purchase intent")
    SERVICE_REQUEST = "service_request", _("Service request")
    COMPLAINT = "complaint", _("Complaint")
    QUESTION = "question", _("Question")
    PRAISE = "praise", _("Praise")
    OTHER = "other", _("Other")
    SPAM = "spam", _("Spam")


class ConversationKind(models.TextChoices):
    COMMENT = "comment", _("Comment")
    MENTION = "mention", _("Mention")
    DIRECT_MESSAGE = "direct_message", _("Direct message")
    MESSAGE = "message", _("Group message")


class TeamKind(models.TextChoices):
    SUPPORT = "support", _("Support")
    SALES = "sales", _("Sales")
    PR = "pr", _("PR")
    COMMUNITY = "community", _("Community")
    OTHER = "other", _("Other")


class AssignmentMode(models.TextChoices):
    MANUAL = "manual", _("Manual")
    ROUND_ROBIN = "round_robin", _("Round-robin")
    LOAD_BASED = "load_based", _("Fewest open conversations")


def validate_weekly_hours(value: Any) -> None:
    try:
        calendar_from_settings("UTC", value)
    except (TypeError, ValueError, AttributeError) as error:
        raise ValidationError(
            _('Opening hours are {"mon": [["09:00", "17:00"]], …} with weekdays mon … sun: %(error)s'),
            params={"error": error},
        ) from error


def validate_holidays(value: Any) -> None:
    try:
        for day in value:
            datetime.date.fromisoformat(day)
    except (TypeError, ValueError) as error:
        raise ValidationError(_("Holidays are a list of dates such as 2026-12-24.")) from error


class Team(models.Model):
    """People who answer one kind of conversation (support, sales, PR …) in their business hours.

    ``business_hours`` maps weekdays (mon … sun) to opening periods in ``time_zone``; ``holidays``
    lists local dates closed all day. No periods at all means the team answers around the clock.
    ``last_assigned`` is the round-robin pointer.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=TeamKind.choices, default=TeamKind.SUPPORT)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="inbox_teams")
    assignment_mode = models.CharField(
        _("assignment"), max_length=20, choices=AssignmentMode.choices, default=AssignmentMode.ROUND_ROBIN
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[validate_time_zone])
    business_hours = models.JSONField(_("business hours"), default=dict, blank=True, validators=[validate_weekly_hours])
    holidays = models.JSONField(_("holidays"), default=list, blank=True, validators=[validate_holidays])
    last_assigned = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ("name",)
        constraints = (models.UniqueConstraint(fields=("workspace", "name"), name="inbox_team_unique_name"),)

    def __str__(self) -> str:
        return self.name

    def calendar(self) -> BusinessCalendar:
        return calendar_from_settings(self.time_zone, self.business_hours, self.holidays)


class SlaPolicy(models.Model):
    """A team's promises, counted in its business hours: first response and resolution times; past
    ``warning_percent`` of either the conversation is flagged, past the whole it is escalated."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    team = models.OneToOneField(Team, on_delete=models.CASCADE, related_name="sla_policy")
    first_response_minutes = models.PositiveIntegerField(_("first response within (minutes)"), default=60)
    resolution_minutes = models.PositiveIntegerField(_("resolution within (minutes)"), default=8 * 60)
    warning_percent = models.PositiveSmallIntegerField(_("warn at (percent of the time)"), default=80)
    escalation_team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("escalate to team")
    )
    escalation_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("escalate to person"),
    )

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = (
            models.CheckConstraint(
                condition=models.Q(warning_percent__gte=1, warning_percent__lte=100), name="inbox_sla_warning_percent"
            ),
        )

    def __str__(self) -> str:
        return f"{self.team}: {self.first_response_minutes}/{self.resolution_minutes} min"


class Conversation(models.Model):
    """One thread with one customer on one network (a comment thread, a mention thread, a direct chat).

    ``thread_key`` identifies the thread within (workspace, ``external_scope``): an account's id or,
    for items from listening without an account, the network. ``customer_key`` joins the same
    person's conversations across networks (their handle by default; linking two sets one key).
    ``next_due_at`` is the clock that matters now (first response until answered, then resolution),
    kept by the services so that the queue sorts by priority and then by it.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(
        "connectors.ConnectedAccount", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    external_scope = models.CharField(_("channel"), max_length=64)
    network = models.CharField(_("network"), max_length=40)
    kind = models.CharField(
        _("kind"), max_length=20, choices=ConversationKind.choices, default=ConversationKind.MENTION
    )
    thread_key = models.CharField(_("thread"), max_length=600)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    customer_handle = models.CharField(_("customer handle"), max_length=300)
    customer_name = models.CharField(_("customer name"), max_length=300, blank=True)
    customer_key = models.CharField(_("customer"), max_length=400, db_index=False)
    customer_tier = models.CharField(_("customer tier"), max_length=40, blank=True)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    language = models.CharField(_("language"), max_length=16, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ConversationStatus.choices, default=ConversationStatus.OPEN
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    intent = models.CharField(_("intent"), max_length=20, choices=Intent.choices, blank=True)
    sentiment = models.CharField(_("sentiment"), max_length=10, blank=True)
    sentiment_score = models.FloatField(_("sentiment score"), null=True, blank=True)
    is_toxic = models.BooleanField(_("toxic"), default=False)
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sla_started_at = models.DateTimeField(_("clock started"), null=True, blank=True)
    first_response_due_at = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due_at = models.DateTimeField(_("resolution due"), null=True, blank=True)
    next_due_at = models.DateTimeField(_("due"), null=True, blank=True)
    next_warning_at = models.DateTimeField(_("warn at"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first answered"), null=True, blank=True)
    sla_warned_at = models.DateTimeField(_("SLA warning"), null=True, blank=True)
    sla_breached_at = models.DateTimeField(_("SLA breached"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    sla_missed = models.BooleanField(_("SLA missed"), default=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    outcome_reason = models.CharField(_("outcome"), max_length=100, blank=True)
    outcome_note = models.TextField(_("outcome note"), blank=True)
    message_count = models.PositiveIntegerField(_("messages"), default=0)
    last_message_at = models.DateTimeField(_("last message"), default=timezone.now)
    last_inbound_at = models.DateTimeField(_("last customer message"), null=True, blank=True)
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("conversation")
        verbose_name_plural = _("conversations")
        ordering = ("priority", "next_due_at", "id")
        constraints = (
            models.UniqueConstraint(
                fields=("workspace", "external_scope", "thread_key"), name="inbox_conversation_unique_thread"
            ),
        )
        indexes = (
            # The working queue (open or waiting) in its order, covering the columns it is filtered by, so that the
            # first page and the count need no table reads (bench/inbox.py, 1M messages: default p95 256 → 34 ms).
            # The filtered columns trail as keys (not INCLUDE, which SQLite lacks); they do not disturb the order.
            models.Index(
                fields=(
                    "workspace",
                    "priority",
                    "next_due_at",
                    "id",
                    "team",
                    "assignee",
                    "intent",
                    "network",
                    "language",
                ),
                condition=models.Q(status__in=("open", "pending")),
                name="inbox_queue_active",
            ),
            # One status at a time (closed conversations, mostly), in the same order.
            models.Index(fields=("workspace", "status", "priority", "next_due_at", "id"), name="inbox_queue"),
            models.Index(fields=("workspace", "customer_key", "-last_message_at"), name="inbox_customer_history"),
            models.Index(fields=("status", "next_due_at"), name="inbox_sla_clock"),
            models.Index(fields=("status", "next_warning_at"), name="inbox_sla_warning"),
            # Analytics' first-response and resolution times read the conversations answered or closed in a period.
            models.Index(fields=("workspace", "first_responded_at"), name="inbox_first_responded"),
            models.Index(fields=("workspace", "closed_at"), name="inbox_closed"),
        )

    def __str__(self) -> str:
        return f"{self.customer_name or self.customer_handle} · {self.network}"

    @property
    def is_closed(self) -> bool:
        return self.status == ConversationStatus.CLOSED

    @property
    def is_flagged(self) -> bool:
        """Complaints and toxic messages are flagged in the queue."""
        return self.is_toxic or self.intent == Intent.COMPLAINT


class Direction(models.TextChoices):
    INBOUND = "in", _("From the customer")
    OUTBOUND = "out", _("From us")


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    DELETED = "deleted", _("Deleted on the network")
    HIDDEN = "hidden", _("Hidden on the network")


class Message(models.Model):
    """One message of a conversation, from the customer (in) or from us (out).

    ``external_id`` is the network's id, unique per channel (``external_scope``), so receiving the
    same item again stores nothing. A reply that failed keeps the network's reason in ``error``.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    external_scope = models.CharField(_("channel"), max_length=64)
    external_id = models.CharField(_("external id"), max_length=500, blank=True)
    parent_external_id = models.CharField(_("answers"), max_length=500, blank=True)
    direction = models.CharField(_("direction"), max_length=3, choices=Direction.choices)
    author_handle = models.CharField(_("author handle"), max_length=300, blank=True)
    author_name = models.CharField(_("author name"), max_length=300, blank=True)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(_("text"))
    url = models.URLField(_("address"), max_length=2000, blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    intent = models.CharField(_("intent"), max_length=20, choices=Intent.choices, blank=True)
    sentiment = models.CharField(_("sentiment"), max_length=10, blank=True)
    toxicity = models.FloatField(_("toxicity"), null=True, blank=True)
    is_toxic = models.BooleanField(_("toxic"), default=False)
    sent_at = models.DateTimeField(_("sent"), default=timezone.now)
    delivery_status = models.CharField(
        _("delivery"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.RECEIVED
    )
    error = models.TextField(_("network's error"), blank=True)
    error_code = models.CharField(_("error kind"), max_length=40, blank=True)
    # The saved reply an answer was based on (kept when the agent edited the text before sending).
    saved_reply = models.ForeignKey(
        "SavedReply", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("based on")
    )
    idempotency_key = models.UUIDField(default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(_("stored"), default=timezone.now)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ("sent_at", "id")
        constraints = (
            models.UniqueConstraint(
                fields=("workspace", "external_scope", "external_id"),
                condition=~models.Q(external_id=""),
                name="inbox_message_unique_external_id",
            ),
        )
        indexes = (models.Index(fields=("conversation", "sent_at", "id"), name="inbox_message_thread"),)

    def __str__(self) -> str:
        return self.text[:80]


class InternalNote(models.Model):
    """A note for colleagues on a conversation; the customer never sees it."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("internal note")
        verbose_name_plural = _("internal notes")
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return self.text[:80]


class ConversationTag(models.Model):
    """A free tag on a conversation (lower-case, unique per conversation)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(_("tag"), max_length=50)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ("name",)
        constraints = (models.UniqueConstraint(fields=("conversation", "name"), name="inbox_tag_unique"),)
        indexes = (models.Index(fields=("workspace", "name"), name="inbox_tag_name"),)

    def __str__(self) -> str:
        return self.name


class RoutingRule(models.Model):
    """If a new conversation matches every condition that is set, it goes to ``team`` (and gets
    ``priority`` when set). Rules are tried by ``position``; the first match wins. An empty
    condition matches anything; keywords match when any of them occurs in the text."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(_("order"), default=0)
    name = models.CharField(_("name"), max_length=100)
    is_active = models.BooleanField(_("active"), default=True)
    intents = models.JSONField(_("intents"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    networks = models.JSONField(_("networks"), default=list, blank=True)
    keywords = models.JSONField(_("keywords"), default=list, blank=True)
    customer_tiers = models.JSONField(_("customer tiers"), default=list, blank=True)
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="+", verbose_name=_("send to team"))
    priority = models.PositiveSmallIntegerField(_("set priority"), choices=Priority.choices, null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("routing rule")
        verbose_name_plural = _("routing rules")
        ordering = ("position", "id")

    def __str__(self) -> str:
        return self.name


class SavedReply(models.Model):
    """A prepared answer in one language. Variables such as {customer_name} and {agent_name} are
    filled in when it is used. A reply of the hub (no region) with ``shared_with_regions`` is
    offered everywhere; a region's own replies are offered in that region."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=10, choices=LANGUAGE_CHOICES)
    shared_with_regions = models.BooleanField(_("shared with the regions"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("saved reply")
        verbose_name_plural = _("saved replies")
        ordering = ("title", "language")
        constraints = (
            models.UniqueConstraint(fields=("workspace", "title", "language"), name="inbox_saved_reply_unique"),
        )

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"


class CloseReason(models.Model):
    """One of the workspace's outcome reasons; closing a conversation requires one."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("reason"), max_length=100)
    position = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("close reason")
        verbose_name_plural = _("close reasons")
        ordering = ("position", "name")
        constraints = (models.UniqueConstraint(fields=("workspace", "name"), name="inbox_close_reason_unique"),)

    def __str__(self) -> str:
        return self.name


class PresenceActivity(models.TextChoices):
    VIEWING = "viewing", _("viewing")
    TYPING = "typing", _("typing a reply")


class ConversationPresence(models.Model):
    """Who has a conversation open (or is typing in it) right now; stale after a few seconds.

    Kept in the database so that every web process sees the same markers.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    activity = models.CharField(max_length=10, choices=PresenceActivity.choices, default=PresenceActivity.VIEWING)
    seen_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("presence")
        verbose_name_plural = _("presence")
        constraints = (models.UniqueConstraint(fields=("conversation", "user"), name="inbox_presence_unique_user"),)

    def __str__(self) -> str:
        return f"{self.user_id} {self.activity} {self.conversation_id}"
