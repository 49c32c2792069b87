"""Every write of the community: identities collected from the inbox and listening (through their
facades) and imported from CSV, merges (automatic and confirmed) and splits, notes, tags, consent,
the loyalty ladder, personal-data export and erasure, and retention.

Audit records of this app never carry personal data (names, handles, contacts, notes): a member
is "member #12" there and changed fields are named, not shown, so an erasure leaves nothing behind.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import hashlib
import io
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from pappus.community import loyalty, matching
from pappus.community.models import (
    MAX_RETENTION_DAYS,
    Activity,
    ActivityKind,
    AlertKind,
    CollectCursor,
    CommunityAlert,
    CommunitySettings,
    ErasedIdentity,
    EventRegistration,
    Identity,
    IdentitySource,
    ImportStatus,
    Member,
    MemberImport,
    MemberNote,
    MergeRecord,
    MergeSuggestion,
    StageChange,
    SuggestionStatus,
)
from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.models import Membership, Workspace
from pappus.core.permissions import Action, require
from pappus.inbox import facade as inbox_facade
from pappus.listening import facade as listening_facade

logger = logging.getLogger("pappus.community")

MEMBER_FIELDS = ("display_name", "email", "phone", "tags", "consent_marketing", "consent_recorded_at", "consent_source")


def _json(value: Any) -> Any:
    """A value as JSON can hold it (moments and amounts as text)."""
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return [_json(item) for item in value]
    return value


def _label(member: Member | int) -> str:
    return f"member #{member if isinstance(member, int) else member.pk}"


def _record(actor: Actor, action: str, workspace: Workspace | int, member_id: int | None, **after: Any) -> None:
    workspace_row = workspace if isinstance(workspace, Workspace) else Workspace.objects.get(pk=workspace)
    audit.record(
        actor,
        action,
        workspace=workspace_row,
        object_type="community.member" if member_id else "",
        object_id=str(member_id or ""),
        object_repr=_label(member_id) if member_id else "",
        after=after,
    )


# --- settings ------------------------------------------------------------------------------------


def community_settings(workspace: Workspace | int) -> CommunitySettings:
    workspace_id = workspace if isinstance(workspace, int) else workspace.pk
    row, _created = CommunitySettings.objects.get_or_create(workspace_id=workspace_id)
    return row


def settings_update(
    *,
    actor: Actor,
    membership: Membership,
    auto_merge_confidence: float | None = None,
    retention_days: int | str | None = "",
    loyalty_rules: Mapping[str, Any] | None = None,
) -> CommunitySettings:
    """Change the merge threshold, retention (None: keep) or loyalty rules (validated, see ``loyalty``)."""
    require(membership, Action.COMMUNITY_MANAGE)
    row = community_settings(membership.workspace)
    before = audit.snapshot(row, ("auto_merge_confidence", "retention_days", "loyalty_rules"))
    if auto_merge_confidence is not None:
        if not 0.5 <= auto_merge_confidence <= 1:
            raise ValidationError({"auto_merge_confidence": _("Choose a confidence from 0.5 to 1.")})
        row.auto_merge_confidence = auto_merge_confidence
    if retention_days != "":
        if retention_days is not None and not (
            isinstance(retention_days, int) and 1 <= retention_days <= MAX_RETENTION_DAYS
        ):
            raise ValidationError(
                {
                    "retention_days": _("Retention is a whole number of days from 1 to %(most)s.")
                    % {"most": MAX_RETENTION_DAYS}
                }
            )
        row.retention_days = retention_days
    if loyalty_rules is not None:
        row.loyalty_rules = loyalty.validate_rules(loyalty_rules)
    row.save()
    audit.record(
        actor,
        "community.settings.update",
        workspace=membership.workspace,
        target=row,
        before=before,
        after=audit.snapshot(row, ("auto_merge_confidence", "retention_days", "loyalty_rules")),
    )
    return row


# --- identities ----------------------------------------------------------------------------------


def _erased_digest(workspace_id: int, network: str, key: str) -> str:
    material = f"{settings.SECRET_KEY}|{workspace_id}|{network}|{key}".encode()
    return hashlib.sha256(material).hexdigest()


def identity_key(network: str, *, remote_id: str = "", handle: str = "", email: str = "", phone: str = "") -> str:
    """The key that finds the same identity again: the remote id, else the handle, e-mail or phone."""
    if remote_id.strip():
        return f"id:{remote_id.strip()}"[:400]
    handle_key = matching.normalize_handle(handle)
    if handle_key:
        return f"handle:{handle_key}"
    if matching.normalize_email(email):
        return f"email:{matching.normalize_email(email)}"
    if matching.normalize_phone(phone):
        return f"phone:{matching.normalize_phone(phone)}"
    return ""


_LIMITS = {"handle": 300, "display_name": 300, "profile_url": 2000, "email": 320, "phone": 40, "remote_id": 300}


@dataclass
class IdentityValues:
    network: str
    handle: str = ""
    remote_id: str = ""
    display_name: str = ""
    profile_url: str = ""
    email: str = ""
    phone: str = ""

    @property
    def key(self) -> str:
        return identity_key(
            self.network, remote_id=self.remote_id, handle=self.handle, email=self.email, phone=self.phone
        )


def identities_upsert(
    workspace_id: int, values: Sequence[IdentityValues], *, source: str
) -> dict[tuple[str, str], Identity]:
    """Find or create one identity (and a member for each new one) per distinct (network, key).

    Known identities get blank fields filled, never overwritten; identities of erased people are
    skipped (absent from the result). Returns the identities by (network, key).
    """
    wanted: dict[tuple[str, str], IdentityValues] = {}
    for item in values:
        key = item.key
        if key:
            wanted.setdefault((item.network[:60], key), item)
    if not wanted:
        return {}
    erased = set(
        ErasedIdentity.objects.for_workspace(workspace_id)
        .filter(digest__in=[_erased_digest(workspace_id, network, key) for network, key in wanted])
        .values_list("digest", flat=True)
    )
    found: dict[tuple[str, str], Identity] = {}
    by_network: dict[str, list[str]] = defaultdict(list)
    for network, key in wanted:
        by_network[network].append(key)
    for network, keys in by_network.items():
        for identity in Identity.objects.for_workspace(workspace_id).filter(network=network, key__in=keys):
            found[(network, identity.key)] = identity
    now = timezone.now()
    to_fill: list[Identity] = []
    for pair, identity in found.items():
        item = wanted[pair]
        changed = False
        for name, value in (
            ("handle", item.handle),
            ("display_name", item.display_name),
            ("profile_url", item.profile_url),
            ("email", matching.normalize_email(item.email)),
            ("phone", matching.normalize_phone(item.phone)),
            ("remote_id", item.remote_id),
        ):
            if value and not getattr(identity, name):
                setattr(identity, name, value[: _LIMITS[name]])
                changed = True
        if changed:
            identity.handle_key = matching.normalize_handle(identity.handle)
            to_fill.append(identity)
    if to_fill:
        Identity.objects.bulk_update(
            to_fill, ["handle", "handle_key", "display_name", "profile_url", "email", "phone", "remote_id"]
        )
    new_pairs = [
        pair for pair in wanted if pair not in found and _erased_digest(workspace_id, pair[0], pair[1]) not in erased
    ]
    if new_pairs:
        members = [
            Member(
                workspace_id=workspace_id,
                display_name=wanted[pair].display_name[:300] or wanted[pair].handle[:300],
                name_key=(wanted[pair].display_name or wanted[pair].handle).casefold()[:300],
                email=matching.normalize_email(wanted[pair].email),
                phone=matching.normalize_phone(wanted[pair].phone),
                created_at=now,
                last_active_at=now,
            )
            for pair in new_pairs
        ]
        Member.objects.bulk_create(members, batch_size=1000)
        identities = []
        for pair, member in zip(new_pairs, members, strict=True):
            item = wanted[pair]
            identities.append(
                Identity(
                    workspace_id=workspace_id,
                    member=member,
                    network=pair[0],
                    key=pair[1],
                    handle=item.handle[:300],
                    handle_key=matching.normalize_handle(item.handle),
                    remote_id=item.remote_id[:300],
                    display_name=item.display_name[:300],
                    profile_url=item.profile_url[:2000],
                    email=matching.normalize_email(item.email),
                    phone=matching.normalize_phone(item.phone),
                    source=source,
                    created_at=now,
                )
            )
        Identity.objects.bulk_create(identities, batch_size=1000)
        for identity in identities:
            found[(identity.network, identity.key)] = identity
    return found


@dataclass
class ActivityValues:
    identity_pair: tuple[str, str]
    kind: str
    external_ref: str
    occurred_at: datetime.datetime
    title: str = ""
    url: str = ""
    sentiment: str = ""
    amount: decimal.Decimal | None = None
    currency: str = ""


def activities_add(
    workspace_id: int, identities: Mapping[tuple[str, str], Identity], items: Iterable[ActivityValues]
) -> int:
    """Store activities of known identities; one already stored (same reference) is left alone."""
    rows = [
        Activity(
            workspace_id=workspace_id,
            member_id=identities[item.identity_pair].member_id,
            identity=identities[item.identity_pair],
            kind=item.kind,
            external_ref=item.external_ref[:300],
            title=item.title[:300],
            url=item.url[:2000],
            sentiment=item.sentiment[:10],
            amount=item.amount,
            currency=item.currency[:3].upper(),
            occurred_at=item.occurred_at,
        )
        for item in items
        if item.identity_pair in identities
    ]
    if not rows:
        return 0
    refs = [row.external_ref for row in rows]
    before = Activity.objects.for_workspace(workspace_id).filter(external_ref__in=refs).count()
    Activity.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return Activity.objects.for_workspace(workspace_id).filter(external_ref__in=refs).count() - before


@dataclass(frozen=True)
class CollectResult:
    conversations: int
    mentions: int
    activities_added: int


def _cursor(workspace_id: int, source: str) -> CollectCursor:
    row, _created = CollectCursor.objects.get_or_create(workspace_id=workspace_id, source=source)
    return row


def collect(workspace_id: int, *, batch_size: int = 1000) -> CollectResult:
    """Read new inbox conversations and listening mentions into identities and activities, from where
    the last run stopped (idempotent: activities are keyed by the conversation's or mention's id)."""
    conversations = mentions = added = 0
    cursor = _cursor(workspace_id, "inbox")
    while True:
        contacts = inbox_facade.customer_contacts(workspace_id, after_id=cursor.last_id, limit=batch_size)
        if not contacts:
            break
        values = [IdentityValues(network=c.network, handle=c.handle, display_name=c.name) for c in contacts]
        with transaction.atomic():
            identities = identities_upsert(workspace_id, values, source=IdentitySource.INBOX)
            added += activities_add(
                workspace_id,
                identities,
                (
                    ActivityValues(
                        identity_pair=(value.network[:60], value.key),
                        kind=ActivityKind.CONVERSATION,
                        external_ref=f"inbox:conversation:{contact.conversation_id}",
                        occurred_at=contact.started_at,
                        title=contact.subject,
                        sentiment=contact.sentiment,
                    )
                    for contact, value in zip(contacts, values, strict=True)
                ),
            )
            cursor.last_id = contacts[-1].conversation_id
            cursor.save(update_fields=["last_id", "updated_at"])
        conversations += len(contacts)
    cursor = _cursor(workspace_id, "listening")
    while True:
        authors = listening_facade.mention_authors(workspace_id, after_id=cursor.last_id, limit=batch_size)
        if not authors:
            break
        values = [
            IdentityValues(network=a.network, handle=a.handle, display_name=a.name, profile_url=a.profile_url)
            for a in authors
        ]
        with transaction.atomic():
            identities = identities_upsert(workspace_id, values, source=IdentitySource.LISTENING)
            added += activities_add(
                workspace_id,
                identities,
                (
                    ActivityValues(
                        identity_pair=(value.network[:60], value.key),
                        kind=author.kind,
                        external_ref=f"listening:mention:{author.mention_id}",
                        occurred_at=author.published_at or author.stored_at,
                        title=author.title,
                        url=author.url,
                        sentiment=author.sentiment,
                    )
                    for author, value in zip(authors, values, strict=True)
                ),
            )
            cursor.last_id = authors[-1].mention_id
            cursor.save(update_fields=["last_id", "updated_at"])
        mentions += len(authors)
    logger.info(
        "community.collected",
        extra={"workspace_id": workspace_id, "conversations": conversations, "mentions": mentions, "added": added},
    )
    return CollectResult(conversations, mentions, added)


# --- merges and splits ---------------------------------------------------------------------------


@dataclass(frozen=True)
class MergePlan:
    target_id: int
    absorbed_id: int
    evidence: tuple[str, ...]
    confidence: float


def _remap(table: str, column: str, key: str, moves: Sequence[tuple[int, int]]) -> None:
    """``SET column = target WHERE key = absorbed`` for every (target, absorbed): one statement on
    PostgreSQL (a join with the arrays), one per pair elsewhere."""
    if not moves:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS t SET {column} = v.target FROM unnest(%s::bigint[], %s::bigint[]) "  # noqa: S608
                f"AS v(target, absorbed) WHERE t.{key} = v.absorbed",
                [[target for target, _absorbed in moves], [absorbed for _target, absorbed in moves]],
            )
        return
    _executemany(f"UPDATE {table} SET {column} = %s WHERE {key} = %s", moves)  # noqa: S608


def _executemany(sql: str, rows: Sequence[Sequence[Any]]) -> None:
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(sql, rows)


def _merge_many(workspace_id: int, plans: Sequence[MergePlan], *, automatic: bool, user_id: int | None) -> int:
    """Merge each plan's absorbed member into its target (targets are never absorbed in the same call):
    identities, their activities and notes move; blank fields and tags of the target are filled;
    a ``MergeRecord`` keeps what is needed to split them again."""
    if not plans:
        return 0
    member_ids = {plan.target_id for plan in plans} | {plan.absorbed_id for plan in plans}
    members = {
        row["pk"]: row
        for row in Member.objects.for_workspace(workspace_id)
        .filter(pk__in=member_ids)
        .values("pk", "merged_into_id", *MEMBER_FIELDS)
    }
    identity_ids: dict[int, list[int]] = defaultdict(list)
    for pk, member_id in (
        Identity.objects.for_workspace(workspace_id)
        .filter(member_id__in=[plan.absorbed_id for plan in plans])
        .values_list("pk", "member_id")
    ):
        identity_ids[member_id].append(pk)
    note_ids: dict[int, list[int]] = defaultdict(list)
    for pk, member_id in (
        MemberNote.objects.for_workspace(workspace_id)
        .filter(member_id__in=[plan.absorbed_id for plan in plans])
        .values_list("pk", "member_id")
    ):
        note_ids[member_id].append(pk)
    now = timezone.now()
    records = []
    target_updates: dict[int, dict[str, Any]] = {}
    moves: list[tuple[int, int]] = []
    for plan in plans:
        absorbed = members.get(plan.absorbed_id)
        if absorbed is None or plan.target_id not in members or absorbed["merged_into_id"] is not None:
            continue
        target = target_updates.setdefault(plan.target_id, dict(members[plan.target_id]))
        before = {name: _json(target[name]) for name in MEMBER_FIELDS}
        for name in ("display_name", "email", "phone"):
            if not target[name] and absorbed[name]:
                target[name] = absorbed[name]
        target["tags"] = list(dict.fromkeys([*target["tags"], *absorbed["tags"]]))
        if not target["consent_recorded_at"] and absorbed["consent_recorded_at"]:
            for name in ("consent_marketing", "consent_recorded_at", "consent_source"):
                target[name] = absorbed[name]
        records.append(
            MergeRecord(
                workspace_id=workspace_id,
                target_id=plan.target_id,
                absorbed_id=plan.absorbed_id,
                identity_ids=identity_ids.get(plan.absorbed_id, []),
                note_ids=note_ids.get(plan.absorbed_id, []),
                target_before=before,
                evidence=list(plan.evidence),
                confidence=plan.confidence,
                is_automatic=automatic,
                merged_by_id=user_id,
                merged_at=now,
            )
        )
        moves.append((plan.target_id, plan.absorbed_id))
    if not records:
        return 0
    identity_table = Identity._meta.db_table
    activity_table = Activity._meta.db_table
    note_table = MemberNote._meta.db_table
    member_table = Member._meta.db_table
    for table, column, key in (
        (identity_table, "member_id", "member_id"),
        (activity_table, "member_id", "member_id"),
        (note_table, "member_id", "member_id"),
        (member_table, "merged_into_id", "id"),
    ):
        _remap(table, column, key, moves)
    rows = []
    for pk, values in target_updates.items():
        if any(values[name] != members[pk][name] for name in MEMBER_FIELDS):
            rows.append(
                Member(
                    pk=pk,
                    workspace_id=workspace_id,
                    name_key=values["display_name"].casefold()[:300],
                    **{name: values[name] for name in MEMBER_FIELDS},
                )
            )
    Member.objects.bulk_update(rows, [*MEMBER_FIELDS, "name_key"], batch_size=500)
    MergeRecord.objects.bulk_create(records, batch_size=1000)
    MergeSuggestion.objects.for_workspace(workspace_id).filter(status=SuggestionStatus.PENDING).filter(
        Q(first_id__in=[m[1] for m in moves]) | Q(second_id__in=[m[1] for m in moves])
    ).update(status=SuggestionStatus.MERGED, decided_at=now, decided_by_id=user_id)
    return len(records)


@dataclass(frozen=True)
class ResolveResult:
    pairs: int
    merged: int
    suggested: int
    seconds: float


def _groups(rows: Iterator[tuple[Any, ...]]) -> Iterator[list[tuple[Any, ...]]]:
    """Consecutive rows with the same first value (rows come ordered by it)."""
    group: list[tuple[Any, ...]] = []
    for row in rows:
        if group and row[0] != group[0][0]:
            yield group
            group = []
        group.append(row)
    if group:
        yield group


MAX_GROUP = 50  # a key shared by more members than this (a shop's placeholder e-mail, "admin") is ignored


def candidate_evidence(workspace_id: int) -> dict[tuple[int, int], set[str]]:
    """Pairs of active members (lower id first) with the kinds of evidence that link them, read as
    one ordered pass over each matching index (e-mail, phone, handle, profile) plus the names of the
    pairs found."""
    pairs: dict[tuple[int, int], set[str]] = defaultdict(set)
    active = Identity.objects.for_workspace(workspace_id)

    def link(kind: str, members: list[int]) -> None:
        distinct = sorted(set(members))
        if 1 < len(distinct) <= MAX_GROUP:
            anchor = distinct[0]
            for other in distinct[1:]:
                pairs[(anchor, other)].add(kind)

    for kind, column in (("email", "email"), ("phone", "phone"), ("profile", "profile_url")):
        rows = (
            active.exclude(**{column: ""}).order_by(column).values_list(column, "member_id").iterator(chunk_size=20000)
        )
        if kind == "profile":
            rows = ((matching.normalize_url(value), member) for value, member in rows)
            grouped: dict[str, list[int]] = defaultdict(list)
            for value, member in rows:
                grouped[value].append(member)
            for members in grouped.values():
                link(kind, members)
            continue
        for group in _groups(rows):
            link(kind, [member for _value, member in group])
    handles = (
        active.exclude(handle_key="")
        .order_by("handle_key")
        .values_list("handle_key", "network", "member_id")
        .iterator(chunk_size=20000)
    )
    for group in _groups(handles):
        if len({network for _key, network, _member in group}) > 1:
            link("handle", [member for _key, _network, member in group])
    if pairs:
        names: dict[int, str] = {}
        wanted = list({member for pair in pairs for member in pair})
        for start in range(0, len(wanted), 5000):
            for pk, name in (
                Member.objects.for_workspace(workspace_id)
                .filter(pk__in=wanted[start : start + 5000])
                .values_list("pk", "name_key")
            ):
                names[pk] = matching.normalize_name(name)
        for (first, second), kinds in pairs.items():
            if names.get(first) and names.get(first) == names.get(second):
                kinds.add("name")
    return pairs


def resolve(workspace_id: int, *, actor: Actor | None = None) -> ResolveResult:
    """Find members that are one person: merge the confident pairs at once (each group into its
    oldest member), suggest the others to a person; pairs a person rejected (or split) are left alone."""
    started = timezone.now()
    threshold = community_settings(workspace_id).auto_merge_confidence
    pairs = candidate_evidence(workspace_id)
    decided = set(
        MergeSuggestion.objects.for_workspace(workspace_id)
        .exclude(status=SuggestionStatus.PENDING)
        .values_list("first_id", "second_id")
    )
    pending = set(
        MergeSuggestion.objects.for_workspace(workspace_id)
        .filter(status=SuggestionStatus.PENDING)
        .values_list("first_id", "second_id")
    )
    parent: dict[int, int] = {}

    def find(item: int) -> int:
        root = item
        while parent.get(root, root) != root:
            root = parent[root]
        while parent.get(item, item) != root:
            parent[item], item = root, parent[item]
        return root

    links: dict[int, tuple[tuple[str, ...], float]] = {}
    weak: list[tuple[tuple[int, int], set[str], float]] = []
    for pair, kinds in pairs.items():
        if pair in decided:
            continue
        confidence = matching.confidence_of(kinds)
        if confidence >= threshold:
            first, second = find(pair[0]), find(pair[1])
            if first != second:
                parent[max(first, second)] = min(first, second)
            links.setdefault(pair[1], (tuple(sorted(kinds)), confidence))
        elif confidence >= matching.SUGGEST_FROM:
            weak.append((pair, kinds, confidence))
    plans = [
        MergePlan(find(member), member, *links.get(member, (("linked",), threshold)))
        for member in parent
        if find(member) != member
    ]
    merged = 0
    for start in range(0, len(plans), 5000):
        with transaction.atomic():
            merged += _merge_many(workspace_id, plans[start : start + 5000], automatic=True, user_id=None)
    # A weak pair whose members were merged into others is suggested between the members they are part of now.
    proposed: dict[tuple[int, int], MergeSuggestion] = {}
    for pair, kinds, confidence in weak:
        first, second = sorted((find(pair[0]), find(pair[1])))
        key = (first, second)
        if first == second or key in decided or key in pending:
            continue
        current = proposed.get(key)
        if current is None or current.confidence < confidence:
            proposed[key] = MergeSuggestion(
                workspace_id=workspace_id,
                first_id=first,
                second_id=second,
                evidence=sorted(kinds),
                confidence=confidence,
            )
    suggestions = list(proposed.values())
    MergeSuggestion.objects.bulk_create(suggestions, batch_size=1000, ignore_conflicts=True)
    seconds = (timezone.now() - started).total_seconds()
    if merged and actor is not None:
        _record(actor, "community.resolve", workspace_id, None, merged=merged, suggested=len(suggestions))
    logger.info(
        "community.resolved",
        extra={"workspace_id": workspace_id, "merged": merged, "suggested": len(suggestions), "seconds": seconds},
    )
    return ResolveResult(len(pairs), merged, len(suggestions), seconds)


def member_merge(
    *,
    actor: Actor,
    membership: Membership,
    target: Member,
    absorbed: Member,
    evidence: Sequence[str] = ("confirmed by a person",),
    confidence: float = 1.0,
) -> MergeRecord:
    """A person merges two members (``absorbed`` into ``target``)."""
    require(membership, Action.COMMUNITY_MANAGE)
    workspace_id = membership.workspace_id
    if target.workspace_id != workspace_id or absorbed.workspace_id != workspace_id:
        raise ValidationError(_("Both members must belong to this workspace."))
    if target.pk == absorbed.pk:
        raise ValidationError(_("A member cannot be merged with itself."))
    if target.merged_into_id or absorbed.merged_into_id:
        raise ValidationError(_("One of the members is already part of another member."))
    with transaction.atomic():
        _merge_many(
            workspace_id,
            [MergePlan(target.pk, absorbed.pk, tuple(evidence), confidence)],
            automatic=False,
            user_id=actor.user.pk if actor.user else None,
        )
        record = MergeRecord.objects.for_workspace(workspace_id).filter(absorbed=absorbed).latest("merged_at", "id")
        _record(actor, "community.member.merge", membership.workspace, target.pk, absorbed=_label(absorbed))
    loyalty_recompute(workspace_id, member_ids=[target.pk])
    return record


def suggestion_accept(*, actor: Actor, membership: Membership, suggestion: MergeSuggestion) -> MergeRecord:
    require(membership, Action.COMMUNITY_MANAGE)
    if suggestion.status != SuggestionStatus.PENDING:
        raise ValidationError(_("This suggestion has already been decided."))
    first = Member.objects.for_workspace(membership.workspace).get(pk=suggestion.first_id)
    second = Member.objects.for_workspace(membership.workspace).get(pk=suggestion.second_id)
    return member_merge(
        actor=actor,
        membership=membership,
        target=first,
        absorbed=second,
        evidence=suggestion.evidence,
        confidence=suggestion.confidence,
    )


def suggestion_reject(*, actor: Actor, membership: Membership, suggestion: MergeSuggestion) -> MergeSuggestion:
    """Not the same person: the pair is never suggested (nor merged automatically) again."""
    require(membership, Action.COMMUNITY_MANAGE)
    if suggestion.status != SuggestionStatus.PENDING:
        raise ValidationError(_("This suggestion has already been decided."))
    suggestion.status = SuggestionStatus.REJECTED
    suggestion.decided_at = timezone.now()
    suggestion.decided_by = actor.user
    suggestion.save(update_fields=["status", "decided_at", "decided_by"])
    _record(actor, "community.suggestion.reject", membership.workspace, suggestion.first_id, other=suggestion.second_id)
    return suggestion


def merge_split(*, actor: Actor, membership: Membership, record: MergeRecord) -> Member:
    """Undo a merge: the absorbed member comes back with exactly its identities (and their activities)
    and notes, the target gets back the fields it had before; the pair is not merged again."""
    require(membership, Action.COMMUNITY_MANAGE)
    workspace_id = membership.workspace_id
    if record.workspace_id != workspace_id:
        raise ValidationError(_("This merge belongs to another workspace."))
    if record.split_at is not None:
        raise ValidationError(_("This merge has already been split."))
    with transaction.atomic():
        target = Member.objects.for_workspace(workspace_id).select_for_update().get(pk=record.target_id)
        absorbed = Member.objects.for_workspace(workspace_id).select_for_update().get(pk=record.absorbed_id)
        if target.merged_into_id is not None:
            raise ValidationError(_("The member this one was merged into is itself merged now: split that first."))
        identities = Identity.objects.for_workspace(workspace_id).filter(pk__in=record.identity_ids, member=target)
        moved = list(identities.values_list("pk", flat=True))
        identities.update(member=absorbed)
        Activity.objects.for_workspace(workspace_id).filter(identity_id__in=moved).update(member=absorbed)
        MemberNote.objects.for_workspace(workspace_id).filter(pk__in=record.note_ids, member=target).update(
            member=absorbed
        )
        for name, value in record.target_before.items():
            restored = parse_datetime(value) if name == "consent_recorded_at" and value else value
            setattr(target, name, restored)
        target.save()
        absorbed.merged_into = None
        absorbed.save(update_fields=["merged_into"])
        record.split_at = timezone.now()
        record.save(update_fields=["split_at"])
        first, second = sorted((target.pk, absorbed.pk))
        MergeSuggestion.objects.update_or_create(
            workspace_id=workspace_id,
            first_id=first,
            second_id=second,
            defaults={
                "status": SuggestionStatus.REJECTED,
                "decided_at": timezone.now(),
                "decided_by": actor.user,
                "evidence": record.evidence,
                "confidence": record.confidence,
            },
        )
        _record(actor, "community.member.split", membership.workspace, target.pk, restored=_label(absorbed))
    loyalty_recompute(workspace_id, member_ids=[target.pk, absorbed.pk])
    absorbed.refresh_from_db()
    return absorbed


# --- member details --------------------------------------------------------------------------------


def member_update(
    *,
    actor: Actor,
    membership: Membership,
    member: Member,
    display_name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    tags: Sequence[str] | None = None,
    consent_marketing: bool | None = None,
    consent_source: str = "",
) -> Member:
    require(membership, Action.COMMUNITY_MANAGE)
    if member.workspace_id != membership.workspace_id or member.merged_into_id:
        raise ValidationError(_("This member cannot be changed here."))
    before = audit.snapshot(member, MEMBER_FIELDS)
    if display_name is not None:
        member.display_name = display_name.strip()[:300]
    if email is not None:
        if email.strip() and not matching.normalize_email(email):
            raise ValidationError({"email": _("Enter an e-mail address such as anna@example.com.")})
        member.email = matching.normalize_email(email)
    if phone is not None:
        if phone.strip() and not matching.normalize_phone(phone):
            raise ValidationError({"phone": _("A phone number has at least 7 digits.")})
        member.phone = matching.normalize_phone(phone)
    if tags is not None:
        member.tags = sorted({tag.strip().lower()[:50] for tag in tags if tag.strip()})
    if consent_marketing is not None and consent_marketing != member.consent_marketing:
        member.consent_marketing = consent_marketing
        member.consent_recorded_at = timezone.now()
        member.consent_source = consent_source[:200] or _("changed by %(person)s") % {"person": actor.label}
    member.save()
    changed = sorted(audit.changes(before, audit.snapshot(member, MEMBER_FIELDS))[1])
    if changed:
        _record(actor, "community.member.update", membership.workspace, member.pk, fields=changed)
    return member


def note_add(*, actor: Actor, membership: Membership, member: Member, text: str) -> MemberNote:
    require(membership, Action.COMMUNITY_MANAGE)
    if not text.strip():
        raise ValidationError({"text": _("Write the note first.")})
    if member.workspace_id != membership.workspace_id:
        raise ValidationError(_("This member belongs to another workspace."))
    note = MemberNote.objects.create(
        workspace_id=membership.workspace_id, member=member, author=actor.user, text=text.strip()
    )
    _record(actor, "community.note.create", membership.workspace, member.pk)
    return note


def alert_resolve(*, actor: Actor, membership: Membership, alert: CommunityAlert) -> CommunityAlert:
    require(membership, Action.COMMUNITY_MANAGE)
    if alert.resolved_at is None:
        alert.resolved_at = timezone.now()
        alert.save(update_fields=["resolved_at"])
        _record(actor, "community.alert.resolve", membership.workspace, alert.member_id, kind=alert.kind)
    return alert


# --- personal data: export, erasure, retention --------------------------------------------------


def member_export(*, actor: Actor, membership: Membership, member: Member) -> dict[str, Any]:
    """Everything the workspace holds on one person (and the members merged into them), as JSON-ready
    data; the export is audited."""
    require(membership, Action.CUSTOMER_DATA_EXPORT)
    if member.workspace_id != membership.workspace_id:
        raise ValidationError(_("This member belongs to another workspace."))
    workspace_id = membership.workspace_id
    plain = _json
    data = {
        "member": {"id": member.pk, **{name: plain(getattr(member, name)) for name in MEMBER_FIELDS}},
        "stage": member.stage,
        "loyalty_score": member.score,
        "last_active_at": plain(member.last_active_at),
        "added_at": plain(member.created_at),
        "identities": [
            {
                "network": row.network,
                "handle": row.handle,
                "remote_id": row.remote_id,
                "display_name": row.display_name,
                "profile_url": row.profile_url,
                "email": row.email,
                "phone": row.phone,
                "source": row.source,
                "found_at": plain(row.created_at),
            }
            for row in member.identities.all()
        ],
        "activities": [
            {
                "kind": row.kind,
                "what": row.title,
                "url": row.url,
                "sentiment": row.sentiment,
                "amount": plain(row.amount),
                "currency": row.currency,
                "when": plain(row.occurred_at),
                "reference": row.external_ref,
            }
            for row in Activity.objects.for_workspace(workspace_id).filter(member=member).order_by("occurred_at")
        ],
        "notes": [
            {"text": row.text, "written_at": plain(row.created_at)}
            for row in MemberNote.objects.for_workspace(workspace_id).filter(member=member).order_by("created_at")
        ],
        "stage_history": [
            {"from": row.from_stage, "to": row.to_stage, "when": plain(row.changed_at)}
            for row in StageChange.objects.for_workspace(workspace_id).filter(member=member).order_by("changed_at")
        ],
        "event_registrations": [
            {
                "event": row.event.title,
                "name": row.name,
                "email": row.email,
                "status": row.status,
                "registered_at": plain(row.registered_at),
                "checked_in_at": plain(row.checked_in_at),
            }
            for row in EventRegistration.objects.for_workspace(workspace_id)
            .filter(member=member)
            .select_related("event")
            .order_by("pk")
        ],
        "exported_at": plain(timezone.now()),
    }
    _record(actor, "community.member.export", membership.workspace, member.pk)
    return data


def _erase(workspace_id: int, member_ids: Sequence[int]) -> int:
    """Delete members (and those merged into them) with everything attached; remember their identities'
    hashes so collection does not bring them back. Returns how many members were deleted."""
    ids = set(member_ids)
    frontier = set(ids)
    while frontier:
        frontier = (
            set(
                Member.objects.for_workspace(workspace_id)
                .filter(merged_into_id__in=frontier)
                .values_list("pk", flat=True)
            )
            - ids
        )
        ids |= frontier
    digests = [
        ErasedIdentity(workspace_id=workspace_id, digest=_erased_digest(workspace_id, network, key))
        for network, key in Identity.objects.for_workspace(workspace_id)
        .filter(member_id__in=ids)
        .values_list("network", "key")
    ]
    ErasedIdentity.objects.bulk_create(digests, batch_size=1000, ignore_conflicts=True)
    rows = Member.objects.for_workspace(workspace_id).filter(pk__in=ids)
    MergeSuggestion.objects.for_workspace(workspace_id).filter(Q(first_id__in=ids) | Q(second_id__in=ids)).delete()
    MergeRecord.objects.for_workspace(workspace_id).filter(Q(target_id__in=ids) | Q(absorbed_id__in=ids)).delete()
    Member.objects.for_workspace(workspace_id).filter(merged_into_id__in=ids).update(merged_into=None)
    deleted = rows.count()
    rows.delete()
    return deleted


def member_erase(*, actor: Actor, membership: Membership, member: Member, reason: str = "") -> int:
    """Erase a person on request: the member, identities, activities, notes, stage history and merge
    records are deleted (the audit record names only the member's number and the reason)."""
    require(membership, Action.CUSTOMER_DATA_ERASE)
    if member.workspace_id != membership.workspace_id:
        raise ValidationError(_("This member belongs to another workspace."))
    with transaction.atomic():
        deleted = _erase(membership.workspace_id, [member.pk])
        _record(actor, "community.member.erase", membership.workspace, member.pk, reason=reason[:200], members=deleted)
    return deleted


def retention_sweep(workspace_id: int, *, now: datetime.datetime | None = None) -> int:
    """Delete members with no activity (nor addition) within the workspace's retention period."""
    days = community_settings(workspace_id).retention_days
    if not days:
        return 0
    cutoff = (now or timezone.now()) - datetime.timedelta(days=days)
    stale = Member.objects.for_workspace(workspace_id).filter(
        merged_into__isnull=True, created_at__lt=cutoff, last_active_at__lt=cutoff
    )
    deleted = 0
    ids = list(stale.values_list("pk", flat=True)[:10000])
    while ids:
        with transaction.atomic():
            deleted += _erase(workspace_id, ids)
        ids = list(stale.values_list("pk", flat=True)[:10000])
    if deleted:
        _record(Actor.system("retention"), "community.retention.delete", workspace_id, None, members=deleted, days=days)
    return deleted


# --- the loyalty ladder ----------------------------------------------------------------------------


@dataclass
class RecomputeResult:
    members: int = 0
    moved: int = 0
    alerts_raised: int = 0
    alerts_resolved: int = 0
    stages: dict[str, int] = field(default_factory=dict)


_KIND_FIELDS = {kind: f"count_{kind}" for kind in loyalty.KINDS}


def _figures(
    workspace_id: int,
    member_ids: Sequence[int] | None,
    id_range: tuple[int, int],
    since: datetime.datetime,
    alert_since: datetime.datetime,
) -> dict[int, loyalty.Figures]:
    rows = Activity.objects.for_workspace(workspace_id)
    rows = (
        rows.filter(member_id__in=member_ids)
        if member_ids is not None
        else rows.filter(member_id__gte=id_range[0], member_id__lt=id_range[1])
    )
    window = Q(occurred_at__gte=since)
    recent = Q(occurred_at__gte=alert_since)
    rated = ~Q(sentiment="")
    aggregates: dict[str, Any] = {
        name: Count("pk", filter=window & Q(kind=kind)) for kind, name in _KIND_FIELDS.items()
    }
    aggregates |= {
        "rated": Count("pk", filter=window & rated),
        "negative": Count("pk", filter=window & Q(sentiment="negative")),
        "recent_rated": Count("pk", filter=recent & rated),
        "recent_negative": Count("pk", filter=recent & Q(sentiment="negative")),
        "last": Max("occurred_at"),
    }
    result = {}
    grouped: Iterable[Any] = rows.values("member_id").annotate(**aggregates).order_by()
    for row in grouped:
        result[row["member_id"]] = loyalty.Figures(
            counts={kind: row[name] for kind, name in _KIND_FIELDS.items() if row[name]},
            rated=row["rated"],
            negative=row["negative"],
            recent_rated=row["recent_rated"],
            recent_negative=row["recent_negative"],
            last_active_at=row["last"],
        )
    return result


type Placed = tuple[int, str, float, datetime.datetime | None, datetime.datetime | None]


def _write_placements(rows: Sequence[Placed]) -> None:
    """(id, stage, score, last_active_at, stage_changed_at) for members whose figures changed."""
    if not rows:
        return
    table = Member._meta.db_table
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS m SET stage = v.stage, score = v.score, last_active_at = v.last_active, "  # noqa: S608
                "stage_changed_at = v.changed FROM unnest(%s::bigint[], %s::text[], %s::float8[], "
                "%s::timestamptz[], %s::timestamptz[]) AS v(id, stage, score, last_active, changed) WHERE m.id = v.id",
                [list(column) for column in zip(*rows, strict=True)],
            )
        return
    _executemany(
        f"UPDATE {table} SET stage = %s, score = %s, last_active_at = %s, stage_changed_at = %s WHERE id = %s",  # noqa: S608
        [(stage, score, last, changed, pk) for pk, stage, score, last, changed in rows],
    )


