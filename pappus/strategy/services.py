"""Every write to strategy rows. Each checks the role (``strategy.edit``), keeps to the acting
member's workspace, validates with errors that name the field, and records an audit event."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.models import Membership, Region, User, Workspace
from pappus.core.permissions import Action, require
from pappus.core.timezones import zone_named
from pappus.strategy import starters
from pappus.strategy.metrics import METRIC_KEYS, week_starting
from pappus.strategy.models import (
    Audience,
    BrandProfile,
    Campaign,
    CampaignStatus,
    Competitor,
    Kpi,
    KpiDirection,
    KpiMeasurement,
    MeasurementSource,
    Program,
    ProgramRevision,
    ProgramStatus,
    RaciAssignment,
    Risk,
    RiskStatus,
    StrategyDocument,
    StrategyTemplate,
    TemplateKind,
    WeeklyReview,
)

BRAND_FIELDS = ("identity", "value_proposition", "unique_selling_proposition", "tone_of_voice", "products_and_services")
COMPETITOR_FIELDS = ("name", "notes", "listening_topic_id")
AUDIENCE_FIELDS = ("name", "who", "where", "wants", "networks", "sub_targets", "planned_profile")
PROGRAM_FIELDS = ("name", "goals", "starts_on", "ends_on", "owner_id", "status", "budget_planned", "region_id")
CAMPAIGN_FIELDS = (
    "name",
    "description",
    "starts_on",
    "ends_on",
    "networks",
    "owner_id",
    "status",
    "budget_planned",
    "budget_committed",
    "budget_spent",
    "count_ads_spend",
    "listening_topic_ids",
)
MAX_CAMPAIGN_TOPICS = 20
KPI_FIELDS = ("name", "metric_key", "unit", "direction", "baseline", "target", "starts_on", "deadline")
RISK_FIELDS = ("title", "likelihood", "impact", "mitigation", "owner_id", "status")


# --- checks shared by the services ------------------------------------------------------------


def _editor(membership: Membership) -> Workspace:
    require(membership, Action.STRATEGY_EDIT)
    return membership.workspace


def _own[Row: models.Model](row: Row, workspace: Workspace) -> Row:
    """``row`` when it belongs to ``workspace``; not found otherwise (never another workspace's)."""
    if getattr(row, "workspace_id", None) != workspace.pk:
        raise ObjectDoesNotExist(f"{row._meta.label_lower} {row.pk} is not in this workspace")
    return row


def member_user(workspace: Workspace, user: User | int | None, field: str) -> User | None:
    """The user when they are an active member of ``workspace``; a field-named error otherwise."""
    if user is None:
        return None
    user_id = user if isinstance(user, int) else user.pk
    membership = (
        Membership.objects.for_workspace(workspace).filter(user_id=user_id, is_active=True).select_related("user")
    ).first()
    if membership is None:
        raise ValidationError({field: _("This person is not a member of the workspace.")})
    return membership.user


def _decimal(value: Any, field: str) -> Decimal:
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError) as error:
        raise ValidationError({field: _("Enter a number.")}) from error
    if not number.is_finite():
        raise ValidationError({field: _("Enter a finite number.")})
    return number


def _dates_in_order(start: datetime.date, end: datetime.date, *, end_field: str, strictly: bool = False) -> None:
    if end < start or (strictly and end == start):
        message = (
            _("The deadline must be after the start date.")
            if strictly
            else _("The end date must not be before the start date.")
        )
        raise ValidationError({end_field: message})


def _unique_name(
    queryset: models.QuerySet[Any], name: str, *, exclude_pk: int | None = None, field: str = "name"
) -> None:
    existing = queryset.filter(**{field: name})
    if exclude_pk is not None:
        existing = existing.exclude(pk=exclude_pk)
    if existing.exists():
        raise ValidationError({field: _("“%(name)s” is already taken in this workspace.") % {"name": name}})


def _text_list(value: Any, field: str, *, max_items: int = 30, max_length: int = 40) -> list[str]:
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) for item in value):
        raise ValidationError({field: _("Give a list of names.")})
    items = [item.strip() for item in value if item.strip()]
    if len(items) > max_items or any(len(item) > max_length for item in items):
        raise ValidationError(
            {
                field: _("At most %(count)d names of %(length)d characters each.")
                % {"count": max_items, "length": max_length}
            }
        )
    return list(dict.fromkeys(items))


def _sub_targets(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list | tuple):
        raise ValidationError({"sub_targets": _("Give a list of product and target pairs.")})
    pairs = []
    for item in value:
        if (
            not isinstance(item, Mapping)
            or set(item) != {"product", "target"}
            or not all(isinstance(text, str) and 0 < len(text.strip()) <= 300 for text in item.values())
        ):
            raise ValidationError({"sub_targets": _("Each sub-target needs a product and a target (text).")})
        pairs.append({"product": item["product"].strip(), "target": item["target"].strip()})
    return pairs


def _profile(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping) or not all(
        isinstance(key, str) and isinstance(text, str) and 0 < len(key) <= 60 and len(text) <= 300
        for key, text in value.items()
    ):
        raise ValidationError({"planned_profile": _("Give the profile as named text values, such as age: 25-34.")})
    return {key.strip(): text.strip() for key, text in value.items()}


def _save[Row: models.Model](row: Row, *, exclude: Sequence[str] = ()) -> Row:
    row.full_clean(exclude=list(exclude), validate_constraints=False)
    row.save()
    return row


# --- brand, competitors, audiences ------------------------------------------------------------


@transaction.atomic
def brand_profile_update(*, actor: Actor, membership: Membership, **values: Any) -> BrandProfile:
    workspace = _editor(membership)
    profile, _created = BrandProfile.objects.select_for_update().get_or_create(workspace=workspace)
    before = audit.snapshot(profile, BRAND_FIELDS)
    for name, value in values.items():
        if name not in BRAND_FIELDS:
            raise ValueError(f"unknown brand profile field: {name}")
        setattr(profile, name, value)
    _save(profile)
    after = audit.snapshot(profile, BRAND_FIELDS)
    audit.record(actor, "strategy.brand.update", workspace=workspace, target=profile, before=before, after=after)
    return profile


