"""Per-request user preferences (language, time zone) and the current workspace."""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone, translation

from pappus.core import selectors


def _activate_time_zone(name: str) -> bool:
    if not name:
        return False
    try:
        timezone.activate(zoneinfo.ZoneInfo(name))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False
    return True


class UserPreferencesMiddleware:
    """Activate the signed-in user's language and time zone.

    A signed-in user's saved language wins over the browser's cookie and Accept-Language: the
    language switch saves it, so it follows them to every device. Without one, LocaleMiddleware's
    choice stands. The time zone falls back to the current workspace's (see below), else UTC.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if user.language:
                translation.activate(user.language)
                request.LANGUAGE_CODE = translation.get_language()
            _activate_time_zone(user.time_zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class CurrentWorkspaceMiddleware:
    """Resolve ``request.membership`` (and its workspace) from the session.

    A user without a time zone or language of their own gets the current workspace's (unless
    the browser was switched to a language with the language switch).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        membership = selectors.current_membership(request)
        request.membership = membership  # type: ignore[attr-defined]
        user = getattr(request, "user", None)
        if membership is not None and user is not None:
            if not user.time_zone:
                _activate_time_zone(membership.workspace.time_zone)
            if not user.language and not request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME):
                translation.activate(membership.workspace.default_language)
                request.LANGUAGE_CODE = translation.get_language()
        return self.get_response(request)