def loyalty_recompute(
    workspace_id: int,
    *,
    now: datetime.datetime | None = None,
    member_ids: Sequence[int] | None = None,
    batch_size: int = 20000,
) -> RecomputeResult:
    """Place every active member (or ``member_ids``) on the ladder from their activities, record stage
    changes, raise alerts for core fans who turned negative or went quiet and resolve those that no
    longer hold. Works in id ranges so a million members never sit in memory at once."""
    now = now or timezone.now()
    rules = loyalty.effective_rules(community_settings(workspace_id).loyalty_rules)
    since = now - datetime.timedelta(days=rules["window_days"])
    alert_since = now - datetime.timedelta(days=rules["alert_days"])
    members = Member.objects.for_workspace(workspace_id).filter(merged_into__isnull=True)
    result = RecomputeResult()
    if member_ids is not None:
        ranges: list[tuple[int, int]] = [(0, 0)]
    else:
        bounds = members.aggregate(high=Max("pk"))
        high = (bounds["high"] or 0) + 1
        ranges = [(start, min(start + batch_size, high)) for start in range(0, high, batch_size)]
    for low, high in ranges:
        chunk = (
            members.filter(pk__in=member_ids) if member_ids is not None else members.filter(pk__gte=low, pk__lt=high)
        )
        current = list(chunk.values_list("pk", "stage", "score", "last_active_at", "stage_changed_at"))
        if not current:
            continue
        figures = _figures(workspace_id, member_ids, (low, high), since, alert_since)
        open_alerts = set(
            CommunityAlert.objects.for_workspace(workspace_id)
            .filter(resolved_at__isnull=True, member_id__in=[row[0] for row in current])
            .values_list("member_id", "kind")
        )
        updates = []
        changes = []
        raise_alerts = []
        resolve_alerts: list[tuple[int, str]] = []
        for pk, stage, score, last_active_at, changed_at in current:
            placement = loyalty.place(figures.get(pk, loyalty.Figures()), rules, now)
            last = figures[pk].last_active_at if pk in figures else last_active_at
            result.members += 1
            result.stages[placement.stage] = result.stages.get(placement.stage, 0) + 1
            new_changed_at = changed_at
            if placement.stage != stage or changed_at is None:
                new_changed_at = now
                if placement.stage != stage or changed_at is None:
                    changes.append(
                        StageChange(
                            workspace_id=workspace_id,
                            member_id=pk,
                            from_stage="" if changed_at is None else stage,
                            to_stage=placement.stage,
                            changed_at=now,
                        )
                    )
                    if changed_at is not None:
                        result.moved += 1
            if (placement.stage, placement.score, last, new_changed_at) != (stage, score, last_active_at, changed_at):
                updates.append((pk, placement.stage, placement.score, last, new_changed_at))
            was_core = stage == "core_fan" or placement.stage == "core_fan"
            for kind, holds in ((AlertKind.NEGATIVE, placement.negative), (AlertKind.QUIET, placement.quiet)):
                if holds and was_core and (pk, kind) not in open_alerts:
                    raise_alerts.append(
                        CommunityAlert(workspace_id=workspace_id, member_id=pk, kind=kind, raised_at=now)
                    )
                elif not holds and (pk, kind) in open_alerts:
                    resolve_alerts.append((pk, kind))
        with transaction.atomic():
            _write_placements(updates)
            StageChange.objects.bulk_create(changes, batch_size=2000)
            CommunityAlert.objects.bulk_create(raise_alerts, batch_size=2000, ignore_conflicts=True)
            for pk, alert_kind in resolve_alerts:
                CommunityAlert.objects.for_workspace(workspace_id).filter(
                    member_id=pk, kind=alert_kind, resolved_at__isnull=True
                ).update(resolved_at=now)
        result.alerts_raised += len(raise_alerts)
        result.alerts_resolved += len(resolve_alerts)
    return result


