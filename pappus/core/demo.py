"""The demo: a realistic multilingual brand with a hub and four spokes, and a small bakery next door.

``demo_plan(seed)`` decides everything (pure, deterministic: the same seed gives the same plan);
``load_demo(plan, password=...)`` writes it through the services, so the audit log fills as it
would by hand. Loading is idempotent: rows are found by natural keys (workspace short name,
e-mail, region name) and only what is missing is created.

Later apps add their own demo rows with a contributor, registered once at start-up::

    # pappus/publishing/apps.py
    class PublishingConfig(AppConfig):
        def ready(self) -> None:
            from pappus.core.demo import register_demo_contributor
            from pappus.publishing.demo import contribute
            register_demo_contributor(contribute)

    # pappus/publishing/demo.py
    def contribute(workspace: Workspace, rng: random.Random) -> None:
        ...  # get-or-create by natural key, through services; use only `rng` for randomness

A contributor is called for every demo workspace on every load, after the core rows exist, with
its own ``random.Random`` seeded from (seed, workspace, contributor name): adding a contributor
never changes what the others generate. It must be idempotent itself.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import transaction

from pappus.core import operators, services
from pappus.core.audit import Actor
from pappus.core.models import Membership, Region, RegionKind, User, Workspace
from pappus.core.permissions import Role

DEFAULT_SEED = 2026
OWNER_EMAIL = "demo@pappus.local"

DemoContributor = Callable[[Workspace, random.Random], None]
_contributors: dict[str, DemoContributor] = {}


def register_demo_contributor(contributor: DemoContributor, *, name: str | None = None) -> None:
    """Add ``contributor`` to every demo load (registering the same name again replaces it)."""
    _contributors[name or f"{contributor.__module__}.{contributor.__qualname__}"] = contributor


def unregister_demo_contributor(name: str) -> None:
    _contributors.pop(name, None)


def demo_contributors() -> dict[str, DemoContributor]:
    return dict(_contributors)


# -- the plan --------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoRegion:
    name: str
    country_code: str
    language: str


@dataclass(frozen=True)
class DemoPerson:
    email: str
    full_name: str
    language: str
    time_zone: str
    role: str
    regions: tuple[str, ...] = ()  # region names; none = the whole workspace


@dataclass(frozen=True)
class DemoWorkspace:
    slug: str
    name: str
    time_zone: str
    default_language: str
    currency: str
    hub_name: str
    regions: tuple[DemoRegion, ...]
    people: tuple[DemoPerson, ...]


@dataclass(frozen=True)
class DemoPlan:
    seed: int
    owner_email: str
    owner_name: str
    workspaces: tuple[DemoWorkspace, ...]


NORWAY = DemoRegion("Norway", "NO", "nb")
RUSSIA = DemoRegion("Russia", "RU", "ru")
CHINA = DemoRegion("China", "CN", "zh-hans")
INTERNATIONAL = DemoRegion("United Kingdom & International", "GB", "en")

TIME_ZONES = {"nb": "Europe/Oslo", "ru": "Europe/Moscow", "zh-hans": "Asia/Shanghai", "en": "Europe/London"}

# (full name, e-mail local part) per language: the pool the seeded generator draws extra staff from.
NAMES: dict[str, tuple[tuple[str, str], ...]] = {
    "nb": (
        ("Ingrid Solberg", "ingrid.solberg"),
        ("Kari Nordmann", "kari.nordmann"),
        ("Henrik Aas", "henrik.aas"),
        ("Sindre Bakken", "sindre.bakken"),
        ("Marte Lie", "marte.lie"),
        ("Eirik Johansen", "eirik.johansen"),
        ("Silje Haugen", "silje.haugen"),
        ("Nora Eide", "nora.eide"),
        ("Jonas Dahl", "jonas.dahl"),
        ("Ida Halvorsen", "ida.halvorsen"),
    ),
    "ru": (
        ("Дмитрий Соколов", "dmitry.sokolov"),
        ("Екатерина Волкова", "ekaterina.volkova"),
        ("Анна Иванова", "anna.ivanova"),
        ("Сергей Кузнецов", "sergey.kuznetsov"),
        ("Ольга Смирнова", "olga.smirnova"),
        ("Алексей Попов", "alexey.popov"),
        ("Мария Лебедева", "maria.lebedeva"),
        ("Игорь Морозов", "igor.morozov"),
    ),
    "zh-hans": (
        ("王芳", "wang.fang"),
        ("李娜", "li.na"),
        ("张伟", "zhang.wei"),
        ("刘洋", "liu.yang"),
        ("陈静", "chen.jing"),
        ("杨磊", "yang.lei"),
        ("赵敏", "zhao.min"),
        ("周婷", "zhou.ting"),
    ),
    "en": (
        ("James Whitfield", "james.whitfield"),
        ("Emily Clarke", "emily.clarke"),
        ("Oliver Bennett", "oliver.bennett"),
        ("Charlotte Hughes", "charlotte.hughes"),
        ("Harry Patel", "harry.patel"),
        ("Amelia Shaw", "amelia.shaw"),
        ("George Walker", "george.walker"),
        ("Grace O'Connor", "grace.oconnor"),
    ),
}

# One person for each role but the owner (the demo login), so every role can be tried.
CAST: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    # (full name, language, role, regions)
    ("Ingrid Solberg", "nb", Role.ADMIN, ()),
    ("James Whitfield", "en", Role.STRATEGIST, ()),
    ("Дмитрий Соколов", "ru", Role.CONTENT_MANAGER, (RUSSIA.name,)),
    ("王芳", "zh-hans", Role.COMMUNITY_MANAGER, (CHINA.name,)),
    ("Kari Nordmann", "nb", Role.ANALYST, ()),
    ("Екатерина Волкова", "ru", Role.CAMPAIGN_MANAGER, (RUSSIA.name,)),
    ("李娜", "zh-hans", Role.DESIGNER, (CHINA.name,)),
    ("Oliver Bennett", "en", Role.AGENCY, (INTERNATIONAL.name,)),
    ("Henrik Aas", "nb", Role.EXECUTIVE, ()),
)

SPOKE_ROLES = (Role.CONTENT_MANAGER, Role.COMMUNITY_MANAGER, Role.DESIGNER, Role.ANALYST)


def _email(local: str, role: str) -> str:
    return f"{local}@brightside-agency.example" if role == Role.AGENCY else f"{local}@nordlys.example"


def demo_plan(seed: int = DEFAULT_SEED) -> DemoPlan:
    """Everything the demo will contain; the same ``seed`` gives the same plan."""
    rng = random.Random(seed)  # noqa: S311 (demo data, not secrets)
    locals_by_name = {name: local for pool in NAMES.values() for name, local in pool}
    people = [
        DemoPerson(
            email=_email(locals_by_name[name], role),
            full_name=name,
            language=language,
            time_zone=TIME_ZONES[language],
            role=role,
            regions=regions,
        )
        for name, language, role, regions in CAST
    ]
    taken = {name for name, *_ in CAST}
    # Each spoke gets one to three more local team members, drawn by the seed.
    for region in (NORWAY, RUSSIA, CHINA, INTERNATIONAL):
        pool = [entry for entry in NAMES[region.language] if entry[0] not in taken]
        for name, local in rng.sample(pool, k=rng.randint(1, 3)):
            taken.add(name)
            role = rng.choice(SPOKE_ROLES)
            people.append(
                DemoPerson(
                    email=_email(local, role),
                    full_name=name,
                    language=region.language,
                    time_zone=TIME_ZONES[region.language],
                    role=role,
                    regions=(region.name,),
                )
            )
    nordlys = DemoWorkspace(
        slug="nordlys-coffee",
        name="Nordlys Coffee",
        time_zone="Europe/Oslo",
        default_language="en",
        currency="EUR",
        hub_name="Nordlys Global",
        regions=(NORWAY, RUSSIA, CHINA, INTERNATIONAL),
        people=tuple(people),
    )
    bakery = DemoWorkspace(
        slug="solsikke-bakeri",
        name="Solsikke Bakeri",
        time_zone="Europe/Oslo",
        default_language="nb",
        currency="NOK",
        hub_name="Solsikke Bakeri, Bergen",
        regions=(),
        people=(
            DemoPerson(
                email="sigrid@solsikke.example",
                full_name="Sigrid Haugland",
                language="nb",
                time_zone="Europe/Oslo",
                role=Role.CONTENT_MANAGER,
            ),
        ),
    )
    return DemoPlan(seed=seed, owner_email=OWNER_EMAIL, owner_name="Astrid Berg", workspaces=(nordlys, bakery))


# -- loading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoResult:
    workspaces: int
    users: int
    created: int  # rows created by this load (0 when everything was there)


def step_count(plan: DemoPlan) -> int:
    per_workspace = sum(1 + len(ws.regions) + len(ws.people) + len(_contributors) for ws in plan.workspaces)
    return 1 + per_workspace


def contributor_rng(seed: int, workspace_slug: str, contributor_name: str) -> random.Random:
    """A generator per (seed, workspace, contributor): string seeds are hashed stably by ``random``."""
    return random.Random(f"{seed}:{workspace_slug}:{contributor_name}")  # noqa: S311 (demo data)


def _ensure_user(actor: Actor, person: DemoPerson, password_hash: str) -> tuple[User, bool]:
    user = User.objects.filter(email=person.email).first()
    if user is not None:
        return user, False
    user = operators.user_create(
        actor=actor,
        email=person.email,
        password=None,
        password_hash=password_hash,
        full_name=person.full_name,
        language=person.language,
        time_zone=person.time_zone,
    )
    return user, True


def load_demo(plan: DemoPlan, *, password: str, on_step: Callable[[str], None] = lambda _: None) -> DemoResult:
    """Create what ``plan`` describes and is missing; the owner's password is (re)set to ``password``."""
    created = 0
    cli = Actor.system("cli")
    password_hash = make_password(password)  # once: hashing is slow on purpose
    with transaction.atomic():
        owner, is_new = _ensure_user(
            cli,
            DemoPerson(plan.owner_email, plan.owner_name, "en", "Europe/Oslo", Role.OWNER),
            password_hash,
        )
        created += is_new
        if not is_new and not owner.check_password(password):
            operators.user_set_password(actor=cli, user=owner, password=password)
    on_step(f"Demo owner {owner.email}")
    actor = Actor(user=owner, via="cli")
    users = {owner.pk}
    for spec in plan.workspaces:
        with transaction.atomic():
            workspace = Workspace.objects.filter(slug=spec.slug).first()
            if workspace is None:
                workspace = services.workspace_create(
                    actor=actor,
                    owner=owner,
                    name=spec.name,
                    slug=spec.slug,
                    time_zone=spec.time_zone,
                    default_language=spec.default_language,
                    currency=spec.currency,
                    hub_name=spec.hub_name,
                )
                created += 1
            on_step(f"{spec.name}")
            owner_membership = Membership.objects.for_workspace(workspace).get(user=owner)
            if owner_membership.role != Role.OWNER:
                owner_membership = operators.membership_grant(
                    actor=Actor.system("cli"), workspace=workspace, user=owner, role=Role.OWNER
                )
            regions = {region.name: region for region in Region.objects.for_workspace(workspace)}
            for region_spec in spec.regions:
                if region_spec.name not in regions:
                    regions[region_spec.name] = services.region_create(
                        actor=actor,
                        membership=owner_membership,
                        name=region_spec.name,
                        kind=RegionKind.COUNTRY,
                        country_code=region_spec.country_code,
                        language=region_spec.language,
                    )
                    created += 1
                on_step(f"{spec.name}: region {region_spec.name}")
            for person in spec.people:
                user, is_new = _ensure_user(actor, person, password_hash)
                created += is_new
                users.add(user.pk)
                if not Membership.objects.for_workspace(workspace).filter(user=user).exists():
                    services.membership_add(
                        actor=actor,
                        membership=owner_membership,
                        user=user,
                        role=person.role,
                        regions=[regions[name] for name in person.regions],
                    )
                    created += 1
                on_step(f"{spec.name}: {person.full_name}")
        for name, contributor in demo_contributors().items():
            with transaction.atomic():
                contributor(workspace, contributor_rng(plan.seed, spec.slug, name))
            on_step(f"{spec.name}: {name}")
    return DemoResult(workspaces=len(plan.workspaces), users=len(users), created=created)
