# ruff: noqa: RUF001 - Cyrillic letters in the sample feeds are meant.
"""Feed polling against the real local feed server of ../shared/peers (feeds.sh): conditional
GET, broken feeds kept as rejected items, backoff, timeouts and the polling jobs."""

from __future__ import annotations

import datetime
import json
import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from conftest import start_peer, stop_peer
from pappus.core.audit import Actor
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.listening import feeds, services, tasks
from pappus.listening.models import IngestRun, Mention, MentionTopic, RejectedItem, RunStatus, Source

ACTOR = Actor.system("test")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class FeedServer:
    """The running peer: write files into ``directory``, read its request log."""

    def __init__(self, values: dict[str, str]) -> None:
        self.url = values["FEEDS_URL"].rstrip("/")
        self.directory = Path(values["FEEDS_DIR"])
        self.requests_url = values["FEEDS_REQUESTS_URL"]

    def write(self, name: str, content: str | bytes) -> str:
        path = self.directory / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return f"{self.url}/{name}"

    def requests(self, path: str) -> list[dict[str, Any]]:
        with urllib.request.urlopen(self.requests_url, timeout=5) as response:
            return [entry for entry in json.load(response) if entry["path"] == path]


@pytest.fixture(scope="session")
def feed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FeedServer]:
    home = tmp_path_factory.mktemp("peers")
    environment = {
        "PAPPUS_PEERS_HOME": str(home),
        "PAPPUS_FEEDS_DIR": str(home / "www"),
        "PAPPUS_FEEDS_PORT": str(_free_port()),
    }
    values = start_peer("feeds", timeout=60, env=environment)
    try:
        yield FeedServer(values)
    finally:
        stop_peer("feeds", environment)


def rss(*items: str, language: str = "en") -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Test feed</title>'
        f"<language>{language}</language>{''.join(items)}</channel></rss>"
    )


def item(guid: str, title: str, description: str = "", date: str = "Mon, 02 Nov 2026 10:00:00 GMT") -> str:
    return (
        f"<item><guid>{guid}</guid><link>https://example.org/{guid}</link><title>{title}</title>"
        f"<description>{description}</description><pubDate>{date}</pubDate></item>"
    )


@pytest.fixture
def analyst(workspace: Any) -> Any:
    return make_member(workspace, Role.ANALYST)


def feed_source(analyst: Any, url: str, name: str = "Feed", **config: Any) -> Source:
    return services.source_create(
        actor=ACTOR, membership=analyst, name=name, kind="rss", url=url, config=config, poll_interval_seconds=600
    )


def counts(run: IngestRun) -> tuple[int, int, int, int]:
    return (run.received, run.stored, run.duplicates, run.rejected)


# --- good feeds and conditional GET ------------------------------------------------------------


@pytest.mark.django_db
def test_a_feed_is_stored_then_answered_304_then_only_new_items_are_stored(
    feed_server: FeedServer, analyst: Any
) -> None:
    brand = services.topic_create(actor=ACTOR, membership=analyst, name="Brand", query="pappus")
    url = feed_server.write(
        "news.xml",
        rss(
            item("a1", "Pappus opens in Oslo", "<p>The <b>new</b> store &amp; caf&#233;</p>"),
            item("a2", "Weather today", "Rain"),
        ),
    )
    source = feed_source(analyst, url)

    first = feeds.poll_source(source)
    assert (first.status, counts(first)) == (RunStatus.SUCCEEDED, (2, 2, 0, 0))
    mention = Mention.objects.for_workspace(analyst.workspace).get(external_id="a1")
    assert (mention.title, mention.text, mention.url) == (
        "Pappus opens in Oslo",
        "The new store & café",
        "https://example.org/a1",
    )
    assert mention.published_at == datetime.datetime(2026, 11, 2, 10, tzinfo=datetime.UTC)
    assert (mention.network, mention.language) == ("rss", "en")
    assert list(MentionTopic.objects.filter(topic=brand).values_list("mention__external_id", flat=True)) == ["a1"]
    source.refresh_from_db()
    assert source.etag.startswith('"')
    assert (source.consecutive_failures, source.last_error_at) == (0, None)

    second = feeds.poll_source(source)
    assert (second.status, second.http_status, counts(second)) == (RunStatus.NOT_MODIFIED, 304, (0, 0, 0, 0))
    log = feed_server.requests("/news.xml")
    assert log[-1]["if_none_match"] == source.etag
    assert log[-1]["status"] == 304

    time.sleep(0.01)
    feed_server.write("news.xml", rss(item("a3", "Pappus again"), item("a1", "Pappus opens in Oslo")))
    third = feeds.poll_source(source)
    assert (third.status, counts(third)) == (RunStatus.SUCCEEDED, (2, 1, 1, 0))
    assert MentionTopic.objects.filter(topic=brand).count() == 2


