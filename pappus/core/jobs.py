"""Background work: the one job decorator over huey, enqueueing on commit, schedules and the consumer.

Every app declares its jobs with :func:`job` in its ``tasks.py``::

    @job(name="publishing.publish_variant", queue="publishing", retries=3, retry_delay=30, time_limit=120)
    def publish_variant(variant_id: int) -> None:
        services.variant_publish(variant_id=variant_id)

and enqueues them once the rows they read are committed::

    enqueue_on_commit(publish_variant, variant.pk)

Rules (STYLE.md habit 4): arguments are ids (ints or strings) so a job always reads the current
rows; a job is idempotent, because a crashed worker or a retry may run it again; periodic jobs are
declared with :func:`periodic_job` in ``config/schedule.py`` only, so every schedule is in one file.

Storage is huey's: SQLite under ``var/`` in the embedded shape, Redis in production (see
``config/settings/tasks.py``). Queues: all queues share one huey queue today, ordered by
``priority``; ``queue`` names the kind of work (logs, ``pappus check``) and is the seam where a
busy queue would get its own huey instance and consumers later.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial, wraps
from typing import Any

from django.conf import settings
from django.db import close_old_connections, transaction
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from huey import crontab
from huey.consumer import Consumer
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

logger = logging.getLogger("pappus.jobs")

QUEUES = ("default", "publishing", "ingest", "analytics", "notifications", "maintenance")

# A job's arguments: ids of stored rows (or other short keys), never model instances or payloads.
JobArgument = int | str
JobFunction = Callable[..., Any]

# Modules every consumer imports so that each job is registered by name before work arrives.
JOB_MODULES = ("config.schedule", "pappus.core.jobs_selftest")


@dataclass(frozen=True)
class JobSpec:
    name: str
    queue: str
    retries: int
    retry_delay: int
    time_limit: int | None
    priority: int
    cron: str = ""


class Job:
    """A registered job. ``enqueue(*ids)`` sends it to a worker; calling it runs it here and now."""

    def __init__(self, spec: JobSpec, function: JobFunction, task: Any) -> None:
        self.spec = spec
        self.function = function
        self.task = task  # huey's TaskWrapper (or PeriodicTask wrapper)
        self.__doc__ = function.__doc__

    def __repr__(self) -> str:
        return f"<Job {self.spec.name}>"

    def __call__(self, *ids: JobArgument) -> Any:
        return self.function(*ids)

    def enqueue(self, *ids: JobArgument, delay: float | None = None) -> Any:
        """Queue the job now (huey's result handle is returned); prefer :func:`enqueue_on_commit` in services."""
        _check_arguments(self.spec.name, ids)
        if delay is not None:
            return self.task.schedule(args=ids, delay=delay)
        return self.task(*ids)


REGISTRY: dict[str, Job] = {}


def _check_arguments(name: str, ids: tuple[Any, ...]) -> None:
    for value in ids:
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise TypeError(f"job {name}: arguments are ids (int or str), not {type(value).__name__}")


def _instrumented(spec: JobSpec, function: JobFunction) -> JobFunction:
    """Log each run with a stable key; flag runs past the time limit (thread workers cannot stop them)."""

    @wraps(function)
    def run(*ids: JobArgument) -> Any:
        started = time.monotonic()
        try:
            value = function(*ids)
        except Exception:
            logger.warning("job.failed name=%s queue=%s ids=%s", spec.name, spec.queue, ids, exc_info=True)
            raise
        seconds = time.monotonic() - started
        if spec.time_limit is not None and seconds > spec.time_limit:
            logger.warning("job.over_time_limit name=%s seconds=%.1f limit=%s", spec.name, seconds, spec.time_limit)
        logger.debug("job.done name=%s queue=%s seconds=%.3f", spec.name, spec.queue, seconds)
        return value

    return run


def _validate(spec: JobSpec) -> None:
    if spec.queue not in QUEUES:
        raise ValueError(f"job {spec.name}: unknown queue {spec.queue!r}; expected one of {', '.join(QUEUES)}")
    if spec.name in REGISTRY:
        raise ValueError(f"job {spec.name} is declared twice")


def _register(spec: JobSpec, function: JobFunction, task: Any) -> Job:
    registered = Job(spec, function, task)
    REGISTRY[spec.name] = registered
    return registered


def job(
    *,
    name: str,
    queue: str = "default",
    retries: int = 0,
    retry_delay: int = 0,
    time_limit: int | None = None,
    priority: int = 0,
) -> Callable[[JobFunction], Job]:
    """Declare a background job (huey's ``db_task``: database connections are closed around each run).

    ``retries``/``retry_delay`` (seconds) apply to any exception; ``time_limit`` (seconds) is enforced
    by process workers and logged as ``job.over_time_limit`` by thread workers; a higher ``priority``
    runs sooner.
    """
    spec = JobSpec(name, queue, retries, retry_delay, time_limit, priority)

    def decorator(function: JobFunction) -> Job:
        _validate(spec)
        task = db_task(name=name, retries=retries, retry_delay=retry_delay, timeout=time_limit, priority=priority)(
            _instrumented(spec, function)
        )
        return _register(spec, function, task)

    return decorator


def parse_cron(cron: str) -> Any:
    """``"minute hour day month day_of_week"`` (the five crontab fields) as huey's schedule test."""
    fields = cron.split()
    if len(fields) != 5:
        raise ValueError(f"cron {cron!r}: expected five fields: minute hour day month day_of_week")
    minute, hour, day, month, day_of_week = fields
    return crontab(minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week)


def periodic_job(
    *,
    name: str,
    cron: str,
    queue: str = "maintenance",
    retries: int = 0,
    retry_delay: int = 0,
    time_limit: int | None = None,
    priority: int = 0,
) -> Callable[[Callable[[], Any]], Job]:
    """Declare a job that the scheduler enqueues on a cron schedule (in the server's UTC clock).

    Only ``config/schedule.py`` may declare one, so that every schedule is in one file.
    """
    spec = JobSpec(name, queue, retries, retry_delay, time_limit, priority, cron)
    validate = parse_cron(cron)

    def decorator(function: Callable[[], Any]) -> Job:
        module = function.__module__
        if module != "config.schedule" and ".tests." not in module:
            raise ValueError(f"periodic job {name} is declared in {module}: declare schedules in config/schedule.py")
        _validate(spec)
        task = db_periodic_task(
            validate, name=name, retries=retries, retry_delay=retry_delay, timeout=time_limit, priority=priority
        )(_instrumented(spec, function))
        return _register(spec, function, task)

    return decorator


def enqueue_on_commit(job_to_run: Job, *ids: JobArgument, using: str | None = None) -> None:
    """Enqueue ``job_to_run(*ids)`` once the current transaction commits; never if it rolls back.

    A worker may start at once, so it must find the rows it is given: enqueueing inside the
    transaction would let it read before the commit. Outside a transaction it enqueues now.
    """
    _check_arguments(job_to_run.spec.name, ids)
    transaction.on_commit(partial(job_to_run.enqueue, *ids), using=using)


def load_job_modules() -> list[str]:
    """Import every module that declares jobs (apps' ``tasks.py``, the schedule); return the job names."""
    for module in JOB_MODULES:
        importlib.import_module(module)
    autodiscover_modules("tasks")
    return sorted(REGISTRY)


def immediate_mode() -> bool:
    return bool(HUEY.immediate)


class PappusConsumer(Consumer):  # type: ignore[misc]
    """huey's consumer that also writes heartbeats (``core.ProcessHeartbeat``) from its main loop.

    The main loop already checks every few seconds that the worker threads and the scheduler
    thread are alive (restarting dead ones); a heartbeat is written for a kind only while its
    threads are alive, so `pappus check` reports what really runs.
    """

    def __init__(self, huey: Any, **options: Any) -> None:
        super().__init__(huey, **options)
        self.started_at = timezone.now()
        self._next_heartbeat = 0.0

    def heartbeat_kinds(self) -> list[str]:
        from pappus.core.models import ProcessKind

        kinds = []
        if self.workers and all(self.environment.is_alive(thread) for _, thread in self.worker_threads):
            kinds.append(ProcessKind.WORKER.value)
        if self.periodic and self.environment.is_alive(self.scheduler):
            kinds.append(ProcessKind.SCHEDULER.value)
        return kinds

    def loop(self, health_check_ts: float | None = None) -> Any:
        result = super().loop(health_check_ts)
        now = time.monotonic()
        if now >= self._next_heartbeat:
            self._next_heartbeat = now + settings.HEARTBEAT_SECONDS
            from pappus.core import health

            close_old_connections()  # the main thread's connection may be stale (server restart, max age)
            health.heartbeat_write(self.heartbeat_kinds(), threads=self.workers, started_at=self.started_at)
        return result

    def run(self) -> None:
        from pappus.core import health

        try:
            super().run()
        finally:
            # A clean stop says so at once instead of leaving a heartbeat to go stale.
            close_old_connections()
            health.heartbeat_forget()


def build_consumer(*, workers: int, periodic: bool) -> PappusConsumer:
    """A consumer over the configured huey: ``workers`` threads (0 = scheduler only), periodic on or off.

    SIGTERM stops gracefully (running jobs finish, up to 30 s) as service managers expect; SIGINT
    (Ctrl+C) stops at once.
    """
    configured: dict[str, Any] = settings.HUEY.get("consumer", {})
    options = {key: value for key, value in configured.items() if key != "workers"}
    options.update(
        workers=workers,
        periodic=periodic,
        graceful_signal="TERM",
        shutdown_timeout=30.0,
        max_delay=2.0,
    )
    return PappusConsumer(HUEY, **options)
