"""Forms of the strategy pages: they parse and validate input; the services write."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from pappus.core.models import Region, User
from pappus.strategy.metrics import METRIC_KEYS
from pappus.strategy.models import (
    CampaignStatus,
    KpiDirection,
    ProgramStatus,
    RiskStatus,
    StrategyTemplate,
    TemplateKind,
)

DATE = forms.DateInput(attrs={"type": "date"})
MONEY = {"max_digits": 14, "decimal_places": 2, "min_value": 0}


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.replace("\n", ",").split(",") if part.strip()]


class PeopleMixin:
    """Choices of people: the workspace's active members."""

    def set_people(self, people: QuerySet[User], *names: str) -> None:
        for name in names:
            field = self.fields[name]  # type: ignore[attr-defined]
            field.queryset = people


class BrandForm(forms.Form):
    identity = forms.CharField(label=_("Identity"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    value_proposition = forms.CharField(
        label=_("Value proposition"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    unique_selling_proposition = forms.CharField(
        label=_("Unique selling proposition"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    tone_of_voice = forms.CharField(label=_("Tone of voice"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    products_and_services = forms.CharField(
        label=_("Products and services"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class CompetitorForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    listening_topic_id = forms.TypedChoiceField(
        label=_("Listening topic"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("The listening topic that follows this competitor: its mentions give the share of voice."),
    )

    def __init__(self, *args: Any, topics: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["listening_topic_id"].choices = [("", "—"), *topics]  # type: ignore[attr-defined]


class ShareRangeForm(forms.Form):
    """The days over which share of voice is counted (the workspace's days, at most a year)."""

    first_day = forms.DateField(label=_("From"), widget=DATE)
    last_day = forms.DateField(label=_("To"), widget=DATE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first_day"), data.get("last_day")
        if first and last:
            if last < first:
                self.add_error("last_day", _("The end date must not be before the start date."))
            elif (last - first).days > 366:
                self.add_error("last_day", _("Choose at most a year."))
        return data


class DashboardRangeForm(forms.Form):
    """The days of a campaign's or program's dashboard (the workspace's days, at most 366, years 1970-2999)."""

    first_day = forms.DateField(label=_("From"), widget=DATE)
    last_day = forms.DateField(label=_("To"), widget=DATE)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, last = data.get("first_day"), data.get("last_day")
        for name, day in (("first_day", first), ("last_day", last)):
            if day is not None and not 1970 <= day.year <= 2999:
                self.add_error(name, _("Choose a day between 1970 and 2999."))
        if first and last and not self.errors:
            if last < first:
                self.add_error("last_day", _("The end date must not be before the start date."))
            elif (last - first).days >= 366:
                self.add_error("last_day", _("Choose at most 366 days."))
        return data


class AudienceForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    who = forms.CharField(label=_("Who they are"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    where = forms.CharField(label=_("Where they are"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    wants = forms.CharField(label=_("What they want"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    networks = forms.CharField(label=_("Networks"), required=False, help_text=_("Separated by commas."))
    sub_targets = forms.CharField(
        label=_("Sub-targets per product"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line: product: target."),
    )
    planned_profile = forms.CharField(
        label=_("Planned profile"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line, such as age: 25-34."),
    )

    def clean_networks(self) -> list[str]:
        return _names(self.cleaned_data["networks"])

    def _pairs(self, name: str) -> list[tuple[str, str]]:
        pairs = []
        for line in self.cleaned_data[name].splitlines():
            if not line.strip():
                continue
            key, separator, value = line.partition(":")
            if not separator or not key.strip() or not value.strip():
                raise forms.ValidationError(_("Write each line as name: value."))
            pairs.append((key.strip(), value.strip()))
        return pairs

    def clean_sub_targets(self) -> list[dict[str, str]]:
        return [{"product": key, "target": value} for key, value in self._pairs("sub_targets")]

    def clean_planned_profile(self) -> dict[str, str]:
        return dict(self._pairs("planned_profile"))


class ProgramForm(PeopleMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    goals = forms.CharField(label=_("Goals"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE)
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)
    status = forms.ChoiceField(label=_("Status"), choices=ProgramStatus.choices)
    budget_planned = forms.DecimalField(label=_("Planned budget"), **MONEY)  # type: ignore[arg-type]


class ProgramRevisionForm(ProgramForm):
    reason = forms.CharField(
        label=_("Reason for the change"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the program's history."),
    )


class TemplateStartForm(forms.Form):
    template = forms.ModelChoiceField(label=_("Template"), queryset=StrategyTemplate.objects.none())
    name = forms.CharField(label=_("Program name"), max_length=200)
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE)

    def __init__(self, *args: Any, templates: QuerySet[StrategyTemplate], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["template"].queryset = templates  # type: ignore[attr-defined]


class TemplateShareForm(forms.Form):
    regions = forms.ModelMultipleChoiceField(
        label=_("Shared with regions"),
        queryset=Region.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, regions: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["regions"].queryset = regions  # type: ignore[attr-defined]


class CampaignForm(PeopleMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE)
    ends_on = forms.DateField(label=_("Ends on"), widget=DATE)
    networks = forms.CharField(label=_("Networks"), required=False, help_text=_("Separated by commas."))
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)
    budget_planned = forms.DecimalField(label=_("Planned budget"), **MONEY)  # type: ignore[arg-type]

    def clean_networks(self) -> list[str]:
        return _names(self.cleaned_data["networks"])


class CampaignTopicsForm(forms.Form):
    listening_topic_ids = forms.TypedMultipleChoiceField(
        label=_("Listening topics"),
        required=False,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "The listening topics that follow the campaign's conversation: their mentions and sentiment show "
            "here and measure its mentions, share of voice and sentiment KPIs."
        ),
    )

    def __init__(self, *args: Any, topics: Sequence[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["listening_topic_ids"].choices = list(topics)  # type: ignore[attr-defined]


class BudgetForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=CampaignStatus.choices)
    budget_planned = forms.DecimalField(label=_("Planned budget"), **MONEY)  # type: ignore[arg-type]
    budget_committed = forms.DecimalField(label=_("Committed budget"), **MONEY)  # type: ignore[arg-type]
    budget_spent = forms.DecimalField(
        label=_("Spent budget"),
        help_text=_("Entered by hand: what was spent outside the ads module (content, influencers, events)."),
        **MONEY,  # type: ignore[arg-type]
    )
    count_ads_spend = forms.BooleanField(
        label=_("Add spend from the ads module"),
        required=False,
        help_text=_(
            "On: the cost used for efficiency and the budget checks is the spend entered here plus what "
            "the linked paid campaigns spent over the campaign's dates. Off: the spend entered here is "
            "the whole cost."
        ),
    )


class KpiForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    metric_key = forms.ChoiceField(label=_("Metric"), choices=list(METRIC_KEYS.items()))
    unit = forms.CharField(label=_("Unit"), max_length=20, required=False)
    direction = forms.ChoiceField(label=_("Direction"), choices=KpiDirection.choices)
    baseline = forms.DecimalField(label=_("Baseline"), max_digits=18, decimal_places=4)
    target = forms.DecimalField(label=_("Target"), max_digits=18, decimal_places=4)
    starts_on = forms.DateField(label=_("Starts on"), widget=DATE)
    deadline = forms.DateField(label=_("Deadline"), widget=DATE)


class MeasurementForm(forms.Form):
    measured_on = forms.DateField(label=_("Date"), widget=DATE)
    value = forms.DecimalField(label=_("Value"), max_digits=18, decimal_places=4)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)


class RiskForm(PeopleMixin, forms.Form):
    title = forms.CharField(label=_("Risk"), max_length=200)
    likelihood = forms.IntegerField(label=_("Likelihood (1-5)"), min_value=1, max_value=5)
    impact = forms.IntegerField(label=_("Impact (1-5)"), min_value=1, max_value=5)
    mitigation = forms.CharField(label=_("Mitigation"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)


class RiskEditForm(RiskForm):
    status = forms.ChoiceField(label=_("Status"), choices=RiskStatus.choices)


class RaciForm(PeopleMixin, forms.Form):
    task = forms.CharField(label=_("Task"), max_length=200)
    responsible = forms.ModelMultipleChoiceField(label=_("Responsible"), queryset=User.objects.none())
    accountable = forms.ModelChoiceField(label=_("Accountable"), queryset=User.objects.none())
    consulted = forms.ModelMultipleChoiceField(label=_("Consulted"), queryset=User.objects.none(), required=False)
    informed = forms.ModelMultipleChoiceField(label=_("Informed"), queryset=User.objects.none(), required=False)


class ReviewForm(forms.Form):
    decision = forms.CharField(
        label=_("Decision taken"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What the team will do about the KPIs above, even if it is to change nothing."),
    )


SCALE = frozenset("12345")


def _fields(line: str, count: int) -> list[str]:
    parts = [part.strip() for part in line.split("|")]
    return parts + [""] * (count - len(parts))


class TemplateForm(forms.Form):
    """A template's name and content; KPIs and risks one per line, fields separated by "|"."""

    name = forms.CharField(label=_("Name"), max_length=200)
    goals = forms.CharField(label=_("Goals"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    duration_days = forms.IntegerField(label=_("Program length (days)"), min_value=1, max_value=3650)
    campaign_name = forms.CharField(label=_("First campaign"), max_length=150)
    campaign_description = forms.CharField(
        label=_("Campaign description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    campaign_networks = forms.CharField(
        label=_("Campaign networks"), required=False, help_text=_("Separated by commas.")
    )
    campaign_duration_days = forms.IntegerField(label=_("Campaign length (days)"), min_value=1, max_value=3650)
    kpis = forms.CharField(
        label=_("KPIs"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_(
            "One per line: name | metric | increase or decrease | planned change from the baseline | unit. "
            "Metrics: %(keys)s."
        )
        % {"keys": ", ".join(METRIC_KEYS)},
    )
    risks = forms.CharField(
        label=_("Risks"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: risk | likelihood 1-5 | impact 1-5 | mitigation."),
    )

    @staticmethod
    def initial_of(name: str, content: dict[str, Any]) -> dict[str, Any]:
        campaign = content.get("campaign") or {}
        return {
            "name": name,
            "goals": content.get("goals", ""),
            "duration_days": content.get("duration_days", 90),
            "campaign_name": campaign.get("name", ""),
            "campaign_description": campaign.get("description", ""),
            "campaign_networks": ", ".join(campaign.get("networks", [])),
            "campaign_duration_days": campaign.get("duration_days", 30),
            "kpis": "\n".join(
                " | ".join(
                    str(item.get(key, "")) for key in ("name", "metric_key", "direction", "target_gain", "unit")
                ).rstrip(" |")
                for item in content.get("kpis", [])
            ),
            "risks": "\n".join(
                " | ".join(str(item.get(key, "")) for key in ("title", "likelihood", "impact", "mitigation")).rstrip(
                    " |"
                )
                for item in content.get("risks", [])
            ),
        }

    def clean_kpis(self) -> list[dict[str, Any]]:
        items = []
        for number, line in enumerate(self.cleaned_data["kpis"].splitlines(), start=1):
            if not line.strip():
                continue
            name, metric, direction, gain, unit = _fields(line, 5)[:5]
            if metric not in METRIC_KEYS:
                raise forms.ValidationError(
                    _("Line %(line)d: unknown metric “%(metric)s”.") % {"line": number, "metric": metric}
                )
            if direction not in KpiDirection.values:
                raise forms.ValidationError(
                    _("Line %(line)d: write “increase” or “decrease” as the direction.") % {"line": number}
                )
            try:
                change = float(gain.replace(",", "."))
            except ValueError:
                change = 0.0
            if not name or change <= 0:
                raise forms.ValidationError(
                    _("Line %(line)d: a KPI needs a name and a planned change above zero.") % {"line": number}
                )
            items.append(
                {
                    "name": name,
                    "metric_key": metric,
                    "direction": direction,
                    "target_gain": int(change) if change.is_integer() else change,
                    "unit": unit,
                }
            )
        return items

    def clean_risks(self) -> list[dict[str, Any]]:
        items = []
        for number, line in enumerate(self.cleaned_data["risks"].splitlines(), start=1):
            if not line.strip():
                continue
            title, likelihood, impact, mitigation = _fields(line, 4)[:4]
            if not title or likelihood not in SCALE or impact not in SCALE:
                raise forms.ValidationError(
                    _("Line %(line)d: a risk needs a title, a likelihood and an impact from 1 to 5.") % {"line": number}
                )
            items.append(
                {"title": title, "likelihood": int(likelihood), "impact": int(impact), "mitigation": mitigation}
            )
        return items

    def content(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "goals": data["goals"],
            "duration_days": data["duration_days"],
            "campaign": {
                "name": data["campaign_name"],
                "description": data["campaign_description"],
                "networks": _names(data["campaign_networks"]),
                "duration_days": data["campaign_duration_days"],
            },
            "kpis": data["kpis"],
            "risks": data["risks"],
        }


class TemplateCreateForm(forms.Form):
    kind = forms.ChoiceField(label=_("Start from"), choices=TemplateKind.choices)
    name = forms.CharField(label=_("Name"), max_length=200)
