"""The crisis REST API under /api/v1/crisis: alerts, alert rules, incidents with their timeline, and
playbooks. Thin handlers over the same selectors and services as the pages. Reads need
``crisis.view``; changes need ``crisis.manage`` (acknowledging an alert only ``crisis.view``)."""

from __future__ import annotations

import datetime
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from pappus.core.api import ObjectId, Pagination, PositiveId, Text, actor_of, error_responses, member_of
from pappus.core.models import Membership, User
from pappus.core.permissions import Action
from pappus.crisis import selectors, services
from pappus.crisis.models import Alert, AlertRule, Incident, IncidentEntry, Playbook

router = Router(tags=["crisis"])

Sensitivity = Annotated[float, Field(ge=0.05, le=0.95)]
CooldownHours = Annotated[int, Field(ge=1, le=168)]


def _reader(request: HttpRequest) -> Membership:
    return member_of(request, Action.CRISIS_VIEW)


def _manager(request: HttpRequest) -> Membership:
    return member_of(request, Action.CRISIS_MANAGE)


class AlertOut(Schema):
    id: int
    rule_id: int
    rule_name: str = Field(alias="rule.name")
    metric: str = Field(alias="rule.metric")
    window_start: datetime.datetime
    window_end: datetime.datetime
    score: float = Field(description="The detector's anomaly score in [0, 1].")
    value: float = Field(description="Mentions in the hour, or the negative share (0..1).")
    expected: float | None
    mentions_filter: dict[str, Any] = Field(description="The listening search (mentions page parameters) behind it.")
    raised_at: datetime.datetime
    acknowledged_at: datetime.datetime | None


class RuleOut(Schema):
    id: int
    name: str
    topic_id: int | None = Field(description="A listening topic's id; null: all mentions.")
    region_id: int | None
    metric: Literal["volume", "negative_share"]
    sensitivity: float
    cooldown_hours: int
    email_recipients: list[str] = Field(alias="recipients")
    webhook_url: str
    is_active: bool


class RuleIn(Schema):
    name: Text = Field(min_length=1, max_length=200)
    topic_id: PositiveId | None = None
    region_id: PositiveId | None = None
    metric: Literal["volume", "negative_share"] = "volume"
    sensitivity: Sensitivity = 0.5
    cooldown_hours: CooldownHours = 6
    email_recipients: list[Annotated[str, Field(max_length=254)]] = Field(default_factory=list, max_length=50)
    webhook_url: Annotated[str, Field(max_length=500)] = ""
    is_active: bool = True


class RulePatch(Schema):
    name: Text | None = Field(None, min_length=1, max_length=200)
    sensitivity: Sensitivity | None = None
    cooldown_hours: CooldownHours | None = None
    email_recipients: list[Annotated[str, Field(max_length=254)]] | None = Field(None, max_length=50)
    webhook_url: Annotated[str, Field(max_length=500)] | None = None
    is_active: bool | None = None


class EntryOut(Schema):
    id: int
    kind: str
    text: str
    author_id: int | None
    created_at: datetime.datetime


class IncidentOut(Schema):
    id: int
    title: str
    severity: Literal["low", "medium", "high", "critical"]
    status: Literal["open", "mitigating", "resolved"]
    owner_id: int | None
    playbook_id: int | None
    checked_steps: list[int]
    summary: str
    opened_at: datetime.datetime
    resolved_at: datetime.datetime | None


class IncidentDetailOut(IncidentOut):
    alert_ids: list[int]
    timeline: list[EntryOut]

    @staticmethod
    def resolve_alert_ids(incident: Incident) -> list[int]:
        return [alert.pk for alert in incident.alerts.all()]

    @staticmethod
    def resolve_timeline(incident: Incident) -> list[IncidentEntry]:
        return list(incident.entries.all())


class IncidentIn(Schema):
    title: Text = Field(min_length=1, max_length=200)
    severity: Literal["low", "medium", "high", "critical"] = "medium"
    owner_id: PositiveId | None = None
    playbook_id: PositiveId | None = None
    alert_ids: list[PositiveId] = Field(default_factory=list, max_length=100)


