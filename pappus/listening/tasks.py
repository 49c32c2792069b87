"""Background jobs of listening: thin, ids in, services do the work.

``listening.poll_due_sources`` is meant to run every minute; its schedule belongs in
``config/schedule.py`` (one file for every schedule), which calls it.
"""

from __future__ import annotations

from pappus.core.jobs import enqueue_on_commit, job
from pappus.listening import feeds, handover, network_sources, services
from pappus.listening.models import Source, SourceKind


@job(name="listening.poll_source", queue="ingest", time_limit=300)
def poll_source(source_id: int) -> None:
    """Poll one feed or connector source; a source deleted or paused meanwhile is skipped."""
    source = Source.objects.filter(pk=source_id, is_active=True).first()
    if source is None:
        return
    if source.kind == SourceKind.CONNECTOR:
        network_sources.poll_connector_source(source)
    else:
        feeds.poll_source(source)


@job(name="listening.poll_due_sources", queue="ingest", time_limit=60)
def poll_due_sources() -> None:
    """Claim the feeds and connector searches whose next poll has come and enqueue one poll for each."""
    for source_id in [*services.sources_claim_due(), *network_sources.connector_sources_claim_due()]:
        enqueue_on_commit(poll_source, source_id)


@job(name="listening.hand_over_mentions", queue="ingest", retries=3, retry_delay=30, time_limit=120)
def hand_over_mentions(workspace_id: int, *mention_ids: int) -> None:
    """Give stored mentions that address the brand to the inbox (idempotent: the inbox keeps each once)."""
    handover.hand_over(workspace_id, mention_ids)


@job(name="listening.process_delivery", queue="ingest", retries=3, retry_delay=30, time_limit=300)
def process_delivery(delivery_id: int) -> None:
    """Turn one stored webhook delivery into mentions (a processed one is skipped)."""
    services.delivery_process(delivery_id)


@job(name="listening.run_file_import", queue="ingest", time_limit=3600)
def run_file_import(file_import_id: int) -> None:
    """Import one uploaded file with its column mapping (one that is not queued is skipped)."""
    services.file_import_process(file_import_id)
