"""Network connectors as listening sources: a connected account's search, polled like a feed.

A source of the kind ``connector`` names a connected account (``config["account_id"]``) and a
search (``config["query"]``: a hashtag or words, in the network's own search syntax). Each poll
asks the account's connector (``pappus.connectors.facade``) for ``listen(query, limit)`` and sends
what is new through :func:`pappus.listening.services.ingest_items`, like every other source.

The networks' search has no "since" parameter that every server honours (snac ignores it), so
the source keeps its own cursor in ``config["cursor"]``: the newest published time seen and the
ids seen within :data:`OVERLAP` before it. An item already seen is not read again (not even as a
duplicate); the pipeline's own dedupe by external id still guards against the rest.

Failures are the connectors' errors: a rate limit waits at least the network's ``retry_after``,
any other failure backs off (the interval doubled per failure, at most six hours); an account
whose authorization expired, or that was removed, is shown on the source's health page.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pappus.connectors import facade as connectors
from pappus.connectors.contracts import Capability, InboundItem, TargetAccount
from pappus.connectors.errors import AuthExpiredError, ConnectorError, NotFoundError, RateLimitedError
from pappus.core.audit import Actor
from pappus.core.models import Membership, Region
from pappus.core.permissions import Action, require
from pappus.listening import pipeline, services
from pappus.listening.models import IngestRun, RunStatus, Source, SourceKind
from pappus.listening.pipeline import NormalizedMention

logger = logging.getLogger(__name__)

DEFAULT_POLL_INTERVAL: Final = 300
DEFAULT_LIMIT: Final = 40
MAXIMUM_QUERY_CHARACTERS: Final = 500
# Items published up to this long before the newest one seen are still compared by id (late indexing).
OVERLAP: Final = datetime.timedelta(hours=1)
MAXIMUM_SEEN_IDS: Final = 1000


def listening_accounts(workspace_id: int) -> list[TargetAccount]:
    """The workspace's connected accounts whose network can search (the ``listen`` capability)."""
    return connectors.target_accounts(workspace_id, capability=Capability.LISTEN)


def _checked_account(workspace_id: int, account_id: int) -> TargetAccount:
    try:
        account = connectors.target_account(workspace_id, account_id)
    except connectors.AccountMissingError as error:
        raise ValidationError({"account": str(error)}) from error
    if Capability.LISTEN not in account.capabilities:
        raise ValidationError(
            {
                "account": _("%(network)s accounts cannot search the network; choose another account.")
                % {"network": account.network_label}
            }
        )
    return account


def _checked_query(query: str) -> str:
    query = query.strip()
    if not query:
        raise ValidationError({"query": _("Enter what to search for: a hashtag or some words.")})
    if len(query) > MAXIMUM_QUERY_CHARACTERS:
        raise ValidationError(
            {
                "query": _("The search is %(length)s characters long; the limit is %(limit)s.")
                % {"length": len(query), "limit": MAXIMUM_QUERY_CHARACTERS}
            }
        )
    return query


@transaction.atomic
def connector_source_create(
    *,
    actor: Actor,
    membership: Membership,
    name: str,
    account_id: int,
    query: str,
    poll_interval_seconds: int = DEFAULT_POLL_INTERVAL,
    region: Region | None = None,
    send_to_inbox: bool = False,
) -> Source:
    """Add a source that searches ``query`` through a connected account; its first poll is due at once.

    An account of another workspace, one that cannot search, or an empty search raises
    ``ValidationError`` naming the field (``account``, ``query``).
    """
    require(membership, Action.LISTENING_MANAGE)
    account = _checked_account(membership.workspace_id, account_id)
    query = _checked_query(query)
    source = services.source_create(
        actor=actor,
        membership=membership,
        name=name,
        kind=SourceKind.CONNECTOR,
        config={"account_id": account.id, "network": account.network, "query": query, "limit": DEFAULT_LIMIT},
        poll_interval_seconds=poll_interval_seconds,
        region=region,
    )
    source.next_poll_at = timezone.now()
    source.save(update_fields=["next_poll_at"])
    if send_to_inbox:
        from pappus.listening import handover

        source = handover.source_send_to_inbox(actor=actor, membership=membership, source=source, enabled=True)
    return source


@transaction.atomic
def connector_sources_claim_due(*, limit: int = 100) -> list[int]:
    """Claim up to ``limit`` connector sources that are due (row locks, ``skip_locked``), as for feeds."""
    now = timezone.now()
    due = list(
        Source.objects.select_for_update(skip_locked=True)
        .filter(is_active=True, kind=SourceKind.CONNECTOR, next_poll_at__lte=now)
        .order_by("next_poll_at")[:limit]
    )
    for source in due:
        source.next_poll_at = now + datetime.timedelta(seconds=source.poll_interval_seconds)
    Source.objects.bulk_update(due, ["next_poll_at"])
    return [source.pk for source in due]


