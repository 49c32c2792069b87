"""Daily rollups of the snapshots, so that dashboards read one row per day and group, whatever the history.

Days are the workspace's days: from midnight to midnight in its time zone (``Workspace.time_zone``),
so that a report or dashboard period that starts at local midnight is a whole number of rollup days.
A workspace whose time zone changes needs ``pappus manage analytics_backfill`` (the rows of the old
days stay until then).

* ``DailyAccountRollup``: each account's last snapshot of each day.
* ``DailyPostRollup``: per day, network, region, content type and pillar, the sum over variants of
  (last counter of the day - last counter before that day). Summing any run of days therefore
  gives the exact growth of the counters over it. A variant's first snapshot counts in full on
  its day (its counters grew from 0 since publication).

Rebuilding a range of days replaces its rows and is idempotent; the hourly collection refreshes
yesterday and today, and ``pappus manage analytics_backfill`` rebuilds everything.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Max, Min, OuterRef, Subquery

from pappus.analytics.models import (
    ACCOUNT_METRICS,
    POST_METRICS,
    AccountSnapshot,
    DailyAccountRollup,
    DailyPostRollup,
    PostSnapshot,
)
from pappus.core.models import Workspace
from pappus.core.timezones import zone_named

BATCH = 2000
GroupKey = tuple[datetime.date, str, int | None, str, str]  # day, network, region, content type, pillar


def zone_of(workspace_id: int) -> ZoneInfo:
    """The workspace's time zone (UTC when it names none this installation knows)."""
    name = Workspace.objects.filter(pk=workspace_id).values_list("time_zone", flat=True).first() or "UTC"
    return zone_named(name)


