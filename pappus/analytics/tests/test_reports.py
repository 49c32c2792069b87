"""Reports over the hand-computed fixture (10-16 March 2026, the previous period 3-9 March): the numbers
in the report, the PDF's text and pages read back with poppler, a region's report with its spokes, and
the report in Russian and Chinese."""

from __future__ import annotations

import datetime
import shutil
import subprocess

import pytest
from django.utils import translation

from pappus.analytics import reports
from pappus.analytics.tests.conftest import FIRST, LAST
from pappus.core.models import Region, Workspace
from pappus.core.tests.factories import make_region

pytestmark = pytest.mark.django_db
GENERATED = datetime.datetime(2026, 3, 17, 0, 37, tzinfo=datetime.UTC)


def poppler(command: str, pdf: bytes) -> str:
    if shutil.which(command) is None:
        pytest.skip(f"{command} not installed (Debian: apt-get install poppler-utils)")
    arguments = [command, "-layout", "-", "-"] if command == "pdftotext" else [command, "-"]
    return subprocess.run(arguments, input=pdf, capture_output=True, check=True).stdout.decode()


def pdf_pages(pdf: bytes) -> int:
    for line in poppler("pdfinfo", pdf).splitlines():
        if line.startswith("Pages:"):
            return int(line.split()[1])
    raise AssertionError("pdfinfo printed no page count")


def weekly(workspace: Workspace, *, region: Region | None = None, language: str = "en") -> reports.Rendered:
    return reports.render(
        workspace,
        kind="weekly",
        first_day=FIRST,
        last_day=LAST,
        region=region,
        language=language,
        generated_at=GENERATED,
    )


