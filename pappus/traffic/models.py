"""Visits to the brand's own landing pages, recorded by Pappus' first-party pixel or imported from a
web-analytics export.

A :class:`Site` is one web site that embeds the pixel; its key (public, in the page's HTML) names the
workspace. A :class:`Visit` is one visitor's session on a site: started by a page view, continued by
the same visitor (an HMAC of site, address, browser and day; the address is never stored) within 30
minutes, with its landing page, the tracked link it came through (when its parameters or a click
just before say so) and how many pages it viewed and conversions it made. :class:`ImportedTraffic`
holds the daily figures of a landing page from an uploaded CSV, one row per day and page (a later
import replaces them).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pappus.core.models import Workspace, WorkspaceManager


class Site(models.Model):
    """A web site whose pages embed the pixel; ``key`` is public and identifies the workspace."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    key = models.CharField(_("site key"), max_length=40, unique=True)
    # Empty: any host; otherwise page views from other hosts are ignored (someone copying the snippet).
    hosts = models.JSONField(_("allowed hosts"), default=list, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("web traffic site")
        verbose_name_plural = _("web traffic sites")

    def __str__(self) -> str:
        return self.name


class Visit(models.Model):
    """One visitor's session on a site (no cookie: the visitor key, 30 minutes of inactivity end it)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="visits")
    visitor = models.CharField(_("visitor key"), max_length=32)
    day = models.DateField(_("day"))
    started_at = models.DateTimeField(_("started"))
    last_seen_at = models.DateTimeField(_("last seen"))
    landing_url = models.CharField(_("landing page"), max_length=500)
    # The tracked link (publishing) the visit came through; plain ids, publishing owns those rows.
    link_id = models.PositiveBigIntegerField(_("tracked link"), null=True, blank=True)
    post_id = models.PositiveBigIntegerField(_("post"), null=True, blank=True)
    network = models.CharField(_("network"), max_length=20, blank=True)
    utm_source = models.CharField("utm_source", max_length=200, blank=True)
    utm_medium = models.CharField("utm_medium", max_length=200, blank=True)
    utm_campaign = models.CharField("utm_campaign", max_length=200, blank=True)
    referrer_host = models.CharField(_("referrer"), max_length=255, blank=True)
    language = models.CharField(_("language"), max_length=12, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    page_views = models.PositiveIntegerField(_("page views"), default=0)
    conversions = models.PositiveIntegerField(_("conversions"), default=0)
    # Hits counted in the current minute: above the limit a visitor's hits are refused (429).
    rate_minute = models.DateTimeField(_("rate window"))
    rate_hits = models.PositiveIntegerField(_("hits in the window"), default=0)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        indexes = (
            models.Index(fields=("workspace", "day"), name="traffic_visit_ws_day"),
            models.Index(fields=("site", "visitor", "last_seen_at"), name="traffic_visit_visitor"),
        )

    def __str__(self) -> str:
        return f"{self.landing_url} at {self.started_at:%Y-%m-%d %H:%M}"


class ImportStatus(models.TextChoices):
    PREVIEW = "preview", _("Waiting for its columns")
    IMPORTED = "imported", _("Imported")


class TrafficImport(models.Model):
    """An uploaded web-analytics CSV: kept (as text) until its columns are chosen, then imported."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    file_name = models.CharField(_("file"), max_length=200)
    content = models.TextField(_("content"))
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PREVIEW)
    mapping = models.JSONField(_("columns"), default=dict, blank=True)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_stored = models.PositiveIntegerField(_("rows stored"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)  # [{"row": n, "message": "..."}]
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    imported_at = models.DateTimeField(_("imported"), null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("web analytics import")
        verbose_name_plural = _("web analytics imports")

    def __str__(self) -> str:
        return self.file_name


class ImportedTraffic(models.Model):
    """A landing page's figures of one day from a web-analytics export; a later import replaces them."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    landing_url = models.CharField(_("landing page"), max_length=500)
    sessions = models.PositiveIntegerField(_("sessions"))
    bounces = models.PositiveIntegerField(_("bounces"))
    conversions = models.PositiveIntegerField(_("conversions"))
    source_import = models.ForeignKey(
        TrafficImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("import")
    )

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("imported traffic")
        verbose_name_plural = _("imported traffic")
        constraints = (
            models.UniqueConstraint(fields=("workspace", "day", "landing_url"), name="traffic_imported_day_page"),
        )

    def __str__(self) -> str:
        return f"{self.landing_url} on {self.day}"