@pytest.mark.django_db
def test_atom_russian_and_chinese_feeds(feed_server: FeedServer, analyst: Any) -> None:
    shops = services.topic_create(actor=ACTOR, membership=analyst, name="Shops", query="магазин lang:ru")
    coffee = services.topic_create(actor=ACTOR, membership=analyst, name="Coffee", query="咖啡 NOT 茶")
    atom = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ru">
  <title>Новости</title>
  <entry><id>urn:1</id><title>Открыли три новых магазина</title>
    <link href="https://example.ru/1"/><updated>2026-11-02T10:00:00+03:00</updated>
    <author><name>Анна</name><uri>https://example.ru/anna</uri></author>
    <summary>В центре города</summary></entry>
  <entry xml:lang="zh"><id>urn:2</id><title>这家咖啡馆很好</title><link href="https://example.cn/2"/>
    <updated>2026-11-02T08:00:00Z</updated><content type="html">&lt;p&gt;拿铁很好喝&lt;/p&gt;</content></entry>
</feed>"""
    run = feeds.poll_source(feed_source(analyst, feed_server.write("mixed.atom", atom)))
    assert counts(run) == (2, 2, 0, 0)
    russian = Mention.objects.get(external_id="urn:1")
    assert (russian.language, russian.author_name, russian.author_url) == ("ru", "Анна", "https://example.ru/anna")
    assert russian.published_at == datetime.datetime(2026, 11, 2, 7, tzinfo=datetime.UTC)
    assert Mention.objects.get(external_id="urn:2").text == "拿铁很好喝"
    assert list(MentionTopic.objects.filter(topic=shops).values_list("mention__external_id", flat=True)) == ["urn:1"]
    assert list(MentionTopic.objects.filter(topic=coffee).values_list("mention__external_id", flat=True)) == ["urn:2"]


# --- broken feeds ------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        (
            "malformed.xml",
            '<?xml version="1.0"?>\n<rss version="2.0"><channel><item><title>Open</item></channel></rss>',
            "the feed is not well-formed XML: mismatched tag at line 2, column",
        ),
        (
            "latin1.xml",
            rss(item("x1", "Blåbær")).encode("latin-1"),
            "the feed is not valid UTF-8 as declared: byte 0xe5 at line 2 cannot be decoded (wrong encoding)",
        ),
        (
            "page.xml",
            "<html><body>Not a feed</body></html>",
            "not an RSS or Atom feed: the document's root element is <html>",
        ),
        ("empty.xml", "", "the feed is empty"),
        (
            "entities.xml",
            '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><rss><channel>&a;</channel></rss>',
            "the feed uses XML entities or external references, refused for safety",
        ),
    ],
)
def test_an_unreadable_feed_is_one_rejected_item_with_its_reason(
    feed_server: FeedServer, analyst: Any, name: str, content: str | bytes, reason: str
) -> None:
    source = feed_source(analyst, feed_server.write(name, content))
    run = feeds.poll_source(source)
    assert (run.status, counts(run)) == (RunStatus.FAILED, (1, 0, 0, 1))
    rejected = RejectedItem.objects.for_workspace(analyst.workspace).get(source=source)
    assert rejected.reason.startswith(reason)
    assert run.error == rejected.reason
    assert rejected.raw["url"] == source.url
    assert rejected.raw["size"] == len(content)
    source.refresh_from_db()
    assert source.consecutive_failures == 1
    assert source.last_error == rejected.reason
    assert source.etag == ""  # a bad document's validators are not kept


@pytest.mark.django_db
def test_an_oversized_feed_is_rejected_and_a_good_source_goes_on(feed_server: FeedServer, analyst: Any) -> None:
    big = feed_source(
        analyst, feed_server.write("big.xml", rss(*(item(f"b{n}", "x" * 500) for n in range(50)))), maximum_bytes=10_000
    )
    good = feed_source(analyst, feed_server.write("good.xml", rss(item("g1", "Fine"))), name="Good")
    assert counts(feeds.poll_source(big)) == (1, 0, 0, 1)
    assert counts(feeds.poll_source(good)) == (1, 1, 0, 0)
    reason = RejectedItem.objects.get(source=big).reason
    assert reason.startswith("the feed is oversized:")
    assert "the limit is 10000" in reason or "more than 10000 bytes" in reason


@pytest.mark.django_db
def test_bad_entries_are_rejected_while_the_rest_of_the_feed_is_stored(feed_server: FeedServer, analyst: Any) -> None:
    entries = (
        item("ok1", "Good one"),
        "<item><title>No id, no link</title></item>",
        "<item><guid>empty</guid></item>",
        item("ok2", "Second", "x" * 100_001),
        item("ok3", "Bad date", date="not a date"),
    )
    source = feed_source(analyst, feed_server.write("mixed.xml", rss(*entries)))
    run = feeds.poll_source(source)
    assert (run.status, counts(run)) == (RunStatus.SUCCEEDED, (5, 2, 0, 3))
    assert sorted(RejectedItem.objects.filter(run=run).values_list("reason", flat=True)) == [
        "the item has no id: expected an id, guid or link",
        "the item is empty: expected a title or some text",
        "the item is oversized: 100001 characters of text, the limit is 100000",
    ]
    undated = Mention.objects.get(external_id="ok3")
    assert undated.published_at == undated.fetched_at  # an unreadable date falls back to when it was fetched


@pytest.mark.django_db
def test_a_fixed_feed_resolves_its_rejection(feed_server: FeedServer, analyst: Any) -> None:
    source = feed_source(analyst, feed_server.write("fixme.xml", "<rss><channel><item></rss>"))
    feeds.poll_source(source)
    assert RejectedItem.objects.get(source=source).resolved_at is None
    time.sleep(0.01)
    feed_server.write("fixme.xml", rss(item("f1", "Fixed")))
    source.refresh_from_db()
    assert counts(feeds.poll_source(source)) == (1, 1, 0, 0)
    assert RejectedItem.objects.get(source=source).resolved_at is not None
    source.refresh_from_db()
    assert source.consecutive_failures == 0


# --- errors, backoff, timeouts -------------------------------------------------------------------


@pytest.mark.django_db
def test_http_errors_back_off_exponentially_and_a_success_resets(feed_server: FeedServer, analyst: Any) -> None:
    source = feed_source(analyst, f"{feed_server.url}/status/503/feed.xml")
    before = timezone.now()
    run = feeds.poll_source(source)
    assert (run.status, run.http_status, counts(run)) == (RunStatus.FAILED, 503, (0, 0, 0, 0))
    assert run.error == "the server is busy (HTTP 503); trying again later"
    source.refresh_from_db()
    assert source.consecutive_failures == 1
    assert source.next_poll_at is not None
    assert source.next_poll_at >= before + datetime.timedelta(seconds=1200)  # 600 s doubled
    feeds.poll_source(source)
    source.refresh_from_db()
    assert source.consecutive_failures == 2
    assert source.next_poll_at >= before + datetime.timedelta(seconds=2400)

    source.url = f"{feed_server.url}/status/404/gone.xml"
    source.save()
    assert feeds.poll_source(source).error == "the server answered HTTP 404"

    source.url = feed_server.write("recovered.xml", rss(item("r1", "Back")))
    source.save()
    feeds.poll_source(source)
    source.refresh_from_db()
    assert (source.consecutive_failures, source.last_success_at is not None) == (0, True)
    assert source.next_poll_at is not None
    assert source.next_poll_at <= timezone.now() + datetime.timedelta(seconds=601)


def test_backoff_is_capped_and_honours_retry_after() -> None:
    source = Source(poll_interval_seconds=600)
    assert services.backoff_delay(source, 1) == datetime.timedelta(seconds=1200)
    assert services.backoff_delay(source, 30) == datetime.timedelta(hours=6)
    assert services.backoff_delay(source, 1, retry_after=7200) == datetime.timedelta(seconds=7200)


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A real local server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.append(connection)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/feed.xml"
    finally:
        stop.set()
        thread.join(timeout=2)
        for connection in accepted:
            connection.close()
        listener.close()


@pytest.mark.django_db
def test_a_feed_that_never_answers_times_out(silent_server: str, analyst: Any) -> None:
    source = feed_source(analyst, silent_server, timeout_seconds=0.5)
    started = time.monotonic()
    run = feeds.poll_source(source)
    assert time.monotonic() - started < 5
    assert run.status == RunStatus.FAILED
    assert run.error.startswith("no answer within 0.5 s")
    source.refresh_from_db()
    assert source.consecutive_failures == 1


@pytest.mark.django_db
def test_an_unreachable_feed_fails_with_a_reason(analyst: Any) -> None:
    source = feed_source(analyst, f"http://127.0.0.1:{_free_port()}/feed.xml")
    run = feeds.poll_source(source)
    assert run.status == RunStatus.FAILED
    assert run.error.startswith("the feed could not be fetched:")


# --- jobs ---------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_due_sources_job_polls_each_due_source_once(
    feed_server: FeedServer, analyst: Any, django_capture_on_commit_callbacks: Any
) -> None:
    due = feed_source(analyst, feed_server.write("due.xml", rss(item("d1", "Due"))), name="Due")
    later = feed_source(analyst, feed_server.write("later.xml", rss(item("l1", "Later"))), name="Later")
    Source.objects.filter(pk=later.pk).update(next_poll_at=timezone.now() + datetime.timedelta(hours=1))
    paused = feed_source(analyst, feed_server.write("paused.xml", rss(item("p1", "Paused"))), name="Paused")
    services.source_update(actor=ACTOR, membership=analyst, source=paused, is_active=False)

    with django_capture_on_commit_callbacks(execute=True):
        tasks.poll_due_sources()
    assert list(Mention.objects.values_list("external_id", flat=True)) == ["d1"]
    assert IngestRun.objects.filter(source=due).count() == 1
    # Claimed: a second scheduler tick right after does not poll it again.
    with django_capture_on_commit_callbacks(execute=True):
        tasks.poll_due_sources()
    assert IngestRun.objects.filter(source=due).count() == 1
