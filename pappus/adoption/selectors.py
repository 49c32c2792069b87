"""Every read of the adoption pages and API: people with their regions and teams, who may see whose
scorecard, usage analytics and scorecards, all from the daily rollups (never from raw events)."""

from __future__ import annotations

import datetime
import functools
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import F, Max, Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pappus.adoption import features
from pappus.adoption.models import (
    KPI_DIRECTION,
    KPI_SCALE,
    ROLE_KPIS,
    ChecklistCompletion,
    ChecklistItem,
    Direction,
    Kpi,
    KpiDaily,
    KpiTarget,
    ScorecardVisibility,
    UsageDaily,
    UsageEvent,
)
from pappus.adoption.services import settings_of
from pappus.core.models import AuditEvent, Membership, Region
from pappus.core.permissions import Action, Role, require, role_allows
from pappus.inbox import facade as inbox_facade

Sums = dict[str, tuple[float, int]]  # KPI → (total, count)


def today() -> datetime.date:
    return timezone.now().astimezone(datetime.UTC).date()


def period(days: int, until: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    """The last ``days`` UTC days, today included: (first day, last day)."""
    last = until or today()
    return last - datetime.timedelta(days=days - 1), last


# --- people ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    user_id: int
    name: str
    email: str
    role: str
    region_ids: tuple[int, ...]  # empty: every region (counted at the hub)
    team_names: tuple[str, ...]

    @property
    def role_label(self) -> str:
        return str(Role(self.role).label) if self.role in Role.values else self.role


def people(workspace_id: int) -> list[Person]:
    """The workspace's active members with their regions and inbox teams, by name (plain values, no model
    instances: the scorecard pages read 500 people per request)."""
    teams: dict[int, list[str]] = defaultdict(list)
    for team in inbox_facade.team_members(workspace_id):
        for user_id in team.user_ids:
            teams[user_id].append(team.name)
    regions: dict[int, list[int]] = defaultdict(list)
    for membership_id, region_id in Membership.regions.through.objects.filter(
        membership__workspace_id=workspace_id
    ).values_list("membership_id", "region_id"):
        regions[membership_id].append(region_id)
    found = [
        Person(
            user_id=user_id,
            name=full_name or email,
            email=email,
            role=role,
            region_ids=tuple(sorted(regions.get(membership_id, ()))),
            team_names=tuple(teams.get(user_id, ())),
        )
        for membership_id, user_id, role, full_name, email in Membership.objects.for_workspace(workspace_id)
        .filter(is_active=True)
        .values_list("pk", "user_id", "role", "user__full_name", "user__email")
    ]
    return sorted(found, key=lambda person: person.name.lower())


# --- privacy -----------------------------------------------------------------------------------------------


def may_see_others(viewer: Membership) -> bool:
    """Whether the workspace's privacy setting lets ``viewer`` see other people's scorecards and usage."""
    visibility = settings_of(viewer.workspace_id).scorecard_visibility
    if visibility == ScorecardVisibility.EVERYONE:
        return viewer.is_active
    if visibility == ScorecardVisibility.MANAGERS:
        return viewer.is_active and role_allows(viewer.role, Action.ADOPTION_VIEW)
    return False


def require_scorecard_of(viewer: Membership, user_id: int) -> Membership:
    """The subject's membership when ``viewer`` may see their scorecard (PermissionDenied otherwise; an unknown
    person of another workspace is not found)."""
    require(viewer, Action.WORKSPACE_VIEW)
    subject = Membership.objects.for_workspace(viewer.workspace_id).select_related("user").get(user_id=user_id)
    if subject.user_id != viewer.user_id and not may_see_others(viewer):
        raise PermissionDenied(_("This workspace keeps scorecards private to their person."))
    return subject


# --- KPI figures ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiValue:
    kpi: str
    label: str
    value: float | None
    count: int
    target: float | None
    direction: str

    @property
    def met(self) -> bool | None:
        if self.value is None or self.target is None:
            return None
        return self.value <= self.target if self.direction == Direction.LOWER else self.value >= self.target


@functools.lru_cache(maxsize=64)
def _kpi_label(kpi: str, language: str | None) -> str:
    return str(Kpi(kpi).label)


def kpi_value(kpi: str, total: float, count: int, target: KpiTarget | None = None) -> KpiValue:
    return KpiValue(
        kpi=kpi,
        label=_kpi_label(kpi, translation.get_language()),
        value=round(total / count * KPI_SCALE[kpi], 1) if count else None,
        count=count,
        target=target.target if target is not None else None,
        direction=target.direction if target is not None else KPI_DIRECTION[kpi],
    )


def targets(workspace_id: int) -> dict[tuple[str, str], KpiTarget]:
    return {(row.role, row.kpi): row for row in KpiTarget.objects.for_workspace(workspace_id)}


def kpi_sums(
    workspace_id: int, first: datetime.date, last: datetime.date, user_ids: Iterable[int] | None = None
) -> dict[int, Sums]:
    """Per person and KPI: (total, count) over the days ``first``..``last`` — one grouped query."""
    rows = KpiDaily.objects.for_workspace(workspace_id).filter(day__gte=first, day__lte=last)
    if user_ids is not None:
        rows = rows.filter(user_id__in=list(user_ids))
    sums: dict[int, Sums] = defaultdict(dict)
    for user_id, kpi, total, count in (
        rows.order_by().values_list("user_id", "kpi").annotate(total=Sum("total"), count=Sum("count"))
    ):
        sums[user_id][kpi] = (float(total or 0), int(count or 0))
    return sums


@dataclass(frozen=True)
class PersonScorecard:
    person: Person
    values: tuple[KpiValue, ...]

    @property
    def met(self) -> int:
        return sum(1 for value in self.values if value.met)

    @property
    def measured(self) -> int:
        return sum(1 for value in self.values if value.met is not None)


def person_scorecard(person: Person, sums: Sums, role_targets: dict[tuple[str, str], KpiTarget]) -> PersonScorecard:
    kpis = ROLE_KPIS.get(person.role) or tuple(sums)
    return PersonScorecard(
        person=person,
        values=tuple(
            kpi_value(kpi, *sums.get(kpi, (0.0, 0)), target=role_targets.get((person.role, kpi))) for kpi in kpis
        ),
    )


@dataclass(frozen=True)
class GroupScorecard:
    """A team's or region's KPIs (every member's figures added up) and how many personal targets are met."""

    key: str
    name: str
    people: int
    values: tuple[KpiValue, ...]
    targets_met: int
    targets_measured: int
    is_hub: bool = False
    depth: int = 0


def _person_cards(
    everyone: list[Person], sums: dict[int, Sums], role_targets: dict[tuple[str, str], KpiTarget]
) -> dict[int, PersonScorecard]:
    """Each person's scorecard once per request (a person counts in several groups)."""
    return {person.user_id: person_scorecard(person, sums.get(person.user_id, {}), role_targets) for person in everyone}


def _group(
    key: str, name: str, members: list[Person], sums: dict[int, Sums], cards: dict[int, PersonScorecard]
) -> GroupScorecard:
    added: dict[str, list[float]] = defaultdict(lambda: [0.0, 0])
    met = measured = 0
    for person in members:
        for kpi, (total, count) in sums.get(person.user_id, {}).items():
            added[kpi][0] += total
            added[kpi][1] += count
        card = cards[person.user_id]
        met += card.met
        measured += card.measured
    return GroupScorecard(
        key=key,
        name=name,
        people=len(members),
        values=tuple(kpi_value(kpi, added[kpi][0], int(added[kpi][1])) for kpi in Kpi.values),
        targets_met=met,
        targets_measured=measured,
    )


def team_scorecards(workspace_id: int, first: datetime.date, last: datetime.date) -> list[GroupScorecard]:
    """One scorecard per inbox team, and one per role (every workspace has roles, not always teams)."""
    everyone = people(workspace_id)
    sums = kpi_sums(workspace_id, first, last)
    role_targets = targets(workspace_id)
    teams: dict[str, list[Person]] = defaultdict(list)
    roles: dict[str, list[Person]] = defaultdict(list)
    for person in everyone:
        for name in person.team_names:
            teams[name].append(person)
        roles[person.role_label].append(person)
    personal = _person_cards(everyone, sums, role_targets)
    cards = [_group(f"team:{name}", name, members, sums, personal) for name, members in sorted(teams.items())]
    cards += [
        _group(f"role:{name}", _("Role: %(role)s") % {"role": name}, members, sums, personal)
        for name, members in sorted(roles.items())
    ]
    return cards


def region_scorecards(workspace_id: int, first: datetime.date, last: datetime.date) -> list[GroupScorecard]:
    """The hub's rollup over everyone first, then each region with its spokes below it (a member limited to
    regions counts in each of them; one without limits counts at the hub only)."""
    everyone = people(workspace_id)
    sums = kpi_sums(workspace_id, first, last)
    role_targets = targets(workspace_id)
    regions = list(Region.objects.for_workspace(workspace_id).order_by("name"))
    children: dict[int | None, list[Region]] = defaultdict(list)
    for region in regions:
        children[region.parent_id].append(region)
    direct: dict[int, set[int]] = defaultdict(set)
    for person in everyone:
        for region_id in person.region_ids:
            direct[region_id].add(person.user_id)
    by_id = {person.user_id: person for person in everyone}
    personal = _person_cards(everyone, sums, role_targets)

    def below(region: Region) -> set[int]:
        found = set(direct.get(region.pk, set()))
        for child in children.get(region.pk, []):
            found |= below(child)
        return found

    cards: list[GroupScorecard] = []

    def walk(region: Region, depth: int) -> None:
        # The hub's rollup is the whole workspace.
        members = everyone if region.parent_id is None else [by_id[user_id] for user_id in sorted(below(region))]
        card = _group(f"region:{region.pk}", region.name, members, sums, personal)
        cards.append(GroupScorecard(**{**card.__dict__, "is_hub": region.parent_id is None, "depth": depth}))
        for child in children.get(region.pk, []):
            walk(child, depth + 1)

    for root in children.get(None, []):
        walk(root, 0)
    return cards


@dataclass(frozen=True)
class TrendPoint:
    week: datetime.date
    kpi: str
    value: float | None


def kpi_trend(
    workspace_id: int, user_ids: Iterable[int] | None, first: datetime.date, last: datetime.date
) -> list[TrendPoint]:
    """Weekly (Monday) KPI values of a person or a group over the period."""
    rows = KpiDaily.objects.for_workspace(workspace_id).filter(day__gte=first, day__lte=last)
    if user_ids is not None:
        rows = rows.filter(user_id__in=list(user_ids))
    weeks: dict[tuple[datetime.date, str], list[float]] = defaultdict(lambda: [0.0, 0])
    for day, kpi, total, count in (
        rows.order_by().values_list("day", "kpi").annotate(total=Sum("total"), count=Sum("count"))
    ):
        entry = weeks[(day - datetime.timedelta(days=day.weekday()), kpi)]
        entry[0] += float(total or 0)
        entry[1] += int(count or 0)
    return [
        TrendPoint(week=week, kpi=kpi, value=kpi_value(kpi, total, int(count)).value)
        for (week, kpi), (total, count) in sorted(weeks.items())
    ]


# --- usage analytics -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeatureAdoption:
    feature: str
    label: str
    active_7: int
    active_30: int
    members: int

    @property
    def share_7(self) -> float:
        return round(100 * self.active_7 / self.members, 1) if self.members else 0.0

    @property
    def share_30(self) -> float:
        return round(100 * self.active_30 / self.members, 1) if self.members else 0.0


@dataclass(frozen=True)
class UsageRow:
    key: str
    name: str
    people: int
    active: int
    views: int
    api_calls: int
    actions: int


@dataclass(frozen=True)
class PersonUsage:
    person: Person
    views: int
    api_calls: int
    actions: int
    last_active: datetime.date | None
    features: tuple[str, ...] = field(default=())
    onboarding: tuple[int, int] | None = None  # (steps done, steps) of the person's onboarding checklist


@dataclass(frozen=True)
class UsageOverview:
    first: datetime.date
    last: datetime.date
    members: int
    feature_adoption: list[FeatureAdoption]
    by_role: list[UsageRow]
    by_team: list[UsageRow]
    by_region: list[UsageRow]
    by_person: list[PersonUsage] | None  # None: the privacy setting keeps people's rows from this viewer
    dormant: list[PersonUsage] | None
    dormant_count: int
    dormant_days: int
    weekly: list[tuple[datetime.date, str, int]]  # (week, feature label, uses)
    first_response_minutes: float | None
    approval_turnaround_hours: float | None


def usage_overview(viewer: Membership, days: int = 30) -> UsageOverview:
    """Who uses what, by person (when the privacy setting allows), role, team and region over ``days``; each
    feature's adoption over 7 and 30 days; dormant people; and time from arrival to action."""
    require(viewer, Action.ADOPTION_VIEW)
    workspace_id = viewer.workspace_id
    first, last = period(days)
    everyone = people(workspace_id)
    member_ids = {person.user_id for person in everyone}
    rows = UsageDaily.objects.for_workspace(workspace_id)

    active: dict[int, dict[str, set[int]]] = {}
    for window in (7, 30):
        since, _until = period(window, last)
        active[window] = defaultdict(set)
        for user_id, feature in (
            rows.filter(day__gte=since, day__lte=last).order_by().values_list("user_id", "feature").distinct()
        ):
            if user_id in member_ids:
                active[window][feature].add(user_id)
    adoption = [
        FeatureAdoption(
            feature=feature,
            label=features.label(feature),
            active_7=len(active[7].get(feature, ())),
            active_30=len(active[30].get(feature, ())),
            members=len(everyone),
        )
        for feature in features.FEATURES
    ]

    per_person: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    person_features: dict[int, set[str]] = defaultdict(set)
    for user_id, feature, views, api_calls, actions in (
        rows.filter(day__gte=first, day__lte=last)
        .order_by()
        .values_list("user_id", "feature")
        .annotate(views=Sum("views"), api_calls=Sum("api_calls"), actions=Sum("actions"))
    ):
        entry = per_person[user_id]
        entry[0] += views or 0
        entry[1] += api_calls or 0
        entry[2] += actions or 0
        person_features[user_id].add(features.label(feature))
    last_seen = dict(rows.filter(user_id__in=member_ids).order_by().values_list("user_id").annotate(last=Max("day")))

    progress = onboarding_progress(workspace_id, everyone)

    def usage_of(person: Person) -> PersonUsage:
        views, api_calls, actions = per_person.get(person.user_id, [0, 0, 0])
        return PersonUsage(
            person=person,
            views=views,
            api_calls=api_calls,
            actions=actions,
            last_active=last_seen.get(person.user_id),
            features=tuple(sorted(person_features.get(person.user_id, ()))),
            onboarding=progress.get(person.user_id),
        )

    usages = [usage_of(person) for person in everyone]

    def grouped(groups: dict[str, tuple[str, list[PersonUsage]]]) -> list[UsageRow]:
        return [
            UsageRow(
                key=key,
                name=name,
                people=len(members),
                active=sum(1 for usage in members if usage.views + usage.api_calls + usage.actions),
                views=sum(usage.views for usage in members),
                api_calls=sum(usage.api_calls for usage in members),
                actions=sum(usage.actions for usage in members),
            )
            for key, (name, members) in sorted(groups.items(), key=lambda item: item[1][0].lower())
        ]

    by_role: dict[str, tuple[str, list[PersonUsage]]] = {}
    by_team: dict[str, tuple[str, list[PersonUsage]]] = {}
    by_region: dict[str, tuple[str, list[PersonUsage]]] = {}
    region_names = dict(Region.objects.for_workspace(workspace_id).values_list("pk", "name"))
    hub = Region.objects.for_workspace(workspace_id).filter(parent__isnull=True).values_list("name", flat=True).first()
    for usage in usages:
        person = usage.person
        by_role.setdefault(person.role, (person.role_label, []))[1].append(usage)
        for team in person.team_names:
            by_team.setdefault(team, (team, []))[1].append(usage)
        for region_id in person.region_ids or (0,):
            name = region_names.get(region_id) or hub or _("All regions")
            by_region.setdefault(str(region_id), (name, []))[1].append(usage)

    settings = settings_of(workspace_id)
    threshold = last - datetime.timedelta(days=settings.dormant_days)
    dormant = [usage for usage in usages if usage.last_active is None or usage.last_active <= threshold]
    weekly: dict[tuple[datetime.date, str], int] = defaultdict(int)
    trend_first = last - datetime.timedelta(days=7 * 26 - 1)
    for day, feature, uses in (
        rows.filter(day__gte=trend_first, day__lte=last)
        .order_by()
        .values_list("day", "feature")
        .annotate(uses=Sum(F("views") + F("api_calls") + F("actions")))
    ):
        weekly[(day - datetime.timedelta(days=day.weekday()), features.label(feature))] += int(uses or 0)
    since = datetime.datetime.combine(first, datetime.time.min, tzinfo=datetime.UTC)
    until = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, tzinfo=datetime.UTC)
    medians = inbox_facade.median_response_times(workspace_id, since=since, until=until)
    approvals = (
        KpiDaily.objects.for_workspace(workspace_id)
        .filter(kpi=Kpi.APPROVAL_TURNAROUND, day__gte=first, day__lte=last)
        .aggregate(total=Sum("total"), count=Sum("count"))
    )
    see_people = may_see_others(viewer)
    return UsageOverview(
        first=first,
        last=last,
        members=len(everyone),
        feature_adoption=adoption,
        by_role=grouped(by_role),
        by_team=grouped(by_team),
        by_region=grouped(by_region),
        by_person=sorted(usages, key=lambda usage: -(usage.views + usage.api_calls + usage.actions))
        if see_people
        else None,
        dormant=dormant if see_people else None,
        dormant_count=len(dormant),
        dormant_days=settings.dormant_days,
        weekly=[(week, feature, uses) for (week, feature), uses in sorted(weekly.items())],
        first_response_minutes=round(medians.first_response_seconds / 60, 1)
        if medians.first_response_seconds is not None
        else None,
        approval_turnaround_hours=kpi_value(
            Kpi.APPROVAL_TURNAROUND, float(approvals["total"] or 0), int(approvals["count"] or 0)
        ).value,
    )


