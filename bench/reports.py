"""Benchmark of the monthly report: its PDF generated over 1,000,000 post-metric snapshots and a year of
listening rollups for 10,000,000 mentions, on PostgreSQL (issue 8: under 20 s).

    python bench/reports.py [--quick] [--snapshots N] [--mentions N] [--database-url URL] [--repeat 3]

The data is ``bench/analytics.py``'s (its ``fill``: a workspace with a hub and three spokes, 24
accounts' hourly snapshots for a year, published variants with hourly snapshots, listening's hourly
rollups, 20,000 conversations), then the daily rollups are built by the backfill service. Each run
generates the last whole calendar month's report the way the scheduled job does
(``analytics.reports.render``: every KPI for the month and the month before, five charts as SVG, top
posts, mentions and sentiment, inbox times; the HTML, the PDF by WeasyPrint, the e-mail HTML and plain
text), for the workspace and for one spoke. The first run is reported apart (it starts vl-convert's
engine and loads the fonts: what a freshly started worker pays once). The charts as PNG for the e-mail
are timed too. ``--quick`` uses 20,000 snapshots, 6 accounts and 500,000 mentions. The last line is JSON.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchsetup import configure, recreate_database  # noqa: E402 - after the path setup

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pappus_bench_reports"
TARGET_SECONDS = 20


def calibration_seconds() -> float:
    """A fixed pure-Python workload (5,000,000 additions): reports are also given as a ratio to it, so a
    run on a loaded machine can be compared with one on an idle machine."""
    started = time.perf_counter()
    total = 0
    for number in range(5_000_000):
        total += number % 7
    return time.perf_counter() - started


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="20,000 snapshots, 6 accounts, 500,000 mentions")
    parser.add_argument("--snapshots", type=int, help="post-metric snapshots (default 1,000,000)")
    parser.add_argument("--mentions", type=int, help="mentions in the listening rollups (default 10,000,000)")
    parser.add_argument("--database-url", default=os.environ.get("PAPPUS_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--repeat", type=int, default=3, help="warm runs of each report (default 3)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="report over the database a previous run (of this or bench/analytics.py) filled: no refill, "
        "no backfill; give that run's --database-url",
    )
    return parser.parse_args()


def prepared(options: argparse.Namespace, snapshots: int, mentions: int) -> tuple[dict[str, Any], int]:
    """The data, filled and rolled up now, or (``--reuse``) as a previous run left it."""
    import analytics as analytics_bench  # bench/analytics.py: the same data as the dashboard's benchmark
    from django.db import connection

    from pappus.analytics import services

    if options.reuse:
        filled = analytics_bench.reused()
        mentions = filled["mentions"]
        print(f"reusing {filled['post_snapshots']:,} post snapshots and {mentions:,} mentions' rollups")
    else:
        filled = analytics_bench.fill(snapshots, mentions, 6 if options.quick else analytics_bench.ACCOUNTS)
        print(
            f"filled {filled['post_snapshots']:,} post snapshots, {filled['account_snapshots']:,} account snapshots "
            f"and {filled['mention_rollup_rows']:,} listening rollup rows ({mentions:,} mentions) "
            f"in {filled['fill_seconds']} s"
        )
        started = time.perf_counter()
        services.rollups_backfill(workspace_id=filled["workspace"].pk, chunk_days=31)
        print(f"backfill in {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cursor:
            for table in ("analytics_dailypostrollup", "analytics_dailyaccountrollup"):
                cursor.execute(f"VACUUM ANALYZE {table}")

    return filled, mentions


def main() -> int:
    options = arguments()
    snapshots = options.snapshots or (20_000 if options.quick else 1_000_000)
    mentions = options.mentions or (500_000 if options.quick else 10_000_000)
    if not options.reuse:
        recreate_database(options.database_url)
    configure(options.database_url)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.utils import timezone

    from pappus.analytics import reports
    from pappus.core.charts import to_png
    from pappus.core.models import Region

    filled, mentions = prepared(options, snapshots, mentions)
    workspace = filled["workspace"]

    today = timezone.now().astimezone(datetime.UTC).date()
    first, last = reports.period_for("monthly", today)
    spoke = Region.objects.get(pk=filled["spokes"][0])

    def monthly(region: Region | None) -> reports.Rendered:
        return reports.render(
            workspace,
            kind="monthly",
            first_day=first,
            last_day=last,
            region=region,
            language="en",
            generated_at=timezone.now(),
        )

    started = time.perf_counter()
    cold = monthly(None)
    cold_seconds = time.perf_counter() - started
    print(f"monthly report {first} to {last}, first run (engine start): {cold_seconds:.1f} s, {cold.pages} pages")
    results: dict[str, dict[str, float]] = {}
    for name, region in (("workspace", None), ("one spoke", spoke)):
        timings, cpu, stages = [], [], []
        for _ in range(options.repeat):
            started, cpu_started = time.perf_counter(), time.process_time()
            rendered = monthly(region)
            timings.append(time.perf_counter() - started)
            cpu.append(time.process_time() - cpu_started)  # this process's CPU (vl-convert's threads too)
            stages.append(rendered.stages)
        results[name] = {
            "p50_s": round(statistics.median(timings), 2),
            "max_s": round(max(timings), 2),
            "process_cpu_p50_s": round(statistics.median(cpu), 2),
            **{key: round(statistics.median(stage[key] for stage in stages), 2) for key in stages[0]},
            "pages": rendered.pages,
            "pdf_kib": round(len(rendered.pdf) / 1024, 1),
        }
        print(f"monthly PDF report, {name:<10} {json.dumps(results[name])}")
    started = time.perf_counter()
    pngs = [to_png(spec) for spec in cold.chart_specs.values()]
    png_seconds = time.perf_counter() - started
    print(f"{len(pngs)} charts as PNG for the e-mail: {png_seconds:.2f} s")
    calibration = statistics.median(calibration_seconds() for _ in range(3))
    print(f"calibration workload: {calibration:.2f} s (the same run)")
    worst = max([cold_seconds, *(result["max_s"] for result in results.values())])
    summary = {
        "post_snapshots": filled["post_snapshots"],
        "mentions_in_rollups": mentions,
        "period": f"{first}/{last}",
        "first_run_s": round(cold_seconds, 2),
        "reports": results,
        "email_pngs_s": round(png_seconds, 2),
        "worst_s": round(worst, 2),
        "calibration_s": round(calibration, 3),
        "workspace_p50_over_calibration": round(results["workspace"]["p50_s"] / calibration, 1),
        "target_s": TARGET_SECONDS,
        "load_average_1m": round(os.getloadavg()[0], 2),
    }
    print(json.dumps(summary))
    return 0 if worst < TARGET_SECONDS else 1


if __name__ == "__main__":
    raise SystemExit(main())
