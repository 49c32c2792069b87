"""File imports: CSV, JSON and NDJSON exports of other listening tools, mapped column by column.

Two steps, as a person does them: :func:`import_preview` shows the columns, the first rows and a
suggested mapping; :func:`import_run` streams every row through the pipeline in batches with the
mapping chosen. A row that cannot become a mention (no text, a bad date, bytes that are not in
the file's encoding, oversized, not an object) is a rejected item whose reason starts with its row
number; the rest of the file goes on. Memory stays flat whatever the file size: rows are read,
mapped and stored one batch at a time.

Row numbers are what a person sees in the original: for CSV the row in a spreadsheet (the
header is row 1, the first record row 2); for NDJSON the line; for a JSON array the position of
the object in the array (1 for the first).
"""

from __future__ import annotations

import codecs
import csv
import datetime
import email.utils
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import IO, Any, Final

from django.conf import settings

from pappus.listening.pipeline import ItemRejectedError, NormalizedMention, map_normalized

DEFAULT_MAXIMUM_BYTES: Final = 50 * 1024 * 1024
MAXIMUM_ROW_CHARACTERS: Final = 1_000_000
PREVIEW_ROWS: Final = 10
COLUMN_SAMPLE_ROWS: Final = 200
CHUNK_BYTES: Final = 1024 * 1024

FORMATS: Final = ("csv", "json", "ndjson")
EXTENSIONS: Final = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".json": "json",
    ".ndjson": "ndjson",
    ".jsonl": "ndjson",
}
ENCODINGS: Final = ("utf-8", "utf-16", "windows-1252", "iso-8859-1", "windows-1251", "koi8-r", "gb18030", "shift_jis")

# The fields a column can fill, in the order the mapping form shows them.
TARGET_FIELDS: Final = (
    "text",
    "title",
    "external_id",
    "url",
    "published_at",
    "author_handle",
    "author_name",
    "author_followers",
    "author_url",
    "language",
    "country",
    "network",
    "like_count",
    "share_count",
    "comment_count",
    "view_count",
    "reach_estimate",
    "parent_external_id",
)

# Column names other tools use for each field (compared without case, spaces or punctuation).
_SYNONYMS: Final = {
    "text": ("text", "content", "body", "message", "fulltext", "snippet", "mentiontext", "posttext", "description"),
    "title": ("title", "headline", "subject"),
    "external_id": ("externalid", "id", "mentionid", "postid", "resourceid", "guid", "tweetid", "statusid", "idstr"),
    "url": ("url", "link", "permalink", "posturl", "mentionurl", "originalurl"),
    "published_at": (
        "publishedat",
        "published",
        "date",
        "datetime",
        "createdat",
        "created",
        "timestamp",
        "time",
        "publishdate",
        "posteddate",
        "pubdate",
    ),
    "author_handle": ("authorhandle", "handle", "username", "screenname", "userscreenname", "userusername", "author"),
    "author_name": ("authorname", "name", "fullname", "username", "displayname", "username", "usernamefull"),
    "author_followers": ("authorfollowers", "followers", "followerscount", "userfollowerscount", "audience"),
    "author_url": ("authorurl", "profileurl", "authorlink", "userurl"),
    "language": ("language", "lang", "languagecode", "locale"),
    "country": ("country", "countrycode", "locationcountry"),
    "network": ("network", "source", "sourcetype", "platform", "site", "pagetype", "contentsource"),
    "like_count": ("likecount", "likes", "favoritecount", "favorites", "reactions", "likescount"),
    "share_count": ("sharecount", "shares", "retweetcount", "retweets", "reposts", "sharescount"),
    "comment_count": ("commentcount", "comments", "replycount", "replies", "commentscount"),
    "view_count": ("viewcount", "views", "impressions", "viewscount"),
    "reach_estimate": ("reachestimate", "reach", "potentialreach", "estimatedreach"),
    "parent_external_id": ("parentexternalid", "parentid", "inreplytostatusid", "inreplyto", "threadid"),
}

_DATE_FORMATS: Final = (
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
)
_NUMBER = re.compile(r"^\s*-?\d+(\.\d+)?\s*$")
_NOT_ALPHANUMERIC = re.compile(r"[^0-9a-z]")
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (wrong type, too large, empty, no header)."""


class MappingError(ValueError):
    """The column mapping cannot be used: ``problems`` maps a field to what is wrong with it."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{name}: {problem}" for name, problem in problems.items()))


