# ruff: noqa: RUF001, S608 - Han text is meant; the SQL names only this script's own tables.
"""Precision and recall of Chinese search: Pappus's Chinese words against the default tokenizer,
on a labelled set of Chinese posts, in the same run.

    python bench/search_zh.py [--quick] [--posts N] [--seed 7] [--show-misses]

The set is generated deterministically (``--seed``), with its labels by construction: each post is
one to three sentences, drawn from templates that name a brand, a product or a brand and a product
side by side, from neutral filler sentences, and from *hard negatives* — real sentences in which
the characters of a brand or product stand together without being that word (北京东城区 holds
京东, 选手机会 holds 手机, 有三个人参加 holds 人参). A post is relevant to a query when the
generator put the query's brand or product into it (every one of them, for a query of two); to a
quoted query when it put those words side by side. Three posts in ten are then written in
traditional characters (Taiwan or Hong Kong standard, by OpenCC), and a few queries are too. The
script checks that no template or filler holds a query's characters by accident.

Each search runs the way the Mentions page runs it on SQLite (``search.py``): the post is indexed
by ``fulltext.search_text_of`` into an FTS5 table with the trigram tokenizer, the query is parsed by
``fulltext.parse_search`` and asked with ``fulltext.fts_phrase`` (``LIKE`` for terms too short for
trigrams) — the same SQL as ``search._fulltext_sqlite``, in an in-memory database so that no
migration runs. The comparison, in the same run and the same SQLite:

- ``default``: SQLite FTS5's trigram tokenizer over the posts as written, each search word a
  substring (``LIKE`` under three characters). This is character n-gram search, which is what
  Pappus did until now in effect (it indexed Chinese as overlapping character pairs).
- ``unicode61`` (extra): FTS5's own default tokenizer, which takes a whole run of Chinese between
  punctuation as one token.

Topic matching (``query.compile_query``) is scored on the same set as well (``topic_*``). Figures are
micro-averaged over the queries (true positives over all found, over all relevant). The last line
is JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pappus.listening import fulltext  # noqa: E402 - after the path setup
from pappus.listening.query import compile_query, prepare  # noqa: E402

BRANDS = ["华为", "京东", "美团", "小米", "格力", "安踏", "星巴克", "瑞幸", "比亚迪", "大疆", "喜茶", "茅台", "蔚来"]
PRODUCTS = ["手机", "咖啡", "汽车", "外卖", "火锅", "快递", "电池", "和服", "人参", "空调"]
# Sentences in which a concept's characters stand together without being the word.
HARD_NEGATIVES: dict[str, list[str]] = {
    "华为": ["中华为世界文明作出了重要贡献。", "这里的繁华为人称道。", "古人以中华为天下之中。"],
    "京东": ["我家在北京东城区，离地铁很近。", "公司搬到了北京东路。", "南京东站附近新开了一家书店。"],
    "美团": ["这是一个完美团队，大家配合默契。", "他们的表演堪称完美团体赛。"],
    "格力": ["这套房子的装修风格力求简洁。", "整体风格力争统一。"],
    "安踏": ["做人要平安踏实，一步一个脚印。", "祝你一路平安踏上归途。"],
    "大疆": ["守护祖国伟大疆土。", "强大疆域的历史很长。"],
    "喜茶": ["恭喜茶农今年又丰收了。"],
    "手机": ["选手机会不多，一定要把握住。", "那位歌手机场遇到了粉丝。", "这名选手机智地躲过了对方。"],
    "外卖": ["海外卖家越来越多了。", "国外卖场的东西很便宜。"],
    "和服": ["我和服务员聊了几句。", "他和服装店老板是朋友。"],
    "人参": ["有三个人参加了今天的会议。", "这次活动共有二十个人参与。"],
    "汽车": ["蒸汽车间今天停工检修。"],
}
BRAND_TEMPLATES = [
    "刚买了{b}的新品，感觉还不错。",
    "{b}今天宣布降价，网友炸锅了。",
    "听说{b}要在我们这儿开新店了。",
    "{b}客服态度太差了！",
    "大家觉得{b}怎么样？",
    "{b}股价今天大涨百分之五。",
    "终于等到{b}的年终促销。",
    "这次{b}的发布会看得我热血沸腾。",
]
PRODUCT_TEMPLATES = [
    "{p}用了一个月，说说感受。",
    "今天的{p}有点问题，等了好久。",
    "想换个{p}，求推荐。",
    "这个{p}性价比很高。",
    "周末和朋友一起研究{p}。",
]
PAIR_TEMPLATES = [  # brand and product side by side: what a quoted query asks for
    "{b}{p}真的好用吗？",
    "排队买{b}{p}的人太多了。",
    "昨天收到了{b}{p}，很满意。",
]
APART_TEMPLATES = [  # brand and product in one sentence, not side by side
    "{b}这次推出的{p}让人眼前一亮。",
    "我一直用{b}，最近它家的{p}涨价了。",
]
FILLERS = [
    "今天天气不错，适合出去走走。",
    "周末加班，心情有点复杂。",
    "有没有人一起去看演唱会？",
    "这部电影的结局太意外了。",
    "地铁又晚点了，迟到十分钟。",
    "新学期开始了，孩子们都很兴奋。",
    "晚上去公园跑步，人特别多。",
    "这家餐厅的服务员很热情。",
    "最近在读一本关于历史的书。",
    "小区门口新开了一家面包店。",
    "假期准备去云南旅游。",
    "明天要早起，先睡了。",
    "这个价格可以接受。",
    "老板说下个月涨工资。",
    "朋友圈里都在晒年夜饭。",
]
TRADITIONAL = ("s2tw.json", "s2hk.json")


@dataclass
class Post:
    text: str
    concepts: set[str] = field(default_factory=set)
    pairs: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Query:
    text: str
    concepts: tuple[str, ...]
    phrase: bool = False

    def relevant(self, post: Post) -> bool:
        if self.phrase:
            return "".join(self.concepts) in post.pairs
        return all(concept in post.concepts for concept in self.concepts)


def _check_by_accident() -> None:
    """No template or filler may hold a concept's characters: the labels would be wrong."""
    concepts = [*BRANDS, *PRODUCTS]
    plain = [*FILLERS, *(t.format(b="", p="") for t in BRAND_TEMPLATES + PRODUCT_TEMPLATES + PAIR_TEMPLATES)]
    plain += [t.format(b="", p="") for t in APART_TEMPLATES]
    for sentence in plain:
        for concept in concepts:
            if concept in sentence:
                raise SystemExit(f"the sentence {sentence!r} holds {concept!r}: the labels would be wrong")
    for concept, sentences in HARD_NEGATIVES.items():
        for sentence in sentences:
            if concept not in sentence:
                raise SystemExit(f"the hard negative {sentence!r} does not hold {concept!r}")