def test_periods_are_the_whole_utc_day_iso_week_or_month_before_today() -> None:
    tuesday = datetime.date(2026, 3, 17)
    assert reports.period_for("daily", tuesday) == (datetime.date(2026, 3, 16), datetime.date(2026, 3, 16))
    assert reports.period_for("weekly", tuesday) == (datetime.date(2026, 3, 9), datetime.date(2026, 3, 15))
    assert reports.period_for("monthly", tuesday) == (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
    assert reports.period_for("monthly", datetime.date(2026, 1, 1)) == (
        datetime.date(2025, 12, 1),
        datetime.date(2025, 12, 31),
    )
    assert reports.period_containing("weekly", datetime.date(2026, 3, 15)) == (
        datetime.date(2026, 3, 9),
        datetime.date(2026, 3, 15),
    )


def test_the_report_shows_the_fixtures_kpis_top_posts_mentions_and_inbox_times(fixture: Workspace) -> None:
    with translation.override("en"):
        found = reports.content(
            fixture, kind="weekly", first_day=FIRST, last_day=LAST, region=None, generated_at=GENERATED
        )

    kpis = {row["key"]: (row["value"], row["previous"], row["change"]) for row in found["kpis"]}
    # The same hand-computed values as test_kpis (audience growth 125 - 100 + 58 - 50, and so on).
    assert kpis["audience_growth"] == ("33", "0", "+33")
    assert kpis["followers"] == ("183", "100", "+83")
    assert kpis["engagements"] == ("50", "50", "0")
    assert kpis["engagement_rate"] == ("5.6 %", "5.0 %", "+0.6 pp")  # 50 / 900 x 100; 50 / 1000 x 100
    assert kpis["negative_feedback_rate"] == ("20.0 %", "100.0 %", "-80.0 pp")
    assert kpis["share_of_voice"] == ("60.0 %", "—", "—")
    assert kpis["publishing_reliability"] == ("80.0 %", "100.0 %", "-20.0 pp")
    # Only the Bluesky post was published in the period (the Mastodon one on 9 March): 14 + 2 + 1 + 3.
    assert found["top_posts"] == [
        {
            "title": "Published post " + found["top_posts"][0]["title"].rsplit(" ", 1)[-1],
            "network": "bluesky",
            "published": "March 14, 2026",
            "engagements": "20",
            "impressions": "400",
            "engagement_rate": "5.0 %",
        }
    ]
    # 30 + 50 + 20 analysed + 40 not analysed; the previous period had the 99 negative ones.
    assert (found["mentions"]["total"], found["mentions"]["previous"], found["mentions"]["analysed"]) == (
        "140",
        "99",
        "100",
    )
    assert [(row["count"], row["share"]) for row in found["mentions"]["rows"]] == [
        ("30", "30.0 %"),
        ("50", "50.0 %"),
        ("20", "20.0 %"),
    ]
    # Answered in the period after 2, 4 and 1 hours (median 2); closed after 24 and 6 hours (median 15).
    assert found["inbox"] == {
        "answered": "3",
        "closed": "2",
        "first_response": "2.0 h",
        "first_response_previous": "24.0 h",
        "resolution": "15.0 h",
        "resolution_previous": "—",
    }
    assert found["period"] == "March 10, 2026 to March 16, 2026"
    assert [chart.key for chart in found["charts"]] == list(reports.REPORT_CHARTS)


def test_the_pdf_holds_the_numbers_and_its_pages(fixture: Workspace) -> None:
    rendered = weekly(fixture)

    assert rendered.pdf.startswith(b"%PDF-")
    text = poppler("pdftotext", rendered.pdf)
    assert f"Weekly report for {fixture.name}" in text
    assert "Period: March 10, 2026 to March 16, 2026, compared with March 3, 2026 to March 9, 2026." in text
    lines = {" ".join(line.split()) for line in text.splitlines()}
    assert any(line.startswith("Audience growth 33 0 +33") for line in lines), lines
    assert any(line.startswith("Engagement rate 5.6 % 5.0 % +0.6 pp") for line in lines)
    assert "Mentions: 140 (previous period: 99); 100 with a sentiment." in text
    assert "Followers by day" in text  # a chart's heading, and the chart's own axis title in its SVG
    assert "Sentiment of mentions by day" in text
    assert pdf_pages(rendered.pdf) == rendered.pages
    assert rendered.pages >= 2
    # The e-mail's HTML names each chart by content id; the document carries the SVGs themselves.
    assert set(rendered.chart_specs) == {f"chart-{key}@pappus" for key in reports.REPORT_CHARTS}
    for content_id in rendered.chart_specs:
        assert f'src="cid:{content_id}"' in rendered.email_html
    assert rendered.html.count("<svg") >= len(reports.REPORT_CHARTS)
    assert "<svg" not in rendered.email_html
    assert "Audience growth: 33 (Previous period: 0; Change: +33)" in rendered.text


def test_a_region_report_rolls_up_its_spokes(fixture: Workspace, spoke: Region) -> None:
    nordics = make_region(fixture, "Nordics")
    spoke.parent = nordics
    spoke.save()

    found = reports.content(
        fixture, kind="weekly", first_day=FIRST, last_day=LAST, region=nordics, generated_at=GENERATED
    )
    kpis = {row["key"]: row["value"] for row in found["kpis"]}

    # Only the Norway spoke's Bluesky account (58 followers, 50 → 58) and its post (20 engagements);
    # the Mastodon account has no region and stays out.
    assert (kpis["followers"], kpis["audience_growth"], kpis["engagements"]) == ("58", "8", "20")
    assert found["title"] == "Weekly report for Nordics"
    assert found["is_region"] is True
    hub = Region.objects.get(workspace=fixture, parent__isnull=True)
    from_hub = reports.content(
        fixture, kind="weekly", first_day=FIRST, last_day=LAST, region=hub, generated_at=GENERATED
    )
    assert {row["key"]: row["value"] for row in from_hub["kpis"]}["followers"] == "58"


def test_a_report_in_russian_formats_numbers_and_dates_for_russian(fixture: Workspace) -> None:
    rendered = weekly(fixture, language="ru")

    text = poppler("pdftotext", rendered.pdf)
    assert "Еженедельный отчёт" in text
    assert "10 марта 2026" in text
    assert "5,6 %" in text  # a decimal comma
    assert "Рост аудитории" in text
    assert "Еженедельный отчёт" in rendered.subject


def test_a_report_in_chinese_renders_its_text_in_the_pdf(fixture: Workspace) -> None:
    fixture.default_language = "zh-hans"
    fixture.save()

    rendered = weekly(fixture, language=fixture.default_language)

    text = poppler("pdftotext", rendered.pdf)
    assert "周报" in text
    assert "2026年3月10日" in text
    assert "受众增长" in text
    assert "热门帖子" in text