def _competitor_values(workspace_id: int, values: Mapping[str, Any]) -> dict[str, Any]:
    from pappus.listening import facade as listening_facade  # topics are listening's

    clean = dict(values)
    topic = clean.get("listening_topic_id")
    if topic is not None and (not isinstance(topic, int) or topic < 1):
        raise ValidationError({"listening_topic_id": _("Give the id of a listening topic, or nothing.")})
    if topic is not None and topic not in {row.id for row in listening_facade.topics(workspace_id)}:
        raise ValidationError({"listening_topic_id": _("No listening topic with this id in the workspace.")})
    return clean


@transaction.atomic
def competitor_create(
    *, actor: Actor, membership: Membership, name: str, notes: str = "", listening_topic_id: int | None = None
) -> Competitor:
    workspace = _editor(membership)
    _unique_name(Competitor.objects.for_workspace(workspace), name)
    values = _competitor_values(workspace.pk, {"listening_topic_id": listening_topic_id})
    competitor = _save(Competitor(workspace=workspace, name=name, notes=notes, **values))
    audit.record(
        actor,
        "strategy.competitor.create",
        workspace=workspace,
        target=competitor,
        after=audit.snapshot(competitor, COMPETITOR_FIELDS),
    )
    return competitor


def _update[Row: models.Model](
    actor: Actor,
    membership: Membership,
    row: Row,
    *,
    values: Mapping[str, Any],
    fields: Sequence[str],
    action: str,
) -> Row:
    workspace = _editor(membership)
    _own(row, workspace)
    before = audit.snapshot(row, fields)
    for name, value in values.items():
        if name not in fields:
            raise ValueError(f"unknown field: {name}")
        setattr(row, name, value)
    _save(row)
    audit.record(actor, action, workspace=workspace, target=row, before=before, after=audit.snapshot(row, fields))
    return row


@transaction.atomic
def competitor_update(*, actor: Actor, membership: Membership, competitor: Competitor, **values: Any) -> Competitor:
    if "name" in values:
        _unique_name(
            Competitor.objects.for_workspace(membership.workspace_id), values["name"], exclude_pk=competitor.pk
        )
    return _update(
        actor,
        membership,
        competitor,
        values=_competitor_values(membership.workspace_id, values),
        fields=COMPETITOR_FIELDS,
        action="strategy.competitor.update",
    )


def _delete(actor: Actor, membership: Membership, row: models.Model, fields: Sequence[str], action: str) -> None:
    workspace = _editor(membership)
    _own(row, workspace)
    audit.record(actor, action, workspace=workspace, target=row, before=audit.snapshot(row, fields))
    row.delete()


@transaction.atomic
def competitor_delete(*, actor: Actor, membership: Membership, competitor: Competitor) -> None:
    _delete(actor, membership, competitor, COMPETITOR_FIELDS, "strategy.competitor.delete")


def _audience_values(values: Mapping[str, Any]) -> dict[str, Any]:
    clean = dict(values)
    if "networks" in clean:
        clean["networks"] = _text_list(clean["networks"], "networks")
    if "sub_targets" in clean:
        clean["sub_targets"] = _sub_targets(clean["sub_targets"])
    if "planned_profile" in clean:
        clean["planned_profile"] = _profile(clean["planned_profile"])
    return clean


@transaction.atomic
def audience_create(*, actor: Actor, membership: Membership, name: str, **values: Any) -> Audience:
    workspace = _editor(membership)
    _unique_name(Audience.objects.for_workspace(workspace), name)
    unknown = set(values) - set(AUDIENCE_FIELDS)
    if unknown:
        raise ValueError(f"unknown audience fields: {sorted(unknown)}")
    audience = _save(Audience(workspace=workspace, name=name, **_audience_values(values)))
    audit.record(
        actor,
        "strategy.audience.create",
        workspace=workspace,
        target=audience,
        after=audit.snapshot(audience, AUDIENCE_FIELDS),
    )
    return audience


@transaction.atomic
def audience_update(*, actor: Actor, membership: Membership, audience: Audience, **values: Any) -> Audience:
    if "name" in values:
        _unique_name(Audience.objects.for_workspace(membership.workspace_id), values["name"], exclude_pk=audience.pk)
    return _update(
        actor,
        membership,
        audience,
        values=_audience_values(values),
        fields=AUDIENCE_FIELDS,
        action="strategy.audience.update",
    )


@transaction.atomic
def audience_delete(*, actor: Actor, membership: Membership, audience: Audience) -> None:
    _delete(actor, membership, audience, AUDIENCE_FIELDS, "strategy.audience.delete")


# --- programs and their revisions -------------------------------------------------------------


def _region(workspace: Workspace, region: Region | int | None) -> Region | None:
    if region is None:
        return None
    region_id = region if isinstance(region, int) else region.pk
    found = Region.objects.for_workspace(workspace).filter(pk=region_id).first()
    if found is None:
        raise ValidationError({"region_id": _("No region with this id in the workspace.")})
    return found


@transaction.atomic
def program_create(
    *,
    actor: Actor,
    membership: Membership,
    name: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    goals: str = "",
    owner: User | int | None = None,
    status: str = ProgramStatus.DRAFT,
    budget_planned: Decimal | float | int = 0,
    region: Region | int | None = None,
) -> Program:
    """A new program; later changes go through :func:`program_revise` with a reason."""
    workspace = _editor(membership)
    _unique_name(Program.objects.for_workspace(workspace), name)
    _dates_in_order(starts_on, ends_on, end_field="ends_on")
    program = _save(
        Program(
            workspace=workspace,
            name=name,
            goals=goals,
            starts_on=starts_on,
            ends_on=ends_on,
            owner=member_user(workspace, owner, "owner_id"),
            status=status,
            budget_planned=_decimal(budget_planned, "budget_planned"),
            region=_region(workspace, region),
        )
    )
    audit.record(
        actor,
        "strategy.program.create",
        workspace=workspace,
        target=program,
        after=audit.snapshot(program, PROGRAM_FIELDS),
    )
    return program


