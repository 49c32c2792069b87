"""The publishing pages: content plan, calendar, post editor, failed posts, the external review page."""

from __future__ import annotations

import calendar
import dataclasses
import datetime
from collections import defaultdict
from typing import Any

from django.contrib import messages
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pappus.core import selectors as core_selectors
from pappus.core.models import Membership
from pappus.core.permissions import Action, role_allows
from pappus.core.views import actor_of, member_required
from pappus.publishing import alerts, assets, evergreen, limits, links, previews, selectors, services
from pappus.publishing.forms import (
    AssetEditForm,
    AssetFilterForm,
    AssetLocalizeForm,
    AssetUploadForm,
    CommentForm,
    EvergreenQueueForm,
    NoteForm,
    PlanFilterForm,
    PostForm,
    PublishingSettingsForm,
    RescheduleForm,
    ReviewCommentForm,
    TrackedLinkForm,
    VariantForm,
)
from pappus.publishing.models import Asset, AssetUse, EvergreenEntry, EvergreenQueue, Post, PostStatus, Variant


def _errors(error: ValidationError) -> str:
    return " ".join(error.messages)


def _form_error(form: Any, error: ValidationError) -> None:
    """A service's error on the form: on its field where the form has one, else above the form."""
    if hasattr(error, "error_dict") and set(error.error_dict) <= set(form.fields):
        form.add_error(None, error)
    else:
        form.add_error(None, _errors(error))


def _post_or_404(membership: Membership, post_id: int) -> Post:
    try:
        return selectors.post_detail(membership.workspace, post_id)
    except Post.DoesNotExist as error:
        raise Http404 from error


def _variant_or_404(membership: Membership, variant_id: int) -> Variant:
    try:
        return selectors.variants_of(membership.workspace).get(pk=variant_id)
    except Variant.DoesNotExist as error:
        raise Http404 from error


def _regions(membership: Membership) -> Any:
    return core_selectors.regions_of(membership.workspace)


# --- the content plan --------------------------------------------------------------------------


def _plan_filters(request: HttpRequest, membership: Membership) -> tuple[PlanFilterForm, selectors.PostFilters]:
    """The filter form of the plan and the calendars, and the filters it gives (none when invalid)."""
    from pappus.strategy import facade as strategy_facade

    workspace = membership.workspace
    campaigns = strategy_facade.list_campaigns(workspace.pk)
    data_in = {key: value for key, value in request.GET.items() if key not in {"month", "week"}}
    form = PlanFilterForm(
        data_in or None,
        regions=_regions(membership),
        authors=core_selectors.audit_actors(workspace),
        pillars=selectors.pillars_of(workspace),
        campaigns=campaigns,
    )
    filters = selectors.PostFilters()
    if form.is_valid():
        data = form.cleaned_data
        program = data["program"]
        filters = selectors.PostFilters(
            status=data["status"],
            network=data["network"],
            region_id=data["region"].pk if data["region"] else None,
            author_id=data["author"].pk if data["author"] else None,
            pillar=data["pillar"],
            content_type=data["content_type"],
            campaign_id=data["campaign"],
            campaign_ids=tuple(c.id for c in campaigns if c.program_id == program) if program is not None else None,
        )
    return form, filters


def _filter_query(request: HttpRequest) -> str:
    """The current filters as a query string, for the calendars' navigation links."""
    query = request.GET.copy()
    for key in ("month", "week"):
        query.pop(key, None)
    return query.urlencode()


@require_GET
@member_required(Action.CONTENT_VIEW)
def plan(request: HttpRequest, membership: Membership) -> HttpResponse:
    workspace = membership.workspace
    form, filters = _plan_filters(request, membership)
    posts = list(selectors.posts_filtered(workspace, filters)[:500])
    expired = assets.expired_assets_of_posts(
        workspace.pk, [post.pk for post in posts if post.status == PostStatus.SCHEDULED]
    )
    for post in posts:
        post.expired_assets = expired.get(post.pk, [])  # type: ignore[attr-defined]
    context = {
        "page_title": _("Content plan"),
        "form": form,
        "posts": posts,
        "can_manage_settings": role_allows(membership.role, Action.WORKSPACE_MANAGE),
    }
    template = "publishing/plan.html#plan-table" if request.htmx else "publishing/plan.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@require_GET
