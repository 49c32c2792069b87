"""The demo data: deterministic by seed, idempotent, every role present, extensible by contributors."""

from __future__ import annotations

import random

import pytest
from django.test import Client

from pappus.core import demo
from pappus.core.models import AuditEvent, Membership, Region, User, Workspace
from pappus.core.permissions import Role

PASSWORD = "demo-test-password"


def _counts() -> dict[str, int]:
    return {
        "workspaces": Workspace.objects.count(),
        "users": User.objects.count(),
        "regions": Region.objects.count(),
        "memberships": Membership.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def test_the_same_seed_gives_the_same_plan_and_another_seed_another():
    assert demo.demo_plan(7) == demo.demo_plan(7)
    plans = {demo.demo_plan(seed).workspaces[0].people for seed in range(5)}
    assert len(plans) > 1


def test_the_plan_has_every_role_and_multilingual_people():
    plan = demo.demo_plan(demo.DEFAULT_SEED)
    nordlys = plan.workspaces[0]
    roles = {person.role for person in nordlys.people} | {Role.OWNER}
    assert roles == set(Role)
    names = {person.full_name for person in nordlys.people}
    assert {"Ingrid Solberg", "Дмитрий Соколов", "王芳", "James Whitfield"} <= names
    assert len({person.email for person in nordlys.people}) == len(nordlys.people)
    assert [region.language for region in nordlys.regions] == ["nb", "ru", "zh-hans", "en"]


@pytest.mark.django_db
def test_loading_creates_the_workspaces_through_the_services():
    plan = demo.demo_plan(11)
    result = demo.load_demo(plan, password=PASSWORD)
    nordlys = Workspace.objects.get(slug="nordlys-coffee")
    assert (nordlys.name, nordlys.currency, nordlys.time_zone) == ("Nordlys Coffee", "EUR", "Europe/Oslo")
    regions = Region.objects.for_workspace(nordlys)
    assert sorted(regions.values_list("name", "language")) == [
        ("China", "zh-hans"),
        ("Nordlys Global", ""),
        ("Norway", "nb"),
        ("Russia", "ru"),
        ("United Kingdom & International", "en"),
    ]
    memberships = Membership.objects.for_workspace(nordlys)
    assert set(memberships.values_list("role", flat=True)) == set(Role)
    assert memberships.get(user__email="demo@pappus.local").role == Role.OWNER
    # The owner can switch to the bakery, a second, smaller workspace.
    owner_workspaces = set(
        Membership.objects.filter(user__email="demo@pappus.local").values_list("workspace__slug", flat=True)
    )
    assert owner_workspaces == {"nordlys-coffee", "solsikke-bakeri"}
    china_designer = memberships.get(role=Role.DESIGNER)
    assert [region.name for region in china_designer.regions.all()] == ["China"]
    # Every write went through an audited service.
    actions = set(AuditEvent.objects.for_workspace(nordlys).values_list("action", flat=True))
    assert {"workspace.create", "region.create", "membership.create"} <= actions
    assert AuditEvent.objects.filter(action="user.create").count() == result.users
    assert result.users == 1 + sum(len(ws.people) for ws in plan.workspaces)


@pytest.mark.django_db
def test_loading_twice_creates_nothing_more():
    plan = demo.demo_plan(3)
    first = demo.load_demo(plan, password=PASSWORD)
    counts = _counts()
    second = demo.load_demo(plan, password=PASSWORD)
    assert first.created > 0
    assert second.created == 0
    assert _counts() == counts


@pytest.mark.django_db
def test_the_demo_owner_and_every_demo_user_can_sign_in():
    demo.load_demo(demo.demo_plan(), password=PASSWORD)
    client = Client()
    assert client.login(email="demo@pappus.local", password=PASSWORD)
    assert client.login(email="ingrid.solberg@nordlys.example", password=PASSWORD)
    # A second load with another password resets the owner's, so the printed login always works.
    demo.load_demo(demo.demo_plan(), password="another-demo-password")
    assert client.login(email="demo@pappus.local", password="another-demo-password")


@pytest.mark.django_db
def test_contributors_get_a_generator_that_depends_only_on_seed_workspace_and_name():
    draws: list[tuple[str, float]] = []

    def contribute(workspace: Workspace, rng: random.Random) -> None:
        draws.append((workspace.slug, rng.random()))

    demo.register_demo_contributor(contribute, name="tests.contribute")
    try:
        demo.load_demo(demo.demo_plan(5), password=PASSWORD)
        demo.load_demo(demo.demo_plan(5), password=PASSWORD)
    finally:
        demo.unregister_demo_contributor("tests.contribute")
    assert [slug for slug, _ in draws] == ["nordlys-coffee", "solsikke-bakeri"] * 2
    assert draws[:2] == draws[2:]
    assert draws[0][1] == demo.contributor_rng(5, "nordlys-coffee", "tests.contribute").random()
