"""The web shell in a real browser (Debian's Chromium through Playwright): sign in, switch to
Russian, switch workspace, filter the audit log with htmx, and the collapsed menu on a phone."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from pappus.core.models import Membership
from pappus.core.permissions import Role
from pappus.core.tests.factories import PASSWORD, make_member, make_user, make_workspace

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run in one
# unless told it is safe (the test drives the browser and the database one step at a time).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.fixture
def two_workspaces(transactional_db):
    user = make_user(email="ingrid@example.com", full_name="Ingrid Berg")
    first = make_workspace(name="Nordlys Coffee", owner=user, hub_name="Oslo hub")
    second = make_workspace(name="Beta Foods", hub_name="Shanghai hub")
    make_member(second, role=Role.ANALYST, user=user)
    user.last_workspace = first
    user.save()
    return user, first, second


def sign_in(page, live_server, email: str) -> None:
    page.goto(f"{live_server.url}/login/")
    screenshot(page, f"00-login-{page.viewport_size['width'] if page.viewport_size else 0}")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")


def navigation_labels(page) -> list[str]:
    return [label.strip() for label in page.locator("ul.nav a").all_text_contents()]


def test_sign_in_switch_to_russian_and_switch_workspace(page, live_server, two_workspaces):
    user, _first, _second = two_workspaces
    page.set_viewport_size({"width": 1280, "height": 800})

    sign_in(page, live_server, user.email)
    assert page.locator("main h1").inner_text() == "Nordlys Coffee"
    assert {"Home", "Team", "Regions", "Audit log", "Settings"} <= set(navigation_labels(page))
    screenshot(page, "01-home-english")

    # The workspace pages sit in a menu: closed at first, opened with a click.
    audit_link = page.get_by_role("navigation", name="Main").get_by_role("link", name="Audit log")
    assert not audit_link.is_visible()
    page.locator("nav summary", has_text="Workspace").click()
    audit_link.wait_for(state="visible")
    screenshot(page, "01b-workspace-menu-open")
    with page.expect_navigation():
        audit_link.click()
    assert page.locator("main h1").inner_text() == "Audit log"
    page.goto(f"{live_server.url}/")

    # Alpine submits the language form as soon as another language is chosen.
    with page.expect_navigation():
        page.get_by_test_id("language-switch").select_option("ru")
    labels = navigation_labels(page)
    assert {"Главная", "Команда", "Регионы", "Журнал аудита", "Настройки"} <= set(labels)
    assert page.locator("nav summary").all_inner_texts() == ["Сообщество", "Мониторинг", "Рабочее пространство"]
    assert page.locator("html").get_attribute("lang") == "ru"
    assert page.get_by_role("button", name="Выйти").is_visible()
    screenshot(page, "02-home-russian")
    user.refresh_from_db()
    assert user.language == "ru"

    with page.expect_navigation():
        page.get_by_test_id("workspace-switcher").select_option(label="Beta Foods")
    assert page.locator("main h1").inner_text() == "Beta Foods"
    assert page.get_by_text("Теперь вы работаете в пространстве Beta Foods.").is_visible()
    # As an analyst there, the audit log and the settings are gone from the navigation.
    assert {"Главная", "Команда", "Регионы"} <= set(navigation_labels(page))
    assert "Журнал аудита" not in navigation_labels(page)
    assert "Настройки" not in navigation_labels(page)
    screenshot(page, "03-switched-workspace")


def test_audit_filter_updates_the_table_in_place(page, live_server, two_workspaces):
    user, first, _second = two_workspaces
    page.set_viewport_size({"width": 1280, "height": 800})
    sign_in(page, live_server, user.email)
    page.goto(f"{live_server.url}/audit/")
    assert page.get_by_test_id("audit-count").inner_text() == "3 events"
    page.evaluate("window.notReloaded = true")

    page.get_by_label("Action").select_option("region.create")

    page.wait_for_url(re.compile(r".*/audit/\?.*action=region\.create"))
    page.get_by_test_id("audit-count").filter(has_text="1 event").wait_for()
    assert page.evaluate("window.notReloaded") is True  # htmx swapped the table, no page load
    assert page.locator("#audit-table tbody tr").count() == 1
    assert "action=region.create" in (page.get_by_test_id("audit-export").get_attribute("href") or "")
    screenshot(page, "04-audit-filtered")
    assert Membership.objects.filter(workspace=first).count() == 1


def test_menu_collapses_on_a_phone(page, live_server, two_workspaces):
    user, _first, _second = two_workspaces
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, user.email)

    nav = page.get_by_role("navigation", name="Main")
    assert not nav.is_visible()
    screenshot(page, "05-phone-menu-closed")

    page.get_by_role("button", name="Menu").click()
    nav.wait_for(state="visible")
    assert page.get_by_role("button", name="Menu").get_attribute("aria-expanded") == "true"
    assert page.locator("ul.nav a").first.is_visible()
    screenshot(page, "06-phone-menu-open")
