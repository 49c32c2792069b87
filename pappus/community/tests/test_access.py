"""Customer data stays in-house: every role by every community page and API operation. The agency
role gets 403 everywhere and never a byte of a member's personal data; the others get what the
permission table gives them (community.view, community.manage, customer_data.export/erase)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from pappus.community import segments, services
from pappus.community.models import Member, MergeRecord, MergeSuggestion
from pappus.community.tests.factories import actor, add_activity, make_identity, manager, member_of
from pappus.core import tokens
from pappus.core.audit import Actor
from pappus.core.models import Membership
from pappus.core.permissions import Action, Role, role_allows
from pappus.core.tests.factories import make_member, make_workspace

pytestmark = pytest.mark.django_db

SECRETS = ("Sigrid Secret", "sigrid@example.com", "sigrid_s", "4790011223", "Prefers decaf")


@pytest.fixture
def world():
    """A workspace with one fully described member, a suggestion, a merge and an import."""
    membership = manager()
    workspace = membership.workspace
    identity = make_identity(
        workspace, "instagram", handle="sigrid_s", display_name="Sigrid Secret", email="sigrid@example.com"
    )
    add_activity(identity, "purchase", title="Espresso machine")
    member = member_of(identity)
    services.member_update(actor=actor(membership), membership=membership, member=member, phone="+47 900 11 223")
    services.note_add(actor=actor(membership), membership=membership, member=member, text="Prefers decaf")
    make_identity(workspace, "bluesky", handle="sigrid.s")
    services.resolve(workspace.pk)
    third = member_of(make_identity(workspace, "x", handle="third"))
    fourth = member_of(make_identity(workspace, "x", handle="fourth"))
    record = services.member_merge(actor=actor(membership), membership=membership, target=third, absorbed=fourth)
    batch = services.import_upload(
        actor=actor(membership),
        membership=membership,
        file_name="crm.csv",
        data=b"email,name\nsigrid@example.com,Sigrid Secret\n",
        source_name="crm",
    )
    services.loyalty_recompute(workspace.pk)
    segment = segments.segment_create(
        actor=actor(membership), membership=membership, name="Sigrid's friends", filters={"search": "sigrid_s"}
    )
    return {
        "segment": segment,
        "workspace": workspace,
        "member": member,
        "suggestion": MergeSuggestion.objects.get(workspace=workspace),
        "record": record,
        "import": batch,
    }


def pages(world: dict[str, Any]) -> list[str]:
    return [
        reverse("community:members"),
        reverse("community:members") + "?q=sigrid",
        reverse("community:member", args=[world["member"].pk]),
        reverse("community:suggestions"),
        reverse("community:core_fans"),
        reverse("community:imports"),
        reverse("community:import", args=[world["import"].pk]),
        reverse("community:settings"),
        reverse("community:health"),
        reverse("community:leaders"),
        reverse("community:events"),
        reverse("community:segments"),
        reverse("community:segment", args=[world["segment"].pk]),
        reverse("community:members") + f"?segment={world['segment'].pk}",
    ]


def api_reads(world: dict[str, Any]) -> list[str]:
    member = world["member"].pk
    return [
        "/api/v1/community/members",
        "/api/v1/community/members?q=sigrid",
        f"/api/v1/community/members/{member}",
        "/api/v1/community/suggestions",
        "/api/v1/community/merges",
        "/api/v1/community/core-fans",
        "/api/v1/community/settings",
        "/api/v1/community/health",
        "/api/v1/community/leaders",
        "/api/v1/community/events",
        "/api/v1/community/segments",
        f"/api/v1/community/segments/{world['segment'].pk}",
        f"/api/v1/community/members?segment={world['segment'].pk}",
    ]


def bearer(membership: Membership) -> dict[str, str]:
    """A token of the member; roles that may not make tokens (designer, agency) get one made while they
    held another role, as a person keeps a token after their role changes."""
    role = membership.role
    membership.role = Role.OWNER
    token = tokens.token_create(actor=Actor.system("test"), membership=membership, name="test").plain
    membership.role = role
    return {"Authorization": f"Bearer {token}"}


def signed_in(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def no_secrets(body: str) -> bool:
    return not any(secret in body for secret in SECRETS)


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_community_pages_and_api_as_the_table_says(world, role):
    reader = make_member(world["workspace"], role=role)
    may_view = role_allows(role, Action.COMMUNITY_VIEW)
    client = signed_in(reader)
    for url in pages(world):
        response = client.get(url)
        assert response.status_code == (200 if may_view else 403), (role, url)
        if not may_view:
            assert no_secrets(response.content.decode()), (role, url)
    detail = client.get(reverse("community:member", args=[world["member"].pk])).content.decode()
    assert ("Sigrid Secret" in detail and "Prefers decaf" in detail) == may_view
    home = client.get(reverse("core:home")).content.decode()
    assert ('href="/community/"' in home) == may_view
    headers = bearer(reader)
    for path in api_reads(world):
        response = Client().get(path, headers=headers)
        assert response.status_code == (200 if may_view else 403), (role, path)
        if not may_view:
            assert no_secrets(response.content.decode()), (role, path)
    listed = Client().get("/api/v1/community/members?q=sigrid", headers=headers)
    if may_view:
        assert "sigrid@example.com" in [item["email"] for item in listed.json()["items"]]


@pytest.mark.parametrize("role", list(Role))
def test_every_role_changes_exports_and_erases_only_as_the_table_says(world, role):
    person = make_member(world["workspace"], role=role)
    member = world["member"]
    headers = bearer(person)
    client = signed_in(person)
    may_manage = role_allows(role, Action.COMMUNITY_MANAGE)
    may_export = role_allows(role, Action.CUSTOMER_DATA_EXPORT)
    may_erase = role_allows(role, Action.CUSTOMER_DATA_ERASE)

    response = Client().patch(
        f"/api/v1/community/members/{member.pk}", {"tags": ["x"]}, content_type="application/json", headers=headers
    )
    assert response.status_code == (200 if may_manage else 403)
    response = client.post(reverse("community:member", args=[member.pk]), {"form": "note", "text": "hello"})
    assert response.status_code == (302 if may_manage else 403)
    suggestion = world["suggestion"]
    response = Client().post(f"/api/v1/community/suggestions/{suggestion.pk}/reject", headers=headers)
    assert response.status_code == (200 if may_manage else 403)
    response = client.post(reverse("community:merge_split", args=[world["record"].pk]))
    assert response.status_code == (302 if may_manage else 403)
    assert (MergeRecord.objects.get(pk=world["record"].pk).split_at is not None) == may_manage

    web_export = client.post(reverse("community:member_export", args=[member.pk]))
    api_export = Client().get(f"/api/v1/community/members/{member.pk}/export", headers=headers)
    assert web_export.status_code == api_export.status_code == (200 if may_export else 403)
    if may_export:
        assert "Prefers decaf" in web_export.content.decode()
        assert api_export.json()["identities"][0]["handle"] == "sigrid_s"
    else:
        assert no_secrets(web_export.content.decode() + api_export.content.decode())

    response = Client().delete(f"/api/v1/community/members/{member.pk}?reason=ticket", headers=headers)
    assert response.status_code == (200 if may_erase else 403)
    assert Member.objects.filter(pk=member.pk).exists() != may_erase


def test_the_agency_is_refused_even_with_a_token_made_under_another_role(world):
    person = make_member(world["workspace"], role=Role.COMMUNITY_MANAGER)
    headers = bearer(person)
    person.role = Role.AGENCY
    person.save(update_fields=["role"])
    for path in api_reads(world):
        response = Client().get(path, headers=headers)
        assert response.status_code == 403, path
        assert no_secrets(response.content.decode())
    response = Client().post("/api/v1/community/resolve", headers=headers)
    assert response.status_code == 403


def test_another_workspaces_member_is_not_found(world):
    outsider = make_member(make_workspace(name="Elsewhere"), role=Role.OWNER)
    member = world["member"].pk
    assert signed_in(outsider).get(reverse("community:member", args=[member])).status_code == 404
    response = Client().get(f"/api/v1/community/members/{member}", headers=bearer(outsider))
    assert response.status_code == 404
    assert no_secrets(response.content.decode())
    assert Client().delete(f"/api/v1/community/members/{member}", headers=bearer(outsider)).status_code == 404


def test_retention_beyond_a_hundred_years_is_refused_by_name_and_nothing_changes(world):
    owner = make_member(world["workspace"], role=Role.OWNER)
    headers = bearer(owner)
    url = "/api/v1/community/settings"
    assert (
        Client().patch(url, {"retention_days": 400}, content_type="application/json", headers=headers).status_code
        == 200
    )
    response = Client().patch(url, {"retention_days": 9253819751}, content_type="application/json", headers=headers)
    assert response.status_code == 422
    assert "retention_days" in response.content.decode()
    assert Client().get(url, headers=headers).json()["retention_days"] == 400
    with pytest.raises(ValidationError) as refused:
        services.settings_update(actor=actor(owner), membership=owner, retention_days=36_501)
    assert "36500" in str(refused.value.message_dict["retention_days"])
