"""The adoption pages: usage analytics, team and region scorecards (with the hub's rollup), personal
scorecards under the workspace's privacy setting, outcome reasons, what is recorded about me, and the
settings (targets and privacy). Views parse, call selectors or services, render."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pappus.adoption import charts, selectors, services
from pappus.adoption.forms import PERIODS, ChecklistItemForm, DutyForm, PrivacyForm, TargetForm
from pappus.adoption.models import ChecklistItem, Duty, DutyItem, Kpi, KpiTarget
from pappus.core.models import Membership, Region
from pappus.core.permissions import Action, role_allows
from pappus.core.views import actor_of, member_required


class BadPeriodError(ValueError):
    pass


def _days(request: HttpRequest, default: int = 30) -> int:
    raw = request.GET.get("days", "")
    if not raw:
        return default
    if not raw.isdigit() or int(raw) not in PERIODS:
        raise BadPeriodError(
            _("days must be one of %(choices)s, not “%(value)s”.")
            % {"choices": ", ".join(str(days) for days in PERIODS), "value": raw[:20]}
        )
    return int(raw)


def _bad_period(error: BadPeriodError) -> HttpResponse:
    return HttpResponseBadRequest(str(error), content_type="text/plain; charset=utf-8")


def _chart(name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"spec_id": f"chart-{name}", "spec": spec}


def _trend_chart(points: list[selectors.TrendPoint], name: str) -> dict[str, Any] | None:
    if not points:
        return None
    return _chart(
        name,
        charts.kpi_trend(
            [(point.week, str(Kpi(point.kpi).label), point.value) for point in points],
            week=_("Week"),
            value=_("Value"),
        ),
    )


@require_GET
@member_required(Action.ADOPTION_VIEW)
def usage(request: HttpRequest, membership: Membership) -> HttpResponse:
    try:
        days = _days(request)
    except BadPeriodError as error:
        return _bad_period(error)
    overview = selectors.usage_overview(membership, days)
    context = {
        "page_title": _("Adoption"),
        "overview": overview,
        "days": days,
        "periods": PERIODS,
        "adoption_chart": _chart(
            "adoption",
            charts.feature_adoption(
                [(row.label, row.share_7, row.share_30) for row in overview.feature_adoption],
                share=_("Share of members active (%)"),
                window_7=_("last 7 days"),
                window_30=_("last 30 days"),
            ),
        ),
        "weekly_chart": _chart(
            "weekly",
            charts.weekly_usage(overview.weekly, week=_("Week"), feature=_("Feature"), uses=_("Uses")),
        )
        if overview.weekly
        else None,
    }
    return render(request, "adoption/usage.html", context)


@require_GET
@member_required(Action.ADOPTION_VIEW)
def scorecards(request: HttpRequest, membership: Membership) -> HttpResponse:
    try:
        days = _days(request)
    except BadPeriodError as error:
        return _bad_period(error)
    first, last = selectors.period(days)
    workspace_id = membership.workspace_id
    trend_first, _last = selectors.period(max(days, 90))
    inputs = selectors.scorecard_inputs(workspace_id, first, last)  # people, KPI sums and targets, read once
    context = {
        "page_title": _("Scorecards"),
        "days": days,
        "periods": PERIODS,
        "first": first,
        "last": last,
        "kpis": Kpi.choices,
        "regions": selectors.region_scorecards(workspace_id, first, last, inputs),
        "teams": selectors.team_scorecards(workspace_id, first, last, inputs),
        "see_people": selectors.may_see_others(membership),
        "trend_chart": _trend_chart(selectors.kpi_trend(workspace_id, None, trend_first, last), "trend"),
    }
    return render(request, "adoption/scorecards.html", context)


def _person_page(request: HttpRequest, viewer: Membership, user_id: int) -> HttpResponse:
    try:
        days = _days(request)
    except BadPeriodError as error:
        return _bad_period(error)
    try:
        subject = selectors.require_scorecard_of(viewer, user_id)
    except Membership.DoesNotExist as missing:
        raise Http404 from missing
    first, last = selectors.period(days)
    person = next(
        (found for found in selectors.people(viewer.workspace_id) if found.user_id == subject.user_id), None
    ) or selectors.Person(subject.user_id, str(subject.user), subject.user.email, subject.role, (), ())
    sums = selectors.kpi_sums(viewer.workspace_id, first, last, [subject.user_id]).get(subject.user_id, {})
    card = selectors.person_scorecard(person, sums, selectors.targets(viewer.workspace_id))
    trend_first, _last = selectors.period(max(days, 90))
    context = {
        "page_title": _("Scorecard of %(name)s") % {"name": person.name},
        "card": card,
        "days": days,
        "periods": PERIODS,
        "is_own": subject.user_id == viewer.user_id,
        "overdue_duties": selectors.overdue_count(viewer) if subject.user_id == viewer.user_id else 0,
        "can_see_adoption": role_allows(viewer.role, Action.ADOPTION_VIEW),
        "trend_chart": _trend_chart(
            selectors.kpi_trend(viewer.workspace_id, [subject.user_id], trend_first, last), "person-trend"
        ),
    }
    return render(request, "adoption/person.html", context)


@require_GET
@member_required(Action.WORKSPACE_VIEW)
def my_scorecard(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _person_page(request, membership, membership.user_id)


@require_GET
@member_required(Action.WORKSPACE_VIEW)
def person_scorecard(request: HttpRequest, membership: Membership, user_id: int) -> HttpResponse:
    return _person_page(request, membership, user_id)


@require_GET
@member_required(Action.ADOPTION_VIEW)
def outcomes(request: HttpRequest, membership: Membership) -> HttpResponse:
    try:
        days = _days(request, default=365)
    except BadPeriodError as error:
        return _bad_period(error)
    report = selectors.outcome_report(membership, days)
    competitors = selectors.competitor_report(membership, days)
    context = {
        "competitors": competitors,
        "competitor_chart": _chart(
            "competitors",
            charts.outcomes_by_month(
                competitors.by_month, month=_("Month"), reason=_("Competitor"), conversations=_("Conversations")
            ),
        )
        if competitors.by_month
        else None,
        "page_title": _("Outcome reasons"),
        "report": report,
        "days": days,
        "periods": PERIODS,
        "chart": _chart(
            "outcomes",
            charts.outcomes_by_month(
                report.by_month, month=_("Month"), reason=_("Reason"), conversations=_("Conversations")
            ),
        )
        if report.by_month
        else None,
    }
    return render(request, "adoption/outcomes.html", context)


@require_GET
@member_required(Action.WORKSPACE_VIEW)
def about_me(request: HttpRequest, membership: Membership) -> HttpResponse:
    context = {
        "page_title": _("What is recorded about me"),
        "recorded": selectors.recorded_about(membership),
        "retention_days": services.RAW_EVENT_RETENTION_DAYS,
        "can_see_adoption": role_allows(membership.role, Action.ADOPTION_VIEW),
    }
    return render(request, "adoption/about_me.html", context)


def _settings_page(request: HttpRequest, membership: Membership, status: int = 200, **forms: Any) -> HttpResponse:
    current = services.settings_of(membership.workspace_id)
    context: dict[str, Any] = {
        "page_title": _("Adoption settings"),
        "privacy_form": PrivacyForm(
            initial={"scorecard_visibility": current.scorecard_visibility, "dormant_days": current.dormant_days}
        ),
        "target_form": TargetForm(),
        "targets": KpiTarget.objects.for_workspace(membership.workspace_id),
        "checklist_form": ChecklistItemForm(),
        "checklist": ChecklistItem.objects.for_workspace(membership.workspace_id),
    }
    context.update(forms)
    return render(request, "adoption/settings.html", context, status=status)


def _form_failed(form: Any, error: ValidationError) -> None:
    for name, problems in error.message_dict.items():
        for problem in problems:
            form.add_error(name if name in form.fields else None, problem)


@require_http_methods(["GET", "POST"])
@member_required(services.MANAGE)
def settings_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    if request.method == "GET":
        return _settings_page(request, membership)
    form = PrivacyForm(request.POST)
    if form.is_valid():
        try:
            services.settings_update(actor=actor_of(request), membership=membership, **form.cleaned_data)
        except ValidationError as error:
            _form_failed(form, error)
        else:
            messages.success(request, _("Privacy settings saved."))
            return redirect("adoption:settings")
    return _settings_page(request, membership, status=400, privacy_form=form)


@require_POST
@member_required(services.MANAGE)
def target_set(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = TargetForm(request.POST)
    if form.is_valid():
        try:
            services.target_set(actor=actor_of(request), membership=membership, **form.cleaned_data)
        except ValidationError as error:
            _form_failed(form, error)
        else:
            messages.success(request, _("Target saved."))
            return redirect("adoption:settings")
    return _settings_page(request, membership, status=400, target_form=form)


@require_POST
@member_required(services.MANAGE)
def target_delete(request: HttpRequest, membership: Membership, target_id: int) -> HttpResponse:
    try:
        services.target_delete(actor=actor_of(request), membership=membership, target_id=target_id)
    except KpiTarget.DoesNotExist as missing:
        raise Http404 from missing
    messages.success(request, _("Target removed."))
    return redirect("adoption:settings")


@require_http_methods(["GET", "POST"])
@member_required(Action.WORKSPACE_VIEW)
def onboarding(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The member's own onboarding checklist; a POST ticks or unticks one step."""
    if request.method == "POST":
        raw = request.POST.get("item", "")
        if not raw.isdigit():
            return HttpResponseBadRequest(_("item must be a step's number."), content_type="text/plain; charset=utf-8")
        try:
            services.checklist_tick(
                actor=actor_of(request), membership=membership, item_id=int(raw), done=request.POST.get("done") == "1"
            )
        except ChecklistItem.DoesNotExist as missing:
            raise Http404 from missing
        return redirect("adoption:onboarding")
    steps = selectors.checklist_of(membership)
    context = {
        "page_title": _("Onboarding"),
        "steps": steps,
        "done": sum(1 for step in steps if step.done_at is not None),
        "can_see_adoption": role_allows(membership.role, Action.ADOPTION_VIEW),
    }
    return render(request, "adoption/onboarding.html", context)


