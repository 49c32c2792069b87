"""Metric collection against a local server replaying Mastodon's documented answers
(https://docs.joinmastodon.org/methods/accounts/#verify_credentials,
https://docs.joinmastodon.org/methods/statuses/#get) and a port where nothing listens."""

from __future__ import annotations

import datetime
import socket
from typing import Any

import pytest

from pappus.analytics import rollups, services
from pappus.analytics.models import (
    AccountSnapshot,
    CollectionAttempt,
    CollectionStatus,
    DailyAccountRollup,
    DailyPostRollup,
    PostSnapshot,
)
from pappus.analytics.tests.factories import make_published_variant
from pappus.connectors.models import ConnectedAccount
from pappus.connectors.tests.factories import make_account, mastodon_account_json
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.core.models import Workspace
from pappus.core.tests.factories import make_workspace
from pappus.publishing.models import Variant

pytestmark = pytest.mark.django_db
VERIFY = "/api/v1/accounts/verify_credentials"
NOW = datetime.datetime(2026, 3, 2, 10, 25, tzinfo=datetime.UTC)


def status_json(status_id: str, *, favourites: int, reblogs: int, replies: int) -> dict[str, Any]:
    """A status as https://docs.joinmastodon.org/entities/Status/ documents it (the fields read)."""
    return {
        "id": status_id,
        "created_at": "2026-03-01T09:00:00.000Z",
        "url": f"https://example.social/@brand/{status_id}",
        "content": "<p>Autumn blend is back</p>",
        "favourites_count": favourites,
        "reblogs_count": reblogs,
        "replies_count": replies,
    }


def serve(replay: ReplayServer, *, followers: int, statuses: dict[str, tuple[int, int, int] | None]) -> None:
    replay.reset()
    replay.add("GET", VERIFY, Answer(200, mastodon_account_json(followers_count=followers)), always=True)
    for status_id, counts in statuses.items():
        if counts is None:
            replay.add("GET", f"/api/v1/statuses/{status_id}", Answer(404, {"error": "Record not found"}), always=True)
        else:
            favourites, reblogs, replies = counts
            body = status_json(status_id, favourites=favourites, reblogs=reblogs, replies=replies)
            replay.add("GET", f"/api/v1/statuses/{status_id}", Answer(200, body), always=True)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def brand(workspace: Workspace, replay: ReplayServer) -> ConnectedAccount:
    return make_account(workspace, base_url=replay.url)


def test_snapshots_of_the_account_and_its_published_posts(
    workspace: Workspace, brand: ConnectedAccount, replay: ReplayServer
) -> None:
    make_published_variant(
        workspace, account_id=brand.pk, remote_id="109", published_at=NOW - datetime.timedelta(days=1)
    )
    make_published_variant(
        workspace, account_id=brand.pk, remote_id="110", published_at=NOW - datetime.timedelta(days=2)
    )
    serve(replay, followers=120, statuses={"109": (5, 2, 1), "110": (7, 0, 3)})

    summary = services.collect_all(now=NOW)

    assert (summary.accounts, summary.collected, summary.failed) == (1, 1, 0)
    account = AccountSnapshot.objects.get()
    assert (account.account_id, account.followers, account.following, account.posts) == (brand.pk, 120, 3, 40)
    assert account.hour == datetime.datetime(2026, 3, 2, 10, tzinfo=datetime.UTC)
    posts = {row.remote_id: row for row in PostSnapshot.objects.all()}
    assert {key: (row.reactions, row.shares, row.comments) for key, row in posts.items()} == {
        "109": (5, 2, 1),
        "110": (7, 0, 3),
    }
    assert posts["109"].impressions is None  # Mastodon does not report impressions: stored as unknown, not 0
    attempt = CollectionAttempt.objects.get()
    assert (attempt.status, attempt.posts_read, attempt.posts_failed) == (CollectionStatus.COLLECTED, 2, 0)
    # Publishing got each variant's latest counters too.
    assert sorted(Variant.objects.values_list("remote_id", "likes", "shares", "replies")) == [
        ("109", 5, 2, 1),
        ("110", 7, 0, 3),
    ]


def test_one_collection_per_account_and_hour(
    workspace: Workspace, brand: ConnectedAccount, replay: ReplayServer
) -> None:
    make_published_variant(
        workspace, account_id=brand.pk, remote_id="109", published_at=NOW - datetime.timedelta(days=1)
    )
    serve(replay, followers=120, statuses={"109": (5, 2, 1)})
    services.collect_all(now=NOW)
    serve(replay, followers=125, statuses={"109": (9, 2, 1)})

    again = services.collect_all(now=NOW + datetime.timedelta(minutes=30))

    assert (again.collected, again.skipped) == (0, 1)
    assert replay.requests == []  # nothing read twice in the same hour
    assert list(AccountSnapshot.objects.values_list("followers", flat=True)) == [120]

    services.collect_all(now=NOW + datetime.timedelta(hours=1))
    assert list(AccountSnapshot.objects.order_by("hour").values_list("followers", flat=True)) == [120, 125]
    assert list(PostSnapshot.objects.order_by("hour").values_list("reactions", flat=True)) == [5, 9]


