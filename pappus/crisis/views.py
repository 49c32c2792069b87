"""The crisis pages: alerts (with the chart and the mentions behind each), incidents with their
timeline and playbook checklist, alert rules and playbooks. Thin: forms parse, services write,
selectors read. Everything needs ``crisis.view``; changes need ``crisis.manage`` (the services check).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.core.paginator import Paginator
from django.forms import BaseForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from pappus.core.audit import Actor
from pappus.core.models import Membership
from pappus.core.permissions import Action, role_allows
from pappus.core.views import member_required
from pappus.crisis import charts, selectors, services
from pappus.crisis.forms import EntryForm, IncidentForm, IncidentUpdateForm, PlaybookForm, RuleForm
from pappus.crisis.models import Alert, AlertRule, Incident, Metric, Playbook
from pappus.crisis.series import mentions_query_string

PAGE_SIZE = 50


def _actor(request: HttpRequest) -> Actor:
    return Actor(user=request.user if request.user.is_authenticated else None, via="web")


def _can_manage(membership: Membership) -> bool:
    return role_allows(membership.role, Action.CRISIS_MANAGE)


def _apply(form: BaseForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


@require_GET
@member_required(Action.CRISIS_VIEW)
def alert_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    alerts = selectors.alerts_of(membership.workspace_id)
    open_only = request.GET.get("open") == "1"
    if open_only:
        alerts = alerts.filter(acknowledged_at__isnull=True)
    page = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"page": page, "open_only": open_only, "page_title": _("Crisis alerts")}
    template = "crisis/alerts.html#alert-rows" if request.htmx else "crisis/alerts.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@require_http_methods(["GET", "POST"])
@member_required(Action.CRISIS_VIEW)
def alert_detail(request: HttpRequest, membership: Membership, alert_id: int) -> HttpResponseBase:
    try:
        alert = selectors.alert_of(membership.workspace_id, alert_id)
    except Alert.DoesNotExist:
        raise Http404 from None
    form = IncidentForm(
        request.POST or None,
        workspace_id=membership.workspace_id,
        initial={"title": alert.rule.name},
    )
    if request.method == "POST":
        if request.POST.get("action") == "acknowledge":
            services.alert_acknowledge(actor=_actor(request), membership=membership, alert=alert)
            messages.success(request, _("Alert acknowledged."))
            return redirect("crisis:alert", alert_id=alert.pk)
        if form.is_valid():
            try:
                incident = services.incident_open(
                    actor=_actor(request),
                    membership=membership,
                    title=form.cleaned_data["title"],
                    severity=form.cleaned_data["severity"],
                    owner=form.cleaned_data["owner"],
                    playbook=form.cleaned_data["playbook"],
                    alerts=[alert],
                )
            except ValidationError as error:
                _apply(form, error)
            else:
                return redirect("crisis:incident", incident_id=incident.pk)
    share = alert.rule.metric == Metric.NEGATIVE_SHARE
    # Times in the reader's time zone (activated by the middleware), the axis naming it.
    zone = timezone.get_current_timezone()
    labels = charts.alert_labels(negative_share=share, time_zone=zone)
    spec = charts.alert_chart(alert.series, alert_hour=alert.window_start.isoformat(), labels=labels, time_zone=zone)
    context = {
        "alert": alert,
        "spec": spec,
        "share": share,
        "form": form,
        "can_manage": _can_manage(membership),
        "mentions_url": reverse("listening:mentions") + "?" + mentions_query_string(alert.mentions_filter),
        "page_title": _("Crisis alert"),
    }
    return render(request, "crisis/alert.html", context)


@require_GET
@member_required(Action.CRISIS_VIEW)
def incident_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    incidents = selectors.incidents_of(membership.workspace_id)
    page = Paginator(incidents, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "crisis/incidents.html", {"page": page, "page_title": _("Incidents")})


@require_http_methods(["GET", "POST"])
@member_required(Action.CRISIS_VIEW)
def incident_detail(request: HttpRequest, membership: Membership, incident_id: int) -> HttpResponseBase:
    try:
        incident = selectors.incident_of(membership.workspace_id, incident_id)
    except Incident.DoesNotExist:
        raise Http404 from None
    actor = _actor(request)
    entry_form = EntryForm(request.POST if request.POST.get("action") == "note" else None)
    update_form = IncidentUpdateForm(
        request.POST if request.POST.get("action") == "update" else None,
        workspace_id=membership.workspace_id,
        initial={
            "title": incident.title,
            "severity": incident.severity,
            "status": incident.status,
            "owner": incident.owner_id,
            "playbook": incident.playbook_id,
            "summary": incident.summary,
        },
    )
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "step":
            try:
                step = int(request.POST.get("step", ""))
            except ValueError:
                step = -1
            try:
                services.incident_check_step(
                    actor=actor,
                    membership=membership,
                    incident=incident,
                    step=step,
                    done=request.POST.get("done") == "1",
                )
            except ValidationError as error:
                return HttpResponse(" ".join(error.messages), status=400)
            incident = selectors.incident_of(membership.workspace_id, incident_id)
            if request.htmx:  # type: ignore[attr-defined]
                return render(request, "crisis/incident.html#checklist", _incident_context(incident, membership))
            return redirect("crisis:incident", incident_id=incident.pk)
        if action == "note" and entry_form.is_valid():
            services.incident_note(
                actor=actor,
                membership=membership,
                incident=incident,
                kind=entry_form.cleaned_data["kind"],
                text=entry_form.cleaned_data["text"],
            )
            incident = selectors.incident_of(membership.workspace_id, incident_id)
            if request.htmx:  # type: ignore[attr-defined]
                return render(
                    request,
                    "crisis/incident.html#timeline",
                    {**_incident_context(incident, membership), "entry_form": EntryForm()},
                )
            return redirect("crisis:incident", incident_id=incident.pk)
        if action == "update" and update_form.is_valid():
            try:
                services.incident_update(
                    actor=actor, membership=membership, incident=incident, **update_form.cleaned_data
                )
            except ValidationError as error:
                _apply(update_form, error)
            else:
                messages.success(request, _("Incident saved."))
                return redirect("crisis:incident", incident_id=incident.pk)
    context = {**_incident_context(incident, membership), "entry_form": entry_form, "update_form": update_form}
    return render(request, "crisis/incident.html", context)


def _incident_context(incident: Incident, membership: Membership) -> dict[str, object]:
    steps = incident.playbook.steps if incident.playbook else []
    return {
        "incident": incident,
        "checklist": [(index, step, index in incident.checked_steps) for index, step in enumerate(steps)],
        "can_manage": _can_manage(membership),
        "page_title": incident.title,
    }


@require_http_methods(["GET", "POST"])
@member_required(Action.CRISIS_VIEW)
def rule_list(request: HttpRequest, membership: Membership, rule_id: int | None = None) -> HttpResponseBase:
    rule: AlertRule | None = None
    if rule_id is not None:
        try:
            rule = selectors.rule_of(membership.workspace_id, rule_id)
        except AlertRule.DoesNotExist:
            raise Http404 from None
    form = RuleForm(request.POST or None, instance=rule, workspace_id=membership.workspace_id)
    if request.method == "POST":
        if rule is not None and request.POST.get("action") == "delete":
            services.rule_delete(actor=_actor(request), membership=membership, rule=rule)
            messages.success(request, _("Alert rule removed."))
            return redirect("crisis:rules")
        if form.is_valid():
            values = {name: form.cleaned_data[name] for name in form.Meta.fields}
            try:
                if rule is None:
                    services.rule_create(actor=_actor(request), membership=membership, **values)
                else:
                    services.rule_update(actor=_actor(request), membership=membership, rule=rule, **values)
            except ValidationError as error:
                _apply(form, error)
            else:
                messages.success(request, _("Alert rule saved."))
                return redirect("crisis:rules")
    context = {
        "rules": selectors.rules_of(membership.workspace_id),
        "rule": rule,
        "form": form,
        "can_manage": _can_manage(membership),
        "page_title": _("Alert rules"),
    }
    return render(request, "crisis/rules.html", context)


@require_http_methods(["GET", "POST"])
@member_required(Action.CRISIS_VIEW)
def playbook_list(request: HttpRequest, membership: Membership, playbook_id: int | None = None) -> HttpResponseBase:
    playbook: Playbook | None = None
    initial: dict[str, object] = {}
    if playbook_id is not None:
        try:
            playbook = selectors.playbook_of(membership.workspace_id, playbook_id)
        except Playbook.DoesNotExist:
            raise Http404 from None
        initial = {
            "name": playbook.name,
            "language": playbook.language,
            "steps": "\n".join(playbook.steps),
            "templates": "\n---\n".join(f"{item['title']}\n{item['body']}" for item in playbook.templates),
            "approved": playbook.approved_at is not None,
        }
    form = PlaybookForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        values = {
            "name": form.cleaned_data["name"],
            "language": form.cleaned_data["language"],
            "steps": form.parsed_steps(),
            "templates": form.parsed_templates(),
            "approved": form.cleaned_data["approved"],
        }
        try:
            if playbook is None:
                services.playbook_create(actor=_actor(request), membership=membership, **values)
            else:
                services.playbook_update(actor=_actor(request), membership=membership, playbook=playbook, **values)
        except ValidationError as error:
            _apply(form, error)
        except ObjectDoesNotExist:
            raise Http404 from None
        else:
            messages.success(request, _("Playbook saved."))
            return redirect("crisis:playbooks")
    context = {
        "playbooks": selectors.playbooks_of(membership.workspace_id),
        "playbook": playbook,
        "form": form,
        "can_manage": _can_manage(membership),
        "page_title": _("Playbooks"),
    }
    return render(request, "crisis/playbooks.html", context)
