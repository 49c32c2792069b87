"""Community health: the KPIs of a period, each defined once here, aggregates only (no member is named).

For a period ``[since, until)`` (whole UTC days) and the same number of days just before it:

- **active members**: distinct members with at least one activity in the period;
- **core size**: core fans now (the ladder's top stage; ``loyalty.recompute`` keeps it);
- **returning participants**: active members of the period who were also active in the period before,
  and their share of the active members;
- **share of user-generated content**: ``ugc`` activities over the member-generated ones (mentions,
  replies, shares and UGC) in the period;
- **response rate to members**: inbox conversations first answered in the period over conversations
  members started in it (``inbox.facade.response_times``; every inbox customer is a member), at most 100 %;
- **retention cohorts**: members grouped by the month they were first found; for each of the
  following months, the share of the cohort active in it;
- **tone over time**: activities with a sentiment per ISO week (positive, neutral, negative).

``pappus.community.facade.health_kpis`` hands the figures to analytics and strategy.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from pappus.community.models import Activity, ActivityKind, Member, Stage
from pappus.core.models import Workspace
from pappus.inbox import facade as inbox_facade

MEMBER_GENERATED = (ActivityKind.MENTION, ActivityKind.REPLY, ActivityKind.SHARE, ActivityKind.UGC)
COHORT_MONTHS = 6
MAX_DAYS = 366


@dataclass(frozen=True, slots=True)
class ToneWeek:
    week: datetime.date
    positive: int
    neutral: int
    negative: int


@dataclass(frozen=True, slots=True)
class Cohort:
    """Members first found in ``month`` (``size``) and the share active in each following month
    (``retained[0]`` the month after; None for months not over yet)."""

    month: datetime.date
    size: int
    retained: tuple[float | None, ...]


@dataclass(frozen=True, slots=True)
class Health:
    since: datetime.datetime
    until: datetime.datetime
    active_members: int
    active_members_before: int
    core_size: int
    returning_members: int
    returning_share: float | None
    ugc_activities: int
    member_generated_activities: int
    ugc_share: float | None
    conversations_started: int
    conversations_answered: int
    response_rate: float | None
    tone: tuple[ToneWeek, ...]
    cohorts: tuple[Cohort, ...]


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def period(days: int, *, now: datetime.datetime | None = None) -> tuple[datetime.datetime, datetime.datetime]:
    """The last ``days`` whole UTC days up to and including today."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be from 1 to {MAX_DAYS}")
    today = (now or timezone.now()).astimezone(datetime.UTC).date()
    until = datetime.datetime.combine(today + datetime.timedelta(days=1), datetime.time(), tzinfo=datetime.UTC)
    return until - datetime.timedelta(days=days), until


def _active_ids(workspace: Workspace | int, since: datetime.datetime, until: datetime.datetime) -> set[int]:
    return set(
        Activity.objects.for_workspace(workspace)
        .filter(occurred_at__gte=since, occurred_at__lt=until)
        .order_by()
        .values_list("member_id", flat=True)
        .distinct()
    )


def _month_start(value: datetime.date) -> datetime.date:
    return value.replace(day=1)


def _add_months(value: datetime.date, months: int) -> datetime.date:
    index = value.year * 12 + value.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def _as_date(value: datetime.date | datetime.datetime) -> datetime.date:
    return value.astimezone(datetime.UTC).date() if isinstance(value, datetime.datetime) else value