class IncidentPatch(Schema):
    title: Text | None = Field(None, min_length=1, max_length=200)
    severity: Literal["low", "medium", "high", "critical"] | None = None
    status: Literal["open", "mitigating", "resolved"] | None = None
    owner_id: PositiveId | None = None
    summary: Text | None = Field(None, max_length=20000)


class EntryIn(Schema):
    kind: Literal["happened", "action"]
    text: Text = Field(min_length=1, max_length=5000)


class TemplateSchema(Schema):
    title: Text = Field(max_length=200)
    body: Text = Field(min_length=1, max_length=5000)


class PlaybookOut(Schema):
    id: int
    name: str
    language: str
    steps: list[str]
    templates: list[TemplateSchema]
    approved_at: datetime.datetime | None


class PlaybookIn(Schema):
    name: Text = Field(min_length=1, max_length=200)
    language: Literal["en", "ru", "nb", "zh-hans"] = "en"
    steps: list[Annotated[Text, Field(max_length=1000)]] = Field(default_factory=list, max_length=100)
    templates: list[TemplateSchema] = Field(default_factory=list, max_length=50)
    approved: bool = False


# --- alerts ------------------------------------------------------------------------------------


@router.get(
    "/crisis/alerts", response={200: list[AlertOut], **error_responses()}, summary="Crisis alerts, newest first"
)
@paginate(Pagination)
def alert_list(request: HttpRequest, acknowledged: bool | None = None) -> QuerySet[Alert]:
    alerts = selectors.alerts_of(_reader(request).workspace_id)
    if acknowledged is not None:
        alerts = alerts.filter(acknowledged_at__isnull=not acknowledged)
    return alerts


@router.get("/crisis/alerts/{alert_id}", response={200: AlertOut, **error_responses(404)}, summary="A crisis alert")
def alert_detail(request: HttpRequest, alert_id: ObjectId) -> Alert:
    return selectors.alert_of(_reader(request).workspace_id, alert_id)


@router.post(
    "/crisis/alerts/{alert_id}/acknowledge",
    response={200: AlertOut, **error_responses(404)},
    summary="Acknowledge an alert",
)
def alert_acknowledge(request: HttpRequest, alert_id: ObjectId) -> Alert:
    membership = _reader(request)
    alert = selectors.alert_of(membership.workspace_id, alert_id)
    return services.alert_acknowledge(actor=actor_of(request, membership), membership=membership, alert=alert)


# --- rules -------------------------------------------------------------------------------------


@router.get("/crisis/rules", response={200: list[RuleOut], **error_responses()}, summary="Alert rules")
@paginate(Pagination)
def rule_list(request: HttpRequest) -> QuerySet[AlertRule]:
    return selectors.rules_of(_reader(request).workspace_id)


@router.get("/crisis/rules/{rule_id}", response={200: RuleOut, **error_responses(404)}, summary="An alert rule")
def rule_detail(request: HttpRequest, rule_id: ObjectId) -> AlertRule:
    return selectors.rule_of(_reader(request).workspace_id, rule_id)


def _rule_values(membership: Membership, values: dict[str, Any]) -> dict[str, Any]:
    if "region_id" in values:
        values["region"] = services.region_of(membership, values.pop("region_id"))
    if "email_recipients" in values:
        values["email_recipients"] = "\n".join(values["email_recipients"] or [])
    return values


@router.post("/crisis/rules", response={201: RuleOut, **error_responses(404)}, summary="Add an alert rule")
def rule_create(request: HttpRequest, payload: RuleIn) -> Status[AlertRule]:
    membership = _manager(request)
    values = _rule_values(membership, payload.model_dump())
    return Status(201, services.rule_create(actor=actor_of(request, membership), membership=membership, **values))


@router.patch(
    "/crisis/rules/{rule_id}", response={200: RuleOut, **error_responses(404)}, summary="Change an alert rule"
)
def rule_update(request: HttpRequest, rule_id: ObjectId, payload: RulePatch) -> AlertRule:
    membership = _manager(request)
    rule = selectors.rule_of(membership.workspace_id, rule_id)
    values = {key: value for key, value in payload.model_dump(exclude_unset=True).items() if value is not None}
    values = _rule_values(membership, values)
    return services.rule_update(actor=actor_of(request, membership), membership=membership, rule=rule, **values)