@dataclass(frozen=True, slots=True)
class ImportPreview:
    """What a person sees before importing: the columns, the first rows and a suggested mapping."""

    format: str
    encoding: str
    columns: list[str]
    rows: list[dict[str, str]]
    suggested_mapping: dict[str, str]
    problems: list[str] = field(default_factory=list)


def maximum_bytes() -> int:
    return int(getattr(settings, "LISTENING_IMPORT_MAXIMUM_BYTES", DEFAULT_MAXIMUM_BYTES))


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"


# --- the upload ----------------------------------------------------------------------------------


def check_upload(name: str, size: int, head: bytes, format: str = "") -> str:
    """The format of an upload, or :class:`ImportFileError` saying what is wrong with it.

    ``head`` is the first few kilobytes. The name's extension says the format unless ``format``
    is given; the content must look like it (a zip, an Excel workbook, a PDF or other binary file
    is refused whatever its name).
    """
    if size <= 0 or not head.strip():
        raise ImportFileError("the file is empty")
    limit = maximum_bytes()
    if size > limit:
        raise ImportFileError(f"the file is {_megabytes(size)}; the limit is {_megabytes(limit)}")
    extension = PurePath(name).suffix.lower()
    if format:
        if format not in FORMATS:
            raise ImportFileError(f"unknown format {format!r}: expected csv, json or ndjson")
    elif extension in EXTENSIONS:
        format = EXTENSIONS[extension]
    else:
        raise ImportFileError(
            f"expected a .csv, .tsv, .json, .ndjson or .jsonl file, got {extension or 'a name without an extension'}"
        )
    if head.startswith(b"PK\x03\x04"):
        raise ImportFileError("this is a zip archive or an Excel workbook: export the sheet as CSV (UTF-8) first")
    if head.startswith(b"%PDF"):
        raise ImportFileError("this is a PDF document, not an export of mentions")
    encoding = detect_encoding(head)
    if encoding != "utf-16" and b"\x00" in head[:4096]:
        raise ImportFileError("this looks like a binary file, not text: expected CSV, JSON or NDJSON")
    text = head.decode(encoding, errors="replace").lstrip("\ufeff \t\r\n")
    if format == "json" and not text.startswith(("[", "{")):
        raise ImportFileError("this is not JSON: expected an array of objects starting with [")
    if format == "ndjson" and not text.startswith("{"):
        raise ImportFileError("this is not NDJSON: expected one JSON object per line, the first starting with {")
    return format


