"""The web shell's pages for core: thin, they parse with forms, call services or selectors, render."""

from __future__ import annotations

import datetime
import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import wraps
from typing import Any, Concatenate

from django.apps import apps
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.forms import Form
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pappus.core import audit, selectors, services
from pappus.core.audit import Actor
from pappus.core.exports import csv_lines
from pappus.core.forms import (
    AuditFilterForm,
    LanguageForm,
    MemberAddForm,
    MemberRoleForm,
    ProfileForm,
    RegionForm,
    WorkspaceSettingsForm,
    WorkspaceSwitchForm,
    object_type_label,
    time_zone_names,
)
from pappus.core.models import AuditEvent, Membership, Region, User
from pappus.core.permissions import Action, Role, require, role_allows

# --- the one permission decorator ------------------------------------------------------------

type MemberView = Callable[Concatenate[HttpRequest, Membership, ...], HttpResponseBase]


def member_required(action: str) -> Callable[[MemberView], Callable[..., HttpResponseBase]]:
    """Sign-in required; the current membership must allow ``action`` (403 otherwise).

    The view receives the checked membership as its second argument, so it never reads
    ``request.membership`` unchecked.
    """

    def decorator(view: MemberView) -> Callable[..., HttpResponseBase]:
        @wraps(view)
        @login_required
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            membership: Membership | None = getattr(request, "membership", None)
            if membership is None:
                return render(request, "core/no_workspace.html", status=403)
            return view(request, require(membership, action), *args, **kwargs)

        return wrapped

    return decorator


def signed_in_user(request: HttpRequest) -> User:
    """The signed-in user of a view behind ``login_required``."""
    user = request.user
    if not isinstance(user, User):
        raise PermissionDenied
    return user


def actor_of(request: HttpRequest) -> Actor:
    return Actor(user=signed_in_user(request), via="web", ip_address=request.META.get("REMOTE_ADDR") or None)


def _safe_next(request: HttpRequest, candidate: str | None, fallback: str) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return fallback


def _apply_validation_error(form: Form, error: ValidationError) -> None:
    """Show a service's validation error next to the form field it names (else above the form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --- signing in and out, password reset ------------------------------------------------------


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    extra_context = {"page_title": gettext_lazy("Sign in")}


class PasswordResetView(auth_views.PasswordResetView):
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"
    success_url = reverse_lazy("core:password_reset_done")
    extra_context = {"page_title": gettext_lazy("Reset your password")}

    def form_valid(self, form: Any) -> HttpResponse:
        # Links point at the configured public address, never at a Host header an attacker sent.
        self.extra_email_context = {"base_url": settings.BASE_URL}
        return super().form_valid(form)


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"
    extra_context = {"page_title": gettext_lazy("Check your e-mail")}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("core:password_reset_complete")
    extra_context = {"page_title": gettext_lazy("Choose a new password")}


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"
    extra_context = {"page_title": gettext_lazy("Password changed")}


# --- preferences: language, workspace, profile -----------------------------------------------


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; a signed-in user keeps it on their profile too."""
    form = LanguageForm(request.POST)
    fallback = reverse("core:home") if request.user.is_authenticated else reverse("core:login")
    if not form.is_valid():
        return HttpResponse(_("Unknown language."), status=400)
    language = form.cleaned_data["language"]
    if request.user.is_authenticated:
        services.user_update_profile(actor=actor_of(request), user=signed_in_user(request), language=language)
    response = redirect(_safe_next(request, form.cleaned_data["next"], fallback))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


@require_POST
@login_required
def switch_workspace(request: HttpRequest) -> HttpResponse:
    """Work in another workspace: only one the user is an active member of."""
    user = signed_in_user(request)
    form = WorkspaceSwitchForm(request.POST, memberships=selectors.memberships_of(user))
    if not form.is_valid():
        raise PermissionDenied(_("You are not a member of that workspace."))
    membership: Membership = form.cleaned_data["workspace"]
    request.session[selectors.SESSION_WORKSPACE_KEY] = membership.workspace_id
    services.user_remember_workspace(user=user, membership=membership)
    messages.success(request, _("You are now working in %(workspace)s.") % {"workspace": membership.workspace.name})
    # Pages of one workspace's objects make no sense in another: go to its home unless told otherwise.
    return redirect(_safe_next(request, form.cleaned_data["next"], reverse("core:home")))


@require_http_methods(["GET", "POST"])
@login_required
def profile(request: HttpRequest) -> HttpResponse:
    user = signed_in_user(request)
    initial = {"full_name": user.full_name, "language": user.language, "time_zone": user.time_zone}
    form = ProfileForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_update_profile(actor=actor_of(request), user=user, **form.cleaned_data)
        except ValidationError as error:
            _apply_validation_error(form, error)
        else:
            language = form.cleaned_data["language"]
            membership: Membership | None = getattr(request, "membership", None)
            # The confirmation is shown in the language the next page will have.
            translation.activate(language or (membership.workspace.default_language if membership else "en"))
            messages.success(request, _("Your profile has been saved."))
            response = redirect("core:profile")
            if language:
                response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, max_age=settings.LANGUAGE_COOKIE_AGE)
            else:
                response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
            return response
    context = {"form": form, "page_title": _("Your profile"), "time_zone_names": time_zone_names()}
    return render(request, "core/profile.html", context, status=400 if form.errors else 200)


