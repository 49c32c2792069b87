"""Events, online and offline: creation, the public registration (no login; spam-protected by a
hidden field and a signed form time), invitations to a segment by direct message through a connected
account (where the person wrote to it) or by e-mail, with each invitation's outcome kept, reminders,
tickets with a QR code of their address, check-in by ticket code or the scanned address, attendance
(an ``event`` activity that the loyalty ladder weighs), follow-up e-mails, and each event's KPIs.
Every message to a person is written in the event's language.

Registrations hold personal data (name, e-mail): only ``community.view`` reads them, and they are
erased with their member (the foreign key cascades).
"""

from __future__ import annotations

import datetime
import io
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import segno
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from pappus.community import matching, segments, services
from pappus.community.models import (
    Activity,
    ActivityKind,
    Event,
    EventKind,
    EventRegistration,
    Identity,
    IdentitySource,
    InviteStatus,
    Member,
    RegistrationStatus,
    Segment,
)
from pappus.connectors import facade as connectors_facade
from pappus.connectors.contracts import Capability, PublishRequest
from pappus.connectors.errors import AuthExpiredError, ConnectorError
from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.jobs import enqueue_on_commit
from pappus.core.models import Membership, Workspace
from pappus.core.permissions import Action, require
from pappus.inbox import facade as inbox_facade

CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
FORM_MIN_SECONDS = 3
FORM_MAX_SECONDS = 24 * 3600
MAX_CAPACITY = 1_000_000
INVITE_LIMIT = 5000
AFTER_DAYS = 30
LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)
AUDITED: tuple[str, ...] = (
    "title",
    "kind",
    "starts_at",
    "ends_at",
    "location",
    "online_url",
    "language",
    "capacity",
    "registration_open",
    "reminder_hours",
)
_signer = signing.TimestampSigner(salt="pappus.community.event-form")
PLACES = (RegistrationStatus.REGISTERED, RegistrationStatus.ATTENDED)


# --- events ----------------------------------------------------------------------------------------


EARLIEST = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)
LATEST = datetime.datetime(2999, 12, 31, tzinfo=datetime.UTC)


def _aware(values: dict[str, Any]) -> None:
    """Times without a zone are read in the installation's time zone."""
    for name in ("starts_at", "ends_at"):
        value = values.get(name)
        if isinstance(value, datetime.datetime) and timezone.is_naive(value):
            values[name] = timezone.make_aware(value)


def _check(values: Mapping[str, Any]) -> None:
    errors: dict[str, str] = {}
    if not str(values.get("title", "")).strip():
        errors["title"] = _("Give the event a title.")
    for name in ("starts_at", "ends_at"):
        value = values.get(name)
        if not isinstance(value, datetime.datetime):
            errors[name] = _("A date and time, please.")
        elif not EARLIEST <= value <= LATEST:
            errors[name] = _("A date from 1970 to 2999.")
    starts, ends = values.get("starts_at"), values.get("ends_at")
    if isinstance(starts, datetime.datetime) and isinstance(ends, datetime.datetime) and ends <= starts:
        errors["ends_at"] = _("The event ends after it starts.")
    if values.get("kind") not in EventKind.values:
        errors["kind"] = _("Online or offline.")
    if values.get("language") not in LANGUAGE_CODES:
        errors["language"] = _("Choose one of %(codes)s.") % {"codes": ", ".join(LANGUAGE_CODES)}
    capacity = values.get("capacity")
    if capacity is not None and not (isinstance(capacity, int) and 1 <= capacity <= MAX_CAPACITY):
        errors["capacity"] = _("Places: a whole number from 1 to %(most)s.") % {"most": MAX_CAPACITY}
    hours = values.get("reminder_hours", 24)
    if not (isinstance(hours, int) and 0 <= hours <= 720):
        errors["reminder_hours"] = _("Remind from 0 to 720 hours before.")
    url = str(values.get("online_url", ""))
    if url and not url.startswith(("https://", "http://")):
        errors["online_url"] = _("An address starting with https://.")
    if errors:
        raise ValidationError(errors)


EVENT_FIELDS = (
    "title",
    "description",
    "kind",
    "starts_at",
    "ends_at",
    "location",
    "online_url",
    "language",
    "capacity",
    "registration_open",
    "reminder_hours",
    "follow_up_message",
)


