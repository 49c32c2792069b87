"""Feature areas: what a page, an API path or an audited action belongs to, by the app that serves it."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

FEATURES: dict[str, str | Promise] = {
    "listening": _("Listening"),
    "strategy": _("Strategy"),
    "publishing": _("Publishing"),
    "inbox": _("Inbox"),
    "community": _("Community"),
    "crisis": _("Crisis"),
    "analytics": _("Analytics"),
    "traffic": _("Web traffic"),
    "connectors": _("Connected accounts"),
    "adoption": _("Team and adoption"),
    "workspace": _("Workspace"),
}
OTHER = "other"

# Audit actions and object types whose first word is not an app label.
_ALIASES = {
    "core": "workspace",
    "region": "workspace",
    "membership": "workspace",
    "user": "workspace",
    "api_token": "workspace",
    "post": "publishing",
    "variant": "publishing",
    "asset": "publishing",
    "conversation": "inbox",
    "member": "community",
    "alert": "crisis",
    "incident": "crisis",
    "report": "analytics",
    "source": "listening",
    "topic": "listening",
    "campaign": "strategy",
    "program": "strategy",
    "account": "connectors",
}


def normalise(word: str) -> str:
    word = word.strip().lower()
    word = _ALIASES.get(word, word)
    return word if word in FEATURES else OTHER


def of_url(namespace: str, path: str) -> str:
    """A page's feature from its URL namespace; an API path's from its first segment after /api/v1/."""
    if namespace == "api" or path.startswith("/api/"):
        parts = [part for part in path.split("/") if part]
        return normalise(parts[2]) if len(parts) > 2 else OTHER
    return normalise(namespace.split(":", maxsplit=1)[0]) if namespace else OTHER


def of_audit(object_type: str, action: str) -> str:
    """An audited action's feature: the app of its object (``inbox.conversation``), else its action's first word."""
    if object_type:
        found = normalise(object_type.split(".", maxsplit=1)[0])
        if found != OTHER:
            return found
    return normalise(action.split(".", maxsplit=1)[0])


def label(feature: str) -> str:
    return str(FEATURES.get(feature, _("Other")))
