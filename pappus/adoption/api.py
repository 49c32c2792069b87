"""The adoption REST API under /api/v1/adoption: usage (feature adoption, usage by role, team and region),
team and region scorecards, personal scorecards under the workspace's privacy setting, targets, settings.

Thin over the same selectors and services as the pages: usage and group scorecards need
``adoption.view``; a personal scorecard needs only membership for one's own, and the privacy setting for
anyone else's; targets and settings need ``workspace.manage``.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from pappus.adoption import selectors, services
from pappus.adoption.models import Kpi
from pappus.core.api import ObjectId, actor_of, error_responses, member_of
from pappus.core.models import Membership
from pappus.core.permissions import Action, Role

router = Router(tags=["adoption"])

Days = Annotated[int, Field(ge=1, le=365, description="How many UTC days back, today included (1-365).")]
KpiCode = Literal[
    "first_response_minutes",
    "closed_with_reason",
    "posts_on_plan",
    "approval_turnaround_hours",
    "active_days",
    "duties_on_time",
    "reports_on_time",
]
RoleCode = Literal[
    "owner",
    "admin",
    "strategist",
    "content_manager",
    "community_manager",
    "analyst",
    "campaign_manager",
    "designer",
    "agency",
    "executive",
]
assert set(KpiCode.__args__) == set(Kpi.values)  # type: ignore[attr-defined]  # noqa: S101 — kept in step
assert set(RoleCode.__args__) == set(Role.values)  # type: ignore[attr-defined]  # noqa: S101


class PeriodQuery(Schema):
    days: Days = 30


class FeatureAdoptionOut(Schema):
    feature: str
    label: str
    active_7_days: int
    active_30_days: int
    members: int
    share_7_days: float = Field(description="Percent of active members who used the feature in the last 7 days.")
    share_30_days: float


class UsageGroupOut(Schema):
    key: str
    name: str
    people: int
    active: int
    views: int
    api_calls: int
    actions: int


class PersonUsageOut(Schema):
    user_id: int
    name: str
    role: str
    views: int
    api_calls: int
    actions: int
    last_active: datetime.date | None


class UsageOut(Schema):
    first_day: datetime.date
    last_day: datetime.date
    members: int
    features: list[FeatureAdoptionOut]
    by_role: list[UsageGroupOut]
    by_team: list[UsageGroupOut]
    by_region: list[UsageGroupOut]
    people: list[PersonUsageOut] | None = Field(
        description="Each person's usage; null when the workspace's privacy setting keeps it from the caller."
    )
    dormant_count: int
    dormant_days: int
    first_response_minutes: float | None
    approval_turnaround_hours: float | None


class KpiValueOut(Schema):
    kpi: KpiCode
    label: str
    value: float | None
    count: int = Field(description="How many conversations, posts, decisions or days the value is based on.")
    target: float | None
    direction: Literal["higher", "lower"]
    met: bool | None


class GroupScorecardOut(Schema):
    key: str
    name: str
    people: int
    is_hub: bool
    depth: int
    values: list[KpiValueOut]
    targets_met: int
    targets_measured: int


class PersonScorecardOut(Schema):
    user_id: int
    name: str
    role: str
    first_day: datetime.date
    last_day: datetime.date
    values: list[KpiValueOut]


class TargetIn(Schema):
    role: RoleCode
    kpi: KpiCode
    target: float = Field(ge=0, le=1_000_000)
    direction: Literal["higher", "lower", ""] = ""


class TargetOut(Schema):
    id: int
    role: str
    kpi: str
    target: float
    direction: str


class SettingsIn(Schema):
    scorecard_visibility: Literal["self", "managers", "everyone"]
    dormant_days: int = Field(ge=1, le=services.MAXIMUM_DORMANT_DAYS)


class SettingsOut(Schema):
    scorecard_visibility: str
    dormant_days: int


def _values(values: tuple[selectors.KpiValue, ...]) -> list[KpiValueOut]:
    return [
        KpiValueOut(
            kpi=value.kpi,  # type: ignore[arg-type]
            label=value.label,
            value=value.value,
            count=value.count,
            target=value.target,
            direction=value.direction,  # type: ignore[arg-type]
            met=value.met,
        )
        for value in values
    ]


def _group(card: selectors.GroupScorecard) -> GroupScorecardOut:
    return GroupScorecardOut(
        key=card.key,
        name=card.name,
        people=card.people,
        is_hub=card.is_hub,
        depth=card.depth,
        values=_values(card.values),
        targets_met=card.targets_met,
        targets_measured=card.targets_measured,
    )


@router.get("/adoption/usage", response={200: UsageOut, **error_responses()}, summary="Who uses what")
def usage(request: HttpRequest, query: Query[PeriodQuery]) -> UsageOut:
    membership = member_of(request, Action.ADOPTION_VIEW)
    overview = selectors.usage_overview(membership, query.days)

    def groups(rows: list[selectors.UsageRow]) -> list[UsageGroupOut]:
        return [UsageGroupOut(**row.__dict__) for row in rows]

    return UsageOut(
        first_day=overview.first,
        last_day=overview.last,
        members=overview.members,
        features=[
            FeatureAdoptionOut(
                feature=row.feature,
                label=row.label,
                active_7_days=row.active_7,
                active_30_days=row.active_30,
                members=row.members,
                share_7_days=row.share_7,
                share_30_days=row.share_30,
            )
            for row in overview.feature_adoption
        ],
        by_role=groups(overview.by_role),
        by_team=groups(overview.by_team),
        by_region=groups(overview.by_region),
        people=[
            PersonUsageOut(
                user_id=usage.person.user_id,
                name=usage.person.name,
                role=usage.person.role,
                views=usage.views,
                api_calls=usage.api_calls,
                actions=usage.actions,
                last_active=usage.last_active,
            )
            for usage in overview.by_person
        ]
        if overview.by_person is not None
        else None,
        dormant_count=overview.dormant_count,
        dormant_days=overview.dormant_days,
        first_response_minutes=overview.first_response_minutes,
        approval_turnaround_hours=overview.approval_turnaround_hours,
    )


@router.get(
    "/adoption/scorecards/regions",
    response={200: list[GroupScorecardOut], **error_responses()},
    summary="Region scorecards (the hub's rollup first)",
)
def region_scorecards(request: HttpRequest, query: Query[PeriodQuery]) -> list[GroupScorecardOut]:
    membership = member_of(request, Action.ADOPTION_VIEW)
    first, last = selectors.period(query.days)
    return [_group(card) for card in selectors.region_scorecards(membership.workspace_id, first, last)]


@router.get(
    "/adoption/scorecards/teams",
    response={200: list[GroupScorecardOut], **error_responses()},
    summary="Team and role scorecards",
)
def team_scorecards(request: HttpRequest, query: Query[PeriodQuery]) -> list[GroupScorecardOut]:
    membership = member_of(request, Action.ADOPTION_VIEW)
    first, last = selectors.period(query.days)
    return [_group(card) for card in selectors.team_scorecards(membership.workspace_id, first, last)]


def _person(viewer: Membership, user_id: int, days: int) -> PersonScorecardOut:
    subject = selectors.require_scorecard_of(viewer, user_id)
    first, last = selectors.period(days)
    person = next(
        (found for found in selectors.people(viewer.workspace_id) if found.user_id == subject.user_id), None
    ) or selectors.Person(subject.user_id, str(subject.user), subject.user.email, subject.role, (), ())
    sums = selectors.kpi_sums(viewer.workspace_id, first, last, [subject.user_id]).get(subject.user_id, {})
    card = selectors.person_scorecard(person, sums, selectors.targets(viewer.workspace_id))
    return PersonScorecardOut(
        user_id=person.user_id,
        name=person.name,
        role=person.role,
        first_day=first,
        last_day=last,
        values=_values(card.values),
    )


@router.get("/adoption/scorecards/me", response={200: PersonScorecardOut, **error_responses()}, summary="My scorecard")
def my_scorecard(request: HttpRequest, query: Query[PeriodQuery]) -> PersonScorecardOut:
    viewer = member_of(request, Action.WORKSPACE_VIEW)
    return _person(viewer, viewer.user_id, query.days)


@router.get(
    "/adoption/scorecards/people/{user_id}",
    response={200: PersonScorecardOut, **error_responses(404)},
    summary="A person's scorecard (as the privacy setting allows)",
)
def person_scorecard(request: HttpRequest, user_id: ObjectId, query: Query[PeriodQuery]) -> PersonScorecardOut:
    viewer = member_of(request, Action.WORKSPACE_VIEW)
    return _person(viewer, user_id, query.days)


@router.get("/adoption/targets", response={200: list[TargetOut], **error_responses()}, summary="KPI targets")
def target_list(request: HttpRequest) -> list[TargetOut]:
    membership = member_of(request, Action.ADOPTION_VIEW)
    return [
        TargetOut(id=row.pk, role=row.role, kpi=row.kpi, target=row.target, direction=row.direction)
        for row in selectors.targets(membership.workspace_id).values()
    ]


@router.put("/adoption/targets", response={200: TargetOut, **error_responses()}, summary="Set a role's KPI target")
def target_set(request: HttpRequest, payload: TargetIn) -> TargetOut:
    membership = member_of(request, services.MANAGE)
    row = services.target_set(actor=actor_of(request, membership), membership=membership, **payload.model_dump())
    return TargetOut(id=row.pk, role=row.role, kpi=row.kpi, target=row.target, direction=row.direction)


@router.delete(
    "/adoption/targets/{target_id}", response={204: None, **error_responses(404)}, summary="Remove a KPI target"
)
def target_delete(request: HttpRequest, target_id: ObjectId) -> Status[None]:
    membership = member_of(request, services.MANAGE)
    services.target_delete(actor=actor_of(request, membership), membership=membership, target_id=target_id)
    return Status(204, None)


@router.get("/adoption/settings", response={200: SettingsOut, **error_responses()}, summary="Privacy settings")
def settings_get(request: HttpRequest) -> SettingsOut:
    membership = member_of(request, Action.WORKSPACE_VIEW)
    row = services.settings_of(membership.workspace_id)
    return SettingsOut(scorecard_visibility=row.scorecard_visibility, dormant_days=row.dormant_days)


@router.put("/adoption/settings", response={200: SettingsOut, **error_responses()}, summary="Change privacy settings")
def settings_put(request: HttpRequest, payload: SettingsIn) -> SettingsOut:
    membership = member_of(request, services.MANAGE)
    row = services.settings_update(actor=actor_of(request, membership), membership=membership, **payload.model_dump())
    return SettingsOut(scorecard_visibility=row.scorecard_visibility, dormant_days=row.dormant_days)


# --- the playbook, my duties, reasons by competitor, regions learning from each other ---------------------------


class DutyOut(Schema):
    id: int
    title: str
    role: str
    cadence: Literal["daily", "weekly", "monthly"]
    region_id: int | None = Field(description="Null: a duty of every region's members of the role.")
    from_raci: bool
    due: int = Field(description="Checklist items due in the period whose day is over.")
    on_time: int
    on_time_share: float | None


class DutyItemOut(Schema):
    id: int
    title: str
    period_start: datetime.date
    due_on: datetime.date
    done_at: datetime.datetime | None
    overdue: bool


class DutyTickIn(Schema):
    done: bool


class CompetitorReasonOut(Schema):
    reason: str
    conversations: int


class CompetitorOut(Schema):
    competitor: str
    conversations: int
    reasons: list[CompetitorReasonOut]


class CompetitorMonthOut(Schema):
    month: str = Field(description="YYYY-MM (UTC).")
    competitor: str
    conversations: int


class CompetitorReportOut(Schema):
    competitors: list[str]
    totals: list[CompetitorOut]
    by_month: list[CompetitorMonthOut]


class RegionLearningOut(Schema):
    region_id: int | None
    name: str
    is_hub: bool
    posts: int
    scored_posts: int
    engagements: int
    followers: int
    engagements_per_1000_followers: float | None = Field(
        description="Sum of the scored posts' engagements divided by the sum of their accounts' followers, times 1,000."
    )
    duties_on_time_share: float | None


@router.get("/adoption/playbook", response={200: list[DutyOut], **error_responses()}, summary="The playbook")
def playbook(request: HttpRequest, query: Query[PeriodQuery]) -> list[DutyOut]:
    membership = member_of(request, Action.ADOPTION_VIEW)
    return [
        DutyOut(
            id=row.duty_id,
            title=row.title,
            role=row.role,
            cadence=row.cadence,  # type: ignore[arg-type]
            region_id=row.region_id,
            from_raci=row.from_raci,
            due=row.due,
            on_time=row.on_time,
            on_time_share=row.on_time_share,
        )
        for row in selectors.playbook(membership.workspace_id, query.days)
    ]


@router.get("/adoption/duties/me", response={200: list[DutyItemOut], **error_responses()}, summary="My duties")
def my_duties(request: HttpRequest) -> list[DutyItemOut]:
    membership = member_of(request, Action.WORKSPACE_VIEW)
    return [
        DutyItemOut(
            id=item.item_id,
            title=item.title,
            period_start=item.period_start,
            due_on=item.due_on,
            done_at=item.done_at,
            overdue=item.overdue,
        )
        for item in selectors.my_duties(membership)
    ]


@router.post(
    "/adoption/duties/{item_id}", response={204: None, **error_responses(404)}, summary="Tick one of my duties"
)
def duty_tick(request: HttpRequest, item_id: ObjectId, payload: DutyTickIn) -> Status[None]:
    membership = member_of(request, Action.WORKSPACE_VIEW)
    services.duty_item_tick(
        actor=actor_of(request, membership), membership=membership, item_id=item_id, done=payload.done
    )
    return Status(204, None)


@router.get(
    "/adoption/outcomes/competitors",
    response={200: CompetitorReportOut, **error_responses()},
    summary="Outcome reasons by competitor",
)
def competitors(request: HttpRequest, query: Query[PeriodQuery]) -> CompetitorReportOut:
    membership = member_of(request, Action.ADOPTION_VIEW)
    report = selectors.competitor_report(membership, query.days)
    return CompetitorReportOut(
        competitors=report.competitors,
        totals=[
            CompetitorOut(
                competitor=name,
                conversations=count,
                reasons=[CompetitorReasonOut(reason=reason, conversations=number) for reason, number in reasons],
            )
            for name, count, reasons in report.totals
        ],
        by_month=[
            CompetitorMonthOut(month=month, competitor=name, conversations=count)
            for month, name, count in report.by_month
        ],
    )


@router.get(
    "/adoption/regions/learning",
    response={200: list[RegionLearningOut], **error_responses()},
    summary="Regions compared per 1,000 followers",
)
def regions_learning(request: HttpRequest, query: Query[PeriodQuery]) -> list[RegionLearningOut]:
    membership = member_of(request, Action.ADOPTION_VIEW)
    return [
        RegionLearningOut(
            region_id=row.region_id,
            name=row.name,
            is_hub=row.is_hub,
            posts=row.posts,
            scored_posts=row.measured,
            engagements=row.engagements,
            followers=row.followers,
            engagements_per_1000_followers=row.score,
            duties_on_time_share=row.duties_share,
        )
        for row in selectors.learning_overview(membership, query.days).regions
    ]


class SavedReplyRankOut(Schema):
    reply_id: int
    title: str
    language: str
    region_id: int | None
    region_name: str
    ranked: bool = Field(description="Used at least the minimum number of times in the period (3).")
    rank: int | None = Field(description="1 is best, among the ranked replies; null when not ranked.")
    uses: int = Field(description="Answers based on it in the period (those the network refused excluded).")
    conversations: int
    closed: int
    positive_share: float | None = Field(description="% of its conversations closed with a positive reason.")
    complaint_share: float | None = Field(description="% of the closed ones whose customer complained within 7 days.")
    hours_to_close: float | None = Field(description="Mean hours from the first such answer to the close.")
    score: float | None = Field(description="positive_share minus complaint_share, in percentage points.")


@router.get(
    "/adoption/regions/saved-replies",
    response={200: list[SavedReplyRankOut], **error_responses()},
    summary="The spokes' saved replies ranked by how the conversations they answered ended",
)
def saved_replies_ranked(request: HttpRequest, query: Query[PeriodQuery]) -> list[SavedReplyRankOut]:
    membership = member_of(request, Action.ADOPTION_VIEW)
    rows = selectors.learning_overview(membership, query.days).saved_replies
    ranks = {row.reply_id: number for number, row in enumerate((row for row in rows if row.ranked), start=1)}
    return [
        SavedReplyRankOut(
            reply_id=row.reply_id,
            title=row.title,
            language=row.language,
            region_id=row.region_id,
            region_name=row.region_name,
            ranked=row.ranked,
            rank=ranks.get(row.reply_id),
            uses=row.uses,
            conversations=row.conversations,
            closed=row.closed,
            positive_share=row.positive_share if row.ranked else None,
            complaint_share=row.complaint_share if row.ranked else None,
            hours_to_close=row.hours_to_close if row.ranked else None,
            score=row.score if row.ranked else None,
        )
        for row in rows
    ]
