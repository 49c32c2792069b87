"""The demo strategy: Nordlys Coffee (hub in English, spokes in Norwegian, Russian and Chinese)
gets a brand profile, competitors, audiences, two programs with campaigns, KPIs with twelve weeks
of values, risks, RACI and a weekly review; the bakery gets a small local program.

Idempotent: nothing is added to a workspace that already has programs. Values are drawn from the
contributor's own ``rng``, so the demo is the same for the same seed. Dates are relative to today,
so plan versus actual always has a live state to show.
"""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from pappus.core import selectors as core_selectors
from pappus.core.audit import Actor
from pappus.core.models import Membership, Workspace
from pappus.core.permissions import Role
from pappus.listening import facade as listening_facade
from pappus.strategy import selectors, services
from pappus.strategy.models import Program

WEEK = datetime.timedelta(days=7)


def _strategist(workspace: Workspace) -> Membership | None:
    members = Membership.objects.for_workspace(workspace).filter(is_active=True).select_related("user", "workspace")
    return members.filter(role=Role.STRATEGIST).first() or members.filter(role=Role.OWNER).first()


def _values(rng: random.Random, start: float, weekly: float, weeks: int, noise: float) -> list[float]:
    return [round(start + weekly * week + rng.uniform(-noise, noise), 0) for week in range(weeks)]


def contribute(workspace: Workspace, rng: random.Random) -> None:
    if Program.objects.for_workspace(workspace).exists():
        return
    membership = _strategist(workspace)
    if membership is None:
        return
    actor = Actor(user=membership.user, via="cli")
    today = timezone.localdate()
    if workspace.slug == "nordlys-coffee":
        _nordlys(workspace, membership, actor, rng, today)
    else:
        _small_business(membership, actor, rng, today)


def _record(membership: Membership, actor: Actor, kpi_id: int, start: datetime.date, values: list[float]) -> None:
    kpi = selectors.kpis(membership.workspace).get(pk=kpi_id)
    for week, value in enumerate(values):
        services.kpi_record_value(
            actor=actor, membership=membership, kpi=kpi, measured_on=start + week * WEEK, value=value
        )


