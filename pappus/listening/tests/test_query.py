# ruff: noqa: RUF001, RUF003 - Cyrillic, Han and full-width letters here are meant.
"""The topic query language: what an analyst types and which mentions it finds."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pappus.listening.query import (
    And,
    Field,
    Near,
    Not,
    Or,
    Phrase,
    QueryIndex,
    QuerySyntaxError,
    Term,
    compile_query,
    fold,
    parse,
    prepare,
    russian_stem,
    tokenize_text,
    unparse,
)


def matches(query: str, text: str, **properties: str) -> bool:
    sources = (properties.pop("source"),) if "source" in properties else ()
    return compile_query(query).matches_text(text, sources=sources, **properties)


# --- operators and precedence ------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("coffee", "I love COFFEE!", True),
        ("coffee", "I love tea", False),
        ("coffee AND tea", "coffee and tea", True),
        ("coffee AND tea", "coffee only", False),
        ("coffee tea", "tea then coffee", True),  # implicit AND, any order
        ("coffee tea", "tea only", False),
        ("coffee OR tea", "just tea", True),
        ("coffee OR tea", "just water", False),
        ("coffee NOT decaf", "coffee, strong", True),
        ("coffee NOT decaf", "decaf coffee", False),
        ("coffee -decaf", "decaf coffee", False),
        ("coffee -decaf", "coffee", True),
        # AND binds tighter than OR: tea OR (coffee AND milk).
        ("tea OR coffee AND milk", "tea", True),
        ("tea OR coffee AND milk", "coffee", False),
        ("tea OR coffee AND milk", "coffee with milk", True),
        ("(tea OR coffee) AND milk", "tea", False),
        ("(tea OR coffee) AND milk", "tea with milk", True),
        # NOT binds tightest: (coffee AND NOT tea) OR juice.
        ("coffee NOT tea OR juice", "juice and tea", True),
        ("coffee NOT tea OR juice", "coffee and tea", False),
        ("coffee NOT (tea OR juice)", "coffee and juice", False),
        ("coffee NOT (tea OR juice)", "coffee and milk", True),
        ("coffee AND NOT tea AND NOT juice", "coffee, milk", True),
        # Lower-case operators are words.
        ("coffee and", "coffee and cake", True),
        ("coffee and", "coffee, cake", False),
    ],
)
def test_boolean_operators_and_precedence(query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


def test_precedence_shows_in_the_tree() -> None:
    tree = parse("a OR b c NOT d")
    assert tree == Or((Term("a"), And((Term("b"), Term("c"), Not(Term("d"))))))
    assert parse("a NEAR/2 b OR c") == Or((Near(Term("a"), Term("b"), 2), Term("c")))


# --- phrases and wildcards -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ('"flat white"', "A flat white, please", True),
        ('"flat white"', "white and flat", False),
        ('"flat white"', "flat, white", True),  # punctuation is not a word
        ('"cold brew" OR espresso', "Cold-brew season", True),
        ("coca-cola", "I drink Coca Cola", True),
        ("«новый магазин»", "Открыли новый магазин", True),  # Russian quotation marks
        ("coffee*", "coffeeshops everywhere", True),
        ("coffee*", "coffee", True),
        ("coffee*", "cafe", False),
        ("colo?r", "what colour", True),
        ("colo?r", "what color", False),  # ? is exactly one character
        ("colo*r", "color", True),
        ('"flat whi*"', "a flat whisky", True),
        ('"flat whi*"', "whisky flat", False),
        ("mcdonald's", "Going to McDonalds", True),
    ],
)
def test_phrases_and_wildcards(query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


# --- NEAR --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("battery NEAR/3 phone", "my phone has a weak battery", True),  # 3 words between, reverse order
        ("battery NEAR/2 phone", "my phone has a weak battery", False),
        ("battery NEAR/0 life", "battery life", True),
        ("battery NEAR/0 life", "battery and life", False),
        ("battery NEAR/3f phone", "my phone has a weak battery", False),  # f: left must come first
        ("battery NEAR/3f phone", "battery is in the phone", True),
        ('"customer service" NEAR/2 rude', "the customer service was rude", True),
        ('"customer service" NEAR/1 rude', "rude and slow customer service", False),
        ("(bad OR awful) NEAR/1 service", "awful slow service", True),
        ("(bad OR awful) NEAR/1 service", "awful and very slow service", False),
        ("a1 NEAR/1 b1 NEAR/1 c1", "a1 x b1 y c1", True),
        ("a1 NEAR/1 b1 NEAR/1 c1", "a1 x b1 y z c1", False),
    ],
)
def test_near(query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


# --- fields ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "properties", "expected"),
    [
        ("coffee lang:ru", {"language": "ru"}, True),
        ("coffee lang:ru", {"language": "en"}, False),
        ("coffee lang:zh", {"language": "zh-Hans"}, True),
        ("coffee lang:nb", {"language": "no"}, True),  # Norwegian codes are one language
        ("coffee source:rss", {"source": "rss"}, True),
        ("coffee source:RSS", {"source": "mastodon"}, False),
        ("coffee author:@Barista", {"author": "@barista"}, True),
        ("coffee author:barista", {"author": "barista"}, True),
        ("coffee author:@barista", {"author": "someone"}, False),
        ("coffee country:no", {"country": "NO"}, True),
        ("coffee country:NO", {"country": "SE"}, False),
        ("coffee (country:NO OR country:SE)", {"country": "SE"}, True),
        ("coffee NOT lang:en", {"language": "en"}, False),
        ('author:"Ann Lee" coffee', {"author": "ann lee"}, True),
        ("lang:ru", {"language": "ru"}, True),  # a filter alone is a valid query
    ],
)
def test_field_filters(query: str, properties: dict[str, str], expected: bool) -> None:
    assert matches(query, "good coffee", **properties) is expected


# --- languages ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("咖啡", "这家咖啡馆很好", True),  # no spaces: a substring of the text
        ("咖啡馆", "这家咖啡很好", False),
        ("咖啡 NEAR/2 好喝", "这家咖啡很好喝", True),  # NEAR counts characters in Chinese
        ("咖啡 NEAR/0 好喝", "这家咖啡很好喝", False),
        ("星巴克 NOT 难喝", "星巴克的拿铁很难喝", False),
        ("星巴克 OR 瑞幸", "我喜欢瑞幸咖啡", True),
        ('"拿铁 咖啡"', "拿铁咖啡", True),
        ("Starbucks 咖啡", "Starbucks的咖啡", True),  # mixed scripts
        ("コーヒー", "美味しいコーヒーです", True),
    ],
)
def test_chinese_and_japanese_match_without_spaces(query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("магазин", "Нет магазинов рядом", True),
        ("магазин", "У магазина очередь", True),
        ("магазинов", "Зашёл в магазин", True),  # any form finds every form
        ("кофейня", "Новая кофейня открылась", True),
        ("кофейня", "В кофейне было шумно", True),
        ("кофейня", "Люблю эти кофейни", True),
        ("кофе", "Чашка кофе", True),
        ("кофе", "Новая кофейня", False),  # derived words are other words: use коф* to find both
        ("коф*", "Новая кофейня", True),
        ('"магазин"', "У магазина очередь", False),  # quotes: exactly this form
        ('"магазина"', "У магазина очередь", True),
        ("ёлка", "Купили елку", True),  # ё and е are one letter
        ('"мой"', "мои вещи", False),  # й is not и (quoted: this exact form)
        ("красивая", "Красивые чашки", True),
        ("доставка NEAR/1 медленная", "Доставка была медленной", True),
    ],
)
def test_russian_word_forms(query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


@pytest.mark.parametrize(
    ("query", "text", "expected"),
    [
        ("blåbær", "Blåbær er godt", True),
        ("BLÅBÆR", "blåbær", True),
        ("blåbær", "BLÅBÆRSYLTETØY", False),  # a longer word is another word
        ("blåbær*", "BLÅBÆRSYLTETØY", True),
        ("smørbrød", "Smørbrød til lunsj", True),
        ("Tromsø", "Været i Tromsø", True),
        ("øl", "God øl i Bergen", True),
        ('"god øl"', "God øl i Bergen", True),
        ("café", "Cafe Oslo", True),  # accents fold
        ("cafe", "Café Oslo", True),
        ("straße", "Strasse", True),
    ],
)
def test_norwegian_and_diacritics(query: str, text: str, expected: bool) -> None:
    assert matches(query, text) is expected


def test_folding_and_tokens() -> None:
    assert fold("Blåbær ÆØÅ") == "blabaer aeoa"
    assert fold("ЁЖИК Йогурт") == "ежик йогурт"
    assert fold("ＡＢＣ１２３") == "abc123"
    assert tokenize_text("星巴克 is 好!") == ["星巴克", "is", "好"]  # Chinese words (pappus.listening.chinese)
    assert tokenize_text("スタバは好き") == ["ス", "タ", "バ", "は", "好", "き"]  # Japanese: one per character
    assert tokenize_text("#coffee @barista don't") == ["coffee", "barista", "dont"]


def test_russian_stems() -> None:
    assert {russian_stem(word) for word in ("магазин", "магазина", "магазинов", "магазинам", "магазинах")} == {
        "магазин"
    }
    assert {russian_stem(word) for word in ("кофейня", "кофейни", "кофейне", "кофейню", "кофейней")} == {"кофейн"}
    assert russian_stem("coffee") == "coffee"


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "position", "expected"),
    [
        ("", 1, "the query is empty"),
        ("   ", 1, "the query is empty"),
        ("(coffee OR tea", 15, "expected a closing parenthesis for the one opened at 1"),
        ("coffee AND (tea", 16, "expected a closing parenthesis"),
        ("coffee) tea", 7, "unexpected closing parenthesis"),
        ("coffee AND", 11, "after AND, found the end of the query"),
        ("coffee OR OR tea", 11, "after OR, found OR"),
        ("AND coffee", 1, "expected a word, phrase, field filter or opening parenthesis, found AND"),
        ("coffee ()", 9, "the group is empty"),
        ('coffee "flat white', 19, "expected a closing quotation mark"),
        ('coffee ""', 8, "the phrase is empty"),
        ("coffee NEAR/x tea", 13, "expected a number after NEAR/"),
        ("coffee NEAR/500 tea", 13, "expected a distance of at most 100"),
        ("coffee NEAR/3", 14, "after NEAR/3, found the end of the query"),
        ("coffee NEAR/3 lang:ru", 15, "NEAR/3 needs words or phrases on its right"),
        ("lang:ru NEAR/3 coffee", 9, "NEAR/3 needs words or phrases on its left"),
        ("coffee NEAR/3 NOT tea", 15, "after NEAR/3, found NOT"),
        ("coffee lang:russian", 13, "expected a language code"),
        ("coffee country:Norway", 16, "expected a two-letter country code"),
        ("coffee colour:red", 8, "unknown field 'colour'"),
        ("coffee lang:", 13, "expected a value after 'lang:'"),
        ("coffee author:@", 15, "expected an author handle"),
        ("c*", 2, "expected at least 2 letters before a wildcard"),
        ("coffee *", 8, "expected at least 2 letters before a wildcard"),
        ("coffee co-f*", 10, "expected only letters and digits besides * and ?"),
        ("咖啡*", 1, "wildcards are not used with Chinese"),
        ("coffee !!!", 8, "'!!!' has no letters or digits"),
        ("NOT tea", 1, "a query cannot match on exclusions alone"),
        ("coffee OR NOT tea", 11, "a query cannot match on exclusions alone"),
        ("-tea -juice", 1, "a query cannot match on exclusions alone"),
    ],
)
def test_errors_say_where_and_what(query: str, position: int, expected: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(query)
    assert caught.value.position == position
    assert expected in str(caught.value)
    assert str(caught.value).startswith(f"position {position}: ")


def test_a_very_long_query_is_refused() -> None:
    with pytest.raises(QuerySyntaxError, match="longer than 4000"):
        parse("coffee OR " * 500 + "tea")


# --- the pre-filter and the index ---------------------------------------------------------------


def test_anchors_name_required_terms() -> None:
    def anchors(query: str) -> set[str] | None:
        found = compile_query(query).anchors
        return None if found is None else set(found)

    assert anchors("coffee AND (latte OR mocha) NOT tea") == {"coffee"}
    assert anchors("latte OR mocha") == {"latte", "mocha"}
    assert anchors("магазинов") == {"магазин"}
    assert anchors("coffee* lang:en") == {"q:coff"}  # four letters before the * narrow the candidates
    assert anchors("cof* lang:en") == {"p:co"}
    assert anchors("咖啡") == {"咖啡"}
    assert anchors("喜茶") == {"b:喜茶"}  # a name the dictionary does not know: its characters side by side
    assert anchors("lang:ru") == {"f:lang:ru"}
    assert anchors("coffee OR NOT tea AND juice") == {"coffee", "juice"}


def test_index_returns_only_matching_queries_in_order() -> None:
    index: QueryIndex[str] = QueryIndex(
        {
            "brand": compile_query("pappus OR папус"),
            "competitor": compile_query("dandelion NOT pappus"),
            "russian": compile_query("lang:ru магазин"),
            "chinese": compile_query("蒲公英"),
        }
    )
    assert index.match(prepare("Pappus and a dandelion")) == ["brand"]
    assert index.match(prepare("папус в магазинах", language="ru")) == ["brand", "russian"]
    assert index.match(prepare("我喜欢蒲公英", language="zh")) == ["chinese"]
    document = prepare("nothing relevant here")
    assert index.candidates(document) == set()
    assert index.match(document) == []
    with pytest.raises(KeyError):
        index.add("brand", compile_query("x1"))


# --- properties ---------------------------------------------------------------------------------

VOCABULARY = ["kaffe", "te", "blåbær", "магазин", "магазина", "кофе", "咖啡", "好", "latte", "mocha"]
WORDS = st.sampled_from(["kaffe", "te", "blåbær", "магазин", "кофе", "咖啡", "latte", "mocha", "lat*", "маг*"])


def _leaves() -> st.SearchStrategy[Term | Phrase | Field]:
    return st.one_of(
        WORDS.map(Term),
        st.lists(st.sampled_from(["kaffe", "te", "latte", "магазина"]), min_size=1, max_size=3).map(
            lambda words: Phrase(" ".join(words))
        ),
        st.sampled_from(["ru", "no", "zh"]).map(lambda code: Field("lang", code)),
    )


def _positional() -> st.SearchStrategy[Term | Phrase | Near | Or]:
    simple = st.one_of(WORDS.map(Term), st.sampled_from(["kaffe te", "latte mocha"]).map(Phrase))
    return st.recursive(
        simple,
        lambda inner: st.one_of(
            st.builds(Near, inner, inner, st.integers(0, 3), st.booleans()),
            st.lists(inner, min_size=2, max_size=3).map(lambda children: Or(tuple(children))),
        ),
        max_leaves=4,
    )


def _trees() -> st.SearchStrategy[object]:
    return st.recursive(
        st.one_of(_leaves(), _positional()),
        lambda inner: st.one_of(
            st.lists(inner, min_size=2, max_size=3).map(lambda children: And(tuple(children))),
            st.lists(inner, min_size=2, max_size=3).map(lambda children: Or(tuple(children))),
            st.tuples(inner, inner).map(lambda pair: And((pair[0], Not(pair[1])))),
        ),
        max_leaves=8,
    )


TEXTS = st.lists(st.sampled_from([*VOCABULARY, "и", "x", "."]), max_size=12).map(" ".join)
LANGUAGES = st.sampled_from(["", "ru", "nb", "zh-Hans", "en"])


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(tree=_trees())
def test_round_trip_through_text(tree: object) -> None:
    assert parse(unparse(tree)) == tree  # type: ignore[arg-type]


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(tree=_trees(), text=TEXTS, language=LANGUAGES)
def test_the_prefilter_never_hides_a_match(tree: object, text: str, language: str) -> None:
    query = compile_query(unparse(tree))  # type: ignore[arg-type]
    document = prepare(text, language=language)
    if query.matches(document):
        assert query.anchors is None or query.anchors & document.keys


@settings(max_examples=200)
@given(left=WORDS, right=WORDS, text=TEXTS)
def test_de_morgan(left: str, right: str, text: str) -> None:
    document = prepare(text + " anchor")
    first = compile_query(f"anchor NOT ({left} OR {right})")
    second = compile_query(f"anchor NOT {left} NOT {right}")
    assert first.matches(document) == second.matches(document)


@settings(max_examples=200)
@given(left=WORDS, right=WORDS, text=TEXTS, distance=st.integers(0, 4))
def test_near_is_symmetric_and_implies_and(left: str, right: str, text: str, distance: int) -> None:
    document = prepare(text)
    near = compile_query(f"{left} NEAR/{distance} {right}").matches(document)
    assert near == compile_query(f"{right} NEAR/{distance} {left}").matches(document)
    if near:
        assert compile_query(f"{left} AND {right}").matches(document)


@settings(max_examples=500)
@given(text=st.text(max_size=40))
def test_any_input_parses_or_fails_with_a_position_inside_it(text: str) -> None:
    problem: QuerySyntaxError | None = None
    try:
        parse(text)
    except QuerySyntaxError as error:
        problem = error
    if problem is not None:
        assert 1 <= problem.position <= len(text) + 1
        assert problem.detail


def test_clauses_name_every_required_key() -> None:
    def clauses(query: str) -> set[frozenset[str]] | None:
        found = compile_query(query).clauses
        return None if found is None else set(found)

    assert clauses('"kalomi delivery" OR (kalomi NEAR/3 slow)') == {
        frozenset({"kalomi"}),
        frozenset({"delivery", "slow"}),
        frozenset({"kalomi", "slow"}),
        frozenset({"delivery", "kalomi"}),
    }
    assert clauses("coffee AND (latte OR mocha) NOT tea") == {frozenset({"coffee"}), frozenset({"latte", "mocha"})}
    assert clauses("蒲公英3 咖啡") == {frozenset({key}) for key in ("蒲公英", "3", "咖啡")}
    assert clauses("coffee* country:NO") == {frozenset({"q:coff"}), frozenset({"f:country:NO"})}
    assert clauses("coffee OR NOT tea AND juice") == {frozenset({"coffee", "juice"})}
    assert clauses("coffee OR (juice NOT tea) OR lang:ru") == {frozenset({"coffee", "juice", "f:lang:ru"})}


def test_index_files_a_query_under_its_rarest_clause() -> None:
    # "delivery" is in every query, each brand in one: a mention that says "delivery" but names
    # no brand is not a candidate of any of them.
    index: QueryIndex[int] = QueryIndex(
        {number: compile_query(f'"{brand} delivery"') for number, brand in enumerate(["kalomi", "raveto", "suneto"])}
    )
    assert index.candidates(prepare("slow delivery today")) == set()
    assert index.candidates(prepare("raveto in the news")) == set()  # the other clause is checked too
    assert index.candidates(prepare("Raveto delivery was slow")) == {1}
    assert index.match(prepare("Raveto delivery was slow")) == [1]


INDEX_WORDS = st.sampled_from(
    ["kaffe", "te", "blåbær", "магазин", "кофе", "咖啡", "蒲公英", "latte", "mocha", "lat*", "маг*", "kalomi"]
)


def _index_leaves() -> st.SearchStrategy[Term | Phrase | Field]:
    return st.one_of(
        INDEX_WORDS.map(Term),
        st.lists(st.sampled_from(["kaffe", "te", "latte", "магазина", "kalomi"]), min_size=1, max_size=3).map(
            lambda words: Phrase(" ".join(words))
        ),
        st.sampled_from([("lang", "ru"), ("lang", "no"), ("country", "NO"), ("author", "anna")]).map(
            lambda pair: Field(*pair)
        ),
    )


def _index_trees() -> st.SearchStrategy[object]:
    positional = st.recursive(
        st.one_of(INDEX_WORDS.map(Term), st.sampled_from(["kaffe te", "latte mocha", "kalomi kaffe"]).map(Phrase)),
        lambda inner: st.one_of(
            st.builds(Near, inner, inner, st.integers(0, 3), st.booleans()),
            st.lists(inner, min_size=2, max_size=3).map(lambda children: Or(tuple(children))),
        ),
        max_leaves=4,
    )
    return st.recursive(
        st.one_of(_index_leaves(), positional),
        lambda inner: st.one_of(
            st.lists(inner, min_size=2, max_size=3).map(lambda children: And(tuple(children))),
            st.lists(inner, min_size=2, max_size=3).map(lambda children: Or(tuple(children))),
            st.tuples(inner, inner).map(lambda pair: And((pair[0], Not(pair[1])))),
        ),
        max_leaves=8,
    )


INDEX_TEXTS = st.lists(
    st.sampled_from([*VOCABULARY, "蒲公英", "kalomi", "Kalomi's", "latter", "магазинах", "x", "."]), max_size=12
).map(" ".join)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    trees=st.lists(_index_trees(), min_size=1, max_size=12),
    documents=st.lists(
        st.tuples(INDEX_TEXTS, LANGUAGES, st.sampled_from(["", "NO", "RU"]), st.sampled_from(["", "anna", "bob"])),
        min_size=1,
        max_size=6,
    ),
)
def test_the_index_finds_exactly_what_every_query_finds(
    trees: list[object], documents: list[tuple[str, str, str, str]]
) -> None:
    queries = {number: compile_query(unparse(tree)) for number, tree in enumerate(trees)}  # type: ignore[arg-type]
    index = QueryIndex(queries)
    for text, language, country, author in documents:
        document = prepare(text, language=language, country=country, author=author)
        expected = [number for number, query in queries.items() if query.matches(document)]
        assert index.match(document) == expected
        for query in queries.values():
            assert query.may_match(document) or not query.matches(document)


@settings(max_examples=500)
@given(title=st.text(max_size=30), text=st.text(max_size=60))
def test_a_title_and_a_text_tokenize_apart_as_together(title: str, text: str) -> None:
    # The pipeline tokenizes a mention's text once (dedupe) and adds the title's tokens for matching.
    assert tokenize_text(f"{title}\n{text}") == tokenize_text(title) + tokenize_text(text)


def test_a_wildcard_term_with_a_character_that_folds_to_punctuation_is_refused_at_it() -> None:
    with pytest.raises(QuerySyntaxError) as refused:
        parse("ab¼*")  # ¼ folds to 1, a fraction slash and 4
    assert refused.value.position == 3
