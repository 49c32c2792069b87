"""The ingestion pipeline as pure batch stages: normalize → dedupe → enrich → match topics.

Each stage takes a batch and returns a batch, touches no database and keeps every item
accounted for: an item leaves a stage as a mention, a duplicate or a rejection with its
reason, never silently. Storing is the one stage with a database; it lives in
:func:`pappus.listening.services.ingest_items`, which calls these stages in order.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib
import importlib.util
import logging
import re
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

from pappus.listening import fulltext
from pappus.listening.query import CompiledQuery, QueryIndex, QuerySyntaxError, compile_query, prepare, tokenize_text

logger = logging.getLogger(__name__)

MAXIMUM_TEXT_CHARACTERS: Final = 100_000
MAXIMUM_TITLE_CHARACTERS: Final = 500
MAXIMUM_URL_CHARACTERS: Final = 2000
MAXIMUM_EXTERNAL_ID_CHARACTERS: Final = 500
MINIMUM_TOKENS_FOR_CLUSTERING: Final = 4

# PostgreSQL refuses NUL in text and JSON, and no database takes lone surrogates.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_URL = re.compile(r"https?://\S+")
_REPOST_PREFIX = re.compile(r"^\s*(?:rt|via)\s+@[\w.]+:?\s*", re.IGNORECASE)


class ItemRejectedError(Exception):
    """Raised by a mapper or a check: the item cannot become a mention, for ``reason``."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


@dataclass(slots=True, kw_only=True)
class NormalizedMention:
    """A mention before it is stored: the fields of :class:`pappus.listening.models.Mention`."""

    network: str
    external_id: str
    text: str = ""
    title: str = ""
    url: str = ""
    author_handle: str = ""
    author_name: str = ""
    author_followers: int | None = None
    author_url: str = ""
    language: str = ""
    published_at: datetime.datetime | None = None
    like_count: int = 0
    share_count: int = 0
    comment_count: int = 0
    view_count: int = 0
    reach_estimate: int | None = None
    parent_external_id: str = ""
    country: str = ""
    media: list[dict[str, Any]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    # Filled by later stages.
    content_hash: str = ""
    enrichment_status: str = "pending"
    enrichment_model: str = ""
    sentiment: str = ""
    sentiment_score: float | None = None
    intent: str = ""
    toxicity: float | None = None
    topic_ids: list[int] = field(default_factory=list)
    search_text: str = ""
    # ``tokenize_text(text)``, kept by dedupe for matching (each text is tokenized once).
    tokens: list[str] | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True, slots=True)
class Rejection:
    """An item that could not go on, with the stage and the reason, and its raw payload."""

    stage: str
    reason: str
    raw: dict[str, Any]


@dataclass(slots=True)
class Batch:
    """Items on their way: ``received == len(mentions) + duplicates + len(rejections)`` at every stage."""

    received: int
    mentions: list[NormalizedMention] = field(default_factory=list)
    duplicates: list[NormalizedMention] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def is_balanced(self) -> bool:
        return self.received == len(self.mentions) + len(self.duplicates) + len(self.rejections)


type Mapper = Callable[[Mapping[str, Any]], NormalizedMention]
type Analyzer = Callable[[list[str]], Sequence[Any]]


def clean_text(value: str) -> str:
    if value.isascii():  # no surrogate; NUL is the one unstorable ASCII character
        return value.replace("\x00", "") if "\x00" in value else value
    return _UNSTORABLE.sub("", value)


