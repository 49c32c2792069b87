"""The inbox settings pages: teams (members, assignment, time zone, business hours, holidays, SLA
policy), routing rules (ordered, with a live test against a sample message), saved replies (per
language, the hub's shared with the regions, a preview with the variables filled) and outcome
reasons. Everyone who may see the inbox reads them; changing them needs ``inbox.manage``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pappus.core.forms import time_zone_names
from pappus.core.models import Membership, Region
from pappus.core.permissions import Action, require, role_allows
from pappus.core.views import actor_of, member_required
from pappus.inbox import selectors, services
from pappus.inbox.forms import (
    CloseReasonForm,
    RoutingRuleForm,
    RoutingTestForm,
    SavedReplyForm,
    SlaForm,
    TeamForm,
)
from pappus.inbox.models import RoutingRule, SavedReply, Team
from pappus.inbox.services import TEMPLATE_VARIABLES


def _apply(form: BaseForm, error: ValidationError) -> None:
    """A service's errors onto the form: by field where the form has it, else above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _choices(membership: Membership) -> dict[str, Any]:
    regions = selectors.regions_of(membership)
    return {
        "regions": regions,
        "region_choices": [(region.pk, region.name) for region in regions],
        "agents": selectors.agents_of(membership),
        "teams": list(selectors.teams_of(membership)),
        "networks": selectors.networks_of(membership),
    }


def _region(choices: dict[str, Any], value: str) -> Region | None:
    return next((region for region in choices["regions"] if str(region.pk) == value), None)


def _overview(request: HttpRequest, membership: Membership, *, status: int = 200, **forms: Any) -> HttpResponse:
    choices = _choices(membership)
    regions = choices["region_choices"]
    context = {
        "page_title": _("Inbox settings"),
        "may_manage": role_allows(membership.role, Action.INBOX_MANAGE),
        "teams": selectors.teams_with_settings(membership),
        "rules": selectors.routing_rules_of(membership),
        "replies": list(selectors.saved_replies_of(membership).select_related("region")),
        "own_reasons": selectors.own_close_reasons(membership),
        "reasons": selectors.reasons_of(membership),
        "team_form": forms.get("team_form") or TeamForm(agents=choices["agents"], regions=regions, prefix="team"),
        "rule_form": forms.get("rule_form")
        or RoutingRuleForm(teams=choices["teams"], regions=regions, networks=choices["networks"], prefix="rule"),
        "test_form": RoutingTestForm(regions=regions, networks=choices["networks"], prefix="test"),
        "reply_form": forms.get("reply_form") or SavedReplyForm(regions=regions, prefix="reply"),
        "reason_form": forms.get("reason_form") or CloseReasonForm(prefix="reason"),
        "variables": ["{" + name + "}" for name in TEMPLATE_VARIABLES],
        "time_zone_names": time_zone_names(),
    }
    return render(request, "inbox/settings.html", context, status=status)


@require_GET
@member_required(Action.INBOX_VIEW)
def overview(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _overview(request, membership)


# --- teams ---------------------------------------------------------------------------------------


def _team_values(form: TeamForm, choices: dict[str, Any]) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "name": data["name"],
        "kind": data["kind"],
        "members": data["members"],
        "assignment_mode": data["assignment_mode"],
        "time_zone": data["time_zone"].strip(),
        "business_hours": data["business_hours"],
        "holidays": data["holidays"],
        "region": _region(choices, data["region"]),
    }


@require_POST
@member_required(Action.INBOX_MANAGE)
def team_create(request: HttpRequest, membership: Membership) -> HttpResponse:
    choices = _choices(membership)
    form = TeamForm(request.POST, agents=choices["agents"], regions=choices["region_choices"], prefix="team")
    if form.is_valid():
        try:
            team = services.team_create(actor=actor_of(request), membership=membership, **_team_values(form, choices))
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, _("Team %(name)s created.") % {"name": team.name})
            return redirect("inbox:settings_team", team_id=team.pk)
    return _overview(request, membership, status=422, team_form=form)


def _team_page(
    request: HttpRequest,
    membership: Membership,
    team: Team,
    *,
    status: int = 200,
    form: TeamForm | None = None,
    sla_form: SlaForm | None = None,
) -> HttpResponse:
    choices = _choices(membership)
    policy = selectors.sla_policy_of(team)
    initial_sla = (
        {
            "first_response_minutes": policy.first_response_minutes,
            "resolution_minutes": policy.resolution_minutes,
            "warning_percent": policy.warning_percent,
            "escalation_team": policy.escalation_team_id or "",
            "escalation_user": policy.escalation_user_id or "",
        }
        if policy is not None
        else {"first_response_minutes": 60, "resolution_minutes": 480, "warning_percent": 80}
    )
    context = {
        "page_title": team.name,
        "team": team,
        "policy": policy,
        "may_manage": role_allows(membership.role, Action.INBOX_MANAGE),
        "form": form or TeamForm(agents=choices["agents"], regions=choices["region_choices"], team=team),
        "sla_form": sla_form
        or SlaForm(
            initial=initial_sla,
            teams=[item for item in choices["teams"] if item.pk != team.pk],
            agents=choices["agents"],
        ),
        "time_zone_names": time_zone_names(),
    }
    return render(request, "inbox/settings_team.html", context, status=status)


