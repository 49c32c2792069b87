"""Benchmark of team and adoption on PostgreSQL: 500 users and 10,000,000 audit and usage events over a
year, rolled up by the hourly job's services, then the team and region scorecard pages (p95, target < 300 ms).

    python bench/adoption.py [--quick] [--users 500] [--events 10000000] [--database-url URL] [--repeat 30]

The database is dropped and created again, migrated, and filled with COPY: one workspace with a hub and
8 spokes, ``--users`` members (community, content, analysts, strategists, designers, campaign managers;
nine in ten limited to one spoke), 10 inbox teams, and ``--events`` events spread over the last 365 days:
70 % page views and API calls (``adoption_usageevent``), 30 % audited actions (``core_auditevent``), of
which conversation closes (nine in ten with a reason) and post submissions followed by approvals.
People's activity is skewed (a fifth of them make most of it; some are dormant). Then the rollup
(``services.usage_rollup`` and ``services.kpi_compute`` for each of the 365 days) runs once and is timed,
and the pages are requested through Django's test client as a signed-in analyst:
``/adoption/scorecards/`` (team and region scorecards, the hub's rollup and the trend chart, 30 and 90
days), the scorecard API (``/api/v1/adoption/scorecards/teams`` and ``/regions``) and the usage page.

The last line is JSON. ``--quick`` uses 100 users and 200,000 events.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchsetup import configure, recreate_database  # noqa: E402 - after the path setup

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pappus_p3_bench"
ROLES = (
    ("community_manager", 40),
    ("content_manager", 25),
    ("analyst", 10),
    ("strategist", 5),
    ("designer", 10),
    ("campaign_manager", 10),
)
FEATURES = ("inbox", "publishing", "analytics", "listening", "strategy", "community", "crisis", "workspace")
ROLE_FEATURES = {
    "community_manager": ("inbox", "inbox", "inbox", "community", "listening"),
    "content_manager": ("publishing", "publishing", "publishing", "analytics", "strategy"),
    "analyst": ("analytics", "analytics", "listening", "listening", "strategy"),
    "strategist": ("strategy", "strategy", "analytics", "publishing", "crisis"),
    "designer": ("publishing", "publishing", "publishing", "workspace", "analytics"),
    "campaign_manager": ("analytics", "analytics", "publishing", "strategy", "workspace"),
}
REASONS = ("Answered", "Sale made", "Problem solved", "Customer stopped answering", "Spam or abuse")
CHUNK = 1_000_000


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def _role_features_sql() -> str:
    cases = " ".join(
        f"WHEN '{role}' THEN ARRAY[{', '.join(repr(feature) for feature in features)}]"
        for role, features in ROLE_FEATURES.items()
    )
    return f"(CASE p.role {cases} END)[1 + floor(random() * 5)::int]"


def fill_events(workspace_id: int, events: int, today: datetime.date) -> tuple[int, int]:
    """Bulk-insert the events inside PostgreSQL (INSERT ... SELECT over generate_series, in chunks), so that
    10,000,000 rows need no round trip each: (usage events, audit events) written.

    A person's share of the activity is skewed (index drawn as n * random()^2.5: a fifth of the people
    make most of it); the last 5 % of people stopped 95 days ago (dormant)."""
    from django.db import connection

    start = datetime.datetime.combine(today - datetime.timedelta(days=364), datetime.time.min, tzinfo=datetime.UTC)
    people = f"""
        people AS (
            SELECT row_number() OVER (ORDER BY user_id) - 1 AS idx, user_id, role
            FROM core_membership WHERE workspace_id = {workspace_id} AND role <> 'owner'
        ),
        total AS (SELECT count(*) AS n FROM people),
        picks AS (
            SELECT floor((SELECT n FROM total) * power(random(), 2.5))::int AS idx, random() AS share
            FROM generate_series(1, %(rows)s)
        ),
        drawn AS (
            SELECT p.user_id, p.role, %(start)s::timestamptz + (
                picks.share * CASE WHEN p.idx >= 0.95 * (SELECT n FROM total) THEN 270 ELSE 365 END
            ) * interval '1 day' AS moment
            FROM picks JOIN people p ON p.idx = picks.idx
        )"""  # noqa: S608 - numbers of this script only
    feature = _role_features_sql().replace("p.role", "drawn.role")
    usage_target = round(events * 0.7)
    audit_target = events - usage_target
    usage_total = audit_total = 0
    with connection.cursor() as cursor:
        # The rows are made consistent by construction: skip the per-row foreign-key triggers while filling.
        cursor.execute("SET session_replication_role = replica")
        while usage_total < usage_target:
            rows = min(CHUNK, usage_target - usage_total)
            cursor.execute(
                f"""WITH {people}
                INSERT INTO adoption_usageevent (workspace_id, user_id, feature, kind, day, created_at)
                SELECT {workspace_id}, drawn.user_id, {feature},
                       CASE WHEN random() < 0.1 THEN 'api' ELSE 'view' END,
                       (drawn.moment AT TIME ZONE 'UTC')::date, drawn.moment
                FROM drawn""",  # noqa: S608 - numbers and constants of this script only
                {"rows": rows, "start": start},
            )
            usage_total += cursor.rowcount
            print(f"  {usage_total:,} usage events ({time.strftime('%H:%M:%S')})", flush=True)
        # Audited actions: a community manager's are conversation closes (nine in ten with a reason), a content
        # manager's post submissions (each approved by someone later, below) or edits, the others' edits.
        base_target = round(audit_target / 1.15)  # about 15 % more come as approvals of the submissions
        base_total = 0
        while base_total < base_target:
            rows = min(CHUNK, base_target - base_total)
            cursor.execute(
                f"""WITH {people}
                INSERT INTO core_auditevent (workspace_id, actor_id, actor_label, action, object_type, object_id,
                                             object_repr, before, after, via, created_at)
                SELECT {workspace_id}, drawn.user_id, 'member' || drawn.user_id || '@example.com',
                       CASE WHEN drawn.role = 'community_manager' THEN 'conversation.close'
                            WHEN drawn.role = 'content_manager' AND random() < 0.5 THEN 'post.submit'
                            ELSE split_part({feature}, '.', 1) || '.update' END AS action,
                       'bench', (floor(random() * 1e9))::bigint::text, '', '{{}}'::jsonb,
                       CASE WHEN drawn.role = 'community_manager' THEN jsonb_build_object(
                           'status', 'closed', 'outcome_reason',
                           CASE WHEN random() < 0.9 THEN (ARRAY[{", ".join(repr(reason) for reason in REASONS)}])
                               [1 + floor(random() * {len(REASONS)})::int] ELSE '' END)
                       ELSE '{{}}'::jsonb END,
                       'web', drawn.moment
                FROM drawn""",  # noqa: S608
                {"rows": rows, "start": start},
            )
            base_total += cursor.rowcount
            print(f"  {base_total:,} audited actions ({time.strftime('%H:%M:%S')})", flush=True)
        cursor.execute(
            f"""UPDATE core_auditevent SET object_type = CASE
                    WHEN action = 'conversation.close' THEN 'inbox.conversation'
                    WHEN action = 'post.submit' THEN 'publishing.post' ELSE '' END
                WHERE workspace_id = {workspace_id} AND object_type = 'bench'"""  # noqa: S608
        )
        cursor.execute(
            f"""INSERT INTO core_auditevent (workspace_id, actor_id, actor_label, action, object_type, object_id,
                                             object_repr, before, after, via, created_at)
                SELECT workspace_id, (SELECT user_id FROM core_membership WHERE workspace_id = {workspace_id}
                                      AND role IN ('strategist', 'content_manager') AND id % 7 = submit.id % 7
                                      ORDER BY id LIMIT 1),
                       'approver', 'post.approve', 'publishing.post', object_id, '', '{{}}'::jsonb, '{{}}'::jsonb,
                       'web', created_at + (10 + random() * 2870) * interval '1 minute'
                FROM core_auditevent submit
                WHERE workspace_id = {workspace_id} AND action = 'post.submit'"""  # noqa: S608
        )
        audit_total = base_total + cursor.rowcount
        cursor.execute("SET session_replication_role = DEFAULT")
        for table in ("adoption_usageevent", "core_auditevent"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return usage_total, audit_total


def load_urls(attempts: int = 30) -> None:
    """Import every app's URLs and API routers once, up front (they stay loaded for the measured requests);
    retried, because in a shared working tree another app can be half-edited for a moment."""
    from django.urls import get_resolver

    for attempt in range(attempts):
        try:
            get_resolver().url_patterns  # noqa: B018 - importing is the point
        except ImportError as error:
            print(f"  URLs not importable yet ({error}); retrying", flush=True)
            get_resolver.cache_clear()  # type: ignore[attr-defined]
            for name in [module for module in sys.modules if module.startswith(("config.urls", "config.api"))]:
                del sys.modules[name]
            time.sleep(10 if attempt < attempts - 1 else 0)
        else:
            return
    raise SystemExit("the URLs could not be imported")


def main() -> int:  # noqa: PLR0915 - one linear script
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100 users and 200,000 events")
    parser.add_argument("--users", type=int, help="members (default 500)")
    parser.add_argument("--events", type=int, help="usage and audit events over the year (default 10,000,000)")
    parser.add_argument("--database-url", default=os.environ.get("PAPPUS_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--repeat", type=int, default=30, help="requests of each page (default 30)")
    parser.add_argument(
        "--reuse-database", action="store_true", help="measure the pages again over the data of the previous run"
    )
    options = parser.parse_args()
    user_count = options.users or (100 if options.quick else 500)
    event_count = options.events or (200_000 if options.quick else 10_000_000)
    if not options.reuse_database:
        recreate_database(options.database_url)
    configure(options.database_url)
    os.environ.setdefault("PAPPUS_ALLOWED_HOSTS", "testserver")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", verbosity=0)
    load_urls()
    from pappus.adoption import services
    from pappus.adoption.models import KpiDaily, UsageDaily
    from pappus.core.audit import Actor
    from pappus.core.models import Membership, Region, User
    from pappus.core.services import workspace_create
    from pappus.inbox.models import Team

    actor = Actor.system("bench")
    if options.reuse_database:
        from pappus.adoption.models import UsageEvent
        from pappus.core.models import AuditEvent, Workspace

        workspace = Workspace.objects.get(name="Adoption bench")
        analyst = Membership.objects.for_workspace(workspace).filter(role="analyst").order_by("pk").first()
        assert analyst is not None  # noqa: S101
        user_count = Membership.objects.for_workspace(workspace).exclude(role="owner").count()
        usage_events = UsageEvent.objects.for_workspace(workspace).count()
        audit_events = AuditEvent.objects.for_workspace(workspace).count()
        event_count = usage_events + audit_events
        fill_seconds = rollup_seconds = None
        usage_rows = UsageDaily.objects.count()
        kpi_rows = KpiDaily.objects.count()
    else:
        owner = User.objects.create_user("bench-adoption@example.com", "x")
        workspace = workspace_create(actor=actor, owner=owner, name="Adoption bench")
        hub = Region.objects.for_workspace(workspace).get(parent__isnull=True)
        spokes = [Region.objects.create(workspace=workspace, parent=hub, name=f"Spoke {number}") for number in range(8)]
        chooser = random.Random(5)
        roles = [role for role, share in ROLES for _ in range(share)]
        users = User.objects.bulk_create(
            [User(email=f"member{number}@example.com", full_name=f"Member {number}") for number in range(user_count)]
        )
        memberships = Membership.objects.bulk_create(
            [Membership(user=user, workspace=workspace, role=chooser.choice(roles)) for user in users]
        )
        through = Membership.regions.through
        through.objects.bulk_create(
            [
                through(membership_id=membership.pk, region_id=chooser.choice(spokes).pk)
                for membership in memberships
                if chooser.random() < 0.9
            ]
        )
        teams = [Team.objects.create(workspace=workspace, name=f"Team {number}") for number in range(10)]
        for membership in memberships:
            if membership.role == "community_manager":
                chooser.choice(teams).members.add(membership.user)
        analyst = next(membership for membership in memberships if membership.role == "analyst")
        today = datetime.datetime.now(datetime.UTC).date()

        print(f"migrated; filling {event_count:,} events ({time.strftime('%H:%M:%S')})", flush=True)
        started = time.perf_counter()
        usage_events, audit_events = fill_events(workspace.pk, event_count, today)
        fill_seconds = round(time.perf_counter() - started, 1)
        print(f"filled {usage_events:,} usage and {audit_events:,} audit events in {fill_seconds} s", flush=True)

        started = time.perf_counter()
        for offset in range(364, -1, -1):
            day = today - datetime.timedelta(days=offset)
            services.usage_rollup(day)
            services.kpi_compute(workspace.pk, day)
        rollup_seconds = round(time.perf_counter() - started, 1)
        with connection.cursor() as cursor:
            for table in ("adoption_usagedaily", "adoption_kpidaily"):
                cursor.execute(f"VACUUM ANALYZE {table}")
        usage_rows = UsageDaily.objects.count()
        kpi_rows = KpiDaily.objects.count()
        print(f"rolled up a year in {rollup_seconds} s: {usage_rows:,} usage rows, {kpi_rows:,} KPI rows", flush=True)

    # The benchmark runs without collectstatic: plain static storage instead of the manifest (a dictionary
    # lookup per asset either way).
    from django.conf import settings
    from django.test.utils import override_settings

    plain_static = override_settings(
        STORAGES={
            **settings.STORAGES,
            "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
        }
    )
    plain_static.enable()
    client = Client()
    client.force_login(analyst.user)
    from pappus.core.tokens import token_create

    token = token_create(actor=actor, membership=analyst, name="bench").plain
    headers = {"Authorization": f"Bearer {token}"}

    def measure(url: str, **extra: Any) -> dict[str, float]:
        timings: list[float] = []
        processor: list[float] = []  # this process's CPU time per request: less sensitive to a loaded machine
        for attempt in range(options.repeat + 2):
            begin, begin_cpu = time.perf_counter(), time.process_time()
            response = client.get(url, **extra)
            elapsed = (time.perf_counter() - begin) * 1000
            elapsed_cpu = (time.process_time() - begin_cpu) * 1000
            if response.status_code != 200:
                raise SystemExit(f"{url}: {response.status_code} {response.content[:300]!r}")
            if attempt >= 2:
                timings.append(elapsed)
                processor.append(elapsed_cpu)
        figures = {
            "p50_ms": round(statistics.median(timings), 1),
            "p95_ms": round(percentile(timings, 0.95), 1),
            "max_ms": round(max(timings), 1),
            "python_cpu_p95_ms": round(percentile(processor, 0.95), 1),
        }
        print(f"{url}: {figures}", flush=True)
        return figures

    pages = {
        "scorecards_page_30_days": measure("/adoption/scorecards/?days=30"),
        "scorecards_page_90_days": measure("/adoption/scorecards/?days=90"),
        "team_scorecards_api_30_days": measure("/api/v1/adoption/scorecards/teams?days=30", headers=headers),
        "region_scorecards_api_30_days": measure("/api/v1/adoption/scorecards/regions?days=30", headers=headers),
        "usage_page_30_days": measure("/adoption/?days=30"),
    }
    worst = max(pages["scorecards_page_30_days"]["p95_ms"], pages["scorecards_page_90_days"]["p95_ms"])
    summary = {
        "database": "postgresql",
        "users": user_count,
        "events": event_count,
        "usage_events": usage_events,
        "audit_events": audit_events,
        "fill_seconds": fill_seconds,
        "rollup_year_seconds": rollup_seconds,
        "usage_rollup_rows": usage_rows,
        "kpi_rollup_rows": kpi_rows,
        "pages": pages,
        "scorecard_page_p95_ms": worst,
        "scorecard_page_p95_target_ms": 300,
        "scorecard_page_p95_met": worst < 300,
    }
    summary["load_average_1_5_15"] = [round(value, 2) for value in os.getloadavg()]
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
