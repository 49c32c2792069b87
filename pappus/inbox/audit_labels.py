"""Readable names of the inbox's audit actions (registered from InboxConfig.ready)."""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, str | Promise] = {
    "conversation.route": _("Conversation received and routed"),
    "conversation.assign": _("Conversation assigned"),
    "conversation.reply": _("Reply written"),
    "conversation.reply_sent": _("Reply sent"),
    "conversation.reply_failed": _("Reply failed"),
    "conversation.note": _("Internal note added"),
    "conversation.tag": _("Conversation tags changed"),
    "conversation.close": _("Conversation closed"),
    "conversation.reopen": _("Conversation reopened"),
    "conversation.priority": _("Conversation priority changed"),
    "conversation.customer_link": _("Customer identities linked"),
    "conversation.sla_warning": _("SLA warning"),
    "conversation.escalate": _("SLA breached: escalated"),
    "message.moderate": _("Message moderated on the network"),
    "inbox_team.create": _("Inbox team created"),
    "inbox_team.update": _("Inbox team changed"),
    "inbox_team.delete": _("Inbox team removed"),
    "sla_policy.set": _("SLA policy set"),
    "sla_policy.remove": _("SLA policy removed"),
    "routing_rule.create": _("Routing rule added"),
    "routing_rule.update": _("Routing rule changed"),
    "routing_rule.move": _("Routing rules reordered"),
    "routing_rule.delete": _("Routing rule removed"),
    "saved_reply.create": _("Saved reply added"),
    "saved_reply.update": _("Saved reply changed"),
    "saved_reply.delete": _("Saved reply removed"),
    "close_reason.create": _("Close reason added"),
    "close_reason.remove": _("Close reason no longer offered"),
}
