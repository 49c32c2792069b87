"""Team and adoption: how the team uses Pappus, and the people KPIs computed from what it does.

Nothing here leaves the installation and no third-party tracker is involved. A :class:`UsageEvent`
is one page view or API call of a member (the feature area taken from the URL), recorded by
:class:`pappus.adoption.middleware.UsageMiddleware` with one insert; the audit log is the source of
actions. A job folds both into :class:`UsageDaily` (one row per workspace, person, feature and day).
:class:`KpiDaily` holds each person's daily KPI figures (a total and a count, so periods, teams and
regions add up exactly), computed by the same job from the inbox, publishing and the audit log;
:class:`KpiTarget` is the hub's target per role and KPI; :class:`AdoptionSettings` says who may see
whose scorecard.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pappus.core.models import Region, Workspace, WorkspaceManager
from pappus.core.permissions import Role


class UsageKind(models.TextChoices):
    VIEW = "view", _("page view")
    API = "api", _("API call")


class UsageEvent(models.Model):
    """One page view or API call of a member: who, which feature area, when (no address, no URL kept)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    feature = models.CharField(_("feature"), max_length=40)
    kind = models.CharField(_("kind"), max_length=4, choices=UsageKind.choices, default=UsageKind.VIEW)
    day = models.DateField(_("day"))  # UTC day of created_at, stored so the rollup groups without date functions
    created_at = models.DateTimeField(_("when"))

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("usage event")
        verbose_name_plural = _("usage events")
        indexes = (
            models.Index(fields=("day", "workspace"), name="adoption_event_day"),
            models.Index(fields=("workspace", "user", "-created_at"), name="adoption_event_user"),
        )

    def __str__(self) -> str:
        return f"{self.user_id} {self.feature} {self.created_at:%Y-%m-%d %H:%M}"


