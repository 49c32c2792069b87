"""Failure alerts (issue 6): a scheduled variant that fails, or ends unknown, alerts the post's author
and the workspace's publishing approvers in the app at once and by e-mail in one digest per person
and post, in each person's language. Mail goes through the real local SMTP server
(../shared/peers/smtp.sh, aiosmtpd), the failures through the real scheduler against the local
Mastodon-API server of these tests."""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member, make_user
from pappus.core.tests.mail import body_of, mails_to
from pappus.publishing import alerts, scheduler, services
from pappus.publishing.models import EmailState, Notification, VariantStatus
from pappus.publishing.tests.factories import ACTOR, make_scheduled_post, variants_of
from pappus.publishing.tests.mastodon_server import LocalMastodon, Script, connector_factory

pytestmark = pytest.mark.django_db
REASON = "Validation failed: Text character limit of 500 exceeded"


def address(name: str) -> str:
    return f"{name}-{uuid.uuid4().hex[:8]}@example.com"


def fail_all(post: Any, count: int) -> None:
    with LocalMastodon() as server:
        for _ in range(count):
            server.state.scripted.append(Script(status=422, body={"error": REASON}))
        report = scheduler.run_due(connector_for=connector_factory(server.base_url))
    assert report.failed == count


def test_a_burst_of_failures_is_one_email_per_person_in_their_language(workspace: Any, mail_dir: Path) -> None:
    author = make_member(workspace, role=Role.CONTENT_MANAGER, user=make_user(address("author"), language="nb"))
    approver = make_member(workspace, role=Role.CONTENT_MANAGER, user=make_user(address("approver"), language="ru"))
    bystander = make_member(workspace, role=Role.ANALYST, user=make_user(address("analyst")))
    post = make_scheduled_post(author, networks=("mastodon", "mastodon"), title="Vinterkaffe")
    owner = make_member(workspace, role=Role.OWNER)
    services.approval_step_add(actor=ACTOR, membership=owner, name="Brand", approver=approver.user)
    fail_all(post, 2)

    # In the app at once: one notice per failed variant for each of them, in their language.
    author_notes = Notification.objects.filter(user=author.user).order_by("id")
    assert [note.email_state for note in author_notes] == [EmailState.PENDING] * 2
    assert all(note.text.startswith("«Vinterkaffe» ble ikke publisert på Mastodon @brand") for note in author_notes)
    assert all(REASON in note.text for note in author_notes)
    approver_notes = Notification.objects.filter(user=approver.user)
    assert approver_notes.count() == 2
    assert all("«Vinterkaffe» не опубликован в Mastodon @brand" in note.text for note in approver_notes)
    assert not Notification.objects.filter(user=bystander.user).exists()

    # The burst is still going: no mail yet.
    assert alerts.mail_failure_alerts() == 0
    later = timezone.now() + alerts.BURST_QUIET + datetime.timedelta(seconds=1)
    assert alerts.mail_failure_alerts(now=later) == 2
    assert alerts.mail_failure_alerts(now=later) == 0  # a repeated run sends nothing twice

    (to_author,) = mails_to(mail_dir, author.user.email, expected=1)
    assert to_author["Subject"] == "[Pappus] «Vinterkaffe» ble ikke publisert (2)"
    text = body_of(to_author)
    assert text.count(REASON) == 2
    assert "Mastodon @brand1" in text
    assert "Mastodon @brand2" in text
    assert "https://pappus.example/publishing/failed/" in text
    (to_approver,) = mails_to(mail_dir, approver.user.email, expected=1)
    assert to_approver["Subject"] == "[Pappus] «Vinterkaffe» не опубликован (2)"
    assert mails_to(mail_dir, bystander.user.email, expected=0) == []
    assert set(Notification.objects.filter(post=post).values_list("email_state", flat=True)) == {EmailState.SENT}


