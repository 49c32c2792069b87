"""Every write to core rows: workspaces, regions, memberships. Each records an audit event."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.models import Membership, Region, RegionKind, User, Workspace
from pappus.core.permissions import Action, Role, require

WORKSPACE_FIELDS = ("name", "slug", "time_zone", "default_language", "currency")


def _unique_slug(name: str) -> str:
    base = slugify(name, allow_unicode=False)[:50] or "workspace"
    slug, counter = base, 2
    while Workspace.objects.filter(slug=slug).exists():
        slug = f"{base}-{counter}"
        counter += 1
    return slug


@transaction.atomic
def workspace_create(
    *,
    actor: Actor,
    owner: User,
    name: str,
    time_zone: str = "UTC",
    default_language: str = "en",
    currency: str = "EUR",
    hub_name: str | None = None,
    slug: str | None = None,
) -> Workspace:
    """Create a workspace with its hub region and make ``owner`` its owner."""
    workspace = Workspace(
        name=name,
        slug=slug or _unique_slug(name),
        time_zone=time_zone,
        default_language=default_language,
        currency=currency,
    )
    workspace.full_clean()
    workspace.save()
    hub = Region.objects.create(workspace=workspace, name=hub_name or name, kind=RegionKind.HUB)
    membership = Membership.objects.create(user=owner, workspace=workspace, role=Role.OWNER)
    audit.record(
        actor,
        "workspace.create",
        workspace=workspace,
        target=workspace,
        after=audit.snapshot(workspace, WORKSPACE_FIELDS),
    )
    audit.record(actor, "region.create", workspace=workspace, target=hub, after=audit.snapshot(hub))
    audit.record(actor, "membership.create", workspace=workspace, target=membership, after=audit.snapshot(membership))
    return workspace


@transaction.atomic
def workspace_update(*, actor: Actor, membership: Membership, **values: Any) -> Workspace:
    require(membership, Action.WORKSPACE_MANAGE)
    workspace = Workspace.objects.select_for_update().get(pk=membership.workspace_id)
    before = audit.snapshot(workspace, WORKSPACE_FIELDS)
    for name, value in values.items():
        if name not in WORKSPACE_FIELDS:
            raise ValueError(f"unknown workspace field: {name}")
        setattr(workspace, name, value)
    workspace.full_clean()
    workspace.save()
    audit.record(
        actor,
        "workspace.update",
        workspace=workspace,
        target=workspace,
        before=before,
        after=audit.snapshot(workspace, WORKSPACE_FIELDS),
    )
    return workspace


@transaction.atomic
def region_create(
    *,
    actor: Actor,
    membership: Membership,
    name: str,
    parent: Region | None = None,
    kind: str = RegionKind.COUNTRY,
    country_code: str = "",
    language: str = "",
) -> Region:
    """Add a spoke under ``parent`` (the hub when omitted)."""
    require(membership, Action.REGIONS_MANAGE)
    workspace = membership.workspace
    if parent is None:
        parent = Region.objects.for_workspace(workspace).get(parent__isnull=True)
    elif parent.workspace_id != workspace.pk:
        raise Region.DoesNotExist("the parent region belongs to another workspace")
    region = Region(
        workspace=workspace, parent=parent, name=name, kind=kind, country_code=country_code.upper(), language=language
    )
    region.full_clean()
    region.save()
    audit.record(actor, "region.create", workspace=workspace, target=region, after=audit.snapshot(region))
    return region


@transaction.atomic
def membership_add(
    *,
    actor: Actor,
    membership: Membership,
    user: User,
    role: str,
    regions: list[Region] | None = None,
) -> Membership:
    """Give ``user`` a role in the acting member's workspace; only an owner makes owners."""
    require(membership, Action.MEMBERS_MANAGE)
    if role == Role.OWNER and membership.role != Role.OWNER:
        require(membership, Action.WORKSPACE_DELETE)
    workspace = membership.workspace
    new = Membership(user=user, workspace=workspace, role=Role(role))
    new.full_clean()
    new.save()
    if regions:
        if any(region.workspace_id != workspace.pk for region in regions):
            raise Region.DoesNotExist("a region belongs to another workspace")
        new.regions.set(regions)
    after = {**audit.snapshot(new), "regions": sorted(region.pk for region in regions or [])}
    audit.record(actor, "membership.create", workspace=workspace, target=new, after=after)
    return new


def _ensure_an_owner_remains(target: Membership) -> None:
    """A workspace never loses its last active owner (nobody could administer it again)."""
    other_owners = Membership.objects.for_workspace(target.workspace_id).filter(role=Role.OWNER, is_active=True)
    if not other_owners.exclude(pk=target.pk).exists():
        raise ValidationError(
            {"role": _("%(user)s is the only owner: make someone else an owner first.") % {"user": target.user}}
        )


@transaction.atomic
def membership_change_role(*, actor: Actor, membership: Membership, target: Membership, role: str) -> Membership:
    require(membership, Action.MEMBERS_MANAGE)
    if target.workspace_id != membership.workspace_id:
        raise Membership.DoesNotExist("the membership belongs to another workspace")
    if Role.OWNER in {role, target.role} and membership.role != Role.OWNER:
        require(membership, Action.WORKSPACE_DELETE)
    if target.role == Role.OWNER and role != Role.OWNER:
        _ensure_an_owner_remains(target)
    before = audit.snapshot(target)
    target.role = Role(role)
    target.save(update_fields=["role"])
    audit.record(
        actor,
        "membership.update",
        workspace=membership.workspace,
        target=target,
        before=before,
        after=audit.snapshot(target),
    )
    return target


@transaction.atomic
def membership_remove(*, actor: Actor, membership: Membership, target: Membership) -> None:
    """Take a member out of the workspace; their past work and audit trail stay."""
    require(membership, Action.MEMBERS_MANAGE)
    if target.workspace_id != membership.workspace_id:
        raise Membership.DoesNotExist("the membership belongs to another workspace")
    if target.role == Role.OWNER:
        if membership.role != Role.OWNER:
            require(membership, Action.WORKSPACE_DELETE)
        _ensure_an_owner_remains(target)
    before = {**audit.snapshot(target), "regions": sorted(region.pk for region in target.regions.all())}
    audit.record(actor, "membership.delete", workspace=membership.workspace, target=target, before=before)
    target.delete()


USER_PROFILE_FIELDS = ("full_name", "language", "time_zone")


@transaction.atomic
def user_update_profile(*, actor: Actor, user: User, **values: Any) -> User:
    """Change a user's own name, interface language or time zone (audited outside any workspace)."""
    before = audit.snapshot(user, USER_PROFILE_FIELDS)
    for name, value in values.items():
        if name not in USER_PROFILE_FIELDS:
            raise ValueError(f"unknown profile field: {name}")
        setattr(user, name, value)
    user.full_clean(exclude=["password", "email", "last_workspace"])
    user.save(update_fields=list(values))
    after = audit.snapshot(user, USER_PROFILE_FIELDS)
    if before != after:
        audit.record(actor, "user.update", workspace=None, target=user, before=before, after=after)
    return user


def user_remember_workspace(*, user: User, membership: Membership) -> None:
    """Remember the workspace a user switched to, for their next sign-in (a preference, not audited)."""
    if membership.user_id != user.pk or not membership.is_active:
        raise Membership.DoesNotExist("the membership belongs to another user")
    if user.last_workspace_id != membership.workspace_id:
        user.last_workspace_id = membership.workspace_id
        user.save(update_fields=["last_workspace"])