@member_required(Action.CONTENT_VIEW)
def month(request: HttpRequest, membership: Membership) -> HttpResponse:
    """A month of the plan, weeks from Monday, in the workspace's time zone; posts can be dragged to another day."""
    zone = timezone.get_current_timezone()
    today = timezone.localdate()
    try:
        year, number = (int(part) for part in request.GET.get("month", "").split("-"))
        first = datetime.date(year, number, 1)
    except ValueError:
        first = today.replace(day=1)
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    start = datetime.datetime.combine(weeks[0][0], datetime.time(), tzinfo=zone)
    end = datetime.datetime.combine(weeks[-1][-1] + datetime.timedelta(days=1), datetime.time(), tzinfo=zone)
    form, filters = _plan_filters(request, membership)
    posts = selectors.posts_filtered(membership.workspace, dataclasses.replace(filters, since=start, until=end))
    by_day: dict[datetime.date, list[Post]] = defaultdict(list)
    for post in posts:
        if post.planned_at is not None:
            by_day[timezone.localtime(post.planned_at, zone).date()].append(post)
    previous = (first - datetime.timedelta(days=1)).replace(day=1)
    following = (first + datetime.timedelta(days=32)).replace(day=1)
    context = {
        "page_title": _("Calendar"),
        "first": first,
        "today": today,
        "weeks": [[(day, by_day.get(day, [])) for day in week] for week in weeks],
        "previous": f"{previous:%Y-%m}",
        "following": f"{following:%Y-%m}",
        "weekdays": [calendar.day_abbr[index] for index in range(7)],
        "can_draft": role_allows(membership.role, Action.CONTENT_DRAFT),
        "form": form,
        "filter_query": _filter_query(request),
        "this_week": first if first.weekday() == 0 else first - datetime.timedelta(days=first.weekday()),
    }
    return render(request, "publishing/calendar.html", context)


WEEK_HOURS = range(24)


@require_GET
@member_required(Action.CONTENT_VIEW)
def week(request: HttpRequest, membership: Membership) -> HttpResponse:
    """A week of the plan by hour (Monday first, the workspace's time zone); posts can be dragged to another hour."""
    zone = timezone.get_current_timezone()
    today = timezone.localdate()
    try:
        chosen = datetime.date.fromisoformat(request.GET.get("week", ""))
    except ValueError:
        chosen = today
    monday = chosen - datetime.timedelta(days=chosen.weekday())
    days = [monday + datetime.timedelta(days=offset) for offset in range(7)]
    start = datetime.datetime.combine(monday, datetime.time(), tzinfo=zone)
    end = datetime.datetime.combine(monday + datetime.timedelta(days=7), datetime.time(), tzinfo=zone)
    form, filters = _plan_filters(request, membership)
    posts = selectors.posts_filtered(membership.workspace, dataclasses.replace(filters, since=start, until=end))
    by_slot: dict[tuple[datetime.date, int], list[Post]] = defaultdict(list)
    for post in posts:
        if post.planned_at is not None:
            local = timezone.localtime(post.planned_at, zone)
            by_slot[(local.date(), local.hour)].append(post)
    context = {
        "page_title": _("Week of %(day)s") % {"day": formats.date_format(monday, "SHORT_DATE_FORMAT")},
        "monday": monday,
        "today": today,
        "days": days,
        "rows": [(hour, [(day, by_slot.get((day, hour), [])) for day in days]) for hour in WEEK_HOURS],
        "previous": (monday - datetime.timedelta(days=7)).isoformat(),
        "following": (monday + datetime.timedelta(days=7)).isoformat(),
        "can_draft": role_allows(membership.role, Action.CONTENT_DRAFT),
        "form": form,
        "filter_query": _filter_query(request),
    }
    return render(request, "publishing/week.html", context)


@require_POST
@member_required(Action.CONTENT_DRAFT)
def reschedule(request: HttpRequest, membership: Membership, post_id: int) -> HttpResponse:
    """The calendar's drop: a new day (the time of day is kept) or a full new time; answers JSON."""
    post = _post_or_404(membership, post_id)
    day = request.POST.get("day", "")
    hour = request.POST.get("hour", "")
    try:
        if day:
            date = datetime.date.fromisoformat(day)
            current = timezone.localtime(post.planned_at) if post.planned_at else None
            clock = current.time() if current else datetime.time(9, 0)
            if hour:
                # The week view's drop: another hour too; the minutes are kept.
                if not hour.isdigit() or not 0 <= int(hour) <= 23:
                    return JsonResponse({"detail": _("The hour must be between 0 and 23.")}, status=400)
                clock = clock.replace(hour=int(hour))
            planned_at = datetime.datetime.combine(date, clock, tzinfo=timezone.get_current_timezone())
        else:
            form = RescheduleForm(request.POST)
            if not form.is_valid():
                return JsonResponse({"detail": _("Give a day or a time.")}, status=400)
            planned_at = form.cleaned_data["planned_at"]
        services.post_reschedule(actor=actor_of(request), membership=membership, post=post, planned_at=planned_at)
    except ValueError:
        return JsonResponse({"detail": _("Give a day or a time.")}, status=400)
    except ValidationError as error:
        return JsonResponse({"detail": _errors(error)}, status=400)
    except PermissionDenied:
        return JsonResponse({"detail": _("Only members who may publish can move a scheduled post.")}, status=403)
    return JsonResponse({"planned_at": planned_at.isoformat()})


