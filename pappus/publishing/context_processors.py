"""The failed-posts banner on every page of the shell, for members who may publish."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from pappus.publishing import selectors, services


def failed_posts(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    user = getattr(request, "user", None)
    if membership is None or user is None or not user.is_authenticated or not services.can_publish(membership):
        return {"publishing_failed_count": 0}
    return {"publishing_failed_count": selectors.failed_post_count(membership.workspace_id)}
