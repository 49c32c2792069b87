from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "pappus.analytics"
    label = "analytics"
    verbose_name = _("Analytics")

    def ready(self) -> None:
        from pappus.analytics import demo
        from pappus.analytics.audit_labels import ACTION_LABELS
        from pappus.core.audit import register_action_labels
        from pappus.core.demo import register_demo_contributor

        register_action_labels(ACTION_LABELS)
        # After publishing's and listening's contributors: the snapshots are of the demo's accounts.
        register_demo_contributor(demo.contribute, name="analytics")