@transaction.atomic
def event_create(*, actor: Actor, membership: Membership, **values: Any) -> Event:
    require(membership, Action.COMMUNITY_MANAGE)
    values = {key: value for key, value in values.items() if key in EVENT_FIELDS}
    values.setdefault("kind", EventKind.OFFLINE)
    values.setdefault("language", "en")
    _aware(values)
    _check(values)
    event = Event.objects.create(
        workspace=membership.workspace, slug=secrets.token_urlsafe(12), created_by=actor.user, **values
    )
    audit.record(
        actor,
        "community.event.create",
        workspace=membership.workspace,
        target=event,
        after=audit.snapshot(event, AUDITED),
    )
    return event


@transaction.atomic
def event_update(*, actor: Actor, membership: Membership, event: Event, **values: Any) -> Event:
    require(membership, Action.COMMUNITY_MANAGE)
    before = audit.snapshot(event, AUDITED)
    merged = {name: getattr(event, name) for name in EVENT_FIELDS} | {
        key: value for key, value in values.items() if key in EVENT_FIELDS
    }
    _aware(merged)
    _check(merged)
    for name, value in merged.items():
        setattr(event, name, value)
    event.save()
    audit.record(
        actor,
        "community.event.update",
        workspace=membership.workspace,
        target=event,
        before=before,
        after=audit.snapshot(event, AUDITED),
    )
    return event


def events(workspace: Workspace | int) -> QuerySet[Event]:
    return Event.objects.for_workspace(workspace).annotate(
        registered=Count("registrations", filter=Q(registrations__status__in=PLACES)),
        attended=Count("registrations", filter=Q(registrations__status=RegistrationStatus.ATTENDED)),
    )


def public_event(slug: str) -> Event:
    return Event.objects.get(slug=slug)


def public_url(path: str) -> str:
    return f"{settings.PUBLIC_URL.rstrip('/')}{path}" if settings.PUBLIC_URL else path


# --- tickets: their address as a QR code, scanned at the door ---------------------------------------

QR_ERROR_LEVEL = "m"  # recovers 15 % of the code: a creased or dim phone screen still reads
QR_SCALE = {"svg": 6, "png": 8}  # pixels per module
_TICKET_IN_TEXT = re.compile(r"/community/ticket/([A-Za-z0-9_-]{20,64})/?")


def ticket_path(registration: EventRegistration) -> str:
    return reverse("community:event_ticket", args=[registration.token])


def ticket_qr(url: str, kind: Literal["svg", "png"]) -> bytes:
    """The QR code of a ticket's address (``url``), as an SVG or PNG image: scanned at the door, it opens
    the ticket, where a person who may check people in does so (or the check-in form takes the address
    from a scanner that types it)."""
    buffer = io.BytesIO()
    segno.make(url, error=QR_ERROR_LEVEL, micro=False).save(buffer, kind=kind, scale=QR_SCALE[kind], border=4)
    return buffer.getvalue()


# --- registration ----------------------------------------------------------------------------------


def form_stamp() -> str:
    """The signed time the public form was shown (a bot posting at once, or a stale form, is refused)."""
    return _signer.sign(str(int(timezone.now().timestamp())))


def check_form_stamp(stamp: str, *, now: datetime.datetime | None = None) -> None:
    try:
        shown = int(_signer.unsign(stamp, max_age=FORM_MAX_SECONDS))
    except (signing.BadSignature, ValueError):
        raise ValidationError(_("The form has expired. Please load the page again.")) from None
    if (now or timezone.now()).timestamp() - shown < FORM_MIN_SECONDS:
        raise ValidationError(_("That was too fast. Please check your details and send the form again."))


def _new_code(event: Event) -> str:
    taken = set(EventRegistration.objects.filter(event=event).values_list("code", flat=True))
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
        if code not in taken:
            return code


def _member_for(workspace_id: int, name: str, email: str) -> tuple[Member, bool]:
    """The live member this e-mail belongs to, or a new member with an ``event`` identity (a person who
    signs up themselves is added even if erased before: this is their new request)."""
    found = (
        Member.objects.for_workspace(workspace_id).filter(merged_into__isnull=True, email=email).order_by("pk").first()
    )
    if found is None:
        member_id = (
            Identity.objects.for_workspace(workspace_id)
            .filter(email=email)
            .order_by("pk")
            .values_list("member_id", flat=True)
            .first()
        )
        found = Member.objects.filter(pk=member_id).first() if member_id else None
    if found is not None:
        return found, False
    now = timezone.now()
    member = Member.objects.create(
        workspace_id=workspace_id, display_name=name[:300], email=email, created_at=now, last_active_at=now
    )
    Identity.objects.create(
        workspace_id=workspace_id,
        member=member,
        network="event",
        key=services.identity_key("event", email=email),
        display_name=name[:300],
        email=email,
        source=IdentitySource.EVENT,
        created_at=now,
    )
    return member, True


