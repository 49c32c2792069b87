"""Reports that write themselves: a day's, week's or month's KPIs (with the previous period), charts,
top posts, mentions and sentiment, and inbox response times, in the report's language.

One report is rendered three ways from the same numbers:

- the **document** (HTML with SVG charts), shown in the archive and turned into the **PDF** by WeasyPrint;
- the **e-mail** HTML, whose charts are ``cid:`` images sent as PNG parts (rendered by vl-convert from the
  Vega-Lite specs kept with the report, so a later resend sends the same charts);
- a **plain-text** part with the same figures.

Periods are whole days in the workspace's time zone, as the rollups are: a daily report covers the
day before, a weekly one the ISO week (Monday to Sunday) before, a monthly one the calendar month
before. A report over a region covers that region and every spoke below it.
"""

from __future__ import annotations

import copy
import datetime
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.db.models import Max
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from pappus.analytics import charts, kpis, selectors
from pappus.analytics.models import PostSnapshot, ReportKind
from pappus.core.charts import Spec, to_svg
from pappus.core.models import Region, Workspace
from pappus.core.timezones import zone_named
from pappus.inbox import facade as inbox_facade
from pappus.listening import facade as listening_facade
from pappus.publishing import facade as publishing_facade

# The charts of a report, in order (keys of ``selectors.DATASET_KEYS``).
REPORT_CHARTS = ("followers", "engagement", "content_types", "sentiment", "share_of_voice")
logger = logging.getLogger("pappus.analytics")
CHART_WIDTH = 600
CHART_HEIGHT = 200
TOP_POSTS = 5


