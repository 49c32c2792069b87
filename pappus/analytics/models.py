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

from pappus.core.models import Workspace, WorkspaceManager


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
        indexes = (models.Index(fields=("workspace", "hour"), name="analytics_post_snap_ws_hour"),)

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
    """An account's counters at the end of one UTC day: its last snapshot of that day."""

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
    """What posts gained on one UTC day, by network, region, content type and pillar.

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
