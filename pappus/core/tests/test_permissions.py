"""The role-by-action matrix: the permission table, and its enforcement in core services."""

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError

from pappus.core import services
from pappus.core.audit import Actor
from pappus.core.models import AuditEvent, Membership, WorkspaceManager
from pappus.core.permissions import CUSTOMER_DATA_ACTIONS, ROLE_ACTIONS, Action, Role, require, role_allows
from pappus.core.tests.factories import make_member, make_region, make_user, make_workspace

# What each role may do, written out independently of the table so that a change to one is
# caught by the other. Every cell of the role-by-action matrix is checked.
EXPECTED_EXTRA = {
    Role.EXECUTIVE: set(),
    Role.AGENCY: {"content.draft", "assets.manage", "ads.manage"},
    Role.DESIGNER: {"content.draft", "assets.manage"},
}
WRITE_ACTIONS = {action for action in Action if not action.value.endswith(".view")}


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", list(Action))
def test_matrix_cell(role, action):
    allowed = role_allows(role, action)
    assert allowed == (action in ROLE_ACTIONS[role])
    if role == Role.OWNER:
        assert allowed
    if role == Role.EXECUTIVE:
        assert allowed == action.value.endswith(".view"), "executives read everything and change nothing"
    if role == Role.AGENCY and action in CUSTOMER_DATA_ACTIONS:
        assert not allowed, "an agency never sees customer personal data"
    if role in EXPECTED_EXTRA and action in WRITE_ACTIONS and action != Action.API_TOKENS_MANAGE:
        assert allowed == (action.value in EXPECTED_EXTRA[role])


def test_only_owners_may_delete_a_workspace():
    assert [role for role in Role if role_allows(role, Action.WORKSPACE_DELETE)] == [Role.OWNER]


def test_unknown_role_or_action_is_refused():
    assert not role_allows("superhero", Action.WORKSPACE_VIEW)
    assert not role_allows(Role.OWNER, "workspace.fly")


@pytest.mark.django_db
def test_inactive_membership_is_refused():
    member = make_member(role=Role.OWNER)
    member.is_active = False
    with pytest.raises(PermissionDenied):
        require(member, Action.WORKSPACE_VIEW)


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_workspace_update_service_enforces_the_table(role):
    member = make_member(role=role)
    if role_allows(role, Action.WORKSPACE_MANAGE):
        workspace = services.workspace_update(actor=Actor(member.user), membership=member, currency="NOK")
        assert workspace.currency == "NOK"
        event = AuditEvent.objects.for_workspace(workspace).get(action="workspace.update")
        assert (event.before, event.after, event.actor) == ({"currency": "EUR"}, {"currency": "NOK"}, member.user)
    else:
        with pytest.raises(PermissionDenied):
            services.workspace_update(actor=Actor(member.user), membership=member, currency="NOK")
        member.workspace.refresh_from_db()
        assert member.workspace.currency == "EUR"
        assert not AuditEvent.objects.for_workspace(member.workspace).filter(action="workspace.update").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_region_and_member_services_enforce_the_table(role):
    member = make_member(role=role)
    actor = Actor(member.user)
    if role_allows(role, Action.REGIONS_MANAGE):
        region = services.region_create(actor=actor, membership=member, name="Norway", country_code="no")
        assert region.parent is not None
        assert (region.parent.is_hub, region.country_code) == (True, "NO")
    else:
        with pytest.raises(PermissionDenied):
            services.region_create(actor=actor, membership=member, name="Norway")
    newcomer = make_user()
    if role_allows(role, Action.MEMBERS_MANAGE):
        added = services.membership_add(actor=actor, membership=member, user=newcomer, role=Role.ANALYST)
        assert added.role == Role.ANALYST
    else:
        with pytest.raises(PermissionDenied):
            services.membership_add(actor=actor, membership=member, user=newcomer, role=Role.ANALYST)
        assert not Membership.objects.filter(user=newcomer).exists()


@pytest.mark.django_db
def test_an_admin_cannot_make_an_owner_but_an_owner_can():
    workspace = make_workspace()
    owner = Membership.objects.get(workspace=workspace, role=Role.OWNER)
    admin = make_member(workspace, Role.ADMIN)
    with pytest.raises(PermissionDenied):
        services.membership_add(actor=Actor(admin.user), membership=admin, user=make_user(), role=Role.OWNER)
    promoted = services.membership_add(actor=Actor(owner.user), membership=owner, user=make_user(), role=Role.OWNER)
    assert promoted.role == Role.OWNER


@pytest.mark.django_db
def test_services_refuse_rows_of_another_workspace():
    admin = make_member(role=Role.ADMIN)
    foreign_region = make_region(make_workspace())
    with pytest.raises(foreign_region.DoesNotExist):
        services.region_create(actor=Actor(admin.user), membership=admin, name="Spoke", parent=foreign_region)
    foreign_member = make_member(make_workspace(), Role.ANALYST)
    with pytest.raises(Membership.DoesNotExist):
        services.membership_change_role(
            actor=Actor(admin.user), membership=admin, target=foreign_member, role=Role.EXECUTIVE
        )
    foreign_member.refresh_from_db()
    assert foreign_member.role == Role.ANALYST


def test_every_workspace_owned_model_is_scoped():
    """Tenancy fails closed: a model with a workspace key has the for_workspace manager."""
    owned = [model for model in apps.get_models() if any(f.name == "workspace" for f in model._meta.fields)]
    assert owned, "expected workspace-owned models"
    for model in owned:
        assert isinstance(model._default_manager, WorkspaceManager), f"{model.__name__} lacks WorkspaceManager"


@pytest.mark.django_db
def test_the_last_owner_can_neither_step_down_nor_be_removed():
    workspace = make_workspace()
    owner = Membership.objects.get(workspace=workspace, role=Role.OWNER)
    with pytest.raises(ValidationError, match="only owner"):
        services.membership_change_role(actor=Actor(owner.user), membership=owner, target=owner, role=Role.ADMIN)
    with pytest.raises(ValidationError, match="only owner"):
        services.membership_remove(actor=Actor(owner.user), membership=owner, target=owner)
    owner.refresh_from_db()
    assert owner.role == Role.OWNER
    second = services.membership_add(actor=Actor(owner.user), membership=owner, user=make_user(), role=Role.OWNER)
    services.membership_change_role(actor=Actor(owner.user), membership=owner, target=owner, role=Role.ADMIN)
    assert list(Membership.objects.for_workspace(workspace).filter(role=Role.OWNER)) == [second]


@pytest.mark.django_db
def test_removing_a_member_is_audited_and_limited_by_role():
    workspace = make_workspace()
    admin = make_member(workspace, Role.ADMIN)
    analyst = make_member(workspace, Role.ANALYST)
    owner = Membership.objects.get(workspace=workspace, role=Role.OWNER)
    with pytest.raises(PermissionDenied):
        services.membership_remove(actor=Actor(analyst.user), membership=analyst, target=admin)
    with pytest.raises(PermissionDenied):
        services.membership_remove(actor=Actor(admin.user), membership=admin, target=owner)
    services.membership_remove(actor=Actor(admin.user), membership=admin, target=analyst)
    assert not Membership.objects.filter(pk=analyst.pk).exists()
    event = AuditEvent.objects.for_workspace(workspace).get(action="membership.delete")
    assert event.before["role"] == Role.ANALYST
    assert event.actor == admin.user
    foreign = make_member(make_workspace(), Role.ANALYST)
    with pytest.raises(Membership.DoesNotExist):
        services.membership_remove(actor=Actor(admin.user), membership=admin, target=foreign)
