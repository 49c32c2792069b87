"""The web shell as a user sees it: signing in, password reset, switching workspaces and languages,
the navigation per role, and the workspace pages with their forms."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse

from pappus.core import selectors
from pappus.core.models import AuditEvent, Membership, Region, User, Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import PASSWORD, make_member, make_region, make_user, make_workspace

pytestmark = pytest.mark.django_db


def signed_in(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def owner_of(workspace: Workspace) -> Membership:
    return Membership.objects.get(workspace=workspace, role=Role.OWNER)


def nav_labels(html: str) -> list[str]:
    """Every page the navigation links to, in its groups' menus too."""
    nav = re.search(r'<ul class="nav">(.*)</ul>\s*</nav>', html, re.S)
    assert nav is not None, "the page has no navigation"
    return re.findall(r"<a [^>]*>([^<]+)</a>", nav.group(1))


def nav_groups(html: str) -> list[str]:
    nav = re.search(r'<ul class="nav">(.*)</ul>\s*</nav>', html, re.S)
    assert nav is not None, "the page has no navigation"
    return re.findall(r"<summary>([^<]+)</summary>", nav.group(1))


# --- signing in and out ----------------------------------------------------------------------


def test_login_with_the_right_password_opens_the_workspace():
    workspace = make_workspace(name="Nordlys Coffee")
    user = owner_of(workspace).user
    client = Client()

    response = client.post(reverse("core:login"), {"username": user.email, "password": PASSWORD}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("core:home")
    assert "<h1>Nordlys Coffee</h1>" in response.content.decode()


def test_login_with_a_wrong_password_says_so_and_stays_signed_out():
    user = make_user(email="anna@example.com")
    client = Client()

    response = client.post(reverse("core:login"), {"username": user.email, "password": "wrong"})

    assert response.status_code == 200
    assert "The e-mail address or the password is wrong." in response.content.decode()
    assert client.get(reverse("core:home")).status_code == 302


def test_pages_need_a_signed_in_user():
    response = Client().get(reverse("core:audit"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('core:login')}?next={reverse('core:audit')}"


def test_logout_is_a_post_and_signs_out():
    membership = make_member(role=Role.ANALYST)
    client = signed_in(membership)

    response = client.post(reverse("core:logout"))

    assert response.status_code == 302
    assert client.get(reverse("core:home")).status_code == 302


def test_forms_refuse_a_post_without_the_csrf_token():
    membership = make_member(role=Role.OWNER)
    client = Client(enforce_csrf_checks=True)
    client.force_login(membership.user)

    response = client.post(reverse("core:language"), {"language": "ru"})

    assert response.status_code == 403
    membership.user.refresh_from_db()
    assert membership.user.language == ""


# --- password reset --------------------------------------------------------------------------


def test_password_reset_mail_arrives_with_a_link_that_sets_a_new_password(mailoutbox, settings):
    settings.BASE_URL = "https://pappus.example.com"
    make_user(email="ola@example.com")
    client = Client()

    response = client.post(reverse("core:password_reset"), {"email": "ola@example.com"}, follow=True)

    assert "an e-mail with a link to choose a new password is on its way" in response.content.decode()
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["ola@example.com"]
    assert message.subject == "Choose a new Pappus password"
    link = re.search(r"https://pappus\.example\.com(/password-reset/\S+/\S+/)", message.body)
    assert link is not None, message.body

    form_page = client.get(link.group(1), follow=True)
    assert "New password" in form_page.content.decode()
    done = client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": "a fresh long passphrase", "new_password2": "a fresh long passphrase"},
        follow=True,
    )
    assert "Your password has been changed." in done.content.decode()
    assert Client().login(username="ola@example.com", password="a fresh long passphrase")


def test_password_reset_mail_is_written_in_the_language_of_the_page(mailoutbox):
    make_user(email="ivan@example.com")
    client = Client()
    client.cookies["django_language"] = "ru"

    client.post(reverse("core:password_reset"), {"email": "ivan@example.com"})

    assert mailoutbox[0].subject == "Выбор нового пароля для Pappus"


def test_password_reset_for_an_unknown_address_sends_nothing_and_reveals_nothing(mailoutbox):
    response = Client().post(reverse("core:password_reset"), {"email": "nobody@example.com"}, follow=True)

    assert "an e-mail with a link to choose a new password is on its way" in response.content.decode()
    assert mailoutbox == []


def test_a_used_reset_link_is_refused_clearly(mailoutbox):
    make_user(email="li@example.com")
    client = Client()
    client.post(reverse("core:password_reset"), {"email": "li@example.com"})
    path = re.search(r"(/password-reset/\S+/\S+/)", mailoutbox[0].body).group(1)  # type: ignore[union-attr]
    form_page = client.get(path, follow=True)
    client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "x9!long-enough-pw", "new_password2": "x9!long-enough-pw"}
    )

    again = Client().get(path, follow=True)

    assert "This link has expired or has already been used." in again.content.decode()


