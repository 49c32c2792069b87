"""The demo's paid campaigns: a Meta account in the workspace's currency and a second account in
another currency (with daily exchange rates), campaigns linked to the strategy's campaigns, and
60 days of ad-level results imported as a CSV through the same service as an upload.

Idempotent: nothing is added to a workspace that already has an ad account. Results follow
diminishing returns (conversions grow with the square root of spend), drawn from the
contributor's own ``rng``.
"""

from __future__ import annotations

import datetime
import math
import random
from decimal import Decimal

from django.utils import timezone

from pappus.ads import services
from pappus.ads.models import AdAccount, Network, Objective
from pappus.core.audit import Actor
from pappus.core.models import Membership, Workspace
from pappus.core.permissions import Role

DAYS = 60
# Roughly what one unit of the first currency was worth in the second in 2026.
RATES = {("USD", "EUR"): 0.92, ("USD", "NOK"): 10.6, ("EUR", "USD"): 1.09, ("EUR", "NOK"): 11.5}


def _manager(workspace: Workspace) -> Membership | None:
    members = Membership.objects.for_workspace(workspace).filter(is_active=True).select_related("user", "workspace")
    return members.filter(role=Role.CAMPAIGN_MANAGER).first() or members.filter(role=Role.OWNER).first()


def contribute(workspace: Workspace, rng: random.Random) -> None:
    if AdAccount.objects.for_workspace(workspace).exists():
        return
    membership = _manager(workspace)
    if membership is None:
        return
    from pappus.strategy import facade as strategy

    actor = Actor(user=membership.user, via="cli")
    today = timezone.localdate()
    first = today - datetime.timedelta(days=DAYS - 1)
    plans = strategy.list_campaigns(workspace.pk)
    foreign = "USD" if workspace.currency != "USD" else "EUR"
    home = services.account_create(
        actor=actor, membership=membership, network=Network.META, name="Meta Ads", currency=workspace.currency
    )
    other = services.account_create(
        actor=actor, membership=membership, network=Network.VK, name="VK Ads", currency=foreign
    )
    base_rate = RATES.get((foreign, workspace.currency), 1.0)
    for offset in range(DAYS):
        services.rate_set(
            actor=actor,
            membership=membership,
            day=first + datetime.timedelta(days=offset),
            currency=foreign,
            rate=Decimal(str(round(base_rate * (1 + rng.uniform(-0.02, 0.02)), 6))),
        )
    specs = [
        (home, "Spring launch · prospecting", Objective.SALES, 120.0, 0.9),
        (home, "Retargeting · site visitors", Objective.SALES, 40.0, 1.4),
        (other, "Awareness · video", Objective.AWARENESS, 60.0, 0.5),
    ]
    for index, (account, name, objective, daily, strength) in enumerate(specs):
        plan = plans[index % len(plans)] if plans else None
        services.campaign_create(
            actor=actor,
            membership=membership,
            account_id=account.pk,
            name=name,
            objective=objective,
            strategy_campaign_id=plan.id if plan else None,
            starts_on=first,
            ends_on=today + datetime.timedelta(days=30),
            budget_planned=Decimal(round(daily * (DAYS + 30) * base_rate if account is other else daily * (DAYS + 30))),
            planned_conversions=int(daily * strength * 0.4 * (DAYS + 30)),
            external_id=f"demo-{index + 1}",
        )
    for account in (home, other):
        lines = [
            "Date,Campaign name,Ad set name,Ad name,Amount spent,Impressions,Reach,Link clicks,Results,Conversion value"
        ]
        for name, daily, strength in [(s[1], s[3], s[4]) for s in specs if s[0] is account]:
            for offset in range(DAYS):
                day = first + datetime.timedelta(days=offset)
                for ad_set, ad in (("Broad 25-44", "Video 15s"), ("Lookalike 1%", "Carousel")):
                    spend = max(0.0, daily / 2 * (1 + rng.uniform(-0.3, 0.3)))
                    impressions = int(spend * rng.uniform(80, 120))
                    clicks = int(impressions * rng.uniform(0.008, 0.02))
                    conversions = max(0, int(strength * math.sqrt(spend) + rng.uniform(-1.5, 1.5)))
                    revenue = conversions * rng.uniform(18, 30)
                    lines.append(
                        f'{day.isoformat()},"{name}",{ad_set},{ad},{spend:.2f},{impressions},'
                        f"{int(impressions * 0.7)},{clicks},{conversions},{revenue:.2f}"
                    )
        upload = services.import_upload(
            actor=actor,
            membership=membership,
            account_id=account.pk,
            name=f"{account.name.lower().replace(' ', '-')}-export.csv",
            data="\n".join(lines).encode(),
        )
        services.import_commit(
            actor=actor,
            membership=membership,
            import_id=upload.pk,
            mapping={
                "day": "Date",
                "campaign": "Campaign name",
                "ad_set": "Ad set name",
                "ad": "Ad name",
                "spend": "Amount spent",
                "impressions": "Impressions",
                "reach": "Reach",
                "clicks": "Link clicks",
                "conversions": "Results",
                "revenue": "Conversion value",
            },
        )
