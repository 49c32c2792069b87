"""What other apps may ask of traffic (analytics reads landing pages and visitors here).

Plain frozen dataclasses; no model instances leave the app.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, IntegerField, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncDate

from pappus.traffic.models import ImportedTraffic, Visit


@dataclass(frozen=True, slots=True)
class LandingPageFigures:
    """One landing page over a period.

    ``sessions``: visits (pixel) and imported sessions; ``referral_sessions``: visits that came
    through a tracked link (only the pixel knows); ``bounces``: sessions with one page view and no
    conversion; ``conversions``: conversion events; ``referral_conversions``: those of referral
    sessions; ``source``: "pixel", "import" or "both" (on a day with imported figures for the page
    they replace the pixel's).
    """

    landing_url: str
    sessions: int
    referral_sessions: int
    bounces: int
    conversions: int
    referral_conversions: int
    source: str


def _bounce() -> Q:
    return Q(page_views__lte=1, conversions=0)


def _visits_in(
    workspace_id: int, first_day: datetime.date, last_day: datetime.date, zone: datetime.tzinfo
) -> tuple[QuerySet[Visit], Any]:
    """Pixel visits started on ``first_day`` … ``last_day`` in ``zone``, and the expression of each one's day
    there. ``Visit.day`` is the UTC day (indexed): other zones narrow it to the days around, then by start."""
    visits = Visit.objects.for_workspace(workspace_id)
    if str(zone) == "UTC":
        return visits.filter(day__gte=first_day, day__lte=last_day), F("day")
    start = datetime.datetime.combine(first_day, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(last_day + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone)
    around = datetime.timedelta(days=1)
    visits = visits.filter(
        day__gte=first_day - around, day__lte=last_day + around, started_at__gte=start, started_at__lt=end
    )
    return visits, TruncDate("started_at", tzinfo=zone)


def landing_pages(
    workspace_id: int,
    *,
    first_day: datetime.date,
    last_day: datetime.date,
    networks: Sequence[str] = (),
    campaign_post_ids: Sequence[int] | None = None,
    time_zone: datetime.tzinfo = datetime.UTC,
) -> list[LandingPageFigures]:
    """Each landing page's figures from ``first_day`` to ``last_day`` (days in ``time_zone``, inclusive:
    pixel visits by the moment they started; imported rows by the export's own days), most sessions
    first.

    With ``networks`` or ``campaign_post_ids`` only pixel visits through tracked links of those
    networks or posts count (imported figures do not say where a session came from)."""
    visits, day = _visits_in(workspace_id, first_day, last_day, time_zone)
    filtered = bool(networks) or campaign_post_ids is not None
    if networks:
        visits = visits.filter(network__in=list(networks))
    if campaign_post_ids is not None:
        visits = visits.filter(post_id__in=list(campaign_post_ids))
    zero = Value(0, output_field=IntegerField())
    pixel = (
        visits.annotate(visit_day=day)
        .values("visit_day", "landing_url")
        .annotate(
            sessions=Count("id"),
            referral=Count("id", filter=Q(link_id__isnull=False)),
            bounced=Count("id", filter=_bounce()),
            converted=Coalesce(Sum("conversions"), zero),
            referral_converted=Coalesce(Sum("conversions", filter=Q(link_id__isnull=False)), zero),
        )
        .order_by()
    )
    imported: dict[tuple[datetime.date, str], tuple[int, int, int]] = {}
    if not filtered:
        imported = {
            (row.day, row.landing_url): (row.sessions, row.bounces, row.conversions)
            for row in ImportedTraffic.objects.for_workspace(workspace_id).filter(day__gte=first_day, day__lte=last_day)
        }
    totals: dict[str, list[int]] = {}
    sources: dict[str, set[str]] = {}
    for row in pixel:
        key = (row["visit_day"], row["landing_url"])
        figures = totals.setdefault(row["landing_url"], [0, 0, 0, 0, 0])
        figures[1] += row["referral"]
        figures[4] += row["referral_converted"]
        if key in imported:
            continue  # the imported figures of that day replace the pixel's (not its referrals)
        figures[0] += row["sessions"]
        figures[2] += row["bounced"]
        figures[3] += row["converted"]
        sources.setdefault(row["landing_url"], set()).add("pixel")
    for (_day, page), (sessions, bounces, conversions) in imported.items():
        figures = totals.setdefault(page, [0, 0, 0, 0, 0])
        figures[0] += sessions
        figures[2] += bounces
        figures[3] += conversions
        sources.setdefault(page, set()).add("import")
    found = [
        LandingPageFigures(
            landing_url=page,
            sessions=figures[0],
            referral_sessions=figures[1],
            bounces=figures[2],
            conversions=figures[3],
            referral_conversions=figures[4],
            source="both" if len(sources.get(page, ())) > 1 else next(iter(sources.get(page, {"pixel"}))),
        )
        for page, figures in totals.items()
    ]
    return sorted(found, key=lambda item: (-item.sessions, item.landing_url))


@dataclass(frozen=True, slots=True)
class VisitorProfile:
    """Pixel visits by the browser's language and the country its language tag names ("" = not said)."""

    languages: tuple[tuple[str, int], ...]
    countries: tuple[tuple[str, int], ...]


def visitor_profile(
    workspace_id: int, *, first_day: datetime.date, last_day: datetime.date, time_zone: datetime.tzinfo = datetime.UTC
) -> VisitorProfile:
    visits, _day = _visits_in(workspace_id, first_day, last_day, time_zone)
    languages: Counter[str] = Counter()
    countries: Counter[str] = Counter()
    for language, country, number in visits.values_list("language", "country").annotate(number=Count("id")).order_by():
        languages[language] += number
        countries[country] += number

    def ordered(counted: Counter[str]) -> tuple[tuple[str, int], ...]:
        return tuple(sorted(counted.items(), key=lambda item: (-item[1], item[0])))

    return VisitorProfile(ordered(languages), ordered(countries))


@dataclass(frozen=True, slots=True)
class Touch:
    """A visit that came through a tracked link or with UTM values (a click), as attribution sees it."""

    utm_campaign: str
    post_id: int | None
    network: str


@dataclass(frozen=True, slots=True)
class ConversionPath:
    """A visitor's clicks (first first) up to a visit with conversions, and that visit's conversions."""

    day: datetime.date
    touches: tuple[Touch, ...]
    conversions: int


def conversion_paths(workspace_id: int, *, first_day: datetime.date, last_day: datetime.date) -> list[ConversionPath]:
    """Each pixel visit with conversions from ``first_day`` to ``last_day`` (UTC days) and the clicks that
    led to it: the same visitor's visits of the same site through a tracked link or with UTM values,
    since their previous conversion. A visitor key lasts one UTC day (it is an HMAC of address,
    browser and day), so a path never reaches into an earlier day. Visits without a link or UTM values
    (direct, search) are not clicks and are left out; a converting visit without any click gives a
    path without touches."""
    rows = (
        Visit.objects.for_workspace(workspace_id)
        .filter(day__gte=first_day, day__lte=last_day)
        .filter(Q(conversions__gt=0) | Q(link_id__isnull=False) | ~Q(utm_campaign=""))
        .order_by("site_id", "visitor", "started_at", "id")
        .values_list("site_id", "visitor", "day", "link_id", "utm_campaign", "post_id", "network", "conversions")
    )
    paths: list[ConversionPath] = []
    current: tuple[int, str] | None = None
    touches: list[Touch] = []
    for site_id, visitor, day, link_id, utm_campaign, post_id, network, conversions in rows.iterator(chunk_size=5000):
        if (site_id, visitor) != current:
            current, touches = (site_id, visitor), []
        if link_id is not None or utm_campaign:
            touches.append(Touch(utm_campaign=utm_campaign, post_id=post_id, network=network))
        if conversions:
            paths.append(ConversionPath(day=day, touches=tuple(touches), conversions=conversions))
            touches = []
    return paths