# --- workspace switcher ----------------------------------------------------------------------


def test_switching_workspace_changes_the_page_and_is_remembered():
    first = make_workspace(name="Alpha Brands")
    user = owner_of(first).user
    second = make_workspace(name="Beta Foods")
    make_member(second, role=Role.ANALYST, user=user)
    client = signed_in(owner_of(first))

    response = client.post(reverse("core:switch_workspace"), {"workspace": second.pk}, follow=True)

    assert "<h1>Beta Foods</h1>" in response.content.decode()
    assert "You are now working in Beta Foods." in response.content.decode()
    assert client.session[selectors.SESSION_WORKSPACE_KEY] == second.pk
    user.refresh_from_db()
    assert user.last_workspace_id == second.pk


def test_switcher_refuses_a_workspace_the_user_is_not_a_member_of():
    mine = make_workspace(name="Mine")
    foreign = make_workspace(name="Somebody else's")
    membership = owner_of(mine)
    client = signed_in(membership)

    response = client.post(reverse("core:switch_workspace"), {"workspace": foreign.pk})

    assert response.status_code == 403
    assert selectors.SESSION_WORKSPACE_KEY not in client.session
    membership.user.refresh_from_db()
    assert membership.user.last_workspace_id is None
    assert "<h1>Mine</h1>" in client.get(reverse("core:home")).content.decode()


def test_switcher_refuses_get():
    membership = make_member(role=Role.OWNER)

    assert signed_in(membership).get(reverse("core:switch_workspace")).status_code == 405


def test_switcher_lists_only_own_workspaces():
    first = make_workspace(name="Alpha Brands")
    user = owner_of(first).user
    make_member(make_workspace(name="Beta Foods"), role=Role.DESIGNER, user=user)
    make_workspace(name="Gamma Secret")

    html = signed_in(owner_of(first)).get(reverse("core:home")).content.decode()

    assert re.findall(r'<option value="\d+"(?: selected)?>([^<]+)</option>', html) == ["Alpha Brands", "Beta Foods"]


# --- navigation by role ----------------------------------------------------------------------


def test_owner_sees_every_core_page_in_the_navigation():
    html = signed_in(make_member(role=Role.OWNER)).get(reverse("core:home")).content.decode()

    assert {"Home", "Team", "Regions", "Audit log", "Settings"} <= set(nav_labels(html))


def test_navigation_hides_what_the_agency_role_cannot_use():
    html = signed_in(make_member(role=Role.AGENCY)).get(reverse("core:home")).content.decode()

    labels = nav_labels(html)
    assert "Home" in labels
    assert "Regions" in labels
    assert "Team" not in labels
    assert "Audit log" not in labels
    assert "Settings" not in labels


def test_navigation_of_a_designer_has_team_but_no_audit_or_settings():
    labels = nav_labels(signed_in(make_member(role=Role.DESIGNER)).get(reverse("core:home")).content.decode())

    assert "Team" in labels
    assert "Audit log" not in labels
    assert "Settings" not in labels


@pytest.mark.parametrize("url_name", ["core:audit", "core:audit_export", "core:members", "core:settings"])
def test_agency_gets_403_on_admin_pages(url_name):
    response = signed_in(make_member(role=Role.AGENCY)).get(reverse(url_name))

    assert response.status_code == 403
    assert "Not allowed" in response.content.decode()


