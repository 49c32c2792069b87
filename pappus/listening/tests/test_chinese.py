# ruff: noqa: RUF001 - Han text and full-width punctuation are meant.
"""Chinese in topic matching and search, on real sentences (news and social posts, brand names,
simplified and traditional pairs): words instead of characters, so 华为 does not find 华丽的为…,
traditional and simplified find each other, stop words do not count, quotes ask for the words
side by side. The search tests run on both databases (FTS5 on SQLite, tsvector on PostgreSQL)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest

from pappus.core.audit import Actor
from pappus.core.permissions import Role
from pappus.core.tests.factories import make_member
from pappus.listening import chinese, fulltext, services
from pappus.listening.models import Mention, RunStatus, Source
from pappus.listening.pipeline import map_normalized
from pappus.listening.query import QuerySyntaxError, compile_query, tokenize_text
from pappus.listening.search import MentionSearch, search_mentions

ACTOR = Actor.system("test")

# Real-style posts: news headlines and social posts. Traditional ones are the Taiwan/Hong Kong
# writing of the same kind of text.
POSTS: dict[str, str] = {
    "huawei": "华为今天发布了新款手机，搭载自研麒麟芯片，售价4999元起。",
    "huawei-hant": "華為在台北發佈新款手機，現場排隊的人很多。",
    "florid": "这篇文章辞藻华丽，为人民服务的精神令人感动。",  # 华…为 side by side only as characters
    "starbucks": "周末去星巴克咖啡馆坐了一下午，拿铁很好喝，就是有点贵。",
    "luckin": "瑞幸咖啡又出新品了，生椰拿铁yyds！",
    "xiaomi": "小米发布智能手机Xiaomi 15，雷军说性价比很高。",
    "byd": "比亚迪新能源汽车销量再创新高，出口欧洲市场。",
    "heytea": "排了一个小时队终于喝到喜茶，芝芝莓莓真的绝了",
    "sadness": "今天心情不好，喝了杯咖啡也没用。",
    "apple": "蘋果手機的電池續航不太行，充電也很慢。",
    "airport": "首都机场的咖啡太贵了，一杯拿铁要四十多块钱。",
}


def tokens(text: str) -> list[str]:
    return tokenize_text(text)


# --- words, not characters ------------------------------------------------------------------------


def test_chinese_text_is_cut_into_simplified_words_without_stop_words() -> None:
    assert tokens("华为今天发布了新款手机") == ["华为", "今天", "发布", "新款手机"]  # 了 is a stop word
    assert tokens("華為今天發佈了新款手機") == tokens("华为今天发布了新款手机")  # traditional = simplified
    assert tokens("Starbucks咖啡和iPhone15") == ["starbucks", "咖啡", "iphone15"]  # mixed scripts, 和 dropped
    # A name the dictionary does not know is cut into its characters, in a query as in a text.
    assert tokens("喜茶") == ["喜", "茶"]
    assert tokens("终于喝到喜茶")[-2:] == ["喜", "茶"]
    assert tokens("电池不太行")[:2] == ["电池", "不"]  # negations are never stop words
    assert tokens("スタバのコーヒー")[:3] == ["ス", "タ", "バ"]  # Japanese keeps one token per character


def test_a_long_word_also_stands_for_the_words_inside_it() -> None:
    assert set(chinese.subwords("智能手机")) >= {"智能", "手机"}
    assert chinese.subwords("手机") == ()
    assert fulltext.search_text_of("", "星巴克咖啡馆") == " 星巴克 咖啡馆 的 巴克 咖啡 "


def test_a_traditional_repost_of_a_simplified_post_is_a_near_duplicate() -> None:
    from pappus.listening.pipeline import content_hash

    simplified = content_hash("华为今天发布了新款手机，售价四千九百九十九元")
    assert simplified == content_hash("RT @weibo_fan: 華為今天發佈了新款手機，售價四千九百九十九元")
    assert simplified != content_hash("小米今天发布了新款手机，售价四千九百九十九元")


# --- topic queries ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "post", "expected"),
    [
        ("华为", "huawei", True),
        ("华为", "huawei-hant", True),  # the simplified query finds the traditional post
        ("華為", "huawei", True),  # and the other way round
        ("华为", "florid", False),  # 华丽 + 为人民: the characters stand together, the word is not there
        ("手机", "huawei", True),  # inside 新款手机
        ("手机", "apple", True),  # 手機
        ("苹果 手机", "apple", True),
        ('"苹果手机"', "apple", True),  # 蘋果手機: the words side by side
        ('"手机 苹果"', "apple", False),  # the words in the other order
        ("咖啡", "starbucks", True),  # inside 咖啡馆
        ("星巴克 NOT 贵", "starbucks", False),
        ("星巴克 OR 瑞幸", "luckin", True),
        ("拿铁 NEAR/2 好喝", "starbucks", True),  # NEAR counts words: 拿铁 很 好喝
        ("拿铁 NEAR/0 好喝", "starbucks", False),
        ("喜茶", "heytea", True),
        ("喜茶", "starbucks", False),
        ("小米 xiaomi", "xiaomi", True),
        ("小米 NEAR/3 xiaomi", "xiaomi", True),
        ("比亚迪 AND 汽车", "byd", True),
        ("(星巴克 OR 瑞幸) AND 咖啡 lang:zh", "luckin", True),
        ("心情 不好", "sadness", True),  # negations count
        ("机场 咖啡 太贵", "airport", True),  # 机场 inside 首都机场
        ("拿铁", "airport", True),  # 拿铁 is not in the dictionary: its characters side by side
        ("拿铁", "byd", False),
    ],
)
def test_topic_queries_in_chinese(query: str, post: str, expected: bool) -> None:
    assert compile_query(query).matches_text(POSTS[post], language="zh") is expected


def test_a_term_of_stop_words_alone_is_refused_with_its_position() -> None:
    with pytest.raises(QuerySyntaxError) as error:
        compile_query("华为 的")
    assert error.value.position == 4
    assert "stop words" in error.value.detail
    with pytest.raises(QuerySyntaxError) as error:
        compile_query('华为 "的了"')
    assert "stop words" in error.value.detail


def test_a_brand_query_over_the_posts() -> None:
    query = compile_query("(华为 OR 小米 OR 苹果) AND 手机 NOT 电池")
    assert [name for name, post in POSTS.items() if query.matches_text(post)] == ["huawei", "huawei-hant", "xiaomi"]


# --- search on the database ------------------------------------------------------------------------


@pytest.fixture
def analyst(workspace: Any) -> Any:
    return make_member(workspace, Role.ANALYST)


@pytest.fixture
def source(analyst: Any) -> Source:
    source = services.source_create(actor=ACTOR, membership=analyst, name="Weibo export", kind="webhook")
    run = services.ingest_run_start(source)
    items = [
        {"external_id": name, "text": text, "language": "zh", "published_at": "2026-01-03T10:00:00Z"}
        for name, text in POSTS.items()
    ]
    services.ingest_items(source=source, run=run, items=items, mapper=map_normalized, analyze=None)
    services.ingest_run_finish(run, status=RunStatus.SUCCEEDED)
    return source


def found(workspace: Any, text: str) -> set[str]:
    return {mention.external_id for mention in search_mentions(workspace, MentionSearch(text=text))}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("华为", {"huawei", "huawei-hant"}),  # not "florid"
        ("華為", {"huawei", "huawei-hant"}),
        ("手机", {"huawei", "huawei-hant", "xiaomi", "apple"}),  # inside 新款手机 and 智能手机 too
        ("苹果手机", {"apple"}),  # 蘋果手機: both words
        ("华为手机", {"huawei", "huawei-hant"}),  # both words, anywhere: 华为…新款手机
        ('"华为手机"', set()),  # side by side: no post has them so
        ('"新款手机"', {"huawei", "huawei-hant"}),
        ("咖啡", {"starbucks", "luckin", "sadness", "airport"}),  # 咖啡馆 too
        ("咖啡馆", {"starbucks"}),
        ("星巴克的拿铁", {"starbucks"}),  # 的 is a stop word: 星巴克 and 拿铁
        ("拿铁 -星巴克", {"luckin", "airport"}),
        ("星巴克 OR 瑞幸", {"starbucks", "luckin"}),
        ("喜茶", {"heytea"}),  # a name the dictionary does not know: its characters side by side
        ("xiaomi 雷军", {"xiaomi"}),
        ("咖", {"starbucks", "luckin", "sadness", "airport"}),  # one character: words that start with it
        ("的", {"huawei", "huawei-hant", "florid", "starbucks", "luckin", "xiaomi", "byd", "heytea", "sadness",
                "apple", "airport"}),  # nothing to search for: no condition
        ("为人民服务", {"florid"}),
        ("为", {"huawei", "huawei-hant", "florid", "starbucks", "luckin", "xiaomi", "byd", "heytea", "sadness",
               "apple", "airport"}),  # a stop word alone: no condition
    ],
)  # fmt: skip
def test_search_in_chinese_on_this_database(analyst: Any, source: Source, text: str, expected: set[str]) -> None:
    assert found(analyst.workspace, text) == expected


@pytest.mark.django_db
def test_the_original_text_is_kept_and_shown(analyst: Any, source: Source) -> None:
    mention = Mention.objects.get(external_id="huawei-hant")
    assert mention.text == POSTS["huawei-hant"]  # traditional as written; only the index is simplified
    assert " 华为 " in mention.search_text


@pytest.mark.django_db
def test_the_migration_reindexes_mentions_stored_as_character_pairs(analyst: Any, source: Source) -> None:
    from django.apps import apps

    migration = importlib.import_module("pappus.listening.migrations.0009_chinese_words_in_search_text")
    Mention.objects.filter(external_id="huawei").update(search_text=" 华为 为今 今天 ")  # the old pairs
    Mention.objects.filter(external_id="byd").update(search_text="")
    assert found(analyst.workspace, "售价") == set()
    migration.reindex(apps, None)
    assert found(analyst.workspace, "售价") == {"huawei"}
    assert found(analyst.workspace, "汽车") == {"byd"}


# --- the pages in Chinese --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_mentions_page_in_chinese_shows_chinese_dates_in_the_persons_time_zone(
    analyst: Any, source: Source
) -> None:
    from django.test import Client
    from django.urls import reverse

    user = analyst.user
    user.language, user.time_zone = "zh-hans", "Asia/Shanghai"
    user.save(update_fields=["language", "time_zone"])
    client = Client()
    client.force_login(user)
    html = client.get(reverse("listening:mentions"), {"q": "華為"}).content.decode()
    assert 'lang="zh-hans"' in html
    assert "2026年1月3日 18:00" in html  # 10:00 UTC is 18:00 in Shanghai, written the Chinese way
    assert "華為在台北發佈新款手機" in html  # the traditional post as written, found by the simplified index
    assert "2026-01-03" not in html
    html = client.get(reverse("listening:sources")).content.decode()
    assert "2026-01-03" not in html  # no hard-coded date formats left on the sources page either


@pytest.mark.django_db
def test_the_publishing_calendar_names_its_month_the_chinese_way(workspace: Any) -> None:
    from django.test import Client
    from django.urls import reverse

    manager = make_member(workspace, Role.CONTENT_MANAGER)
    manager.user.language = "zh-hans"
    manager.user.save(update_fields=["language"])
    client = Client()
    client.force_login(manager.user)
    html = client.get(reverse("publishing:calendar"), {"month": "2026-03"}).content.decode()
    assert "<h1>2026年3月</h1>" in html  # YEAR_MONTH_FORMAT of zh_Hans, not 三月 2026
