"""The API tokens page: create (the token shown once), list and revoke one's own tokens."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from pappus.core import tokens
from pappus.core.audit import Actor
from pappus.core.models import ApiToken, AuditEvent
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member

pytestmark = pytest.mark.django_db

URL = "/api-tokens/"


def signed_in(role: str = Role.CONTENT_MANAGER):
    membership = make_member(role=role)
    client = Client()
    client.force_login(membership.user)
    return client, membership


def test_the_page_lives_at_its_url_and_in_the_navigation():
    client, _ = signed_in()

    response = client.get(URL)

    assert reverse("core:api_tokens") == URL
    assert response.status_code == 200
    assert f'href="{URL}"' in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_creating_a_token_shows_it_once_and_it_works_on_the_api():
    client, membership = signed_in()

    created = client.post(URL, {"name": "Weekly report", "expires_in_days": "30"})

    assert created.status_code == 200
    assert "no-store" in created["Cache-Control"]
    match = re.search(r'data-testid="new-token-value">(pap_[A-Za-z0-9_-]{43})<', created.content.decode())
    assert match is not None
    plain = match.group(1)
    token = ApiToken.objects.get(user=membership.user)
    assert token.name == "Weekly report"
    assert token.expires_at is not None
    api = Client().get("/api/v1/me", headers={"Authorization": f"Bearer {plain}"})
    assert api.json()["membership"]["id"] == membership.pk
    again = client.get(URL).content.decode()
    assert plain not in again
    assert token.prefix in again
    assert plain not in str(list(client.session.items()))


def test_a_token_without_a_name_is_refused_next_to_the_field():
    client, membership = signed_in()

    response = client.post(URL, {"name": "", "expires_in_days": ""})

    assert response.status_code == 400
    assert "field--invalid" in response.content.decode()
    assert not ApiToken.objects.filter(user=membership.user).exists()


def test_revoking_a_token_from_the_page():
    client, membership = signed_in()
    issued = tokens.token_create(actor=Actor(membership.user), membership=membership, name="Old script")

    response = client.post(URL, {"revoke": str(issued.token.pk)})

    assert response.status_code == 302
    assert ApiToken.objects.get(pk=issued.token.pk).revoked_at is not None
    assert AuditEvent.objects.filter(action="api_token.revoke", via="web", actor=membership.user).exists()
    assert "Revoked" in client.get(URL).content.decode()


def test_the_page_shows_and_revokes_only_ones_own_tokens():
    client, membership = signed_in()
    colleague = make_member(membership.workspace, role=Role.ADMIN)
    theirs = tokens.token_create(actor=Actor(colleague.user), membership=colleague, name="Colleague's script")

    page = client.get(URL).content.decode()
    response = client.post(URL, {"revoke": str(theirs.token.pk)})

    assert "Colleague&#x27;s script" not in page
    assert response.status_code == 302
    assert ApiToken.objects.get(pk=theirs.token.pk).revoked_at is None


@pytest.mark.parametrize("role", [Role.DESIGNER, Role.AGENCY, Role.EXECUTIVE])
def test_roles_without_api_tokens_manage_get_403(role):
    client, _ = signed_in(role)

    assert client.get(URL).status_code == 403
    assert client.post(URL, {"name": "x"}).status_code == 403