def test_agency_cannot_add_a_member_or_change_a_role():
    workspace = make_workspace()
    agency = make_member(workspace, role=Role.AGENCY)
    target = make_member(workspace, role=Role.DESIGNER)
    make_user(email="new@example.com")
    client = signed_in(agency)

    add = client.post(reverse("core:members"), {"email": "new@example.com", "role": Role.ADMIN})
    change = client.post(reverse("core:member_role", args=[target.pk]), {f"member-{target.pk}-role": Role.ADMIN})

    assert add.status_code == 403
    assert change.status_code == 403
    target.refresh_from_db()
    assert target.role == Role.DESIGNER
    assert not Membership.objects.filter(user__email="new@example.com").exists()


def test_a_user_without_a_workspace_is_told_what_to_do():
    user = make_user(email="lonely@example.com")
    client = Client()
    client.force_login(user)

    response = client.get(reverse("core:home"))

    assert response.status_code == 403
    assert "You are not a member of any workspace." in response.content.decode()


# --- language and profile --------------------------------------------------------------------


def test_language_switch_translates_the_shell_and_persists_on_the_user():
    membership = make_member(role=Role.OWNER)
    client = signed_in(membership)

    response = client.post(reverse("core:language"), {"language": "ru", "next": reverse("core:members")}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("core:members")
    assert {"Главная", "Команда", "Регионы", "Журнал аудита", "Настройки"} <= set(nav_labels(response.content.decode()))
    membership.user.refresh_from_db()
    assert membership.user.language == "ru"
    # A new browser (no cookie) gets the saved language too.
    assert "Команда" in nav_labels(signed_in(membership).get(reverse("core:home")).content.decode())


@pytest.mark.parametrize(
    ("language", "team", "html_lang"),
    [("nb", "Team", "nb"), ("zh-hans", "团队", "zh-hans"), ("en", "Team", "en")],
)
def test_every_interface_language_is_served(language, team, html_lang):
    membership = make_member(role=Role.OWNER, language=language)

    html = signed_in(membership).get(reverse("core:home")).content.decode()

    assert f'<html lang="{html_lang}">' in html
    assert team in nav_labels(html)


def test_norwegian_shell_is_translated():
    html = signed_in(make_member(role=Role.OWNER, language="nb")).get(reverse("core:home")).content.decode()

    assert {"Oversikt", "Regioner", "Revisjonslogg", "Innstillinger"} <= set(nav_labels(html))


def test_language_switch_refuses_an_unknown_language():
    membership = make_member(role=Role.OWNER)

    response = signed_in(membership).post(reverse("core:language"), {"language": "xx"})

    assert response.status_code == 400
    membership.user.refresh_from_db()
    assert membership.user.language == ""


def test_language_switch_never_redirects_off_site():
    response = Client().post(reverse("core:language"), {"language": "nb", "next": "https://evil.example.com/"})

    assert response["Location"] == reverse("core:login")
    assert response.cookies["django_language"].value == "nb"


def test_profile_saves_name_language_and_time_zone():
    membership = make_member(role=Role.ANALYST)
    client = signed_in(membership)

    response = client.post(
        reverse("core:profile"),
        {"full_name": "Ингрид Берг", "language": "nb", "time_zone": "Europe/Oslo"},
        follow=True,
    )

    assert "Profilen din er lagret." in response.content.decode()
    user = User.objects.get(pk=membership.user.pk)
    assert (user.full_name, user.language, user.time_zone) == ("Ингрид Берг", "nb", "Europe/Oslo")


def test_profile_refuses_an_unknown_time_zone_next_to_the_field():
    membership = make_member(role=Role.ANALYST)

    response = signed_in(membership).post(
        reverse("core:profile"), {"full_name": "", "language": "", "time_zone": "Mars/Olympus_Mons"}
    )

    assert response.status_code == 400
    assert response.context["form"].errors == {"time_zone": ["“Mars/Olympus_Mons” is not a known time zone."]}
    assert 'id="id_time_zone_error"' in response.content.decode()
    membership.user.refresh_from_db()
    assert membership.user.time_zone == ""


# --- workspace settings ----------------------------------------------------------------------


def test_settings_save_and_record_an_audit_event():
    workspace = make_workspace(name="Old name")
    client = signed_in(owner_of(workspace))

    response = client.post(
        reverse("core:settings"),
        {"name": "Nordlys AS", "time_zone": "Europe/Oslo", "default_language": "nb", "currency": "nok"},
        follow=True,
    )

    assert "The workspace settings have been saved." in response.content.decode()
    workspace.refresh_from_db()
    assert (workspace.name, workspace.time_zone, workspace.default_language, workspace.currency) == (
        "Nordlys AS",
        "Europe/Oslo",
        "nb",
        "NOK",
    )
    event = AuditEvent.objects.for_workspace(workspace).get(action="workspace.update")
    assert event.before["name"] == "Old name"
    assert event.after["name"] == "Nordlys AS"


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("currency", "euro", "A currency is a three-letter ISO 4217 code such as EUR."),
        ("currency", "E1R", "A currency is a three-letter ISO 4217 code such as EUR."),
        ("time_zone", "Europe/Atlantis", "“Europe/Atlantis” is not a known time zone."),
        ("name", "   ", "This field is required."),
        ("default_language", "de", "Select a valid choice. de is not one of the available choices."),
    ],
)
def test_settings_reject_bad_input_naming_the_field(field, value, message):
    workspace = make_workspace(name="Kept")
    data = {"name": "Kept", "time_zone": "UTC", "default_language": "en", "currency": "EUR", field: value}

    response = signed_in(owner_of(workspace)).post(reverse("core:settings"), data)

    assert response.status_code == 400
    assert response.context["form"].errors == {field: [message]}
    assert f'id="id_{field}_error"' in response.content.decode()
    workspace.refresh_from_db()
    assert workspace.name == "Kept"
    assert workspace.currency == "EUR"


