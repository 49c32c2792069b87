"""The REST API root, mounted at /api/v1; each app adds its router here.

Every error leaves the API as ``{"detail": ...}``: a sentence for 400, 401, 403, 404 and 500, and a
list of ``{"field", "message"}`` for 422. A 404 never tells whether an id exists in another
workspace, and a 500 never carries a traceback (it is logged instead).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist, PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from pappus.core.api import ApiTokenAuth
from pappus.core.api import router as core_router

logger = logging.getLogger("pappus.api")


class PappusApi(NinjaAPI):
    """NinjaAPI whose 405 answers (given by ninja's path views, outside its error handling) are JSON too."""

    @property
    def urls(self) -> tuple[list[URLResolver | URLPattern], str, str]:
        patterns, app_name, namespace = super().urls
        for pattern in patterns:
            if isinstance(pattern, URLPattern):
                pattern.callback = _json_method_not_allowed(pattern.callback)
        return patterns, app_name, namespace


def _json_method_not_allowed(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    @functools.wraps(view)  # keeps ninja's csrf_exempt marker
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = _error(
                request, 405, _("This path does not support the method %(method)s.") % {"method": request.method}
            )
            response["Allow"] = allowed
        return response

    return wrapped


api = PappusApi(
    title="Pappus API",
    version="1.0.0",
    description=(
        "The REST API of Pappus. Authenticate with a personal API token: `Authorization: Bearer pap_…`. "
        "A token belongs to one workspace; everything the API returns is that workspace's. "
        'Errors are `{"detail": "…"}`; validation errors (422) list `{"field", "message"}` pairs.'
    ),
    urls_namespace="api",
    auth=ApiTokenAuth(),
)

api.add_router("/", core_router)
api.add_router("/", "pappus.publishing.api.router")
api.add_router("/", "pappus.connectors.api.router")
api.add_router("/", "pappus.strategy.api.router")
api.add_router("/", "pappus.listening.api.router")
api.add_router("/", "pappus.inbox.api.router")
api.add_router("/", "pappus.community.api.router")
api.add_router("/", "pappus.ads.api.router")
api.add_router("/", "pappus.crisis.api.router")
api.add_router("/", "pappus.analytics.api.router")
api.add_router("/", "pappus.traffic.api.router")
api.add_router("/", "pappus.adoption.api.router")


def _error(request: HttpRequest, status: int, detail: Any) -> HttpResponse:
    return api.create_response(request, {"detail": detail}, status=status)


def _field_name(location: Sequence[Any]) -> str | None:
    """A ninja/pydantic error location as a dotted field name, without the source and body parameter."""
    parts = [str(part) for part in location]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form", "file"}:
        source, parts = parts[0], parts[1:]
        if source == "body":
            # The handler's parameter name ("payload") says nothing to a client; alone, it is the whole body.
            parts = parts[1:] or ["body"]
    return ".".join(parts) or None


def _field_errors(error: DjangoValidationError) -> list[dict[str, str | None]]:
    if not hasattr(error, "error_dict"):
        return [{"field": None, "message": str(message)} for message in error.messages]
    return [
        {"field": None if name == NON_FIELD_ERRORS else name, "message": str(message)}
        for name, errors in error.error_dict.items()
        for message in DjangoValidationError(errors).messages
    ]


def _request_errors(errors: Iterable[dict[str, Any]]) -> list[dict[str, str | None]]:
    return [{"field": _field_name(error.get("loc", ())), "message": str(error.get("msg", ""))} for error in errors]


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _error(request, 401, _("Missing, invalid, expired or revoked API token."))
    response["WWW-Authenticate"] = 'Bearer realm="pappus"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return _error(request, exc.status_code, str(exc))


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, str(exc) or _("Your role does not allow this."))


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, _("Not found."))


@api.exception_handler(ObjectDoesNotExist)
def _does_not_exist(request: HttpRequest, exc: ObjectDoesNotExist) -> HttpResponse:
    # Lookups are scoped to the token's workspace: another workspace's id is simply not found.
    return _error(request, 404, _("Not found."))


@api.exception_handler(NinjaValidationError)
def _invalid_request(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return _error(request, 422, _request_errors(exc.errors))


@api.exception_handler(DjangoValidationError)
def _invalid_values(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    return _error(request, 422, _field_errors(exc))


@api.exception_handler(Exception)
def _internal_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.error("api.internal_error", exc_info=exc, extra={"path": request.path, "method": request.method})
    return _error(request, 500, "internal error")


# Unknown paths under /api/v1 answer in the API's error format too (registered last, so it matches last).
_fallback = Router(auth=None)


@_fallback.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"], "/{path:unknown}", include_in_schema=False
)
def _unknown_path(request: HttpRequest, unknown: str) -> HttpResponse:
    raise Http404(unknown)


api.add_router("/", _fallback)
