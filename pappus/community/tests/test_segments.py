"""Segments: saved member filters, their members now, the pages and API, the inbox's customer tier."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from pappus.community import facade, segments, services
from pappus.community.models import Member, Segment
from pappus.community.tests.factories import actor, add_activity, make_identity, manager, member_of
from pappus.community.tests.test_access import bearer, signed_in
from pappus.core.models import AuditEvent
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member

pytestmark = pytest.mark.django_db


def tagged(membership, handle: str, *tags: str, network: str = "instagram") -> Member:
    member = member_of(make_identity(membership.workspace, network, handle=handle))
    return services.member_update(actor=actor(membership), membership=membership, member=member, tags=list(tags))


def test_a_segment_holds_whoever_matches_its_terms_now():
    membership = manager()
    vip = tagged(membership, "vera", "vip")
    tagged(membership, "olaf", "oslo")
    segment = segments.segment_create(
        actor=actor(membership), membership=membership, name="VIPs", filters={"tag": "VIP", "consent": None}
    )
    assert segment.filters == {"tag": "vip"}
    assert list(segments.members(membership.workspace, segment)) == [vip]
    late = tagged(membership, "lisa", "vip")
    assert set(segments.members(membership.workspace, segment)) == {vip, late}
    assert AuditEvent.objects.filter(action="community.segment.create", workspace=membership.workspace).exists()

    segments.segment_update(
        actor=actor(membership), membership=membership, segment=segment, filters={"tag": "vip", "min_score": 5}
    )
    assert list(segments.members(membership.workspace, segment)) == []


def test_segment_terms_are_checked_by_name():
    membership = manager()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"colour": "red"}, "Unknown filter terms: colour"),
        ({"stages": ["king"]}, "filters.stages"),
        ({"min_score": 10**12}, "filters.min_score"),
        ({"active_within_days": 9253819751}, "filters.active_within_days"),
        ({"consent": "yes"}, "filters.consent"),
    ]
    for terms, message in cases:
        with pytest.raises(ValidationError) as refused:
            segments.segment_create(actor=actor(membership), membership=membership, name="x", filters=terms)
        assert message in str(refused.value.message_dict["filters"]), terms
    segments.segment_create(actor=actor(membership), membership=membership, name="Same", filters={})
    with pytest.raises(ValidationError) as refused:
        segments.segment_create(actor=actor(membership), membership=membership, name="Same", filters={})
    assert "name" in refused.value.message_dict


def test_the_member_list_filters_by_segment_on_the_page_and_in_the_api():
    membership = manager()
    tagged(membership, "vera", "vip")
    tagged(membership, "olaf", "oslo")
    client = signed_in(membership)
    response = client.post(
        reverse("community:segments"),
        {"name": "VIPs", "tag": "vip", "priority": "10", "tier": "gold", "stages": ["follower"]},
    )
    assert response.status_code == 302
    segment = Segment.objects.get(workspace=membership.workspace)
    assert segment.filters == {"stages": ["follower"], "tag": "vip"}
    listing = client.get(reverse("community:segments")).content.decode()
    assert 'data-testid="segment-size">1<' in listing
    page = client.get(reverse("community:members"), {"segment": segment.pk}).content.decode()
    assert page.count('data-testid="member-row"') == 1
    assert "@vera" in page or "vera" in page
    assert "olaf" not in page

    headers = bearer(membership)
    listed = Client().get(f"/api/v1/community/members?segment={segment.pk}", headers=headers).json()
    assert [item["id"] for item in listed["items"]] == [
        member_of(make_identity(membership.workspace, "instagram", handle="vera")).pk
    ]
    assert Client().get("/api/v1/community/members?segment=9253819751", headers=headers).status_code == 404
    assert Client().get(f"/api/v1/community/members?segment={2**64}", headers=headers).status_code == 422


def test_segments_api_creates_changes_and_deletes_with_bounded_numbers():
    membership = manager()
    tagged(membership, "vera", "vip")
    headers = bearer(membership)
    url = "/api/v1/community/segments"
    created = Client().post(
        url,
        {"name": "VIPs", "tier": "gold", "filters": {"tag": "vip", "stages": ["follower"]}},
        content_type="application/json",
        headers=headers,
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["members"], body["members_capped"], body["filters"]) == (
        1,
        False,
        {"stages": ["follower"], "tag": "vip"},
    )
    for payload in (
        {"name": "x", "priority": 9253819751},
        {"name": "x", "filters": {"active_within_days": 9253819751}},
        {"name": "x", "filters": {"min_score": 1e300}},
        {"name": "x", "filters": {"stages": ["king"]}},
    ):
        response = Client().post(url, payload, content_type="application/json", headers=headers)
        assert response.status_code == 422, payload
    duplicate = Client().post(url, {"name": "VIPs"}, content_type="application/json", headers=headers)
    assert duplicate.status_code == 422
    assert "name" in duplicate.content.decode()
    changed = Client().patch(
        f"{url}/{body['id']}", {"filters": {"tag": "oslo"}}, content_type="application/json", headers=headers
    )
    assert (changed.status_code, changed.json()["members"]) == (200, 0)
    assert Client().delete(f"{url}/{body['id']}", headers=headers).status_code == 204
    assert not Segment.objects.filter(pk=body["id"]).exists()


def test_the_inbox_gets_the_tier_of_the_first_matching_segment_and_nothing_personal():
    membership = manager()
    vera = tagged(membership, "vera_v", "vip")
    add_activity(make_identity(membership.workspace, "instagram", handle="vera_v"), "ugc")
    segments.segment_create(
        actor=actor(membership), membership=membership, name="Everyone", filters={}, tier="silver", priority=50
    )
    segments.segment_create(
        actor=actor(membership), membership=membership, name="VIPs", filters={"tag": "vip"}, tier="gold", priority=10
    )
    assert facade.customer_tier(membership.workspace.pk, "instagram", "@Vera_V") == "gold"
    tagged(membership, "olaf", "oslo")
    assert facade.customer_tier(membership.workspace.pk, "instagram", "olaf") == "silver"
    assert facade.customer_tier(membership.workspace.pk, "instagram", "nobody") == ""
    assert facade.customer_tier(membership.workspace.pk, "bluesky", "vera_v") == ""
    sizes = facade.segment_sizes(membership.workspace.pk)
    assert [(size.name, size.tier, size.members) for size in sizes] == [("VIPs", "gold", 1), ("Everyone", "silver", 2)]
    assert vera.pk  # the facade answers with tiers and counts only


@pytest.mark.parametrize("role", [Role.AGENCY, Role.DESIGNER])
def test_roles_without_community_access_see_no_segment(role):
    membership = manager()
    segment = segments.segment_create(
        actor=actor(membership), membership=membership, name="VIPs", filters={"search": "vera@example.com"}
    )
    outsider = make_member(membership.workspace, role=role)
    client = signed_in(outsider)
    for url in (reverse("community:segments"), reverse("community:segment", args=[segment.pk])):
        response = client.get(url)
        assert response.status_code == 403
        assert "vera@example.com" not in response.content.decode()
    headers = bearer(outsider)
    for path in ("/api/v1/community/segments", f"/api/v1/community/segments/{segment.pk}"):
        response = Client().get(path, headers=headers)
        assert response.status_code == 403
        assert "vera@example.com" not in response.content.decode()
    assert client.post(reverse("community:segments"), {"name": "x", "priority": "1"}).status_code == 403