def cohorts(workspace: Workspace | int, *, now: datetime.datetime | None = None) -> tuple[Cohort, ...]:
    """The last ``COHORT_MONTHS`` monthly cohorts (this month's included) with their retention in the
    months after (UTC months; this month's share counts so far)."""
    now = now or timezone.now()
    this_month = _month_start(now.astimezone(datetime.UTC).date())
    first = _add_months(this_month, -(COHORT_MONTHS - 1))
    start = datetime.datetime.combine(first, datetime.time(), tzinfo=datetime.UTC)
    members = Member.objects.for_workspace(workspace).filter(merged_into__isnull=True, created_at__gte=start)
    sizes = {
        _as_date(month): number
        for month, number in members.annotate(month=TruncMonth("created_at", tzinfo=datetime.UTC))
        .order_by()
        .values_list("month")
        .annotate(number=Count("pk"))
        .values_list("month", "number")
    }
    active: dict[tuple[datetime.date, datetime.date], int] = {}
    for cohort_month, month, number in (
        Activity.objects.for_workspace(workspace)
        .filter(member__in=members, occurred_at__gte=start)
        .annotate(
            cohort=TruncMonth("member__created_at", tzinfo=datetime.UTC),
            month=TruncMonth("occurred_at", tzinfo=datetime.UTC),
        )
        .order_by()
        .values_list("cohort", "month")
        .annotate(number=Count("member_id", distinct=True))
        .values_list("cohort", "month", "number")
    ):
        active[(_as_date(cohort_month), _as_date(month))] = number
    found = []
    for offset in range(COHORT_MONTHS):
        month = _add_months(first, offset)
        size = sizes.get(month, 0)
        retained: list[float | None] = []
        for after in range(1, COHORT_MONTHS + 1):
            later = _add_months(month, after)
            retained.append(None if later > this_month else (_share(active.get((month, later), 0), size) or 0.0))
        found.append(Cohort(month, size, tuple(retained)))
    return tuple(found)


def tone(workspace: Workspace | int, since: datetime.datetime, until: datetime.datetime) -> tuple[ToneWeek, ...]:
    weeks: dict[datetime.date, dict[str, int]] = {}
    for week, sentiment, number in (
        Activity.objects.for_workspace(workspace)
        .filter(occurred_at__gte=since, occurred_at__lt=until, sentiment__in=("positive", "neutral", "negative"))
        .annotate(week=TruncWeek("occurred_at", tzinfo=datetime.UTC))
        .order_by()
        .values_list("week", "sentiment")
        .annotate(number=Count("pk"))
        .values_list("week", "sentiment", "number")
    ):
        weeks.setdefault(_as_date(week), {})[sentiment] = number
    return tuple(
        ToneWeek(week, counts.get("positive", 0), counts.get("neutral", 0), counts.get("negative", 0))
        for week, counts in sorted(weeks.items())
    )


def health(
    workspace: Workspace | int,
    *,
    since: datetime.datetime,
    until: datetime.datetime,
    now: datetime.datetime | None = None,
) -> Health:
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    before = since - (until - since)
    active = _active_ids(workspace, since, until)
    active_before = _active_ids(workspace, before, since)
    returning = len(active & active_before)
    kinds = (
        Activity.objects.for_workspace(workspace)
        .filter(occurred_at__gte=since, occurred_at__lt=until)
        .aggregate(
            ugc=Count("pk", filter=Q(kind=ActivityKind.UGC)),
            generated=Count("pk", filter=Q(kind__in=MEMBER_GENERATED)),
            conversations=Count("pk", filter=Q(kind=ActivityKind.CONVERSATION)),
        )
    )
    answered = len(inbox_facade.response_times(workspace_id, since=since, until=until).first_response_seconds)
    conversations = kinds["conversations"] or 0
    core = (
        Member.objects.for_workspace(workspace)
        .filter(merged_into__isnull=True, stage=Stage.CORE_FAN)
        .order_by()
        .count()
    )
    return Health(
        since=since,
        until=until,
        active_members=len(active),
        active_members_before=len(active_before),
        core_size=core,
        returning_members=returning,
        returning_share=_share(returning, len(active)),
        ugc_activities=kinds["ugc"] or 0,
        member_generated_activities=kinds["generated"] or 0,
        ugc_share=_share(kinds["ugc"] or 0, kinds["generated"] or 0),
        conversations_started=conversations,
        conversations_answered=answered,
        response_rate=None if not conversations else min(1.0, round(answered / conversations, 4)),
        tone=tone(workspace, since, until),
        cohorts=cohorts(workspace, now=now),
    )
