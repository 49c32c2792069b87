"""The community REST API under /api/v1/community: members (list with filters, detail, change, notes),
personal-data export and erasure, merge suggestions, merges and splits, core fans and settings.

Thin over the same selectors and services as the pages. Reads need ``community.view``, changes
``community.manage``, the export ``customer_data.export`` and erasure ``customer_data.erase``; the
agency role holds none of them, so it gets 403 on every path here.
"""

import datetime
from typing import Annotated, Any, Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from pappus.community import events, health, leaders, segments, selectors, services
from pappus.community.models import (
    MAX_RETENTION_DAYS,
    CommunitySettings,
    Event,
    EventKind,
    LeaderStage,
    Member,
    MemberNote,
    MergeRecord,
    MergeSuggestion,
    OpinionLeader,
    Segment,
)
from pappus.core.api import MAX_ID, ObjectId, Pagination, Text, actor_of, error_responses, member_of
from pappus.core.models import Membership
from pappus.core.permissions import Action

router = Router(tags=["community"])

StageCode = Literal["follower", "engaged", "advocate", "core_fan"]


def _reader(request: HttpRequest) -> Membership:
    return member_of(request, Action.COMMUNITY_VIEW)


def _manager(request: HttpRequest) -> Membership:
    return member_of(request, Action.COMMUNITY_MANAGE)


class IdentityOut(Schema):
    id: int
    network: str = Field(description='A network code, or "import:<source>" for a CRM or shop record.')
    handle: str
    remote_id: str
    display_name: str
    profile_url: str
    email: str
    phone: str
    source: str


class MemberOut(Schema):
    id: int
    display_name: str
    email: str
    phone: str
    stage: StageCode
    score: float
    last_active_at: datetime.datetime = Field(description="The latest activity, or when the person was first found.")
    tags: list[str]
    consent_marketing: bool
    consent_recorded_at: datetime.datetime | None


class ActivityOut(Schema):
    kind: str
    title: str
    url: str
    sentiment: str
    amount: str | None
    currency: str
    occurred_at: datetime.datetime
    network: str

    @staticmethod
    def resolve_amount(activity: Any) -> str | None:
        return None if activity.amount is None else str(activity.amount)

    @staticmethod
    def resolve_network(activity: Any) -> str:
        return str(activity.identity.network)


class NoteOut(Schema):
    id: int
    text: str
    created_at: datetime.datetime


class MemberDetailOut(MemberOut):
    identities: list[IdentityOut]
    activities: list[ActivityOut]
    notes: list[NoteOut]


class MemberFilters(Schema):
    stage: StageCode | None = None
    network: Annotated[Text, Field(max_length=60)] = ""
    tag: Annotated[Text, Field(max_length=50)] = ""
    q: Annotated[Text, Field(max_length=200, description="An e-mail, phone, handle or the start of a name.")] = ""
    segment: int | None = Field(
        None, ge=1, le=MAX_ID, description="A segment's id: its members (narrowed by the rest)."
    )


class MemberPatch(Schema):
    display_name: Annotated[Text, Field(max_length=300)] | None = None
    email: Annotated[Text, Field(max_length=320)] | None = None
    phone: Annotated[Text, Field(max_length=40)] | None = None
    tags: list[Annotated[Text, Field(max_length=50)]] | None = Field(None, max_length=100)
    consent_marketing: bool | None = None
    consent_source: Annotated[Text, Field(max_length=200)] = ""


class NoteIn(Schema):
    text: Annotated[Text, Field(min_length=1, max_length=5000)]


class ErasureOut(Schema):
    members_deleted: int


class SuggestionOut(Schema):
    id: int
    first_id: int
    second_id: int
    evidence: list[str]
    confidence: float
    status: str


class MergeOut(Schema):
    id: int
    target_id: int
    absorbed_id: int
    evidence: list[str]
    confidence: float
    is_automatic: bool
    merged_at: datetime.datetime
    split_at: datetime.datetime | None


class CoreFanOut(Schema):
    member: MemberOut
    contributed: dict[str, int]


class SettingsOut(Schema):
    auto_merge_confidence: float
    retention_days: int | None
    loyalty_rules: dict[str, Any]