def clean_payload(value: Any) -> Any:
    """``value`` with every string made storable (no NUL, no lone surrogate), JSON types only."""
    kind = type(value)  # the plain JSON types first, without the slower ABC checks below
    if kind is str:
        return clean_text(value)
    if kind is dict:
        return {clean_text(key if type(key) is str else str(key)): clean_payload(item) for key, item in value.items()}
    if kind is int or kind is float or kind is bool or value is None:
        return value
    if kind is list:
        return [clean_payload(item) for item in value]
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, Mapping):
        return {clean_text(str(key)): clean_payload(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [clean_payload(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    return clean_text(str(value))


def _check(mention: NormalizedMention) -> NormalizedMention:
    """Storable fields or :class:`ItemRejectedError` with a reason a person can act on."""
    for name in ("text", "title", "url", "author_handle", "author_name", "author_url", "external_id"):
        setattr(mention, name, clean_text(getattr(mention, name)).strip())
    if not mention.external_id:
        raise ItemRejectedError("the item has no id: expected an id, guid or link")
    if len(mention.external_id) > MAXIMUM_EXTERNAL_ID_CHARACTERS:
        mention.external_id = "sha256:" + hashlib.sha256(mention.external_id.encode()).hexdigest()
    if not mention.text and not mention.title:
        raise ItemRejectedError("the item is empty: expected a title or some text")
    if len(mention.text) > MAXIMUM_TEXT_CHARACTERS:
        raise ItemRejectedError(
            f"the item is oversized: {len(mention.text)} characters of text, the limit is {MAXIMUM_TEXT_CHARACTERS}"
        )
    if len(mention.title) > MAXIMUM_TITLE_CHARACTERS:
        mention.title = mention.title[: MAXIMUM_TITLE_CHARACTERS - 1] + "…"
    for name in ("url", "author_url"):
        value = getattr(mention, name)
        if value and not value.lower().startswith(("http://", "https://")):
            setattr(mention, name, "")  # javascript:, data: and relative links are not kept
        elif len(value) > MAXIMUM_URL_CHARACTERS:
            raise ItemRejectedError(f"the {name.replace('_', ' ')} is longer than {MAXIMUM_URL_CHARACTERS} characters")
    if mention.published_at is not None and mention.published_at.tzinfo is None:
        mention.published_at = mention.published_at.replace(tzinfo=datetime.UTC)
    mention.author_handle = mention.author_handle.removeprefix("@")[:200]
    mention.author_name = mention.author_name[:300]
    mention.country = mention.country.upper()[:2] if len(mention.country) == 2 and mention.country.isalpha() else ""
    mention.language = mention.language.strip().lower()[:16]
    mention.raw = clean_payload(mention.raw)
    mention.media = clean_payload(mention.media)
    return mention


_INTEGER_FIELDS: Final = ("like_count", "share_count", "comment_count", "view_count")
_OPTIONAL_INTEGER_FIELDS: Final = ("author_followers", "reach_estimate")
_TEXT_FIELDS: Final = (
    "text",
    "title",
    "url",
    "author_handle",
    "author_name",
    "author_url",
    "language",
    "parent_external_id",
    "country",
)


def _count_value(item: Mapping[str, Any], name: str) -> int | None:
    value = item.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str | float):
        raise ItemRejectedError(f"{name} must be a whole number, got {value!r}")
    try:
        number = int(value)
    except ValueError as error:
        raise ItemRejectedError(f"{name} must be a whole number, got {value!r}") from error
    if number < 0:
        raise ItemRejectedError(f"{name} cannot be negative, got {number}")
    return number


def parse_timestamp(value: Any, name: str = "published_at") -> datetime.datetime | None:
    """An ISO 8601 timestamp (UTC when no offset is given), or None when empty."""
    if value is None or value == "":
        return None
    try:
        moment = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError as error:
        raise ItemRejectedError(f"{name} is not an ISO 8601 time: {value!r}") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def map_normalized(item: Mapping[str, Any], *, network: str = "") -> NormalizedMention:
    """A mention from a dict that already uses the Mention field names (webhooks, NDJSON imports)."""
    external_id = item.get("external_id") or item.get("id") or item.get("url") or ""
    values: dict[str, Any] = {}
    for name in _TEXT_FIELDS:
        value = item.get(name)
        if value is None:
            continue
        if type(value) is not str:
            if not isinstance(value, str | int | float):
                raise ItemRejectedError(f"{name} must be text, got {type(value).__name__}")
            value = str(value)
        values[name] = value
    for name in _INTEGER_FIELDS:
        value = item.get(name)
        if type(value) is int and value >= 0:  # the usual case, without the checks of _count_value
            values[name] = value
        else:
            values[name] = _count_value(item, name) or 0
    for name in _OPTIONAL_INTEGER_FIELDS:
        value = item.get(name)
        values[name] = value if type(value) is int and value >= 0 else _count_value(item, name)
    return NormalizedMention(
        network=str(item.get("network") or network or "unknown")[:40],
        external_id=str(external_id),
        published_at=parse_timestamp(item.get("published_at")),
        media=list(item.get("media") or []),
        **values,
    )


# --- stage 1: normalize ------------------------------------------------------------------


type Locator = Callable[[Mapping[str, Any]], str]


def normalize(items: Sequence[Mapping[str, Any]], mapper: Mapper, locate: Locator | None = None) -> Batch:
    """Map raw items to mentions; an item that fails becomes a rejection and the rest go on.

    ``locate`` names where an item came from (``"row 12"`` of a file); a rejection's reason
    then starts with it, so a person can find the item in the original.
    """
    batch = Batch(received=len(items))
    for item in items:
        try:
            mention = _check(mapper(item))
        except ItemRejectedError as rejected:
            reason = f"{locate(item)}: {rejected.reason}" if locate else rejected.reason
            batch.rejections.append(Rejection("normalize", reason, clean_payload(dict(item))))
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            reason = f"the item could not be read: {type(error).__name__}: {error}"
            reason = f"{locate(item)}: {reason}" if locate else reason
            batch.rejections.append(Rejection("normalize", reason, clean_payload(dict(item))))
        else:
            if not mention.raw:
                mention.raw = clean_payload(dict(item))
            batch.mentions.append(mention)
    return batch


# --- stage 2: dedupe -----------------------------------------------------------------------


def content_hash(text: str, title: str = "", *, text_tokens: list[str] | None = None) -> str:
    """A key shared by near-duplicates and reposts: case, accents, punctuation, links and
    ``RT @someone:`` prefixes do not count. Empty for texts too short to cluster safely.

    ``text_tokens``: ``tokenize_text(text)`` when the caller has them (used when the text has
    no link and no repost prefix, which would otherwise be set aside first)."""
    if text_tokens is not None and text and "http" not in text and _REPOST_PREFIX.match(text) is None:
        tokens = text_tokens
    else:
        tokens = tokenize_text(_URL.sub(" ", _REPOST_PREFIX.sub("", text or title)))
    if len(tokens) < MINIMUM_TOKENS_FOR_CLUSTERING:
        return ""
    return hashlib.blake2b(" ".join(tokens).encode(), digest_size=12).hexdigest()


def dedupe(batch: Batch, already_stored: Callable[[Iterable[str]], set[str]]) -> Batch:
    """Drop exact duplicates (same external id, in the batch or already stored) and give each
    mention its ``content_hash`` so near-duplicates can be clustered when stored.

    ``already_stored`` answers which of the given external ids this source has stored.
    """
    stored = already_stored([mention.external_id for mention in batch.mentions])
    seen: set[str] = set()
    unique: list[NormalizedMention] = []
    for mention in batch.mentions:
        if mention.external_id in stored or mention.external_id in seen:
            batch.duplicates.append(mention)
            continue
        seen.add(mention.external_id)
        mention.tokens = tokenize_text(mention.text)
        mention.content_hash = content_hash(mention.text, mention.title, text_tokens=mention.tokens)
        unique.append(mention)
    batch.mentions = unique
    return batch


# --- stage 3: enrich -----------------------------------------------------------------------

UNAVAILABLE_MODEL: Final = "unavailable: pappus.nlp is not installed yet"


def _nlp_analyze() -> Analyzer | None:
    """``pappus.nlp.analyze`` when that module exists, else None (enrichment is then marked unavailable)."""
    if importlib.util.find_spec("pappus.nlp") is None:
        return None
    module = importlib.import_module("pappus.nlp")
    analyze = getattr(module, "analyze", None)
    return analyze if callable(analyze) else None


def _value(analysis: Any, name: str) -> Any:
    if isinstance(analysis, Mapping):
        return analysis.get(name)
    return getattr(analysis, name, None)


type AnalysisFields = tuple[str, str, float | None, str, float | None, str]


def _analysis_fields(analysis: Any) -> AnalysisFields:
    """What a mention takes from an analysis: its language ("" when the model is unsure: the
    mention keeps its source's), sentiment, score, intent, toxicity and model, cut to the columns."""
    language = _value(analysis, "language")
    score = _value(analysis, "sentiment_score")
    toxicity = _value(analysis, "toxicity")
    return (
        str(language)[:16] if language and language != "unknown" else "",
        str(_value(analysis, "sentiment") or "")[:10],
        float(score) if score is not None else None,
        str(_value(analysis, "intent") or "")[:40],
        float(toxicity) if toxicity is not None else None,
        str(_value(analysis, "model") or "pappus.nlp")[:100],
    )


class AnalysisMemo:
    """Analyses of the texts seen lately, so that a repost or a copy is analysed once.

    Keyed by a digest of the text without its ``RT @someone:`` prefix, its links and its spacing
    (which say nothing of its language, sentiment, intent or toxicity); case, punctuation and
    emoji are kept, as they may. At most ``size`` analyses are kept (the least recently used go
    first), so memory stays flat. One memo serves one run of the pipeline (one analyser).
    """

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self.analysed = 0  # texts sent to the analyser
        self.shared = 0  # texts that got the analysis of an earlier copy
        self._analyses: OrderedDict[bytes, Any] = OrderedDict()

    def get(self, key: bytes) -> Any | None:
        analysis = self._analyses.get(key)
        if analysis is not None:
            self._analyses.move_to_end(key)
        return analysis

    def put(self, key: bytes, analysis: Any) -> None:
        self._analyses[key] = analysis
        if len(self._analyses) > self.size:
            self._analyses.popitem(last=False)


def analysis_key(text: str) -> bytes:
    """What :class:`AnalysisMemo` files a text under: copies and reposts of one text share it."""
    if "http" in text:
        text = _URL.sub(" ", text)
    while text[:4].lower() in {"rt @", "via "} or text[:1].isspace():  # a repost of a repost too
        stripped = _REPOST_PREFIX.sub("", text, count=1)
        if stripped == text:
            break
        text = stripped
    return hashlib.blake2b(" ".join(text.split()).encode(), digest_size=16).digest()


def enrich(
    batch: Batch, analyze: Analyzer | Literal["auto"] | None = "auto", memo: AnalysisMemo | None = None
) -> Batch:
    """Language, sentiment, intent and toxicity from ``pappus.nlp.analyze(texts)``.

    Until ``pappus.nlp`` lands this is a documented placeholder: every mention is marked
    ``unavailable`` (the interface says so to users) and keeps the language its source gave.
    ``"auto"`` looks the function up; pass one to use another, or None for the placeholder.
    If the analyzer fails, the mentions stay ``pending`` (``pappus reprocess`` picks them up
    later) and are stored all the same: a broken model never loses mentions.

    Each distinct text of the batch is analysed once, in one call (see :func:`analysis_key`);
    with a ``memo``, a text analysed in an earlier batch of the same run is not analysed again.
    """
    function = _nlp_analyze() if isinstance(analyze, str) else analyze
    if not batch.mentions:
        return batch
    if function is None:
        for mention in batch.mentions:
            mention.enrichment_status = "unavailable"
            mention.enrichment_model = UNAVAILABLE_MODEL
        return batch
    memo = memo if memo is not None else AnalysisMemo(size=0)
    keys = [analysis_key(mention.text or mention.title) for mention in batch.mentions]
    known: dict[bytes, Any] = {}
    wanted: dict[bytes, str] = {}
    for key, mention in zip(keys, batch.mentions, strict=True):
        if key in known or key in wanted:
            continue
        analysis = memo.get(key)
        if analysis is not None:
            known[key] = analysis
        else:
            wanted[key] = mention.text or mention.title
    try:
        analyses = list(function(list(wanted.values()))) if wanted else []
        if len(analyses) != len(wanted):
            raise ValueError(f"{len(analyses)} analyses for {len(wanted)} texts")
    except Exception:
        logger.exception("listening.enrich.failed", extra={"mentions": len(batch.mentions)})
        return batch
    for key, analysis in zip(wanted, analyses, strict=True):
        known[key] = analysis
        memo.put(key, analysis)
    memo.analysed += len(wanted)
    memo.shared += len(batch.mentions) - len(wanted)
    fields = {key: _analysis_fields(analysis) for key, analysis in known.items()}  # once per distinct text
    for key, mention in zip(keys, batch.mentions, strict=True):
        language, sentiment, score, intent, toxicity, model = fields[key]
        if language:
            mention.language = language
        mention.sentiment = sentiment
        mention.sentiment_score = score
        mention.intent = intent
        mention.toxicity = toxicity
        mention.enrichment_status = "done"
        mention.enrichment_model = model
    return batch


# --- stage 4: match topics -------------------------------------------------------------------


def build_topic_index(topics: Iterable[tuple[int, str]]) -> QueryIndex[int]:
    """The index of ``(topic id, query)`` pairs; a query that no longer parses is left out."""
    index: QueryIndex[int] = QueryIndex()
    for topic_id, text in topics:
        try:
            compiled: CompiledQuery = compile_query(text)
        except QuerySyntaxError:
            continue  # saved queries are validated; one edited in the database by hand is skipped
        index.add(topic_id, compiled)
    return index


def match_topics(batch: Batch, index: QueryIndex[int], sources: Sequence[str] = ()) -> Batch:
    """Set ``topic_ids`` of each mention to the topics whose query it matches, and its
    ``search_text`` (the full-text index form) from the same tokens."""
    for mention in batch.mentions:
        tokens = mention.tokens
        if tokens is not None and mention.title:
            tokens = tokenize_text(mention.title) + tokens  # as tokenize_text(title + "\n" + text)
        document = prepare(
            f"{mention.title}\n{mention.text}",
            language=mention.language,
            sources=(*sources, mention.network),
            author=mention.author_handle,
            country=mention.country,
            tokens=tokens,
        )
        mention.topic_ids = index.match(document)
        mention.search_text = fulltext.search_text(document.tokens)
    return batch


def run_stages(
    items: Sequence[Mapping[str, Any]],
    *,
    mapper: Mapper,
    already_stored: Callable[[Iterable[str]], set[str]],
    index: QueryIndex[int],
    sources: Sequence[str] = (),
    analyze: Analyzer | Literal["auto"] | None = "auto",
    locate: Locator | None = None,
    memo: AnalysisMemo | None = None,
) -> Batch:
    """Every pure stage in order; the result is ready to store."""
    batch = normalize(items, mapper, locate)
    batch = dedupe(batch, already_stored)
    batch = enrich(batch, analyze, memo)
    return match_topics(batch, index, sources)
