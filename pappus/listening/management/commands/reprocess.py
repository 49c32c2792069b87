"""``pappus reprocess``: enrich and match stored mentions again, in batches, resumable, then fix the rollups.

Run it after a model upgrade (``pappus.nlp``) or after topics changed. Progress is saved after
every batch (the last mention id done, in ``ReprocessCheckpoint``): a run that is stopped
(Ctrl+C, a crash) goes on from there when started again; ``--restart`` starts from the first
mention. When a workspace is done its hourly rollups are counted again from its mentions.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from pappus.core.models import Workspace
from pappus.listening import rollups, services
from pappus.listening.models import Mention, ReprocessCheckpoint


class Command(BaseCommand):
    help = "Re-run language analysis and topic matching over stored mentions, in batches, resumable."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", action="append", default=[], help="A workspace id or slug (repeatable).")
        parser.add_argument("--batch-size", type=int, default=1000, help="Mentions per batch (default 1000).")
        parser.add_argument("--restart", action="store_true", help="Start from the first mention, not the checkpoint.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (for logs).")

    def handle(self, *args: Any, **options: Any) -> None:
        batch_size = int(options["batch_size"])
        if not 1 <= batch_size <= 100_000:
            raise CommandError("--batch-size must be between 1 and 100000")
        workspaces = list(Workspace.objects.order_by("pk"))
        if options["workspace"]:
            wanted = {str(value) for value in options["workspace"]}
            workspaces = [item for item in workspaces if str(item.pk) in wanted or item.slug in wanted]
            unknown = wanted - {str(item.pk) for item in workspaces} - {item.slug for item in workspaces}
            if unknown:
                raise CommandError(f"no workspace with the id or slug: {', '.join(sorted(unknown))}")
        console = Console(stderr=True, quiet=bool(options["no_progress"]))
        for workspace in workspaces:
            done = self._workspace(workspace, batch_size, restart=bool(options["restart"]), console=console)
            self.stdout.write(f"{workspace.slug}: {done} mentions reprocessed; rollups rebuilt")

    def _workspace(self, workspace: Workspace, batch_size: int, *, restart: bool, console: Console) -> int:
        checkpoint, _ = ReprocessCheckpoint.objects.get_or_create(key=f"workspace:{workspace.pk}")
        if restart or checkpoint.finished_at is not None:
            checkpoint.last_mention_id = 0
            checkpoint.processed = 0
            checkpoint.started_at = timezone.now()
            checkpoint.finished_at = None
            checkpoint.save()
        elif checkpoint.last_mention_id:
            console.print(f"{workspace.slug}: resuming after mention {checkpoint.last_mention_id}")
        index = services.reprocess_index(workspace.pk)
        remaining = Mention.objects.for_workspace(workspace).filter(pk__gt=checkpoint.last_mention_id).count()
        done = 0
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task(workspace.slug, total=remaining)
            while True:
                with transaction.atomic():
                    count, last = services.reprocess_batch(
                        workspace_id=workspace.pk,
                        after_id=checkpoint.last_mention_id,
                        batch_size=batch_size,
                        index=index,
                    )
                    if not count:
                        break
                    checkpoint.last_mention_id = last
                    checkpoint.processed += count
                    checkpoint.save(update_fields=["last_mention_id", "processed", "updated_at"])
                done += count
                progress.advance(task, count)
        rollups.rollups_rebuild(workspace.pk)
        checkpoint.finished_at = timezone.now()
        checkpoint.save(update_fields=["finished_at", "updated_at"])
        return done
