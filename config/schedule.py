"""Every periodic job in one place (STYLE.md habit 4). Imported by every consumer at start.

A periodic job is a thin function that calls a service; the cron fields are
``minute hour day month day_of_week`` in UTC. Only a consumer with periodic jobs on (`pappus
scheduler`, `pappus serve`, or `pappus worker --periodic`) enqueues them, once per due minute;
any worker runs them. Keep them idempotent: a late or repeated run must do no harm.
"""

from __future__ import annotations

import datetime

from pappus.adoption import tasks as adoption_tasks
from pappus.ads import tasks as ads_tasks
from pappus.analytics import tasks as analytics_tasks
from pappus.community import tasks as community_tasks
from pappus.connectors import tasks as connector_tasks
from pappus.core import health
from pappus.core.jobs import periodic_job
from pappus.crisis import tasks as crisis_tasks
from pappus.inbox import tasks as inbox_tasks
from pappus.listening import tasks as listening_tasks
from pappus.publishing import tasks as publishing_tasks
from pappus.strategy import tasks as strategy_tasks


@periodic_job(name="core.prune_heartbeats", cron="17 3 * * *", time_limit=60)
def prune_heartbeats() -> None:
    """Forget processes that have not been seen for a week (stopped or moved workers)."""
    health.heartbeats_prune(older_than=datetime.timedelta(days=7))


@periodic_job(name="listening.schedule_polls", cron="* * * * *", queue="ingest", time_limit=60)
def poll_due_sources() -> None:
    """Enqueue a poll of every polled source (feeds and connected accounts' searches) whose next poll has come."""
    listening_tasks.poll_due_sources()


@periodic_job(name="publishing.dispatch", cron="* * * * *", queue="publishing", time_limit=60, priority=10)
def dispatch_due_posts() -> None:
    """Start senders for the variants due now; they claim with row locks, so each is sent once."""
    publishing_tasks.dispatch_due()


@periodic_job(name="connectors.check_tokens", cron="23 * * * *", time_limit=60)
def check_connector_tokens() -> None:
    """Check every connected account's token hourly, so an expiry shows on the health page before it bites."""
    connector_tasks.check_all_accounts()


@periodic_job(name="crisis.evaluate_rules", cron="*/10 * * * *", queue="analytics", time_limit=300, priority=10)
def evaluate_crisis_rules() -> None:
    """Score each alert rule's latest complete hours; alerts are raised once per rule and hour."""
    crisis_tasks.evaluate_rules()


@periodic_job(name="inbox.sla_clocks", cron="* * * * *", time_limit=60, priority=5)
def check_inbox_sla_clocks() -> None:
    """Warn about conversations near their due time and escalate the overdue, every minute."""
    inbox_tasks.sla_sweep()


@periodic_job(name="community.hourly", cron="41 * * * *", time_limit=3600)
def refresh_community() -> None:
    """Collect members' identities from the inbox and listening, merge confident duplicates, recompute the
    loyalty ladder and its alerts, and apply each workspace's retention (idempotent)."""
    community_tasks.refresh_all()


@periodic_job(name="inbox.pull_connectors", cron="*/2 * * * *", queue="ingest", time_limit=120)
def pull_connector_inboxes() -> None:
    """Bring comments, mentions and messages from connected accounts into the inbox every two minutes."""
    inbox_tasks.pull_inbound()


@periodic_job(name="analytics.hourly_collection", cron="7 * * * *", queue="analytics", time_limit=1800)
def collect_analytics_metrics() -> None:
    """Snapshot followers and post counters of every account with metrics once an hour, then refresh
    the daily rollups of yesterday and today."""
    analytics_tasks.collect_metrics()


@periodic_job(name="publishing.evergreen", cron="13 * * * *", queue="publishing", time_limit=300)
def fill_evergreen_queues() -> None:
    """Schedule evergreen posts into the open slots of the coming week, hourly (filling is idempotent)."""
    publishing_tasks.fill_evergreen()


@periodic_job(name="publishing.failure_alerts", cron="* * * * *", queue="publishing", time_limit=120)
def mail_failure_alerts() -> None:
    """E-mail the failure digests whose burst is over (one per person and post; notices are in-app at once)."""
    publishing_tasks.mail_failure_alerts()


@periodic_job(name="strategy.record_actuals", cron="37 1 * * *", queue="analytics", time_limit=1800)
def record_strategy_actuals() -> None:
    """Record each workspace's last complete day (in its time zone) of every KPI that analytics
    measures, after the night's first hourly collection has rolled it up (source "analytics"; values
    entered by hand are kept)."""
    strategy_tasks.record_actuals()


@periodic_job(name="analytics.scheduled_reports", cron="37 * * * *", queue="analytics", time_limit=1800)
def make_scheduled_reports() -> None:
    """Make each report schedule's report of its latest whole period once (after the hourly collection has
    refreshed the rollups), store it in the archive and e-mail it; retry failed ones on later runs."""
    analytics_tasks.run_due_reports()


@periodic_job(name="adoption.rollups", cron="52 * * * *", queue="analytics", time_limit=1800)
def refresh_adoption_rollups() -> None:
    """Fold yesterday's and today's page views, API calls and audited actions into daily usage per person and
    feature, recompute people KPIs, and forget raw page views older than 90 days (idempotent)."""
    adoption_tasks.refresh_rollups()


@periodic_job(name="ads.check_pacing", cron="41 * * * *", queue="analytics", time_limit=600)
def check_ads_pacing() -> None:
    """Raise a pacing alert once when a flight goes over or under its planned spend to date (shown on the ads
    overview, e-mailed to those who manage ads); resolve it when the flight is back on pace (idempotent)."""
    ads_tasks.check_pacing()


@periodic_job(name="ads.read_networks", cron="*/15 * * * *", queue="analytics", time_limit=900)
def read_ads_networks() -> None:
    """Read the last week of each Meta or VK Ads account set to be read on a schedule (every 6 hours, with its stored
    token); an account whose read fails waits longer each time (30 minutes doubling to a day)."""
    ads_tasks.read_networks()
