"""Sources, topics, mentions and the accounting of every ingest run."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pappus.core.models import Region, Workspace, WorkspaceManager
from pappus.listening.query import QuerySyntaxError, validate


def validate_topic_query(value: str) -> None:
    """Reject a topic query that does not parse, saying where and what was expected."""
    try:
        validate(value)
    except QuerySyntaxError as error:
        raise ValidationError(
            _("Position %(position)s: %(detail)s"),
            code="query_syntax",
            params={"position": error.position, "detail": error.detail},
        ) from error


class SourceKind(models.TextChoices):
    RSS = "rss", _("RSS or Atom feed")
    FILE = "file", _("File import")
    WEBHOOK = "webhook", _("Inbound webhook")
    # A connected account's search (hashtag or words) through pappus.connectors: network_sources.py.
    CONNECTOR = "connector", _("Network connector")


class Source(models.Model):
    """Where mentions come from: a feed, a file import, a webhook or a connected network.

    The health fields say how polling went; ``etag`` and ``last_modified`` are the validators
    of the last response, sent back on the next poll so an unchanged feed costs one 304.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="listening_sources")
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="listening_sources"
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=SourceKind.choices)
    url = models.URLField(_("address"), max_length=2000, blank=True)
    config = models.JSONField(_("settings"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    poll_interval_seconds = models.PositiveIntegerField(_("poll every (seconds)"), default=900)
    etag = models.CharField(max_length=500, blank=True)
    last_modified = models.CharField(max_length=100, blank=True)
    last_polled_at = models.DateTimeField(_("last polled"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0)
    next_poll_at = models.DateTimeField(_("next poll"), null=True, blank=True)
    # The unguessable part of an inbound webhook's address (/hooks/listening/<token>/); empty otherwise.
    token = models.CharField(_("webhook token"), max_length=64, blank=True, default="")
    # Every mention of this source becomes an inbox conversation (pappus.listening.handover).
    send_to_inbox = models.BooleanField(
        _("send to inbox"),
        default=False,
        help_text=_("Every mention from this source becomes a conversation in the inbox."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        ordering = ("name",)
        constraints = (
            models.UniqueConstraint(fields=("workspace", "name"), name="listening_source_unique_name"),
            models.UniqueConstraint(
                fields=("token",), condition=~models.Q(token=""), name="listening_source_unique_token"
            ),
        )
        indexes = (models.Index(fields=("is_active", "next_poll_at"), name="listening_source_due"),)

    def __str__(self) -> str:
        return self.name


class TopicKind(models.TextChoices):
    BRAND = "brand", _("Brand")
    PRODUCT = "product", _("Product")
    COMPETITOR = "competitor", _("Competitor")
    CAMPAIGN = "campaign", _("Campaign")


class Topic(models.Model):
    """What to listen for: a boolean query (see ``pappus.listening.query``) over every mention."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="listening_topics")
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=TopicKind.choices, default=TopicKind.BRAND)
    query = models.TextField(_("query"), validators=[validate_topic_query])
    is_active = models.BooleanField(_("active"), default=True)
    # Every mention this topic matches becomes an inbox conversation (pappus.listening.handover).
    send_to_inbox = models.BooleanField(
        _("send to inbox"),
        default=False,
        help_text=_("Every mention this topic matches becomes a conversation in the inbox."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ("name",)
        constraints = (models.UniqueConstraint(fields=("workspace", "name"), name="listening_topic_unique_name"),)

    def __str__(self) -> str:
        return self.name


class RunStatus(models.TextChoices):
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    NOT_MODIFIED = "not_modified", _("Not modified")
    FAILED = "failed", _("Failed")


class IngestRun(models.Model):
    """One pass of a source through the pipeline; ``received = stored + duplicates + rejected``."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(_("status"), max_length=20, choices=RunStatus.choices, default=RunStatus.RUNNING)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    received = models.PositiveIntegerField(_("received"), default=0)
    stored = models.PositiveIntegerField(_("stored"), default=0)
    duplicates = models.PositiveIntegerField(_("duplicates"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    http_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("ingest run")
        verbose_name_plural = _("ingest runs")
        ordering = ("-started_at", "-id")
        indexes = (models.Index(fields=("source", "-started_at"), name="listening_run_source_time"),)

    def __str__(self) -> str:
        return f"{self.source} {self.started_at:%Y-%m-%d %H:%M}"

    @property
    def is_balanced(self) -> bool:
        return self.received == self.stored + self.duplicates + self.rejected


class Sentiment(models.TextChoices):
    POSITIVE = "positive", _("Positive")
    NEUTRAL = "neutral", _("Neutral")
    NEGATIVE = "negative", _("Negative")


class EnrichmentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Done")
    UNAVAILABLE = "unavailable", _("Language analysis not available yet")


class Mention(models.Model):
    """One normalized item said somewhere: a post, article, comment or review.

    ``raw`` keeps the payload as received so that enrichment and matching can be re-run.
    ``content_hash`` groups near-duplicates and reposts; ``duplicate_of`` points at the first
    mention stored with the same hash (None for the first one itself).
    """

    # Few indexes, as every one is kept up on each insert (listening.md, "Benchmarks"): reads go
    # through the composite indexes below, which all start with the workspace, and the unique
    # key (workspace, source, external id); the single-column ones Django would add are left out.
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", db_index=False)
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="mentions", db_index=False)
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    ingest_run = models.ForeignKey(
        IngestRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    network = models.CharField(_("network"), max_length=40)
    external_id = models.CharField(_("external id"), max_length=500)
    url = models.URLField(_("address"), max_length=2000, blank=True)
    author_handle = models.CharField(_("author handle"), max_length=200, blank=True)
    author_name = models.CharField(_("author name"), max_length=300, blank=True)
    author_followers = models.PositiveBigIntegerField(_("author followers"), null=True, blank=True)
    author_url = models.URLField(_("author profile"), max_length=2000, blank=True)
    title = models.CharField(_("title"), max_length=500, blank=True)
    text = models.TextField(_("text"), blank=True)
    language = models.CharField(_("language"), max_length=16, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    fetched_at = models.DateTimeField(_("fetched"), default=timezone.now)
    like_count = models.PositiveBigIntegerField(_("likes"), default=0)
    share_count = models.PositiveBigIntegerField(_("shares"), default=0)
    comment_count = models.PositiveBigIntegerField(_("comments"), default=0)
    view_count = models.PositiveBigIntegerField(_("views"), default=0)
    reach_estimate = models.PositiveBigIntegerField(_("estimated reach"), null=True, blank=True)
    thread_parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies", db_index=False
    )
    parent_external_id = models.CharField(_("parent external id"), max_length=500, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    media = models.JSONField(_("media"), default=list, blank=True)
    raw = models.JSONField(_("raw payload"), default=dict, blank=True)
    content_hash = models.CharField(_("content hash"), max_length=32, blank=True)
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="near_duplicates", db_index=False
    )
    enrichment_status = models.CharField(
        _("enrichment"), max_length=20, choices=EnrichmentStatus.choices, default=EnrichmentStatus.PENDING
    )
    enrichment_model = models.CharField(_("enrichment model"), max_length=100, blank=True)
    sentiment = models.CharField(_("sentiment"), max_length=10, choices=Sentiment.choices, blank=True)
    sentiment_score = models.FloatField(_("sentiment score"), null=True, blank=True)
    intent = models.CharField(_("intent"), max_length=40, blank=True)
    toxicity = models.FloatField(_("toxicity"), null=True, blank=True)
    # Likes + shares + comments, kept for the "most engaged" order.
    engagement = models.PositiveBigIntegerField(_("engagement"), default=0)
    # The indexed form of title and text (pappus.listening.fulltext): FTS5 on SQLite, GIN on PostgreSQL.
    search_text = models.TextField(blank=True, default="", editable=False)
    created_at = models.DateTimeField(_("stored"), default=timezone.now)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("mention")
        verbose_name_plural = _("mentions")
        ordering = ("-published_at", "-id")
        constraints = (
            models.UniqueConstraint(
                fields=("workspace", "source", "external_id"), name="listening_mention_unique_external_id"
            ),
        )
        indexes = (
            models.Index(fields=("workspace", "-published_at"), name="listening_mention_time"),
            models.Index(fields=("workspace", "language", "-published_at"), name="listening_mention_language"),
            models.Index(fields=("workspace", "sentiment", "-published_at"), name="listening_mention_sentiment"),
            models.Index(fields=("workspace", "country", "-published_at"), name="listening_mention_country"),
            models.Index(fields=("workspace", "author_handle"), name="listening_mention_author"),
            models.Index(fields=("workspace", "content_hash"), name="listening_mention_content"),
            models.Index(fields=("workspace", "-engagement", "-id"), name="listening_mention_engagement"),
            # Most mentions are no reply and no near-duplicate: only the others are indexed (deleting
            # a mention clears the links that point at it).
            models.Index(
                fields=("thread_parent",),
                condition=models.Q(thread_parent__isnull=False),
                name="listening_mention_reply",
            ),
            models.Index(
                fields=("duplicate_of",),
                condition=models.Q(duplicate_of__isnull=False),
                name="listening_mention_repost",
            ),
        )

    def __str__(self) -> str:
        return (self.title or self.text)[:80] or self.external_id


class MentionTopic(models.Model):
    """A mention matched by a topic's query; ``published_at`` is copied for per-topic time filters."""

    # The unique key (mention, topic) and the (workspace, topic, time) index serve every read.
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", db_index=False)
    mention = models.ForeignKey(Mention, on_delete=models.CASCADE, related_name="topic_matches", db_index=False)
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="mention_matches")
    published_at = models.DateTimeField(null=True, blank=True)
    matched_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("topic match")
        verbose_name_plural = _("topic matches")
        constraints = (models.UniqueConstraint(fields=("mention", "topic"), name="listening_mention_topic_unique"),)
        indexes = (models.Index(fields=("workspace", "topic", "-published_at"), name="listening_match_topic_time"),)

    def __str__(self) -> str:
        return f"{self.topic_id} ← {self.mention_id}"


class RejectedItem(models.Model):
    """An item the pipeline could not store, kept with its reason so it can be retried after a fix."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="rejected_items")
    run = models.ForeignKey(IngestRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="rejected_items")
    stage = models.CharField(_("stage"), max_length=20)
    reason = models.TextField(_("reason"))
    raw = models.JSONField(_("raw payload"), default=dict, blank=True)
    created_at = models.DateTimeField(_("rejected"), default=timezone.now)
    retried_at = models.DateTimeField(_("retried"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("rejected item")
        verbose_name_plural = _("rejected items")
        ordering = ("-created_at", "-id")
        indexes = (models.Index(fields=("workspace", "source", "-created_at"), name="listening_rejected_source"),)

    def __str__(self) -> str:
        return f"{self.stage}: {self.reason[:80]}"


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Uploaded, waiting for the column mapping")
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


class ImportFormat(models.TextChoices):
    CSV = "csv", _("CSV")
    JSON = "json", _("JSON (an array of objects)")
    NDJSON = "ndjson", _("NDJSON (one object per line)")


class FileImport(models.Model):
    """An uploaded export of another listening tool: kept until imported, with its column mapping.

    The upload is checked (size, type) and stored first; the import itself runs as a job
    (``listening.run_file_import``) so a large file never holds a web request.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="file_imports")
    file = models.FileField(_("file"), upload_to="listening/imports/%Y/%m/", max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    format = models.CharField(_("format"), max_length=10, choices=ImportFormat.choices)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    encoding = models.CharField(_("encoding"), max_length=40, default="utf-8")
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    run = models.ForeignKey(IngestRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("file import")
        verbose_name_plural = _("file imports")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return self.original_name


class DeliveryStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    PROCESSED = "processed", _("Processed")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One signed POST to an inbound webhook, stored as received before any processing.

    ``delivery_id`` (the sender's ``X-Pappus-Delivery``) is unique per source: a replayed
    request is refused. A job turns the payload into mentions (``listening.process_delivery``).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="deliveries")
    delivery_id = models.CharField(_("delivery id"), max_length=200)
    signed_at = models.DateTimeField(_("signed at"))
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.RECEIVED
    )
    run = models.ForeignKey(IngestRun, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ("-received_at", "-id")
        constraints = (models.UniqueConstraint(fields=("source", "delivery_id"), name="listening_delivery_unique_id"),)
        indexes = (models.Index(fields=("source", "received_at"), name="listening_delivery_time"),)

    def __str__(self) -> str:
        return self.delivery_id


class MentionRollup(models.Model):
    """Mentions counted per hour by topic, sentiment, source, language, region.

    Kept up to date by the store stage (an upsert adding each batch's counts) and rebuilt by
    ``pappus reprocess``. ``topic_id`` 0 counts every mention (matched or not); ``region_id`` 0
    means no region; ``sentiment`` "" means not analysed. Ids are plain numbers so that the
    unique key has no NULLs (which both databases would treat as distinct).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    hour = models.DateTimeField(_("hour"))
    topic_id = models.BigIntegerField(_("topic"), default=0)
    sentiment = models.CharField(_("sentiment"), max_length=10, blank=True, default="")
    source_id = models.BigIntegerField(_("source"))
    language = models.CharField(_("language"), max_length=16, blank=True, default="")
    region_id = models.BigIntegerField(_("region"), default=0)
    count = models.PositiveBigIntegerField(_("mentions"), default=0)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("hourly rollup")
        verbose_name_plural = _("hourly rollups")
        constraints = (
            models.UniqueConstraint(
                fields=("workspace", "topic_id", "hour", "sentiment", "source_id", "language", "region_id"),
                name="listening_rollup_key",
            ),
        )

    def __str__(self) -> str:
        return f"{self.hour:%Y-%m-%d %H}:00 topic {self.topic_id}: {self.count}"


class ReprocessCheckpoint(models.Model):
    """How far ``pappus reprocess`` got (the last mention id done), so a stopped run resumes there."""

    key = models.CharField(max_length=100, unique=True)
    last_mention_id = models.BigIntegerField(default=0)
    processed = models.PositiveBigIntegerField(default=0)
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.key} @ {self.last_mention_id}"
