"""Evergreen queues (rotation into open slots, the minimum gap, expired assets skipped) and
best-time-to-post suggestions from the workspace's own engagement history."""

from __future__ import annotations

import datetime
import itertools
import re
import zoneinfo
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.core.tests.test_api import BASE, token_for
from pappus.publishing import assets, evergreen, scheduler, services
from pappus.publishing.models import Asset, EvergreenEntry, Post, PostStatus, Variant, VariantStatus
from pappus.publishing.tests.factories import ACTOR, make_post, make_scheduled_post, variants_of
from pappus.publishing.tests.mastodon_server import LocalMastodon, connector_factory

pytestmark = pytest.mark.django_db

OSLO = zoneinfo.ZoneInfo("Europe/Oslo")
# A Sunday evening: the next seven days hold one 09:00 slot each, Monday to Sunday.
NOW = datetime.datetime(2026, 3, 1, 20, 0, tzinfo=OSLO)


@pytest.fixture(autouse=True)
def media_storage(settings: Any, tmp_path: Any) -> Any:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    return tmp_path


def _text(response: Any) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def _approved(membership: Any, title: str) -> Post:
    post = make_post(membership, title=title, networks=("mastodon",))
    services.post_submit(actor=ACTOR, membership=membership, post=post)
    return services.post_approve(actor=ACTOR, membership=membership, post=post)


