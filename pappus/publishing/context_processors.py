"""The failed-posts banner on every page of the shell, for members who may publish."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from pappus.publishing import selectors, services


def failed_posts(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    user = getattr(request, "user", None)
    if membership is None or user is None or not user.is_authenticated:
        return {"publishing_failed_count": 0, "publishing_notice_count": 0}
    # The member's own unread failure alerts (author or approver) whatever the role may do; the
    # workspace's failed posts only for those who may publish.
    failed, notices = selectors.banner_counts(membership.workspace_id, user.pk)
    return {
        "publishing_failed_count": failed if services.can_publish(membership) else 0,
        "publishing_notice_count": notices,
    }
