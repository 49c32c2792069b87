"""Removing members and keeping an owner, through the web page and the API."""

import pytest
from django.test import Client
from django.urls import reverse

from pappus.core.models import Membership
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_workspace
from pappus.core.tests.test_api import ApiClient, fields_of, token_for

pytestmark = pytest.mark.django_db


def test_an_admin_removes_a_member_from_the_team_page():
    workspace = make_workspace()
    admin = make_member(workspace, Role.ADMIN)
    analyst = make_member(workspace, Role.ANALYST, full_name="Дмитрий Соколов")
    client = Client()
    client.force_login(admin.user)

    page = client.get(reverse("core:members")).content.decode()
    assert reverse("core:member_remove", args=[analyst.pk]) in page
    response = client.post(reverse("core:member_remove", args=[analyst.pk]), follow=True)

    assert "Дмитрий Соколов is no longer a member of this workspace." in response.content.decode()
    assert not Membership.objects.filter(pk=analyst.pk).exists()


def test_the_team_page_refuses_to_demote_the_only_owner_and_says_why():
    workspace = make_workspace()
    owner = Membership.objects.get(workspace=workspace, role=Role.OWNER)
    client = Client()
    client.force_login(owner.user)

    response = client.post(
        reverse("core:member_role", args=[owner.pk]), {f"member-{owner.pk}-role": Role.ANALYST}, follow=True
    )

    assert "is the only owner: make someone else an owner first." in response.content.decode()
    owner.refresh_from_db()
    assert owner.role == Role.OWNER


def test_a_content_manager_cannot_remove_anyone():
    workspace = make_workspace()
    writer = make_member(workspace, Role.CONTENT_MANAGER)
    analyst = make_member(workspace, Role.ANALYST)
    client = Client()
    client.force_login(writer.user)
    assert client.post(reverse("core:member_remove", args=[analyst.pk])).status_code == 403
    assert Membership.objects.filter(pk=analyst.pk).exists()


def test_api_delete_member_and_last_owner_guard():
    workspace = make_workspace()
    admin = Membership.objects.get(workspace=workspace, role=Role.OWNER)
    api = ApiClient(token_for(admin))
    analyst = make_member(workspace, Role.ANALYST)
    assert api.delete(f"/members/{analyst.pk}").status_code == 204
    assert not Membership.objects.filter(pk=analyst.pk).exists()

    refused = api.patch(f"/members/{admin.pk}", {"role": Role.ADMIN})
    assert refused.status_code == 422
    assert fields_of(refused) == ["role"]
    assert api.delete(f"/members/{admin.pk}").status_code == 422

    foreign = make_member(make_workspace(), Role.ANALYST)
    assert api.delete(f"/members/{foreign.pk}").status_code == 404
    assert Membership.objects.filter(pk=foreign.pk).exists()