def posts(count: int, seed: int) -> list[Post]:
    from opencc import OpenCC

    converters = [OpenCC(name) for name in TRADITIONAL]
    rng = random.Random(seed)
    negatives = [(concept, sentence) for concept, sentences in HARD_NEGATIVES.items() for sentence in sentences]
    out: list[Post] = []
    for _ in range(count):
        post = Post("")
        sentences: list[str] = []
        for _ in range(rng.randint(1, 3)):
            kind = rng.random()
            brand, product = rng.choice(BRANDS), rng.choice(PRODUCTS)
            if kind < 0.25:
                sentences.append(rng.choice(BRAND_TEMPLATES).format(b=brand))
                post.concepts.add(brand)
            elif kind < 0.45:
                sentences.append(rng.choice(PRODUCT_TEMPLATES).format(p=product))
                post.concepts.add(product)
            elif kind < 0.55:
                sentences.append(rng.choice(PAIR_TEMPLATES).format(b=brand, p=product))
                post.concepts.update((brand, product))
                post.pairs.add(brand + product)
            elif kind < 0.62:
                sentences.append(rng.choice(APART_TEMPLATES).format(b=brand, p=product))
                post.concepts.update((brand, product))
            elif kind < 0.82:
                sentences.append(rng.choice(negatives)[1])
            else:
                sentences.append(rng.choice(FILLERS))
        text = "".join(sentences)
        if rng.random() < 0.3:
            text = rng.choice(converters).convert(text)
        post.text = text
        out.append(post)
    return out


