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
    AdoptedCopy,
    AdoptedKind,
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
)
from pappus.adoption.services import settings_of
from pappus.analytics import facade as analytics_facade
from pappus.core.models import AuditEvent, Membership, Region
from pappus.core.permissions import Action, Role, require, role_allows
from pappus.inbox import facade as inbox_facade
from pappus.inbox import selectors as inbox_selectors
from pappus.publishing import facade as publishing_facade
from pappus.strategy import facade as strategy_facade

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


@dataclass(frozen=True)
class ScorecardInputs:
    """What the team and region scorecards both read, read once per request: people, their KPI sums, targets."""

    everyone: list[Person]
    sums: dict[int, Sums]
    role_targets: dict[tuple[str, str], KpiTarget]


def scorecard_inputs(workspace_id: int, first: datetime.date, last: datetime.date) -> ScorecardInputs:
    return ScorecardInputs(people(workspace_id), kpi_sums(workspace_id, first, last), targets(workspace_id))


def team_scorecards(
    workspace_id: int, first: datetime.date, last: datetime.date, inputs: ScorecardInputs | None = None
) -> list[GroupScorecard]:
    """One scorecard per inbox team, and one per role (every workspace has roles, not always teams)."""
    inputs = inputs or scorecard_inputs(workspace_id, first, last)
    everyone, sums, role_targets = inputs.everyone, inputs.sums, inputs.role_targets
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


def region_scorecards(
    workspace_id: int, first: datetime.date, last: datetime.date, inputs: ScorecardInputs | None = None
) -> list[GroupScorecard]:
    """The hub's rollup over everyone first, then each region with its spokes below it (a member limited to
    regions counts in each of them; one without limits counts at the hub only)."""
    inputs = inputs or scorecard_inputs(workspace_id, first, last)
    everyone, sums, role_targets = inputs.everyone, inputs.sums, inputs.role_targets
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


# --- outcome reasons by competitor -----------------------------------------------------------------------


@dataclass(frozen=True)
class CompetitorReport:
    competitors: list[str]  # the strategy's competitors, by name
    by_month: list[tuple[str, str, int]]  # (YYYY-MM, competitor, conversations)
    totals: list[tuple[str, int, list[tuple[str, int]]]]  # competitor, conversations, (reason, conversations)


def competitor_report(viewer: Membership, days: int = 365) -> CompetitorReport:
    """Closed conversations whose outcome reason or close note names one of strategy's competitors, by month
    and competitor, with the reasons recorded for each (the notes themselves are not read out of the inbox)."""
    require(viewer, Action.ADOPTION_VIEW)
    first, last = period(days)
    since = datetime.datetime.combine(first, datetime.time.min, tzinfo=datetime.UTC)
    until = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, tzinfo=datetime.UTC)
    names = [competitor.name for competitor in strategy_facade.competitor_names(viewer.workspace_id)]
    months: dict[tuple[str, str], int] = defaultdict(int)
    reasons: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    no_reason = _("(no reason recorded)")
    for row in inbox_selectors.outcomes_by_competitor(viewer.workspace_id, names, since=since, until=until):
        months[(row.day.strftime("%Y-%m"), row.competitor)] += row.count
        reasons[row.competitor][row.reason or no_reason] += row.count
    totals = [
        (name, sum(counts.values()), sorted(counts.items(), key=lambda item: (-item[1], item[0])))
        for name, counts in reasons.items()
    ]
    return CompetitorReport(
        competitors=names,
        by_month=[(month, name, count) for (month, name), count in sorted(months.items())],
        totals=sorted(totals, key=lambda item: (-item[1], item[0])),
    )


# --- the playbook and each person's duties -------------------------------------------------------------------


@dataclass(frozen=True)
class DutyRow:
    duty_id: int
    title: str
    role: str
    role_label: str
    cadence: str
    cadence_label: str
    region_id: int | None
    region_name: str
    from_raci: bool
    due: int  # checklist items due in the period that are over
    on_time: int

    @property
    def on_time_share(self) -> float | None:
        return round(100 * self.on_time / self.due, 1) if self.due else None


def _region_names(workspace_id: int) -> tuple[dict[int, str], str]:
    names = dict(Region.objects.for_workspace(workspace_id).values_list("pk", "name"))
    hub = Region.objects.for_workspace(workspace_id).filter(parent__isnull=True).values_list("name", flat=True).first()
    return names, hub or _("All regions")


