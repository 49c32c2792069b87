# ruff: noqa: RUF001, RUF002 - Cyrillic, Han and full-width letters here are meant.
"""The boolean query language of topics: parsing, compiling and matching mentions.

Pure Python, no Django, so that it can be benchmarked alone and run in any worker.

Syntax (see ``docs/listening.md`` for the user reference):

* words: ``coffee`` — case and accent insensitive; Russian words also match their
  inflected forms (``магазин`` matches ``магазина``, ``магазинов``).
* phrases: ``"flat white"`` — the words in this order, each in exactly this form (no
  Russian stemming); ``«…»`` and ``“…”`` are accepted as quotation marks too.
* wildcards: ``coffee*`` (any ending), ``colo?r`` (one character); at least two letters
  must come before the first wildcard.
* ``AND``, ``OR``, ``NOT`` (upper case; lower-case ``and``/``or``/``not`` are plain words),
  ``-word`` as a short form of ``NOT word``; two terms side by side mean ``AND``.
* ``a NEAR/n b``: ``a`` and ``b`` with at most ``n`` tokens between them, in either order;
  ``NEAR/nf`` requires ``a`` before ``b``.
* parentheses; precedence from tightest: ``NOT``, ``NEAR``, ``AND`` (written or implicit), ``OR``.
* field filters: ``lang:ru``, ``source:rss``, ``author:@handle``, ``country:NO``.

Chinese has no spaces between words: Chinese text is converted to simplified characters
and cut into dictionary words without stop words (:mod:`pappus.listening.chinese`), so a
Chinese term matches those words side by side (a long word also stands for the words inside
it), and ``NEAR/n`` counts words there. Japanese (text with kana) keeps every Han or kana
character as one token: a term matches wherever its characters stand side by side.

A query is compiled once (:func:`compile_query`) and matched many times against a
:class:`Document` prepared once per mention (:func:`prepare`). Each compiled query
exposes ``clauses``: sets of keys such that the document's ``keys`` must share one with every
set for the query to be able to match, so :class:`QueryIndex` skips queries that cannot match
(it files each query under its rarest clause and checks the others with set tests).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from pappus.listening import chinese

__all__ = [
    "FIELDS",
    "And",
    "CompiledQuery",
    "Document",
    "Field",
    "Near",
    "Node",
    "Not",
    "Or",
    "Phrase",
    "QueryIndex",
    "QuerySyntaxError",
    "Term",
    "compile_query",
    "fold",
    "parse",
    "prepare",
    "russian_stem",
    "tokenize_text",
    "unparse",
    "validate",
]

FIELDS: Final = ("lang", "source", "author", "country")
WILDCARDS: Final = frozenset("*?")
MINIMUM_WILDCARD_PREFIX: Final = 2
LONG_PREFIX: Final = 4  # wildcards with this many letters before the * are indexed by all of them
MAXIMUM_QUERY_LENGTH: Final = 4000
MAXIMUM_NEAR_DISTANCE: Final = 100

# Languages that users name in more than one way map to one code.
LANGUAGE_ALIASES: Final = {"nb": "no", "nn": "no", "iw": "he", "in": "id", "zh-hans": "zh", "zh-hant": "zh"}

_OPEN_QUOTES: Final = {'"': '"', "«": "»", "“": "”", "„": "“"}
_CJK_RANGES: Final = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHARACTER = re.compile(f"[{_CJK_RANGES}]")
_CJK_SPLIT = re.compile(f"[{_CJK_RANGES}]|[^{_CJK_RANGES}]+")
_WORD = re.compile(r"[^\W_]+")
_APOSTROPHES = re.compile("['\u2019\u02bc]")
_COMBINING_MARKS = re.compile("[\u0300-\u036f]")
_SHORT_I_GUARD = "\ue000"  # keeps Russian й from losing its breve when diacritics are stripped
_BEFORE_DECOMPOSITION = str.maketrans({"й": _SHORT_I_GUARD, "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d"})
_AFTER_DECOMPOSITION = str.maketrans({_SHORT_I_GUARD: "й"})
# str.translate with a table looks up every character of a non-ASCII text (~30 µs for a post):
# these tell whether a text has any character the tables change at all.
_BEFORE_DECOMPOSITION_CHARACTERS = re.compile("[йøæœłđ]")
_CYRILLIC = re.compile("[а-яё]")
_NEAR = re.compile(r"NEAR/(\d+)(f?)")


class QuerySyntaxError(ValueError):
    """A query that cannot be parsed: ``position`` is 1-based, ``expected`` says what was wanted."""

    def __init__(self, position: int, message: str) -> None:
        self.position = position
        self.detail = message
        super().__init__(f"position {position}: {message}")


# ---------------------------------------------------------------------------
# Text normalization, shared by queries and mentions so that both fold alike.


def fold(text: str) -> str:
    """Lower case without accents: ``Blåbær`` → ``blabaer``, ``ЁЛКА`` → ``елка``, ``й`` kept.

    Full-width forms become plain (``ＡＢＣ`` → ``abc``); apostrophes inside words vanish so
    ``McDonald's`` and ``McDonalds`` are the same word.
    """
    text = text.casefold()
    if not text.isascii():
        if _BEFORE_DECOMPOSITION_CHARACTERS.search(text):
            text = text.translate(_BEFORE_DECOMPOSITION)
        text = _COMBINING_MARKS.sub("", unicodedata.normalize("NFKD", text))
        text = unicodedata.normalize("NFC", text)
        if _SHORT_I_GUARD in text:
            text = text.translate(_AFTER_DECOMPOSITION)
    if "'" in text or not text.isascii():
        text = _APOSTROPHES.sub("", text)
    return text


def tokenize_text(text: str) -> list[str]:
    """Folded tokens of ``text``: words of letters and digits.

    Chinese (Han characters, no kana) is converted to simplified characters and cut into
    dictionary words without its stop words (:mod:`pappus.listening.chinese`); Japanese (any
    kana in the text) keeps each Han or kana character as a token of its own.
    """
    folded = fold(text)
    if folded.isascii() or not _CJK_CHARACTER.search(folded):
        return _WORD.findall(folded)
    tokens: list[str] = []
    if chinese.has_kana(folded):
        for word in _WORD.findall(folded):
            if not _CJK_CHARACTER.search(word):
                tokens.append(word)
            else:
                tokens.extend(_CJK_SPLIT.findall(word))
        return tokens
    if chinese.has_han(folded):
        folded = chinese.to_simplified(folded)
    for word in _WORD.findall(folded):
        if word.isascii() or not _CJK_CHARACTER.search(word):
            tokens.append(word)
        else:
            tokens.extend(chinese.words(word))
    return tokens


def _is_cjk(token: str) -> bool:
    return len(token) == 1 and _CJK_CHARACTER.match(token) is not None


# ---------------------------------------------------------------------------
# A light Russian stemmer (after Snowball's): strips inflectional endings so that word
# forms of one lexeme share a stem. Derived words keep distinct stems (кофе ≠ кофейня).

_VOWELS: Final = frozenset("аеиоуыэюя")
_PERFECTIVE_GERUND_AFTER_A: Final = ("вшись", "вши", "в")
_PERFECTIVE_GERUND: Final = ("ившись", "ывшись", "ивши", "ывши", "ив", "ыв")
_REFLEXIVE: Final = ("ся", "сь")
_ADJECTIVE: Final = (
    *("ими", "ыми", "его", "ого", "ему", "ому"),
    *("ее", "ие", "ые", "ое", "ей", "ий", "ый", "ой", "ем", "им", "ым", "ом"),
    *("их", "ых", "ую", "юю", "ая", "яя", "ою", "ею"),
)
_PARTICIPLE_AFTER_A: Final = ("ем", "нн", "вш", "ющ", "щ")
_PARTICIPLE: Final = ("ивш", "ывш", "ующ")
_VERB_AFTER_A: Final = (
    "ете",
    "йте",
    "ешь",
    "нно",
    "ла",
    "на",
    "ли",
    "ем",
    "ло",
    "но",
    "ет",
    "ют",
    "ны",
    "ть",
    "й",
    "л",
    "н",
)
_VERB: Final = (
    *("ейте", "уйте", "ила", "ыла", "ена", "ите", "или", "ыли", "ило", "ыло", "ено", "ует", "уют", "ены", "ить", "ыть"),
    *("ишь", "ей", "уй", "ил", "ыл", "им", "ым", "ен", "ят", "ит", "ыт", "ую", "ю"),
)
_NOUN: Final = (
    *("иями", "ями", "ами", "ией", "иям", "ием", "иях"),
    *("ев", "ов", "ие", "ье", "еи", "ии", "ей", "ой", "ий", "ям", "ем", "ам", "ом", "ах", "ях", "ию", "ью", "ия", "ья"),
    *("а", "е", "и", "й", "о", "у", "ы", "ь", "ю", "я"),
)
_SUPERLATIVE: Final = ("ейше", "ейш")
_DERIVATIONAL: Final = ("ость", "ост")


def _regions(word: str) -> tuple[int, int]:
    """Snowball's RV and R2 start offsets."""
    rv = next((index + 1 for index, letter in enumerate(word) if letter in _VOWELS), len(word))
    r1 = next(
        (index + 1 for index in range(1, len(word)) if word[index] not in _VOWELS and word[index - 1] in _VOWELS),
        len(word),
    )
    r2 = next(
        (index + 1 for index in range(r1 + 1, len(word)) if word[index] not in _VOWELS and word[index - 1] in _VOWELS),
        len(word),
    )
    return rv, r2


