"""The listening REST API as a client sees it: search with filters and facets, topics with
positioned query errors, sources with their health and webhook address, runs, rejected items and
retries, roles and workspace scoping."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pappus.core.audit import Actor
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_workspace
from pappus.core.tests.test_api import ApiClient, token_for
from pappus.listening import services
from pappus.listening.models import Mention, RejectedItem, RunStatus, Source
from pappus.listening.pipeline import map_normalized

pytestmark = pytest.mark.django_db
ACTOR = Actor.system("test")


@pytest.fixture
def analyst(workspace: Any) -> Any:
    return make_member(workspace, Role.ANALYST)


@pytest.fixture
def api(analyst: Any) -> ApiClient:
    return ApiClient(token_for(analyst))


@pytest.fixture
def source(analyst: Any) -> Source:
    source = services.source_create(actor=ACTOR, membership=analyst, name="Hook", kind="webhook")
    services.topic_create(actor=ACTOR, membership=analyst, name="Brand", query="pappus")
    run = services.ingest_run_start(source)
    items = [
        {"external_id": str(number), "text": f"Pappus review number {number}", "language": "en" if number % 2 else "nb",
         "like_count": number, "published_at": f"2026-01-{number:02d}T10:00:00Z"}
        for number in range(1, 8)
    ] + [{"external_id": "x", "text": ""}]  # fmt: skip
    services.ingest_items(source=source, run=run, items=items, mapper=map_normalized, analyze=None)
    services.ingest_run_finish(run, status=RunStatus.SUCCEEDED)
    return source


def test_search_pages_sorts_filters_and_counts_facets(api: ApiClient, source: Source) -> None:
    response = api.get("/mentions", {"q": "pappus review", "language": "en", "sort": "engagement", "limit": 2})
    assert response.status_code == 200
    page = response.json()
    assert page["count"] == 4
    assert [item["external_id"] for item in page["items"]] == ["7", "5"]
    assert page["next"].endswith("/api/v1/mentions?language=en&limit=2&offset=2&q=pappus+review&sort=engagement")
    assert page["previous"] is None
    assert page["facets"]["language"] == [
        {"value": "en", "label": "en", "count": 4},
        {"value": "nb", "label": "nb", "count": 3},
    ]
    assert page["facets"]["topic"][0]["label"] == "Brand"
    assert page["items"][0]["enrichment_status"] == "unavailable"

    second = api.get("/mentions", {"q": "pappus review", "language": "en", "sort": "engagement", "limit": 2,
                                   "offset": 2, "facets": "false"}).json()  # fmt: skip
    assert [item["external_id"] for item in second["items"]] == ["3", "1"]
    assert second["facets"] is None
    assert api.get("/mentions", {"since": "2026-01-06T00:00:00", "facets": "false"}).json()["count"] == 2


def test_search_query_count_is_pinned(api: ApiClient, source: Source) -> None:
    with CaptureQueriesContext(connection) as queries:
        assert api.get("/mentions", {"q": "pappus", "limit": 5}).status_code == 200
    # token lookup and last-used (3), count, page, six facets (the rollups' hourly totals, the
    # matches of the search they share read once, the topics matched among them), topic and source names
    assert len(queries) == 3 + 2 + 3 + 2


def test_one_mention_with_its_topics_and_raw_payload(api: ApiClient, source: Source) -> None:
    mention = Mention.objects.get(external_id="3")
    detail = api.get(f"/mentions/{mention.pk}").json()
    assert detail["text"] == "Pappus review number 3"
    assert detail["topic_ids"] == [source.workspace.listening_topics.get().pk]
    assert detail["raw"]["external_id"] == "3"
    assert api.get("/mentions/999999").status_code == 404


def test_topics_are_listed_and_created_with_positioned_query_errors(api: ApiClient, source: Source) -> None:
    assert [topic["name"] for topic in api.get("/topics").json()["items"]] == ["Brand"]
    created = api.post("/topics", {"name": "Rival", "query": "rival* NOT job", "kind": "competitor"})
    assert created.status_code == 201
    assert created.json()["kind"] == "competitor"
    broken = api.post("/topics", {"name": "Broken", "query": "(pappus OR dandelion"})
    assert broken.status_code == 422
    assert broken.json() == {
        "detail": [
            {
                "field": "query",
                "message": "Position 21: expected a closing parenthesis for the one opened at 1, found the end of "
                "the query",
            }
        ]
    }
    duplicate = api.post("/topics", {"name": "Rival", "query": "x1"})
    assert duplicate.status_code == 422
    assert duplicate.json()["detail"][0]["field"] == "name"


def test_sources_show_health_webhook_address_and_the_secret_once(api: ApiClient, source: Source) -> None:
    created = api.post("/sources", {"name": "Partner", "kind": "webhook"})
    assert created.status_code == 201
    body = created.json()
    assert body["webhook_url"].startswith("/hooks/listening/")
    assert len(body["signing_secret"]) >= 40
    listed = {item["name"]: item for item in api.get("/sources").json()["items"]}
    assert "signing_secret" not in listed["Partner"]
    assert listed["Hook"]["last_error"] == ""
    feed = api.post("/sources", {"name": "Feed", "kind": "rss"})
    assert feed.status_code == 422
    assert feed.json()["detail"] == [{"field": "url", "message": "A feed needs its address (http:// or https://)."}]

    runs = api.get(f"/sources/{source.pk}/runs").json()
    assert [(run["received"], run["stored"], run["rejected"]) for run in runs["items"]] == [(8, 7, 1)]


def test_rejected_items_are_listed_and_retried(api: ApiClient, source: Source) -> None:
    items = api.get("/rejected-items").json()["items"]
    assert [item["reason"] for item in items] == ["the item is empty: expected a title or some text"]
    item = RejectedItem.objects.get()
    item.raw["text"] = "Pappus, fixed"
    item.save()
    retried = api.post(f"/rejected-items/{item.pk}/retry", {})
    assert retried.status_code == 200
    assert (retried.json()["received"], retried.json()["stored"]) == (1, 1)
    assert api.get("/rejected-items").json()["count"] == 0
    assert api.get("/rejected-items", {"unresolved": "false"}).json()["count"] == 1


def test_roles_and_workspaces(analyst: Any, source: Source) -> None:
    executive = ApiClient(token_for(make_member(analyst.workspace, Role.EXECUTIVE)))
    assert executive.get("/mentions").status_code == 200
    assert executive.post("/topics", {"name": "T", "query": "x1"}).status_code == 403
    item = RejectedItem.objects.get()
    assert executive.post(f"/rejected-items/{item.pk}/retry", {}).status_code == 403
    agency = ApiClient(token_for(make_member(analyst.workspace, Role.AGENCY)))
    assert agency.get("/mentions").status_code == 403
    assert agency.get("/sources").status_code == 403
    stranger = ApiClient(token_for(make_member(make_workspace(), Role.OWNER)))
    assert stranger.get("/mentions").json()["count"] == 0
    mention = Mention.objects.first()
    assert mention is not None
    assert stranger.get(f"/mentions/{mention.pk}").status_code == 404
    assert stranger.get(f"/sources/{source.pk}/runs").status_code == 404
    assert stranger.post(f"/rejected-items/{item.pk}/retry", {}).status_code == 404
    assert ApiClient(None).get("/mentions").status_code == 401
