"""The listening pages and the inbound webhook: thin, they parse, call services or selectors, render."""

from __future__ import annotations

import datetime
import itertools
import logging
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from pappus.core.exports import csv_lines
from pappus.core.models import Membership
from pappus.core.permissions import Action, require, role_allows
from pappus.core.views import actor_of, member_required
from pappus.listening import handover, network_sources, pipeline, query, search, selectors, services, webhooks
from pappus.listening.forms import MappingForm, MentionSearchForm, SourceForm, TopicForm, UploadForm
from pappus.listening.models import Mention, SourceKind

logger = logging.getLogger(__name__)


@csrf_exempt  # signed with the source's secret instead (webhooks.verify)
@require_POST
def webhook_receive(request: HttpRequest, token: str) -> JsonResponse:
    """Store a signed delivery and queue it: 202 with the delivery id, or the refusal's status and reason."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    if length.isdigit() and int(length) > webhooks.DEFAULT_MAXIMUM_BYTES * 10:
        return JsonResponse({"detail": f"the body is {length} bytes; too large"}, status=413)
    try:
        delivery = services.webhook_delivery_receive(
            token=token,
            body=request.body,
            content_type=request.content_type or "",
            timestamp=request.headers.get(webhooks.TIMESTAMP_HEADER),
            delivery_id=request.headers.get(webhooks.DELIVERY_HEADER),
            signature=request.headers.get(webhooks.SIGNATURE_HEADER),
        )
    except webhooks.WebhookRefusedError as refused:
        logger.info("listening.webhook.refused status=%s reason=%s", refused.status, refused.reason)
        return JsonResponse({"detail": refused.reason}, status=refused.status)
    return JsonResponse({"detail": "accepted", "delivery": delivery.pk}, status=202)


# --- pages -------------------------------------------------------------------------------------


def _apply_validation_error(form: BaseForm, error: ValidationError) -> None:
    """A service's validation error next to the field it names (else above the form)."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


PAGE_SIZE = 25


def _search_form(request: HttpRequest, membership: Membership) -> MentionSearchForm:
    workspace = membership.workspace
    return MentionSearchForm(
        request.GET, topics=selectors.topics_of(workspace), sources=selectors.sources_of(workspace)
    )


def _toggle_url(request: HttpRequest, name: str, value: str) -> str:
    """The current search with ``name=value`` added, or removed when it is already chosen."""
    query = request.GET.copy()
    query.pop("page", None)
    values = query.getlist(name)
    query.setlist(name, [item for item in values if item != value] if value in values else [*values, value])
    return "?" + query.urlencode()


@member_required(Action.LISTENING_VIEW)
@require_GET
def mention_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    form = _search_form(request, membership)
    wanted = form.search()
    mentions = search.search_mentions(membership.workspace, wanted)
    page = Paginator(mentions, PAGE_SIZE).get_page(request.GET.get("page"))
    facet_names = {
        "topic": _("Topics"),
        "sentiment": _("Sentiment"),
        "language": _("Language"),
        "source": _("Sources"),
        "country": _("Country"),
        "author": _("Authors"),
    }
    found_facets = search.search_facets(membership.workspace, wanted)
    facets = [
        {
            "name": name,
            "sampled": name in found_facets.sampled,
            "label": facet_names[name],
            "values": [
                {
                    "label": value.label,
                    "count": value.count,
                    "chosen": value.value in request.GET.getlist(name),
                    "url": _toggle_url(request, name, value.value),
                }
                for value in values
            ],
        }
        for name, values in found_facets.values.items()
    ]
    export_query = request.GET.copy()
    export_query.pop("page", None)
    context = {
        "page_title": _("Mentions"),
        "form": form,
        "page": page,
        "facets": facets,
        "count_capped": search.count_is_capped(page.paginator.count),
        "count_limit": search.COUNT_LIMIT,
        "facet_sample": search.FACET_SAMPLE,
        "export_query": export_query.urlencode(),
        "enrichment_unavailable": pipeline._nlp_analyze() is None,
    }
    template = "listening/mentions.html#results" if request.htmx else "listening/mentions.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _mention_csv_rows(mentions: Iterator[Mention]) -> Iterator[str]:
    header = [
        _("Published (UTC)"),
        _("Source"),
        _("Network"),
        _("Author"),
        _("Title"),
        _("Text"),
        _("Language"),
        _("Country"),
        _("Sentiment"),
        _("Likes"),
        _("Shares"),
        _("Comments"),
        _("Link"),
        _("Id"),
    ]
    yield from csv_lines(
        itertools.chain(
            [header],
            (
                (
                    mention.published_at.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")
                    if mention.published_at
                    else "",
                    mention.source.name,
                    mention.network,
                    mention.author_handle or mention.author_name,
                    mention.title,
                    mention.text,
                    mention.language,
                    mention.country,
                    mention.sentiment,
                    mention.like_count,
                    mention.share_count,
                    mention.comment_count,
                    mention.url,
                    mention.external_id,
                )
                for mention in mentions
            ),
        )
    )