def period_containing(kind: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The day, ISO week (Monday to Sunday) or calendar month of ``kind`` that holds ``day``."""
    if kind == ReportKind.DAILY:
        return day, day
    if kind == ReportKind.WEEKLY:
        monday = day - datetime.timedelta(days=day.weekday())
        return monday, monday + datetime.timedelta(days=6)
    if kind == ReportKind.MONTHLY:
        first = day.replace(day=1)
        following = (first + datetime.timedelta(days=32)).replace(day=1)
        return first, following - datetime.timedelta(days=1)
    raise ValueError(f"unknown report kind {kind!r}")


def period_for(kind: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The latest whole period of ``kind`` that ended before ``today`` (the workspace's days, as its
    rollups are): first and last day."""
    first, _last = period_containing(kind, today)
    return period_containing(kind, first - datetime.timedelta(days=1))


def region_ids_for(workspace_id: int, region_id: int | None) -> tuple[int, ...] | None:
    """The region with every spoke below it (None: the whole workspace)."""
    if region_id is None:
        return None
    _regions, children = selectors.region_tree(workspace_id)
    return tuple(sorted(selectors.with_spokes([region_id], children)))


# --- formatting in the active language ------------------------------------------------------------


def number(value: float | None, decimals: int = 0) -> str:
    if value is None:
        return "—"
    return formats.number_format(round(value, decimals), decimals, use_l10n=True, force_grouping=True)


def display(value: float | None, unit: str, *, signed: bool = False) -> str:
    """A KPI's value as the dashboard writes it, with the active language's separators."""
    if value is None:
        return "—"
    sign = "+" if signed and value > 0 else ""
    if unit == "percent":
        return f"{sign}{number(value, 1)} {_('pp') if signed else '%'}"
    if unit == "hours":
        return f"{sign}{number(value, 1)} {_('h')}"
    return f"{sign}{number(value)}"


def date_text(day: datetime.date) -> str:
    return formats.date_format(day, "DATE_FORMAT", use_l10n=True)


# --- the numbers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class TopPost:
    title: str
    network: str
    published_at: datetime.datetime
    engagements: int | None
    impressions: int | None

    @property
    def engagement_rate(self) -> float | None:
        if self.engagements is None or not self.impressions:
            return None
        return self.engagements / self.impressions * 100


def top_posts(scope: kpis.Scope, limit: int = TOP_POSTS) -> list[TopPost]:
    """Variants published in the period, by engagements counted at its end (each one's last snapshot
    in the period: counters are lifetime totals), most first."""
    rows = PostSnapshot.objects.for_workspace(scope.workspace_id).filter(
        hour__gte=scope.start, hour__lt=scope.end, published_at__gte=scope.start, published_at__lt=scope.end
    )
    if scope.region_ids is not None:
        rows = rows.filter(region_id__in=scope.region_ids)
    if scope.networks:
        rows = rows.filter(network__in=scope.networks)
    latest = {row["variant_id"]: row["last"] for row in rows.values("variant_id").annotate(last=Max("hour")).order_by()}
    if not latest:
        return []
    fields = ("variant_id", "post_id", "network", "published_at", "hour", "impressions", *kpis.ENGAGEMENT_METRICS)
    found = [
        row
        for row in rows.filter(variant_id__in=list(latest), hour__in=set(latest.values())).values(*fields)
        if latest.get(row["variant_id"]) == row["hour"]
    ]
    found.sort(key=lambda row: (-(kpis.engagements_of(row) or 0), row["published_at"], row["variant_id"]))
    chosen = found[:limit]
    titles = publishing_facade.post_titles(scope.workspace_id, [row["post_id"] for row in chosen])
    return [
        TopPost(
            title=titles.get(row["post_id"], f"#{row['post_id']}"),
            network=row["network"],
            published_at=row["published_at"],
            engagements=kpis.engagements_of(row),
            impressions=row["impressions"],
        )
        for row in chosen
    ]


def mention_total(scope: kpis.Scope) -> int:
    """Every mention in the period, analysed or not."""
    return sum(
        row.count
        for row in listening_facade.mention_counts_by_day(
            scope.workspace_id, since=scope.start, until=scope.end, region_ids=scope.region_ids or ()
        )
    )


def _has_values(spec: Spec) -> bool:
    """Whether the chart has any row to draw (Altair keeps inline rows under ``datasets``)."""
    inline = (spec.get("data") or {}).get("values")
    return bool(inline) or any(bool(rows) for rows in (spec.get("datasets") or {}).values())


def _fixed_size(spec: Spec) -> Spec:
    """The dashboard's spec with a fixed size: a document and an e-mail have no container to fill."""
    sized = copy.deepcopy(spec)
    sized["width"] = CHART_WIDTH
    sized["height"] = CHART_HEIGHT
    return sized


@dataclass(frozen=True)
class ReportChart:
    key: str
    title: str | Promise
    content_id: str
    spec: Spec
    empty: bool


def report_charts(scope: kpis.Scope) -> list[ReportChart]:
    labels = publishing_facade.content_type_labels()
    found = []
    for key in REPORT_CHARTS:
        data = selectors.dataset(key, scope, content_type_labels=labels)
        spec = _fixed_size(charts.chart_for(data))
        # A chart with nothing to draw (days without a single value) is named, not drawn.
        empty = not data.rows or not _has_values(spec)
        found.append(ReportChart(key, data.title, f"chart-{key}@pappus", spec, empty))
    return found


def period_text(first_day: datetime.date, last_day: datetime.date) -> str:
    if first_day == last_day:
        return date_text(first_day)
    return _("%(first)s to %(last)s") % {"first": date_text(first_day), "last": date_text(last_day)}


def subject(kind: str, scope_name: str, first_day: datetime.date, last_day: datetime.date) -> str:
    """The e-mail's subject in the active language."""
    title = _("%(kind)s for %(scope)s") % {"kind": _kind_title(kind), "scope": scope_name}
    return _("[Pappus] %(title)s, %(period)s") % {"title": title, "period": period_text(first_day, last_day)}


def _kind_title(kind: str) -> str:
    titles = {
        ReportKind.DAILY: _("Daily report"),
        ReportKind.WEEKLY: _("Weekly report"),
        ReportKind.MONTHLY: _("Monthly report"),
    }
    return str(titles[ReportKind(kind)])


def content(
    workspace: Workspace,
    *,
    kind: str,
    first_day: datetime.date,
    last_day: datetime.date,
    region: Region | None,
    generated_at: datetime.datetime,
) -> dict[str, Any]:
    """Everything the report's templates show, formatted for the active language."""
    scope = kpis.Scope(
        workspace.pk,
        first_day,
        last_day,
        region_ids=region_ids_for(workspace.pk, region.pk if region is not None else None),
        time_zone=str(zone_named(workspace.time_zone or "UTC")),
    )
    previous = scope.previous()
    with kpis.shared_reads():
        values = kpis.evaluate(scope)
        chart_list = report_charts(scope)
        counts = kpis.sentiment_counts(scope)
    sentiments = {name: sum(per_day) for name, per_day in counts.items()}
    analysed = sum(sentiments.values())
    mentions, mentions_before = mention_total(scope), mention_total(previous)
    times = inbox_facade.response_times(workspace.pk, since=scope.start, until=scope.end, region_ids=scope.region_ids)
    by_key = {item.kpi.key: item for item in values}
    scope_name = region.name if region is not None else workspace.name
    period = period_text(first_day, last_day)
    return {
        "workspace": workspace,
        "kind": kind,
        "title": _("%(kind)s for %(scope)s") % {"kind": _kind_title(kind), "scope": scope_name},
        "scope_name": scope_name,
        "is_region": region is not None,
        "period": period,
        "previous_period": period_text(previous.first_day, previous.last_day),
        "generated_at": formats.date_format(generated_at.astimezone(scope.zone), "DATETIME_FORMAT", use_l10n=True),
        "time_zone": scope.time_zone,
        "language": translation.get_language(),
        "kpis": [
            {
                "key": item.kpi.key,
                "label": item.kpi.label,
                "formula": item.kpi.formula,
                "value": display(item.value, item.kpi.unit),
                "previous": display(item.previous, item.kpi.unit),
                "change": display(item.change, item.kpi.unit, signed=True),
                "improved": item.improved,
            }
            for item in values
        ],
        "charts": chart_list,
        "top_posts": [
            {
                "title": post.title,
                "network": post.network,
                "published": date_text(post.published_at.astimezone(scope.zone).date()),
                "engagements": number(post.engagements),
                "impressions": number(post.impressions),
                "engagement_rate": display(post.engagement_rate, "percent"),
            }
            for post in top_posts(scope)
        ],
        "mentions": {
            "total": number(mentions),
            "previous": number(mentions_before),
            "analysed": number(analysed),
            "rows": [
                {
                    "label": label,
                    "count": number(sentiments[name]),
                    "share": display(sentiments[name] / analysed * 100 if analysed else None, "percent"),
                }
                for name, label in (("positive", _("Positive")), ("neutral", _("Neutral")), ("negative", _("Negative")))
            ],
            "net_sentiment": by_key["net_sentiment"].value,
            "net_sentiment_text": display(by_key["net_sentiment"].value, "percent"),
        },
        "inbox": {
            "answered": number(len(times.first_response_seconds)),
            "closed": number(len(times.resolution_seconds)),
            "first_response": display(by_key["first_response_hours"].value, "hours"),
            "first_response_previous": display(by_key["first_response_hours"].previous, "hours"),
            "resolution": display(by_key["resolution_hours"].value, "hours"),
            "resolution_previous": display(by_key["resolution_hours"].previous, "hours"),
        },
    }


# --- rendering ------------------------------------------------------------------------------------


def _svg(chart: ReportChart) -> str:
    try:
        return to_svg(chart.spec)
    except ValueError as error:  # vl-convert reports a chart it cannot draw as ValueError
        logger.warning("analytics.report_chart_failed chart=%s error=%s", chart.key, error)
        return ""


@dataclass(frozen=True)
class Rendered:
    subject: str
    scope_name: str
    html: str
    email_html: str
    text: str
    pdf: bytes
    pages: int
    chart_specs: dict[str, Spec]
    seconds: float
    stages: dict[str, float]  # seconds spent reading the numbers, drawing the SVG charts, making the PDF


def render(
    workspace: Workspace,
    *,
    kind: str,
    first_day: datetime.date,
    last_day: datetime.date,
    region: Region | None,
    language: str,
    generated_at: datetime.datetime,
) -> Rendered:
    """The report in ``language``: the document (SVG charts), its PDF, the e-mail HTML and plain text."""
    from weasyprint import HTML  # type: ignore[import-untyped]  # heavy: imported only where a PDF is made

    # WeasyPrint's font subsetting logs every table it prunes at INFO: not the operator's business.
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

    started = time.perf_counter()
    stages: dict[str, float] = {}
    with translation.override(language):
        context = content(
            workspace, kind=kind, first_day=first_day, last_day=last_day, region=region, generated_at=generated_at
        )
        stages["numbers_s"] = time.perf_counter() - started
        figures = [{"chart": chart, "svg": "" if chart.empty else _svg(chart)} for chart in context["charts"]]
        stages["svg_charts_s"] = time.perf_counter() - started - sum(stages.values())
        document = render_to_string("analytics/reports/report.html", {**context, "email": False, "figures": figures})
        email_html = render_to_string(
            "analytics/reports/report.html",
            {**context, "email": True, "figures": [{"chart": chart, "svg": ""} for chart in context["charts"]]},
        )
        text = render_to_string("analytics/reports/report.txt", context)
        title = subject(kind, context["scope_name"], first_day, last_day)
    pdf_started = time.perf_counter()
    pdf_document = HTML(string=document, base_url=None).render()
    pdf = bytes(pdf_document.write_pdf() or b"")
    stages["pdf_s"] = time.perf_counter() - pdf_started
    return Rendered(
        subject=title,
        scope_name=context["scope_name"],
        html=document,
        email_html=email_html,
        text=text,
        pdf=pdf,
        pages=len(pdf_document.pages),
        chart_specs={chart.content_id: chart.spec for chart in context["charts"] if not chart.empty},
        seconds=time.perf_counter() - started,
        stages={name: round(value, 3) for name, value in stages.items()},
    )
