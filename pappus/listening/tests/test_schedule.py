"""Listening's periodic work is on the one schedule (config/schedule.py), once a minute."""

from __future__ import annotations

from pappus.core import jobs


def test_due_feeds_are_claimed_every_minute() -> None:
    jobs.load_job_modules()
    scheduled = jobs.REGISTRY["listening.schedule_polls"]
    assert scheduled.spec.cron == "* * * * *"
    assert scheduled.spec.queue == "ingest"
    assert "listening.poll_due_sources" in jobs.REGISTRY
