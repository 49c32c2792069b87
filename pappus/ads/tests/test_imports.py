"""Importing an ads manager's CSV through the pages: upload (type and size checked), columns suggested,
a preview naming each refused row, the import accounting for every row, and a second import of the
same days updating them rather than adding them again."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from pappus.ads import imports
from pappus.ads.models import Ad, AdCampaign, AdDaily, AdImport, AdSet, ImportStatus
from pappus.ads.tests.helpers import account, signed_in
from pappus.core.models import Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member

pytestmark = pytest.mark.django_db
EXPORT = (
    "Reporting starts,Campaign name,Ad set name,Ad name,Amount spent (EUR),Impressions,Reach,Link clicks,Results,"
    "Conversion value\n"
    '2026-03-10,Spring,Broad,Video,"1,200.50",100000,70000,1500,30,900.00\n'
    "2026-03-10,Spring,Broad,Video,10.00,1000,800,10,1,30.00\n"  # the same ad and day (another placement): added
    "2026-03-10,Spring,Lookalike,,50,4000,3000,40,2,60\n"  # an ad set row
    "2026-03-11,Autumn,,,80,5000,,50,,\n"  # a campaign row, empty optional cells
    "2026-03-11,Spring,Broad,Video,-5,100,50,1,0,0\n"  # a negative amount
    "yesterday,Spring,Broad,Video,5,100,50,1,0,0\n"  # not a date
    "2026-03-12,Spring,Broad,Video,5,1.5,50,1,0,0\n"  # not a whole number
    "2026-03-12,,Broad,Video,5,10,5,1,0,0\n"  # no campaign
)
MAPPING = {
    "day": "Reporting starts",
    "campaign": "Campaign name",
    "ad_set": "Ad set name",
    "ad": "Ad name",
    "spend": "Amount spent (EUR)",
    "impressions": "Impressions",
    "reach": "Reach",
    "clicks": "Link clicks",
    "conversions": "Results",
    "revenue": "Conversion value",
}


def upload(client: Client, account_id: int, content: str, name: str = "export.csv") -> Any:
    return client.post(
        reverse("ads:import_upload"),
        {"account": account_id, "file": SimpleUploadedFile(name, content.encode(), "text/csv")},
    )


def test_the_columns_are_suggested_and_the_preview_names_each_refused_row(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    client = signed_in(manager)
    meta = account(manager)
    assert upload(client, meta.pk, EXPORT).status_code == 302
    row = AdImport.objects.get()

    page = client.get(reverse("ads:import", args=[row.pk]))
    preview = client.post(reverse("ads:import", args=[row.pk]), {**MAPPING, "action": "preview"})

    html = page.content.decode()
    for field, column in MAPPING.items():
        assert f'<option value="{column}" selected>' in html, field
    text = preview.content.decode()
    assert "8 rows: 3 days of campaigns, ad sets or ads, 4 rows refused." in text
    assert "Row 6: spend “-5” is not an amount." in text
    assert "Row 7: “yesterday” is not a date (use YYYY-MM-DD)." in text
    assert "Row 8: impressions must be a whole number from 0 to 1000000000000, not 1.5." in text
    assert "Row 9: The campaign is empty." in text
    assert AdDaily.objects.count() == 0


def test_every_row_is_accounted_for_and_a_second_import_updates_instead_of_duplicating(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    client = signed_in(manager)
    meta = account(manager)
    upload(client, meta.pk, EXPORT)
    first = AdImport.objects.get()

    response = client.post(reverse("ads:import", args=[first.pk]), {**MAPPING, "action": "import"})

    assert response.status_code == 302
    first.refresh_from_db()
    assert (first.status, first.rows_read, first.rows_imported, first.rows_updated, len(first.errors)) == (
        ImportStatus.IMPORTED,
        8,
        4,
        0,
        4,
    )
    result = client.get(reverse("ads:import", args=[first.pk])).content.decode()
    assert "8 rows read: 4 imported, 0 updated, 4 refused." in result
    assert "Row 7: “yesterday” is not a date (use YYYY-MM-DD)." in result
    video = AdDaily.objects.get(level="ad", ad__name="Video")
    assert (video.spend, video.impressions, video.clicks, video.conversions, video.revenue, video.currency) == (
        Decimal("1210.50"),
        101000,
        1510,
        31,
        Decimal("930.00"),
        "EUR",
    )
    assert AdDaily.objects.get(level="adset").ad_set == AdSet.objects.get(name="Lookalike")
    assert AdDaily.objects.get(level="campaign").campaign.name == "Autumn"

    # The next day's export repeats the 10th with a corrected figure: the day is updated, not added.
    again = EXPORT.replace('"1,200.50"', '"1,300.50"') + "2026-03-12,Spring,Broad,Video,7.25,700,600,7,0,0\n"
    upload(client, meta.pk, again)
    second = AdImport.objects.latest("pk")
    client.post(reverse("ads:import", args=[second.pk]), {**MAPPING, "action": "import"})
    second.refresh_from_db()

    assert (second.rows_read, second.rows_imported, second.rows_updated, len(second.errors)) == (9, 1, 4, 4)
    assert AdDaily.objects.count() == 4
    assert AdDaily.objects.get(level="ad", day=datetime.date(2026, 3, 10)).spend == Decimal("1310.50")
    assert (AdCampaign.objects.count(), AdSet.objects.count(), Ad.objects.count()) == (2, 2, 1)
    listing = client.get(reverse("ads:imports")).content.decode()
    assert "export.csv" in listing


def test_a_file_that_is_not_csv_or_too_large_is_refused_with_the_reason(workspace: Workspace) -> None:
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER)
    client = signed_in(manager)
    meta = account(manager)

    wrong_type = upload(client, meta.pk, "not,a,csv", name="report.xlsx")
    too_large = upload(client, meta.pk, "a" * (imports.MAXIMUM_BYTES + 1))

    assert wrong_type.status_code == 400
    assert "Upload a CSV file (.csv, .tsv or .txt), not “report.xlsx”." in wrong_type.content.decode()
    assert "The file is larger than 10 MB." in too_large.content.decode()
    assert AdImport.objects.count() == 0


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1234.5", "1234.50"),
        ("1,234.50", "1234.50"),
        ("1 234,50", "1234.50"),
        ("€12.30", "12.30"),
        ("1.234", "1234.00"),
    ],
)
def test_amounts_are_read_in_the_usual_notations(text: str, amount: str) -> None:
    assert imports.parse_amount(text, "spend") == Decimal(amount)


def test_an_amount_beyond_the_bound_is_refused() -> None:
    with pytest.raises(ValueError, match="larger than"):
        imports.parse_amount("99999999999999999999", "spend")


def test_a_day_outside_1970_to_2999_is_refused() -> None:
    with pytest.raises(ValueError, match="between 1970 and 2999"):
        imports.parse_day("0001-01-01")
    assert imports.parse_day("31.12.2999").year == 2999
