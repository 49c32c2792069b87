"""Every write of the crisis app: rules, alerts (raised once per rule and hour), incidents with their
timeline, playbooks. People's changes take the acting membership and check it first; the periodic
evaluation acts as the system. Each change is audited explicitly.
"""

from __future__ import annotations

import datetime
import logging
import secrets
from collections.abc import Iterable, Sequence
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.jobs import enqueue_on_commit
from pappus.core.models import Membership, Region, User
from pappus.core.permissions import Action, require
from pappus.crisis import series
from pappus.crisis.detector import score_series
from pappus.crisis.models import (
    Alert,
    AlertRule,
    EntryKind,
    Incident,
    IncidentEntry,
    IncidentStatus,
    Metric,
    Playbook,
    Severity,
)

logger = logging.getLogger("pappus.crisis")

# How much history the detector sees at each evaluation (its seasonal profiles need four weeks).
HISTORY = datetime.timedelta(weeks=5)
# A late or missed run still raises the alerts of the hours it missed, up to this far back.
CATCH_UP = datetime.timedelta(hours=48)
# The chart of an alert shows this much of the series before it.
CHART_HOURS = 24 * 7
# A volume rule stays quiet below this many mentions in the hour: on a topic that is mostly silent the
# detector can find one or two mentions surprising, and nobody in PR wants to be woken for them.
MIN_VOLUME_ALERT_MENTIONS = 5

RULE_FIELDS = (
    "name",
    "topic_id",
    "region_id",
    "metric",
    "sensitivity",
    "cooldown_hours",
    "email_recipients",
    "webhook_url",
    "is_active",
)


def _snapshot(rule: AlertRule) -> dict[str, Any]:
    return audit.snapshot(rule, RULE_FIELDS)  # never the webhook secret


def _clean_rule(workspace_id: int, values: dict[str, Any]) -> None:
    recipients = [line.strip() for line in str(values.get("email_recipients") or "").splitlines() if line.strip()]
    for address in recipients:
        try:
            validate_email(address)
        except ValidationError:
            raise ValidationError(
                {"email_recipients": _("%(address)s is not an e-mail address.") % {"address": address}}
            ) from None
    region = values.get("region")
    if region is not None and region.workspace_id != workspace_id:
        raise ValidationError({"region": _("Choose a region of this workspace.")})


def rule_create(*, actor: Actor, membership: Membership, **values: Any) -> AlertRule:
    require(membership, Action.CRISIS_MANAGE)
    _clean_rule(membership.workspace_id, values)
    with transaction.atomic():
        rule = AlertRule(workspace_id=membership.workspace_id, **values)
        if rule.webhook_url and not rule.webhook_secret:
            rule.webhook_secret = secrets.token_urlsafe(32)
        rule.full_clean()
        rule.save()
        audit.record(actor, "crisis.rule.create", workspace=membership.workspace, target=rule, after=_snapshot(rule))
    return rule


def rule_update(*, actor: Actor, membership: Membership, rule: AlertRule, **values: Any) -> AlertRule:
    require(membership, Action.CRISIS_MANAGE)
    if rule.workspace_id != membership.workspace_id:
        raise AlertRule.DoesNotExist
    _clean_rule(membership.workspace_id, values)
    with transaction.atomic():
        before = _snapshot(rule)
        for name, value in values.items():
            setattr(rule, name, value)
        if rule.webhook_url and not rule.webhook_secret:
            rule.webhook_secret = secrets.token_urlsafe(32)
        rule.full_clean()
        rule.save()
        audit.record(
            actor,
            "crisis.rule.update",
            workspace=membership.workspace,
            target=rule,
            before=before,
            after=_snapshot(rule),
        )
    return rule


def rule_delete(*, actor: Actor, membership: Membership, rule: AlertRule) -> None:
    require(membership, Action.CRISIS_MANAGE)
    if rule.workspace_id != membership.workspace_id:
        raise AlertRule.DoesNotExist
    with transaction.atomic():
        audit.record(actor, "crisis.rule.delete", workspace=membership.workspace, target=rule, before=_snapshot(rule))
        rule.delete()


# --- evaluation: the periodic job ------------------------------------------------------------


def _hour_of(moment: datetime.datetime) -> datetime.datetime:
    return moment.astimezone(datetime.UTC).replace(minute=0, second=0, microsecond=0)


def history_start(until: datetime.datetime) -> datetime.datetime:
    """Where the detector's history starts: Monday 00:00 UTC five weeks back, fixed for a week, so
    that every run in a week scores an hour exactly the same (the detector is deterministic)."""
    monday = (until - datetime.timedelta(days=until.weekday())).replace(hour=0)
    return monday - HISTORY