def _strip(word: str, start: int, endings: Sequence[str], after_a: Sequence[str] = ()) -> str | None:
    """``word`` without the longest of ``endings`` found at or after ``start``, else None."""
    for ending in sorted((*after_a, *endings), key=len, reverse=True):
        if word.endswith(ending) and len(word) - len(ending) >= start:
            if ending in after_a and ending not in endings:
                cut = len(word) - len(ending)
                if cut - 1 < start or word[cut - 1] not in "ая":
                    continue
            return word[: len(word) - len(ending)]
    return None


@functools.lru_cache(maxsize=200_000)
def russian_stem(word: str) -> str:
    """The stem of a folded Russian word: ``магазинов`` → ``магазин``; other words unchanged."""
    if len(word) < 3 or not _CYRILLIC.match(word):
        return word
    rv, r2 = _regions(word)
    stem = _strip(word, rv, _PERFECTIVE_GERUND, _PERFECTIVE_GERUND_AFTER_A)
    if stem is None:
        word = _strip(word, rv, _REFLEXIVE) or word
        stem = _strip(word, rv, _ADJECTIVE)
        if stem is not None:
            stem = _strip(stem, rv, _PARTICIPLE, _PARTICIPLE_AFTER_A) or stem
        else:
            stem = _strip(word, rv, _VERB, _VERB_AFTER_A) or _strip(word, rv, _NOUN)
    word = stem if stem is not None else word
    if word.endswith("и") and len(word) - 1 >= rv:
        word = word[:-1]
    if word.endswith(_DERIVATIONAL) and len(word) - 4 >= r2:
        word = _strip(word, r2, _DERIVATIONAL) or word
    if word.endswith("нн"):
        word = word[:-1]
    else:
        superlative = _strip(word, rv, _SUPERLATIVE)
        if superlative is not None:
            word = superlative[:-1] if superlative.endswith("нн") else superlative
        elif word.endswith("ь") and len(word) - 1 >= rv:
            word = word[:-1]
    return word


