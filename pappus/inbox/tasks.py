"""Thin jobs of the inbox: ids in, a service called."""

from __future__ import annotations

from pappus.core.jobs import job
from pappus.inbox import services


@job(name="inbox.sla_sweep", queue="default", time_limit=60, priority=5)
def sla_sweep() -> None:
    """Warn about conversations close to their due time and escalate the overdue (idempotent)."""
    services.sla_sweep()
    services.presence_prune()


@job(name="inbox.pull_inbound", queue="ingest", time_limit=120)
def pull_inbound() -> None:
    """Read new inbox items of every connected account with an inbox into conversations (idempotent)."""
    services.inbound_pull_all()
