"""Personal API tokens: create, revoke, authenticate.

A token is ``pap_`` followed by 43 URL-safe random characters. It is shown to its owner once,
at creation; the database keeps only its SHA-256 hash (for look-up) and its first characters
(so that people can tell their tokens apart). A token acts for its user in exactly one
workspace, with the role the user holds there *now*: a changed role or a deactivated
membership takes effect on the next request.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.models import ApiToken, Membership
from pappus.core.permissions import Action, require

TOKEN_PREFIX = "pap_"  # noqa: S105 - the public marker of every token, not a secret
# "pap_" and the first eight random characters: enough to tell tokens apart, useless to guess one.
DISPLAY_PREFIX_LENGTH = len(TOKEN_PREFIX) + 8
# Using a token updates its last_used_at at most this often, so reads do not all become writes.
LAST_USED_RESOLUTION = datetime.timedelta(minutes=1)
# Anything longer than this is not one of our tokens; it is refused before hashing.
MAX_TOKEN_LENGTH = 100

TOKEN_AUDIT_FIELDS = ("name", "prefix", "user_id", "expires_at", "revoked_at")


@dataclass(frozen=True)
class IssuedToken:
    """A freshly created token: ``plain`` is shown to the user once and never stored."""

    token: ApiToken
    plain: str


def hash_token(plain: str) -> str:
    return hashlib.sha256(plain.encode()).hexdigest()


def tokens_of(membership: Membership) -> QuerySet[ApiToken]:
    """The member's own tokens in the member's workspace, newest first (revoked ones too)."""
    return ApiToken.objects.for_workspace(membership.workspace_id).filter(user_id=membership.user_id)


@transaction.atomic
def token_create(
    *, actor: Actor, membership: Membership, name: str, expires_at: datetime.datetime | None = None
) -> IssuedToken:
    """Create a token for the member in their workspace; the plain token is returned only here."""
    require(membership, Action.API_TOKENS_MANAGE)
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("A token needs a name.")})
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": _("The expiry date must lie in the future.")})
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=membership.user_id,
        workspace_id=membership.workspace_id,
        name=name,
        prefix=plain[:DISPLAY_PREFIX_LENGTH],
        token_hash=hash_token(plain),
        expires_at=expires_at,
    )
    token.full_clean()
    token.save()
    audit.record(
        actor,
        "api_token.create",
        workspace=membership.workspace,
        target=token,
        after=audit.snapshot(token, TOKEN_AUDIT_FIELDS),
    )
    return IssuedToken(token=token, plain=plain)


@transaction.atomic
def token_revoke(*, actor: Actor, membership: Membership, token_id: int) -> ApiToken:
    """Revoke one of the member's own tokens; another person's or workspace's raises DoesNotExist."""
    require(membership, Action.API_TOKENS_MANAGE)
    token = tokens_of(membership).select_for_update().get(pk=token_id)
    if token.revoked_at is not None:
        return token
    before = audit.snapshot(token, TOKEN_AUDIT_FIELDS)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(
        actor,
        "api_token.revoke",
        workspace=membership.workspace,
        target=token,
        before=before,
        after=audit.snapshot(token, TOKEN_AUDIT_FIELDS),
    )
    return token


def token_authenticate(plain: str) -> Membership | None:
    """The active membership a token acts as, or None when the token is unknown or unusable.

    Unusable: revoked, expired, its user deactivated, or its membership gone or deactivated.
    The returned membership carries its ``user`` and ``workspace`` already loaded.
    """
    if not plain.startswith(TOKEN_PREFIX) or len(plain) > MAX_TOKEN_LENGTH:
        return None
    token = ApiToken.objects.select_related("user", "workspace").filter(token_hash=hash_token(plain)).first()
    now = timezone.now()
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    membership = Membership.objects.filter(
        user_id=token.user_id, workspace_id=token.workspace_id, is_active=True
    ).first()
    if membership is None:
        return None
    membership.user = token.user
    membership.workspace = token.workspace
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return membership
