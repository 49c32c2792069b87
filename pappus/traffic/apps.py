from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TrafficConfig(AppConfig):
    name = "pappus.traffic"
    label = "traffic"
    verbose_name = _("Web traffic")

    def ready(self) -> None:
        from pappus.core.audit import register_action_labels

        register_action_labels(
            {
                "traffic.site.create": _("Web traffic site added"),
                "traffic.site.update": _("Web traffic site changed"),
                "traffic.site.rotate_key": _("Web traffic site key replaced"),
                "traffic.import": _("Web analytics imported"),
            }
        )
