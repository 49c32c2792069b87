"""Readable names of the analytics app's audit actions (registered in ``AnalyticsConfig.ready``)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, str | Promise] = {
    "analytics.rollups.rebuild": _("Analytics rollups rebuilt"),
}
