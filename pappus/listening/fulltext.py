"""Full-text search, pure Python: the indexed form of a mention and the search box's syntax.

One indexed form serves both databases, so a search finds the same mentions on both:
``search_text`` is the mention's folded tokens (case, accents and punctuation gone, as in topic
queries) separated by single spaces, with a space at each end.

* Chinese is converted to simplified characters and cut into dictionary words without stop words
  (:mod:`pappus.listening.chinese`): ``這家咖啡館很好喝`` is indexed as ``这家 咖啡馆 很 好喝``. The
  words inside its long words follow at the end, after the stop word ``的`` (which no search can
  hold, so no phrase runs across it): `` 这家 咖啡馆 很 好喝 的 咖啡 ``, so ``咖啡`` finds 咖啡馆.
* Japanese (text with kana) keeps one token per character, and a run of them is indexed as its
  overlapping character pairs (``東京のカフェ`` → ``東京 京の のカ カフ フェ``), so a
  two-character word is one token.

* PostgreSQL: a GIN index over ``to_tsvector('simple', search_text)``; a search is a ``tsquery``.
* SQLite: an FTS5 table with the trigram tokenizer over ``search_text``; a word is searched as
  `` word `` with its spaces, so it matches whole words only, as on PostgreSQL. A term shorter
  than three characters with its spaces (``a*``, a single character) is a ``LIKE``.

The search box: words (all must occur), ``"exact phrases"``, ``prefix*``, ``-excluded`` words or
phrases, and ``OR`` between two terms. Chinese written without spaces is read as its words, all of
which must occur (``华为手机`` = ``华为 手机``); in quotes they must stand side by side, in order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from pappus.listening import chinese
from pappus.listening.query import tokenize_text

_CJK: Final = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHARACTER = re.compile(f"[{_CJK}]")
_KANA = re.compile("[\u3040-\u30ff]")
_TERM = re.compile(r'(-?)(?:"([^"]*)"?|(\S+))')
MAXIMUM_TERMS: Final = 20


def _is_cjk(token: str) -> bool:
    return len(token) == 1 and _CJK_CHARACTER.match(token) is not None


def _is_kana(token: str) -> bool:
    return len(token) == 1 and "\u3040" <= token <= "\u30ff"


def index_tokens(tokens: Sequence[str]) -> list[str]:
    """Folded tokens (from :func:`pappus.listening.query.tokenize_text`); in Japanese (tokens
    with kana), runs of single Han or kana characters as their pairs."""
    if not any(_is_kana(token) for token in tokens):
        return list(tokens)
    out: list[str] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) == 1:
            out.append(run[0])
        else:
            out.extend(run[index] + run[index + 1] for index in range(len(run) - 1))
        run.clear()

    for token in tokens:
        if _is_cjk(token):
            run.append(token)
            continue
        if run:
            flush()
        out.append(token)
    if run:
        flush()
    return out


def search_text(tokens: Sequence[str]) -> str:
    """The indexed form of a mention (see the module's docstring) from its folded tokens."""
    if not tokens:
        return ""
    joined = "".join(tokens)
    if joined.isascii():  # no kana and no Han word: the tokens as they are
        return f" {' '.join(tokens)} "
    indexed = index_tokens(tokens) if _KANA.search(joined) else list(tokens)
    inner = [
        part
        for token in dict.fromkeys(indexed)
        if len(token) >= chinese.MINIMUM_SUBWORD_PARENT and chinese.is_han_word(token)
        for part in chinese.subwords(token)
    ]
    if inner:
        indexed.append(chinese.SUBWORD_SEPARATOR)
        indexed.extend(dict.fromkeys(inner))
    return f" {' '.join(indexed)} "


def search_text_of(title: str, text: str) -> str:
    return search_text(tokenize_text(f"{title}\n{text}"))


@dataclass(frozen=True, slots=True)
class Term:
    """One term of a search: ``tokens`` in order; ``prefix`` when the last may go on."""

    tokens: tuple[str, ...]
    prefix: bool = False
    negated: bool = False
    alternatives: tuple[Term, ...] = ()  # a OR b: this term or any of these


def _term(raw: str, *, quoted: bool, negated: bool, alone: bool) -> list[Term]:
    """The terms of one word or quoted phrase of the search box: one, or, for Chinese written
    without spaces and neither negated nor beside an ``OR`` (``alone``), one per word."""
    prefix = not quoted and raw.endswith("*")
    words = raw.rstrip("*") if prefix else raw
    tokens = tuple(index_tokens(tokenize_text(words)))
    if not tokens:
        return []
    if prefix and _is_cjk(words.rstrip()[-1:]) and len(tokens) > 1:
        prefix = False  # a Chinese word already matches inside longer text
    if (
        alone
        and not quoted
        and not negated
        and len(tokens) > 1
        and chinese.has_han(words)
        and not chinese.has_kana(words)
    ):
        return _chinese_terms(tokens, prefix=prefix)
    single_cjk = len(tokens) == 1 and _is_cjk(tokens[0])
    return [Term(tokens, prefix=prefix or single_cjk, negated=negated)]


def _chinese_terms(tokens: tuple[str, ...], *, prefix: bool) -> list[Term]:
    """Chinese words written side by side: each must occur, anywhere (``华为手机`` = ``华为 手机``).
    Single characters side by side stay one phrase: a name the dictionary does not know is cut
    into its characters (喜茶 → 喜 茶), and they must still stand together; the last of them may
    begin a longer word of the text (``咖啡很好`` finds 咖啡很好喝, cut 咖啡 很 好喝)."""
    groups: list[list[str]] = []
    for token in tokens:
        if len(token) == 1 and groups and len(groups[-1][-1]) == 1:
            groups[-1].append(token)
        else:
            groups.append([token])
    # A lone character at the end of a group may begin a word of the text (好 in 很好 of 很好喝).
    terms = [Term(tuple(group), prefix=_is_cjk(group[-1])) for group in groups]
    if prefix:
        last = terms[-1]
        terms[-1] = Term(last.tokens, prefix=True)
    return terms


def parse_search(text: str) -> list[Term]:
    """The terms of a search box; never an error (a lone quote runs to the end)."""
    matches = [match.groups() for match in _TERM.finditer(text)]
    terms: list[Term] = []
    pending_or = False
    for index, (minus, quoted, bare) in enumerate(matches):
        if bare == "OR" and terms and not minus:
            pending_or = True
            continue
        raw = quoted if quoted is not None else bare
        negated = bool(minus) and raw != ""
        if minus and not raw:
            continue
        before_or = index + 1 < len(matches) and matches[index + 1][2] == "OR" and not matches[index + 1][0]
        found = _term(raw, quoted=quoted is not None, negated=negated, alone=not (pending_or or before_or))
        if not found:
            continue
        term = found[0]
        if pending_or and not term.negated and not terms[-1].negated:
            previous = terms.pop()
            term = Term(
                previous.tokens,
                previous.prefix,
                False,
                (*previous.alternatives, Term(term.tokens, term.prefix)),
            )
        pending_or = False
        terms.append(term)
        terms.extend(found[1:])
    return terms[:MAXIMUM_TERMS]


# --- PostgreSQL ----------------------------------------------------------------------------------


def _ts_term(term: Term) -> str:
    parts = [f"'{token}'" for token in term.tokens]
    if term.prefix:
        parts[-1] += ":*"
    single = " <-> ".join(parts)
    return f"({single})" if len(parts) > 1 else single


def to_tsquery(terms: Sequence[Term]) -> str:
    """The ``to_tsquery('simple', ...)`` text of a search (tokens hold letters and digits only)."""
    parts: list[str] = []
    for term in terms:
        options = [_ts_term(term), *(_ts_term(alternative) for alternative in term.alternatives)]
        expression = options[0] if len(options) == 1 else "(" + " | ".join(options) + ")"
        parts.append(f"!{expression}" if term.negated else expression)
    return " & ".join(parts)


# --- SQLite FTS5 (trigram) ---------------------------------------------------------------------------


def fts_phrase(term: Term) -> str | None:
    """The FTS5 trigram phrase of a term (spaces make it whole words), or None when it is too short."""
    body = " " + " ".join(term.tokens) + ("" if term.prefix else " ")
    return f'"{body}"' if len(body) >= 3 else None


def like_pattern(term: Term) -> str:
    """The ``LIKE`` pattern of a term too short for trigrams (``a*``, one Chinese character)."""
    return "% " + " ".join(term.tokens) + ("%" if term.prefix else " %")
