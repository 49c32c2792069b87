"""Forms of the core web shell: they parse and validate input; services do the writing."""

from __future__ import annotations

import datetime
import zoneinfo
from functools import cache
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pappus.core.models import LANGUAGE_CHOICES, Membership, Region, RegionKind, User, validate_currency
from pappus.core.permissions import Role


@cache
def time_zone_names() -> tuple[str, ...]:
    """IANA time zone names offered in the pickers (the legacy aliases left out)."""
    return tuple(sorted(name for name in zoneinfo.available_timezones() if "/" in name or name == "UTC"))


class TimeZoneField(forms.CharField):
    """A free-text IANA time zone name with autocompletion; unknown names are refused clearly."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 64)
        kwargs.setdefault("help_text", _("An IANA name such as Europe/Oslo, Europe/Moscow or Asia/Shanghai."))
        super().__init__(**kwargs)
        self.widget.attrs.update({"list": "time-zone-names", "autocomplete": "off", "spellcheck": "false"})

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value in self.empty_values:
            return
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as error:
            raise ValidationError(
                _("“%(value)s” is not a known time zone."), code="invalid_time_zone", params={"value": value}
            ) from error


class CurrencyField(forms.CharField):
    """A three-letter ISO 4217 code; lower case is accepted and upper-cased."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("help_text", _("A three-letter ISO 4217 code such as EUR, NOK, RUB or CNY."))
        super().__init__(**kwargs)
        self.widget.attrs.update({"maxlength": "3", "size": "4", "autocapitalize": "characters"})

    def to_python(self, value: Any) -> str:
        return str(super().to_python(value)).strip().upper()

    def validate(self, value: Any) -> None:
        super().validate(value)
        validate_currency(value)


def _language_choices(*, blank_label: Any = None) -> list[tuple[str, Any]]:
    choices: list[tuple[str, Any]] = list(LANGUAGE_CHOICES)
    if blank_label is not None:
        choices.insert(0, ("", blank_label))
    return choices


class LanguageForm(forms.Form):
    """The interface language switch in the header."""

    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)
    next = forms.CharField(required=False, widget=forms.HiddenInput)


class WorkspaceSwitchForm(forms.Form):
    """The workspace switcher: only the user's own active memberships are valid choices."""

    workspace = forms.IntegerField(label=_("Workspace"))
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, memberships: QuerySet[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.memberships = memberships

    def clean_workspace(self) -> Membership:
        workspace_id = self.cleaned_data["workspace"]
        membership = self.memberships.filter(workspace_id=workspace_id).first()
        if membership is None:
            raise ValidationError(_("You are not a member of that workspace."), code="not_a_member")
        return membership


class ProfileForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=200, required=False)
    language = forms.ChoiceField(
        label=_("Language"), choices=_language_choices(blank_label=_("Workspace default")), required=False
    )
    time_zone = TimeZoneField(label=_("Time zone"), required=False)


class WorkspaceSettingsForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    time_zone = TimeZoneField(label=_("Time zone"))
    default_language = forms.ChoiceField(label=_("Default language"), choices=LANGUAGE_CHOICES)
    currency = CurrencyField(label=_("Currency"))

    def clean_name(self) -> str:
        name = str(self.cleaned_data["name"]).strip()
        if not name:
            raise ValidationError(_("Enter a name."), code="required")
        return name


