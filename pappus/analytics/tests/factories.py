"""Rows the analytics tests read: published posts (publishing's rows, made directly) and snapshots."""

from __future__ import annotations

import datetime
import itertools
from typing import Any

from pappus.analytics.models import AccountSnapshot, PostSnapshot
from pappus.core.models import Workspace
from pappus.publishing.models import Post, PostStatus, Variant, VariantStatus

_numbers = itertools.count(1)


def make_published_variant(
    workspace: Workspace,
    *,
    account_id: int | None,
    remote_id: str,
    published_at: datetime.datetime,
    network: str = "mastodon",
    **post_fields: Any,
) -> Variant:
    number = next(_numbers)
    post_fields.setdefault("title", f"Published post {number}")
    post = Post.objects.create(workspace=workspace, status=PostStatus.PUBLISHED, planned_at=published_at, **post_fields)
    return Variant.objects.create(
        workspace=workspace,
        post=post,
        network=network,
        account_id=account_id,
        account_label="@brand",
        status=VariantStatus.PUBLISHED,
        remote_id=remote_id,
        published_at=published_at,
    )


def at(day: int, hour: int = 12, month: int = 3) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, tzinfo=datetime.UTC)


def account_snapshot(
    workspace: Workspace, account_id: int, moment: datetime.datetime, followers: int | None, **fields: Any
) -> AccountSnapshot:
    fields.setdefault("network", "mastodon")
    return AccountSnapshot.objects.create(
        workspace=workspace, account_id=account_id, hour=moment, taken_at=moment, followers=followers, **fields
    )


def post_snapshot(
    workspace: Workspace, variant: Variant, moment: datetime.datetime, **metrics: int | None
) -> PostSnapshot:
    return PostSnapshot.objects.create(
        workspace=workspace,
        account_id=variant.account_id or 0,
        variant_id=variant.pk,
        post_id=variant.post_id,
        network=variant.network,
        region_id=variant.post.region_id,
        content_type=variant.post.content_type,
        pillar=variant.post.pillar,
        remote_id=variant.remote_id,
        published_at=variant.published_at or moment,
        hour=moment,
        taken_at=moment,
        **metrics,
    )
