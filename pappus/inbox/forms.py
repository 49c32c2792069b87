"""Forms of the inbox pages: they parse; the services decide."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from pappus.core.models import User
from pappus.inbox.models import ConversationStatus, Intent, Priority, Team
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


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Internal note"), widget=forms.Textarea(attrs={"rows": 2}), max_length=10_000)


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
