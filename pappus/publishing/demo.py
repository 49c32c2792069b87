# ruff: noqa: RUF001 - real Norwegian and Chinese punctuation in the demo texts
"""The demo content plan: posts in four languages, in every state of the workflow.

Written through the services (and, for the posts that already went out or failed, through the
scheduler's own recording), so the audit log reads as it would after real work. Idempotent: a
post is found by its title in the workspace and created only when missing.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass

from django.utils import timezone

from pappus.connectors.contracts import PublishResult
from pappus.connectors.errors import ContentRejectedError
from pappus.core.audit import Actor
from pappus.core.models import Membership, Region, Workspace
from pappus.core.permissions import Role
from pappus.publishing import scheduler, services
from pappus.publishing.models import Post


@dataclass(frozen=True)
class DemoPost:
    title: str
    text: str
    language: str
    region: str  # region name; "" = the hub
    pillar: str
    content_type: str
    networks: tuple[str, ...]
    state: str  # draft, in_review, approved, scheduled, published, failed
    hashtags: tuple[str, ...] = ()


NORDLYS_PLAN = (
    DemoPost(
        "Autumn blend launch",
        "Our Autumn blend is here: notes of baked apple and cardamom, roasted in Tromsø.",
        "en",
        "United Kingdom & International",
        "Product",
        "promo",
        ("mastodon", "bluesky"),
        "scheduled",
        ("coffee", "autumnblend"),
    ),
    DemoPost(
        "How to brew a perfect pour-over",
        "Five steps to a clean, sweet cup: grind, bloom, pour slowly, wait, enjoy.",
        "en",
        "",
        "Coffee education",
        "educational",
        ("mastodon",),
        "published",
    ),
    DemoPost(
        "Høstblanding i butikkene",
        "Høstblandingen er endelig her – smak av bakt eple og kardemomme. Finn den i din nærmeste butikk!",
        "nb",
        "Norway",
        "Product",
        "promo",
        ("mastodon",),
        "approved",
        ("kaffe",),
    ),
    DemoPost(
        "Konkurranse: vinn en kaffekvern",
        "Del ditt beste kaffeøyeblikk med #nordlysøyeblikk og bli med i trekningen av en kaffekvern.",
        "nb",
        "Norway",
        "Community",
        "contest",
        ("mastodon", "bluesky"),
        "in_review",
    ),
    DemoPost(
        "Осенний купаж уже в продаже",
        "Новый осенний купаж: печёное яблоко и кардамон. Обжарено на севере Норвегии.",
        "ru",
        "Russia",
        "Product",
        "promo",
        ("mastodon",),
        "failed",
    ),
    DemoPost(
        "Дегустация в Москве",
        "Приглашаем на бесплатную дегустацию в нашей кофейне на Покровке в эту субботу.",
        "ru",
        "Russia",
        "Events",
        "event",
        ("mastodon",),
        "draft",
    ),
    DemoPost(
        "秋季拼配上市",
        "全新秋季拼配咖啡：烤苹果与小豆蔻的风味，来自挪威北部的烘焙。",
        "zh-hans",
        "China",
        "Product",
        "promo",
        ("mastodon",),
        "scheduled",
    ),
    DemoPost(
        "顾客故事：上海的清晨",
        "感谢 @小林 分享她在上海用 Nordlys 咖啡开启清晨的照片！",
        "zh-hans",
        "China",
        "Community",
        "ugc",
        ("mastodon",),
        "draft",
    ),
    DemoPost(
        "Barista collaboration with @kaffeliv",
        "We teamed up with barista Kaffeliv for a week of latte art videos. First one tomorrow!",
        "en",
        "United Kingdom & International",
        "Community",
        "influencer",
        ("bluesky",),
        "draft",
    ),
)

BAKERY_PLAN = (
    DemoPost(
        "Kanelboller fredag",
        "Fredag er bolledag! Ferske kanelboller fra kl. 07 i Bergen sentrum.",
        "nb",
        "",
        "Produkter",
        "promo",
        ("mastodon",),
        "scheduled",
    ),
    DemoPost(
        "Slik baker du surdeigsbrød",
        "Vår baker deler oppskriften på surdeigsbrødet – steg for steg.",
        "nb",
        "",
        "Baking",
        "educational",
        ("mastodon",),
        "draft",
    ),
)

ORDER = ("draft", "in_review", "approved", "scheduled", "published", "failed")


def contribute(workspace: Workspace, rng: random.Random) -> None:
    plan = NORDLYS_PLAN if workspace.slug == "nordlys-coffee" else BAKERY_PLAN
    owner = Membership.objects.for_workspace(workspace).filter(role=Role.OWNER, is_active=True).first()
    if owner is None:
        return
    actor = Actor(user=owner.user, via="cli")
    regions = {region.name: region for region in Region.objects.for_workspace(workspace)}
    existing = set(Post.objects.for_workspace(workspace).values_list("title", flat=True))
    today = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)
    for item in plan:
        if item.title in existing:
            continue
        offset = rng.randint(-10, -1) if item.state in {"published", "failed"} else rng.randint(1, 20)
        planned = today + datetime.timedelta(days=offset, hours=rng.choice((0, 2, 4, 8)))
        post = services.post_create(
            actor=actor,
            membership=owner,
            title=item.title,
            text=item.text,
            region=regions.get(item.region),
            language=item.language,
            pillar=item.pillar,
            content_type=item.content_type,
            planned_at=planned,
        )
        for network in item.networks:
            services.variant_add(
                actor=actor,
                membership=owner,
                post=post,
                network=network,
                account_label="@nordlys" if workspace.slug == "nordlys-coffee" else "@solsikke",
                hashtags=item.hashtags,
            )
        _advance(actor, owner, post, item.state)


def _advance(actor: Actor, owner: Membership, post: Post, state: str) -> None:
    """Walk the post through the workflow up to ``state``; sent posts get their recorded outcome."""
    target = ORDER.index(state)
    if target >= ORDER.index("in_review"):
        services.post_submit(actor=actor, membership=owner, post=post)
    if target >= ORDER.index("approved"):
        services.post_approve(actor=actor, membership=owner, post=post)
    if target < ORDER.index("scheduled"):
        return
    services.post_schedule(actor=actor, membership=owner, post=post)
    if target < ORDER.index("published"):
        return
    # The demo has no network to send to: claim these variants and record what a network answered.
    now = timezone.now()
    post.variants.update(next_attempt_at=now)
    for delivery in scheduler.claim_due(limit=100, now=now, post_id=post.pk):
        outcome = scheduler.Outcome(delivery)
        if state == "published":
            outcome.result = PublishResult(
                remote_id=f"demo-{delivery.variant_id}",
                url=f"https://mastodon.example/@nordlys/{delivery.variant_id}",
                published_at=post.planned_at,
            )
        else:
            outcome.error = ContentRejectedError(
                "Validation failed: Text contains a link to a domain that is not allowed", network="mastodon"
            )
        scheduler.record(outcome, now=now)
