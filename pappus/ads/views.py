"""The ads pages: the overview (spend against plan, metrics by network and campaign, daily spend),
a campaign's detail (by ad set and ad), setup (accounts, campaigns, rates, days entered by hand)
and CSV imports. Reading needs ``ads.view``; every change ``ads.manage``. Ads hold no customer data,
so the agency role uses all of it."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from pappus.ads import charts, imports, selectors, services
from pappus.ads.forms import (
    AccountForm,
    AttributionSettingsForm,
    CampaignForm,
    ConversionUploadForm,
    DailyForm,
    MappingForm,
    MetaSyncForm,
    PeriodForm,
    RateForm,
    ReadingForm,
    ReallocationForm,
    UploadForm,
    default_period,
)
from pappus.ads.models import (
    AdCampaign,
    AdImport,
    ExchangeRate,
    ImportedConversion,
    ImportStatus,
    PacingAlert,
    Reallocation,
)
from pappus.core.models import Membership
from pappus.core.permissions import role_allows
from pappus.core.views import actor_of, member_required


def _period(request: HttpRequest) -> tuple[PeriodForm, datetime.date, datetime.date, str]:
    form = PeriodForm(request.GET or None)
    start, end = default_period(timezone.localdate())
    network = ""
    if form.is_bound and form.is_valid():
        start = form.cleaned_data["start"] or start
        end = form.cleaned_data["end"] or end
        network = form.cleaned_data["network"] or ""
        if end < start:
            start, end = default_period(timezone.localdate())
    return form, start, end, network


def _apply(form: Form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, problems in error.message_dict.items():
            for problem in problems:
                form.add_error(name if name in form.fields else None, problem)
    else:
        for problem in error.messages:
            form.add_error(None, problem)


def _strategy_choices(workspace_id: int) -> list[tuple[int, str]]:
    from pappus.strategy import facade as strategy

    return [(info.id, f"{info.program_name} · {info.name}") for info in strategy.list_campaigns(workspace_id)]


@require_GET
@member_required(services.VIEW)
def overview(request: HttpRequest, membership: Membership) -> HttpResponse:
    form, start, end, network = _period(request)
    report = selectors.overview(membership.workspace, start, end, network=network)
    strategy_names = dict(_strategy_choices(membership.workspace_id))
    chart = charts.daily_spend(
        report.daily,
        day_title=_("Day"),
        spend_title=_("Spend (%(currency)s)") % {"currency": report.currency},
    )
    today = timezone.localdate()
    alerts = []
    for line in report.campaigns:
        campaign = line.campaign
        if campaign.starts_on and campaign.ends_on and campaign.starts_on < today <= campaign.ends_on:
            paced = selectors.campaign_pacing(membership.workspace, campaign, today)
            if paced.report is not None and paced.report.status in {"over_pacing", "under_pacing"}:
                alerts.append((campaign, paced.report))
    context = {
        "page_title": _("Paid campaigns"),
        "pacing_alerts": alerts,
        "raised_alerts": PacingAlert.objects.for_workspace(membership.workspace_id)
        .filter(resolved_on__isnull=True)
        .select_related("campaign")[:20],
        "form": form,
        "report": report,
        "campaign_rows": [
            (line, strategy_names.get(line.campaign.strategy_campaign_id or 0, "")) for line in report.campaigns
        ],
        "chart": chart,
        "can_manage": role_allows(membership.role, services.MANAGE),
    }
    return render(request, "ads/overview.html", context, status=400 if form.is_bound and form.errors else 200)


@require_GET
@member_required(services.VIEW)
def campaign_detail(request: HttpRequest, membership: Membership, campaign_id: int) -> HttpResponse:
    campaign = get_object_or_404(
        AdCampaign.objects.for_workspace(membership.workspace_id).select_related("account"), pk=campaign_id
    )
    form, start, end, _network = _period(request)
    if not request.GET and campaign.starts_on:
        start = campaign.starts_on
        end = max(start, min(campaign.ends_on or timezone.localdate(), timezone.localdate()))
    detail = selectors.campaign_detail(membership.workspace, campaign, start, end)
    strategy_name = dict(_strategy_choices(membership.workspace_id)).get(campaign.strategy_campaign_id or 0, "")
    paced = selectors.campaign_pacing(membership.workspace, campaign, timezone.localdate())
    pacing_chart = None
    if paced.report is not None and campaign.starts_on is not None:
        pacing_chart = charts.pacing(
            list(paced.report.planned_daily),
            list(paced.actual_daily),
            campaign.starts_on.isoformat(),
            day_title=_("Day"),
            spend_title=_("Spend to date (%(currency)s)") % {"currency": membership.workspace.currency},
            plan_label=_("Plan"),
            actual_label=_("Actual"),
        )
    context = {
        "page_title": campaign.name,
        "pacing": paced,
        "pacing_chart": pacing_chart,
        "form": form,
        "start": start,
        "end": end,
        "detail": detail,
        "strategy_name": strategy_name,
    }
    return render(request, "ads/campaign.html", context)


def _setup_page(request: HttpRequest, membership: Membership, **forms: Form) -> HttpResponse:
    workspace_id = membership.workspace_id
    context: dict[str, Any] = {
        "page_title": _("Ad accounts and campaigns"),
        "accounts": selectors.accounts(workspace_id),
        "campaigns": AdCampaign.objects.for_workspace(workspace_id).select_related("account").order_by("name"),
        "rates": ExchangeRate.objects.for_workspace(workspace_id)[:30],
        "workspace_currency": membership.workspace.currency,
        "account_form": AccountForm(),
        "campaign_form": CampaignForm(workspace_id=workspace_id, strategy_choices=_strategy_choices(workspace_id)),
        "daily_form": DailyForm(workspace_id=workspace_id),
        "rate_form": RateForm(),
        "meta_form": MetaSyncForm(workspace_id=workspace_id),
        "reading_form": ReadingForm(workspace_id=workspace_id),
        "read_accounts": [account for account in selectors.accounts(workspace_id) if account.read_token],
    }
    context.update(forms)
    return render(request, "ads/setup.html", context, status=400 if forms else 200)


@require_GET
@member_required(services.MANAGE)
def setup(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _setup_page(request, membership)


@require_http_methods(["POST"])
@member_required(services.MANAGE)
def account_create(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = AccountForm(request.POST)
    if form.is_valid():
        try:
            services.account_create(actor=actor_of(request), membership=membership, **form.cleaned_data)
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, _("Ad account added."))
            return redirect("ads:setup")
    return _setup_page(request, membership, account_form=form)


@require_http_methods(["POST"])
@member_required(services.MANAGE)
def campaign_create(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = CampaignForm(
        request.POST,
        workspace_id=membership.workspace_id,
        strategy_choices=_strategy_choices(membership.workspace_id),
    )
    if form.is_valid():
        values = dict(form.cleaned_data)
        account = values.pop("account")
        try:
            campaign = services.campaign_create(
                actor=actor_of(request), membership=membership, account_id=account.pk, **values
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, _("Paid campaign added."))
            return redirect("ads:campaign", campaign_id=campaign.pk)
    return _setup_page(request, membership, campaign_form=form)


@require_http_methods(["POST"])
@member_required(services.MANAGE)
def daily_enter(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = DailyForm(request.POST, workspace_id=membership.workspace_id)
    if form.is_valid():
        values = dict(form.cleaned_data)
        campaign = values.pop("campaign")
        try:
            services.daily_enter(actor=actor_of(request), membership=membership, campaign_id=campaign.pk, **values)
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, _("The day's figures are saved."))
            return redirect("ads:setup")
    return _setup_page(request, membership, daily_form=form)


@require_http_methods(["POST"])
@member_required(services.MANAGE)
def rate_set(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = RateForm(request.POST)
    if form.is_valid():
        try:
            services.rate_set(actor=actor_of(request), membership=membership, **form.cleaned_data)
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, _("Exchange rate saved."))
            return redirect("ads:setup")
    return _setup_page(request, membership, rate_form=form)


def _imports_page(request: HttpRequest, membership: Membership, form: UploadForm | None = None) -> HttpResponse:
    context = {
        "page_title": _("Ad results imports"),
        "imports": AdImport.objects.for_workspace(membership.workspace_id)
        .select_related("account")
        .order_by("-created_at")[:30],
        "upload_form": form or UploadForm(workspace_id=membership.workspace_id),
        "can_manage": role_allows(membership.role, services.MANAGE),
    }
    return render(request, "ads/imports.html", context, status=400 if form is not None else 200)


@require_GET
@member_required(services.VIEW)
def imports_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _imports_page(request, membership)


@require_http_methods(["POST"])
@member_required(services.MANAGE)
def import_upload(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = UploadForm(request.POST, request.FILES, workspace_id=membership.workspace_id)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            created = services.import_upload(
                actor=actor_of(request),
                membership=membership,
                account_id=form.cleaned_data["account"].pk,
                name=upload.name,
                data=upload.read(imports.MAXIMUM_BYTES + 1),
            )
        except ValidationError as error:
            for problem in error.message_dict.get("file", error.messages):
                form.add_error("file", problem)
        else:
            return redirect("ads:import", import_id=created.pk)
    return _imports_page(request, membership, form)


@require_http_methods(["GET", "POST"])
@member_required(services.VIEW)
def import_detail(request: HttpRequest, membership: Membership, import_id: int) -> HttpResponse:
    upload = get_object_or_404(
        AdImport.objects.for_workspace(membership.workspace_id).select_related("account"), pk=import_id
    )
    context: dict[str, Any] = {"page_title": upload.file_name, "upload": upload}
    if upload.status != ImportStatus.PREVIEW:
        return render(request, "ads/import.html", context)
    columns = imports.columns(upload.content)
    form = MappingForm(request.POST or None, columns=columns, initial=imports.suggest_mapping(columns))
    status = 200
    if request.method == "POST" and request.POST.get("action") != "preview":
        if form.is_valid():
            try:
                services.import_commit(
                    actor=actor_of(request), membership=membership, import_id=upload.pk, mapping=form.cleaned_data
                )
            except ValidationError as error:
                for problem in error.messages:
                    form.add_error(None, problem)
            else:
                return redirect("ads:import", import_id=upload.pk)
        status = 400
    mapping = {name: value for name, value in (form.data or form.initial).items() if name in imports.FIELDS and value}
    preview = None
    try:
        preview = imports.parse(
            upload.content, imports.check_mapping(mapping, columns), default_currency=upload.account.currency
        )
    except ValueError:
        preview = None
    context.update({"columns": columns, "rows": imports.preview_rows(upload.content), "form": form, "preview": preview})
    return render(request, "ads/import.html", context, status=status)


# --- budget reallocation ---------------------------------------------------------------------------


def _reallocation_form(request: HttpRequest, membership: Membership, data: Any) -> ReallocationForm:
    campaigns = list(
        AdCampaign.objects.for_workspace(membership.workspace_id)
        .filter(daily__day__gte=timezone.localdate() - datetime.timedelta(days=selectors.HISTORY_LIMIT))
        .distinct()
        .order_by("name")
    )
    return ReallocationForm(data, campaigns=campaigns)


def _request_of(form: ReallocationForm) -> services.ProposalRequest:
    data = form.cleaned_data
    return services.ProposalRequest(
        kpi=data["kpi"],
        budget=data["budget"],
        days=data["days"],
        history_days=data["history_days"],
        limits=form.limits(),
    )


def _proposal_context(result: services.ProposalResult, currency: str) -> dict[str, Any]:
    proposal = result.proposal
    points: list[dict[str, object]] = []
    marks: list[dict[str, object]] = []
    rows = []
    for channel in proposal.channels:
        name = result.campaigns[channel.key].name
        points.extend(
            {"campaign": name, "spend": point.spend, "result": point.result, "low": point.low, "high": point.high}
            for point in proposal.charts.get(channel.key, ())
        )
        curve = next(curve for curve in result.curves if curve.key == channel.key)
        if curve.fitted:
            for which, total in ((_("current"), channel.current), (_("proposed"), channel.proposed)):
                daily = total / proposal.days
                marks.append({"campaign": name, "which": which, "spend": daily, "result": float(curve.expected(daily))})
        rows.append({"campaign": result.campaigns[channel.key], "channel": channel, "curve": curve})
    return {
        "proposal": proposal,
        "proposal_rows": rows,
        "starts_on": result.starts_on,
        "ends_on": result.ends_on,
        "curves_chart": charts.response_curves(
            points,
            marks,
            spend_title=_("Daily spend (%(currency)s)") % {"currency": currency},
            result_title=_("Expected daily result"),
        )
        if points
        else None,
    }


@require_GET
@member_required(services.VIEW)
def reallocation(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = _reallocation_form(request, membership, request.GET if "budget" in request.GET else None)
    context: dict[str, Any] = {
        "page_title": _("Budget reallocation"),
        "form": form,
        "rule_label": selectors.rule_label(selectors.ads_settings(membership.workspace_id).attribution_rule),
        "currency": membership.workspace.currency,
        "decisions": Reallocation.objects.for_workspace(membership.workspace_id).select_related("decided_by")[:20],
        "can_manage": role_allows(membership.role, services.MANAGE),
        "today": timezone.localdate(),
    }
    status = 200
    if form.is_bound:
        if form.is_valid():
            try:
                result = services.reallocation_propose(
                    membership=membership, request=_request_of(form), today=timezone.localdate()
                )
            except ValidationError as error:
                _apply(form, error)
                status = 400
            else:
                context.update(_proposal_context(result, membership.workspace.currency))
        else:
            status = 400
    return render(request, "ads/reallocation.html", context, status=status)


@require_http_methods(["POST"])
@member_required(services.MANAGE)
def reallocation_decide(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = _reallocation_form(request, membership, request.POST)
    if form.is_valid():
        try:
            services.reallocation_decide(
                actor=actor_of(request),
                membership=membership,
                request=_request_of(form),
                approve=request.POST.get("decision") == "approve",
                note=form.cleaned_data.get("note") or "",
                today=timezone.localdate(),
            )
        except ValidationError as error:
            for problem in error.messages:
                messages.error(request, problem)
        else:
            messages.success(request, _("The decision is recorded."))
    else:
        messages.error(request, _("The proposal could not be recorded: check the values."))
    return redirect("ads:reallocation")


@require_http_methods(["POST"])
@member_required(services.MANAGE)
def reallocation_outcome(request: HttpRequest, membership: Membership, reallocation_id: int) -> HttpResponse:
    get_object_or_404(Reallocation.objects.for_workspace(membership.workspace_id), pk=reallocation_id)
    try:
        services.reallocation_record_outcome(
            actor=actor_of(request), membership=membership, reallocation_id=reallocation_id, today=timezone.localdate()
        )
    except ValidationError as error:
        for problem in error.messages:
            messages.error(request, problem)
    else:
        messages.success(request, _("The outcome is recorded."))
    return redirect("ads:reallocation")


@require_http_methods(["POST"])
@member_required(services.MANAGE)
def meta_sync(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = MetaSyncForm(request.POST, workspace_id=membership.workspace_id)
    if form.is_valid():
        data = form.cleaned_data
        try:
            result = services.sync_account(
                actor=actor_of(request),
                membership=membership,
                account_id=data["account"].pk,
                token=data["token"],
                since=data["since"],
                until=data["until"],
                level=data.get("level") or "campaign",
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(
                request,
                _("%(rows)s rows read: %(new)s days imported, %(updated)s updated.")
                % {"rows": result.rows_read, "new": result.days_imported, "updated": result.days_updated},
            )
            return redirect("ads:setup")
    return _setup_page(request, membership, meta_form=form)


# --- attribution ------------------------------------------------------------------------------------


def _attribution_page(
    request: HttpRequest,
    membership: Membership,
    *,
    settings_form: AttributionSettingsForm | None = None,
    upload_form: ConversionUploadForm | None = None,
    result: services.ConversionImportResult | None = None,
    status: int = 200,
) -> HttpResponse:
    chosen = selectors.ads_settings(membership.workspace_id)
    context = {
        "page_title": _("Attribution"),
        "chosen": chosen,
        "rule_label": selectors.rule_label(chosen.attribution_rule),
        "settings_form": settings_form
        or AttributionSettingsForm(
            initial={
                "attribution_rule": chosen.attribution_rule,
                "ratio_basis": chosen.ratio_basis,
                "pacing_alerts_by_email": chosen.pacing_alerts_by_email,
            }
        ),
        "upload_form": upload_form or ConversionUploadForm(),
        "result": result,
        "conversions": ImportedConversion.objects.for_workspace(membership.workspace_id).order_by("-day", "pk")[:50],
        "can_manage": role_allows(membership.role, services.MANAGE),
    }
    return render(request, "ads/attribution.html", context, status=status)


@require_GET
@member_required(services.VIEW)
def attribution_page(request: HttpRequest, membership: Membership) -> HttpResponse:
    return _attribution_page(request, membership)


@require_http_methods(["POST"])
@member_required(services.MANAGE)
def attribution_settings(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = AttributionSettingsForm(request.POST)
    if form.is_valid():
        try:
            services.settings_update(actor=actor_of(request), membership=membership, **form.cleaned_data)
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, _("Attribution settings saved."))
            return redirect("ads:attribution")
    return _attribution_page(request, membership, settings_form=form, status=400)


@require_http_methods(["POST"])
@member_required(services.MANAGE)
def conversions_upload(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = ConversionUploadForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.conversions_import(
                actor=actor_of(request), membership=membership, name=upload.name, data=upload.read()
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            return _attribution_page(request, membership, result=result)
    return _attribution_page(request, membership, upload_form=form, status=400)


@require_http_methods(["POST"])
@member_required(services.MANAGE)
def reading_set(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = ReadingForm(request.POST, workspace_id=membership.workspace_id)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.reading_set(
                actor=actor_of(request),
                membership=membership,
                account_id=data["account"].pk,
                token=data["token"],
                level=data["level"],
                enabled=data["enabled"],
            )
        except ValidationError as error:
            _apply(form, error)
        else:
            messages.success(request, _("Scheduled reads saved."))
            return redirect("ads:setup")
    return _setup_page(request, membership, reading_form=form)