# --- CSV imports -------------------------------------------------------------------------------------

MAX_IMPORT_BYTES = 5 * 1024 * 1024
IMPORT_FIELDS: dict[str, Any] = {
    "customer_id": _("Customer id in the source"),
    "name": _("Name"),
    "email": _("E-mail"),
    "phone": _("Phone"),
    "handle": _("Handle on a network"),
    "network": _("Network of the handle"),
    "profile_url": _("Profile address"),
    "consent": _("Agreed to marketing (yes/no)"),
    "tags": _("Tags (separated by commas)"),
    "row_type": _("Row type (customer, purchase, ticket)"),
    "order_id": _("Order or ticket id"),
    "amount": _("Amount"),
    "currency": _("Currency"),
    "occurred_at": _("Date"),
    "title": _("Product or subject"),
}
_YES = {"yes", "y", "true", "1", "ja", "да", "是", "x"}
_NO = {"no", "n", "false", "0", "nei", "нет", "否", ""}


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError({"file": _("The file is not text in UTF-8.")})


def _reader(text: str) -> csv.DictReader[str]:
    sample = text[:4096]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    return csv.DictReader(io.StringIO(text), dialect=dialect)


def import_upload(
    *, actor: Actor, membership: Membership, file_name: str, data: bytes, source_name: str
) -> MemberImport:
    """Keep a CSV file until its columns are mapped; checks size, encoding and that it has a header
    and rows."""
    require(membership, Action.COMMUNITY_MANAGE)
    source = "".join(character for character in source_name.strip().lower() if character.isalnum() or character in "-_")
    if not source:
        raise ValidationError({"source_name": _("Name the source (letters and digits), e.g. shop or crm.")})
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError({"file": _("The file is larger than 5 MB; split it into smaller files.")})
    if not file_name.lower().endswith((".csv", ".txt", ".tsv")):
        raise ValidationError({"file": _("Upload a CSV file (.csv, .tsv or .txt).")})
    if b"\x00" in data[:4096]:
        raise ValidationError({"file": _("The file is not a text file.")})
    text = _decode(data)
    reader = _reader(text)
    columns = [name.strip() for name in (reader.fieldnames or []) if name and name.strip()]
    if not columns:
        raise ValidationError({"file": _("The first line must name the columns.")})
    rows = sum(1 for _row in reader)
    if not rows:
        raise ValidationError({"file": _("The file has a header but no rows.")})
    batch = MemberImport.objects.create(
        workspace=membership.workspace,
        source_name=source[:60],
        file_name=file_name[:255],
        content=text,
        columns=columns,
        mapping=_guess_mapping(columns),
        rows_total=rows,
        created_by=actor.user,
    )
    _record(actor, "community.import.upload", membership.workspace, None, file=batch.file_name, rows=rows)
    return batch


