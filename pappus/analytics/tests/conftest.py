"""Fixtures of the analytics tests: a replay server of Mastodon's documented answers and the real
Mastodon peer (../shared/peers/mastodon.sh), started as the connector tests start them."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from django.utils import translation

from conftest import start_peer
from pappus.analytics import rollups
from pappus.analytics.tests.factories import account_snapshot, at, make_published_variant, post_snapshot
from pappus.connectors.tests.replay import ReplayServer
from pappus.core.models import Region, Workspace
from pappus.core.tests.factories import make_region
from pappus.inbox.models import Conversation, ConversationStatus
from pappus.listening.models import MentionRollup, Topic, TopicKind
from pappus.publishing.models import Post, PostStatus, Variant, VariantStatus

# The hand-computed fixture's period: 10-16 March 2026 (7 UTC days); the previous period is 3-9 March.
FIRST, LAST = datetime.date(2026, 3, 10), datetime.date(2026, 3, 16)


@pytest.fixture(autouse=True)
def english_after_each_test() -> Iterator[None]:
    yield
    translation.activate("en")


@pytest.fixture(scope="module")
def replay_server() -> Iterator[ReplayServer]:
    server = ReplayServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def replay(replay_server: ReplayServer) -> ReplayServer:
    replay_server.reset()
    return replay_server


@pytest.fixture(scope="session")
def mastodon_peer() -> dict[str, str]:
    return start_peer("mastodon", timeout=300)


@pytest.fixture
def spoke(workspace: Workspace) -> Region:
    return make_region(workspace, "Norway")


@pytest.fixture
def fixture(workspace: Workspace, spoke: Region) -> Workspace:
    # Accounts: 1 on Mastodon (no region), 2 on Bluesky in the Norway spoke.
    account_snapshot(workspace, 1, at(9), 100)
    account_snapshot(workspace, 1, at(12), 110)
    account_snapshot(workspace, 1, at(16, 10), 120)
    account_snapshot(workspace, 1, at(16, 20), 125)  # the day's last snapshot counts
    account_snapshot(workspace, 2, at(11), 50, network="bluesky", region_id=spoke.pk)
    account_snapshot(workspace, 2, at(15), 58, network="bluesky", region_id=spoke.pk)

    first = make_published_variant(
        workspace, account_id=1, remote_id="m1", published_at=at(9, 9), content_type="promo", pillar="Origins"
    )
    post_snapshot(workspace, first, at(9, 15), impressions=1000, reactions=40, comments=5, shares=5)
    post_snapshot(workspace, first, at(12), impressions=1500, reactions=60, comments=10, shares=10)
    second = make_published_variant(
        workspace,
        account_id=2,
        remote_id="b1",
        network="bluesky",
        published_at=at(14, 8),
        content_type="educational",
        pillar="Brewing",
        region=spoke,
    )
    post_snapshot(workspace, second, at(14), impressions=200, reactions=10, comments=2, shares=0, saves=3)
    post_snapshot(workspace, second, at(15), impressions=400, reactions=14, comments=2, shares=1, saves=3)
    rollups.rollups_backfill(workspace.pk)

    brand = Topic.objects.create(workspace=workspace, name="Nordlys", kind=TopicKind.BRAND, query="nordlys")
    rival = Topic.objects.create(workspace=workspace, name="Rival", kind=TopicKind.COMPETITOR, query="rival")
    for topic_id, sentiment, count, day in (
        (0, "positive", 30, 11),
        (0, "neutral", 50, 12),
        (0, "negative", 20, 13),
        (0, "negative", 99, 5),  # previous period
        (0, "", 40, 12),  # not analysed: not counted in sentiment KPIs
        (brand.pk, "positive", 60, 11),
        (rival.pk, "neutral", 40, 12),
    ):
        MentionRollup.objects.create(
            workspace=workspace, hour=at(day, 9), topic_id=topic_id, sentiment=sentiment, source_id=1, count=count
        )

    for number, (created, answered, closed) in enumerate(
        (
            (at(10, 8), at(10, 10), at(11, 8)),  # 2 h to answer, 24 h to close
            (at(12, 0), at(12, 4), None),  # 4 h, still open
            (at(13, 0), at(13, 1), at(13, 6)),  # 1 h, 6 h
            (at(4, 0), at(5, 0), None),  # answered in the previous period, after 24 h
        )
    ):
        Conversation.objects.create(
            workspace=workspace,
            external_scope="network:mastodon",
            network="mastodon",
            thread_key=f"thread-{number}",
            customer_handle=f"@c{number}",
            customer_key=f"@c{number}",
            created_at=created,
            first_responded_at=answered,
            closed_at=closed,
            status=ConversationStatus.CLOSED if closed else ConversationStatus.OPEN,
        )

    for number, status in enumerate((VariantStatus.PUBLISHED,) * 3 + (VariantStatus.FAILED, VariantStatus.SCHEDULED)):
        post = Post.objects.create(
            workspace=workspace, title=f"Planned {number}", status=PostStatus.SCHEDULED, planned_at=at(11 + number)
        )
        Variant.objects.create(workspace=workspace, post=post, network="mastodon", status=status)
    return workspace
