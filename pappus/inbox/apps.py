from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InboxConfig(AppConfig):
    name = "pappus.inbox"
    label = "inbox"
    verbose_name = _("Inbox")

    def ready(self) -> None:
        from pappus.core.audit import register_action_labels
        from pappus.core.demo import register_demo_contributor
        from pappus.inbox import demo
        from pappus.inbox.audit_labels import ACTION_LABELS

        register_action_labels(ACTION_LABELS)
        register_demo_contributor(demo.contribute, name="inbox")
