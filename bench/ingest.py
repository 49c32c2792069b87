"""Benchmark of listening ingestion: a synthetic multilingual stream through the whole pipeline.

    python bench/ingest.py [--quick] [--mentions N] [--topics 1000] [--database-url URL] [--analyzer auto|none]

N mentions (default 1,000,000; ``--quick`` 20,000) in English, Russian, Norwegian, Chinese,
German, Spanish and French, with reposts (near-duplicates), exact duplicates (~2 %) and
rejects (~1 %: empty or oversized), are generated lazily and go through normalize → dedupe →
enrich → match 1,000 topic queries → store (mentions, topic matches, search text, hourly
rollups) in one process, 500 at a time, as ``services.ingest_items`` does for every source.
Then the same rows are written again with a raw ``bulk_create`` (no stages) into another
source, and the ratio of the two rates is reported.

The database is PostgreSQL by default: ``--database-url`` or ``PAPPUS_BENCH_DATABASE_URL``
(default ``postgres://postgres@127.0.0.1:5432/pappus_bench_listening``); it is dropped and
created again for each run. ``--analyzer none`` measures the pipeline with the enrichment
placeholder instead of ``pappus.nlp``. Prints mentions_per_s, raw_insert_per_s, ratio,
peak_rss_mb, stored, duplicates, rejected; the last line is JSON.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchsetup import configure, recreate_database  # noqa: E402 - after the path setup

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pappus_bench_listening"

WORDS = {
    "en": [
        "coffee",
        "shop",
        "service",
        "delivery",
        "great",
        "awful",
        "slow",
        "fast",
        "price",
        "quality",
        "app",
        "update",
        "love",
        "hate",
        "new",
        "store",
        "team",
        "support",
        "order",
        "refund",
        "battery",
        "phone",
        "screen",
        "launch",
        "event",
        "city",
        "review",
        "friend",
        "morning",
    ],
    "ru": [
        "кофе",
        "магазин",
        "доставка",
        "сервис",
        "отличный",
        "ужасный",
        "медленно",
        "быстро",
        "цена",
        "качество",
        "приложение",
        "обновление",
        "люблю",
        "новый",
        "команда",
        "поддержка",
        "заказ",
        "возврат",
        "телефон",
        "экран",
        "запуск",
        "город",
        "отзыв",
        "утро",
    ],
    "nb": [
        "kaffe",
        "butikk",
        "levering",
        "tjeneste",
        "flott",
        "elendig",
        "treg",
        "rask",
        "pris",
        "kvalitet",
        "app",
        "oppdatering",
        "elsker",
        "ny",
        "lag",
        "støtte",
        "bestilling",
        "refusjon",
        "telefon",
        "skjerm",
        "lansering",
        "byen",
        "anmeldelse",
        "morgen",
        "blåbær",
        "smørbrød",
    ],
    "de": [
        "kaffee",
        "laden",
        "lieferung",
        "service",
        "großartig",
        "schrecklich",
        "langsam",
        "schnell",
        "preis",
        "qualität",
        "app",
        "update",
        "liebe",
        "neu",
        "team",
        "hilfe",
        "bestellung",
        "rückerstattung",
        "telefon",
        "bildschirm",
        "start",
        "stadt",
        "bewertung",
        "morgen",
    ],
    "es": [
        "café",
        "tienda",
        "entrega",
        "servicio",
        "genial",
        "horrible",
        "lento",
        "rápido",
        "precio",
        "calidad",
        "aplicación",
        "actualización",
        "amo",
        "nuevo",
        "equipo",
        "soporte",
        "pedido",
        "reembolso",
        "teléfono",
        "pantalla",
        "lanzamiento",
        "ciudad",
        "reseña",
        "mañana",
    ],
    "fr": [
        "café",
        "boutique",
        "livraison",
        "service",
        "génial",
        "horrible",
        "lent",
        "rapide",
        "prix",
        "qualité",
        "application",
        "mise",
        "jour",
        "adore",
        "nouveau",
        "équipe",
        "support",
        "commande",
        "remboursement",
        "téléphone",
        "écran",
        "lancement",
        "ville",
        "avis",
        "matin",
    ],
}
CHINESE = [
    "咖啡",
    "商店",
    "服务",
    "配送",
    "很好",
    "太慢",
    "价格",
    "质量",
    "应用",
    "更新",
    "喜欢",
    "新的",
    "团队",
    "支持",
    "订单",
    "退款",
    "手机",
    "屏幕",
    "发布",
    "城市",
    "评价",
    "早上",
]
CHINESE_BRANDS = ["蒲公英", "北欧咖啡", "蓝峡湾", "云朵"]
LANGUAGES = ["en", "en", "en", "ru", "nb", "zh", "de", "es", "fr"]
COUNTRIES = {"en": "US", "ru": "RU", "nb": "NO", "zh": "CN", "de": "DE", "es": "ES", "fr": "FR"}


SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ra",
    "ve",
    "to",
    "su",
    "ne",
    "pa",
    "ri",
    "zo",
    "lu",
    "fa",
    "de",
    "mo",
    "ki",
    "sa",
    "no",
    "be",
    "ta",
]


def brand_name(number: int) -> str:
    """A made-up brand name, one per topic (``kalomi``, ``raveto``...)."""
    first, rest = divmod(number, len(SYLLABLES) ** 2)
    second, third = divmod(rest, len(SYLLABLES))
    return SYLLABLES[first % len(SYLLABLES)] + SYLLABLES[second] + SYLLABLES[third]


def topic_queries(count: int, seed: int = 7) -> list[str]:
    """``count`` topic queries as brands write them: one brand each, with products, competitors,
    campaigns, exclusions, NEAR, phrases, wildcards and field filters; a few in Chinese."""
    generator = random.Random(seed)
    queries = []
    for number in range(count):
        brand = brand_name(number)
        language = LANGUAGES[number % len(LANGUAGES)]
        if language == "zh":
            queries.append(f"({generator.choice(CHINESE_BRANDS)}{number % 10} OR {brand}) {generator.choice(CHINESE)}")
            continue
        first, second = generator.sample(WORDS[language], 2)
        shape = number % 5
        if shape == 0:
            queries.append(f"{brand} AND ({first} OR {second})")
        elif shape == 1:
            queries.append(f'"{brand} {first}" OR ({brand} NEAR/3 {second})')
        elif shape == 2:
            queries.append(f"{brand}* NOT {second} lang:{language}")
        elif shape == 3:
            queries.append(f"({brand} OR {brand_name(number + 1)}) country:{COUNTRIES[language]}")
        else:
            queries.append(f"{brand} -{first}")
    return queries


def stream(count: int, seed: int = 11) -> Iterator[dict[str, Any]]:
    """The synthetic stream, generated lazily (memory does not grow with ``count``)."""
    generator = random.Random(seed)
    recent: list[str] = []
    recent_texts: list[str] = []
    base = 1_767_225_600  # 2026-01-01T00:00:00Z
    for number in range(count):
        roll = generator.random()
        if roll < 0.02 and recent:  # an exact duplicate (the same id again)
            yield {"external_id": generator.choice(recent), "text": "sent twice"}
            continue
        if roll < 0.03:  # a reject: empty, or oversized
            yield {"external_id": f"r{number}", "text": "" if roll < 0.025 else "x" * 100_001}
            continue
        language = generator.choice(LANGUAGES)
        if language == "zh":
            brand = f"{generator.choice(CHINESE_BRANDS)}{generator.randrange(10)}"
            text = brand + "".join(generator.choices(CHINESE, k=generator.randint(4, 14)))
        else:
            words = generator.choices(WORDS[language], k=generator.randint(6, 30))
            if generator.random() < 0.8:  # most mentions name one of the brands listened for
                words.insert(generator.randrange(len(words)), brand_name(generator.randrange(1000)).capitalize())
            text = " ".join(words)
        if roll > 0.95 and recent_texts:  # a repost of a recent post (a near-duplicate of it)
            text = (
                f"RT @{brand_name(generator.randrange(1000))}: {recent_texts[generator.randrange(len(recent_texts))]}"
            )
        external_id = f"m{number}"
        if len(recent) < 5000:
            recent.append(external_id)
            recent_texts.append(text)
        else:
            recent[number % 5000] = external_id
            recent_texts[number % 5000] = text
        yield {
            "external_id": external_id,
            "text": text,
            "language": language,
            "country": COUNTRIES[language],
            "author_handle": f"user{generator.randrange(50_000)}",
            "published_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(base + number * 2)),
            "like_count": generator.randrange(200),
            "share_count": generator.randrange(40),
            "comment_count": generator.randrange(20),
            "url": f"https://example.org/{language}/{number}",
        }


def raw_rows(items: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """The stream's storable items as they come, with nothing computed (no stage runs)."""
    for item in items:
        if item.get("text") and len(item["text"]) <= 100_000 and item["text"] != "sent twice":
            yield item