# --- the cursor ----------------------------------------------------------------------------------


def _published(item: InboundItem) -> datetime.datetime | None:
    moment = item.published_at
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment


def unseen_items(
    items: Sequence[InboundItem], cursor: Mapping[str, Any] | None
) -> tuple[list[InboundItem], dict[str, Any]]:
    """The items the cursor has not seen, and the cursor after them.

    Seen: an id in the cursor's list, or an item published more than :data:`OVERLAP` before the
    newest time seen (its id has left the list). Items without a time are compared by id only.
    """
    cursor = cursor or {}
    since = pipeline.parse_timestamp(cursor.get("since"), "since") if cursor.get("since") else None
    seen: dict[str, str] = {str(key): str(value) for key, value in (cursor.get("seen") or {}).items()}
    fresh: list[InboundItem] = []
    for item in items:
        published = _published(item)
        if item.remote_id in seen:
            continue
        if since is not None and published is not None and published < since - OVERLAP:
            continue
        fresh.append(item)
        seen[item.remote_id] = published.isoformat() if published else ""
    times = [pipeline.parse_timestamp(value, "seen") for value in seen.values() if value]
    newest = max([moment for moment in times if moment is not None] + ([since] if since else []), default=None)
    if newest is not None:
        seen = {
            key: value
            for key, value in seen.items()
            if not value or (moment := pipeline.parse_timestamp(value, "seen")) is None or moment >= newest - OVERLAP
        }
    kept = dict(sorted(seen.items(), key=lambda pair: pair[1], reverse=True)[:MAXIMUM_SEEN_IDS])
    return fresh, {"since": newest.isoformat() if newest else "", "seen": kept}


# --- polling -------------------------------------------------------------------------------------


def map_connector_item(item: Mapping[str, Any]) -> NormalizedMention:
    """An item of ``InboundItem.as_listening_item()`` (the mention field names) as a mention."""
    mention = pipeline.map_normalized(item, network=str(item.get("network") or "connector"))
    raw = item.get("raw")
    if isinstance(raw, Mapping):
        mention.raw = dict(raw)
    return mention


def _problem(error: ConnectorError, account_id: int) -> str:
    if isinstance(error, connectors.AccountMissingError):
        return _("The connected account %(id)s was removed: choose another account for this source.") % {
            "id": account_id
        }
    if isinstance(error, AuthExpiredError):
        return _("The account's authorization expired: reconnect the account (%(reason)s).") % {"reason": error}
    if isinstance(error, RateLimitedError):
        return _("The network's rate limit was reached: %(reason)s") % {"reason": error}
    return str(error)


def poll_connector_source(source: Source) -> IngestRun:
    """Search once through the source's account and take the new items through the pipeline, as one run."""
    config = dict(source.config or {})
    account_id = int(config.get("account_id") or 0)
    run = services.ingest_run_start(source)
    try:
        with connectors.connector_for_account(source.workspace_id, account_id) as connector:
            page = connector.listen(str(config.get("query", "")), limit=int(config.get("limit") or DEFAULT_LIMIT))
            connectors.record_success(source.workspace_id, account_id, connector)
    except ConnectorError as error:
        reason = _problem(error, account_id)
        if not isinstance(error, NotFoundError):  # a missing account has no health to record
            connectors.record_failure(source.workspace_id, account_id, error)
        services.source_record_failure(source, error=reason, retry_after=getattr(error, "retry_after", None))
        Source.objects.filter(pk=source.pk).update(config={**config, "problem": error.code})
        logger.warning("listening.connector.failed source=%s code=%s", source.pk, error.code)
        return services.ingest_run_finish(run, status=RunStatus.FAILED, error=reason, http_status=error.status)
    fresh, cursor = unseen_items(page.items, config.get("cursor"))
    services.ingest_items(source=source, run=run, items=_listening_items(fresh), mapper=map_connector_item)
    config.pop("problem", None)
    Source.objects.filter(pk=source.pk).update(config={**config, "cursor": cursor})
    services.source_record_success(source)
    return services.ingest_run_finish(run, status=RunStatus.SUCCEEDED)


def _listening_items(items: Iterable[InboundItem]) -> list[dict[str, Any]]:
    return [item.as_listening_item() for item in items]


def account_label(source: Source) -> str:
    """The account a connector source searches through, for its page ("" when it is gone)."""
    account_id = int((source.config or {}).get("account_id") or 0)
    try:
        account = connectors.target_account(source.workspace_id, account_id)
    except connectors.AccountMissingError:
        return ""
    return f"{account.network_label} {account.handle}"
