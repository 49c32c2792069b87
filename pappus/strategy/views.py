"""The strategy pages: thin, they parse with forms, call services or selectors, and render."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms import Form
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pappus.core import exports
from pappus.core import selectors as core_selectors
from pappus.core.models import Membership
from pappus.core.permissions import Action, require, role_allows
from pappus.core.views import actor_of, member_required
from pappus.listening import facade as listening_facade
from pappus.strategy import charts, dashboards, document, forms, measured, metrics, selectors, services
from pappus.strategy.models import (
    Audience,
    Campaign,
    Competitor,
    Kpi,
    Program,
    RaciAssignment,
    Risk,
    StrategyDocument,
    StrategyTemplate,
)

MEASURED_DAYS = 90


def _apply(form: Form, error: ValidationError) -> None:
    """Show a service's error next to the field it names (owner_id → owner), else above the form."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            name = field.removesuffix("_id").removesuffix("_ids")
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, error)


def _try(form: Form, call: Callable[[], Any]) -> Any:
    try:
        return call()
    except ValidationError as error:
        _apply(form, error)
        return None


def _can_edit(membership: Membership) -> bool:
    return role_allows(membership.role, Action.STRATEGY_EDIT)


def _today(membership: Membership) -> Any:
    return timezone.localdate()


# --- overview: plan versus actual and the weekly review --------------------------------------


