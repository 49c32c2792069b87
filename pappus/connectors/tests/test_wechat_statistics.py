"""WeChat article and follower statistics (the data cube) and the followers page with tags, replayed.

The answers follow WeChat's documentation (developers.weixin.qq.com, 数据统计 and 用户管理):
``POST /datacube/getarticlesummary`` (one day per call: ``ref_date``, ``msgid``, ``title``,
``int_page_read_user``/``_count``, ``ori_page_read_*``, ``share_*``, ``add_to_fav_*``),
``/datacube/getusersummary`` (``new_user``/``cancel_user`` per ``user_source``) and
``/datacube/getusercumulate`` (``cumulate_user``), 7 days at most, up to yesterday;
``/cgi-bin/user/get``, ``/cgi-bin/user/info/batchget`` (``subscribe_time``, ``remark``,
``tagid_list``; no nickname since 2021), ``/cgi-bin/tags/get``, ``/cgi-bin/tags/create``,
``/cgi-bin/tags/members/batchtagging`` and ``/cgi-bin/user/tag/get``.
"""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from pappus.connectors.errors import ContentRejectedError, NotSupportedError, RateLimitedError
from pappus.connectors.tests.replay import Answer, ReplayServer
from pappus.connectors.tests.test_wechat import APPID, serve_token, wechat, wechat_account
from pappus.connectors.wechat.client import CHINA
from pappus.core.models import AuditEvent
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member

pytestmark = pytest.mark.django_db

FOLLOWERS = ["oLVPpjqs9BhvzwPj5A-vTYAX3GLc", "oLVPpjkttuZTbwDwN7vjHNlqsmPs", "oLVPpjp4w9ldz4B3zZbEbwZ-Sgsk"]


def yesterday() -> datetime.date:
    return timezone.now().astimezone(CHINA).date() - datetime.timedelta(days=1)


def article_row(day: datetime.date, msgid: str, title: str, reads: int) -> dict[str, Any]:
    return {
        "ref_date": day.isoformat(),
        "msgid": msgid,
        "title": title,
        "int_page_read_user": reads - 3,
        "int_page_read_count": reads,
        "ori_page_read_user": 1,
        "ori_page_read_count": 2,
        "share_user": 4,
        "share_count": 6,
        "add_to_fav_user": 5,
        "add_to_fav_count": 5,
    }


def bodies(replay: ReplayServer, path: str) -> list[dict[str, Any]]:
    return [json.loads(request.body) for request in replay.requests_to("POST", path)]


def test_article_statistics_read_one_day_per_call(replay: ReplayServer) -> None:
    day = yesterday()
    before = day - datetime.timedelta(days=1)
    serve_token(replay)
    replay.add(
        "POST",
        "/datacube/getarticlesummary",
        Answer(200, {"list": [article_row(before, "1000000001_1", "秋季新品", 120)]}),
    )
    replay.add(
        "POST",
        "/datacube/getarticlesummary",
        Answer(
            200,
            {
                "list": [
                    article_row(day, "1000000001_1", "秋季新品", 40),
                    article_row(day, "1000000002_1", "门店开业", 9),
                ]
            },
        ),
    )
    with wechat(replay) as connector:
        rows = connector.article_statistics(before, day)
    assert [(row.day, row.title, row.reads, row.readers, row.shares, row.favourites) for row in rows] == [
        (before, "秋季新品", 120, 117, 6, 5),
        (day, "秋季新品", 40, 37, 6, 5),
        (day, "门店开业", 9, 6, 6, 5),
    ]
    assert bodies(replay, "/datacube/getarticlesummary") == [
        {"begin_date": before.isoformat(), "end_date": before.isoformat()},
        {"begin_date": day.isoformat(), "end_date": day.isoformat()},
    ]
    # The token goes in the query, as for every WeChat call.
    assert "access_token=ACCESS_TOKEN_1" in replay.requests_to("POST", "/datacube/getarticlesummary")[0].query


