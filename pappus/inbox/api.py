"""The inbox REST API: conversations (list with filters, detail), reply, assign, close, notes, tags,
saved replies and close reasons. Thin over the selectors and services; everything is the token's
workspace's, and the agency role is refused (403) everywhere."""

import datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.db.models import QuerySet, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status

from pappus.core.api import ObjectId, Pagination, PositiveId, Text, actor_of, error_responses, member_of
from pappus.core.models import Membership, Region, User
from pappus.core.permissions import Action
from pappus.inbox import selectors, services
from pappus.inbox.models import Conversation, InternalNote, Message, RoutingRule, SavedReply, SlaPolicy, Team

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
    saved_reply_id: int | None = Field(None, description="The saved reply the answer was based on.")


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
    saved_reply_id: PositiveId | None = Field(
        None, description="The saved reply this answer is based on (the text may have been edited); ranked in adoption."
    )


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
    network: Annotated[Text, Field(max_length=40)] = ""
    language: LanguageFilter = ""
    priority: Annotated[int, Field(ge=1, le=5)] | None = None
    tag: Annotated[Text, Field(max_length=50)] = ""
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
        actor=actor_of(request, membership),
        membership=membership,
        conversation_id=conversation_id,
        text=payload.text,
        saved_reply_id=payload.saved_reply_id,
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


# --- settings: teams, SLA policies, routing rules, saved replies, close reasons -------------------

TeamKindCode = Literal["support", "sales", "pr", "community", "other"]
AssignmentCode = Literal["manual", "round_robin", "load_based"]
NetworkName = Annotated[str, Field(min_length=1, max_length=40)]
ShortText = Annotated[Text, Field(min_length=1, max_length=100)]
Period = Annotated[list[Annotated[str, Field(pattern=r"^\d{2}:\d{2}$")]], Field(min_length=2, max_length=2)]
WeekdayCode = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
InterfaceLanguage = Literal["en", "ru", "nb", "zh-hans"]


class SlaPolicyOut(Schema):
    first_response_minutes: int
    resolution_minutes: int
    warning_percent: int
    escalation_team_id: int | None
    escalation_user_id: int | None


class TeamDetailOut(Schema):
    id: int
    name: str
    kind: str
    region_id: int | None
    member_ids: list[int]
    assignment_mode: str
    time_zone: str
    business_hours: dict[str, list[list[str]]]
    holidays: list[str]
    sla: SlaPolicyOut | None

    @staticmethod
    def resolve_member_ids(team: Team) -> list[int]:
        return sorted(user.pk for user in team.members.all())

    @staticmethod
    def resolve_sla(team: Team) -> SlaPolicy | None:
        return getattr(team, "sla_policy", None)


class TeamIn(Schema):
    name: ShortText
    kind: TeamKindCode = "support"
    region_id: PositiveId | None = None
    member_ids: list[PositiveId] = Field(default_factory=list, max_length=500)
    assignment_mode: AssignmentCode = Field("round_robin", description="manual, round_robin or load_based.")
    time_zone: Annotated[str, Field(min_length=1, max_length=64)] = "UTC"
    business_hours: dict[WeekdayCode, list[Period]] = Field(
        default_factory=dict,
        description='Opening periods per weekday in the team\'s time zone, {"mon": [["09:00", "17:00"]]}; '
        "none at all: around the clock.",
    )
    holidays: list[datetime.date] = Field(default_factory=list, max_length=400)


class TeamPatch(Schema):
    name: ShortText | None = None
    kind: TeamKindCode | None = None
    region_id: PositiveId | None = None
    member_ids: list[PositiveId] | None = Field(None, max_length=500)
    assignment_mode: AssignmentCode | None = None
    time_zone: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    business_hours: dict[WeekdayCode, list[Period]] | None = None
    holidays: list[datetime.date] | None = Field(None, max_length=400)


