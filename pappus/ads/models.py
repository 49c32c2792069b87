"""Paid campaigns: ad accounts, their campaigns, ad sets and ads, and each one's daily results.

An :class:`AdAccount` is one account in a network's ads manager (Meta, VK, Google, …); its amounts are
in the account's currency. Its :class:`AdCampaign` rows may name the strategy campaign they serve (by
id, through ``pappus.strategy.facade``); an :class:`Ad` may name the published post it boosts (by id,
publishing owns those rows). :class:`AdDaily` holds one day's figures of one campaign, ad set or ad
(``level``): at most one row per object and day, so importing the same export twice changes nothing.
:class:`ExchangeRate` converts an amount of a day into the workspace's currency.

Conversions and revenue are the network's own figures as imported (its attribution rule), not
Pappus' tracked-link attribution.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from pappus.core.models import Workspace, WorkspaceManager, validate_currency

# The largest amount and count accepted anywhere (import, form, API): far above any real ad spend,
# far below what the database columns hold.
MAX_AMOUNT = Decimal("999999999999.99")
MAX_COUNT = 10**12
# Days outside these are refused (a typo, or arithmetic that would leave the calendar).
FIRST_DAY = datetime.date(1970, 1, 1)
LAST_DAY = datetime.date(2999, 12, 31)


class Network(models.TextChoices):
    META = "meta", _("Meta (Facebook, Instagram)")
    VK = "vk", _("VK Ads")
    GOOGLE = "google", _("Google Ads")
    TIKTOK = "tiktok", _("TikTok Ads")
    LINKEDIN = "linkedin", _("LinkedIn Ads")
    YANDEX = "yandex", _("Yandex Direct")
    OTHER = "other", _("Other")


class Objective(models.TextChoices):
    AWARENESS = "awareness", _("Awareness")
    TRAFFIC = "traffic", _("Traffic")
    ENGAGEMENT = "engagement", _("Engagement")
    LEADS = "leads", _("Leads")
    SALES = "sales", _("Sales")
    OTHER = "other", _("Other")


class AdAccount(models.Model):
    """An account in a network's ads manager; amounts of its campaigns are in ``currency``."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    network = models.CharField(_("network"), max_length=20, choices=Network.choices)
    name = models.CharField(_("name"), max_length=200)
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    external_id = models.CharField(_("account id in the network"), max_length=100, blank=True)
    # A connected account (connectors) whose ads API could read this account; a plain id.
    connected_account_id = models.PositiveBigIntegerField(_("connected account"), null=True, blank=True)
    # Scheduled reads of the network's ads API: the token is a Fernet token (connectors.crypto), never shown.
    read_token = models.TextField(_("stored access token"), blank=True)
    read_level = models.CharField(_("VK Ads: read"), max_length=10, default="campaign")
    read_enabled = models.BooleanField(_("read on a schedule"), default=False)
    last_read_at = models.DateTimeField(_("last read"), null=True, blank=True)
    next_read_at = models.DateTimeField(_("next read"), null=True, blank=True)
    read_failures = models.PositiveIntegerField(_("failed reads in a row"), default=0)
    last_read_error = models.CharField(_("last read error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("ad account")
        verbose_name_plural = _("ad accounts")
        ordering = ("network", "name")
        constraints = (models.UniqueConstraint(fields=("workspace", "name"), name="ads_account_unique_name"),)

    def __str__(self) -> str:
        return self.name


class AdCampaign(models.Model):
    """A campaign in the ads manager; ``strategy_campaign_id`` is the plan's campaign it belongs to."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(AdAccount, on_delete=models.CASCADE, related_name="campaigns")
    external_id = models.CharField(_("campaign id in the network"), max_length=100, blank=True)
    name = models.CharField(_("name"), max_length=300)
    objective = models.CharField(_("objective"), max_length=20, choices=Objective.choices, default=Objective.OTHER)
    strategy_campaign_id = models.PositiveBigIntegerField(_("strategy campaign"), null=True, blank=True)
    starts_on = models.DateField(_("flight starts"), null=True, blank=True)
    ends_on = models.DateField(_("flight ends"), null=True, blank=True)
    # In the workspace's currency, like the strategy's budgets.
    budget_planned = models.DecimalField(
        _("planned budget"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(MAX_AMOUNT)],
    )
    planned_conversions = models.PositiveBigIntegerField(_("planned conversions"), null=True, blank=True)
    # The utm_campaign value of the tracked links that lead to this campaign's ads (attribution).
    utm_campaign = models.CharField(_("utm_campaign of its tracked links"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("paid campaign")
        verbose_name_plural = _("paid campaigns")
        ordering = ("name",)
        constraints = (
            models.UniqueConstraint(fields=("account", "name"), name="ads_campaign_unique_name"),
            models.CheckConstraint(
                condition=Q(starts_on__isnull=True) | Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")),
                name="ads_campaign_flight_dates",
            ),
        )

    def __str__(self) -> str:
        return self.name


class AdSet(models.Model):
    """An ad set (ad group) of a campaign: its audience and placements."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(AdCampaign, on_delete=models.CASCADE, related_name="ad_sets")
    external_id = models.CharField(_("ad set id in the network"), max_length=100, blank=True)
    name = models.CharField(_("name"), max_length=300)
    audience = models.CharField(_("audience"), max_length=300, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("ad set")
        verbose_name_plural = _("ad sets")
        ordering = ("name",)
        constraints = (models.UniqueConstraint(fields=("campaign", "name"), name="ads_adset_unique_name"),)

    def __str__(self) -> str:
        return self.name


class Ad(models.Model):
    """One ad (a creative); ``post_id`` is the published post it boosts, when it boosts one."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(AdCampaign, on_delete=models.CASCADE, related_name="ads")
    ad_set = models.ForeignKey(AdSet, on_delete=models.SET_NULL, null=True, blank=True, related_name="ads")
    external_id = models.CharField(_("ad id in the network"), max_length=100, blank=True)
    name = models.CharField(_("name"), max_length=300)
    creative = models.CharField(_("creative"), max_length=500, blank=True)
    post_id = models.PositiveBigIntegerField(_("boosted post"), null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("ad")
        verbose_name_plural = _("ads")
        ordering = ("name",)
        constraints = (models.UniqueConstraint(fields=("campaign", "name"), name="ads_ad_unique_name"),)

    def __str__(self) -> str:
        return self.name


class Level(models.TextChoices):
    CAMPAIGN = "campaign", _("Campaign")
    AD_SET = "adset", _("Ad set")
    AD = "ad", _("Ad")


class Source(models.TextChoices):
    IMPORT = "import", _("Imported")
    MANUAL = "manual", _("Entered by hand")
    API = "api", _("Read from the network's API")


class ImportStatus(models.TextChoices):
    PREVIEW = "preview", _("Waiting for its columns")
    IMPORTED = "imported", _("Imported")


class AdImport(models.Model):
    """An uploaded ads-manager CSV: kept (as text) until its columns are chosen, then imported."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(AdAccount, on_delete=models.CASCADE, related_name="imports")
    file_name = models.CharField(_("file"), max_length=200)
    content = models.TextField(_("content"))
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.PREVIEW)
    mapping = models.JSONField(_("columns"), default=dict, blank=True)
    rows_read = models.PositiveIntegerField(_("rows read"), default=0)
    rows_imported = models.PositiveIntegerField(_("rows imported"), default=0)
    rows_updated = models.PositiveIntegerField(_("rows updated"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)  # [{"row": n, "message": "..."}]
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    imported_at = models.DateTimeField(_("imported"), null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("ad results import")
        verbose_name_plural = _("ad results imports")

    def __str__(self) -> str:
        return self.file_name


class AdDaily(models.Model):
    """One day's figures of a campaign, ad set or ad (``level``), amounts in ``currency``."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(AdCampaign, on_delete=models.CASCADE, related_name="daily")
    ad_set = models.ForeignKey(AdSet, on_delete=models.CASCADE, null=True, blank=True, related_name="daily")
    ad = models.ForeignKey(Ad, on_delete=models.CASCADE, null=True, blank=True, related_name="daily")
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    day = models.DateField(_("day"))
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    spend = models.DecimalField(_("spend"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    impressions = models.PositiveBigIntegerField(_("impressions"), default=0)
    reach = models.PositiveBigIntegerField(_("reach"), default=0)
    clicks = models.PositiveBigIntegerField(_("clicks"), default=0)
    conversions = models.PositiveBigIntegerField(_("conversions"), default=0)
    revenue = models.DecimalField(_("revenue"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.IMPORT)
    source_import = models.ForeignKey(
        AdImport, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("import")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("daily ad results")
        verbose_name_plural = _("daily ad results")
        ordering = ("day",)
        indexes = (models.Index(fields=("workspace", "day"), name="ads_daily_ws_day"),)
        constraints = (
            models.UniqueConstraint(
                fields=("campaign", "day"), condition=Q(level="campaign"), name="ads_daily_campaign_day"
            ),
            models.UniqueConstraint(fields=("ad_set", "day"), condition=Q(level="adset"), name="ads_daily_adset_day"),
            models.UniqueConstraint(fields=("ad", "day"), condition=Q(level="ad"), name="ads_daily_ad_day"),
            models.CheckConstraint(
                condition=(Q(level="campaign", ad_set__isnull=True, ad__isnull=True))
                | Q(level="adset", ad_set__isnull=False, ad__isnull=True)
                | Q(level="ad", ad__isnull=False),
                name="ads_daily_level_object",
            ),
            models.CheckConstraint(condition=Q(spend__gte=0) & Q(revenue__gte=0), name="ads_daily_amounts"),
        )

    def __str__(self) -> str:
        return f"{self.campaign} {self.level} on {self.day}"


class ExchangeRate(models.Model):
    """How much one unit of ``currency`` was worth in the workspace's currency on ``day``."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    rate = models.DecimalField(
        _("rate"),
        max_digits=20,
        decimal_places=8,
        validators=[MinValueValidator(Decimal("0.00000001")), MaxValueValidator(Decimal("1000000000"))],
    )

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        ordering = ("-day", "currency")
        constraints = (
            models.UniqueConstraint(fields=("workspace", "day", "currency"), name="ads_rate_unique_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="ads_rate_positive"),
        )

    def __str__(self) -> str:
        return f"{self.currency} {self.rate} on {self.day}"


class ReallocationStatus(models.TextChoices):
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class Reallocation(models.Model):
    """A budget split proposed from the campaigns' response curves and the person's decision on it.

    ``proposal`` keeps what was shown (per campaign: current and proposed spend, expected results;
    the expected gain and its interval); ``outcome`` is recorded after the period: the results the
    campaigns actually had, to compare with what was expected."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    kpi = models.CharField(_("result to maximise"), max_length=20)
    starts_on = models.DateField(_("period starts"))
    ends_on = models.DateField(_("period ends"))
    budget = models.DecimalField(_("budget"), max_digits=14, decimal_places=2)
    proposal = models.JSONField(_("proposal"), default=dict)
    status = models.CharField(_("decision"), max_length=10, choices=ReallocationStatus.choices)
    note = models.TextField(_("note"), blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), auto_now_add=True)
    outcome = models.JSONField(_("outcome"), null=True, blank=True)
    outcome_recorded_at = models.DateTimeField(_("outcome recorded"), null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("budget reallocation")
        verbose_name_plural = _("budget reallocations")
        ordering = ("-decided_at",)

    def __str__(self) -> str:
        return f"{self.kpi} {self.starts_on} to {self.ends_on}"


class AttributionRule(models.TextChoices):
    LAST_CLICK = "last_click", _("last click")
    FIRST_CLICK = "first_click", _("first click")
    LINEAR = "linear", _("linear")


class RatioBasis(models.TextChoices):
    NETWORK = "network", _("the networks' own conversions and revenue")
    ATTRIBUTED = "attributed", _("conversions and revenue attributed from tracked links and imports")


class AdsSettings(models.Model):
    """A workspace's ads settings: the attribution rule, and which figures CPA, ROAS and ROI use."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="+")
    attribution_rule = models.CharField(
        _("attribution rule"), max_length=20, choices=AttributionRule.choices, default=AttributionRule.LAST_CLICK
    )
    ratio_basis = models.CharField(
        _("CPA, ROAS and ROI use"), max_length=20, choices=RatioBasis.choices, default=RatioBasis.NETWORK
    )
    pacing_alerts_by_email = models.BooleanField(_("e-mail pacing alerts"), default=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("ads settings")
        verbose_name_plural = _("ads settings")

    def __str__(self) -> str:
        return f"ads settings of {self.workspace_id}"


class ImportedConversion(models.Model):
    """Conversions imported from a web-analytics or shop export, with the path of utm_campaign values
    (first touch first) that led to them; ``reference`` (an order id) keeps a re-import from
    duplicating them. Amounts in ``currency``."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    path = models.JSONField(_("campaign path"), default=list)  # ["spring_sale", "", "retarget"]
    path_text = models.CharField(_("campaign path"), max_length=1000)
    conversions = models.PositiveBigIntegerField(_("conversions"), default=1)
    revenue = models.DecimalField(_("revenue"), max_digits=14, decimal_places=2, default=Decimal("0.00"))
    currency = models.CharField(_("currency"), max_length=3, validators=[validate_currency])
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    imported_at = models.DateTimeField(_("imported"), auto_now=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("imported conversion")
        verbose_name_plural = _("imported conversions")
        ordering = ("day",)
        indexes = (models.Index(fields=("workspace", "day"), name="ads_conv_ws_day"),)
        constraints = (
            models.UniqueConstraint(
                fields=("workspace", "day", "path_text", "reference"), name="ads_conversion_unique_row"
            ),
            models.CheckConstraint(condition=Q(revenue__gte=0), name="ads_conversion_revenue"),
        )

    def __str__(self) -> str:
        return f"{self.path_text} on {self.day}"


class PacingStatusChoice(models.TextChoices):
    OVER = "over_pacing", _("Over-pacing")
    UNDER = "under_pacing", _("Under-pacing")


class PacingAlert(models.Model):
    """A flight that went over or under its planned spend to date: raised once per episode (again
    only after it was back on pace, or turned the other way), shown in the app and e-mailed."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(AdCampaign, on_delete=models.CASCADE, related_name="pacing_alerts")
    day = models.DateField(_("day"))
    status = models.CharField(_("status"), max_length=20, choices=PacingStatusChoice.choices)
    actual_to_date = models.DecimalField(_("spent to date"), max_digits=14, decimal_places=2)
    planned_to_date = models.DecimalField(_("planned to date"), max_digits=14, decimal_places=2)
    resolved_on = models.DateField(_("back on pace"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    created_at = models.DateTimeField(_("raised"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("pacing alert")
        verbose_name_plural = _("pacing alerts")
        ordering = ("-day", "-id")
        constraints = (
            models.UniqueConstraint(
                fields=("campaign",), condition=Q(resolved_on__isnull=True), name="ads_pacing_alert_one_open"
            ),
        )

    def __str__(self) -> str:
        return f"{self.campaign} {self.status} on {self.day}"
