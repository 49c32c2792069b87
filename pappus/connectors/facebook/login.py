"""Facebook Login for Pages and Instagram business accounts, with the workspace's own Meta app.

Meta's steps (https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived
and https://developers.facebook.com/docs/pages-api/getting-started):

1. The code from the login dialog is exchanged at ``/oauth/access_token`` for a short-lived user
   token (an hour or two, no refresh token).
2. That token is exchanged for a long-lived user token (about 60 days) with
   ``grant_type=fb_exchange_token`` and the app's id and secret.
3. ``GET /me/accounts`` with the long-lived token lists the Pages the person manages, each with a
   **Page token that has no expiry** (Meta: "Page access tokens obtained from a long-lived user access
   token do not have an expiration date"). Such a token stops working only when it is revoked (the
   person removes the app, changes the password or loses the Page role): the Graph API then answers
   code 190, which the connectors read as "authorization expired — reconnect".

Instagram business accounts come through the same login: a Page's ``instagram_business_account``
is the account, used with that Page's token. All requests go as form POSTs (the Graph API takes
parameters either way), so the app secret and the tokens never appear in a URL or a log line.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pappus.connectors.facebook.graph import GraphConnector
from pappus.connectors.oauth import OAuthCandidate, OAuthGrant, token_request

PAGE_FIELDS = "id,name,username,access_token,tasks,instagram_business_account{id,username,name}"
# /me/accounts pages through 25 Pages by default; a person rarely manages more than 100.
PAGES_PER_READ = 100
MAXIMUM_PAGE_READS = 10


class _UserGraph(GraphConnector):
    """The Graph API with the person's long-lived user token (only to list their Pages)."""

    network: ClassVar[str] = "facebook"
    label: ClassVar[str] = "Facebook"


def long_lived_user_token(grant: OAuthGrant) -> str:
    """Step 2: the short-lived user token from the code, exchanged for a long-lived one."""
    tokens = token_request(
        grant.spec,
        grant.app,
        {"grant_type": "fb_exchange_token", "fb_exchange_token": grant.tokens.access_token},
        network=grant.network,
        label=grant.label,
    )
    return tokens.access_token


def managed_pages(grant: OAuthGrant) -> list[dict[str, Any]]:
    """Step 3: the Pages the person manages, each with its Page token."""
    user_token = long_lived_user_token(grant)
    pages: list[dict[str, Any]] = []
    with _UserGraph(base_url=grant.app.api_base_url, credentials={"access_token": user_token}) as graph:
        parameters: dict[str, Any] = {"fields": PAGE_FIELDS, "limit": PAGES_PER_READ}
        for _read in range(MAXIMUM_PAGE_READS):
            answer = graph.graph("GET", "me/accounts", params=parameters)
            pages.extend(page for page in answer.get("data") or [] if page.get("id") and page.get("access_token"))
            after = ((answer.get("paging") or {}).get("cursors") or {}).get("after")
            if not (answer.get("paging") or {}).get("next") or not after:
                break
            parameters = {**parameters, "after": after}
    return pages


def facebook_pages(grant: OAuthGrant) -> list[OAuthCandidate]:
    """The Pages a Facebook sign-in gives, to connect with their non-expiring Page tokens."""
    return [
        OAuthCandidate(
            remote_id=str(page["id"]),
            handle=str(page.get("username") or page["id"]),
            display_name=str(page.get("name") or ""),
            credentials={"access_token": str(page["access_token"])},
            options={**grant.options, "page_id": str(page["id"])},
            token_never_expires=True,
        )
        for page in managed_pages(grant)
    ]


def instagram_accounts(grant: OAuthGrant) -> list[OAuthCandidate]:
    """The Instagram business accounts linked to the person's Pages, each used with its Page's token."""
    candidates: list[OAuthCandidate] = []
    for page in managed_pages(grant):
        account = page.get("instagram_business_account")
        if not isinstance(account, dict) or not account.get("id"):
            continue
        username = str(account.get("username") or account["id"])
        candidates.append(
            OAuthCandidate(
                remote_id=str(account["id"]),
                handle=f"@{username}",
                display_name=str(account.get("name") or page.get("name") or ""),
                credentials={"access_token": str(page["access_token"])},
                options={**grant.options, "ig_user_id": str(account["id"]), "page_id": str(page["id"])},
                token_never_expires=True,
            )
        )
    return candidates
