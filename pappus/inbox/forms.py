"""Forms of the inbox pages: they parse; the services decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from pappus.core.models import LANGUAGE_CHOICES, User
from pappus.inbox.models import AssignmentMode, ConversationStatus, Intent, Priority, Team, TeamKind
from pappus.inbox.selectors import ME, NOBODY, STATUS_ACTIVE, STATUS_ALL, QueueFilters

LANGUAGE_FILTERS = [("", _("Any language")), ("en", "English"), ("ru", "Русский"), ("no", "Norsk"), ("zh", "中文")]


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[(STATUS_ACTIVE, _("Open or waiting")), *ConversationStatus.choices, (STATUS_ALL, _("All"))],
    )
    team = forms.ChoiceField(label=_("Team"), required=False)
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    intent = forms.ChoiceField(label=_("Intent"), required=False, choices=[("", _("Any intent")), *Intent.choices])
    network = forms.ChoiceField(label=_("Network"), required=False)
    language = forms.ChoiceField(label=_("Language"), required=False, choices=LANGUAGE_FILTERS)
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any priority")), *Priority.choices],
    )

    def __init__(self, *args: Any, teams: list[Team], agents: list[User], networks: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["team"]).choices = [
            ("", _("Any team")),
            (NOBODY, _("No team")),
            *[(str(team.pk), team.name) for team in teams],
        ]
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", _("Anyone")),
            (ME, _("Me")),
            (NOBODY, _("Nobody")),
            *[(str(agent.pk), agent.get_full_name()) for agent in agents],
        ]
        cast(forms.ChoiceField, self.fields["network"]).choices = [
            ("", _("Any network")),
            *[(name, name.title()) for name in networks],
        ]

    def filters(self) -> QueueFilters:
        if not self.is_valid():
            return QueueFilters()
        data = self.cleaned_data
        return QueueFilters(
            status=data["status"] or STATUS_ACTIVE,
            team=data["team"] or "",
            assignee=data["assignee"] or "",
            intent=data["intent"] or "",
            network=data["network"] or "",
            language=data["language"] or "",
            priority=data["priority"],
        )


class ReplyForm(forms.Form):
    text = forms.CharField(label=_("Reply"), widget=forms.Textarea(attrs={"rows": 4}), max_length=10_000)
    # The saved reply inserted into the text, recorded as what the answer is based on.
    saved_reply = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class NoteForm(forms.Form):
    # Its own id: the reply box (id_text) and the close form's note (id_note) share the page.
    text = forms.CharField(
        label=_("Internal note"), widget=forms.Textarea(attrs={"rows": 2, "id": "id_internal_note"}), max_length=10_000
    )


class CloseForm(forms.Form):
    reason = forms.ChoiceField(label=_("Outcome"))
    note = forms.CharField(label=_("What happened (optional)"), required=False, max_length=2000)

    def __init__(self, *args: Any, reasons: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["reason"]).choices = [
            ("", _("Choose a reason")),
            *[(reason, gettext(reason)) for reason in reasons],
        ]


class AssignForm(forms.Form):
    assignee = forms.ChoiceField(label=_("Assign to"), required=False)
    team = forms.ChoiceField(label=_("Team"), required=False)

    def __init__(self, *args: Any, teams: list[Team], agents: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", _("Nobody")),
            *[(str(agent.pk), agent.get_full_name()) for agent in agents],
        ]
        cast(forms.ChoiceField, self.fields["team"]).choices = [
            ("", _("Keep the team")),
            *[(str(team.pk), team.name) for team in teams],
        ]


class TagForm(forms.Form):
    tag = forms.CharField(label=_("Tag"), max_length=50)


class BulkForm(forms.Form):
    action = forms.ChoiceField(
        label=_("With the selected"),
        choices=[("assign", _("Assign")), ("close", _("Close")), ("tag", _("Tag"))],
    )
    conversations = forms.TypedMultipleChoiceField(coerce=int, choices=[], required=True)
    assignee = forms.ChoiceField(label=_("Assign to"), required=False)
    reason = forms.ChoiceField(label=_("Outcome"), required=False)
    tag = forms.CharField(label=_("Tag"), max_length=50, required=False)

    def __init__(self, *args: Any, agents: list[User], reasons: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["assignee"]).choices = [
            ("", _("Nobody")),
            *[(str(agent.pk), agent.get_full_name()) for agent in agents],
        ]
        cast(forms.ChoiceField, self.fields["reason"]).choices = [
            ("", _("Choose a reason")),
            *[(reason, gettext(reason)) for reason in reasons],
        ]
        # Any id is accepted here; the service keeps only the workspace's own.
        self.fields["conversations"].valid_value = lambda value: str(value).isdigit()  # type: ignore[attr-defined]


# --- settings ------------------------------------------------------------------------------------

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _names(value: str) -> list[str]:
    """Comma- or line-separated words, blanks dropped."""
    return [item.strip() for item in value.replace("\n", ",").split(",") if item.strip()]


def hours_to_text(hours: dict[str, list[list[str]]]) -> str:
    return "\n".join(
        f"{day}: " + ", ".join(f"{start}-{end}" for start, end in hours[day]) for day in WEEKDAYS if hours.get(day)
    )


def hours_from_text(text: str) -> dict[str, list[list[str]]]:
    """``mon: 09:00-12:00, 13:00-17:00`` per line (or ``mon-fri: 09:00-17:00``) → the team's opening periods."""
    hours: dict[str, list[list[str]]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        days, separator, periods = line.partition(":")
        days = days.strip().lower()
        if not separator:
            raise forms.ValidationError(
                gettext("Line %(line)s: write the day, a colon and the periods, as in “mon: 09:00-17:00”.")
                % {"line": number}
            )
        first, _dash, last = days.partition("-")
        if first not in WEEKDAYS or (last and last not in WEEKDAYS):
            raise forms.ValidationError(
                gettext("Line %(line)s: “%(days)s” is not a weekday (mon, tue, wed, thu, fri, sat, sun) or a range.")
                % {"line": number, "days": days}
            )
        chosen = WEEKDAYS[WEEKDAYS.index(first) : WEEKDAYS.index(last) + 1] if last else (first,)
        parsed = []
        for period in _names(periods):
            start, dash, end = period.partition("-")
            if not dash:
                raise forms.ValidationError(
                    gettext("Line %(line)s: “%(period)s” is not a period such as 09:00-17:00.")
                    % {"line": number, "period": period}
                )
            parsed.append([start.strip(), end.strip()])
        for day in chosen:
            hours.setdefault(day, []).extend(parsed)
    return hours


class TeamForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=TeamKind.choices)
    region = forms.ChoiceField(label=_("Region"), required=False)
    members = forms.MultipleChoiceField(label=_("Members"), required=False, widget=forms.CheckboxSelectMultiple)
    assignment_mode = forms.ChoiceField(label=_("Assignment"), choices=AssignmentMode.choices)
    time_zone = forms.CharField(
        label=_("Time zone"),
        max_length=64,
        initial="UTC",
        widget=forms.TextInput(attrs={"list": "time-zone-names", "autocomplete": "off"}),
    )
    business_hours = forms.CharField(
        label=_("Business hours"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "placeholder": "mon-fri: 09:00-17:00\nsat: 10:00-14:00"}),
        help_text=_(
            "One line per day or range of days, e.g. “mon-fri: 09:00-12:00, 13:00-17:00”. Empty: around the clock."
        ),
    )
    holidays = forms.CharField(
        label=_("Holidays"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "2026-12-24, 2026-12-25"}),
        help_text=_("Local dates when the team is closed all day, separated by commas."),
    )

    def __init__(
        self, *args: Any, agents: list[User], regions: list[tuple[int, str]], team: Any = None, **kwargs: Any
    ) -> None:
        if team is not None and not args:
            kwargs.setdefault(
                "initial",
                {
                    "name": team.name,
                    "kind": team.kind,
                    "region": team.region_id or "",
                    "members": [str(user.pk) for user in team.members.all()],
                    "assignment_mode": team.assignment_mode,
                    "time_zone": team.time_zone,
                    "business_hours": hours_to_text(team.business_hours),
                    "holidays": ", ".join(team.holidays),
                },
            )
        super().__init__(*args, **kwargs)
        self.agents = {str(agent.pk): agent for agent in agents}
        cast(forms.ChoiceField, self.fields["members"]).choices = [
            (key, agent.get_full_name() or agent.email) for key, agent in self.agents.items()
        ]
        cast(forms.ChoiceField, self.fields["region"]).choices = [
            ("", _("Whole workspace")),
            *[(str(pk), name) for pk, name in regions],
        ]

    def clean_business_hours(self) -> dict[str, list[list[str]]]:
        return hours_from_text(self.cleaned_data["business_hours"])

    def clean_holidays(self) -> list[str]:
        return _names(self.cleaned_data["holidays"])

    def clean_members(self) -> list[User]:
        return [self.agents[key] for key in self.cleaned_data["members"]]


