"""The listening REST API: mentions (search, filters, facets), topics, sources, runs, rejected items.

Thin handlers: check the role (``listening.view`` to read, ``listening.manage`` to change), then
call a selector or a service; everything is scoped to the token's workspace.
"""

import datetime
from typing import Any, Literal
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate
from ninja.responses import Status

from pappus.core.api import (
    MAX_OFFSET,
    MAX_PAGE_SIZE,
    AwareDateTime,
    ObjectId,
    Pagination,
    PositiveId,
    Text,
    actor_of,
    error_responses,
    errors_on,
    member_of,
)
from pappus.core.permissions import Action
from pappus.listening import handover, network_sources, search, selectors, services
from pappus.listening.models import IngestRun, Mention, RejectedItem, Source, SourceKind, Topic, TopicKind

router = Router(tags=["listening"])


# --- schemas -----------------------------------------------------------------------------------


class MentionOut(Schema):
    id: int
    source_id: int
    network: str
    external_id: str
    url: str
    title: str
    text: str
    author_handle: str
    author_name: str
    author_followers: int | None
    language: str
    country: str
    published_at: datetime.datetime | None
    like_count: int
    share_count: int
    comment_count: int
    view_count: int
    reach_estimate: int | None
    sentiment: str = Field(description="positive, neutral, negative, or empty while not analysed.")
    enrichment_status: str = Field(description="done, pending, or unavailable (language analysis not installed).")
    duplicate_of_id: int | None = Field(description="The first mention with the same words (a repost), if any.")


class MentionDetailOut(MentionOut):
    author_url: str
    thread_parent_id: int | None
    topic_ids: list[int]
    intent: str
    toxicity: float | None
    media: list[Any]
    raw: dict[str, Any] = Field(description="The payload as received.")

    @staticmethod
    def resolve_topic_ids(mention: Mention) -> list[int]:
        return sorted(match.topic_id for match in mention.topic_matches.all())


class FacetValueOut(Schema):
    value: str
    label: str
    count: int


class MentionPageOut(Schema):
    count: int = Field(
        description="All mentions that match, on every page; when count_capped is true, a lower bound "
        "(counting stopped after 10,000 matches)."
    )
    count_capped: bool = Field(
        description="True when the search finds more than 10,000 mentions: count is then 10,001 and pages "
        "reach no further than it."
    )
    limit: int
    offset: int
    next: str | None
    previous: str | None
    items: list[MentionOut]
    facets: dict[str, list[FacetValueOut]] | None = Field(
        description="Per facet (topic, sentiment, language, source, country, author), the most frequent values "
        "among mentions matching every other filter; null when facets=false."
    )
    sampled_facets: list[str] = Field(
        default_factory=list,
        description="Facets counted among the newest matching mentions only (facet_sample_size of them), "
        "because more matched: their counts are those of a sample.",
    )
    facet_sample_size: int = Field(
        default=0, description="How many of the newest matches a sampled facet counts (0 when facets=false)."
    )


class MentionFilters(Schema):
    q: Text = Field("", max_length=1000, description='Words (all must occur), "phrases", prefix*, -excluded, a OR b.')
    topic: list[PositiveId] = Field(default_factory=list, max_length=100, description="Topic ids (any of them).")
    sentiment: list[Literal["positive", "neutral", "negative"]] = Field(default_factory=list, max_length=3)
    language: list[Text] = Field(default_factory=list, max_length=50, description="Language codes such as en.")
    source: list[PositiveId] = Field(default_factory=list, max_length=100, description="Source ids.")
    country: list[Text] = Field(default_factory=list, max_length=50, description="Two-letter codes such as NO.")
    author: list[Text] = Field(default_factory=list, max_length=50, description="Author handles.")
    since: AwareDateTime = Field(None, description="Published at or after (UTC when no offset is given).")
    until: AwareDateTime = Field(None, description="Published before.")
    sort: Literal["newest", "oldest", "engagement"] = "newest"
    facets: bool = Field(True, description="Count the facets too (false is faster).")
    limit: int | None = Field(None, ge=1, le=MAX_PAGE_SIZE, description="Items per page.")
    offset: int = Field(0, ge=0, le=MAX_OFFSET)

    def search(self) -> search.MentionSearch:
        return search.MentionSearch(
            text=self.q,
            topic_ids=self.topic,
            sentiments=self.sentiment,
            languages=[value[:16] for value in self.language],
            source_ids=self.source,
            countries=[value[:2] for value in self.country],
            authors=[value[:200] for value in self.author],
            since=self.since,
            until=self.until,
            sort=self.sort,
        )


class TopicOut(Schema):
    id: int
    name: str
    kind: TopicKind
    query: str
    is_active: bool
    send_to_inbox: bool
    region_id: int | None
    created_at: datetime.datetime


