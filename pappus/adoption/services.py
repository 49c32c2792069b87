"""Every write of the adoption app: the daily rollups (usage and people KPIs), targets and privacy settings."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from pappus.adoption import features
from pappus.adoption.models import (
    KPI_DIRECTION,
    ROLE_KPIS,
    AdoptedCopy,
    AdoptedKind,
    AdoptionSettings,
    Cadence,
    ChecklistCompletion,
    ChecklistItem,
    Direction,
    Duty,
    DutyItem,
    Kpi,
    KpiDaily,
    KpiTarget,
    ScorecardVisibility,
    UsageDaily,
    UsageEvent,
    UsageKind,
)
from pappus.analytics import facade as analytics_facade
from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.models import AuditEvent, Membership, Region, Workspace
from pappus.core.permissions import Action, Role, require
from pappus.inbox import facade as inbox_facade
from pappus.inbox import selectors as inbox_selectors
from pappus.inbox import services as inbox_services
from pappus.publishing import facade as publishing_facade
from pappus.strategy import facade as strategy_facade

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


REPORT_SCHEDULE_SAVED = ("analytics.report_schedule.create", "analytics.report_schedule.update")


def _reports_on_time(workspace_id: int, day: datetime.date) -> list[tuple[int, bool]]:
    """(owner, delivered on time) of each scheduled report due on ``day``: a report over a period is due by the
    end of the day after the period's last day. Its owner is whoever last saved its schedule (the audit log);
    a report whose owner is not an active member counts for nobody."""
    deliveries = analytics_facade.scheduled_report_deliveries(
        workspace_id, first_day=day - datetime.timedelta(days=1), last_day=day - datetime.timedelta(days=1)
    )
    if not deliveries:
        return []
    owners: dict[str, int] = {}
    for object_id, actor_id in (
        AuditEvent.objects.for_workspace(workspace_id)
        .filter(
            action__in=REPORT_SCHEDULE_SAVED,
            object_id__in={str(row.schedule_id) for row in deliveries},
            actor__isnull=False,
        )
        .order_by("created_at", "pk")
        .values_list("object_id", "actor_id")
    ):
        owners[object_id] = int(actor_id)  # the latest save wins
    members = set(
        Membership.objects.for_workspace(workspace_id).filter(is_active=True).values_list("user_id", flat=True)
    )
    _start, due = _day_bounds(day)
    return [
        (owners[str(row.schedule_id)], row.delivered_at is not None and row.delivered_at < due)
        for row in deliveries
        if owners.get(str(row.schedule_id)) in members
    ]


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
    if day < timezone.now().astimezone(datetime.UTC).date():  # due items and reports count once their day is over
        for user_id, done_at in (
            DutyItem.objects.for_workspace(workspace_id).filter(due_on=day).values_list("user_id", "done_at")
        ):
            entry = figures[(int(user_id), Kpi.DUTIES_ON_TIME)]
            entry[0] += 1 if done_at is not None and done_at < until else 0
            entry[1] += 1
        for user_id, on_time in _reports_on_time(workspace_id, day):
            entry = figures[(user_id, Kpi.REPORTS_ON_TIME)]
            entry[0] += 1 if on_time else 0
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
    """Create the playbook's checklist items of the current periods, roll up the last ``days`` UTC days (today
    included) for every workspace and forget raw page views older than the retention; what the hourly job runs
    (a backfill passes more days)."""
    today = today or timezone.now().astimezone(datetime.UTC).date()
    duty_items = duties_generate(today=today)
    usage_rows = kpi_rows = 0
    workspace_ids = list(Workspace.objects.values_list("pk", flat=True))
    for offset in range(days - 1, -1, -1):
        day = today - datetime.timedelta(days=offset)
        usage_rows += usage_rollup(day)
        for workspace_id in workspace_ids:
            kpi_rows += kpi_compute(workspace_id, day)
    cutoff = today - datetime.timedelta(days=RAW_EVENT_RETENTION_DAYS)
    pruned, _counts = UsageEvent.objects.filter(day__lt=cutoff).delete()
    return {"usage_rows": usage_rows, "kpi_rows": kpi_rows, "events_pruned": pruned, "duty_items": duty_items}


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


# --- the playbook: recurring duties per role, turned into checklist items ---------------------------------

MAXIMUM_DUTY_TITLE = 200


def period_of(cadence: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The day, ISO week (Monday to Sunday) or calendar month that holds ``day``: (first day, due day)."""
    if cadence == Cadence.DAILY:
        return day, day
    if cadence == Cadence.WEEKLY:
        monday = day - datetime.timedelta(days=day.weekday())
        return monday, monday + datetime.timedelta(days=6)
    first = day.replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    return first, following - datetime.timedelta(days=1)