# ---------------------------------------------------------------------------
# The syntax tree. Positions are 1-based offsets into the query text, left out of equality.


@dataclass(frozen=True, slots=True)
class Term:
    """A word as typed (may hold wildcards), matched in any of its forms."""

    text: str
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Phrase:
    """Quoted words, in this order and each in exactly this form."""

    text: str
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Field:
    """A filter on a property of the mention: ``lang``, ``source``, ``author`` or ``country``."""

    name: str
    value: str
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Not:
    child: Node
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]
    position: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Near:
    """``left`` and ``right`` with at most ``distance`` tokens between them (``ordered``: left first)."""

    left: Node
    right: Node
    distance: int
    ordered: bool = False
    position: int = field(default=0, compare=False)


type Node = Term | Phrase | Field | Not | And | Or | Near


# ---------------------------------------------------------------------------
# Tokens of the query language.


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # WORD, PHRASE, FIELD, AND, OR, NOT, NEAR, LPAREN, RPAREN, END
    text: str
    position: int
    distance: int = 0
    ordered: bool = False
    field_name: str = ""


_OPERATORS: Final = {"AND", "OR", "NOT"}
_TERM_STARTS: Final = {"WORD", "PHRASE", "FIELD", "LPAREN", "NOT"}
_EXPECTED_OPERAND: Final = "a word, phrase, field filter or opening parenthesis"


def _describe(token: _Token) -> str:
    if token.kind == "END":
        return "the end of the query"
    if token.kind == "RPAREN":
        return "a closing parenthesis"
    if token.kind == "LPAREN":
        return "an opening parenthesis"
    if token.kind == "PHRASE":
        return "a phrase"
    if token.kind in _OPERATORS or token.kind == "NEAR":
        return token.text
    return f"'{token.text}'"


def _read_quoted(text: str, start: int) -> tuple[str, int]:
    """The inside of the quotation starting at ``start`` and the offset after its closing mark."""
    closing = _OPEN_QUOTES[text[start]]
    end = text.find(closing, start + 1)
    if end < 0:
        raise QuerySyntaxError(
            len(text) + 1, f"expected a closing quotation mark ({closing}) for the phrase opened at {start + 1}"
        )
    return text[start + 1 : end], end + 1


def _lex(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    index, length = 0, len(text)
    while index < length:
        character = text[index]
        position = index + 1
        if character.isspace():
            index += 1
        elif character == "(":
            tokens.append(_Token("LPAREN", "(", position))
            index += 1
        elif character == ")":
            tokens.append(_Token("RPAREN", ")", position))
            index += 1
        elif character in _OPEN_QUOTES:
            inside, index = _read_quoted(text, index)
            tokens.append(_Token("PHRASE", inside, position))
        elif character == "-" and index + 1 < length and not text[index + 1].isspace() and text[index + 1] != "-":
            tokens.append(_Token("NOT", "-", position))
            index += 1
        else:
            end = index
            while end < length and not text[end].isspace() and text[end] not in "()" and text[end] not in _OPEN_QUOTES:
                end += 1
            word = text[index:end]
            if word.endswith(":") and end < length and text[end] in _OPEN_QUOTES:
                inside, end = _read_quoted(text, end)
                tokens.append(_Token("FIELD", inside, position, field_name=word[:-1]))
            elif word in _OPERATORS:
                tokens.append(_Token(word, word, position))
            elif word.startswith("NEAR/"):
                near = _NEAR.fullmatch(word)
                if near is None:
                    raise QuerySyntaxError(position + 5, "expected a number after NEAR/ (as in NEAR/5 or NEAR/5f)")
                distance = int(near.group(1))
                if distance > MAXIMUM_NEAR_DISTANCE:
                    raise QuerySyntaxError(position + 5, f"expected a distance of at most {MAXIMUM_NEAR_DISTANCE}")
                tokens.append(_Token("NEAR", word, position, distance=distance, ordered=bool(near.group(2))))
            elif ":" in word:
                name, _, value = word.partition(":")
                tokens.append(_Token("FIELD", value, position, field_name=name))
            else:
                tokens.append(_Token("WORD", word, position))
            index = end
    tokens.append(_Token("END", "", length + 1))
    return tokens


# ---------------------------------------------------------------------------
# The recursive-descent parser.


def _check_word(word: str, position: int) -> None:
    """Reject words that would search for nothing, or wildcards that cannot be matched well."""
    if not any(character in WILDCARDS for character in word):
        if not tokenize_text(word):
            if _CJK_CHARACTER.search(word):
                raise QuerySyntaxError(
                    position, f"'{word}' holds only Chinese stop words (such as 的, 了, 是), too common to search for"
                )
            raise QuerySyntaxError(position, f"'{word}' has no letters or digits to search for")
        return
    folded = fold(word)
    first = min(folded.index(wildcard) for wildcard in WILDCARDS if wildcard in folded)
    prefix = folded[:first]
    if _CJK_CHARACTER.search(folded):
        raise QuerySyntaxError(
            position, "wildcards are not used with Chinese or Japanese terms; they already match inside longer text"
        )
    if not all(character.isalnum() or character in WILDCARDS for character in folded):
        offending = next(
            (
                index
                for index, character in enumerate(word)
                if not all(part.isalnum() or part in WILDCARDS for part in fold(character))
            ),
            0,
        )  # a character whose folded form is not a letter or digit, as ¼ (one, a fraction slash, four)
        raise QuerySyntaxError(
            position + offending, "expected only letters and digits besides * and ? in a wildcard term"
        )
    if len(prefix) < MINIMUM_WILDCARD_PREFIX:
        raise QuerySyntaxError(
            position + first, f"expected at least {MINIMUM_WILDCARD_PREFIX} letters before a wildcard (as in cof*)"
        )


def _check_field(token: _Token) -> Field:
    name, value, position = token.field_name.lower(), token.text.strip(), token.position
    if name not in FIELDS:
        raise QuerySyntaxError(
            position,
            f"unknown field '{token.field_name}'; expected one of {', '.join(FIELDS)} (quote text with a colon)",
        )
    value_position = position + len(name) + 1
    if not value:
        raise QuerySyntaxError(value_position, f"expected a value after '{name}:'")
    if name == "lang":
        if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})?", value):
            raise QuerySyntaxError(value_position, "expected a language code such as ru, en, nb or zh")
        value = value.lower()
    elif name == "country":
        if not re.fullmatch(r"[A-Za-z]{2}", value):
            raise QuerySyntaxError(value_position, "expected a two-letter country code such as NO")
        value = value.upper()
    elif name == "author":
        value = value.removeprefix("@")
        if not value:
            raise QuerySyntaxError(value_position, "expected an author handle after 'author:@'")
    return Field(name, value, position)


