"""Every write of analytics: metric collection from connected accounts, and rollup rebuilds.

Collection (:func:`collect_all`, hourly) reads each connected account that declares the metrics
capability through ``connectors.facade``: its counters, then the counters of every variant it
published in the last :data:`METRICS_WINDOW_DAYS` days (listed by ``publishing.facade``). Snapshots
are stored once per account (or variant) and hour and never changed; what each account's
collection did is kept in ``CollectionAttempt``. One account's failure never stops the others, and
snapshots read before a failure are kept; a later run in the same hour reads what is missing.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import transaction
from django.utils import timezone

from pappus.analytics import rollups
from pappus.analytics.models import AccountSnapshot, CollectionAttempt, CollectionStatus, PostSnapshot
from pappus.connectors import facade as connector_facade
from pappus.connectors.contracts import Capability, MetricSnapshot
from pappus.connectors.errors import ConnectorError, NotFoundError, NotSupportedError
from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.models import Workspace
from pappus.publishing import facade as publishing_facade

logger = logging.getLogger("pappus.analytics")

# Posts older than this are no longer read: their counters have settled, and each costs a request.
METRICS_WINDOW_DAYS = 90


def hour_of(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(datetime.UTC).replace(minute=0, second=0, microsecond=0)


@dataclass(frozen=True, slots=True)
class CollectionSummary:
    accounts: int
    collected: int
    partial: int
    failed: int
    skipped: int  # already collected this hour, or expired (waiting for a reconnect)


def collect_all(*, now: datetime.datetime | None = None) -> CollectionSummary:
    """Collect every workspace's accounts with the metrics capability for the current hour (idempotent)."""
    now = now or timezone.now()
    counts = {"collected": 0, "partial": 0, "failed": 0, "skipped": 0}
    accounts = 0
    for workspace_id in Workspace.objects.order_by("pk").values_list("pk", flat=True):
        for target in connector_facade.target_accounts(workspace_id, capability=Capability.METRICS):
            accounts += 1
            if target.status == "expired":
                counts["skipped"] += 1
                continue
            try:
                attempt = account_collect(workspace_id=workspace_id, account_id=target.id, now=now)
            except Exception as error:  # a bug or a database error on one account must not starve the rest
                logger.exception("analytics.collect_crashed account=%s", target.id)
                _attempt_store(
                    workspace_id,
                    target.id,
                    target.network,
                    hour_of(now),
                    now,
                    status=CollectionStatus.FAILED,
                    error=f"{type(error).__name__}: {error}",
                )
                counts["failed"] += 1
                continue
            if attempt is None:
                counts["skipped"] += 1
            else:
                counts[attempt.status] += 1
    summary = CollectionSummary(accounts=accounts, **counts)
    logger.info(
        "analytics.collected accounts=%s collected=%s partial=%s failed=%s skipped=%s",
        summary.accounts,
        summary.collected,
        summary.partial,
        summary.failed,
        summary.skipped,
    )
    return summary


def _attempt_store(
    workspace_id: int,
    account_id: int,
    network: str,
    hour: datetime.datetime,
    now: datetime.datetime,
    *,
    status: str,
    posts_read: int = 0,
    posts_failed: int = 0,
    error: str = "",
) -> CollectionAttempt:
    with transaction.atomic():
        attempt = (
            CollectionAttempt.objects.for_workspace(workspace_id)
            .select_for_update()
            .filter(account_id=account_id, hour=hour)
            .first()
        )
        if attempt is None:
            return CollectionAttempt.objects.create(
                workspace_id=workspace_id,
                account_id=account_id,
                network=network,
                hour=hour,
                status=status,
                posts_read=posts_read,
                posts_failed=posts_failed,
                error=error,
                attempted_at=now,
            )
        attempt.status = status
        attempt.posts_read = posts_read
        attempt.posts_failed = posts_failed
        attempt.error = error
        attempt.attempts += 1
        attempt.attempted_at = now
        attempt.save(update_fields=["status", "posts_read", "posts_failed", "error", "attempts", "attempted_at"])
        return attempt


