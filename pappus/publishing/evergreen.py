"""Evergreen queues and best-time-to-post suggestions.

An evergreen queue belongs to one account: approved or published posts that stay true, re-published
in rotation into the queue's weekly time slots when the slot is open (the account has nothing else
planned within the hour around it), never more often than the queue's minimum gap per post, and
never with an asset whose usage rights have expired. Each re-publication is a new scheduled post
(linked to its source) that the scheduler sends like any other.

Best times come from the workspace's own history: the engagement of its published variants by
weekday and hour (in the workspace's time zone), with the number of posts behind each figure.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.models import Membership, Workspace
from pappus.core.permissions import Action, require
from pappus.core.timezones import zone_named
from pappus.publishing import assets, services
from pappus.publishing.models import (
    AssetUse,
    EvergreenEntry,
    EvergreenQueue,
    Post,
    PostStatus,
    Variant,
    VariantStatus,
)

QUEUE_FIELDS = ("name", "network", "account_id", "account_label", "slots", "min_gap_days", "is_active")
SOURCE_STATUSES = (PostStatus.APPROVED, PostStatus.SCHEDULED, PostStatus.PUBLISHED)
SLOT_CLEARANCE = datetime.timedelta(minutes=30)  # a slot is taken by anything planned this close to it
HORIZON_DAYS = 7
SYSTEM = Actor.system("evergreen")


def _zone(workspace: Workspace) -> zoneinfo.ZoneInfo:
    return zone_named(workspace.time_zone)


def parse_slots(text: str) -> list[dict[str, object]]:
    """``"mon 09:00, thu 18:30"`` → ``[{"weekday": 0, "time": "09:00"}, …]``; errors name the bad part."""
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    slots: list[dict[str, object]] = []
    for part in (piece.strip() for piece in text.replace(";", ",").split(",")):
        if not part:
            continue
        day, _space, clock = part.partition(" ")
        try:
            weekday = names.index(day.strip().lower()[:3])
            moment = datetime.time.fromisoformat(clock.strip())
        except ValueError:
            raise ValidationError(
                {"slots": _("“%(slot)s” is not a slot: write a weekday and a time, e.g. “mon 09:00”.") % {"slot": part}}
            ) from None
        slot = {"weekday": weekday, "time": moment.strftime("%H:%M")}
        if slot not in slots:
            slots.append(slot)
    if not slots:
        raise ValidationError({"slots": _("Give at least one weekly time slot, e.g. “mon 09:00”.")})
    return sorted(slots, key=lambda slot: (str(slot["weekday"]), str(slot["time"])))


def format_slots(slots: Sequence[dict[str, object]]) -> str:
    names = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    return ", ".join(f"{names[int(str(slot['weekday']))]} {slot['time']}" for slot in slots)


# --- queues and their posts ----------------------------------------------------------------------


@transaction.atomic
def queue_create(
    *,
    actor: Actor,
    membership: Membership,
    name: str,
    network: str,
    slots: Sequence[dict[str, object]],
    min_gap_days: int = 30,
    account_id: int | None = None,
    account_label: str = "",
) -> EvergreenQueue:
    """A queue for one account (a connected one, or a network and handle not connected yet)."""
    services.require_publish(membership)
    if account_id is not None:
        from pappus.publishing.selectors import publishable_account

        account = publishable_account(membership.workspace_id, account_id)
        if account is None:
            raise ValidationError({"account_id": _("No connected account with this id in the workspace.")})
        network, account_label = account.network, account_label or account.handle
    if not 1 <= min_gap_days <= 3650:
        raise ValidationError({"min_gap_days": _("The minimum gap is between 1 and 3,650 days.")})
    queue = EvergreenQueue(
        workspace=membership.workspace,
        name=name.strip()[:200],
        network=network,
        account_id=account_id,
        account_label=account_label,
        slots=list(slots),
        min_gap_days=min_gap_days,
    )
    queue.full_clean()
    queue.save()
    audit.record(
        actor,
        "evergreen.create",
        workspace=membership.workspace,
        target=queue,
        after=audit.snapshot(queue, QUEUE_FIELDS),
    )
    return queue


@transaction.atomic
def queue_add_post(
    *, actor: Actor, membership: Membership, queue: EvergreenQueue | int, post: Post | int
) -> EvergreenEntry:
    """Put an approved (or already published) post in the queue's rotation."""
    services.require_publish(membership)
    queue_id = queue if isinstance(queue, int) else queue.pk
    found_queue = EvergreenQueue.objects.for_workspace(membership.workspace_id).select_for_update().get(pk=queue_id)
    post_id = post if isinstance(post, int) else post.pk
    found = Post.objects.for_workspace(membership.workspace_id).get(pk=post_id)
    if found.evergreen_source_id is not None:
        found = Post.objects.for_workspace(membership.workspace_id).get(pk=found.evergreen_source_id)
    if found.status not in SOURCE_STATUSES:
        raise ValidationError(
            _("Only approved or published posts go into an evergreen queue; “%(post)s” is %(status)s.")
            % {"post": found.title, "status": found.get_status_display().lower()}
        )
    if EvergreenEntry.objects.filter(queue=found_queue, post=found).exists():
        raise ValidationError(_("“%(post)s” is in this queue already.") % {"post": found.title})
    last = found_queue.entries.order_by("-position").values_list("position", flat=True).first() or 0
    entry = EvergreenEntry.objects.create(
        workspace_id=membership.workspace_id, queue=found_queue, post=found, position=last + 1
    )
    audit.record(actor, "evergreen.add", workspace=membership.workspace, target=found_queue, after={"post": found.pk})
    return entry