@transaction.atomic
def register(event: Event, *, name: str, email: str, consent: bool = False, invitation: str = "") -> EventRegistration:
    """A person signs up on the public page (or accepts an invitation: ``invitation`` is its token)."""
    errors: dict[str, str] = {}
    name = name.strip()
    normalized = matching.normalize_email(email)
    if not name or len(name) > 300:
        errors["name"] = _("Your name, please (at most 300 characters).")
    try:
        validate_email(normalized)
    except ValidationError:
        errors["email"] = _("An e-mail address, please.")
    if errors:
        raise ValidationError(errors)
    event = Event.objects.select_for_update().get(pk=event.pk)
    if not event.registration_open or event.ends_at <= timezone.now():
        raise ValidationError(_("Registration for this event is closed."))
    invited = EventRegistration.objects.filter(event=event, token=invitation).first() if invitation else None
    member, is_new = (invited.member, False) if invited else _member_for(event.workspace_id, name, normalized)
    registration = invited or EventRegistration.objects.filter(event=event, member=member).first()
    if registration is not None and registration.status in PLACES:
        return registration
    taken = EventRegistration.objects.filter(event=event, status__in=PLACES).count()
    if event.capacity is not None and taken >= event.capacity:
        raise ValidationError(_("The event is full."))
    now = timezone.now()
    if registration is None:
        registration = EventRegistration(
            workspace_id=event.workspace_id,
            event=event,
            member=member,
            token=secrets.token_urlsafe(32),
            code=_new_code(event),
            is_new_member=is_new,
        )
    registration.name = name
    registration.email = normalized
    registration.status = RegistrationStatus.REGISTERED
    registration.registered_at = now
    registration.save()
    if consent and not member.consent_marketing:
        member.consent_marketing = True
        member.consent_recorded_at = now
        member.consent_source = f"event registration #{event.pk}"
        member.save(update_fields=["consent_marketing", "consent_recorded_at", "consent_source"])
    transaction.on_commit(lambda: _send(event, registration, "confirmation"))
    return registration


def cancel(registration: EventRegistration) -> EventRegistration:
    """The person cancels from their ticket page (the link's token is their proof)."""
    if registration.status != RegistrationStatus.ATTENDED:
        registration.status = RegistrationStatus.CANCELLED
        registration.save(update_fields=["status"])
    return registration


# --- e-mail ----------------------------------------------------------------------------------------


def _when(event: Event) -> str:
    return timezone.localtime(event.starts_at).strftime("%Y-%m-%d %H:%M")


def _message(event: Event, registration: EventRegistration, kind: str) -> tuple[str, str]:
    ticket = public_url(reverse("community:event_ticket", args=[registration.token]))
    page = public_url(reverse("community:event_public", args=[event.slug]))
    place = event.online_url if event.kind == EventKind.ONLINE else event.location
    if kind == "invitation":
        subject = _("Invitation: %(title)s") % {"title": event.title}
        body = _("You are invited to %(title)s on %(when)s (%(place)s).\n\nSign up here: %(link)s") % {
            "title": event.title,
            "when": _when(event),
            "place": place,
            "link": f"{page}?invitation={registration.token}",
        }
    elif kind == "confirmation":
        subject = _("You are registered: %(title)s") % {"title": event.title}
        body = _(
            "Thank you for signing up for %(title)s on %(when)s (%(place)s).\n\n"
            "Your ticket code is %(code)s. Show it at the door: %(link)s"
        ) % {"title": event.title, "when": _when(event), "place": place, "code": registration.code, "link": ticket}
    elif kind == "reminder":
        subject = _("Reminder: %(title)s") % {"title": event.title}
        body = _("%(title)s starts on %(when)s (%(place)s).\n\nYour ticket code is %(code)s: %(link)s") % {
            "title": event.title,
            "when": _when(event),
            "place": place,
            "code": registration.code,
            "link": ticket,
        }
    else:
        subject = _("Thank you for coming: %(title)s") % {"title": event.title}
        body = event.follow_up_message
    return subject, body


