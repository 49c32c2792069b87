"""Factories for core rows: plain functions with sensible defaults and a running counter."""

from __future__ import annotations

import itertools
from typing import Any

from pappus.core import services
from pappus.core.audit import Actor
from pappus.core.models import Membership, Region, User, Workspace
from pappus.core.permissions import Role

_counter = itertools.count(1)
PASSWORD = "correct horse battery staple"


def make_user(email: str | None = None, password: str = PASSWORD, **fields: Any) -> User:
    number = next(_counter)
    return User.objects.create_user(email or f"user{number}@example.com", password, **fields)


def make_workspace(name: str | None = None, owner: User | None = None, **fields: Any) -> Workspace:
    number = next(_counter)
    return services.workspace_create(
        actor=Actor.system("test"), owner=owner or make_user(), name=name or f"Workspace {number}", **fields
    )


def make_member(
    workspace: Workspace | None = None, role: str = Role.CONTENT_MANAGER, user: User | None = None, **user_fields: Any
) -> Membership:
    """A user with ``role`` in ``workspace`` (an owner for a new workspace is made as needed)."""
    workspace = workspace or make_workspace()
    user = user or make_user(**user_fields)
    existing = Membership.objects.filter(user=user, workspace=workspace).first()
    if existing:
        existing.role = role
        existing.save(update_fields=["role"])
        return existing
    return Membership.objects.create(user=user, workspace=workspace, role=role)


def make_region(workspace: Workspace, name: str | None = None, **fields: Any) -> Region:
    hub = Region.objects.for_workspace(workspace).get(parent__isnull=True)
    return Region.objects.create(workspace=workspace, parent=hub, name=name or f"Region {next(_counter)}", **fields)