def _queue(membership: Any, *posts: Post, gap: int = 3) -> Any:
    queue = evergreen.queue_create(
        actor=ACTOR,
        membership=membership,
        name="Classics",
        network="mastodon",
        account_label="@brand1",
        slots=evergreen.parse_slots(
            ", ".join(f"{day} 09:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
        ),
        min_gap_days=gap,
    )
    for post in posts:
        evergreen.queue_add_post(actor=ACTOR, membership=membership, queue=queue, post=post)
    return queue


def _copies() -> list[tuple[str, str]]:
    rows = Post.objects.filter(evergreen_source__isnull=False).order_by("planned_at")
    return [(post.title, f"{post.planned_at.astimezone(OSLO):%a %H:%M}") for post in rows]  # type: ignore[union-attr]


@pytest.fixture
def oslo_workspace(workspace: Any) -> Any:
    workspace.time_zone = "Europe/Oslo"
    workspace.save(update_fields=["time_zone"])
    return workspace


def test_posts_rotate_into_open_slots_and_never_repeat_within_the_gap(oslo_workspace):
    manager = make_member(oslo_workspace, role=Role.CONTENT_MANAGER)
    queue = _queue(manager, _approved(manager, "Brewing guide"), _approved(manager, "Our farmers"), gap=3)

    created = evergreen.queue_fill(queue.pk, now=NOW)

    # Monday A, Tuesday B, Wednesday nothing (A was 2 days ago, B 1), Thursday A, Friday B, Saturday
    # nothing, Sunday A: each post at least 3 days after its previous time.
    assert _copies() == [
        ("Brewing guide", "Mon 09:00"),
        ("Our farmers", "Tue 09:00"),
        ("Brewing guide", "Thu 09:00"),
        ("Our farmers", "Fri 09:00"),
        ("Brewing guide", "Sun 09:00"),
    ]
    assert len(created) == 5
    for title in ("Brewing guide", "Our farmers"):
        times = sorted(
            planned
            for planned in Post.objects.filter(evergreen_source__title=title).values_list("planned_at", flat=True)
            if planned is not None
        )
        assert all(later - earlier >= datetime.timedelta(days=3) for earlier, later in itertools.pairwise(times))
    copy = Post.objects.filter(evergreen_source__isnull=False).order_by("planned_at").first()
    assert copy is not None
    assert copy.status == PostStatus.SCHEDULED
    (variant,) = variants_of(copy)
    assert (variant.status, variant.account_label, variant.next_attempt_at) == (
        VariantStatus.SCHEDULED,
        "@brand1",
        copy.planned_at,
    )
    entry = EvergreenEntry.objects.get(queue=queue, post__title="Brewing guide")
    assert (entry.times_scheduled, entry.last_scheduled_at) == (3, datetime.datetime(2026, 3, 8, 9, 0, tzinfo=OSLO))

    # Filling again changes nothing: every slot is taken now.
    assert evergreen.queue_fill(queue.pk, now=NOW) == []
    # A week later the gap is measured from the last time (Sunday), not from the first.
    later = evergreen.queue_fill(queue.pk, now=NOW + datetime.timedelta(days=7))
    assert [(post.title, f"{post.planned_at.astimezone(OSLO):%a %d}") for post in later][:2] == [  # type: ignore[union-attr]
        ("Our farmers", "Mon 09"),
        ("Brewing guide", "Wed 11"),
    ]


def test_a_slot_taken_by_another_post_and_a_post_with_an_expired_asset_are_skipped(oslo_workspace):
    manager = make_member(oslo_workspace, role=Role.CONTENT_MANAGER)
    fresh = _approved(manager, "Fresh")
    stale = make_post(manager, title="Stale photo")
    asset = assets.asset_upload(
        actor=ACTOR,
        membership=manager,
        upload=SimpleUploadedFile("a.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 50),
        rights_expire_on=timezone.localdate() + datetime.timedelta(days=30),
    )
    assets.asset_attach(actor=ACTOR, membership=manager, variant=variants_of(stale)[0], asset=asset)
    services.post_submit(actor=ACTOR, membership=manager, post=stale)
    services.post_approve(actor=ACTOR, membership=manager, post=stale)
    queue = _queue(manager, fresh, stale, gap=30)
    Asset.objects.filter(pk=asset.pk).update(rights_expire_on=datetime.date(2020, 1, 1))
    planned = make_post(manager, title="Launch", networks=("mastodon",))
    services.post_update(
        actor=ACTOR, membership=manager, post=planned, planned_at=datetime.datetime(2026, 3, 2, 9, 15, tzinfo=OSLO)
    )
    services.post_submit(actor=ACTOR, membership=manager, post=planned)
    services.post_approve(actor=ACTOR, membership=manager, post=planned)
    services.post_schedule(actor=ACTOR, membership=manager, post=planned)

    evergreen.queue_fill(queue.pk, now=NOW)

    # Monday 09:00 is 15 minutes from "Launch": taken. "Fresh" goes on Tuesday; "Stale photo" never.
    assert _copies() == [("Fresh", "Tue 09:00")]


def test_evergreen_copies_are_sent_by_the_scheduler(oslo_workspace):
    manager = make_member(oslo_workspace, role=Role.CONTENT_MANAGER)
    queue = _queue(manager, _approved(manager, "Brewing guide"))
    now = timezone.now()
    (copy, *_rest) = evergreen.queue_fill(queue.pk, now=now - datetime.timedelta(days=1, hours=1))
    assert copy.planned_at is not None
    assert copy.planned_at <= now

    with LocalMastodon() as server:
        scheduler.run_due(connector_for=connector_factory(server.base_url))
        contents = [status["content"] for status in server.state.statuses.values()]

    assert Post.objects.get(pk=copy.pk).status == PostStatus.PUBLISHED
    assert any("Hello from post" in content for content in contents)


def test_the_evergreen_page_creates_a_queue_and_explains_a_bad_slot(client, oslo_workspace):
    manager = make_member(oslo_workspace, role=Role.CONTENT_MANAGER)
    post = _approved(manager, "Brewing guide")
    client.force_login(manager.user)

    bad = client.post(
        reverse("publishing:evergreen_create"),
        {"name": "Classics", "network": "mastodon", "account_label": "@cafe", "slots": "mon 9am", "min_gap_days": "14"},
    )
    good = client.post(
        reverse("publishing:evergreen_create"),
        {
            "name": "Classics",
            "network": "mastodon",
            "account_label": "@cafe",
            "slots": "mon 09:00, thu 18:30",
            "min_gap_days": "14",
        },
    )
    queue_id = evergreen.queue_for_member(manager)[0].pk
    client.post(reverse("publishing:evergreen_change", args=[queue_id]), {"post": post.pk})
    page = _text(client.get(reverse("publishing:evergreen")))

    assert bad.status_code == 400
    assert "“mon 9am” is not a slot: write a weekday and a time, e.g. “mon 09:00”." in _text(bad)
    assert good.status_code == 302
    assert "mon 09:00, thu 18:30" in page
    assert "at least 14 days between repeats" in page
    assert 'data-testid="evergreen-entry"' in page

    designer = make_member(oslo_workspace, role=Role.DESIGNER)
    client.force_login(designer.user)
    refused = client.post(reverse("publishing:evergreen_change", args=[queue_id]), {"fill": "1"}, follow=True)
    assert "Only members who may publish manage evergreen queues." in _text(refused)
    assert not Post.objects.filter(evergreen_source__isnull=False).exists()


# --- best times --------------------------------------------------------------------------------


def _published_history(manager: Any, moments_and_engagement: list[tuple[datetime.datetime, int]]) -> None:
    """Posts really sent to the local network, then dated and given the counters the network reported."""
    posts = [make_scheduled_post(manager) for _ in moments_and_engagement]
    with LocalMastodon() as server:
        scheduler.run_due(connector_for=connector_factory(server.base_url))
    for post, (moment, engagement) in zip(posts, moments_and_engagement, strict=True):
        (variant,) = variants_of(post)
        assert variant.status == VariantStatus.PUBLISHED
        Variant.objects.filter(pk=variant.pk).update(published_at=moment)
        services.variant_metrics_record(
            workspace_id=manager.workspace_id, variant_id=variant.pk, taken_at=timezone.now(), likes=engagement
        )


def test_best_times_need_enough_history_and_show_the_sample(client, oslo_workspace):
    manager = make_member(oslo_workspace, role=Role.CONTENT_MANAGER)
    base = timezone.now().astimezone(OSLO) - datetime.timedelta(days=120)
    monday = (base - datetime.timedelta(days=base.weekday())).replace(hour=9, minute=0, second=0, microsecond=0)
    history = [(monday + datetime.timedelta(weeks=week), 40 + week) for week in range(5)]  # Mon 09: strong
    history += [(monday + datetime.timedelta(weeks=week, days=3, hours=9), 10) for week in range(5)]  # Thu 18
    post = _approved(manager, "Next one")
    client.force_login(manager.user)

    _published_history(manager, history)
    few = _text(client.get(reverse("publishing:post", args=[post.pk])))

    assert "Not enough data yet: 10 published posts with metrics (20 needed)." in few
    assert 'data-testid="best-time"' not in few

    history2 = [(monday + datetime.timedelta(weeks=week, days=1, hours=3), 25) for week in range(10)]  # Tue 12
    _published_history(manager, history2)
    enough = _text(client.get(reverse("publishing:post", args=[post.pk])))
    suggestions = re.findall(r'<li data-testid="best-time">(.*?)</li>', enough)

    assert suggestions == [
        "Monday 09:00 · average engagement 42.0 over 5 posts",
        "Tuesday 12:00 · average engagement 25.0 over 10 posts",
        "Thursday 18:00 · average engagement 10.0 over 5 posts",
    ]
    assert "Based on 20 published posts with metrics." in enough

    api = Client()
    body = api.get(
        f"{BASE}/best-times", {"network": "mastodon"}, headers={"Authorization": f"Bearer {token_for(manager)}"}
    ).json()
    assert (body["sample"], body["enough_data"]) == (20, True)
    assert [(cell["weekday"], cell["hour"], cell["posts"]) for cell in body["best"]] == [
        (0, 9, 5),
        (1, 12, 10),
        (3, 18, 5),
    ]
    other = api.get(
        f"{BASE}/best-times", {"network": "bluesky"}, headers={"Authorization": f"Bearer {token_for(manager)}"}
    )
    assert (other.json()["sample"], other.json()["enough_data"], other.json()["best"]) == (0, False, [])


def test_the_metrics_job_reads_the_networks_counters_of_published_variants(workspace):
    from pappus.connectors import registry
    from pappus.publishing import metrics
    from pappus.publishing.tests.mastodon_server import TOKEN

    manager = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = make_scheduled_post(manager)
    draft = make_post(manager)
    with LocalMastodon() as server:
        scheduler.run_due(connector_for=connector_factory(server.base_url))
        (variant,) = variants_of(post)
        status = server.state.statuses[variant.remote_id]
        status.update(favourites_count=7, reblogs_count=2, replies_count=1)

        def connector_for(_variant: Variant) -> Any:
            return registry.build("mastodon", base_url=server.base_url, credentials={"access_token": TOKEN}, timeout=10)

        first = metrics.collect_metrics(connector_for=connector_for)
        again = metrics.collect_metrics(connector_for=connector_for)  # fresh counters are not read again

    (variant,) = variants_of(post)
    assert (first, again) == (1, 0)
    assert (variant.likes, variant.shares, variant.replies, variant.engagement) == (7, 2, 1, 10)
    assert variants_of(draft)[0].metrics_at is None
