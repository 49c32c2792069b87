"""Benchmark of exactly-once publishing: 10,000 variants due in the same minute, 4 worker processes.

    PAPPUS_DATABASE_URL=postgres://postgres@127.0.0.1:5432/pappus_bench_publish \\
    PAPPUS_REDIS_URL=redis://127.0.0.1:6379/12 python bench/publish.py [--quick] [--variants N] [--workers 4]

The production path end to end: a workspace with one Mastodon account connected (through
``pappus.connectors``, credentials encrypted) to a local stdlib HTTP server that speaks
``POST /api/v1/statuses``; N scheduled variants (written in bulk: setting up 10,000 through the
review workflow would measure the set-up); ``pappus worker`` processes on Redis; the minute job
``publishing.dispatch_due`` is called as the scheduler would (at the start, then every 60 s).
The server ignores idempotency keys, so a variant sent twice is counted as a duplicate.

Reports sent, duplicates, misses, wall seconds, and per-post latency (from the minute the posts
were due to the moment each outcome was recorded) at p50/p95/p99. The last line is JSON.
``--quick``: 1,000 variants. The database is created when missing; the queue is a bench queue.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchsetup import configure, ensure_database  # noqa: E402 - after the path setup

TARGET_SECONDS = 60.0


def _percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1,000 variants")
    parser.add_argument("--variants", type=int, help="how many variants (default 10,000; 1,000 with --quick)")
    parser.add_argument("--workers", type=int, default=4, help="worker processes (default 4)")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker process (default 2)")
    arguments = parser.parse_args()
    count = arguments.variants or (1_000 if arguments.quick else 10_000)

    if not _prepare_environment():
        print("set PAPPUS_DATABASE_URL (PostgreSQL) and PAPPUS_REDIS_URL: the bench runs the production shape")
        return 2
    return _run(count, arguments)


def _prepare_environment() -> bool:
    database_url = os.environ.get("PAPPUS_DATABASE_URL", "")
    redis_url = os.environ.get("PAPPUS_REDIS_URL", "")
    if not database_url.startswith("postgres") or not redis_url:
        return False
    os.environ["PAPPUS_QUEUE_NAME"] = "pappus-bench-publish"
    os.environ.pop("PAPPUS_TASKS_IMMEDIATE", None)
    configure()  # the worker processes inherit these settings
    ensure_database(database_url)
    return True


def _start_workers(number: int, threads: int) -> list[subprocess.Popen[bytes]]:
    pappus = str(Path(sys.executable).with_name("pappus"))
    return [
        subprocess.Popen(
            [pappus, "worker", "--threads", str(threads)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for _ in range(number)
    ]


def _stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for worker in workers:
        worker.send_signal(signal.SIGINT)
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()


def _run(count: int, arguments: argparse.Namespace) -> int:  # noqa: PLR0915 - one measured story, read top to bottom
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from huey.contrib.djhuey import HUEY

    from pappus.connectors import services as connector_services
    from pappus.core import services as core_services
    from pappus.core.audit import Actor
    from pappus.core.models import Membership, ProcessHeartbeat, ProcessKind, User, Workspace
    from pappus.publishing import tasks
    from pappus.publishing.models import Post, PostStatus, Variant, VariantStatus
    from pappus.publishing.tests.mastodon_server import TOKEN, LocalMastodon

    call_command("migrate", verbosity=0)
    HUEY.flush()
    Workspace.objects.filter(slug="bench-publish").delete()
    actor = Actor.system("bench")
    owner = User.objects.filter(email="bench-publish@pappus.local").first() or User.objects.create_user(
        "bench-publish@pappus.local", None
    )
    workspace = core_services.workspace_create(actor=actor, owner=owner, name="Bench publish", slug="bench-publish")
    membership = Membership.objects.get(workspace=workspace, user=owner)

    with LocalMastodon(honour_idempotency=False) as server:
        account = connector_services.account_connect(
            actor=actor,
            membership=membership,
            network="mastodon",
            base_url=server.base_url,
            credentials={"access_token": TOKEN},
        )
        due = timezone.now().replace(second=0, microsecond=0)
        started_setup = time.perf_counter()
        posts = Post.objects.bulk_create(
            Post(
                workspace=workspace,
                author=owner,
                title=f"Bench post {number}",
                text=f"Bench post {number}",
                status=PostStatus.SCHEDULED,
                planned_at=due,
            )
            for number in range(count)
        )
        Variant.objects.bulk_create(
            (
                Variant(
                    workspace=workspace,
                    post=post,
                    network="mastodon",
                    account_id=account.pk,
                    account_label="@alice",
                    text=post.text,
                    status=VariantStatus.SCHEDULED,
                    next_attempt_at=due,
                )
                for post in posts
            ),
            batch_size=2000,
        )
        setup_seconds = time.perf_counter() - started_setup
        connection.close()

        workers = _start_workers(arguments.workers, arguments.threads)
        try:
            # Let the consumers start before the minute strikes (production's are long running): each
            # writes a heartbeat once its loop runs. On a loaded machine that takes well over 3 s.
            waiting_since = time.perf_counter()
            pids = [worker.pid for worker in workers]
            alive = ProcessHeartbeat.objects.filter(kind=ProcessKind.WORKER, pid__in=pids)
            while alive.count() < len(pids) and time.perf_counter() - waiting_since < 180:
                time.sleep(0.5)
            workers_ready_seconds = time.perf_counter() - waiting_since
            started = time.perf_counter()
            started_at = timezone.now()
            tasks.dispatch_due()
            next_dispatch = started + 60
            waiting = Variant.objects.filter(workspace=workspace).exclude(
                status__in=[VariantStatus.PUBLISHED, VariantStatus.FAILED, VariantStatus.UNKNOWN]
            )
            deadline = started + 900
            while waiting.exists() and time.perf_counter() < deadline:
                time.sleep(0.2)
                if time.perf_counter() >= next_dispatch:
                    tasks.dispatch_due()
                    next_dispatch += 60
            wall = time.perf_counter() - started
        finally:
            _stop_workers(workers)
        state = server.state

    rows = list(Variant.objects.filter(workspace=workspace).values_list("status", "updated_at", "idempotency_key"))
    published = [row for row in rows if row[0] == VariantStatus.PUBLISHED]
    keys = {str(row[2]) for row in rows}
    latencies = [(row[1] - started_at).total_seconds() for row in published]
    sent_keys = set(state.created_per_key)
    result = {
        "variants": count,
        "workers": arguments.workers,
        "threads_per_worker": arguments.threads,
        "sent": len(published),
        "duplicates": state.duplicates(),
        "repeated_requests": sum(n - 1 for n in state.requests_per_key.values() if n > 1),
        "misses": len(keys - sent_keys) + (count - len(published)),
        "failed": sum(1 for row in rows if row[0] == VariantStatus.FAILED),
        "unknown": sum(1 for row in rows if row[0] == VariantStatus.UNKNOWN),
        "wall_s": round(wall, 2),
        "posts_per_s": round(len(published) / wall, 1) if wall else 0.0,
        "latency_p50_s": round(_percentile(latencies, 0.50), 2),
        "latency_p95_s": round(_percentile(latencies, 0.95), 2),
        "latency_p99_s": round(_percentile(latencies, 0.99), 2),
        "setup_s": round(setup_seconds, 2),
        "workers_ready_s": round(workers_ready_seconds, 2),
        "target_s": TARGET_SECONDS,
        "within_target": wall <= TARGET_SECONDS and len(published) == count,
        "quick": arguments.quick,
    }
    Workspace.objects.filter(slug="bench-publish").delete()
    for key, value in result.items():
        print(f"{key}: {value}")
    print(json.dumps(result))
    return 0 if result["duplicates"] == 0 and result["misses"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