@transaction.atomic
def queue_remove_post(*, actor: Actor, membership: Membership, entry: EvergreenEntry | int) -> None:
    services.require_publish(membership)
    entry_id = entry if isinstance(entry, int) else entry.pk
    found = EvergreenEntry.objects.for_workspace(membership.workspace_id).select_related("queue").get(pk=entry_id)
    audit.record(
        actor, "evergreen.remove", workspace=membership.workspace, target=found.queue, before={"post": found.post_id}
    )
    found.delete()


# --- filling the open slots ----------------------------------------------------------------------


def _slot_times(
    queue: EvergreenQueue, zone: zoneinfo.ZoneInfo, start: datetime.datetime, days: int
) -> list[datetime.datetime]:
    local_start = start.astimezone(zone)
    times: list[datetime.datetime] = []
    for offset in range(days + 1):
        day = local_start.date() + datetime.timedelta(days=offset)
        for slot in queue.slots:
            if int(str(slot["weekday"])) != day.weekday():
                continue
            moment = datetime.datetime.combine(day, datetime.time.fromisoformat(str(slot["time"])), tzinfo=zone)
            if start < moment <= start + datetime.timedelta(days=days):
                times.append(moment)
    return sorted(times)


def _account_variants(queue: EvergreenQueue) -> Q:
    if queue.account_id is not None:
        return Q(account_id=queue.account_id)
    return Q(network=queue.network, account_label=queue.account_label)


def _taken(queue: EvergreenQueue, moment: datetime.datetime) -> bool:
    """Whether the account has something planned or sent within half an hour of ``moment``."""
    near = (moment - SLOT_CLEARANCE, moment + SLOT_CLEARANCE)
    variants = Variant.objects.for_workspace(queue.workspace_id).filter(_account_variants(queue))
    return variants.filter(
        Q(status__in=[VariantStatus.SCHEDULED, VariantStatus.SENDING], next_attempt_at__range=near)
        | Q(status=VariantStatus.PUBLISHED, published_at__range=near)
        | Q(status=VariantStatus.DRAFT, post__planned_at__range=near, post__status=PostStatus.APPROVED)
    ).exists()


def _source_variant(queue: EvergreenQueue, post: Post) -> Variant | None:
    variants = list(post.variants.all())
    for variant in variants:
        if queue.account_id is not None and variant.account_id == queue.account_id:
            return variant
    return next((variant for variant in variants if variant.network == queue.network), None)


def _republish(queue: EvergreenQueue, entry: EvergreenEntry, moment: datetime.datetime) -> Post:
    source = entry.post
    template = _source_variant(queue, source)
    copy = Post.objects.create(
        workspace_id=queue.workspace_id,
        region_id=source.region_id,
        author_id=source.author_id,
        title=source.title,
        text=source.text,
        language=source.language,
        pillar=source.pillar,
        content_type=source.content_type,
        campaign_id=source.campaign_id,
        status=PostStatus.SCHEDULED,
        planned_at=moment,
        evergreen_source=source,
    )
    variant = Variant.objects.create(
        workspace_id=queue.workspace_id,
        post=copy,
        network=queue.network,
        account_id=queue.account_id,
        account_label=queue.account_label,
        text=template.text if template is not None else source.text,
        link=template.link if template is not None else "",
        first_comment=template.first_comment if template is not None else "",
        hashtags=list(template.hashtags) if template is not None else [],
        media=list(template.media) if template is not None else [],
        status=VariantStatus.SCHEDULED,
        next_attempt_at=moment,
    )
    if template is not None:
        for use in AssetUse.objects.filter(variant=template):
            AssetUse.objects.create(workspace_id=queue.workspace_id, asset_id=use.asset_id, variant=variant)
    if services.settings_for(queue.workspace_id).track_links:
        from pappus.publishing import links

        links.prepare_for_send([variant])
    entry.last_scheduled_at = moment
    entry.times_scheduled += 1
    entry.save(update_fields=["last_scheduled_at", "times_scheduled"])
    audit.record(
        SYSTEM,
        "post.evergreen",
        workspace=queue.workspace,
        target=copy,
        after={"source": source.pk, "queue": queue.pk, "planned_at": moment.isoformat()},
    )
    return copy