class RegionForm(forms.Form):
    """A new spoke under an existing region of the workspace."""

    name = forms.CharField(label=_("Name"), max_length=200)
    parent = forms.ModelChoiceField(label=_("Parent region"), queryset=Region.objects.none(), empty_label=None)
    kind = forms.ChoiceField(
        label=_("Kind"), choices=[(value, label) for value, label in RegionKind.choices if value != RegionKind.HUB]
    )
    country_code = forms.CharField(
        label=_("Country code"),
        required=False,
        help_text=_("Two letters (ISO 3166-1), e.g. NO, RU or CN."),
        widget=forms.TextInput(attrs={"maxlength": "2", "size": "3", "autocapitalize": "characters"}),
    )
    language = forms.ChoiceField(label=_("Language"), choices=_language_choices(blank_label="—"), required=False)

    def __init__(self, *args: Any, regions: QuerySet[Region], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.regions = regions
        parent_field = cast("forms.ModelChoiceField[Region]", self.fields["parent"])
        parent_field.queryset = regions

    def clean_name(self) -> str:
        name = str(self.cleaned_data["name"]).strip()
        if self.regions.filter(name=name).exists():
            raise ValidationError(
                _("A region named “%(name)s” already exists."), code="duplicate", params={"name": name}
            )
        return name

    def clean_country_code(self) -> str:
        code = str(self.cleaned_data["country_code"]).strip().upper()
        if code and (len(code) != 2 or not code.isalpha() or not code.isascii()):
            raise ValidationError(_("A country code is two letters such as NO."), code="invalid_country_code")
        return code


def _role_choices(*, include_owner: bool) -> list[tuple[str, Any]]:
    return [(value, label) for value, label in Role.choices if include_owner or value != Role.OWNER]


class MemberAddForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"))
    regions = forms.ModelMultipleChoiceField(
        label=_("Regions"),
        queryset=Region.objects.none(),
        required=False,
        help_text=_("Leave empty for all regions."),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, regions: QuerySet[Region], include_owner: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role_field = cast(forms.ChoiceField, self.fields["role"])
        role_field.choices = _role_choices(include_owner=include_owner)
        regions_field = cast("forms.ModelMultipleChoiceField[Region]", self.fields["regions"])
        regions_field.queryset = regions

    def clean_email(self) -> str:
        return str(self.cleaned_data["email"]).strip().lower()


class MemberRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args: Any, include_owner: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        role_field = cast(forms.ChoiceField, self.fields["role"])
        role_field.choices = _role_choices(include_owner=include_owner)


def object_type_label(object_type: str) -> str:
    """``core.workspace`` → the model's translated name (“Workspace”); unknown types as they are."""
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type
    return str(model._meta.verbose_name).capitalize()


if TYPE_CHECKING:
    _UserChoiceField = forms.ModelChoiceField[User]
else:
    _UserChoiceField = forms.ModelChoiceField


class ActorChoiceField(_UserChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return f"{obj.full_name} <{obj.email}>" if obj.full_name else obj.email


class AuditFilterForm(forms.Form):
    """Filters of the audit log page and its CSV export (a GET form: all fields optional)."""

    actor = ActorChoiceField(label=_("Who"), queryset=User.objects.none(), required=False, empty_label=_("Anyone"))
    action = forms.ChoiceField(label=_("Action"), required=False)
    object_type = forms.ChoiceField(label=_("Object type"), required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(
        self,
        *args: Any,
        actors: QuerySet[User],
        actions: list[tuple[str, str]],
        object_types: list[str],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        actor_field = cast(ActorChoiceField, self.fields["actor"])
        actor_field.queryset = actors
        action_field = cast(forms.ChoiceField, self.fields["action"])
        action_field.choices = [("", _("Any action")), *actions]
        object_type_field = cast(forms.ChoiceField, self.fields["object_type"])
        object_type_field.choices = [
            ("", _("Any type")),
            *sorted(((value, object_type_label(value)) for value in object_types), key=lambda item: item[1]),
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        date_from, date_to = cleaned.get("date_from"), cleaned.get("date_to")
        if date_from and date_to and date_to < date_from:
            self.add_error("date_to", _("The end date is before the start date."))
        return cleaned

    def filters(self) -> dict[str, Any]:
        """Keyword arguments for ``selectors.audit_events_filtered``; dates are whole days in the user's zone."""
        if not self.is_bound:
            return {}
        self.is_valid()
        # Only the fields that are valid narrow the list; the others show their error next to them.
        data = self.cleaned_data
        zone = timezone.get_current_timezone()
        filters: dict[str, Any] = {"action": data.get("action", ""), "object_type": data.get("object_type", "")}
        if data.get("actor") is not None:
            filters["actor_id"] = data["actor"].pk
        if data.get("date_from"):
            filters["since"] = datetime.datetime.combine(data["date_from"], datetime.time.min, tzinfo=zone)
        if data.get("date_to") and "date_to" not in self.errors:
            next_day = data["date_to"] + datetime.timedelta(days=1)
            filters["until"] = datetime.datetime.combine(next_day, datetime.time.min, tzinfo=zone)
        return filters
