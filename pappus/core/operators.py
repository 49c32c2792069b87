"""Writes made by an operator outside any workspace role: the `pappus` command line and the demo loader.

The services in :mod:`pappus.core.services` act for a member and check that member's role; an
operator at the server's command line is trusted by the machine instead, so these functions check
no role. Each write is audited like any other (the actor is usually ``Actor.system("cli")``).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction

from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.models import Membership, Region, User, Workspace
from pappus.core.permissions import Role

USER_FIELDS = ("email", "full_name", "language", "time_zone", "is_staff", "is_superuser", "is_active")


@transaction.atomic
def user_create(
    *,
    actor: Actor,
    email: str,
    password: str | None,
    full_name: str = "",
    language: str = "",
    time_zone: str = "",
    is_staff: bool = False,
    password_hash: str | None = None,
) -> User:
    """Create a user; ``password=None`` leaves the account unable to sign in until one is set.

    ``password_hash`` (from ``make_password``) replaces ``password`` when many users share one,
    as the demo's do: hashing is deliberately slow.
    """
    user = User(
        email=User.objects.normalize_email(email).lower(),
        full_name=full_name,
        language=language,
        time_zone=time_zone,
        is_staff=is_staff,
        is_superuser=is_staff,
    )
    if password_hash is not None:
        user.password = password_hash
    else:
        user.set_password(password)
    user.full_clean()
    user.save()
    audit.record(actor, "user.create", workspace=None, target=user, after=audit.snapshot(user, USER_FIELDS))
    return user


@transaction.atomic
def user_set_password(*, actor: Actor, user: User, password: str) -> User:
    user.set_password(password)
    user.save(update_fields=["password"])
    # Only the fact is recorded: password fields never enter the audit log.
    audit.record(actor, "user.set_password", workspace=None, target=user)
    return user


@transaction.atomic
def membership_grant(
    *,
    actor: Actor,
    workspace: Workspace,
    user: User,
    role: str,
    regions: Sequence[Region] = (),
) -> Membership:
    """Give ``user`` ``role`` in ``workspace``, or change the role of an existing membership."""
    if any(region.workspace_id != workspace.pk for region in regions):
        raise Region.DoesNotExist("a region belongs to another workspace")
    existing = Membership.objects.for_workspace(workspace).filter(user=user).first()
    if existing is not None:
        before = audit.snapshot(existing)
        existing.role = Role(role)
        existing.is_active = True
        existing.save(update_fields=["role", "is_active"])
        audit.record(
            actor,
            "membership.update",
            workspace=workspace,
            target=existing,
            before=before,
            after=audit.snapshot(existing),
        )
        return existing
    membership = Membership(user=user, workspace=workspace, role=Role(role))
    membership.full_clean()
    membership.save()
    if regions:
        membership.regions.set(regions)
    after = {**audit.snapshot(membership), "regions": sorted(region.pk for region in regions)}
    audit.record(actor, "membership.create", workspace=workspace, target=membership, after=after)
    return membership
