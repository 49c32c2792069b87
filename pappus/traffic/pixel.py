"""The first-party pixel: what one hit from a landing page records.

A hit is a page view or a conversion sent by the snippet (``/t/p.js``) or a plain image
(``/t/hit.gif``) with the site's public key. Nothing is sent anywhere else and no cookie is set:
the visitor is the short links' visitor key (an HMAC of address, browser and UTC day under the
installation's secret), so a click on ``/l/<code>`` and the page view after it share it.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import parse_qsl, urlsplit

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from pappus.publishing import facade as publishing_facade
from pappus.traffic.models import Site, Visit

SESSION_GAP = datetime.timedelta(minutes=30)
VISITOR_HITS_PER_MINUTE = 60
SITE_HITS_PER_MINUTE = 20_000  # per web process
UTM_NAMES = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
LANGUAGE_TAG = re.compile(r"^\s*([A-Za-z]{2,3})(?:-([A-Za-z]{4}))?(?:-([A-Za-z]{2}))?\b")


class Outcome(StrEnum):
    COUNTED = "counted"
    ROBOT = "robot"  # answered, not counted
    UNKNOWN_SITE = "unknown_site"
    FOREIGN_HOST = "foreign_host"  # the page is not on the site's hosts
    BAD_PAGE = "bad_page"
    LIMITED = "limited"  # too many hits: refused with 429


@dataclass(frozen=True)
class Hit:
    site_key: str
    kind: str  # "view" or "conversion"
    page_url: str
    referrer: str
    address: str
    user_agent: str
    accept_language: str


def landing_page(url: str) -> str | None:
    """``host/path`` of an http(s) address (no scheme, query or fragment); None when it is not one."""
    try:
        parts = urlsplit(url.strip())
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not host:
        return None
    return f"{host.lower()}{parts.path or '/'}"[:500]


def utm_values(url: str) -> dict[str, str]:
    try:
        query = urlsplit(url).query
    except ValueError:
        return {}
    return {name: value[:200] for name, value in parse_qsl(query) if name in UTM_NAMES}


def language_and_country(accept_language: str) -> tuple[str, str]:
    """The browser's first language (``nb``) and the country its tag names (``NO``), or blanks."""
    match = LANGUAGE_TAG.match(accept_language.split(",", 1)[0])
    if match is None or match.group(1).lower() in {"und"}:
        return "", ""
    return match.group(1).lower(), (match.group(3) or "").upper()


def _host_allowed(site_hosts: list[str], page_url: str) -> bool:
    if not site_hosts:
        return True
    host = (urlsplit(page_url).hostname or "").lower()
    return any(host == allowed or host.endswith(f".{allowed}") for allowed in site_hosts)


def _site_over_limit(site_id: int, minute: datetime.datetime) -> bool:
    key = f"traffic:site:{site_id}:{minute:%Y%m%d%H%M}"
    if cache.add(key, 1, timeout=120):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr: this hit starts the count again
        cache.set(key, 1, timeout=120)
        count = 1
    return count > SITE_HITS_PER_MINUTE


def _referrer_host(referrer: str) -> str:
    try:
        return (urlsplit(referrer).hostname or "")[:255]
    except ValueError:
        return ""


def record_hit(hit: Hit) -> Outcome:
    """Count one page view or conversion on the visit it belongs to (a new visit after 30 minutes
    of quiet, attributed to the tracked link it came through)."""
    site = Site.objects.filter(key=hit.site_key[:40]).values("pk", "workspace_id", "hosts").first()
    if site is None:
        return Outcome.UNKNOWN_SITE
    page = landing_page(hit.page_url)
    if page is None:
        return Outcome.BAD_PAGE
    if not _host_allowed(list(site["hosts"] or []), hit.page_url):
        return Outcome.FOREIGN_HOST
    if publishing_facade.is_robot(hit.user_agent):
        return Outcome.ROBOT
    now = timezone.now()
    minute = now.replace(second=0, microsecond=0)
    if _site_over_limit(site["pk"], minute):
        return Outcome.LIMITED
    visitor = publishing_facade.visitor_key(hit.address, hit.user_agent, now.date().isoformat())
    is_view = hit.kind != "conversion"
    with transaction.atomic():
        visit = (
            Visit.objects.select_for_update()
            .filter(site_id=site["pk"], visitor=visitor, last_seen_at__gte=now - SESSION_GAP)
            .order_by("-last_seen_at")
            .first()
        )
        if visit is not None:
            if visit.rate_minute == minute and visit.rate_hits >= VISITOR_HITS_PER_MINUTE:
                return Outcome.LIMITED
            visit.rate_hits = visit.rate_hits + 1 if visit.rate_minute == minute else 1
            visit.rate_minute = minute
            visit.last_seen_at = now
            visit.page_views += int(is_view)
            visit.conversions += int(not is_view)
            visit.save(update_fields=["rate_hits", "rate_minute", "last_seen_at", "page_views", "conversions"])
            return Outcome.COUNTED
        utm = utm_values(hit.page_url)
        source = publishing_facade.link_for_visit(
            site["workspace_id"], page_url=hit.page_url, utm=utm, visitor=visitor, moment=now
        )
        language, country = language_and_country(hit.accept_language)
        Visit.objects.create(
            workspace_id=site["workspace_id"],
            site_id=site["pk"],
            visitor=visitor,
            day=now.date(),
            started_at=now,
            last_seen_at=now,
            landing_url=page,
            link_id=source.link_id if source else None,
            post_id=source.post_id if source else None,
            network=source.network if source else "",
            utm_source=utm.get("utm_source", ""),
            utm_medium=utm.get("utm_medium", ""),
            utm_campaign=utm.get("utm_campaign", ""),
            referrer_host=_referrer_host(hit.referrer),
            language=language,
            country=country,
            page_views=int(is_view),
            conversions=int(not is_view),
            rate_minute=minute,
            rate_hits=1,
        )
    return Outcome.COUNTED