def rule_evaluate(rule_id: int, *, now: datetime.datetime | None = None) -> list[Alert]:
    """Score the rule's series up to the last complete hour; raise the alerts of the hours not yet
    evaluated. Idempotent: an alert exists at most once per rule and hour, and not twice within
    the rule's cool-down."""
    until = _hour_of(now or timezone.now())
    raised: list[Alert] = []
    with transaction.atomic():
        rule = AlertRule.objects.select_for_update().get(pk=rule_id)
        if not rule.is_active:
            return []
        negative_share = rule.metric == Metric.NEGATIVE_SHARE
        data = series.rule_series(
            rule.workspace_id,
            topic_id=rule.topic_id,
            region_id=rule.region_id,
            negative_share=negative_share,
            since=history_start(until),
            until=until,
        )
        if not data.hours:
            return []
        points = score_series(
            data.hours,
            data.values,
            totals=data.totals,
            kind="share" if negative_share else "count",
            sensitivity=rule.sensitivity,
            cooldown=rule.cooldown,
            direction="up",
            interval=series.HOUR,
        )
        start = max(rule.evaluated_until or until - datetime.timedelta(hours=2), until - CATCH_UP)
        for index, (hour, point) in enumerate(zip(data.hours, points, strict=True)):
            if hour < start or not point.alert:
                continue
            if not negative_share and data.values[index] < MIN_VOLUME_ALERT_MENTIONS:
                continue
            alert = _alert_raise(rule, data, points, index)
            if alert is not None:
                raised.append(alert)
        rule.evaluated_until = until
        rule.save(update_fields=["evaluated_until"])
    return raised


def _alert_raise(rule: AlertRule, data: series.RuleSeries, points: Sequence[Any], index: int) -> Alert | None:
    hour = data.hours[index]
    recent = Alert.objects.for_workspace(rule.workspace_id).filter(
        rule=rule, window_start__gt=hour - rule.cooldown, window_start__lte=hour
    )
    if recent.exists():
        return None
    negative_share = rule.metric == Metric.NEGATIVE_SHARE
    first = max(0, index - CHART_HOURS)
    chart = [
        {
            "hour": data.hours[i].isoformat(),
            "value": data.values[i] / data.totals[i] if data.totals and data.totals[i] else data.values[i],
            "expected": points[i].expected,
            "score": points[i].score,
        }
        for i in range(first, index + 1)
    ]
    if data.totals:
        chart = [{**row, "value": round(float(row["value"]), 4)} for row in chart]
    value = chart[-1]["value"]
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                workspace_id=rule.workspace_id,
                rule=rule,
                window_start=hour,
                window_end=hour + series.HOUR,
                score=points[index].score,
                value=float(cast(float, value)),
                expected=points[index].expected,
                series=chart,
                mentions_filter=series.mentions_filter(
                    topic_id=rule.topic_id, region_id=rule.region_id, negative_share=negative_share, start=hour
                ),
            )
    except IntegrityError:
        return None  # another run raised it first
    audit.record(
        Actor.system("job"),
        "crisis.alert.raise",
        workspace=rule.workspace,
        target=alert,
        after={"rule": rule.pk, "window_start": hour.isoformat(), "score": alert.score},
    )
    logger.info("crisis.alert_raised rule=%s alert=%s score=%.3f", rule.pk, alert.pk, alert.score)
    from pappus.crisis import tasks

    enqueue_on_commit(tasks.notify_alert, alert.pk)
    return alert


def rules_evaluate(*, now: datetime.datetime | None = None) -> int:
    """Evaluate every active rule (the periodic job); return how many alerts were raised."""
    total = 0
    for rule_id in AlertRule.objects.filter(is_active=True).order_by("id").values_list("id", flat=True):
        try:
            total += len(rule_evaluate(rule_id, now=now))
        except Exception:
            logger.exception("crisis.rule_evaluation_failed rule=%s", rule_id)
    return total


def alert_acknowledge(*, actor: Actor, membership: Membership, alert: Alert) -> Alert:
    require(membership, Action.CRISIS_VIEW)
    if alert.workspace_id != membership.workspace_id:
        raise Alert.DoesNotExist
    if alert.acknowledged_at is None:
        with transaction.atomic():
            alert.acknowledged_at = timezone.now()
            alert.acknowledged_by = membership.user
            alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
            audit.record(actor, "crisis.alert.acknowledge", workspace=membership.workspace, target=alert)
    return alert