def _guess_mapping(columns: Sequence[str]) -> dict[str, str]:
    guesses = {
        "customer_id": ("customer_id", "customer id", "id", "client_id", "customer"),
        "name": ("name", "full name", "full_name", "customer name"),
        "email": ("email", "e-mail", "mail", "email address"),
        "phone": ("phone", "telephone", "mobile", "phone number"),
        "handle": ("handle", "username", "instagram", "user"),
        "network": ("network",),
        "profile_url": ("profile", "profile_url", "profile url"),
        "consent": ("consent", "marketing", "newsletter", "opt_in", "opt-in"),
        "tags": ("tags", "tag"),
        "row_type": ("type", "row_type", "kind"),
        "order_id": ("order_id", "order", "order id", "ticket", "ticket_id"),
        "amount": ("amount", "total", "sum"),
        "currency": ("currency",),
        "occurred_at": ("date", "created", "created_at", "ordered_at", "occurred_at"),
        "title": ("product", "title", "subject", "item"),
    }
    lowered = {column.strip().lower(): column for column in columns}
    mapping: dict[str, str] = {}
    for target, names in guesses.items():
        for name in names:
            if name in lowered and lowered[name] not in mapping.values():
                mapping[target] = lowered[name]
                break
    return mapping


def import_map(
    *, actor: Actor, membership: Membership, batch: MemberImport, mapping: Mapping[str, str]
) -> MemberImport:
    """Set which column feeds which field (empty: not used). A row must be findable again: a customer
    id, an e-mail, a phone or a handle column is required."""
    require(membership, Action.COMMUNITY_MANAGE)
    if batch.status != ImportStatus.UPLOADED:
        raise ValidationError(_("This file has been imported already."))
    clean = {target: column for target, column in mapping.items() if column}
    problems = {}
    for target, column in clean.items():
        if target not in IMPORT_FIELDS:
            problems[target] = [_("Unknown field.")]
        elif column not in batch.columns:
            problems[target] = [_("The file has no column %(column)s.") % {"column": column}]
    if not {"customer_id", "email", "phone", "handle"} & set(clean):
        problems["customer_id"] = [_("Map a customer id, e-mail, phone or handle column, so rows are found again.")]
    if problems:
        raise ValidationError(problems)
    batch.mapping = clean
    batch.save(update_fields=["mapping"])
    return batch


