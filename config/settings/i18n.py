"""Languages of the interface and time zones."""

from django.utils.translation import gettext_lazy as _

from config.settings.environment import BASE_DIR, env

LANGUAGE_CODE = env.choice("PAPPUS_LANGUAGE", "en", ("en", "ru", "nb", "zh-hans"))
LANGUAGES = [
    ("en", _("English")),
    ("ru", _("Russian")),
    ("nb", _("Norwegian Bokmål")),
    ("zh-hans", _("Simplified Chinese")),
]
LOCALE_PATHS = [BASE_DIR / "pappus" / "locale"]
USE_I18N = True
TIME_ZONE = env.time_zone("PAPPUS_TIME_ZONE", "UTC")
USE_TZ = True
