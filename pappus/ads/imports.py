# ruff: noqa: RUF001 - Cyrillic, Norwegian and Han column headings are meant.
"""Reading an ads manager's CSV export (Meta, VK, Google, or any other): one row per day and campaign,
ad set or ad, with spend and results.

The person importing chooses which column holds what (suggested from the headings) and sees a
preview first. A row's level is the finest object it names: an ad when the ad column is mapped and
filled, else an ad set, else the campaign. Rows of the same object and day in one file are added
together (an export split by placement or device); importing again replaces a day's figures rather
than adding them, so the same file twice changes nothing. Every row is accounted for: imported
(a new day), updated (a day that was there) or refused with its line number and the reason.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from pappus.ads.models import FIRST_DAY, LAST_DAY, MAX_AMOUNT, MAX_COUNT
from pappus.core import csvfiles

MAXIMUM_BYTES = 10 * 1024 * 1024
MAXIMUM_ROWS = 200_000
FIELDS = (
    "day",
    "campaign",
    "campaign_id",
    "ad_set",
    "ad_set_id",
    "ad",
    "ad_id",
    "currency",
    "spend",
    "impressions",
    "reach",
    "clicks",
    "conversions",
    "revenue",
)
REQUIRED_FIELDS = frozenset({"day", "campaign", "spend"})
# Headings that usually hold each field (lower case; spaces, underscores, dashes and brackets ignored).
SUGGESTIONS: dict[str, tuple[str, ...]] = {
    "day": ("day", "date", "reportingstarts", "dato", "дата", "день", "日期"),
    "campaign": ("campaign", "campaignname", "кампания", "названиекампании", "kampanje", "广告系列"),
    "campaign_id": ("campaignid", "idкампании"),
    "ad_set": ("adset", "adsetname", "adgroup", "adgroupname", "группаобъявлений", "annonsesett"),
    "ad_set_id": ("adsetid", "adgroupid"),
    "ad": ("ad", "adname", "объявление", "annonse", "广告"),
    "ad_id": ("adid", "idобъявления"),
    "currency": ("currency", "валюта", "valuta", "货币"),
    "spend": ("spend", "amountspent", "amountspenteur", "amountspentusd", "cost", "расход", "расходы", "forbruk"),
    "impressions": ("impressions", "показы", "visninger", "展示次数"),
    "reach": ("reach", "охват", "rekkevidde", "覆盖人数"),
    "clicks": ("clicks", "linkclicks", "clicksall", "клики", "переходы", "klikk", "点击量"),
    "conversions": ("conversions", "results", "purchases", "конверсии", "результаты", "konverteringer", "转化"),
    "revenue": ("revenue", "conversionvalue", "purchasesconversionvalue", "доход", "выручка", "inntekt", "收入"),
}
DATE_FORMATS = ("%Y-%m-%d", "%Y%m%d", "%d.%m.%Y", "%m/%d/%Y", "%Y/%m/%d")


@dataclass(frozen=True, slots=True)
class ObjectKey:
    """Which campaign, ad set or ad a row is about, as the file names it."""

    campaign: str
    campaign_id: str
    ad_set: str
    ad_set_id: str
    ad: str
    ad_id: str

    @property
    def level(self) -> str:
        return "ad" if self.ad else "adset" if self.ad_set else "campaign"


@dataclass
class Totals:
    currency: str
    spend: Decimal = Decimal("0.00")
    impressions: int = 0
    reach: int = 0
    clicks: int = 0
    conversions: int = 0
    revenue: Decimal = Decimal("0.00")
    lines: list[int] = field(default_factory=list)


@dataclass
class ParsedRows:
    """Figures per (object, day) with the file lines behind each, and each refused line and why."""

    totals: dict[tuple[ObjectKey, datetime.date], Totals] = field(default_factory=dict)
    errors: list[dict[str, object]] = field(default_factory=list)
    read: int = 0

    @property
    def accepted(self) -> int:
        return sum(len(totals.lines) for totals in self.totals.values())


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


def parse_day(value: str) -> datetime.date:
    value = value.strip()
    for pattern in DATE_FORMATS:
        try:
            day = datetime.datetime.strptime(value, pattern).replace(tzinfo=datetime.UTC).date()
        except ValueError:
            continue
        if not FIRST_DAY <= day <= LAST_DAY:
            raise ValueError(_("Choose a day between 1970 and 2999."))
        return day
    raise ValueError(_("“%(value)s” is not a date (use YYYY-MM-DD).") % {"value": value[:40]})


def parse_count(value: str, name: str) -> int:
    cleaned = value.strip().replace("\u00a0", "").replace(" ", "").replace(",", "")
    if not cleaned or cleaned in {"-", "—"}:
        return 0
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(_("%(field)s “%(value)s” is not a number.") % {"field": name, "value": value[:40]}) from None
    if not number.is_finite() or number < 0 or number != number.to_integral_value() or number > MAX_COUNT:
        raise ValueError(
            _("%(field)s must be a whole number from 0 to %(limit)s, not %(value)s.")
            % {"field": name, "limit": MAX_COUNT, "value": value[:40]}
        )
    return int(number)


def parse_amount(value: str, name: str) -> Decimal:
    """An amount such as ``1234.5``, ``1,234.50``, ``1 234,50`` or ``€12.30``: the last ``.`` or ``,``
    followed by one or two digits is the decimal mark, other marks group thousands."""
    cleaned = re.sub(r"[\s\u00a0\u202f'€$£¥₽]|kr|NOK|EUR|USD|RUB", "", value.strip())
    if not cleaned or cleaned in {"-", "—"}:
        return Decimal("0.00")
    match = re.fullmatch(r"(\d[\d.,]*?)(?:[.,](\d{1,2}))?", cleaned)
    if match is None:
        raise ValueError(_("%(field)s “%(value)s” is not an amount.") % {"field": name, "value": value[:40]})
    whole = match.group(1).replace(",", "").replace(".", "")
    amount = Decimal(f"{whole}.{match.group(2) or '0'}").quantize(Decimal("0.01"))
    if amount > MAX_AMOUNT:
        raise ValueError(
            _("%(field)s %(value)s is larger than %(limit)s.")
            % {"field": name, "value": value[:40], "limit": MAX_AMOUNT}
        )
    return amount


def parse_currency(value: str, default: str) -> str:
    code = value.strip().upper()
    if not code:
        return default
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError(_("“%(value)s” is not a currency code such as EUR.") % {"value": value[:40]})
    return code


def parse(text: str, mapping: Mapping[str, str], *, default_currency: str) -> ParsedRows:
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
            parsed.read -= 1
            parsed.errors.append(
                {
                    "row": number,
                    "message": _("More than %(limit)s rows: the rest was not read.") % {"limit": MAXIMUM_ROWS},
                }
            )
            break
        try:
            cells = {name: (row[index] if index < len(row) else "").strip() for name, index in position.items()}
            day = parse_day(cells["day"])
            key = ObjectKey(
                campaign=cells["campaign"][:300],
                campaign_id=cells.get("campaign_id", "")[:100],
                ad_set=cells.get("ad_set", "")[:300],
                ad_set_id=cells.get("ad_set_id", "")[:100],
                ad=cells.get("ad", "")[:300],
                ad_id=cells.get("ad_id", "")[:100],
            )
            if not key.campaign:
                raise ValueError(_("The campaign is empty."))
            currency = parse_currency(cells.get("currency", ""), default_currency)
            spend = parse_amount(cells["spend"], _("spend"))
            revenue = parse_amount(cells.get("revenue", ""), _("revenue"))
            impressions = parse_count(cells.get("impressions", ""), _("impressions"))
            reach = parse_count(cells.get("reach", ""), _("reach"))
            clicks = parse_count(cells.get("clicks", ""), _("clicks"))
            conversions = parse_count(cells.get("conversions", ""), _("conversions"))
            totals = parsed.totals.get((key, day))
            if totals is not None and totals.currency != currency:
                raise ValueError(
                    _("The same day of “%(name)s” is in %(first)s on an earlier row and in %(second)s here.")
                    % {"name": key.ad or key.ad_set or key.campaign, "first": totals.currency, "second": currency}
                )
        except ValueError as error:
            parsed.errors.append({"row": number, "message": str(error)})
            continue
        if totals is None:
            totals = parsed.totals[(key, day)] = Totals(currency=currency)
        totals.spend += spend
        totals.revenue += revenue
        totals.impressions += impressions
        totals.reach += reach
        totals.clicks += clicks
        totals.conversions += conversions
        totals.lines.append(number)
    return parsed
