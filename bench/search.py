"""Benchmark of mention search: p95 of typical searches over the mentions that bench/ingest.py stored.

    python bench/ingest.py [--mentions N]          # fills the bench database first
    python bench/search.py [--database-url URL] [--repeat 20]

Each typical search (a brand word, a phrase, a prefix, a Chinese word, filters without words,
a topic, an exclusion; newest first or most engaged) runs as the search page and the API run
it: the count, the first page of 25 mentions with their source, and, measured apart, the six
facets. Prints p50/p95 per kind and overall; the last line is JSON with ``p95_ms`` (count and
page) and ``p95_facets_ms``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from benchsetup import configure  # noqa: E402 - after the path setup

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pappus_bench_listening"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def fill(workspace: int, target: int) -> int:
    """Copy the mentions bench/ingest.py stored through the pipeline (source "Stream") in SQL, each
    copy later in time by the stream's span and with its topic matches, until the workspace holds
    ``target`` mentions; then recount its rollups and refresh the planner's statistics."""
    from django.db import connection, transaction

    from pappus.listening import rollups, store
    from pappus.listening.models import Mention, Source

    source = Source.objects.for_workspace(workspace).get(name="Stream")
    originals = Mention.objects.for_workspace(workspace).filter(source=source).exclude(external_id__contains="~")
    base = originals.count()
    missing = target - Mention.objects.for_workspace(workspace).count()
    if missing <= 0 or base == 0:
        return 0
    columns = [name for name in store.MENTION_COLUMNS if name != "id"]
    shifted = {
        "external_id": "external_id || '~' || %(copy)s",
        "published_at": "published_at + %(copy)s * %(span)s::interval",
        "thread_parent_id": "NULL",
        "duplicate_of_id": "NULL",
    }
    select = ", ".join(shifted.get(name, name) for name in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT max(published_at) - min(published_at) + interval '1 hour' FROM listening_mention "
            "WHERE workspace_id = %s AND source_id = %s",
            [workspace, source.pk],
        )
        span = cursor.fetchone()[0]
    copies = -(-missing // base)
    for copy in range(1, copies + 1):
        parameters = {"copy": copy, "span": span, "workspace": workspace, "source": source.pk}
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO listening_mention ({', '.join(columns)}) SELECT {select} FROM listening_mention "  # noqa: S608 - column names
                "WHERE workspace_id = %(workspace)s AND source_id = %(source)s AND external_id NOT LIKE '%%~%%'",
                parameters,
            )
            cursor.execute(
                "INSERT INTO listening_mentiontopic (workspace_id, mention_id, topic_id, published_at, matched_at) "
                "SELECT matched.workspace_id, copied.id, matched.topic_id, copied.published_at, matched.matched_at "
                "FROM listening_mentiontopic matched "
                "JOIN listening_mention original ON original.id = matched.mention_id "
                "JOIN listening_mention copied ON copied.workspace_id = original.workspace_id "
                "AND copied.source_id = original.source_id "
                "AND copied.external_id = original.external_id || '~' || %(copy)s "
                "WHERE original.workspace_id = %(workspace)s AND original.source_id = %(source)s "
                "AND original.external_id NOT LIKE '%%~%%'",
                parameters,
            )
        print(f"copy {copy} of {copies}: {base:,} mentions", flush=True)
    rollups.rollups_rebuild(workspace)
    with connection.cursor() as cursor:  # what autovacuum does to a table after many inserts
        cursor.execute("VACUUM ANALYZE listening_mention")
        cursor.execute("VACUUM ANALYZE listening_mentiontopic")
        cursor.execute("VACUUM ANALYZE listening_mentionrollup")
    return copies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("PAPPUS_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--repeat", type=int, default=20, help="runs of each search (default 20)")
    parser.add_argument("--no-facets", action="store_true", help="skip the facets")
    parser.add_argument(
        "--fill",
        type=int,
        default=0,
        help="first copy the pipeline's mentions (with topic matches, later in time) until the workspace "
        "holds this many, then recount the rollups: a large database without a long ingest run",
    )
    options = parser.parse_args()
    configure(options.database_url)
    import django

    django.setup()
    from django.db import connection
    from ingest import CHINESE, brand_name

    from pappus.listening.models import Mention, Topic
    from pappus.listening.search import MentionSearch, search_facets, search_mentions

    first = Mention.objects.order_by("pk").values_list("workspace_id", flat=True).first()
    if first is None:
        raise SystemExit("no mentions: run bench/ingest.py first")
    workspace = first
    copies = fill(workspace, options.fill) if options.fill else 0
    total = Mention.objects.for_workspace(workspace).count()
    topic = Topic.objects.for_workspace(workspace).order_by("pk").values_list("pk", flat=True).first()
    searches: dict[str, MentionSearch] = {
        "brand word": MentionSearch(text=brand_name(17)),
        "phrase": MentionSearch(text=f'"{brand_name(42)} coffee"'),
        "prefix": MentionSearch(text=f"{brand_name(99)[:5]}*"),
        "chinese word": MentionSearch(text=CHINESE[0]),
        "filters only": MentionSearch(languages=["nb"], countries=["NO"]),
        "topic": MentionSearch(topic_ids=[topic] if topic else []),
        "words and filters, most engaged": MentionSearch(text="delivery slow", languages=["en"], sort="engagement"),
        "exclusion": MentionSearch(text=f"{brand_name(5)} -coffee"),
        "everything, newest": MentionSearch(),
    }
    print(f"database: {connection.vendor}; mentions: {total:,} ({copies} copies added); repeat: {options.repeat}")
    pages: list[float] = []
    facets: list[float] = []
    report: dict[str, Any] = {}
    for name, wanted in searches.items():
        times, facet_times = [], []
        matches = 0
        for _ in range(options.repeat):
            started = time.perf_counter()
            query = search_mentions(workspace, wanted)
            matches = query.count()
            list(query[:25])
            times.append((time.perf_counter() - started) * 1000)
            if not options.no_facets:
                started = time.perf_counter()
                search_facets(workspace, wanted)
                facet_times.append((time.perf_counter() - started) * 1000)
        pages.extend(times)
        facets.extend(facet_times)
        report[name] = {
            "matches": matches,
            "p50_ms": round(statistics.median(times), 1),
            "p95_ms": round(percentile(times, 0.95), 1),
            "facets_p95_ms": round(percentile(facet_times, 0.95), 1) if facet_times else None,
        }
        print(
            f"{name:34} {matches:>9,} matches  page p50 {report[name]['p50_ms']:7.1f} ms  "
            f"p95 {report[name]['p95_ms']:7.1f} ms  facets p95 {report[name]['facets_p95_ms']} ms"
        )
    result = {
        "database": connection.vendor,
        "mentions": total,
        "copies_added": copies,
        "p95_ms": round(percentile(pages, 0.95), 1),
        "p50_ms": round(statistics.median(pages), 1),
        "p95_facets_ms": round(percentile(facets, 0.95), 1) if facets else None,
        "searches": report,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
