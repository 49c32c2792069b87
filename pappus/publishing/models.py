"""Posts, their per-network variants, approvals, comments, failure notifications and settings.

A post holds the master text and the plan (when, which pillar and type, which region, which
campaign); each variant is what goes to one connected account, adapted to that network. The
post's status moves through the approval workflow; each variant then has its own delivery
state, driven by the scheduler (see ``pappus.publishing.scheduler`` and docs/publishing.md).
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pappus.core.models import Region, Workspace, WorkspaceManager
from pappus.core.permissions import Role


class PostStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    IN_REVIEW = "in_review", _("In review")
    APPROVED = "approved", _("Approved")
    SCHEDULED = "scheduled", _("Scheduled")
    PUBLISHED = "published", _("Published")
    FAILED = "failed", _("Failed")


class ContentType(models.TextChoices):
    EDUCATIONAL = "educational", _("Educational")
    PROMO = "promo", _("Promo")
    UGC = "ugc", _("User-generated content")
    CONTEST = "contest", _("Contest")
    INFLUENCER = "influencer", _("Influencer collaboration")
    EVENT = "event", _("Event")


class VariantStatus(models.TextChoices):
    DRAFT = "draft", _("Not scheduled")
    SCHEDULED = "scheduled", _("Scheduled")
    SENDING = "sending", _("Sending")
    PUBLISHED = "published", _("Published")
    FAILED = "failed", _("Failed")
    UNKNOWN = "unknown", _("Unknown: check the network")


class PublishingSettings(models.Model):
    """Per-workspace publishing options (created on first use with the defaults)."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="publishing_settings")
    agency_may_publish = models.BooleanField(
        _("agency may schedule and publish"),
        default=False,
        help_text=_("Members with the agency role draft posts; with this on they may also schedule them."),
    )
    review_link_days = models.PositiveSmallIntegerField(_("review links expire after (days)"), default=7)
    track_links = models.BooleanField(
        _("replace links with tracked short links"),
        default=False,
        help_text=_("When a post is scheduled, each address in its variants gets a short link that counts clicks."),
    )

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("publishing settings")
        verbose_name_plural = _("publishing settings")

    def __str__(self) -> str:
        return f"publishing settings of {self.workspace_id}"