@transaction.atomic
def program_revise(
    *, actor: Actor, membership: Membership, program: Program, reason: str, **values: Any
) -> ProgramRevision:
    """Change a program and keep why: one revision row with the changed fields before and after."""
    workspace = _editor(membership)
    program = _own(Program.objects.select_for_update().get(pk=program.pk), workspace)
    if not reason or not reason.strip():
        raise ValidationError({"reason": _("Say why the program changes: the reason is kept in its history.")})
    before = audit.snapshot(program, PROGRAM_FIELDS)
    for name, given in values.items():
        if name not in PROGRAM_FIELDS:
            raise ValueError(f"unknown program field: {name}")
        value = given
        if name == "owner_id":
            value = getattr(member_user(workspace, given, "owner_id"), "pk", None)
        elif name == "region_id":
            value = getattr(_region(workspace, given), "pk", None)
        elif name == "budget_planned":
            value = _decimal(given, name)
        elif name == "name":
            _unique_name(Program.objects.for_workspace(workspace), given, exclude_pk=program.pk)
        setattr(program, name, value)
    _dates_in_order(program.starts_on, program.ends_on, end_field="ends_on")
    _save(program)
    changed_before, changed_after = audit.changes(before, audit.snapshot(program, PROGRAM_FIELDS))
    if not changed_after and not changed_before:
        raise ValidationError({"reason": _("Nothing changed: a revision needs at least one changed field.")})
    number = (ProgramRevision.objects.filter(program=program).aggregate(last=Max("number"))["last"] or 0) + 1
    revision = _save(
        ProgramRevision(
            workspace=workspace,
            program=program,
            number=number,
            reason=reason.strip(),
            before=changed_before,
            after=changed_after,
            author=actor.user,
        ),
        exclude=["author"],
    )
    audit.record(
        actor,
        "strategy.program.revise",
        workspace=workspace,
        target=program,
        before={**changed_before, "reason": None},
        after={**changed_after, "reason": revision.reason},
    )
    return revision


# --- campaigns --------------------------------------------------------------------------------


def _campaign_topics(workspace_id: int, value: Any) -> list[int]:
    """The ids of listening topics of the workspace, each once, in the order given."""
    from pappus.listening import facade as listening_facade  # topics are listening's

    if not isinstance(value, list | tuple):
        raise ValidationError({"listening_topic_ids": _("Give a list of listening topic ids.")})
    if len(value) > MAX_CAMPAIGN_TOPICS:
        raise ValidationError(
            {
                "listening_topic_ids": _("At most %(count)d listening topics per campaign.")
                % {"count": MAX_CAMPAIGN_TOPICS}
            }
        )
    known = {row.id for row in listening_facade.topics(workspace_id)}
    chosen: list[int] = []
    for position, topic in enumerate(value, start=1):
        if isinstance(topic, bool) or not isinstance(topic, int) or topic < 1:
            raise ValidationError(
                {"listening_topic_ids": _("Item %(position)d is not a topic id.") % {"position": position}}
            )
        if topic not in known:
            raise ValidationError(
                {
                    "listening_topic_ids": _("Item %(position)d: no listening topic with id %(id)d in the workspace.")
                    % {"position": position, "id": topic}
                }
            )
        if topic not in chosen:
            chosen.append(topic)
    return chosen


def _campaign_values(workspace: Workspace, values: Mapping[str, Any]) -> dict[str, Any]:
    clean = dict(values)
    if "listening_topic_ids" in clean:
        clean["listening_topic_ids"] = _campaign_topics(workspace.pk, clean["listening_topic_ids"])
    if "networks" in clean:
        clean["networks"] = _text_list(clean["networks"], "networks")
    if "owner_id" in clean:
        clean["owner_id"] = getattr(member_user(workspace, clean["owner_id"], "owner_id"), "pk", None)
    for field in ("budget_planned", "budget_committed", "budget_spent"):
        if field in clean:
            clean[field] = _decimal(clean[field], field)
            if clean[field] < 0:
                raise ValidationError({field: _("A budget cannot be negative.")})
    if "count_ads_spend" in clean and not isinstance(clean["count_ads_spend"], bool):
        raise ValidationError({"count_ads_spend": _("Expected true or false.")})
    return clean


@transaction.atomic
def campaign_create(
    *,
    actor: Actor,
    membership: Membership,
    program: Program,
    name: str,
    starts_on: datetime.date,
    ends_on: datetime.date,
    **values: Any,
) -> Campaign:
    """A campaign of ``program``; budget amounts are in the workspace's currency."""
    workspace = _editor(membership)
    _own(program, workspace)
    unknown = set(values) - set(CAMPAIGN_FIELDS)
    if unknown:
        raise ValueError(f"unknown campaign fields: {sorted(unknown)}")
    _unique_name(Campaign.objects.for_workspace(workspace), name)
    _dates_in_order(starts_on, ends_on, end_field="ends_on")
    campaign = _save(
        Campaign(
            workspace=workspace,
            program=program,
            name=name,
            starts_on=starts_on,
            ends_on=ends_on,
            **_campaign_values(workspace, values),
        )
    )
    audit.record(
        actor,
        "strategy.campaign.create",
        workspace=workspace,
        target=campaign,
        after={"program_id": program.pk, **audit.snapshot(campaign, CAMPAIGN_FIELDS)},
    )
    return campaign


@transaction.atomic
def campaign_update(*, actor: Actor, membership: Membership, campaign: Campaign, **values: Any) -> Campaign:
    workspace = _editor(membership)
    _own(campaign, workspace)
    if "name" in values:
        _unique_name(Campaign.objects.for_workspace(workspace), values["name"], exclude_pk=campaign.pk)
    starts_on = values.get("starts_on", campaign.starts_on)
    ends_on = values.get("ends_on", campaign.ends_on)
    _dates_in_order(starts_on, ends_on, end_field="ends_on")
    return _update(
        actor,
        membership,
        campaign,
        values=_campaign_values(workspace, values),
        fields=CAMPAIGN_FIELDS,
        action="strategy.campaign.update",
    )


# --- KPIs and their measurements --------------------------------------------------------------


