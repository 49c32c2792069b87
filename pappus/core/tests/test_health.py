"""Health checks: one-line reasons, heartbeats of workers and schedulers, the database check."""

from __future__ import annotations

import datetime
import os
import socket
import subprocess
import sys

import pytest
from django.utils import timezone

from pappus.core import health
from pappus.core.models import ProcessHeartbeat, ProcessKind


@pytest.mark.parametrize(
    ("message", "reason"),
    [
        (
            'connection failed: connection to server at "127.0.0.1", port 5999 failed: Connection refused\n'
            "\tIs the server running on that host and accepting TCP/IP connections?",
            "connection refused",
        ),
        ("Error 111 connecting to 127.0.0.1:6390. Connection refused.", "connection refused"),
        ('connection failed: FATAL:  database "nope" does not exist', 'database "nope" does not exist'),
        ("connection failed: timeout expired", "timed out"),
        ("unable to open database file", "cannot open the file (does its folder exist and is it writable?)"),
        ("something odd\nsecond line", "something odd"),
    ],
)
def test_driver_errors_are_reduced_to_one_short_reason(message, reason):
    assert health.short_reason(Exception(message)) == reason


def test_passwords_never_appear_in_service_urls():
    assert health.redact_url("postgres://app:s3cret@db:5432/pappus") == "postgres://app:***@db:5432/pappus"
    assert health.redact_url("redis://:pw@127.0.0.1:6379/0") == "redis://:***@127.0.0.1:6379/0"
    assert health.redact_url("sqlite:////srv/pappus.sqlite3") == "sqlite:////srv/pappus.sqlite3"


def _beat(kind: str, pid: int, age_seconds: float, host: str = "elsewhere") -> ProcessHeartbeat:
    seen = timezone.now() - datetime.timedelta(seconds=age_seconds)
    return ProcessHeartbeat.objects.create(kind=kind, host=host, pid=pid, threads=4, started_at=seen, seen_at=seen)


@pytest.mark.django_db
def test_no_heartbeat_means_no_worker():
    result = health.check_process(ProcessKind.WORKER)
    assert not result.ok
    assert result.line() == (
        "FAIL worker: none running; start `pappus worker` (or `pappus serve` in the embedded shape)"
    )


@pytest.mark.django_db
def test_fresh_heartbeats_are_alive_and_stale_ones_are_not():
    _beat("worker", 11, age_seconds=3)
    _beat("worker", 12, age_seconds=120)
    result = health.check_process(ProcessKind.WORKER)
    assert result.ok
    assert result.message == "1 alive: elsewhere:11 (4 threads, seen 3 s ago)"
    ProcessHeartbeat.objects.filter(pid=11).delete()
    stale = health.check_process(ProcessKind.WORKER)
    assert not stale.ok
    assert "none alive (no heartbeat for 60 s; last elsewhere:12 2 min ago)" in stale.message


@pytest.mark.django_db
def test_heartbeats_are_written_refreshed_and_forgotten():
    started = timezone.now()
    health.heartbeat_write(["worker", "scheduler"], threads=3, started_at=started)
    health.heartbeat_write(["worker", "scheduler"], threads=3, started_at=started)
    rows = ProcessHeartbeat.objects.filter(pid=os.getpid())
    assert sorted(rows.values_list("kind", "threads")) == [("scheduler", 0), ("worker", 3)]
    assert health.check_process(ProcessKind.SCHEDULER).ok
    health.heartbeat_forget()
    assert not rows.exists()


@pytest.mark.django_db
def test_a_second_scheduler_is_noticed_but_a_dead_one_on_this_host_is_not():
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    _beat("scheduler", dead.pid, age_seconds=1, host=socket.gethostname())
    assert health.other_live_scheduler() is None
    _beat("scheduler", 4242, age_seconds=1, host="other-machine")
    other = health.other_live_scheduler()
    assert other is not None
    assert (other.host, other.pid) == ("other-machine", 4242)


@pytest.mark.django_db
def test_the_database_check_names_the_engine_and_the_migrations():
    result = health.check_database()
    assert result.ok, result.message
    assert result.message.endswith("migrations applied")
    assert result.message.startswith(("SQLite 3.", "PostgreSQL 1"))


def test_the_broker_check_in_immediate_mode_says_so():
    assert health.check_broker().line() == ("OK   broker: jobs run inline (PAPPUS_TASKS_IMMEDIATE=1), no broker used")
