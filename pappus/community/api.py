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

from pappus.community import selectors, services
from pappus.community.models import (
    MAX_RETENTION_DAYS,
    CommunitySettings,
    Member,
    MemberNote,
    MergeRecord,
    MergeSuggestion,
)
from pappus.core.api import ObjectId, Pagination, Text, actor_of, error_responses, member_of
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
    return selectors.members(
        membership.workspace,
        selectors.MemberFilters(stage=filters.stage or "", network=filters.network, tag=filters.tag, search=filters.q),
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