class SettingsPatch(Schema):
    auto_merge_confidence: float | None = Field(None, ge=0.5, le=1)
    retention_days: int | None = Field(
        None, ge=1, le=MAX_RETENTION_DAYS, description="Omit to keep; send null to keep members forever."
    )
    loyalty_rules: dict[str, Any] | None = None


class ResolveOut(Schema):
    merged: int
    suggested: int


def _member(membership: Membership, member_id: int) -> Member:
    return get_object_or_404(Member.objects.for_workspace(membership.workspace), pk=member_id)


def _detail(membership: Membership, member: Member) -> dict[str, Any]:
    profile = selectors.member_profile(membership.workspace, member)
    activities = [*profile.conversations, *profile.mentions, *profile.purchases, *profile.other]
    activities.sort(key=lambda row: row.occurred_at, reverse=True)
    return {
        **MemberOut.from_orm(member).model_dump(),
        "identities": profile.identities,
        "activities": activities,
        "notes": profile.notes,
    }


@router.get("/community/members", response={200: list[MemberOut], **error_responses()}, summary="Members")
@paginate(Pagination)
def member_list(request: HttpRequest, filters: Query[MemberFilters]) -> QuerySet[Member]:
    membership = _reader(request)
    base = selectors.MemberFilters()
    if filters.segment is not None:
        base = segments.member_filters(
            get_object_or_404(Segment.objects.for_workspace(membership.workspace), pk=filters.segment)
        )
    return selectors.members(
        membership.workspace,
        selectors.narrowed(base, stage=filters.stage or "", network=filters.network, tag=filters.tag, search=filters.q),
    )


@router.get(
    "/community/members/{member_id}",
    response={200: MemberDetailOut, **error_responses(404)},
    summary="A member with identities, activities and notes",
)
def member_detail(request: HttpRequest, member_id: ObjectId) -> dict[str, Any]:
    membership = _reader(request)
    return _detail(membership, _member(membership, member_id))


@router.patch(
    "/community/members/{member_id}", response={200: MemberOut, **error_responses(404)}, summary="Change a member"
)
def member_update(request: HttpRequest, member_id: ObjectId, payload: MemberPatch) -> Member:
    membership = _manager(request)
    return services.member_update(
        actor=actor_of(request, membership),
        membership=membership,
        member=_member(membership, member_id),
        **payload.model_dump(exclude_unset=True),
    )


@router.post(
    "/community/members/{member_id}/notes",
    response={201: NoteOut, **error_responses(404)},
    summary="Add a note to a member",
)
def note_create(request: HttpRequest, member_id: ObjectId, payload: NoteIn) -> Status[MemberNote]:
    membership = _manager(request)
    note = services.note_add(
        actor=actor_of(request, membership),
        membership=membership,
        member=_member(membership, member_id),
        text=payload.text,
    )
    return Status(201, note)


@router.get(
    "/community/members/{member_id}/export",
    response={200: dict[str, Any], **error_responses(404)},
    summary="Everything held on a person (audited)",
)
def member_export(request: HttpRequest, member_id: ObjectId) -> dict[str, Any]:
    membership = member_of(request, Action.CUSTOMER_DATA_EXPORT)
    return services.member_export(
        actor=actor_of(request, membership), membership=membership, member=_member(membership, member_id)
    )


@router.delete(
    "/community/members/{member_id}",
    response={200: ErasureOut, **error_responses(404)},
    summary="Erase a person on request (audited; cannot be undone)",
)
def member_erase(
    request: HttpRequest, member_id: ObjectId, reason: Annotated[Text, Field(max_length=200)] = ""
) -> dict[str, int]:
    membership = member_of(request, Action.CUSTOMER_DATA_ERASE)
    deleted = services.member_erase(
        actor=actor_of(request, membership),
        membership=membership,
        member=_member(membership, member_id),
        reason=reason,
    )
    return {"members_deleted": deleted}


@router.get(
    "/community/suggestions", response={200: list[SuggestionOut], **error_responses()}, summary="Merge suggestions"
)
@paginate(Pagination)
def suggestion_list(request: HttpRequest) -> QuerySet[MergeSuggestion]:
    return selectors.suggestions(_reader(request).workspace)


