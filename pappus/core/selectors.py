"""Every read of core rows that views and the API need."""

from __future__ import annotations

import datetime

from django.db.models import F, QuerySet
from django.http import HttpRequest

from pappus.core.models import AuditEvent, Membership, Region, User, Workspace

SESSION_WORKSPACE_KEY = "workspace_id"


def memberships_of(user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user, is_active=True).select_related("workspace").order_by("workspace__name")


def membership_for(user: User, workspace_id: int) -> Membership | None:
    return memberships_of(user).filter(workspace_id=workspace_id).first()


def current_membership(request: HttpRequest) -> Membership | None:
    """The membership of the workspace the user works in now: session, then last used, then first."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    workspace_id = request.session.get(SESSION_WORKSPACE_KEY) or user.last_workspace_id
    membership = membership_for(user, int(workspace_id)) if workspace_id else None
    return membership or memberships_of(user).first()


def regions_of(workspace: Workspace) -> QuerySet[Region]:
    # The hub (no parent) first on every database: PostgreSQL sorts NULL last unless told otherwise.
    hub_first = F("parent_id").asc(nulls_first=True)
    return Region.objects.for_workspace(workspace).select_related("parent").order_by(hub_first, "name")


def audit_events(workspace: Workspace) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.for_workspace(workspace).select_related("actor")


def members_of(workspace: Workspace) -> QuerySet[Membership]:
    """Active members of ``workspace`` with their users and regions, for the team page."""
    return (
        Membership.objects.for_workspace(workspace)
        .filter(is_active=True)
        .select_related("user")
        .prefetch_related("regions")
        .order_by("user__full_name", "user__email")
    )


def user_by_email(email: str) -> User | None:
    return User.objects.filter(email__iexact=email.strip(), is_active=True).first()


def audit_events_filtered(
    workspace: Workspace,
    *,
    actor_id: int | None = None,
    action: str = "",
    object_type: str = "",
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
) -> QuerySet[AuditEvent]:
    """The workspace's audit events, newest first, narrowed by the given filters (``until`` exclusive)."""
    events = audit_events(workspace)
    if actor_id is not None:
        events = events.filter(actor_id=actor_id)
    if action:
        events = events.filter(action=action)
    if object_type:
        events = events.filter(object_type=object_type)
    if since is not None:
        events = events.filter(created_at__gte=since)
    if until is not None:
        events = events.filter(created_at__lt=until)
    return events.order_by("-created_at", "-id")


def audit_filter_values(workspace: Workspace) -> tuple[list[str], list[str]]:
    """The distinct actions and object types recorded in ``workspace``, for the filter form."""
    events = AuditEvent.objects.for_workspace(workspace).order_by()
    actions = sorted(events.values_list("action", flat=True).distinct())
    object_types = sorted(value for value in events.values_list("object_type", flat=True).distinct() if value)
    return actions, object_types


def audit_actors(workspace: Workspace) -> QuerySet[User]:
    """Users who are or were members of ``workspace``: the choices of the audit actor filter."""
    return User.objects.filter(memberships__workspace=workspace).order_by("full_name", "email").distinct()


def member_region_ids(membership: Membership) -> set[int] | None:
    """The regions a member is limited to, with every spoke below them; None when the member is not
    limited (the whole workspace, rows without a region included). A limited member sees only rows
    of those regions."""
    limited = list(membership.regions.values_list("pk", flat=True))
    if not limited:
        return None
    children: dict[int, list[int]] = {}
    for pk, parent in Region.objects.for_workspace(membership.workspace_id).values_list("pk", "parent_id"):
        if parent is not None:
            children.setdefault(parent, []).append(pk)
    found: set[int] = set()
    pending = list(limited)
    while pending:
        current = pending.pop()
        if current not in found:
            found.add(current)
            pending.extend(children.get(current, ()))
    return found
