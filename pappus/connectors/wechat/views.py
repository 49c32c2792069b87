"""An official account's WeChat pages: statistics from the data cube, and followers with their tags.

Statistics are counts (``analytics.view``); the follower list shows openids, remarks and tags of
people, so it needs ``community.view`` (and tagging ``community.manage``), which the agency role
never has.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from pappus.connectors import selectors
from pappus.connectors.errors import ConnectorError
from pappus.connectors.models import ConnectedAccount, Network
from pappus.connectors.wechat import services as wechat_services
from pappus.connectors.wechat.client import CHINA, ArticleDay, Follower, FollowerDay, FollowerPage, Tag
from pappus.core.models import Membership
from pappus.core.permissions import Action, require, role_allows
from pappus.core.views import actor_of, member_required

STATISTICS_DAYS = 7
FOLLOWERS_SHOWN = 100


def _wechat_account(membership: Membership, account_id: int) -> ConnectedAccount:
    try:
        account = selectors.account_get(membership, account_id)
    except ConnectedAccount.DoesNotExist:
        raise Http404 from None
    if account.network != Network.WECHAT:
        raise Http404
    return account


@member_required(Action.ANALYTICS_VIEW)
def statistics(request: HttpRequest, membership: Membership, account_id: int) -> HttpResponse:
    account = _wechat_account(membership, account_id)
    end = timezone.now().astimezone(CHINA).date() - datetime.timedelta(days=1)
    begin = end - datetime.timedelta(days=STATISTICS_DAYS - 1)
    articles: list[ArticleDay] = []
    followers: list[FollowerDay] = []
    error = ""
    try:
        with wechat_services.connector(account) as wechat:
            followers = wechat.follower_statistics(begin, end)
            articles = wechat.article_statistics(begin, end)
    except ConnectorError as failure:
        error = _("WeChat refused: %(reason)s") % {"reason": str(failure)}
    articles.sort(key=lambda entry: (entry.day, entry.reads), reverse=True)
    context = {
        "page_title": _("WeChat statistics of %(account)s") % {"account": account.display_name or account.handle},
        "account": account,
        "begin": begin,
        "end": end,
        "articles": articles,
        "followers": followers,
        "error": error,
        "can_see_followers": role_allows(membership.role, Action.COMMUNITY_VIEW),
    }
    return render(request, "connectors/wechat_statistics.html", context, status=502 if error else 200)


def _tag_id(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@member_required(Action.COMMUNITY_VIEW)
def followers(request: HttpRequest, membership: Membership, account_id: int) -> HttpResponseBase:
    account = _wechat_account(membership, account_id)
    if request.method == "POST":
        return _followers_change(request, membership, account)
    tag_filter = _tag_id(request.GET.get("tag"))
    offset = int(request.GET["offset"]) if request.GET.get("offset", "").isdigit() else 0
    tags: list[Tag] = []
    page = FollowerPage(openids=(), total=0, next_openid="")
    shown: list[Follower] = []
    error = ""
    try:
        with wechat_services.connector(account) as wechat:
            tags = wechat.tags()
            page = wechat.tagged_followers(tag_filter) if tag_filter is not None else wechat.followers()
            window = list(page.openids[offset : offset + FOLLOWERS_SHOWN])
            shown = wechat.follower_details(window) if window else []
    except ConnectorError as failure:
        error = _("WeChat refused: %(reason)s") % {"reason": str(failure)}
    names = {tag.id: tag.name for tag in tags}
    rows = [
        {"follower": follower, "tags": [names.get(tag, str(tag)) for tag in follower.tag_ids]} for follower in shown
    ]
    context = {
        "page_title": _("WeChat followers of %(account)s") % {"account": account.display_name or account.handle},
        "account": account,
        "tags": tags,
        "tag_filter": tag_filter,
        "rows": rows,
        "total": page.total,
        "offset": offset,
        "next_offset": offset + FOLLOWERS_SHOWN if offset + FOLLOWERS_SHOWN < len(page.openids) else None,
        "previous_offset": max(0, offset - FOLLOWERS_SHOWN) if offset else None,
        "error": error,
        "can_manage": role_allows(membership.role, Action.COMMUNITY_MANAGE),
    }
    return render(request, "connectors/wechat_followers.html", context, status=502 if error else 200)


def _followers_change(request: HttpRequest, membership: Membership, account: ConnectedAccount) -> HttpResponseBase:
    require(membership, Action.COMMUNITY_MANAGE)
    action = request.POST.get("action", "")
    try:
        if action == "create_tag":
            name = request.POST.get("name", "")
            tag = wechat_services.tag_create(actor=actor_of(request), membership=membership, account=account, name=name)
            messages.success(request, _("The tag %(tag)s is created on WeChat.") % {"tag": tag.name})
        elif action in {"tag", "untag"}:
            tag_id = _tag_id(request.POST.get("tag"))
            openids = request.POST.getlist("openid")
            if tag_id is None:
                messages.error(request, _("Choose a tag."))
            elif not openids:
                messages.error(request, _("Choose at least one follower."))
            else:
                count = wechat_services.followers_tag(
                    actor=actor_of(request),
                    membership=membership,
                    account=account,
                    tag_id=tag_id,
                    openids=openids,
                    remove=action == "untag",
                )
                messages.success(request, _("WeChat changed the tag of %(count)s followers.") % {"count": count})
        else:
            messages.error(request, _("Unknown action."))
    except ConnectorError as failure:
        messages.error(request, _("WeChat refused: %(reason)s") % {"reason": str(failure)})
    return redirect(request.get_full_path())