@require_http_methods(["GET", "POST"])
@member_required(Action.INBOX_VIEW)
def team_detail(request: HttpRequest, membership: Membership, team_id: int) -> HttpResponseBase:
    try:
        team = selectors.team_get(membership, team_id)
    except Team.DoesNotExist as error:
        raise Http404 from error
    if request.method == "GET":
        return _team_page(request, membership, team)
    require(membership, Action.INBOX_MANAGE)
    action = request.POST.get("action", "save")
    choices = _choices(membership)
    if action == "delete":
        try:
            services.team_delete(actor=actor_of(request), membership=membership, team=team)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("inbox:settings_team", team_id=team.pk)
        messages.success(request, _("Team %(name)s removed.") % {"name": team.name})
        return redirect("inbox:settings")
    if action == "sla_remove":
        services.sla_policy_remove(actor=actor_of(request), membership=membership, team=team)
        messages.success(request, _("The team's SLA was removed."))
        return redirect("inbox:settings_team", team_id=team.pk)
    if action == "sla":
        sla_form = SlaForm(
            request.POST, teams=[item for item in choices["teams"] if item.pk != team.pk], agents=choices["agents"]
        )
        if sla_form.is_valid():
            try:
                services.sla_policy_set(
                    actor=actor_of(request), membership=membership, team=team, **sla_form.cleaned_data
                )
            except ValidationError as error:
                _apply(sla_form, error)
            else:
                messages.success(request, _("SLA saved."))
                return redirect("inbox:settings_team", team_id=team.pk)
        return _team_page(request, membership, team, status=422, sla_form=sla_form)
    form = TeamForm(request.POST, agents=choices["agents"], regions=choices["region_choices"])
    if form.is_valid():
        try:
            services.team_update(
                actor=actor_of(request), membership=membership, team=team, **_team_values(form, choices)
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, _("Team saved."))
            return redirect("inbox:settings_team", team_id=team.pk)
    return _team_page(request, membership, team, status=422, form=form)


# --- routing rules -------------------------------------------------------------------------------


@require_POST
@member_required(Action.INBOX_MANAGE)
def rule_create(request: HttpRequest, membership: Membership) -> HttpResponse:
    choices = _choices(membership)
    form = RoutingRuleForm(
        request.POST,
        teams=choices["teams"],
        regions=choices["region_choices"],
        networks=choices["networks"],
        prefix="rule",
    )
    if form.is_valid():
        values = form.values()
        is_active = values.pop("is_active")
        try:
            rule = services.routing_rule_create(
                actor=actor_of(request),
                membership=membership,
                region=_region(choices, form.cleaned_data["region"]),
                **values,
            )
            if not is_active:
                services.routing_rule_update(actor=actor_of(request), membership=membership, rule=rule, is_active=False)
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, _("Routing rule %(name)s added.") % {"name": rule.name})
            return redirect("inbox:settings")
    return _overview(request, membership, status=422, rule_form=form)


@require_http_methods(["GET", "POST"])
@member_required(Action.INBOX_VIEW)
def rule_detail(request: HttpRequest, membership: Membership, rule_id: int) -> HttpResponseBase:
    try:
        rule = selectors.routing_rule_get(membership, rule_id)
    except RoutingRule.DoesNotExist as error:
        raise Http404 from error
    choices = _choices(membership)
    status = 200
    if request.method == "POST":
        require(membership, Action.INBOX_MANAGE)
        if request.POST.get("action") == "delete":
            services.routing_rule_delete(actor=actor_of(request), membership=membership, rule=rule)
            messages.success(request, _("Routing rule %(name)s removed.") % {"name": rule.name})
            return redirect("inbox:settings")
        form = RoutingRuleForm(
            request.POST, teams=choices["teams"], regions=choices["region_choices"], networks=choices["networks"]
        )
        if form.is_valid():
            try:
                services.routing_rule_update(
                    actor=actor_of(request),
                    membership=membership,
                    rule=rule,
                    region=_region(choices, form.cleaned_data["region"]),
                    **form.values(),
                )
            except ValidationError as error:
                _apply(form, error)
            else:
                messages.success(request, _("Routing rule saved."))
                return redirect("inbox:settings")
        status = 422
    else:
        form = RoutingRuleForm(
            teams=choices["teams"], regions=choices["region_choices"], networks=choices["networks"], rule=rule
        )
    context = {
        "page_title": rule.name,
        "item": rule,
        "form": form,
        "may_manage": role_allows(membership.role, Action.INBOX_MANAGE),
        "heading": _("Routing rule: %(name)s") % {"name": rule.name},
        "delete_label": _("Remove the rule"),
    }
    return render(request, "inbox/settings_item.html", context, status=status)


