"""RSS and Atom sources: conditional GET, strict parsing and mapping entries to mentions.

A poll sends the validators of the last good response (``If-None-Match``/``If-Modified-Since``)
so an unchanged feed costs one 304. A feed that cannot be read (malformed XML, a wrong
encoding, larger than the limit) is kept as one rejected item with the reason, and the
source backs off; a good feed's bad entries are rejected one by one while the rest are stored.
"""

from __future__ import annotations

import datetime
import email.utils
import html
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, Final
from xml.etree.ElementTree import Element, ParseError

import httpx
from defusedxml import DefusedXmlException  # type: ignore[import-untyped]
from defusedxml.ElementTree import fromstring  # type: ignore[import-untyped]

from pappus.listening import services
from pappus.listening.models import IngestRun, RunStatus, Source
from pappus.listening.pipeline import ItemRejectedError, NormalizedMention, parse_timestamp

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS: Final = 20.0
DEFAULT_MAXIMUM_BYTES: Final = 5 * 1024 * 1024
EXCERPT_BYTES: Final = 64 * 1024
USER_AGENT: Final = "Pappus/0.1 (social listening; +https://pappus.invalid/bot)"
ACCEPT: Final = "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1"

ATOM: Final = "{http://www.w3.org/2005/Atom}"
RDF: Final = "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}"
RSS1: Final = "{http://purl.org/rss/1.0/}"
CONTENT: Final = "{http://purl.org/rss/1.0/modules/content/}"
DUBLIN_CORE: Final = "{http://purl.org/dc/elements/1.1/}"
XML_LANG: Final = "{http://www.w3.org/XML/1998/namespace}lang"

_DECLARED_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_CHARSET = re.compile(r"charset\s*=\s*\"?([A-Za-z0-9._-]+)", re.IGNORECASE)


class FeedError(Exception):
    """The feed could not be fetched or read: ``stage`` is fetch or parse; ``retry_after`` in seconds."""

    def __init__(
        self, reason: str, *, stage: str = "parse", retry_after: float | None = None, http_status: int | None = None
    ) -> None:
        self.reason = reason
        self.stage = stage
        self.retry_after = retry_after
        self.http_status = http_status
        super().__init__(reason)


@dataclass(frozen=True, slots=True)
class Response:
    """What a poll got: a body (empty for 304) and the validators to send next time."""

    status: int
    body: bytes
    content_type: str
    etag: str
    last_modified: str

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True, slots=True)
class Feed:
    title: str
    language: str
    entries: list[dict[str, Any]]


# --- fetching --------------------------------------------------------------------------------


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (moment - datetime.datetime.now(datetime.UTC)).total_seconds())


