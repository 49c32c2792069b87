"""Readable names of the strategy app's audit actions (registered in ``StrategyConfig.ready``)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, str | Promise] = {
    "strategy.brand.update": _("Brand profile changed"),
    "strategy.competitor.create": _("Competitor added"),
    "strategy.competitor.update": _("Competitor changed"),
    "strategy.competitor.delete": _("Competitor removed"),
    "strategy.audience.create": _("Audience added"),
    "strategy.audience.update": _("Audience changed"),
    "strategy.audience.delete": _("Audience removed"),
    "strategy.program.create": _("Program created"),
    "strategy.program.revise": _("Program revised"),
    "strategy.campaign.create": _("Campaign created"),
    "strategy.campaign.update": _("Campaign changed"),
    "strategy.kpi.create": _("KPI added"),
    "strategy.kpi.update": _("KPI changed"),
    "strategy.kpi.delete": _("KPI removed"),
    "strategy.measurement.record": _("KPI value recorded"),
    "strategy.risk.create": _("Risk added"),
    "strategy.risk.update": _("Risk changed"),
    "strategy.risk.delete": _("Risk removed"),
    "strategy.raci.create": _("Responsibility assigned"),
    "strategy.raci.update": _("Responsibility changed"),
    "strategy.raci.delete": _("Responsibility removed"),
    "strategy.review.record": _("Weekly review recorded"),
    "strategy.template.create": _("Strategy template added"),
    "strategy.template.update": _("Strategy template changed"),
    "strategy.template.delete": _("Strategy template removed"),
    "strategy.template.share": _("Strategy template shared"),
    "strategy.document.generate": _("Strategy document generated"),
}