def playbook(workspace_id: int, days: int = 90) -> list[DutyRow]:
    """The workspace's duties with how many of their checklist items due in the last ``days`` (days already
    over) were done on time."""
    first, last = period(days)
    names, hub = _region_names(workspace_id)
    figures: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for duty_id, due_on, done_at in (
        DutyItem.objects.for_workspace(workspace_id)
        .filter(due_on__gte=first, due_on__lt=last)
        .values_list("duty_id", "due_on", "done_at")
    ):
        figures[duty_id][0] += 1
        if done_at is not None and done_at.astimezone(datetime.UTC).date() <= due_on:
            figures[duty_id][1] += 1
    return [
        DutyRow(
            duty_id=duty.pk,
            title=duty.title,
            role=duty.role,
            role_label=str(Role(duty.role).label) if duty.role in Role.values else duty.role,
            cadence=duty.cadence,
            cadence_label=str(Cadence(duty.cadence).label),
            region_id=duty.region_id,
            region_name=names.get(duty.region_id, hub) if duty.region_id else hub,
            from_raci=duty.raci_task_id is not None,
            due=figures[duty.pk][0],
            on_time=figures[duty.pk][1],
        )
        for duty in Duty.objects.for_workspace(workspace_id)
        .filter(is_active=True)
        .order_by("region_id", "role", "title")
    ]


@dataclass(frozen=True)
class MyDutyItem:
    item_id: int
    title: str
    cadence_label: str
    period_start: datetime.date
    due_on: datetime.date
    done_at: datetime.datetime | None
    overdue: bool


def my_duties(membership: Membership, *, history_days: int = 30) -> list[MyDutyItem]:
    """The member's checklist items: every one not done yet (overdue first), then those done in the last
    ``history_days``."""
    require(membership, Action.WORKSPACE_VIEW)
    current = today()
    since = current - datetime.timedelta(days=history_days)
    rows = (
        DutyItem.objects.for_workspace(membership.workspace_id)
        .filter(user_id=membership.user_id)
        .filter(Q(done_at__isnull=True) | Q(due_on__gte=since))
        .select_related("duty")
        .order_by("due_on", "duty__title", "pk")
    )
    items = [
        MyDutyItem(
            item_id=row.pk,
            title=row.duty.title,
            cadence_label=str(Cadence(row.duty.cadence).label),
            period_start=row.period_start,
            due_on=row.due_on,
            done_at=row.done_at,
            overdue=row.done_at is None and row.due_on < current,
        )
        for row in rows
    ]
    return sorted(items, key=lambda item: (item.done_at is not None, item.due_on, item.title))


def overdue_count(membership: Membership) -> int:
    return (
        DutyItem.objects.for_workspace(membership.workspace_id)
        .filter(user_id=membership.user_id, done_at__isnull=True, due_on__lt=today())
        .count()
    )


# --- regions learn from each other ----------------------------------------------------------------------------

PER_FOLLOWERS = 1000  # posts are compared by engagements per this many followers


@dataclass(frozen=True)
class PostScore:
    post_id: int
    title: str
    region_id: int | None
    region_name: str
    published_at: datetime.datetime
    engagements: int | None
    followers: int

    @property
    def score(self) -> float | None:
        """Engagements per 1,000 followers of the accounts it went out on (None: audience or counters unknown)."""
        if self.engagements is None or not self.followers:
            return None
        return round(self.engagements / self.followers * PER_FOLLOWERS, 2)


@dataclass(frozen=True)
class RegionLearning:
    region_id: int | None
    name: str
    is_hub: bool
    posts: int
    measured: int
    engagements: int
    followers: int
    duties_due: int
    duties_on_time: int

    @property
    def score(self) -> float | None:
        return round(self.engagements / self.followers * PER_FOLLOWERS, 2) if self.followers else None

    @property
    def duties_share(self) -> float | None:
        return round(100 * self.duties_on_time / self.duties_due, 1) if self.duties_due else None


@dataclass(frozen=True)
class AdoptionResult:
    adopted_id: int
    kind: str
    kind_label: str
    source_title: str
    source_region_name: str
    target_region_name: str
    adopted_by: str
    created_at: datetime.datetime
    original: float | None  # posts: score; playbooks: share of duties done on time
    copy: float | None
    measure: str  # what original and copy are


FOLLOW_UP_DAYS = inbox_selectors.FOLLOW_UP_DAYS
MIN_REPLY_USES = 3  # a saved reply is ranked once this many answers in the period were based on it


