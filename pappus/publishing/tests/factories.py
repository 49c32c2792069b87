"""Factories for publishing rows, through the services (so the workflow and audit are real)."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from django.utils import timezone

from pappus.core.audit import Actor
from pappus.core.models import Membership
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.publishing import services
from pappus.publishing.models import Post, Variant

_counter = itertools.count(1)
ACTOR = Actor.system("test")


def make_post(membership: Membership, *, networks: tuple[str, ...] = ("mastodon",), **fields: Any) -> Post:
    number = next(_counter)
    fields.setdefault("title", f"Post {number}")
    fields.setdefault("text", f"Hello from post {number}")
    post = services.post_create(actor=ACTOR, membership=membership, **fields)
    for index, network in enumerate(networks, start=1):
        services.variant_add(
            actor=ACTOR,
            membership=membership,
            post=post,
            network=network,
            account_label=f"@brand{index}",
        )
    return post


def make_scheduled_post(
    membership: Membership,
    *,
    planned_at: datetime.datetime | None = None,
    networks: tuple[str, ...] = ("mastodon",),
    **fields: Any,
) -> Post:
    """A post that went through review and sits on the schedule (due now unless told otherwise)."""
    post = make_post(membership, networks=networks, **fields)
    approver = membership
    if membership.role not in {Role.OWNER, Role.ADMIN, Role.CONTENT_MANAGER}:
        approver = make_member(membership.workspace, role=Role.CONTENT_MANAGER)
    services.post_submit(actor=ACTOR, membership=membership, post=post)
    services.post_approve(actor=ACTOR, membership=approver, post=post)
    when = planned_at or timezone.now() - datetime.timedelta(seconds=1)
    return services.post_schedule(actor=ACTOR, membership=approver, post=post, planned_at=when)


def variants_of(post: Post) -> list[Variant]:
    return list(Variant.objects.filter(post=post).order_by("id"))