def queries() -> list[Query]:
    from opencc import OpenCC

    taiwan = OpenCC("s2tw.json")
    found = [Query(brand, (brand,)) for brand in BRANDS]
    found += [Query(product, (product,)) for product in PRODUCTS]
    found += [Query(taiwan.convert(word), (word,)) for word in ("华为", "京东", "手机", "外卖", "电池", "汽车")]
    found += [
        Query(brand + product, (brand, product))
        for brand, product in (
            ("华为", "手机"),
            ("小米", "手机"),
            ("美团", "外卖"),
            ("京东", "快递"),
            ("星巴克", "咖啡"),
        )
    ]
    found += [Query("比亚迪 汽车", ("比亚迪", "汽车")), Query("瑞幸 咖啡", ("瑞幸", "咖啡"))]
    found += [
        Query(f'"{brand}{product}"', (brand, product), phrase=True)
        for brand, product in (("华为", "手机"), ("格力", "空调"), ("喜茶", "外卖"))
    ]
    return found


# --- the searches ----------------------------------------------------------------------------------


def _new_index(database: sqlite3.Connection, texts: list[str]) -> None:
    database.execute("CREATE TABLE mention (id INTEGER PRIMARY KEY, search_text TEXT)")
    database.execute("CREATE VIRTUAL TABLE mention_fts USING fts5(search_text, tokenize='trigram')")
    rows = [(index, fulltext.search_text_of("", text)) for index, text in enumerate(texts)]
    database.executemany("INSERT INTO mention VALUES (?, ?)", rows)
    database.executemany("INSERT INTO mention_fts (rowid, search_text) VALUES (?, ?)", rows)


def search_new(database: sqlite3.Connection, text: str) -> set[int]:
    """``search._fulltext_sqlite`` over the same index form, in plain SQL."""
    sql, parameters = "SELECT id FROM mention WHERE 1", []
    required: list[str] = []
    match = "SELECT rowid FROM mention_fts WHERE mention_fts MATCH ?"
    for term in fulltext.parse_search(text):
        options = [term, *term.alternatives]
        phrases = [fulltext.fts_phrase(option) for option in options]
        if all(phrase is not None for phrase in phrases):
            expression = " OR ".join(phrase for phrase in phrases if phrase)
            if term.negated:
                sql += f" AND id NOT IN ({match})"
                parameters.append(expression)
            else:
                required.append(f"({expression})")
            continue
        likes = " OR ".join("instr(search_text, ?) > 0" for _ in options)
        sql += f" AND {'NOT' if term.negated else ''} ({likes})"
        parameters.extend(fulltext.like_pattern(option).strip("%") for option in options)
    if required:
        sql += f" AND id IN ({match})"
        parameters.append(" AND ".join(required))
    return {row[0] for row in database.execute(sql, parameters)}


def _plain_index(database: sqlite3.Connection, texts: list[str], tokenizer: str) -> str:
    if tokenizer == "trigram":
        database.execute("CREATE TABLE post (id INTEGER PRIMARY KEY, text TEXT)")
        database.executemany("INSERT INTO post VALUES (?, ?)", enumerate(texts))
    table = f"raw_{tokenizer}"
    database.execute(f"CREATE VIRTUAL TABLE {table} USING fts5(text, tokenize='{tokenizer}')")
    database.executemany(f"INSERT INTO {table} (rowid, text) VALUES (?, ?)", enumerate(texts))
    return table


def _words(text: str) -> list[str]:
    return [word.strip('"') for word in text.split() if word.strip('"')]


