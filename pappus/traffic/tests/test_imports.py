"""Importing a web-analytics CSV through the pages: upload, columns, preview with each refused row,
import, and a second import of the same file that duplicates nothing."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from pappus.core.models import Membership, Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.traffic import facade
from pappus.traffic.models import ImportedTraffic, ImportStatus, TrafficImport

pytestmark = pytest.mark.django_db
EXPORT = (
    "# Web analytics export\n"
    "Landing page;Date;Sessions;Bounces;Conversions\n"
    "/spring;2026-03-10;120;30;6\n"
    "/spring;2026-03-10;30;10;1\n"  # the same day and page again (another device): added
    "https://nordlys.example/autumn?x=1;2026-03-11;50;50;0\n"
    "/summer;11.03.2026;10;12;0\n"  # more bounces than sessions
    "/winter;yesterday;5;1;0\n"  # not a date
    "/spring;2026-03-11;1,000;250;40\n"
)
MAPPING = {
    "landing_page": "Landing page",
    "day": "Date",
    "sessions": "Sessions",
    "bounces": "Bounces",
    "conversions": "Conversions",
}


def signed_in(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


def upload(client: Client, content: str, name: str = "export.csv") -> TrafficImport:
    response = client.post(
        reverse("traffic:import_upload"), {"file": SimpleUploadedFile(name, content.encode(), "text/csv")}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return TrafficImport.objects.latest("pk")


def test_the_columns_are_suggested_and_the_preview_names_each_refused_row(workspace: Workspace) -> None:
    client = signed_in(make_member(workspace, Role.ANALYST))
    upload_row = upload(client, EXPORT)

    page = client.get(reverse("traffic:import", args=[upload_row.pk]))
    preview = client.post(reverse("traffic:import", args=[upload_row.pk]), {**MAPPING, "action": "preview"})

    assert page.status_code == 200
    assert '<option value="Landing page" selected>' in page.content.decode()
    html = preview.content.decode()
    assert "6 rows: 3 days and pages, 2 rows refused." in html
    assert "Row 6: bounces (12) exceed sessions (10)." in html
    assert "Row 7: “yesterday” is not a date (use YYYY-MM-DD)." in html
    assert ImportedTraffic.objects.count() == 0


def test_importing_stores_each_day_and_page_once_and_a_second_import_replaces_it(workspace: Workspace) -> None:
    client = signed_in(make_member(workspace, Role.ANALYST))
    first = upload(client, EXPORT)

    response = client.post(reverse("traffic:import", args=[first.pk]), {**MAPPING, "action": "import"})

    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.status, first.rows_read, first.rows_stored, len(first.errors)) == (ImportStatus.IMPORTED, 6, 3, 2)
    result = client.get(reverse("traffic:import", args=[first.pk])).content.decode()
    assert "Row 7: “yesterday” is not a date (use YYYY-MM-DD)." in result
    pages = {
        page.landing_url: page
        for page in facade.landing_pages(
            workspace.pk, first_day=datetime.date(2026, 3, 10), last_day=datetime.date(2026, 3, 11)
        )
    }
    spring = pages["/spring"]
    assert (spring.sessions, spring.bounces, spring.conversions, spring.source) == (1150, 290, 47, "import")
    autumn = pages["nordlys.example/autumn"]
    assert (autumn.sessions, autumn.bounces) == (50, 50)

    second = upload(client, EXPORT.replace("/spring;2026-03-11;1,000;250;40", "/spring;2026-03-11;900;200;45"))
    client.post(reverse("traffic:import", args=[second.pk]), {**MAPPING, "action": "import"})

    assert ImportedTraffic.objects.filter(workspace=workspace).count() == 3
    [spring] = [
        page
        for page in facade.landing_pages(
            workspace.pk, first_day=datetime.date(2026, 3, 11), last_day=datetime.date(2026, 3, 11)
        )
        if page.landing_url == "/spring"
    ]
    assert (spring.sessions, spring.bounces, spring.conversions) == (900, 200, 45)


def test_a_missing_column_and_a_file_that_is_not_csv_are_refused_with_the_reason(workspace: Workspace) -> None:
    client = signed_in(make_member(workspace, Role.ANALYST))
    bad = client.post(
        reverse("traffic:import_upload"), {"file": SimpleUploadedFile("report.pdf", b"%PDF-1.7", "application/pdf")}
    )
    assert bad.status_code == 400
    assert "Upload a CSV file (.csv, .tsv or .txt), not “report.pdf”." in bad.content.decode()
    upload_row = upload(client, EXPORT)

    response = client.post(
        reverse("traffic:import", args=[upload_row.pk]), {**MAPPING, "sessions": "", "action": "import"}
    )

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert ImportedTraffic.objects.count() == 0


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.ANALYST, True), (Role.STRATEGIST, True), (Role.CONTENT_MANAGER, False), (Role.AGENCY, False)],
)
def test_who_may_set_up_sites_and_imports(workspace: Workspace, role: str, allowed: bool) -> None:
    client = signed_in(make_member(workspace, role))

    page = client.get(reverse("traffic:settings"))
    created = client.post(reverse("traffic:site_create"), {"name": "Shop", "hosts": "shop.example"})

    assert page.status_code == (200 if allowed else 403)
    assert created.status_code == (302 if allowed else 403)


def test_another_workspaces_import_is_not_found(workspace: Workspace) -> None:
    owner = signed_in(make_member(workspace, Role.ANALYST))
    upload_row = upload(owner, EXPORT)
    stranger = signed_in(make_member(role=Role.ANALYST))

    assert stranger.get(reverse("traffic:import", args=[upload_row.pk])).status_code == 404