def _is_positional(node: Node) -> bool:
    if isinstance(node, Term | Phrase | Near):
        return True
    if isinstance(node, Or):
        return all(_is_positional(child) for child in node.children)
    return False


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _lex(text)
        self.index = 0

    @property
    def current(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def parse(self) -> Node:
        if self.current.kind == "END":
            raise QuerySyntaxError(1, "the query is empty; expected a word, phrase or field filter")
        node = self.parse_or()
        if self.current.kind == "RPAREN":
            raise QuerySyntaxError(self.current.position, "unexpected closing parenthesis; no group is open")
        if self.current.kind != "END":  # pragma: no cover - every other token starts or joins a term
            raise QuerySyntaxError(self.current.position, f"unexpected {_describe(self.current)}")
        return node

    def parse_or(self) -> Node:
        start = self.current.position
        children = [self.parse_and()]
        while self.current.kind == "OR":
            self.advance()
            children.append(self.parse_and(after="OR"))
        return children[0] if len(children) == 1 else Or(tuple(children), start)

    def parse_and(self, after: str = "") -> Node:
        start = self.current.position
        children = [self.parse_unary(after)]
        while True:
            if self.current.kind == "AND":
                self.advance()
                children.append(self.parse_unary("AND"))
            elif self.current.kind in _TERM_STARTS:
                children.append(self.parse_unary())
            else:
                break
        return children[0] if len(children) == 1 else And(tuple(children), start)

    def parse_unary(self, after: str = "") -> Node:
        if self.current.kind == "NOT":
            token = self.advance()
            return Not(self.parse_unary(token.text), token.position)
        return self.parse_near(after)

    def parse_near(self, after: str) -> Node:
        node = self.parse_primary(after)
        while self.current.kind == "NEAR":
            operator = self.advance()
            if not _is_positional(node):
                raise QuerySyntaxError(
                    operator.position, f"{operator.text} needs words or phrases on its left, not a filter or AND group"
                )
            right_start = self.current
            right = self.parse_primary(operator.text)
            if not _is_positional(right):
                raise QuerySyntaxError(
                    right_start.position,
                    f"{operator.text} needs words or phrases on its right, not a filter or AND group",
                )
            node = Near(node, right, operator.distance, operator.ordered, operator.position)
        return node

    def parse_primary(self, after: str) -> Node:
        token = self.current
        if token.kind == "WORD":
            self.advance()
            _check_word(token.text, token.position)
            return Term(token.text, token.position)
        if token.kind == "PHRASE":
            self.advance()
            words = token.text.split()
            if not words or not any(tokenize_text(word) for word in words):
                if any(_CJK_CHARACTER.search(word) for word in words):
                    raise QuerySyntaxError(
                        token.position,
                        "the phrase holds only Chinese stop words (such as 的, 了, 是), too common to search for",
                    )
                raise QuerySyntaxError(
                    token.position, "the phrase is empty; expected words between the quotation marks"
                )
            offset = 0
            for word in words:
                offset = token.text.index(word, offset)
                if any(character in WILDCARDS for character in word):
                    _check_word(word, token.position + 1 + offset)
                offset += len(word)
            return Phrase(" ".join(words), token.position)
        if token.kind == "FIELD":
            self.advance()
            return _check_field(token)
        if token.kind == "LPAREN":
            self.advance()
            if self.current.kind == "RPAREN":
                raise QuerySyntaxError(self.current.position, f"the group is empty; expected {_EXPECTED_OPERAND}")
            node = self.parse_or()
            if self.current.kind != "RPAREN":
                raise QuerySyntaxError(
                    self.current.position,
                    f"expected a closing parenthesis for the one opened at {token.position}, "
                    f"found {_describe(self.current)}",
                )
            self.advance()
            return node
        where = f" after {after}" if after else ""
        raise QuerySyntaxError(token.position, f"expected {_EXPECTED_OPERAND}{where}, found {_describe(token)}")


def _first_negation(node: Node) -> Not | None:
    """The NOT that leaves ``node`` matching on exclusions alone, if any."""
    if isinstance(node, Not):
        return node
    if isinstance(node, And):
        found = [_first_negation(child) for child in node.children]
        return found[0] if all(item is not None for item in found) else None
    if isinstance(node, Or):
        return next((item for item in map(_first_negation, node.children) if item is not None), None)
    return None


def parse(text: str) -> Node:
    """The syntax tree of ``text``; raises :class:`QuerySyntaxError` with position and expectation."""
    if len(text) > MAXIMUM_QUERY_LENGTH:
        raise QuerySyntaxError(MAXIMUM_QUERY_LENGTH + 1, f"the query is longer than {MAXIMUM_QUERY_LENGTH} characters")
    node = _Parser(text).parse()
    negation = _first_negation(node)
    if negation is not None:
        raise QuerySyntaxError(
            negation.position,
            "a query cannot match on exclusions alone; expected a word, phrase or filter "
            "that is not negated (as in coffee NOT tea)",
        )
    return node


def validate(text: str) -> None:
    """Raise :class:`QuerySyntaxError` when ``text`` is not a valid query."""
    parse(text)


def _quote_field(value: str) -> str:
    return f'"{value}"' if any(character.isspace() or character in '()"' for character in value) else value


def unparse(node: Node) -> str:
    """The canonical text of ``node``, fully parenthesized; ``parse(unparse(n)) == n``."""
    if isinstance(node, Term):
        return node.text
    if isinstance(node, Phrase):
        return f'"{node.text}"'
    if isinstance(node, Field):
        value = f"@{node.value}" if node.name == "author" else node.value
        return f"{node.name}:{_quote_field(value)}"
    if isinstance(node, Not):
        return f"NOT {unparse(node.child)}"
    if isinstance(node, And):
        return "(" + " AND ".join(unparse(child) for child in node.children) + ")"
    if isinstance(node, Or):
        return "(" + " OR ".join(unparse(child) for child in node.children) + ")"
    suffix = "f" if node.ordered else ""
    return f"({unparse(node.left)} NEAR/{node.distance}{suffix} {unparse(node.right)})"


# ---------------------------------------------------------------------------
# Documents: one mention prepared once for every query.


@dataclass(slots=True)
class Document:
    """A mention's text and properties, normalized once and shared by all queries."""

    tokens: list[str]
    by_token: dict[str, list[int]]
    by_stem: dict[str, list[int]]
    by_prefix: dict[str, list[str]]
    keys: frozenset[str]
    language: str
    sources: frozenset[str]
    author: str
    country: str


def normalize_language(code: str) -> str:
    """``zh-Hans`` → ``zh``, ``nb`` → ``no``: the primary subtag, with aliases merged."""
    code = code.strip().lower().replace("_", "-")
    code = LANGUAGE_ALIASES.get(code, code)
    primary = code.split("-", 1)[0]
    return LANGUAGE_ALIASES.get(primary, primary)


def _add_subwords(by_token: dict[str, list[int]]) -> None:
    """Each long Chinese word also stands, at its own positions, for the words inside it."""
    found: dict[str, list[int]] = {}
    for token, positions in by_token.items():
        if len(token) >= chinese.MINIMUM_SUBWORD_PARENT and chinese.is_han_word(token):
            for part in chinese.subwords(token):
                found.setdefault(part, []).extend(positions)
    for part, positions in found.items():
        existing = by_token.get(part)
        by_token[part] = sorted(set(positions + existing)) if existing else sorted(set(positions))


def _stems_and_prefixes(
    by_token: dict[str, list[int]], *, ascii_only: bool
) -> tuple[dict[str, list[int]], dict[str, list[str]], list[str]]:
    """Positions per stem, tokens per two-letter prefix, and the ``q:`` keys of the long tokens."""
    by_stem: dict[str, list[int]]
    if ascii_only:
        by_stem = dict(by_token)  # no Russian word: every token is its own stem
    else:
        by_stem = {}
        for token, positions in by_token.items():
            stem = russian_stem(token) if "а" <= token[0] <= "я" else token
            existing = by_stem.get(stem)
            if existing is None:
                by_stem[stem] = positions
            else:
                by_stem[stem] = sorted(existing + positions)
    by_prefix: dict[str, list[str]] = {}
    long_prefixes: list[str] = []
    for token in by_token:
        if len(token) >= MINIMUM_WILDCARD_PREFIX:
            prefix = token[:MINIMUM_WILDCARD_PREFIX]
            found = by_prefix.get(prefix)
            if found is None:
                by_prefix[prefix] = [token]
            else:
                found.append(token)
            if len(token) >= LONG_PREFIX:
                long_prefixes.append("q:" + token[:LONG_PREFIX])
    return by_stem, by_prefix, long_prefixes


def prepare(
    text: str,
    *,
    language: str = "",
    sources: Iterable[str] = (),
    author: str = "",
    country: str = "",
    tokens: list[str] | None = None,
) -> Document:
    """The :class:`Document` of one mention; ``sources`` are its source kind and network names.

    ``tokens``: ``tokenize_text(text)`` when the caller has them already (the pipeline's dedupe
    stage tokenizes each text once).
    """
    if tokens is None:
        tokens = tokenize_text(text)
    by_token: dict[str, list[int]] = {}
    for position, token in enumerate(tokens):
        positions = by_token.get(token)
        if positions is None:
            by_token[token] = [position]
        else:
            positions.append(position)
    if not text.isascii():
        _add_subwords(by_token)
    by_stem, by_prefix, long_prefixes = _stems_and_prefixes(by_token, ascii_only=text.isascii())
    keys: set[str] = set(by_stem)
    keys.update(["p:" + prefix for prefix in by_prefix])
    keys.update(long_prefixes)
    if not text.isascii() and _CJK_CHARACTER.search(text):
        previous_cjk = ""
        for token in tokens:
            if _is_cjk(token):
                if previous_cjk:
                    keys.add("b:" + previous_cjk + token)
                previous_cjk = token
            else:
                previous_cjk = ""
    source_names = frozenset(fold(source) for source in sources if source)
    language = normalize_language(language) if language else ""
    author = fold(author.strip().removeprefix("@"))
    country = country.strip().upper()
    keys.update(f"f:source:{name}" for name in source_names)
    for name, value in (("lang", language), ("author", author), ("country", country)):
        if value:
            keys.add(f"f:{name}:{value}")
    return Document(tokens, by_token, by_stem, by_prefix, frozenset(keys), language, source_names, author, country)


# ---------------------------------------------------------------------------
# Compilation into closures and anchors.

type _Spans = list[tuple[int, int]]
type _SpanFunction = Callable[[Document], _Spans]
type _MatchFunction = Callable[[Document], bool]


@dataclass(frozen=True, slots=True)
class _Element:
    """One token slot of a term or phrase: exact form, stem or wildcard pattern."""

    value: str
    mode: str  # "exact", "stem" or "wildcard"
    pattern: re.Pattern[str] | None = None

    def positions(self, document: Document) -> list[int]:
        if self.mode == "stem":
            return document.by_stem.get(self.value, [])
        if self.mode == "exact":
            return document.by_token.get(self.value, [])
        pattern = self.pattern
        if pattern is None:  # pragma: no cover - wildcard elements are always built with a pattern
            return []
        prefix, by_token = self.value, document.by_token
        found: list[int] = []
        for token in document.by_prefix.get(prefix[:MINIMUM_WILDCARD_PREFIX], ()):
            if token.startswith(prefix) and pattern.fullmatch(token):
                found.extend(by_token[token])
        return sorted(found)

    @property
    def anchor(self) -> str:
        if self.mode == "wildcard":
            if len(self.value) >= LONG_PREFIX:  # a finer key: far fewer documents share four letters than two
                return "q:" + self.value[:LONG_PREFIX]
            return "p:" + self.value[:MINIMUM_WILDCARD_PREFIX]
        return russian_stem(self.value) if self.mode == "exact" else self.value


def _wildcard_element(word: str) -> _Element:
    folded = fold(word)
    prefix = folded[: min(folded.index(w) for w in WILDCARDS if w in folded)]
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in folded)
    return _Element(prefix, "wildcard", re.compile(regex))


