"""``pappus manage analytics_backfill``: rebuilds every day of the rollups from the snapshots."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from pappus.analytics.models import DailyAccountRollup, DailyPostRollup
from pappus.analytics.tests.factories import account_snapshot
from pappus.core.models import AuditEvent, Workspace

pytestmark = pytest.mark.django_db


def test_backfill_rebuilds_every_day_and_drops_stale_rows(
    fixture: Workspace, capsys: pytest.CaptureFixture[str]
) -> None:
    expected_posts = sorted(DailyPostRollup.objects.values_list("day", "network", "reactions", "impressions"))
    expected_accounts = sorted(DailyAccountRollup.objects.values_list("day", "account_id", "followers"))
    DailyPostRollup.objects.all().delete()
    DailyAccountRollup.objects.filter(day=datetime.date(2026, 3, 16)).update(followers=1)  # wrong
    DailyAccountRollup.objects.create(
        workspace=fixture, account_id=1, network="mastodon", day=datetime.date(2025, 1, 1)
    )

    output = io.StringIO()
    call_command("analytics_backfill", "--workspace", fixture.slug, "--chunk-days", "2", stdout=output)

    assert sorted(DailyPostRollup.objects.values_list("day", "network", "reactions", "impressions")) == expected_posts
    assert sorted(DailyAccountRollup.objects.values_list("day", "account_id", "followers")) == expected_accounts
    assert output.getvalue() == f"{fixture.slug}: {len(expected_posts) + len(expected_accounts)} rollup rows rebuilt\n"
    assert "8/8" in capsys.readouterr().err  # 9-16 March, the progress bar's last state
    event = AuditEvent.objects.get(action="analytics.rollups.rebuild")
    assert (event.workspace_id, event.actor_label) == (fixture.pk, "system (cli)")


def test_backfill_of_a_workspace_without_snapshots_clears_its_rollups(workspace: Workspace) -> None:
    DailyAccountRollup.objects.create(
        workspace=workspace, account_id=1, network="mastodon", day=datetime.date(2025, 1, 1)
    )
    call_command("analytics_backfill", "--workspace", str(workspace.pk), "--no-progress", stdout=io.StringIO())
    assert not DailyAccountRollup.objects.exists()


def test_backfill_names_an_unknown_workspace_and_a_bad_chunk(workspace: Workspace) -> None:
    account_snapshot(workspace, 1, datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC), 10)
    with pytest.raises(CommandError, match="no workspace with the id or slug: nowhere"):
        call_command("analytics_backfill", "--workspace", "nowhere")
    with pytest.raises(CommandError, match="--chunk-days must be between 1 and 366"):
        call_command("analytics_backfill", "--chunk-days", "0")