class UsageDaily(models.Model):
    """A person's use of one feature on one UTC day: page views, API calls and audited actions."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    feature = models.CharField(_("feature"), max_length=40)
    day = models.DateField(_("day"))
    views = models.PositiveIntegerField(_("page views"), default=0)
    api_calls = models.PositiveIntegerField(_("API calls"), default=0)
    actions = models.PositiveIntegerField(_("actions"), default=0)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("daily usage")
        verbose_name_plural = _("daily usage")
        constraints = (
            models.UniqueConstraint(fields=("workspace", "user", "feature", "day"), name="adoption_usage_daily_unique"),
        )
        indexes = (models.Index(fields=("workspace", "day"), name="adoption_usage_ws_day"),)

    def __str__(self) -> str:
        return f"{self.user_id} {self.feature} {self.day}: {self.views}/{self.api_calls}/{self.actions}"


class Kpi(models.TextChoices):
    """People KPIs that Pappus computes from its own data."""

    FIRST_RESPONSE = "first_response_minutes", _("First response time (minutes)")
    CLOSED_WITH_REASON = "closed_with_reason", _("Conversations closed with a recorded reason (%)")
    POSTS_ON_PLAN = "posts_on_plan", _("Posts published on plan (%)")
    APPROVAL_TURNAROUND = "approval_turnaround_hours", _("Approval turnaround (hours)")
    ACTIVE_DAYS = "active_days", _("Days active in Pappus (%)")
    DUTIES_ON_TIME = "duties_on_time", _("Playbook duties done on time (%)")
    REPORTS_ON_TIME = "reports_on_time", _("Scheduled reports delivered on time (%)")


class Direction(models.TextChoices):
    HIGHER = "higher", _("higher is better")
    LOWER = "lower", _("lower is better")


# What each KPI's value is: a mean of total/count scaled, or a share in percent.
KPI_SCALE: dict[str, float] = {
    Kpi.FIRST_RESPONSE: 1 / 60,  # total in seconds → minutes
    Kpi.CLOSED_WITH_REASON: 100.0,
    Kpi.POSTS_ON_PLAN: 100.0,
    Kpi.APPROVAL_TURNAROUND: 1 / 3600,  # seconds → hours
    Kpi.ACTIVE_DAYS: 100.0,
    Kpi.DUTIES_ON_TIME: 100.0,
    Kpi.REPORTS_ON_TIME: 100.0,
}
KPI_DIRECTION: dict[str, str] = {
    Kpi.FIRST_RESPONSE: Direction.LOWER,
    Kpi.CLOSED_WITH_REASON: Direction.HIGHER,
    Kpi.POSTS_ON_PLAN: Direction.HIGHER,
    Kpi.APPROVAL_TURNAROUND: Direction.LOWER,
    Kpi.ACTIVE_DAYS: Direction.HIGHER,
    Kpi.DUTIES_ON_TIME: Direction.HIGHER,
    Kpi.REPORTS_ON_TIME: Direction.HIGHER,
}
# The KPIs a role is measured by (the hub sets their targets).
ROLE_KPIS: dict[str, tuple[str, ...]] = {
    Role.COMMUNITY_MANAGER: (Kpi.FIRST_RESPONSE, Kpi.CLOSED_WITH_REASON, Kpi.ACTIVE_DAYS, Kpi.DUTIES_ON_TIME),
    Role.CONTENT_MANAGER: (Kpi.POSTS_ON_PLAN, Kpi.APPROVAL_TURNAROUND, Kpi.ACTIVE_DAYS, Kpi.DUTIES_ON_TIME),
    Role.STRATEGIST: (Kpi.APPROVAL_TURNAROUND, Kpi.ACTIVE_DAYS, Kpi.DUTIES_ON_TIME),
    Role.ANALYST: (Kpi.REPORTS_ON_TIME, Kpi.ACTIVE_DAYS, Kpi.DUTIES_ON_TIME),
    Role.CAMPAIGN_MANAGER: (Kpi.ACTIVE_DAYS, Kpi.DUTIES_ON_TIME),
    Role.DESIGNER: (Kpi.ACTIVE_DAYS, Kpi.DUTIES_ON_TIME),
}


class KpiDaily(models.Model):
    """One person's figures of one KPI on one UTC day: ``total`` over ``count`` (seconds summed over
    conversations, or posts on plan over posts published), so any period or group adds up exactly."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kpi = models.CharField(_("KPI"), max_length=40, choices=Kpi.choices)
    day = models.DateField(_("day"))
    total = models.FloatField(_("total"), default=0)
    count = models.PositiveIntegerField(_("count"), default=0)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("daily KPI figure")
        verbose_name_plural = _("daily KPI figures")
        constraints = (
            models.UniqueConstraint(fields=("workspace", "user", "kpi", "day"), name="adoption_kpi_daily_unique"),
        )
        indexes = (models.Index(fields=("workspace", "day", "kpi"), name="adoption_kpi_ws_day"),)

    def __str__(self) -> str:
        return f"{self.user_id} {self.kpi} {self.day}: {self.total}/{self.count}"


class KpiTarget(models.Model):
    """The hub's target for one KPI of one role; ``direction`` says whether above or below is good."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    kpi = models.CharField(_("KPI"), max_length=40, choices=Kpi.choices)
    target = models.FloatField(_("target"))
    direction = models.CharField(_("direction"), max_length=6, choices=Direction.choices)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("KPI target")
        verbose_name_plural = _("KPI targets")
        ordering = ("role", "kpi")
        constraints = (models.UniqueConstraint(fields=("workspace", "role", "kpi"), name="adoption_target_unique"),)

    def __str__(self) -> str:
        return f"{self.role} {self.kpi} {self.direction} {self.target}"


class ScorecardVisibility(models.TextChoices):
    SELF = "self", _("Each person sees only their own scorecard")
    MANAGERS = "managers", _("Managers (who may see adoption) see everyone's")
    EVERYONE = "everyone", _("Everyone in the workspace sees everyone's")


class AdoptionSettings(models.Model):
    """A workspace's privacy of people data and its dormancy threshold."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="+")
    scorecard_visibility = models.CharField(
        _("who may see whose scorecard"),
        max_length=10,
        choices=ScorecardVisibility.choices,
        default=ScorecardVisibility.MANAGERS,
    )
    dormant_days = models.PositiveSmallIntegerField(_("dormant after (days without activity)"), default=14)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("adoption settings")
        verbose_name_plural = _("adoption settings")

    def __str__(self) -> str:
        return f"{self.workspace_id}: {self.scorecard_visibility}"