class ApprovalStep(models.Model):
    """One step of the approval chain of a workspace (``region`` empty) or of one region.

    A post in a region whose own chain is empty follows the workspace's chain; with no chain at
    all, one approval by any member allowed to approve is enough. A step is passed by a member
    holding ``approver_role``, or by ``approver`` in person (one of the two is set).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="approval_steps")
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(_("order"), default=1)
    name = models.CharField(_("name"), max_length=100)
    approver_role = models.CharField(_("approver role"), max_length=32, choices=Role.choices, blank=True)
    approver = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("approval step")
        verbose_name_plural = _("approval steps")
        ordering = ("region_id", "position", "id")
        constraints = (
            models.CheckConstraint(
                condition=~models.Q(approver_role="") | models.Q(approver__isnull=False),
                name="approval_step_has_approver",
            ),
        )

    def __str__(self) -> str:
        return self.name


class Post(models.Model):
    """One piece of content in the plan: the master text and where and when it goes out.

    ``campaign_id`` is a plain reference for now: campaigns belong to the strategy app, which
    does not exist yet; it becomes a foreign key when it does.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="posts")
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts"
    )
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("master text"), blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    pillar = models.CharField(_("content pillar"), max_length=100, blank=True)
    content_type = models.CharField(
        _("content type"), max_length=20, choices=ContentType.choices, default=ContentType.EDUCATIONAL
    )
    campaign_id = models.PositiveBigIntegerField(_("campaign"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=PostStatus.choices, default=PostStatus.DRAFT)
    planned_at = models.DateTimeField(_("planned time"), null=True, blank=True)
    approval_position = models.PositiveSmallIntegerField(default=0)  # steps passed so far in this review
    # A re-publication by an evergreen queue points to the post it repeats.
    evergreen_source = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="evergreen_copies"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        ordering = ("planned_at", "id")
        indexes = (
            models.Index(fields=("workspace", "planned_at"), name="post_workspace_planned"),
            models.Index(fields=("workspace", "status"), name="post_workspace_status"),
        )

    def __str__(self) -> str:
        return self.title


class Variant(models.Model):
    """What one connected account will publish: the post adapted to its network.

    ``account_id`` is the id of a ``connectors.ConnectedAccount`` (a plain id until that app's
    migrations are in place; ``network`` and ``account_label`` are copied so the plan reads well
    without it). ``idempotency_key`` is fixed at creation and sent with every attempt.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="variants")
    network = models.CharField(_("network"), max_length=20)
    account_id = models.PositiveBigIntegerField(_("account"), null=True, blank=True)
    account_label = models.CharField(_("account"), max_length=300, blank=True)
    text = models.TextField(_("text"), blank=True)
    link = models.URLField(_("link"), max_length=2000, blank=True)
    first_comment = models.TextField(_("first comment"), blank=True)
    hashtags = models.JSONField(_("hashtags"), default=list, blank=True)
    media = models.JSONField(_("media"), default=list, blank=True)  # [{"name", "mime_type", "size"}]
    # "post" (a video alone on Instagram goes out as a Reel) or "story" (where the network publishes them).
    publish_as = models.CharField(
        _("publish as"), max_length=10, choices=(("post", _("Post")), ("story", _("Story"))), default="post"
    )
    # The frame of the attached video, in milliseconds from its start, that the network shows as its cover.
    cover_frame_ms = models.PositiveIntegerField(_("cover frame (ms)"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=VariantStatus.choices, default=VariantStatus.DRAFT)
    idempotency_key = models.UUIDField(_("idempotency key"), default=uuid.uuid4, unique=True, editable=False)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    lease_expires_at = models.DateTimeField(_("lease expires"), null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True, editable=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    last_error_code = models.CharField(_("last error kind"), max_length=40, blank=True)
    remote_id = models.CharField(_("remote id"), max_length=300, blank=True)
    remote_url = models.URLField(_("address on the network"), max_length=2000, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    first_comment_remote_id = models.CharField(max_length=300, blank=True)
    # The network's counters of the published post (None: not read yet, or the network does not say).
    likes = models.PositiveIntegerField(_("likes"), null=True, blank=True)
    shares = models.PositiveIntegerField(_("shares"), null=True, blank=True)
    replies = models.PositiveIntegerField(_("replies"), null=True, blank=True)
    impressions = models.PositiveBigIntegerField(_("impressions"), null=True, blank=True)
    metrics_at = models.DateTimeField(_("metrics read"), null=True, blank=True)
    # {address: short link}: what the scheduler replaces when it sends (set on scheduling when on).
    tracked_urls = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("variant")
        verbose_name_plural = _("variants")
        ordering = ("network", "account_label", "id")
        indexes = (
            models.Index(fields=("status", "next_attempt_at"), name="variant_due"),
            models.Index(fields=("status", "lease_expires_at"), name="variant_lease"),
            models.Index(fields=("workspace", "status"), name="variant_workspace_status"),
        )

    def __str__(self) -> str:
        return f"{self.network} {self.account_label}".strip()

    @property
    def label(self) -> str:
        return f"{self.network.capitalize()} {self.account_label}".strip()

    @property
    def engagement(self) -> int | None:
        """Likes + shares + replies once the network's counters were read; None before that."""
        if self.metrics_at is None:
            return None
        return (self.likes or 0) + (self.shares or 0) + (self.replies or 0)

    def full_text(self) -> str:
        """The text as sent: the variant's text (or the post's) with its hashtags appended."""
        text = self.text
        tags = " ".join(tag if tag.startswith("#") else f"#{tag}" for tag in self.hashtags if tag)
        if tags:
            text = f"{text}\n\n{tags}" if text else tags
        return text


class PostApproval(models.Model):
    """A step passed (or changes requested) in a post's review, by whom and when."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="approvals")
    step_name = models.CharField(_("step"), max_length=100)
    position = models.PositiveSmallIntegerField()
    approved = models.BooleanField(_("approved"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    note = models.TextField(_("note"), blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"{self.step_name}: {'approved' if self.approved else 'changes requested'}"


class PostComment(models.Model):
    """A comment on a post, by a member or by an external reviewer through a signed link."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    external_name = models.CharField(_("external reviewer"), max_length=200, blank=True)
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return self.text[:60]

    @property
    def author_name(self) -> str:
        if self.author is not None:
            return str(self.author)
        return self.external_name


class EmailState(models.TextChoices):
    NONE = "", _("No e-mail")
    PENDING = "pending", _("Waiting for the digest")
    SENT = "sent", _("E-mailed")


class Notification(models.Model):
    """An in-app alert for one user (today: a variant that failed to publish or ended unknown).

    ``email_state`` pending: it goes out in the next e-mail digest of its post for this user
    (``pappus.publishing.alerts``); ``emailed_at``: when that digest was sent.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    variant = models.ForeignKey(Variant, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_state = models.CharField(max_length=10, choices=EmailState.choices, default=EmailState.NONE, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = (
            models.Index(fields=("user", "read_at"), name="notification_user_unread"),
            models.Index(fields=("email_state", "user", "post"), name="notification_email_digest"),
        )

    def __str__(self) -> str:
        return self.text[:60]


def _asset_path(asset: Asset, filename: str) -> str:
    """Stored names never come from the uploader: workspace, a random name, the sniffed type's extension."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"assets/{asset.workspace_id}/{uuid.uuid4().hex}.{extension}"


class Asset(models.Model):
    """A file of the shared asset library: an image, a video or a PDF, with its tags and usage rights.

    ``region`` empty or the hub: the hub's asset. ``recommended`` (set by the hub) lets every region
    see and reuse it; a region's localized copy points to the ``original``. An asset whose
    ``rights_expire_on`` is past cannot be attached to a post any more.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    region = models.ForeignKey(Region, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    original = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="localizations")
    name = models.CharField(_("name"), max_length=200)
    file = models.FileField(_("file"), upload_to=_asset_path, max_length=500)
    mime_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(max_length=64)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    language = models.CharField(_("language"), max_length=10, blank=True)
    usage_rights = models.TextField(_("usage rights"), blank=True)
    rights_expire_on = models.DateField(_("rights expire on"), null=True, blank=True)
    recommended = models.BooleanField(_("recommended for regions"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        ordering = ("-created_at", "-id")
        indexes = (
            models.Index(fields=("workspace", "region"), name="asset_workspace_region"),
            models.Index(fields=("workspace", "recommended"), name="asset_workspace_recommended"),
        )

    def __str__(self) -> str:
        return self.name

    def is_expired(self, today: datetime.date) -> bool:
        return self.rights_expire_on is not None and self.rights_expire_on < today

    @property
    def kind(self) -> str:
        return self.mime_type.split("/", 1)[0]


class AssetUse(models.Model):
    """An asset attached to one variant of a post (its media): which posts used which asset."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="uses")
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="asset_uses")
    created_at = models.DateTimeField(_("attached"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        ordering = ("-created_at", "-id")
        constraints = (models.UniqueConstraint(fields=("asset", "variant"), name="asset_use_once_per_variant"),)

    def __str__(self) -> str:
        return f"{self.asset_id} in {self.variant_id}"


class TrackedLink(models.Model):
    """A short link (``/l/<code>``) of a post, and of one of its variants, to a landing page with UTM values.

    Found by ``code`` alone when someone clicks (the code is the key; it is unique across workspaces).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="tracked_links")
    variant = models.ForeignKey(Variant, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    network = models.CharField(_("network"), max_length=20, blank=True)
    code = models.CharField(_("code"), max_length=16, unique=True)
    landing_url = models.URLField(_("landing page"), max_length=2000)
    destination_url = models.TextField(_("address with UTM values"))
    utm_source = models.CharField("utm_source", max_length=200, blank=True)
    utm_medium = models.CharField("utm_medium", max_length=200, blank=True)
    utm_campaign = models.CharField("utm_campaign", max_length=200, blank=True)
    utm_content = models.CharField("utm_content", max_length=200, blank=True)
    utm_term = models.CharField("utm_term", max_length=200, blank=True)
    clicks = models.PositiveIntegerField(_("clicks"), default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("tracked link")
        verbose_name_plural = _("tracked links")
        ordering = ("-created_at", "-id")
        indexes = (models.Index(fields=("workspace", "post"), name="tracked_link_post"),)

    def __str__(self) -> str:
        return self.code


class LinkClick(models.Model):
    """One click on a tracked link: when, which post, variant and network, the referrer's host and a
    visitor key (an HMAC; the address is never stored)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    link = models.ForeignKey(TrackedLink, on_delete=models.CASCADE, related_name="click_rows")
    post_id = models.PositiveBigIntegerField()
    variant_id = models.PositiveBigIntegerField(null=True, blank=True)
    network = models.CharField(max_length=20, blank=True)
    clicked_at = models.DateTimeField()
    referrer_host = models.CharField(max_length=255, blank=True)
    visitor = models.CharField(max_length=32, blank=True)

    objects = WorkspaceManager()

    class Meta:
        ordering = ("-clicked_at", "-id")
        indexes = (
            models.Index(fields=("workspace", "clicked_at"), name="link_click_workspace_time"),
            models.Index(fields=("workspace", "post_id"), name="link_click_workspace_post"),
        )

    def __str__(self) -> str:
        return f"{self.link_id} at {self.clicked_at}"


class EvergreenQueue(models.Model):
    """Posts that stay true, re-published in rotation into one account's weekly time slots.

    ``slots`` are ``[{"weekday": 0..6, "time": "HH:MM"}]`` in the workspace's time zone; a post of
    the queue is never scheduled again within ``min_gap_days`` of its previous time.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    network = models.CharField(_("network"), max_length=20)
    account_id = models.PositiveBigIntegerField(_("account"), null=True, blank=True)
    account_label = models.CharField(_("account"), max_length=300, blank=True)
    slots = models.JSONField(_("time slots"), default=list)
    min_gap_days = models.PositiveSmallIntegerField(_("minimum gap (days)"), default=30)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("evergreen queue")
        verbose_name_plural = _("evergreen queues")
        ordering = ("name", "id")

    def __str__(self) -> str:
        return self.name


class EvergreenEntry(models.Model):
    """A post in an evergreen queue's rotation, with when it was last scheduled."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    queue = models.ForeignKey(EvergreenQueue, on_delete=models.CASCADE, related_name="entries")
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveIntegerField(default=1)
    last_scheduled_at = models.DateTimeField(_("last scheduled for"), null=True, blank=True)
    times_scheduled = models.PositiveIntegerField(_("times scheduled"), default=0)

    objects = WorkspaceManager()

    class Meta:
        ordering = ("position", "id")
        constraints = (models.UniqueConstraint(fields=("queue", "post"), name="evergreen_entry_once_per_queue"),)

    def __str__(self) -> str:
        return f"{self.post_id} in {self.queue_id}"