def _kpi_values(values: Mapping[str, Any]) -> dict[str, Any]:
    clean = dict(values)
    if "metric_key" in clean and clean["metric_key"] not in METRIC_KEYS:
        raise ValidationError(
            {"metric_key": _("Unknown metric. Known metrics: %(keys)s.") % {"keys": ", ".join(METRIC_KEYS)}}
        )
    for field in ("baseline", "target"):
        if field in clean:
            clean[field] = _decimal(clean[field], field)
    return clean


def _kpi_check(kpi: Kpi) -> None:
    _dates_in_order(kpi.starts_on, kpi.deadline, end_field="deadline", strictly=True)
    if kpi.target == kpi.baseline:
        raise ValidationError({"target": _("The target must differ from the baseline.")})
    lower_is_better = kpi.direction == KpiDirection.DECREASE
    if (kpi.target < kpi.baseline) != lower_is_better:
        message = (
            _("For a lower-is-better KPI the target must be below the baseline.")
            if lower_is_better
            else _("For a higher-is-better KPI the target must be above the baseline.")
        )
        raise ValidationError({"target": message})


@transaction.atomic
def kpi_create(
    *,
    actor: Actor,
    membership: Membership,
    name: str,
    metric_key: str,
    target: Decimal | float | int,
    starts_on: datetime.date,
    deadline: datetime.date,
    program: Program | None = None,
    campaign: Campaign | None = None,
    baseline: Decimal | float | int = 0,
    unit: str = "",
    direction: str = KpiDirection.INCREASE,
) -> Kpi:
    """A KPI of a program or of a campaign (exactly one of them)."""
    workspace = _editor(membership)
    if (program is None) == (campaign is None):
        raise ValidationError({"campaign_id": _("A KPI belongs to either a program or a campaign.")})
    for owner in (program, campaign):
        if owner is not None:
            _own(owner, workspace)
    values = _kpi_values({"metric_key": metric_key, "baseline": baseline, "target": target})
    kpi = Kpi(
        workspace=workspace,
        program=program,
        campaign=campaign,
        name=name,
        unit=unit,
        direction=direction,
        starts_on=starts_on,
        deadline=deadline,
        **values,
    )
    _kpi_check(kpi)
    _save(kpi)
    audit.record(
        actor,
        "strategy.kpi.create",
        workspace=workspace,
        target=kpi,
        after={"program_id": kpi.program_id, "campaign_id": kpi.campaign_id, **audit.snapshot(kpi, KPI_FIELDS)},
    )
    return kpi


@transaction.atomic
def kpi_update(*, actor: Actor, membership: Membership, kpi: Kpi, **values: Any) -> Kpi:
    workspace = _editor(membership)
    _own(kpi, workspace)
    clean = _kpi_values(values)
    before = audit.snapshot(kpi, KPI_FIELDS)
    for name, value in clean.items():
        if name not in KPI_FIELDS:
            raise ValueError(f"unknown KPI field: {name}")
        setattr(kpi, name, value)
    _kpi_check(kpi)
    _save(kpi)
    audit.record(
        actor,
        "strategy.kpi.update",
        workspace=workspace,
        target=kpi,
        before=before,
        after=audit.snapshot(kpi, KPI_FIELDS),
    )
    return kpi


@transaction.atomic
def kpi_delete(*, actor: Actor, membership: Membership, kpi: Kpi) -> None:
    _delete(actor, membership, kpi, KPI_FIELDS, "strategy.kpi.delete")


@transaction.atomic
def kpi_record_value(
    *,
    actor: Actor,
    membership: Membership,
    kpi: Kpi,
    measured_on: datetime.date,
    value: Decimal | float | int,
    source: str = MeasurementSource.MANUAL,
    note: str = "",
) -> KpiMeasurement:
    """Record the actual value of ``kpi`` on a date; a second value for the same date replaces the first."""
    workspace = _editor(membership)
    _own(kpi, workspace)
    if source not in MeasurementSource.values:
        raise ValidationError({"source": _("Unknown source.")})
    return _measurement_write(
        actor, workspace, kpi, measured_on=measured_on, value=_decimal(value, "value"), source=source, note=note
    )


def _measurement_write(
    actor: Actor,
    workspace: Workspace,
    kpi: Kpi,
    *,
    measured_on: datetime.date,
    value: Decimal,
    source: str,
    note: str,
) -> KpiMeasurement:
    measurement = KpiMeasurement.objects.select_for_update().filter(kpi=kpi, measured_on=measured_on).first()
    before = audit.snapshot(measurement, ("measured_on", "value", "source", "note")) if measurement else {}
    if measurement is None:
        measurement = KpiMeasurement(workspace=workspace, kpi=kpi, measured_on=measured_on)
    measurement.value = value
    measurement.source = source
    measurement.note = note
    measurement.recorded_by = actor.user
    _save(measurement, exclude=["recorded_by"])
    audit.record(
        actor,
        "strategy.measurement.record",
        workspace=workspace,
        target=measurement,
        before={"kpi_id": kpi.pk, **before} if before else {},
        after={"kpi_id": kpi.pk, **audit.snapshot(measurement, ("measured_on", "value", "source", "note"))},
    )
    return measurement


# --- actual values from analytics -------------------------------------------------------------

ANALYTICS_ACTOR = Actor.system("analytics")
# How each metric that analytics measures becomes a KPI's value on a day (see docs/strategy.md):
# flows count from the KPI's start date, levels are taken at the end of the day, rates and times
# are measured over the last 28 days (never before the start date).
FLOW_METRICS = frozenset({"reach", "impressions", "engagement", "clicks", "mentions"})
LEVEL_METRICS = frozenset({"followers"})
RATE_WINDOW_DAYS = 28


def analytics_window(metric_key: str, *, starts_on: datetime.date, day: datetime.date) -> datetime.date:
    """The first day of the period that the KPI's value on ``day`` covers."""
    if metric_key in FLOW_METRICS:
        return starts_on
    if metric_key in LEVEL_METRICS:
        return day
    return max(starts_on, day - datetime.timedelta(days=RATE_WINDOW_DAYS - 1))


def _region_with_spokes(region_id: int) -> list[int]:
    found, pending = [], [region_id]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(Region.objects.filter(parent_id=current).values_list("pk", flat=True))
    return sorted(found)


