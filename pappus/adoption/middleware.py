"""Records each page view and API call of a signed-in member: one insert, never failing the request."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Callable

from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from pappus.adoption import features
from pappus.adoption.models import UsageEvent, UsageKind
from pappus.core.models import Membership

logger = logging.getLogger("pappus.adoption")

# Answers that are not someone using a feature: static files, the language switch, the pixel, health.
_SKIPPED_PREFIXES = ("/static/", "/i18n/", "/t/", "/l/", "/f/", "/health", "/favicon")


class UsageMiddleware:
    """After the response: one :class:`UsageEvent` for a successful page view (GET) or any API call.

    The membership comes from the session (``request.membership``) or, for the API, from the token
    (``request.auth``). A failure to record is logged and swallowed inside its own savepoint, so the
    request's answer and transaction are never affected."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        try:
            self._record(request, response)
        except Exception:  # recording must never break a request
            logger.warning("adoption.usage_not_recorded", exc_info=True, extra={"path": request.path})
        return response

    def _record(self, request: HttpRequest, response: HttpResponse) -> None:
        if response.status_code >= 400 or request.path.startswith(_SKIPPED_PREFIXES):
            return
        is_api = request.path.startswith("/api/")
        membership = getattr(request, "auth", None) if is_api else getattr(request, "membership", None)
        if not isinstance(membership, Membership):
            return
        if not is_api and (request.method != "GET" or getattr(request, "htmx", False)):
            return  # a form post is an action (the audit log has it); htmx fragments are part of a page view
        match = getattr(request, "resolver_match", None)
        namespace = match.namespace if match is not None else ""
        event = UsageEvent(
            workspace_id=membership.workspace_id,
            user_id=membership.user_id,
            feature=features.of_url(namespace, request.path),
            kind=UsageKind.API if is_api else UsageKind.VIEW,
            created_at=timezone.now(),
        )
        event.day = event.created_at.astimezone(datetime.UTC).date()
        # Stored once the request's own work is committed (at once outside a transaction, as requests run), in a
        # savepoint of its own; robust: a failure is logged, never raised into the request.
        transaction.on_commit(lambda: _store(event, request.path), robust=True)


def _store(event: UsageEvent, path: str) -> None:
    try:
        with transaction.atomic():
            event.save(force_insert=True)
    except DatabaseError:
        logger.warning("adoption.usage_not_recorded", exc_info=True, extra={"path": path})