def _elements(text: str, *, exact: bool) -> list[_Element]:
    elements: list[_Element] = []
    for word in text.split():
        if any(character in WILDCARDS for character in word):
            elements.append(_wildcard_element(word))
            continue
        for token in tokenize_text(word):
            if exact or _is_cjk(token):
                elements.append(_Element(token, "exact"))
            else:
                elements.append(_Element(russian_stem(token), "stem"))
    return elements


@dataclass(frozen=True, slots=True)
class _Anchors:
    """Keys of which one must be in a document for the node to match; ``weak`` for field-only keys."""

    keys: frozenset[str]
    weak: bool = False

    def rank(self) -> tuple[bool, int, int]:
        return (self.weak, len(self.keys), -min((len(key) for key in self.keys), default=0))


# A node's clauses: every one of them must share a key with a document for the node to match
# (a conjunction of disjunctions of keys); None when no key is required (a NOT, say).
type _Clauses = tuple[_Anchors, ...]
# An OR of nodes needs one key of each child: its clauses are unions of one clause per child,
# the best few of each, so an OR of long phrases does not multiply out.
_CLAUSES_PER_CHILD: Final = 3
_MAXIMUM_CLAUSES: Final = 8


def _best(clauses: _Clauses) -> _Anchors:
    return min(clauses, key=_Anchors.rank)


