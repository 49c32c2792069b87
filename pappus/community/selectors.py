"""Every read of the community that a page or the API needs, scoped to the workspace, related rows
prefetched. Callers have checked ``community.view`` already (never granted to the agency role)."""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, Exists, OuterRef, Prefetch, QuerySet
from django.db.models.functions import TruncWeek
from django.utils import timezone

from pappus.community import matching
from pappus.community.models import (
    Activity,
    ActivityKind,
    CommunityAlert,
    Identity,
    Member,
    MemberImport,
    MemberNote,
    MergeRecord,
    MergeSuggestion,
    StageChange,
    SuggestionStatus,
)
from pappus.core.models import Workspace

COUNT_LIMIT = 10_000


@dataclass(frozen=True)
class MemberFilters:
    """The member list's filters: a stage, a network, a tag, and a search (an e-mail, a phone, a
    handle, or the start of a name)."""

    stage: str = ""
    network: str = ""
    tag: str = ""
    search: str = ""
    consent: bool | None = None
    # Segments (``pappus.community.segments``) add: any of several stages, a minimum loyalty score,
    # active within the last so many days.
    stages: tuple[str, ...] = ()
    min_score: float | None = None
    active_within_days: int | None = None


def narrowed(
    filters: MemberFilters, *, stage: str = "", network: str = "", tag: str = "", search: str = ""
) -> MemberFilters:
    """``filters`` (a segment's, say) with each of these that is given replacing its own."""
    return MemberFilters(
        stage=stage or filters.stage,
        network=network or filters.network,
        tag=tag or filters.tag,
        search=search or filters.search,
        consent=filters.consent,
        stages=filters.stages,
        min_score=filters.min_score,
        active_within_days=filters.active_within_days,
    )


def members(workspace: Workspace | int, filters: MemberFilters | None = None) -> QuerySet[Member]:
    """Active members (not merged into another), most recently active first; each filter uses an index."""
    filters = filters or MemberFilters()
    rows = Member.objects.for_workspace(workspace).filter(merged_into__isnull=True)
    if filters.stage:
        rows = rows.filter(stage=filters.stage)
    if filters.stages:
        rows = rows.filter(stage__in=filters.stages)
    if filters.min_score is not None:
        rows = rows.filter(score__gte=filters.min_score)
    if filters.active_within_days is not None:
        rows = rows.filter(last_active_at__gte=timezone.now() - datetime.timedelta(days=filters.active_within_days))
    if filters.consent is not None:
        rows = rows.filter(consent_marketing=filters.consent)
    if filters.tag:
        tag = filters.tag.strip().lower()
        # PostgreSQL asks jsonb containment; SQLite has no such lookup, so the quoted tag is found in the JSON text.
        rows = (
            rows.filter(tags__contains=[tag])
            if connection.vendor == "postgresql"
            else rows.filter(tags__icontains=json.dumps(tag))
        )
    if filters.network:
        # Walks the members in list order and probes each one's identities (the first page stops early).
        rows = rows.filter(
            Exists(Identity.objects.for_workspace(workspace).filter(member_id=OuterRef("pk"), network=filters.network))
        )
    search = filters.search.strip()
    if search:
        rows = rows.filter(pk__in=_search_ids(workspace, search))
    return rows.order_by("-last_active_at", "-id")


SEARCH_LIMIT = 1000


def _search_ids(workspace: Workspace | int, search: str) -> list[int]:
    """Members an e-mail, a phone, a handle or the start of a name finds, each through its own index
    (at most ``SEARCH_LIMIT`` by name), so the list query filters by a short list of ids."""
    identities = Identity.objects.for_workspace(workspace)
    members_rows = Member.objects.for_workspace(workspace).filter(merged_into__isnull=True)
    email = matching.normalize_email(search)
    if email:
        found = set(members_rows.filter(email=email).values_list("pk", flat=True))
        return sorted(found | set(identities.filter(email=email).values_list("member_id", flat=True)))
    phone = matching.normalize_phone(search) if not any(character.isalpha() for character in search) else ""
    if phone:
        found = set(members_rows.filter(phone=phone).values_list("pk", flat=True))
        return sorted(found | set(identities.filter(phone=phone).values_list("member_id", flat=True)))
    key = search.casefold()
    found = set(
        members_rows.filter(name_key__gte=key, name_key__lt=key + "\uffff")
        .order_by("name_key")
        .values_list("pk", flat=True)[:SEARCH_LIMIT]
    )
    handle = matching.normalize_handle(search)
    if handle:
        found |= set(identities.filter(handle_key=handle).values_list("member_id", flat=True))
    return sorted(found)