@router.post(
    "/community/suggestions/{suggestion_id}/merge",
    response={200: MergeOut, **error_responses(404)},
    summary="Confirm a suggestion: merge the two members",
)
def suggestion_merge(request: HttpRequest, suggestion_id: ObjectId) -> MergeRecord:
    membership = _manager(request)
    suggestion = get_object_or_404(MergeSuggestion.objects.for_workspace(membership.workspace), pk=suggestion_id)
    return services.suggestion_accept(actor=actor_of(request, membership), membership=membership, suggestion=suggestion)


@router.post(
    "/community/suggestions/{suggestion_id}/reject",
    response={200: SuggestionOut, **error_responses(404)},
    summary="Not the same person",
)
def suggestion_reject(request: HttpRequest, suggestion_id: ObjectId) -> MergeSuggestion:
    membership = _manager(request)
    suggestion = get_object_or_404(MergeSuggestion.objects.for_workspace(membership.workspace), pk=suggestion_id)
    return services.suggestion_reject(actor=actor_of(request, membership), membership=membership, suggestion=suggestion)


@router.get("/community/merges", response={200: list[MergeOut], **error_responses()}, summary="Merges, newest first")
@paginate(Pagination)
def merge_list(request: HttpRequest) -> QuerySet[MergeRecord]:
    return selectors.merge_records(_reader(request).workspace)


@router.post(
    "/community/merges/{record_id}/split",
    response={200: MemberOut, **error_responses(404)},
    summary="Split a merge: the absorbed member comes back as it was",
)
def merge_split(request: HttpRequest, record_id: ObjectId) -> Member:
    membership = _manager(request)
    record = get_object_or_404(MergeRecord.objects.for_workspace(membership.workspace), pk=record_id)
    return services.merge_split(actor=actor_of(request, membership), membership=membership, record=record)


@router.post(
    "/community/resolve",
    response={200: ResolveOut, **error_responses()},
    summary="Look for duplicates now (merges the confident ones, suggests the rest)",
)
def resolve(request: HttpRequest) -> dict[str, int]:
    membership = _manager(request)
    result = services.resolve(membership.workspace_id, actor=actor_of(request, membership))
    services.loyalty_recompute(membership.workspace_id)
    return {"merged": result.merged, "suggested": result.suggested}


@router.get(
    "/community/core-fans",
    response={200: list[CoreFanOut], **error_responses()},
    summary="Core fans and what each contributed in the last 90 days",
)
def core_fan_list(request: HttpRequest) -> list[dict[str, Any]]:
    membership = _reader(request)
    return [{"member": fan, "contributed": counts} for fan, counts in selectors.core_fans(membership.workspace)]


@router.get("/community/settings", response={200: SettingsOut, **error_responses()}, summary="Community settings")
def settings_detail(request: HttpRequest) -> CommunitySettings:
    return services.community_settings(_reader(request).workspace)


@router.patch(
    "/community/settings", response={200: SettingsOut, **error_responses()}, summary="Change the community settings"
)
def settings_update(request: HttpRequest, payload: SettingsPatch) -> CommunitySettings:
    membership = _manager(request)
    values = payload.model_dump(exclude_unset=True)
    return services.settings_update(
        actor=actor_of(request, membership),
        membership=membership,
        auto_merge_confidence=values.get("auto_merge_confidence"),
        retention_days=values.get("retention_days", ""),
        loyalty_rules=values.get("loyalty_rules"),
    )


# --- segments --------------------------------------------------------------------------------------


class SegmentFiltersIn(Schema):
    stages: list[StageCode] = Field(default_factory=list, max_length=4)
    network: Annotated[Text, Field(max_length=60)] = ""
    tag: Annotated[Text, Field(max_length=50)] = ""
    search: Annotated[Text, Field(max_length=200)] = ""
    consent: bool | None = None
    min_score: float | None = Field(None, ge=0, le=segments.MAX_SCORE)
    active_within_days: int | None = Field(None, ge=1, le=segments.MAX_DAYS)


