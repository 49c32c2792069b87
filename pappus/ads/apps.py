from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AdsConfig(AppConfig):
    name = "pappus.ads"
    label = "ads"
    verbose_name = _("Paid campaigns")

    def ready(self) -> None:
        from pappus.ads import demo
        from pappus.core.audit import register_action_labels
        from pappus.core.demo import register_demo_contributor

        register_action_labels(
            {
                "ads.account.create": _("Ad account added"),
                "ads.campaign.create": _("Paid campaign added"),
                "ads.campaign.update": _("Paid campaign changed"),
                "ads.daily.enter": _("Ad results entered by hand"),
                "ads.rate.set": _("Exchange rate set"),
                "ads.import": _("Ad results imported"),
                "ads.sync": _("Ad results read from the network's API"),
                "ads.reallocation.decide": _("Budget reallocation decided"),
                "ads.reallocation.outcome": _("Budget reallocation outcome recorded"),
                "ads.settings.update": _("Ads attribution settings changed"),
                "ads.conversions.import": _("Conversion paths imported"),
                "ads.reading.set": _("Scheduled reads of an ad account changed"),
            }
        )
        register_demo_contributor(demo.contribute, name="ads")
