"""Every write of the adoption app: the daily rollups (usage and people KPIs), targets and privacy settings."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from pappus.adoption import features
from pappus.adoption.models import (
    KPI_DIRECTION,
    ROLE_KPIS,
    AdoptionSettings,
    ChecklistCompletion,
    ChecklistItem,
    Direction,
    Kpi,
    KpiDaily,
    KpiTarget,
    ScorecardVisibility,
    UsageDaily,
    UsageEvent,
    UsageKind,
)
from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.models import AuditEvent, Membership, Workspace
from pappus.core.permissions import Action, Role, require
from pappus.inbox import facade as inbox_facade
from pappus.publishing import facade as publishing_facade

MANAGE = Action.WORKSPACE_MANAGE  # targets and privacy are the workspace owners' (the hub's) to set
RAW_EVENT_RETENTION_DAYS = 90  # page views are kept this long; their daily rollup stays
MAXIMUM_DORMANT_DAYS = 365
# A decision is paired with the post's latest submission in the preceding two weeks (a bounded read of the audit
# log per day); one taken later than that is not counted as a turnaround.
APPROVAL_LOOKBACK = datetime.timedelta(days=14)


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=datetime.UTC)
    return start, start + datetime.timedelta(days=1)


def usage_rollup(day: datetime.date) -> int:
    """Recompute every workspace's :class:`UsageDaily` rows of one UTC day from the usage events (views and
    API calls) and the audit log (actions); idempotent. Returns the number of rows stored."""
    since, until = _day_bounds(day)
    figures: dict[tuple[int, int, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    events = (
        UsageEvent.objects.filter(day=day)
        .order_by()
        .values_list("workspace_id", "user_id", "feature", "kind")
        .annotate(count=Count("id"))
    )
    for workspace_id, user_id, feature, kind, count in events:
        figures[(workspace_id, user_id, feature)][0 if kind == UsageKind.VIEW else 1] += count
    actions = (
        AuditEvent.objects.filter(
            created_at__gte=since, created_at__lt=until, actor__isnull=False, workspace__isnull=False
        )
        .order_by()
        .values_list("workspace_id", "actor_id", "object_type", "action")
        .annotate(count=Count("id"))
    )
    for workspace_id, user_id, object_type, action, count in actions:
        figures[(workspace_id, user_id, features.of_audit(object_type, action))][2] += count
    with transaction.atomic():
        UsageDaily.objects.filter(day=day).delete()
        UsageDaily.objects.bulk_create(
            [
                UsageDaily(
                    workspace_id=workspace_id,
                    user_id=user_id,
                    feature=feature,
                    day=day,
                    views=views,
                    api_calls=api_calls,
                    actions=action_count,
                )
                for (workspace_id, user_id, feature), (views, api_calls, action_count) in figures.items()
            ],
            batch_size=2000,
        )
    return len(figures)


def _approval_turnarounds(
    workspace_id: int, since: datetime.datetime, until: datetime.datetime
) -> Iterable[tuple[int, float]]:
    """(approver, seconds) of each approval decision in the period, from the submission before it (audit log)."""
    decisions = list(
        AuditEvent.objects.for_workspace(workspace_id)
        .filter(
            created_at__gte=since,
            created_at__lt=until,
            action__in=("post.approve", "post.request_changes"),
            actor__isnull=False,
        )
        .order_by()
        .values_list("actor_id", "object_id", "created_at")
    )
    if not decisions:
        return []
    submissions: dict[str, list[datetime.datetime]] = defaultdict(list)
    for object_id, created_at in (
        AuditEvent.objects.for_workspace(workspace_id)
        .filter(
            action="post.submit",
            object_id__in={decision[1] for decision in decisions},
            created_at__gte=since - APPROVAL_LOOKBACK,
            created_at__lt=until,
        )
        .order_by("created_at")
        .values_list("object_id", "created_at")
    ):
        submissions[object_id].append(created_at)
    turnarounds = []
    for actor_id, object_id, decided_at in decisions:
        earlier = [moment for moment in submissions.get(object_id, ()) if moment <= decided_at]
        if earlier:
            turnarounds.append((int(actor_id), (decided_at - earlier[-1]).total_seconds()))
    return turnarounds


def kpi_compute(workspace_id: int, day: datetime.date) -> int:
    """Recompute a workspace's :class:`KpiDaily` rows of one UTC day from the inbox, publishing, the audit log
    and the day's usage rollup (run :func:`usage_rollup` first); idempotent. Returns the rows stored."""
    since, until = _day_bounds(day)
    figures: dict[tuple[int, str], list[float]] = defaultdict(lambda: [0.0, 0])
    for responses in inbox_facade.first_responses_by_assignee(workspace_id, since=since, until=until):
        entry = figures[(responses.user_id, Kpi.FIRST_RESPONSE)]
        entry[0] += responses.seconds_total
        entry[1] += responses.count
    for actor_id, after in (
        AuditEvent.objects.for_workspace(workspace_id)
        .filter(created_at__gte=since, created_at__lt=until, action="conversation.close", actor__isnull=False)
        .order_by()
        .values_list("actor_id", "after")
    ):
        entry = figures[(int(actor_id), Kpi.CLOSED_WITH_REASON)]
        entry[0] += 1 if str((after or {}).get("outcome_reason") or "").strip() else 0
        entry[1] += 1
    for delivery in publishing_facade.deliveries_by_author(workspace_id, since=since, until=until):
        entry = figures[(delivery.user_id, Kpi.POSTS_ON_PLAN)]
        entry[0] += delivery.on_plan
        entry[1] += delivery.published
    for actor_id, seconds in _approval_turnarounds(workspace_id, since, until):
        entry = figures[(actor_id, Kpi.APPROVAL_TURNAROUND)]
        entry[0] += seconds
        entry[1] += 1
    active = set(
        UsageDaily.objects.for_workspace(workspace_id).filter(day=day).values_list("user_id", flat=True).distinct()
    )
    measured_roles = [role for role, kpis in ROLE_KPIS.items() if Kpi.ACTIVE_DAYS in kpis]
    for user_id in (
        Membership.objects.for_workspace(workspace_id)
        .filter(is_active=True, role__in=measured_roles, created_at__lt=until)
        .values_list("user_id", flat=True)
    ):
        figures[(user_id, Kpi.ACTIVE_DAYS)] = [1.0 if user_id in active else 0.0, 1]
    with transaction.atomic():
        KpiDaily.objects.for_workspace(workspace_id).filter(day=day).delete()
        KpiDaily.objects.bulk_create(
            [
                KpiDaily(workspace_id=workspace_id, user_id=user_id, kpi=kpi, day=day, total=total, count=int(count))
                for (user_id, kpi), (total, count) in figures.items()
                if count
            ],
            batch_size=2000,
        )
    return len(figures)