class SlaIn(Schema):
    first_response_minutes: Annotated[int, Field(ge=1, le=525_600)]
    resolution_minutes: Annotated[int, Field(ge=1, le=525_600)]
    warning_percent: Annotated[int, Field(ge=1, le=100)] = 80
    escalation_team_id: PositiveId | None = None
    escalation_user_id: PositiveId | None = None


class RoutingRuleOut(Schema):
    id: int
    position: int = Field(description="Rules are tried from the lowest position; the first match wins.")
    name: str
    is_active: bool
    intents: list[str]
    languages: list[str]
    networks: list[str]
    keywords: list[str]
    customer_tiers: list[str]
    region_id: int | None
    team_id: int
    priority: int | None


Words = list[Annotated[Text, Field(min_length=1, max_length=100)]]


class RoutingRuleIn(Schema):
    name: ShortText
    team_id: PositiveId
    is_active: bool = True
    intents: list[IntentCode] = Field(default_factory=list)
    languages: list[Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[a-z]+)?$")]] = Field(
        default_factory=list, max_length=50, description="pappus.nlp's codes: en, ru, no, zh, …"
    )
    networks: list[NetworkName] = Field(default_factory=list, max_length=20)
    keywords: Words = Field(default_factory=list, max_length=100, description="Any of them, case-insensitive.")
    customer_tiers: Words = Field(default_factory=list, max_length=50)
    region_id: PositiveId | None = None
    priority: Annotated[int, Field(ge=1, le=5)] | None = None
    position: Annotated[int, Field(ge=0, le=100_000)] | None = Field(None, description="Default: tried last.")


class RoutingRulePatch(Schema):
    name: ShortText | None = None
    team_id: PositiveId | None = None
    is_active: bool | None = None
    intents: list[IntentCode] | None = None
    languages: list[Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[a-z]+)?$")]] | None = Field(None, max_length=50)
    networks: list[NetworkName] | None = Field(None, max_length=20)
    keywords: Words | None = Field(None, max_length=100)
    customer_tiers: Words | None = Field(None, max_length=50)
    region_id: PositiveId | None = None
    priority: Annotated[int, Field(ge=1, le=5)] | None = None
    position: Annotated[int, Field(ge=0, le=100_000)] | None = Field(
        None, description="The place to move it to (0: first)."
    )


class RoutingTestIn(Schema):
    text: Text = Field(min_length=1, max_length=5000)
    network: Annotated[Text, Field(max_length=40)] = ""
    language: LanguageFilter = Field("", description="Empty: detected from the text.")
    customer_tier: Annotated[Text, Field(max_length=40)] = ""
    region_id: PositiveId | None = None


class RoutingTestOut(Schema):
    intent: str
    language: str
    priority: int
    is_toxic: bool
    rule_id: int | None
    team_id: int | None
    matched_rule_ids: list[int] = Field(description="Every active rule the sample matches, in order.")


class SavedReplyIn(Schema):
    title: Annotated[Text, Field(min_length=1, max_length=200)]
    body: Text = Field(min_length=1, max_length=10_000)
    language: InterfaceLanguage
    region_id: PositiveId | None = Field(None, description="Null: a reply of the hub.")
    shared_with_regions: bool = True


class SavedReplyPatch(Schema):
    title: Annotated[Text, Field(min_length=1, max_length=200)] | None = None
    body: Text | None = Field(None, min_length=1, max_length=10_000)
    language: InterfaceLanguage | None = None
    region_id: PositiveId | None = None
    shared_with_regions: bool | None = None


class PreviewIn(Schema):
    body: Text = Field(min_length=1, max_length=10_000)
    conversation_id: PositiveId | None = Field(None, description="Fill from this conversation; else a sample customer.")


class PreviewOut(Schema):
    filled: str


class CloseReasonIn(Schema):
    name: ShortText


def _manager(request: HttpRequest) -> Membership:
    return member_of(request, Action.INBOX_MANAGE)