def test_a_strategist_cannot_change_settings():
    workspace = make_workspace(name="Kept")
    strategist = make_member(workspace, role=Role.STRATEGIST)

    response = signed_in(strategist).post(
        reverse("core:settings"), {"name": "Hijacked", "time_zone": "UTC", "default_language": "en", "currency": "EUR"}
    )

    assert response.status_code == 403
    workspace.refresh_from_db()
    assert workspace.name == "Kept"


# --- team ------------------------------------------------------------------------------------


def test_team_lists_members_with_role_and_regions():
    workspace = make_workspace(name="Nordlys")
    oslo = make_region(workspace, name="Oslo")
    member = make_member(workspace, role=Role.COMMUNITY_MANAGER, full_name="Kari Nordmann")
    member.regions.set([oslo])

    html = signed_in(owner_of(workspace)).get(reverse("core:members")).content.decode()

    row = re.search(r"Kari Nordmann.*?</tr>", html, re.S)
    assert row is not None
    assert "Oslo" in row.group(0)
    assert 'value="community_manager" selected' in row.group(0)


def test_admin_adds_an_existing_user_by_email_with_a_role_and_region():
    workspace = make_workspace()
    admin = make_member(workspace, role=Role.ADMIN)
    spoke = make_region(workspace, name="Norway")
    newcomer = make_user(email="Per@Example.com")

    response = signed_in(admin).post(
        reverse("core:members"), {"email": "PER@example.com", "role": Role.ANALYST, "regions": [spoke.pk]}, follow=True
    )

    assert f"{newcomer} has joined the team." in response.content.decode()
    added = Membership.objects.for_workspace(workspace).get(user=newcomer)
    assert added.role == Role.ANALYST
    assert list(added.regions.all()) == [spoke]


def test_adding_an_unknown_or_existing_member_is_refused_on_the_email_field():
    workspace = make_workspace()
    owner = owner_of(workspace)
    client = signed_in(owner)

    unknown = client.post(reverse("core:members"), {"email": "ghost@example.com", "role": Role.ANALYST})
    existing = client.post(reverse("core:members"), {"email": owner.user.email, "role": Role.ANALYST})

    assert unknown.status_code == 400
    assert unknown.context["form"].errors == {"email": ["Nobody with this e-mail address has an account here."]}
    assert existing.context["form"].errors == {"email": [f"{owner.user.email} is already a member."]}


def test_adding_a_member_refuses_a_region_of_another_workspace():
    workspace = make_workspace()
    foreign_region = make_region(make_workspace(), name="Foreign")
    make_user(email="x@example.com")

    response = signed_in(owner_of(workspace)).post(
        reverse("core:members"), {"email": "x@example.com", "role": Role.ANALYST, "regions": [foreign_region.pk]}
    )

    assert response.status_code == 400
    assert "regions" in response.context["form"].errors
    assert not Membership.objects.filter(user__email="x@example.com").exists()