def _region_of(membership: Membership, region_id: int | None) -> Region | None:
    if region_id is None:
        return None
    return Region.objects.for_workspace(membership.workspace_id).get(pk=region_id)


def duty_add(
    *,
    actor: Actor,
    membership: Membership,
    title: str,
    role: str,
    cadence: str = Cadence.WEEKLY,
    region_id: int | None = None,
    raci_task_id: int | None = None,
) -> Duty:
    """Add a recurring duty owned by ``role`` (in one region, or everywhere) to the workspace's playbook."""
    require(membership, MANAGE)
    title = title.strip()
    problems: dict[str, str] = {}
    if not title:
        problems["title"] = _("A duty needs a title.")
    if role not in Role.values:
        problems["role"] = _("“%(value)s” is not a role.") % {"value": role}
    if cadence not in Cadence.values:
        problems["cadence"] = _("How often is one of: %(choices)s.") % {"choices": ", ".join(Cadence.values)}
    try:
        region = _region_of(membership, region_id)
    except Region.DoesNotExist:
        problems["region"] = _("This region is not one of the workspace's.")
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        duty = Duty.objects.create(
            workspace_id=membership.workspace_id,
            region=region,
            role=role,
            title=title[:MAXIMUM_DUTY_TITLE],
            cadence=cadence,
            raci_task_id=raci_task_id,
        )
        audit.record(
            actor,
            "adoption.duty.add",
            workspace=membership.workspace,
            target=duty,
            after=audit.snapshot(duty, ("title", "role", "cadence", "region_id", "raci_task_id")),
        )
    return duty


def duty_delete(*, actor: Actor, membership: Membership, duty_id: int) -> None:
    """Remove a duty from the playbook (its checklist items go with it)."""
    require(membership, MANAGE)
    with transaction.atomic():
        duty = Duty.objects.for_workspace(membership.workspace_id).get(pk=duty_id)
        audit.record(
            actor,
            "adoption.duty.delete",
            workspace=membership.workspace,
            target=duty,
            before=audit.snapshot(duty, ("title", "role", "cadence", "region_id")),
        )
        duty.delete()


def playbook_seed_from_raci(*, actor: Actor, membership: Membership, cadence: str = Cadence.WEEKLY) -> int:
    """A weekly duty for each strategy RACI task not in the playbook yet, owned by the role of the task's
    accountable person (else of its first responsible one); tasks of people outside the workspace are skipped.
    Returns how many duties were added."""
    require(membership, MANAGE)
    roles = dict(
        Membership.objects.for_workspace(membership.workspace_id).filter(is_active=True).values_list("user_id", "role")
    )
    seeded = set(
        Duty.objects.for_workspace(membership.workspace_id)
        .filter(raci_task_id__isnull=False)
        .values_list("raci_task_id", flat=True)
    )
    added = 0
    for task in strategy_facade.raci_tasks(membership.workspace_id):
        if task.id in seeded:
            continue
        owners = [user_id for user_id in (task.accountable_id, *task.responsible_ids) if user_id in roles]
        if not owners:
            continue
        title = f"{task.task} ({task.scope})" if task.scope else task.task
        duty_add(
            actor=actor,
            membership=membership,
            title=title,
            role=roles[owners[0]],
            cadence=cadence,
            raci_task_id=task.id,
        )
        added += 1
    return added


