"""Thin jobs of strategy: a service called."""

from __future__ import annotations

from django.utils import timezone

from pappus.core.jobs import job
from pappus.strategy import services


@job(name="strategy.record_actuals_everywhere", queue="analytics", time_limit=1800)
def record_actuals() -> None:
    """Record each workspace's yesterday (its last complete day in its time zone) actual value of every
    KPI whose metric analytics measures (source "analytics"); idempotent, a value entered by hand is kept."""
    services.kpi_record_actuals_everywhere(now=timezone.now())
