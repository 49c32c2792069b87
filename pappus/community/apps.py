from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommunityConfig(AppConfig):
    name = "pappus.community"
    label = "community"
    verbose_name = _("Community")

    def ready(self) -> None:
        from pappus.community import demo
        from pappus.community.audit_labels import ACTION_LABELS
        from pappus.core.audit import register_action_labels
        from pappus.core.demo import register_demo_contributor

        register_action_labels(ACTION_LABELS)
        register_demo_contributor(demo.contribute, name="community")
