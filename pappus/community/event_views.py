"""The events pages: the list (with a form for a new event), an event's page (KPIs, registrations,
invitations and their outcome, check-in), and the public pages without login: the registration page in
the event's language and a person's ticket with its QR code (the link is the secret); a signed-in person
who may check people in scans the QR code and checks the person in on the ticket page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from pappus.community import events, segments
from pappus.community.event_forms import CheckInForm, EventForm, InviteForm, RegistrationForm
from pappus.community.models import Event, EventRegistration, Segment
from pappus.community.views import _apply, _rights
from pappus.core.models import Membership, User
from pappus.core.permissions import Action, require, role_allows
from pappus.core.views import actor_of, member_required


@require_http_methods(["GET", "POST"])
@member_required(Action.COMMUNITY_VIEW)
def event_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = EventForm(request.POST or None)
    if request.method == "POST":
        require(membership, Action.COMMUNITY_MANAGE)
        if form.is_valid():
            try:
                event = events.event_create(actor=actor_of(request), membership=membership, **form.cleaned_data)
            except ValidationError as error:
                _apply(form, error)
            else:
                messages.success(request, _("The event has been created."))
                return redirect("community:event", event_id=event.pk)
    context = {
        "page_title": _("Events"),
        "events": events.events(membership.workspace)[:100],
        "form": form,
        **_rights(membership),
    }
    return render(request, "community/events.html", context)


@require_http_methods(["GET", "POST"])
@member_required(Action.COMMUNITY_VIEW)
def event_detail(request: HttpRequest, membership: Membership, event_id: int) -> HttpResponse:
    event = get_object_or_404(Event.objects.for_workspace(membership.workspace), pk=event_id)
    choices = list(segments.segments(membership.workspace).values_list("pk", "name"))
    form_name = request.POST.get("form", "")
    edit = EventForm(request.POST if form_name == "edit" else None, initial=EventForm.initial_of(event))
    invite = InviteForm(request.POST if form_name == "invite" else None, segments=choices)
    check = CheckInForm(request.POST if form_name == "check_in" else None)
    if request.method == "POST":
        require(membership, Action.COMMUNITY_MANAGE)
        actor = actor_of(request)
        try:
            if form_name == "edit" and edit.is_valid():
                events.event_update(actor=actor, membership=membership, event=event, **edit.cleaned_data)
                messages.success(request, _("The event has been saved."))
                return redirect("community:event", event_id=event.pk)
            if form_name == "invite" and invite.is_valid():
                segment = get_object_or_404(
                    Segment.objects.for_workspace(membership.workspace), pk=invite.cleaned_data["segment"]
                )
                result = events.invite_segment(
                    actor=actor,
                    membership=membership,
                    event=event,
                    segment=segment,
                    channels=invite.cleaned_data["channels"],
                )
                messages.success(
                    request,
                    _(
                        "%(invited)s invited (%(direct)s by direct message, %(email)s by e-mail); %(already)s had "
                        "been already; %(skipped)s without consent or a way to reach them."
                    )
                    % {
                        "invited": result.invited,
                        "direct": result.by_direct_message,
                        "email": result.by_email,
                        "already": result.already,
                        "skipped": result.skipped,
                    },
                )
                return redirect("community:event", event_id=event.pk)
            if form_name == "check_in" and check.is_valid():
                registration = events.check_in(
                    actor=actor, membership=membership, event=event, code=check.cleaned_data["code"]
                )
                messages.success(request, _("%(name)s is checked in.") % {"name": registration.name})
                return redirect("community:event", event_id=event.pk)
        except ValidationError as error:
            _apply({"edit": edit, "invite": invite, "check_in": check}.get(form_name, edit), error)
    context = {
        "page_title": event.title,
        "event": event,
        "kpis": events.kpis(event),
        "invitations": events.invitation_counts(event),
        "registrations": events.registrations(event)[:500],
        "edit_form": edit,
        "invite_form": invite,
        "check_form": check,
        "public_link": events.public_url(f"/community/e/{event.slug}/"),
        **_rights(membership),
    }
    return render(request, "community/event.html", context)


@require_http_methods(["GET", "POST"])
def event_public(request: HttpRequest, slug: str) -> HttpResponse:
    """The public registration page: no login, in the event's language, spam-protected."""
    event = get_object_or_404(Event, slug=slug)
    with translation.override(event.language):
        initial = {"invitation": request.GET.get("invitation", "")[:100]}
        form = RegistrationForm(request.POST or None, initial=initial)
        status = 200
        if request.method == "POST":
            if form.is_valid():
                data = form.cleaned_data
                try:
                    if data["website"]:
                        raise ValidationError(_("The form could not be sent."))
                    events.check_form_stamp(data["stamp"])
                    registration = events.register(
                        event,
                        name=data["name"],
                        email=data["email"],
                        consent=data["consent"],
                        invitation=data["invitation"],
                    )
                except ValidationError as error:
                    _apply(form, error)
                else:
                    return redirect("community:event_ticket", token=registration.token)
            status = 400
        # Each showing of the form carries a fresh signed time (a refused try needs a new one).
        context = {
            "page_title": event.title,
            "event": event,
            "form": form,
            "stamp": events.form_stamp(),
            "language": event.language,
        }
        return render(request, "community/event_public.html", context, status=status)


