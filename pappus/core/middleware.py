"""Per-request user preferences (language, time zone) and the current workspace."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from pappus.core import selectors


class UserPreferencesMiddleware:
    """Activate the signed-in user's language and time zone (else the workspace's, else UTC)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.language and not request.COOKIES.get("django_language"):
                translation.activate(user.language)
                request.LANGUAGE_CODE = translation.get_language()
            zone_name = user.time_zone or (user.last_workspace.time_zone if user.last_workspace_id else "")
            if zone_name:
                try:
                    timezone.activate(zoneinfo.ZoneInfo(zone_name))
                except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                    timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class CurrentWorkspaceMiddleware:
    """Resolve ``request.membership`` (and its workspace) from the session, lazily checked."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.membership = selectors.current_membership(request)  # type: ignore[attr-defined]
        return self.get_response(request)