def detect_encoding(head: bytes, declared: str = "") -> str:
    """A byte-order mark wins; then the encoding a person chose; UTF-8 otherwise."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8"
    if declared:
        try:
            return codecs.lookup(declared).name
        except LookupError as error:
            raise ImportFileError(f"unknown encoding {declared!r}") from error
    return "utf-8"


# --- reading -------------------------------------------------------------------------------------


def _text_chunks(file: IO[bytes], encoding: str) -> Iterator[str]:
    """Decoded text, one chunk at a time; bytes that are not in ``encoding`` stay visible as
    escapes (U+DC80 to U+DCFF) so the row that holds them can be rejected, not the whole file."""
    decoder = codecs.getincrementaldecoder("utf-8-sig" if encoding == "utf-8" else encoding)(errors="surrogateescape")
    first = True
    while chunk := file.read(CHUNK_BYTES):
        text = decoder.decode(chunk)
        if first and encoding == "utf-16":
            text = text.removeprefix("\ufeff")
        first = False
        if text:
            yield text
    if rest := decoder.decode(b"", final=True):
        yield rest


def _lines(chunks: Iterable[str]) -> Iterator[str]:
    """Lines with their endings (only ``\\n`` ends a line: CSV fields may hold other breaks)."""
    pending = ""
    for chunk in chunks:
        pending += chunk
        *complete, pending = pending.split("\n")
        for line in complete:
            yield line + "\n"
    if pending:
        yield pending


def _bad_bytes(value: str) -> str:
    return ", ".join(f"0x{ord(character) - 0xDC00:02X}" for character in _ESCAPED_BYTE.findall(value)[:3])


def _visible(value: Any) -> Any:
    """``value`` with undecodable bytes shown as U+FFFD, as a person would see them in an editor."""
    if isinstance(value, str):
        return _ESCAPED_BYTE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_visible(key): _visible(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_visible(item) for item in value]
    return value


def _encoding_problem(record: Mapping[str, Any], encoding: str) -> str | None:
    for key, value in _flatten(record).items():
        if isinstance(value, str) and _ESCAPED_BYTE.search(value):
            return (
                f"column {key!r} holds bytes that are not {encoding} ({_bad_bytes(value)}): re-export the file "
                f"as UTF-8 or choose its encoding"
            )
        if _ESCAPED_BYTE.search(key):
            return f"a column name holds bytes that are not {encoding} ({_bad_bytes(key)})"
    return None


def _sniff_delimiter(header: str) -> str:
    counts = {delimiter: header.count(delimiter) for delimiter in (",", ";", "\t", "|")}
    best = max(counts, key=lambda delimiter: counts[delimiter])
    return best if counts[best] else ","


def _csv_records(lines: Iterator[str]) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """``(row, record, problem)``: the record with its columns, or None and what is wrong."""
    first = next(lines, None)
    if first is None or not first.strip():
        raise ImportFileError("the file has no header row: expected column names on the first line")
    delimiter = _sniff_delimiter(first.split("\n")[0])
    reader = csv.reader(_chain(first, lines), delimiter=delimiter)
    try:
        header = next(reader)
    except csv.Error as error:
        raise ImportFileError(f"the header row cannot be read: {error}") from error
    columns = _column_names(header)
    row = 1
    while True:
        row += 1
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield row, None, f"the row cannot be read as CSV: {error}"
            continue
        if not any(value.strip() for value in values):
            row -= 1  # blank lines are not rows in a spreadsheet either
            continue
        if len(values) > len(columns):
            yield row, None, f"the row has {len(values)} values but the header has {len(columns)} columns"
            continue
        yield row, dict(zip(columns, values, strict=False)), ""


def _chain(first: str, rest: Iterator[str]) -> Iterator[str]:
    yield first
    yield from rest


def _column_names(header: list[str]) -> list[str]:
    names: list[str] = []
    for position, name in enumerate(header, start=1):
        cleaned = name.strip().lstrip("\ufeff") or f"column {position}"
        while cleaned in names:
            cleaned = f"{cleaned} ({position})"
        names.append(cleaned)
    return names


def _ndjson_records(lines: Iterator[str]) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    for row, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if len(line) > MAXIMUM_ROW_CHARACTERS:
            yield row, None, f"the line is oversized: {len(line)} characters, the limit is {MAXIMUM_ROW_CHARACTERS}"
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            yield row, None, f"not valid JSON at column {error.colno}: {error.msg}"
            continue
        yield _object(row, value)


def _object(row: int, value: Any) -> tuple[int, dict[str, Any] | None, str]:
    if not isinstance(value, dict):
        return row, None, f"expected a JSON object, got {_json_type(value)}"
    return row, value, ""


def _json_type(value: Any) -> str:
    names = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}
    return names.get(type(value), "a number")


_LIST_KEYS: Final = ("data", "items", "mentions", "results", "posts", "records", "statuses", "documents")


def _json_records(  # noqa: PLR0915 - one reader, easier to follow in one piece
    chunks: Iterator[str],
) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """The objects of a top-level JSON array, read one by one (a file of any size in flat memory).

    A top-level object is read whole (the upload's size limit bounds it) and its first array
    of objects (``data``, ``items``, ``mentions``...) is taken. Text that is not JSON ends the
    file: the rows before it are kept, the rest is one rejected item saying where it broke.
    """
    decoder = json.JSONDecoder()
    buffer = ""
    position = 0
    finished = False

    def more() -> bool:
        nonlocal buffer, position, finished
        chunk = next(chunks, None)
        if chunk is None:
            finished = True
            return False
        buffer = buffer[position:] + chunk
        position = 0
        return True

    def skip_space() -> str:
        nonlocal position
        while True:
            while position < len(buffer) and buffer[position] in " \t\r\n\ufeff":
                position += 1
            if position < len(buffer):
                return buffer[position]
            if not more():
                return ""

    start = skip_space()
    if start == "{":
        while more():
            pass
        yield from _wrapped_array(buffer[position:])
        return
    if start != "[":
        raise ImportFileError("this is not JSON: expected an array of objects starting with [")
    position += 1
    row = 0
    while True:
        character = skip_space()
        if character == "]":
            return
        if row and character == ",":
            position += 1
            character = skip_space()
        if not character:
            yield row + 1, None, "the file ends in the middle of the array: the rest of the file is missing"
            return
        row += 1
        while True:
            try:
                value, end = decoder.raw_decode(buffer, position)
            except json.JSONDecodeError as error:
                if not finished and more():
                    continue
                line = buffer.count("\n", 0, error.pos) + 1
                yield (
                    row,
                    None,
                    f"not valid JSON ({error.msg}, near line {line} of the rest of the file); the "
                    "rest of the file was not read",
                )
                return
            if end >= len(buffer) and not finished and more():
                continue  # a number or literal may go on in the next chunk
            break
        if end - position > MAXIMUM_ROW_CHARACTERS:
            yield (
                row,
                None,
                f"the object is oversized: {end - position} characters, the limit is {MAXIMUM_ROW_CHARACTERS}",
            )
        else:
            yield _object(row, value)
        position = end


def _wrapped_array(text: str) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportFileError(f"not valid JSON at line {error.lineno}, column {error.colno}: {error.msg}") from error
    items = next(
        (document[key] for key in (*_LIST_KEYS, *document) if isinstance(document.get(key), list)),
        None,
    )
    if items is None:
        raise ImportFileError("the JSON object holds no array of mentions: expected an array, or a key such as data")
    for row, value in enumerate(items, start=1):
        yield _object(row, value)


def read_records(
    file: IO[bytes], format: str, encoding: str = "utf-8"
) -> Iterator[tuple[int, dict[str, Any] | None, str]]:
    """Every row of the file as ``(row, record, problem)``; exactly one of record and problem is set."""
    chunks = _text_chunks(file, encoding)
    if format == "csv":
        records = _csv_records(_lines(chunks))
    elif format == "ndjson":
        records = _ndjson_records(_lines(chunks))
    elif format == "json":
        records = _json_records(chunks)
    else:
        raise ImportFileError(f"unknown format {format!r}: expected csv, json or ndjson")
    for row, record, problem in records:
        if record is not None and (encoding_problem := _encoding_problem(record, encoding)):
            yield row, None, encoding_problem
        else:
            yield row, record, problem


# --- columns and mapping -------------------------------------------------------------------------


def _flatten(record: Mapping[str, Any], prefix: str = "", depth: int = 0) -> dict[str, Any]:
    """Nested objects as dotted columns (``user.screen_name``), three levels deep."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and depth < 2 and value:
            flat.update(_flatten(value, f"{name}.", depth + 1))
        else:
            flat[name] = value
    return flat


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def _key(name: str) -> str:
    return _NOT_ALPHANUMERIC.sub("", name.casefold())


def suggest_mapping(columns: Iterable[str]) -> dict[str, str]:
    """Each field's most likely column, by the names other tools give it; a column is used once."""
    by_key: dict[str, str] = {}
    for column in columns:
        by_key.setdefault(_key(column), column)
        by_key.setdefault(_key(column.rsplit(".", 1)[-1]), column)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for target in TARGET_FIELDS:
        for synonym in _SYNONYMS[target]:
            found = by_key.get(synonym)
            if found is not None and found not in used:
                mapping[target] = found
                used.add(found)
                break
    return mapping


def import_preview(file: IO[bytes], format: str, *, encoding: str = "", rows: int = PREVIEW_ROWS) -> ImportPreview:
    """The columns, the first ``rows`` rows (as text) and a suggested mapping of a file.

    Columns are the CSV header, or the keys (nested ones dotted) of the first objects of a JSON
    or NDJSON file. Rows that cannot be read are listed in ``problems`` with their row number.
    """
    head = file.read(4096)
    file.seek(0)
    encoding = detect_encoding(head, encoding)
    columns: list[str] = []
    shown: list[dict[str, str]] = []
    problems: list[str] = []
    for count, (row, record, problem) in enumerate(read_records(file, format, encoding), start=1):
        if record is None:
            problems.append(f"row {row}: {problem}")
        else:
            flat = _flatten(record)
            columns.extend(name for name in flat if name not in columns)
            if len(shown) < rows:
                shown.append({name: _cell(value) for name, value in flat.items()})
        if count >= COLUMN_SAMPLE_ROWS:
            break
    file.seek(0)
    return ImportPreview(
        format=format,
        encoding=encoding,
        columns=columns,
        rows=shown,
        suggested_mapping=suggest_mapping(columns),
        problems=problems[:rows],
    )


def validate_mapping(mapping: Mapping[str, Any], columns: Iterable[str] | None = None) -> dict[str, str]:
    """The mapping without empty entries, or :class:`MappingError` naming each problem.

    Keys are fields (:data:`TARGET_FIELDS`), values column names. Text or title must be mapped.
    With ``columns`` (a CSV header), every column must exist in the file.
    """
    known = None if columns is None else set(columns)
    cleaned: dict[str, str] = {}
    problems: dict[str, str] = {}
    for target, column in mapping.items():
        if target not in TARGET_FIELDS:
            problems[str(target)] = f"unknown field; expected one of {', '.join(TARGET_FIELDS)}"
            continue
        if column is None or column == "":
            continue
        if not isinstance(column, str):
            problems[target] = "expected a column name"
        elif known is not None and column not in known:
            problems[target] = f"the file has no column {column!r}"
        else:
            cleaned[target] = column
    if "text" not in cleaned and "title" not in cleaned and not problems:
        problems["text"] = "map the column that holds the text (or the title) of each mention"
    if problems:
        raise MappingError(problems)
    return cleaned


# --- rows to mentions ----------------------------------------------------------------------------


def parse_date(value: Any) -> datetime.datetime | None:
    """A date as other tools write it: ISO 8601, RFC 2822, Unix seconds (or milliseconds),
    ``2026/01/31 09:30`` or ``31.01.2026 09:30``; UTC when no offset is given."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise ValueError(value)
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.match(value)):
        seconds = float(value)
        if seconds > 100_000_000_000:  # milliseconds
            seconds /= 1000
        return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)
    text = str(value).strip()
    moment: datetime.datetime | None = None
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(text)
        except (TypeError, ValueError):
            for pattern in _DATE_FORMATS:
                try:
                    moment = datetime.datetime.strptime(text, pattern)  # noqa: DTZ007 - UTC is set below
                    break
                except ValueError:
                    continue
    if moment is None:
        raise ValueError(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def _lookup(record: Mapping[str, Any], column: str) -> Any:
    if column in record:
        return record[column]
    value: Any = record
    for part in column.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def envelope(
    row: int, record: dict[str, Any] | None, problem: str, mapping: Mapping[str, str], file_name: str
) -> dict[str, Any]:
    """What goes through the pipeline for one row, and is kept in a rejected item for a retry."""
    item: dict[str, Any] = {"row": row, "file": file_name, "mapping": dict(mapping)}
    if record is None:
        item["problem"] = problem
    else:
        item["record"] = _visible(record)
    return item


def locate_row(item: Mapping[str, Any]) -> str:
    return f"row {item.get('row', '?')}"


def map_row(item: Mapping[str, Any]) -> NormalizedMention:
    """A mention from one row's envelope (see :func:`envelope`), by its column mapping."""
    if item.get("problem"):
        raise ItemRejectedError(str(item["problem"]))
    record = item.get("record")
    mapping = item.get("mapping")
    if not isinstance(record, Mapping) or not isinstance(mapping, Mapping):
        raise ItemRejectedError("the row has no record or no column mapping")
    values = {target: _lookup(record, str(column)) for target, column in mapping.items() if target in TARGET_FIELDS}
    for target, value in list(values.items()):
        if isinstance(value, str):
            values[target] = value.strip()
    try:
        published = parse_date(values.get("published_at"))
    except (ValueError, OverflowError, OSError) as error:
        column = mapping.get("published_at")
        raise ItemRejectedError(
            f"column {column!r}: {values.get('published_at')!r} is not a date; expected ISO 8601 "
            "(2026-01-31T09:30:00Z), RFC 2822, Unix seconds or 31.01.2026 09:30"
        ) from error
    values["published_at"] = published.isoformat() if published else None
    if not values.get("external_id") and not values.get("url"):
        digest = hashlib.blake2b(json.dumps(record, sort_keys=True, default=str).encode(), digest_size=16)
        values["external_id"] = f"row:{digest.hexdigest()}"  # the same row imported twice is a duplicate
    for target in ("author_followers", "like_count", "share_count", "comment_count", "view_count", "reach_estimate"):
        value = values.get(target)
        if isinstance(value, str):
            values[target] = value.replace(",", "").replace("\u00a0", "").replace(" ", "")
        elif isinstance(value, float) and value.is_integer():
            values[target] = int(value)
    mention = map_normalized(values, network=str(values.get("network") or "file"))
    mention.raw = {"row": item.get("row"), "file": item.get("file", ""), "record": dict(record)}
    return mention