# --- the editor --------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@member_required(Action.CONTENT_DRAFT)
def post_new(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = PostForm(request.POST or None, regions=_regions(membership))
    if request.method == "POST" and form.is_valid():
        try:
            post = services.post_create(actor=actor_of(request), membership=membership, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The post is drafted. Now add a variant for each network."))
            return redirect("publishing:post", post_id=post.pk)
    return render(
        request,
        "publishing/post_new.html",
        {"page_title": _("New post"), "form": form},
        status=400 if form.errors else 200,
    )


def _best_times_for(membership: Membership, post: Post, variants: list[Variant]) -> list[tuple[str, Any]]:
    """Best-time suggestions per account of the post's variants, shown while it waits to be scheduled."""
    if post.status not in {PostStatus.DRAFT, PostStatus.IN_REVIEW, PostStatus.APPROVED}:
        return []
    found: list[tuple[str, Any]] = []
    seen: set[tuple[str, int | None]] = set()
    for variant in variants:
        key = (variant.network, variant.account_id)
        if key in seen:
            continue
        seen.add(key)
        times = evergreen.best_times(membership.workspace, network=variant.network, account_id=variant.account_id)
        found.append((variant.label, times))
    return found


def _post_context(request: HttpRequest, membership: Membership, post: Post, **extra: Any) -> dict[str, Any]:
    accounts = selectors.publishable_accounts(membership.workspace_id)
    initial = {
        "title": post.title,
        "text": post.text,
        "region": post.region_id,
        "language": post.language,
        "pillar": post.pillar,
        "content_type": post.content_type,
        "planned_at": timezone.localtime(post.planned_at) if post.planned_at else None,
        "campaign_id": post.campaign_id,
    }
    variants = list(post.variants.all())
    chain = services.approval_chain(post)
    today = timezone.localdate()
    uses: dict[int, list[AssetUse]] = defaultdict(list)
    attached = AssetUse.objects.for_workspace(membership.workspace_id).filter(variant__post=post)
    for use in attached.select_related("asset"):
        uses[use.variant_id].append(use)
    context = {
        "page_title": post.title,
        "post": post,
        "variants": [(variant, services.variant_check(variant)) for variant in variants],
        "previews": {variant.pk: previews.for_variant(variant) for variant in variants},
        "asset_uses": uses,
        "attachable_assets": [
            asset for asset in assets.visible_assets(membership)[:300] if not asset.is_expired(today)
        ],
        "expired_assets": assets.expired_assets_of_posts(membership.workspace_id, [post.pk]).get(post.pk, []),
        "best_times": _best_times_for(membership, post, variants),
        "min_sample": evergreen.MIN_SAMPLE,
        "today": today,
        "chain": chain,
        "current_step": chain[min(post.approval_position, len(chain) - 1)]
        if post.status == PostStatus.IN_REVIEW
        else None,
        "edit_form": PostForm(initial=initial, regions=_regions(membership)),
        "variant_form": VariantForm(accounts=accounts, initial={"text": post.text}),
        "note_form": NoteForm(),
        "comment_form": CommentForm(),
        "can_draft": role_allows(membership.role, Action.CONTENT_DRAFT),
        "can_approve": role_allows(membership.role, Action.CONTENT_APPROVE),
        "can_publish": services.can_publish(membership),
        "editable": post.status in services.EDITABLE_STATUSES,
    }
    return {**context, **extra}


@require_GET
@member_required(Action.CONTENT_VIEW)
def post_detail(request: HttpRequest, membership: Membership, post_id: int) -> HttpResponse:
    post = _post_or_404(membership, post_id)
    return render(request, "publishing/post.html", _post_context(request, membership, post))


@require_POST
@member_required(Action.CONTENT_DRAFT)
def post_edit(request: HttpRequest, membership: Membership, post_id: int) -> HttpResponse:
    post = _post_or_404(membership, post_id)
    form = PostForm(request.POST, regions=_regions(membership))
    if form.is_valid():
        try:
            services.post_update(actor=actor_of(request), membership=membership, post=post, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, _errors(error))
        else:
            messages.success(request, _("The post has been saved."))
        return redirect("publishing:post", post_id=post.pk)
    context = _post_context(request, membership, post, edit_form=form)
    return render(request, "publishing/post.html", context, status=400)


def _variant_values(form: VariantForm) -> dict[str, Any]:
    data = form.cleaned_data
    return {
        "text": data["text"],
        "link": data["link"],
        "first_comment": data["first_comment"],
        "hashtags": form.hashtag_list(),
        "publish_as": data.get("publish_as") or "post",
    }


@require_POST
@member_required(Action.CONTENT_DRAFT)
def variant_add(request: HttpRequest, membership: Membership, post_id: int) -> HttpResponse:
    post = _post_or_404(membership, post_id)
    accounts = selectors.publishable_accounts(membership.workspace_id)
    form = VariantForm(request.POST, accounts=accounts)
    if form.is_valid():
        account = form.cleaned_data["account"]
        try:
            services.variant_add(
                actor=actor_of(request),
                membership=membership,
                post=post,
                network=form.cleaned_data["network"] or "mastodon",
                account_id=int(account) if account else None,
                account_label=form.cleaned_data["account_label"],
                **_variant_values(form),
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The variant has been added."))
            return redirect("publishing:post", post_id=post.pk)
    context = _post_context(request, membership, post, variant_form=form)
    return render(request, "publishing/post.html", context, status=400)


@require_POST
@member_required(Action.CONTENT_DRAFT)
def variant_remove(request: HttpRequest, membership: Membership, variant_id: int) -> HttpResponse:
    variant = _variant_or_404(membership, variant_id)
    try:
        services.variant_remove(actor=actor_of(request), membership=membership, variant=variant)
    except ValidationError as error:
        messages.error(request, _errors(error))
    return redirect("publishing:post", post_id=variant.post_id)


@require_POST
@member_required(Action.CONTENT_DRAFT)
def variant_check(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Live validation while typing (htmx): length against the network's limit, every problem, and the
    preview of the variant as the network will show it."""
    network = request.POST.get("network", "")
    account = request.POST.get("account", "")
    found = None
    if account.isdigit():
        found = selectors.publishable_account(membership.workspace_id, int(account))
        if found is not None:
            network = found.network
    if network not in limits.networks():
        network = "mastodon"
    hashtags = tuple(request.POST.get("hashtags", "").replace(",", " ").split())
    draft = limits.VariantDraft(
        label=network.capitalize(),
        network=network,
        text=request.POST.get("text", ""),
        link=request.POST.get("link", ""),
        hashtags=hashtags,
        publish_as="story" if request.POST.get("publish_as") == "story" else "post",
    )
    preview = previews.build(
        draft,
        display_name=found.display_name if found is not None else request.POST.get("account_label", "")[:300],
        handle=found.handle if found is not None else "",
        first_comment=request.POST.get("first_comment", ""),
    )
    context = {"check": limits.check_variant(draft), "preview": preview}
    return render(request, "publishing/_variant_live.html", context)


ACTIONS = {
    "submit": (services.post_submit, _("Sent for review.")),
    "approve": (services.post_approve, _("Approved.")),
    "request_changes": (services.post_request_changes, _("Sent back to the author.")),
    "schedule": (services.post_schedule, _("Scheduled.")),
    "unschedule": (services.post_unschedule, _("Taken off the schedule.")),
    "retry": (services.post_retry_failed, _("The failed variants will be sent again now.")),
}


@require_POST
@member_required(Action.CONTENT_VIEW)
def post_action(request: HttpRequest, membership: Membership, post_id: int, action: str) -> HttpResponse:
    """One workflow step; the service checks the role and the state (a refusal is shown, not raised)."""
    if action not in ACTIONS:
        raise Http404
    post = _post_or_404(membership, post_id)
    service, done = ACTIONS[action]
    arguments: dict[str, Any] = {}
    if action in {"approve", "request_changes"}:
        arguments["note"] = request.POST.get("note", "")
    try:
        service(actor=actor_of(request), membership=membership, post=post, **arguments)  # type: ignore[operator]
    except ValidationError as error:
        messages.error(request, _errors(error))
    except PermissionDenied as error:
        reason = str(error)
        messages.error(request, _("Your role does not allow this.") if reason.startswith("not allowed") else reason)
    else:
        messages.success(request, str(done))
    return redirect("publishing:post", post_id=post.pk)


@require_POST
@member_required(Action.CONTENT_VIEW)
def comment_add(request: HttpRequest, membership: Membership, post_id: int) -> HttpResponse:
    post = _post_or_404(membership, post_id)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.comment_add(
                actor=actor_of(request), membership=membership, post=post, text=form.cleaned_data["text"]
            )
        except ValidationError as error:
            messages.error(request, _errors(error))
    return redirect(f"{reverse('publishing:post', kwargs={'post_id': post.pk})}#comments")


@require_POST
@member_required(Action.CONTENT_DRAFT)
def review_link(request: HttpRequest, membership: Membership, post_id: int) -> HttpResponse:
    token = services.review_link_token(actor=actor_of(request), membership=membership, post=post_id)
    url = request.build_absolute_uri(reverse("publishing:review", kwargs={"token": token}))
    days = services.settings_for(membership.workspace_id).review_link_days
    messages.success(request, _("Review link, valid for %(days)s days: %(url)s") % {"days": days, "url": url})
    return redirect("publishing:post", post_id=post_id)


# --- failed posts ------------------------------------------------------------------------------


@require_GET
@member_required(Action.CONTENT_VIEW)
def failed(request: HttpRequest, membership: Membership) -> HttpResponse:
    posts = list(selectors.failed_posts(membership.workspace)[:200])
    notices = list(selectors.unread_notifications(membership.workspace_id, membership.user_id)[:50])
    context = {
        "page_title": _("Failed posts"),
        "posts": posts,
        "notices": notices,
        "can_publish": services.can_publish(membership),
    }
    return render(request, "publishing/failed.html", context)


@require_POST
@member_required(Action.CONTENT_VIEW)
def notices_read(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Mark the member's own unread publishing notices in this workspace as read."""
    count = alerts.mark_read(membership)
    messages.success(
        request,
        ngettext("%(count)s notice marked as read.", "%(count)s notices marked as read.", count) % {"count": count},
    )
    return redirect("publishing:failed")


@require_POST
@member_required(Action.CONTENT_VIEW)
def variant_resolve(request: HttpRequest, membership: Membership, variant_id: int) -> HttpResponse:
    variant: Variant = _variant_or_404(membership, variant_id)
    try:
        services.variant_resolve_unknown(
            actor=actor_of(request),
            membership=membership,
            variant=variant,
            published=request.POST.get("outcome") == "published",
            remote_url=request.POST.get("remote_url", "")[:2000],
        )
    except ValidationError as error:
        messages.error(request, _errors(error))
    except PermissionDenied:
        messages.error(request, _("Your role does not allow this."))
    else:
        messages.success(request, _("Thank you: the variant's outcome is recorded."))
    return redirect("publishing:failed")


# --- the external reviewer's page (no sign-in: the signed link is the key) ---------------------


@require_http_methods(["GET", "POST"])
def review(request: HttpRequest, token: str) -> HttpResponse:
    try:
        post = services.review_link_post(token)
    except signing.SignatureExpired:
        return render(request, "publishing/review_expired.html", {"page_title": _("Review link expired")}, status=410)
    except (signing.BadSignature, Post.DoesNotExist) as error:
        raise Http404 from error
    form = ReviewCommentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.review_link_comment(token=token, name=form.cleaned_data["name"], text=form.cleaned_data["text"])
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Thank you: your comment has been passed on to the team."))
            return redirect("publishing:review", token=token)
    context = {
        "page_title": post.title,
        "post": post,
        "variants": list(post.variants.all()),
        "comments": list(post.comments.select_related("author")),
        "form": form,
    }
    return render(request, "publishing/review.html", context, status=400 if form.errors else 200)


# --- the asset library -------------------------------------------------------------------------


def _asset_or_404(membership: Membership, asset_id: int) -> Asset:
    try:
        return assets.visible_assets(membership).get(pk=asset_id)
    except Asset.DoesNotExist as error:
        raise Http404 from error


def _asset_regions(membership: Membership) -> Any:
    """The regions a member may put assets in: theirs, or all."""
    regions = _regions(membership)
    limits = assets.region_limits(membership)
    return regions if limits is None else regions.filter(pk__in=limits)


def _library_context(
    membership: Membership, upload_form: AssetUploadForm | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "page_title": _("Asset library"),
        "upload_form": upload_form or AssetUploadForm(regions=_asset_regions(membership)),
        "can_manage": role_allows(membership.role, Action.ASSETS_MANAGE),
        "today": timezone.localdate(),
        **extra,
    }


@require_GET
@member_required(Action.CONTENT_VIEW)
def asset_library(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = AssetFilterForm(request.GET or None)
    found = assets.visible_assets(membership)
    if form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            found = found.filter(name__icontains=data["q"])
        if data["kind"]:
            found = found.filter(mime_type__startswith=f"{data['kind']}/")
        if data["recommended"]:
            found = found.filter(recommended=True)
        rows = list(found[:500])
        if data["tag"]:
            tag = data["tag"].strip().lstrip("#").lower()
            rows = [asset for asset in rows if tag in asset.tags]
    else:
        rows = list(found[:500])
    return render(request, "publishing/assets.html", _library_context(membership, filter_form=form, assets=rows))


@require_POST
@member_required(Action.ASSETS_MANAGE)
def asset_upload(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = AssetUploadForm(request.POST, request.FILES, regions=_asset_regions(membership))
    if form.is_valid():
        data = form.cleaned_data
        try:
            asset = assets.asset_upload(
                actor=actor_of(request),
                membership=membership,
                upload=data["file"],
                name=data["name"],
                region=data["region"],
                tags=form.tag_list(),
                language=data["language"],
                usage_rights=data["usage_rights"],
                rights_expire_on=data["rights_expire_on"],
            )
        except ValidationError as error:
            _form_error(form, error)
        except PermissionDenied as error:
            form.add_error("region", str(error))
        else:
            messages.success(request, _("“%(name)s” is in the library.") % {"name": asset.name})
            return redirect("publishing:asset", asset_id=asset.pk)
    rows = list(assets.visible_assets(membership)[:500])
    context = _library_context(membership, upload_form=form, filter_form=AssetFilterForm(), assets=rows)
    return render(request, "publishing/assets.html", context, status=400)


def _asset_context(membership: Membership, asset: Asset, **extra: Any) -> dict[str, Any]:
    regions = _asset_regions(membership).exclude(pk=asset.region_id) if asset.region_id else _asset_regions(membership)
    return {
        "page_title": asset.name,
        "asset": asset,
        "usage": assets.usage_of(asset),
        "localizations": list(assets.visible_assets(membership).filter(original=asset)),
        "expired": asset.is_expired(timezone.localdate()),
        "can_manage": role_allows(membership.role, Action.ASSETS_MANAGE),
        "can_recommend": role_allows(membership.role, Action.ASSETS_MANAGE) and assets.works_for_hub(membership),
        "edit_form": AssetEditForm(
            initial={
                "name": asset.name,
                "tags": " ".join(asset.tags),
                "language": asset.language,
                "usage_rights": asset.usage_rights,
                "rights_expire_on": asset.rights_expire_on,
            }
        ),
        "localize_form": AssetLocalizeForm(regions=regions),
        **extra,
    }


@require_GET
@member_required(Action.CONTENT_VIEW)
def asset_detail(request: HttpRequest, membership: Membership, asset_id: int) -> HttpResponse:
    asset = _asset_or_404(membership, asset_id)
    return render(request, "publishing/asset.html", _asset_context(membership, asset))


@require_GET
@member_required(Action.CONTENT_VIEW)
def asset_file(request: HttpRequest, membership: Membership, asset_id: int) -> FileResponse:
    """The stored file, to members who see the asset (the media folder is not served publicly)."""
    asset = _asset_or_404(membership, asset_id)
    response = FileResponse(asset.file.open("rb"), content_type=asset.mime_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; media-src 'self'; sandbox"
    return response


@require_POST
@member_required(Action.ASSETS_MANAGE)
def asset_edit(request: HttpRequest, membership: Membership, asset_id: int) -> HttpResponse:
    asset = _asset_or_404(membership, asset_id)
    form = AssetEditForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            assets.asset_update(
                actor=actor_of(request),
                membership=membership,
                asset=asset,
                name=data["name"],
                tags=data["tags"].replace(",", " ").split(),
                language=data["language"],
                usage_rights=data["usage_rights"],
                rights_expire_on=data["rights_expire_on"],
                clear_expiry=data["rights_expire_on"] is None,
            )
        except ValidationError as error:
            messages.error(request, _errors(error))
        except PermissionDenied as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("The asset has been saved."))
        return redirect("publishing:asset", asset_id=asset.pk)
    return render(request, "publishing/asset.html", _asset_context(membership, asset, edit_form=form), status=400)


@require_POST
@member_required(Action.ASSETS_MANAGE)
def asset_recommend(request: HttpRequest, membership: Membership, asset_id: int) -> HttpResponse:
    asset = _asset_or_404(membership, asset_id)
    recommended = request.POST.get("recommended") == "1"
    try:
        assets.asset_recommend(actor=actor_of(request), membership=membership, asset=asset, recommended=recommended)
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Recommended for the regions.") if recommended else _("No longer recommended for the regions."),
        )
    return redirect("publishing:asset", asset_id=asset.pk)


@require_POST
@member_required(Action.ASSETS_MANAGE)
def asset_localize(request: HttpRequest, membership: Membership, asset_id: int) -> HttpResponse:
    asset = _asset_or_404(membership, asset_id)
    form = AssetLocalizeForm(request.POST, request.FILES, regions=_asset_regions(membership))
    if form.is_valid():
        data = form.cleaned_data
        try:
            copy = assets.asset_localize(
                actor=actor_of(request),
                membership=membership,
                asset=asset,
                region=data["region"],
                upload=data["file"],
                name=data["name"],
                language=data["language"],
            )
        except ValidationError as error:
            _form_error(form, error)
        except PermissionDenied as error:
            form.add_error("region", str(error))
        else:
            messages.success(request, _("The localized copy is in the library."))
            return redirect("publishing:asset", asset_id=copy.pk)
    context = _asset_context(membership, asset, localize_form=form)
    return render(request, "publishing/asset.html", context, status=400)


@require_POST
@member_required(Action.CONTENT_DRAFT)
def variant_asset(request: HttpRequest, membership: Membership, variant_id: int) -> HttpResponse:
    """Attach a library asset to a variant (``asset``), or take one off (``remove``)."""
    variant = _variant_or_404(membership, variant_id)
    try:
        if request.POST.get("remove", "").isdigit():
            assets.asset_detach(
                actor=actor_of(request), membership=membership, variant=variant, asset=int(request.POST["remove"])
            )
        elif request.POST.get("asset", "").isdigit():
            assets.asset_attach(
                actor=actor_of(request), membership=membership, variant=variant, asset=int(request.POST["asset"])
            )
        else:
            messages.error(request, _("Choose an asset."))
    except ValidationError as error:
        messages.error(request, _errors(error))
    except (Asset.DoesNotExist, AssetUse.DoesNotExist):
        messages.error(request, _("No such asset in your library."))
    return redirect("publishing:post", post_id=variant.post_id)


# --- tracked links -----------------------------------------------------------------------------


@require_GET
def follow_link(request: HttpRequest, code: str) -> HttpResponse:
    """``/l/<code>``: count the click (robots excepted) and redirect; no sign-in, nothing else read."""
    destination = links.record_click(
        code[:16],
        address=request.META.get("REMOTE_ADDR", ""),
        user_agent=request.headers.get("User-Agent", ""),
        referrer=request.headers.get("Referer", ""),
    )
    if destination is None:
        raise Http404
    response = HttpResponseRedirect(destination)
    response["Cache-Control"] = "no-store"  # every click must reach us to be counted
    response["Referrer-Policy"] = "no-referrer-when-downgrade"
    return response


def _links_context(membership: Membership, post: Post, form: TrackedLinkForm | None = None) -> dict[str, Any]:
    utm = links.default_utm(post, None)
    variants = list(post.variants.all())
    return {
        "page_title": _("Links and clicks: %(post)s") % {"post": post.title},
        "post": post,
        "rows": links.clicks_of_post(membership.workspace_id, post.pk),
        "form": form
        or TrackedLinkForm(
            variants=variants,
            initial={"utm_medium": utm.medium, "utm_campaign": utm.campaign, "utm_content": utm.content},
        ),
        "can_draft": role_allows(membership.role, Action.CONTENT_DRAFT),
        "track_links": services.settings_for(membership.workspace_id).track_links,
    }


@require_GET
@member_required(Action.CONTENT_VIEW)
def post_links(request: HttpRequest, membership: Membership, post_id: int) -> HttpResponse:
    post = _post_or_404(membership, post_id)
    return render(request, "publishing/links.html", _links_context(membership, post))


@require_POST
@member_required(Action.CONTENT_DRAFT)
def post_link_create(request: HttpRequest, membership: Membership, post_id: int) -> HttpResponse:
    post = _post_or_404(membership, post_id)
    form = TrackedLinkForm(request.POST, variants=list(post.variants.all()))
    if form.is_valid():
        data = form.cleaned_data
        variant = next((item for item in post.variants.all() if str(item.pk) == data["variant"]), None)
        utm = links.Utm(
            source=data["utm_source"] or (variant.network if variant is not None else ""),
            medium=data["utm_medium"],
            campaign=data["utm_campaign"],
            content=data["utm_content"],
            term=data["utm_term"],
        )
        try:
            link = links.tracked_link_create(
                actor=actor_of(request),
                membership=membership,
                post=post,
                landing_url=data["landing_url"],
                utm=utm,
                variant=variant,
            )
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("Short link: %(url)s") % {"url": links.short_url(link.code)})
            return redirect("publishing:post_links", post_id=post.pk)
    return render(request, "publishing/links.html", _links_context(membership, post, form), status=400)


@require_GET
@member_required(Action.CONTENT_VIEW)
def landing_pages(request: HttpRequest, membership: Membership) -> HttpResponse:
    context = {
        "page_title": _("Clicks by landing page"),
        "rows": links.clicks_by_landing_page(membership.workspace_id),
    }
    return render(request, "publishing/landing_pages.html", context)


@require_http_methods(["GET", "POST"])
@member_required(Action.WORKSPACE_MANAGE)
def publishing_settings(request: HttpRequest, membership: Membership) -> HttpResponse:
    current = services.settings_for(membership.workspace_id)
    form = PublishingSettingsForm(
        request.POST or None,
        initial={
            "agency_may_publish": current.agency_may_publish,
            "review_link_days": current.review_link_days,
            "track_links": current.track_links,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.settings_update(actor=actor_of(request), membership=membership, **form.cleaned_data)
        except ValidationError as error:
            _form_error(form, error)
        else:
            messages.success(request, _("The publishing settings have been saved."))
            return redirect("publishing:settings")
    context = {"page_title": _("Publishing settings"), "form": form}
    return render(request, "publishing/settings.html", context, status=400 if form.errors else 200)


# --- evergreen queues --------------------------------------------------------------------------


def _evergreen_context(membership: Membership, form: EvergreenQueueForm | None = None) -> dict[str, Any]:
    queues = list(
        EvergreenQueue.objects.for_workspace(membership.workspace_id).prefetch_related("entries__post").order_by("name")
    )
    candidates = list(
        Post.objects.for_workspace(membership.workspace_id)
        .filter(status__in=evergreen.SOURCE_STATUSES, evergreen_source__isnull=True)
        .order_by("title")[:300]
    )
    upcoming = (
        Post.objects.for_workspace(membership.workspace_id)
        .filter(evergreen_source__isnull=False, status=PostStatus.SCHEDULED)
        .select_related("evergreen_source")
        .order_by("planned_at")[:50]
    )
    return {
        "page_title": _("Evergreen queues"),
        "queues": [(queue, evergreen.format_slots(queue.slots)) for queue in queues],
        "candidates": candidates,
        "upcoming": list(upcoming),
        "form": form or EvergreenQueueForm(accounts=selectors.publishable_accounts(membership.workspace_id)),
        "can_publish": services.can_publish(membership),
    }


@require_GET
@member_required(Action.CONTENT_VIEW)
def evergreen_queues(request: HttpRequest, membership: Membership) -> HttpResponse:
    return render(request, "publishing/evergreen.html", _evergreen_context(membership))


@require_POST
@member_required(Action.CONTENT_VIEW)
def evergreen_create(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = EvergreenQueueForm(request.POST, accounts=selectors.publishable_accounts(membership.workspace_id))
    if form.is_valid():
        data = form.cleaned_data
        try:
            evergreen.queue_create(
                actor=actor_of(request),
                membership=membership,
                name=data["name"],
                network=data["network"] or "mastodon",
                account_id=int(data["account"]) if data["account"] else None,
                account_label=data["account_label"],
                slots=evergreen.parse_slots(data["slots"]),
                min_gap_days=data["min_gap_days"],
            )
        except ValidationError as error:
            _form_error(form, error)
        except PermissionDenied:
            form.add_error(None, _("Only members who may publish manage evergreen queues."))
        else:
            messages.success(request, _("The queue is ready: add approved posts to it."))
            return redirect("publishing:evergreen")
    return render(request, "publishing/evergreen.html", _evergreen_context(membership, form), status=400)


@require_POST
@member_required(Action.CONTENT_VIEW)
def evergreen_change(request: HttpRequest, membership: Membership, queue_id: int) -> HttpResponse:
    """Add a post (``post``), take one out (``remove``: an entry id) or fill the open slots now (``fill``)."""
    try:
        queue = EvergreenQueue.objects.for_workspace(membership.workspace_id).get(pk=queue_id)
    except EvergreenQueue.DoesNotExist as error:
        raise Http404 from error
    actor = actor_of(request)
    try:
        if request.POST.get("post", "").isdigit():
            evergreen.queue_add_post(actor=actor, membership=membership, queue=queue, post=int(request.POST["post"]))
            messages.success(request, _("The post is in the rotation."))
        elif request.POST.get("remove", "").isdigit():
            evergreen.queue_remove_post(actor=actor, membership=membership, entry=int(request.POST["remove"]))
            messages.success(request, _("The post is out of the rotation."))
        elif "fill" in request.POST:
            services.require_publish(membership)
            created = evergreen.queue_fill(queue.pk)
            messages.success(
                request,
                ngettext(
                    "%(count)s post scheduled into open slots.",
                    "%(count)s posts scheduled into open slots.",
                    len(created),
                )
                % {"count": len(created)},
            )
    except ValidationError as error:
        messages.error(request, _errors(error))
    except PermissionDenied:
        messages.error(request, _("Only members who may publish manage evergreen queues."))
    except (Post.DoesNotExist, EvergreenEntry.DoesNotExist):
        messages.error(request, _("No such post in the workspace."))
    return redirect("publishing:evergreen")