def test_follower_statistics_sum_the_sources_and_fill_quiet_days(replay: ReplayServer) -> None:
    day = yesterday()
    first = day - datetime.timedelta(days=2)
    serve_token(replay)
    replay.add(
        "POST",
        "/datacube/getusersummary",
        Answer(
            200,
            {
                "list": [
                    {"ref_date": first.isoformat(), "user_source": 0, "new_user": 3, "cancel_user": 1},
                    {"ref_date": first.isoformat(), "user_source": 30, "new_user": 12, "cancel_user": 0},
                    {"ref_date": day.isoformat(), "user_source": 17, "new_user": 2, "cancel_user": 5},
                ]
            },
        ),
    )
    replay.add(
        "POST",
        "/datacube/getusercumulate",
        Answer(
            200,
            {
                "list": [
                    {"ref_date": first.isoformat(), "cumulate_user": 1014},
                    {"ref_date": (first + datetime.timedelta(days=1)).isoformat(), "cumulate_user": 1014},
                    {"ref_date": day.isoformat(), "cumulate_user": 1011},
                ]
            },
        ),
    )
    with wechat(replay) as connector:
        days = connector.follower_statistics(first, day)
    assert [(entry.new, entry.cancelled, entry.net, entry.total) for entry in days] == [
        (15, 1, 14, 1014),
        (0, 0, 0, 1014),
        (2, 5, -3, 1011),
    ]
    assert bodies(replay, "/datacube/getusersummary") == [
        {"begin_date": first.isoformat(), "end_date": day.isoformat()}
    ]


def test_ranges_the_data_cube_does_not_give_are_refused_before_asking(replay: ReplayServer) -> None:
    today = yesterday() + datetime.timedelta(days=1)
    with wechat(replay) as connector:
        with pytest.raises(ContentRejectedError, match="up to yesterday") as raised:
            connector.article_statistics(today, today)
        assert raised.value.checked_locally
        with pytest.raises(ContentRejectedError, match="at most 7 days"):
            connector.follower_statistics(today - datetime.timedelta(days=10), yesterday())
        with pytest.raises(ContentRejectedError, match="comes after"):
            connector.follower_statistics(yesterday(), yesterday() - datetime.timedelta(days=1))
        # Per article id there is no figure: the message says where the figures are.
        with pytest.raises(NotSupportedError, match="statistics page"):
            connector.post_metrics("2247483658")
    assert replay.requests == []


def test_a_data_cube_error_is_mapped(replay: ReplayServer) -> None:
    serve_token(replay)
    replay.add(
        "POST",
        "/datacube/getarticlesummary",
        Answer(200, {"errcode": 45009, "errmsg": "reach max api daily quota limit"}),
    )
    with wechat(replay) as connector, pytest.raises(RateLimitedError, match="quota"):
        connector.article_statistics(yesterday(), yesterday())


def test_follower_details_read_tags_and_remarks(replay: ReplayServer) -> None:
    serve_token(replay)
    replay.add(
        "POST",
        "/cgi-bin/user/info/batchget",
        Answer(
            200,
            {
                "user_info_list": [
                    {
                        "subscribe": 1,
                        "openid": FOLLOWERS[0],
                        "language": "zh_CN",
                        "subscribe_time": 1700000000,
                        "unionid": "o6_bmasdasdsad6_2sgVt7hMZOPfL",
                        "remark": "老顾客",
                        "groupid": 0,
                        "tagid_list": [128, 2],
                        "subscribe_scene": "ADD_SCENE_QR_CODE",
                        "qr_scene": 98765,
                        "qr_scene_str": "",
                    },
                    {"subscribe": 0, "openid": FOLLOWERS[1]},
                ]
            },
        ),
    )
    with wechat(replay) as connector:
        first, second = connector.follower_details(FOLLOWERS[:2])
        with pytest.raises(ContentRejectedError, match="1 to 100"):
            connector.follower_details([f"o{number}" for number in range(101)])
    assert (first.remark, first.tag_ids, first.scene, first.subscribed) == (
        "老顾客",
        (128, 2),
        "ADD_SCENE_QR_CODE",
        True,
    )
    assert first.subscribed_at == datetime.datetime(2023, 11, 14, 22, 13, 20, tzinfo=datetime.UTC)
    assert (second.subscribed, second.subscribed_at, second.tag_ids) == (False, None, ())
    assert bodies(replay, "/cgi-bin/user/info/batchget") == [
        {"user_list": [{"openid": FOLLOWERS[0], "lang": "zh_CN"}, {"openid": FOLLOWERS[1], "lang": "zh_CN"}]}
    ]


