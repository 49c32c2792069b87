"""The page where people create, list and revoke their own API tokens.

A new token is shown once, in the response to the form that created it (never stored in the
session or passed through a redirect), and that response is marked not to be cached.
"""

from __future__ import annotations

import datetime

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pappus.core import tokens
from pappus.core.models import ApiToken, Membership
from pappus.core.permissions import Action
from pappus.core.views import actor_of, member_required

EXPIRY_CHOICES = [
    ("", gettext_lazy("Never")),
    ("30", gettext_lazy("In 30 days")),
    ("90", gettext_lazy("In 90 days")),
    ("365", gettext_lazy("In a year")),
]


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What the token is for, such as “weekly report script”."),
    )
    expires_in_days = forms.TypedChoiceField(
        label=gettext_lazy("Expires"), choices=EXPIRY_CHOICES, coerce=int, empty_value=None, required=False
    )

    def expires_at(self) -> datetime.datetime | None:
        days: int | None = self.cleaned_data.get("expires_in_days")
        return timezone.now() + datetime.timedelta(days=days) if days else None


@member_required(Action.API_TOKENS_MANAGE)
def api_tokens(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = TokenCreateForm(request.POST if request.method == "POST" and "revoke" not in request.POST else None)
    new_token = ""
    if request.method == "POST" and "revoke" in request.POST:
        try:
            token_id = int(request.POST["revoke"])
            revoked = tokens.token_revoke(actor=actor_of(request), membership=membership, token_id=token_id)
        except (ValueError, ApiToken.DoesNotExist):
            messages.error(request, _("That token does not exist."))
        else:
            messages.success(request, _("The token “%(name)s” has been revoked.") % {"name": revoked.name})
        return redirect("core:api_tokens")
    if request.method == "POST" and form.is_valid():
        try:
            issued = tokens.token_create(
                actor=actor_of(request),
                membership=membership,
                name=form.cleaned_data["name"],
                expires_at=form.expires_at(),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            new_token = issued.plain
            form = TokenCreateForm()
    context = {
        "page_title": _("API tokens"),
        "form": form,
        "new_token": new_token,
        "tokens": tokens.tokens_of(membership),
        "now": timezone.now(),
        "api_base_url": request.build_absolute_uri("/api/v1/"),
    }
    response = render(request, "core/api_tokens.html", context, status=400 if form.errors else 200)
    add_never_cache_headers(response)
    return response
