"""Forms of the OAuth pages: the workspace's app for a network, and what to ask before signing in."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from pappus.connectors.base import HttpConnector
from pappus.connectors.oauth import OAuthSpec
from pappus.core.models import Region


class OAuthAppForm(forms.Form):
    """The client id and secret of the app the workspace registered with the network, and its endpoints."""

    client_id = forms.CharField(label=_("Client id"), max_length=300, strip=True)
    client_secret = forms.CharField(
        label=_("Client secret"),
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_("Stored encrypted and never shown again; leave empty to keep the stored one."),
    )
    scopes = forms.CharField(
        label=_("Scopes"),
        max_length=1000,
        required=False,
        help_text=_("Separated by spaces; empty asks for the scopes Pappus needs (listed on this page)."),
    )
    authorize_url = forms.URLField(label=_("Authorization address"), max_length=500, assume_scheme="https")
    token_url = forms.URLField(label=_("Token address"), max_length=500, assume_scheme="https")
    api_base_url = forms.URLField(label=_("API address"), max_length=500, assume_scheme="https")


class OAuthStartForm(forms.Form):
    """The account's plain options and region, asked before the person is sent to the network."""

    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none(), required=False)

    def __init__(self, connector_class: type[HttpConnector], regions: QuerySet[Region], *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.connector_class = connector_class
        region_field = cast("forms.ModelChoiceField[Region]", self.fields["region"])
        region_field.queryset = regions
        spec = getattr(connector_class, "oauth", None)
        # Where the person picks among the accounts the sign-in gives (Facebook Pages), nothing is asked first.
        self.asks_options = not (isinstance(spec, OAuthSpec) and spec.choose_accounts)
        for field in connector_class.connect_fields:
            if not field.secret and self.asks_options:
                self.fields[field.name] = forms.CharField(
                    label=field.label, help_text=field.help_text, required=False, strip=True
                )

    def options(self) -> dict[str, str]:
        return {
            field.name: self.cleaned_data.get(field.name) or ""
            for field in self.connector_class.connect_fields
            if not field.secret and self.asks_options and self.cleaned_data.get(field.name)
        }


def spec_scopes(spec: OAuthSpec) -> str:
    return " ".join(spec.scopes)