@require_POST
@member_required(services.MANAGE)
def checklist_add(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = ChecklistItemForm(request.POST)
    if form.is_valid():
        try:
            services.checklist_item_add(actor=actor_of(request), membership=membership, **form.cleaned_data)
        except ValidationError as error:
            _form_failed(form, error)
        else:
            messages.success(request, _("Onboarding step added."))
            return redirect("adoption:settings")
    return _settings_page(request, membership, status=400, checklist_form=form)


@require_POST
@member_required(services.MANAGE)
def checklist_delete(request: HttpRequest, membership: Membership, item_id: int) -> HttpResponse:
    try:
        services.checklist_item_delete(actor=actor_of(request), membership=membership, item_id=item_id)
    except ChecklistItem.DoesNotExist as missing:
        raise Http404 from missing
    messages.success(request, _("Onboarding step removed."))
    return redirect("adoption:settings")


# --- the playbook and each person's duties -------------------------------------------------------------------


def _regions(membership: Membership) -> list[tuple[int, str]]:
    return list(Region.objects.for_workspace(membership.workspace_id).order_by("name").values_list("pk", "name"))


@require_http_methods(["GET", "POST"])
@member_required(Action.WORKSPACE_VIEW)
def duties(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The member's own checklist of playbook duties (the in-app reminder); a POST ticks or unticks one."""
    if request.method == "POST":
        raw = request.POST.get("item", "")
        if not raw.isdigit():
            return HttpResponseBadRequest(_("item must be a duty's number."), content_type="text/plain; charset=utf-8")
        try:
            services.duty_item_tick(
                actor=actor_of(request), membership=membership, item_id=int(raw), done=request.POST.get("done") == "1"
            )
        except DutyItem.DoesNotExist as missing:
            raise Http404 from missing
        return redirect("adoption:duties")
    items = selectors.my_duties(membership)
    context = {
        "page_title": _("My duties"),
        "items": items,
        "overdue": sum(1 for item in items if item.overdue),
        "can_see_adoption": role_allows(membership.role, Action.ADOPTION_VIEW),
    }
    return render(request, "adoption/duties.html", context)


def _playbook_page(request: HttpRequest, membership: Membership, status: int = 200, **forms: Any) -> HttpResponse:
    try:
        days = _days(request, default=90)
    except BadPeriodError as error:
        return _bad_period(error)
    context: dict[str, Any] = {
        "page_title": _("Playbook"),
        "rows": selectors.playbook(membership.workspace_id, days),
        "days": days,
        "periods": PERIODS,
        "can_manage": role_allows(membership.role, services.MANAGE),
        "duty_form": DutyForm(regions=_regions(membership)),
    }
    context.update(forms)
    return render(request, "adoption/playbook.html", context, status=status)


@require_GET
@member_required(Action.ADOPTION_VIEW)
def playbook(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _playbook_page(request, membership)


@require_POST
@member_required(services.MANAGE)
def duty_add(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = DutyForm(request.POST, regions=_regions(membership))
    if form.is_valid():
        try:
            services.duty_add(actor=actor_of(request), membership=membership, **form.cleaned_data)
        except ValidationError as error:
            _form_failed(form, error)
        else:
            services.duties_generate(workspace_id=membership.workspace_id)
            messages.success(request, _("Duty added to the playbook."))
            return redirect("adoption:playbook")
    return _playbook_page(request, membership, status=400, duty_form=form)


@require_POST
@member_required(services.MANAGE)
def duty_delete(request: HttpRequest, membership: Membership, duty_id: int) -> HttpResponse:
    try:
        services.duty_delete(actor=actor_of(request), membership=membership, duty_id=duty_id)
    except Duty.DoesNotExist as missing:
        raise Http404 from missing
    messages.success(request, _("Duty removed from the playbook."))
    return redirect("adoption:playbook")


@require_POST
@member_required(services.MANAGE)
def playbook_seed(request: HttpRequest, membership: Membership) -> HttpResponse:
    added = services.playbook_seed_from_raci(actor=actor_of(request), membership=membership)
    services.duties_generate(workspace_id=membership.workspace_id)
    messages.success(
        request,
        ngettext(
            "%(count)d duty added from the strategy's RACI.", "%(count)d duties added from the strategy's RACI.", added
        )
        % {"count": added},
    )
    return redirect("adoption:playbook")


# --- regions learn from each other --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@member_required(Action.ADOPTION_VIEW)
def learn(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Regions compared per 1,000 followers, the best posts across spokes, saved replies and playbooks to adopt;
    a POST adopts one into another region."""
    if request.method == "POST":
        kind = request.POST.get("kind", "")
        source, target = request.POST.get("source", ""), request.POST.get("target_region", "")
        if not source.isdigit() or not target.isdigit():
            return HttpResponseBadRequest(
                _("source and target_region must be numbers."), content_type="text/plain; charset=utf-8"
            )
        try:
            services.adopt(
                actor=actor_of(request),
                membership=membership,
                kind=kind,
                source_id=int(source),
                target_region_id=int(target),
            )
        except ValidationError as error:
            for field, problems in error.message_dict.items():
                for problem in problems:
                    messages.error(request, f"{field}: {problem}")
        else:
            messages.success(request, _("Adopted: the copy is in the region, with where it came from."))
        raw_days = request.POST.get("days", "")
        return redirect(f"{reverse('adoption:learn')}?days={raw_days if raw_days.isdigit() else 90}")
    try:
        days = _days(request, default=90)
    except BadPeriodError as error:
        return _bad_period(error)
    context = {
        "page_title": _("Regions learn from each other"),
        "overview": selectors.learning_overview(membership, days),
        "per_followers": selectors.PER_FOLLOWERS,
        "min_reply_uses": selectors.MIN_REPLY_USES,
        "follow_up_days": selectors.FOLLOW_UP_DAYS,
        "days": days,
        "periods": PERIODS,
    }
    return render(request, "adoption/learn.html", context)
