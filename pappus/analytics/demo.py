"""Demo analytics: snapshots for the demo workspaces, so the dashboard shows something.

The demo has no connected accounts (its networks are fictional), so nothing can be collected:
these snapshots are generated, honestly labelled as the demo's in docs/analytics.md. Each network
the demo publishes to gets a stand-in account (``account_id`` 0) with a daily follower count for
the last 60 days; each published demo variant gets a daily snapshot of counters that grow and
settle as real posts' do. Idempotent: snapshots are unique per account (or variant) and hour and
are only added, never changed; when any were added the rollups are rebuilt (an audited backfill).
"""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from pappus.analytics import services
from pappus.analytics.models import AccountSnapshot, PostSnapshot
from pappus.core.models import Workspace
from pappus.publishing import facade as publishing_facade

HISTORY_DAYS = 60


def _noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)


def contribute(workspace: Workspace, rng: random.Random) -> None:
    variants = publishing_facade.published_variants(workspace.pk, include_unlinked=True)
    if not variants:
        return
    before = _stored(workspace)
    now = timezone.now()
    today = now.astimezone(datetime.UTC).date()
    days = [today - datetime.timedelta(days=offset) for offset in range(HISTORY_DAYS, -1, -1)]
    accounts = []
    for network in sorted({variant.network for variant in variants}):
        followers = rng.randint(800, 4000)
        for day in days:
            followers += rng.randint(-4, 30)
            moment = _noon(day)
            if moment <= now:
                accounts.append(
                    AccountSnapshot(
                        workspace=workspace,
                        account_id=0,
                        network=network,
                        hour=moment,
                        taken_at=moment,
                        followers=followers,
                        following=rng.randint(40, 120),
                    )
                )
    AccountSnapshot.objects.bulk_create(accounts, ignore_conflicts=True)

    posts = []
    for variant in variants:
        impressions = rng.randint(600, 6000)
        share = {
            "reach": rng.uniform(0.55, 0.8),
            "reactions": rng.uniform(0.02, 0.08),
            "comments": rng.uniform(0.003, 0.015),
            "shares": rng.uniform(0.002, 0.012),
            "saves": rng.uniform(0.001, 0.01),
            "link_clicks": rng.uniform(0.005, 0.03),
        }
        published = variant.published_at.astimezone(datetime.UTC)
        moment = published.replace(minute=0, second=0, microsecond=0) + datetime.timedelta(hours=1)
        age = 0
        while moment <= now:
            grown = 1 - 0.45 ** (age + 1)  # most of a post's life is in its first days
            seen = round(impressions * grown)
            posts.append(
                services.post_snapshot_row(
                    workspace.pk,
                    variant,
                    moment,
                    moment,
                    impressions=seen,
                    video_views=None,
                    **{name: round(seen * fraction) for name, fraction in share.items()},
                )
            )
            moment += datetime.timedelta(days=1)
            age += 1
    PostSnapshot.objects.bulk_create(posts, ignore_conflicts=True)
    if _stored(workspace) != before:  # a second load on the same day adds nothing, and rebuilds nothing
        services.rollups_backfill(workspace_id=workspace.pk)


def _stored(workspace: Workspace) -> tuple[int, int]:
    return (
        AccountSnapshot.objects.for_workspace(workspace).count(),
        PostSnapshot.objects.for_workspace(workspace).count(),
    )
