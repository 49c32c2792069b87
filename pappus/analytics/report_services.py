"""Every write of reports: schedules, reports made on demand, the scheduled run, generation and e-mail.

The scheduled run (:func:`reports_run_due`, hourly from ``config/schedule.py``) makes each enabled
schedule's latest whole period's report **once**: the report row is unique per schedule, kind and first
day, so a second or concurrent run finds it and sends nothing. Generation stores the report's HTML,
PDF, e-mail HTML, plain text and chart specs; delivery sends one e-mail per recipient and records who
got it, so a retry (a failed report is tried again by the next runs, up to :data:`MAX_ATTEMPTS`) sends
only to those who did not. Members limited to regions manage and see only their regions' reports.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from email.message import MIMEPart

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pappus.analytics import reports, rollups
from pappus.analytics.models import Report, ReportKind, ReportSchedule, ReportStatus
from pappus.core import audit, permissions
from pappus.core.audit import Actor
from pappus.core.charts import to_png
from pappus.core.models import LANGUAGE_CHOICES, Membership, Region, Workspace
from pappus.core.permissions import Action
from pappus.core.selectors import member_region_ids
from pappus.core.timezones import zone_named

logger = logging.getLogger("pappus.analytics")

MAX_ATTEMPTS = 3
MAX_RECIPIENTS = 50
# A report still "being generated" this long after its last attempt was left by a stopped worker.
STALE_AFTER = datetime.timedelta(hours=1)
PDF_FILENAME = "report-{first}-{last}.pdf"


# --- validation -----------------------------------------------------------------------------------


def clean_recipients(values: Iterable[str]) -> list[str]:
    """E-mail addresses, stripped, lower-cased duplicates removed; each bad one named with its position."""
    found: list[str] = []
    problems: list[str] = []
    for position, raw in enumerate(values, start=1):
        address = raw.strip()
        if not address:
            continue
        try:
            validate_email(address)
        except ValidationError:
            problems.append(
                _("recipient %(position)s (%(address)s) is not an e-mail address")
                % {"position": position, "address": address[:100]}
            )
            continue
        if address.lower() not in {known.lower() for known in found}:
            found.append(address)
    if problems:
        raise ValidationError({"recipients": problems})
    if len(found) > MAX_RECIPIENTS:
        raise ValidationError({"recipients": _("At most %(count)s recipients.") % {"count": MAX_RECIPIENTS}})
    return found


def _region_for(membership: Membership, region_id: int | None) -> Region | None:
    """The region (of the member's workspace) a report may cover; a member limited to regions must
    choose one of theirs."""
    allowed = member_region_ids(membership)
    if region_id is None:
        if allowed is not None:
            raise PermissionDenied(_("Choose one of your regions: you work in some regions only."))
        return None
    region = Region.objects.for_workspace(membership.workspace_id).filter(pk=region_id).first()
    if region is None:
        raise ValidationError({"region": _("No such region in this workspace.")})
    if allowed is not None and region.pk not in allowed:
        raise PermissionDenied(_("This region is outside the regions you work in."))
    return region


def _language(value: str) -> str:
    if value and value not in {code for code, _label in LANGUAGE_CHOICES}:
        raise ValidationError({"language": _("Unknown language %(code)s.") % {"code": value[:20]}})
    return value


def _kind(value: str) -> str:
    if value not in ReportKind.values:
        raise ValidationError({"kind": _("Choose daily, weekly or monthly.")})
    return value


# --- what a member may see ------------------------------------------------------------------------


def visible_reports(membership: Membership) -> QuerySet[Report]:
    """The archive as the member may see it: a member limited to regions sees those regions' reports."""
    permissions.require(membership, Action.ANALYTICS_VIEW)
    rows = Report.objects.for_workspace(membership.workspace_id)
    allowed = member_region_ids(membership)
    if allowed is not None:
        rows = rows.filter(region_id__in=allowed)
    return rows.defer("html", "email_html", "text", "pdf", "chart_specs").order_by("-created_at", "-id")


def visible_schedules(membership: Membership) -> QuerySet[ReportSchedule]:
    permissions.require(membership, Action.ANALYTICS_VIEW)
    rows = ReportSchedule.objects.for_workspace(membership.workspace_id).select_related("region")
    allowed = member_region_ids(membership)
    if allowed is not None:
        rows = rows.filter(region_id__in=allowed)
    return rows


def report_for(membership: Membership, report_id: int) -> Report:
    """One report of the archive (404 outside the member's workspace or regions)."""
    return visible_reports(membership).defer(None).get(pk=report_id)


# --- schedules ------------------------------------------------------------------------------------


def _schedule_fields(schedule: ReportSchedule) -> dict[str, object]:
    return {
        "name": schedule.name,
        "kind": schedule.kind,
        "region": schedule.region_id,
        "recipients": list(schedule.recipients),
        "language": schedule.language,
        "enabled": schedule.enabled,
    }


@transaction.atomic
def schedule_save(
    *,
    actor: Actor,
    membership: Membership,
    name: str,
    kind: str,
    region_id: int | None,
    recipients: Iterable[str],
    language: str = "",
    enabled: bool = True,
    schedule_id: int | None = None,
) -> ReportSchedule:
    """Create a report schedule, or change the one with ``schedule_id``."""
    permissions.require(membership, Action.REPORTS_MANAGE)
    if not name.strip():
        raise ValidationError({"name": _("Give the schedule a name.")})
    region = _region_for(membership, region_id)
    cleaned = clean_recipients(recipients)
    if not cleaned:
        raise ValidationError({"recipients": _("Give at least one recipient.")})
    if schedule_id is None:
        schedule = ReportSchedule(workspace_id=membership.workspace_id)
        before = None
    else:
        # No join under FOR UPDATE (PostgreSQL refuses it on the nullable side of an outer join).
        schedule = visible_schedules(membership).select_related(None).select_for_update().get(pk=schedule_id)
        before = _schedule_fields(schedule)
    schedule.name = name.strip()[:200]
    schedule.kind = _kind(kind)
    schedule.region = region
    schedule.recipients = cleaned
    schedule.language = _language(language)
    schedule.enabled = enabled
    schedule.save()
    audit.record(
        actor,
        "analytics.report_schedule.create" if before is None else "analytics.report_schedule.update",
        workspace=membership.workspace,
        target=schedule,
        before=before,
        after=_schedule_fields(schedule),
    )
    return schedule


@transaction.atomic
def schedule_delete(*, actor: Actor, membership: Membership, schedule_id: int) -> None:
    """Delete a schedule; the reports it made stay in the archive."""
    permissions.require(membership, Action.REPORTS_MANAGE)
    schedule = visible_schedules(membership).get(pk=schedule_id)
    audit.record(
        actor,
        "analytics.report_schedule.delete",
        workspace=membership.workspace,
        target=schedule,
        before=_schedule_fields(schedule),
    )
    schedule.delete()


# --- reports made on demand -----------------------------------------------------------------------


@transaction.atomic
def report_request(
    *,
    actor: Actor,
    membership: Membership,
    kind: str,
    region_id: int | None,
    language: str = "",
    day: datetime.date | None = None,
    recipients: Iterable[str] = (),
) -> Report:
    """Ask for a report now (the generate-now button): the period of ``kind`` that holds ``day``
    (default: the latest whole one), generated by a background job, e-mailed to ``recipients`` if any."""
    from pappus.analytics import tasks  # the job module imports this one

    permissions.require(membership, Action.REPORTS_MANAGE)
    _kind(kind)
    today = rollups.today_in(zone_named(membership.workspace.time_zone or "UTC"))
    if day is not None and day >= today:
        raise ValidationError({"day": _("Choose a day before today.")})
    if day is not None and day.year < 1970:
        raise ValidationError({"day": _("Choose a day from 1970 on.")})
    first, last = reports.period_containing(kind, day) if day is not None else reports.period_for(kind, today)
    region = _region_for(membership, region_id)
    workspace = membership.workspace
    report = Report.objects.create(
        workspace=workspace,
        kind=kind,
        first_day=first,
        last_day=last,
        region_id=region.pk if region else None,
        scope_name=region.name if region else workspace.name,
        language=_language(language) or workspace.default_language,
        recipients=clean_recipients(recipients),
        requested_by_id=actor.user.pk if actor.user else None,
        attempts=1,
        attempted_at=timezone.now(),
    )
    audit.record(
        actor,
        "analytics.report.request",
        workspace=workspace,
        target=report,
        after={"kind": kind, "first_day": first.isoformat(), "last_day": last.isoformat(), "region": report.region_id},
    )
    from pappus.core.jobs import enqueue_on_commit

    enqueue_on_commit(tasks.generate_report, report.pk)
    return report


# --- generation and delivery ----------------------------------------------------------------------


def report_generate(report_id: int) -> Report:
    """Render the report and store it (status *ready*), or record why it failed (*failed*)."""
    report = Report.objects.select_related("workspace").get(pk=report_id)
    region = None
    if report.region_id is not None:
        region = Region.objects.for_workspace(report.workspace_id).filter(pk=report.region_id).first()
    if report.region_id is not None and region is None:
        return _fail(report, _("The region of this report no longer exists."))
    try:
        rendered = reports.render(
            report.workspace,
            kind=report.kind,
            first_day=report.first_day,
            last_day=report.last_day,
            region=region,
            language=report.language,
            generated_at=timezone.now(),
        )
    except Exception as error:
        logger.exception("analytics.report_failed report=%s", report.pk)
        with translation.override(report.language):
            return _fail(report, _("Generation failed: %(error)s") % {"error": str(error)[:500]})
    report.html, report.email_html, report.text = rendered.html, rendered.email_html, rendered.text
    report.pdf, report.pdf_pages, report.chart_specs = rendered.pdf, rendered.pages, rendered.chart_specs
    report.generation_seconds = round(rendered.seconds, 2)
    report.scope_name = rendered.scope_name
    report.generated_at = timezone.now()
    report.status, report.failure = ReportStatus.READY, ""
    report.save()
    logger.info(
        "analytics.report_generated report=%s seconds=%.1f pages=%s", report.pk, rendered.seconds, rendered.pages
    )
    return report


def _fail(report: Report, reason: str) -> Report:
    report.status, report.failure = ReportStatus.FAILED, reason
    report.save(update_fields=["status", "failure"])
    return report


class ReportEmail(EmailMultiAlternatives):
    """An HTML e-mail whose HTML part carries its charts as inline PNG parts (multipart/related,
    referenced by ``cid:``), with a plain-text part and the PDF attached."""

    def __init__(self, *, inline_images: dict[str, bytes], **options: object) -> None:
        super().__init__(**options)  # type: ignore[arg-type]
        self.inline_images = inline_images

    def _add_bodies(self, msg: MIMEPart) -> MIMEPart:
        msg = super()._add_bodies(msg)  # type: ignore[misc]  # Django's private hook, not in the stubs
        html = msg.get_body(preferencelist=("html",))
        if html is not None:
            for content_id, png in self.inline_images.items():
                html.add_related(
                    png,
                    maintype="image",
                    subtype="png",
                    cid=f"<{content_id}>",
                    filename=f"{content_id.split('@')[0]}.png",
                )
        return msg


def report_url(report: Report) -> str:
    return settings.BASE_URL + reverse("analytics:report", kwargs={"report_id": report.pk})


def _email(report: Report, address: str, images: dict[str, bytes]) -> ReportEmail:
    with translation.override(report.language):
        body = report.text + "\n" + _("The report in Pappus: %(url)s") % {"url": report_url(report)} + "\n"
        message = ReportEmail(
            subject=reports.subject(report.kind, report.scope_name, report.first_day, report.last_day),
            body=body,
            to=[address],
            inline_images=images,
        )
    message.attach_alternative(report.email_html, "text/html")
    message.attach(
        PDF_FILENAME.format(first=report.first_day.isoformat(), last=report.last_day.isoformat()),
        bytes(report.pdf),
        "application/pdf",
    )
    return message


def _png_charts(report: Report) -> dict[str, bytes]:
    """The report's charts as PNG by content id; one that cannot be drawn is left out (its alt text shows)."""
    images = {}
    for content_id, spec in report.chart_specs.items():
        try:
            images[content_id] = to_png(spec)
        except ValueError as error:  # vl-convert's failures
            logger.warning("analytics.report_chart_failed report=%s chart=%s error=%s", report.pk, content_id, error)
    return images


def report_deliver(report_id: int) -> Report:
    """E-mail a generated report to each recipient who has not had it (one message each)."""
    report = Report.objects.get(pk=report_id)
    if not report.pdf:  # not generated (yet)
        return report
    pending = [address for address in report.recipients if address not in report.delivered_to]
    if not pending:
        final = ReportStatus.DELIVERED if report.recipients else ReportStatus.READY
        if report.status != final:
            report.status, report.failure = final, ""
            report.save(update_fields=["status", "failure"])
        return report
    images = _png_charts(report)
    problems = []
    for address in pending:
        try:
            _email(report, address, images).send(fail_silently=False)
        except OSError as error:  # smtplib's errors are OSErrors
            problems.append(f"{address}: {error}")
            logger.warning("analytics.report_delivery_failed report=%s error=%s", report.pk, error)
        else:
            report.delivered_to = [*report.delivered_to, address]
            Report.objects.filter(pk=report.pk).update(delivered_to=report.delivered_to)
    if problems:
        with translation.override(report.language):
            report.status = ReportStatus.FAILED
            report.failure = _("Not delivered to %(problems)s") % {"problems": "; ".join(problems)[:1000]}
    else:
        report.status, report.failure = ReportStatus.DELIVERED, ""
    report.save(update_fields=["status", "failure"])
    return report


def report_process(report_id: int) -> Report:
    """Generate a report unless it is already stored, then deliver it (the job of one report)."""
    report = Report.objects.get(pk=report_id)
    if not report.pdf:
        report = report_generate(report_id)
    if report.pdf:
        report = report_deliver(report_id)
    return report


# --- the scheduled run ----------------------------------------------------------------------------


def _retryable(now: datetime.datetime) -> Q:
    """Failed, or left "being generated" by a worker that stopped (its last attempt over an hour ago)."""
    return Q(status=ReportStatus.FAILED) | Q(status=ReportStatus.GENERATING, attempted_at__lt=now - STALE_AFTER)


def _claim_retry(report: Report, now: datetime.datetime) -> bool:
    """Take a failed (or abandoned) report for another attempt; False when another run took it."""
    claimed = (
        Report.objects.filter(pk=report.pk, attempts=report.attempts)
        .filter(_retryable(now))
        .update(status=ReportStatus.GENERATING, attempts=report.attempts + 1, attempted_at=now)
    )
    return claimed == 1


def reports_run_due(*, now: datetime.datetime | None = None) -> list[int]:
    """Start the making, storing and e-mailing of each enabled schedule's report of its latest whole
    period, once; try failed ones again (up to MAX_ATTEMPTS). Returns the ids of the reports this run
    handed to jobs (``analytics.generate_report``)."""
    now = now or timezone.now()
    worked: list[int] = []
    schedules = ReportSchedule.objects.filter(enabled=True).select_related("workspace", "region").order_by("pk")
    for schedule in schedules:
        # Each workspace's own today: its daily report of Monday is made once Monday has ended there.
        today = rollups.today_in(zone_named(schedule.workspace.time_zone or "UTC"), now)
        first, last = reports.period_for(schedule.kind, today)
        report = _create_once(schedule, first, last, now)
        if report is None:
            continue
        worked.append(report.pk)
        _enqueue(report.pk)
    retry = Report.objects.filter(schedule__isnull=False, attempts__lt=MAX_ATTEMPTS).filter(_retryable(now))
    for report in retry.only("pk", "attempts", "status").exclude(pk__in=worked):
        if _claim_retry(report, now):
            worked.append(report.pk)
            _enqueue(report.pk)
    return worked


def _enqueue(report_id: int) -> None:
    """One job per report, so workers make them side by side and one slow report holds up no other. The
    row is committed already (created or claimed outside any transaction), so the job finds it."""
    from pappus.analytics import tasks  # the job module imports this one

    tasks.generate_report.enqueue(report_id)


def _create_once(
    schedule: ReportSchedule, first: datetime.date, last: datetime.date, now: datetime.datetime
) -> Report | None:
    """The schedule's report of this period, created now; None when it exists already (made by an
    earlier or a concurrent run)."""
    workspace: Workspace = schedule.workspace
    try:
        with transaction.atomic():
            return Report.objects.create(
                workspace=workspace,
                schedule=schedule,
                kind=schedule.kind,
                first_day=first,
                last_day=last,
                region_id=schedule.region_id,
                scope_name=schedule.region.name if schedule.region else workspace.name,
                language=schedule.language or workspace.default_language,
                recipients=list(schedule.recipients),
                attempts=1,
                attempted_at=now,
            )
    except IntegrityError:
        return None
