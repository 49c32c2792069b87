"""Opinion leaders: discovery from listening with a score whose parts explain themselves, bot signals,
the target audience, the pipeline with agreement, cost, results and ROI, the pages and the API."""

from __future__ import annotations

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from pappus.community import leaders
from pappus.community.models import OpinionLeader
from pappus.community.tests.factories import actor, make_mention, manager
from pappus.community.tests.test_access import bearer, signed_in
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.listening.models import MentionTopic, Topic

pytestmark = pytest.mark.django_db


def listening_world(workspace) -> None:
    brand = Topic.objects.create(workspace=workspace, name="Nordlys", kind="brand", query="nordlys")
    rival = Topic.objects.create(workspace=workspace, name="Rival", kind="competitor", query="rival")
    now = timezone.now()
    for number in range(4):
        mention = make_mention(
            workspace,
            network="instagram",
            author_handle="coffee_kari",
            author_name="Kari",
            author_followers=50_000,
            engagement=2_000,
            sentiment="positive" if number < 3 else "negative",
            language="nb",
            country="NO",
            published_at=now - datetime.timedelta(days=number + 1),
        )
        MentionTopic.objects.create(
            workspace=workspace, mention=mention, topic=brand, published_at=mention.published_at
        )
    rival_mention = make_mention(
        workspace,
        network="instagram",
        author_handle="coffee_kari",
        author_followers=50_000,
        engagement=100,
        sentiment="negative",
        language="nb",
        country="NO",
        published_at=now - datetime.timedelta(days=6),
    )
    MentionTopic.objects.create(workspace=workspace, mention=rival_mention, topic=rival, published_at=now)
    # Within one clock hour, whatever the time of the test run.
    burst = (now - datetime.timedelta(hours=1)).replace(minute=10, second=0, microsecond=0)
    for number in range(25):
        make_mention(
            workspace,
            network="x",
            author_handle="megaphone",
            author_followers=900_000,
            engagement=0,
            language="en",
            country="US",
            published_at=burst + datetime.timedelta(seconds=number),
        )
    make_mention(workspace, network="x", author_handle="once", engagement=10, published_at=now)


def test_discovery_ranks_authors_with_explained_parts_and_flags_bought_audiences():
    membership = manager()
    workspace = membership.workspace
    listening_world(workspace)
    leaders.target_update(
        actor=actor(membership), membership=membership, languages=["nb"], countries=["no"], networks=[]
    )

    result = leaders.discover(workspace.pk)

    assert (result.found, result.new) == (2, 2)  # "once" has a single mention
    kari = OpinionLeader.objects.get(workspace=workspace, handle="coffee_kari")
    mega = OpinionLeader.objects.get(workspace=workspace, handle="megaphone")
    parts = {part["part"]: part for part in kari.score_parts}
    assert set(parts) == {"reach", "engagement", "relevance", "sentiment", "audience"}
    assert parts["relevance"]["explanation"] == "4 of 5 mentions about the brand or its products"
    assert parts["sentiment"]["value"] == 0.75  # (3 - 1) / 4 -> 0.5 -> 0.75
    assert "about competitors 0 positive, 1 negative of 1" in parts["sentiment"]["explanation"]
    assert parts["audience"]["value"] == 1.0
    assert kari.bot_signals == []
    assert len(mega.bot_signals) == 2  # followers without engagement, 25 mentions within one hour
    assert "bought or inactive followers" in mega.bot_signals[0]
    assert kari.score > mega.score
    assert [row.handle for row in leaders.leaders(workspace)] == ["coffee_kari", "megaphone"]

    leaders.leader_update(
        actor=actor(membership), membership=membership, leader=kari, stage="agreed", agreement="2 posts", cost=1000
    )
    again = leaders.discover(workspace.pk)
    kari.refresh_from_db()
    assert (again.new, kari.stage, kari.agreement) == (0, "agreed", "2 posts")


def test_the_pipeline_records_cost_and_results_for_roi_with_checked_numbers():
    membership = manager()
    leader = OpinionLeader.objects.create(workspace=membership.workspace, network="instagram", handle="kari")
    leaders.leader_update(
        actor=actor(membership),
        membership=membership,
        leader=leader,
        stage="results",
        cost=1000,
        currency="nok",
        result_value=2500,
        result_reach=40_000,
    )
    assert (leader.currency, leaders.roi(leader)) == ("NOK", 1.5)
    totals = leaders.totals(membership.workspace)
    assert (totals.by_stage["results"], totals.roi) == (1, 1.5)
    headers = bearer(membership)
    url = f"/api/v1/community/leaders/{leader.pk}"
    body = Client().get(url, headers=headers).json()
    assert (body["stage"], body["cost"], body["roi"]) == ("results", "1000.00", 1.5)
    for bad in ({"cost": 10**20}, {"result_reach": 9253819751 * 10**9}, {"stage": "married"}, {"currency": "NOKK"}):
        assert Client().patch(url, bad, content_type="application/json", headers=headers).status_code == 422, bad
    moved = Client().patch(url, {"stage": "content_live"}, content_type="application/json", headers=headers)
    assert (moved.status_code, moved.json()["stage"]) == (200, "content_live")


def test_the_leaders_page_shows_scores_with_a_chart_and_the_api_discovers():
    membership = manager()
    listening_world(membership.workspace)
    client = signed_in(membership)
    assert client.post(reverse("community:leaders"), {"form": "discover"}).status_code == 302
    page = client.get(reverse("community:leaders")).content.decode()
    assert page.count('data-testid="leader-row"') == 2
    assert 'data-vega-spec="score-spec"' in page
    kari = OpinionLeader.objects.get(handle="coffee_kari")
    detail = client.get(reverse("community:leader", args=[kari.pk])).content.decode()
    assert "4 of 5 mentions about the brand or its products" in detail
    headers = bearer(membership)
    assert Client().post("/api/v1/community/leaders/discover", headers=headers).json() == {"found": 2, "new": 0}
    listed = Client().get("/api/v1/community/leaders?stage=found", headers=headers).json()
    assert [item["handle"] for item in listed["items"]] == ["coffee_kari", "megaphone"]
    target = Client().put(
        "/api/v1/community/leaders-target",
        {"languages": ["nb"], "countries": ["NO"], "networks": []},
        content_type="application/json",
        headers=headers,
    )
    assert target.json()["countries"] == ["NO"]


@pytest.mark.parametrize("role", [Role.AGENCY, Role.DESIGNER])
def test_roles_without_community_access_see_no_leader(role):
    membership = manager()
    leader = OpinionLeader.objects.create(workspace=membership.workspace, network="x", handle="secret_kari")
    outsider = make_member(membership.workspace, role=role)
    for url in (reverse("community:leaders"), reverse("community:leader", args=[leader.pk])):
        response = signed_in(outsider).get(url)
        assert response.status_code == 403
        assert "secret_kari" not in response.content.decode()
    for path in ("/api/v1/community/leaders", f"/api/v1/community/leaders/{leader.pk}"):
        response = Client().get(path, headers=bearer(outsider))
        assert response.status_code == 403
        assert "secret_kari" not in response.content.decode()
