"""Background jobs of listening: thin, ids in, services do the work.

``listening.poll_due_sources`` is meant to run every minute; its schedule belongs in
``config/schedule.py`` (one file for every schedule), which calls it.
"""

from __future__ import annotations

from pappus.core.jobs import enqueue_on_commit, job
from pappus.listening import feeds, services
from pappus.listening.models import Source


@job(name="listening.poll_source", queue="ingest", time_limit=300)
def poll_source(source_id: int) -> None:
    """Poll one feed source; a source deleted or paused meanwhile is skipped."""
    source = Source.objects.filter(pk=source_id, is_active=True).first()
    if source is not None:
        feeds.poll_source(source)


@job(name="listening.poll_due_sources", queue="ingest", time_limit=60)
def poll_due_sources() -> None:
    """Claim the sources whose next poll has come and enqueue one poll for each."""
    for source_id in services.sources_claim_due():
        enqueue_on_commit(poll_source, source_id)