# --- outcome reasons -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OutcomeReport:
    first: datetime.date
    last: datetime.date
    by_month: list[tuple[str, str, int]]  # (YYYY-MM, reason, conversations)
    totals: list[tuple[str, int]]  # reason, conversations (most first)
    closed: int
    with_reason: int


def outcome_report(viewer: Membership, days: int = 365) -> OutcomeReport:
    """Why conversations ended, month by month: the reasons the team recorded (blank: none recorded)."""
    require(viewer, Action.ADOPTION_VIEW)
    first, last = period(days)
    since = datetime.datetime.combine(first, datetime.time.min, tzinfo=datetime.UTC)
    until = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, tzinfo=datetime.UTC)
    months: dict[tuple[str, str], int] = defaultdict(int)
    totals: dict[str, int] = defaultdict(int)
    no_reason = _("(no reason recorded)")
    for row in inbox_facade.outcome_counts(viewer.workspace_id, since=since, until=until):
        reason = row.reason or no_reason
        months[(row.day.strftime("%Y-%m"), reason)] += row.count
        totals[reason] += row.count
    closed = sum(totals.values())
    return OutcomeReport(
        first=first,
        last=last,
        by_month=[(month, reason, count) for (month, reason), count in sorted(months.items())],
        totals=sorted(totals.items(), key=lambda item: (-item[1], item[0])),
        closed=closed,
        with_reason=closed - totals.get(no_reason, 0),
    )


