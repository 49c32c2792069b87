from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdoptionConfig(AppConfig):
    name = "pappus.adoption"
    label = "adoption"
    verbose_name = _("Team and adoption")

    def ready(self) -> None:
        from pappus.adoption import demo
        from pappus.core.audit import register_action_labels
        from pappus.core.demo import register_demo_contributor

        register_demo_contributor(demo.contribute, name="adoption")

        register_action_labels(
            {
                "adoption.target.set": _("KPI target set"),
                "adoption.target.delete": _("KPI target removed"),
                "adoption.settings.update": _("Adoption privacy settings changed"),
                "adoption.checklist.add": _("Onboarding step added"),
                "adoption.checklist.delete": _("Onboarding step removed"),
                "adoption.checklist.tick": _("Onboarding step done"),
                "adoption.checklist.untick": _("Onboarding step undone"),
                "adoption.duty.add": _("Playbook duty added"),
                "adoption.duty.delete": _("Playbook duty removed"),
                "adoption.duty.done": _("Playbook duty done"),
                "adoption.duty.undone": _("Playbook duty undone"),
                "adoption.adopt": _("Adopted from another region"),
            }
        )
