"""The segment form: a name, a customer tier for the inbox, and the filter's terms."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pappus.community.models import Stage
from pappus.community.segments import MAX_DAYS, MAX_SCORE


class SegmentForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    description = forms.CharField(label=_("Description"), required=False, max_length=500)
    tier = forms.CharField(
        label=_("Customer tier"),
        required=False,
        max_length=40,
        help_text=_("The inbox routes conversations of this segment's members by this tier (e.g. gold)."),
    )
    priority = forms.IntegerField(
        label=_("Priority"),
        min_value=0,
        max_value=1000,
        initial=100,
        help_text=_("Lower first: a member in several segments with a tier gets the first one's."),
    )
    stages = forms.MultipleChoiceField(
        label=_("Stages"), required=False, choices=Stage.choices, widget=forms.CheckboxSelectMultiple
    )
    network = forms.CharField(label=_("Network"), required=False, max_length=60)
    tag = forms.CharField(label=_("Tag"), required=False, max_length=50)
    search = forms.CharField(
        label=_("Search"), required=False, max_length=200, help_text=_("An e-mail, a phone, a handle or a name start.")
    )
    consent = forms.ChoiceField(
        label=_("Marketing consent"),
        required=False,
        choices=[("", _("Either")), ("yes", _("Agreed")), ("no", _("Not agreed"))],
    )
    min_score = forms.FloatField(label=_("Loyalty score at least"), required=False, min_value=0, max_value=MAX_SCORE)
    active_within_days = forms.IntegerField(
        label=_("Active within (days)"), required=False, min_value=1, max_value=MAX_DAYS
    )

    def filters(self) -> dict[str, Any]:
        data = self.cleaned_data
        terms: dict[str, Any] = {key: data[key] for key in ("stages", "network", "tag", "search") if data.get(key)}
        if data.get("consent"):
            terms["consent"] = data["consent"] == "yes"
        for key in ("min_score", "active_within_days"):
            if data.get(key) is not None:
                terms[key] = data[key]
        return terms

    @staticmethod
    def initial_of(segment: Any) -> dict[str, Any]:
        terms = dict(segment.filters or {})
        consent = terms.pop("consent", None)
        return {
            "name": segment.name,
            "description": segment.description,
            "tier": segment.tier,
            "priority": segment.priority,
            "consent": "" if consent is None else ("yes" if consent else "no"),
            **terms,
        }
