"""Forms of the traffic pages: a site, an upload, the column mapping of an upload."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pappus.traffic import imports


class SiteForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    hosts = forms.CharField(
        label=_("Allowed hosts"),
        required=False,
        max_length=2000,
        help_text=_(
            "Host names whose pages may send page views, separated by spaces (subdomains included). Empty: any."
        ),
    )


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Web analytics export (CSV)"),
        help_text=_("Columns: landing page, date, sessions, and optionally bounces and conversions. At most 5 MB."),
    )


FIELD_LABELS = {
    "landing_page": _("Landing page"),
    "day": _("Date"),
    "sessions": _("Sessions"),
    "bounces": _("Bounces"),
    "conversions": _("Conversions"),
}


class MappingForm(forms.Form):
    """One choice of column per field; bounces and conversions may be left out."""

    def __init__(self, data: Any = None, *, columns: list[str], initial: dict[str, str] | None = None) -> None:
        super().__init__(data, initial=initial)
        choices = [("", _("(not in the file)")), *[(column, column) for column in columns]]
        for name in imports.FIELDS:
            self.fields[name] = forms.ChoiceField(
                label=FIELD_LABELS[name], choices=choices, required=name not in imports.OPTIONAL_FIELDS
            )