@transaction.atomic
def kpi_record_from_analytics(*, workspace_id: int, day: datetime.date) -> list[KpiMeasurement]:
    """Record, with source "analytics", the value on ``day`` of every KPI whose metric analytics
    measures, of programs that are not archived, from its start date to its deadline.

    A campaign KPI's post metrics cover the campaign's posts; a program KPI's, the posts of all
    its campaigns; the other metrics cover the program's region (with its spokes) or else the
    workspace, as the value's note says. A value entered by hand or through the API on that day is
    kept; days without data record nothing; running it twice changes nothing.
    """
    from pappus.analytics import facade as analytics_facade  # the job's only way into analytics

    workspace = Workspace.objects.get(pk=workspace_id)
    rows = (
        Kpi.objects.for_workspace(workspace)
        .filter(metric_key__in=analytics_facade.METRIC_KEYS, starts_on__lte=day, deadline__gte=day)
        .exclude(program__status=ProgramStatus.ARCHIVED)
        .exclude(campaign__program__status=ProgramStatus.ARCHIVED)
        .select_related("program", "campaign__program")
        .order_by("pk")
    )
    recorded = []
    with translation.override(workspace.default_language):
        for kpi in rows:
            program = kpi.program or kpi.campaign.program  # type: ignore[union-attr]
            campaign_ids = (
                [kpi.campaign_id]
                if kpi.campaign_id is not None
                else list(
                    Campaign.objects.for_workspace(workspace).filter(program=program).values_list("pk", flat=True)
                )
            )
            region_ids = _region_with_spokes(program.region_id) if program.region_id else None
            first_day = analytics_window(kpi.metric_key, starts_on=kpi.starts_on, day=day)
            source = MeasurementSource.ANALYTICS
            if kpi.campaign is not None and kpi.campaign.listening_topic_ids and kpi.metric_key in LISTENED_METRICS:
                found, note = _listened(workspace, kpi.campaign, kpi.metric_key, first_day, day)
                source = MeasurementSource.LISTENING
            else:
                measured = analytics_facade.metric_value(
                    workspace.pk,
                    kpi.metric_key,
                    first_day=first_day,
                    last_day=day,
                    campaign_ids=campaign_ids,
                    region_ids=region_ids,
                )
                found = measured.value
                note = _analytics_note(
                    measured.measured_over, first_day, day, kpi.campaign_id is not None, workspace.time_zone or "UTC"
                )
            if found is None:
                continue
            existing = KpiMeasurement.objects.select_for_update().filter(kpi=kpi, measured_on=day).first()
            if existing is not None and existing.source not in AUTOMATIC_SOURCES:
                continue
            value = _decimal(round(found, 4), "value")
            if existing is not None and existing.value == value and existing.note == note:
                continue
            recorded.append(
                _measurement_write(
                    ANALYTICS_ACTOR,
                    workspace,
                    kpi,
                    measured_on=day,
                    value=value,
                    source=source,
                    note=note,
                )
            )
    return recorded


# A campaign KPI on these metrics is measured over the campaign's listening topics when it has some.
LISTENED_METRICS = frozenset({"mentions", "share_of_voice", "sentiment"})
AUTOMATIC_SOURCES = frozenset({MeasurementSource.ANALYTICS, MeasurementSource.LISTENING})


def _listened(
    workspace: Workspace, campaign: Campaign, metric_key: str, first_day: datetime.date, day: datetime.date
) -> tuple[float | None, str]:
    """A campaign KPI's value from its listening topics (``measured.campaign_conversation``)."""
    from pappus.strategy import measured  # reads listening's facade

    heard = measured.campaign_conversation(workspace, campaign.listening_topic_ids, first_day=first_day, last_day=day)
    value: float | None
    if metric_key == "mentions":
        value = float(heard.mentions) if any(not topic.missing for topic in heard.topics) else None
    elif metric_key == "share_of_voice":
        value = heard.share_of_voice
    else:
        value = heard.net_sentiment
    period = first_day.isoformat() if first_day == day else f"{first_day.isoformat()} to {day.isoformat()}"
    names = ", ".join(topic.name for topic in heard.topics if not topic.missing)
    return value, _("Listening: the campaign's topics (%(names)s), %(period)s (%(zone)s)") % {
        "names": names,
        "period": period,
        "zone": workspace.time_zone or "UTC",
    }


def _analytics_note(
    measured_over: str, first_day: datetime.date, day: datetime.date, of_campaign: bool, zone: str
) -> str:
    period = first_day.isoformat() if first_day == day else f"{first_day.isoformat()} to {day.isoformat()}"
    if measured_over == "campaigns":
        over = _("posts of the campaign") if of_campaign else _("posts of the program's campaigns")
    elif measured_over == "regions":
        over = _("the program's region")
    else:
        over = _("the whole workspace")
    return _("Analytics: %(over)s, %(period)s (%(zone)s)") % {"over": over, "period": period, "zone": zone}


def kpi_record_actuals_everywhere(*, day: datetime.date | None = None, now: datetime.datetime | None = None) -> int:
    """The daily job's work: :func:`kpi_record_from_analytics` for every workspace with such KPIs.

    With ``day``, that day everywhere; otherwise each workspace's last complete day in its own time
    zone at ``now`` (analytics counts the workspace's days), so a workspace behind UTC is not
    recorded a day it has not finished."""
    from pappus.analytics import facade as analytics_facade

    moment = now or timezone.now()
    candidates = (
        Kpi.objects.filter(metric_key__in=analytics_facade.METRIC_KEYS)
        .values_list("workspace_id", "workspace__time_zone")
        .distinct()
        .order_by("workspace_id")
    )
    recorded = 0
    for workspace_id, zone_name in candidates:
        on = day if day is not None else _local_yesterday(moment, zone_name)
        if Kpi.objects.filter(
            workspace_id=workspace_id,
            metric_key__in=analytics_facade.METRIC_KEYS,
            starts_on__lte=on,
            deadline__gte=on,
        ).exists():
            recorded += len(kpi_record_from_analytics(workspace_id=workspace_id, day=on))
    return recorded


