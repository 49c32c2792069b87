"""Failure alerts: when a scheduled variant fails, or ends "unknown", its post's author and the
workspace's publishing approvers get an in-app notice at once and an e-mail digest shortly after.

- **Who**: the post's author and the people who approve its posts: the named approvers and the
  holders of the approver roles of the post's approval chain (its region's, else the workspace's);
  with no chain configured, every member allowed to approve. Nobody without an active membership,
  and without any of them, the members allowed to publish.
- **No storm**: notices wait (``email_state`` pending) and go out as **one e-mail per person and
  post**: once the post's failures have been quiet for :data:`BURST_QUIET` (variants of a post usually
  fail within the same minute), or :data:`BURST_LONGEST` after the first at the latest. After a
  digest, the next one for the same person and post waits :data:`COOLDOWN`, gathering whatever failed
  meanwhile.
- **Language**: each notice and e-mail in the person's language (their profile's, else the
  workspace's default); the network's reason stays in the network's words.

``publishing.mail_failure_alerts`` (every minute, ``config/schedule.py``) sends the digests; a failed
SMTP delivery leaves the notices pending for the next run.
"""

from __future__ import annotations

import datetime
import logging
import smtplib
from collections import defaultdict
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pappus.core.models import Membership, User
from pappus.core.permissions import Action, role_allows
from pappus.publishing.models import ApprovalStep, EmailState, Notification, Post, Variant, VariantStatus

logger = logging.getLogger("pappus.publishing")

BURST_QUIET = datetime.timedelta(seconds=90)
BURST_LONGEST = datetime.timedelta(minutes=10)
COOLDOWN = datetime.timedelta(minutes=30)


def recipients(post: Post) -> list[User]:
    """The post's author and its approvers (see the module's docstring), active members only."""
    members = {
        member.user_id: member
        for member in Membership.objects.for_workspace(post.workspace_id)
        .filter(is_active=True, user__is_active=True)
        .select_related("user")
    }
    steps = ApprovalStep.objects.for_workspace(post.workspace_id)
    chain = list(steps.filter(region_id=post.region_id)) if post.region_id is not None else []
    if not chain:
        chain = list(steps.filter(region__isnull=True))
    wanted: list[int] = [post.author_id] if post.author_id is not None else []
    if chain:
        roles = {step.approver_role for step in chain if step.approver_role}
        wanted += [step.approver_id for step in chain if step.approver_id is not None]
        wanted += [user_id for user_id, member in members.items() if member.role in roles]
    else:
        wanted += [user_id for user_id, member in members.items() if role_allows(member.role, Action.CONTENT_APPROVE)]
    found = [members[user_id].user for user_id in dict.fromkeys(wanted) if user_id in members]
    if not found:
        found = [member.user for member in members.values() if role_allows(member.role, Action.CONTENT_PUBLISH)]
    return [user for user in found if role_allows(members[user.pk].role, Action.CONTENT_VIEW)]


def language_of(user: User, post: Post) -> str:
    return user.language or post.workspace.default_language or settings.LANGUAGE_CODE


def notice_text(post: Post, variant: Variant) -> str:
    """One failure, in the active language."""
    if variant.status == VariantStatus.UNKNOWN:
        return _(
            "“%(post)s” may or may not have been published on %(variant)s (no answer came: check the network): "
            "%(reason)s"
        ) % {"post": post.title, "variant": variant.label, "reason": variant.last_error}
    return _("“%(post)s” was not published on %(variant)s: %(reason)s") % {
        "post": post.title,
        "variant": variant.label,
        "reason": variant.last_error,
    }


def notify_failure(variant: Variant) -> list[Notification]:
    """The in-app notices of a variant that failed or ended unknown; their e-mail waits for the digest."""
    post = Post.objects.select_related("workspace").get(pk=variant.post_id)
    notices = []
    for user in recipients(post):
        with translation.override(language_of(user, post)):
            text = notice_text(post, variant)
        notices.append(
            Notification(
                workspace_id=variant.workspace_id,
                user=user,
                post=post,
                variant=variant,
                text=text,
                email_state=EmailState.PENDING if user.email else EmailState.NONE,
            )
        )
    return Notification.objects.bulk_create(notices)


def _due_groups(now: datetime.datetime) -> list[list[Notification]]:
    """Pending notices grouped per person and post, keeping only the groups whose burst is over and
    whose person was not mailed about the post within the cooldown."""
    pending = (
        Notification.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(email_state=EmailState.PENDING)
        .select_related("user", "post", "post__workspace", "variant")
        .order_by("created_at", "id")
    )
    groups: dict[tuple[int, int | None], list[Notification]] = defaultdict(list)
    for notice in pending:
        groups[(notice.user_id, notice.post_id)].append(notice)
    due = []
    for (user_id, post_id), notices in groups.items():
        if post_id is None:
            continue
        first, last = notices[0].created_at, notices[-1].created_at
        if now - last < BURST_QUIET and now - first < BURST_LONGEST:
            continue
        mailed = (
            Notification.objects.filter(user_id=user_id, post_id=post_id, email_state=EmailState.SENT)
            .order_by("-emailed_at")
            .values_list("emailed_at", flat=True)
            .first()
        )
        if mailed is not None and now - mailed < COOLDOWN:
            continue
        due.append(notices)
    return due


def failed_posts_url() -> str:
    return settings.BASE_URL + reverse("publishing:failed")


def _digest(notices: list[Notification]) -> EmailMessage:
    user, post = notices[0].user, notices[0].post
    assert post is not None  # noqa: S101 - failure notices always name their post
    with translation.override(language_of(user, post)):
        variants = [notice.variant for notice in notices if notice.variant is not None]
        lines = [f"- {notice_text(post, variant)}" for variant in variants]
        subject = _("[Pappus] “%(post)s” was not published (%(count)s)") % {"post": post.title, "count": len(lines)}
        body = "\n\n".join(
            [
                _("Hello %(name)s,") % {"name": user.full_name or user.email},
                _("Publishing “%(post)s” went wrong:") % {"post": post.title},
                "\n".join(lines),
                _("See and retry the failed posts: %(url)s") % {"url": failed_posts_url()},
                _(
                    "You get this because you wrote the post or approve posts in %(workspace)s. Further failures of "
                    "this post within %(minutes)s minutes are gathered into one e-mail."
                )
                % {"workspace": post.workspace.name, "minutes": int(COOLDOWN.total_seconds() // 60)},
            ]
        )
    return EmailMessage(subject=subject, body=body, to=[user.email])


def mail_failure_alerts(now: datetime.datetime | None = None) -> int:
    """Send the digests that are due; returns how many e-mails went out."""
    now = now or timezone.now()
    sent = 0
    with transaction.atomic():
        for notices in _due_groups(now):
            try:
                _digest(notices).send(fail_silently=False)
            except (OSError, smtplib.SMTPException) as error:
                logger.warning(
                    "publishing.alert_mail_failed user=%s post=%s error=%s",
                    notices[0].user_id,
                    notices[0].post_id,
                    error,
                )
                continue
            _mark_sent(notices, now)
            sent += 1
    return sent


def mark_read(membership: Membership) -> int:
    """Mark the member's own unread notices in the member's workspace as read; returns how many."""
    return (
        Notification.objects.for_workspace(membership.workspace_id)
        .filter(user_id=membership.user_id, read_at__isnull=True)
        .update(read_at=timezone.now())
    )


def _mark_sent(notices: Iterable[Notification], now: datetime.datetime) -> None:
    Notification.objects.filter(pk__in=[notice.pk for notice in notices]).update(
        email_state=EmailState.SENT, emailed_at=now
    )