@dataclass(frozen=True)
class SavedReplyRank:
    """A spoke's saved reply and how the conversations it answered ended (``inbox.selectors.saved_reply_outcomes``)."""

    reply_id: int
    title: str
    language: str
    region_id: int | None
    region_name: str
    uses: int
    conversations: int
    closed: int
    positive: int
    close_hours: float
    complaints: int

    @property
    def ranked(self) -> bool:
        return self.uses >= MIN_REPLY_USES

    @property
    def positive_share(self) -> float | None:
        """Conversations closed with a positive reason, of all it answered (%)."""
        return round(100 * self.positive / self.conversations, 1) if self.conversations else None

    @property
    def complaint_share(self) -> float | None:
        """Closed conversations whose customer complained again within the follow-up days (%)."""
        return round(100 * self.complaints / self.closed, 1) if self.closed else None

    @property
    def hours_to_close(self) -> float | None:
        """Mean hours from the first answer based on it to the close."""
        return round(self.close_hours / self.closed, 1) if self.closed else None

    @property
    def score(self) -> float | None:
        """Positive share minus complaint share (percentage points); the ranking's key."""
        if self.positive_share is None:
            return None
        return round(self.positive_share - (self.complaint_share or 0.0), 1)


def _reply_sort_key(row: SavedReplyRank) -> tuple[bool, float, float, int, str]:
    return (not row.ranked, -(row.score or 0.0), row.hours_to_close or 0.0, -row.uses, row.title)


@dataclass(frozen=True)
class LearningOverview:
    first: datetime.date
    last: datetime.date
    regions: list[RegionLearning]
    best_posts: list[PostScore]
    saved_replies: list[SavedReplyRank]  # the spokes' saved replies, ranked ones first (best first)
    playbooks: list[tuple[int, str, int]]  # region id, region name, duties
    adopted: list[AdoptionResult]
    targets: list[tuple[int, str]]  # regions a copy may go to


def _post_scores(workspace_id: int, post_ids: list[int], last: datetime.date) -> dict[int, tuple[int | None, int]]:
    figures = analytics_facade.post_audience(workspace_id, post_ids, day=last) if post_ids else {}
    return {post_id: (row.engagements, row.followers) for post_id, row in figures.items()}


def learning_overview(viewer: Membership, days: int = 90, *, best: int = 10) -> LearningOverview:
    """Regions compared after normalising for audience size: each published post's engagements per 1,000
    followers of the accounts it went out on, each region's posts together (Σ engagements / Σ followers), the
    share of each region's playbook duties done on time; the best posts across the spokes, the saved replies and
    playbooks to adopt, and how each adopted copy did against its original."""
    require(viewer, Action.ADOPTION_VIEW)
    workspace_id = viewer.workspace_id
    first, last = period(days)
    names, hub_name = _region_names(workspace_id)
    regions = list(Region.objects.for_workspace(workspace_id).order_by("name").values_list("pk", "name", "parent_id"))
    hub_id = next((pk for pk, _name, parent in regions if parent is None), None)
    since = datetime.datetime.combine(first, datetime.time.min, tzinfo=datetime.UTC)
    published: dict[int, tuple[int | None, datetime.datetime]] = {}
    for variant in publishing_facade.published_variants(workspace_id, published_since=since, include_unlinked=True):
        published.setdefault(variant.post_id, (variant.region_id, variant.published_at))
    adopted_rows = list(AdoptedCopy.objects.for_workspace(workspace_id).select_related("target_region", "adopted_by"))
    adopted_post_ids = {
        int(post_id)
        for row in adopted_rows
        if row.kind == AdoptedKind.POST
        for post_id in [row.source_id, *row.copy_ids]
    }
    scores = _post_scores(workspace_id, sorted(set(published) | adopted_post_ids), last)
    titles = publishing_facade.post_titles(workspace_id, sorted(published))
    posts = [
        PostScore(
            post_id=post_id,
            title=titles.get(post_id, ""),
            region_id=region_id,
            region_name=names.get(region_id, hub_name) if region_id else hub_name,
            published_at=published_at,
            engagements=scores.get(post_id, (None, 0))[0],
            followers=scores.get(post_id, (None, 0))[1],
        )
        for post_id, (region_id, published_at) in published.items()
    ]
    duty_rows = playbook(workspace_id, days)
    learning = []
    for region_id, name, parent_id in regions:
        key = None if parent_id is None else region_id
        mine = [post for post in posts if (post.region_id if post.region_id != hub_id else None) == key]
        measured = [post for post in mine if post.score is not None]
        region_duties = [row for row in duty_rows if (row.region_id if row.region_id != hub_id else None) == key]
        learning.append(
            RegionLearning(
                region_id=region_id,
                name=name,
                is_hub=parent_id is None,
                posts=len(mine),
                measured=len(measured),
                engagements=sum(post.engagements or 0 for post in measured),
                followers=sum(post.followers for post in measured),
                duties_due=sum(row.due for row in region_duties),
                duties_on_time=sum(row.on_time for row in region_duties),
            )
        )
    learning.sort(key=lambda row: (not row.is_hub, -(row.score or -1), row.name))
    spokes_best = sorted(
        (post for post in posts if post.score is not None and post.region_id not in {None, hub_id}),
        key=lambda post: (-(post.score or 0), post.title),
    )[:best]
    until = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time.min, tzinfo=datetime.UTC)
    outcomes = inbox_selectors.saved_reply_outcomes(workspace_id, since, until)
    saved_replies = sorted(
        (
            _reply_rank(reply, names.get(reply.region_id, hub_name) if reply.region_id else hub_name, outcomes)
            for reply in inbox_selectors.saved_reply_infos(workspace_id)
            if reply.region_id is not None and reply.region_id != hub_id
        ),
        key=_reply_sort_key,
    )
    playbook_counts: dict[int, int] = defaultdict(int)
    for row in duty_rows:
        if row.region_id is not None:
            playbook_counts[row.region_id] += 1
    return LearningOverview(
        first=first,
        last=last,
        regions=learning,
        best_posts=spokes_best,
        saved_replies=saved_replies,
        playbooks=sorted(
            ((region_id, names.get(region_id, ""), count) for region_id, count in playbook_counts.items()),
            key=lambda item: item[1],
        ),
        adopted=[_adoption_result(row, scores, duty_rows, hub_name, outcomes) for row in adopted_rows],
        targets=[(pk, name) for pk, name, parent in regions if parent is not None],
    )


