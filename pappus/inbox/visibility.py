"""Which conversations a member may see: the workspace's, and only its regions' for a member
limited to some regions (with every spoke below them). Selectors and services both start here."""

from __future__ import annotations

from django.db.models import QuerySet

from pappus.core.models import Membership
from pappus.core.selectors import member_region_ids
from pappus.inbox.models import Conversation


def conversations_of(membership: Membership) -> QuerySet[Conversation]:
    """The member's conversations; a region-limited member sees none without a region."""
    rows = Conversation.objects.for_workspace(membership.workspace_id)
    allowed = member_region_ids(membership)
    return rows if allowed is None else rows.filter(region_id__in=sorted(allowed))
