"""Thin jobs of analytics: ids in, a service called."""

from __future__ import annotations

from pappus.analytics import rollups, services
from pappus.core.jobs import job


@job(name="analytics.collect_metrics", queue="analytics", time_limit=1800)
def collect_metrics() -> None:
    """Snapshot every connected account with metrics and its recent posts for this hour, then roll the
    last two days up again (idempotent: an hour already collected is not read twice)."""
    services.collect_all()
    rollups.rollups_refresh_recent()
