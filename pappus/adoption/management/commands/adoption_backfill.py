"""``pappus manage adoption_backfill --days 90``: roll usage and people KPIs up for past days."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from pappus.adoption import services


class Command(BaseCommand):
    help = "Recompute the daily usage and people-KPI rollups of the last N UTC days (today included)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=30, help="How many days back (1-730).")

    def handle(self, *args: Any, **options: Any) -> None:
        days = int(options["days"])
        if not 1 <= days <= 730:
            self.stderr.write("--days must be from 1 to 730")
            raise SystemExit(2)
        result = services.refresh(days=days)
        self.stdout.write(
            f"{result['usage_rows']} usage rows, {result['kpi_rows']} KPI rows, "
            f"{result['events_pruned']} old events pruned"
        )
