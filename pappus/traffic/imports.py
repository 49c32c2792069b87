"""Reading a web-analytics CSV export: landing page, day, sessions, bounces, conversions.

The columns are chosen by the person importing (a mapping, suggested from the headings); every row
that cannot be read is reported with its number and what is wrong, and the others are imported.
Rows of the same day and landing page in one file are added together (an export split by device,
say); a later import of the same day and page replaces the earlier figures, so importing a file
twice changes nothing.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from pappus.traffic.pixel import landing_page

MAXIMUM_BYTES = 5 * 1024 * 1024
MAXIMUM_ROWS = 200_000
FIELDS = ("landing_page", "day", "sessions", "bounces", "conversions")
OPTIONAL_FIELDS = frozenset({"bounces", "conversions"})
# Headings that usually hold each field (lower case, spaces and underscores ignored).
SUGGESTIONS: dict[str, tuple[str, ...]] = {
    "landing_page": ("landingpage", "page", "pagepath", "landingpagepath", "url", "landingpageqsl", "entrypage"),
    "day": ("date", "day", "dato", "дата"),
    "sessions": ("sessions", "visits", "økter", "сеансы", "визиты"),
    "bounces": ("bounces", "bouncedsessions", "отказы"),
    "conversions": ("conversions", "goals", "keyevents", "goalcompletions", "конверсии"),
}
DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%d.%m.%Y", "%m/%d/%Y", "%Y/%m/%d")


class ImportFileError(ValueError):
    """The file as a whole cannot be read (size, type, encoding, no heading)."""


@dataclass
class ParsedRows:
    """Figures per (day, landing page) and each refused row's line number in the file and reason."""

    totals: dict[tuple[datetime.date, str], list[int]] = field(default_factory=dict)
    errors: list[dict[str, object]] = field(default_factory=list)
    read: int = 0


def decode(name: str, data: bytes) -> str:
    """The upload as text, or ImportFileError saying why not."""
    if not name.lower().endswith((".csv", ".txt", ".tsv")):
        raise ImportFileError(_("Upload a CSV file (.csv, .tsv or .txt), not “%(name)s”.") % {"name": name[:100]})
    if len(data) > MAXIMUM_BYTES:
        raise ImportFileError(_("The file is larger than %(limit)s MB.") % {"limit": MAXIMUM_BYTES // (1024 * 1024)})
    if b"\x00" in data[:8192]:
        raise ImportFileError(_("This is not a text file (it holds binary data)."))
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_("The file is neither UTF-8 nor Windows-1252 text."))


def _reader(text: str) -> tuple[Any, int]:
    """A CSV reader from the heading on, and how many lines came before it (GA exports start with
    ``#`` comments): ``reader.line_num + skipped`` is a row's line number in the file."""
    lines = text.splitlines()
    skipped = 0
    while skipped < len(lines) and (lines[skipped].startswith("#") or not lines[skipped].strip()):
        skipped += 1
    if skipped == len(lines):
        raise ImportFileError(_("The file has no heading row."))
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(lines[skipped], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return csv.reader(io.StringIO("\n".join(lines[skipped:])), dialect), skipped


def columns(text: str) -> list[str]:
    return [name.strip() for name in next(_reader(text)[0])]


def preview_rows(text: str, limit: int = 10) -> list[list[str]]:
    rows, _skipped = _reader(text)
    next(rows)
    return [row for _number, row in zip(range(limit), rows, strict=False)]


def _key(name: str) -> str:
    return re.sub(r"[\s_\-]+", "", name.lower())


def suggest_mapping(headings: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for name, candidates in SUGGESTIONS.items():
        for heading in headings:
            if _key(heading) in candidates and heading not in found.values():
                found[name] = heading
                break
    return found


def check_mapping(mapping: Mapping[str, str], headings: list[str]) -> dict[str, str]:
    """The mapping kept to known fields; ValueError naming each problem."""
    problems = []
    cleaned: dict[str, str] = {}
    for name in FIELDS:
        column = (mapping.get(name) or "").strip()
        if not column:
            if name not in OPTIONAL_FIELDS:
                problems.append(_("Choose the column that holds “%(field)s”.") % {"field": name})
            continue
        if column not in headings:
            problems.append(_("The file has no column “%(column)s”.") % {"column": column[:100]})
            continue
        cleaned[name] = column
    if problems:
        raise ValueError(problems)
    return cleaned


def _day(value: str) -> datetime.date:
    value = value.strip()
    for pattern in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(value, pattern).replace(tzinfo=datetime.UTC).date()
        except ValueError:
            continue
    raise ValueError(_("“%(value)s” is not a date (use YYYY-MM-DD).") % {"value": value[:40]})


def _count(value: str, name: str) -> int:
    cleaned = value.strip().replace("\u00a0", "").replace(" ", "").replace(",", "")
    if not cleaned:
        return 0
    try:
        number = float(cleaned)
    except ValueError:
        raise ValueError(_("%(field)s “%(value)s” is not a number.") % {"field": name, "value": value[:40]}) from None
    if number < 0 or number != int(number):
        raise ValueError(
            _("%(field)s must be a whole number of 0 or more, not %(value)s.") % {"field": name, "value": value[:40]}
        )
    return int(number)


def _page(value: str) -> str:
    value = value.strip()
    if value.startswith("/"):
        return value.split("?", 1)[0].split("#", 1)[0][:500]
    page = landing_page(value if "://" in value else f"https://{value}")
    if not value or page is None:
        raise ValueError(_("“%(value)s” is not a landing page (an address or a path).") % {"value": value[:100]})
    return page


def parse(text: str, mapping: Mapping[str, str]) -> ParsedRows:
    rows, skipped = _reader(text)
    headings = [name.strip() for name in next(rows)]
    position = {name: headings.index(column) for name, column in mapping.items()}
    parsed = ParsedRows()
    for row in rows:
        number = rows.line_num + skipped
        if not any(cell.strip() for cell in row):
            continue
        parsed.read += 1
        if parsed.read > MAXIMUM_ROWS:
            parsed.errors.append(
                {
                    "row": number,
                    "message": _("More than %(limit)s rows: the rest was not read.") % {"limit": MAXIMUM_ROWS},
                }
            )
            break
        try:
            cells = {name: row[index] if index < len(row) else "" for name, index in position.items()}
            key = (_day(cells["day"]), _page(cells["landing_page"]))
            sessions = _count(cells["sessions"], _("sessions"))
            bounces = _count(cells.get("bounces", ""), _("bounces"))
            conversions = _count(cells.get("conversions", ""), _("conversions"))
            if bounces > sessions:
                raise ValueError(
                    _("bounces (%(bounces)s) exceed sessions (%(sessions)s).")
                    % {"bounces": bounces, "sessions": sessions}
                )
        except ValueError as error:
            parsed.errors.append({"row": number, "message": str(error)})
            continue
        totals = parsed.totals.setdefault(key, [0, 0, 0])
        totals[0] += sessions
        totals[1] += bounces
        totals[2] += conversions
    return parsed
