"""Background jobs of publishing: thin, ids in, the scheduler does the work.

``publishing.dispatch_due`` runs every minute (its schedule is in ``config/schedule.py``): it
enqueues enough ``publishing.send_due`` jobs for what is due; each claims its own batches with row
locks, so any number of them on any number of workers never send a variant twice.
"""

from __future__ import annotations

import math

from pappus.core.jobs import job
from pappus.publishing import scheduler

# At most this many senders are started per minute; each works through batches for up to 50 s.
MAX_PARALLEL_SENDERS = 8


@job(name="publishing.send_due", queue="publishing", time_limit=120, priority=10)
def send_due() -> None:
    """Claim, send and record due variants until none is due (or 50 s have passed).

    A sender that ran out of time while variants were still due hands over to a fresh one at once,
    so a backlog is not left waiting for the next minute's dispatch (the number of senders stays
    what ``dispatch_due`` started).
    """
    if scheduler.run_due().out_of_time:
        send_due.enqueue()


@job(name="publishing.dispatch_due", queue="publishing", time_limit=60, priority=10)
def dispatch_due() -> int:
    """Start one sender per batch that is due, up to MAX_PARALLEL_SENDERS; returns how many were started."""
    due = scheduler.due_count()
    senders = min(MAX_PARALLEL_SENDERS, math.ceil(due / scheduler.BATCH_SIZE))
    for _ in range(senders):
        send_due.enqueue()
    return senders


@job(name="publishing.fill_evergreen", queue="publishing", time_limit=300)
def fill_evergreen() -> int:
    """Schedule evergreen posts into the open slots of every active queue (idempotent); returns how many."""
    from pappus.publishing import evergreen

    return evergreen.fill_all()


@job(name="publishing.collect_metrics", queue="publishing", time_limit=600)
def collect_metrics() -> int:
    """Read the counters of recently published variants from their networks; returns how many."""
    from pappus.publishing import metrics

    return metrics.collect_metrics()


@job(name="publishing.mail_failure_alerts", queue="publishing", time_limit=120)
def mail_failure_alerts() -> int:
    """Send the failure digests that are due (one e-mail per person and post and burst); returns how many."""
    from pappus.publishing import alerts

    return alerts.mail_failure_alerts()