# --- the pages -----------------------------------------------------------------------------------------------


def signed_in(workspace: Any, role: str) -> Client:
    client = Client()
    client.force_login(make_member(workspace, role).user)
    return client


def serve_followers(replay: ReplayServer) -> None:
    replay.add(
        "GET",
        "/cgi-bin/tags/get",
        Answer(200, {"tags": [{"id": 2, "name": "星标组", "count": 0}, {"id": 128, "name": "老顾客", "count": 1}]}),
    )
    replay.add(
        "GET",
        "/cgi-bin/user/get",
        Answer(200, {"total": 3, "count": 3, "data": {"openid": FOLLOWERS}, "next_openid": FOLLOWERS[-1]}),
    )
    replay.add(
        "POST",
        "/cgi-bin/user/info/batchget",
        Answer(
            200,
            {
                "user_info_list": [
                    {
                        "subscribe": 1,
                        "openid": FOLLOWERS[0],
                        "subscribe_time": 1700000000,
                        "remark": "老顾客",
                        "tagid_list": [128],
                    },
                    {
                        "subscribe": 1,
                        "openid": FOLLOWERS[1],
                        "subscribe_time": 1700003600,
                        "remark": "",
                        "tagid_list": [],
                    },
                    {
                        "subscribe": 1,
                        "openid": FOLLOWERS[2],
                        "subscribe_time": 1700007200,
                        "remark": "",
                        "tagid_list": [2],
                    },
                ]
            },
        ),
    )