def capped_count(rows: QuerySet[Member]) -> tuple[int, bool]:
    """How many match, counting no further than ``COUNT_LIMIT`` (True when there are more)."""
    number = rows.order_by()[: COUNT_LIMIT + 1].count()
    return min(number, COUNT_LIMIT), number > COUNT_LIMIT


def member_count(workspace: Workspace | int, filters: MemberFilters | None = None) -> tuple[int, bool]:
    """``capped_count`` of ``members(workspace, filters)``. A network alone is counted from the identities'
    (workspace, network, member) index: every identity belongs to a member that is not merged (a merge
    moves the absorbed member's identities to the target), so their distinct members are the matches.
    Joined with the members instead, PostgreSQL hashes every member of the workspace (bench/community.py)."""
    filters = filters or MemberFilters()
    if filters.network and filters == MemberFilters(network=filters.network):
        number = (
            Identity.objects.for_workspace(workspace)
            .filter(network=filters.network)
            .order_by("member_id")
            .values("member_id")
            .distinct()[: COUNT_LIMIT + 1]
            .count()
        )
        return min(number, COUNT_LIMIT), number > COUNT_LIMIT
    return capped_count(members(workspace, filters))


def member(workspace: Workspace | int, member_id: int) -> Member:
    """One member by id in the workspace (merged ones too: their page points at the member they are part of)."""
    return Member.objects.for_workspace(workspace).get(pk=member_id)


@dataclass(frozen=True)
class MemberProfile:
    member: Member
    identities: list[Identity]
    conversations: list[Activity]
    mentions: list[Activity]
    purchases: list[Activity]
    other: list[Activity]
    notes: list[MemberNote]
    stage_changes: list[StageChange]
    merges: list[MergeRecord]
    alerts: list[CommunityAlert]
    counts: dict[str, int]


MENTION_KINDS = (ActivityKind.MENTION, ActivityKind.REPLY, ActivityKind.SHARE, ActivityKind.UGC)


def member_profile(workspace: Workspace | int, member_row: Member, *, limit: int = 50) -> MemberProfile:
    """Everything the brand knows of one member, newest first, ``limit`` rows of each list."""
    activities = Activity.objects.for_workspace(workspace).filter(member=member_row)
    counts = dict(activities.values_list("kind").annotate(number=Count("pk")).values_list("kind", "number"))
    return MemberProfile(
        member=member_row,
        identities=list(Identity.objects.for_workspace(workspace).filter(member=member_row).order_by("network", "id")),
        conversations=list(activities.filter(kind=ActivityKind.CONVERSATION)[:limit]),
        mentions=list(activities.filter(kind__in=MENTION_KINDS)[:limit]),
        purchases=list(activities.filter(kind__in=(ActivityKind.PURCHASE, ActivityKind.TICKET))[:limit]),
        other=list(activities.filter(kind__in=(ActivityKind.REFERRAL, ActivityKind.EVENT))[:limit]),
        notes=list(MemberNote.objects.for_workspace(workspace).filter(member=member_row).select_related("author")),
        stage_changes=list(StageChange.objects.for_workspace(workspace).filter(member=member_row)[:limit]),
        merges=list(
            MergeRecord.objects.for_workspace(workspace)
            .filter(target=member_row, split_at__isnull=True)
            .select_related("absorbed")
        ),
        alerts=list(
            CommunityAlert.objects.for_workspace(workspace).filter(member=member_row, resolved_at__isnull=True)
        ),
        counts=counts,
    )