def raw_bulk_create(source: Any, items: Iterator[dict[str, Any]]) -> int:
    """The same rows with Django's ``bulk_create``, 500 at a time."""
    from pappus.listening import pipeline
    from pappus.listening.models import Mention

    written = 0
    for chunk in itertools.batched(raw_rows(items), 500):
        Mention.objects.bulk_create(
            Mention(
                workspace_id=source.workspace_id,
                source=source,
                network="webhook",
                external_id=item["external_id"],
                text=item["text"],
                language=item["language"],
                country=item["country"],
                author_handle=item["author_handle"],
                published_at=pipeline.parse_timestamp(item["published_at"]),
                like_count=item["like_count"],
                share_count=item["share_count"],
                comment_count=item["comment_count"],
                url=item["url"],
                raw=item,
            )
            for item in chunk
        )
        written += len(chunk)
    return written


def raw_copy(source: Any, items: Iterator[dict[str, Any]]) -> int:
    """The same rows with PostgreSQL's ``COPY`` (the fastest plain way in), 500 per transaction."""
    from django.db import transaction
    from django.utils import timezone

    from pappus.listening import pipeline, store
    from pappus.listening.models import Mention

    columns = [name for name in store.MENTION_COLUMNS if name != "id"]
    written = 0
    for chunk in itertools.batched(raw_rows(items), 500):
        now = timezone.now()
        rows = []
        for item in chunk:
            values: dict[str, Any] = dict.fromkeys(columns, "")
            values.update(
                workspace_id=source.workspace_id, source_id=source.pk, region_id=None, ingest_run_id=None,
                network="webhook", external_id=item["external_id"], author_followers=None, text=item["text"],
                language=item["language"], published_at=pipeline.parse_timestamp(item["published_at"]),
                fetched_at=now, like_count=item["like_count"], share_count=item["share_count"],
                comment_count=item["comment_count"], view_count=0, reach_estimate=None, thread_parent_id=None,
                country=item["country"], author_handle=item["author_handle"], url=item["url"], media="[]",
                raw=json.dumps(item, ensure_ascii=False), duplicate_of_id=None, enrichment_status="pending",
                sentiment_score=None, toxicity=None, engagement=0, created_at=now,
            )  # fmt: skip
            rows.append([values[name] for name in columns])
        with transaction.atomic():
            store.copy_rows(Mention._meta.db_table, columns, rows)
        written += len(rows)
    return written


