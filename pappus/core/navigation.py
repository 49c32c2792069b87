"""The navigation: only areas that exist and that the member's role may see."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pappus.core.models import Membership
from pappus.core.permissions import Action, role_allows


class Group:
    """Menus that gather related pages, so the top bar holds the main work areas only."""

    LISTENING = _("Listening")
    COMMUNITY = _("Community")
    WORKSPACE = _("Workspace")


@dataclass(frozen=True)
class NavigationEntry:
    label: str | Promise
    url_name: str
    action: str
    group: str | Promise | None = None


@dataclass(frozen=True)
class NavigationItem:
    label: str | Promise
    url: str
    active: bool
    children: tuple[NavigationItem, ...] = ()


# Each app that ships pages adds its entry here; an entry whose URL does not exist is hidden.
ENTRIES: list[NavigationEntry] = [
    NavigationEntry(_("Home"), "core:home", Action.WORKSPACE_VIEW),
    NavigationEntry(_("Strategy"), "strategy:overview", Action.STRATEGY_VIEW),
    NavigationEntry(_("Content plan"), "publishing:plan", Action.CONTENT_VIEW),
    NavigationEntry(_("Inbox"), "inbox:queue", Action.INBOX_VIEW),
    NavigationEntry(_("Members"), "community:members", Action.COMMUNITY_VIEW, Group.COMMUNITY),
    NavigationEntry(_("Core fans"), "community:core_fans", Action.COMMUNITY_VIEW, Group.COMMUNITY),
    NavigationEntry(_("Merge suggestions"), "community:suggestions", Action.COMMUNITY_VIEW, Group.COMMUNITY),
    NavigationEntry(_("Member imports"), "community:imports", Action.COMMUNITY_VIEW, Group.COMMUNITY),
    NavigationEntry(_("Community settings"), "community:settings", Action.COMMUNITY_VIEW, Group.COMMUNITY),
    NavigationEntry(_("Mentions"), "listening:mentions", Action.LISTENING_VIEW, Group.LISTENING),
    NavigationEntry(_("Topics"), "listening:topics", Action.LISTENING_VIEW, Group.LISTENING),
    NavigationEntry(_("Sources"), "listening:sources", Action.LISTENING_VIEW, Group.LISTENING),
    NavigationEntry(_("Rejected items"), "listening:rejected", Action.LISTENING_VIEW, Group.LISTENING),
    NavigationEntry(_("Crisis"), "crisis:alerts", Action.CRISIS_VIEW),
    NavigationEntry(_("Ads"), "ads:overview", Action.ADS_VIEW),
    NavigationEntry(_("Analytics"), "analytics:dashboard", Action.ANALYTICS_VIEW),
    NavigationEntry(_("Team"), "core:members", Action.MEMBERS_VIEW, Group.WORKSPACE),
    NavigationEntry(_("Adoption"), "adoption:usage", Action.ADOPTION_VIEW, Group.WORKSPACE),
    NavigationEntry(_("My scorecard"), "adoption:my_scorecard", Action.WORKSPACE_VIEW, Group.WORKSPACE),
    NavigationEntry(_("My duties"), "adoption:duties", Action.WORKSPACE_VIEW, Group.WORKSPACE),
    NavigationEntry(_("Regions"), "core:regions", Action.WORKSPACE_VIEW, Group.WORKSPACE),
    NavigationEntry(_("Connected accounts"), "connectors:health", Action.CONNECTORS_VIEW, Group.WORKSPACE),
    NavigationEntry(_("Web traffic"), "traffic:settings", Action.REPORTS_MANAGE, Group.WORKSPACE),
    NavigationEntry(_("Audit log"), "core:audit", Action.AUDIT_VIEW, Group.WORKSPACE),
    NavigationEntry(_("Settings"), "core:settings", Action.WORKSPACE_MANAGE, Group.WORKSPACE),
    NavigationEntry(_("API tokens"), "core:api_tokens", Action.API_TOKENS_MANAGE, Group.WORKSPACE),
]


def items_for(membership: Membership | None, current_path: str) -> list[NavigationItem]:
    """Top-level items in order; a group becomes one item with its pages as children."""
    if membership is None:
        return []
    slots: list[NavigationItem | str] = []  # an item, or the label of a group at its first page's place
    groups: dict[str, tuple[str | Promise, list[NavigationItem]]] = {}
    for entry in ENTRIES:
        if not role_allows(membership.role, entry.action):
            continue
        try:
            url = reverse(entry.url_name)
        except NoReverseMatch:
            continue
        active = current_path == url if url == "/" else current_path.startswith(url)
        item = NavigationItem(entry.label, url, active)
        if entry.group is None:
            slots.append(item)
            continue
        key = str(entry.group)
        if key not in groups:
            groups[key] = (entry.group, [])
            slots.append(key)
        groups[key][1].append(item)
    items = []
    for slot in slots:
        if isinstance(slot, NavigationItem):
            items.append(slot)
        else:
            label, children = groups[slot]
            items.append(NavigationItem(label, "", any(child.active for child in children), tuple(children)))
    return items