def suggestions(workspace: Workspace | int) -> QuerySet[MergeSuggestion]:
    """Pairs waiting for a person, most confident first, with both members and their identities."""
    identities = Prefetch("identities", queryset=Identity.objects.order_by("network", "id"))
    return (
        MergeSuggestion.objects.for_workspace(workspace)
        .filter(status=SuggestionStatus.PENDING, first__merged_into__isnull=True, second__merged_into__isnull=True)
        .select_related("first", "second")
        .prefetch_related(Prefetch("first__identities", queryset=identities.queryset), "second__identities")
        .order_by("-confidence", "id")
    )


def merge_records(workspace: Workspace | int) -> QuerySet[MergeRecord]:
    return (
        MergeRecord.objects.for_workspace(workspace).select_related("target", "absorbed").order_by("-merged_at", "-id")
    )


def core_fans(
    workspace: Workspace | int, *, since: datetime.datetime | None = None
) -> list[tuple[Member, dict[str, int]]]:
    """Core fans, most recently active first, each with what they contributed in the window (counts per kind)."""
    since = since or timezone.now() - datetime.timedelta(days=90)
    fans = list(
        Member.objects.for_workspace(workspace)
        .filter(merged_into__isnull=True, stage="core_fan")
        .prefetch_related(
            Prefetch("alerts", queryset=CommunityAlert.objects.filter(resolved_at__isnull=True), to_attr="open_alerts")
        )
        .order_by("-last_active_at", "-id")[:500]
    )
    contributions: dict[int, dict[str, int]] = {fan.pk: {} for fan in fans}
    for member_id, kind, number in (
        Activity.objects.for_workspace(workspace)
        .filter(member_id__in=list(contributions), occurred_at__gte=since)
        .values_list("member_id", "kind")
        .annotate(number=Count("pk"))
        .values_list("member_id", "kind", "number")
    ):
        contributions[member_id][kind] = number
    return [(fan, contributions[fan.pk]) for fan in fans]


def open_alerts(workspace: Workspace | int) -> QuerySet[CommunityAlert]:
    return (
        CommunityAlert.objects.for_workspace(workspace)
        .filter(resolved_at__isnull=True)
        .select_related("member")
        .order_by("-raised_at", "-id")
    )


def stage_counts(workspace: Workspace | int) -> dict[str, int]:
    return dict(
        Member.objects.for_workspace(workspace)
        .filter(merged_into__isnull=True)
        .values_list("stage")
        .annotate(number=Count("pk"))
        .values_list("stage", "number")
    )


def stage_movements(workspace: Workspace | int, *, days: int = 30) -> list[tuple[str, str, int]]:
    """Moves between stages in the last ``days`` (from, to, how many), first placements left out."""
    since = timezone.now() - datetime.timedelta(days=days)
    return list(
        StageChange.objects.for_workspace(workspace)
        .filter(changed_at__gte=since)
        .exclude(from_stage="")
        .values_list("from_stage", "to_stage")
        .annotate(number=Count("pk"))
        .values_list("from_stage", "to_stage", "number")
        .order_by("from_stage", "to_stage")
    )


def imports(workspace: Workspace | int) -> QuerySet[MemberImport]:
    return MemberImport.objects.for_workspace(workspace).order_by("-created_at", "-id")


def networks(workspace: Workspace | int) -> Sequence[str]:
    return list(
        Identity.objects.for_workspace(workspace).order_by("network").values_list("network", flat=True).distinct()
    )


def stage_movements_by_week(workspace: Workspace | int, *, days: int = 90) -> list[tuple[str, str, str, int]]:
    """Moves between stages per ISO week (UTC) in the last ``days``: (week start, from, to, how many)."""
    since = timezone.now() - datetime.timedelta(days=days)
    rows = (
        StageChange.objects.for_workspace(workspace)
        .filter(changed_at__gte=since)
        .exclude(from_stage="")
        .annotate(week=TruncWeek("changed_at", tzinfo=datetime.UTC))
        .order_by()
        .values_list("week", "from_stage", "to_stage")
        .annotate(number=Count("pk"))
        .values_list("week", "from_stage", "to_stage", "number")
    )
    found = []
    for week, first, second, number in rows:
        day = week.astimezone(datetime.UTC).date() if isinstance(week, datetime.datetime) else week
        found.append((day.isoformat(), first, second, number))
    return sorted(found)
