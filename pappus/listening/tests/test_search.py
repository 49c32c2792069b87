# ruff: noqa: RUF001 - Cyrillic and Han text is meant.
"""Search over stored mentions on the real database (FTS5 on SQLite, GIN tsvector on PostgreSQL):
the same words find the same mentions on both, filters and facets, order and workspace scoping."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from pappus.core.audit import Actor
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_workspace
from pappus.listening import fulltext, services
from pappus.listening.models import Mention, RunStatus, Source
from pappus.listening.pipeline import map_normalized
from pappus.listening.search import MentionSearch, search_facets, search_mentions

ACTOR = Actor.system("test")

ITEMS: list[dict[str, Any]] = [
    {"external_id": "1", "text": "The Pappus café opened in Oslo", "language": "en", "country": "NO",
     "author_handle": "ann", "like_count": 5, "published_at": "2026-01-01T10:00:00Z"},
    {"external_id": "2", "text": "Flat white at Pappus was cold", "language": "en", "country": "GB",
     "author_handle": "bob", "like_count": 50, "share_count": 3, "published_at": "2026-01-02T10:00:00Z"},
    {"external_id": "3", "text": "这家咖啡很好喝，蒲公英真不错", "language": "zh", "country": "CN",
     "author_handle": "chen", "published_at": "2026-01-03T10:00:00Z"},
    {"external_id": "4", "text": "Кофейня Папус открылась, кофе отличный", "language": "ru", "country": "RU",
     "author_handle": "ann", "comment_count": 9, "published_at": "2026-01-04T10:00:00Z"},
    {"external_id": "5", "text": "Blåbær og kaffe hos Pappus", "language": "nb", "country": "NO",
     "author_handle": "dag", "published_at": "2026-01-05T10:00:00Z"},
    {"external_id": "6", "text": "Coffeeshops everywhere, coffee-lovers rejoice", "language": "en",
     "author_handle": "eve", "published_at": "2026-01-06T10:00:00Z"},
]  # fmt: skip


@pytest.fixture
def analyst(workspace: Any) -> Any:
    return make_member(workspace, Role.ANALYST)


@pytest.fixture
def source(analyst: Any) -> Source:
    source = services.source_create(actor=ACTOR, membership=analyst, name="Hook", kind="webhook")
    services.topic_create(actor=ACTOR, membership=analyst, name="Pappus", query="pappus OR папус OR 蒲公英")
    run = services.ingest_run_start(source)
    services.ingest_items(source=source, run=run, items=ITEMS, mapper=map_normalized, analyze=None)
    services.ingest_run_finish(run, status=RunStatus.SUCCEEDED)
    Mention.objects.filter(external_id="2").update(sentiment="negative")
    Mention.objects.filter(external_id__in=["1", "5"]).update(sentiment="positive")
    return source


def found(workspace: Any, text: str = "", **filters: Any) -> list[str]:
    return [mention.external_id for mention in search_mentions(workspace, MentionSearch(text=text, **filters))]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pappus", ["5", "2", "1"]),
        ("PAPPUS cafe", ["1"]),  # case and accents fold: cafe = café
        ('"flat white"', ["2"]),
        ('"white flat"', []),
        ("coffee", ["6"]),  # whole words: not coffeeshops
        ("coffee*", ["6"]),
        ("coffeeshop*", ["6"]),
        ("pappus -cold", ["5", "1"]),
        ("pappus OR папус", ["5", "4", "2", "1"]),
        ("папус", ["4"]),
        ("咖啡", ["3"]),  # a two-character Chinese word inside a sentence
        ("咖啡很好", ["3"]),
        ("咖", ["3"]),  # one character: a prefix of the pairs
        ("蒲公英", ["3"]),
        ("blabaer", ["5"]),
        ("", ["6", "5", "4", "3", "2", "1"]),
        ('"unclosed quote', []),
        ("-pappus", ["6", "4", "3"]),
    ],
)
def test_full_text_finds_the_same_mentions_on_both_databases(
    analyst: Any, source: Source, text: str, expected: list[str]
) -> None:
    assert found(analyst.workspace, text) == expected


@pytest.mark.django_db
def test_filters_and_order(analyst: Any, source: Source) -> None:
    workspace = analyst.workspace
    assert found(workspace, languages=["en"], sort="engagement") == ["2", "1", "6"]
    assert found(workspace, countries=["no"], sort="oldest") == ["1", "5"]
    assert found(workspace, authors=["@ann"]) == ["4", "1"]
    assert found(workspace, sentiments=["negative", "positive"]) == ["5", "2", "1"]
    since = datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC)
    until = datetime.datetime(2026, 1, 4, tzinfo=datetime.UTC)
    assert found(workspace, since=since, until=until) == ["3", "2"]
    topic = source.workspace.listening_topics.get()
    assert found(workspace, topic_ids=[topic.pk]) == ["5", "4", "3", "2", "1"]
    assert found(workspace, "pappus", source_ids=[source.pk], countries=["GB"]) == ["2"]


@pytest.mark.django_db
def test_facets_count_each_value_under_the_other_filters(analyst: Any, source: Source) -> None:
    facets = search_facets(analyst.workspace, MentionSearch(text="pappus", languages=["en"])).values
    # The language facet ignores the language filter, so other languages stay visible with their counts.
    assert [(value.value, value.count) for value in facets["language"]] == [("en", 2), ("nb", 1)]
    assert [(value.label, value.count) for value in facets["sentiment"]] == [("Negative", 1), ("Positive", 1)]
    assert [(value.value, value.count) for value in facets["country"]] == [("GB", 1), ("NO", 1)]
    assert [(value.label, value.count) for value in facets["topic"]] == [("Pappus", 2)]
    assert [(value.label, value.count) for value in facets["source"]] == [("Hook", 2)]
    assert [value.value for value in facets["author"]] == ["ann", "bob"]


@pytest.mark.django_db
def test_search_never_reaches_another_workspace(analyst: Any, source: Source) -> None:
    other = make_member(make_workspace(), Role.OWNER)
    assert found(other.workspace, "pappus") == []
    assert search_facets(other.workspace, MentionSearch(text="pappus")).values["language"] == []


@pytest.mark.django_db
def test_edited_and_deleted_mentions_leave_the_index(analyst: Any, source: Source) -> None:
    mention = Mention.objects.get(external_id="6")
    mention.search_text = fulltext.search_text_of("", "tea only")
    mention.save(update_fields=["search_text"])
    assert found(analyst.workspace, "coffee") == []
    assert found(analyst.workspace, "tea") == ["6"]
    Mention.objects.filter(external_id="1").delete()
    assert found(analyst.workspace, "cafe") == []


def test_the_search_box_syntax() -> None:
    terms = fulltext.parse_search('flat "white coffee" -decaf caf* a OR b 咖啡馆')
    assert fulltext.to_tsquery(terms) == (
        "'flat' & ('white' <-> 'coffee') & !'decaf' & 'caf':* & ('a' | 'b') & '咖啡馆'"
    )
    assert fulltext.search_text_of("Title", "Café, 这家咖啡!") == " title cafe 这家 咖啡 "