def refresh(*, days: int = 2, today: datetime.date | None = None) -> dict[str, int]:
    """Roll up the last ``days`` UTC days (today included) for every workspace and forget raw page views older
    than the retention; what the hourly job runs (a backfill passes more days)."""
    today = today or timezone.now().astimezone(datetime.UTC).date()
    usage_rows = kpi_rows = 0
    workspace_ids = list(Workspace.objects.values_list("pk", flat=True))
    for offset in range(days - 1, -1, -1):
        day = today - datetime.timedelta(days=offset)
        usage_rows += usage_rollup(day)
        for workspace_id in workspace_ids:
            kpi_rows += kpi_compute(workspace_id, day)
    cutoff = today - datetime.timedelta(days=RAW_EVENT_RETENTION_DAYS)
    pruned, _counts = UsageEvent.objects.filter(day__lt=cutoff).delete()
    return {"usage_rows": usage_rows, "kpi_rows": kpi_rows, "events_pruned": pruned}


# --- the hub's targets and the privacy setting -----------------------------------------------------------


def settings_of(workspace_id: int) -> AdoptionSettings:
    """The workspace's settings (defaults when none were saved; not stored until changed)."""
    found = AdoptionSettings.objects.for_workspace(workspace_id).first()
    return found or AdoptionSettings(workspace_id=workspace_id)


def settings_update(
    *, actor: Actor, membership: Membership, scorecard_visibility: str, dormant_days: int
) -> AdoptionSettings:
    require(membership, MANAGE)
    if scorecard_visibility not in ScorecardVisibility.values:
        raise ValidationError(
            {
                "scorecard_visibility": _("Choose one of: %(choices)s.")
                % {"choices": ", ".join(ScorecardVisibility.values)}
            }
        )
    if not 1 <= dormant_days <= MAXIMUM_DORMANT_DAYS:
        raise ValidationError(
            {
                "dormant_days": _("Dormant after is a number of days from 1 to %(maximum)d.")
                % {"maximum": MAXIMUM_DORMANT_DAYS}
            }
        )
    with transaction.atomic():
        row, _created = AdoptionSettings.objects.select_for_update().get_or_create(workspace_id=membership.workspace_id)
        before = audit.snapshot(row, ("scorecard_visibility", "dormant_days"))
        row.scorecard_visibility = scorecard_visibility
        row.dormant_days = dormant_days
        row.save()
        audit.record(
            actor,
            "adoption.settings.update",
            workspace=membership.workspace,
            target=row,
            before=before,
            after=audit.snapshot(row, ("scorecard_visibility", "dormant_days")),
        )
    return row