def _send(event: Event, registration: EventRegistration, kind: str) -> bool:
    if not registration.email:
        return False
    with translation.override(event.language):
        subject, body = _message(event, registration, kind)
    EmailMessage(subject, body, to=[registration.email]).send(fail_silently=False)
    return True


EMAIL = "email"
# How a segment is invited: by e-mail only, by direct message only, or by direct message where the
# brand has a direct-message thread with the person on a working connected account, else by e-mail.
InviteChannels = Literal["email", "direct_message", "direct_message_or_email"]
INVITE_CHANNELS: tuple[str, ...] = ("email", "direct_message", "direct_message_or_email")


@dataclass(frozen=True)
class InviteResult:
    invited: int
    already: int
    skipped: int  # no marketing consent, or no way to reach them by the channels asked for
    by_email: int = 0
    by_direct_message: int = 0


def _direct_threads(workspace_id: int, member_ids: Sequence[int]) -> dict[int, tuple[str, int, str]]:
    """Each member's direct-message thread (network, account id, message to answer) on a working
    connected account that can answer; members without one are left out."""
    accounts = {
        account.id
        for account in connectors_facade.target_accounts(workspace_id, capability=Capability.REPLY)
        if account.status == "active"
    }
    if not accounts or not member_ids:
        return {}
    owners: dict[tuple[str, str], int] = {}
    for member_id, network, handle in (
        Identity.objects.for_workspace(workspace_id)
        .filter(member_id__in=member_ids)
        .exclude(handle="")
        .order_by("pk")
        .values_list("member_id", "network", "handle")
    ):
        bare = handle.lstrip("@")
        for spelling in (handle, bare, f"@{bare}"):  # the inbox keeps the handle as the network wrote it
            owners.setdefault((network, spelling), member_id)
    found: dict[int, tuple[str, int, str]] = {}
    for thread in inbox_facade.direct_threads(workspace_id, list(owners)):
        member_id = owners[(thread.network, thread.handle)]
        if thread.account_id in accounts and member_id not in found:
            found[member_id] = (thread.network, thread.account_id, thread.reply_to)
    return found


@transaction.atomic
def invite_segment(
    *,
    actor: Actor,
    membership: Membership,
    event: Event,
    segment: Segment,
    channels: InviteChannels = "direct_message_or_email",
) -> InviteResult:
    """Invite the segment's members who gave marketing consent, at most ``INVITE_LIMIT``, each once:
    by a direct message in their thread with a connected account where ``channels`` allows and they
    have one, else by e-mail where allowed and they have an address. The messages are sent by the job
    ``community.send_invitations`` after the commit; each invitation keeps its channel and outcome."""
    require(membership, Action.COMMUNITY_MANAGE)
    if segment.workspace_id != event.workspace_id:
        raise ValidationError({"segment": _("The segment is not of this workspace.")})
    if channels not in INVITE_CHANNELS:
        raise ValidationError({"channels": _("Choose one of %(codes)s.") % {"codes": ", ".join(INVITE_CHANNELS)}})
    members = list(segments.members(event.workspace_id, segment)[:INVITE_LIMIT])
    known = set(EventRegistration.objects.filter(event=event).values_list("member_id", flat=True))
    # Sent in the order the members were found (oldest first), whatever the segment's order.
    candidates = sorted(
        (member for member in members if member.pk not in known and member.consent_marketing), key=lambda m: m.pk
    )
    threads = _direct_threads(event.workspace_id, [member.pk for member in candidates]) if channels != EMAIL else {}
    now = timezone.now()
    created: list[EventRegistration] = []
    taken = set(EventRegistration.objects.filter(event=event).values_list("code", flat=True))
    for member in candidates:
        thread = threads.get(member.pk)
        if thread is None and (channels == "direct_message" or not member.email):
            continue
        code = _new_code(event)
        while code in taken:
            code = _new_code(event)
        taken.add(code)
        created.append(
            EventRegistration(
                workspace_id=event.workspace_id,
                event=event,
                member=member,
                name=member.display_name,
                email=member.email,
                status=RegistrationStatus.INVITED,
                token=secrets.token_urlsafe(32),
                code=code,
                invited_at=now,
                invite_channel=thread[0] if thread else EMAIL,
                invite_status=InviteStatus.PENDING,
                invite_account_id=thread[1] if thread else None,
                invite_reply_to=thread[2][:500] if thread else "",
            )
        )
    EventRegistration.objects.bulk_create(created, batch_size=1000)
    already = sum(1 for member in members if member.pk in known)
    by_email = sum(1 for row in created if row.invite_channel == EMAIL)
    result = InviteResult(
        invited=len(created),
        already=already,
        skipped=len(members) - already - len(created),
        by_email=by_email,
        by_direct_message=len(created) - by_email,
    )
    audit.record(
        actor,
        "community.event.invite",
        workspace=membership.workspace,
        target=event,
        after={
            "segment": segment.pk,
            "channels": channels,
            "invited": result.invited,
            "by_email": result.by_email,
            "by_direct_message": result.by_direct_message,
            "skipped": result.skipped,
        },
    )
    if created:
        from pappus.community import tasks  # the jobs module imports this one: imported when needed

        enqueue_on_commit(tasks.send_invitations, event.pk)
    return result


