"""Is Pappus healthy? The database, the broker, workers and the scheduler, each as one line.

Used by `pappus check` and by every CLI command that needs a service, so that an unreachable
database or broker is one clear line (``cannot reach the database at …: connection refused``)
instead of a traceback. Workers and schedulers prove they are alive with heartbeats
(:class:`~pappus.core.models.ProcessHeartbeat`), written by :class:`pappus.core.jobs.PappusConsumer`.
"""

from __future__ import annotations

import datetime
import logging
import os
import re
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from pappus.core.models import ProcessHeartbeat, ProcessKind

logger = logging.getLogger("pappus.health")


class ServiceUnavailableError(Exception):
    """A service the command needs does not answer; the message is one line for the operator."""


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    message: str

    def line(self) -> str:
        return f"{'OK  ' if self.ok else 'FAIL'} {self.name}: {self.message}"


# -- describing services and their failures in one line ---------------------------------------


def redact_url(url: str) -> str:
    """The URL with any password replaced by ``***``."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def database_label() -> str:
    return redact_url(str(settings.DATABASE_URL))


def broker_label() -> str:
    if settings.REDIS_URL:
        return f"Redis at {redact_url(settings.REDIS_URL)}"
    return f"the SQLite queue at {settings.HUEY.get('filename', '?')}"


_REASONS = (
    ("connection refused", "connection refused"),
    ("timeout expired", "timed out"),
    ("timed out", "timed out"),
    ("timeout connecting", "timed out"),
    ("name or service not known", "unknown host"),
    ("could not translate host name", "unknown host"),
    ("temporary failure in name resolution", "unknown host"),
    ("no route to host", "no route to host"),
    ("network is unreachable", "network is unreachable"),
    ("password authentication failed", "password authentication failed"),
    ("authentication required", "authentication required"),
    ("invalid password", "invalid password"),
    ("unable to open database file", "cannot open the file (does its folder exist and is it writable?)"),
)


def short_reason(error: BaseException) -> str:
    """The gist of a driver's error message: 'connection refused', 'database "x" does not exist', …"""
    text = str(error).strip() or type(error).__name__
    lowered = text.lower()
    for needle, reason in _REASONS:
        if needle in lowered:
            return reason
    quoted = re.search(r'(database|role) "[^"]+" does not exist', text)
    if quoted:
        return quoted.group(0)
    first = text.splitlines()[0].removeprefix("connection failed: ").strip()
    return first[:200]


def _is_unreachable(reason: str) -> bool:
    return reason in {reason for _, reason in _REASONS} or "does not exist" in reason


def database_failure(error: BaseException) -> str:
    reason = short_reason(error)
    if _is_unreachable(reason):
        return f"cannot reach the database at {database_label()}: {reason}"
    return f"the database at {database_label()} failed: {reason}"


def broker_failure(error: BaseException) -> str:
    return f"cannot reach the broker ({broker_label()}): {short_reason(error)}"


# -- requirements of CLI commands ------------------------------------------------------------


def require_database() -> None:
    try:
        connection.ensure_connection()
    except DatabaseError as error:
        raise ServiceUnavailableError(database_failure(error)) from error


def unapplied_migrations() -> list[str]:
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    return [f"{migration.app_label}.{migration.name}" for migration, _ in plan]


def require_migrated() -> None:
    require_database()
    pending = unapplied_migrations()
    if pending:
        raise ServiceUnavailableError(
            f"the database at {database_label()} is not up to date ({len(pending)} migrations to apply, "
            f"first {pending[0]}): run `pappus migrate`"
        )


def require_broker() -> None:
    from huey.contrib.djhuey import HUEY

    if HUEY.immediate:
        return
    try:
        if settings.REDIS_URL:
            HUEY.storage.conn.ping()
        else:
            HUEY.pending_count()
    except Exception as error:
        raise ServiceUnavailableError(broker_failure(error)) from error


# -- heartbeats ------------------------------------------------------------------------------

_THIS_HOST = socket.gethostname()


def heartbeat_write(kinds: Iterable[str], *, threads: int, started_at: datetime.datetime) -> None:
    """Record that this process is alive as each of ``kinds``; never raises (a consumer keeps going)."""
    now = timezone.now()
    try:
        for kind in kinds:
            ProcessHeartbeat.objects.update_or_create(
                kind=kind,
                host=_THIS_HOST,
                pid=os.getpid(),
                defaults={"seen_at": now, "threads": threads if kind == ProcessKind.WORKER else 0},
                create_defaults={"seen_at": now, "started_at": started_at, "threads": threads},
            )
    except DatabaseError as error:
        logger.warning("heartbeat.failed error=%s", short_reason(error))


def heartbeat_forget() -> None:
    try:
        ProcessHeartbeat.objects.filter(host=_THIS_HOST, pid=os.getpid()).delete()
    except DatabaseError as error:
        logger.warning("heartbeat.forget_failed error=%s", short_reason(error))


def heartbeats_prune(*, older_than: datetime.timedelta) -> int:
    deleted, _ = ProcessHeartbeat.objects.filter(seen_at__lt=timezone.now() - older_than).delete()
    return deleted


