# ruff: noqa: RUF001 - the formulas use the division, multiplication and minus signs on purpose.
"""Dashboards per campaign and per program: what the campaign's posts did (analytics' snapshots of
the posts linked to it), the visits and conversions through their tracked links (traffic), and what
its listening topics heard, over a range of the workspace's days with the previous period beside it, and the
plan (the KPIs' targets) beside the actuals. A program's dashboard adds up its campaigns and splits
the figures by campaign.

Everything is read through the analytics and listening facades (``analytics.facade.campaign_figures``,
``measured.campaign_conversation``); nothing here writes.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pappus.analytics import facade as analytics_facade
from pappus.core.models import Workspace
from pappus.strategy import measured
from pappus.strategy.models import Campaign, Program
from pappus.strategy.selectors import KpiRow

MAX_DAYS = 366

FigureOf = Callable[[analytics_facade.CampaignFigures, measured.CampaignConversation | None], float | None]


def _count(value: int | None) -> float | None:
    return float(value) if value is not None else None


# key: (label, unit, formula, how it is read). Keys that are also KPI metrics show beside the KPI.
FIGURES: dict[str, tuple[Promise, str, Promise, FigureOf]] = {
    "posts": (
        _("Posts"),
        "",
        _("Posts linked to the campaign (all of them, whatever the days)"),
        lambda f, _c: float(f.posts),
    ),
    "reach": (
        _("Reach"),
        "",
        _("Growth of the posts' reach over the days"),
        lambda f, _c: _count(f.totals.reach),
    ),
    "impressions": (
        _("Impressions"),
        "",
        _("Growth of the posts' impressions over the days"),
        lambda f, _c: _count(f.totals.impressions),
    ),
    "engagement": (
        _("Engagements"),
        "",
        _("Reactions + comments + shares + saves gained over the days"),
        lambda f, _c: _count(f.totals.engagements),
    ),
    "engagement_rate": (
        _("Engagement rate"),
        "%",
        _("Engagements ÷ impressions × 100"),
        lambda f, _c: f.totals.engagement_rate,
    ),
    "clicks": (
        _("Link clicks"),
        "",
        _("Link clicks the networks counted over the days"),
        lambda f, _c: _count(f.totals.clicks),
    ),
    "video_views": (
        _("Video views"),
        "",
        _("Growth of the posts' video views over the days"),
        lambda f, _c: _count(f.totals.video_views),
    ),
    "sessions": (
        _("Visits through tracked links"),
        "",
        _("Pixel visits whose tracked link belongs to one of the posts"),
        lambda f, _c: float(f.sessions),
    ),
    "conversions": (
        _("Conversions"),
        "",
        _("Conversions of those visits"),
        lambda f, _c: float(f.conversions),
    ),
    "conversion_rate": (
        _("Conversion rate"),
        "%",
        _("Conversions ÷ visits through tracked links × 100"),
        lambda f, _c: f.conversion_rate,
    ),
    "mentions": (
        _("Mentions"),
        "",
        _("Mentions of the campaign's listening topics"),
        lambda _f, c: float(c.mentions) if c is not None else None,
    ),
    "share_of_voice": (
        _("Share of voice"),
        "%",
        _("Mentions of the campaign's topics ÷ (those + the competitors' topics) × 100"),
        lambda _f, c: c.share_of_voice if c is not None else None,
    ),
    "sentiment": (
        _("Net sentiment"),
        "%",
        _("(Positive − negative) ÷ analysed mentions of the campaign's topics × 100"),
        lambda _f, c: c.net_sentiment if c is not None else None,
    ),
}
LISTENING_FIGURES = ("mentions", "share_of_voice", "sentiment")


@dataclass(frozen=True)
class Figure:
    key: str
    label: str
    unit: str
    formula: str
    value: float | None
    previous: float | None

    @property
    def change(self) -> float | None:
        """Change from the previous period in percent (None when either is missing or it was 0)."""
        if self.value is None or self.previous is None or self.previous == 0:
            return None
        return (self.value - self.previous) / abs(self.previous) * 100


@dataclass(frozen=True)
class CampaignLine:
    """One campaign of a program's dashboard over the days."""

    campaign: Campaign
    figures: analytics_facade.CampaignFigures
    conversation: measured.CampaignConversation | None


