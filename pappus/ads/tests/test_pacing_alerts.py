"""Pacing alerts (issue 12, item 4): a flight over its planned spend to date raises one alert, shown on
the overview and e-mailed (through the real local SMTP server, ../shared/peers/smtp.sh) to those who
manage ads in their language, never again while it stays over; back on pace resolves it."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from pappus.ads import alerts, services
from pappus.ads.models import AdDaily, PacingAlert
from pappus.ads.tests.helpers import account, actor, campaign, day, signed_in
from pappus.core.models import Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.core.tests.mail import body_of, mails_to

pytestmark = pytest.mark.django_db


def test_an_over_pacing_flight_alerts_once_by_email_and_resolves_back_on_pace(
    workspace: Workspace, mail_dir: Path
) -> None:
    tag = uuid.uuid4().hex[:8]
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER, email=f"manager-{tag}@example.com")
    agency = make_member(workspace, Role.AGENCY, email=f"agency-{tag}@example.com", language="nb")
    analyst = make_member(workspace, Role.ANALYST, email=f"analyst-{tag}@example.com")
    today = timezone.localdate()
    start = today - datetime.timedelta(days=10)
    spring = campaign(
        manager,
        account(manager),
        name=f"Spring {tag}",
        starts_on=start,
        ends_on=start + datetime.timedelta(days=29),
        budget_planned=Decimal("3000.00"),  # 100 a day
    )
    for offset in range(10):
        day(manager, spring, start + datetime.timedelta(days=offset), spend=Decimal("150.00"))

    assert alerts.check_pacing(today) == 1
    assert alerts.check_pacing(today) == 0  # still over: no second alert, no second e-mail

    to_manager = mails_to(mail_dir, manager.user.email, expected=1)
    to_agency = mails_to(mail_dir, agency.user.email, expected=1)
    assert len(to_manager) == 1
    assert len(to_agency) == 1
    assert mails_to(mail_dir, analyst.user.email, expected=0) == []  # reads ads, does not manage them
    assert f"“Spring {tag}” is over-pacing: 1,500.00 EUR spent of 1,000.00 planned to date." in body_of(to_manager[0])
    assert "https://pappus.example/ads/" in body_of(to_manager[0])
    assert to_agency[0]["Subject"] != to_manager[0]["Subject"]  # Norwegian for the agency's person
    alert = PacingAlert.objects.get()
    assert alert.emailed_at is not None

    overview = signed_in(manager).get(reverse("ads:overview")).content.decode()
    raised = overview.split('data-testid="raised-pacing-alerts"', 1)[1].split("</section>", 1)[0]
    assert f"Spring {tag}" in raised

    # Back on pace: the spend of the days is corrected to the plan; the alert is resolved.
    AdDaily.objects.filter(campaign=spring).update(spend=Decimal("100.00"))
    assert alerts.check_pacing(today) == 0
    alert.refresh_from_db()
    assert alert.resolved_on == today


def test_email_can_be_turned_off_and_the_alert_still_shows(workspace: Workspace, mail_dir: Path) -> None:
    tag = uuid.uuid4().hex[:8]
    manager = make_member(workspace, Role.CAMPAIGN_MANAGER, email=f"quiet-{tag}@example.com")
    services.settings_update(
        actor=actor(manager),
        membership=manager,
        attribution_rule="last_click",
        ratio_basis="network",
        pacing_alerts_by_email=False,
    )
    today = timezone.localdate()
    start = today - datetime.timedelta(days=10)
    slow = campaign(
        manager,
        account(manager),
        name=f"Slow {tag}",
        starts_on=start,
        ends_on=start + datetime.timedelta(days=29),
        budget_planned=Decimal("3000.00"),
    )
    for offset in range(10):
        day(manager, slow, start + datetime.timedelta(days=offset), spend=Decimal("20.00"))

    assert alerts.check_pacing(today) == 1

    assert PacingAlert.objects.get().status == "under_pacing"
    assert PacingAlert.objects.get().emailed_at is None
    assert mails_to(mail_dir, manager.user.email, expected=0) == []
