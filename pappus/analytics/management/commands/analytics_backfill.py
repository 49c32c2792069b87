"""``pappus manage analytics_backfill``: rebuild the daily rollups of analytics from the snapshots.

Run it after an upgrade that changes how rollups are computed, after importing old snapshots, or
whenever the dashboards look wrong. Each workspace's history is rebuilt in chunks of days, with a
progress bar; rebuilding is idempotent, so a stopped run is simply started again.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from pappus.analytics import services
from pappus.core.models import Workspace


class Command(BaseCommand):
    help = "Rebuild the daily analytics rollups from the stored snapshots, with a progress bar."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", action="append", default=[], help="A workspace id or slug (repeatable).")
        parser.add_argument("--chunk-days", type=int, default=7, help="Days rebuilt per step (default 7).")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (for logs).")

    def handle(self, *args: Any, **options: Any) -> None:
        chunk_days = int(options["chunk_days"])
        if not 1 <= chunk_days <= 366:
            raise CommandError("--chunk-days must be between 1 and 366")
        workspaces = list(Workspace.objects.order_by("pk"))
        if options["workspace"]:
            wanted = {str(value) for value in options["workspace"]}
            workspaces = [item for item in workspaces if str(item.pk) in wanted or item.slug in wanted]
            unknown = wanted - {str(item.pk) for item in workspaces} - {item.slug for item in workspaces}
            if unknown:
                raise CommandError(f"no workspace with the id or slug: {', '.join(sorted(unknown))}")
        console = Console(stderr=True, quiet=bool(options["no_progress"]))
        columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        for workspace in workspaces:
            with Progress(*columns, console=console, transient=False) as progress:
                task = progress.add_task(f"{workspace.slug} (days)", total=None)

                def advance(done: int, total: int, task: Any = task, progress: Progress = progress) -> None:
                    progress.update(task, completed=done, total=total)

                written = services.rollups_backfill(
                    workspace_id=workspace.pk, chunk_days=chunk_days, on_progress=advance
                )
            self.stdout.write(f"{workspace.slug}: {written} rollup rows rebuilt")
