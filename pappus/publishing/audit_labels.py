"""Readable names of publishing's audit actions (registered from ``PublishingConfig.ready``)."""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict[str, str | Promise] = {
    "post.create": _("Post drafted"),
    "post.update": _("Post changed"),
    "post.delete": _("Post deleted"),
    "post.submit": _("Post sent for review"),
    "post.approve_step": _("Approval step passed"),
    "post.approve": _("Post approved"),
    "post.request_changes": _("Changes requested on a post"),
    "post.schedule": _("Post scheduled"),
    "post.unschedule": _("Post taken off the schedule"),
    "post.reschedule": _("Post moved to another time"),
    "post.publish": _("Post published"),
    "post.fail": _("Post failed to publish"),
    "post.retry": _("Failed post sent again"),
    "post.comment": _("Comment on a post"),
    "post.review_link": _("Review link created"),
    "variant.create": _("Network variant added"),
    "variant.update": _("Network variant changed"),
    "variant.delete": _("Network variant removed"),
    "variant.publish": _("Variant published"),
    "variant.retry_later": _("Variant will be retried"),
    "variant.fail": _("Variant failed"),
    "variant.unknown": _("Variant outcome unknown: check the network"),
    "variant.resolve": _("Variant outcome resolved by hand"),
    "publishing_settings.update": _("Publishing settings changed"),
    "approval_step.create": _("Approval step added"),
    "approval_step.delete": _("Approval step removed"),
    "link.create": _("Tracked link created"),
    "evergreen.create": _("Evergreen queue created"),
    "evergreen.add": _("Post added to an evergreen queue"),
    "evergreen.remove": _("Post taken out of an evergreen queue"),
    "post.evergreen": _("Evergreen post scheduled again"),
    "asset.upload": _("Asset uploaded"),
    "asset.update": _("Asset changed"),
    "asset.recommend": _("Asset recommended for regions"),
    "asset.unrecommend": _("Asset no longer recommended for regions"),
    "asset.localize": _("Asset localized for a region"),
    "asset.attach": _("Asset attached to a variant"),
    "asset.detach": _("Asset removed from a variant"),
}
