"""The job decorator, enqueueing on commit and the schedule, in the suite's immediate mode."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from pappus.core import jobs, jobs_selftest
from pappus.core.jobs import enqueue_on_commit, job, parse_cron, periodic_job
from pappus.core.models import ProcessHeartbeat

RAN: list[tuple[object, ...]] = []


@job(name="core.tests.remember", queue="default", retries=2, retry_delay=5, time_limit=10, priority=3)
def remember(*ids: int | str) -> None:
    RAN.append(ids)


@pytest.fixture(autouse=True)
def _forget() -> None:
    RAN.clear()


def test_a_job_declares_its_name_queue_retries_limit_and_priority():
    assert jobs.REGISTRY["core.tests.remember"] is remember
    assert remember.spec == jobs.JobSpec("core.tests.remember", "default", 2, 5, 10, 3)
    # The settings reach huey's task: retries, delay, timeout and priority.
    task = remember.task.s(1)
    assert (task.retries, task.retry_delay, task.timeout, task.priority) == (2, 5, 10, 3)


def test_enqueue_runs_the_job_with_its_ids():
    remember.enqueue(7, "abc")
    assert RAN == [(7, "abc")]


@pytest.mark.parametrize("argument", [object(), 1.5, {"id": 1}, True, None])
def test_job_arguments_must_be_ids(argument):
    with pytest.raises(TypeError, match="arguments are ids"):
        remember.enqueue(argument)
    with pytest.raises(TypeError, match="arguments are ids"):
        enqueue_on_commit(remember, argument)
    assert RAN == []


@pytest.mark.django_db(transaction=True)
def test_enqueue_on_commit_waits_for_the_commit():
    with transaction.atomic():
        enqueue_on_commit(remember, 1)
        assert RAN == []
    assert RAN == [(1,)]


@pytest.mark.django_db(transaction=True)
def test_enqueue_on_commit_drops_the_job_when_the_transaction_rolls_back():
    def change_then_fail() -> None:
        with transaction.atomic():
            enqueue_on_commit(remember, 1)
            raise RuntimeError("roll back")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert RAN == []


def test_unknown_queue_and_duplicate_names_are_refused():
    with pytest.raises(ValueError, match="unknown queue 'nope'"):
        job(name="core.tests.bad_queue", queue="nope")(lambda: None)
    with pytest.raises(ValueError, match="declared twice"):
        job(name="core.tests.remember")(lambda: None)


def test_periodic_jobs_are_declared_only_in_config_schedule():
    def elsewhere() -> None:
        pass

    elsewhere.__module__ = "pappus.core.services"
    with pytest.raises(ValueError, match=r"declare schedules in config/schedule\.py"):
        periodic_job(name="core.tests.elsewhere", cron="* * * * *")(elsewhere)


@pytest.mark.parametrize("cron", ["* * * *", "61 * * * *", "* 25 * * *"])
def test_a_bad_cron_is_refused(cron):
    with pytest.raises(ValueError):  # noqa: PT011 (huey's messages vary by field)
        parse_cron(cron)


def test_cron_matches_the_minutes_it_names():
    every_quarter = parse_cron("*/15 * * * *")
    assert every_quarter(datetime.datetime(2026, 1, 1, 10, 30))  # noqa: DTZ001 (huey works in naive UTC)
    assert not every_quarter(datetime.datetime(2026, 1, 1, 10, 31))  # noqa: DTZ001


def test_every_consumer_loads_the_schedule_and_the_selftest_jobs():
    names = jobs.load_job_modules()
    assert {"core.prune_heartbeats", "core.selftest.ping", "core.selftest.record_execution"} <= set(names)
    schedule = jobs.REGISTRY["core.prune_heartbeats"]
    assert schedule.spec.cron == "17 3 * * *"


@pytest.mark.django_db
def test_the_heartbeat_pruning_schedule_forgets_only_old_processes():
    from config import schedule

    now = timezone.now()
    for pid, age in ((1, datetime.timedelta(days=8)), (2, datetime.timedelta(days=1))):
        ProcessHeartbeat.objects.create(kind="worker", host="h", pid=pid, started_at=now - age, seen_at=now - age)
    schedule.prune_heartbeats()
    assert list(ProcessHeartbeat.objects.values_list("pid", flat=True)) == [2]


def test_ping_answers_with_the_process_that_ran_it():
    result = jobs_selftest.ping.enqueue()
    assert result.get()["process"] == jobs_selftest.process_label()
