"""Factories of the community tests: members through the services, sources' rows through the other
apps' own entry points (the inbox facade; listening mentions stored as listening stores them)."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from django.utils import timezone

from pappus.community import services
from pappus.community.models import Activity, Identity, Member
from pappus.core.audit import Actor
from pappus.core.models import Membership, Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.listening.models import Mention, Source

_numbers = itertools.count(1)
NOW = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.UTC)


def manager(workspace: Workspace | None = None) -> Membership:
    return make_member(workspace, role=Role.COMMUNITY_MANAGER)


def owner_of(workspace: Workspace) -> Membership:
    return Membership.objects.for_workspace(workspace).get(role=Role.OWNER)


def actor(membership: Membership) -> Actor:
    return Actor(membership.user, via="test")


def make_identity(workspace: Workspace, network: str = "bluesky", **values: Any) -> Identity:
    number = next(_numbers)
    values.setdefault("handle", f"person{number}")
    item = services.IdentityValues(network=network, **values)
    found = services.identities_upsert(workspace.pk, [item], source="manual")
    return found[(network, item.key)]


def add_activity(
    identity: Identity, kind: str = "mention", *, when: datetime.datetime | None = None, **values: Any
) -> None:
    identity.refresh_from_db()
    pair = (identity.network, identity.key)
    services.activities_add(
        identity.workspace_id,
        {pair: identity},
        [
            services.ActivityValues(
                identity_pair=pair,
                kind=kind,
                external_ref=values.pop("external_ref", f"test:{next(_numbers)}"),
                occurred_at=when or timezone.now(),
                **values,
            )
        ],
    )


def member_of(identity: Identity) -> Member:
    identity.refresh_from_db()
    return Member.objects.get(pk=identity.member_id)


def activities_of(member: Member) -> list[str]:
    return sorted(Activity.objects.filter(member=member).values_list("external_ref", flat=True))


def make_mention(workspace: Workspace, **values: Any) -> Mention:
    source = Source.objects.filter(workspace=workspace, kind="webhook").first() or Source.objects.create(
        workspace=workspace, name="Feed", kind="webhook"
    )
    number = next(_numbers)
    values.setdefault("network", "bluesky")
    values.setdefault("external_id", f"post{number}")
    values.setdefault("author_handle", f"author{number}")
    values.setdefault("text", "I love this coffee")
    values.setdefault("published_at", timezone.now())
    return Mention.objects.create(workspace=workspace, source=source, **values)
