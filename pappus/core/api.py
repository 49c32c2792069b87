"""The core REST API (workspace, regions, members, audit log, API tokens) and what every router shares.

Shared by all apps' routers: :class:`ApiTokenAuth` (``Authorization: Bearer pap_…``, which sets
``request.membership``), :class:`Pagination` (limit/offset with ``count`` and next/previous links),
the error schemas and :func:`error_responses` for the OpenAPI documentation. The exception
handlers that turn errors into ``{"detail": ...}`` live on the API root, :mod:`config.api`.

Handlers are thin: they check the role with :func:`pappus.core.permissions.require`, then call a
selector (reads, always scoped to the token's workspace) or a service (writes, audited).
"""

import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import PaginationBase, paginate
from ninja.params import P, PathEx
from ninja.responses import Status
from ninja.security import HttpBearer
from pydantic import AfterValidator

from pappus.core import selectors, services, tokens
from pappus.core.audit import Actor
from pappus.core.models import ApiToken, AuditEvent, Membership, Region
from pappus.core.permissions import Action, Role, allowed_actions, require

# The largest page a client may ask for; the default page is settings.PAGE_SIZE.
MAX_PAGE_SIZE = 500
# Offsets and ids beyond these are refused with 422 rather than reaching the database.
MAX_OFFSET = 1_000_000_000
MAX_ID = 2**63 - 1

# The codes of pappus.core.models.LANGUAGE_CHOICES (a test keeps the two in step).
LanguageCode = Literal["en", "ru", "nb", "zh-hans"]


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; refuse it here with a field-named 422 instead of a 500.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]
ObjectId = PathEx[int, P(ge=1, le=MAX_ID)]
PositiveId = Annotated[int, Field(ge=1, le=MAX_ID)]


# --- authentication ----------------------------------------------------------------------------


class ApiTokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``: a personal token, scoped to one workspace."""

    openapi_bearerFormat = "pap_<43 characters>"  # noqa: N815 - ninja maps openapi_* attributes to the schema
    openapi_description = (
        "A personal API token, created on the API tokens page. It acts for its user in one workspace, "
        "with the role the user holds there."
    )

    def authenticate(self, request: HttpRequest, token: str) -> Membership | None:
        membership = tokens.token_authenticate(token)
        if membership is not None:
            request.membership = membership  # type: ignore[attr-defined]
        return membership


def member_of(request: HttpRequest, action: str) -> Membership:
    """The token's membership when its role allows ``action`` (PermissionDenied → 403 otherwise)."""
    membership: Membership | None = getattr(request, "auth", None)
    return require(membership, action)


def actor_of(request: HttpRequest, membership: Membership) -> Actor:
    return Actor(user=membership.user, via="api", ip_address=request.META.get("REMOTE_ADDR") or None)


# --- errors ------------------------------------------------------------------------------------


class ErrorOut(Schema):
    detail: str = Field(description="What went wrong, for a person to read.")


class FieldErrorOut(Schema):
    field: str | None = Field(description="The parameter or body field at fault (dotted for nested ones).")
    message: str


class ValidationErrorOut(Schema):
    detail: list[FieldErrorOut]


_ERROR_SCHEMAS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    422: ValidationErrorOut,
    500: ErrorOut,
}


def error_responses(*codes: int) -> dict[int, type[Schema]]:
    """The documented error responses of an operation: 401, 403, 422 and 500 always, plus ``codes``."""
    return {code: _ERROR_SCHEMAS[code] for code in sorted({401, 403, 422, 500, *codes})}


def errors_on(field: str, error: ValidationError) -> ValidationError:
    """Attribute an error that names no field (a unique constraint, say) to ``field``."""
    if not hasattr(error, "error_dict"):
        return ValidationError({field: error.messages})
    messages = {name: list(items) for name, items in error.error_dict.items()}
    if NON_FIELD_ERRORS in messages:
        messages.setdefault(field, []).extend(messages.pop(NON_FIELD_ERRORS))
    return ValidationError(messages)


# --- pagination --------------------------------------------------------------------------------


