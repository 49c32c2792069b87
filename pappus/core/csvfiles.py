"""Reading an uploaded CSV export whose columns the person maps: the file checks, the reader, the
heading suggestions and the mapping check that every import with a mapping step shares (traffic's
web-analytics exports, ads managers' exports).

Each caller keeps its own fields, suggestions and row parsing; what is here knows nothing of them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from django.utils.translation import gettext as _

SUFFIXES = (".csv", ".txt", ".tsv")
DELIMITERS = ",;\t"


class ImportFileError(ValueError):
    """The file as a whole cannot be read (size, type, encoding, no heading)."""


def decode(name: str, data: bytes, *, maximum_bytes: int) -> str:
    """The upload as text, or ImportFileError saying why not."""
    if not name.lower().endswith(SUFFIXES):
        raise ImportFileError(_("Upload a CSV file (.csv, .tsv or .txt), not “%(name)s”.") % {"name": name[:100]})
    if len(data) > maximum_bytes:
        raise ImportFileError(_("The file is larger than %(limit)s MB.") % {"limit": maximum_bytes // (1024 * 1024)})
    if b"\x00" in data[:8192]:
        raise ImportFileError(_("This is not a text file (it holds binary data)."))
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_("The file is neither UTF-8 nor Windows-1252 text."))


def reader(text: str) -> tuple[Any, int]:
    """A CSV reader from the heading on, and how many lines came before it (exports such as Google
    Analytics' start with ``#`` comments): ``reader.line_num + skipped`` is a row's line in the file."""
    lines = text.splitlines()
    skipped = 0
    while skipped < len(lines) and (lines[skipped].startswith("#") or not lines[skipped].strip()):
        skipped += 1
    if skipped == len(lines):
        raise ImportFileError(_("The file has no heading row."))
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(lines[skipped], delimiters=DELIMITERS)
    except csv.Error:
        dialect = csv.excel
    return csv.reader(io.StringIO("\n".join(lines[skipped:])), dialect), skipped


def columns(text: str) -> list[str]:
    return [name.strip() for name in next(reader(text)[0])]


def preview_rows(text: str, limit: int = 10) -> list[list[str]]:
    rows, _skipped = reader(text)
    next(rows)
    return [row for _number, row in zip(range(limit), rows, strict=False)]


def heading_key(name: str) -> str:
    """A heading as suggestions compare it: lower case, without spaces, underscores, dashes, brackets,
    colons, slashes and dots."""
    return re.sub(r"[\s_\-()\[\]:/.]+", "", name.lower())


def suggest_mapping(headings: Sequence[str], suggestions: Mapping[str, Collection[str]]) -> dict[str, str]:
    """For each field, the first heading whose key is one of the field's usual names (each heading once)."""
    found: dict[str, str] = {}
    for name, candidates in suggestions.items():
        for heading in headings:
            if heading_key(heading) in candidates and heading not in found.values():
                found[name] = heading
                break
    return found


def check_mapping(
    mapping: Mapping[str, str], headings: Sequence[str], *, fields: Sequence[str], required: Collection[str]
) -> dict[str, str]:
    """The mapping kept to known fields; ValueError with a list naming each problem."""
    problems = []
    cleaned: dict[str, str] = {}
    for name in fields:
        column = (mapping.get(name) or "").strip()
        if not column:
            if name in required:
                problems.append(_("Choose the column that holds “%(field)s”.") % {"field": name})
            continue
        if column not in headings:
            problems.append(_("The file has no column “%(column)s”.") % {"column": column[:100]})
            continue
        cleaned[name] = column
    if problems:
        raise ValueError(problems)
    return cleaned