# --- what is recorded about me ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedAboutMe:
    usage_events: int
    oldest_event: datetime.datetime | None
    usage_days: list[tuple[datetime.date, str, int, int, int]]  # day, feature, views, API calls, actions
    kpi_days: int
    audit_events: int
    recent_actions: list[AuditEvent]
    visibility: str


def recorded_about(membership: Membership, days: int = 30) -> RecordedAboutMe:
    """Everything this app keeps about the member (and their audited actions), for their own page."""
    require(membership, Action.WORKSPACE_VIEW)
    workspace_id, user_id = membership.workspace_id, membership.user_id
    first, last = period(days)
    events = UsageEvent.objects.for_workspace(workspace_id).filter(user_id=user_id)
    audit_rows = AuditEvent.objects.for_workspace(workspace_id).filter(actor_id=user_id)
    return RecordedAboutMe(
        usage_events=events.count(),
        oldest_event=events.order_by("created_at").values_list("created_at", flat=True).first(),
        usage_days=[
            (row.day, features.label(row.feature), row.views, row.api_calls, row.actions)
            for row in UsageDaily.objects.for_workspace(workspace_id)
            .filter(user_id=user_id, day__gte=first, day__lte=last)
            .order_by("-day", "feature")
        ],
        kpi_days=KpiDaily.objects.for_workspace(workspace_id).filter(user_id=user_id).count(),
        audit_events=audit_rows.count(),
        recent_actions=list(audit_rows.order_by("-created_at")[:20]),
        visibility=str(ScorecardVisibility(settings_of(workspace_id).scorecard_visibility).label),
    )