def test_admin_changes_a_role_but_cannot_make_an_owner():
    workspace = make_workspace()
    admin = make_member(workspace, role=Role.ADMIN)
    target = make_member(workspace, role=Role.DESIGNER)
    client = signed_in(admin)

    ok = client.post(reverse("core:member_role", args=[target.pk]), {f"member-{target.pk}-role": Role.STRATEGIST})
    owner_attempt = client.post(
        reverse("core:member_role", args=[target.pk]), {f"member-{target.pk}-role": Role.OWNER}, follow=True
    )

    assert ok.status_code == 302
    assert "Choose one of the offered roles." in owner_attempt.content.decode()
    target.refresh_from_db()
    assert target.role == Role.STRATEGIST


def test_changing_the_role_of_another_workspaces_member_is_not_found():
    workspace = make_workspace()
    foreign_member = make_member(make_workspace(), role=Role.DESIGNER)

    response = signed_in(owner_of(workspace)).post(
        reverse("core:member_role", args=[foreign_member.pk]), {f"member-{foreign_member.pk}-role": Role.ADMIN}
    )

    assert response.status_code == 404
    foreign_member.refresh_from_db()
    assert foreign_member.role == Role.DESIGNER


# --- regions ---------------------------------------------------------------------------------


def test_regions_page_shows_the_hub_and_its_spokes_as_a_tree():
    workspace = make_workspace(name="Nordlys", hub_name="Global hub")
    make_region(workspace, name="Norway", country_code="NO")
    make_region(workspace, name="China", country_code="CN")

    html = signed_in(make_member(workspace, role=Role.AGENCY)).get(reverse("core:regions")).content.decode()

    tree = re.search(r'data-testid="region-tree">(.*?)</section>', html, re.S).group(1)  # type: ignore[union-attr]
    names = re.findall(r'<span class="tree__name">([^<]+)</span>', tree)
    assert names == ["Global hub", "China", "Norway"]
    assert tree.index("Global hub") < tree.index("<ul", tree.index("Global hub"))
    assert "Add a spoke" not in html


def test_a_regions_manager_adds_a_spoke():
    workspace = make_workspace()
    hub = Region.objects.for_workspace(workspace).get(parent__isnull=True)

    response = signed_in(owner_of(workspace)).post(
        reverse("core:regions"),
        {"name": "Russia", "parent": hub.pk, "kind": "country", "country_code": "ru", "language": "ru"},
        follow=True,
    )

    assert "Region Russia added." in response.content.decode()
    region = Region.objects.for_workspace(workspace).get(name="Russia")
    assert (region.parent_id, region.country_code, region.language) == (hub.pk, "RU", "ru")


def test_adding_a_spoke_rejects_bad_input_naming_the_field():
    workspace = make_workspace()
    make_region(workspace, name="Norway")
    hub = Region.objects.for_workspace(workspace).get(parent__isnull=True)
    foreign_hub = Region.objects.for_workspace(make_workspace()).get(parent__isnull=True)
    client = signed_in(owner_of(workspace))

    duplicate = client.post(reverse("core:regions"), {"name": "Norway", "parent": hub.pk, "kind": "country"})
    bad_code = client.post(
        reverse("core:regions"), {"name": "Nor", "parent": hub.pk, "kind": "country", "country_code": "NOR"}
    )
    foreign = client.post(reverse("core:regions"), {"name": "Spy", "parent": foreign_hub.pk, "kind": "country"})

    assert duplicate.context["form"].errors == {"name": ["A region named “Norway” already exists."]}
    assert bad_code.context["form"].errors == {"country_code": ["A country code is two letters such as NO."]}
    assert list(foreign.context["form"].errors) == ["parent"]
    assert Region.objects.for_workspace(workspace).count() == 2


# --- home ------------------------------------------------------------------------------------


def test_home_shows_regions_member_count_and_recent_changes_for_admins():
    workspace = make_workspace(name="Nordlys", hub_name="Oslo hub")
    make_member(workspace, role=Role.ANALYST)
    make_member(workspace, role=Role.DESIGNER)

    html = signed_in(owner_of(workspace)).get(reverse("core:home")).content.decode()

    assert re.search(r'<span class="stat__value">3</span> <span class="stat__label">members</span>', html)
    assert "Oslo hub" in html
    assert "Recent changes" in html
    assert "Workspace created" in html


