from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StrategyConfig(AppConfig):
    name = "pappus.strategy"
    label = "strategy"
    verbose_name = _("Strategy")

    def ready(self) -> None:
        from pappus.core.audit import register_action_labels
        from pappus.core.demo import register_demo_contributor
        from pappus.strategy import demo
        from pappus.strategy.audit_labels import ACTION_LABELS

        register_action_labels(ACTION_LABELS)
        register_demo_contributor(demo.contribute, name="strategy")