class Pagination(PaginationBase):
    """Limit/offset pages: ``count`` of all matches, ``items`` of this page, links to the neighbours."""

    class Input(Schema):
        limit: int | None = Field(
            None,
            ge=1,
            le=MAX_PAGE_SIZE,
            description=f"Items per page, at most {MAX_PAGE_SIZE}; the server's page size (PAPPUS_PAGE_SIZE) "
            "when omitted.",
        )
        offset: int = Field(0, ge=0, le=MAX_OFFSET, description="How many items to skip.")

    class Output(Schema):
        count: int = Field(description="All items that match, on every page.")
        limit: int
        offset: int
        next: str | None = Field(description="The URL of the next page, or null on the last one.")
        previous: str | None = Field(description="The URL of the previous page, or null on the first one.")
        items: list[Any]

    def paginate_queryset(
        self, queryset: QuerySet[Any], pagination: Input, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        limit = pagination.limit or settings.PAGE_SIZE
        offset = pagination.offset
        count = queryset.count()
        items = list(queryset[offset : offset + limit]) if offset < count else []
        return {
            "count": count,
            "limit": limit,
            "offset": offset,
            "next": _page_url(request, limit, offset + limit) if offset + limit < count else None,
            "previous": _page_url(request, limit, max(offset - limit, 0)) if offset > 0 else None,
            "items": items,
        }


def _page_url(request: HttpRequest, limit: int, offset: int) -> str:
    query = request.GET.copy()
    query["limit"] = str(limit)
    query["offset"] = str(offset)
    return request.build_absolute_uri(f"{request.path}?{urlencode(sorted(query.lists()), doseq=True)}")


# --- schemas -----------------------------------------------------------------------------------


class UserOut(Schema):
    id: int
    email: str
    full_name: str
    language: str
    time_zone: str


class WorkspaceOut(Schema):
    id: int
    name: str
    slug: str
    time_zone: str
    default_language: str
    currency: str
    created_at: datetime.datetime


class WorkspacePatch(Schema):
    """Only the fields sent are changed."""

    name: Text | None = Field(None, min_length=1, max_length=200)
    slug: Text | None = Field(None, min_length=1, max_length=60)
    time_zone: Text | None = Field(None, max_length=64, description="An IANA name such as Europe/Oslo.")
    default_language: LanguageCode | None = None
    currency: Text | None = Field(None, max_length=3, description="A three-letter ISO 4217 code such as EUR.")


class MembershipOut(Schema):
    id: int
    role: Role
    workspace_id: int


class MeOut(Schema):
    user: UserOut
    membership: MembershipOut
    workspace: WorkspaceOut
    allowed_actions: list[str] = Field(description="The actions the role allows, such as regions.manage.")


class RegionOut(Schema):
    id: int
    name: str
    kind: str
    parent_id: int | None
    country_code: str
    language: str
    is_hub: bool


class RegionIn(Schema):
    name: Text = Field(min_length=1, max_length=200)
    parent_id: PositiveId | None = Field(None, description="The parent region; the hub when omitted.")
    kind: Literal["country", "business_unit", "other"] = "country"
    country_code: str = Field("", pattern=r"^([A-Za-z]{2})?$", description="ISO 3166 alpha-2, such as NO.")
    language: LanguageCode | Literal[""] = ""


class MemberUserOut(Schema):
    id: int
    email: str
    full_name: str


class MemberOut(Schema):
    id: int
    user: MemberUserOut
    role: Role
    region_ids: list[int] = Field(description="The regions the member works in; empty means all.")
    created_at: datetime.datetime

    @staticmethod
    def resolve_region_ids(membership: Membership) -> list[int]:
        return sorted(region.pk for region in membership.regions.all())


class MemberIn(Schema):
    email: Text = Field(min_length=3, max_length=254, description="The e-mail address of an existing user.")
    role: Role
    region_ids: list[PositiveId] = Field(default_factory=list, max_length=1000)


class MemberPatch(Schema):
    role: Role


class AuditEventOut(Schema):
    id: int
    created_at: datetime.datetime
    actor_id: int | None
    actor_label: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    before: dict[str, Any]
    after: dict[str, Any]
    via: str
    ip_address: str | None


def _aware(value: datetime.datetime | None) -> datetime.datetime | None:
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    try:
        return value.astimezone(datetime.UTC)
    except OverflowError as error:
        raise ValueError("is out of range") from error


AwareDateTime = Annotated[datetime.datetime | None, AfterValidator(_aware)]


class AuditFilters(Schema):
    action: Text = Field("", max_length=100, description="Exact action, such as membership.update.")
    actor: PositiveId | None = Field(None, description="The id of the user who acted.")
    object_type: Text = Field("", max_length=100, description="Such as core.region.")
    since: AwareDateTime = Field(None, description="From this moment on (inclusive); UTC when no offset is given.")
    until: AwareDateTime = Field(None, description="Before this moment (exclusive); UTC when no offset is given.")


class TokenOut(Schema):
    id: int
    name: str
    prefix: str = Field(description="The first characters of the token, to tell tokens apart.")
    created_at: datetime.datetime
    last_used_at: datetime.datetime | None
    expires_at: datetime.datetime | None
    revoked_at: datetime.datetime | None


class TokenIn(Schema):
    name: Text = Field(min_length=1, max_length=100)
    expires_at: AwareDateTime = Field(None, description="When the token stops working; never when omitted.")


class TokenCreatedOut(TokenOut):
    token: str = Field(description="The token itself. It is shown only in this response: store it now.")


# --- operations --------------------------------------------------------------------------------

router = Router(tags=["core"])


@router.get("/me", response={200: MeOut, **error_responses()}, summary="Who the token acts as")
def me(request: HttpRequest) -> dict[str, Any]:
    membership = member_of(request, Action.WORKSPACE_VIEW)
    return {
        "user": membership.user,
        "membership": membership,
        "workspace": membership.workspace,
        "allowed_actions": sorted(action.value for action in allowed_actions(membership.role)),
    }


@router.get("/workspace", response={200: WorkspaceOut, **error_responses()}, summary="The token's workspace")
def workspace_detail(request: HttpRequest) -> Any:
    return member_of(request, Action.WORKSPACE_VIEW).workspace


@router.patch("/workspace", response={200: WorkspaceOut, **error_responses(400)}, summary="Change workspace settings")
def workspace_update(request: HttpRequest, payload: WorkspacePatch) -> Any:
    membership = member_of(request, Action.WORKSPACE_MANAGE)
    values = payload.model_dump(exclude_unset=True)
    return services.workspace_update(actor=actor_of(request, membership), membership=membership, **values)


@router.get("/regions", response={200: list[RegionOut], **error_responses()}, summary="Regions, hub first")
@paginate(Pagination)
def region_list(request: HttpRequest) -> QuerySet[Region]:
    return selectors.regions_of(member_of(request, Action.WORKSPACE_VIEW).workspace)


@router.get("/regions/{region_id}", response={200: RegionOut, **error_responses(404)}, summary="One region")
def region_detail(request: HttpRequest, region_id: ObjectId) -> Region:
    return selectors.regions_of(member_of(request, Action.WORKSPACE_VIEW).workspace).get(pk=region_id)


@router.post("/regions", response={201: RegionOut, **error_responses(400)}, summary="Add a region")
def region_create(request: HttpRequest, payload: RegionIn) -> Status[Region]:
    membership = member_of(request, Action.REGIONS_MANAGE)
    parent = None
    if payload.parent_id is not None:
        parent = selectors.regions_of(membership.workspace).filter(pk=payload.parent_id).first()
        if parent is None:
            raise ValidationError({"parent_id": _("No region with this id in the workspace.")})
    try:
        region = services.region_create(
            actor=actor_of(request, membership),
            membership=membership,
            name=payload.name,
            parent=parent,
            kind=payload.kind,
            country_code=payload.country_code,
            language=payload.language,
        )
    except ValidationError as error:
        raise errors_on("name", error) from error
    return Status(201, region)


@router.get("/members", response={200: list[MemberOut], **error_responses()}, summary="Active members")
@paginate(Pagination)
def member_list(request: HttpRequest) -> QuerySet[Membership]:
    return selectors.members_of(member_of(request, Action.MEMBERS_VIEW).workspace)


@router.get("/members/{member_id}", response={200: MemberOut, **error_responses(404)}, summary="One member")
def member_detail(request: HttpRequest, member_id: ObjectId) -> Membership:
    return selectors.members_of(member_of(request, Action.MEMBERS_VIEW).workspace).get(pk=member_id)


@router.post("/members", response={201: MemberOut, **error_responses(400)}, summary="Add an existing user")
def member_create(request: HttpRequest, payload: MemberIn) -> Status[Membership]:
    membership = member_of(request, Action.MEMBERS_MANAGE)
    user = selectors.user_by_email(payload.email)
    if user is None:
        raise ValidationError({"email": _("No active user has this e-mail address.")})
    regions = list(selectors.regions_of(membership.workspace).filter(pk__in=payload.region_ids))
    if len(regions) != len(set(payload.region_ids)):
        raise ValidationError({"region_ids": _("No region with this id in the workspace.")})
    try:
        new = services.membership_add(
            actor=actor_of(request, membership), membership=membership, user=user, role=payload.role, regions=regions
        )
    except ValidationError as error:
        raise errors_on("email", error) from error
    return Status(201, selectors.members_of(membership.workspace).get(pk=new.pk))


@router.patch("/members/{member_id}", response={200: MemberOut, **error_responses(400, 404)}, summary="Change a role")
def member_update(request: HttpRequest, member_id: ObjectId, payload: MemberPatch) -> Membership:
    membership = member_of(request, Action.MEMBERS_MANAGE)
    target = selectors.members_of(membership.workspace).get(pk=member_id)
    return services.membership_change_role(
        actor=actor_of(request, membership), membership=membership, target=target, role=payload.role
    )


@router.delete("/members/{member_id}", response={204: None, **error_responses(400, 404)}, summary="Remove a member")
def member_delete(request: HttpRequest, member_id: ObjectId) -> Status[None]:
    membership = member_of(request, Action.MEMBERS_MANAGE)
    target = selectors.members_of(membership.workspace).get(pk=member_id)
    services.membership_remove(actor=actor_of(request, membership), membership=membership, target=target)
    return Status(204, None)


@router.get(
    "/audit-events", response={200: list[AuditEventOut], **error_responses()}, summary="The audit log, newest first"
)
@paginate(Pagination)
def audit_event_list(request: HttpRequest, filters: Query[AuditFilters]) -> QuerySet[AuditEvent]:
    membership = member_of(request, Action.AUDIT_VIEW)
    return selectors.audit_events_filtered(
        membership.workspace,
        actor_id=filters.actor,
        action=filters.action,
        object_type=filters.object_type,
        since=filters.since,
        until=filters.until,
    )


@router.get(
    "/audit-events/{event_id}", response={200: AuditEventOut, **error_responses(404)}, summary="One audit event"
)
def audit_event_detail(request: HttpRequest, event_id: ObjectId) -> AuditEvent:
    return selectors.audit_events(member_of(request, Action.AUDIT_VIEW).workspace).get(pk=event_id)


@router.get("/tokens", response={200: list[TokenOut], **error_responses()}, summary="Own API tokens")
@paginate(Pagination)
def token_list(request: HttpRequest) -> QuerySet[ApiToken]:
    return tokens.tokens_of(member_of(request, Action.API_TOKENS_MANAGE))


@router.post("/tokens", response={201: TokenCreatedOut, **error_responses(400)}, summary="Create an API token")
def token_create(request: HttpRequest, payload: TokenIn) -> Status[dict[str, Any]]:
    membership = member_of(request, Action.API_TOKENS_MANAGE)
    issued = tokens.token_create(
        actor=actor_of(request, membership), membership=membership, name=payload.name, expires_at=payload.expires_at
    )
    return Status(201, {**TokenOut.model_validate(issued.token).model_dump(), "token": issued.plain})


@router.delete("/tokens/{token_id}", response={204: None, **error_responses(404)}, summary="Revoke an API token")
def token_revoke(request: HttpRequest, token_id: ObjectId) -> Status[None]:
    membership = member_of(request, Action.API_TOKENS_MANAGE)
    tokens.token_revoke(actor=actor_of(request, membership), membership=membership, token_id=token_id)
    return Status(204, None)