def fetch(
    url: str,
    *,
    etag: str = "",
    last_modified: str = "",
    timeout: float = DEFAULT_TIMEOUT_SECONDS,
    maximum_bytes: int = DEFAULT_MAXIMUM_BYTES,
    client: httpx.Client | None = None,
) -> Response:
    """GET ``url`` with the validators; raise :class:`FeedError` for errors, timeouts and oversized bodies."""
    if not url.lower().startswith(("http://", "https://")):
        raise FeedError(f"the address must start with http:// or https://, got {url!r}", stage="fetch")
    headers = {"User-Agent": USER_AGENT, "Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    own_client = client is None
    http = client or httpx.Client(timeout=timeout, follow_redirects=True, max_redirects=5)
    try:
        with http.stream("GET", url, headers=headers, timeout=timeout) as response:
            if response.status_code == 304:
                return Response(304, b"", "", etag, last_modified)
            if response.status_code in {429, 503}:
                raise FeedError(
                    f"the server is busy (HTTP {response.status_code}); trying again later",
                    stage="fetch",
                    retry_after=_retry_after(response.headers.get("Retry-After")),
                    http_status=response.status_code,
                )
            if response.status_code >= 400:
                raise FeedError(
                    f"the server answered HTTP {response.status_code}", stage="fetch", http_status=response.status_code
                )
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > maximum_bytes:
                raise FeedError(
                    f"the feed is oversized: {int(declared)} bytes, the limit is {maximum_bytes}",
                    http_status=response.status_code,
                )
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > maximum_bytes:
                    raise FeedError(
                        f"the feed is oversized: more than {maximum_bytes} bytes", http_status=response.status_code
                    )
                chunks.append(chunk)
            return Response(
                response.status_code,
                b"".join(chunks),
                response.headers.get("Content-Type", ""),
                response.headers.get("ETag", ""),
                response.headers.get("Last-Modified", ""),
            )
    except httpx.TimeoutException as error:
        raise FeedError(f"no answer within {timeout:g} s ({type(error).__name__})", stage="fetch") from error
    except httpx.HTTPError as error:
        raise FeedError(f"the feed could not be fetched: {error}", stage="fetch") from error
    finally:
        if own_client:
            http.close()


# --- parsing ---------------------------------------------------------------------------------


def _declared_encoding(body: bytes, content_type: str) -> str:
    match = _DECLARED_ENCODING.match(body[:200])
    if match:
        return match.group(1).decode("ascii")
    charset = _CHARSET.search(content_type)
    return charset.group(1) if charset else "utf-8"


def _line_of(body: bytes, offset: int) -> int:
    return body.count(b"\n", 0, offset) + 1


def parse_feed(body: bytes, content_type: str = "") -> Feed:
    """Read an RSS 2.0, RSS 1.0 or Atom document; raise :class:`FeedError` saying what is wrong."""
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    if not body.strip():
        raise FeedError("the feed is empty")
    encoding = _declared_encoding(body, content_type)
    try:
        body.decode(encoding)
    except LookupError as error:
        raise FeedError(f"the feed declares an unknown encoding {encoding!r}") from error
    except UnicodeDecodeError as error:
        raise FeedError(
            f"the feed is not valid {encoding} as declared: byte 0x{body[error.start]:02x} "
            f"at line {_line_of(body, error.start)} cannot be decoded (wrong encoding)"
        ) from error
    try:
        root = fromstring(body, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except ParseError as error:
        line, column = error.position
        problem = re.sub(r":\s*line \d+, column \d+$", "", str(error.msg))
        raise FeedError(f"the feed is not well-formed XML: {problem} at line {line}, column {column + 1}") from error
    except DefusedXmlException as error:
        raise FeedError(f"the feed uses XML entities or external references, refused for safety ({error})") from error
    if root.tag == "rss":
        channel = root.find("channel")
        if channel is None:
            raise FeedError("the RSS feed has no <channel>")
        language = _text(channel.find("language"))
        entries = [_rss_entry(item, language) for item in channel.findall("item")]
        return Feed(_text(channel.find("title")), language, entries)
    if root.tag == f"{ATOM}feed":
        language = root.get(XML_LANG, "")
        entries = [_atom_entry(entry, language) for entry in root.findall(f"{ATOM}entry")]
        return Feed(_text(root.find(f"{ATOM}title")), language, entries)
    if root.tag == f"{RDF}RDF":
        channel = root.find(f"{RSS1}channel")
        language = _text(channel.find(f"{DUBLIN_CORE}language")) if channel is not None else ""
        entries = [_rss_entry(item, language, namespace=RSS1) for item in root.findall(f"{RSS1}item")]
        return Feed(_text(channel.find(f"{RSS1}title")) if channel is not None else "", language, entries)
    tag = root.tag.rsplit("}", 1)[-1]
    raise FeedError(f"not an RSS or Atom feed: the document's root element is <{tag}>")


def _text(element: Element | None) -> str:
    if element is None:
        return ""
    return "".join(element.itertext()).strip()


def _rss_entry(item: Element, language: str, namespace: str = "") -> dict[str, Any]:
    guid = item.find(f"{namespace}guid")
    return {
        "id": _text(guid) or item.get(f"{RDF}about", ""),
        "link": _text(item.find(f"{namespace}link")),
        "title": _text(item.find(f"{namespace}title")),
        "summary": _text(item.find(f"{namespace}description")),
        "content": _text(item.find(f"{CONTENT}encoded")),
        "author": _text(item.find(f"{namespace}author")) or _text(item.find(f"{DUBLIN_CORE}creator")),
        "author_url": "",
        "published": _text(item.find(f"{namespace}pubDate")) or _text(item.find(f"{DUBLIN_CORE}date")),
        "language": item.get(XML_LANG, "") or language,
        "categories": [_text(category) for category in item.findall(f"{namespace}category")],
        "enclosures": [
            {"url": enclosure.get("url", ""), "type": enclosure.get("type", "")}
            for enclosure in item.findall(f"{namespace}enclosure")
        ],
    }


def _atom_link(entry: Element) -> str:
    for link in entry.findall(f"{ATOM}link"):
        if link.get("rel", "alternate") == "alternate":
            return link.get("href", "")
    return ""


def _atom_entry(entry: Element, language: str) -> dict[str, Any]:
    author = entry.find(f"{ATOM}author")
    return {
        "id": _text(entry.find(f"{ATOM}id")),
        "link": _atom_link(entry),
        "title": _text(entry.find(f"{ATOM}title")),
        "summary": _text(entry.find(f"{ATOM}summary")),
        "content": _text(entry.find(f"{ATOM}content")),
        "author": _text(author.find(f"{ATOM}name")) if author is not None else "",
        "author_url": _text(author.find(f"{ATOM}uri")) if author is not None else "",
        "published": _text(entry.find(f"{ATOM}published")) or _text(entry.find(f"{ATOM}updated")),
        "language": entry.get(XML_LANG, "") or language,
        "categories": [category.get("term", "") for category in entry.findall(f"{ATOM}category")],
        "enclosures": [
            {"url": link.get("href", ""), "type": link.get("type", "")}
            for link in entry.findall(f"{ATOM}link")
            if link.get("rel") == "enclosure"
        ],
    }


# --- mapping ---------------------------------------------------------------------------------


class _TextExtractor(HTMLParser):
    _SKIPPED: Final = frozenset({"script", "style", "template"})
    _BREAKS: Final = frozenset({"p", "br", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIPPED:
            self.skipping += 1
        elif tag in self._BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIPPED and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """The readable text of an HTML fragment (feeds put HTML in descriptions)."""
    if "<" not in markup:
        return html.unescape(markup).strip()
    extractor = _TextExtractor()
    extractor.feed(markup)
    extractor.close()
    lines = (" ".join(line.split()) for line in "".join(extractor.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _published(value: str) -> datetime.datetime | None:
    """RSS dates (RFC 822) or Atom dates (RFC 3339); an unreadable date is left out, not fatal."""
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        try:
            return parse_timestamp(value)
        except ItemRejectedError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def map_entry(entry: Mapping[str, Any]) -> NormalizedMention:
    """A feed entry (as :func:`parse_feed` keeps it, also in rejected items) as a mention."""
    link = str(entry.get("link") or "")
    author = str(entry.get("author") or "")
    return NormalizedMention(
        network="rss",
        external_id=str(entry.get("id") or link),
        url=link,
        title=html_to_text(str(entry.get("title") or "")),
        text=html_to_text(str(entry.get("content") or entry.get("summary") or "")),
        author_name=author,
        author_url=str(entry.get("author_url") or ""),
        published_at=_published(str(entry.get("published") or "")),
        language=str(entry.get("language") or "").split("-")[0],
        media=[dict(enclosure) for enclosure in entry.get("enclosures") or [] if enclosure.get("url")],
        raw=dict(entry),
    )


# --- polling ---------------------------------------------------------------------------------


def _excerpt(response_body: bytes) -> str:
    return response_body[:EXCERPT_BYTES].decode("utf-8", errors="replace")


def poll_source(source: Source, *, client: httpx.Client | None = None) -> IngestRun:
    """Fetch a feed source once and take its entries through the pipeline, as one run.

    Not modified: a run with nothing received. Unreachable: a failed run and backoff. Unreadable:
    the document is one rejected item (received 1, rejected 1), a failed run and backoff.
    """
    config = source.config or {}
    timeout = float(config.get("timeout_seconds", DEFAULT_TIMEOUT_SECONDS))
    maximum_bytes = int(config.get("maximum_bytes", DEFAULT_MAXIMUM_BYTES))
    run = services.ingest_run_start(source)
    response: Response | None = None
    try:
        response = fetch(
            source.url,
            etag=source.etag,
            last_modified=source.last_modified,
            timeout=timeout,
            maximum_bytes=maximum_bytes,
            client=client,
        )
        if response.not_modified:
            services.source_record_success(source, etag=source.etag, last_modified=source.last_modified)
            return services.ingest_run_finish(run, status=RunStatus.NOT_MODIFIED, http_status=304)
        feed = parse_feed(response.body, response.content_type)
    except FeedError as error:
        if error.stage == "parse":
            raw: dict[str, Any] = {"url": source.url, "reason": error.reason}
            if response is not None:
                raw |= {
                    "content_type": response.content_type,
                    "size": len(response.body),
                    "excerpt": _excerpt(response.body),
                }
            services.ingest_reject(run, stage="fetch", reason=error.reason, raw=raw)
        services.source_record_failure(source, error=error.reason, retry_after=error.retry_after)
        logger.warning("listening.feed.failed source=%s reason=%s", source.pk, error.reason)
        return services.ingest_run_finish(
            run, status=RunStatus.FAILED, error=error.reason, http_status=error.http_status
        )
    services.ingest_items(source=source, run=run, items=feed.entries, mapper=map_entry)
    services.source_record_success(source, etag=response.etag, last_modified=response.last_modified)
    services.rejected_fetches_resolve(source)
    return services.ingest_run_finish(run, status=RunStatus.SUCCEEDED, http_status=response.status)
