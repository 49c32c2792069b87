# ruff: noqa: RUF001 - real Chinese punctuation in the sample texts
"""Benchmark of the inbox queue: list and filter latency over 1,000,000 messages in ~200,000
conversations on PostgreSQL.

    python bench/inbox.py [--quick] [--messages N] [--database-url URL] [--repeat 20] [--keep]

The database is dropped and created again (unless --keep), migrated, and filled with COPY,
streamed row by row: a workspace with four teams and twelve agents, conversations in four
languages and three networks (70 % closed, 20 % open, 10 % waiting), five messages each on
average, tags on one in ten; a second, smaller workspace lies beside it so that tenancy filters
matter. Then each typical queue view runs through the selector the page and the API use
(``pappus.inbox.selectors.conversations_queue``): the count and the first page of 50 with team,
assignee and tags, as the page renders it. A conversation's detail (thread, notes, tags) is
timed too. Prints p50/p95 per view and overall; the last line is JSON (target: p95 < 100 ms).
``--quick`` uses 50,000 messages.
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
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from benchsetup import configure, recreate_database  # noqa: E402 - after the path setup

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/pappus_bench_inbox"
MESSAGES_PER_CONVERSATION = 5
PAGE = 50
LANGUAGES = ("en", "ru", "no", "zh")
NETWORKS = ("mastodon", "bluesky", "matrix")
INTENTS = ("purchase_intent", "service_request", "complaint", "question", "praise", "other", "spam")
PRIORITY = {
    "purchase_intent": 1,
    "service_request": 1,
    "complaint": 2,
    "question": 3,
    "praise": 4,
    "other": 4,
    "spam": 5,
}
TEXTS = {
    "en": "Do you ship the Autumn blend to the UK? I'd like to order a subscription.",
    "ru": "Здравствуйте! Хочу купить зерно для кофейни, есть ли оптовые цены?",
    "no": "Bestillingen min har ikke kommet etter to uker.",
    "zh": "你好，请问秋季拼配咖啡豆在哪里可以买到？",
}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))]


def conversation_rows(  # noqa: PLR0917 - a row generator, called twice
    workspace_id: int, first_id: int, count: int, teams: list[int], agents: list[int], now: datetime.datetime
) -> Iterator[tuple[Any, ...]]:
    generator = random.Random(workspace_id)
    for offset in range(count):
        number = first_id + offset
        language = generator.choice(LANGUAGES)
        network = generator.choice(NETWORKS)
        intent = generator.choices(INTENTS, weights=(8, 12, 15, 25, 15, 20, 5))[0]
        roll = generator.random()
        status = "closed" if roll < 0.7 else ("open" if roll < 0.9 else "pending")
        created = now - datetime.timedelta(minutes=generator.randrange(60 * 24 * 365))
        team = generator.choice(teams) if generator.random() < 0.9 else None
        assignee = generator.choice(agents) if team is not None and generator.random() < 0.8 else None
        due = created + datetime.timedelta(hours=generator.choice((1, 2, 8, 24)))
        handle = f"@customer{generator.randrange(count // 2 + 1)}@example.social"
        yield (
            number,
            workspace_id,
            f"network:{network}",
            network,
            "mention",
            f"item:{number}",
            TEXTS[language][:200],
            handle,
            f"Customer {number}",
            f"{network}:{handle}",
            "vip" if number % 50 == 0 else "",
            language,
            status,
            PRIORITY[intent],
            intent,
            "neutral",
            intent == "other" and generator.random() < 0.05,
            team,
            assignee,
            created,
            due,
            due + datetime.timedelta(hours=8),
            None if status == "closed" else due,
            None if status == "closed" else due - datetime.timedelta(minutes=10),
            False,
            created if status == "closed" else None,
            "Answered" if status == "closed" else "",
            "",
            MESSAGES_PER_CONVERSATION,
            created,
            created,
            created,
            created,
        )


CONVERSATION_COLUMNS = (
    "id, workspace_id, external_scope, network, kind, thread_key, subject, customer_handle, customer_name, "
    "customer_key, customer_tier, language, status, priority, intent, sentiment, is_toxic, team_id, assignee_id, "
    "sla_started_at, first_response_due_at, resolution_due_at, next_due_at, next_warning_at, sla_missed, closed_at, "
    "outcome_reason, outcome_note, message_count, last_message_at, last_inbound_at, created_at, updated_at"
)
MESSAGE_COLUMNS = (
    "workspace_id, conversation_id, external_scope, external_id, parent_external_id, direction, author_handle, "
    "author_name, text, url, language, intent, sentiment, is_toxic, sent_at, delivery_status, error, error_code, "
    "idempotency_key, created_at"
)


def message_rows(workspace_id: int, first_id: int, count: int, now: datetime.datetime) -> Iterator[tuple[Any, ...]]:
    for offset in range(count):
        conversation = first_id + offset
        language = LANGUAGES[conversation % 4]
        network = NETWORKS[conversation % 3]
        for index in range(MESSAGES_PER_CONVERSATION):
            inbound = index % 2 == 0
            sent = now - datetime.timedelta(minutes=conversation % 500_000 - index)
            external = f"{conversation}-{index}"
            yield (
                workspace_id,
                conversation,
                f"network:{network}",
                external,
                f"{conversation}-{index - 1}" if index else "",
                "in" if inbound else "out",
                "@customer" if inbound else "",
                "",
                TEXTS[language],
                "",
                language,
                "",
                "",
                False,
                sent,
                "received" if inbound else "sent",
                "",
                "",
                uuid.UUID(int=conversation * 8 + index),
                sent,
            )


def copy(cursor: Any, table: str, columns: str, rows: Iterator[tuple[Any, ...]]) -> int:
    written = 0
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as stream:
        for row in rows:
            stream.write_row(row)
            written += 1
    return written


def fill(messages: int) -> dict[str, Any]:
    from django.db import connection
    from django.utils import timezone

    from pappus.core.audit import Actor
    from pappus.core.models import Membership, User
    from pappus.core.permissions import Role
    from pappus.core.services import workspace_create
    from pappus.inbox.models import Team

    actor = Actor.system("bench")
    owner = User.objects.create_user("bench-inbox@example.com", "x")
    workspace = workspace_create(actor=actor, owner=owner, name="Nordlys bench")
    other = workspace_create(actor=actor, owner=owner, name="Another brand")
    agents = []
    for number in range(12):
        user = User.objects.create_user(f"agent{number}@example.com", "x", full_name=f"Agent {number}")
        Membership.objects.create(user=user, workspace=workspace, role=Role.COMMUNITY_MANAGER)
        agents.append(user.pk)
    teams = [Team.objects.create(workspace=workspace, name=name).pk for name in ("Support", "Sales", "PR", "Russia")]
    other_team = Team.objects.create(workspace=other, name="Support").pk
    conversations = max(1, messages // MESSAGES_PER_CONVERSATION)
    main = conversations * 9 // 10
    rest = conversations - main
    now = timezone.now()
    started = time.perf_counter()
    with connection.cursor() as wrapper:
        cursor = wrapper.cursor
        written = copy(
            cursor,
            "inbox_conversation",
            CONVERSATION_COLUMNS,
            conversation_rows(workspace.pk, 1, main, teams, agents, now),
        )
        written += copy(
            cursor,
            "inbox_conversation",
            CONVERSATION_COLUMNS,
            conversation_rows(other.pk, main + 1, rest, [other_team], [owner.pk], now),
        )
        stored = copy(cursor, "inbox_message", MESSAGE_COLUMNS, message_rows(workspace.pk, 1, main, now))
        stored += copy(cursor, "inbox_message", MESSAGE_COLUMNS, message_rows(other.pk, main + 1, rest, now))
        tags = (
            (workspace.pk, number, name)
            for number in range(1, main + 1, 10)
            for name in (("vip", "b2b") if number % 20 == 1 else ("delivery",))
        )
        copy(cursor, "inbox_conversationtag", "workspace_id, conversation_id, name", tags)
        cursor.execute(
            "SELECT setval(pg_get_serial_sequence('inbox_conversation', 'id'), "
            "(SELECT max(id) FROM inbox_conversation))"
        )
    # What autovacuum does to a table at rest: statistics, and the visibility map for index-only scans.
    with connection.cursor() as cursor:
        for table in ("inbox_conversation", "inbox_message", "inbox_conversationtag"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    return {
        "workspace": workspace,
        "agent_ids": agents,
        "team_ids": teams,
        "conversations": written,
        "messages": stored,
        "fill_seconds": round(time.perf_counter() - started, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="50,000 messages")
    parser.add_argument("--messages", type=int, help="how many messages (default 1,000,000; 50,000 with --quick)")
    parser.add_argument("--database-url", default=os.environ.get("PAPPUS_BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--repeat", type=int, default=20, help="runs of each view (default 20)")
    options = parser.parse_args()
    messages = options.messages or (50_000 if options.quick else 1_000_000)
    recreate_database(options.database_url)
    configure(options.database_url)
    import django

    django.setup()
    from django.core.management import call_command
    from django.core.paginator import Paginator

    call_command("migrate", verbosity=0)
    from pappus.core.models import Membership
    from pappus.inbox import selectors
    from pappus.inbox.selectors import QueueFilters

    filled = fill(messages)
    print(
        f"filled {filled['conversations']:,} conversations and {filled['messages']:,} messages "
        f"in {filled['fill_seconds']} s"
    )
    membership = Membership.objects.select_related("workspace", "user").get(
        workspace=filled["workspace"], user_id=filled["agent_ids"][0]
    )
    team = str(filled["team_ids"][1])
    agent = str(filled["agent_ids"][3])
    views: dict[str, QueueFilters] = {
        "default (open or waiting)": QueueFilters(),
        "open only": QueueFilters(status="open"),
        "team": QueueFilters(team=team),
        "assigned to me": QueueFilters(assignee="me"),
        "assignee": QueueFilters(assignee=agent),
        "unassigned": QueueFilters(assignee="none"),
        "intent": QueueFilters(intent="purchase_intent"),
        "network": QueueFilters(network="bluesky"),
        "language": QueueFilters(language="ru"),
        "priority": QueueFilters(priority=1),
        "team + language + intent": QueueFilters(team=team, language="zh", intent="complaint"),
        "tag": QueueFilters(tag="vip"),
        "overdue": QueueFilters(overdue=True),
        "closed": QueueFilters(status="closed"),
    }

    def page_of(filters: QueueFilters) -> Callable[[], int]:
        def run() -> int:
            paginator = Paginator(selectors.conversations_queue(membership, filters), PAGE)
            page = paginator.get_page(1)
            rows = list(page.object_list)
            for row in rows:  # what the template touches
                _ = (row.team.name if row.team else "", row.assignee_id and row.assignee, list(row.tags.all()))
            return paginator.count

        return run

    first_open = selectors.conversations_queue(membership).values_list("pk", flat=True).first()

    def detail() -> int:
        conversation = selectors.conversation_get(membership, first_open or 1)
        return len(list(conversation.messages.all())) + len(list(conversation.tags.all()))

    results: dict[str, dict[str, float]] = {}
    everything: list[float] = []
    cases: dict[str, Callable[[], int]] = {name: page_of(filters) for name, filters in views.items()}
    cases["conversation detail"] = detail
    for name, run in cases.items():
        run()  # warm the cache, as a busy server has it
        timings = []
        for _ in range(options.repeat):
            started = time.perf_counter()
            found = run()
            timings.append((time.perf_counter() - started) * 1000)
        everything.extend(timings)
        results[name] = {"p50_ms": round(statistics.median(timings), 1), "p95_ms": round(percentile(timings, 0.95), 1)}
        print(f"{name:<28} {found:>9,}  p50 {results[name]['p50_ms']:7.1f} ms  p95 {results[name]['p95_ms']:7.1f} ms")
    summary = {
        "messages": filled["messages"],
        "conversations": filled["conversations"],
        "fill_seconds": filled["fill_seconds"],
        "p50_ms": round(statistics.median(everything), 1),
        "p95_ms": round(percentile(everything, 0.95), 1),
        "worst_view_p95_ms": max(result["p95_ms"] for result in results.values()),
        "target_p95_ms": 100,
        "views": results,
    }
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