@dataclass
class ParsedRow:
    number: int
    values: dict[str, str]
    errors: list[dict[str, str]]
    identities: list[IdentityValues] = field(default_factory=list)
    consent: bool | None = None
    tags: list[str] = field(default_factory=list)
    activity: tuple[str, str, decimal.Decimal | None, str, datetime.datetime, str] | None = None


def _parse_when(value: str) -> datetime.datetime | None:
    value = value.strip()
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            return None
        moment = datetime.datetime.combine(day, datetime.time(12))
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, datetime.UTC)
    return moment


def _parse_rows(batch: MemberImport, limit: int | None = None) -> Iterator[ParsedRow]:
    mapping = batch.mapping
    crm_network = f"import:{batch.source_name}"
    for number, raw in enumerate(_reader(batch.content), start=2):
        if limit is not None and number - 2 >= limit:
            return
        values = {target: (raw.get(column) or "").strip() for target, column in mapping.items()}
        row = ParsedRow(number, values, [])

        def error(field_name: str, message: str, row: ParsedRow = row) -> None:
            row.errors.append({"row": str(row.number), "field": field_name, "message": message})

        email = values.get("email", "")
        if email and not matching.normalize_email(email):
            error("email", _("%(value)s is not an e-mail address.") % {"value": email[:100]})
        phone = values.get("phone", "")
        if phone and not matching.normalize_phone(phone):
            error("phone", _("%(value)s has fewer than 7 digits.") % {"value": phone[:40]})
        customer = IdentityValues(
            network=crm_network,
            remote_id=values.get("customer_id", ""),
            display_name=values.get("name", ""),
            email=email if matching.normalize_email(email) else "",
            phone=phone if matching.normalize_phone(phone) else "",
            profile_url=values.get("profile_url", ""),
        )
        if customer.key:
            row.identities.append(customer)
        handle = values.get("handle", "")
        if handle:
            network = values.get("network", "").strip().lower()
            if not network:
                error("network", _("A handle needs its network (e.g. instagram)."))
            else:
                row.identities.append(
                    IdentityValues(
                        network=network,
                        handle=handle,
                        display_name=values.get("name", ""),
                        profile_url=values.get("profile_url", ""),
                    )
                )
        if not row.identities:
            error("customer_id", _("The row has no customer id, e-mail, phone or handle."))
        consent = values.get("consent")
        if consent is not None and consent.lower() not in _YES | _NO:
            error("consent", _("Write yes or no, not %(value)s.") % {"value": consent[:40]})
        elif consent:
            row.consent = consent.lower() in _YES
        row.tags = [tag.strip().lower() for tag in values.get("tags", "").replace(";", ",").split(",") if tag.strip()]
        kind = values.get("row_type", "").lower() or "customer"
        if kind not in {"customer", "purchase", "ticket"}:
            error("row_type", _("The row type is customer, purchase or ticket, not %(value)s.") % {"value": kind[:40]})
        elif kind != "customer":
            reference = values.get("order_id", "")
            if not reference:
                error("order_id", _("A purchase or ticket row needs its order or ticket id."))
            when = _parse_when(values.get("occurred_at", ""))
            if when is None:
                error("occurred_at", _("Write the date as 2026-11-30 or 2026-11-30T14:05."))
            amount = None
            if values.get("amount"):
                try:
                    amount = decimal.Decimal(values["amount"].replace(" ", "").replace(",", "."))
                except decimal.InvalidOperation:
                    error("amount", _("%(value)s is not a number.") % {"value": values["amount"][:40]})
            if reference and when is not None:
                row.activity = (kind, reference, amount, values.get("currency", ""), when, values.get("title", ""))
        yield row


