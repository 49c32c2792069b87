"""Workspaces, regions, users, memberships, API tokens and the audit log."""

from __future__ import annotations

import zoneinfo
from typing import Any, ClassVar, Self, TypeVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pappus.core.permissions import Role

LANGUAGE_CHOICES = [("en", "English"), ("ru", "Русский"), ("nb", "Norsk bokmål"), ("zh-hans", "简体中文")]


def validate_time_zone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value}) from error


def validate_currency(value: str) -> None:
    if len(value) != 3 or not value.isalpha() or not value.isupper():
        raise ValidationError(_("A currency is a three-letter ISO 4217 code such as EUR."))


_Row = TypeVar("_Row", bound=models.Model)


class WorkspaceQuerySet(models.QuerySet[_Row]):
    """The query set of every workspace-owned model: tenancy fails closed."""

    def for_workspace(self, workspace: Workspace | int) -> Self:
        workspace_id = workspace if isinstance(workspace, int) else workspace.pk
        return self.filter(workspace_id=workspace_id)


class WorkspaceManager(models.Manager[_Row]):
    """Manager for workspace-owned rows; lookups go through ``for_workspace``."""

    def get_queryset(self) -> WorkspaceQuerySet[_Row]:
        return WorkspaceQuerySet(self.model, using=self._db)

    def for_workspace(self, workspace: Workspace | int) -> WorkspaceQuerySet[_Row]:
        return self.get_queryset().for_workspace(workspace)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields: Any) -> User:
        if not email:
            raise ValueError("an e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> User:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in; their roles live on memberships, one per workspace."""

    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=LANGUAGE_CHOICES, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, validators=[validate_time_zone])
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("operator"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)
    last_workspace = models.ForeignKey(
        "core.Workspace", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return (self.full_name.split(" ")[0] if self.full_name else "") or self.email


class Workspace(models.Model):
    """A brand or company: everything else belongs to exactly one workspace."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="UTC", validators=[validate_time_zone])
    default_language = models.CharField(_("default language"), max_length=10, choices=LANGUAGE_CHOICES, default="en")
    currency = models.CharField(_("currency"), max_length=3, default="EUR", validators=[validate_currency])
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("workspace")
        verbose_name_plural = _("workspaces")
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class RegionKind(models.TextChoices):
    HUB = "hub", _("Hub")
    COUNTRY = "country", _("Country")
    BUSINESS_UNIT = "business_unit", _("Business unit")
    OTHER = "other", _("Other")


class Region(models.Model):
    """A node of the workspace's region tree: one hub at the root, spokes below it."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="regions")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=RegionKind.choices, default=RegionKind.COUNTRY)
    country_code = models.CharField(_("country code"), max_length=2, blank=True)
    language = models.CharField(_("language"), max_length=10, choices=LANGUAGE_CHOICES, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ("name",)
        constraints = (
            models.UniqueConstraint(
                fields=("workspace",), condition=models.Q(parent__isnull=True), name="region_one_hub_per_workspace"
            ),
            models.UniqueConstraint(fields=("workspace", "name"), name="region_unique_name"),
        )

    def __str__(self) -> str:
        return self.name

    @property
    def is_hub(self) -> bool:
        return self.parent_id is None


class Membership(models.Model):
    """A user's role in one workspace, optionally limited to some regions (none = all)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    regions = models.ManyToManyField(Region, blank=True, related_name="memberships")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = (models.UniqueConstraint(fields=("user", "workspace"), name="membership_unique_user_workspace"),)

    def __str__(self) -> str:
        return f"{self.user} · {self.workspace} · {self.role}"


class ApiToken(models.Model):
    """A personal API token for one workspace; only its SHA-256 hash is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, db_index=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class AuditEvent(models.Model):
    """One change: who did what, when, to which object, and its fields before → after."""

    workspace = models.ForeignKey(
        Workspace, null=True, blank=True, on_delete=models.CASCADE, related_name="audit_events"
    )
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(_("actor"), max_length=254, blank=True)
    action = models.CharField(_("action"), max_length=100, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True, db_index=True)
    object_id = models.CharField(_("object id"), max_length=64, blank=True)
    object_repr = models.CharField(_("object"), max_length=300, blank=True)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    via = models.CharField(_("via"), max_length=16, default="web")
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)

    objects = WorkspaceManager()

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ("-created_at", "-id")
        indexes = (models.Index(fields=("workspace", "-created_at"), name="audit_workspace_time"),)

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"


class ProcessKind(models.TextChoices):
    WORKER = "worker", _("Worker")
    SCHEDULER = "scheduler", _("Scheduler")


class ProcessHeartbeat(models.Model):
    """A background process's sign of life, refreshed every few seconds; `pappus check` reads it.

    Kept in the database rather than the broker so that both shapes (SQLite embedded, PostgreSQL
    with Redis) answer the same question the same way. One row per (kind, host, pid).
    """

    kind = models.CharField(_("kind"), max_length=16, choices=ProcessKind.choices)
    host = models.CharField(_("host"), max_length=255)
    pid = models.PositiveIntegerField(_("process id"))
    threads = models.PositiveSmallIntegerField(_("worker threads"), default=0)
    started_at = models.DateTimeField(_("started"))
    seen_at = models.DateTimeField(_("last seen"), db_index=True)

    class Meta:
        verbose_name = _("process heartbeat")
        verbose_name_plural = _("process heartbeats")
        ordering = ("kind", "host", "pid")
        constraints = (models.UniqueConstraint(fields=("kind", "host", "pid"), name="heartbeat_unique_process"),)

    def __str__(self) -> str:
        return f"{self.kind} {self.host}:{self.pid}"
