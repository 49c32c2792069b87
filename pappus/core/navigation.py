"""The navigation: only areas that exist and that the member's role may see."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pappus.core.models import Membership
from pappus.core.permissions import Action, role_allows


@dataclass(frozen=True)
class NavigationEntry:
    label: str | Promise
    url_name: str
    action: str


@dataclass(frozen=True)
class NavigationItem:
    label: str | Promise
    url: str
    active: bool


# Each app that ships pages adds its entry here; an entry whose URL does not exist is hidden.
ENTRIES: list[NavigationEntry] = [
    NavigationEntry(_("Home"), "core:home", Action.WORKSPACE_VIEW),
    NavigationEntry(_("Team"), "core:members", Action.MEMBERS_VIEW),
    NavigationEntry(_("Regions"), "core:regions", Action.WORKSPACE_VIEW),
    NavigationEntry(_("Connected accounts"), "connectors:health", Action.CONNECTORS_VIEW),
    NavigationEntry(_("Mentions"), "listening:mentions", Action.LISTENING_VIEW),
    NavigationEntry(_("Topics"), "listening:topics", Action.LISTENING_VIEW),
    NavigationEntry(_("Sources"), "listening:sources", Action.LISTENING_VIEW),
    NavigationEntry(_("Rejected items"), "listening:rejected", Action.LISTENING_VIEW),
    NavigationEntry(_("Inbox"), "inbox:queue", Action.INBOX_VIEW),
    NavigationEntry(_("Content plan"), "publishing:plan", Action.CONTENT_VIEW),
    NavigationEntry(_("Crisis"), "crisis:alerts", Action.CRISIS_VIEW),
    NavigationEntry(_("Audit log"), "core:audit", Action.AUDIT_VIEW),
    NavigationEntry(_("Settings"), "core:settings", Action.WORKSPACE_MANAGE),
    NavigationEntry(_("API tokens"), "core:api_tokens", Action.API_TOKENS_MANAGE),
    NavigationEntry(_("Strategy"), "strategy:overview", Action.STRATEGY_VIEW),
]


def items_for(membership: Membership | None, current_path: str) -> list[NavigationItem]:
    if membership is None:
        return []
    items = []
    for entry in ENTRIES:
        if not role_allows(membership.role, entry.action):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        active = current_path == url if url == "/" else current_path.startswith(url)
        items.append(NavigationItem(entry.label, url, active))
    return items