def _region(membership: Membership, region_id: int | None, field: str = "region_id") -> Region | None:
    if region_id is None:
        return None
    region = Region.objects.for_workspace(membership.workspace_id).filter(pk=region_id).first()
    if region is None:
        raise ValidationError({field: _("No region with this id in the workspace.")})
    return region


def _team(membership: Membership, team_id: int | None, field: str = "team_id") -> Team | None:
    if team_id is None:
        return None
    team = Team.objects.for_workspace(membership.workspace_id).filter(pk=team_id).first()
    if team is None:
        raise ValidationError({field: _("No team with this id in the workspace.")})
    return team


def _users(membership: Membership, user_ids: list[int], field: str) -> list[User]:
    users = list(
        User.objects.filter(
            pk__in=Membership.objects.for_workspace(membership.workspace_id).filter(is_active=True).values("user_id")
        ).filter(pk__in=user_ids)
    )
    missing = sorted(set(user_ids) - {user.pk for user in users})
    if missing:
        raise ValidationError(
            {field: _("Not members of this workspace: %(ids)s.") % {"ids": ", ".join(map(str, missing))}}
        )
    return users


def _team_detail(membership: Membership, team_id: int) -> Team:
    return selectors.teams_of(membership).select_related("sla_policy").prefetch_related("members").get(pk=team_id)


def _team_values(membership: Membership, values: dict[str, Any]) -> dict[str, Any]:
    if "region_id" in values:
        values["region"] = _region(membership, values.pop("region_id"))
    if "member_ids" in values:
        values["members"] = _users(membership, values.pop("member_ids"), "member_ids")
    if "holidays" in values:
        values["holidays"] = [day.isoformat() for day in values["holidays"]]
    return values


@router.get("/inbox/teams", response={200: list[TeamDetailOut], **error_responses()}, summary="Teams with their SLA")
def team_list(request: HttpRequest) -> list[Team]:
    return selectors.teams_with_settings(member_of(request, Action.INBOX_VIEW))


@router.get("/inbox/teams/{team_id}", response={200: TeamDetailOut, **error_responses(404)}, summary="A team")
def team_detail(request: HttpRequest, team_id: ObjectId) -> Team:
    return _team_detail(member_of(request, Action.INBOX_VIEW), team_id)


@router.post("/inbox/teams", response={201: TeamDetailOut, **error_responses()}, summary="Add a team")
def team_create(request: HttpRequest, payload: TeamIn) -> Status[Team]:
    membership = _manager(request)
    values = _team_values(membership, payload.model_dump())
    team = services.team_create(actor=actor_of(request, membership), membership=membership, **values)
    return Status(201, _team_detail(membership, team.pk))


@router.patch("/inbox/teams/{team_id}", response={200: TeamDetailOut, **error_responses(404)}, summary="Change a team")
def team_update(request: HttpRequest, team_id: ObjectId, payload: TeamPatch) -> Team:
    membership = _manager(request)
    team = _team_detail(membership, team_id)
    values = {key: value for key, value in payload.model_dump(exclude_unset=True).items() if value is not None}
    if "region_id" in payload.model_fields_set and payload.region_id is None:
        values["region_id"] = None
    values = _team_values(membership, values)
    services.team_update(actor=actor_of(request, membership), membership=membership, team=team, **values)
    return _team_detail(membership, team_id)


@router.delete(
    "/inbox/teams/{team_id}",
    response={204: None, **error_responses(404)},
    summary="Remove a team (refused while routing rules send conversations to it)",
)
def team_delete(request: HttpRequest, team_id: ObjectId) -> HttpResponse:
    membership = _manager(request)
    team = _team_detail(membership, team_id)
    services.team_delete(actor=actor_of(request, membership), membership=membership, team=team)
    return HttpResponse(status=204)


