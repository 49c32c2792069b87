"""Forms of the adoption settings page: the privacy of people data and the hub's KPI targets."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pappus.adoption.models import Cadence, Direction, Kpi, ScorecardVisibility
from pappus.adoption.services import MAXIMUM_DORMANT_DAYS
from pappus.core.permissions import Role

PERIODS = (7, 30, 90, 365)


class PrivacyForm(forms.Form):
    scorecard_visibility = forms.ChoiceField(
        label=_("Who may see whose scorecard"), choices=ScorecardVisibility.choices
    )
    dormant_days = forms.IntegerField(
        label=_("Dormant after (days without activity)"), min_value=1, max_value=MAXIMUM_DORMANT_DAYS
    )


class TargetForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    kpi = forms.ChoiceField(label=_("KPI"), choices=Kpi.choices)
    target = forms.FloatField(label=_("Target"), min_value=0, max_value=1_000_000)
    direction = forms.ChoiceField(
        label=_("Direction"), choices=[("", _("The KPI's own")), *Direction.choices], required=False
    )


class ChecklistItemForm(forms.Form):
    title = forms.CharField(label=_("Step"), max_length=200)
    role = forms.ChoiceField(label=_("For"), choices=[("", _("Every new member")), *Role.choices], required=False)


class DutyForm(forms.Form):
    title = forms.CharField(label=_("Duty"), max_length=200)
    role = forms.ChoiceField(label=_("Owned by role"), choices=Role.choices)
    cadence = forms.ChoiceField(label=_("How often"), choices=Cadence.choices, initial=Cadence.WEEKLY)
    region_id = forms.TypedChoiceField(label=_("Region"), coerce=int, empty_value=None, required=False, choices=())

    def __init__(self, *args: Any, regions: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region_id"].choices = [("", _("Every region")), *regions]  # type: ignore[attr-defined]
