"""The community: members (one person each) with their identities on networks and in imports, what
they did (activities), notes, merge suggestions and the record of every merge (so a split restores
the members exactly), the loyalty ladder's stage history and alerts, CSV imports, and the
workspace's community settings (loyalty rules, automatic-merge threshold, retention).

Everything here is customer personal data: only roles with ``community.view`` read it, never the
agency role (``pappus.core.permissions.CUSTOMER_DATA_ACTIONS``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pappus.core.models import Workspace, WorkspaceManager


class Stage(models.TextChoices):
    """The loyalty ladder, lowest first (rules in ``CommunitySettings.loyalty_rules``)."""

    FOLLOWER = "follower", _("Follower")
    ENGAGED = "engaged", _("Engaged")
    ADVOCATE = "advocate", _("Advocate")
    CORE_FAN = "core_fan", _("Core fan")


STAGE_ORDER: tuple[str, ...] = tuple(Stage.values)


class IdentitySource(models.TextChoices):
    INBOX = "inbox", _("Inbox conversation")
    LISTENING = "listening", _("Mention")
    IMPORT = "import", _("Import")
    MANUAL = "manual", _("Added by hand")
    EVENT = "event", _("Event sign-up")


class ActivityKind(models.TextChoices):
    """What a member did; the loyalty rules weigh each kind."""

    CONVERSATION = "conversation", _("Conversation")
    MENTION = "mention", _("Mention")
    REPLY = "reply", _("Reply")
    SHARE = "share", _("Share")
    UGC = "ugc", _("User-generated content")
    REFERRAL = "referral", _("Referral")
    EVENT = "event", _("Event attendance")
    PURCHASE = "purchase", _("Purchase")
    TICKET = "ticket", _("Ticket")


class Member(models.Model):
    """One person, however many identities they have. ``merged_into`` is set while this member is
    part of another after a merge (hidden from lists; a split brings it back unchanged).

    ``name_key`` is the lower-cased display name for prefix search; the loyalty figures
    (``stage``, ``score``, ``last_active_at``) are kept by ``loyalty.recompute``.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", db_index=False)
    display_name = models.CharField(_("name"), max_length=300, blank=True)
    name_key = models.CharField(max_length=300, blank=True, editable=False)
    email = models.CharField(_("e-mail"), max_length=320, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    consent_marketing = models.BooleanField(_("agreed to marketing messages"), default=False)
    consent_recorded_at = models.DateTimeField(_("consent recorded"), null=True, blank=True)
    consent_source = models.CharField(_("consent source"), max_length=200, blank=True)
    tags = models.JSONField(_("tags"), default=list, blank=True)
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.FOLLOWER)
    stage_changed_at = models.DateTimeField(_("stage since"), null=True, blank=True)
    score = models.FloatField(_("loyalty score"), default=0)
    # When the person was last seen: their latest activity, or when they were first found.
    last_active_at = models.DateTimeField(_("last seen"), default=timezone.now)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(_("added"), default=timezone.now)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("community member")
        verbose_name_plural = _("community members")
        ordering = ("-last_active_at", "-id")
        indexes = (
            # The member list: newest activity first, optionally one stage (bench/community.py).
            models.Index(
                fields=("workspace", "last_active_at", "id"),
                condition=models.Q(merged_into__isnull=True),
                name="community_member_recent",
            ),
            models.Index(
                fields=("workspace", "stage", "last_active_at", "id"),
                condition=models.Q(merged_into__isnull=True),
                name="community_member_stage",
            ),
            models.Index(
                fields=("workspace", "name_key"),
                condition=models.Q(merged_into__isnull=True),
                name="community_member_name",
            ),
            models.Index(fields=("workspace", "email"), name="community_member_email"),
            models.Index(
                fields=("merged_into",), condition=models.Q(merged_into__isnull=False), name="community_merged"
            ),
        )

    def __str__(self) -> str:
        return self.display_name or self.email or f"#{self.pk}"

    def save(self, *args: object, **kwargs: object) -> None:
        self.name_key = self.display_name.casefold()[:300]
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class Identity(models.Model):
    """One way the brand knows a person: a handle on a network, a customer record in a CRM or shop.

    ``key`` is unique per (workspace, network): the network's remote id when known, else the
    normalized handle (or the e-mail for an import without ids), so collecting or importing the same
    person again finds this row. ``handle_key``, ``email`` and ``phone`` are normalized for matching.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", db_index=False)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="identities")
    network = models.CharField(_("network"), max_length=60)
    key = models.CharField(max_length=400)
    handle = models.CharField(_("handle"), max_length=300, blank=True)
    handle_key = models.CharField(max_length=300, blank=True)
    remote_id = models.CharField(_("remote id"), max_length=300, blank=True)
    display_name = models.CharField(_("display name"), max_length=300, blank=True)
    profile_url = models.CharField(_("profile"), max_length=2000, blank=True)
    email = models.CharField(_("e-mail"), max_length=320, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    source = models.CharField(_("source"), max_length=20, choices=IdentitySource.choices)
    created_at = models.DateTimeField(_("found"), default=timezone.now)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("identity")
        verbose_name_plural = _("identities")
        ordering = ("network", "handle", "id")
        constraints = (
            models.UniqueConstraint(fields=("workspace", "network", "key"), name="community_identity_unique"),
        )
        indexes = (
            models.Index(fields=("workspace", "email"), condition=~models.Q(email=""), name="community_identity_email"),
            models.Index(fields=("workspace", "phone"), condition=~models.Q(phone=""), name="community_identity_phone"),
            models.Index(
                fields=("workspace", "handle_key"), condition=~models.Q(handle_key=""), name="community_identity_handle"
            ),
            # The member list's network filter: each member's probe and the count, from this index alone.
            models.Index(fields=("workspace", "network", "member"), name="community_identity_network"),
        )

    def __str__(self) -> str:
        return f"{self.network}: {self.handle or self.email or self.remote_id}"


class Activity(models.Model):
    """Something a member did that the brand knows of: a conversation, a mention (with its sentiment),
    a share, user-generated content, a referral, an event attended, a purchase or ticket imported.

    ``external_ref`` is unique per workspace (``inbox:conversation:12``, ``listening:mention:7``,
    ``import:shop:purchase:A-100``), so collecting or importing again adds nothing. ``member`` follows
    ``identity.member`` (kept by merges and splits) so the ladder counts per member in one query.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", db_index=False)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="activities", db_index=False)
    identity = models.ForeignKey(Identity, on_delete=models.CASCADE, related_name="activities")
    kind = models.CharField(_("kind"), max_length=20, choices=ActivityKind.choices)
    external_ref = models.CharField(max_length=300)
    title = models.CharField(_("what"), max_length=300, blank=True)
    url = models.CharField(_("address"), max_length=2000, blank=True)
    sentiment = models.CharField(_("sentiment"), max_length=10, blank=True)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    occurred_at = models.DateTimeField(_("when"))

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        ordering = ("-occurred_at", "-id")
        constraints = (models.UniqueConstraint(fields=("workspace", "external_ref"), name="community_activity_unique"),)
        indexes = (models.Index(fields=("member", "occurred_at"), name="community_activity_member"),)

    def __str__(self) -> str:
        return f"{self.kind} {self.external_ref}"