# --- incidents and playbooks -------------------------------------------------------------------

INCIDENT_FIELDS = ("title", "severity", "status", "owner_id", "playbook_id", "summary")


def _member_user(membership: Membership, user: User | None) -> User | None:
    if user is not None and not Membership.objects.filter(workspace_id=membership.workspace_id, user=user).exists():
        raise ValidationError({"owner": _("The owner must be a member of this workspace.")})
    return user


def _own_playbook(membership: Membership, playbook: Playbook | None) -> Playbook | None:
    if playbook is not None and playbook.workspace_id != membership.workspace_id:
        raise ValidationError({"playbook": _("Choose a playbook of this workspace.")})
    return playbook


def incident_open(
    *,
    actor: Actor,
    membership: Membership,
    title: str,
    severity: str = Severity.MEDIUM,
    owner: User | None = None,
    playbook: Playbook | None = None,
    alerts: Iterable[Alert] = (),
) -> Incident:
    require(membership, Action.CRISIS_MANAGE)
    alerts = list(alerts)
    if any(alert.workspace_id != membership.workspace_id for alert in alerts):
        raise Alert.DoesNotExist
    with transaction.atomic():
        incident = Incident(
            workspace_id=membership.workspace_id,
            title=title,
            severity=severity,
            owner=_member_user(membership, owner),
            playbook=_own_playbook(membership, playbook),
        )
        incident.full_clean()
        incident.save()
        incident.alerts.set(alerts)
        IncidentEntry.objects.create(
            workspace_id=membership.workspace_id,
            incident=incident,
            kind=EntryKind.CHANGE,
            text=_("Incident opened (severity: %(severity)s).") % {"severity": incident.get_severity_display()},
            author=membership.user,
        )
        audit.record(
            actor,
            "crisis.incident.open",
            workspace=membership.workspace,
            target=incident,
            after=audit.snapshot(incident, INCIDENT_FIELDS),
        )
    return incident


def incident_update(*, actor: Actor, membership: Membership, incident: Incident, **values: Any) -> Incident:
    """Change severity, status, owner, playbook, title or summary; each change enters the timeline."""
    require(membership, Action.CRISIS_MANAGE)
    if incident.workspace_id != membership.workspace_id:
        raise Incident.DoesNotExist
    if "owner" in values:
        values["owner"] = _member_user(membership, values["owner"])
    if "playbook" in values:
        values["playbook"] = _own_playbook(membership, values["playbook"])
    with transaction.atomic():
        before = audit.snapshot(incident, INCIDENT_FIELDS)
        for name, value in values.items():
            setattr(incident, name, value)
        if incident.status == IncidentStatus.RESOLVED and incident.resolved_at is None:
            incident.resolved_at = timezone.now()
        elif incident.status != IncidentStatus.RESOLVED:
            incident.resolved_at = None
        incident.full_clean()
        incident.save()
        after = audit.snapshot(incident, INCIDENT_FIELDS)
        changed_after = audit.changes(before, after)[1]
        for name in changed_after:
            if name == "summary":
                text = _("Post-incident summary written.")
            else:
                field = cast(Any, Incident._meta.get_field(name.removesuffix("_id")))
                shown = (
                    getattr(incident, f"get_{name}_display")()
                    if name in {"severity", "status"}
                    else str(getattr(incident, name.removesuffix("_id")) or "—")
                )
                text = _("%(field)s: %(value)s") % {"field": str(field.verbose_name).capitalize(), "value": shown}
            IncidentEntry.objects.create(
                workspace_id=incident.workspace_id,
                incident=incident,
                kind=EntryKind.CHANGE,
                text=text,
                author=membership.user,
            )
        if changed_after:
            audit.record(
                actor,
                "crisis.incident.update",
                workspace=membership.workspace,
                target=incident,
                before=before,
                after=after,
            )
    return incident


def incident_note(*, actor: Actor, membership: Membership, incident: Incident, kind: str, text: str) -> IncidentEntry:
    """Add what happened or what was done to the incident's timeline."""
    require(membership, Action.CRISIS_MANAGE)
    if incident.workspace_id != membership.workspace_id:
        raise Incident.DoesNotExist
    if kind not in {EntryKind.HAPPENED, EntryKind.ACTION}:
        raise ValidationError({"kind": _("Choose what happened or what was done.")})
    if not text.strip():
        raise ValidationError({"text": _("Write what happened or what was done.")})
    with transaction.atomic():
        entry = IncidentEntry.objects.create(
            workspace_id=incident.workspace_id, incident=incident, kind=kind, text=text.strip(), author=membership.user
        )
        audit.record(
            actor, "crisis.incident.note", workspace=membership.workspace, target=incident, after={"kind": kind}
        )
    return entry


