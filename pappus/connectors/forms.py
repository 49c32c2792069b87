"""Forms of the connectors pages: built from each connector's ``connect_fields``."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from pappus.connectors.base import HttpConnector
from pappus.core.models import Region


class ConnectForm(forms.Form):
    """The address of the server and the values the network's connector asks for."""

    base_url = forms.URLField(
        label=_("Server address"),
        max_length=500,
        assume_scheme="https",
        help_text=_("The address of the server the account lives on, such as https://mastodon.social."),
    )
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none(), required=False)

    def __init__(
        self,
        connector_class: type[HttpConnector],
        regions: QuerySet[Region] | None,
        *args: Any,
        secrets_only: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.connector_class = connector_class
        if secrets_only:
            del self.fields["base_url"]
            del self.fields["region"]
        else:
            self.fields["base_url"].initial = connector_class.default_base_url
            region_field = cast("forms.ModelChoiceField[Region]", self.fields["region"])
            region_field.queryset = regions if regions is not None else Region.objects.none()
        for field in connector_class.connect_fields:
            if secrets_only and not field.secret:
                continue
            widget = forms.PasswordInput(render_value=False) if field.secret else forms.TextInput()
            widget.attrs["autocomplete"] = "off"
            self.fields[field.name] = forms.CharField(
                label=field.label,
                help_text=field.help_text,
                required=field.required and not secrets_only,
                widget=widget,
                strip=True,
            )

    def credentials(self) -> dict[str, str]:
        return {
            field.name: self.cleaned_data.get(field.name) or ""
            for field in self.connector_class.connect_fields
            if field.secret
        }

    def options(self) -> dict[str, str]:
        return {
            field.name: self.cleaned_data.get(field.name) or ""
            for field in self.connector_class.connect_fields
            if not field.secret
        }


class AccountSettingsForm(forms.Form):
    """Settings of one connected account that are not credentials."""

    idempotency_window_override = forms.IntegerField(
        label=_("Idempotency window (seconds)"),
        required=False,
        min_value=0,
        max_value=86_400,
        help_text=_(
            "How long this account's server honours an idempotency key, so that a post whose send got no "
            "answer can be sent again without posting twice. Leave empty to use what the network documents; "
            "enter 0 for a server that ignores the key (then such a post waits for a person)."
        ),
    )
