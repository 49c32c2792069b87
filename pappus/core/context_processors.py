"""What every page of the shell needs: the current workspace, the switcher and the navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from pappus.core import navigation, selectors


def shell(request: HttpRequest) -> dict[str, Any]:
    membership = getattr(request, "membership", None)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"current_membership": None, "navigation": []}
    return {
        "current_membership": membership,
        "current_workspace": membership.workspace if membership else None,
        "workspace_memberships": selectors.memberships_of(user),
        "navigation": navigation.items_for(membership, request.path),
    }