def _local_yesterday(moment: datetime.datetime, zone_name: str) -> datetime.date:
    return moment.astimezone(zone_named(zone_name)).date() - datetime.timedelta(days=1)


# --- risks and responsibilities ---------------------------------------------------------------


def _attached_to(workspace: Workspace, program: Program | None, campaign: Campaign | None) -> None:
    for owner in (program, campaign):
        if owner is not None:
            _own(owner, workspace)
    if program is not None and campaign is not None:
        raise ValidationError({"campaign_id": _("Attach it to a program or to a campaign, not both.")})


def _risk_values(workspace: Workspace, values: Mapping[str, Any]) -> dict[str, Any]:
    clean = dict(values)
    if "owner_id" in clean:
        clean["owner_id"] = getattr(member_user(workspace, clean["owner_id"], "owner_id"), "pk", None)
    if "status" in clean and clean["status"] not in RiskStatus.values:
        raise ValidationError({"status": _("Unknown status.")})
    return clean


@transaction.atomic
def risk_create(
    *,
    actor: Actor,
    membership: Membership,
    title: str,
    likelihood: int,
    impact: int,
    mitigation: str = "",
    owner: User | int | None = None,
    program: Program | None = None,
    campaign: Campaign | None = None,
) -> Risk:
    workspace = _editor(membership)
    _attached_to(workspace, program, campaign)
    risk = _save(
        Risk(
            workspace=workspace,
            program=program,
            campaign=campaign,
            title=title,
            likelihood=likelihood,
            impact=impact,
            mitigation=mitigation,
            owner=member_user(workspace, owner, "owner_id"),
        )
    )
    audit.record(
        actor,
        "strategy.risk.create",
        workspace=workspace,
        target=risk,
        after={"program_id": risk.program_id, "campaign_id": risk.campaign_id, **audit.snapshot(risk, RISK_FIELDS)},
    )
    return risk


@transaction.atomic
def risk_update(*, actor: Actor, membership: Membership, risk: Risk, **values: Any) -> Risk:
    workspace = _editor(membership)
    return _update(
        actor,
        membership,
        risk,
        values=_risk_values(workspace, values),
        fields=RISK_FIELDS,
        action="strategy.risk.update",
    )


@transaction.atomic
def risk_delete(*, actor: Actor, membership: Membership, risk: Risk) -> None:
    _delete(actor, membership, risk, RISK_FIELDS, "strategy.risk.delete")


def _members(workspace: Workspace, users: Iterable[User | int], field: str) -> list[User]:
    found = []
    for user in users:
        member = member_user(workspace, user, field)
        if member is not None and member not in found:
            found.append(member)
    return found


@transaction.atomic
def raci_assign(
    *,
    actor: Actor,
    membership: Membership,
    task: str,
    responsible: Sequence[User | int],
    accountable: User | int,
    consulted: Sequence[User | int] = (),
    informed: Sequence[User | int] = (),
    program: Program | None = None,
    campaign: Campaign | None = None,
) -> RaciAssignment:
    """Who is Responsible (one or more), Accountable (exactly one), Consulted and Informed for a task."""
    workspace = _editor(membership)
    _attached_to(workspace, program, campaign)
    responsible_users = _members(workspace, responsible, "responsible_ids")
    if not responsible_users:
        raise ValidationError({"responsible_ids": _("Name at least one responsible person.")})
    accountable_user = member_user(workspace, accountable, "accountable_id")
    consulted_users = _members(workspace, consulted, "consulted_ids")
    informed_users = _members(workspace, informed, "informed_ids")
    assignment = _save(
        RaciAssignment(workspace=workspace, program=program, campaign=campaign, task=task, accountable=accountable_user)
    )
    assignment.responsible.set(responsible_users)
    assignment.consulted.set(consulted_users)
    assignment.informed.set(informed_users)
    audit.record(
        actor,
        "strategy.raci.create",
        workspace=workspace,
        target=assignment,
        after={
            "task": task,
            "program_id": assignment.program_id,
            "campaign_id": assignment.campaign_id,
            "responsible": sorted(user.pk for user in responsible_users),
            "accountable_id": getattr(accountable_user, "pk", None),
            "consulted": sorted(user.pk for user in consulted_users),
            "informed": sorted(user.pk for user in informed_users),
        },
    )
    return assignment


@transaction.atomic
def raci_update(
    *,
    actor: Actor,
    membership: Membership,
    assignment: RaciAssignment,
    task: str,
    responsible: Sequence[User | int],
    accountable: User | int,
    consulted: Sequence[User | int] = (),
    informed: Sequence[User | int] = (),
) -> RaciAssignment:
    """Change a task's people (the same rules as :func:`raci_assign`)."""
    workspace = _editor(membership)
    _own(assignment, workspace)
    responsible_users = _members(workspace, responsible, "responsible_ids")
    if not responsible_users:
        raise ValidationError({"responsible_ids": _("Name at least one responsible person.")})
    accountable_user = member_user(workspace, accountable, "accountable_id")
    consulted_users = _members(workspace, consulted, "consulted_ids")
    informed_users = _members(workspace, informed, "informed_ids")
    before = _raci_snapshot(assignment)
    assignment.task = task
    assignment.accountable = accountable_user
    _save(assignment)
    assignment.responsible.set(responsible_users)
    assignment.consulted.set(consulted_users)
    assignment.informed.set(informed_users)
    audit.record(
        actor,
        "strategy.raci.update",
        workspace=workspace,
        target=assignment,
        before=before,
        after=_raci_snapshot(assignment),
    )
    return assignment


def _raci_snapshot(assignment: RaciAssignment) -> dict[str, Any]:
    return {
        "task": assignment.task,
        "accountable_id": assignment.accountable_id,
        "responsible": sorted(assignment.responsible.values_list("pk", flat=True)),
        "consulted": sorted(assignment.consulted.values_list("pk", flat=True)),
        "informed": sorted(assignment.informed.values_list("pk", flat=True)),
    }


@transaction.atomic
def raci_remove(*, actor: Actor, membership: Membership, assignment: RaciAssignment) -> None:
    _delete(actor, membership, assignment, ("task", "accountable_id"), "strategy.raci.delete")


