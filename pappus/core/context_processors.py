"""What every page of the shell needs: the current workspace, the switcher and the navigation."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from pappus.core import navigation, selectors
from pappus.core.models import LANGUAGE_CHOICES


def shell(request: HttpRequest) -> dict[str, Any]:
    # Languages are listed by their own names, so anyone can find theirs in a language they can't read.
    context: dict[str, Any] = {"interface_languages": LANGUAGE_CHOICES}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {**context, "current_membership": None, "current_workspace": None, "navigation": []}
    membership = getattr(request, "membership", None)
    return {
        **context,
        "current_membership": membership,
        "current_workspace": membership.workspace if membership else None,
        "workspace_memberships": list(selectors.memberships_of(user)),
        "navigation": navigation.items_for(membership, request.path),
    }