def _all_of(parts: Iterable[_Clauses | None]) -> _Clauses | None:
    """Clauses of a node that needs every part (AND, NEAR): all of theirs."""
    found: dict[_Anchors, None] = {}
    for clauses in parts:
        for clause in clauses or ():
            found.setdefault(clause)
    return tuple(found) or None


def _any_of(parts: Sequence[_Clauses | None]) -> _Clauses | None:
    """Clauses of a node that needs one of its parts (OR): each a union of one clause per part."""
    if any(clauses is None for clauses in parts):
        return None
    combined: list[_Anchors] = [_Anchors(frozenset())]
    for clauses in parts:
        if clauses is None:  # pragma: no cover - excluded above; keeps the type checker informed
            return None
        best = sorted(clauses, key=_Anchors.rank)[:_CLAUSES_PER_CHILD]
        combined = [_Anchors(left.keys | right.keys, left.weak or right.weak) for left in combined for right in best][
            :_MAXIMUM_CLAUSES
        ]
    return tuple(dict.fromkeys(combined))


def _sequence_anchors(elements: Sequence[_Element]) -> _Clauses:
    """One clause per token slot (its stem, form or wildcard prefix), and one per pair of
    neighbouring Chinese characters (the document's ``b:`` keys)."""
    clauses = [_Anchors(frozenset({element.anchor})) for element in elements]
    for index in range(len(elements) - 1):
        first, second = elements[index], elements[index + 1]
        if first.mode == "exact" and second.mode == "exact" and _is_cjk(first.value) and _is_cjk(second.value):
            clauses.append(_Anchors(frozenset({"b:" + first.value + second.value})))
    return tuple(dict.fromkeys(clauses))


