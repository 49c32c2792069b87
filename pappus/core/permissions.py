"""The one table of what each role may do, enforced in views, the API and services alike.

An action is ``<area>.<verb>``. Areas that are not built yet are listed too, so that the
table is decided once and the role-by-action test matrix covers it; the navigation shows
only areas that exist (see ``pappus.core.navigation``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from pappus.core.models import Membership


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Administrator")
    STRATEGIST = "strategist", _("Strategist")
    CONTENT_MANAGER = "content_manager", _("Content manager")
    COMMUNITY_MANAGER = "community_manager", _("Community manager")
    ANALYST = "analyst", _("Analyst")
    CAMPAIGN_MANAGER = "campaign_manager", _("Campaign manager")
    DESIGNER = "designer", _("Designer / copywriter")
    AGENCY = "agency", _("Agency (external)")
    EXECUTIVE = "executive", _("Executive (read-only)")


class Action(models.TextChoices):
    # Workspace administration.
    WORKSPACE_VIEW = "workspace.view", _("See the workspace")
    WORKSPACE_MANAGE = "workspace.manage", _("Change workspace settings")
    WORKSPACE_DELETE = "workspace.delete", _("Delete the workspace")
    MEMBERS_VIEW = "members.view", _("See the team")
    MEMBERS_MANAGE = "members.manage", _("Invite, change and remove members")
    REGIONS_MANAGE = "regions.manage", _("Manage regions")
    AUDIT_VIEW = "audit.view", _("Browse and export the audit log")
    API_TOKENS_MANAGE = "api_tokens.manage", _("Create and revoke own API tokens")
    # Connected network accounts.
    CONNECTORS_VIEW = "connectors.view", _("See connected accounts")
    CONNECTORS_MANAGE = "connectors.manage", _("Connect and disconnect accounts")
    # Strategy.
    STRATEGY_VIEW = "strategy.view", _("See the strategy")
    STRATEGY_EDIT = "strategy.edit", _("Edit the strategy, programs and campaigns")
    # Publishing.
    CONTENT_VIEW = "content.view", _("See the content plan")
    CONTENT_DRAFT = "content.draft", _("Draft posts")
    CONTENT_APPROVE = "content.approve", _("Approve posts")
    CONTENT_PUBLISH = "content.publish", _("Schedule and publish posts")
    ASSETS_MANAGE = "assets.manage", _("Manage the asset library")
    # Listening.
    LISTENING_VIEW = "listening.view", _("See mentions")
    LISTENING_MANAGE = "listening.manage", _("Manage sources and topics")
    # Inbox (holds customers' messages: personal data).
    INBOX_VIEW = "inbox.view", _("See the inbox")
    INBOX_REPLY = "inbox.reply", _("Reply, assign and close conversations")
    INBOX_MANAGE = "inbox.manage", _("Manage routing, SLAs and saved replies")
    # Community (members: personal data).
    COMMUNITY_VIEW = "community.view", _("See community members")
    COMMUNITY_MANAGE = "community.manage", _("Manage members, events and loyalty")
    CUSTOMER_DATA_EXPORT = "customer_data.export", _("Export customer personal data")
    CUSTOMER_DATA_ERASE = "customer_data.erase", _("Erase a person's data on request")
    # Crisis.
    CRISIS_VIEW = "crisis.view", _("See alerts and incidents")
    CRISIS_MANAGE = "crisis.manage", _("Manage alert rules, incidents and playbooks")
    # Analytics.
    ANALYTICS_VIEW = "analytics.view", _("See dashboards")
    REPORTS_MANAGE = "reports.manage", _("Manage report schedules")
    # Paid.
    ADS_VIEW = "ads.view", _("See ad spend and results")
    ADS_MANAGE = "ads.manage", _("Manage ad accounts and budgets")
    # Team and adoption.
    ADOPTION_VIEW = "adoption.view", _("See adoption and scorecards")


# Actions that touch customers' personal data. The agency role never gets any of them.
CUSTOMER_DATA_ACTIONS = frozenset(
    {
        Action.INBOX_VIEW,
        Action.INBOX_REPLY,
        Action.INBOX_MANAGE,
        Action.COMMUNITY_VIEW,
        Action.COMMUNITY_MANAGE,
        Action.CUSTOMER_DATA_EXPORT,
        Action.CUSTOMER_DATA_ERASE,
    }
)

_VIEW_ALL = frozenset(action for action in Action if action.value.endswith(".view"))
_ALL = frozenset(Action)

ROLE_ACTIONS: dict[Role, frozenset[Action]] = {
    Role.OWNER: _ALL,
    Role.ADMIN: _ALL - {Action.WORKSPACE_DELETE},
    Role.STRATEGIST: _VIEW_ALL
    | {
        Action.API_TOKENS_MANAGE,
        Action.STRATEGY_EDIT,
        Action.CONTENT_DRAFT,
        Action.CONTENT_APPROVE,
        Action.LISTENING_MANAGE,
        Action.REPORTS_MANAGE,
    },
    Role.CONTENT_MANAGER: frozenset(
        {
            Action.WORKSPACE_VIEW,
            Action.MEMBERS_VIEW,
            Action.API_TOKENS_MANAGE,
            Action.CONNECTORS_VIEW,
            Action.STRATEGY_VIEW,
            Action.CONTENT_VIEW,
            Action.CONTENT_DRAFT,
            Action.CONTENT_APPROVE,
            Action.CONTENT_PUBLISH,
            Action.ASSETS_MANAGE,
            Action.LISTENING_VIEW,
            Action.ANALYTICS_VIEW,
            Action.CRISIS_VIEW,
        }
    ),
    Role.COMMUNITY_MANAGER: frozenset(
        {
            Action.WORKSPACE_VIEW,
            Action.MEMBERS_VIEW,
            Action.API_TOKENS_MANAGE,
            Action.CONNECTORS_VIEW,
            Action.STRATEGY_VIEW,
            Action.CONTENT_VIEW,
            Action.CONTENT_DRAFT,
            Action.LISTENING_VIEW,
            Action.INBOX_VIEW,
            Action.INBOX_REPLY,
            Action.INBOX_MANAGE,
            Action.COMMUNITY_VIEW,
            Action.COMMUNITY_MANAGE,
            Action.CRISIS_VIEW,
            Action.ANALYTICS_VIEW,
        }
    ),
    Role.ANALYST: frozenset(
        {
            Action.WORKSPACE_VIEW,
            Action.MEMBERS_VIEW,
            Action.API_TOKENS_MANAGE,
            Action.CONNECTORS_VIEW,
            Action.STRATEGY_VIEW,
            Action.CONTENT_VIEW,
            Action.LISTENING_VIEW,
            Action.LISTENING_MANAGE,
            Action.INBOX_VIEW,
            Action.COMMUNITY_VIEW,
            Action.CRISIS_VIEW,
            Action.ANALYTICS_VIEW,
            Action.REPORTS_MANAGE,
            Action.ADS_VIEW,
            Action.ADOPTION_VIEW,
        }
    ),
    Role.CAMPAIGN_MANAGER: frozenset(
        {
            Action.WORKSPACE_VIEW,
            Action.MEMBERS_VIEW,
            Action.API_TOKENS_MANAGE,
            Action.CONNECTORS_VIEW,
            Action.STRATEGY_VIEW,
            Action.CONTENT_VIEW,
            Action.CONTENT_DRAFT,
            Action.LISTENING_VIEW,
            Action.ANALYTICS_VIEW,
            Action.ADS_VIEW,
            Action.ADS_MANAGE,
        }
    ),
    Role.DESIGNER: frozenset(
        {
            Action.WORKSPACE_VIEW,
            Action.MEMBERS_VIEW,
            Action.STRATEGY_VIEW,
            Action.CONTENT_VIEW,
            Action.CONTENT_DRAFT,
            Action.ASSETS_MANAGE,
        }
    ),
    # An external agency works on content and ads; it never sees customers' personal data.
    Role.AGENCY: frozenset(
        {
            Action.WORKSPACE_VIEW,
            Action.STRATEGY_VIEW,
            Action.CONTENT_VIEW,
            Action.CONTENT_DRAFT,
            Action.ASSETS_MANAGE,
            Action.ANALYTICS_VIEW,
            Action.ADS_VIEW,
            Action.ADS_MANAGE,
        }
    ),
    # Executives read everything and change nothing.
    Role.EXECUTIVE: _VIEW_ALL,
}


def role_allows(role: str, action: str) -> bool:
    """Whether ``role`` may perform ``action``; unknown roles and actions are refused."""
    try:
        return Action(action) in ROLE_ACTIONS[Role(role)]
    except ValueError:
        return False


def allowed_actions(role: str) -> frozenset[Action]:
    try:
        return ROLE_ACTIONS[Role(role)]
    except ValueError:
        return frozenset()


def require(membership: Membership | None, action: str) -> Membership:
    """Return the membership when it allows ``action``; raise ``PermissionDenied`` otherwise."""
    if membership is None or not membership.is_active or not role_allows(membership.role, action):
        raise PermissionDenied(f"not allowed: {action}")
    return membership


def require_any(membership: Membership | None, actions: Iterable[str]) -> Membership:
    for action in actions:
        if membership is not None and membership.is_active and role_allows(membership.role, action):
            return membership
    raise PermissionDenied("not allowed")


if ROLE_ACTIONS[Role.AGENCY] & CUSTOMER_DATA_ACTIONS:
    raise ImproperlyConfigured("the agency role must never see customer data")