@dataclass(frozen=True)
class SendResult:
    sent: int
    failed: int
    waiting: int  # the network asked to wait or failed for now: sent again by a later run


def _invitation_text(event: Event, registration: EventRegistration) -> str:
    with translation.override(event.language):
        subject, body = _message(event, registration, "invitation")
    return f"{subject}\n\n{body}"


CLAIM_EXPIRES = datetime.timedelta(hours=1)  # a run that died while sending: its invitations wait again


def _open() -> Q:
    """Invitations a run may take: waiting, or taken by a run that has not finished within the hour."""
    return Q(invite_status=InviteStatus.PENDING) | Q(
        invite_status=InviteStatus.SENDING, invite_sent_at__lt=timezone.now() - CLAIM_EXPIRES
    )


def _claim(row: EventRegistration) -> bool:
    """Take the invitation for this run just before sending it: two runs at once (the job and the hourly
    pass) never send one invitation twice. ``invite_sent_at`` holds the time it was taken until settled."""
    now = timezone.now()
    taken = EventRegistration.objects.filter(_open(), pk=row.pk).update(
        invite_status=InviteStatus.SENDING, invite_sent_at=now
    )
    return taken == 1


def _settle(row: EventRegistration, status: str, error: str = "") -> None:
    row.invite_status = status
    row.invite_error = error[:2000]
    row.invite_sent_at = timezone.now() if status == InviteStatus.SENT else None
    row.save(update_fields=["invite_status", "invite_error", "invite_sent_at"])


def _send_direct(event: Event, account_id: int, rows: Sequence[EventRegistration]) -> tuple[int, int, int]:
    """One account's direct messages: an answer in each person's thread, through the connectors facade."""
    sent = failed = waiting = 0
    try:
        connector = connectors_facade.connector_for_account(event.workspace_id, account_id)
    except ConnectorError as error:
        for row in rows:
            _settle(row, InviteStatus.FAILED, str(error))
        return 0, len(rows), 0
    with connector:
        paused: ConnectorError | None = None
        for row in rows:
            if paused is not None:
                waiting += 1
                continue
            if not _claim(row):
                continue  # another run is sending it
            request = PublishRequest(
                text=_invitation_text(event, row),
                idempotency_key=str(uuid.uuid5(uuid.NAMESPACE_URL, f"pappus:invitation:{row.token}")),
            )
            try:
                connector.reply(row.invite_reply_to, request)
            except ConnectorError as error:
                if error.retryable:  # rate limited or down for now: the rest of this account waits too
                    paused = error
                    waiting += 1
                    _settle(row, InviteStatus.PENDING, str(error))
                    continue
                _settle(row, InviteStatus.FAILED, str(error))
                failed += 1
                if isinstance(error, AuthExpiredError):
                    connectors_facade.record_failure(event.workspace_id, account_id, error)
                    paused = error
            else:
                _settle(row, InviteStatus.SENT)
                sent += 1
        if sent:
            connectors_facade.record_success(event.workspace_id, account_id, connector)
        elif paused is not None and not isinstance(paused, AuthExpiredError):
            connectors_facade.record_failure(event.workspace_id, account_id, paused)
    return sent, failed, waiting


