"""``pappus manage community_collect``: collect members' identities from the inbox and listening, resolve
duplicates and recompute the loyalty ladder, for one or every workspace (the hourly job does the same)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from pappus.community import services
from pappus.core.models import Workspace


class Command(BaseCommand):
    help = "Collect community identities from the inbox and listening, resolve duplicates, recompute loyalty."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workspace", action="append", default=[], help="A workspace id or slug (repeatable).")
        parser.add_argument("--no-resolve", action="store_true", help="Only collect; do not merge or suggest.")

    def handle(self, *args: Any, **options: Any) -> None:
        workspaces = list(Workspace.objects.order_by("pk"))
        if options["workspace"]:
            wanted = {str(value) for value in options["workspace"]}
            workspaces = [item for item in workspaces if str(item.pk) in wanted or item.slug in wanted]
            if not workspaces:
                raise CommandError("no such workspace: " + ", ".join(sorted(wanted)))
        for workspace in workspaces:
            collected = services.collect(workspace.pk)
            line = (
                f"{workspace.slug}: {collected.conversations} conversations, {collected.mentions} mentions read, "
                f"{collected.activities_added} activities added"
            )
            if not options["no_resolve"]:
                resolved = services.resolve(workspace.pk)
                placed = services.loyalty_recompute(workspace.pk)
                line += f"; {resolved.merged} merged, {resolved.suggested} suggested; {placed.members} members placed"
            self.stdout.write(line)
