"""Hashed character and word n-gram features, computed for a whole batch at once with numpy.

The character n-grams of every text in a batch are hashed in a few vectorised passes
(a rolling polynomial hash, then a splitmix64 finaliser), so the cost per text is a few
microseconds instead of the Python loop per n-gram of scikit-learn's vectorisers. Word
unigrams and bigrams are hashed with CRC-32, which is stable across processes.

Every model in this package (sentiment, intent, toxicity) reads the same feature matrix,
so a batch is featurised once.
"""

from __future__ import annotations

import itertools
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import sparse

URL_PATTERN = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
MENTION_PATTERN = re.compile(r"@\w+")
WORD_PATTERN = re.compile(r"\w+|[^\w\s]")
ESCAPED_UNICODE_PATTERN = re.compile(r"\\u([0-9a-fA-F]{4})")
MAXIMUM_CHARACTERS = 600

_SIZE_SALTS = tuple(np.uint64((0x9E3779B97F4A7C15 * size) % (1 << 64)) for size in range(16))
_MIX_1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX_2 = np.uint64(0x94D049BB133111EB)
_MULTIPLIER = np.uint64(0x100000001B3)


def may_hold_link(text: str) -> bool:
    """Whether ``text`` has what a link pattern (``https?://…`` or ``www.…``, any case) needs: a
    plain substring test, so most texts skip the regular expression."""
    return "://" in text or "www." in text.lower()


def normalize(text: str) -> str:
    """Lower-case, links and user names replaced by placeholders, whitespace collapsed, length capped."""
    text = text[: MAXIMUM_CHARACTERS * 2].replace("\x00", " ")
    if may_hold_link(text):
        text = URL_PATTERN.sub(" http ", text)
    if "@" in text:
        text = MENTION_PATTERN.sub("@user", text)
    # Whitespace runs collapsed and the ends stripped: str.split() and a regex's \s agree on what
    # whitespace is (both Py_UNICODE_ISSPACE), and this costs a third of re.sub(r"\s+", " ", text).
    text = " ".join(text.split()).lower()
    return text[:MAXIMUM_CHARACTERS]


def unescape_dataset_text(text: str) -> str:
    r"""Some shared tweet files keep JSON escapes (``\u2019``) literally; turn them back into characters."""
    return ESCAPED_UNICODE_PATTERN.sub(lambda match: chr(int(match.group(1), 16)), text)


