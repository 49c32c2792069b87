"""The segments pages: the list with each segment's size, a form to add one, and a page to change or
delete one. A segment's members are the member list filtered by it (``?segment=<id>``)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from pappus.community import segments
from pappus.community.models import Segment
from pappus.community.segment_forms import SegmentForm
from pappus.community.views import _apply, _rights
from pappus.core.models import Membership
from pappus.core.permissions import Action, require
from pappus.core.views import actor_of, member_required


@require_http_methods(["GET", "POST"])
@member_required(Action.COMMUNITY_VIEW)
def segment_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = SegmentForm(request.POST or None)
    if request.method == "POST":
        require(membership, Action.COMMUNITY_MANAGE)
        if form.is_valid():
            data = form.cleaned_data
            try:
                segments.segment_create(
                    actor=actor_of(request),
                    membership=membership,
                    name=data["name"],
                    description=data["description"],
                    tier=data["tier"],
                    priority=data["priority"],
                    filters=form.filters(),
                )
            except ValidationError as error:
                _apply(form, error)
            else:
                messages.success(request, _("The segment has been saved."))
                return redirect("community:segments")
    context = {
        "page_title": _("Segments"),
        "rows": segments.sizes(membership.workspace),
        "form": form,
        **_rights(membership),
    }
    return render(request, "community/segments.html", context)


@require_http_methods(["GET", "POST"])
@member_required(Action.COMMUNITY_VIEW)
def segment_detail(request: HttpRequest, membership: Membership, segment_id: int) -> HttpResponse:
    segment = get_object_or_404(Segment.objects.for_workspace(membership.workspace), pk=segment_id)
    form = SegmentForm(request.POST or None, initial=SegmentForm.initial_of(segment))
    if request.method == "POST":
        require(membership, Action.COMMUNITY_MANAGE)
        if request.POST.get("delete"):
            segments.segment_delete(actor=actor_of(request), membership=membership, segment=segment)
            messages.success(request, _("The segment has been deleted."))
            return redirect("community:segments")
        if form.is_valid():
            data = form.cleaned_data
            try:
                segments.segment_update(
                    actor=actor_of(request),
                    membership=membership,
                    segment=segment,
                    name=data["name"],
                    description=data["description"],
                    tier=data["tier"],
                    priority=data["priority"],
                    filters=form.filters(),
                )
            except ValidationError as error:
                _apply(form, error)
            else:
                messages.success(request, _("The segment has been saved."))
                return redirect("community:segment", segment_id=segment.pk)
    context = {"page_title": segment.name, "segment": segment, "form": form, **_rights(membership)}
    return render(request, "community/segment.html", context)
