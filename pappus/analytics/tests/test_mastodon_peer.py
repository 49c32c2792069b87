"""Metric collection from a real server speaking Mastodon's client API (snac2, ../shared/peers/mastodon.sh):
a post published there, replied to by another user, and its counters snapshotted hour by hour."""

from __future__ import annotations

import datetime
import time
import uuid

import pytest
from django.utils import timezone

from pappus.analytics import rollups, services
from pappus.analytics.models import AccountSnapshot, CollectionAttempt, CollectionStatus, DailyPostRollup, PostSnapshot
from pappus.analytics.tests.factories import make_published_variant
from pappus.connectors import registry
from pappus.connectors.contracts import PublishRequest
from pappus.connectors.tests.factories import make_account
from pappus.core.models import Workspace

pytestmark = pytest.mark.django_db
DELIVERY_SECONDS = 30  # snac delivers locally through its ActivityPub queue in 3-10 s


def test_collection_reads_the_real_servers_counters(workspace: Workspace, mastodon_peer: dict[str, str]) -> None:
    base_url = mastodon_peer["MASTODON_BASE_URL"]
    with (
        registry.build(
            "mastodon", base_url=base_url, credentials={"access_token": mastodon_peer["MASTODON_ALICE_TOKEN"]}
        ) as alice,
        registry.build(
            "mastodon", base_url=base_url, credentials={"access_token": mastodon_peer["MASTODON_BOB_TOKEN"]}
        ) as bob,
    ):
        published = alice.publish(PublishRequest(text=f"Autumn blend is back {uuid.uuid4().hex[:8]}"))
        followers = alice.account_metrics().followers
        account = make_account(
            workspace,
            base_url=base_url,
            credentials={"access_token": mastodon_peer["MASTODON_ALICE_TOKEN"]},
            remote_id=mastodon_peer["MASTODON_ALICE_ACCOUNT_ID"],
            handle="@alice",
        )
        now = timezone.now()
        make_published_variant(
            workspace, account_id=account.pk, remote_id=published.remote_id, published_at=now, content_type="promo"
        )

        services.collect_all(now=now)

        assert CollectionAttempt.objects.get().status == CollectionStatus.COLLECTED
        assert AccountSnapshot.objects.get().followers == followers
        first = PostSnapshot.objects.get()
        assert (first.remote_id, first.reactions, first.shares, first.comments) == (published.remote_id, 0, 0, 0)

        bob.reply(published.remote_id, PublishRequest(text="Looking forward to it"))
        deadline = time.monotonic() + DELIVERY_SECONDS
        while alice.post_metrics(published.remote_id).replies != 1:
            if time.monotonic() > deadline:
                pytest.fail(f"the reply was not counted within {DELIVERY_SECONDS} s")
            time.sleep(0.5)

    later = now + datetime.timedelta(hours=1)
    services.collect_all(now=later)

    assert list(PostSnapshot.objects.order_by("hour").values_list("comments", flat=True)) == [0, 1]
    rollups.rollups_rebuild(workspace.pk, now.date(), later.date())
    rolled = DailyPostRollup.objects.for_workspace(workspace).filter(content_type="promo")
    assert sum(row.comments or 0 for row in rolled) == 1
    assert sum(row.posts_published for row in rolled) == 1
