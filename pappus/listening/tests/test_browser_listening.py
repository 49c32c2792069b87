"""Listening in a real browser (Debian's Chromium through Playwright): a topic whose query is first
refused with the position of its error and then fixed, a CSV import through the preview and the
column mapping, a search narrowed by a facet, and the CSV export of what is shown."""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import pytest

from pappus.core.permissions import Role
from pappus.core.tests.factories import PASSWORD, make_member, make_user, make_workspace
from pappus.listening.models import Mention, Topic

# Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run in one
# unless told it is safe (the test drives the browser and the database one step at a time).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[3] / "test-artifacts"

EXPORT = """Mention ID;Full Text;Date;Where;Likes
1;Nordlys coffee in Oslo is the best;2026-11-02 09:00;NO;12
2;Nordlys beans arrived in Bergen today;2026-11-03 10:30;NO;3
3;Nordlys opened a shop in Stockholm;2026-11-04 11:00;SE;7
4;Nordlys is hiring baristas;2026-11-05 12:00;NO;1
"""


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"listening-{name}.png"), full_page=True)


@pytest.fixture
def analyst(transactional_db):
    owner = make_user(email="owner@example.com")
    workspace = make_workspace(name="Nordlys Coffee", owner=owner)
    user = make_user(email="ana@example.com", full_name="Ana Lyst")
    make_member(workspace, role=Role.ANALYST, user=user)
    user.last_workspace = workspace
    user.save()
    return user


def test_topic_import_search_with_a_facet_and_export(page, live_server, analyst, tmp_path) -> None:
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("E-mail address").fill(analyst.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/")

    # A topic: the query is checked while it is typed; the error says where, the mark shows it.
    page.goto(f"{live_server.url}/listening/topics/")
    page.get_by_label("Name").fill("Nordlys")
    query = page.get_by_label("Query")
    query.fill('(nordlys OR "blue cup"')
    query.press("End")  # htmx checks on keyup
    check = page.get_by_test_id("query-check")
    check.get_by_text("Position 23:").wait_for()
    assert check.locator("p.field__error").inner_text() == (
        "Position 23: expected a closing parenthesis for the one opened at 1, found the end of the query"
    )
    screenshot(page, "01-topic-query-error")
    page.get_by_role("button", name="Save the topic").click()
    assert "Position 23:" in page.locator("#id_query_error").inner_text()
    assert not Topic.objects.exists()
    query.fill('(nordlys OR "blue cup") NOT hiring')
    query.press("End")
    check.get_by_text("The query is valid.").wait_for()
    page.get_by_role("button", name="Save the topic").click()
    page.get_by_text("Topic Nordlys saved.").wait_for()
    assert page.locator("table code").all_inner_texts() == ['(nordlys OR "blue cup") NOT hiring']
    screenshot(page, "02-topic-saved")

    # A file import source; upload; the preview and the suggested mapping; map the country by hand.
    page.goto(f"{live_server.url}/listening/sources/")
    page.get_by_label("Name").fill("Old tool export")
    page.get_by_label("Kind").select_option("file")
    page.get_by_role("button", name="Add the source").click()
    page.wait_for_url(re.compile(r"/listening/sources/\d+/$"))
    upload = tmp_path / "export.csv"
    upload.write_text(EXPORT, encoding="utf-8")
    page.get_by_label("File", exact=True).set_input_files(str(upload))
    page.get_by_role("button", name="Upload and preview").click()
    page.wait_for_url(re.compile(r"/listening/imports/\d+/$"))
    preview = page.get_by_test_id("preview")
    assert preview.locator("th").all_text_contents() == ["Mention ID", "Full Text", "Date", "Where", "Likes"]
    assert preview.locator("tbody tr").count() == 4
    assert page.get_by_label("Text", exact=True).input_value() == "Full Text"
    assert page.get_by_label("Country", exact=True).input_value() == ""
    page.get_by_label("Country", exact=True).select_option("Where")
    screenshot(page, "03-import-preview-and-mapping")
    page.get_by_role("button", name="Import").click()
    page.get_by_text("The import of export.csv has started.").wait_for()
    assert Mention.objects.count() == 4
    assert sorted(Mention.objects.values_list("country", flat=True)) == ["NO", "NO", "NO", "SE"]

    # Search, then narrow by the country facet (htmx swaps the results in place).
    page.goto(f"{live_server.url}/listening/mentions/?q=nordlys")
    assert page.get_by_test_id("mention-count").inner_text() == "4 mentions"
    country = page.locator('[data-facet="country"]')
    assert country.locator("li").count() == 2
    with page.expect_response(lambda response: "country=NO" in response.url):
        country.locator('a[href*="country=NO"]').click()
    page.get_by_test_id("mention-count").filter(has_text="3 mentions").wait_for()
    assert "country=NO" in page.url
    screenshot(page, "04-search-with-facet")

    # The export holds what the page shows: the three mentions from Norway.
    with page.expect_download() as caught:
        page.get_by_role("link", name="Export CSV").click()
    download = caught.value
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))
    texts = sorted(row[rows[0].index("Text")] for row in rows[1:])
    assert texts == [
        "Nordlys beans arrived in Bergen today",
        "Nordlys coffee in Oslo is the best",
        "Nordlys is hiring baristas",
    ]
