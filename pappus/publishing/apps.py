from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublishingConfig(AppConfig):
    name = "pappus.publishing"
    label = "publishing"
    verbose_name = _("Publishing")

    def ready(self) -> None:
        from pappus.core.audit import register_action_labels
        from pappus.core.demo import register_demo_contributor
        from pappus.publishing import demo
        from pappus.publishing.audit_labels import ACTION_LABELS

        register_action_labels(ACTION_LABELS)
        register_demo_contributor(demo.contribute, name="publishing")
