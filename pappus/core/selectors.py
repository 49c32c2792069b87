"""Every read of core rows that views and the API need."""

from __future__ import annotations

from django.db.models import QuerySet
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
    return Region.objects.for_workspace(workspace).select_related("parent").order_by("parent_id", "name")


def audit_events(workspace: Workspace) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.for_workspace(workspace).select_related("actor")
