"""Thin jobs of analytics: ids in, a service called."""

from __future__ import annotations

from pappus.analytics import report_services, rollups, services
from pappus.core.jobs import job


@job(name="analytics.collect_metrics", queue="analytics", time_limit=1800)
def collect_metrics() -> None:
    """Snapshot every connected account with metrics and its recent posts for this hour, then roll the
    last two days up again (idempotent: an hour already collected is not read twice)."""
    services.collect_all()
    rollups.rollups_refresh_recent()


@job(name="analytics.generate_report", queue="analytics", time_limit=600)
def generate_report(report_id: int) -> None:
    """Render a requested report, store it and e-mail it to its recipients (if any)."""
    report_services.report_process(report_id)


@job(name="analytics.run_due_reports", queue="analytics", time_limit=1800)
def run_due_reports() -> None:
    """Make each schedule's report of its latest whole period once, store and e-mail it; retry failed ones."""
    report_services.reports_run_due()