def import_preview(batch: MemberImport, *, limit: int = 20) -> list[ParsedRow]:
    """The first rows as they would be imported, each with its errors."""
    return list(_parse_rows(batch, limit))


@dataclass
class _ImportTally:
    imported: int = 0
    failed: int = 0
    activities: int = 0
    errors: list[dict[str, str]] = field(default_factory=list)
    member_ids: set[int] = field(default_factory=set)


def import_run(*, actor: Actor, membership: Membership, batch: MemberImport) -> MemberImport:
    """Import every row without errors: find or create the customer's identities (a row's identities
    are one person: they are merged when found in different members), fill blank details, consent
    and tags, and keep purchases and tickets as activities. Importing the same rows again creates
    nothing new. Rows with errors are listed with their row number, field and message."""
    require(membership, Action.COMMUNITY_MANAGE)
    if batch.status != ImportStatus.UPLOADED:
        raise ValidationError(_("This file has been imported already."))
    workspace_id = membership.workspace_id
    members_before = Member.objects.for_workspace(workspace_id).count()
    tally = _ImportTally()
    rows = list(_parse_rows(batch))
    with transaction.atomic():
        for start in range(0, len(rows), 500):
            _import_chunk(workspace_id, batch, rows[start : start + 500], actor, tally)
        batch.status = ImportStatus.DONE
        batch.content = ""  # the rows live on as members; the file itself is not kept
        batch.rows_imported = tally.imported
        batch.rows_failed = tally.failed
        batch.errors = tally.errors[:1000]
        batch.activities_created = tally.activities
        batch.members_created = max(0, Member.objects.for_workspace(workspace_id).count() - members_before)
        batch.imported_at = timezone.now()
        batch.save()
        _record(
            actor,
            "community.import.run",
            membership.workspace,
            None,
            file=batch.file_name,
            imported=tally.imported,
            failed=tally.failed,
            activities=tally.activities,
        )
    live = Member.objects.for_workspace(workspace_id).filter(pk__in=tally.member_ids, merged_into__isnull=True)
    loyalty_recompute(workspace_id, member_ids=list(live.values_list("pk", flat=True)))
    return batch