@router.delete("/crisis/rules/{rule_id}", response={204: None, **error_responses(404)}, summary="Remove an alert rule")
def rule_delete(request: HttpRequest, rule_id: ObjectId) -> HttpResponse:
    membership = _manager(request)
    rule = selectors.rule_of(membership.workspace_id, rule_id)
    services.rule_delete(actor=actor_of(request, membership), membership=membership, rule=rule)
    return HttpResponse(status=204)


# --- incidents ---------------------------------------------------------------------------------


@router.get("/crisis/incidents", response={200: list[IncidentOut], **error_responses()}, summary="Incidents")
@paginate(Pagination)
def incident_list(request: HttpRequest) -> QuerySet[Incident]:
    return selectors.incidents_of(_reader(request).workspace_id)


@router.get(
    "/crisis/incidents/{incident_id}",
    response={200: IncidentDetailOut, **error_responses(404)},
    summary="An incident with its timeline",
)
def incident_detail(request: HttpRequest, incident_id: ObjectId) -> Incident:
    return selectors.incident_of(_reader(request).workspace_id, incident_id)


def _owner(membership: Membership, owner_id: int | None) -> User | None:
    if owner_id is None:
        return None
    return User.objects.filter(memberships__workspace_id=membership.workspace_id).get(pk=owner_id)


@router.post("/crisis/incidents", response={201: IncidentDetailOut, **error_responses(404)}, summary="Open an incident")
def incident_create(request: HttpRequest, payload: IncidentIn) -> Status[Incident]:
    membership = _manager(request)
    alerts = list(selectors.alerts_of(membership.workspace_id).filter(pk__in=payload.alert_ids))
    if len(alerts) != len(set(payload.alert_ids)):
        raise Alert.DoesNotExist
    playbook = selectors.playbook_of(membership.workspace_id, payload.playbook_id) if payload.playbook_id else None
    incident = services.incident_open(
        actor=actor_of(request, membership),
        membership=membership,
        title=payload.title,
        severity=payload.severity,
        owner=_owner(membership, payload.owner_id),
        playbook=playbook,
        alerts=alerts,
    )
    return Status(201, selectors.incident_of(membership.workspace_id, incident.pk))


@router.patch(
    "/crisis/incidents/{incident_id}",
    response={200: IncidentDetailOut, **error_responses(404)},
    summary="Change an incident (severity, status, owner, summary)",
)
def incident_update(request: HttpRequest, incident_id: ObjectId, payload: IncidentPatch) -> Incident:
    membership = _manager(request)
    incident = selectors.incident_of(membership.workspace_id, incident_id)
    values = {key: value for key, value in payload.model_dump(exclude_unset=True).items() if value is not None}
    if "owner_id" in values:
        values["owner"] = _owner(membership, values.pop("owner_id"))
    services.incident_update(actor=actor_of(request, membership), membership=membership, incident=incident, **values)
    return selectors.incident_of(membership.workspace_id, incident_id)


@router.post(
    "/crisis/incidents/{incident_id}/timeline",
    response={201: EntryOut, **error_responses(404)},
    summary="Add what happened or what was done",
)
def incident_note(request: HttpRequest, incident_id: ObjectId, payload: EntryIn) -> Status[IncidentEntry]:
    membership = _manager(request)
    incident = selectors.incident_of(membership.workspace_id, incident_id)
    entry = services.incident_note(
        actor=actor_of(request, membership),
        membership=membership,
        incident=incident,
        kind=payload.kind,
        text=payload.text,
    )
    return Status(201, entry)


# --- playbooks ---------------------------------------------------------------------------------


@router.get("/crisis/playbooks", response={200: list[PlaybookOut], **error_responses()}, summary="Playbooks")
@paginate(Pagination)
def playbook_list(request: HttpRequest) -> QuerySet[Playbook]:
    return selectors.playbooks_of(_reader(request).workspace_id)


@router.post("/crisis/playbooks", response={201: PlaybookOut, **error_responses()}, summary="Add a playbook")
def playbook_create(request: HttpRequest, payload: PlaybookIn) -> Status[Playbook]:
    membership = _manager(request)
    values = payload.model_dump()
    return Status(201, services.playbook_create(actor=actor_of(request, membership), membership=membership, **values))
