from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ListeningConfig(AppConfig):
    name = "pappus.listening"
    label = "listening"
    verbose_name = _("Listening")

    def ready(self) -> None:
        from pappus.core.demo import register_demo_contributor
        from pappus.listening import demo

        register_demo_contributor(demo.contribute, name="listening")
