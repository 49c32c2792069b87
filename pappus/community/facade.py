"""What other apps may ask the community. Nothing here returns a member's personal data: a customer
tier for the inbox's routing, segment sizes and the community health KPIs for reports, analytics
and strategy (aggregates only)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from pappus.community import health, matching, segments
from pappus.community.models import Identity


def customer_tier(workspace_id: int, network: str, handle: str) -> str:
    """The customer tier of the person behind ``handle`` on ``network`` (the tier of the first segment,
    by priority, that their member belongs to now), or "" when none applies or the person is unknown."""
    handle_key = matching.normalize_handle(handle)
    if not handle_key:
        return ""
    member_id = (
        Identity.objects.for_workspace(workspace_id)
        .filter(network=network, handle_key=handle_key)
        .values_list("member_id", flat=True)
        .first()
    )
    if member_id is None:
        return ""
    return segments.member_tier(workspace_id, member_id)


@dataclass(frozen=True, slots=True)
class SegmentSize:
    """A segment's name, tier and how many members it has now (``capped``: more than ``members``)."""

    segment_id: int
    name: str
    tier: str
    members: int
    capped: bool


def segment_sizes(workspace_id: int) -> tuple[SegmentSize, ...]:
    return tuple(
        SegmentSize(segment.pk, segment.name, segment.tier, number, capped)
        for segment, number, capped in segments.sizes(workspace_id)
    )


@dataclass(frozen=True, slots=True)
class HealthKpis:
    """The community health KPIs of ``[since, until)`` (``pappus.community.health`` defines each);
    shares are 0..1, None when there is nothing to divide by."""

    active_members: int
    active_members_before: int
    core_size: int
    returning_members: int
    returning_share: float | None
    ugc_share: float | None
    response_rate: float | None


def health_kpis(workspace_id: int, *, since: datetime.datetime, until: datetime.datetime) -> HealthKpis:
    """For analytics and strategy to show and target; aggregates only."""
    figures = health.health(workspace_id, since=since, until=until)
    return HealthKpis(
        active_members=figures.active_members,
        active_members_before=figures.active_members_before,
        core_size=figures.core_size,
        returning_members=figures.returning_members,
        returning_share=figures.returning_share,
        ugc_share=figures.ugc_share,
        response_rate=figures.response_rate,
    )