def search_trigram(database: sqlite3.Connection, table: str, text: str) -> set[int]:
    """The default tokenizer: every word of the search a substring of the post as written."""
    conditions, parameters = [], []
    for word in _words(text):
        if len(word) >= 3:
            conditions.append(f"rowid IN (SELECT rowid FROM {table} WHERE {table} MATCH ?)")
            parameters.append(f'"{word}"')
        else:
            conditions.append("rowid IN (SELECT id FROM post WHERE instr(lower(text), lower(?)) > 0)")
            parameters.append(word)  # too short for trigrams: a plain substring
    sql = f"SELECT rowid FROM {table} WHERE " + " AND ".join(conditions)
    return {row[0] for row in database.execute(sql, parameters)}


def search_unicode61(database: sqlite3.Connection, table: str, text: str) -> set[int]:
    expression = " AND ".join(f'"{word}"' for word in _words(text))
    return {row[0] for row in database.execute(f"SELECT rowid FROM {table} WHERE {table} MATCH ?", [expression])}


@dataclass
class Score:
    true_positives: int = 0
    found: int = 0
    relevant: int = 0
    misses: list[str] = field(default_factory=list)

    def add(self, query: Query, found: set[int], relevant: set[int], items: list[Post]) -> None:
        self.true_positives += len(found & relevant)
        self.found += len(found)
        self.relevant += len(relevant)
        for index in sorted(found - relevant)[:2]:
            self.misses.append(f"{query.text}: false {items[index].text}")
        for index in sorted(relevant - found)[:2]:
            self.misses.append(f"{query.text}: missed {items[index].text}")

    @property
    def precision(self) -> float:
        return round(self.true_positives / self.found, 4) if self.found else 1.0

    @property
    def recall(self) -> float:
        return round(self.true_positives / self.relevant, 4) if self.relevant else 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="300 posts")
    parser.add_argument("--posts", type=int, help="how many posts (default 1,000; 300 with --quick)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--show-misses", action="store_true", help="print a few wrong answers of each method")
    options = parser.parse_args()
    count = options.posts or (300 if options.quick else 1_000)
    _check_by_accident()
    items = posts(count, options.seed)
    asked = queries()
    texts = [post.text for post in items]

    started = time.perf_counter()
    database = sqlite3.connect(":memory:")
    _new_index(database, texts)
    index_seconds = time.perf_counter() - started
    trigram = _plain_index(database, texts, "trigram")
    unicode61 = _plain_index(database, texts, "unicode61")
    documents = [prepare(text, language="zh") for text in texts]

    scores = {name: Score() for name in ("new", "default", "unicode61", "topic")}
    for query in asked:
        relevant = {index for index, post in enumerate(items) if query.relevant(post)}
        scores["new"].add(query, search_new(database, query.text), relevant, items)
        scores["default"].add(query, search_trigram(database, trigram, query.text), relevant, items)
        scores["unicode61"].add(query, search_unicode61(database, unicode61, query.text), relevant, items)
        # A topic query: words apart are AND; written together (unquoted) they must stand side by side.
        topic = compile_query(" ".join(_words(query.text)) if not query.phrase else query.text)
        found = {index for index, document in enumerate(documents) if topic.matches(document)}
        scores["topic"].add(query, found, relevant, items)

    for name, score in scores.items():
        print(f"{name:>10}: precision {score.precision:.3f}  recall {score.recall:.3f}  "
              f"({score.true_positives} right of {score.found} found, {score.relevant} relevant)")  # fmt: skip
        if options.show_misses:
            for line in score.misses[:40]:
                print(f"            {line}")
    result = {
        "posts": count,
        "queries": len(asked),
        "relevant_pairs": scores["new"].relevant,
        "traditional_posts": sum(1 for text in texts if text != _simplified(text)),
        "index_seconds": round(index_seconds, 3),
        "precision_unicode61": scores["unicode61"].precision,
        "recall_unicode61": scores["unicode61"].recall,
        "precision_topic": scores["topic"].precision,
        "recall_topic": scores["topic"].recall,
        "precision_new": scores["new"].precision,
        "recall_new": scores["new"].recall,
        "precision_default": scores["default"].precision,
        "recall_default": scores["default"].recall,
    }
    print(json.dumps(result))
    return 0


def _simplified(text: str) -> str:
    from pappus.listening.chinese import to_simplified

    return to_simplified(text)


if __name__ == "__main__":
    raise SystemExit(main())
