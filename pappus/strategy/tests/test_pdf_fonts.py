"""The strategy document in Chinese is set in a CJK font: the PDF embeds Noto Sans CJK, read back
with poppler's pdffonts."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from pappus.core.tests.factories import make_workspace
from pappus.strategy import services
from pappus.strategy.tests.factories import START, actor, make_program, strategist

pytestmark = pytest.mark.django_db


def embedded_fonts(pdf: bytes) -> list[str]:
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts not installed (Debian: apt-get install poppler-utils)")
    output = subprocess.run(["pdffonts", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
    return [line.split()[0] for line in output.splitlines()[2:] if line.strip()]


def test_a_chinese_strategy_document_embeds_the_noto_sans_cjk_font() -> None:
    member = strategist(make_workspace(name="北极光咖啡", default_language="zh-hans"))
    make_program(member, name="冬季暖心计划", goals="成为温暖咖啡话题的首选品牌。")

    document = services.document_generate(actor=actor(member), membership=member, as_of=START)

    fonts = embedded_fonts(bytes(document.pdf))
    cjk = [name for name in fonts if "NotoSansCJK" in name.replace("-", "")]  # ABCDEF+Noto-Sans-CJK-SC
    assert cjk, f"no CJK font embedded ({fonts}): install fonts-noto-cjk"
