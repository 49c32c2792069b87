"""What other apps hand the inbox, and what it gives back: frozen dataclasses, no models."""

from __future__ import annotations

import datetime
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MentionInteraction:
    """A mention from listening that addresses the brand directly (a question, a tag, a reply to us)
    and so should become a conversation. ``external_id`` is unique per ``network`` in the workspace."""

    network: str
    external_id: str
    text: str
    author_handle: str
    author_name: str = ""
    url: str = ""
    published_at: datetime.datetime | None = None
    parent_external_id: str = ""
    region_id: int | None = None
    customer_tier: str = ""


@dataclass(frozen=True, slots=True)
class IngestResult:
    """Accounting of one ingest call: received = stored + duplicates."""

    received: int
    stored: int
    duplicates: int
    conversations_created: int
    conversation_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class QueueCounts:
    """Open work of a workspace, for dashboards and analytics."""

    open: int
    pending: int
    unassigned: int
    overdue: int


@dataclass(frozen=True, slots=True)
class ResponseTimes:
    """Wall-clock seconds from a conversation's start to its first answer, and to its closing, for analytics."""

    first_response_seconds: tuple[float, ...]
    resolution_seconds: tuple[float, ...]


@dataclass(frozen=True, slots=True)
class MedianResponseTimes:
    """The medians of :class:`ResponseTimes` in seconds; None when no conversation qualifies."""

    first_response_seconds: float | None
    resolution_seconds: float | None


@dataclass(frozen=True, slots=True)
class CustomerContact:
    """A conversation's customer, for the community's member identities (``inbox.facade.customer_contacts``)."""

    conversation_id: int
    network: str
    handle: str
    name: str
    subject: str
    sentiment: str
    started_at: datetime.datetime
    last_message_at: datetime.datetime


@dataclass(frozen=True, slots=True)
class AssigneeResponses:
    """First answers of one assignee's conversations on one UTC day (wall-clock seconds summed), for people KPIs."""

    user_id: int
    day: datetime.date
    seconds_total: float
    count: int


@dataclass(frozen=True, slots=True)
class OutcomeCount:
    """Conversations closed on one UTC day with one outcome reason (blank: none recorded)."""

    day: datetime.date
    reason: str
    count: int


@dataclass(frozen=True, slots=True)
class TeamMembers:
    """An inbox team and the ids of its members' users."""

    team_id: int
    name: str
    user_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class DirectThread:
    """A customer's newest direct-message conversation with a connected account (``inbox.facade.direct_threads``):
    another app may write to the person there through ``connectors.facade``, as an answer to
    ``reply_to`` (the network's id of the customer's latest message in it)."""

    network: str
    handle: str
    account_id: int
    reply_to: str
