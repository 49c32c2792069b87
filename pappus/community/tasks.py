"""Thin jobs of the community: ids in, a service called."""

from __future__ import annotations

from pappus.community import events, leaders, services
from pappus.core.jobs import job
from pappus.core.models import Workspace


@job(name="community.refresh", queue="default", time_limit=1800)
def refresh(workspace_id: int) -> None:
    """Collect identities from the inbox and listening, resolve duplicates, place members on the ladder."""
    services.collect(workspace_id)
    services.resolve(workspace_id)
    services.loyalty_recompute(workspace_id)


@job(name="community.refresh_all", queue="default", time_limit=3600)
def refresh_all() -> None:
    """Refresh every workspace's community, apply its retention, send event invitations still waiting,
    reminders and follow-ups that are due (each person is reminded and followed up once), rank the
    opinion leaders again."""
    for workspace_id in Workspace.objects.order_by("pk").values_list("pk", flat=True):
        services.collect(workspace_id)
        services.resolve(workspace_id)
        services.loyalty_recompute(workspace_id)
        services.retention_sweep(workspace_id)
        events.invitations_send_due(workspace_id)
        events.reminders_send(workspace_id)
        events.follow_ups_send(workspace_id)
        leaders.discover(workspace_id)


@job(name="community.send_invitations", queue="default", time_limit=1800)
def send_invitations(event_id: int) -> None:
    """Send an event's waiting invitations (e-mails and direct messages) and keep each outcome."""
    events.invitations_send(event_id)