def _import_chunk(
    workspace_id: int, batch: MemberImport, chunk: Sequence[ParsedRow], actor: Actor, tally: _ImportTally
) -> None:
    good = [row for row in chunk if not row.errors]
    for row in chunk:
        if row.errors:
            tally.errors.extend(row.errors)
            tally.failed += 1
    identities = identities_upsert(
        workspace_id, [value for row in good for value in row.identities], source=IdentitySource.IMPORT
    )
    parent: dict[int, int] = {}

    def root(item: int) -> int:
        while parent.get(item, item) != item:
            item = parent[item]
        return item

    member_of_row: dict[int, int] = {}
    for row in good:
        pairs = [(value.network[:60], value.key) for value in row.identities]
        found = [identities[pair] for pair in pairs if pair in identities]
        if not found:
            tally.errors.append(
                {"row": str(row.number), "field": "", "message": _("This person was erased; not imported.")}
            )
            tally.failed += 1
            continue
        owners = sorted({root(_live_member(workspace_id, identity.member_id)) for identity in found})
        for other in owners[1:]:
            parent[other] = owners[0]
        member_of_row[row.number] = owners[0]
        tally.imported += 1
    # The members a row joined are merged into the oldest of them, once per chunk.
    plans = [
        MergePlan(root(member), member, ("listed together in an import",), 1.0)
        for member in parent
        if root(member) != member
    ]
    if plans:
        _merge_many(workspace_id, plans, automatic=True, user_id=actor.user.pk if actor.user else None)
        member_of_row = {number: root(member) for number, member in member_of_row.items()}
        live = dict(
            Identity.objects.for_workspace(workspace_id)
            .filter(pk__in=[identity.pk for identity in identities.values()])
            .values_list("pk", "member_id")
        )
        for identity in identities.values():
            identity.member_id = live.get(identity.pk, identity.member_id)
    tally.member_ids.update(member_of_row.values())
    _apply_row_details(workspace_id, good, member_of_row)
    purchases = []
    for row in good:
        if row.activity is None or row.number not in member_of_row:
            continue
        kind, reference, amount, currency, when, title = row.activity
        purchases.append(
            ActivityValues(
                identity_pair=(row.identities[0].network[:60], row.identities[0].key),
                kind=kind,
                external_ref=f"import:{batch.source_name}:{kind}:{reference}",
                occurred_at=when,
                title=title,
                amount=amount,
                currency=currency,
            )
        )
    tally.activities += activities_add(workspace_id, identities, purchases)