class SlaForm(forms.Form):
    first_response_minutes = forms.IntegerField(label=_("First response within (minutes)"), min_value=1)
    resolution_minutes = forms.IntegerField(label=_("Resolution within (minutes)"), min_value=1)
    warning_percent = forms.IntegerField(label=_("Warn at (percent of the time)"), min_value=1, max_value=100)
    escalation_team = forms.ChoiceField(label=_("Escalate to team"), required=False)
    escalation_user = forms.ChoiceField(label=_("Escalate to person"), required=False)

    def __init__(self, *args: Any, teams: list[Team], agents: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.teams = {str(team.pk): team for team in teams}
        self.agents = {str(agent.pk): agent for agent in agents}
        cast(forms.ChoiceField, self.fields["escalation_team"]).choices = [
            ("", _("No team")),
            *[(key, team.name) for key, team in self.teams.items()],
        ]
        cast(forms.ChoiceField, self.fields["escalation_user"]).choices = [
            ("", _("Nobody")),
            *[(key, agent.get_full_name() or agent.email) for key, agent in self.agents.items()],
        ]

    def clean_escalation_team(self) -> Team | None:
        return self.teams.get(self.cleaned_data["escalation_team"])

    def clean_escalation_user(self) -> User | None:
        return self.agents.get(self.cleaned_data["escalation_user"])


class RoutingRuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    team = forms.ChoiceField(label=_("Send to team"))
    priority = forms.TypedChoiceField(
        label=_("Set priority"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Keep")), *Priority.choices],
    )
    intents = forms.MultipleChoiceField(
        label=_("Intents"), required=False, choices=Intent.choices, widget=forms.CheckboxSelectMultiple
    )
    languages = forms.CharField(
        label=_("Languages"), required=False, help_text=_("Codes such as en, ru, no, zh, separated by commas.")
    )
    networks = forms.MultipleChoiceField(label=_("Networks"), required=False, widget=forms.CheckboxSelectMultiple)
    keywords = forms.CharField(
        label=_("Keywords"),
        required=False,
        help_text=_("Any of them in the text (case does not matter), separated by commas."),
    )
    customer_tiers = forms.CharField(label=_("Customer tiers"), required=False, help_text=_("Separated by commas."))
    region = forms.ChoiceField(label=_("Region"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(
        self,
        *args: Any,
        teams: list[Team],
        regions: list[tuple[int, str]],
        networks: list[str],
        rule: Any = None,
        **kwargs: Any,
    ) -> None:
        if rule is not None and not args:
            kwargs.setdefault(
                "initial",
                {
                    "name": rule.name,
                    "team": rule.team_id,
                    "priority": rule.priority or "",
                    "intents": rule.intents,
                    "languages": ", ".join(rule.languages),
                    "networks": rule.networks,
                    "keywords": ", ".join(rule.keywords),
                    "customer_tiers": ", ".join(rule.customer_tiers),
                    "region": rule.region_id or "",
                    "is_active": rule.is_active,
                },
            )
        super().__init__(*args, **kwargs)
        self.teams = {str(team.pk): team for team in teams}
        self.regions = dict(regions)
        cast(forms.ChoiceField, self.fields["team"]).choices = [
            ("", _("Choose a team")),
            *[(key, team.name) for key, team in self.teams.items()],
        ]
        cast(forms.ChoiceField, self.fields["networks"]).choices = [(name, name.title()) for name in networks]
        cast(forms.ChoiceField, self.fields["region"]).choices = [
            ("", _("Any region")),
            *[(str(pk), name) for pk, name in regions],
        ]

    def clean_team(self) -> Team:
        return self.teams[self.cleaned_data["team"]]

    def values(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "team": data["team"],
            "priority": data["priority"],
            "intents": data["intents"],
            "languages": _names(data["languages"]),
            "networks": data["networks"],
            "keywords": _names(data["keywords"]),
            "customer_tiers": _names(data["customer_tiers"]),
            "is_active": data["is_active"],
        }


class RoutingTestForm(forms.Form):
    text = forms.CharField(label=_("Sample message"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2}))
    network = forms.ChoiceField(label=_("Network"), required=False)
    language = forms.CharField(
        label=_("Language"), required=False, max_length=16, help_text=_("Empty: detected from the text.")
    )
    customer_tier = forms.CharField(label=_("Customer tier"), required=False, max_length=40)
    region = forms.ChoiceField(label=_("Region"), required=False)

    def __init__(self, *args: Any, regions: list[tuple[int, str]], networks: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["network"]).choices = [
            ("", _("Any network")),
            *[(name, name.title()) for name in networks],
        ]
        cast(forms.ChoiceField, self.fields["region"]).choices = [
            ("", _("No region")),
            *[(str(pk), name) for pk, name in regions],
        ]


class SavedReplyForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)
    region = forms.ChoiceField(label=_("Region"), required=False)
    shared_with_regions = forms.BooleanField(
        label=_("Shared with the regions"),
        required=False,
        initial=True,
        help_text=_("A hub reply (no region) that every region is offered too."),
    )
    body = forms.CharField(
        label=_("Text"),
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Variables: {customer_name}, {customer_handle}, {agent_name}, {team_name}, {network}."),
    )

    def __init__(self, *args: Any, regions: list[tuple[int, str]], reply: Any = None, **kwargs: Any) -> None:
        if reply is not None and not args:
            kwargs.setdefault(
                "initial",
                {
                    "title": reply.title,
                    "language": reply.language,
                    "region": reply.region_id or "",
                    "shared_with_regions": reply.shared_with_regions,
                    "body": reply.body,
                },
            )
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["region"]).choices = [
            ("", _("The hub (every region)")),
            *[(str(pk), name) for pk, name in regions],
        ]


class CloseReasonForm(forms.Form):
    name = forms.CharField(label=_("New outcome reason"), max_length=100)
