"""The listening demo: topics, a feed and a file import through the real pipeline, loaded once."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client, override_settings

from pappus.core import demo
from pappus.core.models import AuditEvent, Workspace
from pappus.listening.models import (
    FileImport,
    IngestRun,
    Mention,
    MentionRollup,
    MentionTopic,
    RejectedItem,
    Source,
    Topic,
)

PASSWORD = "demo-test-password"


@pytest.fixture
def media(tmp_path: Path) -> Iterator[Path]:
    with override_settings(MEDIA_ROOT=tmp_path):
        yield tmp_path


def _counts() -> dict[str, int]:
    return {
        "topics": Topic.objects.count(),
        "sources": Source.objects.count(),
        "runs": IngestRun.objects.count(),
        "imports": FileImport.objects.count(),
        "mentions": Mention.objects.count(),
        "matches": MentionTopic.objects.count(),
        "rejected": RejectedItem.objects.count(),
        "rollup_total": sum(MentionRollup.objects.filter(topic_id=0).values_list("count", flat=True)),
    }


@pytest.mark.django_db
def test_the_demo_listens_in_four_languages_through_the_pipeline(media: Path) -> None:
    demo.load_demo(demo.demo_plan(), password=PASSWORD)
    nordlys = Workspace.objects.get(slug="nordlys-coffee")
    mentions = Mention.objects.for_workspace(nordlys)
    assert 300 <= mentions.count() <= 600
    # Languages as language analysis gives them (Norwegian Bokmål comes back as "no").
    assert {"en", "ru", "zh"} <= set(mentions.values_list("language", flat=True))
    assert {"nb", "no"} & set(mentions.values_list("language", flat=True))
    assert set(mentions.values_list("sentiment", flat=True)) >= {"positive", "neutral", "negative"}
    assert mentions.exclude(enrichment_status="done").count() == 0
    assert mentions.exclude(country="").exists()
    assert mentions.filter(engagement__gt=0).exists()
    # Every topic matches some mentions, the brand most of them, in every language.
    topics = {topic.name: topic for topic in Topic.objects.for_workspace(nordlys)}
    assert len(topics) == 4
    for topic in topics.values():
        assert MentionTopic.objects.filter(topic=topic).exists(), topic.name
    brand = mentions.filter(topic_matches__topic=topics["Nordlys"])
    assert {"en", "ru", "zh"} <= set(brand.values_list("language", flat=True))
    # Rollups count what was stored; the runs account for duplicates and rejections.
    assert MentionRollup.objects.for_workspace(nordlys).exists()
    assert _counts()["rollup_total"] == mentions.count()
    runs = list(IngestRun.objects.for_workspace(nordlys))
    assert {run.source.kind for run in runs} == {"rss", "file"}
    # The demo feed's address is fictional, so the source is paused and never polled for real.
    assert not Source.objects.for_workspace(nordlys).get(kind="rss").is_active
    assert all(run.is_balanced and run.status == "succeeded" for run in runs)
    assert sum(run.duplicates for run in runs) > 0
    assert sum(run.rejected for run in runs) == 2 == RejectedItem.objects.for_workspace(nordlys).count()
    assert mentions.filter(duplicate_of__isnull=False).exists()  # reposts are clustered
    actions = set(AuditEvent.objects.for_workspace(nordlys).values_list("action", flat=True))
    assert {"listening.topic.create", "listening.source.create", "listening.file_import.start"} <= actions
    # The bakery listens to nothing yet.
    assert not Mention.objects.for_workspace(Workspace.objects.get(slug="solsikke-bakeri")).exists()
    # The pages show the data.
    client = Client()
    assert client.login(email="demo@pappus.local", password=PASSWORD)
    page = client.get("/listening/mentions/")
    assert page.status_code == 200
    assert "Nordlys" in page.content.decode()
    for path in ("/listening/topics/", "/listening/sources/"):
        assert client.get(path).status_code == 200


@pytest.mark.django_db
def test_loading_the_demo_twice_adds_no_listening_rows(media: Path) -> None:
    demo.load_demo(demo.demo_plan(4), password=PASSWORD)
    counts = _counts()
    demo.load_demo(demo.demo_plan(4), password=PASSWORD)
    assert _counts() == counts
