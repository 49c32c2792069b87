"""Jobs that prove the background machinery works end to end: `pappus check --job` and the worker tests.

They live in an app module that every consumer imports (``jobs.JOB_MODULES``), not under
``tests/``, because a worker started as a separate process (by an operator, or by a test) must
find them by name. They are harmless in production: ``ping`` only answers who ran it, and
``record_execution`` writes only to ``SELFTEST_TABLE``, a table that exists only where a test
created it (the job fails, without retries, anywhere else).
"""

from __future__ import annotations

import os
import socket

from django.db import connection
from django.utils import timezone

from pappus.core.jobs import job

SELFTEST_TABLE = "pappus_job_selftest"


def process_label() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@job(name="core.selftest.ping", queue="default", priority=100, time_limit=30)
def ping() -> dict[str, str]:
    """Answer with the process that ran the job."""
    return {"process": process_label(), "at": timezone.now().isoformat()}


@job(name="core.selftest.record_execution", queue="default", time_limit=30)
def record_execution(key: int) -> None:
    """Count one execution of job ``key`` (idempotent by key: a repeat only raises the attempt count)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {SELFTEST_TABLE} (job_key, attempts, process) VALUES (%s, 1, %s) "  # noqa: S608 (constant)
            f"ON CONFLICT (job_key) DO UPDATE SET attempts = {SELFTEST_TABLE}.attempts + 1",
            [int(key), process_label()],
        )


def selftest_table_create() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {SELFTEST_TABLE} "
            "(job_key bigint PRIMARY KEY, attempts integer NOT NULL, process varchar(300) NOT NULL)"
        )


def selftest_table_drop() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SELFTEST_TABLE}")
