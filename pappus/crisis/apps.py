from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrisisConfig(AppConfig):
    name = "pappus.crisis"
    label = "crisis"
    verbose_name = _("Crisis")

    def ready(self) -> None:
        from pappus.core.audit import register_action_labels
        from pappus.crisis.audit_labels import ACTION_LABELS

        register_action_labels(ACTION_LABELS)
