"""Recording audit events. Services call :func:`record` explicitly for every change."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from pappus.core.models import AuditEvent, User, Workspace

# Field names whose values never enter the audit log.
SECRET_FIELDS = frozenset({"password", "token_hash", "secret", "access_token", "refresh_token", "credentials"})


@dataclass(frozen=True)
class Actor:
    """Who made a change and through which door (web, api, cli, system)."""

    user: User | None
    via: str = "web"
    ip_address: str | None = None

    @property
    def label(self) -> str:
        if self.user is None:
            return f"system ({self.via})"
        return self.user.email

    @classmethod
    def system(cls, via: str = "system") -> Actor:
        return cls(user=None, via=via)


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The audited state of ``instance``: concrete fields (ids for relations), secrets left out."""
    names = (
        list(fields)
        if fields is not None
        else [field.attname for field in instance._meta.concrete_fields if not field.primary_key]
    )
    return {
        name: _plain(getattr(instance, name))
        for name in names
        if name not in SECRET_FIELDS and not name.endswith("_hash")
    }


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the fields that differ, as (before, after)."""
    keys = [key for key in {**before, **after} if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in keys if key in before}, {
        key: after.get(key) for key in keys if key in after
    }


def record(
    actor: Actor,
    action: str,
    *,
    workspace: Workspace | None,
    target: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEvent:
    """Store one audit event; ``before``/``after`` are reduced to the fields that changed."""
    event = build(
        actor,
        action,
        workspace=workspace,
        target=target,
        before=before,
        after=after,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
    )
    event.save(force_insert=True)
    return event


def build(
    actor: Actor,
    action: str,
    *,
    workspace: Workspace | None,
    target: models.Model | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
) -> AuditEvent:
    """One audit event, not saved yet: for services that store many at once with ``bulk_create``."""
    before_values, after_values = changes(before or {}, after or {})
    if target is not None:
        object_type = object_type or target._meta.label_lower
        object_id = object_id or str(target.pk)
        object_repr = object_repr or str(target)[:300]
    return AuditEvent(
        workspace=workspace,
        actor=actor.user,
        actor_label=actor.label,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:300],
        before=before_values,
        after=after_values,
        via=actor.via,
        ip_address=actor.ip_address,
    )


# Readable names of audit actions. Core's are here; every other app registers its own from its
# AppConfig.ready() with register_action_labels(), so the audit log reads well for all of them.
_ACTION_LABELS: dict[str, str | Promise] = {
    "workspace.create": gettext_lazy("Workspace created"),
    "workspace.update": gettext_lazy("Workspace settings changed"),
    "workspace.delete": gettext_lazy("Workspace deleted"),
    "region.create": gettext_lazy("Region added"),
    "region.update": gettext_lazy("Region changed"),
    "region.delete": gettext_lazy("Region removed"),
    "membership.create": gettext_lazy("Member added"),
    "membership.update": gettext_lazy("Member changed"),
    "membership.delete": gettext_lazy("Member removed"),
    "user.update": gettext_lazy("Profile changed"),
    "api_token.create": gettext_lazy("API token created"),
    "api_token.revoke": gettext_lazy("API token revoked"),
}


def register_action_labels(labels: dict[str, str | Promise]) -> None:
    """Give an app's audit actions readable, translatable names."""
    _ACTION_LABELS.update(labels)


def action_label(action: str) -> str:
    """The readable name of an audit action, or the action itself when none is registered."""
    label = _ACTION_LABELS.get(action)
    return str(label) if label is not None else action
