"""Reports in Chinese are set in a CJK font: the PDF embeds Noto Sans CJK (its glyphs, not boxes of
a Latin font that has none), read back with poppler's pdffonts."""

from __future__ import annotations

import datetime
import shutil
import subprocess

import pytest

from pappus.analytics import reports
from pappus.analytics.tests.conftest import FIRST, LAST
from pappus.core.models import Workspace

pytestmark = pytest.mark.django_db


def embedded_fonts(pdf: bytes) -> list[str]:
    """The names of the fonts a PDF embeds (``pdffonts``, the first column of each row)."""
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts not installed (Debian: apt-get install poppler-utils)")
    output = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return [line.split()[0] for line in output.splitlines()[2:] if line.strip()]


def test_a_report_in_chinese_embeds_the_noto_sans_cjk_font(fixture: Workspace) -> None:
    rendered = reports.render(
        fixture,
        kind="weekly",
        first_day=FIRST,
        last_day=LAST,
        region=None,
        language="zh-hans",
        generated_at=datetime.datetime(2026, 3, 17, 0, 37, tzinfo=datetime.UTC),
    )
    fonts = embedded_fonts(rendered.pdf)
    cjk = [name for name in fonts if "NotoSansCJK" in name.replace("-", "")]  # ABCDEF+Noto-Sans-CJK-SC
    assert cjk, f"no CJK font embedded ({fonts}): install fonts-noto-cjk"
