from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConnectorsConfig(AppConfig):
    name = "pappus.connectors"
    label = "connectors"
    verbose_name = _("Connectors")

    def ready(self) -> None:
        # Each network package registers its connector class when imported.
        from pappus.connectors import registry

        registry.load_connectors()
