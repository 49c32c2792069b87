"""The community pages: thin, they parse with forms, call services or selectors, and render.

Every page needs ``community.view`` (never the agency role's); changes need ``community.manage``,
the JSON export ``customer_data.export`` and erasure ``customer_data.erase``.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pappus.community import charts, forms, loyalty, segments, selectors, services
from pappus.community.models import (
    CommunityAlert,
    EventRegistration,
    Member,
    MemberImport,
    MergeRecord,
    MergeSuggestion,
    Segment,
    Stage,
)
from pappus.core.models import Membership
from pappus.core.permissions import Action, require, role_allows
from pappus.core.views import actor_of, member_required

PAGE_SIZE = 50


def _apply(form: Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _rights(membership: Membership) -> dict[str, bool]:
    return {
        "can_manage": role_allows(membership.role, Action.COMMUNITY_MANAGE),
        "can_export": role_allows(membership.role, Action.CUSTOMER_DATA_EXPORT),
        "can_erase": role_allows(membership.role, Action.CUSTOMER_DATA_ERASE),
    }


# --- members -------------------------------------------------------------------------------------


@require_GET
@member_required(Action.COMMUNITY_VIEW)
def member_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    segment_choices = list(segments.segments(workspace).values_list("pk", "name"))
    form = forms.MemberFilterForm(request.GET or None, networks=selectors.networks(workspace), segments=segment_choices)
    filters = selectors.MemberFilters()
    if form.is_valid():
        data = form.cleaned_data
        if data["segment"]:
            # The segment's terms, narrowed further by whatever else the form asks.
            filters = segments.member_filters(Segment.objects.for_workspace(workspace).get(pk=data["segment"]))
        filters = selectors.narrowed(
            filters, stage=data["stage"], network=data["network"], tag=data["tag"], search=data["q"]
        )
    rows = selectors.members(workspace, filters)
    try:
        page = max(1, int(request.GET.get("page", "1")))
    except ValueError:
        page = 1
    offset = (page - 1) * PAGE_SIZE
    items = list(rows[offset : offset + PAGE_SIZE + 1])
    count, capped = selectors.member_count(workspace, filters)
    context = {
        "page_title": _("Community members"),
        "form": form,
        "members": items[:PAGE_SIZE],
        "page": page,
        "has_next": len(items) > PAGE_SIZE,
        "count": count,
        "count_capped": capped,
        **_rights(membership),
    }
    template = "community/members.html#results" if request.htmx else "community/members.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@member_required(Action.COMMUNITY_VIEW)
def member_detail(request: HttpRequest, membership: Membership, member_id: int) -> HttpResponse:
    workspace = membership.workspace
    member = get_object_or_404(Member.objects.for_workspace(workspace), pk=member_id)
    if member.merged_into_id:
        messages.info(request, _("This member has been merged into another; here is the merged member."))
        return redirect("community:member", member_id=member.merged_into_id)
    details = forms.MemberDetailsForm(
        request.POST if request.POST.get("form") == "details" else None,
        initial={
            "display_name": member.display_name,
            "email": member.email,
            "phone": member.phone,
            "tags": ", ".join(member.tags),
            "consent_marketing": member.consent_marketing,
        },
    )
    note = forms.NoteForm(request.POST if request.POST.get("form") == "note" else None)
    erase = forms.EraseForm(request.POST if request.POST.get("form") == "erase" else None)
    if request.method == "POST":
        actor = actor_of(request)
        form_name = request.POST.get("form")
        try:
            if form_name == "details" and details.is_valid():
                data = details.cleaned_data
                services.member_update(
                    actor=actor,
                    membership=membership,
                    member=member,
                    display_name=data["display_name"],
                    email=data["email"],
                    phone=data["phone"],
                    tags=details.tag_list(),
                    consent_marketing=data["consent_marketing"],
                    consent_source=data["consent_source"],
                )
                messages.success(request, _("The member's details have been saved."))
                return redirect("community:member", member_id=member.pk)
            if form_name == "note" and note.is_valid():
                services.note_add(actor=actor, membership=membership, member=member, text=note.cleaned_data["text"])
                messages.success(request, _("The note has been added."))
                return redirect("community:member", member_id=member.pk)
            if form_name == "erase" and erase.is_valid():
                services.member_erase(
                    actor=actor, membership=membership, member=member, reason=erase.cleaned_data["reason"]
                )
                messages.success(request, _("The member's personal data has been erased."))
                return redirect("community:members")
            if form_name not in {"details", "note", "erase"}:
                require(membership, Action.COMMUNITY_MANAGE)
        except ValidationError as error:
            _apply({"details": details, "note": note, "erase": erase}.get(form_name or "", details), error)
    context = {
        "page_title": str(member),
        "profile": selectors.member_profile(workspace, member),
        "registrations": EventRegistration.objects.for_workspace(workspace)
        .filter(member=member)
        .select_related("event")
        .order_by("-pk")[:50],
        "details_form": details,
        "note_form": note,
        "erase_form": erase,
        **_rights(membership),
    }
    return render(request, "community/member.html", context)


@require_POST
@member_required(Action.CUSTOMER_DATA_EXPORT)
def member_export(request: HttpRequest, membership: Membership, member_id: int) -> HttpResponse:
    member = get_object_or_404(Member.objects.for_workspace(membership.workspace), pk=member_id)
    data = services.member_export(actor=actor_of(request), membership=membership, member=member)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="member-{member.pk}.json"'
    return response


# --- merges --------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@member_required(Action.COMMUNITY_VIEW)
def suggestion_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    if request.method == "POST":
        require(membership, Action.COMMUNITY_MANAGE)
        result = services.resolve(membership.workspace_id, actor=actor_of(request))
        services.loyalty_recompute(membership.workspace_id)
        messages.success(
            request,
            _("%(merged)s members merged automatically, %(suggested)s new suggestions.")
            % {"merged": result.merged, "suggested": result.suggested},
        )
        return redirect("community:suggestions")
    context = {
        "page_title": _("Merge suggestions"),
        "suggestions": selectors.suggestions(membership.workspace)[:100],
        "records": selectors.merge_records(membership.workspace)[:50],
        **_rights(membership),
    }
    return render(request, "community/suggestions.html", context)


@require_POST
@member_required(Action.COMMUNITY_MANAGE)
def suggestion_decide(request: HttpRequest, membership: Membership, suggestion_id: int) -> HttpResponse:
    suggestion = get_object_or_404(MergeSuggestion.objects.for_workspace(membership.workspace), pk=suggestion_id)
    try:
        if request.POST.get("decision") == "merge":
            services.suggestion_accept(actor=actor_of(request), membership=membership, suggestion=suggestion)
            messages.success(request, _("The two members are one now."))
        else:
            services.suggestion_reject(actor=actor_of(request), membership=membership, suggestion=suggestion)
            messages.success(request, _("They stay two members and will not be suggested again."))
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return redirect("community:suggestions")


@require_POST
@member_required(Action.COMMUNITY_MANAGE)
def merge_split(request: HttpRequest, membership: Membership, record_id: int) -> HttpResponse:
    record = get_object_or_404(MergeRecord.objects.for_workspace(membership.workspace), pk=record_id)
    try:
        restored = services.merge_split(actor=actor_of(request), membership=membership, record=record)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("community:member", member_id=record.target_id)
    messages.success(request, _("The merge has been split: both members are back as they were."))
    return redirect("community:member", member_id=restored.pk)


# --- loyalty -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@member_required(Action.COMMUNITY_VIEW)
def core_fans(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    if request.method == "POST":
        require(membership, Action.COMMUNITY_MANAGE)
        alert = get_object_or_404(
            CommunityAlert.objects.for_workspace(workspace), pk=request.POST.get("alert", "0") or 0
        )
        services.alert_resolve(actor=actor_of(request), membership=membership, alert=alert)
        return redirect("community:core_fans")
    counts = selectors.stage_counts(workspace)
    context = {
        "page_title": _("Core fans"),
        "fans": selectors.core_fans(workspace),
        "alerts": selectors.open_alerts(workspace)[:100],
        "stage_counts": [(label, counts.get(value, 0)) for value, label in Stage.choices],
        "movements": selectors.stage_movements(workspace),
        "movement_spec": charts.movement_chart(
            weekly, charts.chart_labels() | {value: str(label) for value, label in Stage.choices}
        )
        if (weekly := selectors.stage_movements_by_week(workspace))
        else None,
        "stage_labels": dict(Stage.choices),
        **_rights(membership),
    }
    return render(request, "community/core_fans.html", context)


# --- imports -------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@member_required(Action.COMMUNITY_VIEW)
def import_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = forms.UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        require(membership, Action.COMMUNITY_MANAGE)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                batch = services.import_upload(
                    actor=actor_of(request),
                    membership=membership,
                    file_name=upload.name,
                    data=upload.read(),
                    source_name=form.cleaned_data["source_name"],
                )
            except ValidationError as error:
                _apply(form, error)
            else:
                return redirect("community:import", import_id=batch.pk)
    context = {
        "page_title": _("Member imports"),
        "form": form,
        "imports": selectors.imports(membership.workspace)[:50],
        **_rights(membership),
    }
    return render(request, "community/imports.html", context)


@require_http_methods(["GET", "POST"])
@member_required(Action.COMMUNITY_VIEW)
def import_detail(request: HttpRequest, membership: Membership, import_id: int) -> HttpResponse:
    batch = get_object_or_404(MemberImport.objects.for_workspace(membership.workspace), pk=import_id)
    form = forms.MappingForm(request.POST or None, columns=batch.columns, initial=batch.mapping)
    if request.method == "POST":
        require(membership, Action.COMMUNITY_MANAGE)
        if form.is_valid():
            try:
                services.import_map(
                    actor=actor_of(request), membership=membership, batch=batch, mapping=form.cleaned_data
                )
                if request.POST.get("step") == "import":
                    services.import_run(actor=actor_of(request), membership=membership, batch=batch)
                    messages.success(request, _("The file has been imported."))
                return redirect("community:import", import_id=batch.pk)
            except ValidationError as error:
                _apply(form, error)
    preview = services.import_preview(batch) if batch.content and batch.mapping else []
    context = {
        "page_title": batch.file_name,
        "batch": batch,
        "form": form,
        "preview": preview,
        "preview_fields": [name for name in services.IMPORT_FIELDS if name in batch.mapping],
        "field_labels": services.IMPORT_FIELDS,
        **_rights(membership),
    }
    return render(request, "community/import.html", context)


# --- settings ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@member_required(Action.COMMUNITY_VIEW)
def community_settings(request: HttpRequest, membership: Membership) -> HttpResponse:
    row = services.community_settings(membership.workspace)
    initial: dict[str, Any] = {
        "auto_merge_confidence": row.auto_merge_confidence,
        "retention_days": row.retention_days,
        "loyalty_rules": json.dumps(row.loyalty_rules, indent=2, ensure_ascii=False) if row.loyalty_rules else "",
    }
    form = forms.SettingsForm(request.POST or None, initial=initial)
    if request.method == "POST":
        require(membership, Action.COMMUNITY_MANAGE)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.settings_update(
                    actor=actor_of(request),
                    membership=membership,
                    auto_merge_confidence=data["auto_merge_confidence"],
                    retention_days=data["retention_days"],
                    loyalty_rules=data["loyalty_rules"],
                )
            except ValidationError as error:
                _apply(form, error)
            else:
                messages.success(request, _("The community settings have been saved."))
                return redirect(reverse("community:settings"))
    context = {
        "page_title": _("Community settings"),
        "form": form,
        "defaults": json.dumps(loyalty.DEFAULT_RULES, indent=2),
        **_rights(membership),
    }
    return render(request, "community/settings.html", context)
