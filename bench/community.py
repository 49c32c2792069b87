"""Benchmark of the community on PostgreSQL: identity resolution over 1,000,000 identities (merges/s,
precision and recall of the automatic merges against a synthetic truth), loyalty recomputation for
1,000,000 members, and the member list's filters (p95, target < 150 ms).

    python bench/community.py [--quick] [--identities N] [--members N] [--database-url URL] [--repeat 20]
                              [--skip-before] [--only-resolution]

The database is dropped and created again, migrated, and filled with COPY:

- resolution: people with one to three identities each (a shop record, Instagram, Bluesky, X,
  Mastodon), each identity its own member at first, as collection leaves them. Shop records carry
  the person's e-mail (1 % a shared placeholder address), half a phone, a fifth the address of the
  person's own Instagram account; three in ten social identities know the e-mail; seven in ten of a
  person's social identities reuse one handle. Noise: people with the same name and similar handles,
  and one person in 500 sharing a phone with someone else (a family phone), so automatic merges can
  be wrong.
  ``services.resolve`` then runs once; every pair of identities put into one member is compared with
  the truth.
- loyalty: a second workspace with --members members (one identity each) and 0 to 6 activities each
  over the last 120 days; ``services.loyalty_recompute`` runs twice (first placement, then 20 days
  later).
- member list: the page's query (``selectors.members``: 51 rows plus the capped count) for typical
  filters over the loyalty workspace.

The last line is JSON. ``--quick`` uses 50,000 identities and 50,000 members.
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
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchsetup import configure, recreate_database  # noqa: E402 - after the path setup

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pappus_bench_community"
FIRST = ("anna", "ola", "kari", "per", "lena", "ivan", "olga", "wei", "li", "nora", "jonas", "maria", "sofia", "lucas")
LAST = ("berg", "hansen", "ivanova", "petrov", "wang", "zhang", "dahl", "lie", "moe", "smith", "novak", "sato")
SOCIAL = ("instagram", "bluesky", "x", "mastodon")
KINDS = ("conversation", "mention", "mention", "reply", "share", "ugc", "purchase")
# Migration 0002's indexes for the network and tag filters, measured with and without.
FILTER_INDEXES = ("community_identity_network", "community_member_tags")
SENTIMENTS = ("positive", "positive", "neutral", "negative", "")

MEMBER_COLUMNS = (
    "id, workspace_id, display_name, name_key, email, phone, consent_marketing, consent_source, tags, stage, "
    "score, last_active_at, created_at"
)
IDENTITY_COLUMNS = (
    "id, workspace_id, member_id, network, key, handle, handle_key, remote_id, display_name, profile_url, email, "
    "phone, source, created_at"
)
ACTIVITY_COLUMNS = (
    "workspace_id, member_id, identity_id, kind, external_ref, title, url, sentiment, currency, occurred_at"
)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def copy(cursor: Any, table: str, columns: str, rows: Iterator[tuple[Any, ...]]) -> int:
    written = 0
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as stream:
        for row in rows:
            stream.write_row(row)
            written += 1
    return written


def synthetic_identities(count: int, seed: int = 7) -> tuple[list[tuple[Any, ...]], list[int]]:
    """(network, key, handle, handle_key, remote_id, name, profile, email, phone) rows and each row's person."""
    from pappus.community import matching

    generator = random.Random(seed)
    rows: list[tuple[Any, ...]] = []
    person_of: list[int] = []
    phones: list[str] = []
    taken: set[tuple[str, str]] = set()  # one account per handle and network: the same handle there is one person

    def claim(network: str, wanted: str) -> str:
        """The person's account name on ``network``: ``wanted``, or with their number when another holds it."""
        own = wanted if (network, matching.normalize_handle(wanted)) not in taken else f"{wanted}_{person}"
        taken.add((network, matching.normalize_handle(own)))
        return own

    person = 0
    while len(rows) < count:
        first, last = generator.choice(FIRST), generator.choice(LAST)
        name = f"{first.title()} {last.title()}"
        handle = f"{first}{generator.choice(('', '.', '_'))}{last}{generator.randrange(1000)}"
        email = f"{first}.{last}.{person}@mail.example"
        phone = f"47{40_000_000 + person}"
        if phones and generator.random() < 0.002:
            phone = generator.choice(phones)  # a family phone: another person's number
        phones.append(phone)
        size = generator.choices((1, 2, 3), weights=(50, 30, 20))[0]
        networks = generator.sample(("import:shop", *SOCIAL), size)
        # The person's one Instagram account: a shop record's profile address and the account itself agree
        # (a profile address names one account; it never names another person's).
        instagram = ""
        for network in networks:
            if len(rows) >= count:
                break
            if network == "import:shop":
                shop_email = "noreply@shop.example" if generator.random() < 0.01 else email
                shop_phone = phone if generator.random() < 0.5 else ""
                profile = ""
                if generator.random() < 0.2:
                    instagram = instagram or claim("instagram", handle)
                    profile = f"https://instagram.com/{instagram}"
                rows.append((network, f"id:C{person}", "", "", f"C{person}", name, profile, shop_email, shop_phone))
            else:
                if network == "instagram" and instagram:
                    own = instagram
                else:
                    own = claim(
                        network, handle if generator.random() < 0.7 else f"{last}{first}{generator.randrange(10_000)}"
                    )
                    instagram = own if network == "instagram" else instagram
                profile = f"https://instagram.com/{own}" if network == "instagram" else ""
                known_email = email if generator.random() < 0.3 else ""
                key = matching.normalize_handle(own)
                rows.append((network, f"handle:{key}", own, key, "", name, profile, known_email, ""))
            person_of.append(person)
        person += 1
    return rows, person_of