def _ticket_or_404(token: str) -> EventRegistration:
    registration = EventRegistration.objects.select_related("event").filter(token=token).first()
    if registration is None or len(token) < 20:
        raise Http404
    return registration


def _door_membership(request: HttpRequest, event_workspace_id: int) -> Membership | None:
    """The signed-in person's membership of the event's workspace when it may check people in."""
    user = request.user
    if not isinstance(user, User):
        return None
    membership = Membership.objects.for_workspace(event_workspace_id).filter(user=user, is_active=True).first()
    if membership is None or not role_allows(membership.role, Action.COMMUNITY_MANAGE):
        return None
    return membership


def ticket_url(request: HttpRequest, registration: EventRegistration) -> str:
    """The ticket's full address (the installation's public address when set): what its QR code holds."""
    path = events.ticket_path(registration)
    return events.public_url(path) if settings.PUBLIC_URL else request.build_absolute_uri(path)


@require_http_methods(["GET", "POST"])
def event_ticket(request: HttpRequest, token: str) -> HttpResponse:
    """A person's ticket: the event, their code and its QR code to show at the door; they may cancel here.
    Opened by a signed-in person who may check people in (the QR code scanned at the door), it offers
    to check the person in."""
    registration = _ticket_or_404(token)
    event = registration.event
    door = _door_membership(request, event.workspace_id)
    with translation.override(event.language):
        if request.method == "POST" and request.POST.get("check_in") and door is not None:
            try:
                events.check_in(actor=actor_of(request), membership=door, event=event, code=registration.code)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("%(name)s is checked in.") % {"name": registration.name})
            return redirect("community:event_ticket", token=token)
        if request.method == "POST" and request.POST.get("cancel"):
            events.cancel(registration)
            return redirect("community:event_ticket", token=token)
        context = {
            "page_title": event.title,
            "event": event,
            "registration": registration,
            "language": event.language,
            "may_check_in": door is not None,
        }
        return render(request, "community/event_ticket.html", context)


@require_http_methods(["GET"])
def event_ticket_qr(request: HttpRequest, token: str, kind: str) -> HttpResponse:
    """The ticket's QR code (SVG for the page, PNG for e-mail and printing): it holds the ticket's address."""
    registration = _ticket_or_404(token)
    if kind not in ("svg", "png") or registration.status == "cancelled":
        raise Http404
    image = events.ticket_qr(ticket_url(request, registration), "svg" if kind == "svg" else "png")
    response = HttpResponse(image, content_type="image/svg+xml" if kind == "svg" else "image/png")
    response["Cache-Control"] = "private, max-age=3600"
    return response
