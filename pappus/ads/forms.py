"""Forms of the ads pages: period filter, account, campaign, a hand-entered day, a rate, an upload
and its column mapping. Bounds match the models (``MAX_AMOUNT``, ``MAX_COUNT``)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pappus.ads import imports
from pappus.ads.models import (
    FIRST_DAY,
    LAST_DAY,
    MAX_AMOUNT,
    MAX_COUNT,
    AdAccount,
    AdCampaign,
    AttributionRule,
    Network,
    Objective,
    RatioBasis,
)

DATE = forms.DateInput(attrs={"type": "date"})


class DayField(forms.DateField):
    """A day between 1970 and 2999."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", DATE)
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and not FIRST_DAY <= value <= LAST_DAY:
            raise forms.ValidationError(_("Choose a day between 1970 and 2999."))


class PeriodForm(forms.Form):
    start = DayField(label=_("From"), required=False, widget=DATE)
    end = DayField(label=_("To"), required=False, widget=DATE)
    network = forms.ChoiceField(label=_("Network"), required=False, choices=[("", _("All")), *Network.choices])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            self.add_error("end", _("The period cannot end before it starts."))
        if start and end and (end - start).days > 3 * 366:
            self.add_error("end", _("Choose a period of at most three years."))
        return data


def default_period(today: datetime.date) -> tuple[datetime.date, datetime.date]:
    return today - datetime.timedelta(days=27), today


class AccountForm(forms.Form):
    network = forms.ChoiceField(label=_("Network"), choices=Network.choices)
    name = forms.CharField(label=_("Name"), max_length=200)
    currency = forms.CharField(
        label=_("Currency"), max_length=3, min_length=3, help_text=_("The account's currency, such as EUR or NOK.")
    )
    external_id = forms.CharField(label=_("Account id in the network"), max_length=100, required=False)


