"""The inbox REST API: conversations (list with filters, detail), reply, assign, close, notes, tags,
saved replies and close reasons. Thin over the selectors and services; everything is the token's
workspace's, and the agency role is refused (403) everywhere."""

import datetime
from typing import Annotated, Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet, prefetch_related_objects
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from pappus.core.api import ObjectId, Pagination, PositiveId, Text, actor_of, error_responses, member_of
from pappus.core.models import User
from pappus.core.permissions import Action
from pappus.inbox import selectors, services
from pappus.inbox.models import Conversation, InternalNote, Message, SavedReply, Team

router = Router(tags=["inbox"])

StatusFilter = Literal["active", "open", "pending", "closed", "all"]
IntentCode = Literal["purchase_intent", "service_request", "complaint", "question", "praise", "other", "spam"]
LanguageFilter = Annotated[str, Field(max_length=16, pattern=r"^[a-z-]*$")]


class TeamOut(Schema):
    id: int
    name: str
    kind: str


class ConversationOut(Schema):
    id: int
    network: str
    kind: str
    account_id: int | None
    subject: str
    customer_handle: str
    customer_name: str
    customer_tier: str
    region_id: int | None
    language: str = Field(description="pappus.nlp's code: en, ru, no, zh, … (empty when unknown).")
    status: str
    priority: int = Field(description="1 urgent … 5 lowest; the queue sorts by it, then by next_due_at.")
    intent: str
    sentiment: str
    is_toxic: bool
    is_flagged: bool = Field(description="A complaint or a toxic message.")
    team: TeamOut | None
    assignee_id: int | None
    first_response_due_at: datetime.datetime | None
    resolution_due_at: datetime.datetime | None
    next_due_at: datetime.datetime | None
    first_responded_at: datetime.datetime | None
    sla_warned_at: datetime.datetime | None
    escalated_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    outcome_reason: str
    message_count: int
    last_message_at: datetime.datetime
    created_at: datetime.datetime
    tags: list[str]

    @staticmethod
    def resolve_tags(conversation: Conversation) -> list[str]:
        return [tag.name for tag in conversation.tags.all()]


class MessageOut(Schema):
    id: int
    direction: str
    author_handle: str
    author_name: str
    author_user_id: int | None
    text: str
    url: str
    external_id: str
    sent_at: datetime.datetime
    delivery_status: str
    error: str = Field(description="The network's reason when a reply failed.")
    error_code: str
    intent: str
    is_toxic: bool


class NoteOut(Schema):
    id: int
    author_id: int | None
    text: str
    created_at: datetime.datetime


class ConversationDetailOut(ConversationOut):
    messages: list[MessageOut]
    notes: list[NoteOut]
    history: list[ConversationOut] = Field(description="The same customer's other conversations, any network.")

    @staticmethod
    def resolve_messages(conversation: Conversation) -> list[Message]:
        return list(conversation.messages.all())

    @staticmethod
    def resolve_notes(conversation: Conversation) -> list[InternalNote]:
        return list(conversation.notes.all())


class ReplyIn(Schema):
    text: Text = Field(min_length=1, max_length=10_000)


class AssignIn(Schema):
    assignee_id: PositiveId | None = Field(None, description="A member who may reply; null leaves nobody assigned.")
    team_id: PositiveId | None = Field(None, description="Move to this team (its SLA clock restarts).")
    automatic: bool = Field(False, description="Let the team's mode (round-robin, load) choose.")


class CloseIn(Schema):
    reason: Text = Field(min_length=1, max_length=100, description="One of GET /inbox/close-reasons.")
    note: Text = Field("", max_length=2000)


class NoteIn(Schema):
    text: Text = Field(min_length=1, max_length=10_000)


class TagsIn(Schema):
    add: list[Annotated[Text, Field(min_length=1, max_length=50)]] = Field(default_factory=list, max_length=20)
    remove: list[Annotated[Text, Field(min_length=1, max_length=50)]] = Field(default_factory=list, max_length=20)


class TagsOut(Schema):
    tags: list[str]


class SavedReplyOut(Schema):
    id: int
    title: str
    body: str
    language: str
    region_id: int | None
    shared_with_regions: bool
    filled: str | None = Field(None, description="The body with the conversation's variables filled in.")


class ConversationFilters(Schema):
    status: StatusFilter = "active"
    team: Annotated[str, Field(max_length=20, pattern=r"^(\d{1,18}|none)?$")] = ""
    assignee: Annotated[str, Field(max_length=20, pattern=r"^(\d{1,18}|none|me)?$")] = ""
    intent: IntentCode | None = None
    network: Annotated[str, Field(max_length=40)] = ""
    language: LanguageFilter = ""
    priority: Annotated[int, Field(ge=1, le=5)] | None = None
    tag: Annotated[str, Field(max_length=50)] = ""
    overdue: bool = False


def _conversation(request: HttpRequest, conversation_id: int) -> Conversation:
    return selectors.conversation_get(member_of(request, Action.INBOX_VIEW), conversation_id)


@router.get(
    "/inbox/conversations",
    response={200: list[ConversationOut], **error_responses()},
    summary="The queue: conversations by priority, then due time",
)
@paginate(Pagination)
def conversation_list(request: HttpRequest, filters: Query[ConversationFilters]) -> QuerySet[Conversation]:
    membership = member_of(request, Action.INBOX_VIEW)
    return selectors.conversations_queue(
        membership,
        selectors.QueueFilters(
            status=filters.status,
            team=filters.team,
            assignee=filters.assignee,
            intent=filters.intent or "",
            network=filters.network,
            language=filters.language,
            priority=filters.priority,
            tag=filters.tag,
            overdue=filters.overdue,
        ),
    )


