"""Demo data of the adoption app: a playbook (seeded from the demo strategy's RACI, plus a few duties of the hub
and of two spokes), four weeks of checklist items with most done on time, a post and a playbook adopted from one
spoke into another, and the people KPIs of those weeks. Idempotent: nothing is added once the playbook exists."""

from __future__ import annotations

import datetime
import random

from django.utils import timezone

from pappus.adoption import services
from pappus.adoption.models import AdoptedKind, Cadence, Duty, DutyItem
from pappus.core.audit import Actor
from pappus.core.models import Membership, Region, Workspace
from pappus.core.permissions import Role
from pappus.publishing import facade as publishing_facade

HISTORY_DAYS = 28


def contribute(workspace: Workspace, rng: random.Random) -> None:
    if Duty.objects.for_workspace(workspace).exists():
        return
    owner = Membership.objects.for_workspace(workspace).filter(role=Role.OWNER).select_related("workspace").first()
    if owner is None:
        return
    actor = Actor(owner.user, via="cli")
    services.playbook_seed_from_raci(actor=actor, membership=owner)
    services.duty_add(
        actor=actor, membership=owner, title="Plan next week's posts", role=Role.CONTENT_MANAGER, cadence=Cadence.WEEKLY
    )
    services.duty_add(
        actor=actor, membership=owner, title="Check the month's KPIs", role=Role.ANALYST, cadence=Cadence.MONTHLY
    )
    spokes = list(Region.objects.for_workspace(workspace).filter(parent__isnull=False).order_by("name"))
    for region in spokes[:2]:
        services.duty_add(
            actor=actor,
            membership=owner,
            title="Answer the reviews on the map listings",
            role=Role.COMMUNITY_MANAGER,
            cadence=Cadence.DAILY,
            region_id=region.pk,
        )
    today = timezone.now().astimezone(datetime.UTC).date()
    for offset in range(HISTORY_DAYS, -1, -1):
        services.duties_generate(today=today - datetime.timedelta(days=offset), workspace_id=workspace.pk)
    done = []
    for item in DutyItem.objects.for_workspace(workspace).filter(due_on__lt=today):
        draw = rng.random()
        if draw < 0.7:  # on time
            hour = datetime.time(rng.randint(8, 16))
            item.done_at = datetime.datetime.combine(item.due_on, hour, tzinfo=datetime.UTC)
        elif draw < 0.85:  # a day late
            item.done_at = datetime.datetime.combine(
                item.due_on + datetime.timedelta(days=1), datetime.time(10), tzinfo=datetime.UTC
            )
        else:
            continue
        done.append(item)
    DutyItem.objects.bulk_update(done, ["done_at"])
    if len(spokes) >= 2:
        spoke_ids = {region.pk for region in spokes}
        posts = [
            variant.post_id
            for variant in publishing_facade.published_variants(workspace.pk, include_unlinked=True)
            if variant.region_id in spoke_ids and variant.region_id != spokes[-1].pk
        ]
        if posts:
            services.adopt(
                actor=actor,
                membership=owner,
                kind=AdoptedKind.POST,
                source_id=rng.choice(sorted(set(posts))),
                target_region_id=spokes[-1].pk,
            )
        services.adopt(
            actor=actor,
            membership=owner,
            kind=AdoptedKind.PLAYBOOK,
            source_id=spokes[0].pk,
            target_region_id=spokes[-1].pk,
        )
    for offset in range(HISTORY_DAYS, 0, -1):
        services.kpi_compute(workspace.pk, today - datetime.timedelta(days=offset))