def _owners(
    duty: Duty, members: list[tuple[int, str]], limits: dict[int, set[int]], parents: Mapping[int, int | None]
) -> list[int]:
    """Who holds a duty: active members of its role; for a region's duty only those limited to that region or
    a region below it (members without region limits work for the hub and hold the workspace-wide duties)."""
    found = []
    for user_id, role in members:
        if role != duty.role:
            continue
        if duty.region_id is None:
            found.append(user_id)
            continue
        for region_id in limits.get(user_id, ()):
            current: int | None = region_id
            while current is not None and current != duty.region_id:
                current = parents.get(current)
            if current == duty.region_id:
                found.append(user_id)
                break
    return found


def duties_generate(*, today: datetime.date | None = None, workspace_id: int | None = None) -> int:
    """Create the checklist items of the current period for every active duty and each of its owners (the
    in-app reminder: they show on each person's duties page until done); idempotent. Returns items created."""
    today = today or timezone.now().astimezone(datetime.UTC).date()
    duties = Duty.objects.filter(is_active=True).order_by("workspace_id", "pk")
    if workspace_id is not None:
        duties = duties.filter(workspace_id=workspace_id)
    created = 0
    by_workspace: dict[int, list[Duty]] = defaultdict(list)
    for duty in duties:
        by_workspace[duty.workspace_id].append(duty)
    for ws_id, workspace_duties in by_workspace.items():
        members = list(Membership.objects.for_workspace(ws_id).filter(is_active=True).values_list("user_id", "role"))
        limits: dict[int, set[int]] = defaultdict(set)
        for user_id, region_id in Membership.regions.through.objects.filter(
            membership__workspace_id=ws_id, membership__is_active=True
        ).values_list("membership__user_id", "region_id"):
            limits[user_id].add(region_id)
        parents = dict(Region.objects.for_workspace(ws_id).values_list("pk", "parent_id"))
        items = []
        for duty in workspace_duties:
            first, due = period_of(duty.cadence, today)
            items += [
                DutyItem(workspace_id=ws_id, duty=duty, user_id=user_id, period_start=first, due_on=due)
                for user_id in _owners(duty, members, limits, parents)
            ]
        before = DutyItem.objects.for_workspace(ws_id).count()
        DutyItem.objects.bulk_create(items, ignore_conflicts=True, batch_size=2000)
        created += DutyItem.objects.for_workspace(ws_id).count() - before
    return created


def duty_item_tick(*, actor: Actor, membership: Membership, item_id: int, done: bool) -> bool:
    """Mark one of the member's own checklist items done (or not done again); another person's is not found."""
    require(membership, Action.WORKSPACE_VIEW)
    with transaction.atomic():
        item = (
            DutyItem.objects.for_workspace(membership.workspace_id)
            .select_related("duty")
            .select_for_update(of=("self",))
            .get(pk=item_id, user_id=membership.user_id)
        )
        if (item.done_at is not None) == done:
            return False
        item.done_at = timezone.now() if done else None
        item.save(update_fields=["done_at"])
        audit.record(
            actor,
            "adoption.duty.done" if done else "adoption.duty.undone",
            workspace=membership.workspace,
            target=item.duty,
            after={"due_on": item.due_on.isoformat()},
        )
    return True


# --- "adopt this": a region's post, saved reply or playbook copied into another region -------------------


def _region_name(membership: Membership, region_id: int | None) -> str:
    if region_id is None:
        hub = Region.objects.for_workspace(membership.workspace_id).filter(parent__isnull=True).first()
        return hub.name if hub is not None else ""
    return str(Region.objects.for_workspace(membership.workspace_id).values_list("name", flat=True).get(pk=region_id))


def _record_adoption(
    actor: Actor,
    membership: Membership,
    *,
    kind: str,
    source_id: int,
    source_title: str,
    source_region_id: int | None,
    target: Region,
    copy_ids: list[int],
) -> AdoptedCopy:
    adopted = AdoptedCopy.objects.create(
        workspace_id=membership.workspace_id,
        kind=kind,
        source_id=source_id,
        source_title=source_title[:200],
        source_region_id=source_region_id,
        source_region_name=_region_name(membership, source_region_id)[:200],
        target_region=target,
        copy_ids=copy_ids,
        adopted_by_id=membership.user_id,
    )
    audit.record(
        actor,
        "adoption.adopt",
        workspace=membership.workspace,
        target=adopted,
        after=audit.snapshot(adopted, ("kind", "source_id", "source_region_name", "target_region_id", "copy_ids")),
    )
    return adopted