@router.get(
    "/inbox/conversations/{conversation_id}",
    response={200: ConversationDetailOut, **error_responses(404)},
    summary="One conversation with its thread, notes and the customer's history",
)
def conversation_detail(request: HttpRequest, conversation_id: ObjectId) -> Conversation:
    membership = member_of(request, Action.INBOX_VIEW)
    conversation = selectors.conversation_get(membership, conversation_id)
    history = selectors.customer_history(membership, conversation)
    prefetch_related_objects(history, "tags")
    conversation.history = history  # type: ignore[attr-defined]
    return conversation


@router.post(
    "/inbox/conversations/{conversation_id}/reply",
    response={201: MessageOut, **error_responses(404)},
    summary="Reply through the connected account; a refused reply is returned with the network's reason",
)
def conversation_reply(request: HttpRequest, conversation_id: ObjectId, payload: ReplyIn) -> Status[Message]:
    membership = member_of(request, Action.INBOX_REPLY)
    _conversation(request, conversation_id)
    message = services.conversation_reply(
        actor=actor_of(request, membership), membership=membership, conversation_id=conversation_id, text=payload.text
    )
    return Status(201, message)


def _member_user(request: HttpRequest, user_id: int | None) -> User | None:
    if user_id is None:
        return None
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        raise ValidationError({"assignee_id": _("No such member.")})
    return user


@router.post(
    "/inbox/conversations/{conversation_id}/assign",
    response={200: ConversationOut, **error_responses(404)},
    summary="Assign to a person or a team, or let the team's mode choose",
)
def conversation_assign(request: HttpRequest, conversation_id: ObjectId, payload: AssignIn) -> Conversation:
    membership = member_of(request, Action.INBOX_REPLY)
    _conversation(request, conversation_id)
    team = None
    if payload.team_id is not None:
        team = Team.objects.for_workspace(membership.workspace_id).filter(pk=payload.team_id).first()
        if team is None:
            raise ValidationError({"team_id": _("No such team.")})
    services.conversation_assign(
        actor=actor_of(request, membership),
        membership=membership,
        conversation_id=conversation_id,
        assignee=_member_user(request, payload.assignee_id),
        team=team,
        automatic=payload.automatic,
    )
    return selectors.conversation_get(membership, conversation_id)


@router.post(
    "/inbox/conversations/{conversation_id}/close",
    response={200: ConversationOut, **error_responses(404)},
    summary="Close with an outcome reason (required)",
)
def conversation_close(request: HttpRequest, conversation_id: ObjectId, payload: CloseIn) -> Conversation:
    membership = member_of(request, Action.INBOX_REPLY)
    _conversation(request, conversation_id)
    services.conversation_close(
        actor=actor_of(request, membership),
        membership=membership,
        conversation_id=conversation_id,
        reason=payload.reason,
        note=payload.note,
    )
    return selectors.conversation_get(membership, conversation_id)


@router.get(
    "/inbox/conversations/{conversation_id}/notes",
    response={200: list[NoteOut], **error_responses(404)},
    summary="Internal notes of a conversation",
)
def note_list(request: HttpRequest, conversation_id: ObjectId) -> list[InternalNote]:
    return list(_conversation(request, conversation_id).notes.all())


@router.post(
    "/inbox/conversations/{conversation_id}/notes",
    response={201: NoteOut, **error_responses(404)},
    summary="Add an internal note (never shown to the customer)",
)
def note_add(request: HttpRequest, conversation_id: ObjectId, payload: NoteIn) -> Status[InternalNote]:
    membership = member_of(request, Action.INBOX_REPLY)
    _conversation(request, conversation_id)
    note = services.note_add(
        actor=actor_of(request, membership), membership=membership, conversation_id=conversation_id, text=payload.text
    )
    return Status(201, note)


@router.post(
    "/inbox/conversations/{conversation_id}/tags",
    response={200: TagsOut, **error_responses(404)},
    summary="Add and remove tags",
)
def conversation_tags(request: HttpRequest, conversation_id: ObjectId, payload: TagsIn) -> TagsOut:
    membership = member_of(request, Action.INBOX_REPLY)
    _conversation(request, conversation_id)
    tags = services.conversation_tag(
        actor=actor_of(request, membership),
        membership=membership,
        conversation_id=conversation_id,
        add=payload.add,
        remove=payload.remove,
    )
    return TagsOut(tags=tags)


@router.get(
    "/inbox/saved-replies",
    response={200: list[SavedReplyOut], **error_responses(404)},
    summary="Saved replies; with a conversation, those offered there with its variables filled in",
)
def saved_reply_list(
    request: HttpRequest,
    language: Literal["", "en", "ru", "nb", "zh-hans"] = "",
    conversation_id: PositiveId | None = None,
) -> list[SavedReplyOut]:
    membership = member_of(request, Action.INBOX_VIEW)
    if conversation_id is None:
        rows: list[SavedReply] = list(selectors.saved_replies_of(membership, language=language))
        return [SavedReplyOut.from_orm(reply) for reply in rows]
    conversation = selectors.conversation_get(membership, conversation_id)
    replies = [
        reply
        for reply in selectors.saved_replies_for(membership, conversation)
        if not language or reply.language == language
    ]
    return [
        SavedReplyOut(
            **SavedReplyOut.from_orm(reply).dict(exclude={"filled"}),
            filled=services.saved_reply_fill(reply.body, conversation=conversation, agent=membership.user),
        )
        for reply in replies
    ]


@router.get(
    "/inbox/close-reasons",
    response={200: list[str], **error_responses()},
    summary="The outcome reasons a conversation may be closed with",
)
def close_reason_list(request: HttpRequest) -> list[str]:
    return selectors.reasons_of(member_of(request, Action.INBOX_VIEW))