@router.put(
    "/inbox/teams/{team_id}/sla",
    response={200: SlaPolicyOut, **error_responses(404)},
    summary="Set a team's SLA (in its business hours)",
)
def sla_set(request: HttpRequest, team_id: ObjectId, payload: SlaIn) -> SlaPolicy:
    membership = _manager(request)
    team = _team_detail(membership, team_id)
    escalation_user = payload.escalation_user_id
    return services.sla_policy_set(
        actor=actor_of(request, membership),
        membership=membership,
        team=team,
        first_response_minutes=payload.first_response_minutes,
        resolution_minutes=payload.resolution_minutes,
        warning_percent=payload.warning_percent,
        escalation_team=_team(membership, payload.escalation_team_id, "escalation_team_id"),
        escalation_user=_users(membership, [escalation_user], "escalation_user_id")[0] if escalation_user else None,
    )


@router.delete(
    "/inbox/teams/{team_id}/sla", response={204: None, **error_responses(404)}, summary="Remove a team's SLA"
)
def sla_remove(request: HttpRequest, team_id: ObjectId) -> HttpResponse:
    membership = _manager(request)
    services.sla_policy_remove(
        actor=actor_of(request, membership), membership=membership, team=_team_detail(membership, team_id)
    )
    return HttpResponse(status=204)


@router.get(
    "/inbox/routing-rules",
    response={200: list[RoutingRuleOut], **error_responses()},
    summary="Routing rules in the order they are tried",
)
def routing_rule_list(request: HttpRequest) -> list[RoutingRule]:
    return selectors.routing_rules_of(member_of(request, Action.INBOX_VIEW))


def _rule_values(membership: Membership, values: dict[str, Any]) -> dict[str, Any]:
    if "team_id" in values:
        values["team"] = _team(membership, values.pop("team_id"))
    if "region_id" in values:
        values["region"] = _region(membership, values.pop("region_id"))
    return values


@router.post("/inbox/routing-rules", response={201: RoutingRuleOut, **error_responses()}, summary="Add a routing rule")
def routing_rule_create(request: HttpRequest, payload: RoutingRuleIn) -> Status[RoutingRule]:
    membership = _manager(request)
    values = _rule_values(membership, payload.model_dump())
    is_active = values.pop("is_active")
    actor = actor_of(request, membership)
    rule = services.routing_rule_create(actor=actor, membership=membership, **values)
    if not is_active:
        rule = services.routing_rule_update(actor=actor, membership=membership, rule=rule, is_active=False)
    return Status(201, rule)


@router.post(
    "/inbox/routing-rules/test",
    response={200: RoutingTestOut, **error_responses()},
    summary="Where a sample message would go: its triage and the first matching rule (changes nothing)",
)
def routing_rule_test(request: HttpRequest, payload: RoutingTestIn) -> RoutingTestOut:
    membership = _manager(request)
    result = services.routing_test(
        membership=membership,
        text=payload.text,
        network=payload.network,
        language=payload.language,
        customer_tier=payload.customer_tier,
        region=_region(membership, payload.region_id),
    )
    return RoutingTestOut(
        intent=result.intent,
        language=result.language,
        priority=result.priority,
        is_toxic=result.is_toxic,
        rule_id=result.rule.pk if result.rule else None,
        team_id=result.team.pk if result.team else None,
        matched_rule_ids=[rule.pk for rule, matched in result.checked if matched],
    )


@router.patch(
    "/inbox/routing-rules/{rule_id}",
    response={200: RoutingRuleOut, **error_responses(404)},
    summary="Change a routing rule, or move it (position)",
)
def routing_rule_update(request: HttpRequest, rule_id: ObjectId, payload: RoutingRulePatch) -> RoutingRule:
    membership = _manager(request)
    rule = selectors.routing_rule_get(membership, rule_id)
    values = {key: value for key, value in payload.model_dump(exclude_unset=True).items() if value is not None}
    for name in ("region_id", "priority"):
        if name in payload.model_fields_set and getattr(payload, name) is None:
            values[name] = None
    position = values.pop("position", None)
    actor = actor_of(request, membership)
    values = _rule_values(membership, values)
    if values:
        services.routing_rule_update(actor=actor, membership=membership, rule=rule, **values)
    if position is not None:
        services.routing_rule_move(actor=actor, membership=membership, rule=rule, to=position)
    return selectors.routing_rule_get(membership, rule_id)


