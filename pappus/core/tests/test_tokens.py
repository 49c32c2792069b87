"""API token services: creation shows the token once and stores only its hash; authentication refuses
every unusable token; revocation is audited and limited to one's own tokens."""

import datetime
import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from pappus.core import tokens
from pappus.core.audit import Actor
from pappus.core.models import ApiToken, AuditEvent, Membership
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_workspace

pytestmark = pytest.mark.django_db


def _issue(membership: Membership, name: str = "CI", **kwargs) -> tokens.IssuedToken:
    return tokens.token_create(actor=Actor(membership.user, via="test"), membership=membership, name=name, **kwargs)


def test_create_returns_the_plain_token_once_and_stores_only_its_hash():
    member = make_member(role=Role.CONTENT_MANAGER)

    issued = _issue(member, name="  Reporting script  ")

    assert issued.plain.startswith("pap_")
    assert len(issued.plain) == 4 + 43
    row = ApiToken.objects.get(pk=issued.token.pk)
    assert row.name == "Reporting script"
    assert row.user_id == member.user_id
    assert row.workspace_id == member.workspace_id
    assert row.token_hash == hashlib.sha256(issued.plain.encode()).hexdigest()
    assert row.prefix == issued.plain[:12]
    stored = [
        str(value) for value in ApiToken.objects.values_list(*[f.attname for f in ApiToken._meta.concrete_fields])
    ]
    assert not any(issued.plain in value for value in stored)


def test_create_is_audited_without_the_token_or_its_hash():
    member = make_member(role=Role.ANALYST)

    issued = _issue(member)

    event = AuditEvent.objects.get(action="api_token.create")
    assert event.workspace_id == member.workspace_id
    assert event.actor_id == member.user_id
    assert event.object_id == str(issued.token.pk)
    assert event.after["name"] == "CI"
    assert event.after["prefix"] == issued.plain[:12]
    everything = repr(list(AuditEvent.objects.values()))
    assert issued.plain not in everything
    assert issued.token.token_hash not in everything


@pytest.mark.parametrize("role", [Role.DESIGNER, Role.AGENCY, Role.EXECUTIVE])
def test_roles_without_api_tokens_manage_cannot_create_tokens(role):
    member = make_member(role=role)

    with pytest.raises(PermissionDenied):
        _issue(member)

    assert not ApiToken.objects.exists()


def test_create_refuses_a_blank_name_and_a_past_expiry():
    member = make_member(role=Role.ADMIN)

    with pytest.raises(ValidationError) as blank:
        _issue(member, name="   ")
    with pytest.raises(ValidationError) as past:
        _issue(member, expires_at=timezone.now() - datetime.timedelta(seconds=1))

    assert list(blank.value.message_dict) == ["name"]
    assert list(past.value.message_dict) == ["expires_at"]


def test_authenticate_returns_the_membership_with_user_and_workspace(django_assert_num_queries):
    member = make_member(role=Role.STRATEGIST)
    issued = _issue(member)

    with django_assert_num_queries(3):  # token with user and workspace, membership, last_used_at
        membership = tokens.token_authenticate(issued.plain)

    assert membership == member
    with django_assert_num_queries(0):
        assert membership.user.email == member.user.email
        assert membership.workspace.name == member.workspace.name


@pytest.mark.parametrize(
    "plain",
    ["", "pap_", "pap_unknown", "Bearer pap_x", "x" * 47, "pap_" + "a" * 200],
)
def test_authenticate_refuses_unknown_tokens(plain):
    _issue(make_member(role=Role.ADMIN))

    assert tokens.token_authenticate(plain) is None


def test_authenticate_refuses_a_revoked_token():
    member = make_member(role=Role.ADMIN)
    issued = _issue(member)

    tokens.token_revoke(actor=Actor(member.user), membership=member, token_id=issued.token.pk)

    assert tokens.token_authenticate(issued.plain) is None