class SegmentIn(Schema):
    name: Annotated[Text, Field(min_length=1, max_length=120)]
    description: Annotated[Text, Field(max_length=500)] = ""
    tier: Annotated[Text, Field(max_length=40, description="The inbox's customer tier for this segment.")] = ""
    priority: int = Field(100, ge=0, le=1000, description="Lower first when a member is in several tiered segments.")
    filters: SegmentFiltersIn | None = None


class SegmentPatch(Schema):
    name: Annotated[Text, Field(min_length=1, max_length=120)] | None = None
    description: Annotated[Text, Field(max_length=500)] | None = None
    tier: Annotated[Text, Field(max_length=40)] | None = None
    priority: int | None = Field(None, ge=0, le=1000)
    filters: SegmentFiltersIn | None = None


class SegmentOut(Schema):
    id: int
    name: str
    description: str
    tier: str
    priority: int
    filters: dict[str, Any]
    members: int = Field(description="Members now, counted up to 10,000.")
    members_capped: bool = Field(description="True when there are more than `members`.")


def _segment(membership: Membership, segment_id: int) -> Segment:
    return get_object_or_404(Segment.objects.for_workspace(membership.workspace), pk=segment_id)


def _segment_out(membership: Membership, segment: Segment) -> dict[str, Any]:
    number, capped = selectors.capped_count(segments.members(membership.workspace, segment))
    return {
        "id": segment.pk,
        "name": segment.name,
        "description": segment.description,
        "tier": segment.tier,
        "priority": segment.priority,
        "filters": segment.filters,
        "members": number,
        "members_capped": capped,
    }


def _terms(filters: SegmentFiltersIn | None) -> dict[str, Any]:
    return filters.model_dump(exclude_defaults=True) if filters is not None else {}


@router.get("/community/segments", response={200: list[SegmentOut], **error_responses()}, summary="Segments")
def segment_list(request: HttpRequest) -> list[dict[str, Any]]:
    membership = _reader(request)
    return [_segment_out(membership, segment) for segment in segments.segments(membership.workspace)[:200]]


@router.post("/community/segments", response={201: SegmentOut, **error_responses()}, summary="Save a member filter")
def segment_create(request: HttpRequest, payload: SegmentIn) -> Status[dict[str, Any]]:
    membership = _manager(request)
    segment = segments.segment_create(
        actor=actor_of(request, membership),
        membership=membership,
        name=payload.name,
        description=payload.description,
        tier=payload.tier,
        priority=payload.priority,
        filters=_terms(payload.filters),
    )
    return Status(201, _segment_out(membership, segment))


@router.get("/community/segments/{segment_id}", response={200: SegmentOut, **error_responses(404)}, summary="A segment")
def segment_detail(request: HttpRequest, segment_id: ObjectId) -> dict[str, Any]:
    membership = _reader(request)
    return _segment_out(membership, _segment(membership, segment_id))


@router.patch(
    "/community/segments/{segment_id}", response={200: SegmentOut, **error_responses(404)}, summary="Change a segment"
)
def segment_update(request: HttpRequest, segment_id: ObjectId, payload: SegmentPatch) -> dict[str, Any]:
    membership = _manager(request)
    values = payload.model_dump(exclude_unset=True)
    if payload.filters is not None:
        values["filters"] = _terms(payload.filters)
    segment = segments.segment_update(
        actor=actor_of(request, membership), membership=membership, segment=_segment(membership, segment_id), **values
    )
    return _segment_out(membership, segment)


@router.delete(
    "/community/segments/{segment_id}", response={204: None, **error_responses(404)}, summary="Delete a segment"
)
def segment_delete(request: HttpRequest, segment_id: ObjectId) -> Status[None]:
    membership = _manager(request)
    segments.segment_delete(
        actor=actor_of(request, membership), membership=membership, segment=_segment(membership, segment_id)
    )
    return Status(204, None)


# --- health ----------------------------------------------------------------------------------------


class ToneWeekOut(Schema):
    week: datetime.date
    positive: int
    neutral: int
    negative: int


class CohortOut(Schema):
    month: datetime.date
    size: int
    retained: list[float | None] = Field(description="Share of the cohort active 1, 2, … months later (null: not yet).")


