"""Scheduled reports through the real local SMTP server (../shared/peers/smtp.sh): made once per period,
stored, e-mailed with inline PNG charts, a plain-text part and the PDF; a failed delivery is retried and
sends only what did not go out."""

from __future__ import annotations

import datetime
import email
import email.policy
import time
import uuid
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from pappus.analytics import report_services
from pappus.analytics.models import Report, ReportStatus
from pappus.core.audit import Actor
from pappus.core.models import Workspace
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member

pytestmark = pytest.mark.django_db
# Tuesday 17 March 2026, 00:37 UTC: the weekly report is due for Monday 9 to Sunday 15 March.
RUN_AT = datetime.datetime(2026, 3, 17, 0, 37, tzinfo=datetime.UTC)


def use_smtp(settings: Any, host: str, port: int) -> None:
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": host, "port": port, "timeout": 10},
        }
    }


@pytest.fixture
def smtp_mailer(smtp_server: dict[str, str], settings: Any) -> Path:
    use_smtp(settings, smtp_server["SMTP_HOST"], int(smtp_server["SMTP_PORT"]))
    return Path(smtp_server["SMTP_MAIL_DIR"])


def mails_to(directory: Path, address: str, *, wait: float = 10.0) -> list[EmailMessage]:
    """The messages the SMTP server stored for ``address`` (waiting briefly for the first)."""
    deadline = time.time() + wait
    while True:
        found = []
        for path in sorted(directory.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            if address in str(message["To"]):
                found.append(message)
        if found or time.time() > deadline:
            return found
        time.sleep(0.2)


def addresses() -> tuple[str, str]:
    tag = uuid.uuid4().hex[:8]
    return f"ceo-{tag}@example.com", f"analyst-{tag}@example.com"


def test_a_scheduled_report_is_made_once_stored_and_mailed_with_png_charts(
    fixture: Workspace, smtp_mailer: Path
) -> None:
    analyst = make_member(fixture, Role.ANALYST)
    first, second = addresses()
    schedule = report_services.schedule_save(
        actor=Actor(analyst.user),
        membership=analyst,
        name="Weekly for the board",
        kind="weekly",
        region_id=None,
        recipients=[first, f" {second} ", first.upper()],  # the duplicate is dropped
    )
    assert schedule.recipients == [first, second]

    worked = report_services.reports_run_due(now=RUN_AT)
    again = report_services.reports_run_due(now=RUN_AT + datetime.timedelta(hours=1))  # the next hourly run

    assert len(worked) == 1
    assert again == []
    report = Report.objects.get(schedule=schedule)
    assert (report.first_day, report.last_day) == (datetime.date(2026, 3, 9), datetime.date(2026, 3, 15))
    assert report.status == ReportStatus.DELIVERED
    assert report.delivered_to == [first, second]
    assert bytes(report.pdf).startswith(b"%PDF-")
    assert report.pdf_pages >= 2
    for address in (first, second):
        assert len(mails_to(smtp_mailer, address)) == 1  # two runs, one e-mail each

    mail = mails_to(smtp_mailer, first)[0]
    # A long subject is folded after "Subject:"; Python's parser keeps the fold's space, mail clients do not.
    assert str(mail["Subject"]).strip() == f"[Pappus] Weekly report for {fixture.name}, March 9, 2026 to March 15, 2026"
    plain = mail.get_body(preferencelist=("plain",))
    assert plain is not None
    text = plain.get_content()
    # Every mention of the fixture is in 9-15 March; the previous week holds the 99 negative ones.
    assert "Mentions: 140 (previous period: 99); 100 with a sentiment." in text
    assert f"/analytics/reports/{report.pk}/" in text
    html_part = mail.get_body(preferencelist=("html",))
    assert html_part is not None
    html = html_part.get_content()
    images = {
        str(part["Content-ID"]).strip("<>"): part.get_content()
        for part in mail.walk()
        if part.get_content_type() == "image/png"
    }
    # Followers, engagement, content types, sentiment and share of voice all have numbers in that week.
    assert (
        set(images)
        == set(report.chart_specs)
        == {
            f"chart-{key}@pappus" for key in ("followers", "engagement", "content_types", "sentiment", "share_of_voice")
        }
    )
    for content_id, png in images.items():
        assert f'src="cid:{content_id}"' in html
        assert png.startswith(b"\x89PNG\r\n\x1a\n")
    related = [part for part in mail.walk() if part.get_content_type() == "multipart/related"]
    assert len(related) == 1  # the HTML and its images travel together
    pdfs = [part for part in mail.iter_attachments() if part.get_content_type() == "application/pdf"]
    assert len(pdfs) == 1
    assert pdfs[0].get_filename() == "report-2026-03-09-2026-03-15.pdf"
    assert pdfs[0].get_content() == bytes(report.pdf)


def test_a_failed_delivery_is_retried_by_the_next_run_and_sends_once(
    fixture: Workspace, smtp_server: dict[str, str], settings: Any
) -> None:
    owner = make_member(fixture, Role.OWNER)
    address, _other = addresses()
    schedule = report_services.schedule_save(
        actor=Actor(owner.user),
        membership=owner,
        name="Daily",
        kind="daily",
        region_id=None,
        recipients=[address],
        language="nb",
    )
    use_smtp(settings, "127.0.0.1", 9)  # nothing listens on the discard port: the connection is refused

    report_services.reports_run_due(now=RUN_AT)

    report = Report.objects.get(schedule=schedule)
    assert report.status == ReportStatus.FAILED
    assert report.failure.startswith(f"Ikke levert til {address}: ")  # in the report's language
    assert report.delivered_to == []
    assert bytes(report.pdf).startswith(b"%PDF-")  # generated and kept; only the e-mail failed

    use_smtp(settings, smtp_server["SMTP_HOST"], int(smtp_server["SMTP_PORT"]))
    report_services.reports_run_due(now=RUN_AT + datetime.timedelta(hours=1))
    report_services.reports_run_due(now=RUN_AT + datetime.timedelta(hours=2))

    report.refresh_from_db()
    assert (report.status, report.failure, report.attempts) == (ReportStatus.DELIVERED, "", 2)
    assert Report.objects.filter(schedule=schedule).count() == 1
    mails = mails_to(Path(smtp_server["SMTP_MAIL_DIR"]), address)
    assert len(mails) == 1
    assert str(mails[0]["Subject"]).strip().startswith("[Pappus] Daglig rapport for ")


def test_a_disabled_schedule_makes_nothing_and_bad_recipients_are_named(fixture: Workspace) -> None:
    analyst = make_member(fixture, Role.ANALYST)
    with pytest.raises(ValidationError) as problem:
        report_services.schedule_save(
            actor=Actor(analyst.user),
            membership=analyst,
            name="Monthly",
            kind="monthly",
            region_id=None,
            recipients=["boss@example.com", "not-an-address"],
        )
    assert problem.value.message_dict == {"recipients": ["recipient 2 (not-an-address) is not an e-mail address"]}
    report_services.schedule_save(
        actor=Actor(analyst.user),
        membership=analyst,
        name="Monthly",
        kind="monthly",
        region_id=None,
        recipients=["boss@example.com"],
        enabled=False,
    )
    assert report_services.reports_run_due(now=RUN_AT) == []
    assert not Report.objects.exists()


def test_a_report_being_generated_is_left_to_its_worker_for_an_hour(fixture: Workspace) -> None:
    owner = make_member(fixture, Role.OWNER)
    schedule = report_services.schedule_save(
        actor=Actor(owner.user),
        membership=owner,
        name="Daily",
        kind="daily",
        region_id=None,
        recipients=["boss@example.com"],
        enabled=False,  # no new report: only the one below
    )
    stuck = Report.objects.create(
        workspace=fixture,
        schedule=schedule,
        kind="daily",
        first_day=datetime.date(2026, 3, 15),
        last_day=datetime.date(2026, 3, 15),
        scope_name=fixture.name,
        language="en",
        status=ReportStatus.GENERATING,
        pdf=b"%PDF-1.7 stored",
        attempts=1,
        attempted_at=RUN_AT,
    )

    assert report_services.reports_run_due(now=RUN_AT + datetime.timedelta(minutes=30)) == []
    assert report_services.reports_run_due(now=RUN_AT + datetime.timedelta(minutes=61)) == [stuck.pk]

    stuck.refresh_from_db()
    assert (stuck.status, stuck.attempts) == (ReportStatus.READY, 2)  # stored; nobody to e-mail
