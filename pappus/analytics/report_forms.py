"""Forms of the report archive: a report schedule, and a report made now."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from pappus.analytics.models import ReportKind
from pappus.core.models import LANGUAGE_CHOICES


def split_addresses(text: str) -> list[str]:
    """Addresses separated by commas, semicolons or line breaks."""
    return [part.strip() for part in re.split(r"[,;\n]+", text) if part.strip()]


class _RegionForm(forms.Form):
    region = forms.TypedChoiceField(label=_("Region"), required=False, coerce=int, empty_value=None)

    def __init__(
        self, data: Any = None, *, regions: Sequence[tuple[int, str]], all_regions_allowed: bool, **options: Any
    ) -> None:
        super().__init__(data, **options)
        field = cast(forms.TypedChoiceField, self.fields["region"])
        whole = [("", _("The whole workspace"))] if all_regions_allowed else []
        field.choices = [*whole, *regions]
        field.required = not all_regions_allowed
        field.help_text = _("A region's report includes every spoke below it.")


class ReportScheduleForm(_RegionForm):
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Report"), choices=ReportKind.choices)
    recipients = forms.CharField(
        label=_("Recipients"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("E-mail addresses, one per line or separated by commas."),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("The workspace's language")), *LANGUAGE_CHOICES],
    )
    enabled = forms.BooleanField(label=_("Enabled"), required=False, initial=True)


class ReportNowForm(_RegionForm):
    kind = forms.ChoiceField(label=_("Report"), choices=ReportKind.choices)
    day = forms.DateField(
        label=_("A day in the period"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_("Empty: the latest whole day, week or month."),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        required=False,
        choices=[("", _("The workspace's language")), *LANGUAGE_CHOICES],
    )
    recipients = forms.CharField(
        label=_("E-mail it to"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional: e-mail addresses, one per line or separated by commas."),
    )
