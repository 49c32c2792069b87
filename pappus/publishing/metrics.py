"""Reading the networks' counters of published variants (likes, shares, replies) into publishing.

``collect_metrics`` (the ``publishing.collect_metrics`` job) asks each published variant's
connector for the post's counters, through ``pappus.connectors.facade``, for variants published in
the last 30 days whose counters are older than 6 hours. Best-time suggestions and the asset
library's performance figures read what is stored here.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable
from typing import Any

from django.db.models import Q
from django.utils import timezone

from pappus.connectors import facade as connector_facade
from pappus.connectors.errors import ConnectorError
from pappus.publishing import services
from pappus.publishing.models import Variant, VariantStatus

logger = logging.getLogger(__name__)

WINDOW = datetime.timedelta(days=30)
STALE_AFTER = datetime.timedelta(hours=6)


def _connector_of(variant: Variant) -> Any:
    if variant.account_id is None:
        raise connector_facade.AccountMissingError("no connected account", network=variant.network)
    return connector_facade.connector_for_account(variant.workspace_id, variant.account_id)


def collect_metrics(
    *,
    now: datetime.datetime | None = None,
    limit: int = 1000,
    connector_for: Callable[[Variant], Any] = _connector_of,
) -> int:
    """Refresh the counters of recently published variants; returns how many were stored."""
    now = now or timezone.now()
    due = (
        Variant.objects.filter(status=VariantStatus.PUBLISHED, published_at__gte=now - WINDOW)
        .filter(Q(metrics_at__isnull=True) | Q(metrics_at__lt=now - STALE_AFTER))
        .exclude(remote_id="")
        .order_by("published_at", "id")
    )
    stored = 0
    for variant in list(due[:limit]):
        try:
            connector = connector_for(variant)
            try:
                snapshot = connector.post_metrics(variant.remote_id)
            finally:
                connector.close()
        except ConnectorError as error:
            # Unsupported by the network, token expired, account gone: skip this one, keep going.
            logger.info("publishing.metrics_skipped variant=%s code=%s", variant.pk, error.code)
            continue
        services.variant_metrics_record(
            workspace_id=variant.workspace_id,
            variant_id=variant.pk,
            taken_at=snapshot.taken_at,
            likes=snapshot.likes,
            shares=snapshot.shares,
            replies=snapshot.replies,
            impressions=snapshot.impressions,
        )
        stored += 1
    return stored
