"""Metric snapshots taken from connected accounts, what each collection did, and daily rollups.

Snapshots are immutable and time-stamped: one per account (or published variant) and hour, never
changed afterwards, so growth over any period is the difference of two stored values. Account,
variant, post and region ids are plain numbers (those rows belong to connectors, publishing and
core; analytics reads them through their facades), copied with the attributes a dashboard filters
by (network, region, content type, pillar) so that no join leaves this app.

Daily rollups are derived from the snapshots (``pappus.analytics.rollups``) and can be rebuilt at
any time (``pappus manage analytics_backfill``); dashboards read only them.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from pappus.core.models import LANGUAGE_CHOICES, Workspace, WorkspaceManager


class AccountSnapshot(models.Model):
    """An account's counters at one hour (UTC), as its network reported them; None = not reported.

    ``account_id`` 0 is the demo's stand-in for an account that is not connected (the demo has none).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account_id = models.PositiveBigIntegerField(_("account"))
    network = models.CharField(_("network"), max_length=20)
    region_id = models.PositiveBigIntegerField(_("region"), null=True, blank=True)
    hour = models.DateTimeField(_("hour"))
    taken_at = models.DateTimeField(_("taken"))
    followers = models.BigIntegerField(_("followers"), null=True, blank=True)
    following = models.BigIntegerField(_("following"), null=True, blank=True)
    posts = models.BigIntegerField(_("posts"), null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("account snapshot")
        verbose_name_plural = _("account snapshots")
        constraints = (
            models.UniqueConstraint(
                fields=("workspace", "network", "account_id", "hour"), name="analytics_account_snapshot_hour"
            ),
        )
        indexes = (models.Index(fields=("workspace", "hour"), name="analytics_account_snap_ws_hour"),)

    def __str__(self) -> str:
        return f"account {self.account_id} at {self.hour:%Y-%m-%d %H:00}"


class PostSnapshot(models.Model):
    """A published variant's lifetime counters at one hour (UTC); None = the network does not report it."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account_id = models.PositiveBigIntegerField(_("account"))
    variant_id = models.PositiveBigIntegerField(_("variant"))
    post_id = models.PositiveBigIntegerField(_("post"))
    network = models.CharField(_("network"), max_length=20)
    region_id = models.PositiveBigIntegerField(_("region"), null=True, blank=True)
    content_type = models.CharField(_("content type"), max_length=20, blank=True)
    pillar = models.CharField(_("content pillar"), max_length=100, blank=True)
    remote_id = models.CharField(_("remote id"), max_length=300)
    published_at = models.DateTimeField(_("published"))
    hour = models.DateTimeField(_("hour"))
    taken_at = models.DateTimeField(_("taken"))
    impressions = models.BigIntegerField(_("impressions"), null=True, blank=True)
    reach = models.BigIntegerField(_("reach"), null=True, blank=True)
    reactions = models.BigIntegerField(_("reactions"), null=True, blank=True)
    comments = models.BigIntegerField(_("comments"), null=True, blank=True)
    shares = models.BigIntegerField(_("shares"), null=True, blank=True)
    saves = models.BigIntegerField(_("saves"), null=True, blank=True)
    video_views = models.BigIntegerField(_("video views"), null=True, blank=True)
    link_clicks = models.BigIntegerField(_("link clicks"), null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("post snapshot")
        verbose_name_plural = _("post snapshots")
        constraints = (models.UniqueConstraint(fields=("variant_id", "hour"), name="analytics_post_snapshot_hour"),)
        indexes = (
            models.Index(fields=("workspace", "hour"), name="analytics_post_snap_ws_hour"),
            # A campaign's or program's posts (``facade.campaign_figures``, ``facade.metric_value``).
            models.Index(fields=("post_id", "hour"), name="analytics_post_snap_post_hour"),
            # A post's variants found by index probes (``facade.campaign_figures``'s last snapshot before a day).
            models.Index(fields=("post_id", "variant_id"), name="analytics_post_snap_post_var"),
        )

    def __str__(self) -> str:
        return f"variant {self.variant_id} at {self.hour:%Y-%m-%d %H:00}"


POST_METRICS = ("impressions", "reach", "reactions", "comments", "shares", "saves", "video_views", "link_clicks")
ACCOUNT_METRICS = ("followers", "following", "posts")


class CollectionStatus(models.TextChoices):
    COLLECTED = "collected", _("Collected")
    PARTIAL = "partial", _("Partly collected")
    FAILED = "failed", _("Failed")


class CollectionAttempt(models.Model):
    """What the collection of one account in one hour did: kept per account, so one failure is visible
    without hiding the others. A later run in the same hour retries only when this one did not finish."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account_id = models.PositiveBigIntegerField(_("account"))
    network = models.CharField(_("network"), max_length=20)
    hour = models.DateTimeField(_("hour"))
    status = models.CharField(_("status"), max_length=10, choices=CollectionStatus.choices)
    posts_read = models.PositiveIntegerField(_("posts read"), default=0)
    posts_failed = models.PositiveIntegerField(_("posts not read"), default=0)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    attempted_at = models.DateTimeField(_("last attempt"))

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("metric collection")
        verbose_name_plural = _("metric collections")
        constraints = (models.UniqueConstraint(fields=("account_id", "hour"), name="analytics_collection_hour"),)
        indexes = (models.Index(fields=("workspace", "-hour"), name="analytics_collection_ws_hour"),)

    def __str__(self) -> str:
        return f"account {self.account_id} at {self.hour:%Y-%m-%d %H:00}: {self.status}"


class DailyAccountRollup(models.Model):
    """An account's counters at the end of one day (the workspace's, in its time zone): its last snapshot."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account_id = models.PositiveBigIntegerField(_("account"))
    network = models.CharField(_("network"), max_length=20)
    region_id = models.PositiveBigIntegerField(_("region"), null=True, blank=True)
    day = models.DateField(_("day"))
    followers = models.BigIntegerField(_("followers"), null=True, blank=True)
    following = models.BigIntegerField(_("following"), null=True, blank=True)
    posts = models.BigIntegerField(_("posts"), null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("daily account rollup")
        verbose_name_plural = _("daily account rollups")
        constraints = (
            models.UniqueConstraint(
                fields=("workspace", "network", "account_id", "day"), name="analytics_account_rollup_day"
            ),
        )
        indexes = (models.Index(fields=("workspace", "day"), name="analytics_account_roll_ws_day"),)

    def __str__(self) -> str:
        return f"account {self.account_id} on {self.day}"


class DailyPostRollup(models.Model):
    """What posts gained on one day (the workspace's, in its time zone), by network, region, content type and pillar.

    Each metric is the sum over variants of (last counter of the day - last counter before the day),
    so any period's total is the exact growth of the counters over it; None = no network reported it.
    ``posts_published`` counts the variants published that day that have snapshots.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    network = models.CharField(_("network"), max_length=20)
    region_id = models.PositiveBigIntegerField(_("region"), null=True, blank=True)
    content_type = models.CharField(_("content type"), max_length=20, blank=True)
    pillar = models.CharField(_("content pillar"), max_length=100, blank=True)
    posts_published = models.PositiveIntegerField(_("posts published"), default=0)
    impressions = models.BigIntegerField(_("impressions"), null=True, blank=True)
    reach = models.BigIntegerField(_("reach"), null=True, blank=True)
    reactions = models.BigIntegerField(_("reactions"), null=True, blank=True)
    comments = models.BigIntegerField(_("comments"), null=True, blank=True)
    shares = models.BigIntegerField(_("shares"), null=True, blank=True)
    saves = models.BigIntegerField(_("saves"), null=True, blank=True)
    video_views = models.BigIntegerField(_("video views"), null=True, blank=True)
    link_clicks = models.BigIntegerField(_("link clicks"), null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("daily post rollup")
        verbose_name_plural = _("daily post rollups")
        indexes = (models.Index(fields=("workspace", "day"), name="analytics_post_roll_ws_day"),)

    def __str__(self) -> str:
        return f"{self.network} on {self.day}"


class ReportKind(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class ReportSchedule(models.Model):
    """A report that writes itself: every period of ``kind`` (the day, ISO week or calendar month just
    ended, in the workspace's time zone) one report over the workspace or a region with its spokes, e-mailed to
    ``recipients`` in ``language`` (blank: the workspace's language) and kept in the archive."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=ReportKind.choices)
    region = models.ForeignKey(
        "core.Region", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("region")
    )
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=LANGUAGE_CHOICES, blank=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("report schedule")
        verbose_name_plural = _("report schedules")
        ordering = ("name", "id")

    def __str__(self) -> str:
        return self.name


class ReportStatus(models.TextChoices):
    GENERATING = "generating", _("Being generated")
    READY = "ready", _("Ready")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class Report(models.Model):
    """One generated report: its period, scope and language, the HTML (with SVG charts) and the PDF,
    and to whom it went. A scheduled report is unique per schedule, kind and period, so a repeated
    scheduler run finds it instead of making (and sending) it again; a report made on demand has no
    schedule."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    schedule = models.ForeignKey(
        ReportSchedule, on_delete=models.SET_NULL, null=True, blank=True, related_name="reports"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ReportKind.choices)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    region_id = models.PositiveBigIntegerField(_("region"), null=True, blank=True)
    scope_name = models.CharField(_("scope"), max_length=200)
    language = models.CharField(_("language"), max_length=10)
    status = models.CharField(_("status"), max_length=12, choices=ReportStatus.choices, default=ReportStatus.GENERATING)
    failure = models.TextField(_("failure"), blank=True)
    recipients = models.JSONField(_("recipients"), default=list, blank=True)
    delivered_to = models.JSONField(_("delivered to"), default=list, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    attempted_at = models.DateTimeField(_("last attempt"), null=True, blank=True)
    html = models.TextField(_("HTML"), blank=True)  # the report as a page, its charts as SVG (also the PDF's source)
    email_html = models.TextField(_("e-mail HTML"), blank=True)  # its charts as cid: images
    text = models.TextField(_("plain text"), blank=True)
    chart_specs = models.JSONField(
        _("charts"), default=dict, blank=True
    )  # content id → Vega-Lite spec (PNG at sending)
    pdf = models.BinaryField(_("PDF"), blank=True, default=b"")
    pdf_pages = models.PositiveSmallIntegerField(_("PDF pages"), default=0)
    generation_seconds = models.FloatField(_("generation time (s)"), null=True, blank=True)
    requested_by_id = models.PositiveBigIntegerField(_("requested by"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    generated_at = models.DateTimeField(_("generated"), null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        constraints = (
            models.UniqueConstraint(fields=("schedule", "kind", "first_day"), name="analytics_report_once_per_period"),
        )
        indexes = (models.Index(fields=("workspace", "-created_at"), name="analytics_report_ws_created"),)

    def __str__(self) -> str:
        return f"{self.kind} report {self.first_day} to {self.last_day}"