class MemberNote(models.Model):
    """A colleague's note on a member (personal data: erased with the member)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", db_index=False)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(_("note"))
    created_at = models.DateTimeField(_("written"), default=timezone.now)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("member note")
        verbose_name_plural = _("member notes")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return self.text[:80]


class SuggestionStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for a person")
    MERGED = "merged", _("Merged")
    REJECTED = "rejected", _("Not the same person")


class MergeSuggestion(models.Model):
    """Two members that look like one person, with the evidence and a confidence in [0, 1].

    ``first`` has the lower id. A rejected pair is not suggested again.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", db_index=False)
    first = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    second = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    evidence = models.JSONField(_("evidence"), default=list)
    confidence = models.FloatField(_("confidence"))
    status = models.CharField(
        _("status"), max_length=10, choices=SuggestionStatus.choices, default=SuggestionStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    created_at = models.DateTimeField(_("suggested"), default=timezone.now)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("merge suggestion")
        verbose_name_plural = _("merge suggestions")
        ordering = ("-confidence", "id")
        constraints = (
            models.UniqueConstraint(fields=("workspace", "first", "second"), name="community_suggestion_unique"),
        )
        indexes = (models.Index(fields=("workspace", "status", "-confidence"), name="community_suggestion_queue"),)

    def __str__(self) -> str:
        return f"{self.first_id} ~ {self.second_id} ({self.confidence:.2f})"


class MergeRecord(models.Model):
    """One merge of ``absorbed`` into ``target``: what moved and what the target was before, so that
    ``merge_split`` restores both members exactly. ``split_at`` is set once it has been undone."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", db_index=False)
    target = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    absorbed = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="+")
    identity_ids = models.JSONField(default=list)
    note_ids = models.JSONField(default=list)
    target_before = models.JSONField(default=dict)
    evidence = models.JSONField(_("evidence"), default=list)
    confidence = models.FloatField(_("confidence"))
    is_automatic = models.BooleanField(_("automatic"), default=False)
    merged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    merged_at = models.DateTimeField(_("merged"), default=timezone.now)
    split_at = models.DateTimeField(_("split"), null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("merge record")
        verbose_name_plural = _("merge records")
        ordering = ("-merged_at", "-id")

    def __str__(self) -> str:
        return f"{self.absorbed_id} → {self.target_id}"


class StageChange(models.Model):
    """A member moved on the loyalty ladder (``from_stage`` empty for the first placement)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", db_index=False)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(_("from"), max_length=20, blank=True)
    to_stage = models.CharField(_("to"), max_length=20)
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ("-changed_at", "-id")
        indexes = (models.Index(fields=("workspace", "changed_at"), name="community_stage_change_time"),)

    def __str__(self) -> str:
        return f"{self.member_id}: {self.from_stage} → {self.to_stage}"


class AlertKind(models.TextChoices):
    NEGATIVE = "negative", _("Core fan turned negative")
    QUIET = "quiet", _("Core fan went quiet")


class CommunityAlert(models.Model):
    """A core fan who turned negative or went quiet; one open alert per member and kind."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", db_index=False)
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(_("kind"), max_length=10, choices=AlertKind.choices)
    raised_at = models.DateTimeField(_("raised"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("community alert")
        verbose_name_plural = _("community alerts")
        ordering = ("-raised_at", "-id")
        constraints = (
            models.UniqueConstraint(
                fields=("member", "kind"), condition=models.Q(resolved_at__isnull=True), name="community_alert_open"
            ),
        )
        indexes = (models.Index(fields=("workspace", "resolved_at"), name="community_alert_open_list"),)

    def __str__(self) -> str:
        return f"{self.kind} {self.member_id}"


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", _("Waiting for the column mapping")
    DONE = "done", _("Imported")


class MemberImport(models.Model):
    """A CSV file from a CRM or shop: uploaded, mapped column by column, previewed, then imported.

    ``content`` holds the file only until it is imported (then it is emptied: the rows live on as
    members, identities and activities). ``errors`` lists ``{"row", "field", "message"}``.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", db_index=False)
    source_name = models.CharField(_("source"), max_length=60)
    file_name = models.CharField(_("file"), max_length=255)
    content = models.TextField(blank=True)
    columns = models.JSONField(default=list)
    mapping = models.JSONField(_("column mapping"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.UPLOADED)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_imported = models.PositiveIntegerField(_("rows imported"), default=0)
    rows_failed = models.PositiveIntegerField(_("rows with errors"), default=0)
    members_created = models.PositiveIntegerField(_("new members"), default=0)
    activities_created = models.PositiveIntegerField(_("new purchases and tickets"), default=0)
    errors = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    imported_at = models.DateTimeField(_("imported"), null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("member import")
        verbose_name_plural = _("member imports")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return self.file_name


class CollectCursor(models.Model):
    """How far collection from one source (inbox conversations, listening mentions) has read."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", db_index=False)
    source = models.CharField(max_length=20)
    last_id = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkspaceManager()

    class Meta:
        constraints = (models.UniqueConstraint(fields=("workspace", "source"), name="community_cursor_unique"),)

    def __str__(self) -> str:
        return f"{self.source} @ {self.last_id}"


class ErasedIdentity(models.Model):
    """A salted hash of an erased identity's (network, key), so collecting from the inbox or listening
    does not bring the person back. It holds no personal data itself."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", db_index=False)
    digest = models.CharField(max_length=64)
    erased_at = models.DateTimeField(default=timezone.now)

    objects = WorkspaceManager()

    class Meta:
        constraints = (models.UniqueConstraint(fields=("workspace", "digest"), name="community_erased_unique"),)

    def __str__(self) -> str:
        return self.digest[:12]


# A hundred years: longer than any retention policy needs, and inside every database's integer column.
MAX_RETENTION_DAYS = 36_500


class CommunitySettings(models.Model):
    """A workspace's community settings: the loyalty rules (``pappus.community.loyalty``, documented in
    docs/community.md), the confidence from which merges happen without a person, and how long a
    member with no activity is kept (None: kept until erased)."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="+")
    loyalty_rules = models.JSONField(_("loyalty rules"), default=dict, blank=True)
    auto_merge_confidence = models.FloatField(_("merge without asking from confidence"), default=0.9)
    retention_days = models.PositiveIntegerField(_("delete members inactive for (days)"), null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("community settings")
        verbose_name_plural = _("community settings")

    def __str__(self) -> str:
        return f"community settings {self.workspace_id}"


class Segment(models.Model):
    """A saved member filter (``pappus.community.segments``), reused by events (invitations), the inbox's
    routing (``tier``: the customer tier a conversation of a member of this segment is routed by) and reports.

    ``filters`` holds only the filter's terms (stage, network, tag, search, consent, minimum score,
    active within days), never member ids: the segment's members are whoever matches at the time.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", db_index=False)
    name = models.CharField(_("name"), max_length=120)
    description = models.CharField(_("description"), max_length=500, blank=True)
    filters = models.JSONField(_("filters"), default=dict, blank=True)
    tier = models.CharField(
        _("customer tier"),
        max_length=40,
        blank=True,
        help_text=_("The inbox routes conversations of this segment's members by this tier (e.g. gold)."),
    )
    # Lower first: when a member is in several segments with a tier, the first one's tier counts.
    priority = models.PositiveSmallIntegerField(_("priority"), default=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("changed"), auto_now=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("segment")
        verbose_name_plural = _("segments")
        ordering = ("priority", "name", "id")
        constraints = (models.UniqueConstraint(fields=("workspace", "name"), name="community_segment_unique_name"),)

    def __str__(self) -> str:
        return self.name


class EventKind(models.TextChoices):
    ONLINE = "online", _("Online")
    OFFLINE = "offline", _("Offline")


class Event(models.Model):
    """An online or offline event with a public registration page (``/community/e/<slug>/``, no login,
    in ``language``), invitations to segments, reminders, check-in by ticket code and follow-up."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", db_index=False)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=EventKind.choices, default=EventKind.OFFLINE)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    location = models.CharField(_("place"), max_length=300, blank=True)
    online_url = models.CharField(_("online address"), max_length=2000, blank=True)
    language = models.CharField(_("language"), max_length=10, default="en")
    capacity = models.PositiveIntegerField(_("places"), null=True, blank=True)
    slug = models.CharField(max_length=40, unique=True)
    registration_open = models.BooleanField(_("registration open"), default=True)
    reminder_hours = models.PositiveSmallIntegerField(_("remind hours before"), default=24)
    follow_up_message = models.TextField(_("follow-up message"), blank=True)
    reminders_sent_at = models.DateTimeField(_("reminders sent"), null=True, blank=True)
    follow_up_sent_at = models.DateTimeField(_("follow-up sent"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ("-starts_at", "-id")
        indexes = (models.Index(fields=("workspace", "starts_at"), name="community_event_time"),)

    def __str__(self) -> str:
        return self.title


class RegistrationStatus(models.TextChoices):
    INVITED = "invited", _("Invited")
    REGISTERED = "registered", _("Registered")
    ATTENDED = "attended", _("Attended")
    CANCELLED = "cancelled", _("Cancelled")


class InviteStatus(models.TextChoices):
    """Where an invitation stands: waiting for the job that sends it, taken by a run that is sending it,
    sent, or refused (``invite_error``)."""

    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Being sent")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class EventRegistration(models.Model):
    """One person at one event: invited (from a segment), registered (the public page or an invitation
    accepted), attended (checked in with ``code``), or cancelled. Personal data: erased with the member.

    ``token`` is the secret of the person's ticket link; ``code`` the short ticket code shown on it
    (and typed or scanned at the door). ``is_new_member``: the registration brought a new member.

    An invitation goes out by ``invite_channel``: ``email``, or a network's name for a direct message
    answering ``invite_reply_to`` in the person's direct-message thread of the connected account
    ``invite_account_id`` (an id of the connectors app); ``invite_status`` and ``invite_error`` keep
    the outcome."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", db_index=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="event_registrations")
    name = models.CharField(_("name"), max_length=300, blank=True)
    email = models.CharField(_("e-mail"), max_length=320, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=RegistrationStatus.choices, default=RegistrationStatus.REGISTERED
    )
    token = models.CharField(max_length=64, unique=True)
    code = models.CharField(_("ticket code"), max_length=12)
    is_new_member = models.BooleanField(default=False)
    invited_at = models.DateTimeField(_("invited"), null=True, blank=True)
    registered_at = models.DateTimeField(_("registered"), null=True, blank=True)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    followed_up_at = models.DateTimeField(_("followed up"), null=True, blank=True)
    invite_channel = models.CharField(_("invited by"), max_length=40, blank=True)
    invite_status = models.CharField(_("invitation"), max_length=10, choices=InviteStatus.choices, blank=True)
    invite_error = models.TextField(_("why the invitation failed"), blank=True)
    invite_sent_at = models.DateTimeField(_("invitation sent"), null=True, blank=True)
    invite_account_id = models.PositiveIntegerField(null=True, blank=True)
    invite_reply_to = models.CharField(max_length=500, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("event registration")
        verbose_name_plural = _("event registrations")
        ordering = ("event", "id")
        constraints = (
            models.UniqueConstraint(fields=("event", "member"), name="community_registration_unique"),
            models.UniqueConstraint(fields=("event", "code"), name="community_registration_code"),
        )
        indexes = (
            models.Index(fields=("event", "status"), name="community_registration_status"),
            models.Index(
                fields=("event", "invite_status"),
                name="community_invite_pending",
                condition=models.Q(invite_status="pending"),
            ),
        )

    def __str__(self) -> str:
        return f"{self.event_id}: {self.code}"


class LeaderStage(models.TextChoices):
    """The pipeline of working with an opinion leader, in order."""

    FOUND = "found", _("Found")
    CONTACTED = "contacted", _("Contacted")
    AGREED = "agreed", _("Agreed")
    CONTENT_LIVE = "content_live", _("Content live")
    RESULTS = "results", _("Results in")
    DROPPED = "dropped", _("Dropped")


class OpinionLeader(models.Model):
    """An author found in listening and ranked (``pappus.community.leaders``): the score and each of its
    parts with an explanation, signals of bought or bot audiences, and the pipeline with the agreement,
    its cost and results (for ROI). Discovery refreshes the figures and keeps the pipeline fields."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+", db_index=False)
    network = models.CharField(_("network"), max_length=60)
    handle = models.CharField(_("handle"), max_length=300)
    name = models.CharField(_("name"), max_length=300, blank=True)
    profile_url = models.CharField(_("profile"), max_length=2000, blank=True)
    followers = models.BigIntegerField(_("followers"), null=True, blank=True)
    mentions = models.PositiveIntegerField(_("mentions"), default=0)
    engagement = models.BigIntegerField(_("engagement"), default=0)
    score = models.FloatField(_("score"), default=0)
    score_parts = models.JSONField(_("score parts"), default=list, blank=True)
    bot_signals = models.JSONField(_("signals of bought or bot audiences"), default=list, blank=True)
    stage = models.CharField(_("stage"), max_length=20, choices=LeaderStage.choices, default=LeaderStage.FOUND)
    agreement = models.TextField(_("agreement"), blank=True)
    cost = models.DecimalField(_("cost"), max_digits=14, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    result_reach = models.BigIntegerField(_("reach delivered"), null=True, blank=True)
    result_engagement = models.BigIntegerField(_("engagement delivered"), null=True, blank=True)
    result_value = models.DecimalField(_("value delivered"), max_digits=14, decimal_places=2, null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    discovered_at = models.DateTimeField(_("found"), default=timezone.now)
    scored_at = models.DateTimeField(_("scored"), default=timezone.now)
    stage_changed_at = models.DateTimeField(_("stage since"), default=timezone.now)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("opinion leader")
        verbose_name_plural = _("opinion leaders")
        ordering = ("-score", "id")
        constraints = (
            models.UniqueConstraint(fields=("workspace", "network", "handle"), name="community_leader_unique"),
        )
        indexes = (models.Index(fields=("workspace", "stage", "-score"), name="community_leader_rank"),)

    def __str__(self) -> str:
        return f"{self.network}: {self.handle}"


class LeaderTarget(models.Model):
    """The audience opinion leaders should reach (languages, countries, networks), per workspace: the
    strategy's audiences are not readable here (the community imports nothing of strategy)."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="+")
    languages = models.JSONField(_("languages"), default=list, blank=True)
    countries = models.JSONField(_("countries"), default=list, blank=True)
    networks = models.JSONField(_("networks"), default=list, blank=True)

    objects = WorkspaceManager()

    def __str__(self) -> str:
        return f"leader target {self.workspace_id}"
