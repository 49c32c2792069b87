"""Tracked links: the UTM builder, short links served by Pappus (``/l/<code>``) and click counting.

A tracked link belongs to a post (and to one variant, so to one network) and leads to a landing
page with UTM parameters. Each click is stored with its time, the link's variant and network, the
referrer's host and a visitor key that is an HMAC of the address and user agent under the
installation's secret (the address itself is never stored); obvious robots (link previews,
crawlers, scripts) are redirected without being counted.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.text import slugify
from django.utils.translation import gettext as _

from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.models import Membership
from pappus.core.permissions import Action, require
from pappus.publishing.models import LinkClick, Post, TrackedLink, Variant

CODE_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
UTM_NAMES = ("utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
LINK_FIELDS = ("code", "landing_url", "destination_url", "network", "variant_id", *UTM_NAMES)
URL_PATTERN = re.compile(r"https?://[^\s<>\"')\]]+")
# Link previews, crawlers and scripts: redirected, never counted.
BOT_PATTERN = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|preview|facebookexternalhit|embedly|mastodon/|pleroma|misskey|"
    r"cardyb|whatsapp|skypeuri|curl/|wget/|python-|httpx|go-http-client|java/|okhttp|headless|lighthouse",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Utm:
    source: str = ""
    medium: str = ""
    campaign: str = ""
    content: str = ""
    term: str = ""

    def pairs(self) -> list[tuple[str, str]]:
        values = (self.source, self.medium, self.campaign, self.content, self.term)
        return [(name, value.strip()) for name, value in zip(UTM_NAMES, values, strict=True) if value.strip()]


def check_landing_url(url: str) -> str:
    url = url.strip()
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        host = None
    if host is None or parts.scheme not in {"http", "https"}:
        raise ValidationError(
            {"landing_url": _("The landing page must be an http or https address: “%(url)s”.") % {"url": url[:200]}}
        )
    if len(url) > 1800:
        raise ValidationError({"landing_url": _("The landing page address is longer than 1,800 characters.")})
    return url


def build_url(landing_url: str, utm: Utm) -> str:
    """The landing page with the UTM parameters set (others kept, earlier UTM values replaced)."""
    parts = urlsplit(check_landing_url(landing_url))
    query = [(name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True) if name not in UTM_NAMES]
    return urlunsplit(parts._replace(query=urlencode([*query, *utm.pairs()])))


def campaign_slug(post: Post) -> str:
    """The post's strategy campaign as a utm_campaign value, when strategy knows the campaign."""
    if post.campaign_id is None:
        return ""
    from pappus.strategy import facade as strategy_facade

    campaign = strategy_facade.get_campaign(post.workspace_id, post.campaign_id)
    return slugify(campaign.name, allow_unicode=True) if campaign is not None else ""


def default_utm(post: Post, variant: Variant | None) -> Utm:
    return Utm(
        source=variant.network if variant is not None else "",
        medium="social",
        campaign=campaign_slug(post),
        content=f"post-{post.pk}",
    )


def short_url(code: str) -> str:
    return f"{settings.BASE_URL}/l/{code}"


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def _create(post: Post, variant: Variant | None, landing_url: str, utm: Utm) -> TrackedLink:
    for _attempt in range(5):
        code = _new_code()
        if not TrackedLink.objects.filter(code=code).exists():
            break
    return TrackedLink.objects.create(
        workspace_id=post.workspace_id,
        post=post,
        variant=variant,
        network=variant.network if variant is not None else "",
        code=code,
        landing_url=landing_url,
        destination_url=build_url(landing_url, utm),
        utm_source=utm.source,
        utm_medium=utm.medium,
        utm_campaign=utm.campaign,
        utm_content=utm.content,
        utm_term=utm.term,
    )


@transaction.atomic
def tracked_link_create(
    *,
    actor: Actor,
    membership: Membership,
    post: Post | int,
    landing_url: str,
    utm: Utm,
    variant: Variant | int | None = None,
) -> TrackedLink:
    """The UTM builder: a short link of the post (and of one variant) to a landing page."""
    require(membership, Action.CONTENT_DRAFT)
    post_id = post if isinstance(post, int) else post.pk
    found = Post.objects.for_workspace(membership.workspace_id).get(pk=post_id)
    target = None
    if variant is not None:
        variant_id = variant if isinstance(variant, int) else variant.pk
        target = Variant.objects.for_workspace(membership.workspace_id).get(pk=variant_id, post=found)
    for name, value in zip(UTM_NAMES, (utm.source, utm.medium, utm.campaign, utm.content, utm.term), strict=True):
        if len(value) > 200:
            raise ValidationError({name: _("At most 200 characters.")})
    link = _create(found, target, check_landing_url(landing_url), utm)
    audit.record(
        actor, "link.create", workspace=membership.workspace, target=found, after=audit.snapshot(link, LINK_FIELDS)
    )
    return link