class TopicIn(Schema):
    name: Text = Field(min_length=1, max_length=200)
    query: Text = Field(min_length=1, max_length=4000, description="A boolean query; see docs/listening.md.")
    kind: TopicKind = TopicKind.BRAND
    is_active: bool = True
    send_to_inbox: bool = Field(False, description="Every mention this topic matches becomes an inbox conversation.")


class SourceOut(Schema):
    id: int
    name: str
    kind: SourceKind
    url: str
    is_active: bool
    poll_interval_seconds: int
    region_id: int | None
    last_polled_at: datetime.datetime | None
    last_success_at: datetime.datetime | None
    last_error_at: datetime.datetime | None
    last_error: str
    consecutive_failures: int
    next_poll_at: datetime.datetime | None
    send_to_inbox: bool
    account_id: int | None = Field(description="A connector source's connected account.")
    query: str | None = Field(description="A connector source's search on the network.")
    webhook_url: str | None = Field(description="Where a webhook source receives deliveries.")

    @staticmethod
    def resolve_account_id(source: Source) -> int | None:
        value = (source.config or {}).get("account_id") if source.kind == SourceKind.CONNECTOR else None
        return int(value) if value else None

    @staticmethod
    def resolve_query(source: Source) -> str | None:
        return str((source.config or {}).get("query", "")) if source.kind == SourceKind.CONNECTOR else None

    @staticmethod
    def resolve_webhook_url(source: Source) -> str | None:
        if source.kind != SourceKind.WEBHOOK or not source.token:
            return None
        return reverse("listening:webhook", kwargs={"token": source.token})


class SourceCreatedOut(SourceOut):
    signing_secret: str | None = Field(
        description="A webhook source's signing secret: shown only in this response, store it now."
    )

    @staticmethod
    def resolve_signing_secret(source: Source) -> str | None:
        if source.kind != SourceKind.WEBHOOK:
            return None
        return str((source.config or {}).get("signing_secret", "")) or None


class SourceIn(Schema):
    name: Text = Field(min_length=1, max_length=200)
    kind: Literal["rss", "file", "webhook", "connector"]
    url: Text = Field("", max_length=2000, description="The feed's address (rss only).")
    account_id: PositiveId | None = Field(
        None, description="connector only: the connected account that searches (GET /connected-accounts)."
    )
    query: Text = Field(
        "", max_length=500, description="connector only: a hashtag or words, in the network's own search syntax."
    )
    poll_interval_seconds: int = Field(900, ge=60, le=7 * 24 * 3600)
    send_to_inbox: bool = Field(False, description="Every mention of this source becomes an inbox conversation.")


class RunOut(Schema):
    id: int
    status: str
    started_at: datetime.datetime
    finished_at: datetime.datetime | None
    received: int
    stored: int
    duplicates: int
    rejected: int
    http_status: int | None
    error: str


class RejectedItemOut(Schema):
    id: int
    source_id: int
    run_id: int | None
    stage: str
    reason: str
    raw: dict[str, Any]
    created_at: datetime.datetime
    retried_at: datetime.datetime | None
    resolved_at: datetime.datetime | None


class RejectedFilters(Schema):
    unresolved: bool = Field(True, description="Only items not yet resolved by a retry or a good poll.")
    source: PositiveId | None = None


# --- mentions ----------------------------------------------------------------------------------


def _page_url(request: HttpRequest, limit: int, offset: int) -> str:
    query = request.GET.copy()
    query["limit"] = str(limit)
    query["offset"] = str(offset)
    return request.build_absolute_uri(f"{request.path}?{urlencode(sorted(query.lists()), doseq=True)}")


@router.get(
    "/mentions",
    response={200: MentionPageOut, **error_responses()},
    summary="Search mentions with filters and facets",
)
def mention_search(request: HttpRequest, filters: Query[MentionFilters]) -> dict[str, Any]:
    membership = member_of(request, Action.LISTENING_VIEW)
    wanted = filters.search()
    mentions = search.search_mentions(membership.workspace, wanted)
    limit = filters.limit or settings.PAGE_SIZE
    offset = filters.offset
    count = mentions.count()
    facets = None
    sampled: list[str] = []
    if filters.facets:
        found = search.search_facets(membership.workspace, wanted)
        facets = {
            name: [{"value": value.value, "label": value.label, "count": value.count} for value in values]
            for name, values in found.values.items()
        }
        sampled = sorted(found.sampled)
    return {
        "count": count,
        "limit": limit,
        "offset": offset,
        "next": _page_url(request, limit, offset + limit) if offset + limit < count else None,
        "previous": _page_url(request, limit, max(offset - limit, 0)) if offset > 0 else None,
        "items": list(mentions[offset : offset + limit]) if offset < count else [],
        "facets": facets,
        "count_capped": search.count_is_capped(count),
        "sampled_facets": sampled,
        "facet_sample_size": search.FACET_SAMPLE if filters.facets else 0,
    }