def target_set(
    *, actor: Actor, membership: Membership, role: str, kpi: str, target: float, direction: str = ""
) -> KpiTarget:
    """Set the target of ``kpi`` for ``role`` (direction defaults to the KPI's own)."""
    require(membership, MANAGE)
    problems: dict[str, str] = {}
    if role not in Role.values:
        problems["role"] = _("“%(value)s” is not a role.") % {"value": role}
    if kpi not in Kpi.values:
        problems["kpi"] = _("“%(value)s” is not a KPI Pappus measures.") % {"value": kpi}
    direction = direction or ""
    if direction and direction not in Direction.values:
        problems["direction"] = _("Direction is “higher” or “lower”.")
    if not (target == target and abs(target) < 1e9):  # noqa: PLR0124 — NaN is not equal to itself
        problems["target"] = _("The target must be a finite number.")
    elif target < 0:
        problems["target"] = _("The target cannot be negative.")
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        row = KpiTarget.objects.for_workspace(membership.workspace_id).filter(role=role, kpi=kpi).first()
        before = audit.snapshot(row, ("target", "direction")) if row else {}
        if row is None:
            row = KpiTarget(workspace_id=membership.workspace_id, role=role, kpi=kpi)
        row.target = float(target)
        row.direction = direction or KPI_DIRECTION[kpi]
        row.save()
        audit.record(
            actor,
            "adoption.target.set",
            workspace=membership.workspace,
            target=row,
            before=before,
            after=audit.snapshot(row, ("role", "kpi", "target", "direction")),
        )
    return row


def target_delete(*, actor: Actor, membership: Membership, target_id: int) -> None:
    require(membership, MANAGE)
    with transaction.atomic():
        row = KpiTarget.objects.for_workspace(membership.workspace_id).get(pk=target_id)
        audit.record(
            actor,
            "adoption.target.delete",
            workspace=membership.workspace,
            target=row,
            before=audit.snapshot(row, ("role", "kpi", "target", "direction")),
        )
        row.delete()


# --- onboarding checklists ---------------------------------------------------------------------------------


def checklist_item_add(*, actor: Actor, membership: Membership, title: str, role: str = "") -> ChecklistItem:
    """Add a step to the onboarding checklist of ``role`` (blank: every new member)."""
    require(membership, MANAGE)
    title = title.strip()
    problems: dict[str, str] = {}
    if not title:
        problems["title"] = _("A step needs a title.")
    if role and role not in Role.values:
        problems["role"] = _("“%(value)s” is not a role.") % {"value": role}
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        last = (
            ChecklistItem.objects.for_workspace(membership.workspace_id)
            .order_by("-position")
            .values_list("position", flat=True)
            .first()
        )
        item = ChecklistItem.objects.create(
            workspace_id=membership.workspace_id, role=role, title=title[:200], position=(last or 0) + 1
        )
        audit.record(
            actor,
            "adoption.checklist.add",
            workspace=membership.workspace,
            target=item,
            after=audit.snapshot(item, ("role", "title", "position")),
        )
    return item


def checklist_item_delete(*, actor: Actor, membership: Membership, item_id: int) -> None:
    require(membership, MANAGE)
    with transaction.atomic():
        item = ChecklistItem.objects.for_workspace(membership.workspace_id).get(pk=item_id)
        audit.record(
            actor,
            "adoption.checklist.delete",
            workspace=membership.workspace,
            target=item,
            before=audit.snapshot(item, ("role", "title", "position")),
        )
        item.delete()


def checklist_tick(*, actor: Actor, membership: Membership, item_id: int, done: bool) -> bool:
    """Tick (or untick) one of the member's own onboarding steps; a step of another role is not found."""
    require(membership, Action.WORKSPACE_VIEW)
    item = (
        ChecklistItem.objects.for_workspace(membership.workspace_id)
        .filter(models.Q(role="") | models.Q(role=membership.role))
        .get(pk=item_id)
    )
    with transaction.atomic():
        if done:
            _row, created = ChecklistCompletion.objects.get_or_create(
                workspace_id=membership.workspace_id,
                item=item,
                user_id=membership.user_id,
                defaults={"completed_at": timezone.now()},
            )
            changed = created
        else:
            deleted, _counts = ChecklistCompletion.objects.filter(item=item, user_id=membership.user_id).delete()
            changed = bool(deleted)
        if changed:
            audit.record(
                actor,
                "adoption.checklist.tick" if done else "adoption.checklist.untick",
                workspace=membership.workspace,
                target=item,
            )
    return changed