# --- weekly review ----------------------------------------------------------------------------


@transaction.atomic
def weekly_review_record(
    *,
    actor: Actor,
    membership: Membership,
    decision: str,
    findings: list[dict[str, Any]],
    week_of: datetime.date,
) -> WeeklyReview:
    """Keep the week's plan-versus-actual findings as they were and the decision the strategist took."""
    workspace = _editor(membership)
    if not decision or not decision.strip():
        raise ValidationError({"decision": _("Write down the decision taken, even if it is to change nothing.")})
    review = _save(
        WeeklyReview(
            workspace=workspace,
            week_starting=week_starting(week_of),
            findings=findings,
            decision=decision.strip(),
            author=actor.user,
        ),
        exclude=["author"],
    )
    audit.record(
        actor,
        "strategy.review.record",
        workspace=workspace,
        target=review,
        after={"week_starting": review.week_starting.isoformat(), "decision": review.decision},
    )
    return review


# --- templates --------------------------------------------------------------------------------


@transaction.atomic
def template_ensure_builtins(*, actor: Actor, membership: Membership) -> list[StrategyTemplate]:
    """Copy the four built-in templates into the workspace (in its language) where missing (the hub's)."""
    workspace = _hub_editor(membership)
    existing = set(StrategyTemplate.objects.for_workspace(workspace).values_list("kind", flat=True))
    created = []
    with translation.override(workspace.default_language):
        for kind in TemplateKind.values:
            if kind in existing:
                continue
            name = starters.builtin_name(kind)
            if StrategyTemplate.objects.for_workspace(workspace).filter(name=name).exists():
                continue
            template = _save(
                StrategyTemplate(workspace=workspace, kind=kind, name=name, content=starters.builtin_content(kind))
            )
            audit.record(
                actor,
                "strategy.template.create",
                workspace=workspace,
                target=template,
                after={"kind": kind, "name": name},
            )
            created.append(template)
    return created


@transaction.atomic
def template_share(
    *, actor: Actor, membership: Membership, template: StrategyTemplate, regions: Sequence[Region]
) -> StrategyTemplate:
    """Share a template with regions (replacing the previous set); the hub's members always see it."""
    workspace = _hub_editor(membership)
    _own(template, workspace)
    if any(region.workspace_id != workspace.pk for region in regions):
        raise ValidationError({"region_ids": _("No region with this id in the workspace.")})
    before = sorted(template.shared_with.values_list("pk", flat=True))
    template.shared_with.set(regions)
    audit.record(
        actor,
        "strategy.template.share",
        workspace=workspace,
        target=template,
        before={"shared_with": before},
        after={"shared_with": sorted(region.pk for region in regions)},
    )
    return template


def _hub_editor(membership: Membership) -> Workspace:
    """Templates belong to the hub: members limited to regions start from them but do not change them."""
    workspace = _editor(membership)
    if membership.regions.exists():
        raise ValidationError(_("Only members of the hub (not limited to regions) change templates."))
    return workspace