def urls_in(variant: Variant) -> list[str]:
    """The addresses a variant sends: its link and those in its text, each once, in order."""
    found: list[str] = []
    for candidate in [variant.link, *URL_PATTERN.findall(variant.text)]:
        url = candidate.rstrip(".,;:!?")
        if url and url not in found and not url.startswith(f"{settings.BASE_URL}/l/"):
            found.append(url)
    return found


def prepare_for_send(variants: Iterable[Variant]) -> None:
    """Give every address of each variant a tracked short link (one per variant and landing page,
    kept across reschedules) and store the replacements the scheduler makes when it sends."""
    for variant in variants:
        replacements: dict[str, str] = {}
        existing = {link.landing_url: link for link in TrackedLink.objects.filter(variant=variant)}
        for url in urls_in(variant):
            link = existing.get(url) or _create(variant.post, variant, url, default_utm(variant.post, variant))
            replacements[url] = short_url(link.code)
        if replacements != variant.tracked_urls:
            variant.tracked_urls = replacements
            variant.save(update_fields=["tracked_urls", "updated_at"])


def replace_urls(text: str, replacements: dict[str, str]) -> str:
    """The text as sent, each tracked address replaced by its short link (longest first)."""
    for url in sorted(replacements, key=len, reverse=True):
        text = text.replace(url, replacements[url])
    return text


# --- clicks --------------------------------------------------------------------------------------


def is_robot(user_agent: str) -> bool:
    return not user_agent.strip() or BOT_PATTERN.search(user_agent) is not None


def visitor_key(address: str, user_agent: str, day: str) -> str:
    """An HMAC of address, browser and day under the installation's secret: counts unique visitors
    per day without keeping the address."""
    return salted_hmac(
        "pappus.publishing.link-visitor", f"{address}|{user_agent}|{day}", algorithm="sha256"
    ).hexdigest()[:32]


def referrer_host(referrer: str) -> str:
    try:
        return (urlsplit(referrer).hostname or "")[:255] if referrer else ""
    except ValueError:  # a malformed Referer header: no host
        return ""


def record_click(code: str, *, address: str, user_agent: str, referrer: str) -> str | None:
    """Count one click of ``code`` (unless a robot made it) and return where to send the browser."""
    link = (
        TrackedLink.objects.filter(code=code)
        .values("pk", "workspace_id", "post_id", "variant_id", "network", "destination_url")
        .first()
    )
    if link is None:
        return None
    if not is_robot(user_agent):
        now = timezone.now()
        with transaction.atomic():
            LinkClick.objects.create(
                workspace_id=link["workspace_id"],
                link_id=link["pk"],
                post_id=link["post_id"],
                variant_id=link["variant_id"],
                network=link["network"],
                clicked_at=now,
                referrer_host=referrer_host(referrer),
                visitor=visitor_key(address, user_agent[:500], now.date().isoformat()),
            )
            TrackedLink.objects.filter(pk=link["pk"]).update(clicks=F("clicks") + 1)
    return str(link["destination_url"])


@dataclass(frozen=True)
class ClickRow:
    link_id: int
    code: str
    short_url: str
    landing_url: str
    destination_url: str
    network: str
    variant_id: int | None
    clicks: int
    visitors: int


def clicks_of_post(workspace_id: int, post_id: int) -> list[ClickRow]:
    """Each tracked link of a post with its clicks and distinct visitors (by day)."""
    links = TrackedLink.objects.for_workspace(workspace_id).filter(post_id=post_id).order_by("network", "id")
    visitors = dict(
        LinkClick.objects.for_workspace(workspace_id)
        .filter(post_id=post_id)
        .values("link_id")
        .annotate(count=Count("visitor", distinct=True))
        .values_list("link_id", "count")
    )
    return [
        ClickRow(
            link_id=link.pk,
            code=link.code,
            short_url=short_url(link.code),
            landing_url=link.landing_url,
            destination_url=link.destination_url,
            network=link.network,
            variant_id=link.variant_id,
            clicks=link.clicks,
            visitors=visitors.get(link.pk, 0),
        )
        for link in links
    ]


@dataclass(frozen=True)
class LandingRow:
    landing_url: str
    clicks: int
    posts: int


def clicks_by_landing_page(workspace_id: int) -> list[LandingRow]:
    rows = (
        TrackedLink.objects.for_workspace(workspace_id)
        .values("landing_url")
        .annotate(total=Count("click_rows"), posts=Count("post", distinct=True))
        .order_by("-total", "landing_url")
    )
    return [LandingRow(row["landing_url"], row["total"], row["posts"]) for row in rows]