def test_a_failing_account_is_recorded_and_never_costs_the_others_their_snapshots(
    workspace: Workspace, brand: ConnectedAccount, replay: ReplayServer
) -> None:
    other_workspace = make_workspace()
    broken = make_account(other_workspace, base_url=f"http://127.0.0.1:{closed_port()}", handle="@down@example.social")
    make_published_variant(
        workspace, account_id=brand.pk, remote_id="109", published_at=NOW - datetime.timedelta(days=1)
    )
    serve(replay, followers=120, statuses={"109": (5, 2, 1)})

    summary = services.collect_all(now=NOW)

    assert (summary.accounts, summary.collected, summary.failed) == (2, 1, 1)
    assert AccountSnapshot.objects.filter(account_id=brand.pk).count() == 1
    assert PostSnapshot.objects.filter(account_id=brand.pk).count() == 1
    failure = CollectionAttempt.objects.get(account_id=broken.pk)
    assert failure.status == CollectionStatus.FAILED
    assert "could not be reached" in failure.error
    broken.refresh_from_db()
    assert broken.last_error_code == "temporary_failure"  # the connected accounts page shows it too

    # A failed hour is tried again by the next run in the same hour (and counted).
    services.collect_all(now=NOW + datetime.timedelta(minutes=5))
    assert CollectionAttempt.objects.get(account_id=broken.pk).attempts == 2


def test_a_deleted_post_leaves_the_collection_partial_and_the_rest_stored(
    workspace: Workspace, brand: ConnectedAccount, replay: ReplayServer
) -> None:
    make_published_variant(
        workspace, account_id=brand.pk, remote_id="109", published_at=NOW - datetime.timedelta(days=1)
    )
    make_published_variant(
        workspace, account_id=brand.pk, remote_id="404", published_at=NOW - datetime.timedelta(days=1)
    )
    serve(replay, followers=120, statuses={"109": (5, 2, 1), "404": None})

    services.collect_all(now=NOW)

    attempt = CollectionAttempt.objects.get()
    assert (attempt.status, attempt.posts_read, attempt.posts_failed) == (CollectionStatus.PARTIAL, 1, 1)
    assert list(PostSnapshot.objects.values_list("remote_id", flat=True)) == ["109"]


def test_old_posts_and_other_workspaces_posts_are_not_read(
    workspace: Workspace, brand: ConnectedAccount, replay: ReplayServer
) -> None:
    make_published_variant(
        workspace, account_id=brand.pk, remote_id="109", published_at=NOW - datetime.timedelta(days=91)
    )
    other = make_workspace()
    make_published_variant(other, account_id=brand.pk, remote_id="110", published_at=NOW - datetime.timedelta(days=1))
    serve(replay, followers=120, statuses={"109": (5, 2, 1), "110": (1, 1, 1)})

    services.collect_all(now=NOW)

    assert PostSnapshot.objects.count() == 0
    assert [entry.path for entry in replay.requests] == [VERIFY]


def test_hourly_snapshots_roll_up_into_exact_daily_growth(
    workspace: Workspace, brand: ConnectedAccount, replay: ReplayServer
) -> None:
    make_published_variant(
        workspace,
        account_id=brand.pk,
        remote_id="109",
        published_at=NOW - datetime.timedelta(hours=2),
        pillar="Origins",
    )
    day_two = NOW + datetime.timedelta(days=1)
    for moment, followers, reactions in (
        (NOW, 120, 5),
        (NOW + datetime.timedelta(hours=3), 124, 8),
        (day_two, 130, 11),
    ):
        serve(replay, followers=followers, statuses={"109": (reactions, 1, 0)})
        services.collect_all(now=moment)

    rollups.rollups_rebuild(workspace.pk, NOW.date(), day_two.date())

    assert list(DailyAccountRollup.objects.order_by("day").values_list("day", "followers")) == [
        (NOW.date(), 124),
        (day_two.date(), 130),
    ]
    assert list(
        DailyPostRollup.objects.order_by("day").values_list("day", "pillar", "posts_published", "reactions", "shares")
    ) == [(NOW.date(), "Origins", 1, 8, 1), (day_two.date(), "Origins", 0, 3, 0)]
    # Rebuilding only the second day keeps its growth (its baseline is the first day's last snapshot).
    rollups.rollups_rebuild(workspace.pk, day_two.date(), day_two.date())
    assert DailyPostRollup.objects.get(day=day_two.date()).reactions == 3


def test_the_hourly_job_collects_and_rolls_up(
    workspace: Workspace, brand: ConnectedAccount, replay: ReplayServer
) -> None:
    from django.utils import timezone

    from pappus.analytics import tasks

    now = timezone.now()
    # Published earlier today (UTC): an hour ago, or at midnight when the test runs in the day's first
    # hour; a post counts on the day it was published, its reactions on the day they are collected.
    published_at = max(now - datetime.timedelta(hours=1), now.replace(hour=0, minute=0, second=0, microsecond=0))
    make_published_variant(workspace, account_id=brand.pk, remote_id="109", published_at=published_at)
    serve(replay, followers=120, statuses={"109": (5, 2, 1)})

    tasks.collect_metrics()

    today = timezone.now().astimezone(datetime.UTC).date()
    assert list(DailyAccountRollup.objects.values_list("day", "followers")) == [(today, 120)]
    assert list(DailyPostRollup.objects.values_list("day", "reactions", "posts_published")) == [(today, 5, 1)]
