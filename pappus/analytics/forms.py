"""The dashboard's filters: a range of days, a region (with its spokes) and a network."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAXIMUM_DAYS = 366
DEFAULT_DAYS = 28
EARLIEST, LATEST = datetime.date(1970, 1, 1), datetime.date(2999, 12, 31)


class DashboardForm(forms.Form):
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    region = forms.TypedChoiceField(label=_("Region"), required=False, coerce=int, empty_value=None)
    network = forms.ChoiceField(label=_("Network"), required=False)

    def __init__(
        self,
        data: Any = None,
        *,
        regions: Sequence[tuple[int, str]],
        networks: Sequence[tuple[str, str]],
        all_regions_allowed: bool = True,
        time_zone: datetime.tzinfo = datetime.UTC,
    ) -> None:
        super().__init__(data)
        self.time_zone = time_zone
        everywhere = _("All regions") if all_regions_allowed else _("All my regions")
        region_field = cast(forms.TypedChoiceField, self.fields["region"])
        network_field = cast(forms.ChoiceField, self.fields["network"])
        region_field.choices = [("", everywhere), *regions]
        network_field.choices = [("", _("All networks")), *networks]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        today = timezone.now().astimezone(self.time_zone).date()  # the workspace's today
        for name in ("start", "end"):
            # Far-off days would overflow the previous period's arithmetic; nothing is measured there.
            if cleaned.get(name) is not None and not EARLIEST <= cleaned[name] <= LATEST:
                self.add_error(name, _("Choose a day between 1970 and 2999."))  # removes it from cleaned
        end = cleaned.get("end") or today
        start = cleaned.get("start") or end - datetime.timedelta(days=DEFAULT_DAYS - 1)
        if "start" in self.errors or "end" in self.errors:
            pass  # already said what is wrong with the days
        elif start > end:
            self.add_error("start", _("The first day must not be after the last day."))
        elif (end - start).days + 1 > MAXIMUM_DAYS:
            self.add_error("end", _("Choose at most %(days)s days.") % {"days": MAXIMUM_DAYS})
        cleaned["start"], cleaned["end"] = start, end
        return cleaned