@router.delete(
    "/inbox/routing-rules/{rule_id}", response={204: None, **error_responses(404)}, summary="Remove a routing rule"
)
def routing_rule_delete(request: HttpRequest, rule_id: ObjectId) -> HttpResponse:
    membership = _manager(request)
    rule = selectors.routing_rule_get(membership, rule_id)
    services.routing_rule_delete(actor=actor_of(request, membership), membership=membership, rule=rule)
    return HttpResponse(status=204)


def _reply_values(membership: Membership, values: dict[str, Any]) -> dict[str, Any]:
    if "region_id" in values:
        values["region"] = _region(membership, values.pop("region_id"))
    return values


@router.post("/inbox/saved-replies", response={201: SavedReplyOut, **error_responses()}, summary="Add a saved reply")
def saved_reply_create(request: HttpRequest, payload: SavedReplyIn) -> Status[SavedReply]:
    membership = _manager(request)
    values = _reply_values(membership, payload.model_dump())
    return Status(
        201, services.saved_reply_create(actor=actor_of(request, membership), membership=membership, **values)
    )


@router.post(
    "/inbox/saved-replies/preview",
    response={200: PreviewOut, **error_responses(404)},
    summary="A text with its variables filled, for a conversation or a sample customer",
)
def saved_reply_preview(request: HttpRequest, payload: PreviewIn) -> PreviewOut:
    membership = member_of(request, Action.INBOX_VIEW)
    conversation = selectors.conversation_get(membership, payload.conversation_id) if payload.conversation_id else None
    return PreviewOut(
        filled=services.saved_reply_preview(membership=membership, body=payload.body, conversation=conversation)
    )


@router.patch(
    "/inbox/saved-replies/{reply_id}",
    response={200: SavedReplyOut, **error_responses(404)},
    summary="Change a saved reply",
)
def saved_reply_update(request: HttpRequest, reply_id: ObjectId, payload: SavedReplyPatch) -> SavedReply:
    membership = _manager(request)
    reply = selectors.saved_reply_get(membership, reply_id)
    values = {key: value for key, value in payload.model_dump(exclude_unset=True).items() if value is not None}
    if "region_id" in payload.model_fields_set and payload.region_id is None:
        values["region_id"] = None
    values = _reply_values(membership, values)
    return services.saved_reply_update(
        actor=actor_of(request, membership), membership=membership, reply=reply, **values
    )


@router.delete(
    "/inbox/saved-replies/{reply_id}", response={204: None, **error_responses(404)}, summary="Remove a saved reply"
)
def saved_reply_delete(request: HttpRequest, reply_id: ObjectId) -> HttpResponse:
    membership = _manager(request)
    reply = selectors.saved_reply_get(membership, reply_id)
    services.saved_reply_delete(actor=actor_of(request, membership), membership=membership, reply=reply)
    return HttpResponse(status=204)


@router.post(
    "/inbox/close-reasons",
    response={201: list[str], **error_responses()},
    summary="Offer one more outcome reason (the workspace's own list replaces the defaults)",
)
def close_reason_create(request: HttpRequest, payload: CloseReasonIn) -> Status[list[str]]:
    membership = _manager(request)
    services.close_reason_create(actor=actor_of(request, membership), membership=membership, name=payload.name)
    return Status(201, selectors.reasons_of(membership))


@router.delete(
    "/inbox/close-reasons",
    response={204: None, **error_responses(404)},
    summary="Stop offering one of the workspace's own outcome reasons",
)
def close_reason_delete(
    request: HttpRequest, name: Annotated[str, Field(min_length=1, max_length=100)]
) -> HttpResponse:
    membership = _manager(request)
    services.close_reason_remove(actor=actor_of(request, membership), membership=membership, name=name)
    return HttpResponse(status=204)