def _reply_rank(
    reply: inbox_selectors.SavedReplyInfo, region_name: str, outcomes: dict[int, inbox_selectors.SavedReplyOutcome]
) -> SavedReplyRank:
    outcome = outcomes.get(reply.id)
    return SavedReplyRank(
        reply_id=reply.id,
        title=reply.title,
        language=reply.language,
        region_id=reply.region_id,
        region_name=region_name,
        uses=outcome.uses if outcome else 0,
        conversations=outcome.conversations if outcome else 0,
        closed=outcome.closed if outcome else 0,
        positive=outcome.positive if outcome else 0,
        close_hours=outcome.close_hours if outcome else 0.0,
        complaints=outcome.complaints if outcome else 0,
    )


def _adoption_result(
    row: AdoptedCopy,
    scores: dict[int, tuple[int | None, int]],
    duty_rows: list[DutyRow],
    hub_name: str,
    outcomes: dict[int, inbox_selectors.SavedReplyOutcome],
) -> AdoptionResult:
    def post_score(post_id: int) -> float | None:
        engagements, followers = scores.get(post_id, (None, 0))
        return round(engagements / followers * PER_FOLLOWERS, 2) if engagements is not None and followers else None

    def duty_share(duty_ids: set[int]) -> float | None:
        due = sum(duty.due for duty in duty_rows if duty.duty_id in duty_ids)
        done = sum(duty.on_time for duty in duty_rows if duty.duty_id in duty_ids)
        return round(100 * done / due, 1) if due else None

    def reply_share(reply_id: int) -> float | None:
        outcome = outcomes.get(reply_id)
        if outcome is None or outcome.uses < MIN_REPLY_USES or not outcome.conversations:
            return None
        return round(100 * outcome.positive / outcome.conversations, 1)

    original = copy = None
    measure = ""
    if row.kind == AdoptedKind.SAVED_REPLY:
        original = reply_share(row.source_id)
        copy = reply_share(int(row.copy_ids[0])) if row.copy_ids else None
        measure = _("conversations closed with a positive reason (%%), once used %(uses)d times") % {
            "uses": MIN_REPLY_USES
        }
    elif row.kind == AdoptedKind.POST:
        original = post_score(row.source_id)
        copy = post_score(int(row.copy_ids[0])) if row.copy_ids else None
        measure = _("engagements per 1,000 followers")
    elif row.kind == AdoptedKind.PLAYBOOK:
        original = duty_share({duty.duty_id for duty in duty_rows if duty.region_id == row.source_region_id})
        copy = duty_share({int(duty_id) for duty_id in row.copy_ids})
        measure = _("duties done on time (%)")
    return AdoptionResult(
        adopted_id=row.pk,
        kind=row.kind,
        kind_label=str(AdoptedKind(row.kind).label),
        source_title=row.source_title,
        source_region_name=row.source_region_name or hub_name,
        target_region_name=row.target_region.name,
        adopted_by=str(row.adopted_by) if row.adopted_by is not None else "",
        created_at=row.created_at,
        original=original,
        copy=copy,
        measure=measure,
    )