def test_home_hides_recent_changes_from_roles_without_the_audit_log():
    workspace = make_workspace()

    html = signed_in(make_member(workspace, role=Role.DESIGNER)).get(reverse("core:home")).content.decode()

    assert "Recent changes" not in html
    assert "Workspace created" not in html


def test_layout_loads_htmx_alpine_and_puts_the_csrf_token_on_body():
    html = signed_in(make_member(role=Role.OWNER)).get(reverse("core:home")).content.decode()

    assert re.search(r'<script src="/static/django_htmx/htmx-2\.min\.js[^"]*"', html)
    assert '<script defer src="/static/vendor/alpine.min.js"></script>' in html
    assert re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"[A-Za-z0-9]+\"\}'", html)
    assert '<link rel="stylesheet" href="/static/css/pappus.css">' in html


def test_without_a_language_of_their_own_a_user_gets_the_workspaces_default():
    workspace = make_workspace(name="Nordlys", default_language="nb")
    member = make_member(workspace, role=Role.ANALYST)
    client = signed_in(member)

    assert "Oversikt" in nav_labels(client.get(reverse("core:home")).content.decode())

    # Choosing "workspace default" on the profile page drops an earlier language switch.
    client.post(reverse("core:language"), {"language": "ru"})
    assert "Главная" in nav_labels(client.get(reverse("core:home")).content.decode())
    response = client.post(reverse("core:profile"), {"full_name": "", "language": "", "time_zone": ""}, follow=True)
    assert "Profilen din er lagret." in response.content.decode()
    assert "Oversikt" in nav_labels(response.content.decode())


def test_times_are_shown_in_the_users_time_zone_else_the_workspaces():
    workspace = make_workspace(name="Nordlys", time_zone="Asia/Shanghai")
    owner = owner_of(workspace)
    AuditEvent.objects.for_workspace(workspace).update(
        created_at=datetime.datetime(2026, 3, 1, 23, 30, tzinfo=datetime.UTC)
    )
    client = signed_in(owner)

    in_shanghai = client.get(reverse("core:home")).content.decode()
    owner.user.time_zone = "Europe/Oslo"
    owner.user.save()
    in_oslo = client.get(reverse("core:home")).content.decode()

    assert 'datetime="2026-03-02T07:30:00+08:00"' in in_shanghai
    assert 'datetime="2026-03-02T00:30:00+01:00"' in in_oslo


def test_team_page_query_count_does_not_grow_with_members(django_assert_max_num_queries):
    workspace = make_workspace()
    regions = [make_region(workspace, name=f"Region {number}") for number in range(3)]
    for _ in range(25):
        make_member(workspace, role=Role.ANALYST).regions.set(regions)
    client = signed_in(owner_of(workspace))
    client.get(reverse("core:members"))

    # session, user, membership, members, their regions, switcher, the regions of the form,
    # and the failed-posts count of the shell's banner (publishing)
    with django_assert_max_num_queries(8):
        html = client.get(reverse("core:members")).content.decode()
    assert html.count("Region 0, Region 1, Region 2") == 25


def test_the_top_bar_holds_the_work_areas_and_groups_the_rest():
    html = signed_in(owner_of(make_workspace())).get(reverse("core:home")).content.decode()
    assert nav_groups(html) == ["Community", "Listening", "Workspace"]
    labels = nav_labels(html)
    assert labels.index("Home") < labels.index("Mentions") < labels.index("Team")
    workspace_menu = re.search(r"<summary>Workspace</summary>(.*?)</details>", html, re.S)
    assert workspace_menu is not None
    assert re.findall(r"<a [^>]*>([^<]+)</a>", workspace_menu.group(1)) == [
        "Team",
        "Adoption",
        "My scorecard",
        "My duties",
        "Regions",
        "Connected accounts",
        "Web traffic",
        "Audit log",
        "Settings",
        "API tokens",
    ]


def test_a_group_is_marked_when_one_of_its_pages_is_open():
    html = signed_in(owner_of(make_workspace())).get(reverse("core:audit")).content.decode()
    assert '<details class="is-active">\n            <summary>Workspace</summary>' in html
    assert "<details>\n            <summary>Listening</summary>" in html


def test_the_agency_sees_no_listening_menu_and_no_inbox():
    html = signed_in(make_member(role=Role.AGENCY)).get(reverse("core:home")).content.decode()
    assert "Listening" not in nav_groups(html)
    assert "Inbox" not in nav_labels(html)