class ChecklistItem(models.Model):
    """One step of the workspace's onboarding checklist for new members of a role (blank role: everyone)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices, blank=True)
    title = models.CharField(_("step"), max_length=200)
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("onboarding step")
        verbose_name_plural = _("onboarding steps")
        ordering = ("position", "id")

    def __str__(self) -> str:
        return self.title


class ChecklistCompletion(models.Model):
    """A member ticked one onboarding step."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(ChecklistItem, on_delete=models.CASCADE, related_name="completions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    completed_at = models.DateTimeField(_("completed"))

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("completed onboarding step")
        verbose_name_plural = _("completed onboarding steps")
        constraints = (models.UniqueConstraint(fields=("item", "user"), name="adoption_checklist_done_once"),)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.item_id}"


class Cadence(models.TextChoices):
    DAILY = "daily", _("Every day")
    WEEKLY = "weekly", _("Every week")
    MONTHLY = "monthly", _("Every month")


class Duty(models.Model):
    """A recurring duty of the workspace's playbook, owned by a role: everywhere (no region) or in one region.

    ``raci_task_id`` is the plain id of the strategy RACI task it was seeded from (apps do not share tables);
    a job turns each duty into a checklist item per owner and period (:class:`DutyItem`)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(_("owned by role"), max_length=32, choices=Role.choices)
    title = models.CharField(_("duty"), max_length=200)
    cadence = models.CharField(_("how often"), max_length=10, choices=Cadence.choices, default=Cadence.WEEKLY)
    raci_task_id = models.PositiveBigIntegerField(_("RACI task"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("playbook duty")
        verbose_name_plural = _("playbook duties")
        ordering = ("role", "title", "id")
        indexes = (models.Index(fields=("workspace", "region"), name="adoption_duty_ws_region"),)

    def __str__(self) -> str:
        return self.title


class DutyItem(models.Model):
    """One checklist item: a duty for one person in one period (day, ISO week or month), due on its last day."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    duty = models.ForeignKey(Duty, on_delete=models.CASCADE, related_name="items")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    period_start = models.DateField(_("from"))
    due_on = models.DateField(_("due"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("duty checklist item")
        verbose_name_plural = _("duty checklist items")
        constraints = (
            models.UniqueConstraint(fields=("duty", "user", "period_start"), name="adoption_duty_item_once"),
        )
        indexes = (
            models.Index(fields=("workspace", "due_on"), name="adoption_duty_item_due"),
            models.Index(fields=("workspace", "user", "due_on"), name="adoption_duty_item_user"),
        )

    def __str__(self) -> str:
        return f"{self.duty_id} {self.user_id} {self.due_on}"


class AdoptedKind(models.TextChoices):
    POST = "post", _("post")
    SAVED_REPLY = "saved_reply", _("saved reply")
    PLAYBOOK = "playbook", _("playbook")


class AdoptedCopy(models.Model):
    """ "Adopt this": a post, saved reply or region's playbook copied into another region, with attribution.

    ``source_id`` and ``copy_ids`` are plain ids of the other app's rows (a post, a saved reply) or of this
    app's duties; the source's title and region name are kept so the attribution survives their removal."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=AdoptedKind.choices)
    source_id = models.PositiveBigIntegerField(_("original"))
    source_title = models.CharField(_("original"), max_length=200)
    source_region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    source_region_name = models.CharField(_("from region"), max_length=200)
    target_region = models.ForeignKey(Region, on_delete=models.CASCADE, related_name="+")
    copy_ids = models.JSONField(_("copies"), default=list)
    adopted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("adopted"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("adopted copy")
        verbose_name_plural = _("adopted copies")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.kind} {self.source_id} → {self.target_region_id}"
