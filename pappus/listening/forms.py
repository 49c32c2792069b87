"""Forms of the listening pages: they parse and check input; services do the writing."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from pappus.connectors.contracts import TargetAccount
from pappus.listening import imports
from pappus.listening.models import Sentiment, Source, SourceKind, Topic, TopicKind
from pappus.listening.search import MentionSearch

MAXIMUM_VALUES = 50


class MentionSearchForm(forms.Form):
    """The search page's GET form; facet values (language, country, author) may repeat."""

    q = forms.CharField(label=_("Search"), required=False, max_length=1000)
    topic = forms.TypedMultipleChoiceField(label=_("Topics"), required=False, coerce=int)
    sentiment = forms.MultipleChoiceField(label=_("Sentiment"), required=False, choices=Sentiment.choices)
    source = forms.TypedMultipleChoiceField(label=_("Sources"), required=False, coerce=int)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    sort = forms.ChoiceField(
        label=_("Order"),
        required=False,
        choices=[("newest", _("Newest first")), ("oldest", _("Oldest first")), ("engagement", _("Most engaged"))],
    )

    def __init__(self, data: QueryDict, *, topics: Any, sources: Any) -> None:
        super().__init__(data)
        self.raw = data
        topic_field = self.fields["topic"]
        assert isinstance(topic_field, forms.TypedMultipleChoiceField)  # noqa: S101 - declared above
        topic_field.choices = [(topic.pk, topic.name) for topic in topics]
        source_field = self.fields["source"]
        assert isinstance(source_field, forms.TypedMultipleChoiceField)  # noqa: S101
        source_field.choices = [(source.pk, source.name) for source in sources]

    def _values(self, name: str, length: int) -> list[str]:
        return [value.strip()[:length] for value in self.raw.getlist(name)[:MAXIMUM_VALUES] if value.strip()]

    def search(self) -> MentionSearch:
        """The search asked for; a field that does not parse counts as not given (its error is shown)."""
        data = self.cleaned_data if self.is_valid() else {}
        date_from = data.get("date_from")
        date_to = data.get("date_to")
        return MentionSearch(
            text=data.get("q", "") or "",
            topic_ids=data.get("topic") or (),
            sentiments=data.get("sentiment") or (),
            languages=self._values("language", 16),
            source_ids=data.get("source") or (),
            countries=self._values("country", 2),
            authors=self._values("author", 200),
            since=datetime.datetime.combine(date_from, datetime.time(), tzinfo=datetime.UTC) if date_from else None,
            until=(
                datetime.datetime.combine(date_to + datetime.timedelta(days=1), datetime.time(), tzinfo=datetime.UTC)
                if date_to
                else None
            ),
            sort=data.get("sort") or "newest",
        )


class TopicForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Topic
        fields = ("name", "kind", "query", "is_active", "send_to_inbox")
        widgets = {"query": forms.Textarea(attrs={"rows": 3, "spellcheck": "false"})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = TopicKind.choices  # type: ignore[attr-defined]
        self.fields["query"].help_text = _(
            'AND, OR, NOT, "phrases", wildcards*, NEAR/3, (groups), lang:ru, source:rss, author:@handle, country:NO'
        )


class SourceForm(forms.ModelForm):  # type: ignore[type-arg]
    """A feed, file import, webhook, or a connected account's search (``account`` and ``query``)."""

    account = forms.TypedChoiceField(label=_("Account"), required=False, coerce=int, empty_value=None)
    query = forms.CharField(
        label=_("Search on the network"),
        required=False,
        max_length=500,
        help_text=_("Network connectors only: a hashtag or words, in the network's own search syntax."),
    )

    class Meta:
        model = Source
        fields = ("name", "kind", "url", "account", "query", "poll_interval_seconds", "send_to_inbox")

    def __init__(self, *args: Any, accounts: Sequence[TargetAccount] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["url"].help_text = _("Feeds only: the address of the RSS or Atom feed.")
        account_field = self.fields["account"]
        assert isinstance(account_field, forms.TypedChoiceField)  # noqa: S101 - declared above
        account_field.choices = [
            ("", _("(choose a connected account)")),
            *((account.id, f"{account.network_label} {account.handle}") for account in accounts),
        ]
        account_field.help_text = _("Network connectors only: the connected account that searches.")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("kind") == SourceKind.CONNECTOR:
            if not data.get("account"):
                self.add_error("account", _("Choose the connected account that searches (connect one first)."))
            if not (data.get("query") or "").strip():
                self.add_error("query", _("Enter what to search for: a hashtag or some words."))
        return data


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV, JSON or NDJSON export of another tool, at most 50 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.tsv,.txt,.json,.ndjson,.jsonl"}),
    )
    encoding = forms.ChoiceField(
        label=_("Encoding"),
        required=False,
        choices=[("", _("Detect (UTF-8 unless marked)")), *((name, name) for name in imports.ENCODINGS)],
    )


FIELD_LABELS = {
    "text": _("Text"),
    "title": _("Title"),
    "external_id": _("Id in the other tool"),
    "url": _("Link"),
    "published_at": _("Published"),
    "author_handle": _("Author handle"),
    "author_name": _("Author name"),
    "author_followers": _("Author followers"),
    "author_url": _("Author profile"),
    "language": _("Language"),
    "country": _("Country"),
    "network": _("Network"),
    "like_count": _("Likes"),
    "share_count": _("Shares"),
    "comment_count": _("Comments"),
    "view_count": _("Views"),
    "reach_estimate": _("Estimated reach"),
    "parent_external_id": _("Reply to (id)"),
}


class MappingForm(forms.Form):
    """One choice of column per field; the suggested mapping is the initial value."""

    def __init__(self, *args: Any, columns: list[str], suggested: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("(not in the file)")), *((column, column) for column in columns)]
        for target in imports.TARGET_FIELDS:
            self.fields[target] = forms.ChoiceField(
                label=FIELD_LABELS[target], required=False, choices=choices, initial=suggested.get(target, "")
            )

    def mapping(self) -> dict[str, str]:
        return {target: value for target, value in self.cleaned_data.items() if value}