class HealthOut(Schema):
    since: datetime.datetime
    until: datetime.datetime
    active_members: int
    active_members_before: int = Field(description="Active members in the same number of days just before.")
    core_size: int
    returning_members: int
    returning_share: float | None
    ugc_activities: int
    member_generated_activities: int
    ugc_share: float | None
    conversations_started: int
    conversations_answered: int
    response_rate: float | None
    tone: list[ToneWeekOut]
    cohorts: list[CohortOut]


@router.get(
    "/community/health",
    response={200: HealthOut, **error_responses()},
    summary="Community health KPIs of the last `days` days (aggregates; see docs/community.md)",
)
def health_detail(request: HttpRequest, days: Annotated[int, Field(ge=1, le=health.MAX_DAYS)] = 30) -> Any:
    membership = _reader(request)
    since, until = health.period(days)
    return health.health(membership.workspace, since=since, until=until)


# --- events ----------------------------------------------------------------------------------------

LanguageCode = Literal["en", "ru", "nb", "zh-hans"]


class EventIn(Schema):
    title: Annotated[Text, Field(min_length=1, max_length=200)]
    description: Annotated[Text, Field(max_length=10_000)] = ""
    kind: EventKind = EventKind.OFFLINE
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    location: Annotated[Text, Field(max_length=300)] = ""
    online_url: Annotated[Text, Field(max_length=2000)] = ""
    language: LanguageCode = Field("en", description="The registration page's and the e-mails' language.")
    capacity: int | None = Field(None, ge=1, le=events.MAX_CAPACITY)
    registration_open: bool = True
    reminder_hours: int = Field(24, ge=0, le=720)
    follow_up_message: Annotated[Text, Field(max_length=5000)] = ""


class EventPatch(Schema):
    title: Annotated[Text, Field(min_length=1, max_length=200)] | None = None
    description: Annotated[Text, Field(max_length=10_000)] | None = None
    kind: EventKind | None = None
    starts_at: datetime.datetime | None = None
    ends_at: datetime.datetime | None = None
    location: Annotated[Text, Field(max_length=300)] | None = None
    online_url: Annotated[Text, Field(max_length=2000)] | None = None
    language: LanguageCode | None = None
    capacity: int | None = Field(None, ge=1, le=events.MAX_CAPACITY)
    registration_open: bool | None = None
    reminder_hours: int | None = Field(None, ge=0, le=720)
    follow_up_message: Annotated[Text, Field(max_length=5000)] | None = None


class EventKpisOut(Schema):
    invited: int
    registered: int
    attended: int
    cancelled: int
    new_members: int
    attendance_rate: float | None
    active_after: int = Field(description="Attendees with an activity in the 30 days after the event.")
    activities_after: int


class InvitationCountOut(Schema):
    channel: str = Field(description='"email" or the network of the direct messages.')
    sent: int
    failed: int
    waiting: int


class EventOut(Schema):
    id: int
    title: str
    description: str
    kind: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    location: str
    online_url: str
    language: str
    capacity: int | None
    registration_open: bool
    reminder_hours: int
    follow_up_message: str
    registration_url: str = Field(description="The public registration page (no login).")
    kpis: EventKpisOut
    invitations: list[InvitationCountOut] = Field(description="Invitations sent, failed and waiting by channel.")


class RegistrationOut(Schema):
    id: int
    member_id: int
    name: str
    email: str
    status: str
    code: str
    is_new_member: bool
    invited_at: datetime.datetime | None
    registered_at: datetime.datetime | None
    checked_in_at: datetime.datetime | None
    invite_channel: str
    invite_status: str
    invite_error: str
    invite_sent_at: datetime.datetime | None


class InviteIn(Schema):
    segment_id: int = Field(ge=1, le=MAX_ID)
    channels: Literal["direct_message_or_email", "email", "direct_message"] = Field(
        "direct_message_or_email",
        description="By a direct message in the person's thread with a connected account where they have one "
        "(else by e-mail), by e-mail only, or by direct message only.",
    )


class InviteOut(Schema):
    invited: int
    already: int
    skipped: int = Field(description="Members without marketing consent or a way to reach them by the channels asked.")
    by_email: int
    by_direct_message: int


