from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrisisConfig(AppConfig):
    name = "pappus.crisis"
    label = "crisis"
    verbose_name = _("Crisis")

    def ready(self) -> None:
        from pappus.core.audit import register_action_labels
        from pappus.core.demo import register_demo_contributor
        from pappus.crisis import demo
        from pappus.crisis.audit_labels import ACTION_LABELS

        register_action_labels(ACTION_LABELS)
        # After listening's contributor (listening comes first in INSTALLED_APPS): the rules
        # are evaluated over the mentions it loads.
        register_demo_contributor(demo.contribute, name="crisis")