# --- workspace pages -------------------------------------------------------------------------


@dataclass(frozen=True)
class RegionNode:
    region: Region
    children: list[RegionNode]


def _region_tree(regions: list[Region]) -> list[RegionNode]:
    by_parent: dict[int | None, list[Region]] = {}
    for region in regions:
        by_parent.setdefault(region.parent_id, []).append(region)

    def build(parent_id: int | None) -> list[RegionNode]:
        return [RegionNode(region, build(region.pk)) for region in by_parent.get(parent_id, [])]

    return build(None)


@require_GET
@member_required(Action.WORKSPACE_VIEW)
def home(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    regions = list(selectors.regions_of(workspace))
    can_see_audit = role_allows(membership.role, Action.AUDIT_VIEW)
    recent_events = list(selectors.audit_events(workspace)[:10]) if can_see_audit else []
    context = {
        "page_title": workspace.name,
        "region_tree": _region_tree(regions),
        "region_count": len(regions),
        "member_count": selectors.members_of(workspace).count(),
        "can_see_audit": can_see_audit,
        "recent_events": [AuditRow.of(event) for event in recent_events],
    }
    return render(request, "core/home.html", context)


@require_http_methods(["GET", "POST"])
@member_required(Action.MEMBERS_VIEW)
def members(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    can_manage = role_allows(membership.role, Action.MEMBERS_MANAGE)
    include_owner = membership.role == Role.OWNER
    regions = selectors.regions_of(workspace)
    form = MemberAddForm(request.POST or None, regions=regions, include_owner=include_owner)
    if request.method == "POST":
        require(membership, Action.MEMBERS_MANAGE)
        if form.is_valid():
            user = selectors.user_by_email(form.cleaned_data["email"])
            if user is None:
                form.add_error("email", _("Nobody with this e-mail address has an account here."))
            elif selectors.members_of(workspace).filter(user=user).exists():
                form.add_error("email", _("%(email)s is already a member.") % {"email": user.email})
            else:
                try:
                    services.membership_add(
                        actor=actor_of(request),
                        membership=membership,
                        user=user,
                        role=form.cleaned_data["role"],
                        regions=list(form.cleaned_data["regions"]),
                    )
                except ValidationError as error:
                    _apply_validation_error(form, error)
                else:
                    messages.success(request, _("%(user)s has joined the team.") % {"user": user})
                    return redirect("core:members")
    member_rows = [
        {
            "membership": member,
            "role_form": MemberRoleForm(
                initial={"role": member.role}, include_owner=include_owner, prefix=f"member-{member.pk}"
            ),
            "can_change": can_manage and (include_owner or member.role != Role.OWNER),
        }
        for member in selectors.members_of(workspace)
    ]
    context = {"page_title": _("Team"), "form": form, "can_manage": can_manage, "member_rows": member_rows}
    return render(request, "core/members.html", context, status=400 if form.errors else 200)


@require_POST
@member_required(Action.MEMBERS_MANAGE)
def member_role(request: HttpRequest, membership: Membership, membership_id: int) -> HttpResponse:
    target = get_object_or_404(selectors.members_of(membership.workspace), pk=membership_id)
    form = MemberRoleForm(request.POST, include_owner=membership.role == Role.OWNER, prefix=f"member-{target.pk}")
    if not form.is_valid():
        messages.error(request, _("Choose one of the offered roles."))
        return redirect("core:members")
    try:
        services.membership_change_role(
            actor=actor_of(request), membership=membership, target=target, role=form.cleaned_data["role"]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("core:members")
    messages.success(
        request,
        _("%(user)s is now: %(role)s.") % {"user": target.user, "role": Role(form.cleaned_data["role"]).label},
    )
    return redirect("core:members")


@require_POST
@member_required(Action.MEMBERS_MANAGE)
def member_remove(request: HttpRequest, membership: Membership, membership_id: int) -> HttpResponse:
    target = get_object_or_404(selectors.members_of(membership.workspace), pk=membership_id)
    try:
        services.membership_remove(actor=actor_of(request), membership=membership, target=target)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("core:members")
    messages.success(request, _("%(user)s is no longer a member of this workspace.") % {"user": target.user})
    return redirect("core:members")


@require_http_methods(["GET", "POST"])
@member_required(Action.WORKSPACE_VIEW)
def regions(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    all_regions = selectors.regions_of(workspace)
    can_manage = role_allows(membership.role, Action.REGIONS_MANAGE)
    form = RegionForm(request.POST or None, regions=all_regions)
    if request.method == "POST":
        require(membership, Action.REGIONS_MANAGE)
        if form.is_valid():
            try:
                region = services.region_create(actor=actor_of(request), membership=membership, **form.cleaned_data)
            except ValidationError as error:
                _apply_validation_error(form, error)
            else:
                messages.success(request, _("Region %(name)s added.") % {"name": region.name})
                return redirect("core:regions")
    context = {
        "page_title": _("Regions"),
        "region_tree": _region_tree(list(all_regions)),
        "form": form,
        "can_manage": can_manage,
    }
    return render(request, "core/regions.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@member_required(Action.WORKSPACE_MANAGE)
def workspace_settings(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    initial = {
        "name": workspace.name,
        "time_zone": workspace.time_zone,
        "default_language": workspace.default_language,
        "currency": workspace.currency,
    }
    form = WorkspaceSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.workspace_update(actor=actor_of(request), membership=membership, **form.cleaned_data)
        except ValidationError as error:
            _apply_validation_error(form, error)
        else:
            messages.success(request, _("The workspace settings have been saved."))
            return redirect("core:settings")
    context = {"page_title": _("Workspace settings"), "form": form, "time_zone_names": time_zone_names()}
    return render(request, "core/settings.html", context, status=400 if form.errors else 200)


# --- the audit log ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str
    had_before: bool
    has_after: bool


def _readable(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def describe_changes(event: AuditEvent) -> list[FieldChange]:
    """An event's changed fields with their translated names, values as text."""
    try:
        model = apps.get_model(event.object_type) if event.object_type else None
    except (LookupError, ValueError):
        model = None
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    changes = []
    for name in [*before, *(key for key in after if key not in before)]:
        label, choices = name, {}
        if model is not None:
            try:
                field = model._meta.get_field(name.removesuffix("_id"))
            except FieldDoesNotExist:
                pass
            else:
                label = str(getattr(field, "verbose_name", name))
                choices = {str(value): str(text) for value, text in getattr(field, "flatchoices", None) or []}
        changes.append(
            FieldChange(
                label=label[:1].upper() + label[1:],
                before=_readable(choices.get(str(before.get(name)), before.get(name))),
                after=_readable(choices.get(str(after.get(name)), after.get(name))),
                had_before=name in before,
                has_after=name in after,
            )
        )
    return changes


@dataclass(frozen=True)
class AuditRow:
    event: AuditEvent
    action_label: str
    object_type_label: str
    changes: list[FieldChange]

    @classmethod
    def of(cls, event: AuditEvent) -> AuditRow:
        return cls(
            event=event,
            action_label=audit.action_label(event.action),
            object_type_label=object_type_label(event.object_type),
            changes=describe_changes(event),
        )


def _audit_filter_form(request: HttpRequest, membership: Membership) -> AuditFilterForm:
    actions, object_types = selectors.audit_filter_values(membership.workspace)
    return AuditFilterForm(
        request.GET or None,
        actors=selectors.audit_actors(membership.workspace),
        actions=[(action, audit.action_label(action)) for action in actions],
        object_types=object_types,
    )


@require_GET
@member_required(Action.AUDIT_VIEW)
def audit_log(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = _audit_filter_form(request, membership)
    events = selectors.audit_events_filtered(membership.workspace, **form.filters())
    page = Paginator(events, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    export_query = request.GET.copy()
    export_query.pop("page", None)
    context = {
        "page_title": _("Audit log"),
        "form": form,
        "page": page,
        "rows": [AuditRow.of(event) for event in page.object_list],
        "export_query": export_query.urlencode(),
    }
    template = "core/audit.html#audit-table" if request.htmx else "core/audit.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _audit_csv_rows(events: Iterator[AuditEvent]) -> Iterator[str]:
    header = [
        _("Time (UTC)"),
        _("Actor"),
        _("Action"),
        _("Action code"),
        _("Object type"),
        _("Object id"),
        _("Object"),
        _("Before"),
        _("After"),
        _("Via"),
        _("IP address"),
    ]
    yield from csv_lines(
        itertools.chain(
            [header],
            (
                (
                    event.created_at.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S"),
                    event.actor_label,
                    audit.action_label(event.action),
                    event.action,
                    event.object_type,
                    event.object_id,
                    event.object_repr,
                    json.dumps(event.before, ensure_ascii=False, sort_keys=True) if event.before else "",
                    json.dumps(event.after, ensure_ascii=False, sort_keys=True) if event.after else "",
                    event.via,
                    event.ip_address or "",
                )
                for event in events
            ),
        )
    )


@require_GET
@member_required(Action.AUDIT_VIEW)
def audit_export(request: HttpRequest, membership: Membership) -> StreamingHttpResponse:
    form = _audit_filter_form(request, membership)
    events = selectors.audit_events_filtered(membership.workspace, **form.filters())
    response = StreamingHttpResponse(
        _audit_csv_rows(events.iterator(chunk_size=2000)), content_type="text/csv; charset=utf-8"
    )
    filename = f"audit-{membership.workspace.slug}-{timezone.now():%Y%m%d-%H%M}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- health ----------------------------------------------------------------------------------


def health(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