@member_required(Action.LISTENING_VIEW)
@require_GET
def mention_export(request: HttpRequest, membership: Membership) -> StreamingHttpResponse:
    """Every mention of the search as CSV, streamed (no limit, flat memory)."""
    mentions = search.search_mentions(membership.workspace, _search_form(request, membership).search())
    response = StreamingHttpResponse(
        _mention_csv_rows(mentions.iterator(chunk_size=2000)), content_type="text/csv; charset=utf-8"
    )
    filename = f"mentions-{membership.workspace.slug}-{timezone.now():%Y%m%d-%H%M}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- topics ------------------------------------------------------------------------------------


@member_required(Action.LISTENING_VIEW)
@require_http_methods(["GET", "POST"])
def topic_list(request: HttpRequest, membership: Membership, topic_id: int | None = None) -> HttpResponse:
    """Topics, and the form to add one (or edit ``topic_id``)."""
    topics = selectors.topics_of(membership.workspace)
    topic = get_object_or_404(topics, pk=topic_id) if topic_id is not None else None
    can_manage = role_allows(membership.role, Action.LISTENING_MANAGE)
    form = TopicForm(request.POST or None, instance=topic)
    if request.method == "POST":
        require(membership, Action.LISTENING_MANAGE)
        if form.is_valid():
            values = {name: form.cleaned_data[name] for name in ("name", "kind", "query", "is_active")}
            send_to_inbox = bool(form.cleaned_data["send_to_inbox"])
            try:
                if topic is None:
                    saved = services.topic_create(
                        actor=actor_of(request),
                        membership=membership,
                        name=values["name"],
                        query=values["query"],
                        kind=values["kind"],
                    )
                    if not values["is_active"]:
                        services.topic_update(
                            actor=actor_of(request), membership=membership, topic=saved, is_active=False
                        )
                else:
                    saved = services.topic_update(actor=actor_of(request), membership=membership, topic=topic, **values)
                saved = handover.topic_send_to_inbox(
                    actor=actor_of(request), membership=membership, topic=saved, enabled=send_to_inbox
                )
            except ValidationError as error:
                _apply_validation_error(form, error)
            else:
                messages.success(request, _("Topic %(name)s saved.") % {"name": saved.name})
                return redirect("listening:topics")
    context = {
        "page_title": _("Topics"),
        "topics": topics,
        "topic": topic,
        "form": form,
        "can_manage": can_manage,
    }
    return render(request, "listening/topics.html", context)


@member_required(Action.LISTENING_VIEW)
@require_http_methods(["GET", "POST"])
def topic_query_check(request: HttpRequest, membership: Membership) -> HttpResponse:
    """The live check of a query while it is typed: fine, or the position and what was expected."""
    text = (request.POST.get("query") or request.GET.get("query") or "").strip()
    context: dict[str, Any] = {"query": text}
    if text:
        try:
            query.validate(text)
        except query.QuerySyntaxError as error:
            context |= {
                "position": error.position,
                "detail": error.detail,
                "before": text[: error.position - 1],
                "at": text[error.position - 1 : error.position] or " ",
                "after": text[error.position :],
            }
        else:
            context["valid"] = True
    return render(request, "listening/topics.html#query-check", context)


# --- sources -----------------------------------------------------------------------------------


@member_required(Action.LISTENING_VIEW)
@require_http_methods(["GET", "POST"])
def source_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    can_manage = role_allows(membership.role, Action.LISTENING_MANAGE)
    accounts = network_sources.listening_accounts(membership.workspace_id) if can_manage else []
    form = SourceForm(request.POST or None, accounts=accounts)
    if request.method == "POST":
        require(membership, Action.LISTENING_MANAGE)
        if form.is_valid():
            data = form.cleaned_data
            try:
                if data["kind"] == SourceKind.CONNECTOR:
                    source = network_sources.connector_source_create(
                        actor=actor_of(request),
                        membership=membership,
                        name=data["name"],
                        account_id=data["account"],
                        query=data["query"],
                        poll_interval_seconds=data["poll_interval_seconds"],
                        send_to_inbox=data["send_to_inbox"],
                    )
                else:
                    source = services.source_create(
                        actor=actor_of(request),
                        membership=membership,
                        name=data["name"],
                        kind=data["kind"],
                        url=data["url"],
                        poll_interval_seconds=data["poll_interval_seconds"],
                    )
                    if data["send_to_inbox"]:
                        source = handover.source_send_to_inbox(
                            actor=actor_of(request), membership=membership, source=source, enabled=True
                        )
            except ValidationError as error:
                _apply_validation_error(form, error)
            else:
                messages.success(request, _("Source %(name)s added.") % {"name": source.name})
                return redirect("listening:source", source_id=source.pk)
    sources = [
        {"source": source, "items_per_hour": round(source.stored_last_day / 24, 1)}  # type: ignore[attr-defined]
        for source in selectors.sources_with_health(membership.workspace)
    ]
    context = {"page_title": _("Sources"), "sources": sources, "form": form, "can_manage": can_manage}
    return render(request, "listening/sources.html", context)