def invitations_send(event_id: int) -> SendResult:
    """Send the event's waiting invitations (at most ``INVITE_LIMIT`` a run) and keep each outcome: the
    network's or mail server's reason when refused. Idempotent: a sent or failed invitation is not sent
    again; one the network asked to wait for stays waiting for the next run (the hourly job)."""
    event = Event.objects.get(pk=event_id)
    rows = list(EventRegistration.objects.filter(_open(), event=event).order_by("pk")[:INVITE_LIMIT])
    sent = failed = waiting = 0
    by_account: dict[int, list[EventRegistration]] = {}
    for row in rows:
        if row.invite_channel != EMAIL:
            if row.invite_account_id is None:
                _settle(row, InviteStatus.FAILED, _("No connected account to send from."))
                failed += 1
            else:
                by_account.setdefault(row.invite_account_id, []).append(row)
            continue
        if not _claim(row):
            continue  # another run is sending it
        try:
            delivered = _send(event, row, "invitation")
        except OSError as error:  # the mail server refused or could not be reached (smtplib's errors are OSErrors)
            _settle(row, InviteStatus.FAILED, str(error) or type(error).__name__)
            failed += 1
            continue
        if delivered:
            _settle(row, InviteStatus.SENT)
            sent += 1
        else:
            _settle(row, InviteStatus.FAILED, _("No e-mail address."))
            failed += 1
    for account_id, group in by_account.items():
        counts = _send_direct(event, account_id, group)
        sent, failed, waiting = sent + counts[0], failed + counts[1], waiting + counts[2]
    return SendResult(sent=sent, failed=failed, waiting=waiting)


def invitations_send_due(workspace_id: int) -> int:
    """Every event of the workspace with invitations still waiting (a job that died, a network that
    asked to wait): send them now. Returns how many were sent."""
    pending = (
        EventRegistration.objects.for_workspace(workspace_id)
        .filter(_open(), event__ends_at__gt=timezone.now())
        .values_list("event_id", flat=True)
        .distinct()
    )
    return sum(invitations_send(event_id).sent for event_id in sorted(set(pending)))


@dataclass(frozen=True)
class InvitationCount:
    channel: str  # "email" or a network
    sent: int
    failed: int
    waiting: int


def invitation_counts(event: Event) -> list[InvitationCount]:
    """Invitations of the event by channel and outcome: the accounting of what was sent and what failed."""
    table: dict[str, dict[str, int]] = {}
    for channel, status, number in (
        EventRegistration.objects.filter(event=event)
        .exclude(invite_status="")
        .values_list("invite_channel", "invite_status")
        .annotate(number=Count("pk"))
        .order_by()
    ):
        table.setdefault(channel, {})[status] = number
    return [
        InvitationCount(
            channel=channel,
            sent=counts.get(InviteStatus.SENT, 0),
            failed=counts.get(InviteStatus.FAILED, 0),
            waiting=counts.get(InviteStatus.PENDING, 0) + counts.get(InviteStatus.SENDING, 0),
        )
        for channel, counts in sorted(table.items())
    ]


def reminders_send(workspace_id: int, *, now: datetime.datetime | None = None) -> int:
    """Remind the registered people of events starting within each event's ``reminder_hours`` (once)."""
    now = now or timezone.now()
    sent = 0
    for event in Event.objects.for_workspace(workspace_id).filter(starts_at__gt=now, reminder_hours__gt=0):
        if event.starts_at - now > datetime.timedelta(hours=event.reminder_hours):
            continue
        rows = list(
            EventRegistration.objects.filter(
                event=event, status=RegistrationStatus.REGISTERED, reminded_at__isnull=True
            ).exclude(email="")
        )
        for row in rows:
            if _send(event, row, "reminder"):
                row.reminded_at = now
                row.save(update_fields=["reminded_at"])
                sent += 1
        if rows and event.reminders_sent_at is None:
            Event.objects.filter(pk=event.pk).update(reminders_sent_at=now)
    return sent


def follow_ups_send(workspace_id: int, *, now: datetime.datetime | None = None) -> int:
    """After an event with a follow-up message has ended, write to everyone who attended (once)."""
    now = now or timezone.now()
    sent = 0
    for event in Event.objects.for_workspace(workspace_id).filter(ends_at__lte=now).exclude(follow_up_message=""):
        rows = list(
            EventRegistration.objects.filter(
                event=event, status=RegistrationStatus.ATTENDED, followed_up_at__isnull=True
            ).exclude(email="")
        )
        for row in rows:
            if _send(event, row, "follow_up"):
                row.followed_up_at = now
                row.save(update_fields=["followed_up_at"])
                sent += 1
        if event.follow_up_sent_at is None and rows:
            Event.objects.filter(pk=event.pk).update(follow_up_sent_at=now)
    return sent


