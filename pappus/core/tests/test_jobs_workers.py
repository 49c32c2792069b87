"""Real workers: two `pappus worker` processes on Redis and PostgreSQL run 1,000 jobs exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

from pappus.core import jobs_selftest
from pappus.core.models import ProcessHeartbeat

BIN = Path(sys.executable).parent
JOBS = 1000


def _postgres_url(settings) -> str:
    database = settings.DATABASES["default"]
    password = f":{quote(database['PASSWORD'], safe='')}" if database["PASSWORD"] else ""
    host = database["HOST"] or "127.0.0.1"
    return (
        f"postgres://{quote(database['USER'], safe='')}{password}@{host}:{database['PORT'] or 5432}/{database['NAME']}"
    )


def _environment(settings, redis_url: str, data_dir: Path) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(data_dir)),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PAPPUS_DATABASE_URL": _postgres_url(settings),
        "PAPPUS_REDIS_URL": redis_url,
        "PAPPUS_SECRET_KEY": "worker-test-secret-key-0123456789-0123456789",
        "PAPPUS_ENCRYPTION_KEY": "d29ya2VyLXRlc3QtZW5jcnlwdGlvbi1rZXktMDEyMzQ=",
        "PAPPUS_DATA_DIR": str(data_dir),
        "PAPPUS_WORKER_THREADS": "4",
        # A queue of its own, so no other test's jobs or flushes meet these workers.
        "PAPPUS_QUEUE_NAME": f"pappus-test-{uuid.uuid4().hex[:8]}",
    }


def _wait_for(condition, timeout: float, processes: list[subprocess.Popen[bytes]], logs: list[Path], what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        for process, log in zip(processes, logs, strict=True):
            if process.poll() is not None:
                pytest.fail(f"a worker exited with {process.returncode} while waiting for {what}:\n{log.read_text()}")
        time.sleep(0.2)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


def _rows() -> list[tuple[int, int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT job_key, attempts, process FROM {jobs_selftest.SELFTEST_TABLE} ORDER BY job_key")  # noqa: S608
        return [(int(key), int(attempts), str(process)) for key, attempts, process in cursor.fetchall()]


@pytest.mark.redis
@pytest.mark.slow
def test_two_workers_run_a_thousand_jobs_exactly_once(
    postgres_required, transactional_db, redis_url, settings, tmp_path
):
    environment = _environment(settings, redis_url, tmp_path)
    jobs_selftest.selftest_table_create()
    processes: list[subprocess.Popen[bytes]] = []
    logs: list[Path] = []
    try:
        for number in (1, 2):
            log = tmp_path / f"worker-{number}.log"
            logs.append(log)
            with log.open("wb") as output:
                processes.append(
                    subprocess.Popen(
                        [str(BIN / "pappus"), "worker"], env=environment, stdout=output, stderr=subprocess.STDOUT
                    )
                )
        pids = {process.pid for process in processes}
        # Both workers are up (their heartbeats are in the database) before any job is queued.
        _wait_for(
            lambda: set(ProcessHeartbeat.objects.filter(kind="worker").values_list("pid", flat=True)) == pids,
            60,
            processes,
            logs,
            "both workers' heartbeats",
        )

        started = time.monotonic()
        enqueue = (
            "import django; django.setup()\n"
            "from pappus.core import jobs_selftest\n"
            f"for key in range({JOBS}): jobs_selftest.record_execution.enqueue(key)\n"
        )
        subprocess.run([sys.executable, "-c", enqueue], env=environment, check=True, timeout=60)
        _wait_for(lambda: len(_rows()) >= JOBS, 120, processes, logs, f"{JOBS} jobs")
        elapsed = time.monotonic() - started
        time.sleep(1.0)  # room for any duplicate execution to show up

        rows = _rows()
        assert [key for key, _, _ in rows] == list(range(JOBS))
        assert [key for key, attempts, _ in rows if attempts != 1] == []
        by_process: dict[str, int] = {}
        for _, _, label in rows:
            pid = label.rsplit(":", 1)[1]
            by_process[pid] = by_process.get(pid, 0) + 1
        assert set(by_process) == {str(pid) for pid in pids}, by_process
        print(f"{JOBS} jobs on 2 workers in {elapsed:.2f} s; per worker: {by_process}")  # noqa: T201

        # `pappus check` sees both workers, and no scheduler (none was started).
        check = subprocess.run(
            [str(BIN / "pappus"), "check"], env=environment, capture_output=True, text=True, timeout=60, check=False
        )
        assert check.returncode == 1, check.stdout + check.stderr
        lines = check.stdout.splitlines()
        assert lines[0].startswith("OK   database: PostgreSQL")
        assert lines[1].startswith("OK   broker: Redis")
        assert lines[2].startswith("OK   worker: 2 alive:")
        assert lines[3].startswith("FAIL scheduler: none running")

        # SIGTERM stops a worker gracefully: exit status 0, heartbeat removed.
        for process in processes:
            process.send_signal(signal.SIGTERM)
        for process, log in zip(processes, logs, strict=True):
            assert process.wait(timeout=40) == 0, log.read_text()
        assert not ProcessHeartbeat.objects.filter(pid__in=pids).exists()
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
        jobs_selftest.selftest_table_drop()
