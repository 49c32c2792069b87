"""Benchmark of tracked short links: how fast /l/<code> counts a click and redirects.

    PAPPUS_DATABASE_URL=postgres://postgres@127.0.0.1:5432/pappus_bench_links python bench/links.py [--quick]

A workspace with 1,000 tracked links (PostgreSQL when PAPPUS_DATABASE_URL is set, else a
throwaway SQLite file); N requests to random short links through the whole Django stack
(middleware, URL resolution, the view, the database; no HTTP server in between), one in ten from
a link-preview robot (redirected, not counted), with a different address and browser for the rest.
Checks that every human click is stored exactly once and no robot's is; reports requests per
second and per-request latency p50/p95/p99 in milliseconds. The last line is JSON.
``--quick``: 2,000 requests (default 20,000).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchsetup import configure, recreate_database  # noqa: E402 - after the path setup

LINKS = 1_000
ROBOT = "http.rb/5.1.1 (Mastodon/4.2.10; +https://mastodon.social/)"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def main() -> int:  # noqa: PLR0915 - one measured story, read top to bottom
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2,000 requests")
    parser.add_argument("--requests", type=int, help="how many requests (default 20,000; 2,000 with --quick)")
    arguments = parser.parse_args()
    total = arguments.requests or (2_000 if arguments.quick else 20_000)

    database_url = os.environ.get("PAPPUS_DATABASE_URL", "")
    if database_url.startswith("postgres"):
        recreate_database(database_url)
        engine = "postgresql"
    else:
        folder = tempfile.mkdtemp(prefix="pappus-bench-links-")
        database_url = f"sqlite:///{folder}/bench.sqlite3"
        engine = "sqlite"
    configure(database_url)
    os.environ.setdefault("PAPPUS_ALLOWED_HOSTS", "testserver")

    import django

    django.setup()
    from django.core.management import call_command
    from django.test import Client

    call_command("migrate", verbosity=0)

    from pappus.core.audit import Actor
    from pappus.core.models import Membership, User
    from pappus.core.permissions import Role
    from pappus.core.services import workspace_create
    from pappus.publishing import links, services
    from pappus.publishing.models import LinkClick, TrackedLink

    owner = User.objects.create_user(email="bench@example.com", password=None)
    workspace = workspace_create(actor=Actor.system("bench"), owner=owner, name="Bench")
    membership = Membership.objects.get(user=owner, workspace=workspace, role=Role.OWNER)
    post = services.post_create(actor=Actor.system("bench"), membership=membership, title="Bench post")
    codes = [
        links.tracked_link_create(
            actor=Actor.system("bench"),
            membership=membership,
            post=post,
            landing_url=f"https://shop.example/page/{number}",
            utm=links.Utm(source="mastodon", medium="social", campaign="bench"),
        ).code
        for number in range(LINKS)
    ]

    chooser = random.Random(6)
    client = Client()
    latencies: list[float] = []
    humans = 0
    started = time.perf_counter()
    for number in range(total):
        robot = number % 10 == 0
        humans += 0 if robot else 1
        agent = ROBOT if robot else f"Mozilla/5.0 (X11; Linux x86_64; rv:{number % 50 + 100}.0) Firefox/130.0"
        code = chooser.choice(codes)
        begin = time.perf_counter()
        response = client.get(
            f"/l/{code}",
            headers={"User-Agent": agent, "Referer": "https://mastodon.social/@brand/1"},
            REMOTE_ADDR=f"198.51.{number // 256 % 256}.{number % 256}",
        )
        latencies.append((time.perf_counter() - begin) * 1000)
        if response.status_code != 302:
            print(f"unexpected answer {response.status_code} for {code}")
            return 1
    wall = time.perf_counter() - started

    stored = LinkClick.objects.count()
    counters = sum(TrackedLink.objects.values_list("clicks", flat=True))
    result = {
        "database": engine,
        "links": LINKS,
        "requests": total,
        "human_clicks": humans,
        "clicks_stored": stored,
        "counter_total": counters,
        "lost_or_doubled": abs(stored - humans) + abs(counters - humans),
        "wall_seconds": round(wall, 2),
        "requests_per_second": round(total / wall, 1),
        "latency_ms_p50": round(_percentile(latencies, 0.50), 2),
        "latency_ms_p95": round(_percentile(latencies, 0.95), 2),
        "latency_ms_p99": round(_percentile(latencies, 0.99), 2),
    }
    print(
        f"{total} requests ({humans} human clicks) over {LINKS} links on {engine}: "
        f"{result['requests_per_second']} requests/s, p50 {result['latency_ms_p50']} ms, "
        f"p95 {result['latency_ms_p95']} ms, p99 {result['latency_ms_p99']} ms; "
        f"stored {stored}, counters {counters}"
    )
    print(json.dumps(result))
    return 0 if result["lost_or_doubled"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
