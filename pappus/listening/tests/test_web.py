"""The listening pages as a signed-in person uses them: search with facets and htmx results, CSV
export, topics with the live query check, sources with their health, file import with a preview and
column mapping, the webhook address, and rejected items with retry; roles and workspaces."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from pappus.core.audit import Actor
from pappus.core.models import Membership
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_workspace
from pappus.listening import pipeline, services
from pappus.listening.models import FileImport, ImportStatus, Mention, RejectedItem, RunStatus, Source, Topic
from pappus.listening.pipeline import map_normalized

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("test")


def signed_in(membership: Membership) -> Client:
    client = Client()
    client.force_login(membership.user)
    return client


@pytest.fixture
def analyst(workspace: Any) -> Membership:
    return make_member(workspace, Role.ANALYST)


@pytest.fixture
def source(analyst: Membership) -> Source:
    source = services.source_create(actor=ACTOR, membership=analyst, name="Hook", kind="webhook")
    services.topic_create(actor=ACTOR, membership=analyst, name="Brand", query="pappus")
    run = services.ingest_run_start(source)
    items: list[dict[str, Any]] = [
        {"external_id": "1", "text": "Pappus coffee is =great", "language": "en", "like_count": 3},
        {"external_id": "2", "text": "Pappus kaffe er godt", "language": "nb", "like_count": 9},
        {"external_id": "3", "text": "这家咖啡很好喝", "language": "zh"},
        {"external_id": "4", "text": ""},
    ]
    services.ingest_items(source=source, run=run, items=items, mapper=map_normalized, analyze=None)
    services.ingest_run_finish(run, status=RunStatus.SUCCEEDED)
    return source


def texts(html: str) -> list[str]:
    return re.findall(r'<article class="card mention" data-testid="mention">.*?<p>([^<]*)</p>', html, re.S)


def test_search_page_with_facets_and_htmx_results(
    analyst: Membership, source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "_nlp_analyze", lambda: None)  # the notice shows while pappus.nlp is absent
    client = signed_in(analyst)
    page = client.get(reverse("listening:mentions"), {"q": "pappus"})
    html = page.content.decode()
    assert page.status_code == 200
    assert texts(html) == ["Pappus kaffe er godt", "Pappus coffee is =great"]
    assert 'data-testid="enrichment-placeholder"' in html
    assert re.search(r'<a href="\?q=pappus&amp;language=nb"[^>]*>nb</a> <span class="muted">1</span>', html)

    fragment = client.get(
        reverse("listening:mentions"), {"q": "pappus", "language": "nb"}, headers={"HX-Request": "true"}
    )
    body = fragment.content.decode()
    assert body.strip().startswith('<div id="results"')
    assert "<html" not in body
    assert texts(body) == ["Pappus kaffe er godt"]
    # the chosen facet value links to the search without it
    assert re.search(r'<a href="\?q=pappus"[^>]*aria-current="true"[^>]*>nb</a>', body)

    chinese = client.get(reverse("listening:mentions"), {"q": "咖啡", "sort": "engagement"}).content.decode()
    assert texts(chinese) == ["这家咖啡很好喝"]


def test_csv_export_streams_every_matching_mention_safely(analyst: Membership, source: Source) -> None:
    response = signed_in(analyst).get(reverse("listening:mention_export"), {"q": "pappus", "sort": "oldest"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))  # type: ignore[attr-defined]
    assert rows[0][:3] == ["Published (UTC)", "Source", "Network"]
    assert [row[5] for row in rows[1:]] == ["Pappus coffee is =great", "Pappus kaffe er godt"]


def test_topics_are_created_and_edited_and_the_query_is_checked_while_typed(
    analyst: Membership, source: Source
) -> None:
    client = signed_in(analyst)
    check = client.post(reverse("listening:topic_check"), {"query": "(pappus OR dandelion"}).content.decode()
    assert "Position 21: expected a closing parenthesis for the one opened at 1, found the end of the query" in check
    assert "<mark> </mark>" in check
    check = client.post(reverse("listening:topic_check"), {"query": "coffee NEAR/3 lang:ru"}).content.decode()
    assert "Position 15:" in check
    assert "coffee NEAR/3 <mark>l</mark>ang:ru" in check
    assert "The query is valid." in client.post(reverse("listening:topic_check"), {"query": "pappus"}).content.decode()

    refused = client.post(reverse("listening:topics"), {"name": "Bad", "kind": "brand", "query": "NOT tea"})
    assert refused.status_code == 200
    assert "Position 1: a query cannot match on exclusions alone" in refused.content.decode()
    created = client.post(
        reverse("listening:topics"), {"name": "Rival", "kind": "competitor", "query": "rival*", "is_active": "on"}
    )
    assert created.status_code == 302
    rival = Topic.objects.get(name="Rival")
    client.post(
        reverse("listening:topic", args=[rival.pk]),
        {"name": "Rival", "kind": "competitor", "query": "rival* OR rivale"},
    )
    rival.refresh_from_db()
    assert (rival.query, rival.is_active) == ("rival* OR rivale", False)


def test_sources_list_and_health_page(analyst: Membership, source: Source) -> None:
    client = signed_in(analyst)
    listing = client.get(reverse("listening:sources")).content.decode()
    assert re.search(r">Hook</a></td><td>Inbound webhook</td>.*?<td>0.1</td>", listing, re.S)  # 3 stored / 24 h
    health = client.get(reverse("listening:source", args=[source.pk])).content.decode()
    assert f"/hooks/listening/{source.token}/" in health
    assert 'data-testid="items-per-hour">0.1<' in health
    rotated = client.post(reverse("listening:source", args=[source.pk]), {"action": "rotate"}).content.decode()
    source.refresh_from_db()
    assert source.config["signing_secret"] in rotated
    created = client.post(
        reverse("listening:sources"), {"name": "Feed", "kind": "rss", "url": "", "poll_interval_seconds": 900}
    )
    assert "A feed needs its address" in created.content.decode()


def test_a_file_is_uploaded_previewed_mapped_and_imported(
    analyst: Membership, django_capture_on_commit_callbacks: Any, settings: Any, tmp_path: Any
) -> None:
    settings.STORAGES = {**settings.STORAGES, "default": {
        "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}  # fmt: skip
    files = services.source_create(actor=ACTOR, membership=analyst, name="Old tool", kind="file")
    client = signed_in(analyst)
    refused = client.post(
        reverse("listening:source", args=[files.pk]), {"file": SimpleUploadedFile("book.xlsx", b"PK\x03\x04..")}
    )
    assert "expected a .csv, .tsv, .json, .ndjson or .jsonl file, got .xlsx" in refused.content.decode()
    upload = SimpleUploadedFile("export.csv", b"Post ID,Content,Posted\np1,Pappus rocks,2026-01-01\np2,,2026-01-02\n")
    response = client.post(reverse("listening:source", args=[files.pk]), {"file": upload})
    file_import = FileImport.objects.get()
    assert response["Location"] == reverse("listening:file_import", args=[file_import.pk])
    preview = client.get(response["Location"]).content.decode()
    assert '<th scope="col">Content</th>' in preview
    assert "<td>Pappus rocks</td>" in preview
    assert re.search(r'<option value="Content" selected>Content</option>', preview)
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            response["Location"], {"text": "Content", "external_id": "Post ID", "published_at": "Posted"}
        )
    assert started.status_code == 302
    file_import.refresh_from_db()
    assert file_import.status == ImportStatus.SUCCEEDED
    assert list(Mention.objects.filter(source=files).values_list("text", flat=True)) == ["Pappus rocks"]
    rejected = client.get(reverse("listening:rejected")).content.decode()
    assert "row 3: the item is empty: expected a title or some text" in rejected


def test_rejected_items_are_retried_from_the_page(analyst: Membership, source: Source) -> None:
    item = RejectedItem.objects.get()
    item.raw["text"] = "now it has text"
    item.save()
    client = signed_in(analyst)
    assert "the item is empty" in client.get(reverse("listening:rejected")).content.decode()
    response = client.post(reverse("listening:rejected"), {"item": item.pk}, follow=True)
    assert "The item was stored." in response.content.decode()
    assert "Nothing was rejected." in response.content.decode()


def test_roles_and_workspaces_on_the_pages(analyst: Membership, source: Source) -> None:
    executive = signed_in(make_member(analyst.workspace, Role.EXECUTIVE))
    assert executive.get(reverse("listening:mentions")).status_code == 200
    assert executive.post(reverse("listening:topics"), {"name": "T", "kind": "brand", "query": "x1"}).status_code == 403
    item = RejectedItem.objects.get()
    assert executive.post(reverse("listening:rejected"), {"item": item.pk}).status_code == 403
    agency = signed_in(make_member(analyst.workspace, Role.AGENCY))
    for name in ("listening:mentions", "listening:topics", "listening:sources", "listening:rejected"):
        assert agency.get(reverse(name)).status_code == 403
    stranger = signed_in(make_member(make_workspace(), Role.OWNER))
    assert texts(stranger.get(reverse("listening:mentions")).content.decode()) == []
    assert stranger.get(reverse("listening:source", args=[source.pk])).status_code == 404
    assert stranger.post(reverse("listening:rejected"), {"item": item.pk}).status_code == 404
    home = signed_in(analyst).get(reverse("core:home")).content.decode()
    assert {"Mentions", "Topics", "Sources", "Rejected items"} <= set(re.findall(r"<a [^>]*>([^<]+)</a>", home))


def test_pages_speak_the_language_of_the_user(analyst: Membership, source: Source) -> None:
    analyst.user.language = "ru"
    analyst.user.save(update_fields=["language"])
    html = signed_in(analyst).get(reverse("listening:mentions")).content.decode()
    assert "<h1>Упоминания</h1>" in html
    assert "Сначала новые" in html