def fill_resolution(workspace_id: int, count: int, first_id: int) -> list[int]:
    from django.db import connection
    from django.utils import timezone

    rows, person_of = synthetic_identities(count)
    now = timezone.now()
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        copy(
            cursor,
            "community_member",
            MEMBER_COLUMNS,
            (
                (
                    first_id + index,
                    workspace_id,
                    row[5],
                    row[5].casefold(),
                    row[7],
                    row[8],
                    False,
                    "",
                    "[]",
                    "follower",
                    0.0,
                    now,
                    now,
                )
                for index, row in enumerate(rows)
            ),
        )
        copy(
            cursor,
            "community_identity",
            IDENTITY_COLUMNS,
            (
                (
                    first_id + index,
                    workspace_id,
                    first_id + index,
                    row[0],
                    row[1],
                    row[2],
                    row[3],
                    row[4],
                    row[5],
                    row[6],
                    row[7],
                    row[8],
                    "import" if row[0].startswith("import") else "listening",
                    now,
                )
                for index, row in enumerate(rows)
            ),
        )
    return person_of


def fill_loyalty(workspace_id: int, count: int, first_id: int) -> int:
    from django.db import connection
    from django.utils import timezone

    generator = random.Random(11)
    now = timezone.now()
    activity_counts = [generator.choices(range(7), weights=(20, 25, 20, 12, 10, 8, 5))[0] for _ in range(count)]
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor

        def members() -> Iterator[tuple[Any, ...]]:
            for index in range(count):
                first, last = FIRST[index % len(FIRST)], LAST[(index // len(FIRST)) % len(LAST)]
                name = f"{first.title()} {last.title()} {index}"
                tags = '["vip"]' if index % 20 == 0 else ('["b2b", "oslo"]' if index % 7 == 0 else "[]")
                yield (
                    first_id + index,
                    workspace_id,
                    name,
                    name.casefold(),
                    f"m{index}@mail.example",
                    "",
                    index % 3 == 0,
                    "",
                    tags,
                    "follower",
                    0.0,
                    now - datetime.timedelta(days=200),
                    now - datetime.timedelta(days=200),
                )

        copy(cursor, "community_member", MEMBER_COLUMNS, members())
        copy(
            cursor,
            "community_identity",
            IDENTITY_COLUMNS,
            (
                (
                    first_id + index,
                    workspace_id,
                    first_id + index,
                    SOCIAL[index % 4],
                    f"handle:fan{index}",
                    f"fan{index}",
                    f"fan{index}",
                    "",
                    "",
                    "",
                    "",
                    "",
                    "listening",
                    now,
                )
                for index in range(count)
            ),
        )

        def activities() -> Iterator[tuple[Any, ...]]:
            number = 0
            for index, many in enumerate(activity_counts):
                for _ in range(many):
                    number += 1
                    when = now - datetime.timedelta(minutes=generator.randrange(60 * 24 * 120))
                    yield (
                        workspace_id,
                        first_id + index,
                        first_id + index,
                        generator.choice(KINDS),
                        f"bench:{number}",
                        "",
                        "",
                        generator.choice(SENTIMENTS),
                        "",
                        when,
                    )

        written = copy(cursor, "community_activity", ACTIVITY_COLUMNS, activities())
    return written


def pair_scores(person_of: list[int], member_of: list[int]) -> dict[str, float]:
    """Pairwise precision and recall of 'same member' against 'same person'."""

    def pairs(sizes: Counter[Any]) -> int:
        return sum(size * (size - 1) // 2 for size in sizes.values())

    predicted = pairs(Counter(member_of))
    true = pairs(Counter(person_of))
    correct = pairs(Counter(zip(member_of, person_of, strict=True)))
    return {
        "predicted_pairs": predicted,
        "true_pairs": true,
        "correct_pairs": correct,
        "precision": round(correct / predicted, 4) if predicted else 1.0,
        "recall": round(correct / true, 4) if true else 1.0,
    }


def main() -> int:  # noqa: PLR0915 - one linear script
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="50,000 identities and 50,000 members")
    parser.add_argument("--identities", type=int, help="identities to resolve (default 1,000,000)")
    parser.add_argument("--members", type=int, help="members on the ladder (default 1,000,000)")
    parser.add_argument("--database-url", default=os.environ.get("PAPPUS_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--repeat", type=int, default=20, help="runs of each list filter (default 20)")
    parser.add_argument(
        "--skip-before", action="store_true", help="do not measure the list without the filter indexes first"
    )
    parser.add_argument(
        "--only-resolution", action="store_true", help="fill and measure identity resolution only (no ladder, no list)"
    )
    options = parser.parse_args()
    identities = options.identities or (50_000 if options.quick else 1_000_000)
    member_count = options.members or (50_000 if options.quick else 1_000_000)
    if options.only_resolution:
        member_count = 0
    recreate_database(options.database_url)
    configure(options.database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from pappus.community import selectors, services
    from pappus.community.models import Identity, MergeSuggestion
    from pappus.core.audit import Actor
    from pappus.core.models import User
    from pappus.core.services import workspace_create

    actor = Actor.system("bench")
    owner = User.objects.create_user("bench-community@example.com", "x")
    resolution = workspace_create(actor=actor, owner=owner, name="Resolution bench")
    ladder = workspace_create(actor=actor, owner=owner, name="Loyalty bench")

    print(f"migrated; filling ({time.strftime('%H:%M:%S')})", flush=True)
    started = time.perf_counter()
    person_of = fill_resolution(resolution.pk, identities, 1)
    activities = fill_loyalty(ladder.pk, member_count, identities + 1) if member_count else 0
    with connection.cursor() as cursor:
        for table in ("community_member", "community_identity"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"  # noqa: S608
            )
        for table in ("community_member", "community_identity", "community_activity"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    fill_seconds = round(time.perf_counter() - started, 1)
    print(
        f"filled {identities:,} identities, {member_count:,} members with {activities:,} activities in {fill_seconds} s"
    )

    # --- identity resolution --------------------------------------------------------------------------
    result = services.resolve(resolution.pk)
    members = dict(
        Identity.objects.for_workspace(resolution.pk)
        .order_by()
        .values_list("pk", "member_id")
        .iterator(chunk_size=50_000)
    )
    member_of = [members[index + 1] for index in range(len(person_of))]
    scores = pair_scores(person_of, member_of)
    suggestions = list(
        MergeSuggestion.objects.for_workspace(resolution.pk)
        .filter(status="pending")
        .values_list("first_id", "second_id")
    )
    # A suggestion is right when the two members hold identities of one person (their founding identities share ids).
    right = sum(1 for first, second in suggestions if person_of[first - 1] == person_of[second - 1])
    resolution_figures = {
        "identities": identities,
        "people": len(set(person_of)),
        "seconds": round(result.seconds, 1),
        "merges": result.merged,
        "merges_per_second": round(result.merged / result.seconds, 0) if result.seconds else None,
        "identities_per_second": round(identities / result.seconds, 0) if result.seconds else None,
        "automatic_precision": scores["precision"],
        "automatic_recall": scores["recall"],
        "pairs": scores,
        "suggestions": len(suggestions),
        "suggestion_precision": round(right / len(suggestions), 4) if suggestions else None,
    }
    print(
        f"resolution: {result.merged:,} merges in {result.seconds:.1f} s "
        f"({resolution_figures['merges_per_second']}/s), "
        f"precision {scores['precision']}, recall {scores['recall']}, {len(suggestions):,} suggestions "
        f"({resolution_figures['suggestion_precision']} right)"
    )

    if options.only_resolution:
        print(json.dumps({"fill_seconds": fill_seconds, "resolution": resolution_figures}))
        return 0

    # --- loyalty recomputation -------------------------------------------------------------------------
    now = timezone.now()
    started = time.perf_counter()
    first_run = services.loyalty_recompute(ladder.pk, now=now)
    first_seconds = time.perf_counter() - started
    started = time.perf_counter()
    second_run = services.loyalty_recompute(ladder.pk, now=now + datetime.timedelta(days=20))
    second_seconds = time.perf_counter() - started
    loyalty_figures = {
        "members": first_run.members,
        "activities": activities,
        "first_run_seconds": round(first_seconds, 1),
        "first_run_members_per_second": round(first_run.members / first_seconds, 0),
        "later_run_seconds": round(second_seconds, 1),
        "later_run_members_per_second": round(second_run.members / second_seconds, 0),
        "moved_later": second_run.moved,
        "alerts_raised_later": second_run.alerts_raised,
        "stages": first_run.stages,
    }
    print(
        f"loyalty: {first_run.members:,} members placed in {first_seconds:.1f} s, again 20 days later in "
        f"{second_seconds:.1f} s ({second_run.moved:,} moved, {second_run.alerts_raised:,} alerts); {first_run.stages}"
    )

    # --- member list filters ---------------------------------------------------------------------------
    sample = identities + member_count // 2
    views: dict[str, selectors.MemberFilters] = {
        "all members": selectors.MemberFilters(),
        "stage core fan": selectors.MemberFilters(stage="core_fan"),
        "stage engaged": selectors.MemberFilters(stage="engaged"),
        "network bluesky": selectors.MemberFilters(network="bluesky"),
        "tag vip": selectors.MemberFilters(tag="vip"),
        "stage + tag": selectors.MemberFilters(stage="advocate", tag="oslo"),
        "search e-mail": selectors.MemberFilters(search=f"m{sample - identities}@mail.example"),
        "search handle": selectors.MemberFilters(search=f"@fan{sample - identities}"),
        "search name start": selectors.MemberFilters(search="Nora Dahl 12"),
    }

    def page_of(filters: selectors.MemberFilters) -> Callable[[], int]:
        def run() -> int:
            rows = selectors.members(ladder.pk, filters)
            page = list(rows[:51])
            count, _capped = selectors.member_count(ladder.pk, filters)
            return count + 0 * len(page)

        return run

    def measure(label: str) -> tuple[dict[str, dict[str, float]], list[float]]:
        results: dict[str, dict[str, float]] = {}
        everything: list[float] = []
        print(f"member list, {label}:")
        for name, filters in views.items():
            run = page_of(filters)
            run()
            timings = []
            for _ in range(options.repeat):
                started = time.perf_counter()
                found = run()
                timings.append((time.perf_counter() - started) * 1000)
            everything.extend(timings)
            results[name] = {
                "p50_ms": round(statistics.median(timings), 1),
                "p95_ms": round(percentile(timings, 0.95), 1),
            }
            print(
                f"  {name:<20} {found:>7,}  p50 {results[name]['p50_ms']:7.1f} ms  "
                f"p95 {results[name]['p95_ms']:7.1f} ms"
            )
        return results, everything

    # The loyalty runs rewrote every member row: let the planner see the table as it is now (autovacuum would).
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE community_member")
    before: dict[str, Any] | None = None
    if not options.skip_before:
        # The same filters without the indexes of migration 0002, dropped inside a transaction that is rolled back.
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"DROP INDEX {', '.join(FILTER_INDEXES)}")
            before_results, before_all = measure("without the filter indexes of migration 0002")
            transaction.set_rollback(True)
        before = {
            "p50_ms": round(statistics.median(before_all), 1),
            "p95_ms": round(percentile(before_all, 0.95), 1),
            "worst_view_p95_ms": max(result["p95_ms"] for result in before_results.values()),
            "views": before_results,
        }
    results, everything = measure("with every index")
    summary = {
        "fill_seconds": fill_seconds,
        "resolution": resolution_figures,
        "loyalty": loyalty_figures,
        "member_list": {
            "members": member_count,
            "p50_ms": round(statistics.median(everything), 1),
            "p95_ms": round(percentile(everything, 0.95), 1),
            "worst_view_p95_ms": max(result["p95_ms"] for result in results.values()),
            "target_p95_ms": 150,
            "views": results,
            "without_filter_indexes": before,
        },
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