class CampaignForm(forms.Form):
    account = forms.ModelChoiceField(label=_("Ad account"), queryset=AdAccount.objects.none())
    name = forms.CharField(label=_("Name"), max_length=300)
    objective = forms.ChoiceField(label=_("Objective"), choices=Objective.choices, initial=Objective.OTHER)
    strategy_campaign_id = forms.TypedChoiceField(
        label=_("Strategy campaign"), required=False, coerce=int, empty_value=None
    )
    starts_on = DayField(label=_("Flight starts"), required=False, widget=DATE)
    ends_on = DayField(label=_("Flight ends"), required=False, widget=DATE)
    budget_planned = forms.DecimalField(
        label=_("Planned budget"),
        min_value=0,
        max_value=MAX_AMOUNT,
        decimal_places=2,
        max_digits=14,
        required=False,
        help_text=_("In the workspace's currency."),
    )
    planned_conversions = forms.IntegerField(
        label=_("Planned conversions"), min_value=0, max_value=MAX_COUNT, required=False
    )
    external_id = forms.CharField(label=_("Campaign id in the network"), max_length=100, required=False)
    utm_campaign = forms.CharField(
        label=_("utm_campaign of its tracked links"),
        max_length=200,
        required=False,
        help_text=_("Visits and imported conversion paths with this utm_campaign value are credited to the campaign."),
    )

    def __init__(self, *args: Any, workspace_id: int, strategy_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = AdAccount.objects.for_workspace(workspace_id)  # type: ignore[attr-defined]
        self.fields["strategy_campaign_id"].choices = [("", _("(none)")), *strategy_choices]  # type: ignore[attr-defined]


class DailyForm(forms.Form):
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=AdCampaign.objects.none())
    day = DayField(label=_("Day"), widget=DATE)
    spend = forms.DecimalField(label=_("Spend"), min_value=0, max_value=MAX_AMOUNT, decimal_places=2, max_digits=14)
    impressions = forms.IntegerField(label=_("Impressions"), min_value=0, max_value=MAX_COUNT, initial=0)
    reach = forms.IntegerField(label=_("Reach"), min_value=0, max_value=MAX_COUNT, initial=0)
    clicks = forms.IntegerField(label=_("Clicks"), min_value=0, max_value=MAX_COUNT, initial=0)
    conversions = forms.IntegerField(label=_("Conversions"), min_value=0, max_value=MAX_COUNT, initial=0)
    revenue = forms.DecimalField(
        label=_("Revenue"), min_value=0, max_value=MAX_AMOUNT, decimal_places=2, max_digits=14, initial=0
    )

    def __init__(self, *args: Any, workspace_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = AdCampaign.objects.for_workspace(workspace_id).select_related("account")  # type: ignore[attr-defined]
        self.fields["spend"].help_text = _("In the ad account's currency; a day entered again is replaced.")


class RateForm(forms.Form):
    day = DayField(label=_("Day"), widget=DATE)
    currency = forms.CharField(label=_("Currency"), max_length=3, min_length=3)
    rate = forms.DecimalField(
        label=_("Rate"),
        min_value=0,
        max_value=1_000_000_000,
        decimal_places=8,
        max_digits=20,
        help_text=_("How much one unit of this currency was worth in the workspace's currency that day."),
    )


class UploadForm(forms.Form):
    account = forms.ModelChoiceField(label=_("Ad account"), queryset=AdAccount.objects.none())
    file = forms.FileField(
        label=_("Ads manager export (CSV)"),
        help_text=_(
            "One row per day and campaign, ad set or ad: date, campaign, spend, and any of impressions, reach, "
            "clicks, conversions, revenue. At most 10 MB."
        ),
    )

    def __init__(self, *args: Any, workspace_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = AdAccount.objects.for_workspace(workspace_id)  # type: ignore[attr-defined]


FIELD_LABELS = {
    "day": _("Date"),
    "campaign": _("Campaign"),
    "campaign_id": _("Campaign id"),
    "ad_set": _("Ad set"),
    "ad_set_id": _("Ad set id"),
    "ad": _("Ad"),
    "ad_id": _("Ad id"),
    "currency": _("Currency"),
    "spend": _("Spend"),
    "impressions": _("Impressions"),
    "reach": _("Reach"),
    "clicks": _("Clicks"),
    "conversions": _("Conversions"),
    "revenue": _("Revenue"),
}


class MappingForm(forms.Form):
    """One choice of column per field; only date, campaign and spend are required."""

    def __init__(self, data: Any = None, *, columns: list[str], initial: dict[str, str] | None = None) -> None:
        super().__init__(data, initial=initial)
        choices = [("", _("(not in the file)")), *[(column, column) for column in columns]]
        for name in imports.FIELDS:
            self.fields[name] = forms.ChoiceField(
                label=FIELD_LABELS[name], choices=choices, required=name in imports.REQUIRED_FIELDS
            )


class ReallocationForm(forms.Form):
    """The budget to split, over how many days, for which result; limits per campaign (optional)."""

    kpi = forms.ChoiceField(
        label=_("Result to maximise"),
        choices=[("conversions", _("Conversions")), ("revenue", _("Revenue")), ("clicks", _("Clicks"))],
    )
    budget = forms.DecimalField(
        label=_("Budget to split"),
        min_value=0,
        max_value=MAX_AMOUNT,
        decimal_places=2,
        max_digits=14,
        help_text=_("In the workspace's currency, for the whole period."),
    )
    days = forms.IntegerField(label=_("Over how many days"), min_value=1, max_value=366, initial=28)
    history_days = forms.IntegerField(
        label=_("Days of history to learn from"), min_value=14, max_value=1098, initial=90
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, campaigns: list[AdCampaign], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.campaigns = campaigns
        for campaign in campaigns:
            for bound, label in (("min", _("Minimum")), ("max", _("Maximum"))):
                self.fields[f"{bound}_{campaign.pk}"] = forms.DecimalField(
                    label=f"{campaign.name}: {label}",
                    required=False,
                    min_value=0,
                    max_value=MAX_AMOUNT,
                    decimal_places=2,
                    max_digits=14,
                )

    def limits(self) -> dict[int, tuple[Any, Any]]:
        data = self.cleaned_data
        return {
            campaign.pk: (data.get(f"min_{campaign.pk}"), data.get(f"max_{campaign.pk}"))
            for campaign in self.campaigns
            if data.get(f"min_{campaign.pk}") is not None or data.get(f"max_{campaign.pk}") is not None
        }

    def limit_fields(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        return [(self[f"min_{campaign.pk}"], self[f"max_{campaign.pk}"]) for campaign in self.campaigns]


# What a VK Ads read covers (readers.VK_LEVELS): the sync form and the scheduled reads offer the same.
VK_LEVEL_CHOICES = [("campaign", _("campaigns")), ("adset", _("ad groups")), ("ad", _("ads (banners)"))]


class MetaSyncForm(forms.Form):
    account = forms.ModelChoiceField(label=_("Meta or VK Ads account"), queryset=AdAccount.objects.none())
    token = forms.CharField(
        label=_("Access token"),
        max_length=1000,
        widget=forms.PasswordInput(render_value=False),
        help_text=_(
            "Meta: a token with the ads_read permission; VK Ads: an API access token. Used for this read only, "
            "not stored."
        ),
    )
    since = DayField(label=_("From"))
    until = DayField(label=_("To"))
    level = forms.ChoiceField(
        label=_("VK Ads: read"),
        choices=VK_LEVEL_CHOICES,
        initial="campaign",
        required=False,
        help_text=_("Meta is always read per ad."),
    )

    def __init__(self, *args: Any, workspace_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = AdAccount.objects.for_workspace(workspace_id).filter(  # type: ignore[attr-defined]
            network__in=[Network.META, Network.VK]
        )


class AttributionSettingsForm(forms.Form):
    attribution_rule = forms.ChoiceField(label=_("Attribution rule"), choices=AttributionRule.choices)
    ratio_basis = forms.ChoiceField(label=_("CPA, ROAS and ROI use"), choices=RatioBasis.choices)
    pacing_alerts_by_email = forms.BooleanField(label=_("E-mail pacing alerts"), required=False)


class ConversionUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Conversion paths (CSV)"),
        help_text=_(
            "One row per conversion or per path and day: date, path (utm_campaign values of the clicks, first "
            "first, separated by “>”), and any of conversions, revenue, currency, reference (an order id). "
            "At most 10 MB."
        ),
    )


class ReadingForm(forms.Form):
    account = forms.ModelChoiceField(label=_("Meta or VK Ads account"), queryset=AdAccount.objects.none())
    token = forms.CharField(
        label=_("Access token"),
        max_length=4000,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("Stored encrypted for the scheduled reads; leave empty to keep the stored one."),
    )
    level = forms.ChoiceField(
        label=_("VK Ads: read"),
        choices=VK_LEVEL_CHOICES,
        initial="campaign",
    )
    enabled = forms.BooleanField(label=_("Read on a schedule"), required=False, initial=True)

    def __init__(self, *args: Any, workspace_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].queryset = AdAccount.objects.for_workspace(workspace_id).filter(  # type: ignore[attr-defined]
            network__in=[Network.META, Network.VK]
        )
