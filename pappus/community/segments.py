"""Segments: saved member filters, reused by events (invitations), the inbox's routing (a segment's
customer tier, through ``pappus.community.facade.customer_tier``) and reports (sizes per segment).

A segment keeps the filter's terms, never member ids, so its members are whoever matches now. Every
term is checked here, each error naming the term. Writes need ``community.manage``; reads
``community.view`` (never the agency role's).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from pappus.community import selectors
from pappus.community.models import STAGE_ORDER, Member, Segment
from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.models import Membership, Workspace
from pappus.core.permissions import Action, require

FILTER_KEYS = ("stages", "network", "tag", "search", "consent", "min_score", "active_within_days")
MAX_DAYS = 36_500
MAX_SCORE = 1_000_000
AUDITED = ("name", "description", "filters", "tier", "priority")


def validate_filters(data: Mapping[str, Any]) -> dict[str, Any]:
    """The filter's terms, checked and normalized; unknown or malformed terms are refused by name."""
    if not isinstance(data, Mapping):
        raise ValidationError({"filters": _("The filters are an object of terms.")})
    unknown = sorted(set(data) - set(FILTER_KEYS))
    if unknown:
        raise ValidationError(
            {
                "filters": _("Unknown filter terms: %(names)s. Known: %(known)s.")
                % {"names": ", ".join(map(str, unknown)), "known": ", ".join(FILTER_KEYS)}
            }
        )
    clean: dict[str, Any] = {}
    stages = data.get("stages") or []
    if isinstance(stages, str):
        stages = [stages]
    if not isinstance(stages, list) or any(stage not in STAGE_ORDER for stage in stages):
        raise ValidationError(
            {"filters": _("filters.stages: choose stages from %(known)s.") % {"known": ", ".join(STAGE_ORDER)}}
        )
    if stages:
        clean["stages"] = [stage for stage in STAGE_ORDER if stage in stages]
    for key, most in (("network", 60), ("tag", 50), ("search", 200)):
        value = data.get(key) or ""
        if not isinstance(value, str) or len(value) > most or "\x00" in value:
            raise ValidationError(
                {"filters": _("filters.%(key)s: text of at most %(most)s characters.") % {"key": key, "most": most}}
            )
        if value.strip():
            clean[key] = value.strip().lower() if key == "tag" else value.strip()
    consent = data.get("consent")
    if consent is not None:
        if not isinstance(consent, bool):
            raise ValidationError({"filters": _("filters.consent: true, false or null.")})
        clean["consent"] = consent
    score = data.get("min_score")
    if score is not None:
        if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= MAX_SCORE:
            raise ValidationError(
                {"filters": _("filters.min_score: a number from 0 to %(most)s.") % {"most": MAX_SCORE}}
            )
        clean["min_score"] = float(score)
    days = data.get("active_within_days")
    if days is not None:
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
            raise ValidationError(
                {"filters": _("filters.active_within_days: whole days from 1 to %(most)s.") % {"most": MAX_DAYS}}
            )
        clean["active_within_days"] = days
    return clean


def member_filters(segment: Segment) -> selectors.MemberFilters:
    terms = segment.filters or {}
    return selectors.MemberFilters(
        stages=tuple(terms.get("stages", ())),
        network=terms.get("network", ""),
        tag=terms.get("tag", ""),
        search=terms.get("search", ""),
        consent=terms.get("consent"),
        min_score=terms.get("min_score"),
        active_within_days=terms.get("active_within_days"),
    )


def members(workspace: Workspace | int, segment: Segment) -> QuerySet[Member]:
    """The segment's members now, most recently active first."""
    return selectors.members(workspace, member_filters(segment))


def segments(workspace: Workspace | int) -> QuerySet[Segment]:
    return Segment.objects.for_workspace(workspace).order_by("priority", "name", "id")


def sizes(workspace: Workspace | int) -> list[tuple[Segment, int, bool]]:
    """Each segment with its member count (capped at ``selectors.COUNT_LIMIT``; True when more)."""
    return [(segment, *selectors.capped_count(members(workspace, segment))) for segment in segments(workspace)]


def _check_text(name: str, description: str, tier: str, priority: int) -> None:
    errors: dict[str, str] = {}
    if not name.strip() or len(name) > 120:
        errors["name"] = _("Give the segment a name of at most 120 characters.")
    if len(description) > 500:
        errors["description"] = _("At most 500 characters.")
    if len(tier) > 40:
        errors["tier"] = _("At most 40 characters.")
    if not 0 <= priority <= 1000:
        errors["priority"] = _("A priority from 0 to 1000.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def segment_create(
    *,
    actor: Actor,
    membership: Membership,
    name: str,
    filters: Mapping[str, Any],
    description: str = "",
    tier: str = "",
    priority: int = 100,
) -> Segment:
    require(membership, Action.COMMUNITY_MANAGE)
    _check_text(name, description, tier, priority)
    segment = Segment(
        workspace=membership.workspace,
        name=name.strip(),
        description=description.strip(),
        filters=validate_filters(filters),
        tier=tier.strip(),
        priority=priority,
        created_by=actor.user,
    )
    try:
        with transaction.atomic():
            segment.save()
    except IntegrityError:
        raise ValidationError({"name": _("A segment of this name exists already.")}) from None
    audit.record(
        actor, "community.segment.create", workspace=membership.workspace, target=segment, after=_state(segment)
    )
    return segment


def _state(segment: Segment) -> dict[str, Any]:
    return audit.snapshot(segment, AUDITED)


@transaction.atomic
def segment_update(
    *,
    actor: Actor,
    membership: Membership,
    segment: Segment,
    name: str | None = None,
    filters: Mapping[str, Any] | None = None,
    description: str | None = None,
    tier: str | None = None,
    priority: int | None = None,
) -> Segment:
    require(membership, Action.COMMUNITY_MANAGE)
    before = _state(segment)
    _check_text(
        segment.name if name is None else name,
        segment.description if description is None else description,
        segment.tier if tier is None else tier,
        segment.priority if priority is None else priority,
    )
    if name is not None:
        segment.name = name.strip()
    if description is not None:
        segment.description = description.strip()
    if tier is not None:
        segment.tier = tier.strip()
    if priority is not None:
        segment.priority = priority
    if filters is not None:
        segment.filters = validate_filters(filters)
    try:
        with transaction.atomic():
            segment.save()
    except IntegrityError:
        raise ValidationError({"name": _("A segment of this name exists already.")}) from None
    audit.record(
        actor,
        "community.segment.update",
        workspace=membership.workspace,
        target=segment,
        before=before,
        after=_state(segment),
    )
    return segment


@transaction.atomic
def segment_delete(*, actor: Actor, membership: Membership, segment: Segment) -> None:
    require(membership, Action.COMMUNITY_MANAGE)
    audit.record(
        actor, "community.segment.delete", workspace=membership.workspace, target=segment, before=_state(segment)
    )
    segment.delete()


def member_tier(workspace: Workspace | int, member_id: int) -> str:
    """The tier of the first segment (by priority) with a tier that the member belongs to now; "" if none."""
    for segment in segments(workspace).exclude(tier=""):
        if members(workspace, segment).filter(pk=member_id).exists():
            return segment.tier
    return ""
