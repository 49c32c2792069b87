"""Readable names of the crisis app's audit actions (registered in ``CrisisConfig.ready``)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, str | Promise] = {
    "crisis.rule.create": _("Alert rule created"),
    "crisis.rule.update": _("Alert rule changed"),
    "crisis.rule.delete": _("Alert rule removed"),
    "crisis.alert.raise": _("Crisis alert raised"),
    "crisis.alert.acknowledge": _("Crisis alert acknowledged"),
    "crisis.incident.open": _("Incident opened"),
    "crisis.incident.update": _("Incident changed"),
    "crisis.incident.note": _("Incident timeline entry added"),
    "crisis.incident.step": _("Playbook step checked"),
    "crisis.playbook.create": _("Playbook created"),
    "crisis.playbook.update": _("Playbook changed"),
}