@require_POST
@member_required(Action.INBOX_MANAGE)
def rule_move(request: HttpRequest, membership: Membership, rule_id: int) -> HttpResponse:
    try:
        rule = selectors.routing_rule_get(membership, rule_id)
        to = int(request.POST.get("to", ""))
    except RoutingRule.DoesNotExist as error:
        raise Http404 from error
    except ValueError:
        messages.error(request, _("Say where the rule goes."))
        return redirect("inbox:settings")
    services.routing_rule_move(actor=actor_of(request), membership=membership, rule=rule, to=to)
    return redirect("inbox:settings")


@require_POST
@member_required(Action.INBOX_MANAGE)
def rule_test(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Where a sample message would go (an htmx fragment under the test form)."""
    choices = _choices(membership)
    form = RoutingTestForm(request.POST, regions=choices["region_choices"], networks=choices["networks"], prefix="test")
    result = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = services.routing_test(
                membership=membership,
                text=data["text"],
                network=data["network"],
                language=data["language"],
                customer_tier=data["customer_tier"],
                region=_region(choices, data["region"]),
            )
        except ValidationError as error:
            _apply(form, error)
    return render(
        request,
        "inbox/settings.html#routing-test-result",
        {"result": result, "test_form": form},
        status=200 if result is not None else 422,
    )


# --- saved replies -------------------------------------------------------------------------------


def _reply_values(form: SavedReplyForm, choices: dict[str, Any]) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "title": data["title"],
        "body": data["body"],
        "language": data["language"],
        "region": _region(choices, data["region"]),
        "shared_with_regions": data["shared_with_regions"],
    }


@require_POST
@member_required(Action.INBOX_MANAGE)
def reply_create(request: HttpRequest, membership: Membership) -> HttpResponse:
    choices = _choices(membership)
    form = SavedReplyForm(request.POST, regions=choices["region_choices"], prefix="reply")
    if form.is_valid():
        try:
            reply = services.saved_reply_create(
                actor=actor_of(request), membership=membership, **_reply_values(form, choices)
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, _("Saved reply %(title)s added.") % {"title": reply.title})
            return redirect("inbox:settings")
    return _overview(request, membership, status=422, reply_form=form)


@require_http_methods(["GET", "POST"])
@member_required(Action.INBOX_VIEW)
def reply_detail(request: HttpRequest, membership: Membership, reply_id: int) -> HttpResponseBase:
    try:
        reply = selectors.saved_reply_get(membership, reply_id)
    except SavedReply.DoesNotExist as error:
        raise Http404 from error
    choices = _choices(membership)
    status = 200
    if request.method == "POST":
        require(membership, Action.INBOX_MANAGE)
        if request.POST.get("action") == "delete":
            services.saved_reply_delete(actor=actor_of(request), membership=membership, reply=reply)
            messages.success(request, _("Saved reply %(title)s removed.") % {"title": reply.title})
            return redirect("inbox:settings")
        form = SavedReplyForm(request.POST, regions=choices["region_choices"])
        if form.is_valid():
            try:
                services.saved_reply_update(
                    actor=actor_of(request), membership=membership, reply=reply, **_reply_values(form, choices)
                )
            except ValidationError as error:
                _apply(form, error)
            else:
                messages.success(request, _("Saved reply saved."))
                return redirect("inbox:settings")
        status = 422
    else:
        form = SavedReplyForm(regions=choices["region_choices"], reply=reply)
    context = {
        "page_title": reply.title,
        "item": reply,
        "form": form,
        "may_manage": role_allows(membership.role, Action.INBOX_MANAGE),
        "heading": _("Saved reply: %(title)s") % {"title": reply.title},
        "delete_label": _("Remove the saved reply"),
        "preview": True,
    }
    return render(request, "inbox/settings_item.html", context, status=status)


@require_POST
@member_required(Action.INBOX_VIEW)
def reply_preview(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The text with its variables filled for a sample customer (an htmx fragment)."""
    body = request.POST.get("body", request.POST.get("reply-body", ""))
    filled = services.saved_reply_preview(membership=membership, body=body)
    return render(request, "inbox/settings.html#reply-preview", {"filled": filled})


# --- outcome reasons -----------------------------------------------------------------------------


@require_POST
@member_required(Action.INBOX_MANAGE)
def reasons(request: HttpRequest, membership: Membership) -> HttpResponse:
    remove = request.POST.get("remove", "")
    if remove:
        try:
            services.close_reason_remove(actor=actor_of(request), membership=membership, name=remove)
        except ObjectDoesNotExist:
            messages.error(request, _("No such outcome reason."))
        return redirect("inbox:settings")
    form = CloseReasonForm(request.POST, prefix="reason")
    if form.is_valid():
        try:
            services.close_reason_create(actor=actor_of(request), membership=membership, name=form.cleaned_data["name"])
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, _("Outcome reason added."))
            return redirect("inbox:settings")
    return _overview(request, membership, status=422, reason_form=form)
