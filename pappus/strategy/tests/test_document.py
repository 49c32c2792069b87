"""The strategy document: Markdown and PDF from the whole strategy, versioned, in the workspace's
language, Chinese included (the PDF's text is read back with pdftotext from poppler-utils)."""

from __future__ import annotations

import datetime
import shutil
import subprocess

import pytest

from pappus.core.models import AuditEvent
from pappus.core.tests.factories import make_workspace
from pappus.strategy import services
from pappus.strategy.models import StrategyDocument
from pappus.strategy.tests.factories import START, actor, make_campaign, make_kpi, make_program, strategist

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext not installed (Debian: apt-get install poppler-utils)")
    result = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True)
    return result.stdout.decode()


def test_each_generation_is_a_new_version_with_the_program_names_in_markdown_and_pdf():
    member = strategist(make_workspace(name="Nordlys Coffee"))
    program = make_program(member, name="Winter Warmers", goals="Own the cosy-coffee conversation.")
    campaign = make_campaign(member, program=program, name="Advent Calendar", budget_planned=5000, budget_spent=1000)
    kpi = make_kpi(member, campaign=campaign, name="Advent reach", baseline=1000, target=2000)
    for offset, value in ((0, 1000), (7, 1100), (14, 1150)):
        services.kpi_record_value(
            actor=actor(member),
            membership=member,
            kpi=kpi,
            measured_on=START + datetime.timedelta(days=offset),
            value=value,
        )

    first = services.document_generate(
        actor=actor(member), membership=member, as_of=START + datetime.timedelta(days=15)
    )
    second = services.document_generate(
        actor=actor(member), membership=member, as_of=START + datetime.timedelta(days=15)
    )

    assert (first.version, second.version) == (1, 2)
    assert first.generated_by == member.user
    assert first.language == "en"
    assert "### Winter Warmers" in first.markdown
    assert "#### Advent Calendar" in first.markdown
    assert "| Advent reach | 2000 (2026-04-11) | 1150 | " in first.markdown
    assert bytes(first.pdf).startswith(b"%PDF-")
    text = pdf_text(bytes(first.pdf))
    assert "Social media strategy of Nordlys Coffee" in text
    assert "Winter Warmers" in text
    assert "Advent Calendar" in text
    events = AuditEvent.objects.filter(action="strategy.document.generate").order_by("id")
    assert [event.after["version"] for event in events] == [1, 2]
    assert StrategyDocument.objects.filter(workspace=member.workspace).count() == 2


def test_a_chinese_workspace_gets_its_document_in_chinese_with_cjk_text_in_the_pdf():
    member = strategist(make_workspace(name="北极光咖啡", default_language="zh-hans"))
    make_program(member, name="冬季暖心计划", goals="成为温暖咖啡话题的首选品牌。")

    document = services.document_generate(actor=actor(member), membership=member, as_of=START)

    assert document.language == "zh-hans"
    text = pdf_text(bytes(document.pdf))
    assert "冬季暖心计划" in text
    assert "成为温暖咖啡话题的首选品牌。" in text
    assert "北极光咖啡" in text
    assert "社交媒体战略" in text  # the title, in the workspace's language
    assert document.markdown.startswith("# 北极光咖啡 的社交媒体战略")