@dataclass(frozen=True)
class PlanLine:
    """A KPI's plan beside its actual, and the dashboard's figure on the same metric over the days."""

    row: KpiRow
    in_range: float | None


@dataclass(frozen=True)
class Dashboard:
    first_day: datetime.date
    last_day: datetime.date
    previous_first_day: datetime.date
    previous_last_day: datetime.date
    current: analytics_facade.CampaignFigures
    conversation: measured.CampaignConversation | None
    figures: tuple[Figure, ...]
    plan: tuple[PlanLine, ...]
    campaigns: tuple[CampaignLine, ...]  # a program's dashboard only

    def figure(self, key: str) -> Figure | None:
        return next((figure for figure in self.figures if figure.key == key), None)


def default_range(
    starts_on: datetime.date, ends_on: datetime.date, today: datetime.date
) -> tuple[datetime.date, datetime.date]:
    """A campaign's or program's dates up to today, at most :data:`MAX_DAYS` (the latest ones)."""
    last_day = max(min(ends_on, today), starts_on)
    first_day = max(starts_on, last_day - datetime.timedelta(days=MAX_DAYS - 1))
    return first_day, last_day


def _topic_ids(campaigns: Sequence[Campaign]) -> list[int]:
    return list(dict.fromkeys(topic_id for campaign in campaigns for topic_id in campaign.listening_topic_ids))


def _conversation(
    workspace: Workspace, campaigns: Sequence[Campaign], first_day: datetime.date, last_day: datetime.date
) -> measured.CampaignConversation | None:
    topic_ids = _topic_ids(campaigns)
    if not topic_ids:
        return None
    return measured.campaign_conversation(workspace, topic_ids, first_day=first_day, last_day=last_day)


def build(
    workspace: Workspace,
    campaigns: Sequence[Campaign],
    *,
    first_day: datetime.date,
    last_day: datetime.date,
    kpi_rows: Sequence[KpiRow],
    split: bool = False,
) -> Dashboard:
    """The dashboard of ``campaigns`` (one campaign, or a program's) from ``first_day`` to
    ``last_day``, the previous period of the same length beside it, the KPIs' plan beside their
    actuals, and with ``split`` each campaign on its own."""
    days = (last_day - first_day).days + 1
    previous_last = first_day - datetime.timedelta(days=1)
    previous_first = previous_last - datetime.timedelta(days=days - 1)
    ids = [campaign.pk for campaign in campaigns]
    current = analytics_facade.campaign_figures(workspace.pk, ids, first_day=first_day, last_day=last_day)
    before = analytics_facade.campaign_figures(workspace.pk, ids, first_day=previous_first, last_day=previous_last)
    heard = _conversation(workspace, campaigns, first_day, last_day)
    heard_before = _conversation(workspace, campaigns, previous_first, previous_last)
    figures = tuple(
        Figure(
            key=key,
            label=str(label),
            unit=unit,
            formula=str(formula),
            value=read(current, heard),
            previous=read(before, heard_before) if key != "posts" else None,
        )
        for key, (label, unit, formula, read) in FIGURES.items()
        if key not in LISTENING_FIGURES or heard is not None
    )
    by_key = {figure.key: figure.value for figure in figures}
    plan = tuple(PlanLine(row, by_key.get(row.kpi.metric_key)) for row in kpi_rows)
    lines: tuple[CampaignLine, ...] = ()
    if split:
        lines = tuple(
            CampaignLine(
                campaign,
                analytics_facade.campaign_figures(workspace.pk, [campaign.pk], first_day=first_day, last_day=last_day),
                _conversation(workspace, [campaign], first_day, last_day),
            )
            for campaign in campaigns
        )
    return Dashboard(first_day, last_day, previous_first, previous_last, current, heard, figures, plan, lines)


def program_campaigns(workspace: Workspace, program: Program) -> list[Campaign]:
    return list(Campaign.objects.for_workspace(workspace).filter(program=program).order_by("starts_on", "name"))
