"""Readable names of the community app's audit actions (registered in ``CommunityConfig.ready``)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, str | Promise] = {
    "community.settings.update": _("Community settings changed"),
    "community.resolve": _("Members merged automatically"),
    "community.member.merge": _("Members merged"),
    "community.member.split": _("Merged members split"),
    "community.suggestion.reject": _("Merge suggestion rejected"),
    "community.member.update": _("Member details changed"),
    "community.note.create": _("Note added to a member"),
    "community.alert.resolve": _("Core fan alert resolved"),
    "community.member.export": _("Member's personal data exported"),
    "community.member.erase": _("Member's personal data erased"),
    "community.retention.delete": _("Inactive members deleted by retention"),
    "community.import.upload": _("Member file uploaded"),
    "community.import.run": _("Member file imported"),
    "community.segment.create": _("Segment created"),
    "community.segment.update": _("Segment changed"),
    "community.segment.delete": _("Segment deleted"),
    "community.leader.update": _("Opinion leader's pipeline changed"),
    "community.leader.target": _("Opinion leaders' target audience changed"),
    "community.event.create": _("Event created"),
    "community.event.update": _("Event changed"),
    "community.event.invite": _("Segment invited to an event"),
    "community.event.check_in": _("Person checked in at an event"),
}
