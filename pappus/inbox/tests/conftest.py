"""Fixtures of the inbox tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from pappus.inbox import services
from pappus.inbox.tests.factories import marked_analyze


@pytest.fixture(autouse=True)
def deterministic_triage(monkeypatch: pytest.MonkeyPatch) -> None:
    """Triage reads markers ([purchase], [toxic] …) instead of the trained models, unless a test
    asks for the real models with the ``real_triage`` fixture."""
    monkeypatch.setattr(services, "analyze_texts", marked_analyze)


@pytest.fixture
def real_triage(monkeypatch: pytest.MonkeyPatch, deterministic_triage: None) -> None:
    from pappus import nlp

    monkeypatch.setattr(services, "analyze_texts", nlp.analyze)


@pytest.fixture(autouse=True)
def english_after_each_test() -> Iterator[None]:
    yield
    translation.activate("en")
