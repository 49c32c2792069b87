"""Full-text search, pure Python: the indexed form of a mention and the search box's syntax.

One indexed form serves both databases, so a search finds the same mentions on both:
``search_text`` is the mention's folded tokens (case, accents and punctuation gone, as in topic
queries) separated by single spaces, with a space at each end; a run of Chinese or Japanese
characters (no spaces between words) becomes its overlapping character pairs, so
``这家咖啡很好喝`` is indexed as ``这家 家咖 咖啡 啡很 很好 好喝`` and a two-character word such as
``咖啡`` is one token.

* PostgreSQL: a GIN index over ``to_tsvector('simple', search_text)``; a search is a ``tsquery``.
* SQLite: an FTS5 table with the trigram tokenizer over ``search_text``; a word is searched as
  `` word `` with its spaces, so it matches whole words only, as on PostgreSQL. A term shorter
  than three characters with its spaces (``a*``, a single Chinese character) is a ``LIKE``.

The search box: words (all must occur), ``"exact phrases"``, ``prefix*``, ``-excluded`` words or
phrases, and ``OR`` between two terms.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from pappus.listening.query import tokenize_text

_CJK: Final = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_CHARACTER = re.compile(f"[{_CJK}]")
_TERM = re.compile(r'(-?)(?:"([^"]*)"?|(\S+))')
MAXIMUM_TERMS: Final = 20


def _is_cjk(token: str) -> bool:
    return len(token) == 1 and _CJK_CHARACTER.match(token) is not None


def index_tokens(tokens: Sequence[str]) -> list[str]:
    """Folded tokens (from :func:`pappus.listening.query.tokenize_text`) with CJK runs as pairs."""
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
    return f" {' '.join(index_tokens(tokens))} " if tokens else ""


def search_text_of(title: str, text: str) -> str:
    return search_text(tokenize_text(f"{title}\n{text}"))


@dataclass(frozen=True, slots=True)
class Term:
    """One term of a search: ``tokens`` in order; ``prefix`` when the last may go on."""

    tokens: tuple[str, ...]
    prefix: bool = False
    negated: bool = False
    alternatives: tuple[Term, ...] = ()  # a OR b: this term or any of these


def _term(raw: str, *, quoted: bool, negated: bool) -> Term | None:
    prefix = not quoted and raw.endswith("*")
    words = raw.rstrip("*") if prefix else raw
    tokens = tuple(index_tokens(tokenize_text(words)))
    if not tokens:
        return None
    if prefix and _is_cjk(words.rstrip()[-1:]) and len(tokens) > 1:
        prefix = False  # a Chinese word already matches inside longer text
    single_cjk = len(tokens) == 1 and _is_cjk(tokens[0])
    return Term(tokens, prefix=prefix or single_cjk, negated=negated)


def parse_search(text: str) -> list[Term]:
    """The terms of a search box; never an error (a lone quote runs to the end)."""
    terms: list[Term] = []
    pending_or = False
    for match in _TERM.finditer(text):
        minus, quoted, bare = match.groups()
        if bare == "OR" and terms and not minus:
            pending_or = True
            continue
        raw = quoted if quoted is not None else bare
        negated = bool(minus) and raw != ""
        if minus and not raw:
            continue
        term = _term(raw, quoted=quoted is not None, negated=negated)
        if term is None:
            continue
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
