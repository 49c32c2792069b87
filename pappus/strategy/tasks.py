"""Thin jobs of strategy: a service called."""

from __future__ import annotations

import datetime

from django.utils import timezone

from pappus.core.jobs import job
from pappus.strategy import services


@job(name="strategy.record_actuals_everywhere", queue="analytics", time_limit=1800)
def record_actuals() -> None:
    """Record yesterday's (the last complete UTC day's) actual value of every KPI whose metric
    analytics measures (source "analytics"); idempotent, a value entered by hand is kept."""
    yesterday = timezone.now().astimezone(datetime.UTC).date() - datetime.timedelta(days=1)
    services.kpi_record_actuals_everywhere(day=yesterday)
