"""Crisis rows: alert rules, the alerts they raise and their deliveries, incidents with their
timeline, and playbooks.

Every row belongs to one workspace (``WorkspaceManager``). A rule watches one series of the
listening rollups (``topic_id`` is a plain id of a listening topic, not a foreign key: apps do not
reach into each other's tables); an alert keeps the filter that finds its mentions in listening.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from pappus.core.models import LANGUAGE_CHOICES, Region, Workspace, WorkspaceManager


class Metric(models.TextChoices):
    VOLUME = "volume", _("Mention volume")
    NEGATIVE_SHARE = "negative_share", _("Negative share")


class AlertRule(models.Model):
    """What to watch (a topic or all mentions, a region, volume or negative share), how eagerly,
    and whom to tell (in-app always; e-mail recipients and a signed webhook optionally)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    topic_id = models.PositiveBigIntegerField(_("topic"), null=True, blank=True, help_text=_("Empty: all mentions."))
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    metric = models.CharField(_("metric"), max_length=20, choices=Metric.choices, default=Metric.VOLUME)
    sensitivity = models.FloatField(
        _("sensitivity"),
        default=0.5,
        validators=[MinValueValidator(0.05), MaxValueValidator(0.95)],
        help_text=_("Higher alerts sooner and more often; an alert is raised at a score of 1 - sensitivity."),
    )
    cooldown_hours = models.PositiveSmallIntegerField(
        _("cool-down (hours)"), default=6, validators=[MinValueValidator(1), MaxValueValidator(168)]
    )
    email_recipients = models.TextField(_("e-mail recipients"), blank=True, help_text=_("One address per line."))
    webhook_url = models.URLField(_("webhook URL"), blank=True, max_length=500)
    webhook_secret = models.CharField(_("webhook signing secret"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    evaluated_until = models.DateTimeField(_("evaluated until"), null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        ordering = ("name", "id")

    def __str__(self) -> str:
        return self.name

    @property
    def cooldown(self) -> datetime.timedelta:
        return datetime.timedelta(hours=self.cooldown_hours)

    @property
    def recipients(self) -> list[str]:
        return [line.strip() for line in self.email_recipients.splitlines() if line.strip()]


class Alert(models.Model):
    """One alert: the rule's series was anomalous in the hour starting at ``window_start``.

    Raised at most once per rule and window (a unique constraint), so a repeated or late job run
    never alerts twice. ``series`` keeps the week before it as the detector saw it (for the chart);
    ``mentions_filter`` is the listening search that lists the mentions behind it.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="alerts")
    window_start = models.DateTimeField(_("window start"))
    window_end = models.DateTimeField(_("window end"))
    score = models.FloatField(_("score"))
    value = models.FloatField(_("value"))
    expected = models.FloatField(_("expected"), null=True, blank=True)
    series = models.JSONField(_("series"), default=list, blank=True)
    mentions_filter = models.JSONField(_("mentions filter"), default=dict, blank=True)
    raised_at = models.DateTimeField(_("raised"), auto_now_add=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ("-window_start", "-id")
        constraints = (models.UniqueConstraint(fields=("rule", "window_start"), name="crisis_alert_once_per_window"),)
        indexes = (models.Index(fields=("workspace", "-window_start"), name="crisis_alert_workspace_time"),)

    def __str__(self) -> str:
        return f"{self.rule.name} · {self.window_start:%Y-%m-%d %H:%M}"


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    WEBHOOK = "webhook", _("Webhook")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class AlertDelivery(models.Model):
    """One notification of an alert through one channel to one target; sent at most once."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    target = models.CharField(_("to"), max_length=500)
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices, default="pending")
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("error"), blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("alert delivery")
        verbose_name_plural = _("alert deliveries")
        ordering = ("id",)
        constraints = (
            models.UniqueConstraint(fields=("alert", "channel", "target"), name="crisis_delivery_once_per_target"),
        )

    def __str__(self) -> str:
        return f"{self.channel} → {self.target}"


class Playbook(models.Model):
    """What the PR team does in a crisis: ordered steps and response templates approved in advance,
    in one language. ``steps`` is a list of strings; ``templates`` a list of ``{"title", "body"}``."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    language = models.CharField(_("language"), max_length=10, choices=LANGUAGE_CHOICES, default="en")
    steps = models.JSONField(_("steps"), default=list, blank=True)
    templates = models.JSONField(_("response templates"), default=list, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("playbook")
        verbose_name_plural = _("playbooks")
        ordering = ("name", "language", "id")

    def __str__(self) -> str:
        return f"{self.name} ({self.language})"


class Severity(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class IncidentStatus(models.TextChoices):
    OPEN = "open", _("Open")
    MITIGATING = "mitigating", _("Mitigating")
    RESOLVED = "resolved", _("Resolved")


class Incident(models.Model):
    """A crisis the team handles: severity, owner, status, the alerts behind it, the playbook it
    follows (``checked_steps``: indexes of the playbook's steps done), and the post-incident summary."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    status = models.CharField(_("status"), max_length=12, choices=IncidentStatus.choices, default=IncidentStatus.OPEN)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    alerts = models.ManyToManyField(Alert, blank=True, related_name="incidents")
    playbook = models.ForeignKey(Playbook, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    checked_steps = models.JSONField(_("steps done"), default=list, blank=True)
    summary = models.TextField(_("post-incident summary"), blank=True)
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        ordering = ("-opened_at", "-id")

    def __str__(self) -> str:
        return self.title


class EntryKind(models.TextChoices):
    HAPPENED = "happened", _("What happened")
    ACTION = "action", _("What was done")
    CHANGE = "change", _("Change")


class IncidentEntry(models.Model):
    """One line of an incident's timeline: what happened, what was done, or a change of it."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="entries")
    kind = models.CharField(_("kind"), max_length=10, choices=EntryKind.choices, default=EntryKind.HAPPENED)
    text = models.TextField(_("text"))
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return self.text[:80]
