"""The opinion leaders pages: the ranking with each score's parts and signals (and a chart of them),
the target audience, and a leader's page with the pipeline, agreement, cost, results and ROI."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from pappus.community import charts, leaders
from pappus.community.leader_forms import LeaderForm, TargetForm
from pappus.community.models import LeaderStage, OpinionLeader
from pappus.community.views import _apply, _rights
from pappus.core.models import Membership
from pappus.core.permissions import Action, require
from pappus.core.views import actor_of, member_required


@require_http_methods(["GET", "POST"])
@member_required(Action.COMMUNITY_VIEW)
def leader_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    target = leaders.target_of(workspace)
    target_form = TargetForm(
        request.POST if request.POST.get("form") == "target" else None,
        initial={
            "languages": ", ".join(target.languages) if target else "",
            "countries": ", ".join(target.countries) if target else "",
            "networks": ", ".join(target.networks) if target else "",
        },
    )
    if request.method == "POST":
        require(membership, Action.COMMUNITY_MANAGE)
        if request.POST.get("form") == "discover":
            result = leaders.discover(membership.workspace_id)
            messages.success(
                request, _("%(found)s authors ranked, %(new)s new.") % {"found": result.found, "new": result.new}
            )
            return redirect("community:leaders")
        if target_form.is_valid():
            try:
                leaders.target_update(actor=actor_of(request), membership=membership, **target_form.lists())
            except ValidationError as error:
                _apply(target_form, error)
            else:
                leaders.discover(membership.workspace_id)
                messages.success(request, _("The target audience has been saved and the leaders ranked again."))
                return redirect("community:leaders")
    stage = request.GET.get("stage", "")
    stage = stage if stage in LeaderStage.values else ""
    rows = list(leaders.leaders(workspace, stage=stage)[:200])
    context = {
        "page_title": _("Opinion leaders"),
        "leaders": rows,
        "stage": stage,
        "stages": LeaderStage.choices,
        "totals": leaders.totals(workspace),
        "target_form": target_form,
        "score_spec": charts.score_chart(rows[:15], charts.score_labels()) if rows else None,
        **_rights(membership),
    }
    return render(request, "community/leaders.html", context)


@require_http_methods(["GET", "POST"])
@member_required(Action.COMMUNITY_VIEW)
def leader_detail(request: HttpRequest, membership: Membership, leader_id: int) -> HttpResponse:
    leader = get_object_or_404(OpinionLeader.objects.for_workspace(membership.workspace), pk=leader_id)
    initial = {name: getattr(leader, name) for name in LeaderForm.base_fields}
    form = LeaderForm(request.POST or None, initial=initial)
    if request.method == "POST":
        require(membership, Action.COMMUNITY_MANAGE)
        if form.is_valid():
            try:
                leaders.leader_update(
                    actor=actor_of(request), membership=membership, leader=leader, **form.cleaned_data
                )
            except ValidationError as error:
                _apply(form, error)
            else:
                messages.success(request, _("Saved."))
                return redirect("community:leader", leader_id=leader.pk)
    context = {
        "page_title": f"{leader.network}: {leader.handle}",
        "leader": leader,
        "form": form,
        "roi": leaders.roi(leader),
        "part_labels": charts.score_labels(),
        **_rights(membership),
    }
    return render(request, "community/leader.html", context)
