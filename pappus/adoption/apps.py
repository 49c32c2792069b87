from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdoptionConfig(AppConfig):
    name = "pappus.adoption"
    label = "adoption"
    verbose_name = _("Team and adoption")

    def ready(self) -> None:
        from pappus.core.audit import register_action_labels

        register_action_labels(
            {
                "adoption.target.set": _("KPI target set"),
                "adoption.target.delete": _("KPI target removed"),
                "adoption.settings.update": _("Adoption privacy settings changed"),
                "adoption.checklist.add": _("Onboarding step added"),
                "adoption.checklist.delete": _("Onboarding step removed"),
                "adoption.checklist.tick": _("Onboarding step done"),
                "adoption.checklist.untick": _("Onboarding step undone"),
            }
        )