@member_required(Action.LISTENING_VIEW)
@require_http_methods(["GET", "POST"])
def source_detail(request: HttpRequest, membership: Membership, source_id: int) -> HttpResponse:
    """A source's health: last success and error, items per hour, next poll, runs; uploads and the webhook."""
    source = get_object_or_404(selectors.sources_of(membership.workspace), pk=source_id)
    can_manage = role_allows(membership.role, Action.LISTENING_MANAGE)
    upload_form = UploadForm()
    new_secret = ""
    if request.method == "POST":
        require(membership, Action.LISTENING_MANAGE)
        if request.POST.get("action") == "rotate":
            new_secret = services.source_webhook_rotate_secret(
                actor=actor_of(request), membership=membership, source=source
            )
        elif request.POST.get("action") in {"inbox-on", "inbox-off"}:
            handover.source_send_to_inbox(
                actor=actor_of(request),
                membership=membership,
                source=source,
                enabled=request.POST["action"] == "inbox-on",
            )
            return redirect("listening:source", source_id=source.pk)
        else:
            upload_form = UploadForm(request.POST, request.FILES)
            if upload_form.is_valid():
                try:
                    file_import = services.file_import_create(
                        actor=actor_of(request),
                        membership=membership,
                        source=source,
                        upload=upload_form.cleaned_data["file"],
                        encoding=upload_form.cleaned_data["encoding"],
                    )
                except ValidationError as error:
                    _apply_validation_error(upload_form, error)
                else:
                    return redirect("listening:file_import", import_id=file_import.pk)
    context = {
        "page_title": source.name,
        "health": selectors.source_health(source),
        "source": source,
        "runs": selectors.runs_of(source)[:20],
        "imports": selectors.file_imports_of(membership.workspace, source)[:10],
        "upload_form": upload_form,
        "can_manage": can_manage,
        "new_secret": new_secret,
        "account": network_sources.account_label(source) if source.kind == SourceKind.CONNECTOR else "",
        "webhook_url": request.build_absolute_uri(reverse("listening:webhook", kwargs={"token": source.token}))
        if source.token
        else "",
    }
    return render(request, "listening/source.html", context)


@member_required(Action.LISTENING_MANAGE)
@require_http_methods(["GET", "POST"])
def file_import_detail(request: HttpRequest, membership: Membership, import_id: int) -> HttpResponse:
    """The preview of an uploaded file and its column mapping; confirming queues the import."""
    file_import = get_object_or_404(selectors.file_imports_of(membership.workspace), pk=import_id)
    preview = None
    problem = ""
    try:
        preview = services.file_import_preview(file_import)
    except ValidationError as error:
        problem = " ".join(error.messages)
    columns = preview.columns if preview else []
    suggested = file_import.mapping or (preview.suggested_mapping if preview else {})
    form = MappingForm(request.POST or None, columns=columns, suggested=suggested)
    if request.method == "POST" and form.is_valid():
        try:
            services.file_import_start(
                actor=actor_of(request), membership=membership, file_import=file_import, mapping=form.mapping()
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("The import of %(file)s has started.") % {"file": file_import.original_name})
            return redirect("listening:source", source_id=file_import.source_id)
    context = {
        "page_title": file_import.original_name,
        "file_import": file_import,
        "preview": preview,
        "preview_rows": [[row.get(column, "") for column in columns] for row in preview.rows] if preview else [],
        "problem": problem,
        "form": form,
    }
    return render(request, "listening/file_import.html", context)


# --- rejected items ----------------------------------------------------------------------------


@member_required(Action.LISTENING_VIEW)
@require_http_methods(["GET", "POST"])
def rejected_list(request: HttpRequest, membership: Membership) -> HttpResponse:
    if request.method == "POST":
        require(membership, Action.LISTENING_MANAGE)
        item = get_object_or_404(
            selectors.rejected_items_of(membership.workspace, unresolved_only=False), pk=request.POST.get("item") or 0
        )
        try:
            run = services.rejected_item_retry(actor=actor_of(request), membership=membership, item=item)
        except ValueError:
            messages.error(
                request, _("This item cannot be retried alone: poll the source again or import the file again.")
            )
        else:
            if run.stored or run.duplicates:
                messages.success(request, _("The item was stored."))
            else:
                messages.error(request, _("The item was rejected again; see the new reason."))
        return redirect("listening:rejected")
    show_all = request.GET.get("all") == "1"
    items = selectors.rejected_items_of(membership.workspace, unresolved_only=not show_all)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page_title": _("Rejected items"),
        "page": page,
        "show_all": show_all,
        "can_manage": role_allows(membership.role, Action.LISTENING_MANAGE),
    }
    return render(request, "listening/rejected.html", context)
