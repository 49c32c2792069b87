"""Crisis jobs: thin, ids in, a service called. The periodic evaluation is declared in config/schedule.py."""

from __future__ import annotations

from pappus.core.jobs import job
from pappus.crisis import notifications, services


@job(name="crisis.notify_alert", queue="notifications", retries=3, retry_delay=60, time_limit=120, priority=20)
def notify_alert(alert_id: int) -> None:
    """Send an alert's e-mails and webhook; deliveries already sent are not sent again."""
    notifications.alert_notify(alert_id)


def evaluate_rules() -> int:
    """Score every active rule's latest hours (called by the periodic job in config/schedule.py)."""
    return services.rules_evaluate()