def test_failures_after_a_digest_wait_for_the_cooldown_and_go_out_together(workspace: Any, mail_dir: Path) -> None:
    author = make_member(workspace, role=Role.CONTENT_MANAGER, user=make_user(address("storm")))
    post = make_scheduled_post(author, title="Flash sale")
    fail_all(post, 1)
    start = timezone.now() + alerts.BURST_QUIET + datetime.timedelta(seconds=1)
    assert alerts.mail_failure_alerts(now=start) >= 1
    # The post is retried and fails again, twice, within the cooldown: held back.
    for _ in range(2):
        services.post_retry_failed(actor=ACTOR, membership=author, post=post)
        fail_all(post, 1)
    quiet = start + alerts.BURST_QUIET + datetime.timedelta(minutes=1)
    assert alerts.mail_failure_alerts(now=quiet) == 0
    assert len(mails_to(mail_dir, author.user.email, expected=1)) == 1
    # After the cooldown: one more e-mail carrying both.
    assert alerts.mail_failure_alerts(now=start + alerts.COOLDOWN + datetime.timedelta(seconds=1)) >= 1
    mails = mails_to(mail_dir, author.user.email, expected=2)
    assert len(mails) == 2
    assert body_of(mails[-1]).count(REASON) == 2
    assert "(2)" in str(mails[-1]["Subject"])


def test_an_unknown_outcome_says_so_and_an_unreachable_mail_server_keeps_the_digest(
    workspace: Any, mail_dir: Path, settings: Any
) -> None:
    author = make_member(workspace, role=Role.CONTENT_MANAGER, user=make_user(address("unknown"), language="zh-hans"))
    post = make_scheduled_post(author, title="Launch")
    (variant,) = variants_of(post)
    variant.status, variant.last_error = VariantStatus.UNKNOWN, "Mastodon could not be reached"
    variant.save()
    alerts.notify_failure(variant)
    (note,) = Notification.objects.filter(user=author.user)
    assert "“Launch”" in note.text
    assert "Mastodon could not be reached" in note.text
    assert "可能" in note.text  # "may or may not have been published", in Chinese
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},  # nothing listens there
        }
    }
    later = timezone.now() + alerts.BURST_QUIET + datetime.timedelta(seconds=1)
    assert alerts.mail_failure_alerts(now=later) == 0
    note.refresh_from_db()
    assert note.email_state == EmailState.PENDING


def test_approvers_by_role_are_alerted_and_former_members_are_not(workspace: Any) -> None:
    author = make_member(workspace, role=Role.CONTENT_MANAGER)
    post = make_scheduled_post(author)
    owner = make_member(workspace, role=Role.OWNER)
    by_role = make_member(workspace, role=Role.STRATEGIST)
    left = make_member(workspace, role=Role.STRATEGIST)
    left.is_active = False
    left.save()
    services.approval_step_add(actor=ACTOR, membership=owner, name="Regions", approver_role=Role.STRATEGIST)
    assert {user.pk for user in alerts.recipients(post)} == {author.user_id, by_role.user_id}


def test_the_alerts_show_in_the_app_and_can_be_marked_read(workspace: Any, client: Any) -> None:
    author = make_member(workspace, role=Role.CONTENT_MANAGER)
    other = make_member(workspace, role=Role.CONTENT_MANAGER)  # an approver under the default chain
    post = make_scheduled_post(author, title="Harvest news")
    fail_all(post, 1)
    client.force_login(author.user)
    home = client.get(reverse("core:home")).content.decode()
    assert "1 alert for you." in home
    page = client.get(reverse("publishing:failed")).content.decode()
    assert "Your alerts" in page
    assert f"“Harvest news” was not published on Mastodon @brand1: {REASON}" in page
    response = client.post(reverse("publishing:notices_read"))
    assert response.status_code == 302
    assert not Notification.objects.filter(user=author.user, read_at__isnull=True).exists()
    assert "Your alerts" not in client.get(reverse("publishing:failed")).content.decode()
    # Marking read touches only one's own notices.
    assert Notification.objects.filter(user=other.user, read_at__isnull=True).count() == 1
