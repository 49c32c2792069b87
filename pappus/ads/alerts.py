"""Pacing alerts: a flight whose spend to yesterday is more than a tenth off its plan (see
:mod:`pappus.ads.pacing`) raises one :class:`PacingAlert`, shown on the ads overview and e-mailed to
the workspace's members who manage ads (owner, administrator, campaign manager, agency), each in
their own language.

- **Once per episode**: an open alert stays open while the flight stays off pace the same way; it is
  resolved when the flight is back on pace (or has ended), and a new one is raised only then, or when
  it turns from over- to under-pacing (or back).
- **E-mail**: only when the workspace's ads settings allow it; a failed SMTP delivery leaves the
  alert un-mailed, and the next run tries again.

``ads.check_pacing`` (hourly, ``config/schedule.py``) runs :func:`check_pacing` over every workspace.
"""

from __future__ import annotations

import datetime
import logging
import smtplib
from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pappus.ads import selectors
from pappus.ads.models import AdCampaign, PacingAlert
from pappus.core.models import Membership, User, Workspace
from pappus.core.permissions import Action, role_allows

logger = logging.getLogger("pappus.ads")

OFF_PACE = frozenset({"over_pacing", "under_pacing"})


def recipients(workspace_id: int) -> list[User]:
    """Active members who may manage ads and have an e-mail address."""
    members = (
        Membership.objects.for_workspace(workspace_id)
        .filter(is_active=True, user__is_active=True)
        .select_related("user")
        .order_by("pk")
    )
    return [member.user for member in members if member.user.email and role_allows(member.role, Action.ADS_MANAGE)]


def _money(value: float) -> Decimal:
    return Decimal(str(round(value, 2))).quantize(Decimal("0.01"))


def check_workspace(workspace: Workspace, today: datetime.date) -> list[PacingAlert]:
    """Raise and resolve the workspace's pacing alerts as of ``today``; returns the alerts raised."""
    raised = []
    still_open = PacingAlert.objects.for_workspace(workspace.pk).filter(resolved_on__isnull=True)
    open_alerts = {alert.campaign_id: alert for alert in still_open}
    for campaign in AdCampaign.objects.for_workspace(workspace.pk).order_by("pk"):
        status = ""
        report = None
        if campaign.starts_on and campaign.ends_on and campaign.starts_on < today <= campaign.ends_on:
            report = selectors.campaign_pacing(workspace, campaign, today).report
            status = report.status if report is not None else ""
        current = open_alerts.get(campaign.pk)
        if current is not None and current.status == status:
            continue
        if current is not None:
            current.resolved_on = today
            current.save(update_fields=["resolved_on"])
        if status in OFF_PACE and report is not None:
            raised.append(
                PacingAlert.objects.create(
                    workspace_id=workspace.pk,
                    campaign=campaign,
                    day=today,
                    status=status,
                    actual_to_date=_money(report.actual_to_date),
                    planned_to_date=_money(report.planned_to_date),
                )
            )
    return raised


def alert_text(alert: PacingAlert) -> str:
    values = {
        "campaign": alert.campaign.name,
        "actual": f"{alert.actual_to_date:,.2f}",
        "planned": f"{alert.planned_to_date:,.2f}",
        "currency": alert.workspace.currency,
    }
    if alert.status == "over_pacing":
        text = _("“%(campaign)s” is over-pacing: %(actual)s %(currency)s spent of %(planned)s planned to date.")
    else:
        text = _("“%(campaign)s” is under-pacing: %(actual)s %(currency)s spent of %(planned)s planned to date.")
    return text % values


def _message(user: User, workspace: Workspace, alerts: list[PacingAlert]) -> EmailMessage:
    with translation.override(user.language or workspace.default_language or settings.LANGUAGE_CODE):
        subject = ngettext(
            "[Pappus] %(count)s paid campaign off its planned spend",
            "[Pappus] %(count)s paid campaigns off their planned spend",
            len(alerts),
        ) % {"count": len(alerts)}
        body = "\n\n".join(
            [
                _("Hello %(name)s,") % {"name": user.full_name or user.email},
                "\n".join(f"- {alert_text(alert)}" for alert in alerts),
                _("See the pacing and the forecast: %(url)s") % {"url": settings.BASE_URL + reverse("ads:overview")},
                _(
                    "You get this because you manage ads in %(workspace)s. Each flight alerts once until it is back "
                    "on pace; the workspace's ads settings can turn these e-mails off."
                )
                % {"workspace": workspace.name},
            ]
        )
    return EmailMessage(subject=subject, body=body, to=[user.email])


def mail_alerts(workspace: Workspace) -> int:
    """E-mail the workspace's open, not yet mailed alerts (one message per person); returns messages sent."""
    if not selectors.ads_settings(workspace.pk).pacing_alerts_by_email:
        return 0
    pending = list(
        PacingAlert.objects.for_workspace(workspace.pk)
        .filter(resolved_on__isnull=True, emailed_at__isnull=True)
        .select_related("campaign", "workspace")
        .order_by("pk")
    )
    if not pending:
        return 0
    sent = 0
    delivered_all = True
    for user in recipients(workspace.pk):
        try:
            _message(user, workspace, pending).send(fail_silently=False)
        except (OSError, smtplib.SMTPException) as error:
            logger.warning("ads.pacing_mail_failed workspace=%s user=%s error=%s", workspace.pk, user.pk, error)
            delivered_all = False
            continue
        sent += 1
    if delivered_all:
        PacingAlert.objects.filter(pk__in=[alert.pk for alert in pending]).update(emailed_at=timezone.now())
    return sent


def check_pacing(today: datetime.date | None = None) -> int:
    """Every workspace's pacing alerts raised, resolved and mailed; returns how many were raised."""
    today = today or timezone.localdate()
    raised = 0
    for workspace in Workspace.objects.filter(pk__in=AdCampaign.objects.values("workspace_id")).order_by("pk"):
        with transaction.atomic():
            raised += len(check_workspace(workspace, today))
        mail_alerts(workspace)
    return raised