def _live_member(workspace_id: int, member_id: int) -> int:
    """The member a (possibly merged) member is part of now."""
    seen = set()
    while member_id not in seen:
        seen.add(member_id)
        parent = (
            Member.objects.for_workspace(workspace_id)
            .filter(pk=member_id)
            .values_list("merged_into_id", flat=True)
            .first()
        )
        if parent is None:
            return member_id
        member_id = parent
    return member_id


def _apply_row_details(workspace_id: int, rows: Sequence[ParsedRow], member_of_row: Mapping[int, int]) -> None:
    members = Member.objects.for_workspace(workspace_id).in_bulk(list(set(member_of_row.values())))
    # A member named after a handle (nobody gave a name yet) takes the name the import gives.
    handles: dict[int, set[str]] = defaultdict(set)
    for member_id, handle in (
        Identity.objects.for_workspace(workspace_id)
        .filter(member_id__in=list(members))
        .values_list("member_id", "handle")
    ):
        handles[member_id].add(handle)
    changed: dict[int, Member] = {}
    for row in rows:
        member = members.get(member_of_row.get(row.number, 0))
        if member is None:
            continue
        before = (member.display_name, member.email, member.phone, list(member.tags), member.consent_marketing)
        name, email, phone = row.values.get("name", ""), row.values.get("email", ""), row.values.get("phone", "")
        if name and (not member.display_name or member.display_name in handles[member.pk]):
            member.display_name = name[:300]
        if matching.normalize_email(email) and not member.email:
            member.email = matching.normalize_email(email)
        if matching.normalize_phone(phone) and not member.phone:
            member.phone = matching.normalize_phone(phone)
        if row.tags:
            member.tags = sorted(set(member.tags) | set(row.tags))
        if row.consent is not None and (row.consent != member.consent_marketing or not member.consent_recorded_at):
            member.consent_marketing = row.consent
            member.consent_recorded_at = timezone.now()
            member.consent_source = _("import row %(row)s") % {"row": row.number}
        if before != (member.display_name, member.email, member.phone, member.tags, member.consent_marketing):
            member.name_key = member.display_name.casefold()[:300]
            changed[member.pk] = member
    Member.objects.bulk_update(list(changed.values()), [*MEMBER_FIELDS, "name_key"], batch_size=500)
