"""Readable names of the analytics app's audit actions (registered in ``AnalyticsConfig.ready``)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, str | Promise] = {
    "analytics.rollups.rebuild": _("Analytics rollups rebuilt"),
    "analytics.report_schedule.create": _("Report schedule created"),
    "analytics.report_schedule.update": _("Report schedule changed"),
    "analytics.report_schedule.delete": _("Report schedule deleted"),
    "analytics.report.request": _("Report requested"),
}
