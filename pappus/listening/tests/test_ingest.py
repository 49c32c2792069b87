"""Sources, topics and the pipeline against the real database: what is stored, what is
counted as a duplicate, what is rejected and why, and that every item is accounted for."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from hypothesis import given, settings
from hypothesis import strategies as st

from pappus.core.audit import Actor
from pappus.core.models import AuditEvent
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_region, make_workspace
from pappus.listening import pipeline, selectors, services
from pappus.listening.models import IngestRun, Mention, MentionTopic, RejectedItem, RunStatus, Source, Topic
from pappus.listening.pipeline import Batch, ItemRejectedError, NormalizedMention, map_normalized

ACTOR = Actor.system("test")


def mapper(item: Mapping[str, Any]) -> NormalizedMention:
    return map_normalized(item, network="webhook")


@pytest.fixture
def analyst(workspace: Any) -> Any:
    return make_member(workspace, Role.ANALYST)


@pytest.fixture
def source(analyst: Any) -> Source:
    return services.source_create(actor=ACTOR, membership=analyst, name="Inbound", kind="webhook")


def ingest(source: Source, items: list[dict[str, Any]], **options: Any) -> IngestRun:
    run = services.ingest_run_start(source)
    services.ingest_items(source=source, run=run, items=items, mapper=options.pop("mapper", mapper), **options)
    return services.ingest_run_finish(run, status=RunStatus.SUCCEEDED)


# --- topics and sources -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_topic_with_a_broken_query_is_refused_with_its_position(analyst: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        services.topic_create(actor=ACTOR, membership=analyst, name="Brand", query="(pappus OR dandelion")
    assert caught.value.message_dict["query"] == [
        "Position 21: expected a closing parenthesis for the one opened at 1, found the end of the query"
    ]
    assert not Topic.objects.for_workspace(analyst.workspace).exists()


@pytest.mark.django_db
def test_topic_changes_are_audited(analyst: Any) -> None:
    topic = services.topic_create(actor=ACTOR, membership=analyst, name="Brand", query="pappus", kind="brand")
    services.topic_update(actor=ACTOR, membership=analyst, topic=topic, query="pappus OR папус")
    events = AuditEvent.objects.for_workspace(analyst.workspace).filter(object_type="listening.topic")
    assert list(events.order_by("id").values_list("action", flat=True)) == [
        "listening.topic.create",
        "listening.topic.update",
    ]
    update = events.get(action="listening.topic.update")
    assert (update.before, update.after) == ({"query": "pappus"}, {"query": "pappus OR папус"})
    services.topic_delete(actor=ACTOR, membership=analyst, topic=topic)
    assert events.filter(action="listening.topic.delete").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.ANALYST, True), (Role.STRATEGIST, True), (Role.EXECUTIVE, False), (Role.DESIGNER, False)],
)
def test_who_may_manage_topics_and_sources(workspace: Any, role: str, allowed: bool) -> None:
    member = make_member(workspace, role)
    if allowed:
        services.topic_create(actor=ACTOR, membership=member, name="T", query="x1")
        services.source_create(actor=ACTOR, membership=member, name="S", kind="rss", url="https://example.org/f")
    else:
        with pytest.raises(PermissionDenied):
            services.topic_create(actor=ACTOR, membership=member, name="T", query="x1")
        with pytest.raises(PermissionDenied):
            services.source_create(actor=ACTOR, membership=member, name="S", kind="webhook")


@pytest.mark.django_db
def test_sources_validate_and_hide_secrets_from_the_audit_log(analyst: Any) -> None:
    with pytest.raises(ValidationError, match="A feed needs its address"):
        services.source_create(actor=ACTOR, membership=analyst, name="Feed", kind="rss")
    with pytest.raises(ValidationError, match="Poll at most once a minute"):
        services.source_create(
            actor=ACTOR, membership=analyst, name="Feed", kind="rss", url="https://e.org/f", poll_interval_seconds=5
        )
    source = services.source_create(
        actor=ACTOR, membership=analyst, name="Hook", kind="webhook", config={"signing_secret": "s3cret", "tag": "x"}
    )
    event = AuditEvent.objects.get(action="listening.source.create", object_id=str(source.pk))
    assert event.after["config"] == {"signing_secret": "***", "tag": "x"}
    assert "s3cret" not in str(event.after)


@pytest.mark.django_db
def test_rows_of_another_workspace_are_out_of_reach(analyst: Any, source: Source) -> None:
    other = make_member(make_workspace(), Role.OWNER)
    with pytest.raises(Source.DoesNotExist):
        services.source_update(actor=ACTOR, membership=other, source=source, name="Mine now")
    with pytest.raises(Source.DoesNotExist):
        services.source_delete(actor=ACTOR, membership=other, source=source)
    foreign_region = make_region(other.workspace)
    with pytest.raises(Exception, match="another workspace"):
        services.topic_create(actor=ACTOR, membership=analyst, name="T", query="x1", region=foreign_region)
    assert list(selectors.sources_of(other.workspace)) == []
    assert list(selectors.sources_of(analyst.workspace)) == [source]


# --- the pipeline end to end ----------------------------------------------------------------


@pytest.mark.django_db
def test_every_item_is_stored_counted_as_duplicate_or_rejected_with_its_reason(analyst: Any, source: Source) -> None:
    brand = services.topic_create(actor=ACTOR, membership=analyst, name="Brand", query="pappus OR папус")
    shops = services.topic_create(actor=ACTOR, membership=analyst, name="Shops", query="магазин lang:ru")
    items = [
        {"external_id": "1", "text": "Pappus is great", "language": "en", "published_at": "2026-01-02T10:00:00Z"},
        {"external_id": "2", "text": "Папус открыл два магазина", "language": "ru"},
        {"external_id": "1", "text": "Pappus is great (sent twice)"},  # same id in the batch
        {"external_id": "3", "text": "nothing to see\x00 here"},  # a NUL byte PostgreSQL would refuse
        {"text": "no id at all"},
        {"external_id": "5", "text": "x" * 100_001},
        {"external_id": "6", "text": "", "title": ""},
        {"external_id": "7", "text": "bad counts", "like_count": "many"},
    ]
    run = ingest(source, items)
    assert (run.received, run.stored, run.duplicates, run.rejected) == (8, 3, 1, 4)
    assert run.is_balanced

    reasons = sorted(RejectedItem.objects.for_workspace(analyst.workspace).values_list("reason", flat=True))
    assert reasons == [
        "like_count must be a whole number, got 'many'",
        "the item has no id: expected an id, guid or link",
        "the item is empty: expected a title or some text",
        "the item is oversized: 100001 characters of text, the limit is 100000",
    ]
    stored = {mention.external_id: mention for mention in selectors.mentions_of(analyst.workspace)}
    assert stored["3"].text == "nothing to see here"
    assert str(stored["1"].published_at) == "2026-01-02 10:00:00+00:00"
    assert set(MentionTopic.objects.filter(topic=brand).values_list("mention__external_id", flat=True)) == {"1", "2"}
    assert set(MentionTopic.objects.filter(topic=shops).values_list("mention__external_id", flat=True)) == {"2"}

    again = ingest(source, [{"external_id": "1", "text": "Pappus is great"}, {"external_id": "8", "text": "new"}])
    assert (again.received, again.stored, again.duplicates, again.rejected) == (2, 1, 1, 0)
    assert Mention.objects.for_workspace(analyst.workspace).count() == 4


@pytest.mark.django_db
def test_the_same_external_id_in_two_sources_is_two_mentions(analyst: Any, source: Source) -> None:
    second = services.source_create(actor=ACTOR, membership=analyst, name="Second", kind="webhook")
    ingest(source, [{"external_id": "1", "text": "Same words in both places today"}])
    run = ingest(second, [{"external_id": "1", "text": "Same words in both places today"}])
    assert run.stored == 1
    first, other = Mention.objects.for_workspace(analyst.workspace).order_by("pk")
    # Not an exact duplicate, but a near-duplicate: clustered under the first one.
    assert other.duplicate_of == first
    assert first.duplicate_of is None


@pytest.mark.django_db
def test_reposts_cluster_and_replies_link_to_their_parent(analyst: Any, source: Source) -> None:
    ingest(
        source,
        [
            {"external_id": "a", "text": "Pappus launches a new coffee shop in Oslo", "author_handle": "@news"},
            {"external_id": "b", "text": "RT @news: Pappus launches a NEW coffee-shop in Oslo! https://t.co/x"},
            {"external_id": "c", "text": "Congratulations!", "parent_external_id": "a"},
            {"external_id": "d", "text": "Short"},
        ],
    )
    rows = {row.external_id: row for row in Mention.objects.for_workspace(analyst.workspace)}
    assert rows["b"].duplicate_of == rows["a"]
    assert rows["a"].author_handle == "news"
    assert rows["c"].thread_parent == rows["a"]
    assert rows["d"].content_hash == ""  # too short to cluster safely
    ingest(source, [{"external_id": "e", "text": "Thanks", "parent_external_id": "c"}])
    assert Mention.objects.get(external_id="e").thread_parent == rows["c"]


@pytest.mark.django_db
def test_enrichment_placeholder_says_it_is_unavailable(source: Source) -> None:
    ingest(source, [{"external_id": "1", "text": "hello", "language": "nb"}], analyze=None)
    mention = Mention.objects.get()
    assert mention.enrichment_status == "unavailable"
    assert mention.enrichment_model == "unavailable: pappus.nlp is not installed yet"
    assert mention.language == "nb"  # the source's language is kept
    assert mention.sentiment == ""


@pytest.mark.django_db
def test_enrichment_results_are_stored_and_a_failing_model_loses_nothing(source: Source) -> None:
    def analyze(texts: list[str]) -> list[dict[str, Any]]:
        return [
            {"language": "en", "sentiment": "negative", "sentiment_score": -0.8, "intent": "complaint", "model": "m1"}
            for _ in texts
        ]

    ingest(source, [{"external_id": "1", "text": "awful service"}], analyze=analyze)
    mention = Mention.objects.get()
    assert (mention.language, mention.sentiment, mention.sentiment_score, mention.intent) == (
        "en",
        "negative",
        -0.8,
        "complaint",
    )
    assert (mention.enrichment_status, mention.enrichment_model) == ("done", "m1")

    def broken(texts: list[str]) -> list[Any]:
        raise RuntimeError("model file missing")

    run = ingest(source, [{"external_id": "2", "text": "more text"}], analyze=broken)
    assert run.stored == 1
    assert Mention.objects.get(external_id="2").enrichment_status == "pending"


@pytest.mark.django_db
def test_copies_and_reposts_are_analysed_once_per_run(source: Source) -> None:
    from pappus.nlp import analyze as nlp_analyze

    calls: list[list[str]] = []

    def recording(texts: list[str]) -> list[Any]:
        calls.append(list(texts))
        return nlp_analyze(texts)

    original = "Pappus delivery was awful and slow today"
    shouting = "Pappus delivery was AWFUL and slow today!"  # case and punctuation may change the analysis
    items = [
        {"external_id": "a", "text": original},
        {"external_id": "b", "text": f"RT @anna: {original} https://t.co/x1"},
        {"external_id": "c", "text": shouting},
        {"external_id": "d", "text": f"via @bob {original}"},  # the next batch: the run remembers
        {"external_id": "e", "text": "Lovely blueberry buns at Pappus this morning"},
        {"external_id": "f", "text": f"  {original}   https://example.org/a?utm=1"},
    ]
    run = ingest(source, items, analyze=recording, batch_size=3)
    assert run.stored == 6
    assert calls == [[original, shouting], ["Lovely blueberry buns at Pappus this morning"]]
    rows = {row.external_id: row for row in Mention.objects.filter(source=source)}
    assert {rows[key].enrichment_status for key in rows} == {"done"}
    first = rows["a"]
    for key in ("b", "d", "f"):
        assert (rows[key].sentiment, rows[key].sentiment_score, rows[key].intent, rows[key].language) == (
            first.sentiment,
            first.sentiment_score,
            first.intent,
            first.language,
        )


@pytest.mark.django_db
def test_a_rejected_item_can_be_retried_after_a_fix(analyst: Any, source: Source) -> None:
    def strict(item: Mapping[str, Any]) -> NormalizedMention:
        if "author" in item:
            raise ItemRejectedError("unknown field 'author'")
        return mapper(item)

    def fixed(item: Mapping[str, Any]) -> NormalizedMention:
        mention = mapper(item)
        mention.author_handle = str(item.get("author", ""))
        return mention

    run = ingest(source, [{"external_id": "1", "text": "hi", "author": "ann"}], mapper=strict)
    assert (run.received, run.rejected) == (1, 1)
    item = selectors.rejected_items_of(analyst.workspace).get()
    assert item.reason == "unknown field 'author'"

    retry = services.rejected_item_retry(actor=ACTOR, membership=analyst, item=item, mapper=fixed)
    assert (retry.received, retry.stored, retry.rejected) == (1, 1, 0)
    item.refresh_from_db()
    assert item.retried_at is not None
    assert item.resolved_at is not None
    assert list(selectors.rejected_items_of(analyst.workspace)) == []
    assert Mention.objects.get().author_handle == "ann"
    assert AuditEvent.objects.filter(action="listening.rejected_item.retry").count() == 1


@pytest.mark.django_db
def test_ingesting_more_than_one_batch_keeps_the_totals(source: Source, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "BATCH_SIZE", 7)
    items = [{"external_id": str(number % 40), "text": f"item {number}"} for number in range(50)]
    items.append({"text": "no id"})
    run = ingest(source, items)
    assert (run.received, run.stored, run.duplicates, run.rejected) == (51, 40, 10, 1)


# --- pure stages ------------------------------------------------------------------------------

ITEMS = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "external_id": st.sampled_from(["1", "2", "3", "", "x" * 600]),
            "text": st.text(max_size=30),
            "title": st.text(max_size=10),
            "like_count": st.one_of(st.integers(-2, 5), st.text(max_size=2), st.none()),
            "published_at": st.sampled_from(["2026-01-01T00:00:00", "yesterday", None]),
            "url": st.sampled_from(["https://e.org/1", "javascript:alert(1)", "", "h" * 2100]),
        },
    ),
    max_size=20,
)


@settings(max_examples=200)
@given(items=ITEMS, stored=st.sets(st.sampled_from(["1", "2"])))
def test_stages_account_for_every_item(items: list[dict[str, Any]], stored: set[str]) -> None:
    batch = pipeline.normalize(items, mapper)
    assert batch.is_balanced
    batch = pipeline.dedupe(batch, lambda ids: stored & set(ids))
    assert batch.is_balanced
    batch = pipeline.enrich(batch, None)
    batch = pipeline.match_topics(batch, pipeline.build_topic_index([(1, "x1")]))
    assert batch.is_balanced
    assert len({mention.external_id for mention in batch.mentions}) == len(batch.mentions)
    for mention in batch.mentions:
        assert mention.url in {"https://e.org/1", ""}
        assert mention.external_id not in stored
        assert len(mention.external_id) <= 500


def test_content_hash_ignores_case_punctuation_links_and_retweets() -> None:
    original = pipeline.content_hash("Pappus launches a new coffee shop")
    assert original
    assert pipeline.content_hash("RT @news: PAPPUS launches a new coffee-shop! https://x.co/1") == original
    assert pipeline.content_hash("Pappus launches an old coffee shop") != original
    assert pipeline.content_hash("too short") == ""


def test_a_batch_reports_its_balance() -> None:
    batch = Batch(received=2, mentions=[NormalizedMention(network="x", external_id="1")])
    assert not batch.is_balanced


@settings(max_examples=300)
@given(
    text=st.one_of(
        st.text(max_size=60),
        st.lists(
            st.sampled_from(["RT @a:", "via @b", "https://t.co/x", "Café", "咖啡馆", "магазин", "!", " "]), max_size=10
        ).map(" ".join),
    ),
    title=st.text(max_size=20),
)
def test_the_content_hash_is_the_same_from_the_stored_tokens(text: str, title: str) -> None:
    from pappus.listening.query import tokenize_text

    expected = pipeline.content_hash(text, title)
    assert pipeline.content_hash(text, title, text_tokens=tokenize_text(text)) == expected