def _bounded_int(value: Any, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError({field: _("Enter a whole number.")})
    try:
        number = int(value)
    except ValueError as error:
        raise ValidationError({field: _("Enter a whole number.")}) from error
    if not low <= number <= high:
        raise ValidationError({field: _("Enter a number from %(low)d to %(high)d.") % {"low": low, "high": high}})
    return number


def _short_text(value: Any, field: str, *, required: bool = False, max_length: int = 2000) -> str:
    if not isinstance(value, str):
        raise ValidationError({field: _("Give a text.")})
    text = value.strip()
    if required and not text:
        raise ValidationError({field: _("This field is required.")})
    if len(text) > max_length:
        raise ValidationError({field: _("At most %(length)d characters.") % {"length": max_length}})
    return text


def template_content(content: Any) -> dict[str, Any]:
    """A template's content checked and normalised: goals, the program's length in days, the first
    campaign (name, description, networks, length), KPIs (name, metric, unit, direction, planned
    change from the baseline) and risks (title, likelihood and impact 1-5, mitigation)."""
    if not isinstance(content, Mapping):
        raise ValidationError({"content": _("Give the template's content as named values.")})
    campaign = content.get("campaign") or {}
    if not isinstance(campaign, Mapping):
        raise ValidationError({"campaign": _("Give the campaign as named values.")})
    kpis, risks = content.get("kpis") or [], content.get("risks") or []
    if not isinstance(kpis, list) or not all(isinstance(item, Mapping) for item in kpis):
        raise ValidationError({"kpis": _("Give a list of KPIs.")})
    if not isinstance(risks, list) or not all(isinstance(item, Mapping) for item in risks):
        raise ValidationError({"risks": _("Give a list of risks.")})
    clean_kpis = []
    for item in kpis:
        metric_key = item.get("metric_key")
        if metric_key not in METRIC_KEYS:
            raise ValidationError(
                {"kpis": _("Unknown metric. Known metrics: %(keys)s.") % {"keys": ", ".join(METRIC_KEYS)}}
            )
        direction = item.get("direction", KpiDirection.INCREASE)
        if direction not in KpiDirection.values:
            raise ValidationError({"kpis": _("The direction is “increase” or “decrease”.")})
        gain = _decimal(item.get("target_gain", 0), "kpis")
        if gain <= 0:
            raise ValidationError({"kpis": _("The planned change of a KPI must be above zero.")})
        clean_kpis.append(
            {
                "name": _short_text(item.get("name"), "kpis", required=True, max_length=200),
                "metric_key": metric_key,
                "unit": _short_text(item.get("unit", ""), "kpis", max_length=20),
                "direction": direction,
                "target_gain": int(gain) if gain == gain.to_integral_value() else float(gain),
            }
        )
    clean_risks = [
        {
            "title": _short_text(item.get("title"), "risks", required=True, max_length=200),
            "likelihood": _bounded_int(item.get("likelihood"), "risks", 1, 5),
            "impact": _bounded_int(item.get("impact"), "risks", 1, 5),
            "mitigation": _short_text(item.get("mitigation", ""), "risks"),
        }
        for item in risks
    ]
    return {
        "goals": _short_text(content.get("goals", ""), "goals"),
        "duration_days": _bounded_int(content.get("duration_days", 90), "duration_days", 1, 3650),
        "campaign": {
            "name": _short_text(campaign.get("name", ""), "campaign_name", required=True, max_length=150),
            "description": _short_text(campaign.get("description", ""), "campaign_description"),
            "networks": _text_list(list(campaign.get("networks", [])), "campaign_networks"),
            "duration_days": _bounded_int(campaign.get("duration_days", 30), "campaign_duration_days", 1, 3650),
        },
        "kpis": clean_kpis,
        "risks": clean_risks,
    }


@transaction.atomic
def template_create(
    *, actor: Actor, membership: Membership, kind: str, name: str, content: Mapping[str, Any] | None = None
) -> StrategyTemplate:
    """A new template of the hub, starting from the built-in ``kind`` (in the workspace's language)
    unless ``content`` is given."""
    workspace = _hub_editor(membership)
    if kind not in TemplateKind.values:
        raise ValidationError({"kind": _("Unknown kind of template.")})
    _unique_name(StrategyTemplate.objects.for_workspace(workspace), name)
    if content is None:
        with translation.override(workspace.default_language):
            content = starters.builtin_content(kind)
    template = _save(
        StrategyTemplate(workspace=workspace, kind=kind, name=name.strip(), content=template_content(content))
    )
    audit.record(
        actor,
        "strategy.template.create",
        workspace=workspace,
        target=template,
        after={"kind": kind, "name": template.name},
    )
    return template


@transaction.atomic
def template_update(
    *, actor: Actor, membership: Membership, template: StrategyTemplate, name: str, content: Mapping[str, Any]
) -> StrategyTemplate:
    """Change a template's name and content; programs started from it earlier keep what they got."""
    workspace = _hub_editor(membership)
    _own(template, workspace)
    _unique_name(StrategyTemplate.objects.for_workspace(workspace), name, exclude_pk=template.pk)
    before = {"name": template.name, "content": template.content}
    template.name = name.strip()
    template.content = template_content(content)
    _save(template)
    changed_before, changed_after = audit.changes(before, {"name": template.name, "content": template.content})
    audit.record(
        actor,
        "strategy.template.update",
        workspace=workspace,
        target=template,
        before=changed_before,
        after=changed_after,
    )
    return template


@transaction.atomic
def template_delete(*, actor: Actor, membership: Membership, template: StrategyTemplate) -> None:
    _hub_editor(membership)
    _delete(actor, membership, template, ("kind", "name"), "strategy.template.delete")


@transaction.atomic
def program_start_from_template(
    *,
    actor: Actor,
    membership: Membership,
    template: StrategyTemplate,
    name: str,
    starts_on: datetime.date,
    baselines: Mapping[str, Decimal | float | int] | None = None,
    region: Region | int | None = None,
    owner: User | int | None = None,
) -> Program:
    """A program with the template's goals, its first campaign, KPIs (target = baseline + planned
    change) and risks, all in one transaction; ``baselines`` maps metric keys to current values."""
    workspace = _editor(membership)
    _own(template, workspace)
    content = template.content
    duration = datetime.timedelta(days=int(content.get("duration_days", 90)))
    program = program_create(
        actor=actor,
        membership=membership,
        name=name,
        goals=str(content.get("goals", "")),
        starts_on=starts_on,
        ends_on=starts_on + duration,
        owner=owner if owner is not None else actor.user,
        region=region,
    )
    spec = content.get("campaign") or {}
    campaign_days = datetime.timedelta(days=int(spec.get("duration_days", 30)))
    campaign = campaign_create(
        actor=actor,
        membership=membership,
        program=program,
        name=f"{name}: {spec.get('name', _('Campaign'))}"[:200],
        starts_on=starts_on,
        ends_on=starts_on + campaign_days,
        description=str(spec.get("description", "")),
        networks=list(spec.get("networks", [])),
        owner_id=getattr(owner, "pk", owner) if owner is not None else getattr(actor.user, "pk", None),
        status=CampaignStatus.PLANNED,
    )
    for item in content.get("kpis", []):
        baseline = _decimal((baselines or {}).get(item["metric_key"], 0), "baselines")
        gain = _decimal(item.get("target_gain", 1), "target_gain")
        lower_is_better = item.get("direction") == KpiDirection.DECREASE
        kpi_create(
            actor=actor,
            membership=membership,
            campaign=campaign,
            name=str(item["name"]),
            metric_key=str(item["metric_key"]),
            unit=str(item.get("unit", "")),
            direction=str(item.get("direction", KpiDirection.INCREASE)),
            baseline=baseline,
            target=baseline - gain if lower_is_better else baseline + gain,
            starts_on=starts_on,
            deadline=starts_on + campaign_days,
        )
    for item in content.get("risks", []):
        risk_create(
            actor=actor,
            membership=membership,
            program=program,
            title=str(item["title"]),
            likelihood=int(item["likelihood"]),
            impact=int(item["impact"]),
            mitigation=str(item.get("mitigation", "")),
        )
    return program


# --- the strategy document --------------------------------------------------------------------


@transaction.atomic
def document_generate(*, actor: Actor, membership: Membership, as_of: datetime.date | None = None) -> StrategyDocument:
    """Render the strategy document (Markdown and PDF) in the workspace's language and store it as
    the next version."""
    from pappus.strategy.document import render  # Altair and WeasyPrint load only when a document is made

    workspace = _editor(membership)
    Workspace.objects.select_for_update().get(pk=workspace.pk)  # one version number at a time
    version = (StrategyDocument.objects.for_workspace(workspace).aggregate(last=Max("version"))["last"] or 0) + 1
    rendered = render(workspace, version=version, author=actor.user, as_of=as_of)
    generated = StrategyDocument.objects.create(
        workspace=workspace,
        version=version,
        language=rendered.language,
        markdown=rendered.markdown,
        pdf=rendered.pdf,
        generated_by=actor.user,
    )
    audit.record(
        actor,
        "strategy.document.generate",
        workspace=workspace,
        target=generated,
        after={"version": version, "language": rendered.language, "pdf_bytes": len(rendered.pdf)},
    )
    return generated
