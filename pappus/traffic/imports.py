"""Reading a web-analytics CSV export: landing page, day, sessions, bounces, conversions.

The columns are chosen by the person importing (a mapping, suggested from the headings); every row
that cannot be read is reported with its number and what is wrong, and the others are imported.
Rows of the same day and landing page in one file are added together (an export split by device,
say); a later import of the same day and page replaces the earlier figures, so importing a file
twice changes nothing.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from pappus.core import csvfiles
from pappus.traffic.pixel import landing_page

MAXIMUM_BYTES = 5 * 1024 * 1024
MAXIMUM_ROWS = 200_000
FIELDS = ("landing_page", "day", "sessions", "bounces", "conversions")
OPTIONAL_FIELDS = frozenset({"bounces", "conversions"})
REQUIRED_FIELDS = frozenset(FIELDS) - OPTIONAL_FIELDS
# Headings that usually hold each field (lower case, spaces and underscores ignored).
SUGGESTIONS: dict[str, tuple[str, ...]] = {
    "landing_page": ("landingpage", "page", "pagepath", "landingpagepath", "url", "landingpageqsl", "entrypage"),
    "day": ("date", "day", "dato", "дата"),
    "sessions": ("sessions", "visits", "økter", "сеансы", "визиты"),
    "bounces": ("bounces", "bouncedsessions", "отказы"),
    "conversions": ("conversions", "goals", "keyevents", "goalcompletions", "конверсии"),
}
DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%d.%m.%Y", "%m/%d/%Y", "%Y/%m/%d")


@dataclass
class ParsedRows:
    """Figures per (day, landing page) and each refused row's line number in the file and reason."""

    totals: dict[tuple[datetime.date, str], list[int]] = field(default_factory=dict)
    errors: list[dict[str, object]] = field(default_factory=list)
    read: int = 0


# The file checks, reader and preview are core's, shared with every import that has a mapping step.
ImportFileError = csvfiles.ImportFileError
columns = csvfiles.columns
preview_rows = csvfiles.preview_rows


def decode(name: str, data: bytes) -> str:
    """The upload as text, or ImportFileError saying why not."""
    return csvfiles.decode(name, data, maximum_bytes=MAXIMUM_BYTES)


def suggest_mapping(headings: list[str]) -> dict[str, str]:
    return csvfiles.suggest_mapping(headings, SUGGESTIONS)


def check_mapping(mapping: Mapping[str, str], headings: list[str]) -> dict[str, str]:
    """The mapping kept to known fields; ValueError with a list naming each problem."""
    return csvfiles.check_mapping(mapping, headings, fields=FIELDS, required=REQUIRED_FIELDS)


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
    rows, skipped = csvfiles.reader(text)
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