def queue_fill(queue_id: int, *, now: datetime.datetime | None = None, days: int = HORIZON_DAYS) -> list[Post]:
    """Schedule the queue's next posts into its open slots of the coming ``days``; idempotent.

    For each open slot, the post that has waited longest (never scheduled first, then by position)
    and whose last time is at least the minimum gap before the slot; a post with an expired asset
    is skipped.
    """
    now = now or timezone.now()
    created: list[Post] = []
    with transaction.atomic():
        queue = EvergreenQueue.objects.select_for_update().select_related("workspace").get(pk=queue_id)
        if not queue.is_active:
            return []
        zone = _zone(queue.workspace)
        gap = datetime.timedelta(days=queue.min_gap_days)
        entries = list(queue.entries.select_related("post").filter(post__status__in=SOURCE_STATUSES))
        expired = assets.expired_assets_of_posts(queue.workspace_id, [entry.post_id for entry in entries])
        # Every time each post goes (or went) out again: the gap holds against all of them, before and after.
        times: dict[int, list[datetime.datetime]] = defaultdict(list)
        copies = Post.objects.for_workspace(queue.workspace_id).filter(
            evergreen_source_id__in=[entry.post_id for entry in entries], planned_at__isnull=False
        )
        for source_id, planned_at in copies.values_list("evergreen_source_id", "planned_at"):
            if source_id is not None and planned_at is not None:
                times[source_id].append(planned_at)
        for moment in _slot_times(queue, zone, now, days):
            if _taken(queue, moment):
                continue
            ready = [
                entry
                for entry in entries
                if entry.post_id not in expired
                and all(abs(moment - earlier) >= gap for earlier in times[entry.post_id])
                and (entry.last_scheduled_at is None or abs(moment - entry.last_scheduled_at) >= gap)
            ]
            if not ready:
                continue
            ready.sort(
                key=lambda entry: (entry.last_scheduled_at is not None, entry.last_scheduled_at or now, entry.position)
            )
            created.append(_republish(queue, ready[0], moment))
            times[ready[0].post_id].append(moment)
    return created


def fill_all(*, now: datetime.datetime | None = None) -> int:
    """Fill every active queue (the periodic job); returns how many posts were scheduled."""
    total = 0
    for queue_id in EvergreenQueue.objects.filter(is_active=True).values_list("pk", flat=True):
        total += len(queue_fill(queue_id, now=now))
    return total


# --- best times ----------------------------------------------------------------------------------

MIN_SAMPLE = 20  # published posts with metrics before any suggestion is made
MIN_CELL = 3  # posts in one weekday x hour before it can be suggested


@dataclass(frozen=True)
class TimeCell:
    weekday: int  # 0 = Monday
    hour: int
    posts: int
    average_engagement: float


@dataclass(frozen=True)
class BestTimes:
    network: str
    account_id: int | None
    sample: int  # published variants with metrics behind the figures
    enough_data: bool
    best: tuple[TimeCell, ...]  # up to three, best first (empty without enough data)
    cells: tuple[TimeCell, ...]  # every weekday x hour with at least one post


def best_times(
    workspace: Workspace, *, network: str = "", account_id: int | None = None, since_days: int = 365
) -> BestTimes:
    """Engagement by weekday x hour of the workspace's published variants (of one network or account)."""
    variants = Variant.objects.for_workspace(workspace).filter(
        status=VariantStatus.PUBLISHED,
        metrics_at__isnull=False,
        published_at__gte=timezone.now() - datetime.timedelta(days=since_days),
    )
    if account_id is not None:
        variants = variants.filter(account_id=account_id)
    elif network:
        variants = variants.filter(network=network)
    zone = _zone(workspace)
    totals: dict[tuple[int, int], list[int]] = defaultdict(list)
    sample = 0
    rows = variants.values_list("published_at", "likes", "shares", "replies")
    for published_at, likes, shares, replies in rows:
        if published_at is None:
            continue
        local = published_at.astimezone(zone)
        totals[(local.weekday(), local.hour)].append((likes or 0) + (shares or 0) + (replies or 0))
        sample += 1
    cells = tuple(
        TimeCell(weekday, hour, len(values), sum(values) / len(values))
        for (weekday, hour), values in sorted(totals.items())
    )
    enough = sample >= MIN_SAMPLE
    ranked = sorted(
        (cell for cell in cells if cell.posts >= MIN_CELL),
        key=lambda cell: (-cell.average_engagement, -cell.posts, cell.weekday, cell.hour),
    )
    return BestTimes(
        network=network,
        account_id=account_id,
        sample=sample,
        enough_data=enough,
        best=tuple(ranked[:3]) if enough else (),
        cells=cells,
    )


def queue_for_member(membership: Membership) -> list[EvergreenQueue]:
    require(membership, Action.CONTENT_VIEW)
    return list(EvergreenQueue.objects.for_workspace(membership.workspace_id).order_by("name", "id"))
