"""Reading a conversion-paths export (a web-analytics "conversion paths" report, or a shop's orders
with the campaigns each order came through) for attribution.

Each row is a day, the **path**: the utm_campaign values of the clicks that led to the conversion,
first first, separated by ``>`` (as Google Analytics writes its paths: ``spring_sale > (direct) >
retarget``; an empty step or one in brackets is an unpaid touch), and optionally the number of
conversions (1 when absent), the revenue, its currency (else the workspace's) and a reference (an
order id). The columns are found from their headings (English, Russian, Norwegian, Chinese).

Rows with the same day, path and reference in one file are added together; importing again
**replaces** those rows, so the same file twice changes nothing. Every refused row is listed with
its line and reason.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from pappus.ads import imports
from pappus.ads.models import MAX_AMOUNT
from pappus.core import csvfiles

MAXIMUM_BYTES = 10 * 1024 * 1024
MAXIMUM_ROWS = 200_000
MAXIMUM_STEPS = 50
FIELDS = ("day", "path", "conversions", "revenue", "currency", "reference")
REQUIRED_FIELDS = frozenset({"day", "path"})
SUGGESTIONS: dict[str, tuple[str, ...]] = {
    "day": ("day", "date", "conversiondate", "orderdate", "dato", "дата", "день", "日期"),
    "path": (
        "path",
        "campaignpath",
        "conversionpath",
        "utmcampaignpath",
        "campaign",
        "utmcampaign",
        "путь",
        "путькампаний",
        "kampanjesti",
        "sti",
        "路径",
    ),
    "conversions": ("conversions", "orders", "count", "конверсии", "заказы", "konverteringer", "转化"),
    "revenue": ("revenue", "conversionvalue", "value", "ordervalue", "доход", "выручка", "inntekt", "收入"),
    "currency": ("currency", "валюта", "valuta", "货币"),
    "reference": ("reference", "orderid", "order", "transactionid", "id", "заказ", "ordre", "订单"),
}


@dataclass(frozen=True, slots=True)
class Row:
    day: datetime.date
    path: tuple[str, ...]
    reference: str
    conversions: int
    revenue: Decimal
    currency: str

    @property
    def path_text(self) -> str:
        return " > ".join(step or "(none)" for step in self.path)


@dataclass
class Parsed:
    rows: dict[tuple[datetime.date, str, str], Row] = field(default_factory=dict)
    read: int = 0
    errors: list[dict[str, object]] = field(default_factory=list)


def parse_path(value: str) -> tuple[str, ...]:
    """``a > (direct) > b`` → ``("a", "", "b")``: a step in brackets or empty is an unpaid touch."""
    steps = [step.strip() for step in value.split(">")]
    if len(steps) > MAXIMUM_STEPS:
        raise ValueError(_("A path has at most %(most)s steps.") % {"most": MAXIMUM_STEPS})
    cleaned = tuple("" if step.startswith("(") and step.endswith(")") else step[:200] for step in steps)
    if not any(cleaned) and not value.strip():
        raise ValueError(_("The path is empty."))
    return cleaned


def parse(name: str, data: bytes, *, default_currency: str) -> Parsed:
    """The file's rows, or csvfiles.ImportFileError / ValueError naming what is wrong with the file."""
    text = csvfiles.decode(name, data, maximum_bytes=MAXIMUM_BYTES)
    headings = csvfiles.columns(text)
    mapping = csvfiles.check_mapping(
        csvfiles.suggest_mapping(headings, SUGGESTIONS), headings, fields=FIELDS, required=REQUIRED_FIELDS
    )
    reader, skipped = csvfiles.reader(text)
    index = {heading: position for position, heading in enumerate(name.strip() for name in next(reader))}
    parsed = Parsed()
    for values in reader:
        if not any(value.strip() for value in values):
            continue
        parsed.read += 1
        line = reader.line_num + skipped
        if parsed.read > MAXIMUM_ROWS:
            raise ValueError([_("The file has more than %(most)s rows.") % {"most": MAXIMUM_ROWS}])

        def cell(key: str, values: list[str] = values) -> str:
            column = mapping.get(key)
            return values[index[column]] if column is not None and index[column] < len(values) else ""

        try:
            day = imports.parse_day(cell("day"))
            path = parse_path(cell("path"))
            conversions = imports.parse_count(cell("conversions"), _("Conversions")) if cell("conversions") else 1
            revenue = imports.parse_amount(cell("revenue"), _("Revenue"))
            currency = imports.parse_currency(cell("currency"), default_currency)
        except ValueError as error:
            parsed.errors.append({"row": line, "message": str(error)})
            continue
        reference = cell("reference").strip()[:200]
        row = Row(day, path, reference, conversions, revenue, currency)
        key = (day, row.path_text, reference)
        if key in parsed.rows:
            earlier = parsed.rows[key]
            if earlier.currency != currency:
                parsed.errors.append({"row": line, "message": _("The same path and day in another currency.")})
                continue
            row = Row(day, path, reference, earlier.conversions + conversions, earlier.revenue + revenue, currency)
            if row.revenue > MAX_AMOUNT:
                parsed.errors.append({"row": line, "message": _("The revenue of this path and day is too large.")})
                continue
        parsed.rows[key] = row
    return parsed
