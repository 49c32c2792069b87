"""Strategy rows: brand profile, competitors, audiences, programs and their revisions, campaigns,
KPIs with dated measurements, risks, RACI assignments, weekly reviews, templates and the
generated strategy document.

Every row belongs to one workspace (``WorkspaceManager``: lookups go through ``for_workspace``).
People (owners, RACI members) are users who are members of that workspace; the services check it.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from pappus.core.models import Region, Workspace, WorkspaceManager


class BrandProfile(models.Model):
    """Who the brand is and how it speaks: one per workspace."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="brand_profile")
    identity = models.TextField(_("identity"), blank=True)
    value_proposition = models.TextField(_("value proposition"), blank=True)
    unique_selling_proposition = models.TextField(_("unique selling proposition"), blank=True)
    tone_of_voice = models.TextField(_("tone of voice"), blank=True)
    products_and_services = models.TextField(_("products and services"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("brand profile")
        verbose_name_plural = _("brand profiles")

    def __str__(self) -> str:
        return str(_("Brand profile"))


class Competitor(models.Model):
    """A competitor and what the team knows about it.

    ``listening_topic_id`` is a plain id of a ``pappus.listening`` topic (kind "competitor"), not a
    foreign key: apps do not reach into each other's tables (ARCHITECTURE.md), and a topic removed
    in listening must not remove the competitor. Share of voice is measured from that topic's
    mentions in listening's rollups (``measured.share_of_voice``).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    notes = models.TextField(_("notes"), blank=True)
    listening_topic_id = models.PositiveBigIntegerField(_("listening topic"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("competitor")
        verbose_name_plural = _("competitors")
        ordering = ("name",)
        constraints = (models.UniqueConstraint(fields=("workspace", "name"), name="strategy_competitor_unique_name"),)

    def __str__(self) -> str:
        return self.name


class Audience(models.Model):
    """A persona or segment: who they are, where they are, what they want and on which networks.

    ``sub_targets`` lists what the audience should do per product (``[{"product", "target"}]``);
    ``planned_profile`` is the profile the team aims at (``{"age": "25-34", ...}``). The measured
    profile is not stored: the audiences page reads it from listening and analytics (``measured.py``).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    who = models.TextField(_("who they are"), blank=True)
    where = models.TextField(_("where they are"), blank=True)
    wants = models.TextField(_("what they want"), blank=True)
    networks = models.JSONField(_("networks"), default=list, blank=True)
    sub_targets = models.JSONField(_("sub-targets per product"), default=list, blank=True)
    planned_profile = models.JSONField(_("planned profile"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("audience")
        verbose_name_plural = _("audiences")
        ordering = ("name",)
        constraints = (models.UniqueConstraint(fields=("workspace", "name"), name="strategy_audience_unique_name"),)

    def __str__(self) -> str:
        return self.name


class ProgramStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    COMPLETED = "completed", _("Completed")
    ARCHIVED = "archived", _("Archived")


class Program(models.Model):
    """A long-lived, revisable line of work with grand goals; it holds campaigns.

    Changes after creation are revisions: each one is a :class:`ProgramRevision` row with the
    fields before and after and the reason given.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    goals = models.TextField(_("goals"), blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("status"), max_length=16, choices=ProgramStatus.choices, default=ProgramStatus.DRAFT)
    budget_planned = models.DecimalField(_("planned budget"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("programs")
        ordering = ("starts_on", "name")
        constraints = (
            models.UniqueConstraint(fields=("workspace", "name"), name="strategy_program_unique_name"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="strategy_program_dates"
            ),
        )

    def __str__(self) -> str:
        return self.name


class ProgramRevision(models.Model):
    """One revision of a program: which fields changed (before → after), why, by whom and when."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="revisions")
    number = models.PositiveIntegerField(_("revision"))
    reason = models.TextField(_("reason"))
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("program revision")
        verbose_name_plural = _("program revisions")
        ordering = ("program", "-number")
        constraints = (models.UniqueConstraint(fields=("program", "number"), name="strategy_revision_unique_number"),)

    def __str__(self) -> str:
        return f"{self.program} #{self.number}"


class CampaignStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    RUNNING = "running", _("Running")
    FINISHED = "finished", _("Finished")
    CANCELLED = "cancelled", _("Cancelled")


class Campaign(models.Model):
    """A fixed project inside a program: dates, networks, budget, owner and concrete targets.

    ``budget_spent`` is entered by hand (or through the API): what was spent outside the ads
    module, or everything when ``count_ads_spend`` is off. With ``count_ads_spend`` on (the default),
    the campaign's cost is that plus what its linked paid campaigns in ``pappus.ads`` spent over its
    dates (``selectors.campaign_costs``). Posts and ads refer to a campaign by
    its id through ``pappus.strategy.facade``. ``listening_topic_ids`` are plain ids of the
    ``pappus.listening`` topics that follow the campaign's conversation (not foreign keys, as for a
    competitor's topic): their mentions and sentiment show on the campaign's page and measure its
    mentions, share of voice and sentiment KPIs.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.PROTECT, related_name="campaigns")
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    networks = models.JSONField(_("networks"), default=list, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.PLANNED
    )
    budget_planned = models.DecimalField(_("planned budget"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    budget_committed = models.DecimalField(
        _("committed budget"), max_digits=14, decimal_places=2, default=Decimal("0.00")
    )
    budget_spent = models.DecimalField(_("spent budget"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    count_ads_spend = models.BooleanField(
        _("add spend from the ads module"),
        default=True,
        help_text=_(
            "On: the campaign's cost is the spend entered here plus what its paid campaigns spent. "
            "Off: the spend entered here is the whole cost (for teams that enter ad spend by hand)."
        ),
    )
    listening_topic_ids = models.JSONField(_("listening topics"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ("starts_on", "name")
        constraints = (
            models.UniqueConstraint(fields=("workspace", "name"), name="strategy_campaign_unique_name"),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")), name="strategy_campaign_dates"
            ),
        )

    def __str__(self) -> str:
        return self.name


class KpiDirection(models.TextChoices):
    INCREASE = "increase", _("Higher is better")
    DECREASE = "decrease", _("Lower is better")


class Kpi(models.Model):
    """A numeric goal of a program or a campaign (exactly one of the two).

    ``metric_key`` names the metric (see ``pappus.strategy.metrics.METRIC_KEYS``). Actual values
    are :class:`KpiMeasurement` rows, recorded by hand, through the API, or every night from
    analytics (``services.kpi_record_from_analytics``) for the metrics analytics measures.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(Program, null=True, blank=True, on_delete=models.CASCADE, related_name="kpis")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="kpis")
    name = models.CharField(_("name"), max_length=200)
    metric_key = models.CharField(_("metric"), max_length=40)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    direction = models.CharField(
        _("direction"), max_length=10, choices=KpiDirection.choices, default=KpiDirection.INCREASE
    )
    baseline = models.DecimalField(_("baseline"), max_digits=18, decimal_places=4, default=Decimal(0))
    target = models.DecimalField(_("target"), max_digits=18, decimal_places=4)
    starts_on = models.DateField(_("starts on"))
    deadline = models.DateField(_("deadline"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        ordering = ("deadline", "name")
        constraints = (
            models.CheckConstraint(
                condition=models.Q(program__isnull=True, campaign__isnull=False)
                | models.Q(program__isnull=False, campaign__isnull=True),
                name="strategy_kpi_program_or_campaign",
            ),
            models.CheckConstraint(condition=models.Q(deadline__gt=models.F("starts_on")), name="strategy_kpi_dates"),
        )

    def __str__(self) -> str:
        return self.name


class MeasurementSource(models.TextChoices):
    MANUAL = "manual", _("Entered by hand")
    API = "api", _("Sent through the API")
    ANALYTICS = "analytics", _("From analytics")
    LISTENING = "listening", _("From listening")


class KpiMeasurement(models.Model):
    """The actual value of a KPI on one date (one value per KPI and date)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="measurements")
    measured_on = models.DateField(_("date"))
    value = models.DecimalField(_("value"), max_digits=18, decimal_places=4)
    source = models.CharField(
        _("source"), max_length=16, choices=MeasurementSource.choices, default=MeasurementSource.MANUAL
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("KPI measurement")
        verbose_name_plural = _("KPI measurements")
        ordering = ("kpi", "measured_on")
        constraints = (models.UniqueConstraint(fields=("kpi", "measured_on"), name="strategy_measurement_one_per_day"),)

    def __str__(self) -> str:
        return f"{self.kpi} {self.measured_on}: {self.value}"


class RiskStatus(models.TextChoices):
    OPEN = "open", _("Open")
    MITIGATED = "mitigated", _("Mitigated")
    CLOSED = "closed", _("Closed")


class Risk(models.Model):
    """Something that could go wrong: likelihood and impact on a 1-5 scale, and the mitigation."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(Program, null=True, blank=True, on_delete=models.CASCADE, related_name="risks")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="risks")
    title = models.CharField(_("risk"), max_length=200)
    likelihood = models.PositiveSmallIntegerField(
        _("likelihood"), validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    impact = models.PositiveSmallIntegerField(_("impact"), validators=[MinValueValidator(1), MaxValueValidator(5)])
    mitigation = models.TextField(_("mitigation"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("status"), max_length=16, choices=RiskStatus.choices, default=RiskStatus.OPEN)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("risk")
        verbose_name_plural = _("risks")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return self.title

    @property
    def score(self) -> int:
        """Likelihood x impact, 1-25."""
        return self.likelihood * self.impact


class RaciAssignment(models.Model):
    """Who does what for one task: Responsible, Accountable (one person), Consulted, Informed."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(Program, null=True, blank=True, on_delete=models.CASCADE, related_name="raci")
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="raci")
    task = models.CharField(_("task"), max_length=200)
    responsible = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+", verbose_name=_("responsible"))
    accountable = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("accountable"),
    )
    consulted = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", blank=True, verbose_name=_("consulted")
    )
    informed = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", blank=True, verbose_name=_("informed")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("RACI assignment")
        verbose_name_plural = _("RACI assignments")
        ordering = ("task",)

    def __str__(self) -> str:
        return self.task


class WeeklyReview(models.Model):
    """A plan-versus-actual review of one week: the statuses as they were, and the decision taken."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    week_starting = models.DateField(_("week starting"))
    findings = models.JSONField(_("findings"), default=list, blank=True)
    decision = models.TextField(_("decision"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("weekly review")
        verbose_name_plural = _("weekly reviews")
        ordering = ("-week_starting", "-created_at")

    def __str__(self) -> str:
        return f"{self.week_starting}"


class TemplateKind(models.TextChoices):
    PRODUCT_LAUNCH = "product_launch", _("Product launch")
    BRAND_AWARENESS = "brand_awareness", _("Brand awareness")
    COMMUNITY_GROWTH = "community_growth", _("Community growth")
    CRISIS_RECOVERY = "crisis_recovery", _("Crisis recovery")


class StrategyTemplate(models.Model):
    """A starting point for a program and its first campaign, KPIs and risks.

    The four built-in kinds are copied into a workspace on first use; the hub edits its copy and
    shares it with regions (``shared_with``): members of those regions see it and start from it.
    ``content`` holds the goals, campaign, KPIs and risks (see ``pappus.strategy.starters``).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("kind"), max_length=32, choices=TemplateKind.choices)
    name = models.CharField(_("name"), max_length=200)
    content = models.JSONField(_("content"), default=dict)
    shared_with = models.ManyToManyField(Region, blank=True, related_name="+", verbose_name=_("shared with"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("strategy template")
        verbose_name_plural = _("strategy templates")
        ordering = ("name",)
        constraints = (models.UniqueConstraint(fields=("workspace", "name"), name="strategy_template_unique_name"),)

    def __str__(self) -> str:
        return self.name


class StrategyDocument(models.Model):
    """One generation of the strategy document: Markdown and PDF, numbered per workspace."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    version = models.PositiveIntegerField(_("version"))
    language = models.CharField(_("language"), max_length=10)
    markdown = models.TextField(_("Markdown"))
    pdf = models.BinaryField(_("PDF"))
    generated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("generated"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("strategy document")
        verbose_name_plural = _("strategy documents")
        ordering = ("-version",)
        constraints = (
            models.UniqueConstraint(fields=("workspace", "version"), name="strategy_document_unique_version"),
        )

    def __str__(self) -> str:
        return f"v{self.version}"