ANALYSED = [0]


def counting(function: Any) -> Any:
    """``function`` (the analyser), counting the texts it is given (copies and reposts are not)."""

    def analyze(texts: list[str]) -> Any:
        ANALYSED[0] += len(texts)
        return function(texts)

    return analyze


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:  # noqa: PLR0915 - one benchmark, read top to bottom
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="20,000 mentions")
    parser.add_argument("--mentions", type=int, help="how many mentions (default 1,000,000; 20,000 with --quick)")
    parser.add_argument("--topics", type=int, default=1000, help="topic queries (default 1,000)")
    parser.add_argument("--database-url", default=os.environ.get("PAPPUS_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--analyzer", choices=["auto", "none"], default="auto", help="pappus.nlp, or the placeholder")
    parser.add_argument("--keep", action="store_true", help="do not drop the database first (PostgreSQL)")
    parser.add_argument(
        "--serial", action="store_true", help="store each batch before the next is computed (no second connection)"
    )
    parser.add_argument(
        "--batch-size", type=int, default=0, help="mentions per batch of the pipeline (default services.BATCH_SIZE)"
    )
    parser.add_argument(
        "--raw-bulk-rows",
        type=int,
        default=100_000,
        help="rows of the bulk_create baseline (default the first 100,000: at ~1,500 rows/s all of them take long)",
    )
    options = parser.parse_args()
    count = options.mentions or (20_000 if options.quick else 1_000_000)

    url = options.database_url
    if url.startswith("postgres") and not options.keep:
        recreate_database(url)
    configure(url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from pappus.core.audit import Actor
    from pappus.core.models import Membership, User
    from pappus.core.permissions import Role
    from pappus.core.services import workspace_create
    from pappus.listening import pipeline, services
    from pappus.listening.models import RunStatus, Source, Topic
    from pappus.listening.pipeline import map_normalized

    owner = User.objects.create_user(f"bench{time.time_ns()}@example.com", "bench-password")
    workspace = workspace_create(actor=Actor.system("bench"), owner=owner, name=f"Bench {time.time_ns()}")
    membership = Membership.objects.get(workspace=workspace, user=owner)
    if membership.role != Role.OWNER:
        raise SystemExit("the bench workspace has no owner")
    source = services.source_create(actor=Actor.system("bench"), membership=membership, name="Stream", kind="webhook")
    Topic.objects.bulk_create(
        Topic(workspace=workspace, name=f"Topic {number}", query=query)
        for number, query in enumerate(topic_queries(options.topics))
    )
    analyze: Any = "auto" if options.analyzer == "auto" else None
    analyzer_name = "placeholder"
    if analyze == "auto":
        found = pipeline._nlp_analyze()
        analyzer_name = f"{found.__module__}.{found.__name__}" if found else "placeholder (pappus.nlp has no analyze)"
        if found is not None:
            found(["warm up the models"])  # loading the models is not ingestion
            analyze = counting(found)
    print(f"database: {connection.vendor} {url.rsplit('@', 1)[-1]}; mentions: {count:,}; topics: {options.topics:,}")
    print(f"analyzer: {analyzer_name}")

    run = services.ingest_run_start(source)
    started = time.perf_counter()
    batch_size = options.batch_size or services.BATCH_SIZE
    services.ingest_items(
        source=source,
        run=run,
        items=stream(count),
        mapper=map_normalized,
        analyze=analyze,
        batch_size=batch_size,
        overlap=not options.serial and services.overlap_available(),
    )
    seconds = time.perf_counter() - started
    run = services.ingest_run_finish(run, status=RunStatus.SUCCEEDED)
    rate = count / seconds
    print(f"pipeline: {seconds:.1f} s, {rate:,.0f} mentions/s; stored {run.stored:,}, duplicates {run.duplicates:,}, "
          f"rejected {run.rejected:,}; balanced: {run.is_balanced}")  # fmt: skip

    # The raw baselines: the same rows written with no stages, into sources of their own.
    raw_copy_rate = 0.0
    if connection.vendor == "postgresql":
        copy_source = Source.objects.create(workspace=workspace, name="Raw COPY", kind="webhook")
        started = time.perf_counter()
        copied = raw_copy(copy_source, stream(count))
        raw_copy_rate = copied / (time.perf_counter() - started)
        print(f"raw COPY of the same rows: {copied:,} rows, {raw_copy_rate:,.0f} rows/s")
    bulk_rows = min(count, options.raw_bulk_rows)
    bulk_source = Source.objects.create(workspace=workspace, name="Raw bulk_create", kind="webhook")
    started = time.perf_counter()
    created = raw_bulk_create(bulk_source, stream(bulk_rows))
    raw_bulk_rate = created / (time.perf_counter() - started)
    print(f"raw bulk_create of the same rows: {created:,} rows, {raw_bulk_rate:,.0f} rows/s")
    raw_rate = raw_copy_rate or raw_bulk_rate
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:  # fresh statistics for bench/search.py, as autovacuum would give
            cursor.execute("ANALYZE")
    result = {
        "database": connection.vendor,
        "mentions": count,
        "topics": options.topics,
        "analyzer": analyzer_name,
        "batch_size": batch_size,
        "store_overlapped": not options.serial and services.overlap_available(),
        "seconds": round(seconds, 1),
        "mentions_per_s": round(rate),
        "raw_insert_per_s": round(raw_rate),
        "raw_insert_method": "copy" if raw_copy_rate else "bulk_create",
        "ratio": round(rate / raw_rate, 3),
        "raw_bulk_create_per_s": round(raw_bulk_rate),
        "raw_bulk_create_rows": bulk_rows,
        "ratio_to_bulk_create": round(rate / raw_bulk_rate, 3),
        "peak_rss_mb": round(peak_rss_mb()),
        "stored": run.stored,
        "duplicates": run.duplicates,
        "rejected": run.rejected,
        "analysed_texts": ANALYSED[0],
        "balanced": run.is_balanced,
        "workspace_id": workspace.pk,
    }
    print(f"peak RSS: {result['peak_rss_mb']} MB")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