def account_collect(*, workspace_id: int, account_id: int, now: datetime.datetime) -> CollectionAttempt | None:
    """Snapshot one account and its recent posts for the hour of ``now``.

    Returns None when this hour was already collected completely; otherwise the attempt, whose
    status says whether everything (collected), some posts (partial) or nothing could be read.
    """
    hour = hour_of(now)
    done = CollectionAttempt.objects.for_workspace(workspace_id).filter(
        account_id=account_id, hour=hour, status=CollectionStatus.COLLECTED
    )
    if done.exists():
        return None
    target = connector_facade.target_account(workspace_id, account_id)
    variants = publishing_facade.published_variants(
        workspace_id, account_id=account_id, published_since=now - datetime.timedelta(days=METRICS_WINDOW_DAYS)
    )
    have = set(
        PostSnapshot.objects.for_workspace(workspace_id)
        .filter(hour=hour, variant_id__in=[variant.variant_id for variant in variants])
        .values_list("variant_id", flat=True)
    )
    posts_read = len(have)
    posts_failed = 0
    error = ""
    connector = None
    try:
        connector = connector_facade.connector_for_account(workspace_id, account_id)
        if (
            not AccountSnapshot.objects.for_workspace(workspace_id)
            .filter(network=target.network, account_id=account_id, hour=hour)
            .exists()
        ):
            counters = connector.account_metrics()
            _account_snapshot_store(workspace_id, target.network, account_id, target.region_id, hour, counters)
        for variant in variants:
            if variant.variant_id in have:
                continue
            try:
                counters = connector.post_metrics(variant.remote_id)
            except NotFoundError as missing:  # deleted on the network: the others still count
                posts_failed += 1
                error = str(missing)
                continue
            _post_snapshot_store(workspace_id, variant, hour, counters)
            posts_read += 1
    except NotSupportedError:
        # The network reports account counters only (no per-post metrics): nothing is missing.
        pass
    except ConnectorError as failure:
        posts_failed = len(variants) - posts_read
        error = str(failure)
        connector_facade.record_failure(workspace_id, account_id, failure)
        account_done = AccountSnapshot.objects.for_workspace(workspace_id).filter(
            network=target.network, account_id=account_id, hour=hour
        )
        status = CollectionStatus.PARTIAL if account_done.exists() else CollectionStatus.FAILED
        logger.info("analytics.collect_failed account=%s error=%s", account_id, failure.code)
        return _attempt_store(
            workspace_id,
            account_id,
            target.network,
            hour,
            now,
            status=status,
            posts_read=posts_read,
            posts_failed=posts_failed,
            error=error,
        )
    finally:
        if connector is not None:
            connector.close()
    connector_facade.record_success(workspace_id, account_id, connector)  # keeps the rate-limit budget it saw
    return _attempt_store(
        workspace_id,
        account_id,
        target.network,
        hour,
        now,
        status=CollectionStatus.PARTIAL if posts_failed else CollectionStatus.COLLECTED,
        posts_read=posts_read,
        posts_failed=posts_failed,
        error=error,
    )


def _account_snapshot_store(  # noqa: PLR0917 - one row's columns, private
    workspace_id: int,
    network: str,
    account_id: int,
    region_id: int | None,
    hour: datetime.datetime,
    counters: MetricSnapshot,
) -> None:
    # ignore_conflicts: a concurrent run that stored this hour first wins; snapshots are never changed.
    AccountSnapshot.objects.bulk_create(
        [
            AccountSnapshot(
                workspace_id=workspace_id,
                account_id=account_id,
                network=network,
                region_id=region_id,
                hour=hour,
                taken_at=counters.taken_at,
                followers=counters.followers,
                following=counters.following,
                posts=counters.posts,
            )
        ],
        ignore_conflicts=True,
    )


def post_snapshot_row(
    workspace_id: int,
    variant: publishing_facade.PublishedVariant,
    hour: datetime.datetime,
    taken_at: datetime.datetime,
    **metrics: int | None,
) -> PostSnapshot:
    return PostSnapshot(
        workspace_id=workspace_id,
        account_id=variant.account_id,
        variant_id=variant.variant_id,
        post_id=variant.post_id,
        network=variant.network,
        region_id=variant.region_id,
        content_type=variant.content_type,
        pillar=variant.pillar,
        remote_id=variant.remote_id,
        published_at=variant.published_at,
        hour=hour,
        taken_at=taken_at,
        **metrics,
    )


def _post_snapshot_store(
    workspace_id: int, variant: publishing_facade.PublishedVariant, hour: datetime.datetime, counters: MetricSnapshot
) -> None:
    row = post_snapshot_row(
        workspace_id,
        variant,
        hour,
        counters.taken_at,
        impressions=counters.impressions,
        reach=counters.reach,
        reactions=counters.likes,
        comments=counters.replies,
        shares=counters.shares,
        saves=None,  # no connector reports saves or video views yet (MetricSnapshot has no such field)
        video_views=None,
        link_clicks=counters.clicks,
    )
    PostSnapshot.objects.bulk_create([row], ignore_conflicts=True)
    # Publishing keeps each variant's latest counters (best times, asset performance): hand them over.
    try:
        with transaction.atomic():
            publishing_facade.record_variant_metrics(
                workspace_id,
                variant.variant_id,
                taken_at=counters.taken_at,
                likes=counters.likes,
                shares=counters.shares,
                replies=counters.replies,
                impressions=counters.impressions,
            )
    except (ObjectDoesNotExist, ValidationError):  # deleted or unpublished meanwhile: the snapshot stands
        logger.info("analytics.variant_metrics_skipped variant=%s", variant.variant_id)


def rollups_backfill(
    *,
    workspace_id: int,
    chunk_days: int = 7,
    on_progress: Callable[[int, int], None] = lambda done, total: None,
) -> int:
    """Rebuild the workspace's daily rollups over its whole history (audited); rows written."""
    written = rollups.rollups_backfill(workspace_id, chunk_days=chunk_days, on_progress=on_progress)
    audit.record(
        Actor.system("cli"),
        "analytics.rollups.rebuild",
        workspace=Workspace.objects.get(pk=workspace_id),
        object_type="analytics.rollups",
        object_id=str(workspace_id),
        object_repr=f"{written} rows",
        after={"rows": written},
    )
    return written
