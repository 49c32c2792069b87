"""Forms of the opinion leaders pages: the pipeline step with agreement, cost and results; the target audience."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pappus.community.leaders import MAX_COUNT, MAX_MONEY
from pappus.community.models import LeaderStage


class LeaderForm(forms.Form):
    stage = forms.ChoiceField(label=_("Stage"), choices=LeaderStage.choices)
    agreement = forms.CharField(
        label=_("Agreement"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    cost = forms.DecimalField(label=_("Cost"), required=False, min_value=0, max_value=MAX_MONEY, decimal_places=2)
    currency = forms.CharField(label=_("Currency"), required=False, max_length=3)
    result_reach = forms.IntegerField(label=_("Reach delivered"), required=False, min_value=0, max_value=MAX_COUNT)
    result_engagement = forms.IntegerField(
        label=_("Engagement delivered"), required=False, min_value=0, max_value=MAX_COUNT
    )
    result_value = forms.DecimalField(
        label=_("Value delivered"),
        required=False,
        min_value=0,
        max_value=MAX_MONEY,
        decimal_places=2,
        help_text=_("Sales or other value attributed to the content, in the same currency as the cost."),
    )
    notes = forms.CharField(label=_("Notes"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))


class TargetForm(forms.Form):
    languages = forms.CharField(label=_("Languages"), required=False, max_length=500, help_text=_("E.g. nb, en"))
    countries = forms.CharField(label=_("Countries"), required=False, max_length=1000, help_text=_("E.g. NO, SE"))
    networks = forms.CharField(label=_("Networks"), required=False, max_length=500, help_text=_("E.g. instagram"))

    def lists(self) -> dict[str, list[str]]:
        return {
            name: [item for item in self.cleaned_data[name].replace(";", ",").split(",") if item.strip()]
            for name in ("languages", "countries", "networks")
        }