def day_start(day: datetime.date, zone: datetime.tzinfo = datetime.UTC) -> datetime.datetime:
    """Midnight at the start of ``day`` in ``zone``, in UTC (so that differences count real hours: a
    day with a clock change lasts 23 or 25 of them)."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=zone).astimezone(datetime.UTC)


def local_day(moment: datetime.datetime, zone: datetime.tzinfo = datetime.UTC) -> datetime.date:
    return moment.astimezone(zone).date()


def today_in(zone: datetime.tzinfo, now: datetime.datetime | None = None) -> datetime.date:
    return (now or datetime.datetime.now(tz=datetime.UTC)).astimezone(zone).date()


def rollups_rebuild(workspace_id: int, first_day: datetime.date, last_day: datetime.date) -> int:
    """Recompute the daily rollups of ``first_day`` … ``last_day`` (the workspace's days, inclusive);
    rows written."""
    if last_day < first_day:
        return 0
    zone = zone_of(workspace_id)
    start, end = day_start(first_day, zone), day_start(last_day + datetime.timedelta(days=1), zone)
    accounts = list(_account_rows(workspace_id, start, end, zone))
    posts = list(_post_rows(workspace_id, start, end, zone))
    with transaction.atomic():
        DailyAccountRollup.objects.for_workspace(workspace_id).filter(day__gte=first_day, day__lte=last_day).delete()
        DailyPostRollup.objects.for_workspace(workspace_id).filter(day__gte=first_day, day__lte=last_day).delete()
        DailyAccountRollup.objects.bulk_create(accounts, batch_size=BATCH)
        DailyPostRollup.objects.bulk_create(posts, batch_size=BATCH)
    return len(accounts) + len(posts)


def _account_rows(
    workspace_id: int, start: datetime.datetime, end: datetime.datetime, zone: datetime.tzinfo
) -> Iterator[DailyAccountRollup]:
    rows = (
        AccountSnapshot.objects.for_workspace(workspace_id)
        .filter(hour__gte=start, hour__lt=end)
        .order_by("network", "account_id", "hour")
        .values_list("network", "account_id", "region_id", "hour", *ACCOUNT_METRICS)
    )
    last: dict[tuple[str, int, datetime.date], tuple[Any, ...]] = {}
    for row in rows.iterator(chunk_size=BATCH):
        last[(row[0], row[1], local_day(row[3], zone))] = row  # ordered by hour: the day's last one stays
    for (network, account_id, day), row in last.items():
        yield DailyAccountRollup(
            workspace_id=workspace_id,
            account_id=account_id,
            network=network,
            region_id=row[2],
            day=day,
            **dict(zip(ACCOUNT_METRICS, row[4:], strict=True)),
        )


_POST_FIELDS = ("variant_id", "network", "region_id", "content_type", "pillar", "published_at", "hour", *POST_METRICS)


def _baselines(workspace_id: int, start: datetime.datetime, end: datetime.datetime) -> dict[int, tuple[Any, ...]]:
    """Each variant's last counters before ``start``, for the variants with snapshots in the range."""
    in_range = PostSnapshot.objects.for_workspace(workspace_id).filter(hour__gte=start, hour__lt=end)
    latest_before = (
        PostSnapshot.objects.filter(workspace_id=workspace_id, variant_id=OuterRef("variant_id"), hour__lt=start)
        .order_by("-hour")
        .values("hour")[:1]
    )
    rows = (
        PostSnapshot.objects.for_workspace(workspace_id)
        .filter(hour__lt=start, variant_id__in=in_range.values("variant_id"))
        .filter(hour=Subquery(latest_before))
        .values_list("variant_id", *POST_METRICS)
    )
    return {row[0]: tuple(row[1:]) for row in rows.iterator(chunk_size=BATCH)}


def _post_rows(
    workspace_id: int, start: datetime.datetime, end: datetime.datetime, zone: datetime.tzinfo
) -> Iterator[DailyPostRollup]:
    previous = _baselines(workspace_id, start, end)
    groups: dict[GroupKey, list[Any]] = {}
    empty = (None,) * len(POST_METRICS)

    def bucket(key: GroupKey) -> list[Any]:
        if key not in groups:
            groups[key] = [0, *([None] * len(POST_METRICS))]
        return groups[key]

    def flush(row: tuple[Any, ...]) -> None:
        """Add the growth of the variant's counters up to ``row`` (its last of a day) to the day's group."""
        variant_id, network, region_id, content_type, pillar, _published, hour = row[:7]
        values = row[7:]
        before = previous.get(variant_id, empty)
        target = bucket((local_day(hour, zone), network, region_id, content_type, pillar))
        for index, value in enumerate(values):
            if value is None:
                continue
            growth = value - (before[index] or 0)
            target[index + 1] = growth if target[index + 1] is None else target[index + 1] + growth
        previous[variant_id] = tuple(
            value if value is not None else before[index] for index, value in enumerate(values)
        )

    rows = (
        PostSnapshot.objects.for_workspace(workspace_id)
        .filter(hour__gte=start, hour__lt=end)
        .order_by("variant_id", "hour")
        .values_list(*_POST_FIELDS)
    )
    pending: tuple[Any, ...] | None = None
    for row in rows.iterator(chunk_size=BATCH):
        if pending is not None and (pending[0] != row[0] or local_day(pending[6], zone) != local_day(row[6], zone)):
            flush(pending)
        if pending is None or pending[0] != row[0]:
            published = row[5]
            if start <= published < end:
                bucket((local_day(published, zone), *row[1:5]))[0] += 1
        pending = row
    if pending is not None:
        flush(pending)
    for (day, network, region_id, content_type, pillar), values in groups.items():
        yield DailyPostRollup(
            workspace_id=workspace_id,
            day=day,
            network=network,
            region_id=region_id,
            content_type=content_type,
            pillar=pillar,
            posts_published=values[0],
            **dict(zip(POST_METRICS, values[1:], strict=True)),
        )


def snapshot_days(workspace_id: int) -> tuple[datetime.date, datetime.date] | None:
    """The first and last day (the workspace's) with any snapshot of the workspace (None when it has none)."""
    zone = zone_of(workspace_id)
    bounds = []
    for model in (AccountSnapshot, PostSnapshot):
        found = model.objects.for_workspace(workspace_id).aggregate(first=Min("hour"), last=Max("hour"))
        if found["first"] is not None:
            bounds.append((local_day(found["first"], zone), local_day(found["last"], zone)))
    if not bounds:
        return None
    return min(first for first, _ in bounds), max(last for _, last in bounds)


def rollups_backfill(
    workspace_id: int, *, chunk_days: int = 7, on_progress: Callable[[int, int], None] = lambda done, total: None
) -> int:
    """Rebuild every day of the workspace's history in chunks; ``on_progress(days_done, days_total)``."""
    bounds = snapshot_days(workspace_id)
    if bounds is None:
        with transaction.atomic():
            DailyAccountRollup.objects.for_workspace(workspace_id).delete()
            DailyPostRollup.objects.for_workspace(workspace_id).delete()
        on_progress(0, 0)
        return 0
    first, last = bounds
    total = (last - first).days + 1
    written = 0
    with transaction.atomic():  # days outside the history are stale (their snapshots went with their rows)
        DailyAccountRollup.objects.for_workspace(workspace_id).exclude(day__gte=first, day__lte=last).delete()
        DailyPostRollup.objects.for_workspace(workspace_id).exclude(day__gte=first, day__lte=last).delete()
    cursor = first
    while cursor <= last:
        chunk_end = min(last, cursor + datetime.timedelta(days=chunk_days - 1))
        written += rollups_rebuild(workspace_id, cursor, chunk_end)
        on_progress((chunk_end - first).days + 1, total)
        cursor = chunk_end + datetime.timedelta(days=1)
    return written


def rollups_refresh_recent(*, today: datetime.date | None = None) -> int:
    """Rebuild yesterday and today (each workspace's own days) for every workspace: what the hourly
    collection just changed. ``today`` (tests) fixes the day for every workspace."""
    written = 0
    for workspace_id, zone_name in Workspace.objects.order_by("pk").values_list("pk", "time_zone"):
        day = today or today_in(zone_named(zone_name or "UTC"))
        written += rollups_rebuild(workspace_id, day - datetime.timedelta(days=1), day)
    return written
