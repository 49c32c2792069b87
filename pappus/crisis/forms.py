"""Forms of the crisis pages; services do the writing and the checks that need the workspace."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pappus.core.models import LANGUAGE_CHOICES, Membership, Region, User
from pappus.crisis.models import AlertRule, EntryKind, IncidentStatus, Playbook, Severity
from pappus.listening import facade


class RuleForm(forms.ModelForm):  # type: ignore[type-arg]
    topic_id = forms.TypedChoiceField(label=_("Topic"), required=False, coerce=int, empty_value=None)

    class Meta:
        model = AlertRule
        fields = (
            "name",
            "topic_id",
            "region",
            "metric",
            "sensitivity",
            "cooldown_hours",
            "email_recipients",
            "webhook_url",
            "is_active",
        )
        widgets = {"email_recipients": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, workspace_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        topic_field = self.fields["topic_id"]
        assert isinstance(topic_field, forms.TypedChoiceField)  # noqa: S101 - declared above
        topic_field.choices = [("", _("All mentions"))] + [
            (topic.id, topic.name) for topic in facade.topics(workspace_id)
        ]
        region_field = self.fields["region"]
        assert isinstance(region_field, forms.ModelChoiceField)  # noqa: S101
        region_field.queryset = Region.objects.for_workspace(workspace_id)


class IncidentForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices, initial=Severity.MEDIUM)
    owner = forms.ModelChoiceField(label=_("Owner"), queryset=User.objects.none(), required=False)
    playbook = forms.ModelChoiceField(label=_("Playbook"), queryset=Playbook.objects.none(), required=False)

    def __init__(self, *args: Any, workspace_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        users = Membership.objects.for_workspace(workspace_id).filter(is_active=True).values("user_id")
        owner = self.fields["owner"]
        playbook = self.fields["playbook"]
        assert isinstance(owner, forms.ModelChoiceField)  # noqa: S101
        assert isinstance(playbook, forms.ModelChoiceField)  # noqa: S101
        owner.queryset = User.objects.filter(pk__in=users).order_by("email")
        playbook.queryset = Playbook.objects.for_workspace(workspace_id)


class IncidentUpdateForm(IncidentForm):
    status = forms.ChoiceField(label=_("Status"), choices=IncidentStatus.choices)
    summary = forms.CharField(
        label=_("Post-incident summary"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )


class EntryForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[(EntryKind.HAPPENED, EntryKind.HAPPENED.label), (EntryKind.ACTION, EntryKind.ACTION.label)],
    )
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 2}))


class PlaybookForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGE_CHOICES)
    steps = forms.CharField(
        label=_("Steps"), widget=forms.Textarea(attrs={"rows": 5}), required=False, help_text=_("One step per line.")
    )
    templates = forms.CharField(
        label=_("Response templates"),
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        help_text=_("Separate templates with a line of three dashes (---); the first line is the title."),
    )
    approved = forms.BooleanField(label=_("Approved for use"), required=False)

    def parsed_templates(self) -> list[dict[str, str]]:
        text = self.cleaned_data.get("templates") or ""
        result = []
        for chunk in text.replace("\r\n", "\n").split("\n---\n"):
            lines = chunk.strip().split("\n", 1)
            if lines and lines[0].strip():
                result.append({"title": lines[0].strip(), "body": (lines[1] if len(lines) > 1 else lines[0]).strip()})
        return result

    def parsed_steps(self) -> list[str]:
        return [line.strip() for line in (self.cleaned_data.get("steps") or "").splitlines() if line.strip()]