def live_processes(kind: str) -> list[ProcessHeartbeat]:
    cutoff = timezone.now() - datetime.timedelta(seconds=settings.HEARTBEAT_STALE_SECONDS)
    return list(ProcessHeartbeat.objects.filter(kind=kind, seen_at__gte=cutoff).order_by("host", "pid"))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def other_live_scheduler() -> ProcessHeartbeat | None:
    """A scheduler other than this process that is still alive (a dead one on this host does not count)."""
    for beat in live_processes(ProcessKind.SCHEDULER):
        if beat.host == _THIS_HOST and (beat.pid == os.getpid() or not _pid_alive(beat.pid)):
            continue
        return beat
    return None


# -- the checks of `pappus check` ------------------------------------------------------------


def check_database() -> CheckResult:
    try:
        require_database()
        vendor = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}.get(connection.vendor, connection.vendor)
        with connection.cursor() as cursor:
            cursor.execute("SELECT sqlite_version()" if vendor == "SQLite" else "SHOW server_version")
            version = str(cursor.fetchone()[0]).split(" ")[0]
        pending = unapplied_migrations()
    except ServiceUnavailableError as error:
        return CheckResult("database", ok=False, message=str(error))
    except DatabaseError as error:
        return CheckResult("database", ok=False, message=database_failure(error))
    if pending:
        return CheckResult(
            "database",
            ok=False,
            message=f"{vendor} {version} at {database_label()}: "
            f"{len(pending)} migrations to apply (run `pappus migrate`)",
        )
    return CheckResult("database", ok=True, message=f"{vendor} {version} at {database_label()}, migrations applied")


def check_broker() -> CheckResult:
    from huey.contrib.djhuey import HUEY

    if HUEY.immediate:
        return CheckResult("broker", ok=True, message="jobs run inline (PAPPUS_TASKS_IMMEDIATE=1), no broker used")
    try:
        require_broker()
        waiting = HUEY.pending_count()
        scheduled = HUEY.scheduled_count()
        detail = ""
        if settings.REDIS_URL:
            detail = f" {HUEY.storage.conn.info('server').get('redis_version', '')}"
    except ServiceUnavailableError as error:
        return CheckResult("broker", ok=False, message=str(error))
    except Exception as error:
        return CheckResult("broker", ok=False, message=broker_failure(error))
    label = broker_label()
    if detail:
        label = label.replace("Redis", f"Redis{detail}", 1)
    return CheckResult("broker", ok=True, message=f"{label}, {waiting} jobs waiting, {scheduled} scheduled")


_START_HINT = {
    ProcessKind.WORKER: "start `pappus worker` (or `pappus serve` in the embedded shape)",
    ProcessKind.SCHEDULER: "start one `pappus scheduler` (or `pappus serve` in the embedded shape)",
}


def _ago(moment: datetime.datetime) -> str:
    seconds = int((timezone.now() - moment).total_seconds())
    if seconds < 120:
        return f"{seconds} s ago"
    if seconds < 7200:
        return f"{seconds // 60} min ago"
    return f"{seconds // 3600} h ago"


def _describe(beat: ProcessHeartbeat) -> str:
    threads = f"{beat.threads} threads, " if beat.kind == ProcessKind.WORKER else ""
    return f"{beat.host}:{beat.pid} ({threads}seen {_ago(beat.seen_at)})"


def check_process(kind: ProcessKind) -> CheckResult:
    try:
        alive = live_processes(kind)
        last = ProcessHeartbeat.objects.filter(kind=kind).order_by("-seen_at").first()
    except DatabaseError as error:
        return CheckResult(kind.value, ok=False, message=database_failure(error))
    if alive:
        described = ", ".join(_describe(beat) for beat in alive)
        return CheckResult(kind.value, ok=True, message=f"{len(alive)} alive: {described}")
    stale = settings.HEARTBEAT_STALE_SECONDS
    if last is None:
        return CheckResult(kind.value, ok=False, message=f"none running; {_START_HINT[kind]}")
    return CheckResult(
        kind.value,
        ok=False,
        message=f"none alive (no heartbeat for {stale} s; last {last.host}:{last.pid} {_ago(last.seen_at)}); "
        f"{_START_HINT[kind]}",
    )


def check_job_roundtrip(timeout: float = 15.0) -> CheckResult:
    """Enqueue ``core.selftest.ping`` and wait for a worker to answer."""
    from huey.exceptions import HueyException

    from pappus.core import jobs_selftest

    started = time.monotonic()
    try:
        result = jobs_selftest.ping.enqueue()
        answer = result.get(blocking=True, timeout=timeout)
    except HueyException:
        return CheckResult("job", ok=False, message=f"core.selftest.ping was not run within {timeout:g} s")
    except Exception as error:
        return CheckResult("job", ok=False, message=broker_failure(error))
    seconds = time.monotonic() - started
    return CheckResult("job", ok=True, message=f"core.selftest.ping ran in {seconds:.2f} s on {answer['process']}")