# --- check-in --------------------------------------------------------------------------------------


@transaction.atomic
def check_in(*, actor: Actor, membership: Membership, event: Event, code: str) -> EventRegistration:
    """Check a person in by their ticket code (typed, or read from the ticket page at the door) or by the
    ticket's address (scanned from its QR code): they attended, and the member gets an ``event``
    activity that the loyalty ladder weighs."""
    require(membership, Action.COMMUNITY_MANAGE)
    scanned = _TICKET_IN_TEXT.search(code)
    rows = EventRegistration.objects.select_for_update().filter(event=event).select_related("member")
    if scanned is not None:  # a scanner typed the ticket's address from its QR code
        registration = rows.filter(token=scanned.group(1)).first()
    else:
        registration = rows.filter(code="".join(code.split()).upper()).first()
    if registration is None:
        raise ValidationError({"code": _("No ticket with this code for this event.")})
    if registration.status == RegistrationStatus.CANCELLED:
        raise ValidationError({"code": _("This registration was cancelled.")})
    if registration.status != RegistrationStatus.ATTENDED:
        now = timezone.now()
        registration.status = RegistrationStatus.ATTENDED
        registration.checked_in_at = now
        registration.save(update_fields=["status", "checked_in_at"])
        member = registration.member
        while member.merged_into_id:
            member = Member.objects.get(pk=member.merged_into_id)
        identity = Identity.objects.filter(member=member).order_by("pk").first()
        if identity is not None:
            services.activities_add(
                event.workspace_id,
                {(identity.network, identity.key): identity},
                [
                    services.ActivityValues(
                        identity_pair=(identity.network, identity.key),
                        kind=ActivityKind.EVENT,
                        external_ref=f"event:{event.pk}:{registration.pk}",
                        occurred_at=now,
                        title=event.title[:300],
                    )
                ],
            )
            Member.objects.filter(pk=member.pk, last_active_at__lt=now).update(last_active_at=now)
        audit.record(
            actor,
            "community.event.check_in",
            workspace=membership.workspace,
            target=event,
            object_repr=f"registration #{registration.pk}",
        )
    return registration


# --- KPIs ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventKpis:
    invited: int  # people invited from a segment (whatever they did next)
    registered: int
    attended: int
    cancelled: int
    new_members: int
    attendance_rate: float | None
    active_after: int  # attendees with an activity (other than the event) within AFTER_DAYS after it
    activities_after: int


def kpis(event: Event) -> EventKpis:
    counts = dict(
        EventRegistration.objects.filter(event=event)
        .values_list("status")
        .annotate(number=Count("pk"))
        .values_list("status", "number")
    )
    registered = counts.get(RegistrationStatus.REGISTERED, 0) + counts.get(RegistrationStatus.ATTENDED, 0)
    attended = counts.get(RegistrationStatus.ATTENDED, 0)
    attendees = EventRegistration.objects.filter(event=event, status=RegistrationStatus.ATTENDED).values("member_id")
    after = (
        Activity.objects.for_workspace(event.workspace_id)
        .filter(
            member_id__in=attendees,
            occurred_at__gte=event.ends_at,
            occurred_at__lt=event.ends_at + datetime.timedelta(days=AFTER_DAYS),
        )
        .exclude(kind=ActivityKind.EVENT)
        .aggregate(activities=Count("pk"), members=Count("member_id", distinct=True))
    )
    return EventKpis(
        invited=EventRegistration.objects.filter(event=event, invited_at__isnull=False).count(),
        registered=registered,
        attended=attended,
        cancelled=counts.get(RegistrationStatus.CANCELLED, 0),
        new_members=EventRegistration.objects.filter(event=event, is_new_member=True).count(),
        attendance_rate=round(attended / registered, 4) if registered else None,
        active_after=after["members"] or 0,
        activities_after=after["activities"] or 0,
    )


def registrations(event: Event) -> QuerySet[EventRegistration]:
    return EventRegistration.objects.filter(event=event).order_by("status", "name", "id")


def event_for(workspace: Workspace | int, event_id: int) -> Event:
    return Event.objects.for_workspace(workspace).get(pk=event_id)
