"""Forms of the events pages: the event, invitations, check-in, and the public sign-up."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from pappus.community.events import MAX_CAPACITY
from pappus.community.models import EventKind


class EventForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    kind = forms.ChoiceField(label=_("Kind"), choices=EventKind.choices)
    starts_at = forms.DateTimeField(label=_("Starts"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label=_("Ends"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    location = forms.CharField(label=_("Place"), required=False, max_length=300)
    online_url = forms.CharField(label=_("Online address"), required=False, max_length=2000)
    language = forms.ChoiceField(
        label=_("Language of the registration page and e-mails"), choices=settings.LANGUAGES, initial="en"
    )
    capacity = forms.IntegerField(label=_("Places"), required=False, min_value=1, max_value=MAX_CAPACITY)
    registration_open = forms.BooleanField(label=_("Registration open"), required=False, initial=True)
    reminder_hours = forms.IntegerField(label=_("Remind hours before"), min_value=0, max_value=720, initial=24)
    follow_up_message = forms.CharField(
        label=_("Follow-up message"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("E-mailed to everyone who attended once the event has ended."),
    )

    @staticmethod
    def initial_of(event: Any) -> dict[str, Any]:
        return {name: getattr(event, name) for name in EventForm.base_fields}


class InviteForm(forms.Form):
    segment = forms.TypedChoiceField(label=_("Segment"), coerce=int)
    channels = forms.ChoiceField(
        label=_("Send by"),
        choices=(
            ("direct_message_or_email", _("By direct message where they wrote to us, else by e-mail")),
            ("email", _("By e-mail only")),
            ("direct_message", _("By direct message only")),
        ),
        initial="direct_message_or_email",
    )

    def __init__(self, *args: Any, segments: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = segments  # type: ignore[attr-defined]


class CheckInForm(forms.Form):
    code = forms.CharField(
        label=_("Ticket code"),
        max_length=2000,
        help_text=_("The code on the ticket, or its QR code read by a scanner."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )


class RegistrationForm(forms.Form):
    """The public sign-up. ``website`` is a trap for bots (hidden from people); ``stamp`` the signed time
    the form was shown."""

    name = forms.CharField(label=_("Your name"), max_length=300)
    email = forms.EmailField(label=_("E-mail"), max_length=320)
    consent = forms.BooleanField(label=_("Send me news and invitations"), required=False)
    website = forms.CharField(
        required=False, max_length=200, widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"})
    )
    stamp = forms.CharField(widget=forms.HiddenInput, max_length=200)
    invitation = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)