# --- onboarding checklists ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistStep:
    item_id: int
    title: str
    role: str
    done_at: datetime.datetime | None


def checklist_of(membership: Membership) -> list[ChecklistStep]:
    """The member's onboarding steps (everyone's and their role's), ticked or not."""
    require(membership, Action.WORKSPACE_VIEW)
    items = ChecklistItem.objects.for_workspace(membership.workspace_id).filter(Q(role="") | Q(role=membership.role))
    done = dict(
        ChecklistCompletion.objects.for_workspace(membership.workspace_id)
        .filter(user_id=membership.user_id)
        .values_list("item_id", "completed_at")
    )
    return [ChecklistStep(item.pk, item.title, item.role, done.get(item.pk)) for item in items]


def onboarding_progress(workspace_id: int, everyone: Iterable[Person]) -> dict[int, tuple[int, int]]:
    """Per person: (steps done, steps of their checklist); people without a checklist are left out."""
    items = list(ChecklistItem.objects.for_workspace(workspace_id).values_list("pk", "role"))
    if not items:
        return {}
    done: dict[int, set[int]] = defaultdict(set)
    for user_id, item_id in ChecklistCompletion.objects.for_workspace(workspace_id).values_list("user_id", "item_id"):
        done[user_id].add(item_id)
    progress = {}
    for person in everyone:
        mine = {item_id for item_id, role in items if role in {"", person.role}}
        if mine:
            progress[person.user_id] = (len(mine & done.get(person.user_id, set())), len(mine))
    return progress
