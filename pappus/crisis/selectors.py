"""Reads for the crisis pages and API, scoped to a workspace, related rows fetched with them."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet

from pappus.crisis.models import Alert, AlertRule, Incident, IncidentEntry, Playbook


def alerts_of(workspace_id: int) -> QuerySet[Alert]:
    return Alert.objects.for_workspace(workspace_id).select_related("rule").defer("series")


def alert_of(workspace_id: int, alert_id: int) -> Alert:
    return (
        Alert.objects.for_workspace(workspace_id)
        .select_related("rule", "acknowledged_by")
        .prefetch_related("deliveries", "incidents")
        .get(pk=alert_id)
    )


def rules_of(workspace_id: int) -> QuerySet[AlertRule]:
    return AlertRule.objects.for_workspace(workspace_id).select_related("region").annotate(alert_count=Count("alerts"))


def rule_of(workspace_id: int, rule_id: int) -> AlertRule:
    return AlertRule.objects.for_workspace(workspace_id).get(pk=rule_id)


def incidents_of(workspace_id: int) -> QuerySet[Incident]:
    return Incident.objects.for_workspace(workspace_id).select_related("owner", "playbook")


def incident_of(workspace_id: int, incident_id: int) -> Incident:
    return (
        Incident.objects.for_workspace(workspace_id)
        .select_related("owner", "playbook")
        .prefetch_related(
            Prefetch("entries", queryset=IncidentEntry.objects.select_related("author")),
            Prefetch("alerts", queryset=Alert.objects.select_related("rule").defer("series")),
        )
        .get(pk=incident_id)
    )


def playbooks_of(workspace_id: int) -> QuerySet[Playbook]:
    return Playbook.objects.for_workspace(workspace_id).select_related("approved_by")


def playbook_of(workspace_id: int, playbook_id: int) -> Playbook:
    return Playbook.objects.for_workspace(workspace_id).get(pk=playbook_id)


def unacknowledged_count(workspace_id: int) -> int:
    return Alert.objects.for_workspace(workspace_id).filter(acknowledged_at__isnull=True).count()