def _sequence_spans(elements: Sequence[_Element]) -> _SpanFunction:
    if len(elements) == 1:
        only = elements[0]
        return lambda document: [(position, position) for position in only.positions(document)]
    first, rest = elements[0], elements[1:]
    width = len(elements) - 1

    def spans(document: Document) -> _Spans:
        starts = first.positions(document)
        if not starts:
            return []
        others = []
        for element in rest:
            positions = element.positions(document)
            if not positions:
                return []
            others.append(frozenset(positions))
        return [
            (start, start + width)
            for start in starts
            if all(start + offset in positions for offset, positions in enumerate(others, start=1))
        ]

    return spans


def _near_spans(left: _SpanFunction, right: _SpanFunction, distance: int, ordered: bool) -> _SpanFunction:
    def spans(document: Document) -> _Spans:
        left_spans = left(document)
        if not left_spans:
            return []
        right_spans = right(document)
        found: _Spans = []
        for left_start, left_end in left_spans:
            for right_start, right_end in right_spans:
                if right_start > left_end:
                    gap = right_start - left_end - 1
                elif not ordered and left_start > right_end:
                    gap = left_start - right_end - 1
                else:
                    continue
                if gap <= distance:
                    found.append((min(left_start, right_start), max(left_end, right_end)))
        return found

    return spans


class _Compiler:
    def spans(self, node: Node) -> tuple[_SpanFunction, _Clauses]:
        if isinstance(node, Term | Phrase):
            elements = _elements(node.text, exact=isinstance(node, Phrase))
            return _sequence_spans(elements), _sequence_anchors(elements)
        if isinstance(node, Or):
            parts = [self.spans(child) for child in node.children]
            functions = [function for function, _ in parts]
            clauses = _any_of([clauses for _, clauses in parts])
            if clauses is None:  # pragma: no cover - positional nodes always have clauses
                raise TypeError(f"no clauses for {node!r}")
            return (lambda document: [span for function in functions for span in function(document)]), clauses
        if isinstance(node, Near):
            left, left_clauses = self.spans(node.left)
            right, right_clauses = self.spans(node.right)
            both = _all_of([left_clauses, right_clauses])
            if both is None:  # pragma: no cover - positional nodes always have clauses
                raise TypeError(f"no clauses for {node!r}")
            return _near_spans(left, right, node.distance, node.ordered), both
        raise TypeError(f"not a positional node: {node!r}")  # pragma: no cover - the parser prevents it

    def match(self, node: Node) -> tuple[_MatchFunction, _Clauses | None]:
        if (
            isinstance(node, Term | Phrase)
            and len(elements := _elements(node.text, exact=isinstance(node, Phrase))) == 1
        ):
            element = elements[0]
            if element.mode == "stem":
                return (lambda document: element.value in document.by_stem), _sequence_anchors(elements)
            if element.mode == "exact":
                return (lambda document: element.value in document.by_token), _sequence_anchors(elements)
        if isinstance(node, Term | Phrase | Near):
            function, clauses = self.spans(node)
            return (lambda document: bool(function(document))), clauses
        if isinstance(node, Field):
            return self.field(node)
        if isinstance(node, Not):
            child, _ = self.match(node.child)
            return (lambda document: not child(document)), None
        if isinstance(node, And):
            parts = [self.match(child) for child in node.children]
            functions = tuple(function for function, _ in parts)
            return (lambda document: all(function(document) for function in functions)), _all_of(
                clauses for _, clauses in parts
            )
        if isinstance(node, Or):
            parts = [self.match(child) for child in node.children]
            functions = tuple(function for function, _ in parts)
            return (lambda document: any(function(document) for function in functions)), _any_of(
                [clauses for _, clauses in parts]
            )
        raise TypeError(f"unknown node: {node!r}")  # pragma: no cover

    def field(self, node: Field) -> tuple[_MatchFunction, _Clauses]:
        value = node.value
        if node.name == "lang":
            language = normalize_language(value)
            return (lambda document: document.language == language), (
                _Anchors(frozenset({f"f:lang:{language}"}), weak=True),
            )
        if node.name == "country":
            return (lambda document: document.country == value), (
                _Anchors(frozenset({f"f:country:{value}"}), weak=True),
            )
        if node.name == "author":
            author = fold(value)
            return (lambda document: document.author == author), (
                _Anchors(frozenset({f"f:author:{author}"}), weak=True),
            )
        source = fold(value)
        return (lambda document: source in document.sources), (_Anchors(frozenset({f"f:source:{source}"}), weak=True),)


