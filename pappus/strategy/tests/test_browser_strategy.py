"""A strategist in a real browser (Debian's Chromium through Playwright): a new program, a
campaign, a KPI with values recorded through htmx (the chart drawn by the vega bundle), the week's
decision recorded, a competitor added and edited, then the strategy document generated and its PDF
downloaded and read back."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pappus.core.permissions import Role
from pappus.core.tests.factories import PASSWORD, make_member, make_workspace

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"strategy-{name}.png"), full_page=True)


@pytest.fixture
def strategist_user(transactional_db):
    workspace = make_workspace(name="Nordlys Coffee")
    return make_member(workspace, role=Role.STRATEGIST, email="james@example.com", full_name="James Whitfield").user


def test_a_strategist_goes_from_a_new_program_to_the_generated_pdf(page, live_server, strategist_user, tmp_path):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail address").fill(strategist_user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")

    page.get_by_role("link", name="Strategy", exact=True).click()
    page.get_by_role("link", name="Programs", exact=True).click()
    form = page.locator("form", has=page.locator("input[name=program]"))
    form.get_by_label("Name").fill("Winter Warmers")
    form.get_by_label("Goals").fill("Own the cosy-coffee conversation this winter.")
    form.get_by_label("Starts on").fill("2026-01-01")
    form.get_by_label("Ends on").fill("2026-06-30")
    form.get_by_label("Planned budget").fill("20000")
    form.get_by_role("button", name="Create the program").click()
    page.get_by_role("heading", name="Winter Warmers", level=1).wait_for()
    screenshot(page, "01-program")

    page.get_by_text("New campaign").click()
    campaign_form = page.locator("form", has=page.locator("input[name=campaign]"))
    campaign_form.get_by_label("Name").fill("Advent Calendar")
    campaign_form.get_by_label("Starts on").fill("2026-01-01")
    campaign_form.get_by_label("Ends on").fill("2026-04-11")
    campaign_form.get_by_label("Networks").fill("instagram, tiktok")
    campaign_form.get_by_label("Planned budget").fill("5000")
    campaign_form.get_by_role("button", name="Create the campaign").click()
    page.get_by_role("heading", name="Advent Calendar", level=1).wait_for()

    page.get_by_text("Add a KPI").click()
    kpi_form = page.locator("form", has=page.locator("input[name=kpi]"))
    kpi_form.get_by_label("Name").fill("Advent reach")
    kpi_form.get_by_label("Metric").select_option("reach")
    kpi_form.get_by_label("Baseline").fill("0")
    kpi_form.get_by_label("Target").fill("1000")
    kpi_form.get_by_role("button", name="Add the KPI").click()
    page.get_by_test_id("kpi").wait_for()

    page.evaluate("window.notReloaded = true")
    for day, value in (("2026-01-01", "0"), ("2026-01-11", "100"), ("2026-01-21", "200")):
        record = page.get_by_test_id("kpi").locator("form")
        record.get_by_label("Date").fill(day)
        record.get_by_label("Value").fill(value)
        page.evaluate("document.getElementById('kpi-table').dataset.old = '1'")
        record.get_by_role("button", name="Record the value").click()
        page.locator("#kpi-table:not([data-old])").wait_for()  # htmx swapped in the new table
    page.locator("[data-testid=forecast]", has_text="1000").wait_for()
    assert page.evaluate("window.notReloaded") is True  # htmx swapped the KPI table in place
    page.locator(".chart[data-vega-ready='1']").first.wait_for()
    assert page.locator(".chart svg").count() >= 1
    screenshot(page, "02-campaign")

    page.get_by_role("link", name="Plan versus actual").click()
    page.get_by_label("Decision taken").fill("Keep the calendar; add a second story each week.")
    page.get_by_role("button", name="Record the decision").click()
    page.get_by_text("The decision for this week has been recorded.").wait_for()
    page.get_by_text("Keep the calendar; add a second story each week.").wait_for()

    page.get_by_role("link", name="Brand", exact=True).click()
    competitor_form = page.locator("form", has=page.locator("input[name=competitor]"))
    competitor_form.get_by_label("Name").fill("Rival Roasters")
    competitor_form.get_by_role("button", name="Add the competitor").click()
    page.get_by_text("Competitor added.").wait_for()
    page.get_by_test_id("share-of-voice").get_by_text("No listening topic linked.").wait_for()
    page.get_by_role("link", name="Edit").first.click()
    page.get_by_label("Notes").fill("Cheaper, louder on TikTok.")
    page.get_by_role("button", name="Save").click()
    page.get_by_text("The competitor has been saved.").wait_for()
    screenshot(page, "03-brand")

    page.get_by_role("link", name="Strategy document").click()
    page.get_by_test_id("generate").click()
    page.get_by_text("Version 1 of the strategy document is ready.").wait_for()
    with page.expect_download() as download_info:
        page.get_by_test_id("pdf-1").click()
    pdf = tmp_path / "strategy.pdf"
    download_info.value.save_as(pdf)
    screenshot(page, "04-documents")

    assert pdf.read_bytes().startswith(b"%PDF-")
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed (Debian: apt-get install poppler-utils)")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True, text=True).stdout
    assert "Winter Warmers" in text
    assert "Advent Calendar" in text
    assert "Advent reach" in text
    assert "Rival Roasters" in text
    assert "Cheaper, louder on TikTok." in text
