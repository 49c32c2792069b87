"""Forms of the community pages: they parse and check input; the services decide."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pappus.community.models import MAX_RETENTION_DAYS, Stage
from pappus.community.services import IMPORT_FIELDS, MAX_IMPORT_BYTES


class MemberFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        help_text=_("An e-mail, a phone number, a handle or the start of a name."),
    )
    stage = forms.ChoiceField(label=_("Stage"), required=False, choices=[("", _("Any stage")), *Stage.choices])
    network = forms.ChoiceField(label=_("Network"), required=False)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=50)
    segment = forms.TypedChoiceField(label=_("Segment"), required=False, coerce=int, empty_value=None)

    def __init__(
        self,
        *args: Any,
        networks: Sequence[str] = (),
        segments: Sequence[tuple[int, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["network"].choices = [("", _("Any network")), *((name, name) for name in networks)]  # type: ignore[attr-defined]
        self.fields["segment"].choices = [("", _("Any segment")), *segments]  # type: ignore[attr-defined]


class MemberDetailsForm(forms.Form):
    display_name = forms.CharField(label=_("Name"), required=False, max_length=300)
    email = forms.CharField(label=_("E-mail"), required=False, max_length=320)
    phone = forms.CharField(label=_("Phone"), required=False, max_length=40)
    tags = forms.CharField(label=_("Tags"), required=False, max_length=500, help_text=_("Separated by commas."))
    consent_marketing = forms.BooleanField(label=_("Agreed to marketing messages"), required=False)
    consent_source = forms.CharField(
        label=_("How the consent was given"),
        required=False,
        max_length=200,
        help_text=_("E.g. the shop's sign-up form."),
    )

    def tag_list(self) -> list[str]:
        return [tag for tag in self.cleaned_data["tags"].split(",") if tag.strip()]


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class EraseForm(forms.Form):
    reason = forms.CharField(
        label=_("Request"), max_length=200, help_text=_("E.g. the ticket of the person's request.")
    )
    confirm = forms.BooleanField(label=_("I understand that this cannot be undone."))


class UploadForm(forms.Form):
    source_name = forms.CharField(
        label=_("Source"),
        max_length=60,
        help_text=_("A short name of the CRM or shop, e.g. shop. Re-imports use the same."),
    )
    file = forms.FileField(label=_("CSV file"), help_text=_("At most 5 MB; the first line names the columns."))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB; split it into smaller files."))
        return upload


class MappingForm(forms.Form):
    """One choice of column per field the import understands."""

    def __init__(self, *args: Any, columns: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("— not used —")), *((column, column) for column in columns)]
        for name, label in IMPORT_FIELDS.items():
            self.fields[name] = forms.ChoiceField(label=label, required=False, choices=choices)


class SettingsForm(forms.Form):
    auto_merge_confidence = forms.FloatField(
        label=_("Merge without asking from confidence"),
        min_value=0.5,
        max_value=1,
        help_text=_("Pairs below this (and from 0.5) wait for a person on the suggestions page."),
    )
    retention_days = forms.IntegerField(
        label=_("Delete members inactive for (days)"),
        required=False,
        min_value=1,
        max_value=MAX_RETENTION_DAYS,
        help_text=_("Empty: keep members until they are erased on request."),
    )
    loyalty_rules = forms.CharField(
        label=_("Loyalty rules (JSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false"}),
        help_text=_("Only what differs from the defaults shown beside; see docs/community.md."),
    )

    def clean_loyalty_rules(self) -> dict[str, Any]:
        text = self.cleaned_data["loyalty_rules"].strip()
        if not text:
            return {}
        try:
            value = json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                _("Not valid JSON at line %(line)s, column %(column)s."),
                params={"line": error.lineno, "column": error.colno},
            ) from error
        if not isinstance(value, dict):
            raise forms.ValidationError(_("The rules are a JSON object."))
        return value