def test_authenticate_refuses_an_expired_token_and_accepts_it_before_expiry():
    member = make_member(role=Role.ADMIN)
    issued = _issue(member, expires_at=timezone.now() + datetime.timedelta(hours=1))
    assert tokens.token_authenticate(issued.plain) == member

    ApiToken.objects.filter(pk=issued.token.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    assert tokens.token_authenticate(issued.plain) is None


def test_authenticate_refuses_an_inactive_user_an_inactive_membership_and_a_removed_one():
    first, second, third = (make_member(role=Role.ADMIN) for _ in range(3))
    issued = [_issue(member) for member in (first, second, third)]

    first.user.is_active = False
    first.user.save(update_fields=["is_active"])
    second.is_active = False
    second.save(update_fields=["is_active"])
    third.delete()

    assert [tokens.token_authenticate(token.plain) for token in issued] == [None, None, None]


def test_authenticate_acts_with_the_current_role():
    member = make_member(role=Role.ADMIN)
    issued = _issue(member)

    member.role = Role.AGENCY
    member.save(update_fields=["role"])

    membership = tokens.token_authenticate(issued.plain)
    assert membership is not None
    assert membership.role == Role.AGENCY


def test_last_used_at_is_written_at_most_once_a_minute(django_assert_num_queries):
    member = make_member(role=Role.ADMIN)
    issued = _issue(member)
    assert issued.token.last_used_at is None

    tokens.token_authenticate(issued.plain)
    first_use = ApiToken.objects.get(pk=issued.token.pk).last_used_at
    assert first_use is not None
    assert timezone.now() - first_use < datetime.timedelta(seconds=10)

    with django_assert_num_queries(2):  # no write within the minute
        tokens.token_authenticate(issued.plain)
    assert ApiToken.objects.get(pk=issued.token.pk).last_used_at == first_use

    an_hour_ago = timezone.now() - datetime.timedelta(hours=1)
    ApiToken.objects.filter(pk=issued.token.pk).update(last_used_at=an_hour_ago)
    tokens.token_authenticate(issued.plain)
    last_used_at = ApiToken.objects.get(pk=issued.token.pk).last_used_at
    assert last_used_at is not None
    assert last_used_at > an_hour_ago + datetime.timedelta(minutes=59)


def test_revoke_is_audited_and_repeating_it_changes_nothing():
    member = make_member(role=Role.ADMIN)
    issued = _issue(member)

    revoked = tokens.token_revoke(actor=Actor(member.user), membership=member, token_id=issued.token.pk)
    revoked_at = revoked.revoked_at
    again = tokens.token_revoke(actor=Actor(member.user), membership=member, token_id=issued.token.pk)

    assert revoked_at is not None
    assert again.revoked_at == revoked_at
    events = AuditEvent.objects.filter(action="api_token.revoke")
    assert events.count() == 1
    assert events.get().object_id == str(issued.token.pk)


def test_revoke_reaches_only_ones_own_tokens_in_ones_own_workspace():
    workspace = make_workspace()
    member = make_member(workspace, role=Role.ADMIN)
    colleague_token = _issue(make_member(workspace, role=Role.ADMIN))
    other_workspace_member = make_member(role=Role.ADMIN, user=member.user)
    own_token_elsewhere = _issue(other_workspace_member)

    for token_id in (colleague_token.token.pk, own_token_elsewhere.token.pk):
        with pytest.raises(ApiToken.DoesNotExist):
            tokens.token_revoke(actor=Actor(member.user), membership=member, token_id=token_id)

    assert not ApiToken.objects.filter(revoked_at__isnull=False).exists()


def test_a_token_acts_only_in_its_own_workspace():
    member = make_member(role=Role.ADMIN)
    make_member(role=Role.OWNER, user=member.user)  # the same person in another workspace
    issued = _issue(member)

    membership = tokens.token_authenticate(issued.plain)

    assert membership is not None
    assert membership.workspace_id == member.workspace_id


def test_tokens_of_lists_only_the_members_tokens_in_the_members_workspace():
    workspace = make_workspace()
    member = make_member(workspace, role=Role.ADMIN)
    own = [_issue(member, name=f"token {number}") for number in range(2)]
    _issue(make_member(workspace, role=Role.ADMIN))
    _issue(make_member(role=Role.ADMIN, user=member.user))

    assert sorted(token.pk for token in tokens.tokens_of(member)) == sorted(issued.token.pk for issued in own)