def _nordlys(
    workspace: Workspace, membership: Membership, actor: Actor, rng: random.Random, today: datetime.date
) -> None:
    services.brand_profile_update(
        actor=actor,
        membership=membership,
        identity="Nordlys Coffee roasts Nordic light-roast coffee in Oslo and sells it in 14 countries.",
        value_proposition="Bright, traceable coffee that tastes of the farm, fresh within a week of roasting.",
        unique_selling_proposition="Every bag names its farmer and roast date; the roastery runs on hydropower.",
        tone_of_voice="Warm, curious and plain-spoken; never snobbish about coffee. Local languages in every spoke.",
        products_and_services="Whole-bean and ground coffee, the Nordlys subscription, cafés in Oslo and Bergen.",
    )
    for name, notes in (
        ("Kaffebrenneriet", "Oslo café chain; strong on Instagram, weak outside Norway."),
        ("Кофемания", "Московская сеть кофеен; активна во ВКонтакте и Telegram."),
        ("Manner Coffee", "上海精品咖啡连锁，在小红书和微信上非常活跃。"),  # noqa: RUF001 - Chinese punctuation
    ):
        services.competitor_create(actor=actor, membership=membership, name=name, notes=notes)
    # Listening's demo (loaded before this one) follows Polar Roast: its share of voice shows on the brand page.
    polar = next((topic for topic in listening_facade.topics(workspace.pk) if topic.kind == "competitor"), None)
    services.competitor_create(
        actor=actor,
        membership=membership,
        name="Polar Roast",
        notes="Nordic roaster selling online in the same countries; the rival listening follows.",
        listening_topic_id=polar.id if polar is not None else None,
    )
    services.audience_create(
        actor=actor,
        membership=membership,
        name="Urban coffee explorers",
        who="25-40, city professionals who try new roasts and share them.",
        where="Oslo, London, Moscow, Shanghai; weekday mornings and Sunday afternoons.",
        wants="Stories about origin, brewing tips, early access to limited roasts.",
        networks=["instagram", "tiktok", "xiaohongshu"],
        sub_targets=[
            {"product": "Subscription", "target": "Start a three-month subscription"},
            {"product": "Limited roasts", "target": "Pre-order within 48 hours"},
        ],
        planned_profile={"age": "25-40", "share female": "55%", "cities": "Oslo, London, Moscow, Shanghai"},
    )
    services.audience_create(
        actor=actor,
        membership=membership,
        name="Домашние бариста",
        who="Любители кофе, которые варят дома и выбирают зерно сами.",
        where="Россия, ВКонтакте и Telegram.",
        wants="Советы по заварке, честные описания вкуса, быстрая доставка.",
        networks=["vk", "telegram"],
        planned_profile={"возраст": "28-45"},
    )
    regions = {region.name: region for region in core_selectors.regions_of(workspace)}
    start = today - 12 * WEEK
    awareness = services.program_create(
        actor=actor,
        membership=membership,
        name="Nordic light in every cup",
        goals="Make Nordlys the best-known light-roast brand among urban coffee explorers in our four markets.",
        starts_on=start,
        ends_on=start + 52 * WEEK,
        owner=membership.user,
        status="active",
        budget_planned=120_000,
    )
    services.program_revise(
        actor=actor,
        membership=membership,
        program=awareness,
        reason="China added as a market after the Shanghai pop-up sold out.",
        budget_planned=150_000,
    )
    campaign = services.campaign_create(
        actor=actor,
        membership=membership,
        program=awareness,
        name="Winter Light 2026",
        description="Video series from the roastery and farms; limited winter roast; pop-ups in Oslo and Shanghai.",
        starts_on=start,
        ends_on=start + 20 * WEEK,
        networks=["instagram", "tiktok", "youtube", "xiaohongshu"],
        owner_id=membership.user.pk,
        status="running",
        budget_planned=40_000,
        budget_committed=30_000,
        budget_spent=12_500,  # production and influencers; the paid campaigns (ads demo) add their spend
    )
    weeks = 12
    funnel = {
        "reach": (100_000, 1_000_000, 18_000, 25_000),
        "engagement": (2_000, 40_000, 650, 900),
        "clicks": (300, 8_000, 70, 120),
        "leads": (20, 900, 4, 12),
        "customers": (5, 200, 0.8, 3),
    }
    names = {
        "reach": "Reach",
        "engagement": "Engagements",
        "clicks": "Clicks",
        "leads": "Leads",
        "customers": "Customers",
    }
    for key, (baseline, target, weekly, noise) in funnel.items():
        kpi = services.kpi_create(
            actor=actor,
            membership=membership,
            campaign=campaign,
            name=f"{names[key]} (Winter Light)",
            metric_key=key,
            baseline=baseline,
            target=target,
            starts_on=start,
            deadline=start + 20 * WEEK,
        )
        _record(membership, actor, kpi.pk, start, _values(rng, baseline, weekly, weeks, noise))
    risk_owner = Membership.objects.for_workspace(workspace).filter(role=Role.CAMPAIGN_MANAGER).first()
    services.risk_create(
        actor=actor,
        membership=membership,
        campaign=campaign,
        title="Winter roast sells out before the campaign ends",
        likelihood=3,
        impact=3,
        mitigation="Pre-orders only after week 8; waiting list with early access to the spring roast.",
        owner=risk_owner.user if risk_owner else None,
    )
    services.risk_create(
        actor=actor,
        membership=membership,
        program=awareness,
        title="Platform restrictions in one market",
        likelihood=2,
        impact=4,
        mitigation="Keep content ready for a second network in every spoke.",
    )
    people = {member.role: member.user for member in Membership.objects.for_workspace(workspace).select_related("user")}
    responsible = [user for role, user in people.items() if role in {Role.CONTENT_MANAGER, Role.DESIGNER}]
    if responsible:
        services.raci_assign(
            actor=actor,
            membership=membership,
            campaign=campaign,
            task="Weekly video from the roastery",
            responsible=responsible,
            accountable=membership.user,
            consulted=[user for role, user in people.items() if role == Role.ANALYST],
            informed=[user for role, user in people.items() if role == Role.EXECUTIVE],
        )
    community = services.program_create(
        actor=actor,
        membership=membership,
        name="Клуб Nordlys",
        goals="Вырастить сообщество домашних бариста в России: 5 000 участников к концу года.",
        starts_on=start,
        ends_on=start + 40 * WEEK,
        owner=membership.user,
        status="active",
        budget_planned=30_000,
        region=regions.get("Russia"),
    )
    members_kpi = services.kpi_create(
        actor=actor,
        membership=membership,
        program=community,
        name="Участники клуба",
        metric_key="followers",
        baseline=800,
        target=5_000,
        starts_on=start,
        deadline=start + 40 * WEEK,
    )
    _record(membership, actor, members_kpi.pk, start, _values(rng, 800, 60, weeks, 30))
    services.template_ensure_builtins(actor=actor, membership=membership)
    rows = selectors.plan_versus_actual(workspace, as_of=today)
    services.weekly_review_record(
        actor=actor,
        membership=membership,
        decision="Keep the video cadence; move 3,000 EUR from Instagram to Xiaohongshu where cost per lead is lower.",
        findings=selectors.review_findings(rows),
        week_of=today - WEEK,
    )


def _small_business(membership: Membership, actor: Actor, rng: random.Random, today: datetime.date) -> None:
    start = today - 6 * WEEK
    program = services.program_create(
        actor=actor,
        membership=membership,
        name="Flere faste kunder",
        goals="Flere som kommer tilbake hver uke: 300 følgere som handler lokalt.",
        starts_on=start,
        ends_on=start + 26 * WEEK,
        status="active",
        budget_planned=12_000,
    )
    kpi = services.kpi_create(
        actor=actor,
        membership=membership,
        program=program,
        name="Følgere på Instagram",
        metric_key="followers",
        baseline=420,
        target=720,
        starts_on=start,
        deadline=start + 26 * WEEK,
    )
    _record(membership, actor, kpi.pk, start, _values(rng, 420, 9, 6, 4))
