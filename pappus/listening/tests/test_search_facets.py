"""Facets of searches without words come from the hourly rollups: the same counts as counting
the mentions themselves, on both databases, and the mentions are counted when the rollups cannot."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from pappus.core.audit import Actor
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.listening import search, services
from pappus.listening.models import MentionTopic, RunStatus, Source, Topic
from pappus.listening.pipeline import map_normalized
from pappus.listening.search import MentionSearch, search_facets, search_mentions

ACTOR = Actor.system("test")
UTC = datetime.UTC
LANGUAGES = ("en", "nb", "ru", "")


def analyze(texts: list[str]) -> list[dict[str, Any]]:
    return [{"sentiment": ("positive", "negative", "neutral", "")[len(text) % 4]} for text in texts]


@pytest.fixture
def analyst(workspace: Any) -> Any:
    return make_member(workspace, Role.ANALYST)


@pytest.fixture
def sources(analyst: Any) -> list[Source]:
    made = [
        services.source_create(actor=ACTOR, membership=analyst, name=name, kind="webhook") for name in ("One", "Two")
    ]
    for name, query in (("Brand", "pappus"), ("Coffee", "coffee"), ("Both", "pappus coffee"), ("Tea", "tea")):
        services.topic_create(actor=ACTOR, membership=analyst, name=name, query=query)
    words = ("pappus", "coffee", "pappus coffee", "tea time", "nothing", "pappus tea coffee")
    for index, source in enumerate(made):
        items = [
            {
                "external_id": f"{index}-{number}",
                "text": f"{words[number % len(words)]} {'x' * (number % 7)}",
                "language": LANGUAGES[number % len(LANGUAGES)],
                "country": ("NO", "US")[number % 2],
                "author_handle": f"author{number % 3}",
                "published_at": (
                    datetime.datetime(2026, 2, 1, tzinfo=UTC) + datetime.timedelta(minutes=37 * number + index)
                ).isoformat(),
            }
            for number in range(60 + 20 * index)
        ]
        run = services.ingest_run_start(source)
        services.ingest_items(source=source, run=run, items=items, mapper=map_normalized, analyze=analyze)
        services.ingest_run_finish(run, status=RunStatus.SUCCEEDED)
    return made


def counted(workspace: Any, wanted: MentionSearch) -> dict[str, list[tuple[str, str, int]]]:
    facets = search_facets(workspace, wanted).values
    return {name: [(value.value, value.label, value.count) for value in values] for name, values in facets.items()}


def searches(workspace: Any, sources: list[Source]) -> list[MentionSearch]:
    topics = {topic.name: topic.pk for topic in Topic.objects.for_workspace(workspace)}
    hour = datetime.datetime(2026, 2, 1, 10, tzinfo=UTC)
    return [
        MentionSearch(),
        MentionSearch(languages=["en", "nb"]),
        MentionSearch(sentiments=["negative"], source_ids=[sources[1].pk]),
        MentionSearch(topic_ids=[topics["Brand"]]),
        MentionSearch(topic_ids=[topics["Brand"]], languages=["ru"], sentiments=["positive", "neutral"]),
        MentionSearch(since=hour, until=hour + datetime.timedelta(hours=20)),
        MentionSearch(since=hour.astimezone(datetime.timezone(datetime.timedelta(hours=5, minutes=30)))),
        # These need the mentions: two topics, a time inside an hour, a country, words.
        MentionSearch(topic_ids=[topics["Brand"], topics["Coffee"]]),
        MentionSearch(since=hour + datetime.timedelta(minutes=30)),
        MentionSearch(countries=["NO"]),
        MentionSearch(text="pappus", languages=["en"]),
    ]


@pytest.mark.django_db
def test_rollup_facets_equal_counting_the_mentions(
    analyst: Any, sources: list[Source], monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = analyst.workspace
    wanted = searches(workspace, sources)
    from_rollups = [counted(workspace, each) for each in wanted]
    monkeypatch.setattr(search, "countable_from_rollups", lambda _: False)
    from_mentions = [counted(workspace, each) for each in wanted]
    for each, rolled, direct in zip(wanted, from_rollups, from_mentions, strict=True):
        assert rolled == direct, each
    everything = from_mentions[0]
    assert [label for _, label, _ in everything["topic"]] == ["Brand", "Coffee", "Both", "Tea"]
    assert sum(count for _, _, count in everything["source"]) == 140
    assert sum(count for _, _, count in everything["language"]) == 105  # 35 have no language


@pytest.mark.django_db
def test_which_searches_the_rollups_count(analyst: Any, sources: list[Source]) -> None:
    countable = [search.countable_from_rollups(each) for each in searches(analyst.workspace, sources)]
    assert countable == [True] * 7 + [False] * 4
    with CaptureQueriesContext(connection) as queries:
        search_facets(analyst.workspace, MentionSearch(languages=["en"]))
    rollup_queries = [query for query in queries.captured_queries if "listening_mentionrollup" in query["sql"]]
    # four facets, and the hourly totals where the newest matches of country and author are sought
    assert len(rollup_queries) == 4 + 1
    # country and author from the mentions (their shared search's matches, read once: fewer than
    # the sample, so all of them); topic and source names
    assert len(queries.captured_queries) == 5 + 1 + 2


@pytest.mark.django_db
def test_deleted_topics_and_sources_leave_the_rollup_facets(analyst: Any, sources: list[Source]) -> None:
    workspace = analyst.workspace
    tea = Topic.objects.for_workspace(workspace).get(name="Tea")
    services.topic_delete(actor=ACTOR, membership=analyst, topic=tea)
    services.source_delete(actor=ACTOR, membership=analyst, source=sources[1])
    facets = counted(workspace, MentionSearch())
    assert [label for _, label, _ in facets["topic"]] == ["Brand", "Coffee", "Both"]
    assert facets["source"] == [(str(sources[0].pk), "One", 60)]


@pytest.mark.django_db
def test_counts_of_searches_the_rollups_can_count_come_from_them(analyst: Any, sources: list[Source]) -> None:
    workspace = analyst.workspace
    for each in searches(workspace, sources):
        with CaptureQueriesContext(connection) as queries:
            total = search_mentions(workspace, each).count()
        [query] = queries.captured_queries
        assert ("listening_mentionrollup" in query["sql"]) is search.countable_from_rollups(each)
        listed = list(search_mentions(workspace, each))
        assert total == len(listed), each
        assert search_mentions(workspace, each)[:3].count() == min(3, len(listed))
    assert search_mentions(workspace, MentionSearch()).count() == 140
    narrowed = search_mentions(workspace, MentionSearch()).filter(language="en")
    assert narrowed.count() == 35  # filtered further: the mentions are counted


@pytest.mark.django_db
def test_count_beyond_the_limit_is_a_lower_bound_and_facets_count_the_newest(
    sources: list[Source], analyst: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = analyst.workspace
    wanted = MentionSearch(text="pappus")
    exact = search_mentions(workspace, wanted).count()
    assert exact > 12  # the fixture's stream has many mentions of the word
    monkeypatch.setattr(search, "COUNT_LIMIT", 10)
    monkeypatch.setattr(search, "FACET_SAMPLE", 10)
    found = search_mentions(workspace, wanted)
    assert found.count() == 11
    assert search.count_is_capped(found.count())
    assert len(list(found[:50])) == min(exact, 50)  # the page itself is not cut at the limit
    facets = search_facets(workspace, wanted)
    assert "sentiment" in facets.sampled
    assert sum(value.count for value in facets.values["sentiment"]) <= 10
    newest = list(search_mentions(workspace, wanted).values_list("author_handle", flat=True)[:10])
    by_author = {value.value: value.count for value in facets.values["author"]}
    assert by_author == {handle: newest.count(handle) for handle in set(newest)}
    # A narrow search is still counted exactly, with no facet sampled.
    start = datetime.datetime(2026, 2, 1, tzinfo=UTC)
    narrow = MentionSearch(text="pappus", since=start, until=start + datetime.timedelta(hours=3))
    narrow_count = search_mentions(workspace, narrow).count()
    assert 0 < narrow_count <= 10
    assert not search.count_is_capped(narrow_count)
    assert not search_facets(workspace, narrow).sampled


@pytest.mark.django_db
def test_api_and_page_say_when_the_count_is_capped(
    sources: list[Source], analyst: Any, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pappus.core.tests.test_api import ApiClient, token_for

    monkeypatch.setattr(search, "COUNT_LIMIT", 10)
    monkeypatch.setattr(search, "FACET_SAMPLE", 10)
    answer = ApiClient(token_for(analyst)).get("/mentions", {"q": "pappus"})
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["count"] == 11
    assert body["count_capped"] is True
    assert "author" in body["sampled_facets"]
    assert body["facet_sample_size"] == 10
    client.force_login(analyst.user)
    page = client.get("/listening/mentions/?q=pappus")
    assert b"More than 10 mentions" in page.content
    assert b"Among the newest 10 matches" in page.content


@pytest.mark.django_db
def test_sampled_facets_read_the_newest_matches_once_and_count_each_facet_among_them(
    sources: list[Source], analyst: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = analyst.workspace
    monkeypatch.setattr(search, "FACET_SAMPLE", 10)
    wanted = MentionSearch(text="pappus")
    newest = list(
        search_mentions(workspace, wanted).values_list(
            "pk", "sentiment", "language", "source_id", "country", "author_handle"
        )[:10]
    )
    with CaptureQueriesContext(connection) as queries:
        facets = search_facets(workspace, wanted)
    assert facets.sampled == frozenset(search.FACETS)
    for position, facet in enumerate(["sentiment", "language", "source", "country", "author"], start=1):
        values = [row[position] for row in newest if facet == "source" or row[position]]
        expected = {str(value): values.count(value) for value in set(values)}
        assert {value.value: value.count for value in facets.values[facet]} == expected, facet
    topics = list(
        MentionTopic.objects.filter(mention_id__in=[row[0] for row in newest]).values_list("topic_id", flat=True)
    )
    assert {value.value: value.count for value in facets.values["topic"]} == {
        str(topic): topics.count(topic) for topic in set(topics)
    }
    # The count, the newest matches, the topic matches among them, and the topic and source names.
    assert len(queries.captured_queries) == 5


@pytest.mark.django_db
@pytest.mark.parametrize("sample", [1, 3, 8, 30])
def test_sampled_facets_found_in_a_window_are_the_newest_matches(
    sources: list[Source], analyst: Any, monkeypatch: pytest.MonkeyPatch, sample: int
) -> None:
    """The newest matches are looked for in a window of recent hours that widens as needed: with a
    small sample the window is a few hours of the fixture's 140 mentions, and what it finds must
    be exactly the newest matches of the whole range (and every match when there are few)."""
    workspace = analyst.workspace
    monkeypatch.setattr(search, "FACET_SAMPLE", sample)
    start = datetime.datetime(2026, 2, 1, 10, tzinfo=UTC)
    for wanted in [
        MentionSearch(text="pappus"),
        MentionSearch(text="tea", countries=["US"]),
        MentionSearch(authors=["author0"], languages=["nb"]),
        MentionSearch(countries=["NO"]),
        MentionSearch(countries=["NO"], since=start, until=start + datetime.timedelta(hours=30)),
        MentionSearch(authors=["author1"], topic_ids=[Topic.objects.for_workspace(workspace).get(name="Tea").pk]),
    ]:
        facets = search_facets(workspace, wanted)
        newest = list(
            search_mentions(workspace, wanted.without("author")).values_list("author_handle", flat=True)[: sample + 1]
        )
        expected_sampled = len(newest) > sample
        newest = newest[:sample]
        assert ("author" in facets.sampled) is expected_sampled, wanted
        assert {value.value: value.count for value in facets.values["author"]} == {
            handle: newest.count(handle) for handle in set(newest)
        }, wanted
