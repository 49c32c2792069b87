"""Forms of the publishing pages: they parse; the services decide."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from pappus.connectors.contracts import TargetAccount
from pappus.core.models import LANGUAGE_CHOICES, Region, User
from pappus.publishing import limits
from pappus.publishing.models import ContentType, PostStatus


class PostForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    text = forms.CharField(label=_("Master text"), widget=forms.Textarea(attrs={"rows": 6}), required=False)
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none(), required=False)
    language = forms.ChoiceField(label=_("Language"), choices=[("", "—"), *LANGUAGE_CHOICES], required=False)
    pillar = forms.CharField(label=_("Content pillar"), max_length=100, required=False)
    content_type = forms.ChoiceField(label=_("Content type"), choices=ContentType.choices)
    planned_at = forms.DateTimeField(
        label=_("Planned time"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    campaign_id = forms.IntegerField(label=_("Campaign"), min_value=1, required=False)

    def __init__(self, *args: Any, regions: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if regions is not None:
            self.fields["region"].queryset = regions  # type: ignore[attr-defined]


class VariantForm(forms.Form):
    account = forms.ChoiceField(label=_("Account"), required=False)
    network = forms.ChoiceField(label=_("Network"), required=False)
    account_label = forms.CharField(label=_("Account name"), max_length=300, required=False)
    text = forms.CharField(label=_("Text"), widget=forms.Textarea(attrs={"rows": 5}), required=False)
    link = forms.URLField(label=_("Link"), max_length=2000, required=False, assume_scheme="https")
    hashtags = forms.CharField(
        label=_("Hashtags"), max_length=1000, required=False, help_text=_("Separated by spaces.")
    )
    first_comment = forms.CharField(label=_("First comment"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    publish_as = forms.ChoiceField(
        label=_("Publish as"),
        choices=(("post", _("Post")), ("story", _("Story"))),
        initial="post",
        required=False,
        help_text=_("A story only where the network publishes them (Instagram). A video alone there is a Reel."),
    )

    def __init__(self, *args: Any, accounts: Iterable[TargetAccount] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [  # type: ignore[attr-defined]
            ("", _("No connected account yet")),
            *[(str(account.id), f"{account.network_label} {account.handle}") for account in accounts],
        ]
        self.fields["network"].choices = [(name, name.capitalize()) for name in limits.networks()]  # type: ignore[attr-defined]

    def hashtag_list(self) -> list[str]:
        return [tag for tag in self.cleaned_data.get("hashtags", "").replace(",", " ").split() if tag]


class PlanFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False)
    network = forms.ChoiceField(label=_("Network"), required=False)
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none(), required=False)
    author = forms.ModelChoiceField(label=_("Author"), queryset=User.objects.none(), required=False)
    pillar = forms.ChoiceField(label=_("Content pillar"), required=False)
    content_type = forms.ChoiceField(label=_("Content type"), required=False)
    program = forms.TypedChoiceField(label=_("Program"), required=False, coerce=int, empty_value=None)
    campaign = forms.TypedChoiceField(label=_("Campaign"), required=False, coerce=int, empty_value=None)

    def __init__(
        self,
        *args: Any,
        regions: Any,
        authors: Any,
        pillars: list[str],
        campaigns: Iterable[Any] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        campaigns = list(campaigns)
        programs = sorted({(campaign.program_id, campaign.program_name) for campaign in campaigns}, key=lambda p: p[1])
        self.fields["program"].choices = everything + [(str(pk), name) for pk, name in programs]  # type: ignore[attr-defined]
        self.fields["campaign"].choices = everything + [  # type: ignore[attr-defined]
            (str(campaign.id), campaign.name) for campaign in campaigns
        ]
        self.fields["status"].choices = everything + list(PostStatus.choices)  # type: ignore[attr-defined]
        self.fields["network"].choices = everything + [(n, n.capitalize()) for n in limits.networks()]  # type: ignore[attr-defined]
        self.fields["region"].queryset = regions  # type: ignore[attr-defined]
        self.fields["author"].queryset = authors  # type: ignore[attr-defined]
        self.fields["pillar"].choices = everything + [(p, p) for p in pillars]  # type: ignore[attr-defined]
        self.fields["content_type"].choices = everything + list(ContentType.choices)  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000)


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 3}), max_length=5000)


class ReviewCommentForm(CommentForm):
    name = forms.CharField(label=_("Your name"), max_length=200)


class RescheduleForm(forms.Form):
    planned_at = forms.DateTimeField(label=_("Planned time"))


class AssetUploadForm(forms.Form):
    file = forms.FileField(label=_("File"), allow_empty_file=True)
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    region = forms.ModelChoiceField(
        label=_("Region"), queryset=Region.objects.none(), required=False, empty_label=_("The hub")
    )
    tags = forms.CharField(label=_("Tags"), max_length=1000, required=False, help_text=_("Separated by spaces."))
    language = forms.ChoiceField(label=_("Language"), choices=[("", "—"), *LANGUAGE_CHOICES], required=False)
    usage_rights = forms.CharField(
        label=_("Usage rights"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )
    rights_expire_on = forms.DateField(
        label=_("Rights expire on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, regions: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if regions is not None:
            self.fields["region"].queryset = regions  # type: ignore[attr-defined]

    def tag_list(self) -> list[str]:
        return str(self.cleaned_data.get("tags", "")).replace(",", " ").split()


class AssetEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    tags = forms.CharField(label=_("Tags"), max_length=1000, required=False, help_text=_("Separated by spaces."))
    language = forms.ChoiceField(label=_("Language"), choices=[("", "—"), *LANGUAGE_CHOICES], required=False)
    usage_rights = forms.CharField(
        label=_("Usage rights"), widget=forms.Textarea(attrs={"rows": 2}), required=False, max_length=5000
    )
    rights_expire_on = forms.DateField(
        label=_("Rights expire on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class AssetLocalizeForm(forms.Form):
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.none())
    file = forms.FileField(
        label=_("Localized file"), required=False, help_text=_("Leave empty to reuse the original file.")
    )
    name = forms.CharField(label=_("Name"), max_length=200, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=[("", "—"), *LANGUAGE_CHOICES], required=False)

    def __init__(self, *args: Any, regions: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if regions is not None:
            self.fields["region"].queryset = regions  # type: ignore[attr-defined]


class AssetFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=200, required=False)
    tag = forms.CharField(label=_("Tag"), max_length=50, required=False)
    kind = forms.ChoiceField(
        label=_("Kind"),
        required=False,
        choices=[("", _("All")), ("image", _("Images")), ("video", _("Videos")), ("application", _("Documents"))],
    )
    recommended = forms.BooleanField(label=_("Recommended for regions"), required=False)


class TrackedLinkForm(forms.Form):
    landing_url = forms.URLField(label=_("Landing page"), max_length=1800, assume_scheme="https")
    variant = forms.ChoiceField(label=_("Variant"), required=False)
    utm_source = forms.CharField(label="utm_source", max_length=200, required=False)
    utm_medium = forms.CharField(label="utm_medium", max_length=200, required=False)
    utm_campaign = forms.CharField(label="utm_campaign", max_length=200, required=False)
    utm_content = forms.CharField(label="utm_content", max_length=200, required=False)
    utm_term = forms.CharField(label="utm_term", max_length=200, required=False)

    def __init__(self, *args: Any, variants: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["variant"].choices = [  # type: ignore[attr-defined]
            ("", _("The post (any network)")),
            *[(str(variant.pk), variant.label) for variant in variants],
        ]


class PublishingSettingsForm(forms.Form):
    agency_may_publish = forms.BooleanField(label=_("Agency may schedule and publish"), required=False)
    review_link_days = forms.IntegerField(label=_("Review links expire after (days)"), min_value=1, max_value=90)
    track_links = forms.BooleanField(
        label=_("Replace links with tracked short links"),
        required=False,
        help_text=_("When a post is scheduled, each address in its variants gets a short link that counts clicks."),
    )


class EvergreenQueueForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    account = forms.ChoiceField(label=_("Account"), required=False)
    network = forms.ChoiceField(label=_("Network"), required=False)
    account_label = forms.CharField(label=_("Account name"), max_length=300, required=False)
    slots = forms.CharField(
        label=_("Weekly time slots"),
        max_length=2000,
        help_text=_("Weekdays and times in the workspace's time zone, e.g. “mon 09:00, thu 18:30”."),
    )
    min_gap_days = forms.IntegerField(
        label=_("Minimum gap before a post repeats (days)"), min_value=1, max_value=3650, initial=30
    )

    def __init__(self, *args: Any, accounts: Iterable[TargetAccount] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [  # type: ignore[attr-defined]
            ("", _("No connected account yet")),
            *[(str(account.id), f"{account.network_label} {account.handle}") for account in accounts],
        ]
        self.fields["network"].choices = [(name, name.capitalize()) for name in limits.networks()]  # type: ignore[attr-defined]