class CheckInIn(Schema):
    code: Annotated[Text, Field(min_length=1, max_length=2000)] = Field(
        description="The ticket code, or the ticket's address as read from its QR code."
    )


def _event(membership: Membership, event_id: int) -> Event:
    return get_object_or_404(Event.objects.for_workspace(membership.workspace), pk=event_id)


def _event_out(event: Event) -> dict[str, Any]:
    return {
        **{name: getattr(event, name) for name in events.EVENT_FIELDS},
        "id": event.pk,
        "registration_url": events.public_url(f"/community/e/{event.slug}/"),
        "kpis": events.kpis(event),
        "invitations": events.invitation_counts(event),
    }


@router.get("/community/events", response={200: list[EventOut], **error_responses()}, summary="Events, newest first")
def event_list(request: HttpRequest) -> list[dict[str, Any]]:
    membership = _reader(request)
    return [_event_out(event) for event in events.events(membership.workspace)[:100]]


@router.post("/community/events", response={201: EventOut, **error_responses()}, summary="Create an event")
def event_create(request: HttpRequest, payload: EventIn) -> Status[dict[str, Any]]:
    membership = _manager(request)
    event = events.event_create(actor=actor_of(request, membership), membership=membership, **payload.model_dump())
    return Status(201, _event_out(event))


@router.get("/community/events/{event_id}", response={200: EventOut, **error_responses(404)}, summary="An event")
def event_detail(request: HttpRequest, event_id: ObjectId) -> dict[str, Any]:
    membership = _reader(request)
    return _event_out(_event(membership, event_id))


@router.patch(
    "/community/events/{event_id}", response={200: EventOut, **error_responses(404)}, summary="Change an event"
)
def event_update(request: HttpRequest, event_id: ObjectId, payload: EventPatch) -> dict[str, Any]:
    membership = _manager(request)
    event = events.event_update(
        actor=actor_of(request, membership),
        membership=membership,
        event=_event(membership, event_id),
        **payload.model_dump(exclude_unset=True),
    )
    return _event_out(event)


@router.get(
    "/community/events/{event_id}/registrations",
    response={200: list[RegistrationOut], **error_responses(404)},
    summary="An event's registrations (personal data)",
)
@paginate(Pagination)
def registration_list(request: HttpRequest, event_id: ObjectId) -> Any:
    membership = _reader(request)
    return events.registrations(_event(membership, event_id))


@router.post(
    "/community/events/{event_id}/invite",
    response={200: InviteOut, **error_responses(404)},
    summary="Invite a segment's members by direct message or e-mail",
)
def event_invite(request: HttpRequest, event_id: ObjectId, payload: InviteIn) -> Any:
    membership = _manager(request)
    segment = get_object_or_404(Segment.objects.for_workspace(membership.workspace), pk=payload.segment_id)
    return events.invite_segment(
        actor=actor_of(request, membership),
        membership=membership,
        event=_event(membership, event_id),
        segment=segment,
        channels=payload.channels,
    )


@router.post(
    "/community/events/{event_id}/check-in",
    response={200: RegistrationOut, **error_responses(404)},
    summary="Check a person in by their ticket code or the ticket's scanned address",
)
def event_check_in(request: HttpRequest, event_id: ObjectId, payload: CheckInIn) -> Any:
    membership = _manager(request)
    return events.check_in(
        actor=actor_of(request, membership),
        membership=membership,
        event=_event(membership, event_id),
        code=payload.code,
    )


# --- opinion leaders -------------------------------------------------------------------------------


class ScorePartOut(Schema):
    part: str
    value: float = Field(description="From 0 to 1.")
    weight: float
    explanation: str


class LeaderOut(Schema):
    id: int
    network: str
    handle: str
    name: str
    profile_url: str
    followers: int | None
    mentions: int
    engagement: int
    score: float
    score_parts: list[ScorePartOut]
    bot_signals: list[str]
    stage: LeaderStage
    agreement: str
    cost: str | None
    currency: str
    result_reach: int | None
    result_engagement: int | None
    result_value: str | None
    roi: float | None = Field(description="(value delivered - cost) / cost; null without both.")
    notes: str

    @staticmethod
    def resolve_cost(leader: Any) -> str | None:
        return None if leader.cost is None else str(leader.cost)

    @staticmethod
    def resolve_result_value(leader: Any) -> str | None:
        return None if leader.result_value is None else str(leader.result_value)

    @staticmethod
    def resolve_roi(leader: Any) -> float | None:
        return leaders.roi(leader)