@require_http_methods(["GET", "POST"])
@member_required(Action.STRATEGY_VIEW)
def overview(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    today = _today(membership)
    rows = selectors.plan_versus_actual(workspace, as_of=today)
    form = forms.ReviewForm(request.POST or None)
    if request.method == "POST":
        require(membership, Action.STRATEGY_EDIT)
        if form.is_valid():
            review = _try(
                form,
                lambda: services.weekly_review_record(
                    actor=actor_of(request),
                    membership=membership,
                    decision=form.cleaned_data["decision"],
                    findings=selectors.review_findings(rows),
                    week_of=today,
                ),
            )
            if review is not None:
                messages.success(request, _("The decision for this week has been recorded."))
                return redirect("strategy:overview")
    context = {
        "page_title": _("Strategy"),
        "rows": rows,
        "week_starting": metrics.week_starting(today),
        "reviews": selectors.reviews(workspace)[:10],
        "form": form,
        "can_edit": _can_edit(membership),
        "programs": selectors.programs(workspace),
    }
    return render(request, "strategy/overview.html", context, status=400 if form.errors else 200)


# --- brand and competitors -------------------------------------------------------------------


def _topic_choices(workspace_id: int) -> list[tuple[int, str]]:
    return [(topic.id, topic.name) for topic in listening_facade.topics(workspace_id)]


def _share_of_voice_context(request: HttpRequest, membership: Membership) -> dict[str, Any]:
    """Share of voice over the chosen days (the last 28 by default) with its chart."""
    today = _today(membership)
    default = {"first_day": today - datetime.timedelta(days=27), "last_day": today}
    range_form = forms.ShareRangeForm(request.GET if "first_day" in request.GET else None, initial=default)
    chosen = range_form.cleaned_data if range_form.is_bound and range_form.is_valid() else default
    result = measured.share_of_voice(
        membership.workspace,
        first_day=chosen["first_day"],
        last_day=chosen["last_day"],
        brand_name=membership.workspace.name,
    )
    spec = charts.share_of_voice_chart(result.daily, labels={"date": _("Day"), "share": _("Share of voice")})
    return {"range_form": range_form, "voice": result, "voice_spec": spec}


@require_http_methods(["GET", "POST"])
@member_required(Action.STRATEGY_VIEW)
def brand(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    profile = selectors.brand_profile(workspace)
    initial = {name: getattr(profile, name) for name in services.BRAND_FIELDS}
    posted = request.POST if request.method == "POST" else None
    brand_form = forms.BrandForm(posted if posted and "brand" in posted else None, initial=initial)
    competitor_form = forms.CompetitorForm(
        posted if posted and "competitor" in posted else None, topics=_topic_choices(workspace.pk)
    )
    if posted is not None:
        require(membership, Action.STRATEGY_EDIT)
        if (
            brand_form.is_bound
            and brand_form.is_valid()
            and _try(
                brand_form,
                lambda: services.brand_profile_update(
                    actor=actor_of(request), membership=membership, **brand_form.cleaned_data
                ),
            )
        ):
            messages.success(request, _("The brand profile has been saved."))
            return redirect("strategy:brand")
        if (
            competitor_form.is_bound
            and competitor_form.is_valid()
            and _try(
                competitor_form,
                lambda: services.competitor_create(
                    actor=actor_of(request), membership=membership, **competitor_form.cleaned_data
                ),
            )
        ):
            messages.success(request, _("Competitor added."))
            return redirect("strategy:brand")
    context = {
        "page_title": _("Brand"),
        "profile": profile,
        "brand_form": brand_form,
        "competitor_form": competitor_form,
        "competitors": selectors.competitors(workspace),
        "can_edit": _can_edit(membership),
        **_share_of_voice_context(request, membership),
    }
    failed = brand_form.errors or competitor_form.errors
    return render(request, "strategy/brand.html", context, status=400 if failed else 200)


@require_http_methods(["GET", "POST"])
@member_required(Action.STRATEGY_VIEW)
def audiences(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    form = forms.AudienceForm(request.POST or None)
    if request.method == "POST":
        require(membership, Action.STRATEGY_EDIT)
        if form.is_valid() and _try(
            form,
            lambda: services.audience_create(actor=actor_of(request), membership=membership, **form.cleaned_data),
        ):
            messages.success(request, _("Audience added."))
            return redirect("strategy:audiences")
    profile = measured.measured_profile(workspace, last_day=_today(membership), days=MEASURED_DAYS)
    context = {
        "page_title": _("Audiences"),
        "rows": [
            {"audience": audience, "followers": profile.followers_on(audience.networks)}
            for audience in selectors.audiences(workspace)
        ],
        "measured": profile,
        "form": form,
        "can_edit": _can_edit(membership),
    }
    return render(request, "strategy/audiences.html", context, status=400 if form.errors else 200)


# --- programs --------------------------------------------------------------------------------


def _program_values(form: Form) -> dict[str, Any]:
    values = dict(form.cleaned_data)
    values.pop("reason", None)
    owner = values.pop("owner", None)
    return {**values, "owner": owner}


@require_http_methods(["GET", "POST"])
@member_required(Action.STRATEGY_VIEW)
def programs(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    people = selectors.people(workspace)
    posted = request.POST if request.method == "POST" else None
    form = forms.ProgramForm(posted if posted and "program" in posted else None, initial={"status": "draft"})
    form.set_people(people, "owner")
    templates = selectors.templates_for(membership)
    start_form = forms.TemplateStartForm(posted if posted and "template" in posted else None, templates=templates)
    if posted is not None:
        require(membership, Action.STRATEGY_EDIT)
        if form.is_bound and form.is_valid():
            program = _try(
                form,
                lambda: services.program_create(
                    actor=actor_of(request), membership=membership, **_program_values(form)
                ),
            )
            if program is not None:
                messages.success(request, _("Program %(name)s created.") % {"name": program.name})
                return redirect("strategy:program", program_id=program.pk)
        if start_form.is_bound and start_form.is_valid():
            program = _try(
                start_form,
                lambda: services.program_start_from_template(
                    actor=actor_of(request),
                    membership=membership,
                    region=membership.regions.order_by("pk").first(),  # a spoke's program belongs to its region
                    **start_form.cleaned_data,
                ),
            )
            if program is not None:
                messages.success(request, _("Program %(name)s created from the template.") % {"name": program.name})
                return redirect("strategy:program", program_id=program.pk)
    context = {
        "page_title": _("Programs"),
        "programs": selectors.programs(workspace),
        "form": form,
        "start_form": start_form,
        "has_templates": templates.exists(),
        "can_edit": _can_edit(membership),
    }
    failed = form.errors or start_form.errors
    return render(request, "strategy/programs.html", context, status=400 if failed else 200)


@require_http_methods(["GET", "POST"])
@member_required(Action.STRATEGY_VIEW)
def templates(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    if request.method == "POST":
        require(membership, Action.STRATEGY_EDIT)
        if "ensure" in request.POST:
            try:
                created = services.template_ensure_builtins(actor=actor_of(request), membership=membership)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("%(count)d templates added.") % {"count": len(created)})
            return redirect("strategy:templates")
        template = get_object_or_404(StrategyTemplate.objects.for_workspace(workspace), pk=request.POST.get("id"))
        share = forms.TemplateShareForm(request.POST, regions=core_selectors.regions_of(workspace))
        if share.is_valid():
            try:
                services.template_share(
                    actor=actor_of(request),
                    membership=membership,
                    template=template,
                    regions=list(share.cleaned_data["regions"]),
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, _("Sharing of %(name)s saved.") % {"name": template.name})
        return redirect("strategy:templates")
    regions = core_selectors.regions_of(workspace).exclude(parent__isnull=True)
    rows = [
        {
            "template": template,
            "form": forms.TemplateShareForm(
                initial={"regions": list(template.shared_with.all())}, regions=regions, prefix=f"t{template.pk}"
            ),
        }
        for template in selectors.templates_for(membership)
    ]
    context = {
        "page_title": _("Templates"),
        "rows": rows,
        "can_edit": _can_edit(membership),
        "is_hub": not membership.regions.exists(),
    }
    return render(request, "strategy/templates.html", context)


def _people_forms(membership: Membership, posted: Any, prefix: str) -> dict[str, Form]:
    people = selectors.people(membership.workspace)
    risk_form = forms.RiskForm(posted if posted and f"{prefix}risk" in posted else None)
    risk_form.set_people(people, "owner")
    raci_form = forms.RaciForm(posted if posted and f"{prefix}raci" in posted else None)
    raci_form.set_people(people, "responsible", "accountable", "consulted", "informed")
    return {"risk_form": risk_form, "raci_form": raci_form}


def _risk_and_raci(request: HttpRequest, membership: Membership, found: dict[str, Form], **attached: Any) -> bool:
    """Handle the risk and RACI forms of a program or campaign page; True when one was saved."""
    risk_form, raci_form = found["risk_form"], found["raci_form"]
    if risk_form.is_bound and risk_form.is_valid():
        values = dict(risk_form.cleaned_data)
        if _try(
            risk_form,
            lambda: services.risk_create(actor=actor_of(request), membership=membership, **values, **attached),
        ):
            messages.success(request, _("Risk added."))
            return True
    if raci_form.is_bound and raci_form.is_valid():
        data = raci_form.cleaned_data
        if _try(
            raci_form,
            lambda: services.raci_assign(
                actor=actor_of(request),
                membership=membership,
                task=data["task"],
                responsible=list(data["responsible"]),
                accountable=data["accountable"],
                consulted=list(data["consulted"]),
                informed=list(data["informed"]),
                **attached,
            ),
        ):
            messages.success(request, _("Responsibility assigned."))
            return True
    return False


@require_http_methods(["GET", "POST"])
@member_required(Action.STRATEGY_VIEW)
def program_detail(request: HttpRequest, membership: Membership, program_id: int) -> HttpResponse:
    workspace = membership.workspace
    program = get_object_or_404(selectors.programs(workspace), pk=program_id)
    people = selectors.people(workspace)
    posted = request.POST if request.method == "POST" else None
    initial = {
        "name": program.name,
        "goals": program.goals,
        "starts_on": program.starts_on,
        "ends_on": program.ends_on,
        "owner": program.owner_id,
        "status": program.status,
        "budget_planned": program.budget_planned,
    }
    revise_form = forms.ProgramRevisionForm(posted if posted and "revise" in posted else None, initial=initial)
    revise_form.set_people(people, "owner")
    campaign_form = forms.CampaignForm(posted if posted and "campaign" in posted else None)
    campaign_form.set_people(people, "owner")
    extra = _people_forms(membership, posted, "")
    if posted is not None:
        require(membership, Action.STRATEGY_EDIT)
        if revise_form.is_bound and revise_form.is_valid():
            values = _program_values(revise_form)
            owner = values.pop("owner")
            if _try(
                revise_form,
                lambda: services.program_revise(
                    actor=actor_of(request),
                    membership=membership,
                    program=program,
                    reason=revise_form.cleaned_data["reason"],
                    owner_id=owner.pk if owner else None,
                    **values,
                ),
            ):
                messages.success(request, _("The program has been revised."))
                return redirect("strategy:program", program_id=program.pk)
        if campaign_form.is_bound and campaign_form.is_valid():
            values = dict(campaign_form.cleaned_data)
            owner = values.pop("owner")
            campaign = _try(
                campaign_form,
                lambda: services.campaign_create(
                    actor=actor_of(request),
                    membership=membership,
                    program=program,
                    owner_id=owner.pk if owner else None,
                    **values,
                ),
            )
            if campaign is not None:
                messages.success(request, _("Campaign %(name)s created.") % {"name": campaign.name})
                return redirect("strategy:campaign", campaign_id=campaign.pk)
        if _risk_and_raci(request, membership, extra, program=program):
            return redirect("strategy:program", program_id=program.pk)
    today = _today(membership)
    campaigns = list(selectors.campaigns(workspace, program))
    costs = selectors.campaign_costs(workspace, campaigns)
    kpi_rows = selectors.evaluate(
        list(selectors.kpis(workspace).filter(program=program)),
        as_of=today,
        program_spend=selectors.spend_by_program(workspace, costs, program_id=program.pk),
    )
    context = {
        "page_title": program.name,
        "program": program,
        "revisions": selectors.program_revisions(program),
        "campaigns": campaigns,
        "campaign_spend": [(campaign, costs[campaign.pk].ads, costs[campaign.pk]) for campaign in campaigns],
        "kpi_rows": kpi_rows,
        "risks": selectors.risks(workspace).filter(program=program),
        "raci": selectors.raci(workspace).filter(program=program),
        "revise_form": revise_form,
        "campaign_form": campaign_form,
        "can_edit": _can_edit(membership),
        **extra,
    }
    failed = any(form.errors for form in (revise_form, campaign_form, *extra.values()))
    return render(request, "strategy/program.html", context, status=400 if failed else 200)


# --- campaigns -------------------------------------------------------------------------------


def _campaign_context(membership: Membership, campaign: Campaign) -> dict[str, Any]:
    workspace = membership.workspace
    today = _today(membership)
    cost = selectors.campaign_costs(workspace, [campaign])[campaign.pk]
    rows = selectors.evaluate(
        list(selectors.kpis(workspace).filter(campaign=campaign)), as_of=today, costs={campaign.pk: cost}
    )
    labels = document.chart_labels()
    kpi_blocks = [
        {
            "row": row,
            "form": forms.MeasurementForm(initial={"measured_on": today}, prefix=f"kpi{row.kpi.pk}"),
            "spec_id": f"kpi-spec-{row.kpi.pk}",
            "spec": charts.kpi_chart(
                plan=selectors.plan_of(row.kpi),
                points=selectors.points_of(row.kpi),
                forecast=row.evaluation.forecast,
                labels=labels,
            ),
        }
        for row in rows
    ]
    steps = selectors.funnel_of([row.kpi for row in rows])
    budget_labels = {
        "planned": _("Planned"),
        "committed": _("Committed"),
        "spent": _("Spent"),
        "amount": workspace.currency,
    }
    budget_row = (
        campaign.name,
        float(campaign.budget_planned),
        float(campaign.budget_committed),
        float(cost.total if cost.total is not None else campaign.budget_spent),
    )
    return {
        "campaign": campaign,
        "kpi_blocks": kpi_blocks,
        "funnel_rows": [
            {
                "label": document.stage_labels()[step.stage],
                "value": step.value,
                "conversion": f"{step.conversion * 100:.1f} %" if step.conversion is not None else "",
            }
            for step in steps
        ],
        "has_funnel": any(step.value is not None for step in steps),
        "funnel_spec": charts.funnel_chart(steps, stage_labels=document.stage_labels()),
        "budget_spec": charts.budget_chart([budget_row], labels=budget_labels),
        "budget_used": (
            metrics.ratio(float(cost.total), float(campaign.budget_planned)) if cost.total is not None else None
        ),
        "ads_spend": cost.ads,
        "cost": cost,
        "can_edit": _can_edit(membership),
    }


def sentiment_labels() -> dict[str, str]:
    return {"positive": _("Positive"), "neutral": _("Neutral"), "negative": _("Negative"), "": _("Not analysed")}


def _conversation_context(membership: Membership, campaign: Campaign) -> dict[str, Any]:
    """The campaign's listening topics over its dates up to today (the workspace's days): mentions, sentiment,
    share of voice against the competitors' topics, and a chart of mentions per day."""
    if not campaign.listening_topic_ids:
        return {"conversation": None}
    today = _today(membership)
    last_day = min(campaign.ends_on, today)
    if last_day < campaign.starts_on:
        return {"conversation": None, "conversation_not_started": True}
    heard = measured.campaign_conversation(
        membership.workspace, campaign.listening_topic_ids, first_day=campaign.starts_on, last_day=last_day
    )
    labels = {**sentiment_labels(), "date": _("Day"), "mentions": _("Mentions")}
    return {
        "conversation": heard,
        "sentiment_labels": sentiment_labels(),
        "conversation_spec": charts.mentions_chart(heard.daily, labels=labels),
    }


@require_http_methods(["GET", "POST"])
@member_required(Action.STRATEGY_VIEW)
def campaign_detail(request: HttpRequest, membership: Membership, campaign_id: int) -> HttpResponse:
    workspace = membership.workspace
    campaign = get_object_or_404(selectors.campaigns(workspace), pk=campaign_id)
    posted = request.POST if request.method == "POST" else None
    kpi_form = forms.KpiForm(
        posted if posted and "kpi" in posted else None,
        initial={"starts_on": campaign.starts_on, "deadline": campaign.ends_on, "baseline": 0},
    )
    budget_form = forms.BudgetForm(
        posted if posted and "budget" in posted else None,
        initial={
            "status": campaign.status,
            "budget_planned": campaign.budget_planned,
            "budget_committed": campaign.budget_committed,
            "budget_spent": campaign.budget_spent,
            "count_ads_spend": campaign.count_ads_spend,
        },
    )
    topics_form = forms.CampaignTopicsForm(
        posted if posted and "topics" in posted else None,
        initial={"listening_topic_ids": campaign.listening_topic_ids},
        topics=_topic_choices(workspace.pk),
    )
    extra = _people_forms(membership, posted, "")
    if posted is not None:
        require(membership, Action.STRATEGY_EDIT)
        if (
            topics_form.is_bound
            and topics_form.is_valid()
            and _try(
                topics_form,
                lambda: services.campaign_update(
                    actor=actor_of(request), membership=membership, campaign=campaign, **topics_form.cleaned_data
                ),
            )
        ):
            messages.success(request, _("The campaign's listening topics have been saved."))
            return redirect("strategy:campaign", campaign_id=campaign.pk)
        if (
            kpi_form.is_bound
            and kpi_form.is_valid()
            and _try(
                kpi_form,
                lambda: services.kpi_create(
                    actor=actor_of(request), membership=membership, campaign=campaign, **kpi_form.cleaned_data
                ),
            )
        ):
            messages.success(request, _("KPI added."))
            return redirect("strategy:campaign", campaign_id=campaign.pk)
        if (
            budget_form.is_bound
            and budget_form.is_valid()
            and _try(
                budget_form,
                lambda: services.campaign_update(
                    actor=actor_of(request), membership=membership, campaign=campaign, **budget_form.cleaned_data
                ),
            )
        ):
            messages.success(request, _("The budget has been saved."))
            return redirect("strategy:campaign", campaign_id=campaign.pk)
        if _risk_and_raci(request, membership, extra, campaign=campaign):
            return redirect("strategy:campaign", campaign_id=campaign.pk)
    context = {
        "page_title": campaign.name,
        **_campaign_context(membership, campaign),
        **_conversation_context(membership, campaign),
        "kpi_form": kpi_form,
        "budget_form": budget_form,
        "topics_form": topics_form,
        "risks": selectors.risks(workspace).filter(campaign=campaign),
        "raci": selectors.raci(workspace).filter(campaign=campaign),
        **extra,
    }
    failed = any(form.errors for form in (kpi_form, budget_form, topics_form, *extra.values()))
    return render(request, "strategy/campaign.html", context, status=400 if failed else 200)


@require_POST
@member_required(Action.STRATEGY_EDIT)
def kpi_record(request: HttpRequest, membership: Membership, kpi_id: int) -> HttpResponse:
    """Record a KPI's value; with htmx only the KPI table is sent back."""
    kpi = get_object_or_404(Kpi.objects.for_workspace(membership.workspace).select_related("campaign"), pk=kpi_id)
    form = forms.MeasurementForm(request.POST, prefix=f"kpi{kpi.pk}")
    error = ""
    if form.is_valid():
        try:
            services.kpi_record_value(actor=actor_of(request), membership=membership, kpi=kpi, **form.cleaned_data)
        except ValidationError as failure:
            error = " ".join(failure.messages)
    else:
        error = " ".join(
            f"{form.fields[name].label}: {' '.join(str(item) for item in errors)}"
            for name, errors in form.errors.items()
        )
    if kpi.campaign is None:
        if error:
            messages.error(request, error)
        return redirect("strategy:program", program_id=kpi.program_id)
    if not request.htmx:  # type: ignore[attr-defined]
        if error:
            messages.error(request, error)
        return redirect("strategy:campaign", campaign_id=kpi.campaign.pk)
    context = {**_campaign_context(membership, kpi.campaign), "record_error": error, "error_kpi": kpi.pk}
    return render(request, "strategy/campaign.html#kpi-table", context, status=400 if error else 200)


# --- edit screens: competitors, audiences, risks, RACI, templates -----------------------------


def _edit_page(
    request: HttpRequest,
    *,
    form: Form,
    title: str,
    back: str,
    save: Callable[[], Any],
    remove: Callable[[], None] | None,
    saved: str,
    removed: str,
    **extra: Any,
) -> HttpResponse:
    """One edit screen: POST "save" validates and saves, POST "delete" removes; both go back."""
    if request.method == "POST":
        if "delete" in request.POST and remove is not None:
            try:
                remove()
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, removed)
            return redirect(back)
        if form.is_valid() and _try(form, save) is not None:
            messages.success(request, saved)
            return redirect(back)
    context = {"page_title": title, "form": form, "back": back, "can_delete": remove is not None, **extra}
    return render(request, "strategy/edit.html", context, status=400 if form.errors else 200)


def _posted(request: HttpRequest) -> Any:
    return request.POST if request.method == "POST" and "delete" not in request.POST else None


@require_http_methods(["GET", "POST"])
@member_required(Action.STRATEGY_EDIT)
def competitor_edit(request: HttpRequest, membership: Membership, competitor_id: int) -> HttpResponse:
    competitor = get_object_or_404(Competitor.objects.for_workspace(membership.workspace), pk=competitor_id)
    initial = {name: getattr(competitor, name) for name in services.COMPETITOR_FIELDS}
    form = forms.CompetitorForm(_posted(request), initial=initial, topics=_topic_choices(membership.workspace_id))
    actor = actor_of(request)
    return _edit_page(
        request,
        form=form,
        title=_("Competitor: %(name)s") % {"name": competitor.name},
        back=reverse("strategy:brand"),
        save=lambda: services.competitor_update(
            actor=actor, membership=membership, competitor=competitor, **form.cleaned_data
        ),
        remove=lambda: services.competitor_delete(actor=actor, membership=membership, competitor=competitor),
        saved=_("The competitor has been saved."),
        removed=_("The competitor has been removed."),
    )


@require_http_methods(["GET", "POST"])
@member_required(Action.STRATEGY_EDIT)
def audience_edit(request: HttpRequest, membership: Membership, audience_id: int) -> HttpResponse:
    audience = get_object_or_404(Audience.objects.for_workspace(membership.workspace), pk=audience_id)
    initial = {
        "name": audience.name,
        "who": audience.who,
        "where": audience.where,
        "wants": audience.wants,
        "networks": ", ".join(audience.networks),
        "sub_targets": "\n".join(f"{item['product']}: {item['target']}" for item in audience.sub_targets),
        "planned_profile": "\n".join(f"{key}: {value}" for key, value in audience.planned_profile.items()),
    }
    form = forms.AudienceForm(_posted(request), initial=initial)
    actor = actor_of(request)
    return _edit_page(
        request,
        form=form,
        title=_("Audience: %(name)s") % {"name": audience.name},
        back=reverse("strategy:audiences"),
        save=lambda: services.audience_update(
            actor=actor, membership=membership, audience=audience, **form.cleaned_data
        ),
        remove=lambda: services.audience_delete(actor=actor, membership=membership, audience=audience),
        saved=_("The audience has been saved."),
        removed=_("The audience has been removed."),
    )


def _back_to_owner(row: Risk | RaciAssignment) -> str:
    if row.campaign_id is not None:
        return reverse("strategy:campaign", kwargs={"campaign_id": row.campaign_id})
    return reverse("strategy:program", kwargs={"program_id": row.program_id})


@require_http_methods(["GET", "POST"])
@member_required(Action.STRATEGY_EDIT)
def risk_edit(request: HttpRequest, membership: Membership, risk_id: int) -> HttpResponse:
    risk = get_object_or_404(Risk.objects.for_workspace(membership.workspace), pk=risk_id)
    initial = {name: getattr(risk, name) for name in ("title", "likelihood", "impact", "mitigation", "status")}
    form = forms.RiskEditForm(_posted(request), initial={**initial, "owner": risk.owner_id})
    form.set_people(selectors.people(membership.workspace), "owner")
    actor = actor_of(request)

    def save() -> Risk:
        values = dict(form.cleaned_data)
        owner = values.pop("owner")
        return services.risk_update(
            actor=actor, membership=membership, risk=risk, owner_id=owner.pk if owner else None, **values
        )

    return _edit_page(
        request,
        form=form,
        title=_("Risk: %(name)s") % {"name": risk.title},
        back=_back_to_owner(risk),
        save=save,
        remove=lambda: services.risk_delete(actor=actor, membership=membership, risk=risk),
        saved=_("The risk has been saved."),
        removed=_("The risk has been removed."),
    )


@require_http_methods(["GET", "POST"])
@member_required(Action.STRATEGY_EDIT)
def raci_edit(request: HttpRequest, membership: Membership, assignment_id: int) -> HttpResponse:
    assignment = get_object_or_404(selectors.raci(membership.workspace), pk=assignment_id)
    initial = {
        "task": assignment.task,
        "responsible": list(assignment.responsible.all()),
        "accountable": assignment.accountable_id,
        "consulted": list(assignment.consulted.all()),
        "informed": list(assignment.informed.all()),
    }
    form = forms.RaciForm(_posted(request), initial=initial)
    form.set_people(selectors.people(membership.workspace), "responsible", "accountable", "consulted", "informed")
    actor = actor_of(request)

    def save() -> RaciAssignment:
        data = form.cleaned_data
        return services.raci_update(
            actor=actor,
            membership=membership,
            assignment=assignment,
            task=data["task"],
            responsible=list(data["responsible"]),
            accountable=data["accountable"],
            consulted=list(data["consulted"]),
            informed=list(data["informed"]),
        )

    return _edit_page(
        request,
        form=form,
        title=_("Task: %(name)s") % {"name": assignment.task},
        back=_back_to_owner(assignment),
        save=save,
        remove=lambda: services.raci_remove(actor=actor, membership=membership, assignment=assignment),
        saved=_("The responsibilities have been saved."),
        removed=_("The task has been removed."),
    )


@require_http_methods(["GET", "POST"])
@member_required(Action.STRATEGY_EDIT)
def template_new(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = forms.TemplateCreateForm(_posted(request))
    actor = actor_of(request)
    if request.method == "POST" and form.is_valid():
        template = _try(
            form,
            lambda: services.template_create(
                actor=actor, membership=membership, kind=form.cleaned_data["kind"], name=form.cleaned_data["name"]
            ),
        )
        if template is not None:
            messages.success(request, _("Template %(name)s created: adjust it below.") % {"name": template.name})
            return redirect("strategy:template", template_id=template.pk)
    context = {
        "page_title": _("New template"),
        "form": form,
        "back": reverse("strategy:templates"),
        "can_delete": False,
    }
    return render(request, "strategy/edit.html", context, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
@member_required(Action.STRATEGY_EDIT)
def template_edit(request: HttpRequest, membership: Membership, template_id: int) -> HttpResponse:
    template = get_object_or_404(StrategyTemplate.objects.for_workspace(membership.workspace), pk=template_id)
    form = forms.TemplateForm(_posted(request), initial=forms.TemplateForm.initial_of(template.name, template.content))
    actor = actor_of(request)
    return _edit_page(
        request,
        form=form,
        title=_("Template: %(name)s") % {"name": template.name},
        back=reverse("strategy:templates"),
        save=lambda: services.template_update(
            actor=actor,
            membership=membership,
            template=template,
            name=form.cleaned_data["name"],
            content=form.content(),
        ),
        remove=lambda: services.template_delete(actor=actor, membership=membership, template=template),
        saved=_("The template has been saved."),
        removed=_("The template has been removed."),
    )


# --- the strategy document -------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@member_required(Action.STRATEGY_VIEW)
def documents(request: HttpRequest, membership: Membership) -> HttpResponse:
    if request.method == "POST":
        require(membership, Action.STRATEGY_EDIT)
        generated = services.document_generate(actor=actor_of(request), membership=membership)
        messages.success(
            request, _("Version %(version)d of the strategy document is ready.") % {"version": generated.version}
        )
        return redirect("strategy:documents")
    context = {
        "page_title": _("Strategy document"),
        "documents": selectors.documents(membership.workspace),
        "can_edit": _can_edit(membership),
    }
    return render(request, "strategy/documents.html", context)


def _document(membership: Membership, version: int) -> StrategyDocument:
    return get_object_or_404(StrategyDocument.objects.for_workspace(membership.workspace), version=version)


@require_GET
@member_required(Action.STRATEGY_VIEW)
def document_pdf(request: HttpRequest, membership: Membership, version: int) -> HttpResponse:
    generated = _document(membership, version)
    response = HttpResponse(bytes(generated.pdf), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="strategy-{membership.workspace.slug}-v{version}.pdf"'
    return response


@require_GET
@member_required(Action.STRATEGY_VIEW)
def document_markdown(request: HttpRequest, membership: Membership, version: int) -> HttpResponse:
    generated = _document(membership, version)
    response = HttpResponse(generated.markdown, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="strategy-{membership.workspace.slug}-v{version}.md"'
    return response


def program_url(program: Program) -> str:
    return reverse("strategy:program", kwargs={"program_id": program.pk})


# --- dashboards per campaign and per program -----------------------------------------------------


def _dashboard_measures() -> dict[str, str]:
    return {
        "reach": _("Reach"),
        "impressions": _("Impressions"),
        "engagements": _("Engagements"),
        "clicks": _("Link clicks"),
    }


def _dashboard_csv(board: dashboards.Dashboard, name: str, which: str) -> StreamingHttpResponse:
    measures = _dashboard_measures()
    if which == "campaigns":
        header = [
            _("Campaign"),
            _("Starts on"),
            _("Ends on"),
            _("Posts"),
            *measures.values(),
            _("Visits through tracked links"),
            _("Conversions"),
            _("Mentions"),
            _("Planned budget"),
            _("Spent budget"),
        ]
        rows: list[list[object]] = [
            [
                line.campaign.name,
                line.campaign.starts_on.isoformat(),
                line.campaign.ends_on.isoformat(),
                line.figures.posts,
                *(_blank(getattr(line.figures.totals, key)) for key in measures),
                line.figures.sessions,
                line.figures.conversions,
                line.conversation.mentions if line.conversation is not None else "",
                line.campaign.budget_planned,
                line.campaign.budget_spent,
            ]
            for line in board.campaigns
        ]
    else:
        header = [_("Day"), *measures.values()]
        rows = [
            [point.day.isoformat(), *(_blank(getattr(point.figures, key)) for key in measures)]
            for point in board.current.daily
        ]
    response = StreamingHttpResponse(exports.csv_lines([header, *rows]), content_type="text/csv; charset=utf-8")
    filename = f"{name}-{which}-{board.first_day.isoformat()}-{board.last_day.isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _spend_pairs(
    board: dashboards.Dashboard, costs: dict[int, selectors.CampaignCost]
) -> list[tuple[dashboards.CampaignLine, Any, selectors.CampaignCost]]:
    return [(line, costs[line.campaign.pk].ads, costs[line.campaign.pk]) for line in board.campaigns]


def _blank(value: object) -> object:
    return "" if value is None else value


def _dashboard_page(
    request: HttpRequest,
    membership: Membership,
    *,
    title: str,
    owner: Campaign | Program,
    campaigns: list[Campaign],
    kpi_rows: list[selectors.KpiRow],
    costs: dict[int, selectors.CampaignCost],
    split: bool,
    name: str,
) -> HttpResponse | StreamingHttpResponse:
    """One campaign's or program's dashboard over the chosen days (its dates up to today by default)."""
    first_day, last_day = dashboards.default_range(owner.starts_on, owner.ends_on, _today(membership))
    default = {"first_day": first_day, "last_day": last_day}
    range_form = forms.DashboardRangeForm(request.GET if "first_day" in request.GET else None, initial=default)
    if range_form.is_bound and not range_form.is_valid():
        return render(
            request,
            "strategy/dashboard.html",
            {"page_title": title, "owner": owner, "range_form": range_form, "board": None, "split": split},
            status=400,
        )
    chosen = range_form.cleaned_data if range_form.is_bound else default
    board = dashboards.build(
        membership.workspace,
        campaigns,
        first_day=chosen["first_day"],
        last_day=chosen["last_day"],
        kpi_rows=kpi_rows,
        split=split,
    )
    export = request.GET.get("export", "")
    if export in {"daily", "campaigns"} and (export == "daily" or split):
        return _dashboard_csv(board, name, export)
    if export:
        return HttpResponse(
            _("Unknown export %(name)s: choose daily or campaigns.") % {"name": export[:40]},
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    measures = _dashboard_measures()
    daily_rows = [
        (point.day, label, getattr(point.figures, key))
        for point in board.current.daily
        for key, label in measures.items()
    ]
    network_rows = [
        (network, label, getattr(figures, key))
        for network, figures in board.current.by_network
        for key, label in measures.items()
    ]
    campaign_rows = [
        (line.campaign.name, label, getattr(line.figures.totals, key))
        for line in board.campaigns
        for key, label in measures.items()
    ]
    query = f"first_day={board.first_day.isoformat()}&last_day={board.last_day.isoformat()}"
    context = {
        "page_title": title,
        "owner": owner,
        "split": split,
        "range_form": range_form,
        "board": board,
        "campaign_spend": _spend_pairs(board, costs),
        "query": query,
        "daily_spec": charts.daily_chart(daily_rows, labels={"date": _("Day"), "value": _("Count")}),
        "network_spec": charts.grouped_bars_chart(network_rows, labels={"value": _("Count")}),
        "campaigns_spec": charts.grouped_bars_chart(campaign_rows, labels={"value": _("Count")}),
        "conversation_spec": (
            charts.mentions_chart(
                board.conversation.daily,
                labels={**sentiment_labels(), "date": _("Day"), "mentions": _("Mentions")},
            )
            if board.conversation is not None
            else None
        ),
    }
    return render(request, "strategy/dashboard.html", context)


@require_GET
@member_required(Action.STRATEGY_VIEW)
def campaign_dashboard(
    request: HttpRequest, membership: Membership, campaign_id: int
) -> HttpResponse | StreamingHttpResponse:
    workspace = membership.workspace
    campaign = get_object_or_404(selectors.campaigns(workspace), pk=campaign_id)
    costs = selectors.campaign_costs(workspace, [campaign])
    rows = selectors.evaluate(
        list(selectors.kpis(workspace).filter(campaign=campaign)), as_of=_today(membership), costs=costs
    )
    return _dashboard_page(
        request,
        membership,
        title=_("Dashboard: %(name)s") % {"name": campaign.name},
        owner=campaign,
        campaigns=[campaign],
        kpi_rows=rows,
        costs=costs,
        split=False,
        name=f"campaign-{campaign.pk}",
    )


@require_GET
@member_required(Action.STRATEGY_VIEW)
def program_dashboard(
    request: HttpRequest, membership: Membership, program_id: int
) -> HttpResponse | StreamingHttpResponse:
    workspace = membership.workspace
    program = get_object_or_404(selectors.programs(workspace), pk=program_id)
    campaigns = dashboards.program_campaigns(workspace, program)
    costs = selectors.campaign_costs(workspace, campaigns)
    rows = selectors.evaluate(
        list(selectors.kpis(workspace).filter(Q(program=program) | Q(campaign__program=program))),
        as_of=_today(membership),
        program_spend=selectors.spend_by_program(workspace, costs, program_id=program.pk),
        costs=costs,
    )
    return _dashboard_page(
        request,
        membership,
        title=_("Dashboard: %(name)s") % {"name": program.name},
        owner=program,
        campaigns=campaigns,
        kpi_rows=rows,
        costs=costs,
        split=True,
        name=f"program-{program.pk}",
    )