def adopt(*, actor: Actor, membership: Membership, kind: str, source_id: int, target_region_id: int) -> AdoptedCopy:
    """Copy a post (as a draft), a saved reply or a region's playbook (its duties) into ``target_region_id``,
    recording where it came from; each copy is made by its own app's service, with that app's permission."""
    require(membership, Action.WORKSPACE_VIEW)
    if kind not in AdoptedKind.values:
        raise ValidationError({"kind": _("Kind is one of: %(choices)s.") % {"choices": ", ".join(AdoptedKind.values)}})
    target = Region.objects.for_workspace(membership.workspace_id).filter(pk=target_region_id).first()
    if target is None:
        raise ValidationError({"target_region": _("This region is not one of the workspace's.")})
    with transaction.atomic():
        if kind == AdoptedKind.POST:
            require(membership, Action.CONTENT_DRAFT)
            source = publishing_facade.post_summary(membership.workspace_id, source_id)
            if source is None:
                raise ValidationError({"source_id": _("No such post in this workspace.")})
            if source.region_id == target.pk:
                raise ValidationError({"target_region": _("The post is already in this region.")})
            copy_id = publishing_facade.post_copy_to_region(
                actor=actor, membership=membership, post_id=source_id, region_id=target.pk
            )
            return _record_adoption(
                actor,
                membership,
                kind=kind,
                source_id=source_id,
                source_title=source.title,
                source_region_id=source.region_id,
                target=target,
                copy_ids=[copy_id],
            )
        if kind == AdoptedKind.SAVED_REPLY:
            require(membership, Action.INBOX_MANAGE)
            reply = next(
                (row for row in inbox_selectors.saved_reply_infos(membership.workspace_id) if row.id == source_id),
                None,
            )
            if reply is None:
                raise ValidationError({"source_id": _("No such saved reply in this workspace.")})
            if reply.region_id == target.pk:
                raise ValidationError({"target_region": _("The saved reply is already in this region.")})
            # Saved replies' titles are unique per language: the copy's title says where it came from.
            title = _("%(title)s (from %(region)s)") % {
                "title": reply.title,
                "region": _region_name(membership, reply.region_id),
            }
            copy = inbox_services.saved_reply_create(
                actor=actor,
                membership=membership,
                title=title[:200],
                body=reply.body,
                language=reply.language,
                region=target,
                shared_with_regions=False,
            )
            return _record_adoption(
                actor,
                membership,
                kind=kind,
                source_id=source_id,
                source_title=reply.title,
                source_region_id=reply.region_id,
                target=target,
                copy_ids=[copy.pk],
            )
        # A playbook: every active duty of the source region (source_id is the region's id).
        require(membership, MANAGE)
        source_region = Region.objects.for_workspace(membership.workspace_id).filter(pk=source_id).first()
        if source_region is None:
            raise ValidationError({"source_id": _("No such region in this workspace.")})
        if source_region.pk == target.pk:
            raise ValidationError({"target_region": _("Choose another region than the playbook's own.")})
        duties = list(Duty.objects.for_workspace(membership.workspace_id).filter(region=source_region, is_active=True))
        if not duties:
            raise ValidationError({"source_id": _("This region's playbook has no duties.")})
        copies = [
            duty_add(
                actor=actor,
                membership=membership,
                title=duty.title,
                role=duty.role,
                cadence=duty.cadence,
                region_id=target.pk,
            ).pk
            for duty in duties
        ]
        return _record_adoption(
            actor,
            membership,
            kind=kind,
            source_id=source_region.pk,
            source_title=_("Playbook of %(region)s") % {"region": source_region.name},
            source_region_id=source_region.pk,
            target=target,
            copy_ids=copies,
        )