class LeaderPatch(Schema):
    stage: LeaderStage | None = None
    agreement: Annotated[Text, Field(max_length=5000)] | None = None
    cost: float | None = Field(None, ge=0, le=float(leaders.MAX_MONEY))
    currency: Annotated[Text, Field(max_length=3)] | None = None
    result_reach: int | None = Field(None, ge=0, le=leaders.MAX_COUNT)
    result_engagement: int | None = Field(None, ge=0, le=leaders.MAX_COUNT)
    result_value: float | None = Field(None, ge=0, le=float(leaders.MAX_MONEY))
    notes: Annotated[Text, Field(max_length=5000)] | None = None


class LeaderFilters(Schema):
    stage: LeaderStage | None = None


class DiscoverOut(Schema):
    found: int
    new: int


class TargetIo(Schema):
    languages: list[Annotated[Text, Field(max_length=16)]] = Field(default_factory=list, max_length=50)
    countries: list[Annotated[Text, Field(max_length=2)]] = Field(default_factory=list, max_length=250)
    networks: list[Annotated[Text, Field(max_length=60)]] = Field(default_factory=list, max_length=50)


def _leader(membership: Membership, leader_id: int) -> OpinionLeader:
    return get_object_or_404(OpinionLeader.objects.for_workspace(membership.workspace), pk=leader_id)


@router.get(
    "/community/leaders", response={200: list[LeaderOut], **error_responses()}, summary="Opinion leaders, best first"
)
@paginate(Pagination)
def leader_list(request: HttpRequest, filters: Query[LeaderFilters]) -> QuerySet[OpinionLeader]:
    return leaders.leaders(_reader(request).workspace, stage=filters.stage or "")


# Before the {leader_id} paths, which would take "discover" for an id.
@router.post(
    "/community/leaders/discover",
    response={200: DiscoverOut, **error_responses()},
    summary="Rank the authors of the last 90 days again",
)
def leader_discover(request: HttpRequest) -> Any:
    membership = _manager(request)
    return leaders.discover(membership.workspace_id)


@router.get(
    "/community/leaders/{leader_id}", response={200: LeaderOut, **error_responses(404)}, summary="An opinion leader"
)
def leader_detail(request: HttpRequest, leader_id: ObjectId) -> OpinionLeader:
    membership = _reader(request)
    return _leader(membership, leader_id)


@router.patch(
    "/community/leaders/{leader_id}",
    response={200: LeaderOut, **error_responses(404)},
    summary="Move a leader along the pipeline; agreement, cost and results",
)
def leader_update(request: HttpRequest, leader_id: ObjectId, payload: LeaderPatch) -> OpinionLeader:
    membership = _manager(request)
    return leaders.leader_update(
        actor=actor_of(request, membership),
        membership=membership,
        leader=_leader(membership, leader_id),
        **payload.model_dump(exclude_unset=True),
    )


@router.get(
    "/community/leaders-target", response={200: TargetIo, **error_responses()}, summary="The leaders' target audience"
)
def leader_target(request: HttpRequest) -> dict[str, list[str]]:
    target = leaders.target_of(_reader(request).workspace)
    if target is None:
        return {"languages": [], "countries": [], "networks": []}
    return {"languages": target.languages, "countries": target.countries, "networks": target.networks}


@router.put(
    "/community/leaders-target",
    response={200: TargetIo, **error_responses()},
    summary="Set the leaders' target audience (languages, countries, networks)",
)
def leader_target_update(request: HttpRequest, payload: TargetIo) -> dict[str, list[str]]:
    membership = _manager(request)
    target = leaders.target_update(
        actor=actor_of(request, membership),
        membership=membership,
        languages=payload.languages,
        countries=payload.countries,
        networks=payload.networks,
    )
    return {"languages": target.languages, "countries": target.countries, "networks": target.networks}