def _mix(values: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    values = values ^ (values >> np.uint64(30))
    values = values * _MIX_1
    values = values ^ (values >> np.uint64(27))
    values = values * _MIX_2
    return values ^ (values >> np.uint64(31))


@dataclass(frozen=True, slots=True)
class FeatureSpec:
    """Which n-grams go into the hashed space; stored with every model so training and inference agree."""

    bits: int = 20
    char_min: int = 1
    char_max: int = 5
    word_bigrams: bool = True

    @property
    def width(self) -> int:
        return 1 << self.bits

    def as_array(self) -> npt.NDArray[np.int64]:
        return np.array([self.bits, self.char_min, self.char_max, int(self.word_bigrams)], dtype=np.int64)

    @classmethod
    def from_array(cls, values: npt.NDArray[np.int64]) -> FeatureSpec:
        bits, char_min, char_max, word_bigrams = (int(value) for value in values)
        return cls(bits=bits, char_min=char_min, char_max=char_max, word_bigrams=bool(word_bigrams))


def _char_ngram_columns(texts: Sequence[str], spec: FeatureSpec) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    padding = "\x00" * spec.char_max
    joined = "".join(f" {text} {padding}" for text in texts)
    lengths = np.fromiter((len(text) + 2 + spec.char_max for text in texts), dtype=np.int64, count=len(texts))
    codepoints = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    total = codepoints.shape[0]
    row_of_position = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
    nulls_before = np.concatenate(([0], np.cumsum(codepoints == 0)))
    shift = np.uint64(64 - spec.bits)
    rolling = np.zeros(total, dtype=np.uint64)
    rows: list[npt.NDArray[np.int64]] = []
    columns: list[npt.NDArray[np.int64]] = []
    for size in range(1, spec.char_max + 1):
        count = total - size + 1
        rolling = rolling[:count] * _MULTIPLIER + codepoints[size - 1 :]
        if size < spec.char_min:
            continue
        valid = (nulls_before[size : size + count] - nulls_before[:count]) == 0
        hashed = _mix(rolling[valid] + _SIZE_SALTS[size])
        columns.append((hashed >> shift).astype(np.int64))
        rows.append(row_of_position[:count][valid])
    return np.concatenate(rows), np.concatenate(columns)


# Hashed columns of the word grams met so far, per width (2^bits): words repeat, so most grams are
# hashed once. Cleared when they grow past the limit, so memory stays flat on any stream.
_UNIGRAM_COLUMNS: dict[int, dict[str, int]] = {}
_BIGRAM_COLUMNS: dict[int, dict[tuple[str, str], int]] = {}
_GRAM_COLUMNS_LIMIT = 300_000


def _word_ngram_columns(
    texts: Sequence[str], spec: FeatureSpec, extra_tokens: Sequence[Sequence[str]] | None
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    mask = spec.width - 1
    unigrams = _UNIGRAM_COLUMNS.setdefault(spec.width, {})
    bigrams = _BIGRAM_COLUMNS.setdefault(spec.width, {})
    for known in (unigrams, bigrams):
        if len(known) > _GRAM_COLUMNS_LIMIT:
            known.clear()
    crc32 = zlib.crc32
    rows: list[int] = []
    columns: list[int] = []
    for row, text in enumerate(texts):
        tokens = WORD_PATTERN.findall(text)
        start = len(columns)
        for token in tokens:
            column = unigrams.get(token)
            if column is None:
                column = unigrams[token] = crc32(f"w {token}".encode()) & mask
            columns.append(column)
        if spec.word_bigrams:
            for pair in itertools.pairwise(tokens):
                column = bigrams.get(pair)
                if column is None:
                    column = bigrams[pair] = crc32(f"b {pair[0]} {pair[1]}".encode()) & mask
                columns.append(column)
        if extra_tokens is not None:
            columns.extend(crc32(gram.encode()) & mask for gram in extra_tokens[row])
        rows.extend([row] * (len(columns) - start))
    return np.asarray(rows, dtype=np.int64), np.asarray(columns, dtype=np.int64)


def count_matrix(
    normalized_texts: Sequence[str], spec: FeatureSpec, extra_tokens: Sequence[Sequence[str]] | None = None
) -> sparse.csr_matrix:
    """Raw n-gram counts, one row per (already normalised) text; extra tokens (cue hits) count as words."""
    shape = (len(normalized_texts), spec.width)
    if not normalized_texts:
        return sparse.csr_matrix(shape, dtype=np.float32)
    char_rows, char_columns = _char_ngram_columns(normalized_texts, spec)
    word_rows, word_columns = _word_ngram_columns(normalized_texts, spec, extra_tokens)
    # Each (row, column) pair as one sorted 64-bit key: runs of equal keys are the counts. Sorting
    # plain integers is about twice as fast as scipy's sort of the (column, value) pairs of each row,
    # and numpy's stable sort (it takes advantage of the runs the keys come in: rows ascend within
    # each gram size) about twice as fast as its default one here; both give the same array.
    keys = np.concatenate((char_rows, word_rows)) << spec.bits
    keys |= np.concatenate((char_columns, word_columns))
    if not keys.shape[0]:
        return sparse.csr_matrix(shape, dtype=np.float32)
    keys.sort(kind="stable")
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    distinct = keys[starts]
    counts = np.diff(np.append(starts, keys.shape[0])).astype(np.float32)
    indptr = np.zeros(shape[0] + 1, dtype=np.int64)
    np.cumsum(np.bincount(distinct >> spec.bits, minlength=shape[0]), out=indptr[1:])
    index_type = np.int32 if spec.width <= np.iinfo(np.int32).max and keys.shape[0] < 2**31 else np.int64
    matrix = sparse.csr_matrix(
        (counts, (distinct & (spec.width - 1)).astype(index_type), indptr.astype(index_type)), shape=shape
    )
    matrix.has_canonical_format = True  # sorted, no duplicate: scipy need not check
    return matrix


def language_salt(language: str) -> np.uint64:
    """A stable 64-bit salt per language code (for the language block of the sentiment features)."""
    return np.uint64(zlib.crc32(f"language:{language}".encode()) * 0x9E3779B1 + 1)


def language_block_entries(
    features: sparse.csr_matrix, languages: Sequence[str], block_languages: Sequence[str], spec: FeatureSpec
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """(row, salted column, value) of every stored feature of a row whose language has a block."""
    salts_by_language = {language: language_salt(language) for language in block_languages}
    salts = np.array([salts_by_language.get(language, 0) for language in languages], dtype=np.uint64)
    rows = np.repeat(np.arange(features.shape[0], dtype=np.int64), np.diff(features.indptr))
    row_salts = salts[rows]
    keep = row_salts != 0
    columns = _mix(features.indices[keep].astype(np.uint64) * _MULTIPLIER + row_salts[keep])
    shifted = (columns >> np.uint64(64 - spec.bits)).astype(np.int64)
    values: npt.NDArray[np.float32] = np.asarray(features.data[keep], dtype=np.float32)
    return rows[keep], shifted, values


def language_block(
    features: sparse.csr_matrix, languages: Sequence[str], block_languages: Sequence[str], spec: FeatureSpec
) -> sparse.csr_matrix:
    """Each row's features again, under columns salted by its language; empty rows for other languages."""
    rows, columns, values = language_block_entries(features, languages, block_languages, spec)
    block = sparse.csr_matrix((values, (rows, columns)), shape=features.shape, dtype=np.float32)
    block.sum_duplicates()
    return block


def inverse_document_frequency(counts: sparse.csr_matrix) -> npt.NDArray[np.float32]:
    """Smoothed IDF as scikit-learn computes it: ln((1 + n) / (1 + df)) + 1."""
    document_frequency = np.bincount(counts.indices, minlength=counts.shape[1])
    documents = counts.shape[0]
    idf: npt.NDArray[np.float32] = (np.log((1.0 + documents) / (1.0 + document_frequency)) + 1.0).astype(np.float32)
    return idf


def weight(counts: sparse.csr_matrix, idf: npt.NDArray[np.float32]) -> sparse.csr_matrix:
    """Sublinear TF times IDF, each row scaled to unit length."""
    matrix = counts.copy()
    matrix.data = (1.0 + np.log(matrix.data)) * idf[matrix.indices]
    squared = matrix.multiply(matrix).sum(axis=1).A1
    norms = np.sqrt(squared)
    norms[norms == 0] = 1.0
    scaled: sparse.csr_matrix = sparse.diags((1.0 / norms).astype(np.float32)) @ matrix
    return scaled.tocsr()
