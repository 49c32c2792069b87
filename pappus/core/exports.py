"""CSV exports that stream and that a spreadsheet opens safely; every app's export uses these."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator


class _Echo:
    """A file-like object whose ``write`` hands the line back, for streaming CSV rows."""

    def write(self, value: str) -> str:
        return value


def spreadsheet_safe(value: str) -> str:
    """Quote a cell that starts like a formula, which a spreadsheet would run (CSV injection)."""
    return f"'{value}" if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


def csv_lines(rows: Iterable[Iterable[object]]) -> Iterator[str]:
    """Each row as one CSV line, cells made spreadsheet-safe, for a StreamingHttpResponse."""
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow([spreadsheet_safe("" if cell is None else str(cell)) for cell in row])