@router.get("/mentions/{mention_id}", response={200: MentionDetailOut, **error_responses(404)}, summary="One mention")
def mention_detail(request: HttpRequest, mention_id: ObjectId) -> Mention:
    membership = member_of(request, Action.LISTENING_VIEW)
    return selectors.mentions_of(membership.workspace).prefetch_related("topic_matches").get(pk=mention_id)


# --- topics ------------------------------------------------------------------------------------


@router.get("/topics", response={200: list[TopicOut], **error_responses()}, summary="Topics")
@paginate(Pagination)
def topic_list(request: HttpRequest) -> QuerySet[Topic]:
    return selectors.topics_of(member_of(request, Action.LISTENING_VIEW).workspace)


@router.post("/topics", response={201: TopicOut, **error_responses(400)}, summary="Add a topic")
def topic_create(request: HttpRequest, payload: TopicIn) -> Status[Topic]:
    membership = member_of(request, Action.LISTENING_MANAGE)
    try:
        topic = services.topic_create(
            actor=actor_of(request, membership),
            membership=membership,
            name=payload.name,
            query=payload.query,
            kind=payload.kind,
        )
    except ValidationError as error:
        raise errors_on("name", error) from error
    if not payload.is_active:
        topic = services.topic_update(
            actor=actor_of(request, membership), membership=membership, topic=topic, is_active=False
        )
    if payload.send_to_inbox:
        topic = handover.topic_send_to_inbox(
            actor=actor_of(request, membership), membership=membership, topic=topic, enabled=True
        )
    return Status(201, topic)


# --- sources -----------------------------------------------------------------------------------


@router.get("/sources", response={200: list[SourceOut], **error_responses()}, summary="Sources with their health")
@paginate(Pagination)
def source_list(request: HttpRequest) -> QuerySet[Source]:
    return selectors.sources_of(member_of(request, Action.LISTENING_VIEW).workspace)


@router.post("/sources", response={201: SourceCreatedOut, **error_responses(400)}, summary="Add a source")
def source_create(request: HttpRequest, payload: SourceIn) -> Status[Source]:
    membership = member_of(request, Action.LISTENING_MANAGE)
    actor = actor_of(request, membership)
    try:
        if payload.kind == "connector":
            if payload.account_id is None:
                raise ValidationError(
                    {"account_id": _("A connector source needs the connected account that searches.")}
                )
            source = network_sources.connector_source_create(
                actor=actor,
                membership=membership,
                name=payload.name,
                account_id=payload.account_id,
                query=payload.query,
                poll_interval_seconds=payload.poll_interval_seconds,
                send_to_inbox=payload.send_to_inbox,
            )
        else:
            source = services.source_create(
                actor=actor,
                membership=membership,
                name=payload.name,
                kind=payload.kind,
                url=payload.url,
                poll_interval_seconds=payload.poll_interval_seconds,
            )
            if payload.send_to_inbox:
                source = handover.source_send_to_inbox(actor=actor, membership=membership, source=source, enabled=True)
    except ValidationError as error:
        if hasattr(error, "error_dict") and "account" in error.error_dict:
            error = ValidationError({"account_id": error.error_dict.pop("account"), **error.error_dict})
        raise errors_on("name", error) from error
    return Status(201, source)


@router.get(
    "/sources/{source_id}/runs",
    response={200: list[RunOut], **error_responses(404)},
    summary="A source's ingest runs, newest first",
)
@paginate(Pagination)
def source_runs(request: HttpRequest, source_id: ObjectId) -> QuerySet[IngestRun]:
    membership = member_of(request, Action.LISTENING_VIEW)
    source = selectors.sources_of(membership.workspace).get(pk=source_id)
    return selectors.runs_of(source)


# --- rejected items ----------------------------------------------------------------------------


@router.get(
    "/rejected-items",
    response={200: list[RejectedItemOut], **error_responses()},
    summary="Items the pipeline could not store, with the reason",
)
@paginate(Pagination)
def rejected_item_list(request: HttpRequest, filters: Query[RejectedFilters]) -> QuerySet[RejectedItem]:
    membership = member_of(request, Action.LISTENING_VIEW)
    items = selectors.rejected_items_of(membership.workspace, unresolved_only=filters.unresolved)
    if filters.source is not None:
        items = items.filter(source_id=filters.source)
    return items


@router.post(
    "/rejected-items/{item_id}/retry",
    response={200: RunOut, **error_responses(400, 404)},
    summary="Send a rejected item through the pipeline again",
)
def rejected_item_retry(request: HttpRequest, item_id: ObjectId) -> IngestRun:
    membership = member_of(request, Action.LISTENING_MANAGE)
    item = selectors.rejected_items_of(membership.workspace, unresolved_only=False).get(pk=item_id)
    try:
        return services.rejected_item_retry(actor=actor_of(request, membership), membership=membership, item=item)
    except ValueError as error:
        raise HttpError(400, _("This item cannot be retried alone: %(reason)s") % {"reason": error}) from error