def incident_check_step(*, actor: Actor, membership: Membership, incident: Incident, step: int, done: bool) -> Incident:
    """Tick (or untick) a step of the incident's playbook; ticking enters the timeline."""
    require(membership, Action.CRISIS_MANAGE)
    if incident.workspace_id != membership.workspace_id:
        raise Incident.DoesNotExist
    steps = incident.playbook.steps if incident.playbook else []
    if not 0 <= step < len(steps):
        raise ValidationError({"step": _("The playbook has no such step.")})
    with transaction.atomic():
        checked = set(incident.checked_steps)
        if done == (step in checked):
            return incident
        checked = checked | {step} if done else checked - {step}
        incident.checked_steps = sorted(checked)
        incident.save(update_fields=["checked_steps"])
        if done:
            IncidentEntry.objects.create(
                workspace_id=incident.workspace_id,
                incident=incident,
                kind=EntryKind.ACTION,
                text=_("Playbook step done: %(step)s") % {"step": steps[step]},
                author=membership.user,
            )
        audit.record(
            actor,
            "crisis.incident.step",
            workspace=membership.workspace,
            target=incident,
            after={"step": step, "done": done},
        )
    return incident


PLAYBOOK_FIELDS = ("name", "language", "steps", "templates", "approved_by_id", "approved_at")


def _clean_playbook(steps: Sequence[Any], templates: Sequence[Any]) -> tuple[list[str], list[dict[str, str]]]:
    clean_steps = [str(step).strip() for step in steps if str(step).strip()]
    clean_templates = []
    for template in templates:
        if not isinstance(template, dict) or not str(template.get("body", "")).strip():
            raise ValidationError({"templates": _("Each response template needs a title and a text.")})
        clean_templates.append({"title": str(template.get("title", "")).strip(), "body": str(template["body"]).strip()})
    return clean_steps, clean_templates


def playbook_create(
    *,
    actor: Actor,
    membership: Membership,
    name: str,
    language: str,
    steps: Sequence[Any] = (),
    templates: Sequence[Any] = (),
    approved: bool = False,
) -> Playbook:
    """A playbook; ``approved`` records the acting member as the approver of its templates."""
    require(membership, Action.CRISIS_MANAGE)
    clean_steps, clean_templates = _clean_playbook(steps, templates)
    with transaction.atomic():
        playbook = Playbook(
            workspace_id=membership.workspace_id,
            name=name,
            language=language,
            steps=clean_steps,
            templates=clean_templates,
        )
        if approved:
            playbook.approved_by, playbook.approved_at = membership.user, timezone.now()
        playbook.full_clean()
        playbook.save()
        audit.record(
            actor,
            "crisis.playbook.create",
            workspace=membership.workspace,
            target=playbook,
            after=audit.snapshot(playbook, PLAYBOOK_FIELDS),
        )
    return playbook


def playbook_update(
    *, actor: Actor, membership: Membership, playbook: Playbook, approved: bool | None = None, **values: Any
) -> Playbook:
    """Change a playbook; changed templates need approving again."""
    require(membership, Action.CRISIS_MANAGE)
    if playbook.workspace_id != membership.workspace_id:
        raise Playbook.DoesNotExist
    with transaction.atomic():
        before = audit.snapshot(playbook, PLAYBOOK_FIELDS)
        steps, templates = _clean_playbook(
            values.pop("steps", playbook.steps), values.pop("templates", playbook.templates)
        )
        if templates != playbook.templates:
            playbook.approved_by, playbook.approved_at = None, None
        playbook.steps, playbook.templates = steps, templates
        for name, value in values.items():
            setattr(playbook, name, value)
        if approved:
            playbook.approved_by, playbook.approved_at = membership.user, timezone.now()
        elif approved is False:
            playbook.approved_by, playbook.approved_at = None, None
        playbook.full_clean()
        playbook.save()
        audit.record(
            actor,
            "crisis.playbook.update",
            workspace=membership.workspace,
            target=playbook,
            before=before,
            after=audit.snapshot(playbook, PLAYBOOK_FIELDS),
        )
    return playbook


def region_of(membership: Membership, region_id: int | None) -> Region | None:
    if region_id is None:
        return None
    return Region.objects.for_workspace(membership.workspace_id).get(pk=region_id)
