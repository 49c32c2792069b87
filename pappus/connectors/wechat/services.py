"""Writes to an official account's followers on WeChat (tags), role-checked and audited.

The audit records which tag changed and how many followers, never their openids (personal data).
"""

from __future__ import annotations

from collections.abc import Sequence

from pappus.connectors import services
from pappus.connectors.models import ConnectedAccount, Network
from pappus.connectors.wechat.client import Tag, WeChatConnector
from pappus.core import audit
from pappus.core.audit import Actor
from pappus.core.models import Membership
from pappus.core.permissions import Action, require


def connector(account: ConnectedAccount) -> WeChatConnector:
    """The account's WeChat connector (close it when done); the caller has checked the account's workspace."""
    if account.network != Network.WECHAT:
        raise ConnectedAccount.DoesNotExist("not a WeChat official account")
    built = services.connector_for(account)
    if not isinstance(built, WeChatConnector):
        built.close()
        raise TypeError("the WeChat network has another connector class")
    return built


def tag_create(*, actor: Actor, membership: Membership, account: ConnectedAccount, name: str) -> Tag:
    require(membership, Action.COMMUNITY_MANAGE)
    with connector(account) as wechat:
        tag = wechat.tag_create(name)
    audit.record(
        actor,
        "wechat.tag_create",
        workspace=membership.workspace,
        target=account,
        after={"tag": tag.name, "tag_id": tag.id},
    )
    return tag


def followers_tag(
    *,
    actor: Actor,
    membership: Membership,
    account: ConnectedAccount,
    tag_id: int,
    openids: Sequence[str],
    remove: bool = False,
) -> int:
    """Tag (or untag) the followers on WeChat, 50 at a time; how many were sent."""
    require(membership, Action.COMMUNITY_MANAGE)
    wanted = list(dict.fromkeys(openid for openid in openids if openid))
    with connector(account) as wechat:
        for start in range(0, len(wanted), 50):
            wechat.tag_followers(tag_id, wanted[start : start + 50], remove=remove)
    audit.record(
        actor,
        "wechat.followers_untag" if remove else "wechat.followers_tag",
        workspace=membership.workspace,
        target=account,
        after={"tag_id": tag_id, "followers": len(wanted)},
    )
    return len(wanted)
