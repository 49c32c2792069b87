"""The publishing REST API: the same workflow as the pages, in the {"detail"} error format."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_workspace
from pappus.core.tests.test_api import client_for
from pappus.publishing.models import Post, PostStatus
from pappus.publishing.tests.factories import make_post

pytestmark = pytest.mark.django_db


def test_draft_to_scheduled_through_the_api():
    api, _membership = client_for(Role.CONTENT_MANAGER)
    created = api.post("/posts", {"title": "Launch", "text": "New blend", "content_type": "promo"})
    assert created.status_code == 201
    post_id = created.json()["id"]
    variant = api.post(
        f"/posts/{post_id}/variants",
        {"network": "mastodon", "account_label": "@nordlys", "hashtags": ["#coffee"]},
    )
    assert variant.status_code == 201
    assert variant.json()["text"] == "New blend"
    assert variant.json()["hashtags"] == ["coffee"]
    assert api.post(f"/posts/{post_id}/submit", {}).json()["status"] == "in_review"
    assert api.post(f"/posts/{post_id}/approve", {"note": "ok"}).json()["status"] == "approved"
    when = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    scheduled = api.post(f"/posts/{post_id}/schedule", {"planned_at": when}).json()
    assert scheduled["status"] == "scheduled"
    assert scheduled["variants"][0]["status"] == "scheduled"
    listed = api.get("/posts", {"status": "scheduled", "network": "mastodon"}).json()
    assert [item["id"] for item in listed["items"]] == [post_id]


def test_a_variant_over_the_limit_is_a_422_naming_the_variant_and_limit():
    api, membership = client_for(Role.CONTENT_MANAGER)
    post = make_post(membership)
    response = api.post(
        f"/posts/{post.pk}/variants", {"network": "bluesky", "account_label": "@n.bsky", "text": "z" * 301}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == [
        {"field": None, "message": "Bluesky @n.bsky: the text is 301 characters long; the limit is 300."}
    ]


def test_roles_and_workspaces_are_enforced():
    api, _membership = client_for(Role.EXECUTIVE)
    assert api.post("/posts", {"title": "Nope"}).status_code == 403
    agency_api, agency = client_for(Role.AGENCY)
    owner = make_member(agency.workspace, role=Role.OWNER)
    post = make_post(agency)
    from pappus.publishing import services
    from pappus.publishing.tests.factories import ACTOR

    services.post_submit(actor=ACTOR, membership=agency, post=post)
    services.post_approve(actor=ACTOR, membership=owner, post=post)
    when = (timezone.now() + datetime.timedelta(days=1)).isoformat()
    refused = agency_api.post(f"/posts/{post.pk}/schedule", {"planned_at": when})
    assert refused.status_code == 403
    assert Post.objects.get(pk=post.pk).status == PostStatus.APPROVED
    elsewhere = make_post(make_member(make_workspace(), role=Role.CONTENT_MANAGER))
    assert api.get(f"/posts/{elsewhere.pk}").status_code == 404
    assert api.get(f"/posts/{elsewhere.pk}").json() == {"detail": "Not found."}


def test_publish_as_and_cover_frame_through_the_api_are_checked_against_the_network():
    api, membership = client_for(Role.CONTENT_MANAGER)
    post = make_post(membership)
    variant = api.post(f"/posts/{post.pk}/variants", {"network": "mastodon", "account_label": "@nordlys"}).json()
    assert (variant["publish_as"], variant["cover_frame_ms"]) == ("post", None)
    story = api.patch(f"/variants/{variant['id']}", {"publish_as": "story"})
    assert story.status_code == 422
    assert story.json()["detail"] == [
        {
            "field": None,
            "message": "Mastodon @nordlys: this network does not publish stories; publish it as a post.",
        }
    ]
    frame = api.patch(f"/variants/{variant['id']}", {"cover_frame_ms": -5})
    assert frame.status_code == 422
    assert "cover_frame_ms" in str(frame.json()["detail"])