@dataclass(frozen=True, slots=True)
class CompiledQuery:
    """A parsed query ready to match.

    ``clauses``: sets of keys such that a document can match only if it shares a key with every
    one of them (None when no key is required, as in ``NOT tea OR coffee``); ``anchors`` is the
    most selective-looking of them, kept for callers that index a single set.
    """

    text: str
    tree: Node
    anchors: frozenset[str] | None
    _match: _MatchFunction = field(repr=False, compare=False)
    clauses: tuple[frozenset[str], ...] | None = field(default=None, compare=False)
    weak_clauses: frozenset[frozenset[str]] = field(default=frozenset(), repr=False, compare=False)

    def matches(self, document: Document) -> bool:
        return self._match(document)

    def may_match(self, document: Document) -> bool:
        """False when a clause has no key in the document (then :meth:`matches` is False too)."""
        keys = document.keys
        return all(not keys.isdisjoint(clause) for clause in self.clauses or ())

    def matches_text(
        self, text: str, *, language: str = "", sources: Iterable[str] = (), author: str = "", country: str = ""
    ) -> bool:
        """Convenience for one-off checks; pipelines :func:`prepare` once per mention instead."""
        return self._match(prepare(text, language=language, sources=sources, author=author, country=country))


def compile_query(text: str) -> CompiledQuery:
    """Parse and compile ``text``; raises :class:`QuerySyntaxError`."""
    tree = parse(text)
    function, clauses = _Compiler().match(tree)
    if clauses is None:
        return CompiledQuery(text, tree, None, function)
    return CompiledQuery(
        text,
        tree,
        _best(clauses).keys,
        function,
        tuple(clause.keys for clause in sorted(clauses, key=_Anchors.rank)),
        frozenset(clause.keys for clause in clauses if clause.weak),
    )


class QueryIndex[Key: Hashable]:
    """Many compiled queries behind an inverted index of their clauses.

    Each query is filed under one of its clauses: the one whose keys the fewest other queries
    name (a brand's name rather than a word every topic uses; field values last, every document
    has some). A document's candidates are the queries filed under its keys; a candidate is then
    matched only when the document has a key of each of its other clauses too (a set test), so
    the full matcher runs on few queries that do not match. Built once per set of queries, on
    first use after a change.
    """

    def __init__(self, queries: Mapping[Key, CompiledQuery] | None = None) -> None:
        self._queries: dict[Key, CompiledQuery] = {}
        self._order: dict[Key, int] = {}
        self._by_anchor: dict[str, list[Key]] | None = None
        self._anchors: frozenset[str] = frozenset()
        self._other_clauses: dict[Key, tuple[frozenset[str], ...]] = {}
        self._unanchored: list[Key] = []
        for key, query in (queries or {}).items():
            self.add(key, query)

    def __len__(self) -> int:
        return len(self._queries)

    def add(self, key: Key, query: CompiledQuery) -> None:
        if key in self._queries:
            raise KeyError(f"a query is already indexed under {key!r}")
        self._queries[key] = query
        self._order[key] = len(self._order)
        self._by_anchor = None

    def _build(self) -> dict[str, list[Key]]:
        users: dict[str, int] = {}
        for query in self._queries.values():
            for anchor in {anchor for clause in query.clauses or () for anchor in clause}:
                users[anchor] = users.get(anchor, 0) + 1
        everyone = len(self._queries) + 1

        def cost(query: CompiledQuery, clause: frozenset[str]) -> tuple[int, int, int]:
            weak = clause in query.weak_clauses
            return (
                sum(users[anchor] + (everyone if weak else 0) for anchor in clause),
                len(clause),
                -min(len(anchor) for anchor in clause),
            )

        by_anchor: dict[str, list[Key]] = {}
        self._unanchored = []
        self._other_clauses = {}
        for key, query in self._queries.items():
            if not query.clauses:
                self._unanchored.append(key)
                continue
            chosen = min(query.clauses, key=functools.partial(cost, query))
            for anchor in chosen:
                by_anchor.setdefault(anchor, []).append(key)
            # A document found under the chosen clause has one of its keys: the others are checked.
            self._other_clauses[key] = tuple(clause for clause in query.clauses if clause != chosen)
        self._by_anchor = by_anchor
        self._anchors = frozenset(by_anchor)
        return by_anchor

    def candidates(self, document: Document) -> set[Key]:
        """Queries that may match ``document``; every other query certainly does not."""
        by_anchor = self._by_anchor if self._by_anchor is not None else self._build()
        found: set[Key] = set(self._unanchored)
        keys = document.keys
        others = self._other_clauses
        for anchor in self._anchors.intersection(keys):
            for key in by_anchor[anchor]:
                for clause in others[key]:
                    if keys.isdisjoint(clause):
                        break
                else:
                    found.add(key)
        return found

    def match(self, document: Document) -> list[Key]:
        """The keys of the queries that match ``document``, in the order they were added."""
        queries = self._queries
        return [
            key
            for key in sorted(self.candidates(document), key=self._order.__getitem__)
            if queries[key].matches(document)
        ]