def test_the_statistics_page_shows_articles_and_followers_by_day(workspace: Any, replay: ReplayServer) -> None:
    account = wechat_account(workspace, replay.url)
    serve_token(replay)
    replay.add(
        "POST",
        "/datacube/getusersummary",
        Answer(
            200, {"list": [{"ref_date": yesterday().isoformat(), "user_source": 0, "new_user": 21, "cancel_user": 4}]}
        ),
    )
    replay.add(
        "POST",
        "/datacube/getusercumulate",
        Answer(200, {"list": [{"ref_date": yesterday().isoformat(), "cumulate_user": 1280}]}),
    )
    replay.add("POST", "/datacube/getarticlesummary", Answer(200, {"list": []}), always=True)
    replay.add(
        "POST",
        "/datacube/getarticlesummary",
        Answer(200, {"list": [article_row(yesterday(), "1000000001_1", "秋季新品上市", 345)]}),
    )
    client = signed_in(workspace, Role.ANALYST)
    health = client.get("/connectors/").content.decode()
    assert f'href="/connectors/{account.pk}/wechat/statistics/"' in health
    page = client.get(f"/connectors/{account.pk}/wechat/statistics/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "秋季新品上市" in text
    assert ">345<" in text
    assert ">1280<" in text
    assert ">17<" in text  # net: 21 new, 4 unfollowed
    # Seven days of articles, one call each.
    assert len(replay.requests_to("POST", "/datacube/getarticlesummary")) == 7


def test_the_statistics_page_says_what_wechat_refused(workspace: Any, replay: ReplayServer) -> None:
    account = wechat_account(workspace, replay.url)
    serve_token(replay)
    replay.add("POST", "/datacube/getusersummary", Answer(200, {"errcode": 48001, "errmsg": "api unauthorized"}))
    page = signed_in(workspace, Role.ADMIN).get(f"/connectors/{account.pk}/wechat/statistics/")
    assert page.status_code == 502
    assert "api unauthorized" in page.content.decode()


def test_the_followers_page_lists_followers_with_their_tags(workspace: Any, replay: ReplayServer) -> None:
    account = wechat_account(workspace, replay.url)
    serve_token(replay)
    serve_followers(replay)
    page = signed_in(workspace, Role.COMMUNITY_MANAGER).get(f"/connectors/{account.pk}/wechat/followers/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "3 followers" in text
    for openid in FOLLOWERS:
        assert f'data-openid="{openid}"' in text
    assert '<span class="tag">老顾客</span>' in text
    assert '<span class="tag">星标组</span>' in text
    assert 'data-testid="tag-followers"' in text


def test_the_followers_page_filters_by_tag(workspace: Any, replay: ReplayServer) -> None:
    account = wechat_account(workspace, replay.url)
    serve_token(replay)
    replay.add("GET", "/cgi-bin/tags/get", Answer(200, {"tags": [{"id": 128, "name": "老顾客", "count": 1}]}))
    replay.add(
        "POST",
        "/cgi-bin/user/tag/get",
        Answer(200, {"count": 1, "data": {"openid": [FOLLOWERS[0]]}, "next_openid": FOLLOWERS[0]}),
    )
    replay.add(
        "POST",
        "/cgi-bin/user/info/batchget",
        Answer(200, {"user_info_list": [{"subscribe": 1, "openid": FOLLOWERS[0], "tagid_list": [128]}]}),
    )
    text = signed_in(workspace, Role.ADMIN).get(f"/connectors/{account.pk}/wechat/followers/?tag=128").content.decode()
    assert f'data-openid="{FOLLOWERS[0]}"' in text
    assert f'data-openid="{FOLLOWERS[1]}"' not in text
    assert bodies(replay, "/cgi-bin/user/tag/get") == [{"tagid": 128, "next_openid": ""}]


def test_tagging_followers_from_the_page_is_sent_and_audited_without_openids(
    workspace: Any, replay: ReplayServer
) -> None:
    account = wechat_account(workspace, replay.url)
    serve_token(replay)
    replay.add("POST", "/cgi-bin/tags/members/batchtagging", Answer(200, {"errcode": 0, "errmsg": "ok"}))
    replay.add("POST", "/cgi-bin/tags/create", Answer(200, {"tag": {"id": 134, "name": "新品试饮"}}))
    client = signed_in(workspace, Role.COMMUNITY_MANAGER)
    url = f"/connectors/{account.pk}/wechat/followers/"
    response = client.post(url, {"action": "tag", "tag": "128", "openid": FOLLOWERS[:2]})
    assert response.status_code == 302
    assert bodies(replay, "/cgi-bin/tags/members/batchtagging") == [{"openid_list": FOLLOWERS[:2], "tagid": 128}]
    created = client.post(url, {"action": "create_tag", "name": "新品试饮"})
    assert created.status_code == 302
    assert bodies(replay, "/cgi-bin/tags/create") == [{"tag": {"name": "新品试饮"}}]
    events = AuditEvent.objects.filter(action__startswith="wechat.").order_by("id")
    assert [event.action for event in events] == ["wechat.followers_tag", "wechat.tag_create"]
    assert events[0].after == {"tag_id": 128, "followers": 2}
    assert all(openid not in str(event.after) for event in events for openid in FOLLOWERS)


@pytest.mark.parametrize("role", [Role.AGENCY, Role.CAMPAIGN_MANAGER, Role.DESIGNER])
def test_roles_without_customer_data_never_see_followers(workspace: Any, replay: ReplayServer, role: str) -> None:
    account = wechat_account(workspace, replay.url)
    client = signed_in(workspace, role)
    assert client.get(f"/connectors/{account.pk}/wechat/followers/").status_code == 403
    assert (
        client.post(
            f"/connectors/{account.pk}/wechat/followers/", {"action": "tag", "tag": "2", "openid": FOLLOWERS}
        ).status_code
        == 403
    )
    assert replay.requests == []


def test_viewers_cannot_tag_and_other_workspaces_and_networks_are_not_found(
    workspace: Any, replay: ReplayServer
) -> None:
    account = wechat_account(workspace, replay.url)
    executive = signed_in(workspace, Role.EXECUTIVE)
    assert (
        executive.post(f"/connectors/{account.pk}/wechat/followers/", {"action": "create_tag", "name": "x"}).status_code
        == 403
    )
    stranger = signed_in(None, Role.ADMIN)
    assert stranger.get(f"/connectors/{account.pk}/wechat/followers/").status_code == 404
    assert stranger.get(f"/connectors/{account.pk}/wechat/statistics/").status_code == 404
    assert replay.requests == []
    assert APPID in account.remote_id
